//! Every diagnostic this crate emits, with its stable code, built in one place.
//!
//! Codes are `splunk::<kebab-name>`. SPL-level diagnostics are built with an empty `path` and a
//! span relative to the query text; [`crate::detection`] fills in the path and moves the span
//! to file coordinates.

use detcat_model::{Diagnostic, Span};

const NO_PATH: &str = "";

pub fn unterminated_string(span: Span) -> Diagnostic {
    Diagnostic::error(
        "splunk::unterminated-string",
        "a quoted string is not closed",
        NO_PATH,
        Some(span),
    )
}

pub fn unterminated_subsearch(span: Span) -> Diagnostic {
    Diagnostic::error(
        "splunk::unterminated-subsearch",
        "a `[` subsearch is not closed by `]`",
        NO_PATH,
        Some(span),
    )
}

pub fn unterminated_macro(span: Span) -> Diagnostic {
    Diagnostic::error(
        "splunk::unterminated-macro",
        "a `` ` `` macro call is not closed",
        NO_PATH,
        Some(span),
    )
}

pub fn unexpected_char(span: Span) -> Diagnostic {
    Diagnostic::warning(
        "splunk::unexpected-character",
        "unexpected character",
        NO_PATH,
        Some(span),
    )
}

pub fn unexpected_token(span: Span, found: &str, context: &str) -> Diagnostic {
    Diagnostic::error(
        "splunk::unexpected-token",
        format!("unexpected `{found}` in {context}"),
        NO_PATH,
        Some(span),
    )
}

pub fn unclosed_paren(span: Span) -> Diagnostic {
    Diagnostic::error(
        "splunk::unclosed-parenthesis",
        "a `(` is not closed by `)`",
        NO_PATH,
        Some(span),
    )
}

pub fn missing_operand(span: Span, operator: &str) -> Diagnostic {
    Diagnostic::error(
        "splunk::missing-operand",
        format!("`{operator}` has no operand"),
        NO_PATH,
        Some(span),
    )
}

pub fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::error(
        "splunk::too-deep",
        "the query nests deeper than the parser allows; the rest is kept as text",
        NO_PATH,
        Some(span),
    )
}

pub fn empty_command(span: Span) -> Diagnostic {
    Diagnostic::warning(
        "splunk::empty-command",
        "an empty command between two pipes",
        NO_PATH,
        Some(span),
    )
}

pub fn unsupported_command(span: Span, name: &str) -> Diagnostic {
    Diagnostic::warning(
        "splunk::unsupported-command",
        format!("SPL command `{name}` is kept as an opaque node"),
        NO_PATH,
        Some(span),
    )
}

pub fn unknown_macro(span: Span, name: &str, arity: usize) -> Diagnostic {
    Diagnostic::warning(
        "splunk::unknown-macro",
        format!(
            "macro `{name}` with {arity} argument(s) is not defined in macros/; left unexpanded"
        ),
        NO_PATH,
        Some(span),
    )
}

pub fn macro_recursion(span: Span, name: &str) -> Diagnostic {
    Diagnostic::error(
        "splunk::macro-recursion",
        format!("macro `{name}` expands into itself (or nests too deep); left unexpanded"),
        NO_PATH,
        Some(span),
    )
}

pub fn macro_too_large(span: Span) -> Diagnostic {
    Diagnostic::error(
        "splunk::macro-expansion-too-large",
        "macro expansion grew past the size limit; the rest is left unexpanded",
        NO_PATH,
        Some(span),
    )
}

pub fn yaml_error(path: &str, message: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "splunk::invalid-yaml",
        format!("cannot read YAML: {message}"),
        path,
        Some(span),
    )
}

pub fn not_a_mapping(path: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        "splunk::not-a-mapping",
        format!("the {what} file is not a YAML mapping"),
        path,
        None,
    )
}

pub fn missing_key(path: &str, key: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        "splunk::missing-key",
        format!("the {what} has no `{key}`"),
        path,
        None,
    )
}

pub fn wrong_type(path: &str, key: &str, expected: &str, span: Span) -> Diagnostic {
    Diagnostic::warning(
        "splunk::wrong-type",
        format!("`{key}` should be {expected}; ignored"),
        path,
        Some(span),
    )
}

pub fn multiple_documents(path: &str) -> Diagnostic {
    Diagnostic::warning(
        "splunk::multiple-documents",
        "the file holds several YAML documents; only the first is read",
        path,
        None,
    )
}

pub fn duplicate_macro(path: &str, name: &str, span: Span) -> Diagnostic {
    Diagnostic::warning(
        "splunk::duplicate-macro",
        format!("macro `{name}` is defined more than once; the last definition wins"),
        path,
        Some(span),
    )
}

pub fn no_predicate(span: Span) -> Diagnostic {
    Diagnostic::warning(
        "splunk::no-predicate",
        "the search filters on nothing that could be normalized",
        NO_PATH,
        Some(span),
    )
}

pub fn lookup_file_missing(path: &str, name: &str, filename: &str) -> Diagnostic {
    Diagnostic::warning(
        "splunk::lookup-file-missing",
        format!("lookup `{name}` names `{filename}`, which is not in lookups/"),
        path,
        None,
    )
}

pub fn lookup_csv_error(path: &str, message: &str) -> Diagnostic {
    Diagnostic::error(
        "splunk::invalid-lookup-csv",
        format!("cannot read the lookup table: {message}"),
        path,
        None,
    )
}

/// A `lookup` whose output a later filter tests could not become an "in lookup" predicate.
pub fn lookup_unresolved(span: Span, name: &str, why: &str) -> Diagnostic {
    Diagnostic::warning(
        "splunk::lookup-not-normalized",
        format!("lookup `{name}` is kept as an opaque node: {why}"),
        NO_PATH,
        Some(span),
    )
}

/// A resolved lookup with more matching rows than a predicate inlines.
pub fn lookup_capped(span: Span, name: &str, kept: usize, total: usize) -> Diagnostic {
    Diagnostic::info(
        "splunk::lookup-summarized",
        format!(
            "lookup `{name}`: {total} values pass the filter; the first {kept} are inlined, \
             the rest are summarized by the `lookup:{name}` modifier"
        ),
        NO_PATH,
        Some(span),
    )
}

/// A resolved lookup where no row passes the filter.
pub fn lookup_empty(span: Span, name: &str) -> Diagnostic {
    Diagnostic::warning(
        "splunk::lookup-empty",
        format!("no row of lookup `{name}` passes the filter on its output"),
        NO_PATH,
        Some(span),
    )
}

/// An opaque node built without a more specific diagnostic (the generic safety net).
pub fn opaque_node(span: Option<Span>, reason: &str) -> Diagnostic {
    Diagnostic::warning(
        "splunk::not-normalized",
        format!("kept as an opaque node: {reason}"),
        NO_PATH,
        span,
    )
}

/// An enriching join whose fields a later filter reads.
pub fn join_not_normalized(span: Span, what: &str, why: &str) -> Diagnostic {
    Diagnostic::warning(
        "splunk::join-not-normalized",
        format!("{what} is kept as an opaque node: {why}"),
        NO_PATH,
        Some(span),
    )
}

pub fn subsearch_not_normalized(span: Span) -> Diagnostic {
    Diagnostic::warning(
        "splunk::subsearch-not-normalized",
        "a `[ … ]` subsearch inside search terms is kept as an opaque node: its results become \
         search terms only when it runs",
        NO_PATH,
        Some(span),
    )
}

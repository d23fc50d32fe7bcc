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

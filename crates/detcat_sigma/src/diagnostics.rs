//! Every diagnostic this crate emits, with its stable code (`sigma::<kebab-name>`).

use detcat_model::{Diagnostic, Span};

pub(crate) fn yaml_error(path: &str, message: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "sigma::yaml-error",
        format!("invalid YAML: {message}"),
        path,
        Some(span),
    )
}

pub(crate) fn file_too_large(path: &str, len: usize, limit: usize) -> Diagnostic {
    Diagnostic::error(
        "sigma::file-too-large",
        format!("file is {len} bytes, more than the {limit}-byte limit for a rule; not parsed"),
        path,
        None,
    )
}

pub(crate) fn too_many_documents(path: &str, n: usize, limit: usize) -> Diagnostic {
    Diagnostic::error(
        "sigma::too-many-documents",
        format!("file holds {n} YAML documents; only the first {limit} are read (truncated)"),
        path,
        None,
    )
}

pub(crate) fn wrong_type(path: &str, key: &str, expected: &str, span: Span) -> Diagnostic {
    Diagnostic::warning(
        "sigma::wrong-type",
        format!("`{key}` must be {expected}; this value is ignored"),
        path,
        Some(span),
    )
}

pub(crate) fn condition_list(path: &str, span: Span) -> Diagnostic {
    Diagnostic::warning(
        "sigma::condition-list",
        "a list of conditions is deprecated Sigma; read as the OR of its items",
        path,
        Some(span),
    )
}

pub(crate) fn invalid_regex(path: &str, message: &str, span: Span) -> Diagnostic {
    Diagnostic::warning(
        "sigma::invalid-regex",
        format!("invalid regular expression: {message}"),
        path,
        Some(span),
    )
}

pub(crate) fn not_a_mapping(path: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "sigma::not-a-mapping",
        "a Sigma rule must be a YAML mapping",
        path,
        Some(span),
    )
}

pub(crate) fn missing_detection(path: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "sigma::missing-detection",
        "rule has no `detection`, `correlation` or `filter` section",
        path,
        Some(span),
    )
}

pub(crate) fn missing_condition(path: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "sigma::missing-condition",
        "the detection has no `condition`",
        path,
        Some(span),
    )
}

pub(crate) fn condition_syntax(path: &str, message: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "sigma::condition-syntax",
        format!("condition: {message}"),
        path,
        Some(span),
    )
}

pub(crate) fn unknown_identifier(path: &str, name: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "sigma::unknown-identifier",
        format!("condition names `{name}`, which the detection does not define"),
        path,
        Some(span),
    )
}

pub(crate) fn pattern_matches_nothing(path: &str, pattern: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "sigma::pattern-matches-nothing",
        format!("`of {pattern}` matches no search identifier"),
        path,
        Some(span),
    )
}

pub(crate) fn unknown_modifier(path: &str, name: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "sigma::unknown-modifier",
        format!("unknown value modifier `{name}`"),
        path,
        Some(span),
    )
}

pub(crate) fn invalid_value(path: &str, message: &str, span: Span) -> Diagnostic {
    Diagnostic::error("sigma::invalid-value", message.to_owned(), path, Some(span))
}

pub(crate) fn invalid_detection(path: &str, message: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "sigma::invalid-detection",
        message.to_owned(),
        path,
        Some(span),
    )
}

pub(crate) fn deprecated_aggregation(path: &str, span: Span) -> Diagnostic {
    Diagnostic::warning(
        "sigma::deprecated-aggregation",
        "pipe aggregations in conditions are deprecated (Sigma v1); use a correlation rule",
        path,
        Some(span),
    )
}

pub(crate) fn unsupported_near(path: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "sigma::unsupported-near",
        "the `near` aggregation has no equivalent in the model; kept opaque",
        path,
        Some(span),
    )
}

pub(crate) fn duplicate_key(path: &str, key: &str, span: Span) -> Diagnostic {
    Diagnostic::warning(
        "sigma::duplicate-key",
        format!("key `{key}` appears more than once; the last one is used"),
        path,
        Some(span),
    )
}

pub(crate) fn invalid_correlation(path: &str, message: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "sigma::invalid-correlation",
        message.to_owned(),
        path,
        Some(span),
    )
}

pub(crate) fn filter_targets(path: &str, rules: &[String], span: Span) -> Diagnostic {
    Diagnostic::info(
        "sigma::filter-targets",
        format!("this filter applies to: {}", rules.join(", ")),
        path,
        Some(span),
    )
}

pub(crate) fn unknown_action(path: &str, action: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "sigma::unknown-action",
        format!("unknown collection action `{action}` (expected global, reset or repeat)"),
        path,
        Some(span),
    )
}

pub(crate) fn nesting_too_deep(path: &str, span: Span) -> Diagnostic {
    Diagnostic::error(
        "sigma::nesting-too-deep",
        "the detection nests too deeply",
        path,
        Some(span),
    )
}

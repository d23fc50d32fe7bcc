//! Every diagnostic this crate emits, built in one place so the codes stay stable.
//!
//! Codes are `attack::<kebab-name>`; `path` is the bundle's corpus-relative path and the span is
//! a byte range into that bundle (the offending object, or the point where JSON parsing failed).

use detcat_model::{Diagnostic, Span};

/// The bundle bytes are not UTF-8 (JSON must be).
pub(crate) fn not_utf8(path: &str, at: usize) -> Diagnostic {
    Diagnostic::error(
        "attack::not-utf8",
        format!("bundle is not valid UTF-8 (first bad byte at offset {at}); nothing was loaded"),
        path,
        Some(Span::new(at, at + 1)),
    )
}

/// JSON syntax error or premature end of input; objects before `at` were kept.
pub(crate) fn invalid_json(
    path: &str,
    at: usize,
    kept: usize,
    err: &serde_json::Error,
) -> Diagnostic {
    let what = if err.is_eof() {
        "bundle is truncated"
    } else {
        "bundle is not valid JSON"
    };
    Diagnostic::error(
        "attack::invalid-json",
        format!("{what}: {err}; kept the {kept} complete object(s) before this point"),
        path,
        Some(Span::new(at, at)),
    )
}

/// The top level is valid JSON but not a STIX bundle (`{"type": "bundle", "objects": [...]}`).
pub(crate) fn not_a_bundle(path: &str, span: Option<Span>, detail: &str) -> Diagnostic {
    Diagnostic::error(
        "attack::not-a-bundle",
        format!("not a STIX bundle: {detail}"),
        path,
        span,
    )
}

/// An object of a type we read has a property of the wrong JSON type (or is not an object).
/// `at` is the absolute byte offset where reading failed; the span covers the whole object.
pub(crate) fn invalid_object(
    path: &str,
    span: Span,
    at: usize,
    kind: &str,
    err: &serde_json::Error,
) -> Diagnostic {
    let what = if kind.is_empty() {
        "a STIX object".to_owned()
    } else {
        format!("an object of type {kind}")
    };
    Diagnostic::error(
        "attack::invalid-object",
        format!("skipped {what}: {} (at byte {at})", without_position(err)),
        path,
        Some(span),
    )
}

/// serde_json's message without its " at line L column C", which would be relative to the
/// object rather than the file.
fn without_position(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(i) => text.get(..i).unwrap_or(&text).to_owned(),
        None => text,
    }
}

/// A known object without an `id`.
pub(crate) fn missing_id(path: &str, span: Span, kind: &str) -> Diagnostic {
    Diagnostic::error(
        "attack::missing-id",
        format!("skipped a {kind} without a STIX `id`"),
        path,
        Some(span),
    )
}

/// A technique or tactic without its `mitre-attack` external id (T…, TA…).
pub(crate) fn missing_attack_id(path: &str, span: Span, stix_id: &str) -> Diagnostic {
    Diagnostic::warning(
        "attack::missing-attack-id",
        format!(
            "{stix_id} has no ATT&CK id in external_references; it is known by its STIX id only"
        ),
        path,
        Some(span),
    )
}

/// A reference (relationship end, tactic_refs, analytic refs, data component refs, kill chain
/// phase) that names an object not present in any loaded bundle.
pub(crate) fn dangling_ref(
    path: &str,
    span: Option<Span>,
    from: &str,
    what: &str,
    target: &str,
) -> Diagnostic {
    Diagnostic::warning(
        "attack::dangling-reference",
        format!("{from}: {what} `{target}` is not in any loaded bundle; the link was dropped"),
        path,
        span,
    )
}

/// The same STIX id twice within the loaded bundles with different content.
pub(crate) fn duplicate_object(path: &str, span: Span, stix_id: &str) -> Diagnostic {
    Diagnostic::info(
        "attack::duplicate-object",
        format!("{stix_id} appears more than once; kept the most recently modified copy"),
        path,
        Some(span),
    )
}

/// Two bundles of the same domain were loaded together.
pub(crate) fn duplicate_domain(path: &str, domain: &str, other: &str) -> Diagnostic {
    Diagnostic::warning(
        "attack::duplicate-domain",
        format!(
            "{domain} is also loaded from `{other}`; objects are merged by STIX id (use select_bundles to load one version per domain)"
        ),
        path,
        None,
    )
}

/// No matrix object and no usable file name: the bundle's domain is a guess or unknown.
pub(crate) fn unknown_domain(path: &str) -> Diagnostic {
    Diagnostic::warning(
        "attack::unknown-domain",
        "cannot tell the ATT&CK domain of this bundle (no x-mitre-matrix, no x_mitre_domains, no domain in the file name)",
        path,
        None,
    )
}

/// A bundle without an `x-mitre-matrix`: tactics are ordered by id instead of matrix order.
pub(crate) fn missing_matrix(path: &str, domain: &str) -> Diagnostic {
    Diagnostic::warning(
        "attack::missing-matrix",
        format!("no x-mitre-matrix for {domain}; tactics are ordered by ATT&CK id"),
        path,
        None,
    )
}

/// `revoked-by` relationships that loop.
pub(crate) fn revoked_cycle(path: &str, span: Option<Span>, id: &str) -> Diagnostic {
    Diagnostic::warning(
        "attack::revoked-cycle",
        format!("the revoked-by chain starting at {id} loops or is too long; no replacement given"),
        path,
        span,
    )
}

/// A bundle file that could not be read ([`crate::select_bundles`], or a build reading the
/// chosen bundle).
pub fn unreadable_bundle(path: &str, err: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "attack::unreadable-bundle",
        format!("cannot read bundle: {err}"),
        path,
        None,
    )
}

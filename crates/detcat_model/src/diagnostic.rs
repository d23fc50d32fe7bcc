//! Diagnostics: what did not parse, where, and why.

use serde::{Deserialize, Serialize};

use crate::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something of the rule was lost or could not be understood.
    Error,
    /// The rule is understood, but something about it is suspicious or was adapted.
    Warning,
    /// A note about how the rule was interpreted (e.g. a tactic renamed by ATT&CK).
    Info,
}

/// One finding about a rule or file.
///
/// `code` is stable and namespaced by the crate that makes it (`sigma::unknown-modifier`,
/// `eql::unexpected-token`, `attack::revoked-technique`); each crate builds its diagnostics in
/// one `diagnostics.rs`. Spans are byte ranges into the file named by `path`; line and column
/// are computed when rendered (see [`crate::LineIndex`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    /// Corpus-relative path of the file the span points into.
    pub path: String,
    pub span: Option<Span>,
}

impl Diagnostic {
    pub fn new(
        code: impl Into<String>,
        severity: Severity,
        message: impl Into<String>,
        path: impl Into<String>,
        span: Option<Span>,
    ) -> Self {
        Self {
            code: code.into(),
            severity,
            message: message.into(),
            path: path.into(),
            span,
        }
    }

    pub fn error(
        code: impl Into<String>,
        message: impl Into<String>,
        path: impl Into<String>,
        span: Option<Span>,
    ) -> Self {
        Self::new(code, Severity::Error, message, path, span)
    }

    pub fn warning(
        code: impl Into<String>,
        message: impl Into<String>,
        path: impl Into<String>,
        span: Option<Span>,
    ) -> Self {
        Self::new(code, Severity::Warning, message, path, span)
    }

    pub fn info(
        code: impl Into<String>,
        message: impl Into<String>,
        path: impl Into<String>,
        span: Option<Span>,
    ) -> Self {
        Self::new(code, Severity::Info, message, path, span)
    }
}

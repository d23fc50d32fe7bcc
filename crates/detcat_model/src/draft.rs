//! Reading one draft rule (`detcat review`): the vendor-side half.
//!
//! The catalog's review asks each vendor's [`VendorParser`](crate::VendorParser) whether a
//! draft looks like one of its rule files, reads the companion files the vendor names
//! ([`VendorParser::draft_companions`](crate::VendorParser::draft_companions), e.g. macros)
//! from a corpus once, and parses drafts with the [`DraftReader`] the vendor builds over them.
//! No vendor is named outside its own crate.

use crate::{Diagnostic, Expr, FileOutcome, Language, TelemetryHint};

/// The path a bare draft query's diagnostics carry.
pub const DRAFT_QUERY_PATH: &str = "draft";

/// A bare query parsed by its language's parser (no rule file around it).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedQuery {
    pub expr: Expr,
    pub telemetry: Vec<TelemetryHint>,
    /// Spans relative to the query text; path [`DRAFT_QUERY_PATH`].
    pub diagnostics: Vec<Diagnostic>,
}

/// A vendor's reader of drafts, built once over the companion files of a corpus.
pub trait DraftReader: Send + Sync {
    /// The draft read as one of the vendor's rule files.
    fn rule_file(&self, text: &str) -> FileOutcome;

    /// The draft read as a bare query of `language`; `None` when the vendor reads no bare
    /// query of that language.
    fn query(&self, text: &str, language: Language) -> Option<ParsedQuery>;
}

//! KQL (Kibana Query Language, `kuery`) and — through [`crate::lucene`] — Lucene query strings.
//!
//! ```
//! let q = detcat_elastic::kql::parse(r#"event.category:process and process.name:(cmd.exe or pwsh*) and not user.name:SYSTEM"#);
//! assert!(q.diagnostics.is_empty());
//! assert_eq!(q.expr.exclusions().count(), 1);
//! ```
//!
//! Semantics, as documented for this crate:
//! - `field:value` is an exact match on keyword fields, which KQL compares case-sensitively:
//!   predicates get `case_sensitive = true`. An unescaped `*` makes it a `wildcard`.
//! - A quoted phrase (`field:"a b"`) is a phrase match on text fields and an exact match on
//!   keyword fields; the mapping is not known here, so it becomes `eq` with the phrase.
//! - `field:*` is `exists`; `field:(a or b)` merges into one predicate with two values;
//!   `field:{ … }` (nested) prefixes the inner fields with `field.`; free text is a
//!   [`detcat_model::Keyword`].

mod lexer;
mod parser;

pub use parser::parse_dialect;

use crate::diagnostics::Lang;
use crate::query::ParsedQuery;

/// Parses one KQL query. Never panics; errors are diagnostics and opaque nodes.
pub fn parse(src: &str) -> ParsedQuery {
    parse_dialect(src, Lang::Kql)
}

#[cfg(test)]
mod tests;

//! A YAML reader with byte spans and hard limits (aliases, depth, size) for untrusted rule files.
//!
//! Built on the `saphyr-parser` event API: events become a [`Node`] tree with an explicit stack
//! (no recursion), so deep nesting, alias bombs ("billion laughs") and huge inputs end in a
//! [`YamlError`] with a position instead of a crash or a hang. Texts in the plain block style
//! of rule files are first tried by a direct reader (`fast.rs`) that builds the same tree
//! without saphyr and gives up on anything else. Plain scalars are resolved with
//! the YAML 1.2 core schema, but the written text stays available ([`Node::scalar_text`]),
//! because Sigma cares whether a value was written `0x10`, `16` or `'16'`.
//!
//! ```
//! use detcat_yaml::{parse_documents, Limits, NodeValue};
//!
//! let docs = parse_documents("EventID: 0x10\nName: 'x'\n", &Limits::default()).unwrap();
//! let id = docs[0].get("EventID").unwrap();
//! assert_eq!(id.value, NodeValue::Int(16));
//! assert_eq!(id.scalar_text().as_deref(), Some("0x10"));
//! assert_eq!((id.span.start, id.span.end), (9, 13));
//! ```

mod de;
mod error;
mod fast;
mod loader;
mod node;
mod offsets;
mod resolve;

pub use de::{Checked, DeError, Spanned, from_node};
pub use error::YamlError;
pub use node::{Node, NodeValue};

use detcat_model::Span;

/// Hard limits for reading untrusted YAML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of sequences and mappings (default 128).
    pub max_depth: usize,
    /// Most nodes produced, alias expansions counted in full (default 1,000,000): this is what
    /// stops alias bombs.
    pub max_nodes: usize,
    /// Largest input in bytes (default 16 MiB).
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 128,
            max_nodes: 1_000_000,
            max_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Reads every document of a (multi-document) YAML stream.
///
/// # Errors
/// A [`YamlError`] with the byte position of the first syntax error or exceeded limit.
pub fn parse_documents(text: &str, limits: &Limits) -> Result<Vec<Node>, YamlError> {
    // Rule files keep to a plain block style that is read directly, several times faster than
    // through saphyr's events; anything else (and every error) goes to the full loader.
    match fast::load(text, limits) {
        Some(docs) => Ok(docs),
        None => parse_documents_full(text, limits),
    }
}

/// [`parse_documents`] through saphyr's events only, never the direct reader: what the direct
/// reader is checked against (differential tests, fuzzing).
///
/// # Errors
/// As [`parse_documents`].
#[doc(hidden)]
pub fn parse_documents_full(text: &str, limits: &Limits) -> Result<Vec<Node>, YamlError> {
    // saphyr is third-party code run on hostile input; a panic inside it must become an error,
    // not take down a corpus build.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| loader::load(text, limits)))
        .unwrap_or_else(|_| {
            Err(YamlError::new(
                "the YAML parser failed on this input",
                Span::new(0, 0),
            ))
        })
}

#[cfg(test)]
mod tests;

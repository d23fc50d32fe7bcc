//! What the typed readers of this crate share: values read by serde over the YAML tree
//! ([`detcat_yaml::from_node`]) arrive as [`Checked`] values, and [`Reader`] turns them into
//! plain ones with a `splunk::wrong-type` warning (with the value's span) per wrong type.

use detcat_model::Diagnostic;
use detcat_yaml::{Checked, Node, NodeValue};

use crate::diagnostics as diag;

/// A scalar or a list of scalars; null items are skipped, items of the wrong type kept as
/// errors.
pub(crate) type Strings = Vec<Option<Checked<String>>>;

/// Collects the wrong-type warnings of one file.
pub(crate) struct Reader<'a> {
    pub path: &'a str,
    pub diags: Vec<Diagnostic>,
}

impl<'a> Reader<'a> {
    pub fn new(path: &'a str) -> Self {
        Self {
            path,
            diags: Vec::new(),
        }
    }

    /// A scalar as text (`version: 3` → `"3"`); `None` when absent, null or of the wrong type.
    pub fn string(&mut self, key: &str, value: Option<Checked<String>>) -> Option<String> {
        let path = self.path;
        value?.or_report(&mut self.diags, |span| {
            diag::wrong_type(path, key, "a string", span)
        })
    }

    /// A list of scalars (a lone scalar counts as a list of one); each wrong item is reported.
    pub fn strings(&mut self, key: &str, value: Option<Checked<Strings>>) -> Vec<String> {
        let path = self.path;
        let wrong = |span| diag::wrong_type(path, key, "a list of strings", span);
        let Some(items) = value.and_then(|v| v.or_report(&mut self.diags, wrong)) else {
            return Vec::new();
        };
        items
            .into_iter()
            .flatten()
            .filter_map(|item| item.or_report(&mut self.diags, wrong))
            .collect()
    }
}

/// Keys of a mapping other than `known`, with a short text of their values.
pub(crate) fn extra_keys(
    node: &Node,
    known: &[&str],
) -> std::collections::BTreeMap<String, String> {
    node.as_map()
        .unwrap_or_default()
        .iter()
        .filter_map(|(k, v)| {
            let key = k.scalar_text()?;
            if known.contains(&key.as_str()) {
                return None;
            }
            let text = match &v.value {
                NodeValue::Seq(items) => items
                    .iter()
                    .filter_map(Node::scalar_text)
                    .collect::<Vec<_>>()
                    .join(", "),
                NodeValue::Map(_) => "{…}".to_owned(),
                _ => v.scalar_text().unwrap_or_default(),
            };
            Some((key, text))
        })
        .collect()
}

//! Small helpers to read a `detcat_yaml` tree into typed structs by hand.

use detcat_model::Diagnostic;
use detcat_yaml::{Node, NodeValue};

use crate::diagnostics as diag;

/// Reads fields of one mapping, recording type mismatches as diagnostics.
pub(crate) struct MapReader<'n> {
    pub node: &'n Node,
    pub path: &'n str,
    pub diags: Vec<Diagnostic>,
}

impl<'n> MapReader<'n> {
    pub fn new(node: &'n Node, path: &'n str) -> Self {
        Self {
            node,
            path,
            diags: Vec::new(),
        }
    }

    /// A scalar as text (`version: 3` → `"3"`); `None` when absent or null.
    pub fn string(&mut self, key: &str) -> Option<String> {
        let v = self.node.get(key)?;
        match &v.value {
            NodeValue::Null => None,
            NodeValue::Seq(_) | NodeValue::Map(_) => {
                self.diags
                    .push(diag::wrong_type(self.path, key, "a string", v.span));
                None
            }
            _ => v.scalar_text(),
        }
    }

    /// A list of scalars; a lone scalar counts as a list of one.
    pub fn strings(&mut self, key: &str) -> Vec<String> {
        let Some(v) = self.node.get(key) else {
            return Vec::new();
        };
        strings_of(v, key, self.path, &mut self.diags)
    }
}

pub(crate) fn strings_of(
    v: &Node,
    key: &str,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<String> {
    match &v.value {
        NodeValue::Null => Vec::new(),
        NodeValue::Seq(items) => items
            .iter()
            .filter_map(|i| {
                let s = i.scalar_text();
                if s.is_none() && !i.is_null() {
                    diags.push(diag::wrong_type(path, key, "a list of strings", i.span));
                }
                s
            })
            .collect(),
        NodeValue::Map(_) => {
            diags.push(diag::wrong_type(path, key, "a list of strings", v.span));
            Vec::new()
        }
        _ => v.scalar_text().into_iter().collect(),
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

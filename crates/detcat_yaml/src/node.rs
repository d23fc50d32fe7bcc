//! The spanned YAML tree.

use std::borrow::Cow;

use detcat_model::Span;

/// One YAML node with the byte range it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: NodeValue,
    /// Byte range of the node in the text (quotes included for quoted scalars).
    pub span: Span,
    /// The scalar was quoted or a block scalar (`|`, `>`): it was never resolved to
    /// null/bool/number, so `'4688'` stays a string while `4688` is an integer.
    pub quoted: bool,
    /// For plain scalars resolved to null, a boolean or a number: the text as written
    /// (`0x10`, `~`, `1.50`), so callers can tell `0x10` from `16`.
    pub raw: Option<String>,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in insertion order; duplicate keys are kept (see [`Node::duplicate_keys`]).
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// Value of `key` in a mapping whose keys are scalars. With duplicate keys the *last*
    /// wins, as PyYAML (and so pySigma) reads them.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .rev()
            .find(|(k, _)| k.scalar_str().as_deref() == Some(key))
            .map(|(_, v)| v)
    }

    /// The string of a string scalar (quoted, block, or plain text that resolved to no other type).
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            NodeValue::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The text of a non-null scalar as written (`0x10` stays `0x10`, `True` stays `True`).
    pub fn scalar_text(&self) -> Option<String> {
        self.scalar_str().map(Cow::into_owned)
    }

    /// [`Node::scalar_text`] without a copy where the node holds the text (strings, and
    /// numbers and booleans as written): for comparing keys.
    pub fn scalar_str(&self) -> Option<Cow<'_, str>> {
        match &self.value {
            NodeValue::Str(s) => Some(Cow::Borrowed(s)),
            NodeValue::Int(_) | NodeValue::Float(_) | NodeValue::Bool(_) => Some(match &self.raw {
                Some(raw) => Cow::Borrowed(raw),
                None => Cow::Owned(self.value_text()),
            }),
            NodeValue::Null | NodeValue::Seq(_) | NodeValue::Map(_) => None,
        }
    }

    fn value_text(&self) -> String {
        match &self.value {
            NodeValue::Int(i) => i.to_string(),
            NodeValue::Float(f) => f.to_string(),
            NodeValue::Bool(b) => b.to_string(),
            _ => String::new(),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, NodeValue::Null)
    }

    /// Is this a scalar (not a sequence or mapping)?
    pub fn is_scalar(&self) -> bool {
        !matches!(self.value, NodeValue::Seq(_) | NodeValue::Map(_))
    }

    /// Keys of a mapping that repeat an earlier key (the later occurrences), for diagnostics.
    pub fn duplicate_keys(&self) -> Vec<&Node> {
        let Some(entries) = self.as_map() else {
            return Vec::new();
        };
        let mut seen = KeySet::for_entries(entries.len());
        entries
            .iter()
            .filter_map(|(k, _)| (!seen.first(k.scalar_str()?)).then_some(k))
            .collect()
    }
}

/// Mappings of up to this many entries find their repeated keys by comparing each key with the
/// ones met so far rather than through a hash set: a rule header's dozen keys were copied and
/// hashed, with the set set up, at ~9,000 instructions per mapping.
pub(crate) const FEW_KEYS: usize = 16;

/// The key texts of one mapping met so far (borrowed from its nodes where they hold them).
pub(crate) struct KeySet<'a> {
    few: Vec<Cow<'a, str>>,
    many: Option<std::collections::HashSet<Cow<'a, str>>>,
}

impl<'a> KeySet<'a> {
    /// For a mapping of `entries` entries.
    pub(crate) fn for_entries(entries: usize) -> Self {
        KeySet {
            few: Vec::new(),
            many: (entries > FEW_KEYS).then(std::collections::HashSet::new),
        }
    }

    /// Whether `key` is met for the first time (it is remembered).
    pub(crate) fn first(&mut self, key: Cow<'a, str>) -> bool {
        match &mut self.many {
            Some(many) => many.insert(key),
            None if self.few.contains(&key) => false,
            None => {
                self.few.push(key);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(value: NodeValue, raw: Option<&str>) -> Node {
        Node {
            value,
            span: Span::default(),
            quoted: false,
            raw: raw.map(str::to_owned),
        }
    }

    #[test]
    fn scalar_text_keeps_the_written_form() {
        assert_eq!(
            scalar(NodeValue::Int(16), Some("0x10"))
                .scalar_text()
                .as_deref(),
            Some("0x10")
        );
        assert_eq!(
            scalar(NodeValue::Int(16), None).scalar_text().as_deref(),
            Some("16")
        );
        assert_eq!(scalar(NodeValue::Null, Some("~")).scalar_text(), None);
    }

    #[test]
    fn get_takes_the_last_duplicate() {
        let k = |s: &str| scalar(NodeValue::Str(s.into()), None);
        let map = scalar(
            NodeValue::Map(vec![(k("a"), k("1")), (k("b"), k("2")), (k("a"), k("3"))]),
            None,
        );
        assert_eq!(map.get("a").and_then(Node::as_str), Some("3"));
        assert_eq!(map.duplicate_keys().len(), 1);
        assert!(map.get("zz").is_none());
    }

    #[test]
    fn repeated_keys_are_found_in_small_and_large_mappings() {
        // Up to `FEW_KEYS` entries keys are compared one by one, beyond through a hash set;
        // an integer key written `1` repeats the string key "1".
        let k = |s: &str| scalar(NodeValue::Str(s.into()), None);
        for keys in [2, FEW_KEYS - 2, FEW_KEYS - 1, 30] {
            let mut entries: Vec<(Node, Node)> =
                (0..keys).map(|i| (k(&format!("{i}")), k("v"))).collect();
            entries.push((k("0"), k("again")));
            entries.push((scalar(NodeValue::Int(1), Some("1")), k("again")));
            let map = scalar(NodeValue::Map(entries), None);
            let repeated: Vec<String> = map
                .duplicate_keys()
                .iter()
                .filter_map(|n| n.scalar_text())
                .collect();
            assert_eq!(repeated, ["0", "1"], "{keys} keys");
            assert_eq!(map.get("0").and_then(Node::as_str), Some("again"));
        }
    }
}

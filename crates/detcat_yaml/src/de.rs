//! Typed reading: serde over the spanned [`Node`] tree.
//!
//! Rule files deserialize into typed structs like any serde format, with three things YAML
//! rule files need:
//!
//! - [`Spanned<T>`] keeps the byte range of a value, for diagnostics and source slices;
//! - [`Checked<T>`] keeps a value *or* why it has the wrong type, with its span, so one bad
//!   key becomes a positioned diagnostic instead of failing the whole file or silently
//!   vanishing;
//! - a string is any scalar as written (`version: 3` → `"3"`, `0x10` stays `0x10`), a lone
//!   scalar or null reads as a list of one or none, and with duplicate keys the last wins
//!   (as [`Node::get`] and PyYAML read them).
//!
//! Structs read only from mappings; unknown keys are ignored (callers list them apart).
//!
//! ```
//! use detcat_yaml::{Checked, Limits, Spanned, from_node, parse_documents};
//!
//! #[derive(serde::Deserialize)]
//! struct Head {
//!     title: Option<Checked<String>>,
//!     tags: Option<Checked<Vec<Spanned<String>>>>,
//! }
//!
//! let docs = parse_documents("title: [a]\ntags: 0x10\n", &Limits::default()).unwrap();
//! let head: Head = from_node(&docs[0]).unwrap();
//! let title = head.title.unwrap();
//! assert!(title.value.is_err());
//! assert_eq!((title.span.start, title.span.end), (7, 10));
//! let tags = head.tags.unwrap().value.unwrap();
//! assert_eq!(tags[0].value, "0x10");
//! ```

use std::fmt;

use detcat_model::Span;
use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde::{Deserialize, forward_to_deserialize_any};

use crate::node::KeySet;
use crate::{Node, NodeValue};

/// The struct name by which [`Spanned`] and [`Checked`] ask this deserializer for a span.
const SPANNED: &str = "$detcat_yaml::Spanned";
const SPANNED_FIELDS: &[&str] = &["start", "end", "value"];

/// Why a node does not have the type asked for, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeError {
    pub message: String,
    /// The innermost node that failed; `None` for errors raised outside a node.
    pub span: Option<Span>,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.span {
            Some(s) => write!(f, "{} (at byte {})", self.message, s.start),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            message: msg.to_string(),
            span: None,
        }
    }
}

/// Deserializes a `T` from a node.
///
/// # Errors
/// A [`DeError`] with the span of the innermost node of the wrong type.
pub fn from_node<'de, T: Deserialize<'de>>(node: &'de Node) -> Result<T, DeError> {
    T::deserialize(NodeDe(node))
}

/// A value with the byte range of its node.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub span: Span,
    pub value: T,
}

/// A value or why its node has the wrong type (the serde message), with the node's span.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<T> {
    pub span: Span,
    pub value: Result<T, String>,
}

impl<T> Checked<T> {
    /// The value, or `None` after pushing `on_error(span)` for a wrong type.
    pub fn or_report<D>(self, out: &mut Vec<D>, on_error: impl FnOnce(Span) -> D) -> Option<T> {
        match self.value {
            Ok(v) => Some(v),
            Err(_) => {
                out.push(on_error(self.span));
                None
            }
        }
    }
}

/// The fields [`SpanAccess`] hands out, in order.
struct Parts<T> {
    start: u32,
    end: u32,
    value: T,
}

fn read_parts<'de, A, T>(mut map: A, keep_error: bool) -> Result<Parts<Result<T, String>>, A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de>,
{
    let mut start = None;
    let mut end = None;
    let mut value = None;
    while let Some(key) = map.next_key::<&str>()? {
        match key {
            "start" => start = Some(map.next_value()?),
            "end" => end = Some(map.next_value()?),
            _ => {
                value = Some(match map.next_value::<T>() {
                    Ok(v) => Ok(v),
                    Err(e) if keep_error => Err(e.to_string()),
                    Err(e) => return Err(e),
                })
            }
        }
    }
    match (start, end, value) {
        (Some(start), Some(end), Some(value)) => Ok(Parts { start, end, value }),
        _ => Err(de::Error::custom(
            "a spanned value needs the detcat_yaml deserializer",
        )),
    }
}

macro_rules! spanned_impl {
    ($ty:ident, $keep:expr, $wrap:expr) => {
        impl<'de, T: Deserialize<'de>> Deserialize<'de> for $ty<T> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V<T>(std::marker::PhantomData<T>);
                impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
                    type Value = $ty<T>;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a spanned value")
                    }
                    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<$ty<T>, A::Error> {
                        let p = read_parts::<A, T>(map, $keep)?;
                        let span = Span {
                            start: p.start,
                            end: p.end,
                        };
                        #[allow(clippy::redundant_closure_call)]
                        $wrap(span, p.value)
                    }
                }
                d.deserialize_struct(SPANNED, SPANNED_FIELDS, V(std::marker::PhantomData))
            }
        }
    };
}

spanned_impl!(Spanned, false, |span, value: Result<T, String>| {
    value
        .map(|value| Spanned { span, value })
        .map_err(de::Error::custom)
});
spanned_impl!(Checked, true, |span, value| Ok(Checked { span, value }));

/// The deserializer of one node.
#[derive(Clone, Copy)]
struct NodeDe<'a>(&'a Node);

impl NodeDe<'_> {
    fn kind(&self) -> de::Unexpected<'_> {
        match &self.0.value {
            NodeValue::Null => de::Unexpected::Unit,
            NodeValue::Bool(b) => de::Unexpected::Bool(*b),
            NodeValue::Int(i) => de::Unexpected::Signed(*i),
            NodeValue::Float(f) => de::Unexpected::Float(*f),
            NodeValue::Str(s) => de::Unexpected::Str(s),
            NodeValue::Seq(_) => de::Unexpected::Seq,
            NodeValue::Map(_) => de::Unexpected::Map,
        }
    }

    /// Gives errors without a span this node's span (the innermost node wins).
    fn at<T>(&self, r: Result<T, DeError>) -> Result<T, DeError> {
        r.map_err(|mut e| {
            e.span.get_or_insert(self.0.span);
            e
        })
    }
}

impl<'de> Deserializer<'de> for NodeDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.0.value {
            NodeValue::Null => visitor.visit_unit(),
            NodeValue::Bool(b) => visitor.visit_bool(*b),
            NodeValue::Int(i) => visitor.visit_i64(*i),
            NodeValue::Float(f) => visitor.visit_f64(*f),
            NodeValue::Str(s) => visitor.visit_borrowed_str(s),
            NodeValue::Seq(items) => visitor.visit_seq(Items(items.iter())),
            NodeValue::Map(entries) => visitor.visit_map(Entries::new(entries)),
        };
        self.at(r)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.0.is_null() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    /// Any scalar as written; a sequence or mapping is the wrong type.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.0.value {
            NodeValue::Str(s) => visitor.visit_borrowed_str(s),
            NodeValue::Seq(_) | NodeValue::Map(_) | NodeValue::Null => {
                Err(de::Error::invalid_type(self.kind(), &visitor))
            }
            _ => visitor.visit_string(self.0.scalar_text().unwrap_or_default()),
        };
        self.at(r)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    /// A sequence, or a lone scalar as a list of one, or null as an empty list.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.0.value {
            NodeValue::Seq(items) => visitor.visit_seq(Items(items.iter())),
            NodeValue::Null => visitor.visit_seq(Items([].iter())),
            NodeValue::Map(_) => Err(de::Error::invalid_type(self.kind(), &visitor)),
            _ => visitor.visit_seq(Items(std::slice::from_ref(self.0).iter())),
        };
        self.at(r)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        if name == SPANNED {
            return visitor.visit_map(SpanAccess {
                node: self.0,
                next: 0,
            });
        }
        self.deserialize_map(visitor)
    }

    /// Only a mapping (never a sequence read positionally).
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let r = match &self.0.value {
            NodeValue::Map(entries) => visitor.visit_map(Entries::new(entries)),
            _ => Err(de::Error::invalid_type(self.kind(), &visitor)),
        };
        self.at(r)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit
        unit_struct newtype_struct tuple tuple_struct enum
    }
}

struct Items<'a>(std::slice::Iter<'a, Node>);

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.0.next() {
            Some(node) => seed.deserialize(NodeDe(node)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// The entries of a mapping with scalar keys, the last of duplicate keys only.
struct Entries<'a> {
    entries: Vec<&'a (Node, Node)>,
    next: usize,
}

impl<'a> Entries<'a> {
    fn new(all: &'a [(Node, Node)]) -> Self {
        let mut entries: Vec<&(Node, Node)> = Vec::with_capacity(all.len());
        let mut seen = KeySet::for_entries(all.len());
        // From the end, each key the first time it is met there: the last of duplicates wins.
        for entry in all.iter().rev() {
            if entry.0.scalar_str().is_some_and(|key| seen.first(key)) {
                entries.push(entry);
            }
        }
        entries.reverse();
        Entries { entries, next: 0 }
    }

    fn entry(&self) -> Result<&'a (Node, Node), DeError> {
        self.entries
            .get(self.next)
            .copied()
            .ok_or_else(|| de::Error::custom("a value was asked for past the mapping's end"))
    }
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        if self.next >= self.entries.len() {
            return Ok(None);
        }
        let (key, _) = self.entry()?;
        seed.deserialize(NodeDe(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let (_, value) = self.entry()?;
        self.next += 1;
        seed.deserialize(NodeDe(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len().saturating_sub(self.next))
    }
}

/// `start`, `end`, then the node itself as `value`.
struct SpanAccess<'a> {
    node: &'a Node,
    next: usize,
}

impl<'de> MapAccess<'de> for SpanAccess<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match SPANNED_FIELDS.get(self.next) {
            Some(key) => seed
                .deserialize(de::value::BorrowedStrDeserializer::new(key))
                .map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let at = self.next;
        self.next += 1;
        match at {
            0 => seed.deserialize(self.node.span.start.into_deserializer()),
            1 => seed.deserialize(self.node.span.end.into_deserializer()),
            _ => seed.deserialize(NodeDe(self.node)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limits, parse_documents};

    fn doc(text: &str) -> Node {
        parse_documents(text, &Limits::default())
            .ok()
            .and_then(|d| d.into_iter().next())
            .unwrap_or(Node {
                value: NodeValue::Null,
                span: Span::default(),
                quoted: false,
                raw: None,
            })
    }

    #[derive(Debug, Deserialize)]
    struct Head {
        title: Option<Checked<String>>,
        #[serde(default)]
        tags: Vec<Option<Checked<String>>>,
        inner: Option<Checked<Inner>>,
    }

    #[derive(Debug, Deserialize)]
    struct Inner {
        a: Spanned<String>,
    }

    #[test]
    fn a_wrong_type_is_kept_with_its_span_and_the_rest_reads() {
        let d = doc("title: {x: 1}\ntags: [a, [b], ~, 3]\ninner: {a: v}\n");
        let h: Result<Head, _> = from_node(&d);
        let Ok(h) = h else {
            panic!("{h:?}");
        };
        let title = h.title.map(|t| (t.span, t.value.is_err()));
        assert_eq!(title, Some((Span::new(7, 13), true)));
        let tags: Vec<Option<Result<String, String>>> =
            h.tags.into_iter().map(|t| t.map(|c| c.value)).collect();
        assert!(matches!(tags[1], Some(Err(_))));
        assert_eq!(tags[0], Some(Ok("a".to_owned())));
        assert_eq!(tags[2], None);
        assert_eq!(tags[3], Some(Ok("3".to_owned())));
        let a = h.inner.and_then(|i| i.value.ok()).map(|i| i.a);
        assert_eq!(a.map(|a| a.span), Some(Span::new(46, 47)));
    }

    #[test]
    fn the_last_duplicate_key_wins_in_small_and_large_mappings_in_order() {
        /// A mapping's entries in the order the deserializer gives them.
        struct Pairs(Vec<(String, String)>);
        impl<'de> Deserialize<'de> for Pairs {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Pairs;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a mapping")
                    }
                    fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Pairs, M::Error> {
                        let mut out = Vec::new();
                        while let Some(entry) = m.next_entry::<String, String>()? {
                            out.push(entry);
                        }
                        Ok(Pairs(out))
                    }
                }
                d.deserialize_map(V)
            }
        }
        // Both ways of finding duplicates (compared one by one up to `FEW_KEYS`, hashed
        // beyond): the last value wins, each key once, in the order the kept entries appear.
        for keys in [3, crate::node::FEW_KEYS, crate::node::FEW_KEYS + 1, 40] {
            let mut text: String = (0..keys).map(|i| format!("k{i}: first{i}\n")).collect();
            text.push_str("k1: last\n2: number\n");
            let pairs = from_node::<Pairs>(&doc(&text))
                .map(|p| p.0)
                .unwrap_or_default();
            let mut expected: Vec<(String, String)> = (0..keys)
                .filter(|i| *i != 1)
                .map(|i| (format!("k{i}"), format!("first{i}")))
                .collect();
            expected.push(("k1".to_owned(), "last".to_owned()));
            expected.push(("2".to_owned(), "number".to_owned()));
            assert_eq!(pairs, expected, "{keys} keys");
        }
    }

    #[test]
    fn the_last_duplicate_key_wins_and_scalars_are_lists_of_one() {
        #[derive(Deserialize)]
        struct T {
            a: Vec<String>,
        }
        let t: Result<T, _> = from_node(&doc("a: 1\na: 0x10\n"));
        assert_eq!(t.map(|t| t.a).ok(), Some(vec!["0x10".to_owned()]));
    }

    #[test]
    fn a_struct_never_reads_from_a_sequence() {
        let e = from_node::<Inner>(&doc("[v]")).err();
        assert_eq!(e.and_then(|e| e.span), Some(Span::new(0, 3)));
    }

    #[test]
    fn spanned_outside_this_deserializer_is_an_error() {
        let r: Result<Spanned<String>, _> = serde_json_like();
        assert!(r.is_err());
    }

    fn serde_json_like() -> Result<Spanned<String>, de::value::Error> {
        Spanned::deserialize("x".into_deserializer())
    }
}

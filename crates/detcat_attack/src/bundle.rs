//! Splitting a bundle into per-object slices, keeping everything read before an error.
//!
//! The bundle is read with a hand-written visitor: the `objects` array is collected element by
//! element into a vector owned by the caller, so a truncated or corrupt file still yields every
//! object that was complete before the damage, and each object keeps its byte offset (its
//! `RawValue` is a slice of the input) for diagnostics.

use std::fmt;

use detcat_model::{Diagnostic, Span};
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::diagnostics;

/// What the top level of a bundle said, and its objects as JSON slices.
#[derive(Debug, Default)]
pub(crate) struct SplitBundle<'a> {
    pub kind: Option<String>,
    pub spec_version: Option<String>,
    /// Each object's JSON text, a slice of the input.
    pub objects: Vec<&'a str>,
}

/// Byte offset of `part` within `whole` (both from the same input string).
pub(crate) fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

/// The span of one object of the bundle.
pub(crate) fn span_of(whole: &str, raw: &RawValue) -> Span {
    span_of_text(whole, raw.get())
}

/// The span of `part`, a slice of `whole`.
pub(crate) fn span_of_text(whole: &str, part: &str) -> Span {
    let start = offset_in(whole, part);
    Span::new(start, start + part.len())
}

/// Byte offset of a serde_json error position (1-based line, byte column).
pub(crate) fn error_offset(text: &str, err: &serde_json::Error) -> usize {
    let line = err.line();
    if line == 0 || err.is_eof() {
        return text.len();
    }
    let mut start = 0usize;
    for _ in 1..line {
        match text.get(start..).and_then(|rest| rest.find('\n')) {
            Some(nl) => start += nl + 1,
            None => return text.len(),
        }
    }
    (start + err.column().saturating_sub(1)).min(text.len())
}

/// Split `text` into objects. Never fails: problems become diagnostics.
pub(crate) fn split<'a>(path: &str, text: &'a str, diags: &mut Vec<Diagnostic>) -> SplitBundle<'a> {
    let mut out = SplitBundle::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let result = BundleSeed { out: &mut out }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    if let Err(err) = result {
        let at = error_offset(text, &err);
        match err.classify() {
            serde_json::error::Category::Data => {
                diags.push(diagnostics::not_a_bundle(
                    path,
                    Some(Span::new(at, at)),
                    &err.to_string(),
                ));
            }
            _ => diags.push(diagnostics::invalid_json(path, at, out.objects.len(), &err)),
        }
    } else if out.kind.as_deref() != Some("bundle") {
        let found = out.kind.as_deref().unwrap_or("no `type`");
        diags.push(diagnostics::not_a_bundle(
            path,
            Some(Span::new(0, 0)),
            &format!("top-level type is `{found}`, expected `bundle`"),
        ));
    }
    out
}

struct BundleSeed<'s, 'a> {
    out: &'s mut SplitBundle<'a>,
}

impl<'de, 's> DeserializeSeed<'de> for BundleSeed<'s, 'de> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de, 's> Visitor<'de> for BundleSeed<'s, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a STIX bundle object")
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "objects" => map.next_value_seed(ObjectsSeed {
                    out: &mut self.out.objects,
                })?,
                // Read leniently: a non-string `type` is reported as "not a bundle" afterwards.
                "type" => {
                    self.out.kind = map
                        .next_value::<serde_json::Value>()?
                        .as_str()
                        .map(str::to_owned)
                }
                "spec_version" => {
                    self.out.spec_version = map
                        .next_value::<serde_json::Value>()?
                        .as_str()
                        .map(str::to_owned);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct ObjectsSeed<'s, 'a> {
    out: &'s mut Vec<&'a str>,
}

impl<'de, 's> DeserializeSeed<'de> for ObjectsSeed<'s, 'de> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_seq(self)
    }
}

impl<'de, 's> Visitor<'de> for ObjectsSeed<'s, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of STIX objects")
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        // Pushing into the caller's vector (not a local one) is what keeps the objects read
        // before an error: the `?` below returns early but the vector survives.
        while let Some(obj) = seq.next_element::<&'de RawValue>()? {
            self.out.push(obj.get());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> (usize, Vec<Diagnostic>) {
        let mut d = Vec::new();
        let b = split("attack/x.json", text, &mut d);
        (b.objects.len(), d)
    }

    #[test]
    fn splits_objects_with_offsets() {
        let text = r#"{"type":"bundle","id":"bundle--1","objects":[{"type":"a"}, {"type":"b"}]}"#;
        let mut d = Vec::new();
        let b = split("p", text, &mut d);
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(b.objects.len(), 2);
        let span = span_of_text(text, b.objects[1]);
        assert_eq!(
            &text[span.start as usize..span.end as usize],
            r#"{"type":"b"}"#
        );
    }

    #[test]
    fn truncated_bundle_keeps_complete_objects() {
        let (n, d) = run(r#"{"type":"bundle","objects":[{"type":"a"},{"type":"b"},{"ty"#);
        assert_eq!(n, 2);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].code, "attack::invalid-json");
        assert!(d[0].message.contains("truncated"), "{}", d[0].message);
    }

    #[test]
    fn syntax_error_points_at_its_offset() {
        let text = "{\"type\":\"bundle\",\n\"objects\":[{\"type\":\"a\"} x]}";
        let (n, d) = run(text);
        assert_eq!(n, 1);
        let at = d[0].span.map(|s| s.start as usize);
        assert_eq!(at, text.find(" x").map(|i| i + 1));
    }

    #[test]
    fn array_at_top_level_is_not_a_bundle() {
        let (n, d) = run("[1,2]");
        assert_eq!(n, 0);
        assert_eq!(d[0].code, "attack::not-a-bundle");
    }

    #[test]
    fn wrong_type_field_is_not_a_bundle() {
        let (_, d) = run(r#"{"type":"indicator","objects":[]}"#);
        assert_eq!(d[0].code, "attack::not-a-bundle");
        let (_, d) = run(r#"{"type":"bundle","objects":{}}"#);
        assert_eq!(d[0].code, "attack::not-a-bundle");
    }

    #[test]
    fn trailing_garbage_is_reported() {
        let (n, d) = run(r#"{"type":"bundle","objects":[]} {"#);
        assert_eq!(n, 0);
        assert_eq!(d[0].code, "attack::invalid-json");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!(
            r#"{{"type":"bundle","objects":[{}{}]}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        // The split keeps the element as one raw slice; the object read (with serde_json's
        // recursion limit) reports it later.
        let (n, d) = run(&deep);
        assert_eq!((n, d.len()), (1, 0), "{d:?}");
    }
}

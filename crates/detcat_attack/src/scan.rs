//! The objects of a well-formed bundle, found by a scan that does not validate them.
//!
//! [`crate::bundle::split`] reads the whole bundle with serde_json to cut it into objects,
//! validating every byte, and then each object is read again (`load_bundle`), validating
//! every byte a second time: on the 34 MB Enterprise bundle the first pass was a third of
//! the knowledge base's load. This scan only follows strings and brackets to find where each
//! object of `objects` starts and ends (strings by `memchr`), and leaves the validation to the
//! read of each object, which checks every byte of it anyway. It accepts only the plain shape
//! (`{… "type": "bundle", … "objects": [{…}, …] …}` and nothing after it): anything else, and
//! any object whose read then fails as JSON, sends the bundle back to the checked split,
//! whose diagnostics say what and where.

use memchr::memchr2;
use serde::de::IgnoredAny;

use crate::bundle::SplitBundle;

/// The bundle's objects as slices of `text`, or `None` when the checked split must decide.
pub(crate) fn objects(text: &str) -> Option<SplitBundle<'_>> {
    let mut scan = Scan {
        bytes: text.as_bytes(),
        at: 0,
    };
    let mut out = SplitBundle::default();
    let mut seen_objects = false;
    scan.expect(b'{')?;
    if scan.peek()? == b'}' {
        return None; // no `type`: the checked split reports it
    }
    loop {
        let key = scan.string(text)?;
        scan.expect(b':')?;
        match key {
            "objects" if !seen_objects => {
                seen_objects = true;
                scan.objects(text, &mut out.objects)?;
            }
            "type" if out.kind.is_none() => out.kind = Some(scan.string_value(text)?),
            "spec_version" if out.spec_version.is_none() => {
                out.spec_version = Some(scan.string_value(text)?);
            }
            // A repeated key is left to the checked split's rules.
            "objects" | "type" | "spec_version" => return None,
            _ => {
                // Not read, but checked: nothing else validates it.
                let value = scan.value(text)?;
                serde_json::from_str::<IgnoredAny>(value).ok()?;
            }
        }
        match scan.next()? {
            b',' => {}
            b'}' => break,
            _ => return None,
        }
    }
    scan.skip_space();
    let complete = scan.at == scan.bytes.len();
    (complete && seen_objects && out.kind.as_deref() == Some("bundle")).then_some(out)
}

/// Bytes that end a scalar (a number, `true`, `false`, `null`) or open or close a nesting.
fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b',' | b':' | b'{' | b'}' | b'[' | b']' | b'"' | b' ' | b'\n' | b'\r' | b'\t'
    )
}

struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Scan<'_> {
    fn skip_space(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte after white space, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.bytes.get(self.at).copied()
    }

    /// The next byte after white space, consumed.
    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        (self.next()? == b).then_some(())
    }

    /// Past the string whose opening quote is at `self.at`.
    fn skip_string(&mut self) -> Option<()> {
        self.at += 1;
        loop {
            let rest = self.bytes.get(self.at..)?;
            self.at += memchr2(b'"', b'\\', rest)?;
            if self.bytes.get(self.at) == Some(&b'"') {
                self.at += 1;
                return Some(());
            }
            self.at += 2; // a backslash and the byte it escapes
        }
    }

    /// A string key or value without escapes, as its text; `None` for anything else (keys
    /// with escapes are not the ones this scan looks for, and are left to the checked split).
    fn string<'t>(&mut self, text: &'t str) -> Option<&'t str> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.at + 1;
        self.skip_string()?;
        let inner = text.get(start..self.at - 1)?;
        (!inner.contains('\\')).then_some(inner)
    }

    /// A string value, decoded and checked.
    fn string_value(&mut self, text: &str) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.at;
        self.skip_string()?;
        serde_json::from_str(text.get(start..self.at)?).ok()
    }

    /// The text of the next value: a string (by `memchr`), a nesting (followed to its end
    /// byte by byte between strings, without recursion: brackets are counted, not matched —
    /// the read of an object finds a mismatch), or a scalar.
    fn value<'t>(&mut self, text: &'t str) -> Option<&'t str> {
        let start = match self.peek()? {
            b'"' => {
                let start = self.at;
                self.skip_string()?;
                return text.get(start..self.at);
            }
            b'{' | b'[' => self.at,
            b'}' | b']' | b',' | b':' => return None,
            _ => {
                let start = self.at;
                while self.bytes.get(self.at).is_some_and(|b| !is_delimiter(*b)) {
                    self.at += 1;
                }
                return text.get(start..self.at);
            }
        };
        let mut depth = 0usize;
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.skip_string()?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        self.at += 1;
                        return text.get(start..self.at);
                    }
                }
                _ => {}
            }
            self.at += 1;
        }
    }

    /// The elements of the `objects` array, each an object.
    fn objects<'t>(&mut self, text: &'t str, out: &mut Vec<&'t str>) -> Option<()> {
        self.expect(b'[')?;
        if self.peek()? == b']' {
            self.at += 1;
            return Some(());
        }
        loop {
            if self.peek()? != b'{' {
                return None;
            }
            out.push(self.value(text)?);
            match self.next()? {
                b',' => {}
                b']' => return Some(()),
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects_of(text: &str) -> Option<Vec<&str>> {
        objects(text).map(|b| b.objects)
    }

    #[test]
    fn finds_each_object_of_a_plain_bundle() {
        let text = r#" {"type": "bundle", "id": "bundle--1", "spec_version": "2.1",
            "objects": [ {"type": "a", "x": [1, {"y": "}]"}]},
            {"type":"b","s":"q\"uote\\"} ] }
        "#;
        let b = objects(text).expect("a plain bundle");
        assert_eq!(b.kind.as_deref(), Some("bundle"));
        assert_eq!(b.spec_version.as_deref(), Some("2.1"));
        assert_eq!(
            b.objects,
            [
                r#"{"type": "a", "x": [1, {"y": "}]"}]}"#,
                r#"{"type":"b","s":"q\"uote\\"}"#
            ]
        );
        assert_eq!(
            objects_of(r#"{"objects": [], "type": "bundle"}"#),
            Some(vec![])
        );
    }

    #[test]
    fn leaves_every_other_shape_to_the_checked_split() {
        for text in [
            "",
            "{}",
            "[]",
            r#"{"type": "bundle"}"#,
            r#"{"type": "indicator", "objects": []}"#,
            r#"{"type": 1, "objects": []}"#,
            r#"{"type": "bundle", "objects": {}}"#,
            r#"{"type": "bundle", "objects": [1]}"#,
            r#"{"type": "bundle", "objects": [{"a": 1} {"b": 2}]}"#,
            r#"{"type": "bundle", "objects": [{"a": 1},]}"#,
            r#"{"type": "bundle", "objects": [{"a": "unterminated}]}"#,
            r#"{"type": "bundle", "objects": [{"a": [1}]} x"#,
            r#"{"type": "bundle", "objects": [{"a": 1}]} {"#,
            r#"{"type": "bundle", "objects": [{"a": 1}]"#,
            r#"{"type": "bundle", "objects": [], "objects": []}"#,
            r#"{"type": "bundle", "type": "bundle", "objects": []}"#,
            r#"{"type": "bundle", "id": tru, "objects": []}"#,
            r#"{"type": "bundle", "n": 1 2, "objects": []}"#,
            r#"{"ty\u0070e": "bundle", "objects": []}"#,
            "\u{feff}{\"type\": \"bundle\", \"objects\": []}",
        ] {
            assert!(objects(text).is_none(), "{text}");
        }
    }

    #[test]
    fn deep_nesting_is_followed_without_recursion() {
        let deep = format!(
            r#"{{"type":"bundle","objects":[{{"a":{}{}}}]}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(objects_of(&deep).map(|o| o.len()), Some(1));
    }

    /// On every bundle of the real corpus the scan finds exactly the checked split's objects.
    #[test]
    fn finds_the_checked_splits_objects_in_the_corpus_bundles() {
        let Some(root) = std::env::var_os("DETCAT_CORPUS") else {
            eprintln!("note: DETCAT_CORPUS is unset; skipping the corpus bundles");
            return;
        };
        let dir = std::path::Path::new(&root).join("attack");
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("DETCAT_CORPUS has no readable attack/: {e}"));
        let mut bundles = 0;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let mut diags = Vec::new();
            let checked = crate::bundle::split("attack/x.json", &text, &mut diags);
            assert!(diags.is_empty(), "{}: {diags:?}", path.display());
            let scanned = objects(&text).unwrap_or_else(|| panic!("{}", path.display()));
            assert_eq!(scanned.kind, checked.kind);
            assert_eq!(scanned.spec_version, checked.spec_version);
            assert_eq!(scanned.objects.len(), checked.objects.len());
            // The same slices of the same text: same starts and lengths.
            let at = |o: &[&str]| -> Vec<(usize, usize)> {
                o.iter()
                    .map(|s| (crate::bundle::offset_in(&text, s), s.len()))
                    .collect()
            };
            assert_eq!(at(&scanned.objects), at(&checked.objects));
            bundles += 1;
        }
        assert!(bundles > 0, "no bundle in {}", dir.display());
    }

    #[test]
    fn truncated_input_is_never_read_past_its_end() {
        let text = r#"{"type": "bundle", "objects": [{"a": "b\\", "c": [{"d": 1}]}]}"#;
        for end in 0..text.len() {
            assert!(objects(&text[..end]).is_none(), "{}", &text[..end]);
        }
        assert!(objects(text).is_some());
    }
}

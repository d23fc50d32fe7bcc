//! Value encodings of the Sigma modifiers `wide`/`utf16le`/`utf16be`/`utf16`, `base64`,
//! `base64offset` and `windash`, computed as pySigma computes them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::value::{Part, SigmaString};

/// Characters a `windash` dash may stand for: `-`, `/`, en dash, em dash, horizontal bar.
const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// Text encodings applied before base64 (or on their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Utf16 {
    Le,
    Be,
    /// Little-endian with a byte-order mark.
    LeBom,
}

/// Encodes the literal parts of `s` as UTF-16; each resulting byte becomes one char
/// (U+0000–U+00FF), as pySigma's `encode("utf-16le").decode("utf-8")` does for ASCII text.
pub(crate) fn utf16(s: &SigmaString, enc: Utf16) -> SigmaString {
    let mut out = SigmaString::default();
    if enc == Utf16::LeBom {
        out.parts.push(Part::Lit("\u{feff}".to_owned()));
    }
    for part in &s.parts {
        match part {
            Part::Lit(text) => {
                let mut bytes = String::new();
                for unit in text.encode_utf16() {
                    let [a, b] = if enc == Utf16::Be {
                        unit.to_be_bytes()
                    } else {
                        unit.to_le_bytes()
                    };
                    bytes.push(char::from(a));
                    bytes.push(char::from(b));
                }
                out.parts.push(Part::Lit(bytes));
            }
            other => out.parts.push(other.clone()),
        }
    }
    out
}

/// The bytes a literal stands for: chars up to U+00FF after a UTF-16 step are bytes,
/// otherwise the UTF-8 encoding (pySigma's `bytes(val)`).
pub(crate) fn to_bytes(text: &str, byte_chars: bool) -> Vec<u8> {
    if byte_chars {
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .collect()
    } else {
        text.as_bytes().to_vec()
    }
}

pub(crate) fn base64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// The three encodings of `bytes` at offsets 0, 1 and 2 within a base64 stream, with the
/// characters that depend on the unknown neighbours cut off (pySigma's `base64offset`).
pub(crate) fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    // `None` = to the end; otherwise cut this many chars from the end.
    const END_CUT: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|i| {
            let mut padded = vec![b' '; i];
            padded.extend_from_slice(bytes);
            let encoded = STANDARD.encode(&padded);
            let cut = END_CUT.get((bytes.len() + i) % 3).copied().unwrap_or(0);
            let start = START.get(i).copied().unwrap_or(0);
            let end = encoded.len().saturating_sub(cut);
            encoded
                .get(start..end.max(start))
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// pySigma's `windash`: every `-` or `/` that follows a non-word character (or the start) and
/// precedes a word character becomes each of the five dash forms; the result is the cartesian
/// product. `None` when it would exceed `limit` variants.
pub(crate) fn windash(s: &SigmaString, limit: usize) -> Option<Vec<SigmaString>> {
    // Flatten to a char list where wildcards count as non-word characters.
    let mut chars: Vec<Option<char>> = Vec::new();
    for part in &s.parts {
        match part {
            Part::Lit(t) => chars.extend(t.chars().map(Some)),
            Part::AnyRun | Part::AnyChar => chars.push(None),
        }
    }
    let is_word =
        |c: Option<&Option<char>>| matches!(c, Some(Some(c)) if c.is_alphanumeric() || *c == '_');
    let mut positions = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        let before_ok = i == 0 || !is_word(chars.get(i.wrapping_sub(1)));
        if matches!(c, Some('-' | '/')) && before_ok && is_word(chars.get(i + 1)) {
            positions.push(i);
        }
    }
    let count = DASHES
        .len()
        .checked_pow(u32::try_from(positions.len()).ok()?)?;
    if count > limit {
        return None;
    }
    let mut variants = vec![s.clone()];
    if positions.is_empty() {
        return Some(variants);
    }
    variants.clear();
    for n in 0..count {
        let mut digits = n;
        let mut replaced = std::collections::HashMap::new();
        for &pos in &positions {
            replaced.insert(
                pos,
                DASHES.get(digits % DASHES.len()).copied().unwrap_or('-'),
            );
            digits /= DASHES.len();
        }
        let mut out = SigmaString::default();
        let mut idx = 0;
        for part in &s.parts {
            match part {
                Part::Lit(t) => {
                    let text: String = t
                        .chars()
                        .map(|c| {
                            let r = replaced.get(&idx).copied().unwrap_or(c);
                            idx += 1;
                            r
                        })
                        .collect();
                    out.parts.push(Part::Lit(text));
                }
                other => {
                    idx += 1;
                    out.parts.push(other.clone());
                }
            }
        }
        variants.push(out);
    }
    Some(variants)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64offset_matches_pysigma() {
        // Expected values computed with pySigma's slicing formula in Python.
        assert_eq!(base64_offsets(b"abc"), ["YWJj", "FiY", "hYm"]);
        assert_eq!(base64_offsets(b"ab"), ["YW", "Fi", "hY"]);
    }

    #[test]
    fn wide_then_base64() {
        let wide = utf16(&SigmaString::literal("ab"), Utf16::Le);
        assert_eq!(wide.literal_text(), "a\0b\0");
        assert_eq!(base64(&to_bytes(&wide.literal_text(), true)), "YQBiAA==");
        let be = utf16(&SigmaString::literal("a"), Utf16::Be);
        assert_eq!(be.literal_text(), "\0a");
    }

    #[test]
    fn windash_expands_leading_dashes_only() {
        let v = windash(&SigmaString::parse(" -enc-x"), 100).unwrap_or_default();
        let texts: Vec<String> = v.iter().map(SigmaString::literal_text).collect();
        assert_eq!(
            texts,
            [
                " -enc-x",
                " /enc-x",
                " \u{2013}enc-x",
                " \u{2014}enc-x",
                " \u{2015}enc-x"
            ]
        );
        let two = windash(&SigmaString::parse("-a -b"), 100).unwrap_or_default();
        assert_eq!(two.len(), 25);
        assert!(windash(&SigmaString::parse("-a -b -c -d"), 100).is_none());
    }
}

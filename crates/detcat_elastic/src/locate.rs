//! Where a TOML string value's content sits in its file, so query-relative spans can be made
//! file-relative.
//!
//! The rule structs deserialize through `#[serde(flatten)]`, which loses `toml::Spanned`
//! information, so the value is found instead: every line `key = <delimiter>` is tried and the
//! one whose content decodes to the deserialized value wins. Literal strings (`'''`, `'`) map
//! byte for byte; basic strings (`"""`, `"`) get an offset table through their escapes.

use detcat_model::Span;

/// The content of one string value in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// File offset of the content's first byte.
    pub base: usize,
    /// For basic strings with escapes: file offset of every decoded byte (plus one past the
    /// end); `None` when content and value are byte-identical.
    map: Option<Vec<usize>>,
}

impl Located {
    /// File offset of byte `offset` of the decoded value.
    pub fn to_file(&self, offset: usize) -> usize {
        match &self.map {
            None => self.base + offset,
            Some(map) => map.get(offset).or(map.last()).copied().unwrap_or(self.base),
        }
    }
}

/// Finds the string value `value` of `key` (a bare key at the start of a line) in `text`.
pub fn locate(text: &str, key: &str, value: &str) -> Option<Located> {
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let here = line_start;
        line_start += line.len();
        let Some(rest) = line.strip_prefix(key) else {
            continue;
        };
        let trimmed = rest.trim_start_matches([' ', '\t']);
        let Some(after_eq) = trimmed.strip_prefix('=') else {
            continue;
        };
        let after_ws = after_eq.trim_start_matches([' ', '\t']);
        let delim_at = here + (line.len() - after_ws.len());
        if let Some(found) = try_at(text, delim_at, value) {
            return Some(found);
        }
    }
    None
}

/// The line that starts with `key` (bare, then `=`) or with the table header `[[key]]` / `[key]`,
/// without its line break: where a diagnostic about that key points.
pub fn key_line(text: &str, key: &str) -> Option<Span> {
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let here = line_start;
        line_start += line.len();
        let body = line.trim_end_matches(['\r', '\n']);
        let is_key = body
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start_matches([' ', '\t']).starts_with('='));
        let header = body.trim_start_matches('[').trim_end_matches(']');
        if is_key || (body.starts_with('[') && header == key) {
            return Some(Span::new(here, here + body.len()));
        }
    }
    None
}

fn skip_newline(text: &str, pos: usize) -> usize {
    let rest = text.get(pos..).unwrap_or("");
    if rest.starts_with("\r\n") {
        pos + 2
    } else if rest.starts_with('\n') {
        pos + 1
    } else {
        pos
    }
}

fn try_at(text: &str, at: usize, value: &str) -> Option<Located> {
    let rest = text.get(at..)?;
    if rest.starts_with("'''") || (rest.starts_with('\'')) {
        let start = if rest.starts_with("'''") {
            skip_newline(text, at + 3)
        } else {
            at + 1
        };
        return (text.get(start..start + value.len())? == value).then_some(Located {
            base: start,
            map: None,
        });
    }
    let (multi, start) = if rest.starts_with("\"\"\"") {
        (true, skip_newline(text, at + 3))
    } else if rest.starts_with('"') {
        (false, at + 1)
    } else {
        return None;
    };
    if text.get(start..start + value.len()) == Some(value) && !value.contains(['\\', '"']) {
        return Some(Located {
            base: start,
            map: None,
        });
    }
    let (decoded, map) = decode_basic(text, start, multi)?;
    (decoded == value).then_some(Located {
        base: start,
        map: Some(map),
    })
}

/// Decodes a TOML basic string starting at `start` (after the delimiter), recording the file
/// offset of each decoded byte.
fn decode_basic(text: &str, start: usize, multi: bool) -> Option<(String, Vec<usize>)> {
    let mut out = String::new();
    let mut map = Vec::new();
    let mut pos = start;
    let push = |out: &mut String, map: &mut Vec<usize>, c: char, at: usize| {
        for _ in 0..c.len_utf8() {
            map.push(at);
        }
        out.push(c);
    };
    loop {
        let rest = text.get(pos..)?;
        let c = rest.chars().next()?;
        if multi && rest.starts_with("\"\"\"") || !multi && c == '"' {
            map.push(pos);
            return Some((out, map));
        }
        if c != '\\' {
            push(&mut out, &mut map, c, pos);
            pos += c.len_utf8();
            continue;
        }
        let n = rest.get(1..)?.chars().next()?;
        let simple = match n {
            'b' => Some('\u{8}'),
            't' => Some('\t'),
            'n' => Some('\n'),
            'f' => Some('\u{c}'),
            'r' => Some('\r'),
            'e' => Some('\u{1b}'),
            '"' => Some('"'),
            '\\' => Some('\\'),
            _ => None,
        };
        if let Some(ch) = simple {
            push(&mut out, &mut map, ch, pos);
            pos += 2;
        } else if n == 'u' || n == 'U' {
            let len = if n == 'u' { 4 } else { 8 };
            let hex = rest.get(2..2 + len)?;
            let ch = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
            push(&mut out, &mut map, ch, pos);
            pos += 2 + len;
        } else if multi && n.is_whitespace() {
            // Line-ending backslash: skip all whitespace and newlines that follow.
            pos += 1;
            while let Some(w) = text
                .get(pos..)
                .and_then(|s| s.chars().next())
                .filter(|w| w.is_whitespace())
            {
                pos += w.len_utf8();
            }
        } else {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_multiline_skips_the_first_newline() {
        let text = "[rule]\nquery = '''\nprocess where true\n'''\n";
        let loc = locate(text, "query", "process where true\n").expect("found");
        assert_eq!(&text[loc.to_file(0)..loc.to_file(7)], "process");
    }

    #[test]
    fn basic_strings_map_through_escapes() {
        let text = "query = \"\"\"\na : \\\"x\\\\y\\\" and b\n\"\"\"\n";
        let value = "a : \"x\\y\" and b\n";
        let loc = locate(text, "query", value).expect("found");
        let b = value.find(" b").expect("b") + 1;
        assert_eq!(&text[loc.to_file(b)..loc.to_file(b) + 1], "b");
    }

    #[test]
    fn other_keys_with_the_same_name_are_skipped() {
        let text = "[[transform.osquery]]\nquery = \"SELECT 1\"\n[rule]\nquery = 'x:1'\n";
        let loc = locate(text, "query", "x:1").expect("found");
        assert_eq!(loc.to_file(0), text.rfind("x:1").expect("x"));
        assert!(locate(text, "query", "nope").is_none());
    }
}

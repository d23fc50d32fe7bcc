//! The one wildcard syntax of [`crate::Operator::Wildcard`] values.
//!
//! `*` matches any run of characters, `?` any one character, and `\` escapes the next
//! character (`\*`, `\?`, `\\`); any other character is literal. Every vendor parser converts
//! its own pattern syntax into this one, so patterns compare equal across vendors.

/// One piece of a wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Literal(String),
    AnyRun,
    AnyChar,
}

/// Splits a pattern into literal runs and wildcards. A trailing lone `\` is a literal backslash.
///
/// The text between the special characters (`\`, `*`, `?`, all ASCII) is copied a run at a
/// time: every wildcard value of the corpus is split during the build, and a character at a
/// time this was a fifth of the value canonicalization's cost.
pub fn pieces(pattern: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = pattern;
    while let Some((before, special, after)) = next_special(rest) {
        lit.push_str(before);
        rest = after;
        match special {
            b'\\' => rest = push_escaped(&mut lit, rest),
            wildcard => {
                if !lit.is_empty() {
                    out.push(Piece::Literal(std::mem::take(&mut lit)));
                }
                out.push(if wildcard == b'*' {
                    Piece::AnyRun
                } else {
                    Piece::AnyChar
                });
            }
        }
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        out.push(Piece::Literal(lit));
    }
    out
}

/// The text before the first of the three ASCII bytes `\`, `*`, `?` in `s`, that byte, and
/// the text after it; `None` when `s` has none of them.
fn next_special(s: &str) -> Option<(&str, u8, &str)> {
    split_at_ascii(s, memchr::memchr3(b'\\', b'*', b'?', s.as_bytes())?)
}

/// `s` around its ASCII byte at `at`: the text before, the byte, the text after. An ASCII byte
/// is a character of its own, so both sides are whole characters.
fn split_at_ascii(s: &str, at: usize) -> Option<(&str, u8, &str)> {
    let (before, from) = s.split_at_checked(at)?;
    let byte = *from.as_bytes().first()?;
    let after = from.get(1..)?;
    Some((before, byte, after))
}

/// After a `\`: pushes the character it escapes (or the backslash itself, when it ends the
/// pattern) and returns the text after it.
fn push_escaped<'s>(out: &mut String, rest: &'s str) -> &'s str {
    let mut chars = rest.chars();
    match chars.next() {
        Some(c) => {
            out.push(c);
            chars.as_str()
        }
        None => {
            out.push('\\');
            rest
        }
    }
}

/// Escapes a literal string so it can stand inside a wildcard pattern.
pub fn escape(literal: &str) -> String {
    let mut out = String::with_capacity(literal.len());
    escape_into(&mut out, literal);
    out
}

/// [`escape`], appended to `out` (a pattern built from several literals).
pub fn escape_into(out: &mut String, literal: &str) {
    let mut rest = literal;
    while let Some((before, special, after)) = next_special(rest) {
        out.push_str(before);
        out.push('\\');
        out.push(char::from(special));
        rest = after;
    }
    out.push_str(rest);
}

/// The pattern as a rule author would type it: `*` and `?` are the wildcards, backslashes are
/// single (`*\\dllhost.exe` shows as `*\dllhost.exe`), and the rare literal `*` or `?` is
/// marked as a one-character class (`[*]`, `[?]`) rather than by a backslash, which in paths
/// would read as a separator.
///
/// One pass over the text, the same as [`render_display`] of [`pieces`] (without their
/// allocations: every wildcard value of the corpus is displayed during the build).
pub fn display(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(at) = memchr::memchr(b'\\', rest.as_bytes()) {
        let Some((before, _, after)) = split_at_ascii(rest, at) else {
            break;
        };
        out.push_str(before);
        rest = match after.as_bytes().first() {
            Some(b'*') => {
                out.push_str("[*]");
                after.get(1..).unwrap_or_default()
            }
            Some(b'?') => {
                out.push_str("[?]");
                after.get(1..).unwrap_or_default()
            }
            _ => push_escaped(&mut out, after),
        };
    }
    out.push_str(rest);
    out
}

/// [`display`] of pieces already split.
pub fn render_display(pieces: &[Piece]) -> String {
    let len = pieces
        .iter()
        .map(|p| match p {
            Piece::Literal(s) => s.len(),
            Piece::AnyRun | Piece::AnyChar => 1,
        })
        .sum();
    let mut out = String::with_capacity(len);
    for piece in pieces {
        match piece {
            Piece::AnyRun => out.push('*'),
            Piece::AnyChar => out.push('?'),
            Piece::Literal(s) => {
                let mut rest = s.as_str();
                while let Some(at) = memchr::memchr2(b'*', b'?', rest.as_bytes()) {
                    let Some((before, wildcard, after)) = split_at_ascii(rest, at) else {
                        break;
                    };
                    out.push_str(before);
                    out.push_str(if wildcard == b'*' { "[*]" } else { "[?]" });
                    rest = after;
                }
                out.push_str(rest);
            }
        }
    }
    out
}

/// The literal text of a pattern with no wildcard in it, or `None` when it has one.
pub fn as_literal(pattern: &str) -> Option<String> {
    match pieces(pattern).as_slice() {
        [] => Some(String::new()),
        [Piece::Literal(s)] => Some(s.clone()),
        _ => None,
    }
}

/// Does the pattern contain an unescaped `*` or `?`?
pub fn has_wildcards(pattern: &str) -> bool {
    pieces(pattern)
        .iter()
        .any(|p| !matches!(p, Piece::Literal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        for s in [r"C:\Windows\*.exe", "a?b", r"trailing\", ""] {
            assert_eq!(as_literal(&escape(s)).as_deref(), Some(s));
        }
    }

    #[test]
    fn display_has_single_backslashes_and_marks_literal_wildcards() {
        assert_eq!(display(r"*\\dllhost.exe"), r"*\dllhost.exe");
        assert_eq!(display(r"?:\\Windows\\*"), r"?:\Windows\*");
        assert_eq!(display(r"a\*b\?c*"), "a[*]b[?]c*");
        assert_eq!(display("end\\"), "end\\");
    }

    #[test]
    fn display_in_one_pass_matches_the_rendered_pieces() {
        for p in [
            r"*\\dllhost.exe",
            r"a\*b\?c*?",
            r"\\\*",
            r"\\\\*",
            "end\\",
            r"\q\\x",
            "ünï*cödé?",
            "",
            "**??",
        ] {
            assert_eq!(display(p), render_display(&pieces(p)), "{p}");
        }
    }

    /// The character-at-a-time definitions the run-at-a-time functions replaced.
    fn pieces_by_char(pattern: &str) -> Vec<Piece> {
        let mut out = Vec::new();
        let mut lit = String::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => lit.push(chars.next().unwrap_or('\\')),
                '*' => out.extend([Piece::Literal(std::mem::take(&mut lit)), Piece::AnyRun]),
                '?' => out.extend([Piece::Literal(std::mem::take(&mut lit)), Piece::AnyChar]),
                other => lit.push(other),
            }
        }
        out.push(Piece::Literal(lit));
        out.retain(|p| *p != Piece::Literal(String::new()));
        out
    }

    fn display_by_char(pattern: &str) -> String {
        let mut out = String::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next().unwrap_or('\\') {
                    '*' => out.push_str("[*]"),
                    '?' => out.push_str("[?]"),
                    other => out.push(other),
                },
                other => out.push(other),
            }
        }
        out
    }

    fn escape_by_char(literal: &str) -> String {
        let mut out = String::new();
        for c in literal.chars() {
            if matches!(c, '*' | '?' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out
    }

    #[test]
    fn runs_split_display_and_escape_as_character_by_character() {
        // Every string of up to five characters over an alphabet of the special characters,
        // plain ASCII and multi-byte characters (one after a backslash too).
        let alphabet = ['\\', '*', '?', 'a', 'é', '€', '[', ':'];
        let patterns = crate::exhaustive::strings(&alphabet, 5);
        assert!(patterns.len() > 37_000);
        for p in &patterns {
            assert_eq!(pieces(p), pieces_by_char(p), "{p:?}");
            assert_eq!(display(p), display_by_char(p), "{p:?}");
            assert_eq!(render_display(&pieces(p)), display(p), "{p:?}");
            assert_eq!(escape(p), escape_by_char(p), "{p:?}");
        }
    }

    #[test]
    fn splits_wildcards() {
        assert_eq!(
            pieces(r"*\regsvr32.exe"),
            vec![Piece::AnyRun, Piece::Literal("regsvr32.exe".into())],
            "a backslash escapes the next character"
        );
        assert_eq!(
            pieces(r"a\*b?"),
            vec![Piece::Literal("a*b".into()), Piece::AnyChar]
        );
        assert!(has_wildcards("x*"));
        assert!(!has_wildcards(r"x\*"));
        assert_eq!(pieces("end\\"), vec![Piece::Literal("end\\".into())]);
    }
}

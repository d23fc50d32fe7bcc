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
pub fn pieces(pattern: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => lit.push(chars.next().unwrap_or('\\')),
            '*' | '?' => {
                if !lit.is_empty() {
                    out.push(Piece::Literal(std::mem::take(&mut lit)));
                }
                out.push(if c == '*' {
                    Piece::AnyRun
                } else {
                    Piece::AnyChar
                });
            }
            other => lit.push(other),
        }
    }
    if !lit.is_empty() {
        out.push(Piece::Literal(lit));
    }
    out
}

/// Escapes a literal string so it can stand inside a wildcard pattern.
pub fn escape(literal: &str) -> String {
    let mut out = String::with_capacity(literal.len());
    for c in literal.chars() {
        if matches!(c, '*' | '?' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
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

/// [`display`] of pieces already split.
pub fn render_display(pieces: &[Piece]) -> String {
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::AnyRun => out.push('*'),
            Piece::AnyChar => out.push('?'),
            Piece::Literal(s) => {
                for c in s.chars() {
                    match c {
                        '*' => out.push_str("[*]"),
                        '?' => out.push_str("[?]"),
                        other => out.push(other),
                    }
                }
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

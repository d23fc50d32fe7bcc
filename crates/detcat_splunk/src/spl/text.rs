//! Unescaping SPL strings into literal text and into the model's wildcard syntax.

use detcat_model::wildcard;

/// A search-syntax value (quotes already removed) in the model's wildcard syntax, and whether it
/// held a wildcard.
///
/// Splunk search escapes are `\\` (a backslash) and `\"` (a quote). The `*` is always a
/// wildcard — Splunk cannot escape it — so `\*` is a backslash followed by a wildcard, and any
/// other backslash is literal (`C:\Windows` keeps its backslash). `?` is literal in Splunk.
/// An unquoted term may hold an escaped space (`*System\ Volume*`): the lexer keeps it in the
/// word and here it is a plain space.
pub fn search_pattern(raw: &str) -> (String, bool) {
    let mut out = String::with_capacity(raw.len() + 4);
    let mut wild = false;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some('\\') | Some('"') => {
                    if let Some(next) = chars.next() {
                        out.push_str(&wildcard::escape(&next.to_string()));
                    }
                }
                Some(' ') => {
                    chars.next();
                    out.push(' ');
                }
                _ => out.push_str("\\\\"),
            },
            '*' => {
                wild = true;
                out.push('*');
            }
            '?' => out.push_str("\\?"),
            other => out.push(other),
        }
    }
    (out, wild)
}

/// An eval string literal's text (quotes already removed): `\\` and `\"` are escapes, every
/// other backslash is literal (so regular expressions keep their `\d`, `\.`).
pub fn eval_string(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && matches!(chars.peek(), Some('\\') | Some('"')) {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A SQL `LIKE` pattern (`%` any run, `_` any one character) in the model's wildcard syntax.
pub fn like_pattern(literal: &str) -> String {
    let mut out = String::with_capacity(literal.len() + 4);
    for c in literal.chars() {
        match c {
            '%' => out.push('*'),
            '_' => out.push('?'),
            other => out.push_str(&wildcard::escape(&other.to_string())),
        }
    }
    out
}

/// The inside of a quoted token (`"abc"` → `abc`); unterminated quotes are tolerated.
pub fn unquote(token: &str, quote: char) -> &str {
    let inner = token.strip_prefix(quote).unwrap_or(token);
    match inner.strip_suffix(quote) {
        // The closing quote counts unless an odd run of backslashes escapes it.
        Some(body) if body.chars().rev().take_while(|c| *c == '\\').count() % 2 == 0 => body,
        _ => inner,
    }
}

/// A field or option name written bare or quoted.
pub fn name_text(token: &str) -> String {
    if token.starts_with('"') {
        eval_string(unquote(token, '"'))
    } else if token.starts_with('\'') {
        eval_string(unquote(token, '\''))
    } else {
        token.to_owned()
    }
}

/// Named capture groups of a regular expression (`(?<name>…)`, `(?P<name>…)`).
pub fn capture_groups(regex: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = regex;
    while let Some(i) = rest.find("(?") {
        rest = &rest[i + 2..];
        let after = rest.strip_prefix('P').unwrap_or(rest);
        if let Some(named) = after.strip_prefix('<') {
            if named.starts_with('=') || named.starts_with('!') {
                continue; // look-behind, not a group name
            }
            if let Some(end) = named.find('>') {
                out.push(named[..end].to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_values_keep_backslashes_and_stars() {
        assert_eq!(
            search_pattern(r"*\\passff.tar"),
            (r"*\\passff.tar".to_owned(), true)
        );
        assert_eq!(
            search_pattern(r"C:\Windows\*"),
            (r"C:\\Windows\\*".to_owned(), true)
        );
        assert_eq!(
            search_pattern(r#"say \"hi\""#),
            (r#"say "hi""#.to_owned(), false)
        );
        assert_eq!(search_pattern("a?b"), (r"a\?b".to_owned(), false));
        // Regression (cd6297cd): `\ ` is an escaped space, not a literal backslash.
        assert_eq!(
            search_pattern(r"*System\ Volume"),
            ("*System Volume".to_owned(), true)
        );
        assert_eq!(search_pattern("end\\"), (r"end\\".to_owned(), false));
    }

    #[test]
    fn eval_strings_and_like_patterns() {
        assert_eq!(eval_string(r"\\Temp\\ \d"), r"\Temp\ \d");
        assert_eq!(like_pattern(r"%\Temp\_x%"), r"*\\Temp\\?x*");
        assert_eq!(like_pattern("50*"), r"50\*");
    }

    #[test]
    fn unquote_and_names() {
        assert_eq!(unquote("\"abc\"", '"'), "abc");
        assert_eq!(unquote("\"abc", '"'), "abc");
        assert_eq!(unquote("\"a\\\"", '"'), "a\\\"");
        assert_eq!(name_text("'my field'"), "my field");
    }

    #[test]
    fn capture_group_names() {
        assert_eq!(
            capture_groups(r"(?<user>\w+)@(?P<domain>[^ ]+)(?<=x)(?:y)"),
            vec!["user", "domain"]
        );
    }
}

//! Sigma string values: wildcards, escapes, and their conversion into the model's wildcard
//! syntax.
//!
//! Sigma: `*` and `?` are wildcards; `\*`, `\?` and `\\` are escapes for the literal
//! characters; a backslash before any other character (or at the end) is a literal backslash.

use detcat_model::{Operator, Value, wildcard};

/// One piece of a Sigma string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    Lit(String),
    AnyRun,
    AnyChar,
}

/// A Sigma string value as a sequence of literal runs and wildcards.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SigmaString {
    pub(crate) parts: Vec<Part>,
}

impl SigmaString {
    /// Parses a value as written in a rule (after YAML unquoting): `*` and `?` are
    /// wildcards, `\\*`, `\\?` and `\\\\` their literal characters, and any other backslash
    /// is itself. The runs between those characters are copied whole (a value is mostly
    /// one run; built a character at a time, this was ~3% of a Sigma build's instructions).
    pub(crate) fn parse(text: &str) -> Self {
        let mut s = SigmaString::default();
        let mut rest = text;
        while let Some(at) = memchr::memchr3(b'\\', b'*', b'?', rest.as_bytes()) {
            let (run, special) = rest.split_at(at);
            s.push_str(run);
            // `special` starts with one of the three (ASCII, one byte each).
            let after = |n: usize| special.get(n..).unwrap_or("");
            rest = match special.as_bytes() {
                [b'*', ..] => {
                    s.parts.push(Part::AnyRun);
                    after(1)
                }
                [b'?', ..] => {
                    s.parts.push(Part::AnyChar);
                    after(1)
                }
                [_, b'*' | b'?' | b'\\', ..] => {
                    s.push_str(special.get(1..2).unwrap_or(""));
                    after(2)
                }
                _ => {
                    s.push_str("\\");
                    after(1)
                }
            };
        }
        s.push_str(rest);
        s
    }

    /// A literal string with no wildcards at all (an encoded value, a number's text).
    pub(crate) fn literal(text: &str) -> Self {
        let mut s = SigmaString::default();
        if !text.is_empty() {
            s.parts.push(Part::Lit(text.to_owned()));
        }
        s
    }

    fn push_str(&mut self, run: &str) {
        if run.is_empty() {
            return;
        }
        if let Some(Part::Lit(last)) = self.parts.last_mut() {
            last.push_str(run);
        } else {
            self.parts.push(Part::Lit(run.to_owned()));
        }
    }

    pub(crate) fn has_wildcards(&self) -> bool {
        self.parts.iter().any(|p| !matches!(p, Part::Lit(_)))
    }

    pub(crate) fn starts_with_any(&self) -> bool {
        matches!(self.parts.first(), Some(Part::AnyRun))
    }

    pub(crate) fn ends_with_any(&self) -> bool {
        matches!(self.parts.last(), Some(Part::AnyRun))
    }

    /// The concatenated literal text (wildcards ignored): for values known to have none.
    pub(crate) fn literal_text(&self) -> String {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Lit(s) => Some(s.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Operator and value in the model: `Eq` with the plain text when there is no wildcard,
    /// otherwise `Wildcard` with the pattern in [`detcat_model::wildcard`] syntax.
    pub(crate) fn to_model(&self) -> (Operator, Value) {
        if !self.has_wildcards() {
            return (Operator::Eq, Value::Str(self.literal_text()));
        }
        // Room for the text and a wildcard per part; only a literal `*`, `?` or `\` grows it.
        let len = self
            .parts
            .iter()
            .map(|p| match p {
                Part::Lit(s) => s.len(),
                Part::AnyRun | Part::AnyChar => 1,
            })
            .sum();
        let mut pattern = String::with_capacity(len);
        for part in &self.parts {
            match part {
                Part::Lit(s) => wildcard::escape_into(&mut pattern, s),
                Part::AnyRun => pattern.push('*'),
                Part::AnyChar => pattern.push('?'),
            }
        }
        (Operator::Wildcard, Value::Str(pattern))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> (Operator, String) {
        let (op, v) = SigmaString::parse(text).to_model();
        (op, v.to_text())
    }

    /// The character-by-character reading the run-copying `parse` replaced, as the reference.
    fn parse_by_char(text: &str) -> SigmaString {
        let mut s = SigmaString::default();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let literal = match c {
                '\\' => match chars.peek() {
                    Some(&next @ ('*' | '?' | '\\')) => {
                        chars.next();
                        next
                    }
                    _ => '\\',
                },
                '*' => {
                    s.parts.push(Part::AnyRun);
                    continue;
                }
                '?' => {
                    s.parts.push(Part::AnyChar);
                    continue;
                }
                other => other,
            };
            s.push_str(literal.encode_utf8(&mut [0; 4]));
        }
        s
    }

    #[test]
    fn parses_every_short_string_as_read_character_by_character() {
        let alphabet = ['a', 'é', '\\', '*', '?', '€'];
        let texts = detcat_model::exhaustive::strings(&alphabet, 5);
        assert!(texts.len() > 9_000);
        for text in &texts {
            assert_eq!(SigmaString::parse(text), parse_by_char(text), "{text:?}");
        }
    }

    #[test]
    fn plain_values_are_literal_eq() {
        assert_eq!(
            model(r"C:\Windows\System32\cmd.exe"),
            (Operator::Eq, r"C:\Windows\System32\cmd.exe".into())
        );
        assert_eq!(model(""), (Operator::Eq, String::new()));
    }

    #[test]
    fn wildcard_values_escape_literal_backslashes() {
        assert_eq!(
            model(r"*\cmd.exe"),
            (Operator::Wildcard, r"*\\cmd.exe".into())
        );
        assert_eq!(
            model("http://x/?a=1"),
            (Operator::Wildcard, "http://x/?a=1".into())
        );
    }

    #[test]
    fn escapes_follow_sigma_rules() {
        // `\\\\*\\*\\*` as read from YAML: two literal backslashes, *, \, *, \, *
        assert_eq!(
            model(r"cmd.exe /Q /c * 1> \\\\*\\*\\* 2>&1"),
            (
                Operator::Wildcard,
                r"cmd.exe /Q /c * 1> \\\\*\\*\\* 2>&1".into()
            )
        );
        assert_eq!(model(r"a\*b"), (Operator::Eq, "a*b".into()));
        assert_eq!(model(r"a\?b"), (Operator::Eq, "a?b".into()));
        assert_eq!(model(r"a\\b"), (Operator::Eq, r"a\b".into()));
        assert_eq!(
            model(r"a\nb"),
            (Operator::Eq, r"a\nb".into()),
            "backslash before another char is literal"
        );
    }

    #[test]
    fn lone_trailing_backslash_is_literal() {
        assert_eq!(model(r"\Temp\"), (Operator::Eq, r"\Temp\".into()));
        assert_eq!(model(r"*\Temp\"), (Operator::Wildcard, r"*\\Temp\\".into()));
    }
}

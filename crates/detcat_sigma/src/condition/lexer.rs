//! Tokens of the Sigma condition language.

use detcat_model::Span;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    And,
    Or,
    Not,
    Of,
    Them,
    All,
    Any,
    By,
    LParen,
    RParen,
    Pipe,
    Comma,
    /// `>`, `>=`, `<`, `<=`, `=`, `==`, `!=`.
    Cmp(String),
    Number(f64),
    /// A search identifier or pattern (`selection`, `filter_*`), or a function name.
    Ident(String),
    /// A character that can start no token.
    Unknown(char),
}

/// Splits a condition into tokens with byte spans. Never fails: stray characters become
/// [`Tok::Unknown`] for the parser to report.
pub(crate) fn lex(text: &str) -> Vec<(Tok, Span)> {
    let mut out = Vec::new();
    let mut iter = text.char_indices().peekable();
    while let Some((start, c)) = iter.next() {
        let (tok, len) = match c {
            c if c.is_whitespace() => continue,
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '|' => (Tok::Pipe, 1),
            ',' => (Tok::Comma, 1),
            '>' | '<' | '=' | '!' => {
                let mut op = c.to_string();
                if let Some(&(_, '=')) = iter.peek() {
                    iter.next();
                    op.push('=');
                }
                let len = op.len();
                (
                    if op == "!" {
                        Tok::Unknown('!')
                    } else {
                        Tok::Cmp(op)
                    },
                    len,
                )
            }
            _ => {
                let mut end = start + c.len_utf8();
                while let Some(&(i, n)) = iter.peek() {
                    if n.is_whitespace() || "()|,<>=!".contains(n) {
                        break;
                    }
                    end = i + n.len_utf8();
                    iter.next();
                }
                let word = text.get(start..end).unwrap_or_default();
                out.push((word_token(word), Span::new(start, end)));
                continue;
            }
        };
        out.push((tok, Span::new(start, start + len)));
    }
    out
}

fn word_token(word: &str) -> Tok {
    match word.to_ascii_lowercase().as_str() {
        "and" => Tok::And,
        "or" => Tok::Or,
        "not" => Tok::Not,
        "of" => Tok::Of,
        "them" => Tok::Them,
        "all" => Tok::All,
        "any" => Tok::Any,
        "by" => Tok::By,
        _ => match word.parse::<f64>() {
            Ok(n) if word.bytes().all(|b| b.is_ascii_digit() || b == b'.') => Tok::Number(n),
            _ => Tok::Ident(word.to_owned()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        lex(text).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn words_and_punctuation() {
        assert_eq!(
            toks("sel and not (1 of filter_*)"),
            [
                Tok::Ident("sel".into()),
                Tok::And,
                Tok::Not,
                Tok::LParen,
                Tok::Number(1.0),
                Tok::Of,
                Tok::Ident("filter_*".into()),
                Tok::RParen
            ]
        );
    }

    #[test]
    fn aggregation_tail_and_spans() {
        let t = lex("sel | count(x) by y >= 10");
        assert_eq!(
            t.iter().map(|(t, _)| t.clone()).collect::<Vec<_>>()[7..],
            [
                Tok::Ident("y".into()),
                Tok::Cmp(">=".into()),
                Tok::Number(10.0)
            ]
        );
        assert_eq!(t.get(8).map(|(_, s)| (s.start, s.end)), Some((20, 22)));
        assert_eq!(t.first().map(|(_, s)| (s.start, s.end)), Some((0, 3)));
    }

    #[test]
    fn keywords_are_case_insensitive() {
        assert_eq!(
            toks("A AND B"),
            [Tok::Ident("A".into()), Tok::And, Tok::Ident("B".into())]
        );
    }
}

//! KQL / Lucene tokens. KQL's unquoted values may hold spaces (`message:null pointer` is one
//! value) until a keyword or a special character; Lucene ends a term at whitespace.

use detcat_model::{Span, wildcard};

use crate::diagnostics::{self, Lang, QueryDiag};

#[derive(Debug, Clone, PartialEq)]
pub enum KTok {
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Colon,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Not,
    /// Lucene `+` (required clause).
    Plus,
    /// Lucene `to` in `[a TO b]`.
    To,
    /// `"…"`: escapes resolved; never a wildcard.
    Quoted(String),
    /// An unquoted term: `text` with escapes resolved, `pattern` in model wildcard syntax
    /// (unescaped `*`, and `?` in Lucene, are wildcards).
    Term {
        text: String,
        pattern: String,
        wild: bool,
    },
    /// Lucene `/regex/`.
    Regex(String),
    Eof,
}

impl KTok {
    pub fn describe(&self) -> String {
        match self {
            KTok::Quoted(s) => format!("{s:?}"),
            KTok::Term { text, .. } => format!("`{text}`"),
            KTok::Regex(r) => format!("/{r}/"),
            KTok::Eof => "end of query".into(),
            other => format!("{other:?}").to_lowercase(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct KToken {
    pub tok: KTok,
    pub span: Span,
}

fn is_special(c: char, lang: Lang) -> bool {
    match lang {
        Lang::Lucene => {
            matches!(c, '(' | ')' | '{' | '}' | '[' | ']' | ':' | '"' | '^' | '~')
                || c.is_whitespace()
        }
        _ => matches!(c, '(' | ')' | '{' | '}' | ':' | '<' | '>' | '"'),
    }
}

pub fn lex(src: &str, lang: Lang) -> (Vec<KToken>, Vec<QueryDiag>) {
    let mut out = Vec::new();
    let mut diags = Vec::new();
    let mut pos = 0;
    while let Some(c) = src.get(pos..).and_then(|s| s.chars().next()) {
        let start = pos;
        let rest = src.get(pos..).unwrap_or("");
        let simple = match c {
            '(' => Some((KTok::LParen, 1)),
            ')' => Some((KTok::RParen, 1)),
            '{' => Some((KTok::LBrace, 1)),
            '}' => Some((KTok::RBrace, 1)),
            ':' => Some((KTok::Colon, 1)),
            '[' if lang == Lang::Lucene => Some((KTok::LBracket, 1)),
            ']' if lang == Lang::Lucene => Some((KTok::RBracket, 1)),
            '+' if lang == Lang::Lucene => Some((KTok::Plus, 1)),
            '-' | '!' if lang == Lang::Lucene && !rest.starts_with("!=") => Some((KTok::Not, 1)),
            '&' if lang == Lang::Lucene && rest.starts_with("&&") => Some((KTok::And, 2)),
            '|' if lang == Lang::Lucene && rest.starts_with("||") => Some((KTok::Or, 2)),
            '<' if rest.starts_with("<=") => Some((KTok::Le, 2)),
            '>' if rest.starts_with(">=") => Some((KTok::Ge, 2)),
            '<' => Some((KTok::Lt, 1)),
            '>' => Some((KTok::Gt, 1)),
            _ => None,
        };
        if c.is_whitespace() {
            pos += c.len_utf8();
        } else if let Some((tok, len)) = simple {
            pos += len;
            out.push(KToken {
                tok,
                span: Span::new(start, pos),
            });
        } else if c == '"' || (c == '/' && lang == Lang::Lucene) {
            // A quoted string, or a Lucene `/regex/`: both run to their closing delimiter.
            let (value, end, closed) = if c == '"' {
                quoted(src, pos + 1, lang)
            } else {
                regex(src, pos + 1)
            };
            if !closed {
                diags.push(diagnostics::unterminated_string(
                    lang,
                    Span::new(start, end),
                ));
            }
            pos = end;
            out.push(KToken {
                tok: if c == '"' {
                    KTok::Quoted(value)
                } else {
                    KTok::Regex(value)
                },
                span: Span::new(start, pos),
            });
        } else if let Some((tok, len)) = keyword(rest, lang) {
            pos += len;
            out.push(KToken {
                tok,
                span: Span::new(start, pos),
            });
        } else {
            let (tok, end) = term(src, pos, lang);
            // A lone special character of the other dialect: skip it rather than loop.
            pos = if end == pos { pos + c.len_utf8() } else { end };
            out.push(KToken {
                tok,
                span: Span::new(start, pos),
            });
        }
    }
    out.push(KToken {
        tok: KTok::Eof,
        span: Span::new(src.len(), src.len()),
    });
    (out, diags)
}

/// `and` / `or` / `not` (any case) standing as a word at the start of `rest`.
fn keyword(rest: &str, lang: Lang) -> Option<(KTok, usize)> {
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let tok = match word.to_ascii_lowercase().as_str() {
        "and" => KTok::And,
        "or" => KTok::Or,
        "not" => KTok::Not,
        "to" if lang == Lang::Lucene && word == "TO" => KTok::To,
        _ => return None,
    };
    let after = rest.get(word.len()..).and_then(|s| s.chars().next());
    match after {
        Some(c) if c.is_whitespace() || c == '(' || c == '"' => Some((tok, word.len())),
        None if tok != KTok::Not => Some((tok, word.len())),
        _ => None,
    }
}

/// A quoted string from just after its opening quote: `(value, end, closed)`.
///
/// KQL follows Kibana's grammar (`QuotedCharacter` in kuery.peg, the same in detection-rules'
/// kql.g): `\t` `\r` `\n` are whitespace, `\uXXXX` a code point, `\\` and `\"` the character;
/// any other backslash is an ordinary character and stays (`"C:\Windows"` is `C:\Windows`).
/// Lucene's query-string syntax lets a backslash escape any character.
fn quoted(src: &str, mut pos: usize, lang: Lang) -> (String, usize, bool) {
    let mut value = String::new();
    let body = src.get(pos..).unwrap_or("");
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        pos += c.len_utf8();
        if c == '"' {
            return (value, pos, true);
        }
        if c != '\\' {
            value.push(c);
            continue;
        }
        let Some(&(_, n)) = chars.peek() else {
            value.push('\\');
            continue;
        };
        let kql = lang == Lang::Kql;
        let decoded = match n {
            't' if kql => Some('\t'),
            'r' if kql => Some('\r'),
            'n' if kql => Some('\n'),
            '\\' | '"' => Some(n),
            'u' if kql => body.get(i + 2..i + 6).and_then(kibana_unicode),
            _ if !kql => Some(n),
            _ => None,
        };
        match decoded {
            Some(d) => {
                let used = if n == 'u' { 5 } else { 1 };
                for _ in 0..used {
                    if let Some((_, skipped)) = chars.next() {
                        pos += skipped.len_utf8();
                    }
                }
                value.push(d);
            }
            None => value.push('\\'),
        }
    }
    (value, pos, false)
}

/// Kibana's `\uXXXX`: exactly four hex digits.
fn kibana_unicode(hex: &str) -> Option<char> {
    if hex.len() != 4 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
}

fn regex(src: &str, mut pos: usize) -> (String, usize, bool) {
    let mut value = String::new();
    let mut chars = src.get(pos..).unwrap_or("").chars();
    while let Some(c) = chars.next() {
        pos += c.len_utf8();
        match c {
            '/' => return (value, pos, true),
            '\\' => {
                if let Some(n) = chars.next() {
                    pos += n.len_utf8();
                    if n != '/' {
                        value.push('\\');
                    }
                    value.push(n);
                }
            }
            other => value.push(other),
        }
    }
    (value, pos, false)
}

/// An unquoted term from `start`; in KQL inner whitespace is kept unless a keyword or a
/// special character follows it.
fn term(src: &str, start: usize, lang: Lang) -> (KTok, usize) {
    let mut text = String::new();
    let mut pattern = String::new();
    let mut wild = false;
    let mut pos = start;
    let mut end = start;
    while let Some(c) = src.get(pos..).and_then(|s| s.chars().next()) {
        if c == '\\' {
            let n = src.get(pos + 1..).and_then(|s| s.chars().next());
            pos += 1;
            if let Some(n) = n {
                pos += n.len_utf8();
                text.push(n);
                pattern.push_str(&wildcard::escape(&n.to_string()));
            } else {
                text.push('\\');
                pattern.push_str("\\\\");
            }
            end = pos;
            continue;
        }
        if c.is_whitespace() && lang != Lang::Lucene {
            let rest = src.get(pos..).unwrap_or("");
            let trimmed = rest.trim_start();
            let next = trimmed.chars().next();
            let stop = match next {
                None => true,
                Some(n) => is_special(n, lang) || keyword(trimmed, lang).is_some(),
            };
            if stop {
                break;
            }
            let ws = rest.len() - trimmed.len();
            text.push(' ');
            pattern.push(' ');
            pos += ws;
            continue;
        }
        if is_special(c, lang) || (lang == Lang::Lucene && pos > start && matches!(c, '[' | ']')) {
            break;
        }
        pos += c.len_utf8();
        end = pos;
        match c {
            '*' => {
                wild = true;
                pattern.push('*');
            }
            '?' if lang == Lang::Lucene => {
                wild = true;
                pattern.push('?');
            }
            other => pattern.push_str(&wildcard::escape(&other.to_string())),
        }
        text.push(c);
    }
    (
        KTok::Term {
            text: text.trim_end().to_owned(),
            pattern: pattern.trim_end().to_owned(),
            wild,
        },
        end,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<KTok> {
        lex(src, Lang::Kql).0.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn unquoted_values_keep_inner_spaces_until_a_keyword() {
        let t = toks("message:null pointer and x:1");
        assert!(matches!(&t[2], KTok::Term { text, .. } if text == "null pointer"));
        assert_eq!(t[3], KTok::And);
    }

    #[test]
    fn escapes_make_literals() {
        let t = toks(r"path:C\:\\Temp\\\*x*");
        let KTok::Term {
            text,
            pattern,
            wild,
        } = &t[2]
        else {
            panic!("term")
        };
        assert_eq!(text, r"C:\Temp\*x*");
        assert_eq!(pattern, r"C:\\Temp\\\*x*");
        assert!(wild);
    }

    fn quoted_value(src: &str, lang: Lang) -> String {
        match lex(src, lang).0.into_iter().next().map(|t| t.tok) {
            Some(KTok::Quoted(v)) => v,
            other => panic!("quoted string expected, got {other:?}"),
        }
    }

    #[test]
    fn kql_quoted_backslash_stays_unless_it_escapes() {
        // Regression (rule 208dbe77): the backslashes of a Windows path were dropped.
        assert_eq!(
            quoted_value(r#""C:\Windows\System32\wbem\WmiPrvSE.exe""#, Lang::Kql),
            r"C:\Windows\System32\wbem\WmiPrvSE.exe"
        );
        assert_eq!(
            quoted_value(r#""a\\b\"c\td\u0041\u00G1""#, Lang::Kql),
            "a\\b\"c\tdA\\u00G1"
        );
        assert_eq!(quoted_value(r#""trailing\"#, Lang::Kql), "trailing\\");
    }

    #[test]
    fn lucene_quoted_backslash_escapes_any_character() {
        assert_eq!(quoted_value(r#""a\:b\\c""#, Lang::Lucene), r"a:b\c");
    }

    #[test]
    fn keywords_are_case_insensitive_words() {
        assert_eq!(toks("a:b OR not c:d")[3], KTok::Or);
        assert!(matches!(&toks("a:orange")[2], KTok::Term { text, .. } if text == "orange"));
    }
}

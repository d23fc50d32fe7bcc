//! The lexer shared by EQL and ES|QL: both are C-like expression languages with the same
//! literals, comments and punctuation; keywords (`where`, `and`, `like`, …) stay identifiers
//! and the parsers decide what they mean.

use detcat_model::Span;

use crate::diagnostics::{self, Lang, QueryDiag};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A field or keyword; backtick segments are unquoted (``a.`0`.b`` → `a.0.b`).
    Ident(String),
    /// EQL optional field `?process.name`.
    OptIdent(String),
    /// A string literal, escapes resolved. `raw` for `"""…"""` (no escapes).
    Str {
        value: String,
        raw: bool,
    },
    Int(i64),
    Float(f64),
    /// A number directly followed by letters: EQL `maxspan=5m`.
    Duration(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Pipe,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Colon,
    ColonColon,
    Assign,
    Tilde,
    Bang,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    /// Any other character (reported by the parser where it stands).
    Other(char),
    Eof,
}

impl Tok {
    /// How the token reads in a diagnostic.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::OptIdent(s) => format!("`?{s}`"),
            Tok::Str { value, .. } => format!("string {value:?}"),
            Tok::Int(i) => i.to_string(),
            Tok::Float(f) => f.to_string(),
            Tok::Duration(d) => d.clone(),
            Tok::Eof => "end of query".to_owned(),
            Tok::Other(c) => format!("`{c}`"),
            other => format!("`{}`", punct_text(other)),
        }
    }

    /// Is this the identifier `word` (ASCII case-insensitive)?
    pub fn is_word(&self, word: &str) -> bool {
        matches!(self, Tok::Ident(s) if s.eq_ignore_ascii_case(word))
    }
}

fn punct_text(t: &Tok) -> &'static str {
    match t {
        Tok::LParen => "(",
        Tok::RParen => ")",
        Tok::LBracket => "[",
        Tok::RBracket => "]",
        Tok::Comma => ",",
        Tok::Pipe => "|",
        Tok::EqEq => "==",
        Tok::Ne => "!=",
        Tok::Lt => "<",
        Tok::Le => "<=",
        Tok::Gt => ">",
        Tok::Ge => ">=",
        Tok::Colon => ":",
        Tok::ColonColon => "::",
        Tok::Assign => "=",
        Tok::Tilde => "~",
        Tok::Bang => "!",
        Tok::Plus => "+",
        Tok::Minus => "-",
        Tok::Star => "*",
        Tok::Slash => "/",
        Tok::Percent => "%",
        _ => "?",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

/// Splits `src` into tokens (always ending with [`Tok::Eof`]) plus lexical diagnostics.
pub fn lex(src: &str, lang: Lang) -> (Vec<Token>, Vec<QueryDiag>) {
    let mut lx = Lexer {
        src,
        pos: 0,
        lang,
        out: Vec::new(),
        diags: Vec::new(),
    };
    lx.run();
    (lx.out, lx.diags)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    lang: Lang,
    out: Vec<Token>,
    diags: Vec<QueryDiag>,
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == '@'
}

fn is_ident_continue(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '@'
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.src.get(self.pos..).and_then(|s| s.chars().nth(n))
    }

    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn push(&mut self, tok: Tok, start: usize) {
        self.out.push(Token {
            tok,
            span: Span::new(start, self.pos),
        });
    }

    fn run(&mut self) {
        while let Some(c) = self.peek() {
            let start = self.pos;
            if c.is_whitespace() {
                self.bump();
            } else if self.rest().starts_with("//") {
                let end = self
                    .rest()
                    .find('\n')
                    .map_or(self.src.len(), |i| self.pos + i);
                self.pos = end;
            } else if self.rest().starts_with("/*") {
                let end = self
                    .rest()
                    .get(2..)
                    .and_then(|r| r.find("*/"))
                    .map_or(self.src.len(), |i| self.pos + i + 4);
                self.pos = end;
            } else if self.rest().starts_with("\"\"\"") {
                self.raw_string(start);
            } else if c == '"' || (c == '\'' && self.lang == Lang::Eql) {
                self.bump();
                self.string(c, start);
            } else if c == '?' && self.peek_at(1) == Some('"') && self.lang == Lang::Eql {
                // Legacy EQL raw string `?"C:\path"`: only `\"` is an escape (python `eql`).
                self.bump();
                self.bump();
                self.legacy_raw_string(start);
            } else if c == '?'
                && self
                    .peek_at(1)
                    .is_some_and(|n| is_ident_start(n) || n == '`')
            {
                self.bump();
                let name = self.ident();
                self.push(Tok::OptIdent(name), start);
            } else if is_ident_start(c) || c == '`' {
                let name = self.ident();
                self.push(Tok::Ident(name), start);
            } else if c.is_ascii_digit() {
                self.number(start);
            } else {
                self.punct(c, start);
            }
        }
        let end = self.src.len();
        self.out.push(Token {
            tok: Tok::Eof,
            span: Span::new(end, end),
        });
    }

    fn unterminated(&mut self, start: usize) {
        self.diags.push(diagnostics::unterminated_string(
            self.lang,
            Span::new(start, self.src.len()),
        ));
        let value = self.src.get(start..).unwrap_or("").to_owned();
        self.pos = self.src.len();
        self.push(Tok::Str { value, raw: true }, start);
    }

    /// Dotted name whose segments are plain or backtick-quoted (`` `a``b` `` is a backtick).
    fn ident(&mut self) -> String {
        let mut name = String::new();
        loop {
            match self.peek() {
                Some('`') => {
                    self.bump();
                    loop {
                        match self.bump() {
                            Some('`') if self.peek() == Some('`') => {
                                self.bump();
                                name.push('`');
                            }
                            Some('`') | None => break,
                            Some(ch) => name.push(ch),
                        }
                    }
                }
                _ => {
                    while let Some(ch) = self.peek().filter(|c| is_ident_continue(*c)) {
                        self.bump();
                        name.push(ch);
                    }
                }
            }
            // A dot continues the name when a segment follows (`Esql.*` leaves `*` to the parser).
            let next_is_segment = self
                .peek_at(1)
                .is_some_and(|n| is_ident_continue(n) || n == '`');
            if self.peek() == Some('.') && next_is_segment {
                self.bump();
                name.push('.');
            } else {
                break;
            }
        }
        name
    }

    fn number(&mut self, start: usize) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        let mut float = false;
        if self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) {
            float = true;
            self.bump();
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
        }
        if matches!(self.peek(), Some('e' | 'E'))
            && self
                .peek_at(1)
                .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '+')
        {
            float = true;
            self.bump();
            self.bump();
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.bump();
            }
        }
        if self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            while self.peek().is_some_and(|c| c.is_ascii_alphanumeric()) {
                self.bump();
            }
            let text = self.src.get(start..self.pos).unwrap_or("").to_owned();
            self.push(Tok::Duration(text), start);
            return;
        }
        let text = self.src.get(start..self.pos).unwrap_or("");
        let tok = if float {
            text.parse().map(Tok::Float).ok()
        } else {
            text.parse()
                .map(Tok::Int)
                .ok()
                .or_else(|| text.parse().map(Tok::Float).ok())
        };
        let tok = tok.unwrap_or_else(|| {
            self.diags.push(diagnostics::bad_number(
                self.lang,
                text,
                Span::new(start, self.pos),
            ));
            Tok::Str {
                value: text.to_owned(),
                raw: true,
            }
        });
        self.push(tok, start);
    }

    fn legacy_raw_string(&mut self, start: usize) {
        let mut value = String::new();
        loop {
            match self.bump() {
                None => return self.unterminated(start),
                Some('"') => break,
                Some('\\') if self.peek() == Some('"') => {
                    self.bump();
                    value.push('"');
                }
                Some(c) => value.push(c),
            }
        }
        self.push(Tok::Str { value, raw: true }, start);
    }

    fn raw_string(&mut self, start: usize) {
        self.pos += 3;
        let body_start = self.pos;
        match self.rest().find("\"\"\"") {
            Some(i) => {
                // `""""x""""`: extra closing quotes belong to the value.
                let mut end = self.pos + i;
                while self.src.get(end + 3..end + 4) == Some("\"") {
                    end += 1;
                }
                let value = self.src.get(body_start..end).unwrap_or("").to_owned();
                self.pos = end + 3;
                self.push(Tok::Str { value, raw: true }, start);
            }
            None => self.unterminated(start),
        }
    }

    fn string(&mut self, quote: char, start: usize) {
        let mut value = String::new();
        loop {
            let esc_start = self.pos;
            match self.bump() {
                None => return self.unterminated(start),
                Some(c) if c == quote => break,
                Some('\\') => match self.bump() {
                    Some('n') => value.push('\n'),
                    Some('t') => value.push('\t'),
                    Some('r') => value.push('\r'),
                    Some('0') => value.push('\0'),
                    Some('b') => value.push('\u{8}'),
                    Some('f') => value.push('\u{c}'),
                    Some(c @ ('"' | '\'' | '\\' | '`')) => value.push(c),
                    Some('u') => self.unicode_escape(esc_start, &mut value),
                    Some(other) => {
                        let what = format!("\\{other}");
                        self.diags.push(diagnostics::bad_escape(
                            self.lang,
                            &what,
                            Span::new(esc_start, self.pos),
                        ));
                        value.push('\\');
                        value.push(other);
                    }
                    None => return self.unterminated(start),
                },
                Some(c) => value.push(c),
            }
        }
        self.push(Tok::Str { value, raw: false }, start);
    }

    /// `\u{202E}` (EQL) or `\u202E` (ES|QL); a bad one is kept literally with a warning.
    fn unicode_escape(&mut self, esc_start: usize, value: &mut String) {
        let braced = self.peek() == Some('{');
        let digits: String = if braced {
            self.bump();
            let d: String = self
                .rest()
                .chars()
                .take_while(char::is_ascii_hexdigit)
                .take(8)
                .collect();
            self.pos += d.len();
            if self.peek() == Some('}') {
                self.bump();
            }
            d
        } else {
            let d: String = self
                .rest()
                .chars()
                .take_while(char::is_ascii_hexdigit)
                .take(4)
                .collect();
            self.pos += d.len();
            d
        };
        match u32::from_str_radix(&digits, 16)
            .ok()
            .and_then(char::from_u32)
        {
            Some(c) => value.push(c),
            None => {
                let raw = self.src.get(esc_start..self.pos).unwrap_or("\\u");
                self.diags.push(diagnostics::bad_escape(
                    self.lang,
                    raw,
                    Span::new(esc_start, self.pos),
                ));
                value.push_str(raw);
            }
        }
    }

    fn punct(&mut self, c: char, start: usize) {
        let two = self.rest().get(..2).unwrap_or("");
        let tok = match two {
            "==" => Some(Tok::EqEq),
            "!=" => Some(Tok::Ne),
            "<=" => Some(Tok::Le),
            ">=" => Some(Tok::Ge),
            "::" => Some(Tok::ColonColon),
            _ => None,
        };
        if let Some(tok) = tok {
            self.pos += 2;
            return self.push(tok, start);
        }
        self.bump();
        let tok = match c {
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            '[' => Tok::LBracket,
            ']' => Tok::RBracket,
            ',' => Tok::Comma,
            '|' => Tok::Pipe,
            '<' => Tok::Lt,
            '>' => Tok::Gt,
            ':' => Tok::Colon,
            '=' => Tok::Assign,
            '~' => Tok::Tilde,
            '!' => Tok::Bang,
            '+' => Tok::Plus,
            '-' => Tok::Minus,
            '*' => Tok::Star,
            '/' => Tok::Slash,
            '%' => Tok::Percent,
            other => Tok::Other(other),
        };
        self.push(tok, start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src, Lang::Eql).0.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn backtick_segments_join_into_one_name() {
        assert_eq!(
            toks("target_resources.`0`.display_name")[0],
            Tok::Ident("target_resources.0.display_name".into())
        );
    }

    #[test]
    fn unicode_and_quote_escapes() {
        assert_eq!(
            toks(r#""*\u{202E}*""#)[0],
            Tok::Str {
                value: "*\u{202E}*".into(),
                raw: false
            }
        );
        assert_eq!(
            toks(r#""a\"b\\c""#)[0],
            Tok::Str {
                value: "a\"b\\c".into(),
                raw: false
            }
        );
    }

    #[test]
    fn raw_strings_keep_backslashes() {
        assert_eq!(
            toks(r#""""C:\Windows\*""""#)[0],
            Tok::Str {
                value: r"C:\Windows\*".into(),
                raw: true
            }
        );
    }

    #[test]
    fn legacy_raw_string_unescapes_only_the_quote() {
        assert_eq!(
            toks(r#"?"C:\x\"y\n""#)[0],
            Tok::Str {
                value: r#"C:\x"y\n"#.into(),
                raw: true
            }
        );
    }

    #[test]
    fn comments_are_skipped() {
        assert_eq!(
            toks("a // x\n /* y\n z */ b"),
            vec![Tok::Ident("a".into()), Tok::Ident("b".into()), Tok::Eof]
        );
    }

    #[test]
    fn optional_field_duration_and_operators() {
        assert_eq!(
            toks("?p.name == 5m != <= like~"),
            vec![
                Tok::OptIdent("p.name".into()),
                Tok::EqEq,
                Tok::Duration("5m".into()),
                Tok::Ne,
                Tok::Le,
                Tok::Ident("like".into()),
                Tok::Tilde,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn unterminated_string_is_reported() {
        let (t, d) = lex("\"abc", Lang::Eql);
        assert_eq!(d.len(), 1);
        assert!(matches!(t[0].tok, Tok::Str { .. }));
    }

    #[test]
    fn bad_escape_is_kept_with_warning() {
        let (t, d) = lex(r#""a\qb""#, Lang::Eql);
        assert_eq!(
            t[0].tok,
            Tok::Str {
                value: r"a\qb".into(),
                raw: false
            }
        );
        assert_eq!(d[0].code, "eql::bad-escape");
    }
}

//! The SPL lexer: one command's text into tokens, in *search* or *eval* mode.
//!
//! SPL has two expression languages. Search syntax (`search`, the first command, the `where` of
//! `tstats`) reads `C:\Windows\*` or `*-enc*` as one word, while eval syntax (`where`, `eval`)
//! reads `a-b` as a subtraction. Both share quoting, subsearch brackets, leftover macro
//! backticks and triple-backtick comments, so one lexer serves both with a [`Mode`].

use detcat_model::Span;

/// Which expression language the text is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Search,
    Eval,
}

/// The kind of a token. Text is not stored: tokens borrow it from the source by span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    LParen,
    RParen,
    Comma,
    /// `=` (search and eval) — `==` is [`Tok::EqEq`].
    Eq,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// Eval arithmetic / concatenation operators.
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Dot,
    /// A double-quoted string, quotes included in the span.
    Quoted,
    /// A search word, or in eval mode an identifier (a field or function name).
    Word,
    /// An eval-mode single-quoted field name, quotes included.
    FieldQuoted,
    /// An eval-mode number.
    Number,
    /// `[ … ]`, brackets included.
    Subsearch,
    /// A `` `macro` `` the expander left in place (unknown), backticks included.
    Macro,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
    /// Whitespace (or a comment) precedes the token: `a=b` vs `a= b` matters for values.
    pub spaced: bool,
}

/// A problem found while lexing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexError {
    UnterminatedString(Span),
    UnterminatedBracket(Span),
    UnterminatedMacro(Span),
    Unexpected(Span),
}

/// Tokens of `text[range]`, spans relative to `text`.
pub fn lex(text: &str, start: usize, end: usize, mode: Mode) -> (Vec<Token>, Vec<LexError>) {
    let mut lx = Lexer {
        bytes: text.as_bytes(),
        pos: start,
        end: end.min(text.len()),
        mode,
        tokens: Vec::new(),
        errors: Vec::new(),
    };
    lx.run();
    (lx.tokens, lx.errors)
}

struct Lexer<'a> {
    bytes: &'a [u8],
    pos: usize,
    end: usize,
    mode: Mode,
    tokens: Vec<Token>,
    errors: Vec<LexError>,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        let i = self.pos + ahead;
        if i < self.end {
            self.bytes.get(i).copied()
        } else {
            None
        }
    }

    fn run(&mut self) {
        let mut spaced = true;
        while self.pos < self.end {
            let Some(c) = self.peek(0) else { break };
            if c.is_ascii_whitespace() {
                self.pos += 1;
                spaced = true;
                continue;
            }
            if c == b'`' && self.peek(1) == Some(b'`') && self.peek(2) == Some(b'`') {
                self.pos = skip_comment(self.bytes, self.pos, self.end);
                spaced = true;
                continue;
            }
            let start = self.pos;
            let tok = self.next_token(c);
            if let Some(tok) = tok {
                self.tokens.push(Token {
                    tok,
                    span: Span::new(start, self.pos),
                    spaced,
                });
            }
            spaced = false;
        }
    }

    fn next_token(&mut self, c: u8) -> Option<Tok> {
        let two = self.peek(1);
        let (tok, len) = match (c, two) {
            (b'(', _) => (Tok::LParen, 1),
            (b')', _) => (Tok::RParen, 1),
            (b',', _) => (Tok::Comma, 1),
            (b'=', Some(b'=')) => (Tok::EqEq, 2),
            (b'=', _) => (Tok::Eq, 1),
            (b'!', Some(b'=')) => (Tok::Ne, 2),
            (b'<', Some(b'=')) => (Tok::Le, 2),
            (b'<', Some(b'>')) => (Tok::Ne, 2),
            (b'<', _) => (Tok::Lt, 1),
            (b'>', Some(b'=')) => (Tok::Ge, 2),
            (b'>', _) => (Tok::Gt, 1),
            (b'"', _) => return Some(self.quoted(b'"', Tok::Quoted)),
            (b'[', _) => return Some(self.bracket()),
            (b'`', _) => return Some(self.backtick()),
            _ if self.mode == Mode::Eval => return self.eval_token(c),
            _ => return Some(self.search_word()),
        };
        self.pos += len;
        Some(tok)
    }

    fn eval_token(&mut self, c: u8) -> Option<Tok> {
        let simple = match c {
            b'+' => Some(Tok::Plus),
            b'-' => Some(Tok::Minus),
            b'*' => Some(Tok::Star),
            b'/' => Some(Tok::Slash),
            b'%' => Some(Tok::Percent),
            b'.' if !self.peek(1).is_some_and(|d| d.is_ascii_digit()) => Some(Tok::Dot),
            _ => None,
        };
        if let Some(tok) = simple {
            self.pos += 1;
            return Some(tok);
        }
        if c == b'\'' {
            return Some(self.quoted(b'\'', Tok::FieldQuoted));
        }
        if c.is_ascii_digit() || c == b'.' {
            self.number();
            return Some(Tok::Number);
        }
        if is_ident_byte(c) {
            let start = self.pos;
            while self.peek(0).is_some_and(is_ident_byte) {
                self.pos += 1;
            }
            // `field."suffix"`: a trailing dot is the concatenation operator, not the name's.
            while self.pos > start + 1 && self.bytes.get(self.pos - 1) == Some(&b'.') {
                self.pos -= 1;
            }
            return Some(Tok::Word);
        }
        // Anything else (`$`, `&`, non-ASCII…) is one character of an unexpected word.
        let start = self.pos;
        self.pos += utf8_len(c);
        self.errors
            .push(LexError::Unexpected(Span::new(start, self.pos)));
        Some(Tok::Word)
    }

    fn number(&mut self) {
        while self
            .peek(0)
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'.')
        {
            // `1e-5`: a sign right after an exponent belongs to the number.
            if matches!(self.peek(0), Some(b'e' | b'E'))
                && matches!(self.peek(1), Some(b'-' | b'+'))
            {
                self.pos += 1;
            }
            self.pos += 1;
        }
    }

    fn search_word(&mut self) -> Tok {
        let start = self.pos;
        while let Some(b) = self.peek(0) {
            match b {
                b'\\' => {
                    self.pos += if self.peek(1).is_some_and(|n| n.is_ascii()) {
                        2
                    } else {
                        1
                    }
                }
                b'!' if self.peek(1) == Some(b'=') => break,
                b'(' | b')' | b'"' | b'=' | b'<' | b'>' | b',' | b'[' | b']' | b'`' => break,
                _ if b.is_ascii_whitespace() => break,
                _ => self.pos += 1,
            }
        }
        if self.pos == start {
            // A stray `]` (the only breaker with no token of its own): one character of a word.
            self.pos += 1;
            self.errors
                .push(LexError::Unexpected(Span::new(start, self.pos)));
        }
        self.pos = self.pos.min(self.end);
        Tok::Word
    }

    fn quoted(&mut self, quote: u8, tok: Tok) -> Tok {
        let start = self.pos;
        self.pos += 1;
        while let Some(b) = self.peek(0) {
            if b == b'\\' {
                self.pos += if self.peek(1).is_some() { 2 } else { 1 };
                continue;
            }
            self.pos += 1;
            if b == quote {
                return tok;
            }
        }
        self.pos = self.end;
        self.errors
            .push(LexError::UnterminatedString(Span::new(start, self.end)));
        tok
    }

    fn bracket(&mut self) -> Tok {
        let start = self.pos;
        match match_bracket(self.bytes, self.pos, self.end) {
            Some(close) => self.pos = close + 1,
            None => {
                self.errors
                    .push(LexError::UnterminatedBracket(Span::new(start, self.end)));
                self.pos = self.end;
            }
        }
        Tok::Subsearch
    }

    fn backtick(&mut self) -> Tok {
        let start = self.pos;
        let rest = self.bytes.get(start + 1..self.end).unwrap_or_default();
        match rest.iter().position(|b| *b == b'`') {
            Some(i) => self.pos = start + 1 + i + 1,
            None => {
                self.errors
                    .push(LexError::UnterminatedMacro(Span::new(start, self.end)));
                self.pos = self.end;
            }
        }
        Tok::Macro
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(b, b'_' | b'.' | b':' | b'{' | b'}' | b'@' | b'$')
        || b >= 0x80
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// End of a ```` ``` comment ``` ```` starting at `pos` (or `end` when unterminated).
pub fn skip_comment(bytes: &[u8], pos: usize, end: usize) -> usize {
    let mut i = pos + 3;
    while i + 2 < end.min(bytes.len()) {
        if bytes.get(i..i + 3) == Some(b"```") {
            return i + 3;
        }
        i += 1;
    }
    end
}

/// Index of the `]` closing the `[` at `open`, skipping quoted strings, macros, comments and
/// nested brackets.
pub fn match_bracket(bytes: &[u8], open: usize, end: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    let end = end.min(bytes.len());
    while i < end {
        if let Some(next) = skip_literal(bytes, i, end) {
            i = next;
            continue;
        }
        match bytes.get(i).copied()? {
            b'[' => {
                depth += 1;
                i += 1;
            }
            b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

/// Past the escape pair, double-quoted string or ```` ``` comment ``` ```` starting at `i` —
/// what the scanners for pipes, brackets and macro calls step over whole — or `None` when
/// none starts there.
pub fn skip_literal(bytes: &[u8], i: usize, end: usize) -> Option<usize> {
    match bytes.get(i)? {
        b'\\' if is_escape_pair(bytes, i) => Some(i + 2),
        b'"' => Some(skip_quoted(bytes, i, end)),
        b'`' if bytes.get(i..i + 3) == Some(b"```") => Some(skip_comment(bytes, i, end)),
        _ => None,
    }
}

/// Index of the backtick closing the macro call whose opening backtick is at `open`, before
/// `end`; `None` when unterminated.
pub fn macro_close(bytes: &[u8], open: usize, end: usize) -> Option<usize> {
    let len = bytes.get(open + 1..end)?.iter().position(|b| *b == b'`')?;
    Some(open + 1 + len)
}

/// Is `bytes[i]` a backslash escaping a quote or a backslash *outside* a quoted string?
///
/// Search syntax lets an unquoted term hold `\"` (`x=*\"privileged\":true*`): scanners that
/// look for quotes, pipes and brackets must step over that pair, or the `"` would open a string
/// that swallows the rest of the pipeline.
pub fn is_escape_pair(bytes: &[u8], i: usize) -> bool {
    bytes.get(i) == Some(&b'\\') && matches!(bytes.get(i + 1), Some(b'"' | b'\\'))
}

/// Index just past the double-quoted string opening at `open` (or `end`).
pub fn skip_quoted(bytes: &[u8], open: usize, end: usize) -> usize {
    let mut i = open + 1;
    while i < end {
        match bytes.get(i) {
            Some(b'\\') => i += 2,
            Some(b'"') => return i + 1,
            Some(_) => i += 1,
            None => break,
        }
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str, mode: Mode) -> Vec<(Tok, &str)> {
        let (toks, errs) = lex(text, 0, text.len(), mode);
        assert!(errs.is_empty(), "{errs:?}");
        toks.iter()
            .map(|t| (t.tok, &text[t.span.start as usize..t.span.end as usize]))
            .collect()
    }

    #[test]
    fn search_words_keep_wildcards_paths_and_dashes() {
        assert_eq!(
            kinds(
                r#"Processes.process=*-enc* path=C:\Windows\* NOT x!="a b""#,
                Mode::Search
            ),
            vec![
                (Tok::Word, "Processes.process"),
                (Tok::Eq, "="),
                (Tok::Word, "*-enc*"),
                (Tok::Word, "path"),
                (Tok::Eq, "="),
                (Tok::Word, r"C:\Windows\*"),
                (Tok::Word, "NOT"),
                (Tok::Word, "x"),
                (Tok::Ne, "!="),
                (Tok::Quoted, "\"a b\""),
            ]
        );
    }

    #[test]
    fn eval_mode_splits_operators_and_keeps_dotted_fields() {
        assert_eq!(
            kinds("len(Processes.process)>=10 AND a.\"x\"-1.5", Mode::Eval),
            vec![
                (Tok::Word, "len"),
                (Tok::LParen, "("),
                (Tok::Word, "Processes.process"),
                (Tok::RParen, ")"),
                (Tok::Ge, ">="),
                (Tok::Number, "10"),
                (Tok::Word, "AND"),
                (Tok::Word, "a"),
                (Tok::Dot, "."),
                (Tok::Quoted, "\"x\""),
                (Tok::Minus, "-"),
                (Tok::Number, "1.5"),
            ]
        );
        assert_eq!(
            kinds("'my field'", Mode::Eval),
            vec![(Tok::FieldQuoted, "'my field'")]
        );
    }

    #[test]
    fn subsearches_macros_and_comments() {
        let text = "a [| inputlookup x | search y=\"]\"] `m(1)` ```note | z``` b";
        assert_eq!(
            kinds(text, Mode::Search),
            vec![
                (Tok::Word, "a"),
                (Tok::Subsearch, "[| inputlookup x | search y=\"]\"]"),
                (Tok::Macro, "`m(1)`"),
                (Tok::Word, "b"),
            ]
        );
    }

    #[test]
    fn unterminated_constructs_are_errors_not_panics() {
        for text in ["\"abc", "[abc", "`abc", "a\\", "'x", "```x"] {
            for mode in [Mode::Search, Mode::Eval] {
                let _ = lex(text, 0, text.len(), mode);
            }
        }
        let (_, errs) = lex("\"abc", 0, 4, Mode::Search);
        assert_eq!(errs, vec![LexError::UnterminatedString(Span::new(0, 4))]);
    }

    #[test]
    fn spaced_flag_tells_adjacent_tokens() {
        let (toks, _) = lex("a= b", 0, 4, Mode::Search);
        assert_eq!(
            toks.iter().map(|t| t.spaced).collect::<Vec<_>>(),
            vec![true, false, true]
        );
    }
}

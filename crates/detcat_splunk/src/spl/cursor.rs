//! The token cursor the SPL expression parsers (`search`, `eval`) share.

use super::Ctx;
use super::lexer::{Tok, Token};

/// A position in a token slice, the diagnostics sink and the nesting depth.
pub(super) struct Cursor<'c, 'a, 't> {
    pub ctx: &'c mut Ctx<'a>,
    pub toks: &'t [Token],
    pub pos: usize,
    pub depth: usize,
}

impl<'c, 'a, 't> Cursor<'c, 'a, 't> {
    pub fn new(ctx: &'c mut Ctx<'a>, toks: &'t [Token], depth: usize) -> Self {
        Cursor {
            ctx,
            toks,
            pos: 0,
            depth,
        }
    }

    pub fn peek(&self) -> Option<Token> {
        self.toks.get(self.pos).copied()
    }

    pub fn peek_at(&self, ahead: usize) -> Option<Token> {
        self.toks.get(self.pos + ahead).copied()
    }

    /// The source text of a token.
    pub fn text(&self, t: Token) -> &'a str {
        self.ctx.slice(t.span)
    }

    /// Is the next token the word `kw` (ignoring ASCII case when `fold_case`)?
    pub fn at_word(&self, kw: &str, fold_case: bool) -> bool {
        self.peek().is_some_and(|t| {
            t.tok == Tok::Word
                && if fold_case {
                    self.text(t).eq_ignore_ascii_case(kw)
                } else {
                    self.text(t) == kw
                }
        })
    }
}

/// A parser type over a [`Cursor`]: `cursor_parser!(Parser)` declares
/// `struct Parser(Cursor)` that derefs to the cursor, so the grammar's methods live in the
/// parser's own module and the mechanics here.
macro_rules! cursor_parser {
    ($name:ident) => {
        struct $name<'c, 'a, 't>(super::cursor::Cursor<'c, 'a, 't>);

        impl<'c, 'a, 't> std::ops::Deref for $name<'c, 'a, 't> {
            type Target = super::cursor::Cursor<'c, 'a, 't>;
            fn deref(&self) -> &Self::Target {
                &self.0
            }
        }

        impl std::ops::DerefMut for $name<'_, '_, '_> {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.0
            }
        }
    };
}
pub(super) use cursor_parser;

//! A hand-written SPL parser for the subset of the Search Processing Language that detections
//! use: the pipeline of commands, search-syntax boolean terms, eval-syntax `where`
//! expressions, the `stats` family, and the field-shaping commands.
//!
//! ```
//! use detcat_splunk::spl::{self, CommandKind};
//!
//! let parsed = spl::parse(r#"`sysmon` EventCode=1 Image="*\\regsvr32.exe" | stats count by host | where count > 5"#);
//! assert!(parsed.diagnostics.is_empty());
//! assert_eq!(parsed.query.commands.len(), 3);
//! assert!(matches!(parsed.query.commands[2].kind, CommandKind::Where(_)));
//! ```
//!
//! Macros are *not* expanded here (see [`crate::macros`]); a macro left in the text is kept
//! as a [`SearchExpr::Macro`] / [`CommandKind::Macro`] node.

mod ast;
mod commands;
mod cursor;
mod eval;
pub mod lexer;
mod pipeline;
mod search;
mod stats;
pub mod text;

pub use ast::{
    Assignment, BinOp, CmpOp, Command, CommandKind, EvalExpr, LookupField, Query, SearchExpr,
    SearchValue, StatFn, Stats, Transaction,
};

use detcat_model::{Diagnostic, Span};

/// How deep subsearches, parentheses and `NOT`s may nest before the parser stops descending.
pub const MAX_DEPTH: usize = 64;

/// A parsed query and everything that did not parse (spans relative to the text).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub query: Query,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one SPL query. Never fails: what does not parse becomes error nodes and diagnostics.
pub fn parse(text: &str) -> Parsed {
    let mut ctx = Ctx {
        text,
        diags: Vec::new(),
    };
    let query = pipeline::parse_query(&mut ctx, 0, text.len(), 0, true);
    Parsed {
        query,
        diagnostics: ctx.diags,
    }
}

/// Parses `text` as a bare search-syntax expression (what the first command or a `tstats`
/// `where` holds).
pub fn parse_search_expr(text: &str) -> (Option<SearchExpr>, Vec<Diagnostic>) {
    let mut ctx = Ctx {
        text,
        diags: Vec::new(),
    };
    let toks = ctx.lex(0, text.len(), lexer::Mode::Search);
    let expr = search::parse(&mut ctx, &toks, 0);
    (expr, ctx.diags)
}

/// Parses `text` as an eval-syntax expression (what `where` holds).
pub fn parse_eval_expr(text: &str) -> (EvalExpr, Vec<Diagnostic>) {
    let mut ctx = Ctx {
        text,
        diags: Vec::new(),
    };
    let toks = ctx.lex(0, text.len(), lexer::Mode::Eval);
    let expr = eval::parse(&mut ctx, &toks, 0, Span::new(0, text.len()));
    (expr, ctx.diags)
}

/// Shared parsing state: the text and the diagnostics found so far.
pub(crate) struct Ctx<'a> {
    pub text: &'a str,
    pub diags: Vec<Diagnostic>,
}

impl<'a> Ctx<'a> {
    pub fn slice(&self, span: Span) -> &'a str {
        span.slice(self.text)
    }

    /// Lexes `text[start..end]`, reporting lexer errors as diagnostics.
    pub fn lex(&mut self, start: usize, end: usize, mode: lexer::Mode) -> Vec<lexer::Token> {
        let (toks, errors) = lexer::lex(self.text, start, end, mode);
        for e in errors {
            self.diags.push(match e {
                lexer::LexError::UnterminatedString(s) => {
                    crate::diagnostics::unterminated_string(s)
                }
                lexer::LexError::UnterminatedBracket(s) => {
                    crate::diagnostics::unterminated_subsearch(s)
                }
                lexer::LexError::UnterminatedMacro(s) => crate::diagnostics::unterminated_macro(s),
                lexer::LexError::Unexpected(s) => crate::diagnostics::unexpected_char(s),
            });
        }
        toks
    }

    /// A leftover macro token's name (`` `name(args)` `` → `name(args)`).
    pub fn macro_name(&self, span: Span) -> String {
        let raw = self.slice(span);
        raw.trim_start_matches('`')
            .trim_end_matches('`')
            .trim()
            .to_owned()
    }

    /// Parses the inside of a `[ … ]` token as a query.
    pub fn subsearch(&mut self, span: Span, depth: usize) -> Query {
        self.bracketed(span, depth, true)
    }

    /// Parses the inside of a `[ … ]` token: a search (`[search …]`, `[| …]`), or with
    /// `leading_search` false a sub-pipeline whose first word is a command (`appendpipe`).
    pub fn bracketed(&mut self, span: Span, depth: usize, leading_search: bool) -> Query {
        let start = span.start as usize + 1;
        let raw = self.slice(span);
        let end = if raw.len() >= 2 && raw.ends_with(']') {
            span.end as usize - 1
        } else {
            span.end as usize
        };
        pipeline::parse_query(self, start, end.max(start), depth + 1, leading_search)
    }
}

#[cfg(test)]
mod tests;

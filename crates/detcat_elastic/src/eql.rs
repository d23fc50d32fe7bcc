//! EQL (Event Query Language): event queries, `sequence`, `sample`, and pipes.
//!
//! ```
//! let q = detcat_elastic::eql::parse(r#"process where process.name : "regsvr32.exe" and not user.id == "S-1-5-18""#);
//! assert!(q.diagnostics.is_empty());
//! assert_eq!(q.expr.exclusions().count(), 1);
//! ```
//!
//! Semantics kept from the language: `==` / `in` / `like` / `regex` and functions are
//! case-sensitive, `:` and the `~` forms are not; `*`/`?` are wildcards under `:`, `like` and
//! `wildcard()` but literal under `==`. The event category becomes a
//! [`TelemetryHint::EventCategory`] rather than a predicate, so it is no indicator.

use detcat_model::{Expr, Opaque, SeqKind, SeqStep, Sequence, Span, TelemetryHint};

use crate::ast::{Node, NodeKind};
use crate::diagnostics::Lang;
use crate::expr_parser::Cursor;
use crate::lexer::{Tok, lex};
use crate::lower::LowerCtx;
use crate::query::{ParsedQuery, push_hint};

/// Parses one EQL query. Never panics; errors are diagnostics and opaque nodes.
pub fn parse(src: &str) -> ParsedQuery {
    let (toks, lex_diags) = lex(src, Lang::Eql);
    let mut p = EqlParser {
        c: Cursor::new(&toks, Lang::Eql),
        src,
        hints: Vec::new(),
    };
    p.c.diags = lex_diags;
    let mut expr = p.query();
    let mut pipes = Vec::new();
    while p.c.peek() == &Tok::Pipe {
        pipes.extend(p.pipe());
    }
    if p.c.peek() != &Tok::Eof {
        let span = Span::new(p.c.span().start as usize, src.len());
        p.c.diags
            .push(crate::diagnostics::trailing_input(Lang::Eql, span));
        pipes.push(Expr::Opaque(Opaque {
            text: src.get(span.start as usize..).unwrap_or("").to_owned(),
            reason: "unparsed EQL input".into(),
            fields: Vec::new(),
            span: Some(span),
        }));
    }
    if !pipes.is_empty() {
        pipes.insert(0, expr);
        expr = Expr::and(pipes);
    }
    ParsedQuery {
        expr,
        telemetry: p.hints,
        diagnostics: p.c.diags,
    }
}

struct EqlParser<'a> {
    c: Cursor<'a>,
    src: &'a str,
    hints: Vec<TelemetryHint>,
}

impl EqlParser<'_> {
    fn lower(&self, node: &Node) -> Expr {
        LowerCtx {
            src: self.src,
            lang: Lang::Eql,
            derived: &[],
            aliases: &[],
        }
        .lower(node)
    }

    fn query(&mut self) -> Expr {
        if self.c.at_word("sequence") {
            self.c.bump();
            self.sequence(SeqKind::Sequence)
        } else if self.c.at_word("sample") {
            self.c.bump();
            self.sequence(SeqKind::Sample)
        } else {
            let (_, expr) = self.event_query();
            expr
        }
    }

    /// `category where condition`; returns the category (None for `any`).
    fn event_query(&mut self) -> (Option<String>, Expr) {
        let category = match self.c.peek().clone() {
            Tok::Ident(name) | Tok::Str { value: name, .. } => {
                self.c.bump();
                Some(name)
            }
            _ => {
                self.c.error("an event category");
                None
            }
        };
        if !self.c.eat_word("where") {
            self.c.error("`where`");
        }
        let node = self.c.expr();
        let category = category.filter(|c| !c.eq_ignore_ascii_case("any"));
        if let Some(name) = &category {
            push_hint(
                &mut self.hints,
                TelemetryHint::EventCategory { name: name.clone() },
            );
        }
        (category, self.lower(&node))
    }

    /// `by a, b` (plain fields or any expression, named by its text).
    fn by_keys(&mut self) -> Vec<String> {
        let mut keys = Vec::new();
        loop {
            let node = self.c.expr();
            keys.push(match &node.kind {
                NodeKind::Field { name, .. } => name.clone(),
                _ => node.span.slice(self.src).to_owned(),
            });
            if !self.c.eat(&Tok::Comma) {
                return keys;
            }
        }
    }

    /// `with name=value` → (name, value text).
    fn with_option(&mut self) -> Option<(String, String)> {
        if !self.c.eat_word("with") {
            return None;
        }
        let name = match self.c.bump().tok {
            Tok::Ident(n) => n,
            _ => {
                self.c.error("`maxspan` or `runs`");
                return None;
            }
        };
        if !self.c.expect(&Tok::Assign, "`=`") {
            return None;
        }
        let value = match self.c.bump().tok {
            Tok::Duration(d) => d,
            Tok::Int(i) => i.to_string(),
            other => {
                self.c
                    .error(&format!("a value for `{name}`, found {}", other.describe()));
                return None;
            }
        };
        Some((name, value))
    }

    fn sequence(&mut self, kind: SeqKind) -> Expr {
        let mut seq = Sequence {
            kind,
            by: Vec::new(),
            maxspan: None,
            steps: Vec::new(),
            until: None,
        };
        // `by` and `with maxspan` may come in either order.
        for _ in 0..2 {
            if self.c.eat_word("by") {
                seq.by = self.by_keys();
            } else if self.c.at_word("with")
                && let Some((_, v)) = self.with_option()
            {
                seq.maxspan = Some(v);
            }
        }
        loop {
            let missing = self.c.peek() == &Tok::Bang && self.c.peek_n(1) == &Tok::LBracket;
            if missing {
                self.c.bump();
            }
            if self.c.peek() != &Tok::LBracket {
                break;
            }
            let step = self.step(missing);
            seq.steps.push(step);
        }
        if seq.steps.is_empty() {
            self.c.error("`[` starting a sequence step");
        }
        if self.c.eat_word("until") {
            let until = self.step(false);
            seq.until = Some(Box::new(until.expr));
        }
        Expr::Sequence(seq)
    }

    fn step(&mut self, missing: bool) -> SeqStep {
        self.c.bump(); // `[`
        let (category, expr) = self.event_query();
        self.c.expect(&Tok::RBracket, "`]`");
        let mut step = SeqStep {
            category,
            expr,
            by: Vec::new(),
            runs: None,
            missing,
        };
        for _ in 0..2 {
            if self.c.eat_word("by") {
                step.by = self.by_keys();
            } else if self.c.at_word("with")
                && let Some((name, v)) = self.with_option()
                && name.eq_ignore_ascii_case("runs")
            {
                step.runs = v.parse().ok();
            }
        }
        step
    }

    /// `| filter …`, `| unique …`: kept opaque with their text. `| head N` / `| tail N` only
    /// limit the returned matches, so they leave no node (a warning records them).
    fn pipe(&mut self) -> Option<Expr> {
        let start = self.c.span().start as usize;
        self.c.bump();
        while !matches!(self.c.peek(), Tok::Pipe | Tok::Eof) {
            self.c.bump();
        }
        let span = Span::new(start, self.c.prev_end());
        let text = span.slice(self.src);
        let name = text
            .trim_start_matches('|')
            .split_whitespace()
            .next()
            .unwrap_or("");
        if name.eq_ignore_ascii_case("head") || name.eq_ignore_ascii_case("tail") {
            self.c
                .diags
                .push(crate::diagnostics::eql_output_pipe(text.trim(), span));
            return None;
        }
        Some(Expr::Opaque(Opaque {
            text: span.slice(self.src).to_owned(),
            reason: "EQL pipe".into(),
            fields: Vec::new(),
            span: Some(span),
        }))
    }
}

#[cfg(test)]
#[path = "eql_tests.rs"]
mod tests;

//! Search-syntax boolean expressions: `a=1 b IN (x, y) NOT (c=* OR "phrase")`.
//!
//! Splunk's precedence differs from most languages: `NOT` binds tightest, then `OR`, then
//! `AND` (explicit or implied by juxtaposition). So `` `sysmon` `` expanding to
//! `sourcetype=A OR source=B` followed by `EventCode=1` means `(A OR B) AND EventCode=1`.

use detcat_model::Span;

use super::ast::{CmpOp, SearchExpr, SearchValue};
use super::cursor::{Cursor, cursor_parser};
use super::lexer::{Tok, Token};
use super::{Ctx, MAX_DEPTH, text};
use crate::diagnostics as diag;

/// Fields that bound the time range instead of filtering events.
const TIME_FIELDS: &[&str] = &[
    "earliest",
    "latest",
    "_index_earliest",
    "_index_latest",
    "starttime",
    "endtime",
];

/// Parses the tokens as one search expression (`None` when there are none).
pub(crate) fn parse(ctx: &mut Ctx<'_>, toks: &[Token], depth: usize) -> Option<SearchExpr> {
    if toks.is_empty() {
        return None;
    }
    let mut p = Parser(Cursor::new(ctx, toks, depth));
    let mut items = Vec::new();
    while p.pos < p.toks.len() {
        items.push(p.and_expr());
        // A stray `)` at top level: report, skip, go on.
        if let Some(t) = p.peek() {
            let found = p.text(t);
            p.ctx
                .diags
                .push(diag::unexpected_token(t.span, found, "search terms"));
            p.pos += 1;
        }
    }
    Some(and_of(items))
}

fn and_of(mut items: Vec<SearchExpr>) -> SearchExpr {
    if items.len() == 1
        && let Some(only) = items.pop()
    {
        return only;
    }
    SearchExpr::And(items)
}

cursor_parser!(Parser);

impl Parser<'_, '_, '_> {
    /// Is the next token the (upper-case, as Splunk requires) keyword `kw`?
    fn at_keyword(&self, kw: &str) -> bool {
        self.at_word(kw, false)
    }

    fn and_expr(&mut self) -> SearchExpr {
        let mut items = Vec::new();
        loop {
            match self.peek() {
                None => break,
                Some(t) if t.tok == Tok::RParen => break,
                Some(t) if t.tok == Tok::Comma => {
                    self.pos += 1;
                    continue;
                }
                Some(_) if self.at_keyword("AND") => {
                    self.pos += 1;
                    continue;
                }
                Some(_) => {}
            }
            items.push(self.or_expr());
        }
        and_of(items)
    }

    fn or_expr(&mut self) -> SearchExpr {
        let mut items = vec![self.unary()];
        while self.at_keyword("OR") {
            let op = self.peek().map(|t| t.span).unwrap_or_default();
            self.pos += 1;
            match self.peek() {
                Some(t)
                    if t.tok != Tok::RParen
                        && !self.at_keyword("OR")
                        && !self.at_keyword("AND") =>
                {
                    items.push(self.unary());
                }
                _ => self.ctx.diags.push(diag::missing_operand(op, "OR")),
            }
        }
        if items.len() == 1
            && let Some(only) = items.pop()
        {
            return only;
        }
        SearchExpr::Or(items)
    }

    fn unary(&mut self) -> SearchExpr {
        if self.at_keyword("NOT") {
            let op = self.peek().map(|t| t.span).unwrap_or_default();
            self.pos += 1;
            if self.depth >= MAX_DEPTH {
                return self.give_up(op);
            }
            match self.peek() {
                Some(t) if t.tok != Tok::RParen => {
                    self.depth += 1;
                    let inner = self.unary();
                    self.depth -= 1;
                    return SearchExpr::Not(Box::new(inner));
                }
                _ => {
                    self.ctx.diags.push(diag::missing_operand(op, "NOT"));
                    return SearchExpr::Error { span: op };
                }
            }
        }
        self.primary()
    }

    /// Too deep: skip every remaining token and keep the region as an error node.
    fn give_up(&mut self, at: Span) -> SearchExpr {
        let end = self.toks.last().map_or(at.end, |t| t.span.end);
        self.pos = self.toks.len();
        let span = Span::new(at.start as usize, end as usize);
        self.ctx.diags.push(diag::too_deep(span));
        SearchExpr::Error { span }
    }

    fn primary(&mut self) -> SearchExpr {
        let Some(t) = self.peek() else {
            return SearchExpr::Error {
                span: Span::default(),
            };
        };
        match t.tok {
            Tok::LParen => {
                self.pos += 1;
                if self.depth >= MAX_DEPTH {
                    return self.give_up(t.span);
                }
                self.depth += 1;
                let inner = self.and_expr();
                self.depth -= 1;
                match self.peek() {
                    Some(close) if close.tok == Tok::RParen => self.pos += 1,
                    _ => self.ctx.diags.push(diag::unclosed_paren(t.span)),
                }
                inner
            }
            Tok::Word => self.word(t),
            Tok::Quoted => {
                self.pos += 1;
                // `"field.name{}"=value`: a quoted field name.
                if let Some(op) = self.peek().and_then(|n| cmp_op(n.tok)) {
                    self.pos += 1;
                    return self.comparison(t, op);
                }
                // `"field.name" IN (…)`: a quoted field name before `IN`.
                if let Some(paren) = self.in_list_ahead() {
                    self.pos += 2;
                    let field = self.text(t).to_owned();
                    return self.in_list(t, field, paren);
                }
                SearchExpr::Term {
                    value: self.value(t),
                    directive: None,
                }
            }
            Tok::Subsearch => {
                self.pos += 1;
                let depth = self.depth;
                let query = self.ctx.subsearch(t.span, depth);
                SearchExpr::Subsearch {
                    query: Box::new(query),
                    span: t.span,
                }
            }
            Tok::Macro => {
                self.pos += 1;
                SearchExpr::Macro {
                    name: self.ctx.macro_name(t.span),
                    span: t.span,
                }
            }
            _ => {
                self.pos += 1;
                let found = self.text(t).to_owned();
                self.ctx
                    .diags
                    .push(diag::unexpected_token(t.span, &found, "search terms"));
                SearchExpr::Error { span: t.span }
            }
        }
    }

    fn word(&mut self, t: Token) -> SearchExpr {
        self.pos += 1;
        let next = self.peek();
        if let Some(op) = next.and_then(|n| cmp_op(n.tok)) {
            self.pos += 1;
            return self.comparison(t, op);
        }
        let word = self.text(t).to_owned();
        if let Some(paren) = self.in_list_ahead() {
            self.pos += 2;
            return self.in_list(t, word, paren);
        }
        let upper = word.to_ascii_uppercase();
        if (upper == "TERM" || upper == "CASE")
            && next.is_some_and(|n| n.tok == Tok::LParen && !n.spaced)
            && let Some(expr) = self.directive(upper)
        {
            return expr;
        }
        SearchExpr::Term {
            value: self.value(t),
            directive: None,
        }
    }

    /// The `(` of an `IN (` that follows the current position.
    fn in_list_ahead(&self) -> Option<Token> {
        let (n, paren) = (self.peek()?, self.peek_at(1)?);
        (n.tok == Tok::Word && self.text(n).eq_ignore_ascii_case("in") && paren.tok == Tok::LParen)
            .then_some(paren)
    }

    /// `TERM(x)` / `CASE(x)`: the inside is one value.
    fn directive(&mut self, name: String) -> Option<SearchExpr> {
        let (inner, close) = (self.peek_at(1)?, self.peek_at(2)?);
        if !matches!(inner.tok, Tok::Word | Tok::Quoted) || close.tok != Tok::RParen {
            return None;
        }
        self.pos += 3;
        Some(SearchExpr::Term {
            value: self.value(inner),
            directive: Some(name),
        })
    }

    fn comparison(&mut self, field_tok: Token, op: CmpOp) -> SearchExpr {
        let field = text::name_text(self.text(field_tok));
        let value_tok = match (self.peek(), self.peek_at(1)) {
            // `a= b=c`: `b` is the next comparison's field, `a` compares with the empty string.
            (Some(v), Some(after)) if v.spaced && cmp_op(after.tok).is_some() => None,
            (Some(v), _) if matches!(v.tok, Tok::Word | Tok::Quoted) => Some(v),
            _ => None,
        };
        let value = match value_tok {
            Some(v) => {
                self.pos += 1;
                self.value(v)
            }
            None => SearchValue {
                pattern: String::new(),
                wildcard: false,
                quoted: false,
                span: Span::new(field_tok.span.end as usize, field_tok.span.end as usize),
            },
        };
        let span = Span::new(
            field_tok.span.start as usize,
            value.span.end.max(field_tok.span.end) as usize,
        );
        if TIME_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(&field)) {
            return SearchExpr::TimeBound {
                text: self.ctx.slice(span).to_owned(),
                span,
            };
        }
        SearchExpr::Compare {
            field,
            op,
            value,
            span,
        }
    }

    fn in_list(&mut self, field_tok: Token, field: String, open: Token) -> SearchExpr {
        let mut values = Vec::new();
        let mut end = open.span.end;
        loop {
            match self.peek() {
                None => {
                    self.ctx.diags.push(diag::unclosed_paren(open.span));
                    break;
                }
                Some(t) if t.tok == Tok::RParen => {
                    self.pos += 1;
                    end = t.span.end;
                    break;
                }
                Some(t) if t.tok == Tok::Comma => self.pos += 1,
                Some(t) if matches!(t.tok, Tok::Word | Tok::Quoted) => {
                    self.pos += 1;
                    end = t.span.end;
                    values.push(self.value(t));
                }
                Some(t) => {
                    self.pos += 1;
                    let found = self.text(t).to_owned();
                    self.ctx
                        .diags
                        .push(diag::unexpected_token(t.span, &found, "an IN list"));
                }
            }
        }
        let span = Span::new(field_tok.span.start as usize, end as usize);
        SearchExpr::In {
            field: text::name_text(&field),
            values,
            span,
        }
    }

    fn value(&self, t: Token) -> SearchValue {
        let raw = self.text(t);
        let quoted = t.tok == Tok::Quoted;
        let body = if quoted { text::unquote(raw, '"') } else { raw };
        let (pattern, wildcard) = text::search_pattern(body);
        SearchValue {
            pattern,
            wildcard,
            quoted,
            span: t.span,
        }
    }
}

fn cmp_op(tok: Tok) -> Option<CmpOp> {
    Some(match tok {
        Tok::Eq | Tok::EqEq => CmpOp::Eq,
        Tok::Ne => CmpOp::Ne,
        Tok::Lt => CmpOp::Lt,
        Tok::Le => CmpOp::Le,
        Tok::Gt => CmpOp::Gt,
        Tok::Ge => CmpOp::Ge,
        _ => return None,
    })
}

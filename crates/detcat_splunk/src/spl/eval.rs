//! Eval-syntax expressions, as `where` and `eval` hold them.
//!
//! Precedence, loosest first: `OR`/`XOR`, `AND`, `NOT`, comparisons (`=`, `==`, `!=`, `<`,
//! `<=`, `>`, `>=`, `LIKE`, `IN`), `+`/`-`/`.`, `*`/`/`/`%`, unary `-`. Keywords are
//! case-insensitive here, unlike in search syntax.

use detcat_model::Span;

use super::ast::{BinOp, EvalExpr};
use super::cursor::{Cursor, cursor_parser};
use super::lexer::{Tok, Token};
use super::{Ctx, MAX_DEPTH, text};
use crate::diagnostics as diag;

/// Parses the tokens as one expression. Leftover tokens are reported and skipped; an empty
/// token list is an error node spanning `whole`.
pub(crate) fn parse(ctx: &mut Ctx<'_>, toks: &[Token], depth: usize, whole: Span) -> EvalExpr {
    if toks.is_empty() {
        ctx.diags.push(diag::missing_operand(whole, "where"));
        return EvalExpr::Error { span: whole };
    }
    let mut p = Parser(Cursor::new(ctx, toks, depth));
    let expr = p.or_expr();
    p.trailing(expr)
}

/// Parses `a = expr, b = expr` assignments of `eval`.
pub(crate) fn parse_assignments(
    ctx: &mut Ctx<'_>,
    toks: &[Token],
    depth: usize,
) -> Vec<super::ast::Assignment> {
    let mut p = Parser(Cursor::new(ctx, toks, depth));
    let mut out = Vec::new();
    while let Some(t) = p.peek() {
        // The target runs up to `=` and may hold characters eval would split (`feature_-name`).
        let mut j = p.pos;
        while p
            .toks
            .get(j + 1)
            .is_some_and(|n| n.tok != Tok::Eq && !n.spaced)
        {
            j += 1;
        }
        let is_target = matches!(t.tok, Tok::Word | Tok::FieldQuoted | Tok::Quoted)
            && p.toks.get(j + 1).is_some_and(|n| n.tok == Tok::Eq);
        if !is_target {
            p.pos += 1;
            if t.tok != Tok::Comma {
                let found = p.text(t).to_owned();
                p.ctx
                    .diags
                    .push(diag::unexpected_token(t.span, &found, "eval assignments"));
            }
            continue;
        }
        let last = p.toks.get(j).map_or(t.span, |l| l.span);
        let target = p
            .ctx
            .slice(Span::new(t.span.start as usize, last.end as usize));
        let field = if j == p.pos {
            text::name_text(target)
        } else {
            target.to_owned()
        };
        p.pos = j + 2;
        let expr = p.or_expr();
        out.push(super::ast::Assignment { field, expr });
    }
    out
}

cursor_parser!(Parser);

impl Parser<'_, '_, '_> {
    fn at_keyword(&self, kw: &str) -> bool {
        self.at_word(kw, true)
    }

    /// Tokens left after a complete expression: Splunk would reject them; we report each run
    /// and AND what parses, so nothing is silently lost.
    fn trailing(&mut self, first: EvalExpr) -> EvalExpr {
        let mut expr = first;
        while let Some(t) = self.peek() {
            let found = self.text(t).to_owned();
            self.ctx
                .diags
                .push(diag::unexpected_token(t.span, &found, "a where expression"));
            if matches!(t.tok, Tok::RParen | Tok::Comma) {
                self.pos += 1;
                continue;
            }
            let before = self.pos;
            let next = self.or_expr();
            if self.pos == before {
                self.pos += 1;
                continue;
            }
            let span = join(expr.span(), next.span());
            expr = EvalExpr::Binary {
                op: BinOp::And,
                lhs: Box::new(expr),
                rhs: Box::new(next),
                span,
            };
        }
        expr
    }

    /// One left-associative level of keyword operators (`AND`, `OR`, …).
    fn binary_level(&mut self, ops: &[(&str, BinOp)], next: fn(&mut Self) -> EvalExpr) -> EvalExpr {
        self.left_assoc(next, |p| {
            ops.iter()
                .find(|(kw, _)| p.at_keyword(kw))
                .map(|(_, op)| *op)
        })
    }

    /// Operands from `next` joined by the operators `op_at` finds at the cursor.
    fn left_assoc(
        &mut self,
        next: fn(&mut Self) -> EvalExpr,
        op_at: impl Fn(&Self) -> Option<BinOp>,
    ) -> EvalExpr {
        let mut lhs = next(self);
        while let Some(op) = op_at(self) {
            self.pos += 1;
            let rhs = self.operand(next);
            let span = join(lhs.span(), rhs.span());
            lhs = EvalExpr::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                span,
            };
        }
        lhs
    }

    /// The right operand of an operator, or an error node when the input ends.
    fn operand(&mut self, next: fn(&mut Self) -> EvalExpr) -> EvalExpr {
        match self.peek() {
            Some(t) if t.tok != Tok::RParen && t.tok != Tok::Comma => next(self),
            other => {
                let span = other.map_or_else(
                    || self.toks.last().map(|t| t.span).unwrap_or_default(),
                    |t| t.span,
                );
                self.ctx.diags.push(diag::missing_operand(span, "operator"));
                EvalExpr::Error { span }
            }
        }
    }

    fn or_expr(&mut self) -> EvalExpr {
        self.binary_level(&[("OR", BinOp::Or), ("XOR", BinOp::Xor)], Self::and_expr)
    }

    fn and_expr(&mut self) -> EvalExpr {
        self.binary_level(&[("AND", BinOp::And)], Self::not_expr)
    }

    fn not_expr(&mut self) -> EvalExpr {
        if !self.at_keyword("NOT") {
            return self.comparison();
        }
        let op = self.peek().map(|t| t.span).unwrap_or_default();
        self.pos += 1;
        if self.depth >= MAX_DEPTH {
            return self.give_up(op);
        }
        self.depth += 1;
        let inner = self.operand(Self::not_expr);
        self.depth -= 1;
        let span = join(op, inner.span());
        EvalExpr::Not {
            expr: Box::new(inner),
            span,
        }
    }

    fn give_up(&mut self, at: Span) -> EvalExpr {
        let end = self.toks.last().map_or(at.end, |t| t.span.end);
        self.pos = self.toks.len();
        let span = Span::new(at.start as usize, end as usize);
        self.ctx.diags.push(diag::too_deep(span));
        EvalExpr::Error { span }
    }

    fn comparison(&mut self) -> EvalExpr {
        let lhs = self.additive();
        let op = match self.peek().map(|t| t.tok) {
            Some(Tok::Eq | Tok::EqEq) => BinOp::Eq,
            Some(Tok::Ne) => BinOp::Ne,
            Some(Tok::Lt) => BinOp::Lt,
            Some(Tok::Le) => BinOp::Le,
            Some(Tok::Gt) => BinOp::Gt,
            Some(Tok::Ge) => BinOp::Ge,
            Some(Tok::Word) if self.at_keyword("LIKE") => BinOp::Like,
            Some(Tok::Word)
                if self.at_keyword("IN")
                    && self.peek_at(1).is_some_and(|t| t.tok == Tok::LParen) =>
            {
                return self.in_list(lhs);
            }
            _ => return lhs,
        };
        self.pos += 1;
        let rhs = self.operand(Self::additive);
        let span = join(lhs.span(), rhs.span());
        EvalExpr::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
            span,
        }
    }

    fn in_list(&mut self, lhs: EvalExpr) -> EvalExpr {
        self.pos += 1; // IN
        let open = self.peek().map(|t| t.span).unwrap_or_default();
        self.pos += 1; // (
        let (list, end) = self.arguments(open);
        let span = join(lhs.span(), end);
        EvalExpr::In {
            expr: Box::new(lhs),
            list,
            span,
        }
    }

    fn additive(&mut self) -> EvalExpr {
        self.arith(
            &[
                (Tok::Plus, BinOp::Add),
                (Tok::Minus, BinOp::Sub),
                (Tok::Dot, BinOp::Concat),
            ],
            Self::multiplicative,
        )
    }

    fn multiplicative(&mut self) -> EvalExpr {
        self.arith(
            &[
                (Tok::Star, BinOp::Mul),
                (Tok::Slash, BinOp::Div),
                (Tok::Percent, BinOp::Mod),
            ],
            Self::unary,
        )
    }

    fn arith(&mut self, ops: &[(Tok, BinOp)], next: fn(&mut Self) -> EvalExpr) -> EvalExpr {
        self.left_assoc(next, |p| {
            p.peek()
                .and_then(|t| ops.iter().find(|(k, _)| *k == t.tok))
                .map(|(_, op)| *op)
        })
    }

    fn unary(&mut self) -> EvalExpr {
        match self.peek() {
            Some(t) if t.tok == Tok::Minus => {
                self.pos += 1;
                if self.depth >= MAX_DEPTH {
                    return self.give_up(t.span);
                }
                self.depth += 1;
                let inner = self.operand(Self::unary);
                self.depth -= 1;
                let span = join(t.span, inner.span());
                EvalExpr::Neg {
                    expr: Box::new(inner),
                    span,
                }
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> EvalExpr {
        let Some(t) = self.peek() else {
            let span = self.toks.last().map(|t| t.span).unwrap_or_default();
            return EvalExpr::Error { span };
        };
        self.pos += 1;
        match t.tok {
            Tok::Number => EvalExpr::Num {
                text: self.text(t).to_owned(),
                span: t.span,
            },
            Tok::Quoted => EvalExpr::Str {
                value: text::eval_string(text::unquote(self.text(t), '"')),
                span: t.span,
            },
            Tok::FieldQuoted => EvalExpr::Field {
                name: text::name_text(self.text(t)),
                span: t.span,
            },
            Tok::Macro => EvalExpr::Macro {
                name: self.ctx.macro_name(t.span),
                span: t.span,
            },
            Tok::Word if self.peek().is_some_and(|n| n.tok == Tok::LParen) => {
                self.pos += 1;
                if self.depth >= MAX_DEPTH {
                    return self.give_up(t.span);
                }
                let (args, end) = self.arguments(t.span);
                EvalExpr::Call {
                    name: self.text(t).to_ascii_lowercase(),
                    args,
                    span: join(t.span, end),
                }
            }
            Tok::Word => EvalExpr::Field {
                name: self.text(t).to_owned(),
                span: t.span,
            },
            Tok::LParen => {
                if self.depth >= MAX_DEPTH {
                    return self.give_up(t.span);
                }
                self.depth += 1;
                let inner = self.or_expr();
                self.depth -= 1;
                match self.peek() {
                    Some(close) if close.tok == Tok::RParen => self.pos += 1,
                    _ => self.ctx.diags.push(diag::unclosed_paren(t.span)),
                }
                inner
            }
            _ => {
                let found = self.text(t).to_owned();
                self.ctx
                    .diags
                    .push(diag::unexpected_token(t.span, &found, "a where expression"));
                EvalExpr::Error { span: t.span }
            }
        }
    }

    /// Comma-separated arguments after an opening `(` (already consumed), through `)`.
    fn arguments(&mut self, open: Span) -> (Vec<EvalExpr>, Span) {
        let mut args = Vec::new();
        self.depth += 1;
        loop {
            match self.peek() {
                None => {
                    self.ctx.diags.push(diag::unclosed_paren(open));
                    let end = self.toks.last().map(|t| t.span).unwrap_or(open);
                    self.depth -= 1;
                    return (args, end);
                }
                Some(t) if t.tok == Tok::RParen => {
                    self.pos += 1;
                    self.depth -= 1;
                    return (args, t.span);
                }
                Some(t) if t.tok == Tok::Comma => self.pos += 1,
                Some(_) => {
                    let before = self.pos;
                    args.push(self.or_expr());
                    if self.pos == before {
                        self.pos += 1;
                    }
                }
            }
        }
    }
}

fn join(a: Span, b: Span) -> Span {
    Span::new(a.start.min(b.start) as usize, a.end.max(b.end) as usize)
}

//! Recursive-descent parser of the condition language:
//! `or` < `and` < `not` < primary (`( … )`, `1 of x*`, `all of them`, identifier),
//! then an optional Sigma v1 pipe aggregation.

use detcat_model::{RangeOp, Span};

use super::ast::{ConditionAst, ConditionError, PipeAggregation, Target};
use super::lexer::{Tok, lex};

/// Deepest nesting of parentheses and `not`s.
const MAX_DEPTH: usize = 64;

pub(crate) struct Parser<'a> {
    text: &'a str,
    toks: Vec<(Tok, Span)>,
    pos: usize,
    errors: Vec<ConditionError>,
}

/// Parses a condition; never fails, errors come back with the (partial) tree.
pub fn parse_condition(text: &str) -> (ConditionAst, Vec<ConditionError>) {
    let mut p = Parser {
        text,
        toks: lex(text),
        pos: 0,
        errors: Vec::new(),
    };
    let ast = p.condition();
    (ast, p.errors)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn span(&self) -> Span {
        self.toks
            .get(self.pos)
            .map_or_else(|| Span::new(self.text.len(), self.text.len()), |(_, s)| *s)
    }

    fn bump(&mut self) -> Option<(Tok, Span)> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn error(&mut self, message: impl Into<String>, span: Span) -> ConditionAst {
        self.errors.push(ConditionError {
            message: message.into(),
            span,
        });
        ConditionAst::Error { span }
    }

    fn condition(&mut self) -> ConditionAst {
        if self.toks.is_empty() {
            return self.error("the condition is empty", Span::new(0, self.text.len()));
        }
        let expr = self.or_expr(0);
        let result = if self.peek() == Some(&Tok::Pipe) {
            self.pipe(expr)
        } else {
            expr
        };
        if self.pos < self.toks.len() {
            let span = self.span();
            let err = self.error("unexpected text after the condition", span);
            return ConditionAst::And(vec![result, err]);
        }
        result
    }

    fn or_expr(&mut self, depth: usize) -> ConditionAst {
        let mut items = vec![self.and_expr(depth)];
        while self.peek() == Some(&Tok::Or) {
            self.bump();
            items.push(self.and_expr(depth));
        }
        if items.len() == 1 {
            items.pop().unwrap_or(ConditionAst::Or(Vec::new()))
        } else {
            ConditionAst::Or(items)
        }
    }

    fn and_expr(&mut self, depth: usize) -> ConditionAst {
        let mut items = vec![self.not_expr(depth)];
        while self.peek() == Some(&Tok::And) {
            self.bump();
            items.push(self.not_expr(depth));
        }
        if items.len() == 1 {
            items.pop().unwrap_or(ConditionAst::And(Vec::new()))
        } else {
            ConditionAst::And(items)
        }
    }

    fn not_expr(&mut self, depth: usize) -> ConditionAst {
        if depth > MAX_DEPTH {
            let span = self.span();
            self.pos = self.toks.len();
            return self.error(format!("nesting deeper than {MAX_DEPTH} levels"), span);
        }
        if self.peek() == Some(&Tok::Not) {
            self.bump();
            return ConditionAst::Not(Box::new(self.not_expr(depth + 1)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> ConditionAst {
        let span = self.span();
        match self.bump() {
            Some((Tok::LParen, _)) => {
                let inner = self.or_expr(depth + 1);
                if self.peek() == Some(&Tok::RParen) {
                    self.bump();
                    inner
                } else {
                    let at = self.span();
                    let err = self.error("expected `)`", at);
                    ConditionAst::And(vec![inner, err])
                }
            }
            Some((Tok::Ident(name), span)) => ConditionAst::Ident { name, span },
            Some((Tok::Number(1.0), _)) => self.quantified(false, span),
            Some((Tok::Any, _)) => self.quantified(false, span),
            Some((Tok::All, _)) => self.quantified(true, span),
            Some((Tok::Number(n), _)) => self.error(
                format!("`{n} of` is not supported (only `1 of`, `any of`, `all of`)"),
                span,
            ),
            Some((tok, span)) => self.error(format!("unexpected {}", describe(&tok)), span),
            None => self.error("the condition ends too early", span),
        }
    }

    fn quantified(&mut self, all: bool, start: Span) -> ConditionAst {
        if self.peek() != Some(&Tok::Of) {
            let span = self.span();
            return self.error("expected `of`", span);
        }
        self.bump();
        let target_span = self.span();
        let target = match self.bump() {
            Some((Tok::Them, _)) => Target::Them,
            Some((Tok::Ident(p), _)) => Target::Pattern(p),
            _ => {
                return self.error(
                    "expected `them` or an identifier pattern after `of`",
                    target_span,
                );
            }
        };
        ConditionAst::Quantified {
            all,
            target,
            span: Span::new(start.start as usize, target_span.end as usize),
        }
    }

    /// `| count(field) by a, b > 10` or `| near …`.
    fn pipe(&mut self, input: ConditionAst) -> ConditionAst {
        let pipe_span = self.span();
        self.bump();
        let start = pipe_span.start as usize;
        let function = match self.bump() {
            Some((Tok::Ident(f), _)) => f,
            _ => return self.error("expected an aggregation function after `|`", pipe_span),
        };
        if function.eq_ignore_ascii_case("near") {
            let text = self.text.get(start..).unwrap_or_default().trim().to_owned();
            self.pos = self.toks.len();
            return ConditionAst::Near {
                input: Box::new(input),
                text,
                span: Span::new(start, self.text.len()),
            };
        }
        let mut field = None;
        if self.peek() == Some(&Tok::LParen) {
            self.bump();
            if let Some(Tok::Ident(f)) = self.peek().cloned() {
                self.bump();
                field = Some(f);
            }
            if self.bump().map(|(t, _)| t) != Some(Tok::RParen) {
                return self.error("expected `)` after the aggregated field", pipe_span);
            }
        }
        let mut group_by = Vec::new();
        if self.peek() == Some(&Tok::By) {
            self.bump();
            while let Some(Tok::Ident(g)) = self.peek().cloned() {
                self.bump();
                group_by.push(g);
                if self.peek() != Some(&Tok::Comma) {
                    break;
                }
                self.bump();
            }
        }
        let op = match self.bump() {
            Some((Tok::Cmp(op), _)) => match op.as_str() {
                ">" => RangeOp::Gt,
                ">=" => RangeOp::Gte,
                "<" => RangeOp::Lt,
                "<=" => RangeOp::Lte,
                "!=" => RangeOp::Ne,
                _ => RangeOp::Eq,
            },
            _ => {
                return self.error(
                    "expected a comparison (`>`, `<`, `=`…) in the aggregation",
                    pipe_span,
                );
            }
        };
        let value = match self.bump() {
            Some((Tok::Number(n), _)) => n,
            _ => {
                return self.error(
                    "expected a number to compare the aggregation with",
                    pipe_span,
                );
            }
        };
        let agg = PipeAggregation {
            function,
            field,
            group_by,
            op,
            value,
        };
        ConditionAst::Aggregate {
            input: Box::new(input),
            agg,
            span: Span::new(start, self.text.len()),
        }
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::And => "`and`".into(),
        Tok::Or => "`or`".into(),
        Tok::Not => "`not`".into(),
        Tok::Of => "`of`".into(),
        Tok::Them => "`them`".into(),
        Tok::By => "`by`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Pipe => "`|`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Cmp(c) => format!("`{c}`"),
        Tok::Unknown(c) => format!("character `{c}`"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> ConditionAst {
        let (ast, errors) = parse_condition(text);
        assert!(errors.is_empty(), "{text}: {errors:?}");
        ast
    }

    fn id(name: &str, start: usize) -> ConditionAst {
        ConditionAst::Ident {
            name: name.into(),
            span: Span::new(start, start + name.len()),
        }
    }

    #[test]
    fn precedence_not_and_or() {
        assert_eq!(
            ok("a or b and not c"),
            ConditionAst::Or(vec![
                id("a", 0),
                ConditionAst::And(vec![id("b", 5), ConditionAst::Not(Box::new(id("c", 15)))])
            ])
        );
    }

    #[test]
    fn nested_parentheses() {
        let ast =
            ok("selection_execve and (keywords_truncate or (keywords_dd and not keywords_filter))");
        let ConditionAst::And(items) = ast else {
            panic!("not an and")
        };
        assert!(
            matches!(&items[1], ConditionAst::Or(inner) if matches!(&inner[1], ConditionAst::And(_)))
        );
    }

    #[test]
    fn quantifiers() {
        assert_eq!(
            ok("not 1 of filter_*"),
            ConditionAst::Not(Box::new(ConditionAst::Quantified {
                all: false,
                target: Target::Pattern("filter_*".into()),
                span: Span::new(4, 17)
            }))
        );
        assert!(matches!(
            ok("all of them"),
            ConditionAst::Quantified {
                all: true,
                target: Target::Them,
                ..
            }
        ));
        assert!(matches!(
            ok("any of sel*"),
            ConditionAst::Quantified { all: false, .. }
        ));
    }

    #[test]
    fn pipe_aggregation() {
        let ast = ok("selection | count(dst_port) by src_ip > 10");
        let ConditionAst::Aggregate { agg, .. } = ast else {
            panic!("no aggregate")
        };
        assert_eq!(agg.field.as_deref(), Some("dst_port"));
        assert_eq!(agg.group_by, ["src_ip"]);
        assert_eq!((agg.op, agg.value), (RangeOp::Gt, 10.0));
        assert!(matches!(
            ok("a | near b and not c"),
            ConditionAst::Near { .. }
        ));
        assert!(matches!(
            ok("a | count() > 6"),
            ConditionAst::Aggregate { .. }
        ));
    }

    #[test]
    fn errors_have_spans() {
        for bad in [
            "",
            "a and",
            "(a or b",
            "a b",
            "2 of x",
            "1 of",
            "a | count( > 3",
            ")",
        ] {
            let (ast, errors) = parse_condition(bad);
            assert!(!errors.is_empty(), "{bad:?} should fail");
            assert!(ast.has_error());
            assert!(
                errors.iter().all(|e| e.span.end as usize <= bad.len()),
                "{bad:?}: {errors:?}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(!parse_condition(&text).1.is_empty());
        let nots = format!("{}a", "not ".repeat(10_000));
        assert!(!parse_condition(&nots).1.is_empty());
    }
}

//! Eval-syntax conditions (`where`) into model expressions.
//!
//! `where` comparisons are case-sensitive (`==` and `=` alike); `lower()`/`upper()` around
//! the field make them case-insensitive. `like` is a case-sensitive glob with `%` and `_`;
//! `match` is a regular expression (`(?i)` sets the ignore-case flag). What is understood but
//! is no simple predicate (`len(x) > 100`, `if(…)`) becomes a `Computed` node.

use detcat_model::{Computed, Expr, Operator, Predicate, RegexFlags, Value, wildcard};

use super::Lowerer;
use super::search::{number_or_string, range_value};
use crate::spl::{BinOp, EvalExpr, text};

/// A field operand, possibly wrapped in `lower()`/`upper()`.
struct FieldRef {
    name: String,
    fold: Option<&'static str>,
}

fn field_of(e: &EvalExpr) -> Option<FieldRef> {
    match e {
        EvalExpr::Field { name, .. } => Some(FieldRef {
            name: name.clone(),
            fold: None,
        }),
        EvalExpr::Call { name, args, .. }
            if args.len() == 1 && (name == "lower" || name == "upper") =>
        {
            let inner = field_of(args.first()?)?;
            if inner.fold.is_some() {
                return None;
            }
            Some(FieldRef {
                name: inner.name,
                fold: Some(if name == "lower" { "lower" } else { "upper" }),
            })
        }
        _ => None,
    }
}

fn literal_of(e: &EvalExpr) -> Option<Value> {
    match e {
        EvalExpr::Str { value, .. } => Some(Value::Str(value.clone())),
        EvalExpr::Num { text, .. } => Some(range_value(text)),
        EvalExpr::Neg { expr, .. } => match &**expr {
            EvalExpr::Num { text, .. } => Some(range_value(&format!("-{text}"))),
            _ => None,
        },
        _ => None,
    }
}

fn string_of(e: &EvalExpr) -> Option<&str> {
    match e {
        EvalExpr::Str { value, .. } => Some(value),
        _ => None,
    }
}

fn pred(field: &FieldRef, op: Operator, values: Vec<Value>, function: Option<&str>) -> Predicate {
    let mut p = Predicate::new(field.name.clone(), op, values);
    p.case_sensitive = field.fold.is_none();
    if let Some(f) = function {
        p.modifiers.push(f.to_owned());
    }
    if let Some(fold) = field.fold {
        p.modifiers.push(fold.to_owned());
    }
    p
}

impl Lowerer<'_> {
    /// A `where` condition.
    pub(crate) fn condition(&mut self, e: &EvalExpr) -> Expr {
        let span = e.span();
        match e {
            EvalExpr::Binary {
                op: BinOp::And,
                lhs,
                rhs,
                ..
            } => Expr::and(vec![self.condition(lhs), self.condition(rhs)]),
            EvalExpr::Binary {
                op: BinOp::Or,
                lhs,
                rhs,
                ..
            } => Expr::or(vec![self.condition(lhs), self.condition(rhs)]),
            EvalExpr::Not { expr, .. } => Expr::not(self.condition(expr)),
            EvalExpr::Binary { op, lhs, rhs, .. } if is_comparison(*op) => self
                .comparison(*op, lhs, rhs)
                .map_or_else(|| self.computed(e), |p| with_span(p, span)),
            EvalExpr::In { expr, list, .. } => match (
                field_of(expr),
                list.iter().map(literal_of).collect::<Option<Vec<_>>>(),
            ) {
                (Some(f), Some(values)) => {
                    with_span(Expr::Pred(pred(&f, Operator::Eq, values, Some("in"))), span)
                }
                _ => self.computed(e),
            },
            EvalExpr::Call { name, args, .. } => self.call(name, args, e),
            EvalExpr::Macro { name, span } => {
                self.opaque(*span, &format!("unknown macro `{name}`"))
            }
            EvalExpr::Error { span } => self.opaque(*span, "where expression that did not parse"),
            _ => self.computed(e),
        }
    }

    fn computed(&self, e: &EvalExpr) -> Expr {
        let function = match e {
            EvalExpr::Call { name, .. } => name.clone(),
            EvalExpr::Binary { lhs, rhs, op, .. } => match (&**lhs, &**rhs) {
                (EvalExpr::Call { name, .. }, _) | (_, EvalExpr::Call { name, .. }) => name.clone(),
                _ => format!("{op:?}").to_ascii_lowercase(),
            },
            EvalExpr::Field { .. } => "truthy".to_owned(),
            _ => "expression".to_owned(),
        };
        Expr::Computed(Computed {
            function,
            fields: e.fields(),
            text: self.slice(e.span()).to_owned(),
            span: Some(e.span()),
        })
    }

    /// `field OP literal` (either way round), `field OP field`.
    fn comparison(&self, op: BinOp, lhs: &EvalExpr, rhs: &EvalExpr) -> Option<Expr> {
        let (field, other, op) = match (field_of(lhs), field_of(rhs)) {
            (Some(f), _) if literal_of(rhs).is_some() => (f, rhs, op),
            (_, Some(f)) if literal_of(lhs).is_some() => (f, lhs, mirror(op)),
            (Some(f), Some(g)) if op == BinOp::Eq || op == BinOp::Ne => {
                if g.fold.is_some() != f.fold.is_some() {
                    return None;
                }
                let p = pred(&f, Operator::FieldRef, vec![Value::Str(g.name)], None);
                return Some(negate_if(op == BinOp::Ne, p));
            }
            _ => return None,
        };
        let value = literal_of(other)?;
        let p = match op {
            BinOp::Eq | BinOp::Ne => {
                // Eval compares text exactly: a `*` is a star, values stay as written.
                let value = match value {
                    Value::Str(s) => number_or_string(&s, true),
                    v => v,
                };
                let mut p = pred(&field, Operator::Eq, vec![value], None);
                if op == BinOp::Ne {
                    p.modifiers.push("!=".to_owned());
                }
                p
            }
            BinOp::Like => return like(&field, string_of(other)?),
            BinOp::Lt => pred(&field, Operator::Lt, vec![value], None),
            BinOp::Le => pred(&field, Operator::Lte, vec![value], None),
            BinOp::Gt => pred(&field, Operator::Gt, vec![value], None),
            BinOp::Ge => pred(&field, Operator::Gte, vec![value], None),
            _ => return None,
        };
        Some(negate_if(op == BinOp::Ne, p))
    }

    fn call(&mut self, name: &str, args: &[EvalExpr], whole: &EvalExpr) -> Expr {
        let span = whole.span();
        let first_field = args.first().and_then(field_of);
        let second_str = args.get(1).and_then(string_of);
        let result = match (name, first_field, second_str) {
            ("like", Some(f), Some(pattern)) if args.len() == 2 => like(&f, pattern),
            ("match", Some(f), Some(re)) if args.len() == 2 => Some(regex(&f, re)),
            ("isnull", Some(f), _) if args.len() == 1 => Some(Expr::not(Expr::Pred(pred(
                &f,
                Operator::Exists,
                Vec::new(),
                Some("isnull"),
            )))),
            ("isnotnull", Some(f), _) if args.len() == 1 => Some(Expr::Pred(pred(
                &f,
                Operator::Exists,
                Vec::new(),
                Some("isnotnull"),
            ))),
            ("in", Some(f), _) if args.len() >= 2 => args
                .get(1..)
                .and_then(|rest| rest.iter().map(literal_of).collect::<Option<Vec<_>>>())
                .map(|values| Expr::Pred(pred(&f, Operator::Eq, values, Some("in")))),
            ("cidrmatch", _, _) if args.len() == 2 => match (
                args.first().and_then(string_of),
                args.get(1).and_then(field_of),
            ) {
                (Some(cidr), Some(f)) => Some(Expr::Pred(pred(
                    &f,
                    Operator::Cidr,
                    vec![Value::from(cidr)],
                    Some("cidrmatch"),
                ))),
                _ => None,
            },
            ("searchmatch", _, _) if args.len() == 1 => {
                return match args.first() {
                    Some(EvalExpr::Str { value, span }) => self.searchmatch(value, *span),
                    _ => self.computed(whole),
                };
            }
            ("true", _, _) if args.is_empty() => Some(Expr::Const { value: true }),
            ("false", _, _) if args.is_empty() => Some(Expr::Const { value: false }),
            _ => None,
        };
        result.map_or_else(|| self.computed(whole), |e| with_span(e, span))
    }
}

fn like(field: &FieldRef, pattern: &str) -> Option<Expr> {
    let glob = text::like_pattern(pattern);
    let p = match wildcard::as_literal(&glob) {
        Some(literal) => pred(field, Operator::Eq, vec![Value::Str(literal)], Some("like")),
        None => pred(
            field,
            Operator::Wildcard,
            vec![Value::Str(glob)],
            Some("like"),
        ),
    };
    Some(Expr::Pred(p))
}

fn regex(field: &FieldRef, re: &str) -> Expr {
    let mut p = pred(
        field,
        Operator::RegexMatch,
        vec![Value::from(re)],
        Some("match"),
    );
    if re.starts_with("(?i)") {
        p.regex_flags = RegexFlags {
            ignore_case: true,
            ..RegexFlags::default()
        };
        p.case_sensitive = false;
    }
    Expr::Pred(p)
}

fn is_comparison(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Like
    )
}

/// `5 < x` is `x > 5`.
fn mirror(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        other => other,
    }
}

fn negate_if(neg: bool, p: Predicate) -> Expr {
    if neg {
        Expr::not(Expr::Pred(p))
    } else {
        Expr::Pred(p)
    }
}

/// Sets the span on every predicate of `e` that has none.
fn with_span(mut e: Expr, span: detcat_model::Span) -> Expr {
    match &mut e {
        Expr::Pred(p) if p.span.is_none() => p.span = Some(span),
        Expr::Not { item } => {
            let inner = std::mem::replace(&mut **item, Expr::Const { value: true });
            **item = with_span(inner, span);
        }
        _ => {}
    }
    e
}

//! Search-syntax terms into model expressions.
//!
//! Search-language comparisons are case-insensitive; `*` is a wildcard (`field=*` means the
//! field exists); unquoted integers become integer values, as Sigma's `EventID: 4688` does.

use detcat_model::{
    Expr, Keyword, Opaque, Operator, Predicate, SeqKind, SeqStep, Sequence, Value, wildcard,
};

use super::Lowerer;
use crate::spl::{CmpOp, CommandKind, Query, SearchExpr, SearchValue};

impl Lowerer<'_> {
    pub(crate) fn search(&mut self, e: &SearchExpr) -> Expr {
        match e {
            SearchExpr::And(items) => {
                Expr::and(drop_true(items.iter().map(|i| self.search(i)).collect()))
            }
            SearchExpr::Or(items) => Expr::or(items.iter().map(|i| self.search(i)).collect()),
            SearchExpr::Not(item) => Expr::not(self.search(item)),
            SearchExpr::Compare {
                field,
                op,
                value,
                span,
            } => compare(field, *op, value).map_or_else(
                || self.opaque(*span, "SPL comparison with no value"),
                |p| {
                    let p = p.with_span(*span);
                    if *op == CmpOp::Ne {
                        Expr::not(Expr::Pred(p))
                    } else {
                        Expr::Pred(p)
                    }
                },
            ),
            SearchExpr::In {
                field,
                values,
                span,
            } => {
                let (op, values) = value_list(values);
                let mut p = Predicate::new(field, op, values).with_span(*span);
                p.modifiers.push("in".to_owned());
                Expr::Pred(p)
            }
            SearchExpr::Term { value, directive } => {
                if value.wildcard && value.pattern.chars().all(|c| c == '*') {
                    return Expr::Const { value: true };
                }
                let (op, v) = single_value(value);
                let op = if op == Operator::Eq {
                    Operator::Match
                } else {
                    op
                };
                Expr::Keyword(Keyword {
                    op,
                    values: vec![v],
                    match_all: false,
                    case_sensitive: directive.as_deref() == Some("CASE"),
                    modifiers: directive.iter().map(|d| d.to_ascii_lowercase()).collect(),
                    span: Some(value.span),
                })
            }
            SearchExpr::TimeBound { .. } => Expr::Const { value: true },
            SearchExpr::Subsearch { query, span } => {
                let sub = self.subquery(query);
                if let Some(e) = correlated(query, &sub) {
                    return e;
                }
                let fields = super::fields_of(&sub);
                self.diags
                    .push(crate::diagnostics::subsearch_not_normalized(*span));
                Expr::Opaque(Opaque {
                    text: self.slice(*span).to_owned(),
                    reason: "SPL subsearch in search terms".to_owned(),
                    fields,
                    span: Some(*span),
                })
            }
            SearchExpr::Macro { name, span } => {
                self.opaque(*span, &format!("unknown macro `{name}`"))
            }
            SearchExpr::Error { span } => self.opaque(*span, "search terms that did not parse"),
        }
    }
}

/// A subsearch in search terms that is fully normalized and ends by naming the fields it
/// returns (`[| tstats … by a b | table a b]`): its results become `a=… b=…` terms, so the
/// event must share those fields with an event the subsearch finds — a one-step sample joined
/// by them. Anything else (baselines, lookups, unknown commands) stays opaque.
fn correlated(query: &Query, sub: &Expr) -> Option<Expr> {
    if sub.has_opaque() {
        return None;
    }
    let keys = query.commands.iter().rev().find_map(|c| match &c.kind {
        CommandKind::Other { words, .. } if c.name == "table" || c.name == "fields" => {
            Some(words.clone())
        }
        _ => None,
    })?;
    if keys.is_empty() || keys.iter().any(|k| k == "-" || k == "+" || k.contains('*')) {
        return None;
    }
    Some(Expr::Sequence(Sequence {
        kind: SeqKind::Sample,
        by: keys,
        maxspan: None,
        steps: vec![SeqStep {
            category: None,
            expr: sub.clone(),
            by: Vec::new(),
            runs: None,
            missing: false,
        }],
        until: None,
    }))
}

/// Removes `true` constants from a conjunction (`*`, time bounds); an all-true `and` is `true`.
pub(crate) fn drop_true(items: Vec<Expr>) -> Vec<Expr> {
    let kept: Vec<Expr> = items
        .into_iter()
        .filter(|e| !matches!(e, Expr::Const { value: true }))
        .collect();
    if kept.is_empty() {
        vec![Expr::Const { value: true }]
    } else {
        kept
    }
}

/// The predicate of `field <op> value` (a `!=` yields the `=` predicate, to be negated).
fn compare(field: &str, op: CmpOp, value: &SearchValue) -> Option<Predicate> {
    let model_op = match op {
        CmpOp::Eq | CmpOp::Ne => {
            if value.wildcard && value.pattern.chars().all(|c| c == '*') {
                let mut p = Predicate::new(field, Operator::Exists, Vec::new());
                if op == CmpOp::Ne {
                    p.modifiers.push("!=".to_owned());
                }
                return Some(p);
            }
            let (op_, v) = single_value(value);
            let mut p = Predicate::new(field, op_, vec![v]);
            if op == CmpOp::Ne {
                p.modifiers.push("!=".to_owned());
            }
            return Some(p);
        }
        CmpOp::Lt => Operator::Lt,
        CmpOp::Le => Operator::Lte,
        CmpOp::Gt => Operator::Gt,
        CmpOp::Ge => Operator::Gte,
    };
    let literal = wildcard::as_literal(&value.pattern).unwrap_or_else(|| value.pattern.clone());
    if literal.is_empty() {
        return None;
    }
    Some(Predicate::new(field, model_op, vec![range_value(&literal)]))
}

/// One search value: `Wildcard` with the pattern, `Cidr` for a CIDR block (Splunk search
/// matches `ip=10.0.0.0/8` as a network), or `Eq` with the literal.
fn single_value(value: &SearchValue) -> (Operator, Value) {
    if value.wildcard {
        return (Operator::Wildcard, Value::Str(value.pattern.clone()));
    }
    let literal = wildcard::as_literal(&value.pattern).unwrap_or_else(|| value.pattern.clone());
    if is_cidr(&literal) {
        return (Operator::Cidr, Value::Str(literal));
    }
    (Operator::Eq, number_or_string(&literal, value.quoted))
}

/// Several alternatives: `Wildcard` (literals escaped) when any has a wildcard, `Cidr` when
/// all are CIDR blocks, else `Eq`.
fn value_list(values: &[SearchValue]) -> (Operator, Vec<Value>) {
    let singles: Vec<(Operator, Value)> = values.iter().map(single_value).collect();
    if !singles.is_empty() && singles.iter().all(|(op, _)| *op == Operator::Cidr) {
        return (
            Operator::Cidr,
            singles.into_iter().map(|(_, v)| v).collect(),
        );
    }
    if values.iter().any(|v| v.wildcard) {
        (
            Operator::Wildcard,
            values
                .iter()
                .map(|v| Value::Str(v.pattern.clone()))
                .collect(),
        )
    } else {
        // Mixed CIDR and plain values stay equality: the CIDR text is kept as written.
        (
            Operator::Eq,
            values
                .iter()
                .map(|v| {
                    Value::Str(
                        wildcard::as_literal(&v.pattern).unwrap_or_else(|| v.pattern.clone()),
                    )
                })
                .map(|v| match v {
                    Value::Str(s) => number_or_string(&s, false),
                    other => other,
                })
                .collect(),
        )
    }
}

/// Unquoted integers (`4688`, `-1`, no leading zeros) become integers; all else stays text.
pub(crate) fn number_or_string(text: &str, quoted: bool) -> Value {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let plain = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !quoted
        && plain
        && let Ok(i) = text.parse::<i64>()
    {
        return Value::Int(i);
    }
    Value::Str(text.to_owned())
}

/// A bound of a range comparison: a number when it reads as one.
pub(crate) fn range_value(text: &str) -> Value {
    match number_or_string(text, false) {
        Value::Str(s) => s
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map_or(Value::Str(s), Value::Float),
        other => other,
    }
}

/// `10.0.0.0/8`, `fe80::/10`: an address, a slash and a prefix length.
pub(crate) fn is_cidr(text: &str) -> bool {
    let Some((addr, bits)) = text.split_once('/') else {
        return false;
    };
    let bits_ok = !bits.is_empty() && bits.len() <= 3 && bits.bytes().all(|b| b.is_ascii_digit());
    let v4 = addr.split('.').count() == 4
        && addr
            .split('.')
            .all(|o| !o.is_empty() && o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit()));
    let v6 = addr.contains(':') && addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
    bits_ok && (v4 || v6)
}

//! What every query-language parser of this crate returns.

use detcat_model::{Expr, Span, TelemetryHint};

use crate::diagnostics::QueryDiag;

/// A parsed query: the model tree (spans relative to the query text), telemetry hints the
/// query itself states (EQL event categories, ES|QL `FROM` indices) and diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedQuery {
    pub expr: Expr,
    pub telemetry: Vec<TelemetryHint>,
    pub diagnostics: Vec<QueryDiag>,
}

impl ParsedQuery {
    /// Did the parser report an error (as opposed to warnings)?
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.error)
    }
}

/// Every event field an expression reads — predicates, computed conditions, opaque parts,
/// sequence and aggregation keys — sorted and deduplicated.
pub fn fields_of(expr: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    for e in expr.walk() {
        match e {
            Expr::Pred(p) => {
                out.push(p.field.clone());
                if p.op == detcat_model::Operator::FieldRef {
                    out.extend(
                        p.values
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_owned)),
                    );
                }
            }
            Expr::Computed(c) => out.extend(c.fields.iter().cloned()),
            Expr::Opaque(o) => out.extend(o.fields.iter().cloned()),
            Expr::Sequence(s) => {
                out.extend(s.by.iter().cloned());
                s.steps
                    .iter()
                    .for_each(|st| out.extend(st.by.iter().cloned()));
            }
            Expr::Aggregation(a) => {
                out.extend(a.fields.iter().cloned());
                out.extend(a.group_by.iter().cloned());
            }
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Moves every span in the tree right by `base` bytes (query-relative → file-relative).
pub fn shift_spans(expr: &mut Expr, base: usize) {
    map_spans(expr, &|s: Span| s.offset(base));
}

/// Rewrites every span in the tree with `f`.
pub fn map_spans(expr: &mut Expr, f: &dyn Fn(Span) -> Span) {
    let shift = |s: &mut Option<Span>| {
        if let Some(span) = s {
            *span = f(*span);
        }
    };
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match e {
            Expr::And { items } | Expr::Or { items } => stack.extend(items.iter_mut()),
            Expr::Not { item } => stack.push(item),
            Expr::Pred(p) => shift(&mut p.span),
            Expr::Keyword(k) => shift(&mut k.span),
            Expr::Computed(c) => shift(&mut c.span),
            Expr::Opaque(o) => shift(&mut o.span),
            Expr::Sequence(s) => {
                if let Some(u) = s.until.as_deref_mut() {
                    stack.push(u);
                }
                stack.extend(s.steps.iter_mut().map(|st| &mut st.expr));
            }
            Expr::Aggregation(a) => {
                if let Some(i) = a.input.as_deref_mut() {
                    stack.push(i);
                }
            }
            Expr::Const { .. } => {}
        }
    }
}

/// Adds `hint` unless it is there already.
pub fn push_hint(hints: &mut Vec<TelemetryHint>, hint: TelemetryHint) {
    if !hints.contains(&hint) {
        hints.push(hint);
    }
}

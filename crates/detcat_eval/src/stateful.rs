//! Stateful rules — sequences and aggregations — run over an ordered event stream.
//!
//! A stateful rule is never evaluated as a plain filter: it either runs here over the stream
//! or says why it was not evaluated (`new_terms` needs history the recording lacks, a Sigma
//! correlation needs the rules it references).

use detcat_model::{AggKind, Expr};

use crate::compile::{Compiler, Node};

/// A compiled stateful construct at the root of a rule.
#[derive(Debug)]
pub(crate) enum Stateful {
    /// Evaluated over the stream.
    Plan(crate::stream::Plan),
    /// Reported as not evaluated, with the reason.
    NotEvaluated(String),
}

impl Stateful {
    /// `Some` when the rule's root is a sequence or aggregation (possibly `and`-ed with
    /// plain filters, which then join its input).
    pub(crate) fn compile(c: &mut Compiler<'_>, expr: &Expr) -> Option<Stateful> {
        let (core, filters): (&Expr, Vec<&Expr>) = match expr {
            Expr::Sequence(_) | Expr::Aggregation(_) => (expr, Vec::new()),
            Expr::And { items } => {
                let mut stateful = items
                    .iter()
                    .filter(|i| matches!(i, Expr::Sequence(_) | Expr::Aggregation(_)));
                let core = stateful.next()?;
                if stateful.next().is_some() {
                    return Some(Stateful::NotEvaluated(
                        "several stateful parts in one rule".into(),
                    ));
                }
                let rest = items.iter().filter(|i| !std::ptr::eq(*i, core)).collect();
                (core, rest)
            }
            _ => {
                if expr
                    .walk()
                    .any(|e| matches!(e, Expr::Sequence(_) | Expr::Aggregation(_)))
                {
                    return Some(Stateful::NotEvaluated(
                        "a stateful part nested inside a boolean expression".into(),
                    ));
                }
                return None;
            }
        };
        let filter = |c: &mut Compiler<'_>| -> Option<Node> {
            (!filters.is_empty()).then(|| Node::And(filters.iter().map(|f| c.expr(f)).collect()))
        };
        Some(match core {
            Expr::Aggregation(a) => match a.kind {
                AggKind::NewTerms => Stateful::NotEvaluated(
                    "new_terms needs the history window of the source; a recording has none".into(),
                ),
                AggKind::Temporal | AggKind::TemporalOrdered => Stateful::NotEvaluated(
                    "temporal correlation of other rules is not evaluated".into(),
                ),
                _ if !a.rule_refs.is_empty() => Stateful::NotEvaluated(
                    "Sigma correlation over referenced rules is not evaluated".into(),
                ),
                _ => {
                    let f = filter(c);
                    match crate::stream::Plan::aggregation(c, a, f) {
                        Ok(p) => Stateful::Plan(p),
                        Err(reason) => Stateful::NotEvaluated(reason),
                    }
                }
            },
            Expr::Sequence(s) => {
                let f = filter(c);
                match crate::stream::Plan::sequence(c, s, f) {
                    Ok(p) => Stateful::Plan(p),
                    Err(reason) => Stateful::NotEvaluated(reason),
                }
            }
            _ => return None,
        })
    }
}

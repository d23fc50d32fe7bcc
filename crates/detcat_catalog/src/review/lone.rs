//! Indicators that stand alone in an AND branch: the only indicator a branch of the rule
//! requires (its other conjuncts, if any, only choose the event stream). A common value alone
//! in a branch makes that branch fire on every event carrying it.

use std::collections::BTreeSet;

use detcat_model::{Expr, Predicate, Rule};
use detcat_taxonomy::{LogContext, Taxonomy};

use crate::similar::TripleKey;

/// Deepest nesting followed (parsers already bound depth; this bounds the walk again).
const MAX_DEPTH: usize = 64;

/// The canonical triples of the predicates that are the sole indicator of some AND branch.
pub(crate) fn lone_indicators(rule: &Rule) -> BTreeSet<TripleKey> {
    let taxonomy = Taxonomy::get();
    let ctx = LogContext::of(rule);
    let is_indicator = |p: &Predicate| !taxonomy.is_selector(rule.vendor, &ctx, p);
    let mut lone: Vec<&Predicate> = Vec::new();
    branches(&rule.expr, 0, 0, &is_indicator, &mut lone);
    lone.into_iter()
        .flat_map(|p| taxonomy.canonicalize_in(rule.vendor, &ctx, p))
        .map(|c| TripleKey {
            field: c.field.to_string(),
            operator: c.op.as_str().to_owned(),
            value: c.value,
        })
        .collect()
}

/// Each alternative of an `or` is a branch; anything else is one branch. `outside` counts the
/// indicator conjuncts the enclosing branch adds to this one.
fn branches<'a>(
    e: &'a Expr,
    outside: usize,
    depth: usize,
    is_indicator: &dyn Fn(&Predicate) -> bool,
    lone: &mut Vec<&'a Predicate>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    match e {
        Expr::Or { items } => {
            for item in items {
                conjunction(item, outside, depth + 1, is_indicator, lone);
            }
        }
        _ => conjunction(e, outside, depth + 1, is_indicator, lone),
    }
}

fn conjunction<'a>(
    e: &'a Expr,
    outside: usize,
    depth: usize,
    is_indicator: &dyn Fn(&Predicate) -> bool,
    lone: &mut Vec<&'a Predicate>,
) {
    let items: Vec<&Expr> = match e {
        Expr::And { items } => items.iter().collect(),
        other => vec![other],
    };
    let mut simple: Vec<Vec<&Predicate>> = Vec::new();
    let mut compound: Vec<&Expr> = Vec::new();
    for item in items {
        match item {
            Expr::Pred(p) if is_indicator(p) => simple.push(vec![p]),
            // A list of alternatives over single predicates is one conjunct.
            Expr::Or { items: alts }
                if alts
                    .iter()
                    .all(|a| matches!(a, Expr::Pred(p) if is_indicator(p))) =>
            {
                simple.push(
                    alts.iter()
                        .filter_map(|a| match a {
                            Expr::Pred(p) => Some(p),
                            _ => None,
                        })
                        .collect(),
                );
            }
            Expr::Or { .. } | Expr::And { .. } => compound.push(item),
            // Selectors, negations, keywords, sequences and the rest add no lone indicator.
            _ => {}
        }
    }
    let here = simple.len() + compound.len();
    if here + outside == 1
        && let Some(preds) = simple.pop()
    {
        lone.extend(preds);
    }
    for c in compound {
        branches(c, outside + here - 1, depth, is_indicator, lone);
    }
}

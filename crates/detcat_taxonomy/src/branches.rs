//! Event selection per top-level OR branch: which event kinds each alternative of a rule reads.
//!
//! `(event.category : ("library", "driver") or (event.category == "process" and event.action :
//! "Image loaded*"))` reads library and driver events, or Sysmon 7 as winlogbeat ships it — not
//! process creations. Taking the union of every hint (library, driver, process) would; so the
//! selectors are expanded into their alternatives (a disjunctive normal form over selector
//! predicates only, bounded) and each alternative picks its events on its own.

use detcat_model::{Expr, Operator, Rule, Value, wildcard};

use crate::fields::FieldTable;

/// The selector facts of one alternative, lowercased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Branch {
    pub categories: Vec<String>,
    pub types: Vec<String>,
    /// `event.action` literals and pattern prefixes (`image loaded` for `Image loaded*`).
    pub actions: Vec<String>,
    pub kinds: Vec<String>,
}

impl Branch {
    fn merge(&self, other: &Branch) -> Branch {
        let mut out = self.clone();
        out.categories.extend(other.categories.iter().cloned());
        out.types.extend(other.types.iter().cloned());
        out.actions.extend(other.actions.iter().cloned());
        out.kinds.extend(other.kinds.iter().cloned());
        out
    }

    fn is_empty(&self) -> bool {
        self.categories.is_empty()
            && self.types.is_empty()
            && self.actions.is_empty()
            && self.kinds.is_empty()
    }
}

/// More alternatives than this and the rule is read as one branch (the union), as before.
const MAX_BRANCHES: usize = 32;

/// Literal values, and for patterns the text before the first wildcard (`Image loaded*`).
fn values(op: Operator, values: &[Value]) -> Vec<String> {
    values
        .iter()
        .filter_map(|v| match (op, v) {
            (Operator::Eq | Operator::Match, v) => Some(v.to_text()),
            (Operator::Wildcard, Value::Str(s)) => {
                let pieces = wildcard::pieces(s);
                match pieces.first() {
                    Some(wildcard::Piece::Literal(l)) => Some(l.clone()),
                    _ => None,
                }
            }
            _ => None,
        })
        .map(|s| s.trim().to_lowercase())
        .collect()
}

struct Walker<'a> {
    fields: &'a FieldTable,
    rule: &'a Rule,
}

impl Walker<'_> {
    /// One branch per value of a selector predicate; `None` for anything else.
    fn leaf(&self, expr: &Expr) -> Option<Vec<Branch>> {
        let Expr::Pred(p) = expr else { return None };
        let id = self
            .fields
            .lookup(self.rule.vendor, &p.field)
            .and_then(|h| self.fields.field(h))
            .map(|f| f.id.as_str())?;
        let vals = values(p.op, &p.values);
        let one = |v: String| -> Branch {
            let mut b = Branch::default();
            match id {
                "event.category" => b.categories.push(v),
                "event.type" => b.types.push(v),
                "event.action" => b.actions.push(v),
                _ => b.kinds.push(v),
            }
            b
        };
        match id {
            "event.category" | "event.type" | "event.action" | "event.kind" if !vals.is_empty() => {
                if p.match_all {
                    Some(vec![
                        vals.into_iter()
                            .map(one)
                            .fold(Branch::default(), |a, b| a.merge(&b)),
                    ])
                } else {
                    Some(vals.into_iter().map(one).collect())
                }
            }
            _ => None,
        }
    }

    fn branches(&self, expr: &Expr) -> Vec<Branch> {
        if let Some(b) = self.leaf(expr) {
            return b;
        }
        match expr {
            Expr::And { items } => {
                let mut acc = vec![Branch::default()];
                for item in items {
                    let alts = self.branches(item);
                    if alts.len() == 1 && alts.first().is_some_and(Branch::is_empty) {
                        continue;
                    }
                    let mut next = Vec::with_capacity(acc.len() * alts.len());
                    for a in &acc {
                        next.extend(alts.iter().map(|b| a.merge(b)));
                    }
                    if next.len() > MAX_BRANCHES {
                        return vec![union(&next)];
                    }
                    acc = next;
                }
                acc
            }
            Expr::Or { items } => {
                let mut out: Vec<Branch> = items.iter().flat_map(|i| self.branches(i)).collect();
                out.dedup();
                if out.len() > MAX_BRANCHES {
                    return vec![union(&out)];
                }
                out
            }
            Expr::Sequence(seq) => seq
                .steps
                .iter()
                .filter(|s| !s.missing)
                .flat_map(|s| {
                    let mut bs = self.branches(&s.expr);
                    if let Some(c) = s.category.as_deref().filter(|c| *c != "any") {
                        for b in &mut bs {
                            b.categories.push(c.to_lowercase());
                        }
                    }
                    bs
                })
                .collect(),
            Expr::Aggregation(agg) => agg
                .input
                .as_deref()
                .map_or_else(|| vec![Branch::default()], |i| self.branches(i)),
            // A negated selector narrows the stream but picks no events of its own.
            _ => vec![Branch::default()],
        }
    }
}

fn union(branches: &[Branch]) -> Branch {
    branches
        .iter()
        .fold(Branch::default(), |acc, b| acc.merge(b))
}

/// The rule's alternatives; at least one (possibly empty) branch.
pub(crate) fn branches(rule: &Rule, fields: &FieldTable) -> Vec<Branch> {
    let walker = Walker { fields, rule };
    let mut out = walker.branches(&rule.expr);
    if out.is_empty() {
        out.push(Branch::default());
    }
    out
}

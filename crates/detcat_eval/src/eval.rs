//! Three-valued evaluation of a compiled tree on one event.
//!
//! `Unknown` is what an opaque part, an unresolved placeholder or a stateful construct yields:
//! `false and unknown` is `false`, `true or unknown` is `true`, and a rule whose result stays
//! unknown is reported as undetermined — never silently as a match or a miss.

use crate::compile::{CPred, Node, RefHow, Tables, Test};
use crate::event::Event;

/// Kleene's three truth values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tri {
    True,
    False,
    Unknown,
}

impl From<bool> for Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}

pub(crate) fn eval(node: &Node, t: &Tables, e: &Event) -> Tri {
    match node {
        Node::And(items) => {
            let mut out = Tri::True;
            for i in items {
                match eval(i, t, e) {
                    Tri::False => return Tri::False,
                    Tri::Unknown => out = Tri::Unknown,
                    Tri::True => {}
                }
            }
            out
        }
        Node::Or(items) => {
            let mut out = Tri::False;
            for i in items {
                match eval(i, t, e) {
                    Tri::True => return Tri::True,
                    Tri::Unknown => out = Tri::Unknown,
                    Tri::False => {}
                }
            }
            out
        }
        Node::Not(item) => match eval(item, t, e) {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        },
        Node::Pred(i) => t.preds.get(*i).map_or(Tri::Unknown, |p| pred(p, e).into()),
        Node::Keyword(i) => t
            .keywords
            .get(*i)
            .map_or(Tri::Unknown, |k| keyword(&k.pats, e).into()),
        Node::Const(b) => (*b).into(),
        Node::Unknown(_) => Tri::Unknown,
    }
}

/// A field-less search: any (or with `all`, every) pattern matches some value of the event.
fn keyword(set: &crate::matcher::PatSet, e: &Event) -> bool {
    let hit = |p: &crate::matcher::Pat| {
        if set.fold {
            e.all_lower().any(|v| p.is_match(v))
        } else {
            e.all_values().any(|v| p.is_match(v))
        }
    };
    if set.all {
        !set.pats.is_empty() && set.pats.iter().all(hit)
    } else {
        set.pats.iter().any(hit)
    }
}

fn pred(p: &CPred, e: &Event) -> bool {
    let vals = p.field.get(e);
    match &p.test {
        Test::Pats(set) => set.matches(vals),
        Test::Exists => vals.is_some_and(|v| !v.null || !v.values.is_empty()),
        Test::Cidr(blocks) => vals.is_some_and(|v| {
            v.values
                .iter()
                .any(|val| blocks.iter().any(|b| b.contains(val)))
        }),
        Test::Num { op, values } => vals.is_some_and(|v| {
            v.values.iter().any(|val| {
                let Ok(x) = val.trim().parse::<f64>() else {
                    return false;
                };
                values.iter().any(|n| compare(*op, x, *n))
            })
        }),
        Test::FieldRef { other, how, fold } => {
            let (Some(a), Some(b)) = (vals, other.get(e)) else {
                return false;
            };
            let (av, bv): (&[String], &[String]) = if *fold {
                (a.lower(), b.lower())
            } else {
                (&a.values, &b.values)
            };
            av.iter().any(|x| {
                bv.iter().any(|y| match how {
                    RefHow::Equal => x == y,
                    RefHow::Contains => x.contains(y.as_str()),
                    RefHow::StartsWith => x.starts_with(y.as_str()),
                    RefHow::EndsWith => x.ends_with(y.as_str()),
                })
            })
        }
    }
}

fn compare(op: detcat_model::Operator, x: f64, n: f64) -> bool {
    use detcat_model::Operator as O;
    match op {
        O::Gt => x > n,
        O::Gte => x >= n,
        O::Lt => x < n,
        O::Lte => x <= n,
        _ => false,
    }
}

/// Appends the labels of the positive leaves that made `node` true.
pub(crate) fn explain(node: &Node, t: &Tables, e: &Event, out: &mut Vec<String>) {
    match node {
        Node::And(items) => items.iter().for_each(|i| explain(i, t, e, out)),
        Node::Or(items) => {
            if let Some(first) = items.iter().find(|i| eval(i, t, e) == Tri::True) {
                explain(first, t, e, out);
            }
        }
        Node::Pred(i) => {
            if let Some(p) = t.preds.get(*i)
                && pred(p, e)
            {
                out.push(p.label.clone());
            }
        }
        Node::Keyword(i) => {
            if let Some(k) = t.keywords.get(*i) {
                out.push(k.label.clone());
            }
        }
        Node::Not(_) | Node::Const(_) | Node::Unknown(_) => {}
    }
}

//! A condition on `COALESCE(a, b, …)` tests the first argument that is not null, so it is
//! exactly `cond(a) or (a is null and cond(b)) or …` — each branch a predicate on one field.
//! `COALESCE(a, b) IS NOT NULL` is `a is not null or b is not null`. Case folding around the
//! call (`TO_LOWER(COALESCE(a, b))`) moves onto each argument. Only calls whose arguments are
//! all plain fields are expanded; anything else stays as written (and lowers to computed).

use crate::ast::{Node, NodeKind};

/// Does the tree call `COALESCE` anywhere (else [`expand`] has nothing to do)?
pub fn used(node: &Node) -> bool {
    let mut found = false;
    node.visit(&mut |n| {
        found |=
            matches!(&n.kind, NodeKind::Call { name, .. } if name.eq_ignore_ascii_case("coalesce"));
    });
    found
}

/// `node` with every condition on a `COALESCE` of fields expanded.
pub fn expand(node: &Node) -> Node {
    let span = node.span;
    let kind = match &node.kind {
        NodeKind::Or(items) => NodeKind::Or(items.iter().map(expand).collect()),
        NodeKind::And(items) => NodeKind::And(items.iter().map(expand).collect()),
        NodeKind::Not(x) => NodeKind::Not(Box::new(expand(x))),
        NodeKind::IsNull { operand, negated } => match alternatives(operand) {
            Some(alts) => {
                let tests = alts
                    .into_iter()
                    .map(|(_, field)| is_null(field, *negated))
                    .collect();
                if *negated {
                    NodeKind::Or(tests)
                } else {
                    NodeKind::And(tests)
                }
            }
            None => return node.clone(),
        },
        _ => return expand_condition(node).unwrap_or_else(|| node.clone()),
    };
    Node::new(kind, span)
}

/// A comparison / pattern / `IN` whose subject is a `COALESCE`: one branch per argument.
fn expand_condition(node: &Node) -> Option<Node> {
    let (subject, rebuild): (&Node, Box<dyn Fn(Node) -> NodeKind>) = match &node.kind {
        NodeKind::Cmp { op, lhs, rhs } => {
            if alternatives(lhs).is_some() {
                let (op, rhs) = (*op, rhs.clone());
                (
                    lhs,
                    Box::new(move |s| NodeKind::Cmp {
                        op,
                        lhs: Box::new(s),
                        rhs: rhs.clone(),
                    }),
                )
            } else {
                let (op, lhs) = (*op, lhs.clone());
                (
                    rhs,
                    Box::new(move |s| NodeKind::Cmp {
                        op,
                        lhs: lhs.clone(),
                        rhs: Box::new(s),
                    }),
                )
            }
        }
        NodeKind::Match {
            op,
            lhs,
            patterns,
            negated,
        } => {
            let (op, patterns, negated) = (*op, patterns.clone(), *negated);
            (
                lhs,
                Box::new(move |s| NodeKind::Match {
                    op,
                    lhs: Box::new(s),
                    patterns: patterns.clone(),
                    negated,
                }),
            )
        }
        NodeKind::In {
            lhs,
            items,
            insensitive,
            negated,
        } => {
            let (items, insensitive, negated) = (items.clone(), *insensitive, *negated);
            (
                lhs,
                Box::new(move |s| NodeKind::In {
                    lhs: Box::new(s),
                    items: items.clone(),
                    insensitive,
                    negated,
                }),
            )
        }
        _ => return None,
    };
    let alts = alternatives(subject)?;
    let span = node.span;
    let mut nulls_before = Vec::new();
    let mut branches = Vec::new();
    for (replacement, field) in alts {
        let mut items = nulls_before.clone();
        items.push(Node::new(rebuild(replacement), span));
        branches.push(match items.len() {
            1 => items.pop()?,
            _ => Node::new(NodeKind::And(items), span),
        });
        nulls_before.push(is_null(field, false));
    }
    Some(Node::new(NodeKind::Or(branches), span))
}

/// `(what stands in for the call, the field whose nullness decides)` per argument.
fn alternatives(subject: &Node) -> Option<Vec<(Node, Node)>> {
    let NodeKind::Call {
        name,
        insensitive,
        args,
    } = &subject.kind
    else {
        return None;
    };
    if name.eq_ignore_ascii_case("coalesce") {
        let plain = args.len() >= 2
            && args
                .iter()
                .all(|a| matches!(a.kind, NodeKind::Field { .. }));
        return plain.then(|| args.iter().map(|a| (a.clone(), a.clone())).collect());
    }
    let folds = name.eq_ignore_ascii_case("to_lower") || name.eq_ignore_ascii_case("to_upper");
    match args.as_slice() {
        [inner] if folds => Some(
            alternatives(inner)?
                .into_iter()
                .map(|(r, f)| {
                    let call = NodeKind::Call {
                        name: name.clone(),
                        insensitive: *insensitive,
                        args: vec![r],
                    };
                    (Node::new(call, subject.span), f)
                })
                .collect(),
        ),
        _ => None,
    }
}

fn is_null(field: Node, negated: bool) -> Node {
    let span = field.span;
    Node::new(
        NodeKind::IsNull {
            operand: Box::new(field),
            negated,
        },
        span,
    )
}

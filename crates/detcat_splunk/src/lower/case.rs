//! `eval x = case(c1, v1, c2, v2, …)` / `if(c, a, b)` followed by a filter on `x`.
//!
//! `x == v` holds exactly when some arm `i` whose value is `v` is the first arm whose condition
//! holds: `ci and not cj` for every earlier arm `j` with another value (earlier arms with the
//! same value give `v` too, so they need no exclusion). The conditions are lowered like `where`
//! conditions, so `case(OriginalFileName=="credui.dll", 1, …) … | where x == 1` yields the
//! DLL names as predicates.

use detcat_model::{Expr, Operator, Predicate, Value};

use super::Lowerer;
use crate::spl::{BinOp, EvalExpr};

/// One arm of a `case`/`if`: its lowered condition and its value when it is a literal.
#[derive(Debug, Clone)]
pub(crate) struct Arm {
    pub cond: Expr,
    pub value: Option<Value>,
}

impl Lowerer<'_> {
    /// The arms of an eval expression that is a `case(…)` or `if(…)` call.
    pub(crate) fn arms(&mut self, e: &EvalExpr) -> Option<Vec<Arm>> {
        let EvalExpr::Call { name, args, .. } = e else {
            return None;
        };
        let pairs: Vec<(&EvalExpr, &EvalExpr)> = match (name.as_str(), args.as_slice()) {
            ("case", _) if !args.is_empty() && args.len() % 2 == 0 => args
                .chunks(2)
                .filter_map(|c| c.first().zip(c.get(1)))
                .collect(),
            ("if", [c, a, b]) => return Some(self.if_arms(c, a, b)),
            _ => return None,
        };
        Some(
            pairs
                .into_iter()
                .map(|(c, v)| Arm {
                    cond: self.arm_condition(c),
                    value: literal(v),
                })
                .collect(),
        )
    }

    fn if_arms(&mut self, c: &EvalExpr, a: &EvalExpr, b: &EvalExpr) -> Vec<Arm> {
        vec![
            Arm {
                cond: self.arm_condition(c),
                value: literal(a),
            },
            Arm {
                cond: Expr::Const { value: true },
                value: literal(b),
            },
        ]
    }

    /// `1=1` and `true()` are the catch-all arm.
    fn arm_condition(&mut self, c: &EvalExpr) -> Expr {
        if let EvalExpr::Binary {
            op: BinOp::Eq,
            lhs,
            rhs,
            ..
        } = c
            && let (Some(a), Some(b)) = (literal(lhs), literal(rhs))
        {
            return Expr::Const { value: a == b };
        }
        self.condition(c)
    }
}

/// `x == v` over the arms of `x`'s definition; `None` when an arm's value is no literal or no
/// arm yields `v`.
pub(crate) fn arms_equal(arms: &[Arm], p: &Predicate) -> Option<Expr> {
    if p.op != Operator::Eq {
        return None;
    }
    let [want] = p.values.as_slice() else {
        return None;
    };
    let same = |v: &Value| {
        let (a, b) = (v.to_text(), want.to_text());
        if p.case_sensitive {
            a == b
        } else {
            a.eq_ignore_ascii_case(&b)
        }
    };
    let mut alternatives = Vec::new();
    for (i, arm) in arms.iter().enumerate() {
        let value = arm.value.as_ref()?;
        if !same(value) {
            continue;
        }
        let mut items = vec![arm.cond.clone()];
        for earlier in arms.iter().take(i) {
            if !earlier.value.as_ref().is_some_and(same) {
                items.push(Expr::not(earlier.cond.clone()));
            }
        }
        alternatives.push(simplify(Expr::and(items)));
    }
    (!alternatives.is_empty()).then(|| simplify(Expr::or(alternatives)))
}

/// Drops `true` from conjunctions, `false` from disjunctions, `not true` / `not false`.
fn simplify(e: Expr) -> Expr {
    match e {
        Expr::And { items } => fold_consts(items, true),
        Expr::Or { items } => fold_consts(items, false),
        Expr::Not { item } => match simplify(*item) {
            Expr::Const { value } => Expr::Const { value: !value },
            other => Expr::not(other),
        },
        other => other,
    }
}

/// `and` (`is_and`) or `or` of the simplified items: the identity constant drops out, the
/// absorbing one wins.
fn fold_consts(items: Vec<Expr>, is_and: bool) -> Expr {
    let mut kept = Vec::with_capacity(items.len());
    for item in items.into_iter().map(simplify) {
        match item {
            Expr::Const { value } if value == is_and => {}
            Expr::Const { .. } => return Expr::Const { value: !is_and },
            other => kept.push(other),
        }
    }
    match (kept.is_empty(), is_and) {
        (true, _) => Expr::Const { value: is_and },
        (false, true) => Expr::and(kept),
        (false, false) => Expr::or(kept),
    }
}

fn literal(e: &EvalExpr) -> Option<Value> {
    match e {
        EvalExpr::Str { value, .. } => Some(Value::Str(value.clone())),
        EvalExpr::Num { text, .. } => Some(super::search::range_value(text)),
        _ => None,
    }
}

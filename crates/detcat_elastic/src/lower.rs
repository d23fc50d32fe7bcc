//! Lowering of the EQL / ES|QL syntax tree into the model's [`Expr`].
//!
//! Where a comparison is a plain `field op literal(s)` it becomes a [`Predicate`]; functions
//! that are predicates in disguise (`startsWith`, `cidrMatch`, `STARTS_WITH`, …) become
//! wildcard / CIDR predicates with the function named in `modifiers`; any other condition over
//! computed values becomes an [`Expr::Computed`] holding the fields it reads. Negation stays
//! where the rule wrote it (`and not …` keeps its shape, so the model sees the exclusions);
//! only `!=` and `not in` turn into `Not(pred)`.

use detcat_model::{
    Computed, Expr, Opaque, Operator, Predicate, RegexFlags, Span, Value, wildcard,
};

use crate::ast::{CmpOp, MatchOp, Node, NodeKind};
use crate::diagnostics::Lang;

/// What the lowering needs besides the tree.
pub struct LowerCtx<'a> {
    /// The query text the spans point into.
    pub src: &'a str,
    pub lang: Lang,
    /// ES|QL columns made by `eval` / `dissect` / `grok` before the `where`: not event fields.
    pub derived: &'a [String],
    /// ES|QL `EVAL col = field` / `EVAL col = TO_LOWER(field)`: the column stands for the
    /// field, with the modifiers the wrapping added.
    pub aliases: &'a [(String, String, Vec<String>)],
}

impl LowerCtx<'_> {
    pub fn lower(&self, node: &Node) -> Expr {
        match &node.kind {
            NodeKind::Or(items) => Expr::or(items.iter().map(|n| self.lower(n)).collect()),
            NodeKind::And(items) => Expr::and(items.iter().map(|n| self.lower(n)).collect()),
            NodeKind::Not(inner) => Expr::not(self.lower(inner)),
            NodeKind::Bool(b) => Expr::Const { value: *b },
            NodeKind::Error => Expr::Opaque(Opaque {
                text: self.text(node.span),
                reason: "syntax error".into(),
                fields: node.fields(),
                span: Some(node.span),
            }),
            NodeKind::Field { .. } => match self.field(node) {
                // A bare boolean field (`process.Ext.token.elevation`) reads as `== true`.
                Some((name, mods)) => self.pred(
                    name,
                    Operator::Eq,
                    vec![Value::Bool(true)],
                    false,
                    mods,
                    node.span,
                ),
                None => self.computed(node),
            },
            NodeKind::Cmp { op, lhs, rhs } => self.compare(node, *op, lhs, rhs),
            NodeKind::Match {
                op,
                lhs,
                patterns,
                negated,
            } => {
                let e = self.pattern_match(node, *op, lhs, patterns);
                if *negated { Expr::not(e) } else { e }
            }
            NodeKind::In {
                lhs,
                items,
                insensitive,
                negated,
            } => {
                let e = self.in_list(node, lhs, items, *insensitive);
                if *negated { Expr::not(e) } else { e }
            }
            NodeKind::IsNull { operand, negated } => match self.field(operand) {
                Some((name, mods)) => {
                    let exists = self.pred(name, Operator::Exists, vec![], false, mods, node.span);
                    if *negated { exists } else { Expr::not(exists) }
                }
                None => self.computed(node),
            },
            NodeKind::Call {
                name,
                insensitive,
                args,
            } => self.call(node, name, *insensitive, args),
            _ => self.computed(node),
        }
    }

    fn text(&self, span: Span) -> String {
        span.slice(self.src).to_owned()
    }

    /// The field a node names, with the modifiers its shape adds: `?f` → `optional`,
    /// ES|QL `TO_LOWER(f)` → `to_lower` (and the comparison becomes case-insensitive).
    pub fn field(&self, node: &Node) -> Option<(String, Vec<String>)> {
        match &node.kind {
            NodeKind::Field { name, optional } => {
                if let Some((_, field, mods)) =
                    self.aliases.iter().rev().find(|(col, _, _)| col == name)
                {
                    return Some((field.clone(), mods.clone()));
                }
                if self.derived.iter().any(|d| d == name) {
                    return None;
                }
                let mods = if *optional {
                    vec!["optional".to_owned()]
                } else {
                    Vec::new()
                };
                Some((name.clone(), mods))
            }
            NodeKind::Call { name, args, .. } if self.lang == Lang::Esql && is_case_fold(name) => {
                match args.as_slice() {
                    [only] => {
                        let (field, mut mods) = self.field(only)?;
                        mods.push(name.to_ascii_lowercase());
                        Some((field, mods))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn pred(
        &self,
        field: String,
        op: Operator,
        values: Vec<Value>,
        case_sensitive: bool,
        modifiers: Vec<String>,
        span: Span,
    ) -> Expr {
        let mut p = Predicate::new(field, op, values).with_span(span);
        p.case_sensitive = case_sensitive && !modifiers.iter().any(|m| is_case_fold(m));
        p.modifiers = modifiers;
        Expr::Pred(p)
    }

    fn computed(&self, node: &Node) -> Expr {
        Expr::Computed(Computed {
            function: outer_function(node),
            fields: node
                .fields()
                .into_iter()
                .filter(|f| !self.derived.contains(f))
                .collect(),
            text: self.text(node.span),
            span: Some(node.span),
        })
    }

    fn compare(&self, node: &Node, op: CmpOp, lhs: &Node, rhs: &Node) -> Expr {
        // Put the field on the left: `5 < x` is `x > 5`.
        let (field_node, lit, op) = match (self.field(lhs), self.field(rhs)) {
            (Some(_), _) => (lhs, rhs, op),
            (None, Some(_)) => (rhs, lhs, flip(op)),
            (None, None) => return self.computed(node),
        };
        let Some((field, mods)) = self.field(field_node) else {
            return self.computed(node);
        };
        if let Some((other, _)) = self.field(lit) {
            let p = self.pred(
                field,
                Operator::FieldRef,
                vec![Value::Str(other)],
                true,
                mods,
                node.span,
            );
            return match op {
                CmpOp::Eq => p,
                CmpOp::Ne => Expr::not(p),
                _ => self.computed(node),
            };
        }
        if matches!(lit.kind, NodeKind::Null) {
            let exists = self.pred(field, Operator::Exists, vec![], false, mods, node.span);
            return match op {
                CmpOp::Eq => Expr::not(exists),
                CmpOp::Ne => exists,
                _ => self.computed(node),
            };
        }
        let Some(value) = literal(lit) else {
            return self.computed(node);
        };
        let is_str = matches!(value, Value::Str(_));
        let (operator, negate) = match op {
            CmpOp::Eq => (Operator::Eq, false),
            CmpOp::Ne => (Operator::Eq, true),
            CmpOp::Lt => (Operator::Lt, false),
            CmpOp::Le => (Operator::Lte, false),
            CmpOp::Gt => (Operator::Gt, false),
            CmpOp::Ge => (Operator::Gte, false),
        };
        // `==` on strings is case-sensitive in EQL and ES|QL (and `*` is a literal star).
        let p = self.pred(
            field,
            operator,
            vec![value],
            is_str && operator == Operator::Eq,
            mods,
            node.span,
        );
        if negate { Expr::not(p) } else { p }
    }

    fn pattern_match(&self, node: &Node, op: MatchOp, lhs: &Node, patterns: &[Node]) -> Expr {
        let Some((field, mut mods)) = self.field(lhs) else {
            return self.computed(node);
        };
        let Some(values) = patterns.iter().map(literal).collect::<Option<Vec<_>>>() else {
            return self.computed(node);
        };
        let span = node.span;
        match op {
            MatchOp::Colon => self.split_patterns(field, &values, false, mods, span, eql_pattern),
            MatchOp::Like { insensitive } => {
                mods.push(if insensitive { "like~" } else { "like" }.to_owned());
                self.split_patterns(field, &values, !insensitive, mods, span, eql_pattern)
            }
            MatchOp::EsqlLike => {
                mods.push("like".to_owned());
                self.split_patterns(field, &values, true, mods, span, esql_like_pattern)
            }
            MatchOp::Regex { insensitive } => {
                let flags = RegexFlags {
                    ignore_case: insensitive,
                    ..RegexFlags::default()
                };
                let Expr::Pred(mut p) = self.pred(
                    field,
                    Operator::RegexMatch,
                    values,
                    !insensitive,
                    mods,
                    span,
                ) else {
                    return self.computed(node);
                };
                p.regex_flags = flags;
                Expr::Pred(p)
            }
            MatchOp::EsqlRlike => self.pred(field, Operator::RegexMatch, values, true, mods, span),
            MatchOp::EsqlMatch => self.pred(field, Operator::Match, values, false, mods, span),
        }
    }

    /// Patterns into one `eq` predicate for those without wildcards and one `wildcard`
    /// predicate for the rest (an `or` of both when the list mixes them).
    fn split_patterns(
        &self,
        field: String,
        values: &[Value],
        case_sensitive: bool,
        mods: Vec<String>,
        span: Span,
        convert: fn(&str) -> String,
    ) -> Expr {
        let mut eq = Vec::new();
        let mut wild = Vec::new();
        for v in values {
            match v {
                Value::Str(s) => {
                    let pattern = convert(s);
                    match wildcard::as_literal(&pattern) {
                        Some(lit) => eq.push(Value::Str(lit)),
                        None => wild.push(Value::Str(pattern)),
                    }
                }
                other => eq.push(other.clone()),
            }
        }
        let mut parts = Vec::new();
        if !eq.is_empty() {
            parts.push(self.pred(
                field.clone(),
                Operator::Eq,
                eq,
                case_sensitive,
                mods.clone(),
                span,
            ));
        }
        if !wild.is_empty() {
            parts.push(self.pred(field, Operator::Wildcard, wild, case_sensitive, mods, span));
        }
        Expr::or(parts)
    }

    fn in_list(&self, node: &Node, lhs: &Node, items: &[Node], insensitive: bool) -> Expr {
        let Some((field, mods)) = self.field(lhs) else {
            return self.computed(node);
        };
        let Some(values) = items.iter().map(literal).collect::<Option<Vec<_>>>() else {
            return self.computed(node);
        };
        let any_str = values.iter().any(|v| matches!(v, Value::Str(_)));
        self.pred(
            field,
            Operator::Eq,
            values,
            any_str && !insensitive,
            mods,
            node.span,
        )
    }

    fn call(&self, node: &Node, name: &str, insensitive: bool, args: &[Node]) -> Expr {
        let lname = name.to_ascii_lowercase();
        if self.lang == Lang::Esql && lname == "kql" {
            if let [arg] = args
                && let NodeKind::Str(q) = &arg.kind
            {
                return crate::esql::lower_kql_call(q, arg.span, self.src);
            }
            return self.computed(node);
        }
        let shape: Option<fn(&str) -> String> = match lname.as_str() {
            "startswith" | "starts_with" => Some(|s| format!("{}*", wildcard::escape(s))),
            "endswith" | "ends_with" => Some(|s| format!("*{}", wildcard::escape(s))),
            "stringcontains" => Some(|s| format!("*{}*", wildcard::escape(s))),
            "wildcard" => Some(eql_pattern),
            _ => None,
        };
        let op = match lname.as_str() {
            "cidrmatch" | "cidr_match" => Some(Operator::Cidr),
            "match" if self.lang == Lang::Esql => Some(Operator::Match),
            "match" => Some(Operator::RegexMatch),
            _ if shape.is_some() => Some(Operator::Wildcard),
            _ => None,
        };
        let Some(op) = op else {
            return self.computed(node);
        };
        let Some((first, rest)) = args.split_first() else {
            return self.computed(node);
        };
        let Some((field, mut mods)) = self.field(first) else {
            return self.computed(node);
        };
        let Some(values) = rest.iter().map(literal).collect::<Option<Vec<_>>>() else {
            return self.computed(node);
        };
        if values.is_empty() {
            return self.computed(node);
        }
        mods.push(if insensitive {
            format!("{name}~")
        } else {
            name.to_owned()
        });
        let values = match shape {
            Some(f) => values
                .into_iter()
                .map(|v| Value::Str(f(&v.to_text())))
                .collect(),
            None => values,
        };
        // EQL functions are case-sensitive unless written `name~(…)`; CIDRs have no case.
        let case_sensitive = !insensitive && op != Operator::Cidr && op != Operator::Match;
        let p = self.pred(field, op, values, case_sensitive, mods, node.span);
        match (&p, op) {
            (Expr::Pred(inner), Operator::RegexMatch) if insensitive => {
                let mut inner = inner.clone();
                inner.regex_flags.ignore_case = true;
                Expr::Pred(inner)
            }
            _ => p,
        }
    }
}

fn is_case_fold(name: &str) -> bool {
    name.eq_ignore_ascii_case("to_lower") || name.eq_ignore_ascii_case("to_upper")
}

/// `a < b` is `b > a`.
pub(crate) fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

fn literal(node: &Node) -> Option<Value> {
    match &node.kind {
        NodeKind::Str(s) => Some(Value::Str(s.clone())),
        NodeKind::Int(i) => Some(Value::Int(*i)),
        NodeKind::Float(f) => Some(Value::Float(*f)),
        NodeKind::Bool(b) => Some(Value::Bool(*b)),
        _ => None,
    }
}

/// The name a computed condition is filed under: its outermost function, else its operator.
fn outer_function(node: &Node) -> String {
    match &node.kind {
        NodeKind::Call { name, .. } => name.clone(),
        NodeKind::Arith { .. } | NodeKind::Neg(_) => "arithmetic".into(),
        NodeKind::Cast { .. } => "cast".into(),
        NodeKind::Cmp { lhs, rhs, .. } => match (&lhs.kind, &rhs.kind) {
            (NodeKind::Field { .. }, NodeKind::Field { .. }) => "compare".into(),
            (
                NodeKind::Field { .. } | NodeKind::Str(_) | NodeKind::Int(_) | NodeKind::Float(_),
                _,
            ) => outer_function(rhs),
            _ => outer_function(lhs),
        },
        NodeKind::Match { lhs, .. }
        | NodeKind::In { lhs, .. }
        | NodeKind::IsNull { operand: lhs, .. } => outer_function(lhs),
        NodeKind::Field { .. } => "field".into(),
        _ => "value".into(),
    }
}

/// EQL `:` / `like` / `wildcard()` pattern → model wildcard: `*` and `?` stay wildcards, a
/// backslash is a literal character (EQL patterns have no escape).
pub fn eql_pattern(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// ES|QL `LIKE` pattern → model wildcard: `*`/`?` wildcards, `\` escapes the next character.
pub fn esql_like_pattern(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => out.push_str(&wildcard::escape(&n.to_string())),
                None => out.push_str("\\\\"),
            },
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eql_patterns_escape_backslashes_only() {
        assert_eq!(eql_pattern(r"C:\Windows\*.exe"), r"C:\\Windows\\*.exe");
        assert_eq!(wildcard::pieces(&eql_pattern("a?b")).len(), 3);
    }

    #[test]
    fn esql_like_escapes_are_resolved() {
        assert_eq!(
            esql_like_pattern(r"c:\\program files\\*.exe"),
            r"c:\\program files\\*.exe"
        );
        assert_eq!(esql_like_pattern(r"a\*b*"), r"a\*b*");
        assert_eq!(
            wildcard::as_literal(&esql_like_pattern(r"a\*b")).as_deref(),
            Some("a*b")
        );
    }
}

//! The columns an ES|QL pipeline makes, and what each stands for.
//!
//! `EVAL x = TO_LOWER(process.name)` makes `x` an *expression column*: a later `WHERE x == "a"`
//! is read as `TO_LOWER(process.name) == "a"` (the definition is substituted), so it lowers to
//! a case-insensitive predicate on `process.name`. Columns no predicate can see through —
//! `GROK` / `DISSECT` / `ENRICH` / `COMPLETION` outputs and `STATS` aggregates — are *derived*:
//! a condition on them becomes an [`detcat_model::Computed`] that names the source fields, keeps
//! the column's definition in its text, and is filed under the command or aggregate function.

use std::borrow::Cow;
use std::collections::HashMap;

use detcat_model::{Computed, Expr, Span};

use crate::ast::{Node, NodeKind};

/// Largest definition (in nodes) substituted into later conditions; a bigger one (chains of
/// `EVAL`s doubling each other) is kept as a derived column instead.
const MAX_INLINE_NODES: usize = 2_000;

/// Largest condition (in nodes, after substitution) built for one `WHERE`; past it the
/// condition is lowered as written, its columns computed (hostile input cannot blow up).
const MAX_RESOLVED_NODES: usize = 200_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// An expression over event fields (`EVAL`, `RENAME`, `BY k = …`), already resolved.
    Expr(Node),
    /// Made by `command` from `sources` in a way no predicate can express.
    Derived { command: String },
    /// An aggregate of a `STATS` (`function` lower-cased: `count`, `count_distinct`, …).
    Agg { function: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub kind: Kind,
    /// The definition as written (`x = TO_LOWER(process.name)`, `GROK message "…"`).
    pub text: String,
    /// The event fields the column is computed from.
    pub sources: Vec<String>,
}

/// The columns defined so far, a later definition replacing an earlier one.
#[derive(Debug, Default)]
pub struct Columns {
    cols: HashMap<String, Column>,
}

impl Columns {
    pub fn get(&self, name: &str) -> Option<&Column> {
        self.cols.get(name)
    }

    pub fn remove(&mut self, name: &str) {
        self.cols.remove(name);
    }

    /// Keeps only the columns `keep` accepts (after `STATS`, only its own columns remain).
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.cols.retain(|n, _| keep(n));
    }

    pub fn define(&mut self, name: &str, column: Column) {
        self.cols.insert(name.to_owned(), column);
    }

    /// `name = node` (node already resolved): an expression column, or a derived one when the
    /// definition is too large to substitute.
    pub fn define_expr(&mut self, name: &str, node: Node, text: String) {
        let sources = self.sources_of(&node);
        let kind = if node_count(&node) > MAX_INLINE_NODES {
            Kind::Derived {
                command: "eval".into(),
            }
        } else {
            Kind::Expr(node)
        };
        self.define(
            name,
            Column {
                kind,
                text,
                sources,
            },
        );
    }

    /// Names of the columns conditions cannot see through (for the lowering).
    pub fn opaque_names(&self) -> Vec<String> {
        self.cols
            .iter()
            .filter(|(_, c)| !matches!(c.kind, Kind::Expr(_)))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The event fields a node reads, columns replaced by their sources (the same for a node
    /// and its [`Self::resolve`]d form, without building the latter).
    pub fn sources_of(&self, node: &Node) -> Vec<String> {
        let mut out = Vec::new();
        for f in node.fields() {
            match self.get(&f) {
                Some(c) => out.extend(c.sources.iter().cloned()),
                None => out.push(f),
            }
        }
        dedup(out)
    }

    /// [`Self::resolve`] (borrowed when no expression column is used), unless the result
    /// would exceed [`MAX_RESOLVED_NODES`].
    pub fn resolve_bounded<'n>(&self, node: &'n Node) -> Option<Cow<'n, Node>> {
        let (mut size, mut substituted) = (0usize, false);
        node.visit(&mut |n| {
            size += match &n.kind {
                NodeKind::Field { name, .. } => match self.get(name) {
                    Some(Column {
                        kind: Kind::Expr(def),
                        ..
                    }) => {
                        substituted = true;
                        node_count(def)
                    }
                    _ => 1,
                },
                _ => 1,
            };
        });
        if size > MAX_RESOLVED_NODES {
            None
        } else if substituted {
            Some(Cow::Owned(self.resolve(node)))
        } else {
            Some(Cow::Borrowed(node))
        }
    }

    /// Names of every column (when a condition is lowered without substitution).
    pub fn all_names(&self) -> Vec<String> {
        self.cols.keys().cloned().collect()
    }

    /// `node` with every expression column replaced by its definition.
    pub fn resolve(&self, node: &Node) -> Node {
        if let NodeKind::Field { name, .. } = &node.kind
            && let Some(Column {
                kind: Kind::Expr(def),
                ..
            }) = self.get(name)
        {
            return def.clone();
        }
        let kind = match &node.kind {
            NodeKind::Or(items) => NodeKind::Or(self.resolve_all(items)),
            NodeKind::And(items) => NodeKind::And(self.resolve_all(items)),
            NodeKind::Not(x) => NodeKind::Not(Box::new(self.resolve(x))),
            NodeKind::Neg(x) => NodeKind::Neg(Box::new(self.resolve(x))),
            NodeKind::Cmp { op, lhs, rhs } => NodeKind::Cmp {
                op: *op,
                lhs: Box::new(self.resolve(lhs)),
                rhs: Box::new(self.resolve(rhs)),
            },
            NodeKind::Arith { op, lhs, rhs } => NodeKind::Arith {
                op: *op,
                lhs: Box::new(self.resolve(lhs)),
                rhs: Box::new(self.resolve(rhs)),
            },
            NodeKind::Match {
                op,
                lhs,
                patterns,
                negated,
            } => NodeKind::Match {
                op: *op,
                lhs: Box::new(self.resolve(lhs)),
                patterns: self.resolve_all(patterns),
                negated: *negated,
            },
            NodeKind::In {
                lhs,
                items,
                insensitive,
                negated,
            } => NodeKind::In {
                lhs: Box::new(self.resolve(lhs)),
                items: self.resolve_all(items),
                insensitive: *insensitive,
                negated: *negated,
            },
            NodeKind::IsNull { operand, negated } => NodeKind::IsNull {
                operand: Box::new(self.resolve(operand)),
                negated: *negated,
            },
            NodeKind::Call {
                name,
                insensitive,
                args,
            } => NodeKind::Call {
                name: name.clone(),
                insensitive: *insensitive,
                args: self.resolve_all(args),
            },
            NodeKind::Cast { operand, ty } => NodeKind::Cast {
                operand: Box::new(self.resolve(operand)),
                ty: ty.clone(),
            },
            other => other.clone(),
        };
        Node::new(kind, node.span)
    }

    fn resolve_all(&self, nodes: &[Node]) -> Vec<Node> {
        nodes.iter().map(|n| self.resolve(n)).collect()
    }

    /// Completes the computed conditions of a lowered `WHERE`: each names the event fields
    /// behind the columns it tests, keeps their definitions in its text, and is filed under
    /// the command that made a derived column it tests directly.
    pub fn explain(&self, expr: &mut Expr, written: &Node) {
        if self.cols.is_empty() {
            return;
        }
        let used = column_uses(written);
        let mut stack = vec![expr];
        while let Some(e) = stack.pop() {
            match e {
                Expr::And { items } | Expr::Or { items } => stack.extend(items.iter_mut()),
                Expr::Not { item } => stack.push(item),
                Expr::Computed(c) => self.explain_computed(c, &used),
                _ => {}
            }
        }
    }

    fn explain_computed(&self, c: &mut Computed, used: &[(String, Span)]) {
        let Some(span) = c.span else { return };
        let mut defs = Vec::new();
        let first = used.partition_point(|(_, at)| at.start < span.start);
        let inside = used
            .get(first..)
            .unwrap_or(&[])
            .iter()
            .take_while(|(_, at)| at.start < span.end);
        for (name, at) in inside {
            if at.end > span.end {
                continue;
            }
            let Some(col) = self.get(name) else { continue };
            if !defs.contains(&col.text) {
                defs.push(col.text.clone());
            }
            c.fields.extend(col.sources.iter().cloned());
            let made_by = match &col.kind {
                Kind::Derived { command } => Some(command),
                Kind::Agg { function } => Some(function),
                Kind::Expr(_) => None,
            };
            if let Some(name) = made_by
                && matches!(c.function.as_str(), "field" | "value")
            {
                c.function = name.clone();
            }
        }
        c.fields = dedup(std::mem::take(&mut c.fields));
        if !defs.is_empty() {
            c.text = format!("{} (with {})", c.text, defs.join("; "));
        }
    }
}

/// Every field name written in `node`, with its span.
fn column_uses(node: &Node) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    node.visit(&mut |n| {
        if let NodeKind::Field { name, .. } = &n.kind {
            out.push((name.clone(), n.span));
        }
    });
    out.sort_by_key(|(_, at)| (at.start, at.end));
    out
}

fn node_count(node: &Node) -> usize {
    let mut n = 0;
    node.visit(&mut |_| n += 1);
    n
}

fn dedup(list: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for f in list {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

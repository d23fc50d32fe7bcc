//! The syntax tree shared by the EQL and ES|QL expression parsers, before lowering into the
//! model (see [`crate::lower`]). Keeping a typed tree first means the lowering can look at a
//! whole comparison (both sides, the operator, the list) before deciding what it becomes.

use detcat_model::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// Byte range in the query string.
    pub span: Span,
}

/// Comparison operators (`==` is case-sensitive in both EQL and ES|QL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Pattern operators: how the right-hand strings are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    /// EQL `:`: case-insensitive, `*`/`?` wildcards.
    Colon,
    /// EQL `like` / `like~`: wildcards, case-sensitive unless `~`.
    Like { insensitive: bool },
    /// EQL `regex` / `regex~`.
    Regex { insensitive: bool },
    /// ES|QL `LIKE`: case-sensitive, `*`/`?` wildcards, `\` escapes.
    EsqlLike,
    /// ES|QL `RLIKE`.
    EsqlRlike,
    /// ES|QL `:` (full-text match).
    EsqlMatch,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Or(Vec<Node>),
    And(Vec<Node>),
    Not(Box<Node>),
    Field {
        name: String,
        optional: bool,
    },
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    Cmp {
        op: CmpOp,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    Match {
        op: MatchOp,
        lhs: Box<Node>,
        patterns: Vec<Node>,
        negated: bool,
    },
    In {
        lhs: Box<Node>,
        items: Vec<Node>,
        insensitive: bool,
        negated: bool,
    },
    IsNull {
        operand: Box<Node>,
        negated: bool,
    },
    /// A function call; `insensitive` for EQL's `name~(…)`.
    Call {
        name: String,
        insensitive: bool,
        args: Vec<Node>,
    },
    Arith {
        op: char,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    Neg(Box<Node>),
    /// ES|QL `x::type`.
    Cast {
        operand: Box<Node>,
        ty: String,
    },
    /// What stood where a syntax error was reported.
    Error,
}

impl Node {
    pub fn new(kind: NodeKind, span: Span) -> Self {
        Self { kind, span }
    }

    /// Every field the node reads, in source order, without duplicates.
    pub fn fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_fields(&mut out);
        out
    }

    fn collect_fields(&self, out: &mut Vec<String>) {
        let mut stack = vec![self];
        while let Some(n) = stack.pop() {
            match &n.kind {
                NodeKind::Field { name, .. } => {
                    if !out.contains(name) {
                        out.push(name.clone());
                    }
                }
                NodeKind::Or(items) | NodeKind::And(items) => stack.extend(items.iter().rev()),
                NodeKind::Call { args, .. } => stack.extend(args.iter().rev()),
                NodeKind::Not(x) | NodeKind::Neg(x) => stack.push(x),
                NodeKind::Cast { operand, .. } | NodeKind::IsNull { operand, .. } => {
                    stack.push(operand)
                }
                NodeKind::Cmp { lhs, rhs, .. } | NodeKind::Arith { lhs, rhs, .. } => {
                    stack.push(rhs);
                    stack.push(lhs);
                }
                NodeKind::Match {
                    lhs,
                    patterns: items,
                    ..
                }
                | NodeKind::In { lhs, items, .. } => {
                    stack.extend(items.iter().rev());
                    stack.push(lhs);
                }
                NodeKind::Str(_)
                | NodeKind::Int(_)
                | NodeKind::Float(_)
                | NodeKind::Bool(_)
                | NodeKind::Null
                | NodeKind::Error => {}
            }
        }
    }

    /// Does the tree hold a syntax-error node?
    pub fn has_error(&self) -> bool {
        let mut found = false;
        self.visit(&mut |n| found |= matches!(n.kind, NodeKind::Error));
        found
    }

    /// Calls `f` on every node of the tree (iteratively: trees can be deep).
    pub fn visit(&self, f: &mut dyn FnMut(&Node)) {
        let mut stack = vec![self];
        while let Some(n) = stack.pop() {
            f(n);
            match &n.kind {
                NodeKind::Or(items) | NodeKind::And(items) | NodeKind::Call { args: items, .. } => {
                    stack.extend(items)
                }
                NodeKind::Not(x) | NodeKind::Neg(x) => stack.push(x),
                NodeKind::Cast { operand, .. } | NodeKind::IsNull { operand, .. } => {
                    stack.push(operand)
                }
                NodeKind::Cmp { lhs, rhs, .. } | NodeKind::Arith { lhs, rhs, .. } => {
                    stack.push(lhs);
                    stack.push(rhs);
                }
                NodeKind::Match {
                    lhs,
                    patterns: items,
                    ..
                }
                | NodeKind::In { lhs, items, .. } => {
                    stack.push(lhs);
                    stack.extend(items);
                }
                _ => {}
            }
        }
    }
}

//! The syntax tree of a Sigma condition, before identifiers are resolved.

use detcat_model::{RangeOp, Span};

/// A parsed condition. Spans are byte ranges in the condition text.
#[derive(Debug, Clone, PartialEq)]
pub enum ConditionAst {
    And(Vec<ConditionAst>),
    Or(Vec<ConditionAst>),
    Not(Box<ConditionAst>),
    /// A search identifier.
    Ident {
        name: String,
        span: Span,
    },
    /// `1 of x*`, `all of them`, `any of sel_*`.
    Quantified {
        all: bool,
        target: Target,
        span: Span,
    },
    /// `<input> | count(field) by group > 10` (Sigma v1).
    Aggregate {
        input: Box<ConditionAst>,
        agg: PipeAggregation,
        span: Span,
    },
    /// `<input> | near …` (Sigma v1): kept as text.
    Near {
        input: Box<ConditionAst>,
        text: String,
        span: Span,
    },
    /// What could not be parsed (a syntax error was reported for it).
    Error {
        span: Span,
    },
}

/// What a quantifier ranges over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every search identifier not starting with `_`.
    Them,
    /// Identifiers matching a pattern where `*` matches any run.
    Pattern(String),
}

/// A Sigma v1 pipe aggregation: `count(field) by group > 10`.
#[derive(Debug, Clone, PartialEq)]
pub struct PipeAggregation {
    pub function: String,
    pub field: Option<String>,
    pub group_by: Vec<String>,
    pub op: RangeOp,
    pub value: f64,
}

/// A syntax error in a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    pub message: String,
    pub span: Span,
}

impl ConditionAst {
    /// Does the tree hold an [`ConditionAst::Error`] node?
    pub fn has_error(&self) -> bool {
        match self {
            ConditionAst::Error { .. } => true,
            ConditionAst::And(items) | ConditionAst::Or(items) => items.iter().any(Self::has_error),
            ConditionAst::Not(inner) => inner.has_error(),
            ConditionAst::Aggregate { input, .. } | ConditionAst::Near { input, .. } => {
                input.has_error()
            }
            ConditionAst::Ident { .. } | ConditionAst::Quantified { .. } => false,
        }
    }
}

/// Does `name` match `pattern`, where `*` matches any run of characters?
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == name;
    };
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    for piece in middle {
        match rest.find(piece) {
            Some(i) => rest = rest.get(i + piece.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob() {
        assert!(glob_match("filter_*", "filter_main_x"));
        assert!(glob_match("sel*", "sel"));
        assert!(glob_match("*_x*", "a_xb"));
        assert!(!glob_match("sel_*", "selection"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("a*a", "a"));
    }
}

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
    let Some((first, tail)) = pattern.split_once('*') else {
        return pattern == name;
    };
    let (middle, last) = match tail.rsplit_once('*') {
        Some((middle, last)) => (Some(middle), last),
        None => (None, tail),
    };
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    for piece in middle.into_iter().flat_map(|m| m.split('*')) {
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

    /// The definition the matcher follows, split into a list of pieces first.
    fn glob_by_pieces(pattern: &str, name: &str) -> bool {
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
        rest.ends_with(last)
    }

    #[test]
    fn glob_matches_as_its_definition_on_every_short_pattern() {
        use detcat_model::exhaustive::strings;
        let names = strings(&['a', 'b'], 5);
        for pattern in strings(&['a', 'b', '*'], 5) {
            for name in &names {
                assert_eq!(
                    glob_match(&pattern, name),
                    glob_by_pieces(&pattern, name),
                    "{pattern:?} on {name:?}"
                );
            }
        }
    }
}

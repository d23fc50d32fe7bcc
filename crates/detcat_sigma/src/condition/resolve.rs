//! Turns a [`ConditionAst`] into an [`Expr`] by substituting each search identifier's
//! expression.

use detcat_model::{AggKind, Aggregation, Comparison, Diagnostic, Expr, Opaque, Span};

use super::ast::{ConditionAst, Target, glob_match};
use crate::diagnostics as diag;

/// What identifiers mean and where the condition text sits in its file.
pub(crate) struct Resolver<'a> {
    /// Search identifiers in source order with their expressions.
    pub(crate) ids: &'a [(String, Expr)],
    pub(crate) path: &'a str,
    /// Byte offset of the condition text within the file.
    pub(crate) base: usize,
    /// Sigma v1 `detection.timeframe`, for pipe aggregations.
    pub(crate) timeframe: Option<String>,
}

impl Resolver<'_> {
    fn at(&self, span: Span) -> Span {
        span.offset(self.base)
    }

    fn opaque(&self, text: &str, reason: &str, span: Span) -> Expr {
        Expr::Opaque(Opaque {
            text: text.to_owned(),
            reason: reason.to_owned(),
            fields: Vec::new(),
            span: Some(self.at(span)),
        })
    }
}

/// Resolves `ast`; unknown identifiers and unsupported parts become opaque nodes with a diagnostic.
pub(crate) fn resolve(ast: &ConditionAst, r: &Resolver<'_>, diags: &mut Vec<Diagnostic>) -> Expr {
    match ast {
        ConditionAst::And(items) => Expr::and(items.iter().map(|i| resolve(i, r, diags)).collect()),
        ConditionAst::Or(items) => Expr::or(items.iter().map(|i| resolve(i, r, diags)).collect()),
        ConditionAst::Not(inner) => Expr::not(resolve(inner, r, diags)),
        ConditionAst::Ident { name, span } => match r.ids.iter().find(|(n, _)| n == name) {
            Some((_, expr)) => expr.clone(),
            None => {
                diags.push(diag::unknown_identifier(r.path, name, r.at(*span)));
                r.opaque(name, "undefined search identifier", *span)
            }
        },
        ConditionAst::Quantified { all, target, span } => {
            let matched: Vec<Expr> = r
                .ids
                .iter()
                .filter(|(name, _)| match target {
                    Target::Them => !name.starts_with('_'),
                    Target::Pattern(p) => glob_match(p, name),
                })
                .map(|(_, e)| e.clone())
                .collect();
            if matched.is_empty() {
                let pattern = match target {
                    Target::Them => "them",
                    Target::Pattern(p) => p,
                };
                diags.push(diag::pattern_matches_nothing(r.path, pattern, r.at(*span)));
                return r.opaque(pattern, "quantifier matches no search identifier", *span);
            }
            if *all {
                Expr::and(matched)
            } else {
                Expr::or(matched)
            }
        }
        ConditionAst::Aggregate { input, agg, span } => {
            diags.push(diag::deprecated_aggregation(r.path, r.at(*span)));
            let input = resolve(input, r, diags);
            let kind = match (agg.function.to_ascii_lowercase().as_str(), &agg.field) {
                ("count", None) => AggKind::EventCount,
                ("count", Some(_)) => AggKind::ValueCount,
                _ => AggKind::Stat,
            };
            Expr::Aggregation(Aggregation {
                kind,
                function: Some(agg.function.clone()),
                input: Some(Box::new(input)),
                rule_refs: Vec::new(),
                fields: agg.field.iter().cloned().collect(),
                group_by: agg.group_by.clone(),
                timespan: r.timeframe.clone(),
                condition: Some(Comparison {
                    op: agg.op,
                    value: agg.value,
                }),
                text: None,
            })
        }
        ConditionAst::Near { input, text, span } => {
            diags.push(diag::unsupported_near(r.path, r.at(*span)));
            let input = resolve(input, r, diags);
            Expr::and(vec![
                input,
                r.opaque(text, "Sigma v1 `near` aggregation", *span),
            ])
        }
        ConditionAst::Error { span } => r.opaque("", "condition syntax error", *span),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::parse_condition;
    use detcat_model::{Operator, Predicate, Value};

    fn pred(field: &str) -> Expr {
        Expr::Pred(Predicate::new(field, Operator::Eq, vec![Value::from("x")]))
    }

    fn run(text: &str) -> (Expr, Vec<Diagnostic>) {
        let ids = vec![
            ("selection".to_owned(), pred("sel")),
            ("filter_a".to_owned(), pred("fa")),
            ("filter_b".to_owned(), pred("fb")),
            ("_hidden".to_owned(), pred("h")),
        ];
        let r = Resolver {
            ids: &ids,
            path: "p.yml",
            base: 100,
            timeframe: Some("5m".into()),
        };
        let mut diags = Vec::new();
        let expr = resolve(&parse_condition(text).0, &r, &mut diags);
        (expr, diags)
    }

    #[test]
    fn not_one_of_filters_is_an_exclusion() {
        let (e, d) = run("selection and not 1 of filter_*");
        assert!(d.is_empty());
        let fields: Vec<_> = e.exclusions().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["fa", "fb"]);
        assert_eq!(
            e.indicators().map(|p| p.field.as_str()).collect::<Vec<_>>(),
            ["sel"]
        );
    }

    #[test]
    fn them_skips_underscore_identifiers() {
        let (e, _) = run("all of them");
        assert!(matches!(e, Expr::And { ref items } if items.len() == 3));
    }

    #[test]
    fn unknown_identifier_is_opaque_with_a_shifted_span() {
        let (e, d) = run("selection and nope");
        assert!(e.has_opaque());
        assert_eq!(
            d.first().map(|d| (d.code.as_str(), d.span)),
            Some(("sigma::unknown-identifier", Some(Span::new(114, 118))))
        );
        let (_, d) = run("1 of zz*");
        assert_eq!(
            d.first().map(|d| d.code.as_str()),
            Some("sigma::pattern-matches-nothing")
        );
    }

    #[test]
    fn pipe_count_becomes_an_aggregation() {
        let (e, d) = run("selection | count(x) by y > 3");
        let Expr::Aggregation(agg) = e else {
            panic!("no aggregation")
        };
        assert_eq!(
            (agg.kind, agg.timespan.as_deref()),
            (AggKind::ValueCount, Some("5m"))
        );
        assert_eq!(
            d.first().map(|d| d.code.as_str()),
            Some("sigma::deprecated-aggregation")
        );
        let (e, _) = run("selection | near filter_a");
        assert!(e.has_opaque());
    }
}

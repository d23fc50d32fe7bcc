//! Turns a [`ConditionAst`] into an [`Expr`] by substituting each search identifier's
//! expression.

use detcat_model::{AggKind, Aggregation, Comparison, Diagnostic, Expr, Opaque, Span};

use super::ast::{ConditionAst, Target, glob_match};
use crate::diagnostics as diag;

/// A search identifier, its expression, and how many of the conditions' references to it are
/// still to be resolved: the last one takes the expression, the ones before it copy it (most
/// identifiers are named once, and copying each was ~0.6% of a Sigma-only build).
struct SearchId {
    name: String,
    expr: Option<Expr>,
    uses_left: usize,
}

/// What identifiers mean and where the condition text sits in its file.
pub(crate) struct Resolver<'a> {
    /// Search identifiers in source order.
    ids: Vec<SearchId>,
    path: &'a str,
    /// Byte offset of the condition being resolved within the file.
    pub(crate) base: usize,
    /// Sigma v1 `detection.timeframe`, for pipe aggregations.
    timeframe: Option<String>,
}

impl<'a> Resolver<'a> {
    /// The resolver of the conditions `asts` over the search identifiers `ids` (in source
    /// order: a name defined twice means its first definition, as everywhere here).
    pub(crate) fn new<'c>(
        ids: Vec<(String, Expr)>,
        asts: impl IntoIterator<Item = &'c ConditionAst>,
        path: &'a str,
        timeframe: Option<String>,
    ) -> Self {
        let mut ids: Vec<SearchId> = ids
            .into_iter()
            .map(|(name, expr)| SearchId {
                name,
                expr: Some(expr),
                uses_left: 0,
            })
            .collect();
        for ast in asts {
            count_uses(ast, &mut ids);
        }
        Resolver {
            ids,
            path,
            base: 0,
            timeframe,
        }
    }

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

    /// The expression of identifier `i` for one reference to it: moved out on its last use.
    /// The counts come from the same conditions, so an identifier is never used up early;
    /// were it, the reference would stay visible as an opaque node, not vanish.
    fn use_id(&mut self, i: usize, span: Span) -> Expr {
        let taken = self.ids.get_mut(i).and_then(|id| {
            id.uses_left = id.uses_left.saturating_sub(1);
            if id.uses_left == 0 {
                id.expr.take()
            } else {
                id.expr.clone()
            }
        });
        match taken {
            Some(expr) => expr,
            None => {
                let name = self.ids.get(i).map_or("", |id| id.name.as_str()).to_owned();
                self.opaque(
                    &name,
                    "search identifier used more often than counted",
                    span,
                )
            }
        }
    }
}

/// The identifier `name` refers to: its first definition.
fn position(ids: &[SearchId], name: &str) -> Option<usize> {
    ids.iter().position(|id| id.name == name)
}

/// Does a quantifier's target take the identifier `name`?
fn takes(target: &Target, name: &str) -> bool {
    match target {
        Target::Them => !name.starts_with('_'),
        Target::Pattern(p) => glob_match(p, name),
    }
}

/// Counts the references of `ast` to each identifier, as [`resolve`] will follow them.
fn count_uses(ast: &ConditionAst, ids: &mut [SearchId]) {
    match ast {
        ConditionAst::And(items) | ConditionAst::Or(items) => {
            for item in items {
                count_uses(item, ids);
            }
        }
        ConditionAst::Not(inner) => count_uses(inner, ids),
        ConditionAst::Ident { name, .. } => {
            if let Some(id) = position(ids, name).and_then(|i| ids.get_mut(i)) {
                id.uses_left += 1;
            }
        }
        ConditionAst::Quantified { target, .. } => {
            for id in ids.iter_mut().filter(|id| takes(target, &id.name)) {
                id.uses_left += 1;
            }
        }
        ConditionAst::Aggregate { input, .. } | ConditionAst::Near { input, .. } => {
            count_uses(input, ids)
        }
        ConditionAst::Error { .. } => {}
    }
}

/// Resolves `ast`; unknown identifiers and unsupported parts become opaque nodes with a diagnostic.
pub(crate) fn resolve(
    ast: &ConditionAst,
    r: &mut Resolver<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Expr {
    match ast {
        ConditionAst::And(items) => Expr::and(items.iter().map(|i| resolve(i, r, diags)).collect()),
        ConditionAst::Or(items) => Expr::or(items.iter().map(|i| resolve(i, r, diags)).collect()),
        ConditionAst::Not(inner) => Expr::not(resolve(inner, r, diags)),
        ConditionAst::Ident { name, span } => match position(&r.ids, name) {
            Some(i) => r.use_id(i, *span),
            None => {
                diags.push(diag::unknown_identifier(r.path, name, r.at(*span)));
                r.opaque(name, "undefined search identifier", *span)
            }
        },
        ConditionAst::Quantified { all, target, span } => {
            let taken: Vec<usize> = (0..r.ids.len())
                .filter(|&i| r.ids.get(i).is_some_and(|id| takes(target, &id.name)))
                .collect();
            if taken.is_empty() {
                let pattern = match target {
                    Target::Them => "them",
                    Target::Pattern(p) => p,
                };
                diags.push(diag::pattern_matches_nothing(r.path, pattern, r.at(*span)));
                return r.opaque(pattern, "quantifier matches no search identifier", *span);
            }
            let matched: Vec<Expr> = taken.into_iter().map(|i| r.use_id(i, *span)).collect();
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
        let ast = parse_condition(text).0;
        let mut r = Resolver::new(ids, [&ast], "p.yml", Some("5m".into()));
        r.base = 100;
        let mut diags = Vec::new();
        let expr = resolve(&ast, &mut r, &mut diags);
        (expr, diags)
    }

    fn count(e: &Expr, field: &str) -> usize {
        e.walk()
            .filter(|x| matches!(x, Expr::Pred(p) if p.field == field))
            .count()
    }

    #[test]
    fn an_identifier_named_again_is_resolved_every_time() {
        // Named twice, and a third time through a quantifier.
        let (e, d) = run("selection or (selection and not 1 of sel*)");
        assert!(d.is_empty());
        assert_eq!(count(&e, "sel"), 3);
        assert!(!e.has_opaque());
    }

    #[test]
    fn conditions_of_one_detection_share_its_identifiers() {
        let ids = vec![
            ("selection".to_owned(), pred("sel")),
            ("filter".to_owned(), pred("f")),
        ];
        let first = parse_condition("selection and not filter").0;
        let second = parse_condition("all of them").0;
        let mut r = Resolver::new(ids, [&first, &second], "p.yml", None);
        let mut diags = Vec::new();
        let a = resolve(&first, &mut r, &mut diags);
        let b = resolve(&second, &mut r, &mut diags);
        assert!(diags.is_empty());
        for e in [&a, &b] {
            assert_eq!((count(e, "sel"), count(e, "f")), (1, 1));
            assert!(!e.has_opaque());
        }
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

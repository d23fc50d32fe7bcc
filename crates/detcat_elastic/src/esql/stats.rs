//! `STATS … BY …` and the `WHERE` clauses after it.
//!
//! `STATS` becomes an [`Aggregation`] over the event filters before it. Of a later `WHERE`,
//! each top-level conjunct that compares one aggregate with a number is a condition of the
//! aggregation (several nest, the way a threshold with cardinality does); a conjunct on the
//! `BY` keys only filters the events aggregated; anything else (`DATE_DIFF` over aggregates,
//! an `or` of aggregates) is a [`detcat_model::Computed`] beside the aggregation.

use detcat_model::{AggKind, Aggregation, Comparison, Expr, RangeOp, Span};

use super::columns::{Column, Kind};
use super::{State, assignment, split_top_level, top_level_word};
use crate::ast::{CmpOp, Node, NodeKind};
use crate::lexer::Token;
use crate::lower::flip;

/// One aggregate column of a `STATS`.
struct Agg {
    column: String,
    /// Lower-cased outer function (`count`, `count_distinct`, `values`, …).
    function: String,
    /// The event fields it reads.
    fields: Vec<String>,
    /// `column = f(x)` as written.
    text: String,
}

/// A `STATS` seen in the pipeline, collecting the `WHERE`s after it.
pub struct Stats {
    text: String,
    aggs: Vec<Agg>,
    group_by: Vec<String>,
    /// The events aggregated: the filters before `STATS` and key conditions after it.
    input: Vec<Expr>,
    /// `(aggregate index, comparison)` from later `WHERE`s.
    conditions: Vec<(usize, Comparison)>,
    /// Other conditions over aggregates.
    having: Vec<Expr>,
    /// The `WHERE` texts after `STATS`, for the aggregation's text.
    wheres: Vec<String>,
    /// `INLINE STATS`: adds columns to every row; without a condition it filters nothing.
    inline: bool,
}

impl State<'_> {
    /// `STATS a = f(x), … BY k, …` (`inline`: `INLINE STATS`, which keeps the other columns).
    pub(super) fn stats(&mut self, body: &[Token], span: Span, inline: bool) {
        self.finish_stats();
        let (aggs_toks, by_toks) = match top_level_word(body, "by") {
            Some(i) => (
                body.get(..i).unwrap_or(&[]),
                body.get(i + 1..).unwrap_or(&[]),
            ),
            None => (body, &[][..]),
        };
        let aggs: Vec<Agg> = split_top_level(aggs_toks)
            .into_iter()
            .map(|part| self.aggregate(part))
            .collect();
        let mut group_by = Vec::new();
        let mut keys = Vec::new();
        for part in split_top_level(by_toks) {
            let (name, expr_toks) = assignment(part);
            let written = self.parse_expr(expr_toks);
            group_by.extend(self.columns.sources_of(&written));
            let name = name.unwrap_or_else(|| self.text(written.span));
            let node = self.columns.resolve(&written);
            if matches!(node.kind, NodeKind::Field { ref name, .. } if keys.contains(name)) {
                continue;
            }
            let text = self.text(Span::new(
                part.first().map_or(0, |t| t.span.start as usize),
                part.last().map_or(0, |t| t.span.end as usize),
            ));
            self.columns.define_expr(&name, node, text);
            keys.push(name);
        }
        group_by.dedup();
        if !inline {
            self.columns.retain(|n| keys.iter().any(|k| k == n));
        }
        let text = self.text(span);
        for agg in &aggs {
            self.columns.define(
                &agg.column,
                Column {
                    kind: Kind::Agg {
                        function: agg.function.clone(),
                    },
                    text: agg.text.clone(),
                    sources: agg.fields.clone(),
                },
            );
        }
        self.stats = Some(Stats {
            text,
            aggs,
            group_by,
            input: std::mem::take(&mut self.filters),
            conditions: Vec::new(),
            having: Vec::new(),
            wheres: Vec::new(),
            inline,
        });
    }

    /// One `col = f(x) [WHERE cond]` of a `STATS`.
    fn aggregate(&mut self, part: &[Token]) -> Agg {
        let (col, expr_toks) = assignment(part);
        // `f(x) WHERE cond`: a per-aggregate filter; its fields count as read.
        let (expr_toks, filter) = match top_level_word(expr_toks, "where") {
            Some(i) => (
                expr_toks.get(..i).unwrap_or(&[]),
                Some(self.parse_expr(expr_toks.get(i + 1..).unwrap_or(&[]))),
            ),
            None => (expr_toks, None),
        };
        let node = self.parse_expr(expr_toks);
        let col = col.unwrap_or_else(|| self.text(node.span));
        let function = match &node.kind {
            NodeKind::Call { name, .. } => name.to_ascii_lowercase(),
            _ => "expression".into(),
        };
        let mut fields = self.columns.sources_of(&node);
        if let Some(f) = filter {
            fields.extend(self.columns.sources_of(&f));
            fields.dedup();
        }
        let text = super::part_text(self, part);
        Agg {
            column: col,
            function,
            fields,
            text,
        }
    }

    /// A `WHERE` after `STATS`: conditions, key filters and computed conditions.
    pub(super) fn post_stats_where(&mut self, node: &Node, span: Span) {
        let conjuncts = match &node.kind {
            NodeKind::And(items) => items.iter().collect(),
            _ => vec![node],
        };
        let text = self.text(span);
        for c in conjuncts {
            if let Some(cond) = self.condition(c) {
                if let Some(st) = self.stats.as_mut() {
                    st.conditions.push(cond);
                }
                continue;
            }
            // Only a condition on `BY` keys (expression columns over fields) filters events;
            // one on an aggregate or on anything made from rows after `STATS` filters groups.
            let on_aggregates = self.columns.resolve(c).fields().iter().any(
                |f| matches!(self.columns.get(f), Some(col) if !matches!(col.kind, Kind::Expr(_))),
            );
            let expr = self.lower(c);
            if let Some(st) = self.stats.as_mut() {
                if on_aggregates {
                    st.having.push(expr);
                } else {
                    st.input.push(expr);
                }
            }
        }
        if let Some(st) = self.stats.as_mut() {
            st.wheres.push(text);
        }
    }

    /// `agg <op> number` (either way round) as `(aggregate index, comparison)`.
    fn condition(&self, node: &Node) -> Option<(usize, Comparison)> {
        let stats = self.stats.as_ref()?;
        let NodeKind::Cmp { op, lhs, rhs } = &node.kind else {
            return None;
        };
        let (col, value, op) = match (&lhs.kind, &rhs.kind) {
            (NodeKind::Field { name, .. }, NodeKind::Int(i)) => (name, *i as f64, *op),
            (NodeKind::Field { name, .. }, NodeKind::Float(f)) => (name, *f, *op),
            (NodeKind::Int(i), NodeKind::Field { name, .. }) => (name, *i as f64, flip(*op)),
            (NodeKind::Float(f), NodeKind::Field { name, .. }) => (name, *f, flip(*op)),
            _ => return None,
        };
        if !matches!(self.columns.get(col)?.kind, Kind::Agg { .. }) {
            return None;
        }
        let index = stats.aggs.iter().rposition(|a| &a.column == col)?;
        let op = match op {
            CmpOp::Eq => RangeOp::Eq,
            CmpOp::Ne => RangeOp::Ne,
            CmpOp::Lt => RangeOp::Lt,
            CmpOp::Le => RangeOp::Lte,
            CmpOp::Gt => RangeOp::Gt,
            CmpOp::Ge => RangeOp::Gte,
        };
        Some((index, Comparison { op, value }))
    }

    /// Ends the pending `STATS`: its aggregation (and computed conditions) become the filters.
    pub(super) fn finish_stats(&mut self) {
        let Some(st) = self.stats.take() else { return };
        if st.inline && st.conditions.is_empty() {
            self.filters = st.input;
            self.filters.extend(st.having);
            return;
        }
        let mut text = st.text.clone();
        for w in &st.wheres {
            text.push_str("\n| ");
            text.push_str(w);
        }
        let input = (!st.input.is_empty()).then(|| Box::new(Expr::and(st.input)));
        let base = |kind, function: String, fields, input, condition| {
            Expr::Aggregation(Aggregation {
                kind,
                function: Some(function),
                input,
                rule_refs: Vec::new(),
                fields,
                group_by: st.group_by.clone(),
                timespan: None,
                condition,
                text: Some(text.clone()),
            })
        };
        let agg = if st.conditions.is_empty() {
            let functions: Vec<&str> = st.aggs.iter().map(|a| a.function.as_str()).collect();
            let kind = match functions.as_slice() {
                [only] => kind_of(only),
                _ => AggKind::Stat,
            };
            let mut fields: Vec<String> = st.aggs.iter().flat_map(|a| a.fields.clone()).collect();
            fields.sort();
            fields.dedup();
            base(kind, functions.join(", "), fields, input, None)
        } else {
            let mut acc = input;
            for (i, cond) in st.conditions {
                let Some(agg) = st.aggs.get(i) else {
                    continue;
                };
                let e = base(
                    kind_of(&agg.function),
                    agg.function.clone(),
                    agg.fields.clone(),
                    acc.take(),
                    Some(cond),
                );
                acc = Some(Box::new(e));
            }
            acc.map_or(Expr::Const { value: true }, |b| *b)
        };
        self.filters = vec![agg];
        self.filters.extend(st.having);
    }
}

fn kind_of(function: &str) -> AggKind {
    match function {
        "count" => AggKind::EventCount,
        "count_distinct" => AggKind::ValueCount,
        _ => AggKind::Stat,
    }
}

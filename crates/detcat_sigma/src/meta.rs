//! Sigma v2 meta rules: correlations (`event_count`, `value_count`, `temporal`,
//! `temporal_ordered`) and filters.

use detcat_model::{AggKind, Aggregation, Comparison, Diagnostic, Expr, RangeOp};
use detcat_yaml::Node;

use crate::diagnostics as diag;

/// `correlation:` → an aggregation over the referenced rules.
pub(crate) fn correlation(
    block: &Node,
    text: &str,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Result<Expr, ()> {
    let mut fail = |msg: &str, node: &Node| {
        diags.push(diag::invalid_correlation(path, msg, node.span));
        Err(())
    };
    if block.as_map().is_none() {
        return fail("`correlation` must be a mapping", block);
    }
    let kind = match block.get("type").and_then(Node::scalar_text).as_deref() {
        Some("event_count") => AggKind::EventCount,
        Some("value_count") => AggKind::ValueCount,
        Some("temporal") => AggKind::Temporal,
        Some("temporal_ordered") => AggKind::TemporalOrdered,
        Some(other) => return fail(&format!("unknown correlation type `{other}`"), block),
        None => return fail("the correlation has no `type`", block),
    };
    let rule_refs = strings(block.get("rules"));
    if rule_refs.is_empty() {
        return fail("the correlation names no `rules`", block);
    }
    let timespan = block
        .get("timespan")
        .or_else(|| block.get("timeframe"))
        .and_then(Node::scalar_text);
    let mut fields = Vec::new();
    let mut condition = None;
    if let Some(cond) = block.get("condition") {
        let Some(entries) = cond.as_map() else {
            return fail(
                "the correlation `condition` must be a mapping such as `gte: 10`",
                cond,
            );
        };
        for (k, v) in entries {
            let op = match k.scalar_text().as_deref() {
                Some("gt") => RangeOp::Gt,
                Some("gte") => RangeOp::Gte,
                Some("lt") => RangeOp::Lt,
                Some("lte") => RangeOp::Lte,
                Some("eq") => RangeOp::Eq,
                Some("neq") => RangeOp::Ne,
                Some("field") => {
                    fields.extend(strings(Some(v)));
                    continue;
                }
                _ => return fail("unknown key in the correlation `condition`", k),
            };
            let Some(value) = v.scalar_text().and_then(|t| t.parse::<f64>().ok()) else {
                return fail("the correlation threshold must be a number", v);
            };
            // Range conditions (`gte: 5, lte: 10`): keep the first; the text holds the rest.
            condition.get_or_insert(Comparison { op, value });
        }
    }
    if matches!(kind, AggKind::EventCount | AggKind::ValueCount) && condition.is_none() {
        return fail("count correlations need a `condition`", block);
    }
    if kind == AggKind::ValueCount && fields.is_empty() {
        return fail("`value_count` needs `condition.field`", block);
    }
    let source = text
        .get(block.span.start as usize..block.span.end as usize)
        .map(str::to_owned);
    Ok(Expr::Aggregation(Aggregation {
        kind,
        function: None,
        input: None,
        rule_refs,
        fields,
        group_by: strings(block.get("group-by")),
        timespan,
        condition,
        text: source,
    }))
}

/// A scalar or a list of scalars as strings.
pub(crate) fn strings(node: Option<&Node>) -> Vec<String> {
    match node {
        Some(n) => match n.as_seq() {
            Some(items) => items.iter().filter_map(Node::scalar_text).collect(),
            None => n.scalar_text().into_iter().collect(),
        },
        None => Vec::new(),
    }
}

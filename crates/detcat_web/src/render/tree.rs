//! The predicate tree of a rule (the `expr` JSON of the model) flattened into open/leaf/close
//! items a template turns into nested lists. Read from JSON, not from `detcat_model::Expr`,
//! so a node kind this crate does not know yet still shows (as its JSON) instead of failing
//! the whole page.

use serde_json::Value;

/// Deeper trees are cut with a note (the model has no depth bound of its own).
pub const MAX_DEPTH: usize = 48;

/// One item of a flattened tree.
#[derive(Debug, Clone, PartialEq)]
pub enum TreeItem {
    /// Opens a group: `label` (ALL OF, ANY OF, NOT, SEQUENCE, …), an optional detail line,
    /// and whether the group is an exclusion (a top-level `not`).
    Open {
        label: &'static str,
        detail: String,
        exclusion: bool,
    },
    Close,
    /// `field op values`.
    Pred {
        field: String,
        op: String,
        values: Vec<String>,
        notes: Vec<String>,
    },
    /// A field-less keyword search.
    Keyword {
        op: String,
        values: Vec<String>,
        notes: Vec<String>,
    },
    /// Text shown as code with a label (computed conditions, opaque parts, unknown kinds).
    Code {
        label: &'static str,
        note: String,
        text: String,
    },
    /// A constant.
    Const {
        value: bool,
    },
}

/// Flattens `expr`. The root `and`'s `not` children are exclusions.
pub fn flatten(expr: &Value) -> Vec<TreeItem> {
    let mut out = Vec::new();
    walk(expr, 0, true, &mut out);
    out
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().map(scalar).collect(),
        Some(other @ (Value::String(_) | Value::Number(_) | Value::Bool(_))) => vec![scalar(other)],
        _ => Vec::new(),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).map(scalar).unwrap_or_default()
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// Notes shown after a predicate: `all`, `cased`, regex flags, modifiers.
fn notes(v: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if flag(v, "match_all") {
        out.push("all of the values".to_owned());
    }
    if flag(v, "case_sensitive") {
        out.push("case-sensitive".to_owned());
    }
    if let Some(Value::Object(f)) = v.get("regex_flags") {
        let set: Vec<&str> = f
            .iter()
            .filter(|(_, b)| b.as_bool() == Some(true))
            .map(|(k, _)| k.as_str())
            .collect();
        if !set.is_empty() {
            out.push(format!("regex: {}", set.join(", ")));
        }
    }
    let mods = str_list(v.get("modifiers"));
    if !mods.is_empty() {
        out.push(format!("modifiers: {}", mods.join(" | ")));
    }
    out
}

fn walk(e: &Value, depth: usize, root: bool, out: &mut Vec<TreeItem>) {
    if depth > MAX_DEPTH {
        out.push(TreeItem::Code {
            label: "…",
            note: format!("nested deeper than {MAX_DEPTH} levels; see the source"),
            text: String::new(),
        });
        return;
    }
    // The model tags nodes with `node`; catalogs built before that used `kind`.
    let kind = e
        .get("node")
        .or_else(|| e.get("kind"))
        .and_then(Value::as_str)
        .unwrap_or("");
    match kind {
        "and" | "or" => {
            let label = if kind == "and" { "ALL OF" } else { "ANY OF" };
            out.push(TreeItem::Open {
                label,
                detail: String::new(),
                exclusion: false,
            });
            for item in e
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let is_not = item
                    .get("node")
                    .or_else(|| item.get("kind"))
                    .and_then(Value::as_str)
                    == Some("not");
                if root && kind == "and" && is_not {
                    walk_not(item, depth + 1, true, out);
                } else {
                    walk(item, depth + 1, false, out);
                }
            }
            out.push(TreeItem::Close);
        }
        "not" => walk_not(e, depth, root, out),
        "pred" => out.push(TreeItem::Pred {
            field: text(e, "field"),
            op: text(e, "op"),
            values: str_list(e.get("values")),
            notes: notes(e),
        }),
        "keyword" => out.push(TreeItem::Keyword {
            op: text(e, "op"),
            values: str_list(e.get("values")),
            notes: notes(e),
        }),
        "computed" => out.push(TreeItem::Code {
            label: "COMPUTED",
            note: format!(
                "{} over {}",
                text(e, "function"),
                str_list(e.get("fields")).join(", ")
            ),
            text: text(e, "text"),
        }),
        "opaque" => out.push(TreeItem::Code {
            label: "OPAQUE",
            note: text(e, "reason"),
            text: text(e, "text"),
        }),
        "const" => out.push(TreeItem::Const {
            value: flag(e, "value"),
        }),
        // Older catalogs tagged nodes with `kind`, which collided with the `kind` field of
        // `Sequence` and `Aggregation` (the inner one won): accept those inner kinds too.
        "sequence" | "sample" if e.get("steps").is_some() => walk_sequence(e, depth, out),
        "aggregation" | "event_count" | "value_count" | "temporal" | "temporal_ordered"
        | "new_terms" | "stat" => walk_aggregation(e, depth, out),
        _ => out.push(TreeItem::Code {
            label: "UNKNOWN",
            note: format!("node kind '{kind}'"),
            text: serde_json::to_string_pretty(e).unwrap_or_default(),
        }),
    }
}

fn walk_not(e: &Value, depth: usize, exclusion: bool, out: &mut Vec<TreeItem>) {
    let detail = if exclusion {
        "exclusion: the rule does not fire when this matches".to_owned()
    } else {
        String::new()
    };
    out.push(TreeItem::Open {
        label: "NOT",
        detail,
        exclusion,
    });
    if let Some(item) = e.get("item") {
        walk(item, depth + 1, false, out);
    }
    out.push(TreeItem::Close);
}

fn walk_sequence(e: &Value, depth: usize, out: &mut Vec<TreeItem>) {
    let label = if text(e, "kind") == "sample" {
        "SAMPLE"
    } else {
        "SEQUENCE"
    };

    let mut detail = Vec::new();
    let by = str_list(e.get("by"));
    if !by.is_empty() {
        detail.push(format!("by {}", by.join(", ")));
    }
    if let Some(span) = e.get("maxspan").filter(|v| !v.is_null()) {
        detail.push(format!("maxspan {}", scalar(span)));
    }
    out.push(TreeItem::Open {
        label,
        detail: detail.join(" · "),
        exclusion: false,
    });
    for (i, step) in e
        .get("steps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let mut d = vec![format!("step {}", i + 1)];
        if let Some(c) = step.get("category").filter(|v| !v.is_null()) {
            d.push(format!("{} events", scalar(c)));
        }
        let by = str_list(step.get("by"));
        if !by.is_empty() {
            d.push(format!("by {}", by.join(", ")));
        }
        if let Some(r) = step.get("runs").filter(|v| !v.is_null()) {
            d.push(format!("runs={}", scalar(r)));
        }
        let label = if flag(step, "missing") {
            "MISSING STEP"
        } else {
            "STEP"
        };
        out.push(TreeItem::Open {
            label,
            detail: d.join(" · "),
            exclusion: false,
        });
        if let Some(x) = step.get("expr") {
            walk(x, depth + 2, false, out);
        }
        out.push(TreeItem::Close);
    }
    if let Some(until) = e.get("until").filter(|v| !v.is_null()) {
        out.push(TreeItem::Open {
            label: "UNTIL",
            detail: String::new(),
            exclusion: false,
        });
        walk(until, depth + 2, false, out);
        out.push(TreeItem::Close);
    }
    out.push(TreeItem::Close);
}

fn walk_aggregation(e: &Value, depth: usize, out: &mut Vec<TreeItem>) {
    let kind = text(e, "kind");
    let mut detail = Vec::new();
    if kind != "aggregation" {
        detail.push(kind.replace('_', " "));
    }
    if let Some(f) = e.get("function").filter(|v| !v.is_null()) {
        detail.push(scalar(f));
    }
    let fields = str_list(e.get("fields"));
    if !fields.is_empty() {
        detail.push(format!("of {}", fields.join(", ")));
    }
    let group = str_list(e.get("group_by"));
    if !group.is_empty() {
        detail.push(format!("by {}", group.join(", ")));
    }
    if let Some(c) = e.get("condition").filter(|v| !v.is_null()) {
        detail.push(format!("{} {}", text(c, "op"), text(c, "value")));
    }
    if let Some(t) = e.get("timespan").filter(|v| !v.is_null()) {
        detail.push(format!("within {}", scalar(t)));
    }
    let refs = str_list(e.get("rule_refs"));
    if !refs.is_empty() {
        detail.push(format!("rules {}", refs.join(", ")));
    }
    out.push(TreeItem::Open {
        label: "AGGREGATION",
        detail: detail.join(" · "),
        exclusion: false,
    });
    if let Some(input) = e.get("input").filter(|v| !v.is_null()) {
        walk(input, depth + 1, false, out);
    }
    out.push(TreeItem::Close);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pred(f: &str, v: &str) -> Value {
        json!({"kind": "pred", "field": f, "op": "wildcard", "values": [v], "modifiers": ["contains"]})
    }

    #[test]
    fn top_level_not_is_an_exclusion() {
        let e = json!({"kind": "and", "items": [pred("Image", "*\\x.exe"), {"kind": "not", "item": pred("User", "SYSTEM")}]});
        let items = flatten(&e);
        assert!(matches!(
            &items[0],
            TreeItem::Open {
                label: "ALL OF",
                ..
            }
        ));
        assert!(
            matches!(&items[1], TreeItem::Pred { field, notes, .. } if field == "Image" && notes[0] == "modifiers: contains")
        );
        assert!(matches!(
            &items[2],
            TreeItem::Open {
                label: "NOT",
                exclusion: true,
                ..
            }
        ));
        assert_eq!(items.iter().filter(|i| **i == TreeItem::Close).count(), 2);
    }

    /// Pins the JSON the model writes today (serialized from real `detcat_model` values), so a
    /// renamed tag shows up here and not as "UNKNOWN" on every rule page.
    #[test]
    fn regression_model_json_renders_without_unknown_nodes() {
        use detcat_model::{AggKind, Aggregation, Expr, Operator, Predicate};
        let pred = |f: &str| Expr::Pred(Predicate::new(f, Operator::Wildcard, vec!["*x".into()]));
        let agg = Expr::Aggregation(Aggregation {
            kind: AggKind::EventCount,
            function: Some("count".into()),
            input: Some(Box::new(pred("b"))),
            rule_refs: Vec::new(),
            fields: Vec::new(),
            group_by: vec!["host".into()],
            timespan: None,
            condition: None,
            text: None,
        });
        let e = Expr::and(vec![pred("a"), Expr::not(pred("c")), agg]);
        let items = flatten(&serde_json::to_value(&e).unwrap());
        assert!(
            !items.iter().any(|i| matches!(
                i,
                TreeItem::Code {
                    label: "UNKNOWN",
                    ..
                }
            )),
            "{items:?}"
        );
        assert!(matches!(
            &items[0],
            TreeItem::Open {
                label: "ALL OF",
                ..
            }
        ));
        assert!(items.iter().any(|i| matches!(
            i,
            TreeItem::Open {
                label: "NOT",
                exclusion: true,
                ..
            }
        )));
        assert!(items.iter().any(|i| matches!(i, TreeItem::Open { label: "AGGREGATION", detail, .. } if detail.starts_with("event count"))));
    }

    #[test]
    fn nested_not_is_no_exclusion() {
        let e = json!({"kind": "or", "items": [{"kind": "not", "item": pred("a", "b")}, pred("c", "d")]});
        let items = flatten(&e);
        assert!(matches!(
            &items[1],
            TreeItem::Open {
                label: "NOT",
                exclusion: false,
                ..
            }
        ));
    }

    #[test]
    fn every_open_is_closed_and_depth_is_bounded() {
        let mut e = pred("a", "b");
        for _ in 0..200 {
            e = json!({"kind": "or", "items": [e, {"kind": "const", "value": true}]});
        }
        let items = flatten(&e);
        let opens = items
            .iter()
            .filter(|i| matches!(i, TreeItem::Open { .. }))
            .count();
        let closes = items.iter().filter(|i| **i == TreeItem::Close).count();
        assert_eq!(opens, closes);
        assert!(opens <= MAX_DEPTH + 1);
        assert!(
            items
                .iter()
                .any(|i| matches!(i, TreeItem::Code { label: "…", .. }))
        );
    }

    #[test]
    fn sequences_aggregations_and_unknown_kinds_render() {
        let e = json!({"kind": "sequence", "by": ["host.id"], "maxspan": "1m",
            "steps": [{"category": "process", "expr": pred("a", "b")}, {"missing": true, "expr": {"kind": "opaque", "text": "x", "reason": "ml"}}]});
        let items = flatten(&e);
        assert!(
            matches!(&items[0], TreeItem::Open { label: "SEQUENCE", detail, .. } if detail == "by host.id · maxspan 1m")
        );
        assert!(items.iter().any(|i| matches!(
            i,
            TreeItem::Open {
                label: "MISSING STEP",
                ..
            }
        )));
        let agg = json!({"kind": "event_count", "function": "count", "group_by": ["user"], "condition": {"op": "gt", "value": 5.0}});
        assert!(
            matches!(&flatten(&agg)[0], TreeItem::Open { label: "AGGREGATION", detail, .. } if detail.starts_with("event count") && detail.contains("by user") && detail.contains("gt 5.0"))
        );
        assert!(matches!(
            &flatten(&json!({"kind": "future"}))[0],
            TreeItem::Code {
                label: "UNKNOWN",
                ..
            }
        ));
    }
}

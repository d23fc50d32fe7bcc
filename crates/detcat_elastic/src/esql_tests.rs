//! ES|QL parser tests, one per construct (fixtures written for these tests).

use detcat_model::{AggKind, Expr, Operator, TelemetryHint, Value};

use super::parse;

fn preds(e: &Expr) -> Vec<&detcat_model::Predicate> {
    e.predicates().into_iter().map(|(p, _)| p).collect()
}

#[test]
fn from_with_metadata_gives_index_hints() {
    let q = parse(
        "FROM logs-endpoint.events.process-*, logs-windows.sysmon_operational-* METADATA _id, _index | LIMIT 5",
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    assert_eq!(
        q.telemetry,
        [
            TelemetryHint::Index {
                pattern: "logs-endpoint.events.process-*".into()
            },
            TelemetryHint::Index {
                pattern: "logs-windows.sysmon_operational-*".into()
            }
        ]
    );
}

#[test]
fn where_like_rlike_in_and_is_not_null() {
    let q = parse(
        r#"from logs-* | where process.name like "*.scr" and file.path rlike ".*temp.*" and event.code in ("1", "4688") and user.name is not null"#,
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    let ps = preds(&q.expr);
    let ops: Vec<_> = ps.iter().map(|p| p.op).collect();
    assert_eq!(
        ops,
        [
            Operator::Wildcard,
            Operator::RegexMatch,
            Operator::Eq,
            Operator::Exists
        ]
    );
    assert!(ps[0].case_sensitive);
}

#[test]
fn to_lower_makes_comparison_case_insensitive() {
    let q = parse(r#"from x | where to_lower(file.path) like """c:\\temp\\*""""#);
    let ps = preds(&q.expr);
    assert_eq!(
        (ps[0].field.as_str(), ps[0].case_sensitive),
        ("file.path", false)
    );
    assert_eq!(ps[0].values, [Value::from(r"c:\\temp\\*")]);
    assert_eq!(ps[0].modifiers, ["to_lower", "like"], "source order");
}

#[test]
fn kql_function_is_parsed_as_kql() {
    let src = r#"from x | where KQL("process.name:cmd.exe") and host.os.type == "windows""#;
    let q = parse(src);
    let ps = preds(&q.expr);
    assert_eq!(ps[0].field, "process.name");
    let span = ps[0].span.expect("span");
    assert_eq!(
        &src[span.start as usize..span.end as usize],
        "process.name:cmd.exe"
    );
}

#[test]
fn eval_columns_are_computed_not_predicates() {
    let q = parse(
        r#"from x | eval Esql.len = length(process.command_line) | where Esql.len > 100 and process.name == "a""#,
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    let Expr::And { items } = &q.expr else {
        panic!("and")
    };
    assert!(matches!(&items[0], Expr::Computed(_)));
    assert!(matches!(&items[1], Expr::Pred(_)));
    assert!(
        items
            .iter()
            .any(|i| matches!(i, Expr::Opaque(o) if o.reason.contains("eval")))
    );
}

#[test]
fn stats_then_where_becomes_an_aggregation() {
    let q = parse(
        r#"from logs-* | where event.action == "logon-failed" | stats Esql.failures = count(*), Esql.users = values(user.name) by source.ip | where Esql.failures >= 20 | keep source.ip"#,
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    let Expr::And { items } = &q.expr else {
        panic!("and")
    };
    let Expr::Aggregation(a) = &items[0] else {
        panic!("aggregation, got {:?}", items[0])
    };
    assert_eq!(
        (a.kind.clone(), a.group_by.as_slice()),
        (AggKind::EventCount, ["source.ip".to_owned()].as_slice())
    );
    assert_eq!(a.condition.as_ref().map(|c| c.value), Some(20.0));
    assert_eq!(
        q.expr.indicators().count(),
        1,
        "the pre-stats filter is still an indicator"
    );
}

#[test]
fn complex_where_after_stats_is_computed() {
    let q = parse(
        "from x | stats a = count(), b = count_distinct(host.id) by user.name | where a > 5 and b < 2",
    );
    let Expr::And { items } = &q.expr else {
        panic!("and")
    };
    assert!(
        items
            .iter()
            .any(|i| matches!(i, Expr::Computed(c) if c.function == "where after stats"))
    );
    assert!(preds(&q.expr).is_empty());
}

#[test]
fn grok_dissect_mv_expand_inline_stats_are_opaque() {
    let q = parse(
        r#"from x | grok message "%{IP:Esql.ip} %{WORD:Esql.verb}" | dissect url.original "%{Esql.a}/%{Esql.b}" | mv_expand process.args | inline stats n = count() by host.id | where Esql.verb == "GET" | lookup join hosts on host.id | sort n desc | drop a | rename host.name as h"#,
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    let reasons: Vec<_> = q
        .expr
        .walk()
        .filter_map(|e| {
            if let Expr::Opaque(o) = e {
                Some(o.reason.clone())
            } else {
                None
            }
        })
        .collect();
    for r in [
        "grok",
        "dissect",
        "mv_expand",
        "stats",
        "lookup join",
        "sort",
        "drop",
        "rename",
    ] {
        assert!(
            reasons.iter().any(|x| x.contains(r)),
            "{r} missing in {reasons:?}"
        );
    }
}

#[test]
fn comments_and_triple_quotes() {
    let q = parse("from x // the source\n| where /* why */ a == \"\"\"C:\\x\"\"\"");
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    assert_eq!(preds(&q.expr)[0].values, [Value::from(r"C:\x")]);
}

#[test]
fn broken_where_is_reported() {
    let q = parse("from x | where a ==");
    assert!(q.has_errors());
    let q = parse("| | |");
    assert!(!q.expr.walk().any(|e| matches!(e, Expr::Pred(_))));
}

#[test]
fn eval_alias_of_a_case_folded_field_is_a_predicate() {
    let q = parse(
        r#"from x | eval Esql.ua = to_lower(user_agent.original) | where Esql.ua like "*nikto*" and @timestamp > now() - 1 hours"#,
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    let ps = preds(&q.expr);
    assert_eq!(
        (ps[0].field.as_str(), ps[0].case_sensitive),
        ("user_agent.original", false)
    );
    assert!(
        q.expr
            .walk()
            .any(|e| matches!(e, Expr::Computed(c) if c.fields == ["@timestamp"]))
    );
}

#[test]
fn stats_with_per_aggregate_where_and_option_maps() {
    let q = parse(
        r#"from x | where match(message, "err", {"fuzziness": 1}) and @timestamp > now() - 5m | stats n = count(*) where event.outcome == "failure" by user.name | where n > 3"#,
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    assert!(matches!(&q.expr, Expr::Aggregation(_) | Expr::And { .. }));
}

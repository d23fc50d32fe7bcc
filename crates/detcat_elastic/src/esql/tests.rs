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

fn computed(e: &Expr) -> Vec<&detcat_model::Computed> {
    e.walk()
        .filter_map(|x| match x {
            Expr::Computed(c) => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn eval_columns_are_computed_not_predicates() {
    let q = parse(
        r#"from x | eval Esql.len = length(process.command_line) | where Esql.len > 100 and process.name == "a""#,
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    assert!(
        !q.expr.has_opaque(),
        "eval is a definition, not an opaque step"
    );
    let c = computed(&q.expr);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].function, "length");
    assert_eq!(c[0].fields, ["process.command_line"]);
    assert!(
        c[0].text
            .contains("Esql.len = length(process.command_line)"),
        "definition kept: {}",
        c[0].text
    );
    assert_eq!(preds(&q.expr)[0].field, "process.name");
}

#[test]
fn eval_to_lower_then_where_is_a_case_insensitive_predicate() {
    let q = parse(r#"from x | eval x = TO_LOWER(process.name) | where x == "a""#);
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    let ps = preds(&q.expr);
    assert_eq!(ps.len(), 1);
    assert_eq!(
        (ps[0].field.as_str(), ps[0].op, ps[0].case_sensitive),
        ("process.name", Operator::Eq, false)
    );
    assert_eq!(ps[0].values, [Value::from("a")]);
    assert!(!q.expr.has_opaque());
}

#[test]
fn eval_boolean_columns_are_substituted_through_chains() {
    let q = parse(
        r#"from x | eval is_ep = data_stream.dataset == "endpoint" | eval bad = is_ep and not process.name in ("a", "b") | where bad"#,
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    assert_eq!(q.expr.indicators().count(), 1);
    assert_eq!(q.expr.exclusions().count(), 1);
}

#[test]
fn keep_sort_limit_drop_mv_expand_do_not_filter() {
    let q = parse(
        r#"from x | mv_expand process.args | where process.args == "-enc" | keep process.* | sort @timestamp desc | limit 10 | drop host.name"#,
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    assert!(matches!(&q.expr, Expr::Pred(p) if p.field == "process.args"));
}

#[test]
fn stats_then_where_becomes_an_aggregation() {
    let q = parse(
        r#"from logs-* | where event.action == "logon-failed" | stats Esql.failures = count(*), Esql.users = values(user.name) by source.ip | where Esql.failures >= 20 | keep source.ip"#,
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    let Expr::Aggregation(a) = &q.expr else {
        panic!("aggregation, got {:?}", q.expr)
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
fn stats_with_several_aggregates_nests_one_condition_each() {
    let q = parse(
        "from x | where event.code == \"4625\" | stats a = count(), b = count_distinct(host.id) by user.name | where a > 5 and b < 2 and user.name != \"svc\"",
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    assert!(!q.expr.has_opaque());
    let Expr::Aggregation(outer) = &q.expr else {
        panic!("aggregation, got {:?}", q.expr)
    };
    assert_eq!(
        (outer.kind.clone(), outer.fields.as_slice()),
        (AggKind::ValueCount, ["host.id".to_owned()].as_slice())
    );
    let Some(Expr::Aggregation(inner)) = outer.input.as_deref() else {
        panic!("nested aggregation")
    };
    assert_eq!(inner.kind, AggKind::EventCount);
    assert_eq!(
        q.expr.exclusions().count(),
        1,
        "a condition on a BY key filters the aggregated events"
    );
}

#[test]
fn complex_where_after_stats_is_computed() {
    let q = parse(
        "from x | stats a = count(), b = min(@timestamp) by user.name | where a > 5 or date_diff(\"minute\", b, now()) < 2",
    );
    assert!(!q.expr.has_opaque());
    let c = computed(&q.expr);
    assert_eq!(c.len(), 2, "one per side of the or");
    assert!(c[1].fields.contains(&"@timestamp".to_owned()), "{c:?}");
    assert!(preds(&q.expr).is_empty());
    assert!(matches!(&q.expr, Expr::And { items } if matches!(items[0], Expr::Aggregation(_))));
}

#[test]
fn grok_dissect_enrich_columns_are_derived_from_their_source() {
    let q = parse(
        r#"from x | grok message "%{IP:Esql.ip} %{WORD:Esql.verb}" | dissect url.original "%{Esql.a}/%{Esql.b}" | enrich hosts on host.name with owner = host_owner | where Esql.verb == "GET" and Esql.b like "*.php" and owner == "x" | rename host.name as h | where h == "srv""#,
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    assert!(!q.expr.has_opaque());
    let c = computed(&q.expr);
    let functions: Vec<_> = c.iter().map(|c| c.function.as_str()).collect();
    assert_eq!(functions, ["grok", "dissect", "enrich"]);
    assert_eq!(c[0].fields, ["message"]);
    assert_eq!(c[1].fields, ["url.original"]);
    assert_eq!(c[2].fields, ["host.name"]);
    let ps = preds(&q.expr);
    assert_eq!(
        (ps[0].field.as_str(), ps[0].values.clone()),
        ("host.name", vec![Value::from("srv")]),
        "a renamed field is still the field"
    );
}

#[test]
fn completion_and_unknown_commands_are_opaque_with_a_diagnostic() {
    let q = parse(
        r#"from x | completion verdict = prompt with {"inference_id": "llm"} | where verdict like "*malicious*" | fork (where a == 1) (where b == 2)"#,
    );
    let codes: Vec<_> = q.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["esql::completion", "esql::unsupported-command"]);
    let opaque: Vec<_> = q
        .expr
        .walk()
        .filter(|e| matches!(e, Expr::Opaque(_)))
        .collect();
    assert_eq!(opaque.len(), 2);
    assert_eq!(computed(&q.expr)[0].function, "completion");
}

#[test]
fn inline_stats_keeps_earlier_columns() {
    let q = parse(
        r#"from x | eval n = to_lower(host.name) | inline stats c = count() by user.name | where c > 3 and n == "dc1""#,
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    let ps = preds(&q.expr);
    assert_eq!(
        (ps[0].field.as_str(), ps[0].case_sensitive),
        ("host.name", false)
    );
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

#[test]
fn coalesce_of_fields_becomes_one_predicate_per_field() {
    let q = parse(
        r#"from x | eval t = to_lower(coalesce(a.type, b.type)) | where t == "discover" and coalesce(host.name, observer.name) is not null"#,
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    assert!(computed(&q.expr).is_empty(), "{:?}", q.expr);
    let ps: Vec<_> = preds(&q.expr)
        .iter()
        .map(|p| (p.field.clone(), p.op, p.case_sensitive))
        .collect();
    assert_eq!(
        ps,
        [
            ("a.type".to_owned(), Operator::Eq, false),
            ("a.type".to_owned(), Operator::Exists, false),
            ("b.type".to_owned(), Operator::Eq, false),
            ("host.name".to_owned(), Operator::Exists, false),
            ("observer.name".to_owned(), Operator::Exists, false),
        ]
    );
    // `b.type` counts only where `a.type` is null.
    let Expr::And { items } = &q.expr else {
        panic!("and")
    };
    let Expr::Or { items: branches } = &items[0] else {
        panic!("or of branches: {:?}", items[0])
    };
    assert!(matches!(&branches[1], Expr::And { items } if matches!(items[0], Expr::Not { .. })));
}

#[test]
fn coalesce_with_a_computed_argument_stays_computed() {
    let q = parse(r#"from x | where coalesce(a, to_string(b)) == "1""#);
    assert_eq!(computed(&q.expr).len(), 1);
}

#[test]
fn substitution_is_bounded_on_hostile_input() {
    let mut q = String::from("from x | eval c0 = a");
    for i in 1..40 {
        let p = i - 1;
        q.push_str(&format!(" | eval c{i} = c{p} + c{p} + c{p} + c{p}"));
    }
    q.push_str(" | where ");
    q.push_str(&vec!["c5 > 1"; 20_000].join(" and "));
    let parsed = parse(&q);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert!(!computed(&parsed.expr).is_empty());
}

#[test]
fn stats_by_an_eval_column_keeps_its_name() {
    let q = parse(
        r#"from x | eval w = date_trunc(1 minute, @timestamp), h = to_lower(host.name) | stats n = count(*) by w, h | where n > 5 and h == "dc1""#,
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    let Expr::Aggregation(a) = &q.expr else {
        panic!("aggregation, got {:?}", q.expr)
    };
    assert_eq!(a.group_by, ["@timestamp", "host.name"]);
    let ps = preds(&q.expr);
    assert_eq!(
        (ps[0].field.as_str(), ps[0].case_sensitive),
        ("host.name", false),
        "a BY key condition filters the aggregated events"
    );
}

#[test]
fn condition_on_a_column_made_after_stats_filters_groups() {
    let q = parse(
        r#"from x | stats n = count(*), v = values(process.name) by user.name | eval s = mv_concat(v, ",") | dissect s "%{first},%{rest}" | where first == "cmd.exe""#,
    );
    assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
    let Expr::And { items } = &q.expr else {
        panic!("aggregation and computed, got {:?}", q.expr)
    };
    assert!(matches!(&items[0], Expr::Aggregation(a) if a.input.is_none()));
    assert!(matches!(&items[1], Expr::Computed(c) if c.fields == ["process.name"]));
}

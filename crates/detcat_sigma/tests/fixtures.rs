//! Snapshot tests of the normalized output for fixture rules written for detcat (never copied
//! from the corpus), plus the facts each fixture exists to pin.

use std::path::Path;

use detcat_model::{
    AggKind, Expr, FileOutcome, Lifecycle, Operator, ParseStatus, Rule, SourceFile,
};

fn parse(name: &str) -> FileOutcome {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let text = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let folder = if name.starts_with("pipe_") {
        "unsupported"
    } else {
        "rules"
    };
    let mut out =
        detcat_sigma::parse_files(&[SourceFile::new(format!("sigma/{folder}/test/{name}"), text)]);
    out.remove(0)
}

fn snapshot(name: &str) -> Vec<Rule> {
    let outcome = parse(name);
    assert!(outcome.non_rule.is_none());
    insta::assert_json_snapshot!(name.trim_end_matches(".yml"), outcome.rules);
    outcome.rules
}

#[test]
fn regsvr32_scrobj() {
    let rules = snapshot("proc_creation_regsvr32_scrobj.yml");
    let rule = &rules[0];
    assert_eq!(rule.status(), ParseStatus::Normalized);
    assert_eq!(rule.attack.techniques, ["T1218.010"]);
    assert_eq!(rule.authors, ["detcat authors", "Second Author"]);
    assert_eq!(rule.created.as_deref(), Some("2024-02-10"));
    assert_eq!(
        rule.url.as_deref(),
        Some(
            "https://github.com/SigmaHQ/sigma/blob/master/rules/test/proc_creation_regsvr32_scrobj.yml"
        )
    );
    let excl: Vec<_> = rule.expr.exclusions().map(|p| p.field.as_str()).collect();
    assert_eq!(excl, ["ParentImage"]);
    assert!(rule.query.starts_with("selection_img:"));
}

#[test]
fn keywords_all_and_nested() {
    let rules = snapshot("keywords_all_and_nested.yml");
    assert_eq!(rules[0].status(), ParseStatus::Normalized);
}

#[test]
fn encoded_powershell() {
    let rules = snapshot("encoded_powershell.yml");
    let preds = rules[0].expr.predicates();
    let windash = preds
        .iter()
        .find(|(p, _)| p.modifiers.contains(&"windash".to_owned()));
    assert_eq!(windash.map(|(p, _)| p.values.len()), Some(5));
}

#[test]
fn values_edge_cases() {
    snapshot("values_edge_cases.yml");
}

#[test]
fn fieldref_exists_re() {
    let rules = snapshot("fieldref_exists_re.yml");
    let ops: Vec<Operator> = rules[0].expr.indicators().map(|p| p.op).collect();
    assert_eq!(
        ops,
        [
            Operator::FieldRef,
            Operator::Cidr,
            Operator::Gte,
            Operator::RegexMatch,
            Operator::Exists,
            Operator::Exists
        ]
    );
    // `not filter` where the filter is `Signature|exists: false`: a double negation, so an indicator.
}

#[test]
fn placeholder_expand() {
    snapshot("placeholder_expand.yml");
}

#[test]
fn collection_global() {
    let rules = snapshot("collection_global.yml");
    assert_eq!(rules.len(), 2);
    assert_eq!(rules.iter().map(|r| r.document).collect::<Vec<_>>(), [1, 2]);
    assert!(
        rules
            .iter()
            .all(|r| r.title == "Service Installed From A Temp Folder"
                && r.status() == ParseStatus::Normalized)
    );
}

#[test]
fn correlation_event_count() {
    let rules = snapshot("correlation_event_count.yml");
    let Expr::Aggregation(agg) = &rules[0].expr else {
        panic!("not an aggregation")
    };
    assert_eq!(
        (agg.kind.clone(), agg.rule_refs.clone()),
        (AggKind::EventCount, vec!["failed_logon".to_owned()])
    );
    assert_eq!(rules[0].rule_type, "correlation");
}

#[test]
fn correlation_value_count_temporal() {
    let rules = snapshot("correlation_value_count_temporal.yml");
    let kinds: Vec<AggKind> = rules
        .iter()
        .map(|r| match &r.expr {
            Expr::Aggregation(a) => a.kind.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            AggKind::ValueCount,
            AggKind::TemporalOrdered,
            AggKind::Temporal
        ]
    );
}

#[test]
fn filter_rule() {
    let rules = snapshot("filter_admin_hosts.yml");
    assert_eq!(rules[0].rule_type, "filter");
    assert_eq!(rules[0].expr.exclusions().count(), 1);
    assert!(
        rules[0]
            .diagnostics
            .iter()
            .any(|d| d.code == "sigma::filter-targets")
    );
}

#[test]
fn pipe_aggregation_v1() {
    let rules = snapshot("pipe_aggregation_v1.yml");
    assert_eq!(rules[0].lifecycle, Lifecycle::Unsupported);
    assert!(matches!(&rules[0].expr, Expr::Aggregation(a) if a.timespan.as_deref() == Some("24h")));
}

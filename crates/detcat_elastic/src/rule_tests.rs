//! Tests of the TOML layer (fixtures written for these tests).

use detcat_model::{AggKind, Expr, Language, Lifecycle, ParseStatus, SourceFile, TelemetryHint};

use super::parse_file;

fn rule_toml(rule_type: &str, language: &str, query: &str, extra: &str) -> String {
    format!(
        r#"[metadata]
creation_date = "2022/03/04"
maturity = "production"
updated_date = "2024/11/30"

[rule]
author = ["Tester"]
description = "A rule written for a unit test."
index = ["logs-endpoint.events.process-*"]
language = "{language}"
name = "Unit Test Rule"
risk_score = 21
rule_id = "11111111-2222-4333-8444-555555555555"
severity = "low"
tags = ["OS: Windows", "Data Source: Elastic Defend", "Tactic: Execution"]
type = "{rule_type}"
query = '''
{query}
'''
{extra}
[[rule.threat]]
framework = "MITRE ATT&CK"
[[rule.threat.technique]]
id = "T1218"
name = "System Binary Proxy Execution"
[[rule.threat.technique.subtechnique]]
id = "T1218.010"
name = "Regsvr32"
[rule.threat.tactic]
id = "TA0005"
name = "Defense Evasion"
"#
    )
}

fn one(path: &str, text: &str) -> detcat_model::Rule {
    let out = parse_file(&SourceFile::new(path, text));
    assert_eq!(out.rules.len(), 1);
    out.rules
        .into_iter()
        .next()
        .unwrap_or_else(|| unreachable!())
}

#[test]
fn metadata_is_mapped() {
    let r = one(
        "elastic/rules/windows/x.toml",
        &rule_toml(
            "eql",
            "eql",
            r#"process where process.name : "regsvr32.exe""#,
            "",
        ),
    );
    assert_eq!(r.id, "11111111-2222-4333-8444-555555555555");
    assert_eq!(
        (r.created.as_deref(), r.modified.as_deref()),
        (Some("2022-03-04"), Some("2024-11-30"))
    );
    assert_eq!(r.attack.techniques, ["T1218", "T1218.010"]);
    assert_eq!(r.attack.tactics, ["TA0005"]);
    assert_eq!(r.language, Language::Eql);
    assert_eq!(
        r.url.as_deref(),
        Some("https://github.com/elastic/detection-rules/blob/main/rules/windows/x.toml")
    );
    assert!(r.telemetry.contains(&TelemetryHint::DataSourceTag {
        name: "Elastic Defend".into()
    }));
    assert!(r.telemetry.contains(&TelemetryHint::Index {
        pattern: "logs-endpoint.events.process-*".into()
    }));
    assert!(r.telemetry.contains(&TelemetryHint::EventCategory {
        name: "process".into()
    }));
    assert_eq!(r.status(), ParseStatus::Normalized);
}

#[test]
fn predicate_spans_point_into_the_file() {
    let text = rule_toml(
        "query",
        "kuery",
        "process.name:regsvr32.exe and not user.name:SYSTEM",
        "",
    );
    let r = one("elastic/rules/windows/x.toml", &text);
    let (p, _) = r.expr.predicates()[0];
    let span = p.span.expect("span");
    assert_eq!(
        &text[span.start as usize..span.end as usize],
        "process.name:regsvr32.exe"
    );
}

#[test]
fn deprecated_by_path_or_maturity() {
    let r = one(
        "elastic/rules/_deprecated/x.toml",
        &rule_toml("query", "kuery", "a:b", ""),
    );
    assert_eq!(r.lifecycle, Lifecycle::Deprecated);
    let text = rule_toml("query", "kuery", "a:b", "")
        .replace("maturity = \"production\"", "maturity = \"deprecated\"");
    assert_eq!(
        one("elastic/rules/x.toml", &text).lifecycle,
        Lifecycle::Deprecated
    );
}

#[test]
fn threshold_wraps_in_event_count() {
    let extra = "[rule.threshold]\nfield = [\"host.id\"]\nvalue = 25\n[[rule.threshold.cardinality]]\nfield = \"user.name\"\nvalue = 3\n";
    let r = one(
        "elastic/rules/x.toml",
        &rule_toml("threshold", "kuery", "event.action:logon-failed", extra),
    );
    let Expr::Aggregation(outer) = &r.expr else {
        panic!("aggregation")
    };
    assert_eq!(outer.kind, AggKind::ValueCount);
    let Some(Expr::Aggregation(inner)) = outer.input.as_deref() else {
        panic!("inner")
    };
    assert_eq!(
        (inner.kind.clone(), inner.group_by.as_slice()),
        (AggKind::EventCount, ["host.id".to_owned()].as_slice())
    );
    assert_eq!(r.expr.indicators().count(), 1);
}

#[test]
fn new_terms_names_fields_and_window() {
    let extra = "[rule.new_terms]\nfield = \"new_terms_fields\"\nvalue = [\"host.id\", \"user.name\"]\n[[rule.new_terms.history_window_start]]\nfield = \"history_window_start\"\nvalue = \"now-7d\"\n";
    let r = one(
        "elastic/rules/x.toml",
        &rule_toml("new_terms", "kuery", "event.category:process", extra),
    );
    let Expr::Aggregation(a) = &r.expr else {
        panic!("aggregation")
    };
    assert_eq!(
        (a.kind.clone(), a.fields.len(), a.timespan.as_deref()),
        (AggKind::NewTerms, 2, Some("now-7d"))
    );
}

#[test]
fn machine_learning_is_one_opaque_node() {
    let text = rule_toml("machine_learning", "kuery", "", "")
        .replace("language = \"kuery\"\n", "machine_learning_job_id = [\"rare_process\", \"rare_parent\"]\nanomaly_threshold = 50\n")
        .replace("query = '''\n\n'''\n", "");
    let r = one("elastic/rules/ml/x.toml", &text);
    let Expr::Opaque(o) = &r.expr else {
        panic!("opaque, got {:?}", r.expr)
    };
    assert_eq!(o.reason, "machine learning job");
    assert!(o.text.contains("rare_parent"));
    assert_eq!(r.diagnostics[0].code, "elastic::machine-learning-job");
    assert_eq!(r.language, Language::None);
}

#[test]
fn threat_match_adds_opaque_indicator_part() {
    let extra = "threat_index = [\"logs-ti_*\"]\nthreat_query = \"threat.indicator.ip:*\"\n[[rule.threat_mapping]]\n[[rule.threat_mapping.entries]]\nfield = \"source.ip\"\ntype = \"mapping\"\nvalue = \"threat.indicator.ip\"\n";
    let text = rule_toml("threat_match", "kuery", "source.ip:*", extra);
    let r = one("elastic/rules/x.toml", &text);
    assert_eq!(r.status(), ParseStatus::Partial);
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.code == "elastic::threat-match")
        .expect("a diagnostic says why the rule is partial");
    let span = d.span.expect("located");
    assert_eq!(
        &text[span.start as usize..span.end as usize],
        "threat_index = [\"logs-ti_*\"]"
    );
}

#[test]
fn filters_join_the_query() {
    let extra = "[[rule.filters]]\n[rule.filters.meta]\nnegate = true\n[rule.filters.query.wildcard.\"file.path\"]\ncase_insensitive = true\nvalue = \"C:\\\\Temp\\\\*\"\n";
    let r = one(
        "elastic/rules/x.toml",
        &rule_toml("query", "kuery", "file.name:x.ps1", extra),
    );
    assert_eq!(r.expr.exclusions().count(), 1);
}

#[test]
fn broken_toml_is_one_failed_rule() {
    let r = one("elastic/rules/bad.toml", "[rule\nname = ");
    assert_eq!(r.status(), ParseStatus::Failed);
    assert_eq!(r.diagnostics[0].code, "elastic::bad-toml");
    assert!(r.diagnostics[0].span.is_some());
}

#[test]
fn non_rule_files() {
    let out = parse_file(&SourceFile::new("elastic/LICENSE.txt", "Elastic License"));
    assert!(out.rules.is_empty());
    assert!(out.non_rule.is_some());
}

//! Snapshot tests over hand-written fixture detections (`tests/fixtures/splunk/…`) and the demo
//! corpus's Splunk folder. Review changes with `cargo insta review`.

mod common;

use std::path::{Path, PathBuf};

use detcat_model::{Expr, FileOutcome, LineIndex, ParseStatus, Rule, SourceFile};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// What a reviewer wants to see of a rule: no description or query text.
fn summary(rule: &Rule, file: &SourceFile) -> serde_json::Value {
    let index = LineIndex::new(&file.text);
    let diagnostics: Vec<String> = rule
        .diagnostics
        .iter()
        .map(|d| {
            let at = d.span.map(|s| {
                let lc = index.line_col(&file.text, s.start as usize);
                let text = file
                    .text
                    .get(s.start as usize..s.end as usize)
                    .unwrap_or("");
                format!(
                    "{}:{} `{}`",
                    lc.line,
                    lc.column,
                    text.chars().take(60).collect::<String>()
                )
            });
            format!(
                "{} [{:?}] {} at {}",
                d.code,
                d.severity,
                d.message,
                at.unwrap_or_default()
            )
        })
        .collect();
    serde_json::json!({
        "id": rule.id,
        "title": rule.title,
        "status": rule.status().as_str(),
        "lifecycle": rule.lifecycle,
        "rule_type": rule.rule_type,
        "url": rule.url,
        "techniques": rule.attack.techniques,
        "telemetry": rule.telemetry,
        "tags": rule.tags,
        "false_positives": rule.false_positives,
        "expr": rule.expr,
        "exclusions": rule.expr.exclusions().map(|p| format!("{} {} {:?}", p.field, p.op, p.values)).collect::<Vec<_>>(),
        "diagnostics": diagnostics,
    })
}

fn outcomes(root: &Path) -> (Vec<SourceFile>, Vec<FileOutcome>) {
    let files = common::corpus_files(root);
    let outcomes = detcat_splunk::parse_files(&files);
    (files, outcomes)
}

#[test]
fn fixture_detections_snapshot() {
    let (files, outcomes) = outcomes(&fixtures_dir());
    let mut seen = 0;
    for (file, outcome) in files.iter().zip(&outcomes) {
        if outcome.non_rule.is_some() {
            assert!(
                file.path.starts_with("splunk/macros/") || file.path.starts_with("splunk/lookups/"),
                "{}",
                file.path
            );
            assert!(
                outcome.diagnostics.is_empty(),
                "{}: {:?}",
                file.path,
                outcome.diagnostics
            );
            continue;
        }
        let [rule] = outcome.rules.as_slice() else {
            panic!("{}: expected one rule", file.path)
        };
        let name = file
            .path
            .trim_start_matches("splunk/detections/")
            .trim_end_matches(".yml")
            .replace('/', "__");
        insta::assert_json_snapshot!(name, summary(rule, file));
        seen += 1;
    }
    assert_eq!(seen, 11);
}

#[test]
fn broken_yaml_is_one_failed_rule() {
    let (files, outcomes) = outcomes(&fixtures_dir());
    let i = files
        .iter()
        .position(|f| f.path.ends_with("broken_yaml.yml"))
        .unwrap_or(usize::MAX);
    let rule = outcomes
        .get(i)
        .and_then(|o| o.rules.first())
        .unwrap_or_else(|| panic!("no rule for the broken file"));
    assert_eq!(rule.status(), ParseStatus::Failed);
    assert_eq!(rule.diagnostics[0].code, "splunk::invalid-yaml");
}

/// The demo corpus shipped by the catalog: every Splunk rule normalizes, maps to its technique
/// and carries exclusions.
#[test]
fn demo_corpus_detections() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../detcat_catalog/demo");
    if !demo.join("splunk").is_dir() {
        eprintln!("no demo corpus next to this crate; skipping");
        return;
    }
    let (files, outcomes) = outcomes(&demo);
    let rules: Vec<(&SourceFile, &Rule)> = files
        .iter()
        .zip(&outcomes)
        .flat_map(|(f, o)| o.rules.iter().map(move |r| (f, r)))
        .collect();
    assert_eq!(rules.len(), 3);
    for (file, rule) in rules {
        assert_eq!(
            rule.status(),
            ParseStatus::Normalized,
            "{}: {:?}",
            file.path,
            rule.diagnostics
        );
        assert!(
            rule.diagnostics.is_empty(),
            "{}: {:?}",
            file.path,
            rule.diagnostics
        );
        assert!(
            rule.expr.exclusions().next().is_some(),
            "{}: no exclusions",
            file.path
        );
        assert!(rule.expr.walk().any(|e| matches!(e, Expr::Pred(_))));
        let name = format!(
            "demo__{}",
            file.path
                .rsplit('/')
                .next()
                .unwrap_or("")
                .trim_end_matches(".yml")
        );
        insta::assert_json_snapshot!(name, summary(rule, file));
    }
}

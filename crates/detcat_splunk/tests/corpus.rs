//! Conformance over the real security_content corpus.
//!
//! Run with `DETCAT_CORPUS=/work/shared/corpus cargo test -p detcat_splunk --test corpus -- --nocapture`.
//! Asserts the bars (≥ 97% of non-deprecated detections normalized, ≥ 95% yield a predicate,
//! every detection accounted for), prints the unparsed constructs by frequency, and compares
//! the report with the committed `tests/conformance/splunk_corpus.txt`: any change in the
//! counts fails the test, which writes the new report beside the test binaries
//! (`CARGO_TARGET_TMPDIR`) to be copied over on purpose; no test rewrites the tracked file.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use detcat_model::{Expr, Lifecycle, ParseStatus};

fn top(map: &BTreeMap<String, usize>, n: usize) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = map.iter().map(|(k, v)| (k.clone(), *v)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

#[test]
fn splunk_corpus_conformance() {
    let Some(root) = common::corpus_root() else {
        eprintln!("DETCAT_CORPUS is not set; skipping the Splunk corpus test");
        return;
    };
    let root = root.as_path();
    let files = common::corpus_files(root);
    let outcomes = detcat_splunk::parse_files(&files);
    assert_eq!(outcomes.len(), files.len());

    let mut status: BTreeMap<&str, usize> = BTreeMap::new();
    let mut non_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut opaque: BTreeMap<String, usize> = BTreeMap::new();
    let mut computed: BTreeMap<String, usize> = BTreeMap::new();
    let mut diag_codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut dispositions: BTreeMap<String, usize> = BTreeMap::new();
    let (mut active, mut deprecated, mut with_pred, mut with_exclusion, mut with_agg) =
        (0, 0, 0, 0, 0);
    let mut no_pred = Vec::new();
    let table = detcat_splunk::load_context(&files);

    for (file, outcome) in files.iter().zip(&outcomes) {
        if let Some(reason) = &outcome.non_rule {
            *non_rule.entry(reason.clone()).or_default() += 1;
            assert!(outcome.rules.is_empty());
            continue;
        }
        assert_eq!(
            outcome.rules.len(),
            1,
            "{}: one rule per detection file",
            file.path
        );
        for rule in &outcome.rules {
            if rule.lifecycle == Lifecycle::Deprecated {
                deprecated += 1;
                continue;
            }
            active += 1;
            *status.entry(rule.status().as_str()).or_default() += 1;
            if rule.expr.walk().any(|e| matches!(e, Expr::Pred(_))) {
                with_pred += 1;
            } else {
                no_pred.push(rule.path.clone());
            }
            if rule.expr.exclusions().next().is_some() {
                with_exclusion += 1;
            }
            if rule.expr.walk().any(|e| matches!(e, Expr::Aggregation(_))) {
                with_agg += 1;
            }
            for e in rule.expr.walk() {
                match e {
                    Expr::Opaque(o) => *opaque.entry(o.reason.clone()).or_default() += 1,
                    Expr::Computed(c) => *computed.entry(c.function.clone()).or_default() += 1,
                    _ => {}
                }
            }
            for d in &rule.diagnostics {
                *diag_codes.entry(d.code.clone()).or_default() += 1;
            }
            for c in detcat_splunk::parse_query(&rule.query, &table).commands {
                let key = format!("{:<10} {}", c.disposition.as_str(), c.name);
                *dispositions.entry(key).or_default() += 1;
            }
        }
    }
    let detections = active + deprecated;
    let failed = status.get("failed").copied().unwrap_or(0);
    let pct = |n: usize| {
        if active == 0 {
            0.0
        } else {
            100.0 * n as f64 / active as f64
        }
    };

    let mut report = String::new();
    report.push_str("# Splunk security_content conformance (tests/corpus.rs compares with it)\n\n");
    report.push_str(&format!("files: {}\n", files.len()));
    for (k, v) in &non_rule {
        report.push_str(&format!("non_rule {k}: {v}\n"));
    }
    report.push_str(&format!(
        "detections: {detections} ({active} active, {deprecated} deprecated)\n"
    ));
    for s in [
        ParseStatus::Normalized,
        ParseStatus::Partial,
        ParseStatus::Failed,
    ] {
        let n = status.get(s.as_str()).copied().unwrap_or(0);
        report.push_str(&format!("active {}: {n} ({:.1}%)\n", s.as_str(), pct(n)));
    }
    report.push_str(&format!(
        "active with >= 1 predicate: {with_pred}/{active} ({:.1}%)\n",
        pct(with_pred)
    ));
    report.push_str(&format!("active with exclusions: {with_exclusion}\n"));
    report.push_str(&format!("active with aggregations: {with_agg}\n"));
    report.push_str("\n## Opaque nodes by reason (unparsed constructs)\n");
    for (k, v) in top(&opaque, 60) {
        report.push_str(&format!("{v:>6}  {k}\n"));
    }
    report.push_str("\n## Computed nodes by function\n");
    for (k, v) in top(&computed, 30) {
        report.push_str(&format!("{v:>6}  {k}\n"));
    }
    report.push_str("\n## Commands seen, by disposition\n");
    for (k, v) in top(&dispositions, 80) {
        report.push_str(&format!("{v:>6}  {k}\n"));
    }
    report.push_str("\n## Diagnostics by code\n");
    for (k, v) in top(&diag_codes, 40) {
        report.push_str(&format!("{v:>6}  {k}\n"));
    }
    report.push_str("\n## Active detections without a predicate\n");
    for p in &no_pred {
        report.push_str(&format!("  {p}\n"));
    }
    println!("{report}");
    compare_snapshot(&report);

    assert_eq!(
        status.values().sum::<usize>(),
        active,
        "every detection accounted for"
    );
    assert!(
        pct(with_pred) >= 95.0,
        "only {:.1}% of active detections yield a predicate",
        pct(with_pred)
    );
    assert!(failed == 0, "{failed} active detections failed");
    let normalized = status.get("normalized").copied().unwrap_or(0);
    assert!(
        pct(normalized) >= 97.0,
        "only {:.1}% of active detections are normalized",
        pct(normalized)
    );
}

/// Fails when the report differs from the committed snapshot; the new report is then written
/// beside the test binaries (never over the tracked file) for review.
fn compare_snapshot(report: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/splunk_corpus.txt");
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    if committed != report {
        let fresh = Path::new(env!("CARGO_TARGET_TMPDIR")).join("splunk_corpus.txt");
        let _ = std::fs::write(&fresh, report);
        let first = committed
            .lines()
            .zip(report.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(report.lines().count()));
        panic!(
            "the Splunk conformance report differs from {} (first at line {}):\n  committed: {:?}\n  now:       {:?}\n\
             the new report is in {} — copy it over if the change is intended",
            path.display(),
            first + 1,
            committed.lines().nth(first).unwrap_or(""),
            report.lines().nth(first).unwrap_or(""),
            fresh.display(),
        );
    }
}

//! Conformance over the real Elastic corpus (`DETCAT_CORPUS=/work/shared/corpus`).
//!
//! Asserts the quality bars (every KQL/EQL query normalized, ES|QL `where` predicates for at
//! least 95% of ES|QL rules, every file accounted for) and compares the counts with the
//! committed `tests/conformance/elastic.txt`; run with `DETCAT_UPDATE_CONFORMANCE=1` to
//! rewrite it after an intended change.

#[path = "../examples/common/corpus_util.rs"]
mod corpus_util;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use detcat_model::{Expr, Language, ParseStatus};

fn corpus() -> Option<PathBuf> {
    let Ok(root) = std::env::var("DETCAT_CORPUS") else {
        eprintln!("DETCAT_CORPUS is not set; skipping the Elastic corpus conformance test");
        return None;
    };
    let dir = Path::new(&root).join("elastic");
    assert!(
        dir.is_dir(),
        "DETCAT_CORPUS is set but {} does not exist",
        dir.display()
    );
    Some(dir)
}

#[test]
fn elastic_corpus_conformance() {
    let Some(dir) = corpus() else { return };
    let files = corpus_util::read_corpus(&dir);
    let outcomes = detcat_elastic::parse_files(&files);
    assert_eq!(outcomes.len(), files.len());
    let mut unaccounted = Vec::new();
    for (f, o) in files.iter().zip(&outcomes) {
        if o.rules.is_empty() == o.non_rule.is_none() {
            unaccounted.push(f.path.clone());
        }
    }
    assert!(
        unaccounted.is_empty(),
        "files neither rule nor non-rule: {unaccounted:?}"
    );

    let rules: Vec<_> = outcomes.iter().flat_map(|o| &o.rules).collect();
    let mut table: BTreeMap<(&str, &str), [usize; 3]> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut not_normalized_kql_eql = Vec::new();
    let (mut esql, mut esql_preds) = (0usize, 0usize);
    for r in &rules {
        let status = r.status();
        let slot = match status {
            ParseStatus::Normalized => 0,
            ParseStatus::Partial => 1,
            ParseStatus::Failed => 2,
        };
        table
            .entry((r.language.as_str(), r.rule_type.as_str()))
            .or_default()[slot] += 1;
        let query_lang = matches!(r.language, Language::Kuery | Language::Eql);
        let opaque_only_from_type = r.rule_type == "threat_match";
        if query_lang && status != ParseStatus::Normalized && !opaque_only_from_type {
            not_normalized_kql_eql.push(r.path.clone());
        }
        if query_lang
            && r.diagnostics
                .iter()
                .any(|d| d.severity == detcat_model::Severity::Error)
        {
            not_normalized_kql_eql.push(r.path.clone());
        }
        if r.language == Language::Esql {
            esql += 1;
            esql_preds += usize::from(!r.expr.predicates().is_empty());
        }
        if status == ParseStatus::Failed {
            let cause = match &r.expr {
                Expr::Opaque(o) => o.reason.clone(),
                _ => String::new(),
            };
            failures.push(format!("{} [{}]: {cause}", r.path, r.rule_type));
        }
    }

    let mut report = String::new();
    let _ = writeln!(report, "elastic corpus conformance (detcat_elastic)");
    let _ = writeln!(
        report,
        "files {} | rules {} | non-rule files {}",
        files.len(),
        rules.len(),
        outcomes.iter().filter(|o| o.non_rule.is_some()).count()
    );
    let _ = writeln!(
        report,
        "{:<8} {:<18} {:>10} {:>8} {:>7}",
        "language", "type", "normalized", "partial", "failed"
    );
    for ((lang, ty), [n, p, f]) in &table {
        let _ = writeln!(report, "{lang:<8} {ty:<18} {n:>10} {p:>8} {f:>7}");
    }
    let _ = writeln!(
        report,
        "esql rules with event predicates from `where`: {esql_preds}/{esql}"
    );
    let mut causes: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &failures {
        *causes
            .entry(f.rsplit(": ").next().unwrap_or(""))
            .or_default() += 1;
    }
    for (cause, n) in &causes {
        let _ = writeln!(report, "failed because {cause:?}: {n}");
    }
    println!("{report}");
    for f in &failures {
        println!("  failed: {f}");
    }

    assert!(
        not_normalized_kql_eql.is_empty(),
        "KQL/EQL rules not fully normalized: {not_normalized_kql_eql:#?}"
    );
    assert!(
        esql_preds * 100 >= esql * 95,
        "ES|QL where predicates for only {esql_preds}/{esql} rules"
    );
    assert!(
        failures.iter().all(|f| f.ends_with("machine learning job")),
        "unexpected failures: {failures:#?}"
    );

    let snap = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/elastic.txt");
    if std::env::var_os("DETCAT_UPDATE_CONFORMANCE").is_some() {
        std::fs::write(&snap, &report)
            .unwrap_or_else(|e| panic!("writing {}: {e}", snap.display()));
        return;
    }
    let committed = std::fs::read_to_string(&snap).unwrap_or_default();
    assert_eq!(
        committed, report,
        "conformance counts changed; rerun with DETCAT_UPDATE_CONFORMANCE=1 if intended"
    );
}

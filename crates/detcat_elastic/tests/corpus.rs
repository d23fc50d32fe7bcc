//! Conformance over the real Elastic corpus (`DETCAT_CORPUS=/work/shared/corpus`).
//!
//! Asserts the quality bars (every KQL/EQL query normalized, at least 97% of the rules with a
//! query and 90% of the ES|QL rules normalized, ES|QL `where` predicates for at least 95% of
//! ES|QL rules, a located diagnostic for every rule that is not normalized, every file
//! accounted for) and compares the counts with the committed `tests/conformance/elastic.txt`.
//! The test never writes that file: on a difference it fails and leaves the new counts in
//! the target directory, to be copied over by hand after an intended change.

#[path = "common/corpus_env.rs"]
mod corpus_env;
#[path = "../examples/common/corpus_util.rs"]
mod corpus_util;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use detcat_model::{Expr, Language, ParseStatus};

#[test]
fn elastic_corpus_conformance() {
    let Some(dir) = corpus_env::elastic_dir() else {
        return;
    };
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
    let (mut esql, mut esql_preds, mut esql_normalized) = (0usize, 0usize, 0usize);
    let (mut with_query, mut with_query_normalized) = (0usize, 0usize);
    let mut unexplained = Vec::new();
    let mut partial_causes: BTreeMap<String, usize> = BTreeMap::new();
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
            esql_normalized += usize::from(status == ParseStatus::Normalized);
        }
        if r.rule_type != "machine_learning" {
            with_query += 1;
            with_query_normalized += usize::from(status == ParseStatus::Normalized);
        }
        if status != ParseStatus::Normalized {
            let mut codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code.as_str()).collect();
            codes.sort();
            codes.dedup();
            for c in codes {
                *partial_causes.entry(c.to_owned()).or_default() += 1;
            }
        }
        if let Some(why) = unexplained_opaque(r) {
            unexplained.push(format!("{}: {why}", r.path));
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
    let _ = writeln!(
        report,
        "rules with a query normalized: {with_query_normalized}/{with_query} ({:.1}%); esql: {esql_normalized}/{esql} ({:.1}%)",
        percent(with_query_normalized, with_query),
        percent(esql_normalized, esql)
    );
    for (code, n) in &partial_causes {
        let _ = writeln!(report, "not normalized, diagnostic {code}: {n}");
    }
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
        unexplained.is_empty(),
        "rules not normalized without a diagnostic saying why and where: {unexplained:#?}"
    );
    assert!(
        with_query_normalized * 100 >= with_query * 97,
        "only {with_query_normalized}/{with_query} rules with a query normalized"
    );
    assert!(
        esql_normalized * 100 >= esql * 90,
        "only {esql_normalized}/{esql} ES|QL rules normalized"
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
    let committed = std::fs::read_to_string(&snap)
        .unwrap_or_else(|e| panic!("reading {}: {e}", snap.display()));
    if committed != report {
        let fresh = Path::new(env!("CARGO_TARGET_TMPDIR")).join("elastic-conformance.txt");
        let _ = std::fs::write(&fresh, &report);
        panic!(
            "conformance counts differ from {}; the new counts are in {} — copy them over if the change is intended",
            snap.display(),
            fresh.display()
        );
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Why a rule that is not normalized lacks an explanation: no diagnostic at all, or an opaque
/// node with a span that no diagnostic's span touches.
fn unexplained_opaque(r: &detcat_model::Rule) -> Option<String> {
    if r.status() == ParseStatus::Normalized {
        return None;
    }
    if r.diagnostics.is_empty() {
        return Some("no diagnostic".into());
    }
    for e in r.expr.walk() {
        let Expr::Opaque(o) = e else { continue };
        let Some(span) = o.span else { continue };
        let touched = r.diagnostics.iter().any(|d| {
            d.span
                .is_some_and(|s| s.start <= span.end && span.start <= s.end)
        });
        if !touched {
            return Some(format!(
                "opaque {:?} has no diagnostic at its place",
                o.reason
            ));
        }
    }
    None
}

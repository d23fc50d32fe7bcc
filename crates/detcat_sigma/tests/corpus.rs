//! Conformance on the real Sigma corpus (`DETCAT_CORPUS=/work/shared/corpus`): at least 99.5%
//! of `rules*/` rules fully normalized, file counts that add up, and a committed snapshot of the
//! counts per folder so any regression shows in review.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use detcat_model::ParseStatus;

fn corpus_sigma() -> Option<PathBuf> {
    let Some(root) = std::env::var_os("DETCAT_CORPUS") else {
        eprintln!("note: DETCAT_CORPUS is not set; skipping the Sigma corpus test");
        return None;
    };
    let sigma = Path::new(&root).join("sigma");
    assert!(
        sigma.is_dir(),
        "DETCAT_CORPUS is set but {} does not exist",
        sigma.display()
    );
    Some(sigma)
}

// The examples' corpus reader: the test counts exactly what `bench_sigma` and `dump_items` read.
#[path = "../examples/common/mod.rs"]
mod common;

#[derive(Default)]
struct Counts {
    files: usize,
    non_rule: usize,
    rules: usize,
    normalized: usize,
    partial: usize,
    failed: usize,
}

#[test]
fn sigma_corpus_conformance() {
    let Some(root) = corpus_sigma() else { return };
    let files = common::read_corpus(&root);
    let outcomes = detcat_sigma::parse_files(&files);
    assert_eq!(outcomes.len(), files.len());
    let mut per_folder: BTreeMap<String, Counts> = BTreeMap::new();
    for (file, outcome) in files.iter().zip(&outcomes) {
        let folder = file.path.split('/').nth(1).unwrap_or_default().to_owned();
        let c = per_folder.entry(folder).or_default();
        c.files += 1;
        assert!(
            outcome.non_rule.is_some() == outcome.rules.is_empty(),
            "{}: a file is either rules or non-rule",
            file.path
        );
        if outcome.non_rule.is_some() {
            c.non_rule += 1;
        }
        for rule in &outcome.rules {
            c.rules += 1;
            match rule.status() {
                ParseStatus::Normalized => c.normalized += 1,
                ParseStatus::Partial | ParseStatus::Failed => {
                    if rule.status() == ParseStatus::Partial {
                        c.partial += 1
                    } else {
                        c.failed += 1
                    }
                    let specific = rule
                        .diagnostics
                        .iter()
                        .any(|d| d.code.starts_with("sigma::") && d.span.is_some());
                    assert!(
                        specific,
                        "{} is {:?} without a specific diagnostic",
                        rule.path,
                        rule.status()
                    );
                }
            }
        }
    }
    let mut snapshot = String::new();
    let (mut rules, mut normalized) = (0, 0);
    for (folder, c) in &per_folder {
        let rule_files = c.files - c.non_rule;
        // Collections hold several rules per file; every rule file holds at least one.
        assert!(
            c.rules >= rule_files,
            "{folder}: rules {} < rule files {rule_files}",
            c.rules
        );
        assert_eq!(
            c.normalized + c.partial + c.failed,
            c.rules,
            "{folder}: counts add up"
        );
        snapshot.push_str(&format!(
            "{folder}: files {} = rule files {rule_files} + non-rule {}; rules {} = normalized {} + partial {} + failed {}\n",
            c.files, c.non_rule, c.rules, c.normalized, c.partial, c.failed
        ));
        if folder.starts_with("rules") {
            rules += c.rules;
            normalized += c.normalized;
        }
    }
    let share = normalized as f64 / rules.max(1) as f64;
    snapshot.push_str(&format!("rules*/: {normalized}/{rules} normalized\n"));
    assert!(
        share >= 0.995,
        "only {normalized}/{rules} rules*/ rules normalized ({:.2}%)",
        share * 100.0
    );
    insta::assert_snapshot!("sigma_corpus_conformance", snapshot);
}

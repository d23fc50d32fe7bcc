//! The demo corpus's Elastic rules (crates/detcat_catalog/demo/elastic, written by us) must
//! parse cleanly: no error diagnostics, KQL/EQL fully normalized, ATT&CK ids, data-source
//! tags and at least one exclusion each.

#[path = "../examples/common/corpus_util.rs"]
mod corpus_util;

use detcat_model::{Language, ParseStatus, Severity, TelemetryHint};

#[test]
fn demo_rules_are_clean() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../detcat_catalog/demo/elastic");
    let files = corpus_util::read_corpus(&dir);
    assert!(files.len() >= 4, "demo rules missing in {}", dir.display());
    for rule in detcat_elastic::parse_files(&files)
        .iter()
        .flat_map(|o| &o.rules)
    {
        let errors: Vec<_> = rule
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", rule.path);
        if matches!(rule.language, Language::Kuery | Language::Eql) {
            assert_eq!(rule.status(), ParseStatus::Normalized, "{}", rule.path);
        }
        assert!(!rule.attack.techniques.is_empty(), "{}", rule.path);
        assert!(
            rule.telemetry
                .iter()
                .any(|t| matches!(t, TelemetryHint::DataSourceTag { .. })),
            "{}",
            rule.path
        );
        assert!(
            rule.expr.exclusions().count() > 0,
            "{}: no exclusion",
            rule.path
        );
    }
}

//! The demo corpus shipped in detcat_catalog: every Sigma demo rule must be fully normalized,
//! carry ATT&CK techniques, and have exclusions under `not`.

use std::path::Path;

use detcat_model::{ParseStatus, SourceFile};

#[test]
fn demo_rules_are_normalized_with_exclusions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../detcat_catalog/demo");
    let files: Vec<SourceFile> = walkdir::WalkDir::new(root.join("sigma"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e
                .path()
                .strip_prefix(&root)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            Some(SourceFile::new(
                rel,
                std::fs::read_to_string(e.path()).ok()?,
            ))
        })
        .collect();
    assert!(files.len() >= 4, "demo rules missing");
    for outcome in detcat_sigma::parse_files(&files) {
        for rule in &outcome.rules {
            assert_eq!(
                rule.status(),
                ParseStatus::Normalized,
                "{}: {:?}",
                rule.path,
                rule.diagnostics
            );
            assert!(
                rule.diagnostics.is_empty(),
                "{}: {:?}",
                rule.path,
                rule.diagnostics
            );
            assert!(!rule.attack.techniques.is_empty(), "{}", rule.path);
            assert!(
                rule.expr.exclusions().count() > 0,
                "{} has no exclusion",
                rule.path
            );
            assert!(
                rule.expr.indicators().count() > 0,
                "{} has no indicator",
                rule.path
            );
        }
    }
}

#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `detcat diff` over a subset of the real Sigma corpus (`DETCAT_CORPUS`; unset: the test
//! returns early with a note; set to a missing path: it fails): the second catalog has ten
//! rules removed and one rule's condition edited, and the diff reports exactly those.

use detcat_catalog::{BuildOptions, Catalog, Corpus, build_in_memory, diff};
use detcat_model::Vendor;

mod common;
use common::corpus_dir;

const EDITED: &str =
    "sigma/rules/windows/process_creation/proc_creation_win_dns_susp_child_process.yml";

fn subset(full: &Corpus, skip: &[String], edit: bool) -> Corpus {
    let pc = "sigma/rules/windows/process_creation/";
    let mut sigma: Vec<_> = full
        .files(Vendor::Sigma)
        .iter()
        .filter(|f| f.path.starts_with(pc))
        .take(40)
        .cloned()
        .collect();
    if !sigma.iter().any(|f| f.path == EDITED) {
        sigma.extend(
            full.files(Vendor::Sigma)
                .iter()
                .filter(|f| f.path == EDITED)
                .cloned(),
        );
    }
    sigma.retain(|f| !skip.contains(&f.path));
    if edit {
        for f in &mut sigma {
            if f.path == EDITED {
                assert!(f.text.contains("condition: selection and not filter"));
                f.text = f.text.replace(
                    "condition: selection and not filter",
                    "condition: selection",
                );
            }
        }
    }
    let mut corpus = Corpus::default();
    corpus.origin = if edit { "edited" } else { "original" }.to_owned();
    corpus.attack = full
        .attack
        .iter()
        .filter(|f| f.path.ends_with("enterprise-attack-18.1.json"))
        .cloned()
        .collect();
    *corpus.files_mut(Vendor::Sigma) = sigma;
    corpus
}

#[test]
fn diff_reports_ten_removed_rules_and_one_edited_condition() {
    let Some(dir) = corpus_dir() else { return };
    let full = Corpus::read_dir(&dir).unwrap();
    let original = subset(&full, &[], false);
    // Ten files of one rule each, not the edited one.
    let removed: Vec<String> = original
        .files(Vendor::Sigma)
        .iter()
        .filter(|f| f.path != EDITED && !f.text.contains("\n---"))
        .take(10)
        .map(|f| f.path.clone())
        .collect();
    assert_eq!(removed.len(), 10);
    let edited = subset(&full, &removed, true);
    let options = BuildOptions::default();
    let (a, _) = build_in_memory(&original, &options).unwrap();
    let (b, _) = build_in_memory(&edited, &options).unwrap();
    let old = Catalog::from_connection(a, "original").unwrap();
    let new = Catalog::from_connection(b, "edited").unwrap();

    let d = diff(&old, &new, None).unwrap();
    assert!(d.added.is_empty(), "{:?}", d.added);
    assert_eq!(d.removed.len(), 10, "{:?}", d.removed);
    let removed_ids: Vec<&str> = d.removed.iter().map(|r| r.id.as_str()).collect();
    for path in &removed {
        let text = &original
            .files(Vendor::Sigma)
            .iter()
            .find(|f| &f.path == path)
            .unwrap()
            .text;
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("id: "))
            .unwrap()
            .trim();
        assert!(
            removed_ids.contains(&id),
            "{path} ({id}) not reported removed"
        );
    }
    assert_eq!(d.changed.len(), 1, "{:?}", d.changed);
    let c = &d.changed[0];
    assert_eq!(c.title, "Unusual Child Process of dns.exe");
    assert!(c.condition_changed);
    // The filter (`Image|endswith: '\conhost.exe'`) is no longer part of the rule.
    assert!(c.predicates_added.is_empty(), "{:?}", c.predicates_added);
    assert!(
        c.predicates_removed
            .iter()
            .any(|p| p.starts_with("not exclusion") && p.contains("conhost.exe")),
        "{:?}",
        c.predicates_removed
    );
    assert!(c.techniques_added.is_empty() && c.techniques_removed.is_empty());
    assert!(c.status.is_empty());
    // The edited rule's technique lost the exclusion row.
    let t = d
        .techniques
        .iter()
        .find(|t| t.id == "T1133")
        .expect("T1133 moved");
    assert!(
        t.rows.iter().any(|r| r.kind == "exclusion"
            && r.value.contains("conhost.exe")
            && r.change == "dropped"),
        "{:?}",
        t.rows
    );

    // Restricted to the edited rule's technique: only that rule and technique.
    let only = diff(&old, &new, Some("T1133")).unwrap();
    assert_eq!(only.changed.len(), 1);
    assert!(only.techniques.iter().all(|t| t.id == "T1133"));

    // A catalog against itself: nothing.
    assert!(diff(&old, &old, None).unwrap().is_empty());
}

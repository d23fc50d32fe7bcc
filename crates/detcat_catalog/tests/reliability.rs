#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Issue 18, build side: every entry under the corpus is accounted for, hostile files stay
//! bounded, a garbage ATT&CK bundle does not win, `--out` is checked before work.

use std::path::Path;

use detcat_catalog::{
    BuildOptions, BuildReport, Catalog, CatalogError, Corpus, Quiet, build_in_memory, build_to_file,
};

const RULE: &str = "title: t\nid: 33333333-4444-4555-8666-777777777777\nstatus: test\n\
tags: [attack.t1059.001]\nlogsource: {category: process_creation, product: windows}\n\
detection:\n  sel:\n    Image|endswith: '\\powershell.exe'\n  condition: sel\n";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[cfg(unix)]
fn hostile_entries(root: &Path, outside: &Path) {
    use std::os::unix::fs::symlink;
    let rules = root.join("sigma/rules");
    write(&rules.join("ok.yml"), RULE);
    write(&outside.join("outside.yml"), RULE);
    symlink(outside.join("outside.yml"), rules.join("to-outside.yml")).unwrap();
    symlink("/etc/passwd", rules.join("to-etc.yml")).unwrap();
    symlink("/dev/zero", rules.join("to-zero.yml")).unwrap();
    symlink(rules.join("missing.yml"), rules.join("dangling.yml")).unwrap();
    symlink(&rules, rules.join("loop")).unwrap();
    symlink(rules.join("ok.yml"), rules.join("inside.yml")).unwrap();
    let fifo = rules.join("pipe.yml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // A whole vendor folder linked outside the corpus.
    write(
        &outside.join("elastic/rules/x.toml"),
        "[rule]\nname = \"x\"\n",
    );
    symlink(outside.join("elastic"), root.join("elastic")).unwrap();
}

fn skipped(report: &BuildReport, vendor: &str) -> Vec<(String, String)> {
    report
        .vendors
        .get(vendor)
        .map(|c| c.skipped.clone())
        .unwrap_or_default()
}

#[cfg(unix)]
#[test]
fn symlinks_fifos_and_outside_targets_get_a_reason_and_counts_add_up() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("corpus");
    let outside = tmp.path().join("outside");
    hostile_entries(&root, &outside);
    let corpus = Corpus::read_dir(&root).unwrap();
    let (conn, report) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
    let sigma = skipped(&report, "sigma");
    let reason = |name: &str| {
        sigma
            .iter()
            .find(|(p, _)| p.ends_with(name))
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{name} has no row: {sigma:?}"))
    };
    assert!(reason("to-outside.yml").contains("outside the corpus"));
    assert!(reason("to-etc.yml").contains("outside the corpus"));
    assert!(reason("to-zero.yml").contains("outside the corpus"));
    assert!(reason("dangling.yml").contains("does not resolve"));
    assert!(reason("loop").contains("directory"));
    assert!(reason("pipe.yml").contains("FIFO"));
    assert!(
        !sigma.iter().any(|(p, _)| p.ends_with("inside.yml")),
        "a link inside is read"
    );
    let elastic = skipped(&report, "elastic");
    assert_eq!(elastic.len(), 1, "{elastic:?}");
    assert!(elastic[0].1.contains("outside the corpus"), "{elastic:?}");
    assert_eq!(
        report.vendors["elastic"].rules, 0,
        "nothing outside is pulled in"
    );
    for (vendor, c) in &report.vendors {
        assert_eq!(
            c.files,
            c.rule_files + c.non_rule_files + c.skipped_files,
            "{vendor}: {c:?}"
        );
    }
    let rows: i64 = conn
        .query_row(
            "SELECT count(*) FROM files WHERE kind = 'skipped'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows as usize, sigma.len() + elastic.len());
}

#[test]
fn older_attack_bundles_are_never_read() {
    // The corpus keeps old releases beside the newest; the build reads only the newest per
    // domain. A garbage 17.1 would be reported if it were read (as the 99.0 one below is).
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(&root.join("sigma/rules/ok.yml"), RULE);
    let demo = Corpus::demo();
    let bundle = demo.attack.first().unwrap().read().unwrap();
    std::fs::create_dir_all(root.join("attack")).unwrap();
    std::fs::write(root.join("attack/enterprise-attack-18.1.json"), &*bundle).unwrap();
    write(
        &root.join("attack/enterprise-attack-17.1.json"),
        "{ this is not STIX",
    );
    let corpus = Corpus::read_dir(root).unwrap();
    assert_eq!(corpus.attack.len(), 2, "both bundles are listed");
    let (_, report) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
    assert_eq!(
        report.attack.bundles,
        ["attack/enterprise-attack-18.1.json"]
    );
    assert!(report.attack.rejected.is_empty());
    assert!(
        report
            .attack
            .diagnostics
            .iter()
            .all(|d| !d.contains("17.1")),
        "{:?}",
        report.attack.diagnostics
    );
}

#[test]
fn a_garbage_newer_attack_bundle_is_reported_and_the_next_one_used() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(&root.join("sigma/rules/ok.yml"), RULE);
    let demo = Corpus::demo();
    let bundle = demo.attack.first().unwrap().read().unwrap();
    std::fs::create_dir_all(root.join("attack")).unwrap();
    std::fs::write(root.join("attack/enterprise-attack-18.1.json"), &*bundle).unwrap();
    write(
        &root.join("attack/enterprise-attack-99.0.json"),
        "{ this is not STIX",
    );
    let corpus = Corpus::read_dir(root).unwrap();
    let (conn, report) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
    assert_eq!(
        report.attack.bundles,
        ["attack/enterprise-attack-18.1.json"]
    );
    assert_eq!(
        report.attack.rejected.len(),
        1,
        "{:?}",
        report.attack.rejected
    );
    assert!(report.attack.rejected[0].contains("99.0"));
    let catalog = Catalog::from_connection(conn, "test").unwrap();
    assert!(catalog.technique_ids().unwrap().len() > 1);
}

#[test]
fn out_as_a_directory_fails_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let err =
        build_to_file(Corpus::demo(), dir.path(), &BuildOptions::default(), &Quiet).unwrap_err();
    assert!(matches!(err, CatalogError::OutIsDirectory(_)), "{err}");
}

#[test]
fn many_diagnostics_of_one_file_are_capped_with_a_marker() {
    let tmp = tempfile::tempdir().unwrap();
    // 1,500 selections with an unknown modifier: one diagnostic each.
    let mut text = String::from("title: t\nlogsource: {product: windows}\ndetection:\n");
    for i in 0..1_500 {
        text.push_str(&format!("  s{i}: {{'F|nosuchmod': x}}\n"));
    }
    text.push_str("  condition: 1 of s*\n");
    write(&tmp.path().join("sigma/rules/noisy.yml"), &text);
    let corpus = Corpus::read_dir(tmp.path()).unwrap();
    let (conn, _) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
    let (rows, marker): (i64, i64) = conn
        .query_row(
            "SELECT count(*), sum(code = 'catalog::diagnostics-truncated') FROM diagnostics
             WHERE path = 'sigma/rules/noisy.yml'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(marker, 1);
    assert!(rows <= 1_001, "{rows}");
}

/// The build moves each file's text into the `files` table and frees it before the rules are
/// stored; the line and column of each diagnostic are found first. Two rules of one file
/// (a Sigma collection), each with an unknown modifier: each diagnostic keeps its own line
/// and column, and the file's text is stored whole.
#[test]
fn diagnostics_keep_their_line_and_column_once_the_texts_are_freed() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "title: one\nid: 11111111-2222-4333-8444-555555555551\nlogsource: {product: windows}\n\
                detection:\n  sel:\n    Image|nosuchmod: a\n  condition: sel\n---\n\
                title: two\nid: 11111111-2222-4333-8444-555555555552\nlogsource: {product: windows}\n\
                detection:\n  sel:\n      CommandLine|alsonosuch: b\n  condition: sel\n";
    write(&tmp.path().join("corpus/sigma/rules/two.yml"), text);
    let out = tmp.path().join("catalog.db");
    let corpus = Corpus::read_dir(&tmp.path().join("corpus")).unwrap();
    build_to_file(corpus, &out, &BuildOptions::default(), &Quiet).unwrap();
    let conn = rusqlite::Connection::open(&out).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT r.id, d.line, d.col FROM diagnostics d JOIN rules r ON r.rid = d.rid
             WHERE d.code = 'sigma::unknown-modifier' ORDER BY r.id",
        )
        .unwrap();
    let positions: Vec<(String, i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        positions,
        vec![
            ("11111111-2222-4333-8444-555555555551".to_owned(), 6, 5),
            ("11111111-2222-4333-8444-555555555552".to_owned(), 14, 7),
        ]
    );
    let stored: String = conn
        .query_row(
            "SELECT text FROM files WHERE path = 'sigma/rules/two.yml'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, text);
}

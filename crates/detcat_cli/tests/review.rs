#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `detcat review` and `detcat similar` end to end on the embedded demo (issue 13): JSON,
//! exit codes for `--fail-on`, bad drafts.

mod common;

use common::detcat;

const DRAFT: &str = "title: draft\ntags: [attack.t1218.010]\nlogsource: {category: network_connection, product: windows}\ndetection:\n  sel:\n    Image|endswith: '\\regsvr32.exe'\n  condition: sel\n";

#[test]
fn review_reports_and_fail_on_sets_the_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.yml"), DRAFT).unwrap();
    let out = detcat(&["review", "d.yml", "--json"], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["format"], "sigma_yaml");
    assert!(report["techniques"][0]["id"] == "T1218.010");
    assert!(!report["nearest"].as_array().unwrap().is_empty());
    // Some finding exists (at least `info`), none is `high`.
    let failed = detcat(&["review", "d.yml", "--fail-on", "info"], dir.path());
    assert_eq!(failed.status.code(), Some(3));
    let passed = detcat(&["review", "d.yml", "--fail-on", "high"], dir.path());
    assert_eq!(passed.status.code(), Some(0));
}

#[test]
fn review_of_a_bad_draft_prints_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yml"),
        "title: x\ndetection:\n  sel: [a\n",
    )
    .unwrap();
    let out = detcat(&["review", "bad.yml", "--fail-on", "high"], dir.path());
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("bad.yml:"), "{text}");
    std::fs::write(dir.path().join("bin"), [0u8, 1, 2, 3]).unwrap();
    let out = detcat(&["review", "bin"], dir.path());
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("review::binary"));
}

#[test]
fn similar_lists_other_vendors_and_refuses_unknown_rules() {
    let dir = tempfile::tempdir().unwrap();
    let out = detcat(
        &[
            "similar",
            "sigma/6c3e8d2f-9a4b-4e7c-8f1d-2b3c4d5e6f70",
            "--json",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = page["similar"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"6d1f0c6e-5a0b-4f43-9b3e-3c5a1b2d7e03"),
        "{ids:?}"
    );
    let missing = detcat(&["similar", "no-such-rule"], dir.path());
    assert_eq!(missing.status.code(), Some(1));
}

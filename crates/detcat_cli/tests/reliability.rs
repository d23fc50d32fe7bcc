#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Reliability of the `detcat` query commands against hostile input (issue 18): terminal
//! escapes in rule text, huge ids, LIKE wildcards, out-of-range numbers, `--json` not-found.

mod common;

use std::path::Path;

use common::detcat;

/// A corpus of one Sigma rule whose title is a terminal attack.
fn escape_corpus(dir: &Path) {
    let rules = dir.join("corpus").join("sigma").join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("esc.yml"),
        "title: \"pwn \\e]0;pwned\\a\\e[2J\\u009b1m done\"\n\
         id: 22222222-3333-4444-8555-666666666666\nstatus: test\n\
         tags: [attack.t1059.001]\n\
         logsource: {category: process_creation, product: windows}\n\
         detection:\n  sel:\n    Image|endswith: '\\powershell.exe'\n  condition: sel\n",
    )
    .unwrap();
    let out = detcat(&["build", "--corpus", "corpus", "--out", "c.db"], dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn printed_rule_text_has_no_raw_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    escape_corpus(dir.path());
    for args in [
        &[
            "rule",
            "22222222-3333-4444-8555-666666666666",
            "--catalog",
            "c.db",
        ][..],
        &["search", "pwn", "--catalog", "c.db"][..],
    ] {
        let out = detcat(args, dir.path());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("pwn"), "{args:?}: {text}");
        assert!(
            text.contains("\\x1b]0;pwned\\x07"),
            "{args:?}: the escape is shown: {text}"
        );
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{args:?}: {text:?}"
        );
    }
}

#[test]
fn huge_ids_are_refused_before_sql() {
    let dir = tempfile::tempdir().unwrap();
    let id = "T".repeat(50_000);
    let out = detcat(&["technique", &id], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the limit is 512"), "{err}");
    assert!(!err.contains("too complex"), "{err}");
}

#[test]
fn like_wildcards_in_ids_match_themselves() {
    let dir = tempfile::tempdir().unwrap();
    for id in ["%", "T_", "_%"] {
        let out = detcat(&["technique", id, "--json"], dir.path());
        assert_eq!(out.status.code(), Some(1), "{id}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            v["suggestion"].is_null(),
            "{id} suggested {}",
            v["suggestion"]
        );
    }
}

#[test]
fn json_not_found_prints_an_error_object() {
    let dir = tempfile::tempdir().unwrap();
    let out = detcat(&["technique", "T1059.999", "--json"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"], "not found");
    assert_eq!(v["wanted"], "T1059.999");
    assert!(v["suggestion"]["id"].as_str().unwrap().starts_with("T1059"));
}

#[test]
fn numeric_options_are_range_checked() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["search", "x", "--offset", "9223372036854775808"][..],
        &["search", "x", "--limit", "0"][..],
        &["search", "x", "--limit", "100000"][..],
    ] {
        let out = detcat(args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("datatype mismatch"), "{err}");
        assert!(err.contains("--offset") || err.contains("--limit"), "{err}");
    }
}

#[test]
fn a_lone_quote_search_is_an_error_not_every_rule() {
    let dir = tempfile::tempdir().unwrap();
    let out = detcat(&["search", "\"", "--json"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no search terms"));
}

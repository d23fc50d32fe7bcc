#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The `detcat` binary end to end: the README commands, JSON contracts, exit codes, and a
//! build killed midway.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::detcat;

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn readme_demo_build_then_technique() {
    let dir = tempfile::tempdir().unwrap();
    let built = detcat(&["build"], dir.path());
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    assert!(dir.path().join("detcat.db").exists());
    let page = json(&detcat(&["technique", "T1559.001", "--json"], dir.path()));
    assert_eq!(page["technique"]["id"], "T1559.001");
    assert_eq!(page["technique"]["name"], "Component Object Model");
    for key in [
        "rules_by_vendor",
        "events",
        "fields_distinct",
        "fields",
        "indicators_distinct",
        "indicators",
        "exclusions_distinct",
        "exclusions",
        "rules",
    ] {
        assert!(page.get(key).is_some(), "technique JSON lacks {key}");
    }
    assert!(
        page["rules"].as_array().unwrap().len() >= 3,
        "demo rules of every vendor"
    );
    let text = detcat(&["technique", "T1559.001"], dir.path());
    assert!(String::from_utf8_lossy(&text.stdout).contains("Events covered"));
}

#[test]
fn stats_json_has_vendor_counts() {
    let dir = tempfile::tempdir().unwrap();
    let stats = json(&detcat(&["stats", "--json"], dir.path()));
    for vendor in ["sigma", "elastic", "splunk"] {
        for key in ["files", "rules", "normalized", "partial", "failed"] {
            assert!(
                stats["vendors"][vendor][key].is_u64(),
                "vendors.{vendor}.{key} in {stats}"
            );
        }
    }
}

#[test]
fn rule_json_contract_and_not_found_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let page = json(&detcat(&["technique", "T1559.001", "--json"], dir.path()));
    let first = &page["rules"][0];
    let key = format!(
        "{}/{}",
        first["vendor"].as_str().unwrap(),
        first["id"].as_str().unwrap()
    );
    let rule = json(&detcat(&["rule", &key, "--json"], dir.path()));
    for k in [
        "id",
        "vendor",
        "title",
        "status",
        "techniques",
        "events",
        "expr",
        "predicates",
        "exclusions",
        "indicators",
        "diagnostics",
    ] {
        assert!(rule.get(k).is_some(), "rule JSON lacks {k}");
    }
    let missing = detcat(&["technique", "T9999.999"], dir.path());
    assert_eq!(missing.status.code(), Some(1));
    let bad_catalog = detcat(&["stats", "--catalog", "nope.db"], dir.path());
    assert_eq!(bad_catalog.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_catalog.stderr).contains("does not exist"));
}

/// A build killed midway leaves the previous catalog readable and unchanged.
#[test]
fn killed_build_leaves_the_previous_catalog() {
    let Some(corpus) = std::env::var_os("DETCAT_CORPUS") else {
        eprintln!("DETCAT_CORPUS is not set: skipping");
        return;
    };
    assert!(
        Path::new(&corpus).is_dir(),
        "DETCAT_CORPUS={corpus:?} does not exist"
    );
    let corpus = std::fs::canonicalize(corpus).unwrap();
    let dir = tempfile::tempdir().unwrap();
    assert!(detcat(&["build"], dir.path()).status.success());
    let before = std::fs::read(dir.path().join("detcat.db")).unwrap();
    for delay_ms in [300, 1500] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_detcat"))
            .args(["build", "--corpus", corpus.to_str().unwrap()])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("detcat.db")).unwrap(),
            before,
            "killed after {delay_ms} ms"
        );
        let stats = json(&detcat(&["stats", "--json"], dir.path()));
        assert_eq!(stats["origin"], "demo (embedded)");
    }
}

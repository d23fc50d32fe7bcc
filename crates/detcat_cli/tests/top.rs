//! `detcat top`, the threat lines of `detcat technique` and `detcat stats`, and the scored
//! Navigator export, on the embedded demo catalog (run in an empty directory so no
//! `detcat.db` is picked up).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn detcat(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_detcat"))
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn top_lists_components_and_honours_by_limit_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let out = stdout(&detcat(
        &["top", "--by", "gap", "--limit", "3", "--json"],
        dir.path(),
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["by"], "gap");
    assert_eq!(v["rows"].as_array().unwrap().len(), 3);
    let first = &v["rows"][0];
    assert_eq!(first["rank"], 1);
    for c in [
        "usage",
        "vendors",
        "depth",
        "indicators",
        "normalized_share",
    ] {
        assert!(first["priority"]["components"][c].is_f64(), "component {c}");
    }
    let threat = stdout(&detcat(
        &["top", "--by", "threat", "--tactic", "execution"],
        dir.path(),
    ));
    assert!(threat.contains("T1059"), "{threat}");
    assert!(
        threat.contains("not scored"),
        "T1059.001 has no CTID score: {threat}"
    );
    assert!(
        !threat.contains("T1218"),
        "defense-evasion techniques filtered out"
    );
    let none = detcat(&["top", "--platform", "plan9"], dir.path());
    assert_eq!(none.status.code(), Some(1), "nothing matched");
    let bad = detcat(&["top", "--tactic", "nope"], dir.path());
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn technique_and_stats_print_threat_data() {
    let dir = tempfile::tempdir().unwrap();
    let t = stdout(&detcat(&["technique", "T1218.010"], dir.path()));
    assert!(t.contains("Threat-mapped scoring"), "{t}");
    assert!(t.contains("scored as T1117"), "{t}");
    assert!(t.contains("priority (gap)"), "{t}");
    let s = stdout(&detcat(&["stats"], dir.path()));
    assert!(s.contains("1 mapped from revoked ids"), "{s}");
    assert!(
        s.contains("1 active Enterprise techniques not scored"),
        "{s}"
    );
}

#[test]
fn navigator_export_scores_by_gap_or_threat() {
    let dir = tempfile::tempdir().unwrap();
    for score in ["gap", "threat"] {
        let out = stdout(&detcat(
            &["export", "navigator", "--score", score],
            dir.path(),
        ));
        let layer: serde_json::Value = serde_json::from_str(&out).unwrap();
        let techniques = layer["techniques"].as_array().unwrap();
        assert_eq!(techniques.len(), 6, "every active demo technique");
        assert!(techniques.iter().all(|t| {
            t["score"]
                .as_f64()
                .is_some_and(|s| (0.0..=100.0).contains(&s))
        }));
        assert!(layer["name"].as_str().unwrap().contains(score));
    }
    let both = detcat(
        &["export", "navigator", "--score", "gap", "--vendor", "sigma"],
        dir.path(),
    );
    assert_eq!(
        both.status.code(),
        Some(2),
        "a vendor filter and a score conflict"
    );
}

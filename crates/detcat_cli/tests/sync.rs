//! `detcat sync --catalog` without network: the upstreams are local git repositories
//! (`--upstream-dir`, one per corpus folder) filled from the demo corpus. The first sync
//! builds the catalog; after a commit that removes one Sigma rule and edits another's
//! detection, the second sync prints exactly that diff (issue 17).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../detcat_catalog/demo")
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn git(repo: &Path, args: &[&str]) {
    run(Command::new("git")
        .args([
            "-c",
            "user.name=detcat test",
            "-c",
            "user.email=test@detcat.invalid",
        ])
        .args(["-c", "commit.gpgsign=false", "-C"])
        .arg(repo)
        .args(args));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A git repository at `repo`, filled by `fill` and committed.
fn repository(repo: &Path, fill: impl FnOnce(&Path)) {
    std::fs::create_dir_all(repo).unwrap();
    git(repo, &["init", "--quiet"]);
    fill(repo);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "--quiet", "-m", "upstream"]);
}

fn sync(upstream: &Path, dest: &Path, catalog: &Path) -> String {
    let out = run(Command::new(env!("CARGO_BIN_EXE_detcat"))
        .arg("sync")
        .arg("--upstream-dir")
        .arg(upstream)
        .arg("--dest")
        .arg(dest)
        .arg("--catalog")
        .arg(catalog)
        .current_dir(dest.parent().unwrap()));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const REMOVED: &str = "rules/windows/dns_query/dns_query_win_demo_regsvr32_lookup.yml";
const REMOVED_ID: &str = "7d4f9e3a-0b5c-4f8d-9a2e-3c4d5e6f7081";
const EDITED: &str = "rules/windows/process_creation/proc_creation_win_demo_regsvr32_scrobj.yml";
const EDITED_ID: &str = "8e5a0f4b-1c6d-4a9e-8b3f-4d5e6f708192";

#[test]
fn sync_with_a_catalog_prints_the_diff_of_the_update() {
    if Command::new("git").arg("--version").output().is_err() {
        panic!("this test needs git on the PATH");
    }
    let tmp = tempfile::tempdir().unwrap();
    let upstream = tmp.path().join("upstream");
    for folder in ["sigma", "elastic", "splunk"] {
        repository(&upstream.join(folder), |r| {
            copy_dir(&demo().join(folder), r);
        });
    }
    repository(&upstream.join("attack"), |r| {
        let domain = r.join("enterprise-attack");
        std::fs::create_dir_all(&domain).unwrap();
        std::fs::copy(
            demo().join("attack/demo-attack.json"),
            domain.join("demo-attack.json"),
        )
        .unwrap();
    });
    let dest = tmp.path().join("corpus");
    let catalog = tmp.path().join("detcat.db");

    let first = sync(&upstream, &dest, &catalog);
    assert!(
        first.contains("no previous catalog to compare"),
        "first sync: {first}"
    );
    assert!(dest.join("sigma").join(REMOVED).is_file());
    assert!(
        dest.join("attack/demo-attack.json").is_file(),
        "bundles are flattened"
    );

    // Upstream moves on: one rule removed, one rule's detection edited.
    let sigma = upstream.join("sigma");
    std::fs::remove_file(sigma.join(REMOVED)).unwrap();
    let edited = std::fs::read_to_string(sigma.join(EDITED)).unwrap();
    assert!(edited.contains("- '/i:'"));
    std::fs::write(sigma.join(EDITED), edited.replace("- '/i:'", "- '/u'")).unwrap();
    git(
        &sigma,
        &["commit", "--quiet", "-am", "remove one rule, edit another"],
    );

    let second = sync(&upstream, &dest, &catalog);
    assert!(
        second.contains("0 added, 1 removed, 1 changed rules"),
        "second sync: {second}"
    );
    let section = |name: &str| -> String {
        second
            .split(&format!("\n{name}\n"))
            .nth(1)
            .unwrap_or_default()
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let removed = section("Removed");
    assert!(removed.contains(&format!("sigma/{REMOVED_ID}")), "{second}");
    let changed = section("Changed");
    assert!(changed.contains(&format!("sigma/{EDITED_ID}")), "{second}");
    assert!(
        changed.contains("/i:") && changed.contains("/u"),
        "{second}"
    );
    assert!(!dest.join("sigma").join(REMOVED).exists());
    // The copy of the previous catalog is gone once the diff is printed.
    assert!(!tmp.path().join("detcat.db.previous").exists());

    // Nothing new upstream: nothing changed.
    let third = sync(&upstream, &dest, &catalog);
    assert!(third.contains("no rule changed"), "third sync: {third}");
}

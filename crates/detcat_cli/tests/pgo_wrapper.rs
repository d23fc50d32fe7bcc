//! `tools/pgo_rustc.sh`, the rustc wrapper of the profile-guided release build
//! (`tools/pgo_build.sh`): the profile flags go to the crates of the shipped binary, never to
//! build scripts or proc macros, and nothing is added outside a PGO phase. `echo` stands in
//! for rustc, so the test sees the command line the wrapper would run.

#![allow(clippy::expect_used)]

use std::path::Path;
use std::process::Command;

fn wrapped(phase: Option<&str>, args: &[&str]) -> String {
    let wrapper = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/pgo_rustc.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(wrapper).arg("echo").args(args);
    cmd.env("DETCAT_PGO_DIR", "/profiles");
    match phase {
        Some(p) => cmd.env("DETCAT_PGO_PHASE", p),
        None => cmd.env_remove("DETCAT_PGO_PHASE"),
    };
    let out = cmd.output().expect("bash runs the wrapper");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_owned()
}

#[test]
fn the_binarys_crates_get_the_phases_flags() {
    assert_eq!(
        wrapped(
            Some("generate"),
            &["--crate-name", "detcat_catalog", "--crate-type", "lib"]
        ),
        "--crate-name detcat_catalog --crate-type lib -Cprofile-generate=/profiles/raw -Clink-arg=-lgcov"
    );
    assert_eq!(
        wrapped(
            Some("use"),
            &["--crate-name", "detcat", "--crate-type", "bin"]
        ),
        "--crate-name detcat --crate-type bin -Cprofile-use=/profiles/detcat.profdata"
    );
}

#[test]
fn build_scripts_proc_macros_and_plain_builds_get_nothing() {
    for args in [
        &["--crate-name", "build_script_build", "--crate-type", "bin"][..],
        &["--crate-name", "serde_derive", "--crate-type", "proc-macro"][..],
    ] {
        assert_eq!(wrapped(Some("generate"), args), args.join(" "));
        assert_eq!(wrapped(Some("use"), args), args.join(" "));
    }
    // Cargo asks rustc for its version and target through the wrapper too.
    assert_eq!(wrapped(None, &["-vV"]), "-vV");
    assert_eq!(
        wrapped(None, &["--crate-name", "detcat", "--crate-type", "bin"]),
        "--crate-name detcat --crate-type bin"
    );
}

#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Readers over the real recordings (`DETCAT_CORPUS`): the EVTX and JSON forms of every Sigma
//! regression recording read the same events, and truncated EVTX gives diagnostics, no panic.
//! Unset: the tests return early; set to a missing path: they fail.

use std::path::PathBuf;

use detcat_eval::read::{Format, read_bytes, read_path};
use detcat_eval::regress;

fn regression_dir() -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("DETCAT_CORPUS") else {
        eprintln!("DETCAT_CORPUS is not set: skipping the corpus tests");
        return None;
    };
    let dir = PathBuf::from(dir);
    assert!(
        dir.is_dir(),
        "DETCAT_CORPUS={} does not exist",
        dir.display()
    );
    Some(dir.join("sigma/regression_data"))
}

#[test]
fn evtx_and_json_forms_read_the_same_events() {
    let Some(dir) = regression_dir() else { return };
    let (tests, diags) = regress::discover(&dir).unwrap();
    assert!(diags.is_empty(), "{diags:?}");
    assert!(tests.len() >= 202, "{} tests", tests.len());
    let mut both = 0;
    for t in &tests {
        let (Some(evtx), Some(json)) = (&t.evtx, &t.json) else {
            continue;
        };
        let a = read_path(evtx, Format::Auto).unwrap();
        let b = read_path(json, Format::Auto).unwrap();
        assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
        assert!(b.diagnostics.is_empty(), "{:?}", b.diagnostics);
        assert_eq!(a.events.len(), b.events.len(), "{}", t.path);
        for (x, y) in a.events.iter().zip(&b.events) {
            assert_eq!(
                x.provenance.kind_key(),
                y.provenance.kind_key(),
                "{}",
                t.path
            );
            // The two renderers write GUIDs differently (`{abc…}` vs `ABC…`), and the JSON
            // form drops trailing spaces the EVTX holds (`ParentCommandLine`).
            let norm = |v: &String| v.trim().trim_matches(['{', '}']).to_lowercase();
            let fields = |e: &detcat_eval::Event| {
                e.raw_fields()
                    .map(|(n, v)| (n.to_owned(), v.values.iter().map(norm).collect::<Vec<_>>()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(fields(x), fields(y), "{}", t.path);
        }
        both += 1;
    }
    assert!(both >= 200, "{both} recordings with both forms");
}

#[test]
fn hostile_truncated_and_corrupted_evtx() {
    let Some(dir) = regression_dir() else { return };
    let (tests, _) = regress::discover(&dir).unwrap();
    let evtx = tests.iter().find_map(|t| t.evtx.clone()).unwrap();
    let bytes = std::fs::read(&evtx).unwrap();
    for cut in [4096 + 100, bytes.len() / 2, bytes.len() - 1] {
        let out = read_bytes("cut", bytes.get(..cut).unwrap().to_vec(), Format::Auto);
        assert!(
            !out.diagnostics.is_empty() || !out.events.is_empty(),
            "a cut at {cut} says something"
        );
    }
    // Flip bytes inside the first chunk's records: a per-record diagnostic, reading goes on.
    let mut bad = bytes.clone();
    for b in bad.iter_mut().skip(4096 + 600).step_by(7).take(2000) {
        *b ^= 0x5a;
    }
    let out = read_bytes("flipped", bad, Format::Evtx);
    assert!(!out.diagnostics.is_empty());
    assert!(
        out.diagnostics
            .iter()
            .all(|d| d.code.starts_with("eval::evtx"))
    );
}

//! Shared by the corpus test binaries of this crate.

use std::path::PathBuf;

/// The real corpora (`DETCAT_CORPUS`, e.g. `../shared/corpus`). Unset: `None`, and the caller
/// returns early with a note. Set to a missing path: the test fails, never skips.
pub fn corpus_dir() -> Option<PathBuf> {
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
    Some(dir)
}

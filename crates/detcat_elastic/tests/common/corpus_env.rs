// Shared by the corpus tests: where `DETCAT_CORPUS` points.
use std::path::{Path, PathBuf};

/// The corpus's `elastic/` folder, or `None` (test skipped) when `DETCAT_CORPUS` is unset.
/// A set variable naming a missing folder fails the test: a mistyped path must not pass.
pub fn elastic_dir() -> Option<PathBuf> {
    let Ok(root) = std::env::var("DETCAT_CORPUS") else {
        eprintln!("DETCAT_CORPUS is not set; skipping an Elastic corpus test");
        return None;
    };
    let dir = Path::new(&root).join("elastic");
    assert!(
        dir.is_dir(),
        "DETCAT_CORPUS is set but {} does not exist",
        dir.display()
    );
    Some(dir)
}

//! Reading the real corpus for the corpus tests: `DETCAT_CORPUS` names the corpus root.
//! (Each test binary uses a part of this module.)
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use detcat_model::SourceFile;

/// The corpus root, or `None` when `DETCAT_CORPUS` is unset. A set variable naming a missing
/// folder fails the test: a typo must not turn the corpus tests into silent passes.
pub fn corpus_root() -> Option<PathBuf> {
    let root = PathBuf::from(std::env::var_os("DETCAT_CORPUS")?);
    assert!(
        root.join("splunk").is_dir(),
        "DETCAT_CORPUS is set but {} does not exist",
        root.join("splunk").display()
    );
    Some(root)
}

/// Every file under `root/splunk`, paths relative to `root`, sorted.
pub fn corpus_files(root: &Path) -> Vec<SourceFile> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("splunk")).sort_by_file_name() {
        let entry = entry.unwrap_or_else(|e| panic!("cannot walk the corpus: {e}"));
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(root)
            .unwrap_or(entry.path())
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        files.push(SourceFile::new(
            rel,
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    files
}

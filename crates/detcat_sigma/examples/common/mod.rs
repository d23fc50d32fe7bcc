//! Shared by the examples: reading a corpus `sigma/` folder into source files.

use std::path::Path;

use detcat_model::SourceFile;

/// Every file under `root` (a corpus `sigma/` folder), with corpus-relative `sigma/...` paths.
/// Binary files are read lossily, as text is what the parser receives.
pub fn read_corpus(root: &Path) -> Vec<SourceFile> {
    let mut files: Vec<SourceFile> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e
                .path()
                .strip_prefix(root)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/");
            let bytes = std::fs::read(e.path()).ok()?;
            Some(SourceFile::new(
                format!("sigma/{rel}"),
                String::from_utf8_lossy(&bytes).into_owned(),
            ))
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

// Shared by the examples: read every file under an `elastic/` corpus folder.
use std::path::Path;

use detcat_model::SourceFile;

/// All files under `root` (the corpus's `elastic/` folder), with corpus-relative paths
/// (`elastic/rules/…`), sorted for stable output. Unreadable or non-UTF-8 files are skipped
/// with a note on stderr.
pub fn read_corpus(root: &Path) -> Vec<SourceFile> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .replace('\\', "/");
                files.push(SourceFile::new(format!("elastic/{rel}"), text));
            } else {
                eprintln!("skipped unreadable {}", path.display());
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

//! Prints the diagnostics (with line:column and the offending text) of Splunk detections.
//!
//! `cargo run -p detcat_splunk --example diagnose -- /work/shared/corpus [code-filter]`

use std::path::Path;

use detcat_model::{LineIndex, SourceFile};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(root) = args.next() else {
        eprintln!("usage: diagnose <corpus-root> [diagnostic code substring]");
        std::process::exit(2);
    };
    let filter = args.next().unwrap_or_default();
    let root = Path::new(&root);
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(root.join("splunk"))
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(root)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            files.push(SourceFile::new(rel, text));
        }
    }
    let outcomes = detcat_splunk::parse_files(&files);
    for (file, outcome) in files.iter().zip(&outcomes) {
        let index = LineIndex::new(&file.text);
        for rule in &outcome.rules {
            for d in rule.diagnostics.iter().filter(|d| d.code.contains(&filter)) {
                let (at, text) = match d.span {
                    Some(s) => {
                        let lc = index.line_col(&file.text, s.start as usize);
                        (
                            format!("{}:{}", lc.line, lc.column),
                            file.text
                                .get(s.start as usize..s.end as usize)
                                .unwrap_or("")
                                .to_owned(),
                        )
                    }
                    None => (String::new(), String::new()),
                };
                let short: String = text.chars().take(80).collect();
                println!("{}:{at} {} {} | {short}", file.path, d.code, d.message);
            }
        }
    }
}

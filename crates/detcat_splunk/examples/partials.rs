//! Lists every active detection that is not fully normalized, with its opaque reasons and
//! diagnostics: the to-do list of parse coverage.
//!
//! `cargo run -p detcat_splunk --example partials -- /work/shared/corpus`

use std::path::Path;

use detcat_model::{Expr, Lifecycle, ParseStatus, SourceFile};

fn main() {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: partials <corpus-root>");
        std::process::exit(2);
    };
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
    for rule in outcomes.iter().flat_map(|o| &o.rules) {
        if rule.lifecycle == Lifecycle::Deprecated || rule.status() == ParseStatus::Normalized {
            continue;
        }
        let reasons: Vec<&str> = rule
            .expr
            .walk()
            .filter_map(|e| match e {
                Expr::Opaque(o) => Some(o.reason.as_str()),
                _ => None,
            })
            .collect();
        let codes: Vec<&str> = rule.diagnostics.iter().map(|d| d.code.as_str()).collect();
        println!(
            "{} {} | {} | {}",
            rule.status().as_str(),
            rule.path,
            reasons.join("; "),
            codes.join(",")
        );
    }
}

//! Prints the diagnostics (with line:column and the offending text) of Splunk detections, or
//! with `--partial` the active detections that are not fully normalized, with their opaque
//! reasons and diagnostic codes (the to-do list of parse coverage).
//!
//! `cargo run -p detcat_splunk --example diagnose -- /work/shared/corpus [code-filter|--partial]`

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
    if filter == "--partial" {
        partials(&outcomes);
        return;
    }
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

fn partials(outcomes: &[detcat_model::FileOutcome]) {
    use detcat_model::{Expr, Lifecycle, ParseStatus};
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

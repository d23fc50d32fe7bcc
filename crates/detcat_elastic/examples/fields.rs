//! Dumps, for every EQL rule of a corpus folder, the fields our parser reads, as JSON lines
//! (`{"path":…,"fields":[…],"errors":n}`) — the input of `tools/eql_diff.py`.
//!
//! `cargo run -p detcat_elastic --example fields -- /work/shared/corpus/elastic > ours.jsonl`

#[path = "common/corpus_util.rs"]
mod corpus_util;

use detcat_model::{Language, Severity};

fn main() {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: fields <corpus>/elastic");
        std::process::exit(2);
    };
    let files = corpus_util::read_corpus(std::path::Path::new(&root));
    for rule in detcat_elastic::parse_files(&files)
        .iter()
        .flat_map(|o| &o.rules)
    {
        if rule.language != Language::Eql {
            continue;
        }
        let errors = rule
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        let line = serde_json::json!({
            "path": rule.path,
            "fields": detcat_elastic::fields_of(&rule.expr),
            "errors": errors,
        });
        println!("{line}");
    }
}

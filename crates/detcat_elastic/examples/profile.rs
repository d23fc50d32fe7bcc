//! Splits the bench time into TOML loading and query parsing (single thread).
//!
//! `cargo run --release -p detcat_elastic --example profile -- /work/shared/corpus/elastic`

#[path = "common/corpus_util.rs"]
mod corpus_util;

use std::time::Instant;

fn main() {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: profile <corpus>/elastic");
        std::process::exit(2);
    };
    let files = corpus_util::read_corpus(std::path::Path::new(&root));
    let t = Instant::now();
    let mut queries = Vec::new();
    for f in files.iter().filter(|f| f.path.ends_with(".toml")) {
        if let Ok(r) = toml::from_str::<detcat_elastic::toml_rule::RuleFile>(&f.text) {
            queries.push((
                r.rule.language.unwrap_or_default(),
                r.rule.query.unwrap_or_default(),
            ));
        }
    }
    let toml_time = t.elapsed();
    let t = Instant::now();
    for (lang, q) in &queries {
        let _ = match lang.as_str() {
            "eql" => detcat_elastic::eql::parse(q),
            "esql" => detcat_elastic::esql::parse(q),
            "lucene" => detcat_elastic::lucene::parse(q),
            _ => detcat_elastic::kql::parse(q),
        };
    }
    let query_time = t.elapsed();
    let t = Instant::now();
    let rules: usize = files
        .iter()
        .map(|f| detcat_elastic::parse_files(std::slice::from_ref(f)).len())
        .sum();
    assert_eq!(rules, files.len());
    println!(
        "single thread: toml {:.1} ms, queries {:.1} ms, whole pipeline {:.1} ms ({} files)",
        toml_time.as_secs_f64() * 1e3,
        query_time.as_secs_f64() * 1e3,
        t.elapsed().as_secs_f64() * 1e3,
        files.len()
    );
}

//! Reads and parses a whole Elastic corpus folder and prints wall time, rules/s, peak RSS.
//!
//! `cargo run --release -p detcat_elastic --example bench_elastic -- /work/shared/corpus/elastic`

#[path = "common/corpus_util.rs"]
mod corpus_util;

use std::collections::BTreeMap;
use std::time::Instant;

use detcat_model::ParseStatus;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: bench <corpus>/elastic");
        std::process::exit(2);
    };
    let start = Instant::now();
    let files = corpus_util::read_corpus(std::path::Path::new(&root));
    let read = start.elapsed();
    let outcomes = detcat_elastic::parse_files(&files);
    let total = start.elapsed();
    let rules: Vec<_> = outcomes.iter().flat_map(|o| &o.rules).collect();
    let mut by: BTreeMap<(&str, &str), [usize; 3]> = BTreeMap::new();
    for r in &rules {
        let slot = match r.status() {
            ParseStatus::Normalized => 0,
            ParseStatus::Partial => 1,
            ParseStatus::Failed => 2,
        };
        by.entry((r.language.as_str(), r.rule_type.as_str()))
            .or_default()[slot] += 1;
    }
    println!(
        "files {} rules {} non-rule {}",
        files.len(),
        rules.len(),
        outcomes.iter().filter(|o| o.non_rule.is_some()).count()
    );
    println!(
        "{:<8} {:<18} {:>10} {:>8} {:>7}",
        "language", "type", "normalized", "partial", "failed"
    );
    for ((lang, ty), [n, p, f]) in &by {
        println!("{lang:<8} {ty:<18} {n:>10} {p:>8} {f:>7}");
    }
    println!(
        "read {:.1} ms, read+parse {:.1} ms, {:.0} rules/s, peak RSS {} MiB",
        read.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3,
        rules.len() as f64 / total.as_secs_f64(),
        peak_rss_kib().map_or_else(|| "?".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
    );
}

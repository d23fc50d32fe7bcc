//! Reads a corpus `sigma/` folder, parses every file in parallel, and prints wall time,
//! rules per second, peak memory and the outcome counts.
//!
//! `cargo run --release -p detcat_sigma --example bench_sigma -- /work/shared/corpus/sigma`

use std::path::PathBuf;
use std::time::Instant;

use detcat_model::ParseStatus;

mod common;

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let Some(root) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: bench <corpus>/sigma");
        std::process::exit(2);
    };
    let started = Instant::now();
    let files = common::read_corpus(&root);
    let read = started.elapsed();
    let parse_start = Instant::now();
    let outcomes = detcat_sigma::parse_files(&files);
    let parse = parse_start.elapsed();
    let rules: Vec<_> = outcomes.iter().flat_map(|o| &o.rules).collect();
    let count = |s: ParseStatus| rules.iter().filter(|r| r.status() == s).count();
    let non_rule = outcomes.iter().filter(|o| o.non_rule.is_some()).count();
    println!("files            {}", files.len());
    println!("non-rule files   {non_rule}");
    println!(
        "rules            {} (normalized {}, partial {}, failed {})",
        rules.len(),
        count(ParseStatus::Normalized),
        count(ParseStatus::Partial),
        count(ParseStatus::Failed)
    );
    println!("read             {:.1} ms", read.as_secs_f64() * 1e3);
    println!("parse            {:.1} ms", parse.as_secs_f64() * 1e3);
    println!(
        "total wall       {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    println!(
        "rules/s (parse)  {:.0}",
        rules.len() as f64 / parse.as_secs_f64()
    );
    if let Some(kib) = peak_rss_kib() {
        println!("peak RSS         {:.1} MiB", kib as f64 / 1024.0);
    }
}

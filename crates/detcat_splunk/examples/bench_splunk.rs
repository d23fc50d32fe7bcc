//! Reads and parses a whole Splunk corpus folder; prints wall time, rules/s and peak RSS.
//!
//! `cargo run --release -p detcat_splunk --example bench_splunk -- /work/shared/corpus/splunk`

use std::path::Path;
use std::time::Instant;

use detcat_model::{ParseStatus, SourceFile};

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User + system CPU seconds of this process (`/proc/self/stat` fields 14 and 15, at the usual
/// 100 ticks per second): on a busy shared machine wall time says little, CPU time stays honest.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: bench <path to the corpus splunk/ folder>");
        std::process::exit(2);
    };
    let dir = Path::new(&dir);
    if !dir.is_dir() {
        eprintln!("{} is not a directory", dir.display());
        std::process::exit(2);
    }
    // Paths are relative to the folder's parent, so they start with `splunk/`.
    let root = dir.parent().unwrap_or(dir);
    let start = Instant::now();
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if entry.file_type().is_file() {
            let rel = entry
                .path()
                .strip_prefix(root)
                .unwrap_or(entry.path())
                .to_string_lossy()
                .replace('\\', "/");
            match std::fs::read(entry.path()) {
                Ok(bytes) => files.push(SourceFile::new(
                    rel,
                    String::from_utf8_lossy(&bytes).into_owned(),
                )),
                Err(e) => eprintln!("{rel}: {e}"),
            }
        }
    }
    let read = start.elapsed();
    let parse_start = Instant::now();
    let outcomes = detcat_splunk::parse_files(&files);
    let parse = parse_start.elapsed();
    let total = start.elapsed();

    let rules: Vec<_> = outcomes.iter().flat_map(|o| &o.rules).collect();
    let count = |s: ParseStatus| rules.iter().filter(|r| r.status() == s).count();
    let bytes: usize = files.iter().map(|f| f.text.len()).sum();
    println!(
        "files            {} ({:.1} MiB)",
        files.len(),
        bytes as f64 / (1024.0 * 1024.0)
    );
    println!(
        "rules            {} (normalized {}, partial {}, failed {})",
        rules.len(),
        count(ParseStatus::Normalized),
        count(ParseStatus::Partial),
        count(ParseStatus::Failed)
    );
    println!("threads          {}", rayon::current_num_threads());
    println!("read             {:.1} ms", read.as_secs_f64() * 1e3);
    println!("parse            {:.1} ms", parse.as_secs_f64() * 1e3);
    println!("wall             {:.1} ms", total.as_secs_f64() * 1e3);
    println!(
        "rules/s (parse)  {:.0}",
        rules.len() as f64 / parse.as_secs_f64().max(1e-9)
    );
    if let Some(cpu) = cpu_seconds() {
        println!("cpu (user+sys)   {:.0} ms", cpu * 1e3);
    }
    match peak_rss_kib() {
        Some(kib) => println!("peak RSS (VmHWM) {:.1} MiB", kib as f64 / 1024.0),
        None => println!("peak RSS (VmHWM) unavailable"),
    }
}

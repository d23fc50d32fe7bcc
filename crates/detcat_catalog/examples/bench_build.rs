//! Build benchmark: `cargo run --release -p detcat_catalog --example bench_build -- ../shared/corpus`
//!
//! Prints the full build's wall time per stage and peak memory (VmHWM), then the median and
//! 95th-percentile time of a technique page over 100 techniques picked pseudo-randomly.

use std::path::PathBuf;
use std::time::Instant;

use detcat_catalog::{BuildOptions, Catalog, Corpus, QueryOptions, Quiet, build_to_file};

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kib| kib / 1024.0)
        .unwrap_or(f64::NAN)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "../shared/corpus".to_owned()),
    );
    let out = std::env::temp_dir().join(format!("detcat-bench-{}.db", std::process::id()));
    let started = Instant::now();
    let corpus = Corpus::read_dir(&dir)?;
    let read_ms = started.elapsed().as_millis();
    let report = build_to_file(corpus, &out, &BuildOptions::default(), &Quiet)?;
    let total = started.elapsed();
    let rules: usize = report.vendors.values().map(|v| v.rules).sum();
    let t = &report.timings;
    println!("corpus        {}", dir.display());
    println!("rules         {rules}");
    println!(
        "build         {:.2} s wall ({:.0} rules/s)",
        total.as_secs_f64(),
        rules as f64 / total.as_secs_f64()
    );
    println!(
        "  read {read_ms} ms · parse {} ms · ATT&CK {} ms · map {} ms · write {} ms",
        t.parse_ms, t.attack_ms, t.map_ms, t.write_ms
    );
    // The writer threads' busy time per part: where the tail after the map goes.
    let busy: Vec<String> = t
        .writer
        .iter()
        .map(|(part, ms)| format!("{part} {ms}"))
        .collect();
    println!("  writers (busy ms): {}", busy.join(" · "));
    println!("peak memory   {:.0} MiB (VmHWM)", peak_rss_mib());
    println!(
        "catalog size  {:.1} MiB",
        std::fs::metadata(&out)?.len() as f64 / 1048576.0
    );

    let catalog = Catalog::open(&out)?;
    let ids = catalog.technique_ids()?;
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut times = Vec::new();
    for _ in 0..100 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let Some(id) = ids.get((seed >> 33) as usize % ids.len().max(1)) else {
            break;
        };
        let started = Instant::now();
        let page = catalog.technique(id, QueryOptions::default())?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(page);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| {
        times
            .get(((times.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "technique     median {:.2} ms · p95 {:.2} ms · max {:.2} ms over {} techniques",
        at(0.5),
        at(0.95),
        at(1.0),
        times.len()
    );
    let started = Instant::now();
    let page = catalog.technique("T1559.001", QueryOptions::default())?;
    println!(
        "T1559.001     {:.2} ms ({} rules)",
        started.elapsed().as_secs_f64() * 1000.0,
        page.map(|p| p.rules.len()).unwrap_or(0)
    );
    let _ = std::fs::remove_file(&out);
    Ok(())
}

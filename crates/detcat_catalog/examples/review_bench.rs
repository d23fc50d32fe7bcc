//! Review and similarity benchmark (issue 13): prints times, never asserts on them.
//!
//! ```text
//! cargo run --profile release -p detcat_catalog --example review_bench -- CATALOG DRAFT... [--rounds N]
//! ```
//!
//! 1. Loading the similarity index from the catalog (once per process; the web pool shares it).
//! 2. `review` of each draft against the full catalog, index loaded: the median and the worst
//!    of N rounds (goal: < 50 ms). The first review of the process also reads the corpus'
//!    regression recordings (once per process, like the index); it is timed and shown apart.
//! 3. `similar` for every active rule with indicators (the clustering pass: each rule's best
//!    match), once.

use std::path::Path;
use std::time::{Duration, Instant};

use detcat_catalog::Catalog;
use detcat_catalog::review::{ReviewOptions, review};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut rounds = 20usize;
    if let Some(i) = args.iter().position(|a| a == "--rounds") {
        rounds = args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(20);
        args.drain(i..(i + 2).min(args.len()));
    }
    let Some((catalog, drafts)) = args.split_first() else {
        eprintln!("usage: review_bench CATALOG DRAFT... [--rounds N]");
        std::process::exit(2);
    };
    let catalog = Catalog::open(Path::new(catalog))?;

    let started = Instant::now();
    let index = catalog.similarity()?;
    println!(
        "similarity index: {} rules ({} active) loaded in {} ms",
        index.len(),
        index.active_rules(),
        started.elapsed().as_millis()
    );

    let mut first = true;
    for path in drafts {
        let bytes = std::fs::read(path)?;
        if std::mem::take(&mut first) {
            let started = Instant::now();
            let report = review(&catalog, &bytes, &ReviewOptions::default())?;
            println!(
                "first review (reads {} regression recordings): {} ms",
                report.recordings.ran,
                started.elapsed().as_millis()
            );
        }
        let mut times: Vec<Duration> = Vec::with_capacity(rounds);
        let mut findings = 0;
        for _ in 0..rounds.max(1) {
            let started = Instant::now();
            let report = review(&catalog, &bytes, &ReviewOptions::default())?;
            times.push(started.elapsed());
            findings = report.findings.len();
        }
        times.sort();
        let median = times[times.len() / 2];
        let worst = times[times.len() - 1];
        println!(
            "review {path}: median {:.1} ms, worst {:.1} ms over {} rounds ({findings} findings)",
            median.as_secs_f64() * 1000.0,
            worst.as_secs_f64() * 1000.0,
            times.len()
        );
    }

    let started = Instant::now();
    let best = index.best_matches();
    let elapsed = started.elapsed();
    let matched = best.iter().filter(|(_, m, _)| m.is_some()).count();
    let close = best.iter().filter(|(_, _, s)| *s >= 0.8).count();
    println!(
        "similar for all: {} rules, {} with a match, {} with a match scoring >= 0.8, in {} ms",
        best.len(),
        matched,
        close,
        elapsed.as_millis()
    );
    Ok(())
}

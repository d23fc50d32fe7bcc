//! Evaluation benchmark: prints events/s, never asserts on time.
//!
//! ```text
//! cargo run --release -p detcat_catalog --example eval_bench -- CATALOG REGRESSION_DIR [JSONL_MB]
//! ```
//!
//! 1. All Sigma rules of the catalog over every event of the regression recordings (`.json`),
//!    several rounds; with `RSIGMA=/path/to/rsigma` the same events are run through
//!    `rsigma engine eval` over the Sigma rules folder beside the recordings, for comparison.
//! 2. With `JSONL_MB`: a JSON Lines file of about that size is generated in the temp directory
//!    from the same events and all three vendors' rules are run over it, streamed in batches.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use detcat_catalog::{Catalog, QueryOptions};
use detcat_eval::read::{Format, read_path, read_path_batches};
use detcat_eval::{Engine, Event};
use detcat_model::Vendor;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(catalog), Some(dir)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: eval_bench CATALOG REGRESSION_DIR [JSONL_MB]");
        std::process::exit(2);
    };
    let rules = Catalog::open(Path::new(catalog))?.eval_rules(QueryOptions::default())?;
    let json_files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| e.into_path())
        .collect();
    let mut events: Vec<Event> = Vec::new();
    for f in &json_files {
        events.extend(read_path(f, Format::Auto)?.events);
    }
    let sigma: Vec<_> = rules
        .iter()
        .filter(|r| r.vendor == Vendor::Sigma)
        .cloned()
        .collect();
    let started = Instant::now();
    let engine = Engine::new(sigma);
    println!(
        "compiled {} Sigma rules in {:.0} ms",
        engine.rules().len(),
        started.elapsed().as_secs_f64() * 1e3
    );
    let rounds = 20;
    let started = Instant::now();
    let mut fired = 0;
    for _ in 0..rounds {
        fired = engine
            .run(&events, &|_| true)
            .iter()
            .map(|h| h.fired.len())
            .sum::<usize>();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "detcat: {} events × {} Sigma rules, {rounds} rounds: {:.0} events/s ({fired} matches per round)",
        events.len(),
        engine.rules().len(),
        (events.len() * rounds) as f64 / secs
    );
    if let Ok(rsigma) = std::env::var("RSIGMA") {
        rsigma_bench(&rsigma, Path::new(dir), &json_files, events.len())?;
    }
    if let Some(mb) = args.get(3).and_then(|m| m.parse::<u64>().ok()) {
        jsonl_bench(rules, &json_files, mb)?;
    }
    Ok(())
}

/// `rsigma engine eval -r RULES -e EVENTS.jsonl`, timed end to end (parse + compile + eval).
fn rsigma_bench(
    rsigma: &str,
    dir: &Path,
    files: &[PathBuf],
    n_events: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let rules_dir = dir.parent().map(|p| p.to_path_buf()).unwrap_or_default();
    let lines = std::env::temp_dir().join("detcat_bench_events.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&lines)?);
    for f in files {
        for e in read_json_values(f)? {
            writeln!(out, "{}", flat_windows_event(e))?;
        }
    }
    out.flush()?;
    let mut cmd = std::process::Command::new(rsigma);
    cmd.args(["engine", "eval", "-r"])
        .arg(rules_dir.join("rules"))
        .arg("-e")
        .arg(format!("@{}", lines.display()))
        .stdout(std::process::Stdio::null());
    let started = Instant::now();
    let status = cmd.status()?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "rsigma engine eval: {n_events} events in {secs:.2} s (rule parsing included): {:.0} events/s, exit {status}",
        n_events as f64 / secs
    );
    Ok(())
}

/// rsigma matches Sigma field names against top-level keys: the regression form's
/// `Event.EventData` fields go to the top, with `Channel`, `EventID` and `Provider_Name` from
/// `Event.System`. Other shapes are left as they are.
fn flat_windows_event(v: serde_json::Value) -> serde_json::Value {
    let Some(event) = v.get("Event") else {
        return v;
    };
    let mut flat = match event.get("EventData") {
        Some(serde_json::Value::Object(m)) => m.clone(),
        _ => serde_json::Map::new(),
    };
    if let Some(sys) = event.get("System") {
        let text = |x: &serde_json::Value| match x {
            serde_json::Value::Object(m) => m.get("#text").cloned().unwrap_or_default(),
            other => other.clone(),
        };
        for (key, value) in [
            ("Channel", sys.get("Channel").map(text)),
            ("EventID", sys.get("EventID").map(text)),
            (
                "Provider_Name",
                sys.pointer("/Provider/#attributes/Name").cloned(),
            ),
        ] {
            if let Some(value) = value {
                flat.insert(key.to_owned(), value);
            }
        }
    }
    serde_json::Value::Object(flat)
}

fn read_json_values(f: &Path) -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
    let bytes = std::fs::read(f)?;
    let mut out = Vec::new();
    for v in serde_json::Deserializer::from_slice(&bytes).into_iter::<serde_json::Value>() {
        out.push(v?);
    }
    Ok(out)
}

/// Generates ~`mb` MB of JSON Lines from the recordings and runs every vendor's rules on it.
fn jsonl_bench(
    rules: Vec<detcat_eval::EvalRule>,
    files: &[PathBuf],
    mb: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::temp_dir().join("detcat_bench_1g.jsonl");
    let mut lines = Vec::new();
    for f in files {
        for v in read_json_values(f)? {
            lines.push(v.to_string());
        }
    }
    let target = mb << 20;
    let mut written = 0u64;
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
        'fill: loop {
            for l in &lines {
                writeln!(out, "{l}")?;
                written += l.len() as u64 + 1;
                if written >= target {
                    break 'fill;
                }
            }
        }
        out.flush()?;
    }
    let engine = Engine::new(rules);
    let started = Instant::now();
    let mut n = 0usize;
    let mut fired = 0usize;
    let diags = read_path_batches(&path, Format::Jsonl, 8192, &mut |batch| {
        n += batch.len();
        fired += engine
            .run(&batch, &|_| true)
            .iter()
            .map(|h| h.fired.len())
            .sum::<usize>();
    })?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "all vendors ({} rules) on {} ({:.0} MB, {n} events): {:.0} events/s, {:.1} MB/s, {fired} matches, {} diagnostics",
        engine.rules().len(),
        path.display(),
        written as f64 / 1e6,
        n as f64 / secs,
        written as f64 / 1e6 / secs,
        diags.len()
    );
    let _ = std::fs::remove_file(&path);
    Ok(())
}

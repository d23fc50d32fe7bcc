//! Evaluation benchmark: prints events/s, never asserts on time.
//!
//! ```text
//! eval_bench CATALOG REGRESSION_DIR [JSONL_MB]   in-process rounds (and the JSON Lines run)
//! eval_bench --flat REGRESSION_DIR COPIES OUT    write the events flattened, COPIES times
//! eval_bench --jsonl REGRESSION_DIR MB OUT       write about MB megabytes of JSON Lines
//! eval_bench --stream CATALOG FILE               every vendor's rules over FILE, streamed
//! ```
//!
//! 1. All Sigma rules of the catalog over every event of the regression recordings (`.json`),
//!    several rounds; with `RSIGMA=/path/to/rsigma` the same events are run through
//!    `rsigma engine eval` over the Sigma rules folder beside the recordings, for comparison.
//! 2. With `JSONL_MB`: a JSON Lines file of about that size is generated in the temp directory
//!    from the same events and all three vendors' rules are run over it, streamed in batches
//!    (the same as `--jsonl` then `--stream`).
//!
//! `--flat` writes the shape rsigma reads (the `Event.EventData` fields at the top, with
//! `Channel`, `EventID` and `Provider_Name`), which detcat reads too: the paired run of the two
//! whole commands over one file is in docs/benchmarks.md ("Evaluator").

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use detcat_catalog::{Catalog, QueryOptions};
use detcat_eval::read::{Format, read_path, read_path_batches};
use detcat_eval::{Engine, Event};
use detcat_model::Vendor;
use rayon::prelude::*;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const USAGE: &str = "usage: eval_bench CATALOG REGRESSION_DIR [JSONL_MB]
       eval_bench --flat REGRESSION_DIR COPIES OUT
       eval_bench --jsonl REGRESSION_DIR MB OUT
       eval_bench --stream CATALOG FILE";

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    let num = |i: usize| arg(i).and_then(|n| n.parse::<u64>().ok());
    match (arg(0), arg(1), arg(2), arg(3)) {
        (Some("--flat"), Some(dir), Some(_), Some(out)) => {
            write_flat(Path::new(dir), num(2).ok_or(USAGE)?, Path::new(out))
        }
        (Some("--jsonl"), Some(dir), Some(_), Some(out)) => {
            write_jsonl(Path::new(dir), num(2).ok_or(USAGE)?, Path::new(out)).map(|_| ())
        }
        (Some("--stream"), Some(catalog), Some(file), None) => {
            stream(Path::new(catalog), Path::new(file))
        }
        (Some(catalog), Some(dir), mb, None) if !catalog.starts_with("--") => {
            rounds(Path::new(catalog), Path::new(dir))?;
            if let Some(mb) = mb.and_then(|m| m.parse::<u64>().ok()) {
                let path = std::env::temp_dir().join("detcat_bench_1g.jsonl");
                write_jsonl(Path::new(dir), mb, &path)?;
                stream(Path::new(catalog), &path)?;
                std::fs::remove_file(&path)?;
            }
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

/// All Sigma rules over the regression events, 20 rounds in one process.
fn rounds(catalog: &Path, dir: &Path) -> Res<()> {
    let rules = Catalog::open(catalog)?.eval_rules(QueryOptions::default())?;
    let files = json_files(dir);
    let mut events: Vec<Event> = Vec::new();
    for f in &files {
        events.extend(read_path(f, Format::Auto)?.events);
    }
    let sigma: Vec<_> = rules
        .into_iter()
        .filter(|r| r.vendor == Vendor::Sigma)
        .collect();
    let started = Instant::now();
    let engine = Engine::new(sigma);
    println!(
        "compiled {} Sigma rules in {:.0} ms; index: {:?}",
        engine.rules().len(),
        started.elapsed().as_secs_f64() * 1e3,
        engine.index_stats()
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
    // The same rounds the way the engine ran before its index: every rule on every event.
    let started = Instant::now();
    let mut fired = 0;
    for _ in 0..rounds {
        fired = engine
            .rules()
            .par_iter()
            .enumerate()
            .map(|(i, r)| detcat_eval::run_rule(i, r, &events).fired.len())
            .sum::<usize>();
    }
    println!(
        "without the index (every rule on every event): {:.0} events/s ({fired} matches per round)",
        (events.len() * rounds) as f64 / started.elapsed().as_secs_f64()
    );
    if let Ok(rsigma) = std::env::var("RSIGMA") {
        let lines = std::env::temp_dir().join("detcat_bench_events.jsonl");
        write_flat(dir, 1, &lines)?;
        let mut cmd = std::process::Command::new(rsigma);
        cmd.args(["engine", "eval", "-r"])
            .arg(dir.parent().unwrap_or(dir).join("rules"))
            .arg("-e")
            .arg(format!("@{}", lines.display()))
            .stdout(std::process::Stdio::null());
        let started = Instant::now();
        let status = cmd.status()?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "rsigma engine eval: {} events in {secs:.2} s (rule parsing included): {:.0} events/s, exit {status}",
            events.len(),
            events.len() as f64 / secs
        );
    }
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

fn read_json_values(f: &Path) -> Res<Vec<serde_json::Value>> {
    let bytes = std::fs::read(f)?;
    let mut out = Vec::new();
    for v in serde_json::Deserializer::from_slice(&bytes).into_iter::<serde_json::Value>() {
        out.push(v?);
    }
    Ok(out)
}

/// The regression events flattened, `copies` times over, one per line.
fn write_flat(dir: &Path, copies: u64, out: &Path) -> Res<()> {
    let mut lines = Vec::new();
    for f in json_files(dir) {
        for v in read_json_values(&f)? {
            lines.push(flat_windows_event(v).to_string());
        }
    }
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    for _ in 0..copies {
        for l in &lines {
            writeln!(w, "{l}")?;
        }
    }
    w.flush()?;
    println!(
        "wrote {} events to {}",
        lines.len() as u64 * copies,
        out.display()
    );
    Ok(())
}

/// About `mb` megabytes (MiB) of JSON Lines: the regression events as they are, repeated.
fn write_jsonl(dir: &Path, mb: u64, out: &Path) -> Res<u64> {
    let mut lines = Vec::new();
    for f in json_files(dir) {
        for v in read_json_values(&f)? {
            lines.push(v.to_string());
        }
    }
    let target = mb << 20;
    let mut written = 0u64;
    let mut w = std::io::BufWriter::new(std::fs::File::create(out)?);
    'fill: loop {
        for l in &lines {
            writeln!(w, "{l}")?;
            written += l.len() as u64 + 1;
            if written >= target {
                break 'fill;
            }
        }
    }
    w.flush()?;
    println!("wrote {written} bytes to {}", out.display());
    Ok(written)
}

/// Every vendor's rules over `file`, read in batches of 8,192 events (memory bounded by the
/// batch); prints events/s and MB/s of reading and evaluation together.
fn stream(catalog: &Path, file: &Path) -> Res<()> {
    let rules = Catalog::open(catalog)?.eval_rules(QueryOptions::default())?;
    let bytes = std::fs::metadata(file)?.len();
    let engine = Engine::new(rules);
    let started = Instant::now();
    let mut n = 0usize;
    let mut fired = 0usize;
    let diags = read_path_batches(file, Format::Jsonl, 8192, &mut |batch| {
        n += batch.len();
        fired += engine
            .run(&batch, &|_| true)
            .iter()
            .map(|h| h.fired.len())
            .sum::<usize>();
    })?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "all vendors ({} rules) on {} ({:.0} MB, {n} events): {secs:.1} s, {:.0} events/s, {:.1} MB/s, {fired} matches, {} diagnostics",
        engine.rules().len(),
        file.display(),
        bytes as f64 / 1e6,
        n as f64 / secs,
        bytes as f64 / 1e6 / secs,
        diags.len()
    );
    Ok(())
}

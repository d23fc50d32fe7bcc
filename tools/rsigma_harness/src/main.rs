//! What `rsigma engine eval -r RULES -e @EVENTS.jsonl` does without correlations or
//! pipelines (rsigma 0.23.0, src/commands/eval.rs `cmd_eval_detection_only` and
//! eval_stream.rs `stream_events`): parse the rules directory, compile one Engine, then per
//! NDJSON line parse the JSON, `engine.evaluate(&JsonEvent::borrow(&v))`, and write each
//! result as a JSON line. The CLI does this on one thread: `engine eval` never calls
//! `evaluate_batch`.
//!
//! ```text
//! rsigma-harness RULES_DIR EVENTS.jsonl [--batch N] [--bloom]
//! ```
//!
//! `--batch N`: the fastest use of rsigma's library on several cores — N lines at a time are
//! parsed in parallel (rayon) and evaluated with `Engine::evaluate_batch` (rayon, the
//! `parallel` feature the CLI is built with); results are written in input order.
//! `--bloom`: its bloom prefilter (`--bloom-prefilter`, off by default in the CLI).
//!
//! On standard error: the rules loaded, and the events phase (reading, parsing, evaluating,
//! writing — after the rules are compiled) as events/s.
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use rayon::prelude::*;
use rsigma_eval::{Engine, EvaluationResult, JsonEvent};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(rules), Some(events)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: rsigma-harness RULES_DIR EVENTS.jsonl [--batch N] [--bloom]");
        std::process::exit(2);
    };
    let flag = |name: &str| args.iter().position(|a| a == name);
    let batch: Option<usize> = flag("--batch").and_then(|i| args.get(i + 1)?.parse().ok());
    let bloom = flag("--bloom").is_some() || std::env::var_os("BLOOM").is_some();
    let t0 = std::time::Instant::now();
    let collection = rsigma_parser::parse_sigma_directory(Path::new(rules)).expect("rules");
    let mut engine = Engine::new();
    engine.set_bloom_prefilter(bloom);
    engine.add_collection(&collection).expect("compile");
    eprintln!(
        "Loaded {} rules ({} correlations, {} parse errors) from {rules}",
        engine.rule_count(),
        collection.correlations.len(),
        collection.errors.len()
    );
    let t1 = std::time::Instant::now();
    let reader = BufReader::new(std::fs::File::open(events).expect("events"));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut emit = |r: &EvaluationResult| {
        let _ = serde_json::to_writer(&mut out, r);
        let _ = writeln!(out);
    };
    let (mut n, mut m) = (0u64, 0u64);
    match batch {
        None => {
            for line in reader.lines() {
                let Ok(line) = line else { continue };
                if line.trim().is_empty() {
                    continue;
                }
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                    continue;
                };
                n += 1;
                for r in engine.evaluate(&JsonEvent::borrow(&v)) {
                    m += 1;
                    emit(&r);
                }
            }
        }
        Some(size) => {
            let mut lines = reader.lines();
            loop {
                let chunk: Vec<String> = lines
                    .by_ref()
                    .take(size.max(1))
                    .filter_map(Result::ok)
                    .collect();
                if chunk.is_empty() {
                    break;
                }
                let values: Vec<serde_json::Value> = chunk
                    .par_iter()
                    .filter(|l| !l.trim().is_empty())
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect();
                let events: Vec<JsonEvent> = values.iter().map(JsonEvent::borrow).collect();
                let refs: Vec<&JsonEvent> = events.iter().collect();
                n += refs.len() as u64;
                for results in engine.evaluate_batch(&refs) {
                    for r in &results {
                        m += 1;
                        emit(r);
                    }
                }
            }
        }
    }
    drop(emit);
    let _ = out.flush();
    let eval = t1.elapsed().as_secs_f64();
    eprintln!(
        "{n} events, {m} matches; rules parsed and compiled in {:.0} ms; events phase {eval:.2} s: {:.0} events/s ({})",
        (t1 - t0).as_secs_f64() * 1e3,
        n as f64 / eval,
        match batch {
            None => "one thread, as `rsigma engine eval`".to_owned(),
            Some(b) => format!("batches of {b}, parsed and evaluated with rayon"),
        }
    );
}

//! What `rsigma engine eval -r RULES -e @EVENTS.jsonl` does without correlations or
//! pipelines (rsigma 0.23.0, src/commands/eval.rs `cmd_eval_detection_only` and
//! eval_stream.rs `stream_events`): parse the rules directory, compile one Engine, then per
//! NDJSON line parse the JSON, `engine.evaluate(&JsonEvent::borrow(&v))`, and write each
//! result as a JSON line. BLOOM=1 turns on its bloom prefilter (`--bloom-prefilter`).
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(rules), Some(events)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: rsigma-harness RULES_DIR EVENTS.jsonl");
        std::process::exit(2);
    };
    let t0 = std::time::Instant::now();
    let collection = rsigma_parser::parse_sigma_directory(Path::new(rules)).expect("rules");
    let mut engine = rsigma_eval::Engine::new();
    engine.set_bloom_prefilter(std::env::var_os("BLOOM").is_some());
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
    let (mut n, mut m) = (0u64, 0u64);
    for line in reader.lines() {
        let Ok(line) = line else { continue };
        if line.trim().is_empty() {
            continue;
        }
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        n += 1;
        for r in engine.evaluate(&rsigma_eval::JsonEvent::borrow(&v)) {
            m += 1;
            let _ = serde_json::to_writer(&mut out, &r);
            let _ = writeln!(out);
        }
    }
    let _ = out.flush();
    let eval = t1.elapsed().as_secs_f64();
    eprintln!(
        "{n} events, {m} matches; rules parsed and compiled in {:.0} ms; events read and evaluated in {eval:.2} s: {:.0} events/s",
        (t1 - t0).as_secs_f64() * 1e3,
        n as f64 / eval
    );
}

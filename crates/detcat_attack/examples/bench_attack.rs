//! Load ATT&CK bundles and print load time, object counts and peak memory.
//!
//! ```sh
//! cargo run --release -p detcat_attack --example bench_attack -- /work/shared/corpus/attack/enterprise-attack-18.1.json
//! ```
//!
//! The load runs `DETCAT_BENCH_RUNS` times (default 5) in the same process; the fastest and the
//! median run are printed (the machine is shared, so single runs are noisy). Peak RSS
//! (`VmHWM`) is read after the first run, when one knowledge base and the input bytes are
//! alive.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, Instant};

use detcat_attack::KnowledgeBase;

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        eprintln!("usage: bench <bundle.json>...");
        std::process::exit(2);
    }
    let runs: usize = std::env::var("DETCAT_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
        .max(1);
    let mut files = Vec::new();
    for p in &paths {
        match std::fs::read(p) {
            Ok(bytes) => files.push((p.as_str(), bytes)),
            Err(e) => {
                eprintln!("{p}: {e}");
                std::process::exit(1);
            }
        }
    }
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let rss_input = vm("VmHWM");
    let input: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (*p, b.as_slice())).collect();

    let started = Instant::now();
    let cpu_started = cpu_ns();
    let (kb, diags) = KnowledgeBase::load(&input);
    let mut times = vec![started.elapsed()];
    let mut cpu = vec![cpu_ns().zip(cpu_started).map(|(b, a)| b.saturating_sub(a))];
    let rss_loaded = vm("VmHWM");
    for _ in 1..runs {
        let started = Instant::now();
        let cpu_started = cpu_ns();
        let loaded = KnowledgeBase::load(&input);
        times.push(started.elapsed());
        cpu.push(cpu_ns().zip(cpu_started).map(|(b, a)| b.saturating_sub(a)));
        std::hint::black_box(loaded);
    }
    times.sort();
    let cpu_fastest = cpu.iter().flatten().min().map(|ns| *ns as f64 / 1e6);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let fastest = times.first().copied().unwrap_or_default();
    let median = times.get(times.len() / 2).copied().unwrap_or_default();

    let mut out = String::new();
    let _ = writeln!(out, "bundles        {}", paths.join(", "));
    let _ = writeln!(out, "input          {:.1} MB", bytes as f64 / 1e6);
    let _ = writeln!(
        out,
        "load           {:.1} ms fastest, {:.1} ms median of {runs} runs",
        ms(fastest),
        ms(median)
    );
    if let Some(c) = cpu_fastest {
        let _ = writeln!(
            out,
            "cpu time       {c:.1} ms fastest (on-CPU time of this thread, robust to a busy machine)"
        );
    }
    let _ = writeln!(
        out,
        "throughput     {:.0} MB/s",
        bytes as f64 / 1e6 / fastest.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "peak RSS       {rss_loaded} (input bytes alone: {rss_input})"
    );
    let _ = writeln!(out, "diagnostics    {}", diags.len());
    for d in diags.iter().take(10) {
        let _ = writeln!(out, "  {} {}: {}", d.code, d.path, d.message);
    }
    for b in kb.bundles() {
        let v = b
            .version
            .map(|v| v.to_string())
            .unwrap_or_else(|| "?".into());
        let _ = writeln!(
            out,
            "{} v{} (STIX {})",
            b.domain,
            v,
            b.stix_version.as_deref().unwrap_or("?")
        );
    }
    for (domain, types) in kb.counts().per_domain {
        let list: Vec<String> = types.iter().map(|(t, n)| format!("{t} {n}")).collect();
        let _ = writeln!(out, "  {domain}: {}", list.join(", "));
    }
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
}

/// Nanoseconds this thread has spent on a CPU (Linux schedstat), so a shared, busy machine
/// does not inflate the figure.
fn cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// A `Vm…` line of /proc/self/status (Linux), e.g. `VmHWM` = peak resident set size.
fn vm(key: &str) -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':')))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| "n/a".into())
}

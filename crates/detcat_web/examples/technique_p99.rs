//! Uncached technique pages across every technique (issue 19): for each technique id, the
//! catalog view (`Catalog::technique`), the `/api` body (view + JSON) and the HTML page (view +
//! template), each timed through the library with no response cache; prints p50, p99 and max
//! per kind and the slowest pages, over every sample and over each technique's fastest pass.
//!
//! ```sh
//! sqlite3 /tmp/full.db "SELECT id FROM techniques UNION SELECT technique_id FROM rule_techniques" \
//!   | cargo run --release -p detcat_web --example technique_p99 -- /tmp/full.db 3
//! ```
//! Ids are read one per line from stdin; without any, the enterprise techniques with active
//! rules are timed. The second argument is the number of passes (each page once per pass;
//! the first pass warms the page cache of the operating system and is not counted).

use std::io::BufRead;
use std::time::Instant;

use detcat_catalog::{Catalog, QueryOptions};
use detcat_web::links::Links;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        return Err("usage: technique_p99 CATALOG.db [PASSES] < ids".into());
    };
    let passes: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let catalog = Catalog::open(std::path::Path::new(path))?;
    let mut ids: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .map_while(std::result::Result::ok)
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect();
    if ids.is_empty() {
        ids = catalog
            .enterprise_rule_counts(None)?
            .into_iter()
            .map(|c| c.technique_id)
            .collect();
        ids.dedup();
    }
    let links = Links::server();
    let options = QueryOptions::default();
    // (kind, id, ms)
    let mut samples: Vec<(&str, String, f64)> = Vec::new();
    for pass in 0..passes.max(2) {
        for id in &ids {
            let t = Instant::now();
            let page = catalog.technique(id, options)?;
            let view = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            let json = serde_json::to_vec(&catalog.technique(id, options)?)?;
            let api = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            let html = detcat_web::render_technique(&catalog, &links, id)?;
            let page_ms = t.elapsed().as_secs_f64() * 1e3;
            std::hint::black_box((page, json, html));
            if pass > 0 {
                samples.push(("view", id.clone(), view));
                samples.push(("api", id.clone(), api));
                samples.push(("html", id.clone(), page_ms));
            }
        }
    }
    println!(
        "{} techniques, {} timed passes (catalog {path})",
        ids.len(),
        passes.max(2) - 1
    );
    // Two readings per kind: every sample, and each technique's fastest pass (its cost with
    // the preemption of a shared machine taken out).
    for (kind, fastest) in [
        ("view", false),
        ("api", false),
        ("html", false),
        ("view", true),
        ("api", true),
        ("html", true),
    ] {
        let mut ms: Vec<(f64, &str)> = samples
            .iter()
            .filter(|s| s.0 == kind)
            .map(|s| (s.2, s.1.as_str()))
            .collect();
        if fastest {
            let mut best: std::collections::BTreeMap<&str, f64> = Default::default();
            for (t, id) in &ms {
                let b = best.entry(id).or_insert(*t);
                *b = b.min(*t);
            }
            ms = best.into_iter().map(|(id, t)| (t, id)).collect();
        }
        let kind = if fastest {
            format!("{kind} (fastest pass)")
        } else {
            kind.to_owned()
        };
        ms.sort_by(|a, b| a.0.total_cmp(&b.0));
        let pct = |p: f64| {
            ms.get(((ms.len() as f64 - 1.0) * p).round() as usize)
                .map_or(0.0, |s| s.0)
        };
        let slowest: Vec<String> = ms
            .iter()
            .rev()
            .take(3)
            .map(|(t, id)| format!("{id} {t:.2}"))
            .collect();
        println!(
            "{kind:<20} p50 {:>6.3} ms  p99 {:>6.3} ms  max {:>6.3} ms  slowest: {}",
            pct(0.5),
            pct(0.99),
            ms.last().map_or(0.0, |s| s.0),
            slowest.join(", ")
        );
    }
    Ok(())
}

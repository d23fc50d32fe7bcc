//! Cold page-render timings (no response cache): catalog query + template, per page.
//!
//! ```sh
//! cargo run --release -p detcat_web --example page_bench -- /tmp/full.db T1559.001 200
//! ```
//! Without arguments it times the embedded demo.

use std::time::Instant;

use detcat_catalog::{Catalog, QueryOptions};
use detcat_web::links::Links;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let catalog = match args.first().filter(|a| !a.is_empty()) {
        Some(path) => Catalog::open(std::path::Path::new(path))?,
        None => Catalog::demo()?,
    };
    let id = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "T1559.001".to_owned());
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(200);
    let l = Links::server();
    let time = |label: &str,
                f: &mut dyn FnMut() -> Result<usize, Box<dyn std::error::Error>>|
     -> Result<(), Box<dyn std::error::Error>> {
        let mut bytes = f()?;
        let mut samples = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            bytes = f()?;
            samples.push(t.elapsed().as_secs_f64() * 1e3);
        }
        samples.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            samples
                .get(((samples.len() as f64 - 1.0) * p) as usize)
                .copied()
                .unwrap_or(0.0)
        };
        println!(
            "{label:<32} {bytes:>8} bytes  p50 {:>7.3} ms  p99 {:>7.3} ms  (n={n})",
            pct(0.5),
            pct(0.99)
        );
        Ok(())
    };
    time(&format!("technique {id} query"), &mut || {
        Ok(catalog
            .technique(&id, QueryOptions::default())?
            .map(|p| p.rules.len())
            .unwrap_or(0))
    })?;
    time(&format!("technique {id} html"), &mut || {
        Ok(detcat_web::render_technique(&catalog, &l, &id)?
            .map(|h| h.len())
            .unwrap_or(0))
    })?;
    time("home matrix html", &mut || {
        Ok(detcat_web::render_home(&catalog, &l)?.len())
    })?;
    Ok(())
}

//! Builds a catalog file from a corpus directory (what `detcat build` does), for the load
//! test and the export timing when the CLI is not at hand.
//!
//! ```sh
//! cargo run --release -p detcat_web --example build_catalog -- /work/shared/corpus /tmp/full.db
//! ```

use std::path::PathBuf;
use std::time::Instant;

use detcat_catalog::{BuildOptions, Corpus, Quiet, build_to_file};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let corpus = PathBuf::from(
        args.next()
            .ok_or("usage: build_catalog CORPUS_DIR OUT.db")?,
    );
    let out = PathBuf::from(
        args.next()
            .ok_or("usage: build_catalog CORPUS_DIR OUT.db")?,
    );
    let started = Instant::now();
    let report = build_to_file(
        Corpus::read_dir(&corpus)?,
        &out,
        &BuildOptions::default(),
        &Quiet,
    )?;
    let rules: usize = report.vendors.values().map(|v| v.rules).sum();
    println!(
        "built {} ({rules} rules) in {:.2}s",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

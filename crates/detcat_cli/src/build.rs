//! `detcat build`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use detcat_catalog::{BuildOptions, Corpus, Progress, Stage, build_to_file};
use indicatif::{ProgressBar, ProgressStyle};

use crate::render;

#[derive(clap::Args)]
pub struct BuildArgs {
    /// Corpus directory with any of the vendor folders (the layout `detcat sync` writes) and
    /// attack/ (default: embedded demo).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Catalog file to write (atomically: the old one stays until the new one is complete).
    #[arg(long, default_value = "detcat.db")]
    out: PathBuf,
    /// ATT&CK STIX bundle(s) to use instead of the newest of each domain in <corpus>/attack.
    #[arg(long = "attack")]
    attack: Vec<PathBuf>,
    /// Print the build report as JSON.
    #[arg(long)]
    json: bool,
    /// Also run the Sigma regression recordings (<corpus>/sigma/regression_data) against every
    /// rule of every vendor, so rule and technique pages show which rules fire on them
    /// (several seconds on the full corpus).
    #[arg(long)]
    recordings: bool,
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn stage(&self, stage: Stage) {
        // The parse is over: from here on memory grows to the build's peak, and what is
        // freed goes back soon (see `allocator::hold_freed_memory_briefly`).
        if stage == Stage::Map {
            crate::allocator::return_freed_memory_soon();
        }
        self.0.set_message(stage.describe());
    }
}

pub fn run(args: BuildArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let corpus = match &args.corpus {
        Some(dir) => Corpus::read_dir(dir)
            .with_context(|| format!("reading the corpus at {}", dir.display()))?,
        None => Corpus::demo(),
    };
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new_spinner()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    let options = BuildOptions {
        attack_files: args.attack.clone(),
        recordings: args.recordings,
    };
    let report = build_to_file(corpus, &args.out, &options, &Bar(bar.clone()))
        .with_context(|| format!("building the catalog {}", args.out.display()))?;
    // The peak is over and the process ends once the report is printed.
    crate::allocator::keep_freed_memory_until_exit();
    bar.finish_and_clear();
    if args.json {
        writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::to_string_pretty(&report)?
        )?;
    } else {
        render::build_report(&report, &args.out, started.elapsed())?;
    }
    Ok(ExitCode::SUCCESS)
}

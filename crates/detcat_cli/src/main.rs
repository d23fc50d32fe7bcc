//! `detcat`: build, serve and query the detection catalog.
//!
//! The binary is thin: it checks arguments, opens or builds a [`detcat_catalog::Catalog`], and
//! prints what the library returns — as text for people or `--json` for tools.

mod allocator;
mod analytics;
mod build;
mod coverage;
mod diff;
mod eval;
mod query;
mod render;
mod review;
mod sanitize;
mod serve;
mod sync;
mod threat;
mod vendor_arg;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "detcat",
    version,
    about = "A detection catalog keyed by MITRE ATT&CK technique"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
pub struct CatalogArgs {
    /// Catalog file to read (default: ./detcat.db when present, else the embedded demo).
    #[arg(long, global = true)]
    catalog: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Count deprecated and unsupported rules too.
    #[arg(long, global = true)]
    include_deprecated: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Build a catalog from a corpus directory (default: the embedded demo corpus).
    Build(build::BuildArgs),
    /// Serve the catalog over HTTP (HTML pages and /api JSON).
    Serve(serve::ServeArgs),
    /// Show a technique: ATT&CK header, events, fields, indicators, exclusions, rules.
    Technique {
        /// ATT&CK id, e.g. T1559.001.
        id: String,
        #[command(flatten)]
        args: CatalogArgs,
    },
    /// Show a rule by id (or vendor/id).
    Rule {
        id: String,
        #[command(flatten)]
        args: CatalogArgs,
    },
    /// Which rules and techniques use a field (canonical or vendor name).
    Field {
        name: String,
        #[command(flatten)]
        args: CatalogArgs,
    },
    /// Which rules and techniques need an event, e.g. sysmon:1 or security:4688.
    Event {
        key: String,
        #[command(flatten)]
        args: CatalogArgs,
    },
    /// Full-text search with filters: vendor: field: value: technique: event:.
    Search {
        /// The query, e.g. `field:process.name value:regsvr32.exe vendor:sigma`.
        query: Vec<String>,
        /// Hits per page (1 to 500).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=500))]
        limit: u64,
        /// Hits to skip (at most 100,000,000).
        #[arg(long, default_value_t = 0,
              value_parser = clap::value_parser!(u64).range(0..=detcat_catalog::MAX_SEARCH_OFFSET))]
        offset: u64,
        #[command(flatten)]
        args: CatalogArgs,
    },
    /// Counts per vendor, parse outcomes, diagnostics, taxonomy coverage, ATT&CK objects.
    Stats {
        #[command(flatten)]
        args: CatalogArgs,
    },
    /// Techniques ranked by threat, by gap (threat left uncovered by rules) or by rules.
    Top(threat::TopArgs),
    /// Export the static site, or an ATT&CK Navigator layer.
    #[command(subcommand)]
    Export(serve::ExportCommand),
    /// What the rules can detect with the events you collect, and what to collect next.
    Coverage(coverage::CoverageArgs),
    /// ATT&CK v18 analytics of a technique with the rules implementing each, or every
    /// analytic no rule implements.
    Analytics(analytics::AnalyticsArgs),
    /// What changed between two catalogs: rules added, removed, changed, and guide rows.
    Diff(diff::DiffArgs),
    /// Fetch the upstream corpora (needs network and git).
    Sync(sync::SyncArgs),
    /// Run the catalog's rules on event files (EVTX, JSON, JSON Lines): which fire and why.
    Match(eval::MatchArgs),
    /// Run a Sigma regression_data directory: each recording against its rule and every vendor.
    Regress(eval::RegressArgs),
    /// Review a draft rule against the catalog: coverage, noisy indicators, missing
    /// exclusions, nearest existing rules (exit 3 with --fail-on when a finding reaches it).
    Review(review::ReviewArgs),
    /// The rules of every vendor that look for the same thing as a rule, with scores; or, with
    /// --technique, the technique's rules grouped into clusters of near-duplicates.
    Similar(review::SimilarArgs),
}

/// Warnings and errors on stderr; `DETCAT_LOG` (an `EnvFilter` directive such as `debug` or
/// `detcat_catalog=trace`) sets more. Without it a plain level filter: building an
/// `EnvFilter` was a twentieth of a short command's start-up (`detcat --version`).
fn init_logging() {
    let builder = tracing_subscriber::fmt().with_writer(std::io::stderr);
    match std::env::var_os("DETCAT_LOG") {
        Some(_) => builder
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("DETCAT_LOG")
                    .unwrap_or_else(|_| "warn".into()),
            )
            .init(),
        None => builder
            .with_max_level(tracing::level_filters::LevelFilter::WARN)
            .init(),
    }
}

fn main() -> ExitCode {
    // Before anything opens a catalog (see the function).
    if !allocator::route_sqlite_memory() {
        tracing::debug!("SQLite kept its own allocator");
    }
    init_logging();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => {
            allocator::hold_freed_memory_briefly();
            // Named here and in `sync` only, whose timelines are read thread by thread (naming
            // starts the pool, which a page lookup never uses); after the purge delay is set:
            // the pool started before it, a Sigma-only build's peak rose from ~90 to ~115 MiB
            // (memory freed early was scheduled for mimalloc's default one-second delay).
            detcat_catalog::name_worker_threads();
            build::run(args)
        }
        Command::Serve(args) => serve::run(args),
        Command::Technique { id, args } => query::technique(&id, &args),
        Command::Rule { id, args } => query::rule(&id, &args),
        Command::Field { name, args } => query::field(&name, &args),
        Command::Event { key, args } => query::event(&key, &args),
        Command::Search {
            query,
            limit,
            offset,
            args,
        } => query::search(&query.join(" "), offset, limit, &args),
        Command::Stats { args } => query::stats(&args),
        Command::Top(args) => threat::top(&args),
        Command::Export(cmd) => serve::export(cmd),
        Command::Coverage(args) => coverage::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Analytics(args) => analytics::run(&args),
        Command::Sync(args) => {
            allocator::return_freed_memory_soon();
            detcat_catalog::name_worker_threads();
            sync::run(args)
        }
        Command::Match(args) => eval::run_match(args),
        Command::Regress(args) => eval::run_regress(args),
        Command::Review(args) => review::run_review(args),
        Command::Similar(args) => review::run_similar(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // Errors can quote user input and rule text: no raw control characters.
            let _ = writeln!(
                std::io::stderr(),
                "error: {}",
                sanitize::clean(&format!("{err:#}"))
            );
            ExitCode::from(2)
        }
    }
}

/// `detcat technique … | head` closing the pipe is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Exit status 1: the command ran, but what was asked for does not exist.
pub const NOT_FOUND: u8 = 1;

//! `detcat sync`: fetch the upstream corpora into the corpus layout (the only command that
//! uses the network). The work is `detcat_catalog::sync`; this file parses the arguments and
//! prints.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use detcat_catalog::sync::{self, Rebuilt, SyncEvent};

#[derive(clap::Args)]
pub struct SyncArgs {
    /// Corpus directory to write (each vendor's folder and attack/ are replaced one by one).
    #[arg(long, default_value = "corpus")]
    dest: PathBuf,
    /// Fetch the newest commit of each upstream instead of the pinned one.
    #[arg(long)]
    latest: bool,
    /// Then rebuild this catalog from the updated corpus and print what changed against the
    /// previous one (the `detcat diff` of the two).
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Fetch each upstream from the git repository `DIR/<folder>` (each vendor's
    /// folder, and attack) at its newest commit instead of its URL: mirrors without network, tests.
    #[arg(long, value_name = "DIR", hide = true)]
    upstream_dir: Option<PathBuf>,
}

pub fn run(args: SyncArgs) -> anyhow::Result<ExitCode> {
    sync::fetch(
        &args.dest,
        args.latest,
        args.upstream_dir.as_deref(),
        &mut |event| match event {
            SyncEvent::Fetching { repo, commit } => eprintln!("fetching {repo} ({commit})"),
            SyncEvent::Written { folder } => eprintln!("  → {}", folder.display()),
        },
    )?;
    let Some(catalog) = &args.catalog else {
        println!(
            "corpus ready in {}; next: detcat build --corpus {}",
            args.dest.display(),
            args.dest.display()
        );
        return Ok(ExitCode::SUCCESS);
    };
    eprintln!("building {}", catalog.display());
    let rebuilt = sync::rebuild(&args.dest, catalog)
        .with_context(|| format!("building the catalog {}", catalog.display()))?;
    match rebuilt {
        Rebuilt::New => println!(
            "built {} (no previous catalog to compare)",
            catalog.display()
        ),
        Rebuilt::Diff(diff) => crate::diff::render(&diff)?,
        // A catalog of an older schema cannot be read: say so, the new one is built.
        Rebuilt::NoDiff(e) => eprintln!("no diff against the previous catalog: {e}"),
    }
    Ok(ExitCode::SUCCESS)
}

//! `detcat serve` and `detcat export`: thin wrappers over `detcat_web`.

use detcat_catalog::views::RankBy;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use std::io::Write;

use anyhow::Context;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Catalog file (default: ./detcat.db when present, else the embedded demo).
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Address to listen on. Loopback by default: rule text is untrusted content.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// An older catalog to compare the served one with: /diff shows what changed.
    #[arg(long, value_name = "FILE")]
    compare: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
pub enum ExportCommand {
    /// Write the whole site as static files (relative links; works from file://).
    Site {
        /// Output directory (created; existing detcat files in it are replaced).
        dir: PathBuf,
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Write an ATT&CK Navigator layer scoring techniques by rule count.
    Navigator {
        /// Output file (`-` for standard output).
        #[arg(long, default_value = "-")]
        out: PathBuf,
        /// Count only this vendor's rules.
        #[arg(long, conflicts_with = "score", ignore_case = true, value_parser = crate::vendor_arg::name())]
        vendor: Option<String>,
        /// Score by threat or by priority gap (0–100) instead of rule count.
        #[arg(long, value_parser = ["threat", "gap"])]
        score: Option<String>,
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    if !args.addr.ip().is_loopback() {
        eprintln!(
            "warning: serving on {} — reachable from other machines; rule text is untrusted content",
            args.addr
        );
    }
    if let Some(old) = &args.compare {
        let old = detcat_catalog::Catalog::open(old)
            .with_context(|| format!("opening {}", old.display()))?;
        let new = detcat_catalog::Catalog::open_default(args.catalog.as_deref())
            .context("opening the catalog")?;
        detcat_web::set_compare(detcat_catalog::diff(&old, &new, None)?);
    }
    detcat_web::serve_blocking(args.catalog, args.addr).context("serving the catalog")?;
    Ok(ExitCode::SUCCESS)
}

pub fn export(cmd: ExportCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ExportCommand::Site { dir, catalog } => {
            let report =
                detcat_web::export_site(catalog.as_deref(), &dir).context("exporting the site")?;
            writeln!(std::io::stdout().lock(), "{report}")?;
        }
        ExportCommand::Navigator {
            out,
            vendor,
            score,
            catalog,
        } => {
            let catalog = detcat_catalog::Catalog::open_default(catalog.as_deref())
                .context("opening the catalog")?;
            let layer = match score.as_deref() {
                Some(s) => {
                    let by = if s == "threat" {
                        RankBy::Threat
                    } else {
                        RankBy::Gap
                    };
                    detcat_web::navigator_score_layer(&catalog, by)
                }
                None => detcat_web::navigator_layer(&catalog, vendor.as_deref()),
            }
            .context("building the layer")?;
            let text = serde_json::to_string_pretty(&layer)?;
            if out.as_os_str() == "-" {
                writeln!(std::io::stdout().lock(), "{text}")?;
            } else {
                std::fs::write(&out, text).with_context(|| format!("writing {}", out.display()))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

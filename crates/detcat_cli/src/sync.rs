//! `detcat sync`: fetch the upstream corpora into the corpus layout (the only command that
//! uses the network). It runs `git` with fixed arguments; no rule content ever reaches a shell.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

#[derive(clap::Args)]
pub struct SyncArgs {
    /// Corpus directory to write (sigma/, elastic/, splunk/, attack/ are replaced one by one).
    #[arg(long, default_value = "corpus")]
    dest: PathBuf,
    /// Fetch the newest commit of each upstream instead of the pinned one.
    #[arg(long)]
    latest: bool,
    /// Then rebuild this catalog from the updated corpus and print what changed against the
    /// previous one (the `detcat diff` of the two).
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// Fetch each upstream from the git repository `DIR/<folder>` (sigma, elastic, splunk,
    /// attack) at its newest commit instead of its URL: mirrors without network, tests.
    #[arg(long, value_name = "DIR", hide = true)]
    upstream_dir: Option<PathBuf>,
}

/// Upstream repositories, the folders detcat reads from each, and the pinned commits (the
/// ones the project's own corpus tests were measured on).
struct Upstream {
    folder: &'static str,
    repo: &'static str,
    commit: &'static str,
    keep: &'static [&'static str],
}

const UPSTREAMS: &[Upstream] = &[
    Upstream {
        folder: "sigma",
        repo: "https://github.com/SigmaHQ/sigma.git",
        commit: "8eaafff1f2845a696050e05e72ba1140ee190698",
        keep: &[
            "rules",
            "rules-compliance",
            "rules-dfir",
            "rules-emerging-threats",
            "rules-placeholder",
            "rules-threat-hunting",
            "deprecated",
            "unsupported",
            "regression_data",
            "LICENSE",
        ],
    },
    Upstream {
        folder: "elastic",
        repo: "https://github.com/elastic/detection-rules.git",
        commit: "14cf530f0d2177023092449cd9d9348b4a8884c2",
        keep: &["rules", "rules_building_block", "LICENSE.txt"],
    },
    Upstream {
        folder: "splunk",
        repo: "https://github.com/splunk/security_content.git",
        commit: "b13b314aed0e1778335a55620474e7d27289a20a",
        keep: &["detections", "macros", "data_sources", "stories", "LICENSE"],
    },
    Upstream {
        folder: "attack",
        repo: "https://github.com/mitre-attack/attack-stix-data.git",
        commit: "",
        keep: &["enterprise-attack", "ics-attack", "mobile-attack"],
    },
];

pub fn run(args: SyncArgs) -> anyhow::Result<ExitCode> {
    which_git()?;
    std::fs::create_dir_all(&args.dest)
        .with_context(|| format!("creating {}", args.dest.display()))?;
    for up in UPSTREAMS {
        let work = args.dest.join(format!(".sync-{}", up.folder));
        let _ = std::fs::remove_dir_all(&work);
        let repo = match &args.upstream_dir {
            Some(dir) => format!(
                "file://{}",
                std::path::absolute(dir.join(up.folder))?.display()
            ),
            None => up.repo.to_owned(),
        };
        let latest = args.latest || up.commit.is_empty() || args.upstream_dir.is_some();
        eprintln!(
            "fetching {repo} ({})",
            if latest { "latest" } else { up.commit }
        );
        git(
            &["clone", "--quiet", "--depth", "1", "--no-checkout", &repo],
            Some(&work),
        )?;
        if !latest {
            git(
                &[
                    "-C",
                    &path_str(&work)?,
                    "fetch",
                    "--quiet",
                    "--depth",
                    "1",
                    "origin",
                    up.commit,
                ],
                None,
            )?;
            git(
                &["-C", &path_str(&work)?, "checkout", "--quiet", up.commit],
                None,
            )?;
        } else {
            git(&["-C", &path_str(&work)?, "checkout", "--quiet"], None)?;
        }
        let target = args.dest.join(up.folder);
        let staging = args.dest.join(format!(".new-{}", up.folder));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging)?;
        for keep in up.keep {
            let from = work.join(keep);
            if from.exists() {
                std::fs::rename(&from, staging.join(keep))
                    .with_context(|| format!("moving {}", from.display()))?;
            }
        }
        let _ = std::fs::remove_dir_all(&target);
        std::fs::rename(&staging, &target)?;
        let _ = std::fs::remove_dir_all(&work);
        eprintln!("  → {}", target.display());
    }
    // attack-stix-data keeps one file per version under <domain>/: flatten them into attack/.
    flatten_attack(&args.dest.join("attack"))?;
    let Some(catalog) = &args.catalog else {
        println!(
            "corpus ready in {}; next: detcat build --corpus {}",
            args.dest.display(),
            args.dest.display()
        );
        return Ok(ExitCode::SUCCESS);
    };
    rebuild_and_diff(&args.dest, catalog)?;
    Ok(ExitCode::SUCCESS)
}

/// Rebuilds `catalog` from the corpus at `dest` and prints the diff against the catalog it
/// replaces (kept in a temporary copy until the diff is printed).
fn rebuild_and_diff(dest: &Path, catalog: &Path) -> anyhow::Result<()> {
    let before = if catalog.is_file() {
        let mut name = catalog.as_os_str().to_owned();
        name.push(".previous");
        let copy = PathBuf::from(name);
        std::fs::copy(catalog, &copy)
            .with_context(|| format!("keeping a copy of {}", catalog.display()))?;
        Some(copy)
    } else {
        None
    };
    let corpus = detcat_catalog::Corpus::read_dir(dest)
        .with_context(|| format!("reading the corpus at {}", dest.display()))?;
    eprintln!("building {}", catalog.display());
    detcat_catalog::build_to_file(
        &corpus,
        catalog,
        &detcat_catalog::BuildOptions::default(),
        &detcat_catalog::Quiet,
    )
    .with_context(|| format!("building the catalog {}", catalog.display()))?;
    let Some(copy) = before else {
        println!(
            "built {} (no previous catalog to compare)",
            catalog.display()
        );
        return Ok(());
    };
    let result = match detcat_catalog::Catalog::open(&copy) {
        Ok(old) => detcat_catalog::Catalog::open(catalog)
            .map_err(anyhow::Error::from)
            .and_then(|new| Ok(detcat_catalog::diff(&old, &new, None)?))
            .and_then(|d| crate::diff::render(&d)),
        // A catalog of an older schema cannot be read: say so, the new one is built.
        Err(e) => {
            eprintln!("no diff against the previous catalog: {e}");
            Ok(())
        }
    };
    let _ = std::fs::remove_file(&copy);
    result
}

fn flatten_attack(dir: &Path) -> anyhow::Result<()> {
    for domain in ["enterprise-attack", "ics-attack", "mobile-attack"] {
        let sub = dir.join(domain);
        let Ok(entries) = std::fs::read_dir(&sub) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().ends_with(".json") {
                std::fs::rename(entry.path(), dir.join(&name))?;
            }
        }
        let _ = std::fs::remove_dir_all(&sub);
    }
    Ok(())
}

fn path_str(p: &Path) -> anyhow::Result<String> {
    p.to_str()
        .map(str::to_owned)
        .context("the destination path is not UTF-8")
}

fn which_git() -> anyhow::Result<()> {
    match Command::new("git").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        _ => bail!("`detcat sync` needs git on the PATH"),
    }
}

fn git(args: &[&str], dest: Option<&Path>) -> anyhow::Result<()> {
    let mut cmd = Command::new("git");
    cmd.args(args);
    if let Some(d) = dest {
        cmd.arg(d);
    }
    let status = cmd.status().context("running git")?;
    if !status.success() {
        bail!(
            "git {} failed ({status}); is the network reachable?",
            args.join(" ")
        );
    }
    Ok(())
}

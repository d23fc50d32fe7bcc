//! Fetching the upstream corpora into the corpus layout (what `detcat sync` runs; the only
//! network use of detcat).
//!
//! Each vendor's upstream comes from the registry ([`detcat_model::VendorInfo::upstream`]),
//! ATT&CK's from [`ATTACK`]. `git` runs with fixed arguments; no rule content ever reaches a
//! shell. A folder is replaced only once its new content is complete (staged beside it, then
//! renamed), so an interrupted sync leaves the previous folder in place.

use std::path::{Path, PathBuf};
use std::process::Command;

use detcat_model::{Upstream, Vendor};

use crate::CatalogError;
use crate::diff::DiffView;

/// ATT&CK's STIX repository: one folder per domain, one bundle per release (`attack/` gets
/// them flat).
pub const ATTACK: Upstream = Upstream {
    repo: "https://github.com/mitre-attack/attack-stix-data.git",
    commit: "",
    keep: &["enterprise-attack", "ics-attack", "mobile-attack"],
};

/// One corpus folder and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The corpus folder (`sigma`, …, `attack`).
    pub folder: &'static str,
    pub upstream: Upstream,
}

/// Every folder `sync` writes: the vendors of the registry, then ATT&CK.
pub fn sources() -> Vec<Source> {
    Vendor::ALL
        .iter()
        .map(|v| Source {
            folder: v.info().discovery.folder,
            upstream: v.info().upstream,
        })
        .chain([Source {
            folder: "attack",
            upstream: ATTACK,
        }])
        .collect()
}

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    #[error("`detcat sync` needs git on the PATH")]
    NoGit,
    #[error("git {args} failed ({status}); is the network reachable?")]
    Git { args: String, status: String },
    #[error("{0} is not a UTF-8 path")]
    NotUtf8(PathBuf),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> SyncError {
    let context = context.into();
    move |source| SyncError::Io { context, source }
}

/// What a sync is doing, for the caller to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncEvent {
    /// Fetching `repo` at `commit` (`latest` when unpinned).
    Fetching { repo: String, commit: String },
    /// `folder` is replaced.
    Written { folder: PathBuf },
}

/// Fetches every [`Source`] into `dest` (created when missing): the pinned commits, or the
/// newest with `latest`.
///
/// # Errors
/// No git, a failing git command (network), or a file system error.
///
/// With `upstream_dir`, each upstream is cloned from the git repository
/// `upstream_dir/<folder>` (each vendor's folder, and attack) at its newest commit instead of
/// its URL: a mirror without network, and the tests.
pub fn fetch(
    dest: &Path,
    latest: bool,
    upstream_dir: Option<&Path>,
    on_event: &mut dyn FnMut(SyncEvent),
) -> Result<(), SyncError> {
    which_git()?;
    std::fs::create_dir_all(dest).map_err(io(format!("creating {}", dest.display())))?;
    for source in sources() {
        let up = source.upstream;
        let repo = match upstream_dir {
            Some(dir) => {
                let local = dir.join(source.folder);
                let local = std::path::absolute(&local)
                    .map_err(io(format!("resolving {}", local.display())))?;
                format!("file://{}", local.display())
            }
            None => up.repo.to_owned(),
        };
        let commit =
            (!latest && upstream_dir.is_none() && !up.commit.is_empty()).then_some(up.commit);
        on_event(SyncEvent::Fetching {
            repo: repo.clone(),
            commit: commit.unwrap_or("latest").to_owned(),
        });
        let work = dest.join(format!(".sync-{}", source.folder));
        let _ = std::fs::remove_dir_all(&work);
        checkout(&repo, commit, &work)?;
        let target = dest.join(source.folder);
        replace_with_kept(&work, up.keep, &target)?;
        let _ = std::fs::remove_dir_all(&work);
        on_event(SyncEvent::Written { folder: target });
    }
    // attack-stix-data keeps one file per version under <domain>/: flatten them into attack/.
    flatten_attack(&dest.join("attack"))
}

/// A shallow clone of `repo` at `commit` (or its newest commit) into `work`.
fn checkout(repo: &str, commit: Option<&str>, work: &Path) -> Result<(), SyncError> {
    let dir = work
        .to_str()
        .ok_or_else(|| SyncError::NotUtf8(work.to_path_buf()))?;
    git(&[
        "clone",
        "--quiet",
        "--depth",
        "1",
        "--no-checkout",
        repo,
        dir,
    ])?;
    match commit {
        Some(commit) => {
            git(&[
                "-C", dir, "fetch", "--quiet", "--depth", "1", "origin", commit,
            ])?;
            git(&["-C", dir, "checkout", "--quiet", commit])
        }
        None => git(&["-C", dir, "checkout", "--quiet"]),
    }
}

/// Moves the `keep` entries of `work` into a staging folder, then puts it in `target`'s place.
fn replace_with_kept(work: &Path, keep: &[&str], target: &Path) -> Result<(), SyncError> {
    let mut name = target.as_os_str().to_owned();
    name.push(".new");
    let staging = PathBuf::from(name);
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(io(format!("creating {}", staging.display())))?;
    for keep in keep {
        let from = work.join(keep);
        if from.exists() {
            std::fs::rename(&from, staging.join(keep))
                .map_err(io(format!("moving {}", from.display())))?;
        }
    }
    let _ = std::fs::remove_dir_all(target);
    std::fs::rename(&staging, target).map_err(io(format!("writing {}", target.display())))
}

/// Moves the bundles of `attack/<domain>/` up into `attack/`.
pub fn flatten_attack(dir: &Path) -> Result<(), SyncError> {
    for domain in ATTACK.keep {
        let sub = dir.join(domain);
        let Ok(entries) = std::fs::read_dir(&sub) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().ends_with(".json") {
                std::fs::rename(entry.path(), dir.join(&name))
                    .map_err(io(format!("moving {}", entry.path().display())))?;
            }
        }
        let _ = std::fs::remove_dir_all(&sub);
    }
    Ok(())
}

fn which_git() -> Result<(), SyncError> {
    match Command::new("git").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(()),
        _ => Err(SyncError::NoGit),
    }
}

fn git(args: &[&str]) -> Result<(), SyncError> {
    let status = Command::new("git")
        .args(args)
        .status()
        .map_err(io("running git"))?;
    if status.success() {
        Ok(())
    } else {
        Err(SyncError::Git {
            args: args.join(" "),
            status: status.to_string(),
        })
    }
}

/// What rebuilding a catalog after a sync found.
#[derive(Debug)]
pub enum Rebuilt {
    /// There was no catalog before.
    New,
    /// The changes against the catalog it replaced.
    Diff(Box<DiffView>),
    /// The previous catalog could not be read (an older schema, say): no diff.
    NoDiff(CatalogError),
}

/// Rebuilds `catalog` from the corpus at `dest` and compares it with the catalog it replaces
/// (kept in a `.previous` copy until compared).
///
/// # Errors
/// Reading the corpus, building, or keeping the copy failed.
pub fn rebuild(dest: &Path, catalog: &Path) -> Result<Rebuilt, CatalogError> {
    let copy = if catalog.is_file() {
        let mut name = catalog.as_os_str().to_owned();
        name.push(".previous");
        let copy = PathBuf::from(name);
        std::fs::copy(catalog, &copy).map_err(|source| CatalogError::Write {
            path: copy.clone(),
            source,
        })?;
        Some(copy)
    } else {
        None
    };
    let corpus = crate::Corpus::read_dir(dest)?;
    crate::build_to_file(
        corpus,
        catalog,
        &crate::BuildOptions::default(),
        &crate::Quiet,
    )?;
    let Some(copy) = copy else {
        return Ok(Rebuilt::New);
    };
    let result = match crate::Catalog::open(&copy) {
        Ok(old) => crate::Catalog::open(catalog)
            .and_then(|new| crate::diff(&old, &new, None))
            .map(|d| Rebuilt::Diff(Box::new(d))),
        Err(e) => Ok(Rebuilt::NoDiff(e)),
    };
    let _ = std::fs::remove_file(&copy);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registry_vendor_and_attack_is_synced_once() {
        let folders: Vec<&str> = sources().iter().map(|s| s.folder).collect();
        for v in Vendor::ALL {
            assert_eq!(
                folders.iter().filter(|f| **f == v.as_str()).count(),
                1,
                "{v}"
            );
        }
        assert_eq!(folders.last(), Some(&"attack"));
        assert!(
            sources()
                .iter()
                .all(|s| s.upstream.repo.starts_with("https://"))
        );
    }

    #[test]
    fn replacing_keeps_only_the_listed_entries_and_flattening_moves_bundles_up() {
        let tmp = std::env::temp_dir().join(format!("detcat-sync-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let work = tmp.join("work");
        let write = |p: &Path, text: &str| {
            std::fs::create_dir_all(p.parent().unwrap_or(&tmp)).ok();
            std::fs::write(p, text).ok();
        };
        write(&work.join("rules/a.yml"), "title: a");
        write(&work.join("README.md"), "readme");
        let target = tmp.join("sigma");
        write(&target.join("old.yml"), "old");
        assert!(replace_with_kept(&work, &["rules", "missing"], &target).is_ok());
        assert!(target.join("rules/a.yml").is_file());
        assert!(!target.join("README.md").exists());
        assert!(
            !target.join("old.yml").exists(),
            "the old folder is replaced"
        );

        let attack = tmp.join("attack");
        write(
            &attack.join("enterprise-attack/enterprise-attack-18.1.json"),
            "{}",
        );
        write(&attack.join("enterprise-attack/index.md"), "x");
        assert!(flatten_attack(&attack).is_ok());
        assert!(attack.join("enterprise-attack-18.1.json").is_file());
        assert!(!attack.join("enterprise-attack").exists());
        let _ = std::fs::remove_dir_all(&tmp);
    }
}

//! The static export: the whole site as files with relative links (works from `file://` and
//! any static host), plus the JSON twins under `api/`.
//!
//! Every page is rendered with export [`Links`], which record the pages they point to; the
//! exporter keeps rendering recorded targets until none is left, so no link dangles (a target
//! the catalog does not know gets the 404 page at that path). File names come from
//! [`crate::links::safe_name`] and are checked again before writing: nothing leaves `dir`.

use std::collections::{BTreeSet, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use detcat_catalog::{Catalog, QueryOptions};

use crate::error::WebError;
use crate::links::{self, Links, Target};
use crate::site;

/// Marks a directory as a detcat export, so a later export may replace it.
const MARKER: &str = ".detcat-export";
/// What an export writes at the top of its directory (and removes before writing again).
const OWNED: [&str; 7] = [
    "technique",
    "rule",
    "field",
    "event",
    "api",
    "static",
    "search.html",
];

/// What an export wrote.
#[derive(Debug, Clone, Default)]
pub struct ExportReport {
    pub dir: PathBuf,
    pub techniques: usize,
    pub rules: usize,
    pub fields: usize,
    pub events: usize,
    pub matrices: usize,
    /// Linked pages the catalog does not have (written as the 404 page).
    pub not_found: usize,
    pub json_files: usize,
    pub bytes: u64,
    pub elapsed: Duration,
}

impl std::fmt::Display for ExportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exported {} in {:.2}s: {} matrix pages, {} techniques, {} rules, {} fields, {} events, {} not-found stubs, {} JSON files, {:.1} MiB",
            self.dir.display(),
            self.elapsed.as_secs_f64(),
            self.matrices,
            self.techniques,
            self.rules,
            self.fields,
            self.events,
            self.not_found,
            self.json_files,
            self.bytes as f64 / (1024.0 * 1024.0)
        )
    }
}

/// Writes the site of `catalog` (or the default catalog, see `Catalog::open_default`) into
/// `dir`. `dir` must be empty, missing, or an earlier export (whose files are replaced).
/// Pages are rendered on one read-only connection per core.
pub fn export_site(catalog: Option<&Path>, dir: &Path) -> Result<ExportReport, WebError> {
    let n = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let mut pool = Vec::with_capacity(n);
    for _ in 0..n {
        pool.push(Catalog::open_default(catalog)?);
    }
    export_pool(&mut pool, dir)
}

/// [`export_site`] over one open catalog (single-threaded).
pub fn export_catalog(c: &Catalog, dir: &Path) -> Result<ExportReport, WebError> {
    let start = Instant::now();
    let mut out = prepare(c, dir)?;
    let mut queue = first_targets(c)?;
    let mut done: HashSet<Target> = HashSet::new();
    while !queue.is_empty() {
        let batch: Vec<Target> = queue
            .into_iter()
            .filter(|t| done.insert(t.clone()))
            .collect();
        queue = out.pages(c, &batch)?;
    }
    finish(out, &done, start)
}

/// The export over a pool of connections to the same catalog: each round renders the pages
/// not written yet, split across threads, and collects the targets their links name.
fn export_pool(pool: &mut [Catalog], dir: &Path) -> Result<ExportReport, WebError> {
    let start = Instant::now();
    let Some(first) = pool.first() else {
        return Err(WebError::Render {
            page: "export".into(),
            message: "no catalog".into(),
        });
    };
    let mut out = prepare(first, dir)?;
    let mut queue = first_targets(first)?;
    let mut done: HashSet<Target> = HashSet::new();
    while !queue.is_empty() {
        let batch: Vec<Target> = queue
            .into_iter()
            .filter(|t| done.insert(t.clone()))
            .collect();
        let chunk = batch.len().div_ceil(pool.len()).max(1);
        let results: Vec<Result<(Writer, Vec<Target>), WebError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = pool
                .iter_mut()
                .zip(batch.chunks(chunk))
                .map(|(c, part)| {
                    let mut w = Writer {
                        dir: dir.to_path_buf(),
                        report: ExportReport::default(),
                    };
                    scope.spawn(move || w.pages(c, part).map(|next| (w, next)))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(WebError::Render {
                            page: "export".into(),
                            message: "a worker panicked".into(),
                        })
                    })
                })
                .collect()
        });
        queue = Vec::new();
        for r in results {
            let (w, next) = r?;
            out.merge(&w.report);
            queue.extend(next);
        }
    }
    finish(out, &done, start)
}

/// Prepares `dir` and writes what is not a catalog page: assets, matrices, search, API files.
fn prepare(c: &Catalog, dir: &Path) -> Result<Writer, WebError> {
    prepare_dir(dir)?;
    let mut out = Writer {
        dir: dir.to_path_buf(),
        report: ExportReport {
            dir: dir.to_path_buf(),
            ..Default::default()
        },
    };
    for (name, _, body) in crate::assets::ALL {
        out.write(&format!("static/{name}"), body.as_bytes())?;
    }
    // Matrix and search pages link only to techniques, which are all exported anyway.
    let seen: Arc<Mutex<Vec<Target>>> = Arc::new(Mutex::new(Vec::new()));
    let opts = QueryOptions::default();
    // Matrices: all, one per vendor, one per platform (the export's filters are links).
    let all = c.matrix(None, None, None, opts)?;
    let mut matrices: Vec<(Option<String>, Option<String>)> = vec![(None, None)];
    matrices.extend(
        detcat_model::Vendor::ALL
            .iter()
            .map(|v| (Some(v.as_str().to_owned()), None)),
    );
    matrices.extend(all.platforms.iter().map(|p| (None, Some(p.clone()))));
    for (vendor, platform) in &matrices {
        let l = Links::export(0, seen.clone());
        let html = site::home_html(c, &l, vendor.as_deref(), platform.as_deref())?;
        out.write(
            &links::matrix_file(vendor.as_deref(), platform.as_deref()),
            html.as_bytes(),
        )?;
        out.report.matrices += 1;
    }
    out.write_json("api/matrix.json", &all)?;
    out.write_json("api/stats.json", &c.report()?)?;
    out.write_json(
        "api/navigator.json",
        &crate::navigator::navigator_layer(c, None)?,
    )?;
    let l = Links::export(0, seen.clone());
    out.write("search.html", site::search_html(c, &l, "", 1)?.as_bytes())?;
    Ok(out)
}

/// Every technique and rule, plus what the matrices link to.
fn first_targets(c: &Catalog) -> Result<Vec<Target>, WebError> {
    let mut queue: Vec<Target> = c
        .technique_ids()?
        .into_iter()
        .map(Target::Technique)
        .collect();
    queue.extend(
        c.rule_keys()?
            .into_iter()
            .map(|(v, id)| Target::Rule(v, id)),
    );
    Ok(queue)
}

fn finish(
    mut out: Writer,
    done: &HashSet<Target>,
    start: Instant,
) -> Result<ExportReport, WebError> {
    let index: BTreeSet<String> = done
        .iter()
        .map(|t| links::json_file(&links::paths(t).1))
        .collect();
    out.write_json(
        "api/index.json",
        &serde_json::json!({ "pages": index, "matrix": "matrix.json", "stats": "stats.json" }),
    )?;
    out.write(MARKER, b"written by detcat export site\n")?;
    out.report.elapsed = start.elapsed();
    Ok(out.report)
}

struct Writer {
    dir: PathBuf,
    report: ExportReport,
}

impl Writer {
    /// Writes `rel` under the export directory, refusing any path that could leave it.
    fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), WebError> {
        let rel_path = Path::new(rel);
        if rel.is_empty()
            || !rel_path
                .components()
                .all(|c| matches!(c, Component::Normal(_)))
        {
            return Err(WebError::Write {
                path: rel_path.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "unsafe export path"),
            });
        }
        let path = self.dir.join(rel_path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| WebError::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, bytes).map_err(|source| WebError::Write { path, source })?;
        self.report.bytes += bytes.len() as u64;
        Ok(())
    }

    fn write_json<T: serde::Serialize>(&mut self, rel: &str, value: &T) -> Result<(), WebError> {
        let bytes = serde_json::to_vec(value).map_err(|e| WebError::Render {
            page: rel.to_owned(),
            message: e.to_string(),
        })?;
        self.report.json_files += 1;
        self.write(rel, &bytes)
    }

    fn merge(&mut self, r: &ExportReport) {
        self.report.techniques += r.techniques;
        self.report.rules += r.rules;
        self.report.fields += r.fields;
        self.report.events += r.events;
        self.report.not_found += r.not_found;
        self.report.json_files += r.json_files;
        self.report.bytes += r.bytes;
    }

    /// Renders and writes `targets`; answers the targets their pages link to.
    fn pages(&mut self, c: &Catalog, targets: &[Target]) -> Result<Vec<Target>, WebError> {
        let seen: Arc<Mutex<Vec<Target>>> = Arc::new(Mutex::new(Vec::new()));
        let mut next: HashSet<Target> = HashSet::new();
        for t in targets {
            self.page(c, t, &seen)?;
            next.extend(std::mem::take(
                &mut *seen.lock().unwrap_or_else(PoisonError::into_inner),
            ));
        }
        Ok(next.into_iter().collect())
    }

    /// Renders and writes one target page and its JSON twin.
    fn page(
        &mut self,
        c: &Catalog,
        target: &Target,
        seen: &Arc<Mutex<Vec<Target>>>,
    ) -> Result<(), WebError> {
        let (_, file) = links::paths(target);
        let l = Links::export(file.matches('/').count(), seen.clone());
        let opts = QueryOptions::default();
        let (html, json) = match target {
            Target::Technique(id) => match c.technique(id, opts)? {
                Some(p) => {
                    self.report.techniques += 1;
                    (
                        render(
                            crate::pages::TechniqueView::new(&l, c.origin(), &p)
                                .with_attack_release(c.meta("attack_version")?),
                        )?,
                        Some(to_json(&p)?),
                    )
                }
                None => (site::not_found_html(c, &l, "technique", id)?, None),
            },
            Target::Rule(v, id) => match site::rule_page(c, v, id)? {
                Some(r) => {
                    self.report.rules += 1;
                    (
                        render(crate::pages::RuleView::new(&l, c.origin(), &r))?,
                        Some(to_json(&r)?),
                    )
                }
                None => (
                    site::not_found_html(c, &l, "rule", &format!("{v}/{id}"))?,
                    None,
                ),
            },
            Target::Field(name) => match c.field(name, opts)? {
                Some(f) => {
                    self.report.fields += 1;
                    (
                        render(crate::pages::FieldPageView::new(&l, c.origin(), &f))?,
                        Some(to_json(&f)?),
                    )
                }
                None => (site::not_found_html(c, &l, "field", name)?, None),
            },
            Target::Event(key) => match c.event(key, opts) {
                Ok(Some(e)) => {
                    self.report.events += 1;
                    (
                        render(crate::pages::EventView::new(&l, c.origin(), &e))?,
                        Some(to_json(&e)?),
                    )
                }
                Ok(None) | Err(detcat_catalog::CatalogError::Query(_)) => {
                    (site::not_found_html(c, &l, "event", key)?, None)
                }
                Err(e) => return Err(e.into()),
            },
        };
        if json.is_none() {
            self.report.not_found += 1;
        }
        self.write(&file, html.as_bytes())?;
        // A missing page still gets a JSON twin (its link exists on the page): the 404 answer.
        let json = match json {
            Some(j) => j,
            None => to_json(&serde_json::json!({ "error": "not found" }))?,
        };
        self.report.json_files += 1;
        self.write(&format!("api/{}", links::json_file(&file)), &json)
    }
}

fn render<T: askama::Template>(view: T) -> Result<String, WebError> {
    Ok(view.render()?)
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, WebError> {
    serde_json::to_vec(v).map_err(|e| WebError::Render {
        page: "json".to_owned(),
        message: e.to_string(),
    })
}

/// Creates `dir`, or clears the files an earlier export wrote there; refuses a non-empty
/// directory that is no export (so `export site ~` cannot wipe anything).
fn prepare_dir(dir: &Path) -> Result<(), WebError> {
    let io = |source| WebError::Write {
        path: dir.to_path_buf(),
        source,
    };
    if !dir.exists() {
        return std::fs::create_dir_all(dir).map_err(io);
    }
    let mut entries = std::fs::read_dir(dir).map_err(io)?;
    if entries.next().is_none() {
        return Ok(());
    }
    if !dir.join(MARKER).is_file() {
        return Err(WebError::ExportDirNotEmpty(dir.to_path_buf()));
    }
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = OWNED.contains(&name.as_str())
            || (name.starts_with("index") && name.ends_with(".html"));
        if !ours {
            continue;
        }
        let path = entry.path();
        // `file_type` does not follow symlinks: a symlink is removed, never descended into.
        let is_dir = entry.file_type().map_err(io)?.is_dir();
        let removed = if is_dir {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|source| WebError::Write { path, source })?;
    }
    Ok(())
}

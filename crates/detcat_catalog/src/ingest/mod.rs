//! `detcat build`: corpus → parse (parallel) → link ATT&CK → map taxonomy → SQLite, atomically.

mod analyze;
mod borrowed_insert;
mod branches;
mod expr_json;
pub(crate) mod field_summary;
mod link;
mod recordings;
mod report;
mod rows;
mod search_index;
mod side;
mod stage;
mod technique_coverage;
pub(crate) mod technique_pages;
mod temp;
pub mod threat;
mod timeline;
mod triple_ids;
mod write;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::time::Instant;

use detcat_model::{Diagnostic, FileOutcome, Language, LineIndex, Rule, SourceFile, Vendor};
use rusqlite::Connection;

pub use analyze::{AnalyzedRule, analyze_one};
pub use report::{BuildReport, TallyCounts, Timings, VendorReport};
pub use stage::Stage;
use timeline::Timeline;
pub use timeline::TimelineMark;

use crate::corpus::{Corpus, SkippedFile, VendorFiles};
use crate::error::CatalogError;

/// Progress callbacks, so the CLI can draw bars without this crate knowing about terminals.
pub trait Progress: Sync {
    fn stage(&self, _stage: Stage) {}
}

/// No progress output.
pub struct Quiet;
impl Progress for Quiet {}

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// ATT&CK bundles to use instead of the newest of each domain in the corpus `attack/`.
    pub attack_files: Vec<PathBuf>,
    /// Run the Sigma regression recordings of the corpus (`sigma/regression_data`) against
    /// every rule and store the results. Off by default: on the full corpus it costs several
    /// times the rest of the build.
    pub recordings: bool,
}

/// One input file as the `files` table records it. The text is the corpus' own, moved here
/// (not copied) once the file is parsed, and freed once stored.
pub struct FileRow {
    pub path: String,
    pub vendor: Vendor,
    pub kind: &'static str,
    pub reason: Option<String>,
    pub text: Option<String>,
}

/// Line and column (1-based) of each positioned diagnostic, by file path and byte offset:
/// found while the file texts are at hand, so the writer needs no text to store them.
#[derive(Default)]
pub struct Positions(HashMap<String, HashMap<u32, (u32, u32)>>);

impl Positions {
    /// Line and column of byte `offset` of the file `path`, when a diagnostic points there.
    pub fn get(&self, path: &str, offset: u32) -> Option<(u32, u32)> {
        self.0.get(path)?.get(&offset).copied()
    }
}

/// Builds the catalog of `corpus` into the SQLite file `out`, atomically: the catalog is
/// written to a temporary file beside `out` and renamed over it only when complete, so a
/// failed or killed build leaves the previous catalog intact.
pub fn build_to_file(
    corpus: Corpus,
    out: &Path,
    options: &BuildOptions,
    progress: &dyn Progress,
) -> Result<BuildReport, CatalogError> {
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let write_err = |source| CatalogError::Write {
        path: out.to_path_buf(),
        source,
    };
    // Checked before any work: a directory as `--out` used to fail after the whole analysis.
    if out.is_dir() {
        return Err(CatalogError::OutIsDirectory(out.to_path_buf()));
    }
    std::fs::create_dir_all(&dir).map_err(write_err)?;
    temp::remove_stale(&dir);
    let tmp = temp::create(&dir, out).map_err(write_err)?;
    let side = side::SideDbs {
        early: side::SideDb::File(temp::create(&dir, out).map_err(write_err)?),
        late: side::SideDb::File(temp::create(&dir, out).map_err(write_err)?),
        search: side::SideDb::File(temp::create(&dir, out).map_err(write_err)?),
    };
    let timeline = Timeline::start();
    let (conn, mut report) = build_into(
        Connection::open(tmp.path())?,
        &side,
        corpus,
        options,
        progress,
        &timeline,
    )?;
    conn.close().map_err(|(_, e)| e)?;
    drop(side);
    temp::install(tmp, out).map_err(write_err)?;
    timeline.mark("build: catalog in place");
    report.timings.timeline = timeline.marks();
    Ok(report)
}

/// Builds the catalog into an in-memory database (the embedded demo, tests). The corpus is
/// copied: the build consumes its file texts.
pub fn build_in_memory(
    corpus: &Corpus,
    options: &BuildOptions,
) -> Result<(Connection, BuildReport), CatalogError> {
    let side = side::SideDbs {
        early: side::SideDb::memory(),
        late: side::SideDb::memory(),
        search: side::SideDb::memory(),
    };
    let timeline = Timeline::start();
    let (conn, mut report) = build_into(
        Connection::open_in_memory()?,
        &side,
        corpus.clone(),
        options,
        &Quiet,
        &timeline,
    )?;
    report.timings.timeline = timeline.marks();
    Ok((conn, report))
}

/// Rules are mapped and handed to the writer in chunks of this many, so the writer stores
/// one chunk while the next is mapped.
const CHUNK: usize = 512;

/// Names the threads of rayon's global pool, which parses, maps and counts pages,
/// `detcat-work-N` (shown by `top -H`, `perf sched` and debuggers; unnamed, the exited ones
/// showed as `:-1` in a build's timeline). Call before any parallel work: once the pool has
/// started this changes nothing.
pub fn name_worker_threads() {
    let _ = rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("detcat-work-{i}"))
        .build_global();
}

/// Frees `value` on a thread of its own, beside the work that goes on: freeing a chunk's
/// small allocations takes milliseconds that nobody needs to wait for. When no thread can be
/// started (the system's limit), `value` is freed here instead — the failed spawn drops its
/// closure — where `std::thread::spawn` would panic.
pub(crate) fn free_beside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("detcat-free".to_owned())
        .spawn(move || drop(value));
}

/// Starts one of the build's threads under `name` (shown by `top -H`, `perf` and debuggers;
/// Linux keeps 15 bytes of it), or says why it could not be started.
pub(crate) fn spawn_named<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    name: &str,
    work: impl FnOnce() -> T + Send + 'scope,
) -> Result<std::thread::ScopedJoinHandle<'scope, T>, CatalogError> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn_scoped(scope, work)
        .map_err(|e| CatalogError::Query(format!("cannot start the {name} thread: {e}")))
}

/// Parses, links and maps the corpus while two writer threads store whatever is ready: the
/// main writer (`write.rs`) the rules and everything linked to them, the side writer
/// (`side.rs`) files, predicates and triples into `side`, which the main writer copies in
/// at the end. Returns the connection once the transaction is committed.
fn build_into(
    mut conn: Connection,
    side: &side::SideDbs,
    mut corpus: Corpus,
    options: &BuildOptions,
    progress: &dyn Progress,
    timeline: &Timeline,
) -> Result<(Connection, BuildReport), CatalogError> {
    write::prepare_connection(&conn)?;
    // The files go to the analysis, which parses them and moves their texts on to the
    // writer; everything else of the corpus is read where it is.
    let vendor_files = corpus.take_vendor_files();
    let corpus = &corpus;
    let (early, late, search) = (side.early.name(), side.late.name(), side.search.name());
    let (early, late, search) = (early.as_str(), late.as_str(), search.as_str());
    std::thread::scope(|scope| {
        let (side_send, side_batches) = mpsc::sync_channel(4);
        let (early_ready_send, early_ready) = mpsc::sync_channel(1);
        let (late_ready_send, late_ready) = mpsc::sync_channel(1);
        let (pages_send, pages) = mpsc::sync_channel(side::PAGE_BATCHES_WAITING);
        let side_thread = spawn_named(scope, "detcat-side", move || {
            side::run(
                early,
                late,
                side_batches,
                (early_ready_send, late_ready_send, pages_send),
                timeline,
            )
        })?;
        let (search_send, search_rows) = mpsc::sync_channel(4);
        let search_thread = spawn_named(scope, "detcat-search", move || {
            search_index::run(search, search_rows, timeline)
        })?;
        let (send, batches) = mpsc::sync_channel(4);
        let side_for_writer = write::Side {
            thread: side_thread,
            early_ready,
            late_ready,
            pages,
            early,
            late,
            search_thread,
            search,
        };
        let writer = spawn_named(scope, "detcat-writer", move || {
            let written = write::run(&mut conn, batches, corpus, side_for_writer, timeline);
            (conn, written)
        })?;
        let senders = (&send, &side_send, &search_send);
        let analysis = stream_corpus(corpus, vendor_files, options, progress, senders, timeline);
        drop(send);
        drop(side_send);
        drop(search_send);
        let waited = Instant::now();
        let (conn, written) = writer.join().map_err(|_| {
            CatalogError::Query("the catalog writer stopped unexpectedly".to_owned())
        })?;
        // The writers' own errors explain a failed send; otherwise the analysis' error wins.
        let written = written?;
        analysis?;
        let Some(mut report) = written else {
            return Err(CatalogError::Query(
                "the catalog writer received no finished build".to_owned(),
            ));
        };
        report.timings.write_ms = waited.elapsed().as_millis();
        Ok((conn, report))
    })
}

/// Where the analysis sends what it makes: the main, side and search writers' channels.
type Senders<'a> = (
    &'a mpsc::SyncSender<write::Batch>,
    &'a mpsc::SyncSender<side::SideBatch>,
    &'a mpsc::SyncSender<Vec<search_index::SearchRow>>,
);

/// The analysis side of [`build_into`]: sends predicates, triples and page rules to the
/// side writer; each rule's searchable text to the search writer; ATT&CK, files, rule
/// chunks and the report to the main writer.
fn stream_corpus(
    corpus: &Corpus,
    mut vendor_files: VendorFiles,
    options: &BuildOptions,
    progress: &dyn Progress,
    (send, side_send, search_send): Senders<'_>,
    timeline: &Timeline,
) -> Result<(), CatalogError> {
    let stopped = || CatalogError::Query("the catalog writer stopped".to_owned());
    let mut timings = Timings::default();
    progress.stage(Stage::Parse);
    // ATT&CK loads beside the parse and goes to the writer as soon as it is ready.
    let ((rules, files, positions, report, parse_ms), (attack, attack_ms)) = rayon::join(
        || {
            let parsed = parse_corpus(corpus, &mut vendor_files);
            timeline.mark("analysis: parsed");
            parsed
        },
        || {
            let started = Instant::now();
            let attack = load_attack(corpus, options, send);
            timeline.mark("analysis: ATT&CK loaded");
            (attack, started.elapsed().as_millis())
        },
    );
    timings.parse_ms = parse_ms;
    timings.attack_ms = attack_ms;
    drop(vendor_files);
    send.send(write::Batch::Files(files, Box::new(positions)))
        .map_err(|_| stopped())?;
    send.send(write::Batch::Report(Box::new(report), options.recordings))
        .map_err(|_| stopped())?;
    progress.stage(Stage::Attack);
    let attack = attack?;
    send.send(write::Batch::AnalyticTaxonomy(
        technique_pages::analytic_taxonomy(&attack),
    ))
    .map_err(|_| stopped())?;

    let started = Instant::now();
    progress.stage(Stage::Map);
    // Chunks are cut from the end of the reversed list, each `split_off` moving only the
    // chunk (cut from the front, every cut copied all the rules after it), and the list is
    // shrunk when half empty: the parsed rules' memory still goes back as the map proceeds.
    let mut rules = rules;
    rules.reverse();
    // Rules get their rids (from 1) in the order the main writer receives them.
    let mut first_rid = 1i64;
    // The rowids of the next triple and predicate rows (`side::take_triples`,
    // `side::predicate_rows`).
    let mut next_triple = 1i64;
    let mut next_predicate = 1i64;
    // Counted here, before the triples go straight to the side writer: the side writer's
    // triples (which wait for every rule, for their reach) then start as soon as the map
    // ends, not after the main writer has stored its last chunk.
    let mut coverage = technique_coverage::Coverage::default();
    let mut fields = field_summary::FieldSummary::default();
    let mut hand_out = |mut chunk: Vec<analyze::AnalyzedRule>| -> Result<(), CatalogError> {
        search_send
            .send(search_rows(&mut chunk, first_rid))
            .map_err(|_| stopped())?;
        side_send
            .send(side::SideBatch::PageRules(technique_pages::page_rules(
                &chunk, first_rid,
            )))
            .map_err(|_| stopped())?;
        let predicates = side::predicate_rows(&mut chunk, first_rid, &mut next_predicate);
        rayon::join(
            || coverage.add(&chunk, Some(&attack)),
            || fields.add(&chunk, first_rid),
        );
        let triples = side::take_triples(&mut chunk, first_rid, &mut next_triple);
        first_rid += chunk.len() as i64;
        side_send
            .send(side::SideBatch::Predicates(predicates))
            .map_err(|_| stopped())?;
        side_send
            .send(side::SideBatch::Triples(triples))
            .map_err(|_| stopped())?;
        send.send(write::Batch::Rules(chunk)).map_err(|_| stopped())
    };
    // Each chunk is handed out (counted, split between the writers) while the next one is
    // analyzed: done one after the other, the map's two cores waited on the hand-out's one.
    let mut analyzed: Option<Vec<analyze::AnalyzedRule>> = None;
    loop {
        let next = (!rules.is_empty()).then(|| {
            let mut next = rules.split_off(rules.len().saturating_sub(CHUNK));
            next.reverse();
            if rules.capacity() > 2 * rules.len() {
                rules.shrink_to_fit();
            }
            next
        });
        if next.is_none() && analyzed.is_none() {
            break;
        }
        let (next, handed) = rayon::join(
            || next.map(|next| analyze::analyze_all(next, &attack)),
            || analyzed.take().map_or(Ok(()), &mut hand_out),
        );
        handed?;
        analyzed = next;
    }
    side_send
        .send(side::SideBatch::PredicatesDone)
        .map_err(|_| stopped())?;
    timings.map_ms = started.elapsed().as_millis();
    timeline.mark("analysis: mapped");
    // Sorted and serialized here, while the writer still stores the last chunks.
    send.send(write::Batch::Fields(Box::new(fields.finish()?)))
        .map_err(|_| stopped())?;
    progress.stage(Stage::Write);
    send.send(write::Batch::Finish(timings, Box::new(coverage)))
        .map_err(|_| stopped())?;
    Ok(())
}

/// The searchable text of a chunk of rules whose first rid is `first_rid`: title and
/// description copied, the field names and values taken from the prepared text (the main
/// writer does not need them).
fn search_rows(
    chunk: &mut [analyze::AnalyzedRule],
    first_rid: i64,
) -> Vec<search_index::SearchRow> {
    chunk
        .iter_mut()
        .zip(first_rid..)
        .map(|(a, rid)| {
            let (fields, values) = match a.prepared.as_mut() {
                Some(p) => (
                    std::mem::take(&mut p.search_fields),
                    std::mem::take(&mut p.search_values),
                ),
                None => analyze::search_terms(a),
            };
            search_index::SearchRow {
                rid,
                title: a.rule.title.clone(),
                description: a.rule.description.clone(),
                fields,
                values,
            }
        })
        .collect()
}

/// Loads ATT&CK and the CTID scores and hands them to the writer with their JSON columns.
fn load_attack(
    corpus: &Corpus,
    options: &BuildOptions,
    send: &mpsc::SyncSender<write::Batch>,
) -> Result<Arc<link::Attack>, CatalogError> {
    let attack = Arc::new(link::Attack::load(corpus, options)?);
    let threat = Arc::new(threat::Threat::load(corpus, &attack));
    let json = Box::new(write::AttackJson::new(&attack)?);
    send.send(write::Batch::Attack(attack.clone(), threat, json))
        .map_err(|_| CatalogError::Query("the catalog writer stopped".to_owned()))?;
    Ok(attack)
}

/// Parses every vendor in parallel: the rules (ids made unique), the file rows (each rule
/// file's text moved out of `vendor_files` into its row), the positions of the rules'
/// diagnostics, the report of files and the parse time.
fn parse_corpus(
    corpus: &Corpus,
    vendor_files: &mut VendorFiles,
) -> (Vec<Rule>, Vec<FileRow>, Positions, BuildReport, u128) {
    let started = Instant::now();
    use rayon::prelude::*;
    let parsed: Vec<(Vendor, Vec<FileOutcome>)> = Vendor::ALL
        .into_par_iter()
        .map(|v| {
            let files = vendor_files.files(v);
            (v, crate::vendors::parser(v).parse_files(files))
        })
        .collect();
    let parse_ms = started.elapsed().as_millis();
    let positions = diagnostic_positions(&parsed, vendor_files);

    let mut report = BuildReport {
        origin: corpus.origin.clone(),
        ..BuildReport::default()
    };
    let mut rules = Vec::new();
    let mut files = Vec::new();
    for (vendor, outcomes) in parsed {
        collect_outcomes(
            vendor,
            vendor_files.files_mut(vendor),
            outcomes,
            &mut rules,
            &mut files,
            &mut report,
        );
    }
    for (vendor, skipped) in &corpus.skipped {
        report.vendor_mut(*vendor).files += 1;
        report.vendor_mut(*vendor).non_rule_files += 1;
        files.push(FileRow {
            path: skipped.path.clone(),
            vendor: *vendor,
            kind: "non_rule",
            reason: Some(skipped.reason.clone()),
            text: None,
        });
    }
    for (vendor, entry) in &corpus.not_read {
        let counts = report.vendor_mut(*vendor);
        counts.files += 1;
        counts.skipped_files += 1;
        counts
            .skipped
            .push((entry.path.clone(), entry.reason.clone()));
        files.push(FileRow {
            path: entry.path.clone(),
            vendor: *vendor,
            kind: "skipped",
            reason: Some(entry.reason.clone()),
            text: None,
        });
    }
    for (vendor, unreadable) in &corpus.unreadable {
        report.vendor_mut(*vendor).files += 1;
        rules.push(unreadable_rule(*vendor, unreadable));
        files.push(FileRow {
            path: unreadable.path.clone(),
            vendor: *vendor,
            kind: "unreadable",
            reason: Some(unreadable.reason.clone()),
            text: None,
        });
    }
    // Counted from the file rows, independently of `files`: `detcat stats` shows that
    // files = rule files + non-rule files + skipped.
    for f in &files {
        if matches!(f.kind, "rules" | "unreadable") {
            report.vendor_mut(f.vendor).rule_files += 1;
        }
    }
    dedupe_ids(&mut rules);
    (rules, files, positions, report, parse_ms)
}

/// The line and column of every diagnostic of a parsed rule that points into the rule's own
/// file (the ones the catalog stores with a position); each file's line index is built only
/// when one of its rules has such a diagnostic. Later diagnostics (ATT&CK links, duplicate
/// ids) have no span.
fn diagnostic_positions(parsed: &[(Vendor, Vec<FileOutcome>)], files: &VendorFiles) -> Positions {
    let texts: HashMap<&str, &str> = Vendor::ALL
        .iter()
        .flat_map(|v| files.files(*v))
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .collect();
    let mut positions = Positions::default();
    let mut index: Option<(&str, LineIndex)> = None;
    let rules = parsed
        .iter()
        .flat_map(|(_, outcomes)| outcomes)
        .flat_map(|o| &o.rules);
    for rule in rules {
        let spans = rule
            .diagnostics
            .iter()
            .filter(|d| d.path == rule.path)
            .filter_map(|d| d.span);
        for span in spans {
            let Some(text) = texts.get(rule.path.as_str()) else {
                break;
            };
            // A file's rules come one after another: one index at a time does.
            let line_index = match &index {
                Some((path, line_index)) if *path == rule.path => line_index,
                _ => &index.insert((rule.path.as_str(), LineIndex::new(text))).1,
            };
            let lc = line_index.line_col(text, span.start as usize);
            positions
                .0
                .entry(rule.path.clone())
                .or_default()
                .insert(span.start, (lc.line, lc.column));
        }
    }
    positions
}

fn collect_outcomes(
    vendor: Vendor,
    sources: &mut [SourceFile],
    outcomes: Vec<FileOutcome>,
    rules: &mut Vec<Rule>,
    files: &mut Vec<FileRow>,
    report: &mut BuildReport,
) {
    let counts = report.vendor_mut(vendor);
    counts.files += sources.len();
    for (source, outcome) in sources.iter_mut().zip(outcomes) {
        let kind = if outcome.non_rule.is_some() {
            "non_rule"
        } else {
            "rules"
        };
        if outcome.non_rule.is_some() {
            counts.non_rule_files += 1;
        } else if outcome.rules.is_empty() {
            // A parser that returns neither rules nor a reason broke its contract; keep the
            // file as a failed rule rather than lose it.
            rules.push(unreadable_rule(
                vendor,
                &SkippedFile {
                    path: source.path.clone(),
                    reason: "the parser returned no rule and no reason".to_owned(),
                },
            ));
        }
        counts.file_diagnostics.extend(outcome.diagnostics);
        rules.extend(outcome.rules);
        files.push(FileRow {
            path: source.path.clone(),
            vendor,
            kind,
            reason: outcome.non_rule,
            text: (kind == "rules").then(|| std::mem::take(&mut source.text)),
        });
    }
}

/// A failed rule standing for a file no parser could read (binary, too large, …).
fn unreadable_rule(vendor: Vendor, file: &SkippedFile) -> Rule {
    let mut rule = Rule::failed(
        vendor,
        Language::None,
        &file.path,
        String::new(),
        &file.reason,
    );
    rule.diagnostics = vec![Diagnostic::error(
        "catalog::unreadable-file",
        file.reason.clone(),
        file.path.clone(),
        None,
    )];
    rule
}

/// Upstream ids are not always unique (copied rules, collections sharing an id). The catalog
/// keys rules by (vendor, id), so later duplicates get `#<n>` appended and a diagnostic.
fn dedupe_ids(rules: &mut [Rule]) {
    let mut seen = std::collections::HashMap::<(Vendor, String), u32>::new();
    for rule in rules.iter_mut() {
        let n = seen.entry((rule.vendor, rule.id.clone())).or_insert(0);
        *n += 1;
        if *n > 1 {
            let original = rule.id.clone();
            rule.id = format!("{original}#{n}");
            rule.diagnostics.push(Diagnostic::warning(
                "catalog::duplicate-id",
                format!(
                    "rule id {original} is used by another {} rule; this one is listed as {}",
                    rule.vendor.title(),
                    rule.id
                ),
                rule.path.clone(),
                None,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn writer_threads_carry_their_names() {
        let name = std::thread::scope(|scope| {
            spawn_named(scope, "detcat-test-writer", || {
                std::thread::current().name().map(str::to_owned)
            })
            .map(|h| h.join().ok().flatten())
        });
        assert_eq!(name.ok().flatten().as_deref(), Some("detcat-test-writer"));
    }

    #[test]
    fn freed_beside_values_are_dropped() {
        let value = Arc::new(vec![1u8; 64]);
        let watch = Arc::downgrade(&value);
        free_beside(value);
        // The freeing thread runs on its own: wait (bounded) for its drop.
        for _ in 0..1000 {
            if watch.upgrade().is_none() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!("the value was not dropped");
    }
}

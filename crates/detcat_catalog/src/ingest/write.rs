//! Writing a built catalog into SQLite, in one transaction, on a thread of its own.
//!
//! The writer owns the connection and takes [`Batch`]es while the analysis goes on: the
//! taxonomy tables while the corpus parses, ATT&CK while rules are mapped, and rules chunk
//! by chunk as they are mapped; the file table (known when the parsers are done) and the
//! technique pages (counted beside the side writer) in the build's tail, where it has time.
//! On two cores the write used to be a single-threaded tail as long as everything else
//! together (issue 19).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use rusqlite::{Connection, params};

use super::analyze::AnalyzedRule;
use super::borrowed_insert::BorrowedInsert;
use super::link;
use super::report::{BuildReport, TallyCounts, Timings};
use super::rows::insert_rows;
use super::side::PageBatch;
use super::technique_coverage::Coverage;
use super::technique_pages::TaxonomyRow;
use super::threat::Threat;
use super::{FileRow, Positions};
use crate::corpus::Corpus;
use crate::error::CatalogError;
use crate::schema::{
    ANALYTIC_TAXONOMY_DDL, DDL, INDEXES, PREDICATE_INDEXES, SCHEMA_VERSION, SEARCH_DDL, SIDE_DDL,
    TECHNIQUE_PAGES_DDL,
};

/// Most diagnostics stored per file: one hostile 427-byte file used to yield 136,742 rows.
/// The rest are counted in one `catalog::diagnostics-truncated` marker.
pub const MAX_DIAGNOSTICS_PER_FILE: usize = 1_000;

/// What the analysis hands the writer: ATT&CK and the report (either first), rule chunks,
/// finish.
pub enum Batch {
    Attack(Arc<link::Attack>, Arc<Threat>, Box<AttackJson>),
    /// The `files` rows, with the texts: stored at once, and the texts freed (nothing else
    /// needs them: the positions of the rules' diagnostics, which come with them, were found
    /// while the texts were at hand). Sent before the first rule.
    Files(Vec<FileRow>, Box<Positions>),
    /// The rows of `analytic_taxonomy`, stored as they come.
    AnalyticTaxonomy(Vec<TaxonomyRow>),
    /// The report of everything but the rules (the writer tallies each chunk into it) and
    /// whether to run the regression recordings (which need every rule kept until the end).
    Report(Box<BuildReport>, bool),
    /// A chunk of rules, their triples already taken for the side writer.
    Rules(Vec<AnalyzedRule>),
    /// Each field's page (`field_summary`), after the last chunk of rules.
    Fields(Box<super::field_summary::FieldRows>),
    /// The analysis' timings and each technique's coverage; no more batches.
    Finish(Timings, Box<Coverage>),
}

/// The catalog's settings for the bulk load, set before the side database is attached (so
/// they are the catalog's alone).
pub fn prepare_connection(conn: &Connection) -> Result<(), CatalogError> {
    // The file is private to this build until renamed into place: durability of each
    // statement buys nothing, so journal in memory and skip fsyncs until the end. A larger
    // page cache keeps the bulk load and the index sorts off the file until the commit; at
    // 8 MiB rather than 32 the build's peak memory is 28 MiB lower for ~3% more time (issue
    // 19: peak RSS <= 200 MiB), as the rows are appended in rid order and rarely read back.
    // Foreign keys (on in the bundled SQLite) would look up the parent of every child row,
    // and would stop the copy from the side database being a bulk transfer; the writer
    // stores parents first by construction, and a test checks the references.
    // 16 KiB pages instead of SQLite's 4 KiB: a quarter of the page writes, b-tree splits and
    // system calls for the ~100 MB catalog (paired full builds: 0.95x wall and CPU); the
    // pages read no slower (technique, field and search views measured side by side).
    conn.execute_batch(
        "PRAGMA page_size = 16384;
         PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
         PRAGMA locking_mode = EXCLUSIVE; PRAGMA foreign_keys = OFF;",
    )?;
    conn.execute_batch(BULK_MEMORY)?;
    Ok(())
}

/// The catalog connection's page cache and temporary storage for the bulk load (see
/// [`prepare_connection`]).
const BULK_MEMORY: &str = "PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY;";

/// The side writer as the main writer sees it: its thread (the analysis sends it every
/// batch; its channel closes when the analysis is done), the signal that its early database
/// (predicates) is committed, the same for its late one (triples), the technique pages it
/// counts, and the names of its two databases.
pub struct Side<'scope> {
    pub thread: std::thread::ScopedJoinHandle<'scope, SideResult>,
    pub early_ready: Receiver<()>,
    /// The late database (triples) is committed.
    pub late_ready: Receiver<()>,
    /// Closed when the last page is counted (or the counting stopped).
    pub pages: Receiver<PageBatch>,
    pub early: &'scope str,
    pub late: &'scope str,
    /// The search writer's thread (its channel closes when the analysis is done) and its
    /// database.
    pub search_thread: std::thread::ScopedJoinHandle<'scope, SearchResult>,
    pub search: &'scope str,
}

pub type SideResult = Result<super::side::Done, CatalogError>;
pub type SearchResult = Result<super::search_index::Done, CatalogError>;

/// Waits for the side writer: its connections and busy times, or its error.
fn join_side(thread: std::thread::ScopedJoinHandle<'_, SideResult>) -> SideResult {
    thread
        .join()
        .map_err(|_| CatalogError::Query("the side writer stopped unexpectedly".to_owned()))?
}

/// Waits for the search writer: its connection and busy time, or its error.
fn join_search(thread: std::thread::ScopedJoinHandle<'_, SearchResult>) -> SearchResult {
    thread
        .join()
        .map_err(|_| CatalogError::Query("the search writer stopped unexpectedly".to_owned()))?
}

/// Writes everything the channel brings, copies the side writer's tables in, then commits.
/// Returns the finished report, or `None` when the channel closed before `Finish` (the
/// analysis failed; nothing is committed and the caller reports the analysis' error).
pub fn run(
    conn: &mut Connection,
    batches: Receiver<Batch>,
    corpus: &Corpus,
    side: Side<'_>,
    timeline: &super::Timeline,
) -> Result<Option<BuildReport>, CatalogError> {
    let mut busy = Busy::default();
    let tx = conn.transaction()?;
    create_schema(&tx)?;
    busy.lap("schema+taxonomy");
    let Some(received) = receive(&tx, batches, &mut busy, timeline)? else {
        // The analysis stopped; a failure of the side or search writer may be why.
        let search = join_search(side.search_thread);
        join_side(side.thread)?;
        search?;
        return Ok(None);
    };
    let rows = received.rows;
    let mut report = finish(&tx, received, corpus, &mut busy)?;
    tx.commit()?;
    busy.lap("commit");
    timeline.mark("main writer: committed");
    let side_busy = copy_side(conn, side, rows, &mut busy, timeline)?;
    report.timings.writer = busy.millis();
    report
        .timings
        .writer
        .extend(side_busy.into_iter().map(|(part, d)| (part, d.as_millis())));
    Ok(Some(*report))
}

/// The catalog's tables, and the taxonomy (which needs nothing from the corpus).
fn create_schema(tx: &rusqlite::Transaction<'_>) -> Result<(), CatalogError> {
    tx.execute_batch(SIDE_DDL)?;
    tx.execute_batch(PREDICATE_INDEXES)?;
    tx.execute_batch(TECHNIQUE_PAGES_DDL)?;
    tx.execute_batch(ANALYTIC_TAXONOMY_DDL)?;
    tx.execute_batch(DDL)?;
    // Empty until the search writer's index is copied in (`copy_side`).
    tx.execute_batch(SEARCH_DDL)?;
    write_taxonomy(tx)
}

/// What the writer has once the analysis says `Finish`.
struct Received {
    report: Box<BuildReport>,
    /// Whether to run the regression recordings, and the rules kept for them.
    recordings: bool,
    rules: Vec<AnalyzedRule>,
    tally: TallyCounts,
    attack: Option<Arc<link::Attack>>,
    threat: Option<Arc<Threat>>,
    timings: Timings,
    coverage: Box<Coverage>,
    /// How many triples and predicates the rules' ranges hold (`rules.last_triple` and
    /// `last_predicate` of the last rule).
    rows: SideRows,
}

/// How many rows the side writer's per-rule tables must hold once copied.
#[derive(Clone, Copy)]
struct SideRows {
    triples: i64,
    predicates: i64,
}

/// Stores every batch until `Finish`: ATT&CK, then the rules chunk by chunk. `None` when the
/// channel closed first.
fn receive(
    tx: &rusqlite::Transaction<'_>,
    batches: Receiver<Batch>,
    busy: &mut Busy,
    timeline: &super::Timeline,
) -> Result<Option<Received>, CatalogError> {
    let mut positions = Box::<Positions>::default();
    let mut writer = RuleWriter::new(tx)?;
    let mut attack: Option<Arc<link::Attack>> = None;
    let mut threat: Option<Arc<Threat>> = None;
    let mut report: Option<(Box<BuildReport>, bool)> = None;
    let mut tally = TallyCounts::default();
    // Rules are kept to the end only for the recordings; otherwise each chunk is freed once
    // stored and counted.
    let mut rules: Vec<AnalyzedRule> = Vec::new();
    let (timings, coverage) = loop {
        let Ok(batch) = batches.recv() else {
            return Ok(None);
        };
        busy.idle();
        match batch {
            Batch::Attack(a, t, json) => {
                write_attack(tx, &a, &json.technique_data)?;
                super::threat::write(tx, &a, &t, &json.actors)?;
                attack = Some(a);
                threat = Some(t);
                busy.lap("attack");
            }
            Batch::Report(r, recordings) => report = Some((r, recordings)),
            Batch::Files(rows, found) => {
                write_files(tx, &rows)?;
                positions = found;
                // ~30 MB of texts: freed beside the build, which no longer needs them.
                super::free_beside(rows);
                busy.lap("files");
                timeline.mark("main writer: files stored");
            }
            Batch::AnalyticTaxonomy(rows) => {
                super::technique_pages::store_taxonomy(tx, &rows)?;
                busy.lap("attack");
            }
            Batch::Rules(mut chunk) => {
                let Some((report, keep)) = report.as_mut() else {
                    return Err(CatalogError::Query(
                        "the catalog writer received rules before the report".to_owned(),
                    ));
                };
                let first_rid = writer.next_rid;
                for a in &mut chunk {
                    writer.write(a, &positions, busy)?;
                }
                report.tally_rules(&chunk, &mut tally);
                write_links(tx, &chunk, first_rid)?;
                busy.lap("rules.links");
                super::branches::write(tx, &chunk, first_rid)?;
                busy.lap("rules");
                if *keep {
                    rules.append(&mut chunk);
                } else {
                    // Freeing a chunk's small allocations takes a while; nobody waits for it.
                    super::free_beside(chunk);
                }
                busy.lap("rules");
            }
            Batch::Fields(rows) => {
                rows.write(tx)?;
                busy.lap("field summary");
            }
            Batch::Finish(timings, coverage) => {
                timeline.mark("main writer: rules stored");
                break (timings, coverage);
            }
        }
    };
    let Some((report, recordings)) = report else {
        return Err(CatalogError::Query(
            "the catalog writer received no report".to_owned(),
        ));
    };
    writer.finish(&report)?;
    Ok(Some(Received {
        rows: SideRows {
            triples: writer.last_triple,
            predicates: writer.last_predicate,
        },
        report,
        recordings,
        rules,
        tally,
        attack,
        threat,
        timings,
        coverage,
    }))
}

/// Completes the report and stores what needs every rule: the recordings' results, the
/// technique coverage, the indexes and the catalog's metadata.
fn finish(
    tx: &rusqlite::Transaction<'_>,
    received: Received,
    corpus: &Corpus,
    busy: &mut Busy,
) -> Result<Box<BuildReport>, CatalogError> {
    let Received {
        mut report,
        recordings,
        rules,
        tally,
        attack,
        threat,
        timings,
        coverage,
        rows: _,
    } = received;
    report.timings = timings;
    let attack = attack.unwrap_or_else(|| Arc::new(link::Attack::none()));
    report.finish_tally(tally, &attack);
    if let Some(t) = &threat {
        report.threat = t.summary.clone();
    }
    busy.lap("tally");
    super::recordings::write(tx, &rules, recordings, corpus)?;
    super::free_beside(rules);
    busy.lap("recordings");
    coverage.write(tx)?;
    busy.lap("technique coverage");
    tx.execute_batch(INDEXES)?;
    busy.lap("indexes");
    write_meta(tx, &report, &attack, corpus)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    // Freed beside the commit and the side copy, not before them: the knowledge base's
    // ~25,000 objects took ~35 ms to drop, on the build's single-threaded tail.
    super::free_beside((attack, threat));
    Ok(report)
}

/// Copies the side writer's tables into the committed catalog: the predicates as soon as its
/// early database is committed (while it still stores the triples), then the triples and
/// `triple_fields` (no index to build: see the schema), then stores the technique pages.
/// Each copy is `INSERT INTO main.t SELECT * FROM side.t` into an empty table with the same
/// columns and indexes: SQLite's transfer optimization, a copy of whole records and index
/// entries. ATTACH needs no transaction open, so each copy is a transaction of its own (the
/// file is private to this build until renamed, so several commits are as good as one).
fn copy_side(
    conn: &mut Connection,
    side: Side<'_>,
    rows: SideRows,
    busy: &mut Busy,
    timeline: &super::Timeline,
) -> Result<BTreeMap<String, std::time::Duration>, CatalogError> {
    // The search writer is done when the analysis is: its channel closed with the last
    // chunk, long before the rules were all stored here.
    let (search_conn, search_busy) = join_search(side.search_thread)?;
    busy.idle();
    super::search_index::copy(conn, side.search)?;
    drop(search_conn);
    busy.lap("search copy");
    timeline.mark("main writer: search index copied");
    // No message means the side writer stopped before its early commit: its join says why.
    if side.early_ready.recv().is_ok() {
        busy.idle();
        copy_tables(conn, side.early, &[COPY_PREDICATES])?;
        check_last_rowid(conn, "predicates", rows.predicates)?;
        busy.lap("side copy");
        timeline.mark("main writer: predicates copied");
    }
    if side.late_ready.recv().is_ok() {
        busy.idle();
        copy_tables(conn, side.late, &[COPY_TRIPLES])?;
        check_last_rowid(conn, "triples", rows.triples)?;
        busy.lap("side copy");
        timeline.mark("main writer: triples copied");
    }
    // The batches end when the last page is counted, or when the side writer stopped.
    let tx = conn.transaction()?;
    super::technique_pages::store(&tx, side.pages.iter())?;
    tx.commit()?;
    busy.lap("technique pages");
    timeline.mark("main writer: technique pages stored");
    let (connections, mut side_busy) = join_side(side.thread)?;
    side_busy.insert("search.index".to_owned(), search_busy);
    conn.execute_batch("PRAGMA optimize;")?;
    drop(connections);
    busy.lap("side copy");
    timeline.mark("main writer: optimized");
    Ok(side_busy)
}

/// The copy keeps the side database's rowids 1, 2, … (SQLite's transfer renumbers them in
/// order into an empty table without an index, and keeps them into one with indexes): the
/// last one must be the rules' last, as readers take a rule's rows by its range.
fn check_last_rowid(conn: &Connection, table: &str, expected: i64) -> Result<(), CatalogError> {
    let last: i64 = conn.query_row(
        &format!("SELECT COALESCE(max(rowid), 0) FROM {table}"),
        [],
        |r| r.get(0),
    )?;
    if last != expected {
        return Err(CatalogError::Query(format!(
            "the copied {table} end at row {last}, the rules' ranges at {expected}"
        )));
    }
    Ok(())
}

/// The copy of each table of [`SIDE_DDL`] from the attached side database.
const COPY_PREDICATES: &str = "INSERT INTO main.predicates SELECT * FROM side.predicates;";
const COPY_TRIPLES: &str = "INSERT INTO main.triples SELECT * FROM side.triples;
    INSERT INTO main.triple_fields SELECT * FROM side.triple_fields;";

/// The `files` rows: every input file, with its text when it holds rules.
fn write_files(tx: &rusqlite::Transaction<'_>, files: &[FileRow]) -> Result<(), CatalogError> {
    let mut stmt = BorrowedInsert::prepare(
        tx,
        "INSERT OR IGNORE INTO files (path, vendor, kind, reason, text) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for f in files {
        stmt.execute_params(params![f.path, f.vendor.as_str(), f.kind, f.reason, f.text])?;
    }
    Ok(())
}

/// Runs `copies` (of the `COPY_…` statements) from the database `db` into the catalog.
fn copy_tables(conn: &mut Connection, db: &str, copies: &[&str]) -> Result<(), CatalogError> {
    conn.execute("ATTACH DATABASE ?1 AS side", [db])?;
    let tx = conn.transaction()?;
    for copy in copies {
        tx.execute_batch(copy)?;
    }
    tx.commit()?;
    conn.execute_batch("DETACH DATABASE side;")?;
    Ok(())
}

/// Each rule's techniques, tactics and events, for a chunk of rules whose first rid is
/// `first_rid`. Technique and tactic ids are unique per rule (`link()` dedupes), as are
/// events (a set), so no row conflicts: `INSERT OR FAIL`, several rows each (see `rows.rs`).
fn write_links(
    tx: &rusqlite::Transaction<'_>,
    rules: &[AnalyzedRule],
    first_rid: i64,
) -> Result<(), CatalogError> {
    let rids = || (first_rid..).zip(rules);
    insert_rows(
        tx,
        "INSERT OR FAIL INTO rule_techniques",
        &["rid", "technique_id", "tagged_as"],
        rids().flat_map(|(rid, a)| a.techniques.iter().map(move |t| (rid, t))),
        |row, (rid, (id, tagged))| {
            row.bind(rid)?;
            row.bind(id)?;
            row.bind(tagged)
        },
    )?;
    insert_rows(
        tx,
        "INSERT OR FAIL INTO rule_tactics",
        &["rid", "tactic_id"],
        rids().flat_map(|(rid, a)| a.tactics.iter().map(move |t| (rid, t))),
        |row, (rid, tactic)| {
            row.bind(rid)?;
            row.bind(*tactic)
        },
    )?;
    insert_rows(
        tx,
        "INSERT OR FAIL INTO rule_events",
        &["rid", "provider", "event_id"],
        rids().flat_map(|(rid, a)| a.events.iter().map(move |e| (rid, e))),
        |row, (rid, e)| {
            row.bind(rid)?;
            row.bind(&e.provider)?;
            row.bind(&e.event_id)
        },
    )
}

/// The writer's busy time per part; waiting for the analysis is not counted.
struct Busy {
    last: Instant,
    parts: BTreeMap<String, std::time::Duration>,
}

impl Default for Busy {
    fn default() -> Self {
        Busy {
            last: Instant::now(),
            parts: BTreeMap::new(),
        }
    }
}

impl Busy {
    fn lap(&mut self, part: &str) {
        let now = Instant::now();
        *self.parts.entry(part.to_owned()).or_default() += now - self.last;
        self.last = now;
    }

    fn idle(&mut self) {
        self.last = Instant::now();
    }

    fn millis(&self) -> BTreeMap<String, u128> {
        self.parts
            .iter()
            .map(|(k, d)| (k.clone(), d.as_millis()))
            .collect()
    }
}

fn write_meta(
    tx: &rusqlite::Transaction<'_>,
    report: &BuildReport,
    attack: &link::Attack,
    corpus: &Corpus,
) -> Result<(), CatalogError> {
    let mut stmt = tx.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")?;
    stmt.execute(params!["schema_version", SCHEMA_VERSION.to_string()])?;
    stmt.execute(params!["detcat_version", env!("CARGO_PKG_VERSION")])?;
    stmt.execute(params!["corpus", corpus.origin])?;
    let built_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    stmt.execute(params!["built_at_unix", built_at.to_string()])?;
    stmt.execute(params!["report", serde_json::to_string(report)?])?;
    // The ATT&CK release the techniques come from (Navigator layers name it): Enterprise's
    // when loaded, else the first domain's.
    if let Some(kb) = &attack.kb {
        let domains = kb.domains();
        let main = domains
            .iter()
            .find(|d| d.starts_with("enterprise"))
            .or(domains.first());
        if let Some(version) = main.and_then(|d| kb.version(d)) {
            stmt.execute(params!["attack_version", version.to_string()])?;
        }
    }
    Ok(())
}

/// The prepared statements of the per-rule tables, and the rid counter: rules get their rid
/// in the order they arrive, which is the corpus order.
struct RuleWriter<'t> {
    rule: BorrowedInsert<'t>,
    diagnostic: rusqlite::Statement<'t>,
    next_rid: i64,
    /// The rowid of the last triple and predicate of the rules written so far (0 before any).
    last_triple: i64,
    last_predicate: i64,
    stored_per_file: HashMap<String, usize>,
}

impl<'t> RuleWriter<'t> {
    fn new(tx: &'t rusqlite::Transaction<'_>) -> Result<Self, CatalogError> {
        Ok(RuleWriter {
            rule: BorrowedInsert::prepare(
                tx,
                "INSERT INTO rules (rid, vendor, id, title, description, authors, created, modified, status, severity,
                    rule_type, language, lifecycle, path, document, url, refs, false_positives, tags, telemetry, query,
                    expr, parse_status, first_triple, last_triple, first_predicate, last_predicate)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
            )?,
            diagnostic: tx.prepare(
                "INSERT INTO diagnostics (rid, path, code, severity, message, line, col, span_start, span_end)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?,
            next_rid: 1,
            last_triple: 0,
            last_predicate: 0,
            stored_per_file: HashMap::new(),
        })
    }

    /// Writes one rule and frees its prepared text.
    fn write(
        &mut self,
        a: &mut AnalyzedRule,
        positions: &Positions,
        busy: &mut Busy,
    ) -> Result<(), CatalogError> {
        let rid = self.next_rid;
        self.next_rid += 1;
        let prepared = a
            .prepared
            .take()
            .unwrap_or_else(|| super::analyze::prepare(a));
        let r = &a.rule;
        self.rule.execute_params(params![
            rid,
            r.vendor.as_str(),
            r.id,
            r.title,
            r.description,
            prepared.authors,
            r.created,
            r.modified,
            r.status,
            r.severity,
            r.rule_type,
            r.language.as_str(),
            r.lifecycle.as_str(),
            r.path,
            r.document,
            r.url,
            prepared.references,
            prepared.false_positives,
            prepared.tags,
            prepared.telemetry,
            r.query,
            prepared.expr,
            a.status.as_str(),
            a.triple_rowids.first,
            a.triple_rowids.last,
            a.predicate_rowids.first,
            a.predicate_rowids.last,
        ])?;
        self.last_triple = self.last_triple.max(a.triple_rowids.last);
        self.last_predicate = self.last_predicate.max(a.predicate_rowids.last);
        busy.lap("rules.row");
        for d in &r.diagnostics {
            let pos = d
                .span
                .filter(|_| d.path == r.path)
                .and_then(|s| positions.get(&d.path, s.start));
            let stored = self.stored_per_file.entry(d.path.clone()).or_default();
            *stored += 1;
            if *stored > MAX_DIAGNOSTICS_PER_FILE {
                continue;
            }
            self.diagnostic.execute(params![
                rid,
                d.path,
                d.code,
                severity_str(d.severity),
                d.message,
                pos.map(|p| p.0),
                pos.map(|p| p.1),
                d.span.map(|s| s.start),
                d.span.map(|s| s.end),
            ])?;
        }
        busy.lap("rules.diagnostics");
        drop(prepared);
        busy.lap("rules.free");
        Ok(())
    }

    /// The diagnostics that belong to no rule: truncation markers and file-level ones.
    fn finish(&mut self, report: &BuildReport) -> Result<(), CatalogError> {
        // One visible marker per file whose diagnostics were cut.
        let mut cut: Vec<(&String, &usize)> = self
            .stored_per_file
            .iter()
            .filter(|(_, n)| **n > MAX_DIAGNOSTICS_PER_FILE)
            .collect();
        cut.sort();
        for (path, n) in cut {
            self.diagnostic.execute(params![
                Option::<i64>::None,
                path,
                "catalog::diagnostics-truncated",
                "warning",
                format!(
                    "truncated: {} more diagnostics of this file are not stored (the limit is {MAX_DIAGNOSTICS_PER_FILE} per file; {n} in all)",
                    n - MAX_DIAGNOSTICS_PER_FILE
                ),
                Option::<u32>::None,
                Option::<u32>::None,
                Option::<u32>::None,
                Option::<u32>::None,
            ])?;
        }
        for counts in report.vendors.values() {
            for d in &counts.file_diagnostics {
                self.diagnostic.execute(params![
                    Option::<i64>::None,
                    d.path,
                    d.code,
                    severity_str(d.severity),
                    d.message,
                    Option::<u32>::None,
                    Option::<u32>::None,
                    d.span.map(|s| s.start),
                    d.span.map(|s| s.end),
                ])?;
            }
        }
        Ok(())
    }
}

fn severity_str(s: detcat_model::Severity) -> String {
    format!("{s:?}").to_lowercase()
}

fn write_taxonomy(tx: &rusqlite::Transaction<'_>) -> Result<(), CatalogError> {
    let taxonomy = detcat_taxonomy::Taxonomy::get();
    let mut ev = tx.prepare(
        "INSERT OR IGNORE INTO events (provider, event_id, title, sensor, native) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for e in taxonomy.events() {
        let sensor = taxonomy.sensor(&e.provider, &e.event_id);
        let native = serde_json::to_string(&sensor.map(|s| &s.native[..]).unwrap_or_default())?;
        ev.execute(params![
            e.provider,
            e.event_id,
            e.title,
            sensor.map(|s| &s.name),
            native
        ])?;
    }
    let mut f = tx.prepare(
        "INSERT OR IGNORE INTO canonical_fields (id, title, grp, names) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for field in taxonomy.fields() {
        let names = serde_json::json!({ "sigma": field.sigma, "ecs": field.ecs, "cim": field.cim });
        f.execute(params![
            field.id,
            field.title,
            field.group,
            names.to_string()
        ])?;
    }
    Ok(())
}

/// The JSON columns of the ATT&CK tables, one per technique of the knowledge base in its
/// order: made on the loading thread, beside the parse, so the writer only binds them.
pub struct AttackJson {
    pub technique_data: Vec<String>,
    pub actors: Vec<String>,
}

impl AttackJson {
    pub fn new(attack: &link::Attack) -> Result<AttackJson, CatalogError> {
        let Some(kb) = &attack.kb else {
            return Ok(AttackJson {
                technique_data: Vec::new(),
                actors: Vec::new(),
            });
        };
        let technique_data = kb
            .techniques()
            .map(|t| serde_json::to_string(&crate::attack_data::technique_data(kb, t)))
            .collect::<Result<_, _>>()?;
        Ok(AttackJson {
            technique_data,
            actors: super::threat::actors_json(kb),
        })
    }
}

fn write_attack(
    tx: &rusqlite::Transaction<'_>,
    attack: &link::Attack,
    technique_data: &[String],
) -> Result<(), CatalogError> {
    let Some(kb) = &attack.kb else { return Ok(()) };
    let mut tactic_stmt =
        tx.prepare("INSERT OR IGNORE INTO tactics (id, shortname, name, domain, ord, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
    for domain in kb.domains() {
        for (ord, t) in kb.tactics_in_order(domain).into_iter().enumerate() {
            tactic_stmt.execute(params![
                t.id,
                t.shortname,
                t.name,
                domain,
                ord as i64,
                t.description
            ])?;
        }
    }
    let mut tech_stmt = tx.prepare(
        "INSERT OR IGNORE INTO techniques (id, name, parent, domain, tactics, platforms, deprecated, revoked, revoked_by, url, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let mut tt_stmt = tx.prepare(
        "INSERT OR IGNORE INTO technique_tactics (technique_id, tactic_id) VALUES (?1, ?2)",
    )?;
    for (i, t) in kb.techniques().enumerate() {
        let tactics: Vec<String> = kb
            .tactics_of_technique(&t.id)
            .into_iter()
            .map(|t| t.id.clone())
            .collect();
        let data = technique_data.get(i).map_or("{}", String::as_str);
        tech_stmt.execute(params![
            t.id,
            t.name,
            t.parent,
            t.meta.domains.first().cloned().unwrap_or_default(),
            serde_json::to_string(&tactics)?,
            serde_json::to_string(&t.platforms)?,
            t.meta.deprecated,
            t.meta.revoked,
            t.revoked_by,
            t.meta.url,
            data,
        ])?;
        for tactic in tactics {
            tt_stmt.execute(params![t.id, tactic])?;
        }
    }
    Ok(())
}

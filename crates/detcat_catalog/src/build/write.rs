//! Writing a built catalog into SQLite, in one transaction, on a thread of its own.
//!
//! The writer owns the connection and takes [`Batch`]es while the analysis goes on: the
//! taxonomy tables while the corpus parses, the file table as soon as the parsers are done,
//! ATT&CK while rules are mapped, and rules chunk by chunk as they are mapped. On two cores
//! the write used to be a single-threaded tail as long as everything else together (issue 19).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use detcat_model::{Lifecycle, LineIndex, Role};
use rusqlite::{Connection, params};

use super::analyze::{AnalyzedRule, diagnostic_positions};
use super::report::BuildReport;
use super::threat::Threat;
use super::{FileRow, link};
use crate::corpus::Corpus;
use crate::error::CatalogError;
use crate::schema::{DDL, INDEXES, SCHEMA_VERSION};

/// Most diagnostics stored per file: one hostile 427-byte file used to yield 136,742 rows.
/// The rest are counted in one `catalog::diagnostics-truncated` marker.
pub const MAX_DIAGNOSTICS_PER_FILE: usize = 1_000;

/// What the analysis hands the writer: files and ATT&CK (either first), rule chunks, finish.
pub enum Batch<'c> {
    Files(Vec<FileRow<'c>>),
    Attack(Arc<link::Attack>, Arc<Threat>, Box<AttackJson>),
    Rules(Vec<AnalyzedRule>),
    /// The report of everything but the rules (the writer tallies them) and whether to run
    /// the regression recordings.
    Finish(Box<BuildReport>, bool),
}

/// Writes everything the channel brings, then commits. Returns the finished report, or
/// `None` when the channel closed before `Finish` (the analysis failed; nothing is committed
/// and the caller reports the analysis' error).
pub fn run(
    conn: &mut Connection,
    batches: Receiver<Batch<'_>>,
    corpus: &Corpus,
) -> Result<Option<BuildReport>, CatalogError> {
    // The file is private to this build until renamed into place: durability of each
    // statement buys nothing, so journal in memory and skip fsyncs until the end. A larger
    // page cache keeps the bulk load and the index sorts off the file until the commit.
    // Foreign keys (on in the bundled SQLite) would look up the parent of every child row;
    // the writer stores parents first by construction, and a test checks the references.
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY;
         PRAGMA locking_mode = EXCLUSIVE; PRAGMA cache_size = -32768;
         PRAGMA foreign_keys = OFF;",
    )?;
    let mut busy = Busy::default();
    let tx = conn.transaction()?;
    tx.execute_batch(DDL)?;
    write_taxonomy(&tx)?;
    busy.lap("schema+taxonomy");
    let mut writer = RuleWriter::new(&tx)?;
    let mut attack: Option<Arc<link::Attack>> = None;
    let mut threat: Option<Arc<Threat>> = None;
    let mut rules: Vec<AnalyzedRule> = Vec::new();
    let mut texts: HashMap<String, &str> = HashMap::new();
    let finish = loop {
        let Ok(batch) = batches.recv() else {
            return Ok(None);
        };
        busy.idle();
        match batch {
            Batch::Files(files) => {
                write_files(&tx, &files)?;
                texts.extend(
                    files
                        .into_iter()
                        .filter_map(|f| f.text.map(|t| (f.path, t))),
                );
                busy.lap("files");
            }
            Batch::Attack(a, t, json) => {
                write_attack(&tx, &a, &json.technique_data)?;
                super::threat::write(&tx, &a, &t, &json.actors)?;
                attack = Some(a);
                threat = Some(t);
                busy.lap("attack");
            }
            Batch::Rules(mut chunk) => {
                for a in &mut chunk {
                    writer.write(a, &texts, &mut busy)?;
                }
                rules.append(&mut chunk);
                busy.lap("rules");
            }
            Batch::Finish(report, recordings) => break (report, recordings),
        }
    };
    let (mut report, recordings) = finish;
    writer.finish(&report)?;
    drop(writer);
    let attack = attack.unwrap_or_else(|| Arc::new(link::Attack::none()));
    report.tally(&rules, &attack);
    if let Some(t) = &threat {
        report.threat = t.summary.clone();
    }
    busy.lap("tally");
    super::recordings::write(&tx, &rules, recordings, corpus)?;
    busy.lap("recordings");
    write_triples(&tx, &rules)?;
    busy.lap("triples");
    super::branches::write(&tx, &rules)?;
    busy.lap("branches");
    tx.execute_batch(INDEXES)?;
    busy.lap("indexes");
    report.timings.writer = busy.millis();
    write_meta(&tx, &report, &attack, corpus)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    conn.execute_batch("PRAGMA optimize;")?;
    busy.lap("commit");
    // Freeing ~100k small allocations takes a quarter second; nobody waits for it.
    std::thread::spawn(move || drop(rules));
    report.timings.writer = busy.millis();
    Ok(Some(*report))
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

/// The triples of every rule, written last because an indicator's row carries its corpus
/// reach, which needs all rules: counted here (each rule's triples are unique per rule).
fn write_triples(
    tx: &rusqlite::Transaction<'_>,
    rules: &[AnalyzedRule],
) -> Result<(), CatalogError> {
    let mut reach: HashMap<(&str, &str, &str), (i64, i64)> = HashMap::new();
    for a in rules {
        let active = a.rule.lifecycle == Lifecycle::Active;
        for t in a.triples.iter().filter(|t| t.role == Role::Indicator) {
            let n = reach
                .entry((t.field.as_str(), t.operator.as_str(), t.value.as_str()))
                .or_default();
            n.0 += i64::from(active);
            n.1 += 1;
        }
    }
    let mut stmt = tx.prepare(
        "INSERT INTO triples (rid, role, field, operator, value, original, raw_field, reach, reach_all)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for (rid, a) in (1i64..).zip(rules) {
        for t in &a.triples {
            let (active, all) = match t.role {
                Role::Indicator => reach
                    .get(&(t.field.as_str(), t.operator.as_str(), t.value.as_str()))
                    .map_or((None, None), |n| (Some(n.0), Some(n.1))),
                _ => (None, None),
            };
            stmt.execute(params![
                rid,
                t.role.as_str(),
                t.field,
                t.operator,
                t.value,
                t.original,
                t.raw_field,
                active,
                all
            ])?;
        }
    }
    Ok(())
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

fn write_files(tx: &rusqlite::Transaction<'_>, files: &[FileRow<'_>]) -> Result<(), CatalogError> {
    let mut stmt = tx.prepare("INSERT OR IGNORE INTO files (path, vendor, kind, reason, text) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for f in files {
        stmt.execute(params![f.path, f.vendor.as_str(), f.kind, f.reason, f.text])?;
    }
    Ok(())
}

fn lifecycle_str(l: Lifecycle) -> &'static str {
    match l {
        Lifecycle::Active => "active",
        Lifecycle::Deprecated => "deprecated",
        Lifecycle::Unsupported => "unsupported",
    }
}

/// The prepared statements of the per-rule tables, and the rid counter: rules get their rid
/// in the order they arrive, which is the corpus order.
struct RuleWriter<'t> {
    rule: rusqlite::Statement<'t>,
    technique: rusqlite::Statement<'t>,
    tactic: rusqlite::Statement<'t>,
    predicate: rusqlite::Statement<'t>,
    event: rusqlite::Statement<'t>,
    diagnostic: rusqlite::Statement<'t>,
    search: rusqlite::Statement<'t>,
    next_rid: i64,
    /// A file's line index, built the first time one of its diagnostics needs a position.
    line_indexes: HashMap<String, LineIndex>,
    stored_per_file: HashMap<String, usize>,
}

impl<'t> RuleWriter<'t> {
    fn new(tx: &'t rusqlite::Transaction<'_>) -> Result<Self, CatalogError> {
        Ok(RuleWriter {
            rule: tx.prepare(
                "INSERT INTO rules (rid, vendor, id, title, description, authors, created, modified, status, severity,
                    rule_type, language, lifecycle, path, document, url, refs, false_positives, tags, telemetry, query,
                    expr, parse_status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
            )?,
            // Technique and tactic ids are unique per rule (link() dedupes), as are predicates
            // (by ord), triples (analyze() dedupes) and events (a set): plain INSERTs.
            technique: tx.prepare(
                "INSERT INTO rule_techniques (rid, technique_id, tagged_as) VALUES (?1, ?2, ?3)",
            )?,
            tactic: tx.prepare("INSERT INTO rule_tactics (rid, tactic_id) VALUES (?1, ?2)")?,
            predicate: tx.prepare(
                "INSERT INTO predicates (rid, ord, field, canonical, mapped, operator, vals, negated, role, case_sensitive, modifiers)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?,
            event: tx.prepare(
                "INSERT INTO rule_events (rid, provider, event_id) VALUES (?1, ?2, ?3)",
            )?,
            diagnostic: tx.prepare(
                "INSERT INTO diagnostics (rid, path, code, severity, message, line, col, span_start, span_end)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?,
            search: tx.prepare("INSERT INTO rules_fts (rowid, title, description, fields, vals) VALUES (?1, ?2, ?3, ?4, ?5)")?,
            next_rid: 1,
            line_indexes: HashMap::new(),
            stored_per_file: HashMap::new(),
        })
    }

    /// Writes one rule and frees its prepared text.
    fn write(
        &mut self,
        a: &mut AnalyzedRule,
        texts: &HashMap<String, &str>,
        busy: &mut Busy,
    ) -> Result<(), CatalogError> {
        let rid = self.next_rid;
        self.next_rid += 1;
        let prepared = a
            .prepared
            .take()
            .unwrap_or_else(|| super::analyze::prepare(a));
        let r = &a.rule;
        self.rule.execute(params![
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
            lifecycle_str(r.lifecycle),
            r.path,
            r.document,
            r.url,
            prepared.references,
            prepared.false_positives,
            prepared.tags,
            prepared.telemetry,
            r.query,
            prepared.expr,
            r.status().as_str(),
        ])?;
        busy.lap("rules.row");
        for (id, tagged) in &a.techniques {
            self.technique.execute(params![rid, id, tagged])?;
        }
        for t in &a.tactics {
            self.tactic.execute(params![rid, t])?;
        }
        for (ord, p) in a.predicates.iter().enumerate() {
            self.predicate.execute(params![
                rid,
                ord as i64,
                p.field,
                p.canonical,
                p.mapped,
                p.operator,
                prepared
                    .predicate_values
                    .get(ord)
                    .map_or("[]", String::as_str),
                p.negated,
                p.role.as_str(),
                p.case_sensitive,
                prepared
                    .predicate_modifiers
                    .get(ord)
                    .map_or("[]", String::as_str),
            ])?;
        }
        busy.lap("rules.links+predicates");
        for e in &a.events {
            self.event.execute(params![rid, e.provider, e.event_id])?;
        }
        // Positions need the file's line index; most rules have no positioned diagnostic.
        let needs_positions = r
            .diagnostics
            .iter()
            .any(|d| d.span.is_some() && d.path == r.path);
        let file = if needs_positions {
            texts.get(r.path.as_str()).map(|text| {
                let index = self
                    .line_indexes
                    .entry(r.path.clone())
                    .or_insert_with(|| LineIndex::new(text));
                (*text, &*index)
            })
        } else {
            None
        };
        let positions = diagnostic_positions(r, file);
        for (d, pos) in r.diagnostics.iter().zip(positions) {
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
        busy.lap("rules.events+diagnostics");
        self.search.execute(params![
            rid,
            r.title,
            r.description,
            prepared.search_fields,
            prepared.search_values
        ])?;
        busy.lap("rules.fts");
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

//! The side writer: a second writer thread for the tables that need nothing from the rule
//! rows — predicates and triples ([`crate::schema::SIDE_DDL`]) — and the technique pages'
//! counting, which needs every rule's triples.
//!
//! One SQLite connection writes one statement at a time, and on the full corpus the main
//! writer was the longest thread of the build: rule rows, links, full-text index (since built
//! by the search writer, `search_index.rs`), then the
//! triples and all indexes as a tail during which the other core idled. The side writer
//! fills its tables in databases of its own (temporary files beside the catalog, or shared
//! in-memory databases for in-memory builds), builds their indexes, and the main writer
//! copies them into the catalog with `INSERT INTO main.t SELECT * FROM side.t` — a copy of
//! whole records and index entries (SQLite's transfer optimization), several times faster
//! than inserting the rows. The predicates are complete when the map ends and sit in one
//! database, copied while the side writer still stores the triples into the other (the
//! triples wait for every rule, for their reach): the copy of the first no longer waits for
//! the triples. Tables the main writer has time for are not copied: it stores the files
//! (36 MB of text, written twice and read back once through a side database) and the
//! technique pages (counted here, sent to it batch by batch) itself.

use std::collections::BTreeMap;
use std::sync::mpsc::{Receiver, SyncSender};
use std::time::{Duration, Instant};

use detcat_model::Role;
use rusqlite::Connection;

use super::analyze::{AnalyzedRule, TripleRow};
use super::rows::insert_rows;
use super::triple_ids::TripleIds;
use crate::error::CatalogError;
use crate::schema::{PREDICATE_INDEXES, SIDE_DDL};

/// Where the side database lives. The side writer's connection stays open until the main
/// writer has copied the tables (an in-memory database lives as long as a connection holds
/// it), and the main writer attaches it only then: a reader attached during the load would
/// hold a lock that stops the side writer from spilling pages to its file.
pub enum SideDb {
    /// A temporary file, removed when dropped.
    File(tempfile::NamedTempFile),
    /// A shared-cache in-memory database (URI), for in-memory builds.
    Memory(String),
}

impl SideDb {
    /// A unique shared in-memory database of this process.
    pub fn memory() -> SideDb {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        SideDb::Memory(format!(
            "file:detcat-side-{}-{n}?mode=memory&cache=shared",
            std::process::id()
        ))
    }

    /// The name `ATTACH` and [`Connection::open`] take.
    pub fn name(&self) -> String {
        match self {
            SideDb::File(f) => f.path().to_string_lossy().into_owned(),
            SideDb::Memory(uri) => uri.clone(),
        }
    }
}

/// What the side writer takes, in any order; the channel closing ends its work.
pub enum SideBatch {
    /// The predicate rows of a chunk of rules, with their rids.
    Predicates(Vec<PredicateInsert>),
    /// Every predicate row has been sent: their indexes are built and the early database is
    /// committed, for the main writer to copy while the triples are stored.
    PredicatesDone,
    /// A chunk of rules' triples, kept until the channel closes: an indicator row carries its
    /// corpus reach, which needs all rules.
    Triples(Vec<RuleTriples>),
    /// A chunk's active rules with a technique, sent before its predicates: the technique
    /// pages counted here at the end (`technique_pages.rs`).
    PageRules(Vec<super::technique_pages::PageRule>),
}

/// A batch of counted technique pages: (technique id, the page encoded as stored).
pub type PageBatch = Vec<(String, Vec<u8>)>;

/// One predicate row, ready to bind.
pub struct PredicateInsert {
    pub rid: i64,
    pub ord: i64,
    pub field: String,
    pub canonical: String,
    pub mapped: bool,
    pub operator: &'static str,
    pub values: String,
    pub negated: bool,
    pub role: Role,
    pub case_sensitive: bool,
    pub modifiers: String,
}

/// A rule's triples and whether it counts towards the active reach.
pub struct RuleTriples {
    pub rid: i64,
    /// The rowid of its first row in `triples` ([`take_triples`]).
    pub first_rowid: i64,
    pub active: bool,
    pub triples: Vec<TripleRow>,
    /// Each row's triple id ([`TripleIds`]); empty until numbered there.
    pub ids: Vec<u32>,
}

/// The predicate rows of `rules`, whose first rid is `first_rid`, numbered on from
/// `next_rowid` as [`take_triples`] numbers the triples (each rule's `predicate_rowids`; the
/// side writer appends the rows in this order and checks it). The values' and modifiers'
/// JSON is taken from the rules' prepared text (the main writer does not need it).
pub fn predicate_rows(
    rules: &mut [AnalyzedRule],
    first_rid: i64,
    next_rowid: &mut i64,
) -> Vec<PredicateInsert> {
    use rayon::prelude::*;
    for a in rules.iter_mut() {
        a.predicate_rowids = super::analyze::RowidRange::take(next_rowid, a.predicates.len());
    }
    rules
        .par_iter_mut()
        .enumerate()
        .flat_map_iter(|(i, a)| {
            let rid = first_rid + i as i64;
            let (values, modifiers) = match a.prepared.as_mut() {
                Some(p) => (
                    std::mem::take(&mut p.predicate_values),
                    std::mem::take(&mut p.predicate_modifiers),
                ),
                None => (Vec::new(), Vec::new()),
            };
            let mut values = values.into_iter();
            let mut modifiers = modifiers.into_iter();
            a.predicates
                .iter()
                .zip(0i64..)
                .map(|(p, ord)| PredicateInsert {
                    rid,
                    ord,
                    field: p.field.clone(),
                    canonical: p.canonical.clone(),
                    mapped: p.mapped,
                    operator: p.operator,
                    values: values
                        .next()
                        .unwrap_or_else(|| super::analyze::json(&p.values)),
                    negated: p.negated,
                    role: p.role,
                    case_sensitive: p.case_sensitive,
                    modifiers: modifiers
                        .next()
                        .unwrap_or_else(|| super::analyze::json(&p.modifiers)),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The two scratch databases of the side writer. The predicates are complete when the map
/// ends and go to `early`, which is committed then, so the main writer can copy
/// them while the side writer still stores the triples (which wait for every rule, for
/// their reach) into `late`. The full-text index has one of its own, `search`, filled by
/// the search writer (`search_index.rs`).
pub struct SideDbs {
    pub early: SideDb,
    pub late: SideDb,
    pub search: SideDb,
}

/// What the side writer gives back: its open connections (see [`SideDb`]) and its busy
/// time per part (`side.…` in the build report's writer timings).
pub type Done = ([Connection; 2], BTreeMap<String, Duration>);

/// Fills the side databases from `batches` until the channel closes: predicates into
/// `early`, committed (and announced on `early_ready`) once the last predicate is in; then
/// the triples into `late` (committed and announced on `late_ready`; the main writer builds
/// their indexes after the copy); then counts the technique pages and sends them to
/// `pages_out` for the main writer to store.
pub fn run(
    early: &str,
    late: &str,
    batches: Receiver<SideBatch>,
    (early_ready, late_ready, pages_out): (SyncSender<()>, SyncSender<()>, SyncSender<PageBatch>),
    timeline: &super::Timeline,
) -> Result<Done, CatalogError> {
    let mut busy: BTreeMap<String, Duration> = BTreeMap::new();
    let mut last = Instant::now();
    let mut lap = |part: &str, last: &mut Instant| {
        let now = Instant::now();
        *busy.entry(format!("side.{part}")).or_default() += now - *last;
        *last = now;
    };
    let mut early_conn = open_scratch(early)?;
    let mut triples = TripleIds::default();
    // Predicate rows stored so far: each batch must end at this rowid (`predicate_rows`
    // numbered them so).
    let mut predicates_stored = 0i64;
    let mut pages = super::technique_pages::Collector::default();
    let tx = early_conn.transaction()?;
    tx.execute_batch(SIDE_DDL)?;
    lap("schema", &mut last);
    let mut batches = batches.into_iter();
    for batch in batches.by_ref() {
        last = Instant::now();
        match batch {
            SideBatch::Predicates(rows) => {
                insert_rows(
                    &tx,
                    "INSERT OR FAIL INTO predicates",
                    &[
                        "rid",
                        "ord",
                        "field",
                        "canonical",
                        "mapped",
                        "operator",
                        "vals",
                        "negated",
                        "role",
                        "case_sensitive",
                        "modifiers",
                    ],
                    &rows,
                    |row, p| {
                        row.bind(&p.rid)?;
                        row.bind(&p.ord)?;
                        row.bind(&p.field)?;
                        row.bind(&p.canonical)?;
                        row.bind(&p.mapped)?;
                        row.bind(p.operator)?;
                        row.bind(&p.values)?;
                        row.bind(&p.negated)?;
                        row.bind(p.role.as_str())?;
                        row.bind(&p.case_sensitive)?;
                        row.bind(&p.modifiers)
                    },
                )?;
                predicates_stored += rows.len() as i64;
                if !rows.is_empty() && tx.last_insert_rowid() != predicates_stored {
                    return Err(CatalogError::Query(
                        "the predicates' rows are not numbered as their rules' ranges say"
                            .to_owned(),
                    ));
                }
                pages.add_predicates(rows);
                lap("predicates", &mut last);
            }
            SideBatch::PredicatesDone => break,
            SideBatch::Triples(rules) => triples.add(rules),
            SideBatch::PageRules(rules) => pages.add_rules(rules),
        }
    }
    last = Instant::now();
    tx.execute_batch(PREDICATE_INDEXES)?;
    tx.commit()?;
    // Its cache is of no more use (the main writer reads the file through its own
    // connection): given back before the build's last and busiest memory moment.
    early_conn.execute_batch("PRAGMA shrink_memory;")?;
    lap("indexes", &mut last);
    timeline.mark("side writer: predicates committed");
    // The main writer may not be waiting (it failed): then nobody copies, and that is fine.
    let _ = early_ready.try_send(());
    for batch in batches {
        match batch {
            SideBatch::Triples(rules) => triples.add(rules),
            SideBatch::PageRules(rules) => pages.add_rules(rules),
            _ => {}
        }
    }
    last = Instant::now();
    let mut late_conn = open_scratch(late)?;
    // The technique pages are counted (pure Rust: the page rules' fields and events as ids,
    // their triples by the ids numbered as they came, then the pages on the rayon pool) on a
    // thread of their own while this one stores the triples: stored one by one on this
    // thread first, the rayon workers idled ~0.3 s at the end of the build (issue 19). The
    // pages wait in the channel (all of them fit: ~6 MB encoded on the full corpus) until
    // the main writer, once it has copied the triples, stores them; the build has that
    // memory since the file texts are freed once stored. The main writer may stop reading
    // (it failed): the counting stops then too.
    let (stored, counted) = std::thread::scope(|scope| {
        let counting = super::spawn_named(scope, "detcat-pages", || {
            let started = Instant::now();
            let counted = pages.count(&triples, |batch| pages_out.send(batch).is_ok());
            timeline.mark("side writer: pages counted");
            counted.map(|()| started.elapsed())
        });
        let counting = match counting {
            Ok(counting) => counting,
            Err(e) => return (Err(e), Ok(Duration::ZERO)),
        };
        let stored = store_triples(&mut late_conn, &triples);
        lap("triples", &mut last);
        timeline.mark("side writer: triples stored");
        if stored.is_ok() {
            // As for the early database: nobody may be waiting.
            let _ = late_ready.try_send(());
        }
        let counted = counting
            .join()
            .map_err(|_| CatalogError::Query("the page count stopped".to_owned()))
            .and_then(|counted| counted);
        (stored, counted)
    });
    stored?;
    busy.insert("side.technique pages".to_owned(), counted?);
    super::free_beside(pages);
    // Freeing ~100k small strings takes a while; nobody waits for it.
    super::free_beside(triples);
    Ok(([early_conn, late_conn], busy))
}

/// A scratch database: no journal, no fsync, no foreign keys (`rules` is not here). Its rows
/// are appended and read once by the copy, so a 4 MiB cache does (two of them are open until
/// the end of the build; 8 MiB each cost 9 MiB more peak memory). Its pages are the
/// catalog's size (`write::prepare_connection`). Its index builds (the predicates') sort in
/// temporary files (`temp_store = FILE`), as the catalog's triples' do (`write::copy_side`).
fn open_scratch(db: &str) -> Result<Connection, CatalogError> {
    let conn = Connection::open(db)?;
    conn.execute_batch(
        "PRAGMA page_size = 16384;
         PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = FILE;
         PRAGMA cache_size = -4096; PRAGMA foreign_keys = OFF;",
    )?;
    Ok(conn)
}

/// Technique pages' batches counted ahead of the main writer's store (see [`run`]): every
/// batch of the full corpus (~25 of 32 techniques), so the counting never waits for the
/// main writer. The number of techniques bounds it, not the corpus size.
pub const PAGE_BATCHES_WAITING: usize = 64;

/// Stores every rule's triples into the late side database and commits it.
fn store_triples(conn: &mut Connection, triples: &TripleIds) -> Result<(), CatalogError> {
    let tx = conn.transaction()?;
    tx.execute_batch(SIDE_DDL)?;
    write_triples(&tx, triples)?;
    write_triple_fields(&tx, triples)?;
    tx.commit()?;
    Ok(())
}

/// The triples of every rule, each indicator row with its corpus reach. The rowids are left
/// to SQLite (one more than the last row: an append, where a given key is a search of the
/// table per row), and checked against the numbers the rules were given
/// ([`take_triples`]): the rows come in the same order, from 1.
fn write_triples(tx: &rusqlite::Transaction<'_>, triples: &TripleIds) -> Result<(), CatalogError> {
    let misnumbered = || {
        CatalogError::Query(
            "the triples' rows are not numbered as their rules' ranges say".to_owned(),
        )
    };
    let mut next_rowid = 1i64;
    for r in triples.rules() {
        if r.first_rowid != next_rowid {
            return Err(misnumbered());
        }
        next_rowid += r.triples.len() as i64;
    }
    let rows = triples.rules().iter().flat_map(|r| {
        r.triples
            .iter()
            .zip(&r.ids)
            .map(move |(t, &id)| (r.rid, t, id))
    });
    insert_rows(
        tx,
        "INSERT OR FAIL INTO triples",
        &[
            "rid",
            "role",
            "field",
            "operator",
            "value",
            "original",
            "raw_field",
            "reach",
            "reach_all",
        ],
        rows,
        |row, (rid, t, id)| {
            let (active, all) = match t.role {
                Role::Indicator => {
                    let (active, all) = triples.reach(*id);
                    (Some(active), Some(all))
                }
                _ => (None, None),
            };
            row.bind(rid)?;
            row.bind(t.role.as_str())?;
            row.bind(&t.field)?;
            row.bind(&t.operator)?;
            row.bind(&t.value)?;
            row.bind(&t.original)?;
            row.bind(&t.raw_field)?;
            row.bind_value(active);
            row.bind_value(all);
            Ok(())
        },
    )?;
    // Rows appended from 1 in that order: the last one's rowid is the count (0 for none).
    if tx.last_insert_rowid() != next_rowid - 1 {
        return Err(misnumbered());
    }
    Ok(())
}

/// `triple_fields`: each field's rules, in (field, rid) order — the table's key, so every row
/// is appended. Grouped by a hash of the field (rules come in rid order, so a field's rids come
/// sorted, a rule's repeats one after another); only the ~500–1,000 distinct fields are
/// sorted.
fn write_triple_fields(
    tx: &rusqlite::Transaction<'_>,
    triples: &TripleIds,
) -> Result<(), CatalogError> {
    type ByField<'t> = std::collections::HashMap<&'t str, Vec<i64>, foldhash::fast::RandomState>;
    let mut by_field = ByField::default();
    for r in triples.rules() {
        for t in &r.triples {
            let rids = by_field.entry(t.field.as_str()).or_default();
            if rids.last() != Some(&r.rid) {
                rids.push(r.rid);
            }
        }
    }
    let mut fields: Vec<(&str, Vec<i64>)> = by_field.into_iter().collect();
    fields.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let rows = fields
        .iter()
        .flat_map(|(field, rids)| rids.iter().map(move |rid| (*field, *rid)));
    insert_rows(
        tx,
        "INSERT OR FAIL INTO triple_fields",
        &["field", "rid"],
        rows,
        |row, (field, rid)| {
            row.bind(field)?;
            row.bind(rid)
        },
    )
}

/// Takes the triples out of `rules` (rids in order from `first_rid`) for
/// [`SideBatch::Triples`], and numbers them: each rule's `triple_rowids` are the rowids its rows
/// get in `triples`, counting on from `next_rowid`. The side writer stores every rule's triples
/// in rid order, each row numbered one more than the last ([`write_triples`] checks it).
pub fn take_triples(
    rules: &mut [AnalyzedRule],
    first_rid: i64,
    next_rowid: &mut i64,
) -> Vec<RuleTriples> {
    rules
        .iter_mut()
        .zip(first_rid..)
        .map(|(a, rid)| {
            let triples = std::mem::take(&mut a.triples);
            a.triple_rowids = super::analyze::RowidRange::take(next_rowid, triples.len());
            RuleTriples {
                rid,
                first_rowid: a.triple_rowids.first,
                active: a.rule.lifecycle == detcat_model::Lifecycle::Active,
                triples,
                ids: Vec::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(rid: i64, first_rowid: i64, values: &[&str]) -> RuleTriples {
        RuleTriples {
            rid,
            first_rowid,
            active: true,
            triples: values
                .iter()
                .map(|v| TripleRow {
                    role: Role::Indicator,
                    field: "process.name".to_owned(),
                    operator: "eq".into(),
                    value: (*v).to_owned(),
                    original: (*v).to_owned(),
                    raw_field: "Image".to_owned(),
                })
                .collect(),
            ids: Vec::new(),
        }
    }

    /// The `(rowid, rid, value)` rows `write_triples` stores for `rules`, or its error.
    fn stored(rules: Vec<RuleTriples>) -> Result<Vec<(i64, i64, String)>, CatalogError> {
        let mut conn = open_scratch(":memory:")?;
        let tx = conn.transaction()?;
        tx.execute_batch(SIDE_DDL)?;
        let mut ids = TripleIds::default();
        ids.add(rules);
        write_triples(&tx, &ids)?;
        let mut stmt = tx.prepare("SELECT rowid, rid, value FROM triples ORDER BY rowid")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    #[test]
    fn each_rules_triples_are_stored_as_the_rowid_range_it_was_given() {
        let rules = vec![
            rule(1, 1, &["a.exe", "b.exe"]),
            rule(2, 3, &[]),
            rule(3, 3, &["c.exe"]),
        ];
        let rows = stored(rules).map_err(|e| e.to_string());
        assert_eq!(
            rows,
            Ok(vec![
                (1, 1, "a.exe".to_owned()),
                (2, 1, "b.exe".to_owned()),
                (3, 3, "c.exe".to_owned()),
            ])
        );
    }

    fn analyzed(detection: &str) -> AnalyzedRule {
        let yaml = format!(
            "title: t\nlogsource: {{product: windows, category: process_creation}}\n\
             detection:\n{detection}"
        );
        let file = detcat_model::SourceFile::new("sigma/rules/t.yml", yaml);
        let outcome = detcat_sigma::parse_file(&file);
        let rule = outcome.rules.into_iter().next().expect("one rule");
        super::super::analyze_one(rule)
    }

    #[test]
    fn take_triples_numbers_on_across_chunks_and_gives_a_rule_without_triples_an_empty_range() {
        let two = "  sel: {Image|endswith: ['\\a.exe', '\\b.exe']}\n  condition: sel\n";
        let unreadable = detcat_model::Rule::failed(
            detcat_model::Vendor::Sigma,
            detcat_model::Language::None,
            "sigma/rules/broken.yml",
            String::new(),
            "not UTF-8 text",
        );
        let mut first = vec![analyzed(two), super::super::analyze_one(unreadable)];
        let mut second = vec![analyzed(two)];
        let mut next_rowid = 1;
        let taken = take_triples(&mut first, 1, &mut next_rowid);
        let taken_next = take_triples(&mut second, 3, &mut next_rowid);
        let ranges: Vec<_> = first
            .iter()
            .chain(&second)
            .map(|a| (a.triple_rowids.first, a.triple_rowids.last))
            .collect();
        assert_eq!(ranges, [(1, 2), (3, 2), (3, 4)]);
        assert_eq!(next_rowid, 5);
        let firsts: Vec<_> = taken
            .iter()
            .chain(&taken_next)
            .map(|r| (r.rid, r.first_rowid))
            .collect();
        assert_eq!(firsts, [(1, 1), (2, 3), (3, 3)]);
        assert!(
            first.iter().all(|a| a.triples.is_empty()),
            "the triples are moved out"
        );
        // The predicates are numbered the same way, each rule's rows one after another.
        let mut next_predicate = 1;
        let rows = predicate_rows(&mut first, 1, &mut next_predicate);
        let rows_next = predicate_rows(&mut second, 3, &mut next_predicate);
        let ranges: Vec<_> = first
            .iter()
            .chain(&second)
            .map(|a| (a.predicate_rowids.first, a.predicate_rowids.last))
            .collect();
        assert_eq!(ranges, [(1, 1), (2, 1), (2, 2)]);
        let rids: Vec<_> = rows.iter().chain(&rows_next).map(|p| p.rid).collect();
        assert_eq!(rids, [1, 3], "one row per predicate, in rid order");
    }

    #[test]
    fn triple_fields_holds_each_fields_rules_once_in_key_order() {
        let mut conn = open_scratch(":memory:").expect("an in-memory database opens");
        let tx = conn.transaction().expect("a transaction");
        tx.execute_batch(SIDE_DDL).expect("the side schema");
        let mut on_hash = rule(3, 1, &["x"]);
        if let Some(t) = on_hash.triples.first_mut() {
            t.field = "file.hash".to_owned();
        }
        let mut ids = TripleIds::default();
        // Rule 1 has two triples on process.name (one row), rule 2 none, rule 3 one on another
        // field, rule 4 one on process.name again.
        ids.add(vec![
            rule(1, 1, &["a.exe", "b.exe"]),
            rule(2, 3, &[]),
            on_hash,
            rule(4, 4, &["c.exe"]),
        ]);
        write_triple_fields(&tx, &ids).expect("the rows are stored");
        let mut stmt = tx
            .prepare("SELECT field, rid FROM triple_fields")
            .expect("the table reads");
        let rows: Vec<(String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("every row reads");
        assert_eq!(
            rows,
            [
                ("file.hash".to_owned(), 3),
                ("process.name".to_owned(), 1),
                ("process.name".to_owned(), 4),
            ]
        );
    }

    #[test]
    fn rows_numbered_otherwise_than_their_rules_say_are_an_error_not_a_wrong_catalog() {
        // The second rule says its rows start at 4, but the first one has only two.
        let rules = vec![rule(1, 1, &["a.exe", "b.exe"]), rule(2, 4, &["c.exe"])];
        assert!(matches!(stored(rules), Err(CatalogError::Query(m)) if m.contains("numbered")));
    }
}

//! The search writer: a thread that fills the full-text index (`rules_fts`) in a database of
//! its own while the main writer stores the rules, and hands it over for the main writer to
//! copy.
//!
//! FTS5 tokenizes every title, description, field name and value as the row goes in: ~0.4 s
//! of the main writer's time on the full corpus, which was the build's longest thread from
//! the end of the parse to the end (it stored rules behind the map and finished ~0.3 s after
//! it; issue 19). Here the index builds beside it, from rows the analysis sends straight to
//! this thread, and the main writer copies the finished index's tables — whole records, a few
//! megabytes — once it has committed the rules.
//!
//! The copy goes through FTS5's shadow tables (`rules_fts_data`, `_idx`, `_docsize`), which
//! are ordinary tables holding the whole index (`_config` holds only the format version, the
//! same on both sides, and the bulk `hashsize`, which stays here). The catalog's own
//! `rules_fts` is created empty and never written through before the copy, so no FTS5 state
//! cached by its connection can disagree with the copied tables; readers open the finished
//! file with connections of their own.

use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

use super::borrowed_insert::BorrowedInsert;
use crate::error::CatalogError;
use crate::schema::SEARCH_DDL;

/// One rule's searchable text; `rowid` of the index is the rule's rid.
pub struct SearchRow {
    pub rid: i64,
    pub title: String,
    pub description: String,
    /// Field names (raw and canonical), space separated.
    pub fields: String,
    /// Predicate and keyword values, space separated.
    pub values: String,
}

/// FTS5's in-memory hash during the build: about the whole corpus' index (~10 MB), so the
/// full corpus writes one or two segments. At 256 MB the pending hash of a larger corpus
/// grew without bound (on the full corpus, 8 MiB more peak memory than at 8 MB).
const FTS_BULK_HASH_BYTES: i64 = 16 * 1024 * 1024;

/// What the search writer gives back: its open connection (an in-memory database lives as
/// long as a connection holds it; see [`super::side::SideDb`]) and its busy time.
pub type Done = (Connection, Duration);

/// Indexes every row `rows` brings until the channel closes, then commits (FTS5 writes its
/// pending hash as a segment then).
pub fn run(
    db: &str,
    rows: Receiver<Vec<SearchRow>>,
    timeline: &super::Timeline,
) -> Result<Done, CatalogError> {
    let mut busy = Duration::ZERO;
    let mut conn = Connection::open(db)?;
    // As the side writer's databases: appended once, read once by the copy.
    conn.execute_batch(
        "PRAGMA page_size = 16384;
         PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = FILE;
         PRAGMA cache_size = -4096;",
    )?;
    let started = Instant::now();
    let tx = conn.transaction()?;
    tx.execute_batch(SEARCH_DDL)?;
    // FTS5 keeps pending rows in an in-memory hash and writes a segment each time it passes
    // `hashsize` (1 MB by default), then merges the segments: ~10 segments and their merges
    // for the full corpus. One big hash writes the index once, as one segment, at commit.
    tx.execute(
        "INSERT INTO rules_fts (rules_fts, rank) VALUES ('hashsize', ?1)",
        [FTS_BULK_HASH_BYTES],
    )?;
    busy += started.elapsed();
    {
        let mut insert = BorrowedInsert::prepare(
            &tx,
            "INSERT INTO rules_fts (rowid, title, description, fields, vals) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for chunk in rows {
            let started = Instant::now();
            for r in &chunk {
                insert.execute_params(params![
                    r.rid,
                    r.title,
                    r.description,
                    r.fields,
                    r.values
                ])?;
            }
            busy += started.elapsed();
            // Freeing the chunk's strings is not this thread's work.
            super::free_beside(chunk);
        }
    }
    timeline.mark("search writer: rows indexed");
    let started = Instant::now();
    tx.commit()?;
    // Its cache is of no more use (the main writer reads the file through its own
    // connection).
    conn.execute_batch("PRAGMA shrink_memory;")?;
    busy += started.elapsed();
    timeline.mark("search writer: committed");
    Ok((conn, busy))
}

/// Copies the finished index from the search database `db` into the catalog's empty
/// `rules_fts` (see the module's comment), in a transaction of its own.
pub fn copy(conn: &mut Connection, db: &str) -> Result<(), CatalogError> {
    conn.execute("ATTACH DATABASE ?1 AS search", [db])?;
    let tx = conn.transaction()?;
    // The empty index's own structure and averages records make way for the copied ones.
    tx.execute_batch(
        "DELETE FROM main.rules_fts_data;
         INSERT INTO main.rules_fts_data SELECT * FROM search.rules_fts_data;
         INSERT INTO main.rules_fts_idx SELECT * FROM search.rules_fts_idx;
         INSERT INTO main.rules_fts_docsize SELECT * FROM search.rules_fts_docsize;",
    )?;
    tx.commit()?;
    conn.execute_batch("DETACH DATABASE search;")?;
    Ok(())
}

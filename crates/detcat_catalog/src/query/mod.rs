//! Reading a catalog: open (read-only, schema checked) and the page queries.

mod analytic_taxonomy;
mod coverage;
mod events_covered;
mod field_summary;
mod fields;
mod matrix;
mod navigator;
mod recordings;
mod reverse;
mod rule;
mod rule_set;
mod search;
mod similarity;
pub(crate) mod technique;
mod threat;
mod unknown;
mod values;

pub use navigator::TechniqueVendorCount;
pub use threat::TopFilter;

pub(crate) use analytic_taxonomy::{ELEMENT, LOG_SOURCE};
pub(crate) use events_covered::EventsAcc;

pub use search::{MAX_OFFSET as MAX_SEARCH_OFFSET, MAX_QUERY_CHARS, MAX_QUERY_TERMS};

use std::path::{Path, PathBuf};

use detcat_model::Vendor;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::corpus::Corpus;
use crate::error::CatalogError;
use crate::ingest::{BuildOptions, BuildReport};
use crate::schema::SCHEMA_VERSION;
use crate::views::{RuleRef, TacticRef, TechniqueRef, VendorCounts};

/// Longest id or key a lookup accepts (technique, rule, field, event): longer input is
/// refused before any SQL (a 50,000-character id made SQLite refuse its LIKE pattern).
pub const MAX_ID_CHARS: usize = 512;

/// How much of a catalog file readers map (address space, not memory: pages are shared
/// with the page cache). The full corpus' catalog is ~115 MB.
const CATALOG_MMAP_BYTES: i64 = 1 << 30;

/// Options shared by the statistics queries.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueryOptions {
    /// Count deprecated and unsupported rules too (left out by default, SPEC 1).
    pub include_deprecated: bool,
}

/// An open catalog.
pub struct Catalog {
    conn: Connection,
    origin: String,
    /// Known field names, loaded at the first lookup (see `fields.rs`).
    fields: std::cell::OnceCell<fields::FieldIndex>,
    /// The similarity index (issue 13), loaded at first use; shared by catalogs of one pool.
    similarity: crate::similar::SharedIndex,
    /// Distinct triple values for `value:` searches, loaded at the first (see `values.rs`).
    values: std::cell::OnceCell<values::ValueIndex>,
    /// Whether the catalog has each table that older catalogs lack, asked of SQLite once per
    /// table ([`Catalog::has_table`]): a catalog does not change under an open connection,
    /// and every technique page asked two or three times (~12 k instructions each).
    tables: std::cell::RefCell<Vec<(&'static str, bool)>>,
}

impl Catalog {
    /// Opens a catalog file read-only and checks its schema version.
    pub fn open(path: &Path) -> Result<Catalog, CatalogError> {
        if !path.exists() {
            return Err(CatalogError::CatalogMissing(path.to_path_buf()));
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| not_a_catalog(path, e.to_string()))?;
        check_schema(&conn, path)?;
        // Pages are read from a mapping of the file, not copied into SQLite's cache one
        // `pread` at a time (a technique page reads a few hundred). A catalog is never
        // changed in place — a build writes a new file and renames it over the old one — so
        // no mapped page can be truncated under a reader.
        conn.pragma_update(None, "mmap_size", CATALOG_MMAP_BYTES)?;
        Ok(Catalog {
            conn,
            origin: path.display().to_string(),
            fields: Default::default(),
            similarity: Default::default(),
            values: Default::default(),
            tables: Default::default(),
        })
    }

    /// The embedded demo corpus, built into memory (it takes milliseconds).
    pub fn demo() -> Result<Catalog, CatalogError> {
        let (conn, _) = crate::ingest::build_in_memory(&Corpus::demo(), &BuildOptions::default())?;
        Ok(Catalog {
            conn,
            origin: "demo (embedded)".to_owned(),
            fields: Default::default(),
            similarity: Default::default(),
            values: Default::default(),
            tables: Default::default(),
        })
    }

    /// Wraps an already built connection (tests, in-memory builds).
    pub fn from_connection(
        conn: Connection,
        origin: impl Into<String>,
    ) -> Result<Catalog, CatalogError> {
        check_schema(&conn, Path::new("<memory>"))?;
        Ok(Catalog {
            conn,
            origin: origin.into(),
            fields: Default::default(),
            similarity: Default::default(),
            values: Default::default(),
            tables: Default::default(),
        })
    }

    /// `--catalog FILE` when given; else `./detcat.db` when present; else the embedded demo.
    pub fn open_default(path: Option<&Path>) -> Result<Catalog, CatalogError> {
        match path {
            Some(p) => Catalog::open(p),
            None => {
                let default = PathBuf::from("detcat.db");
                if default.exists() {
                    Catalog::open(&default)
                } else {
                    Catalog::demo()
                }
            }
        }
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The connection, for the catalog's own modules: SQL stays in this crate.
    pub(crate) fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The connection, for tests that check the stored tables with SQL (feature `test-sql`).
    #[cfg(feature = "test-sql")]
    #[doc(hidden)]
    pub fn sql_for_tests(&self) -> &Connection {
        &self.conn
    }

    /// A handle that interrupts the query running on this catalog from another thread
    /// (a request past its deadline, a client gone away).
    pub fn interrupt_handle(&self) -> rusqlite::InterruptHandle {
        self.conn.get_interrupt_handle()
    }

    /// The in-memory index of field names, loaded once per open catalog.
    fn field_index(&self) -> Result<&fields::FieldIndex, CatalogError> {
        if let Some(index) = self.fields.get() {
            return Ok(index);
        }
        let index = fields::FieldIndex::load(&self.conn)?;
        Ok(self.fields.get_or_init(|| index))
    }

    /// The in-memory index of triple values, loaded once per open catalog.
    fn value_index(&self) -> Result<&values::ValueIndex, CatalogError> {
        if let Some(index) = self.values.get() {
            return Ok(index);
        }
        let index = values::ValueIndex::load(&self.conn)?;
        Ok(self.values.get_or_init(|| index))
    }

    /// The report the build wrote (counts per vendor, coverage, timings).
    pub fn report(&self) -> Result<BuildReport, CatalogError> {
        let json: String =
            self.conn
                .query_row("SELECT value FROM meta WHERE key = 'report'", [], |r| {
                    r.get(0)
                })?;
        Ok(serde_json::from_str(&json)?)
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>, CatalogError> {
        // Cached: every technique page asks for the ATT&CK release, and preparing the
        // statement each time was ~5% of a page's render.
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// All technique ids with at least one rule (for exports and benchmarks).
    pub fn technique_ids(&self) -> Result<Vec<String>, CatalogError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM techniques WHERE NOT revoked ORDER BY id")?;
        let ids = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }

    /// Every rule as (vendor, id), for exports.
    pub fn rule_keys(&self) -> Result<Vec<(String, String)>, CatalogError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT vendor, id FROM rules ORDER BY vendor, id")?;
        let keys = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(keys)
    }

    pub(crate) fn tactic_refs(&self, ids: &[String]) -> Result<Vec<TacticRef>, CatalogError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, shortname, name FROM tactics WHERE id = ?1")?;
        let mut out = Vec::new();
        for id in ids {
            let t = stmt
                .query_row([id], |r| {
                    Ok(TacticRef {
                        id: r.get(0)?,
                        shortname: r.get(1)?,
                        name: r.get(2)?,
                    })
                })
                .optional()?;
            out.push(t.unwrap_or_else(|| TacticRef {
                id: id.clone(),
                shortname: id.clone(),
                name: id.clone(),
            }));
        }
        Ok(out)
    }

    pub(crate) fn technique_ref(&self, id: &str) -> Result<TechniqueRef, CatalogError> {
        let name: Option<String> = self
            .conn
            .prepare_cached("SELECT name FROM techniques WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        Ok(TechniqueRef {
            id: id.to_owned(),
            name: name.unwrap_or_default(),
        })
    }

    /// Looks an id up in a way a 404 page can use: a revoked technique's replacement, or
    /// the closest known technique/rule id.
    pub fn suggest(&self, wanted: &str) -> Result<Option<(String, String)>, CatalogError> {
        let upper = wanted.trim().to_ascii_uppercase();
        // Ids are short; a longer key is no id, and each shorter prefix would cost a query.
        if upper.chars().count() > MAX_ID_CHARS {
            return Ok(None);
        }
        let revoked: Option<Option<String>> = self
            .conn
            .prepare_cached("SELECT revoked_by FROM techniques WHERE id = ?1 AND revoked")?
            .query_row([&upper], |r| r.get(0))
            .optional()?;
        if let Some(Some(by)) = revoked {
            let name = self.technique_ref(&by)?.name;
            return Ok(Some((by, name)));
        }
        // Nearest by prefix: T1059.999 → T1059; then by title words.
        let mut prefix = upper.as_str();
        while !prefix.is_empty() {
            let found: Option<(String, String)> = self
                .conn
                .prepare_cached("SELECT id, name FROM techniques WHERE id LIKE ?1 || '%' ESCAPE '\\' AND NOT revoked ORDER BY length(id), id LIMIT 1")?
                .query_row([search::like_escape(prefix)], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if found.is_some() {
                return Ok(found);
            }
            prefix =
                &prefix[..prefix.len() - prefix.chars().last().map(char::len_utf8).unwrap_or(1)];
            if prefix.len() < 2 {
                break;
            }
        }
        Ok(None)
    }
}

/// One read transaction over the statements of a page: they see one snapshot, and SQLite
/// takes its file lock and checks the file header once, not once per statement (a technique
/// page runs about 30). Within a transaction already open it does nothing.
pub(crate) struct ReadSnapshot<'c> {
    conn: Option<&'c Connection>,
}

impl<'c> ReadSnapshot<'c> {
    pub(crate) fn begin(conn: &'c Connection) -> Result<Self, CatalogError> {
        if !conn.is_autocommit() {
            return Ok(ReadSnapshot { conn: None });
        }
        conn.execute_batch("BEGIN DEFERRED")?;
        Ok(ReadSnapshot { conn: Some(conn) })
    }
}

impl Drop for ReadSnapshot<'_> {
    fn drop(&mut self) {
        // A read transaction has nothing to lose: ending it cannot fail in a way that matters.
        if let Some(conn) = self.conn {
            let _ = conn.execute_batch("COMMIT");
        }
    }
}

fn not_a_catalog(path: &Path, reason: String) -> CatalogError {
    CatalogError::NotACatalog {
        path: path.to_path_buf(),
        reason,
    }
}

/// Whether the database of `conn` has the table `name`. Tables added by later builds
/// (`recordings`, `field_summary`, `technique_pages`, `analytic_taxonomy`) are asked for
/// before they are read.
pub(crate) fn table_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
    )?
    .query_row([name], |r| r.get(0))
}

impl Catalog {
    /// Whether the catalog has table `name`, remembered after the first answer.
    pub(crate) fn has_table(&self, name: &'static str) -> rusqlite::Result<bool> {
        if let Some(&(_, has)) = self.tables.borrow().iter().find(|(n, _)| *n == name) {
            return Ok(has);
        }
        let has = table_exists(&self.conn, name)?;
        self.tables.borrow_mut().push((name, has));
        Ok(has)
    }
}

fn check_schema(conn: &Connection, path: &Path) -> Result<(), CatalogError> {
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| not_a_catalog(path, format!("not a readable SQLite database: {e}")))?;
    let has_meta = table_exists(conn, "meta")
        .map_err(|e| not_a_catalog(path, format!("not a readable SQLite database: {e}")))?;
    if !has_meta {
        return Err(not_a_catalog(
            path,
            "it has no detcat meta table".to_owned(),
        ));
    }
    if version != SCHEMA_VERSION {
        return Err(CatalogError::SchemaVersion {
            path: path.to_path_buf(),
            found: version,
            expected: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Longest rule title a list shows (technique pages, search, reverse indexes): one rule with
/// a 3.9 MB title made every page that lists it megabytes long. The rule page keeps it whole.
pub const MAX_LISTED_TITLE_CHARS: usize = 300;

/// `text` cut to `max` characters with a visible marker saying how much was left out.
pub fn truncate_text(text: String, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text,
        Some((cut, _)) => {
            let total = text.chars().count();
            format!("{}… [truncated: {total} characters]", &text[..cut])
        }
    }
}

/// Rules per vendor of a rule list.
pub(crate) fn count_by_vendor(rules: &[RuleRef]) -> VendorCounts {
    rules.iter().map(|r| (r.vendor, 1)).collect()
}

/// Column `idx` of `row`, the stored name of a model enum (`lifecycle`, `parse_status`,
/// `role`, `severity`, `operator`) read back through the enum's serde names.
pub(crate) fn enum_at<T: serde::de::DeserializeOwned>(
    row: &rusqlite::Row<'_>,
    idx: usize,
) -> rusqlite::Result<T> {
    use serde::de::IntoDeserializer;
    let text: String = row.get(idx)?;
    let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
        text.as_str().into_deserializer();
    T::deserialize(de).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// [`enum_at`] by column name.
pub(crate) fn enum_col<T: serde::de::DeserializeOwned>(
    row: &rusqlite::Row<'_>,
    col: &str,
) -> rusqlite::Result<T> {
    enum_at(row, row.as_ref().column_index(col)?)
}

/// Reads a `RuleRef` from columns vendor, id, title, path, lifecycle, parse_status.
pub(crate) fn rule_ref(row: &rusqlite::Row<'_>) -> rusqlite::Result<RuleRef> {
    Ok(RuleRef {
        vendor: vendor_col(row, 0)?,
        id: row.get(1)?,
        title: truncate_text(row.get(2)?, MAX_LISTED_TITLE_CHARS),
        path: row.get(3)?,
        lifecycle: enum_at(row, 4)?,
        parse_status: enum_at(row, 5)?,
    })
}

/// A JSON list column (`tactics`, `refs`, `vals`, …) decoded; text that is no JSON list of
/// strings is an error of the row (it was once read as an empty list, hiding a broken build).
pub(crate) fn json_vec(s: &str) -> rusqlite::Result<Vec<String>> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Column `col` of `row`, a JSON text decoded into `T`; a decode error names the column.
pub(crate) fn json_col<T: serde::de::DeserializeOwned>(
    row: &rusqlite::Row<'_>,
    col: &str,
) -> rusqlite::Result<T> {
    let idx = row.as_ref().column_index(col)?;
    json_at(row, idx)
}

/// Column `idx` of `row`, a JSON text decoded into `T` where SQLite holds it (not copied into
/// a `String` first: a technique's ATT&CK data is up to ~15 KB); a decode error, or a value
/// that is no text, names the column.
pub(crate) fn json_at<T: serde::de::DeserializeOwned>(
    row: &rusqlite::Row<'_>,
    idx: usize,
) -> rusqlite::Result<T> {
    decoded_at(row, idx, rusqlite::types::Type::Text, |v| {
        Ok(serde_json::from_str(v.as_str()?)?)
    })
}

/// Column `idx` of `row`, a `postcard` blob (`technique_pages.page`) decoded into `T` where
/// SQLite holds it; a decode error, or a value that is no blob, names the column.
pub(crate) fn postcard_at<T: serde::de::DeserializeOwned>(
    row: &rusqlite::Row<'_>,
    idx: usize,
) -> rusqlite::Result<T> {
    decoded_at(row, idx, rusqlite::types::Type::Blob, |v| {
        Ok(postcard::from_bytes(v.as_blob()?)?)
    })
}

/// Column `idx` of `row` as `decode` reads it from SQLite's own copy; its error is the
/// column's (of kind `kind`).
fn decoded_at<T>(
    row: &rusqlite::Row<'_>,
    idx: usize,
    kind: rusqlite::types::Type,
    decode: impl FnOnce(
        rusqlite::types::ValueRef<'_>,
    ) -> Result<T, Box<dyn std::error::Error + Send + Sync>>,
) -> rusqlite::Result<T> {
    decode(row.get_ref(idx)?).map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, kind, e))
}

/// Column `idx` of `row`, a vendor name (`rules.vendor`) as a [`Vendor`].
pub(crate) fn vendor_col(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Vendor> {
    parse_vendor(idx, &row.get::<_, String>(idx)?)
}

fn parse_vendor(idx: usize, name: &str) -> rusqlite::Result<Vendor> {
    Vendor::parse(name).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            format!("unknown vendor '{name}'").into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_snapshot_spans_the_page_and_ends_with_it() {
        let catalog = Catalog::demo().unwrap();
        let conn = catalog.connection();
        {
            let _snapshot = ReadSnapshot::begin(conn).unwrap();
            assert!(!conn.is_autocommit(), "the snapshot opened a transaction");
        }
        assert!(conn.is_autocommit(), "dropping the snapshot ended it");
        let page = catalog
            .technique("T1059.001", QueryOptions::default())
            .unwrap();
        assert!(page.is_some());
        assert!(conn.is_autocommit(), "a page leaves no transaction open");
    }

    #[test]
    fn a_read_snapshot_inside_a_transaction_leaves_it_open() {
        let catalog = Catalog::demo().unwrap();
        let conn = catalog.connection();
        conn.execute_batch("BEGIN").unwrap();
        assert!(
            catalog
                .technique("T1059.001", QueryOptions::default())
                .unwrap()
                .is_some()
        );
        assert!(
            !conn.is_autocommit(),
            "the caller's transaction is still open"
        );
        conn.execute_batch("COMMIT").unwrap();
    }

    #[test]
    fn table_exists_answers_for_present_and_absent_tables() {
        let catalog = Catalog::demo().unwrap();
        let conn = catalog.connection();
        assert!(table_exists(conn, "meta").unwrap());
        assert!(table_exists(conn, "technique_pages").unwrap());
        assert!(!table_exists(conn, "no_such_table").unwrap());
        // An index is no table.
        assert!(!table_exists(conn, "rule_techniques_rid").unwrap());
    }

    #[test]
    fn has_table_answers_as_sqlite_does_and_asks_once() {
        let catalog = Catalog::demo().unwrap();
        for _ in 0..2 {
            assert!(catalog.has_table("technique_pages").unwrap());
            assert!(!catalog.has_table("no_such_table").unwrap());
            assert!(!catalog.has_table("rule_techniques_rid").unwrap());
        }
        assert_eq!(
            catalog.tables.borrow().as_slice(),
            [
                ("technique_pages", true),
                ("no_such_table", false),
                ("rule_techniques_rid", false)
            ]
        );
    }

    #[test]
    fn truncation_is_visible_and_char_safe() {
        assert_eq!(truncate_text("short".into(), 10), "short");
        let cut = truncate_text("é".repeat(20), 5);
        assert_eq!(cut, "ééééé… [truncated: 20 characters]");
    }
}

//! Bulk inserts of many small rows, several rows per statement.
//!
//! Each `INSERT` execution costs a statement reset, a VDBE start and a step on top of its
//! rows; for the triples (108k rows of 9 columns) that was about a fifth of their insert
//! time. One statement of [`ROWS`] rows pays it once per group (profiled: `write_triples`
//! ~0.8x of its CPU samples at 16 rows against 1). The rows and their order are the same.
//!
//! Write `INSERT OR FAIL` (or `OR IGNORE`), not `INSERT`: a statement of several rows that
//! may abort half-way opens a statement savepoint, and on a connection holding pending FTS5
//! rows each savepoint makes FTS5 flush them — a segment per statement instead of one at the
//! end (the index came out differently built while the catalog's connection filled it; the
//! search writer, `search_index.rs`, now does on its own). With `FAIL` nothing is undone on
//! an error, which fails the whole build anyway, and no savepoint is opened.

use rusqlite::types::{ToSqlOutput, Value};
use rusqlite::{ToSql, Transaction};

use super::borrowed_insert::BorrowedInsert;
use crate::error::CatalogError;

/// Rows per statement: 16 rows of the widest table here (11 columns) bind 176 parameters,
/// far below SQLite's 32,766.
const ROWS: usize = 16;

/// Collects one row group's values in column order (see [`insert_rows`]); SQLite reads them
/// where they are (`borrowed_insert.rs`), so they borrow the rows for `'r`.
pub(super) struct RowBinder<'r> {
    values: Vec<ToSqlOutput<'r>>,
}

impl<'r> RowBinder<'r> {
    /// Binds the next column's value.
    pub fn bind<T: ToSql + ?Sized>(&mut self, value: &'r T) -> rusqlite::Result<()> {
        self.values.push(value.to_sql()?);
        Ok(())
    }

    /// Binds the next column to a value made for the row (a number, a NULL).
    pub fn bind_value(&mut self, value: impl Into<Value>) {
        self.values.push(ToSqlOutput::Owned(value.into()));
    }
}

/// Inserts `rows` with `insert` (`INSERT INTO table`, `INSERT OR FAIL INTO table`, …) into
/// `columns`, in order, [`ROWS`] rows per statement and the rest one by one; `bind` binds one
/// row's values, one [`RowBinder::bind`] or [`RowBinder::bind_value`] per column.
pub(super) fn insert_rows<T>(
    tx: &Transaction<'_>,
    insert: &str,
    columns: &[&str],
    rows: impl IntoIterator<Item = T>,
    mut bind: impl for<'r> FnMut(&mut RowBinder<'r>, &'r T) -> rusqlite::Result<()>,
) -> Result<(), CatalogError> {
    let sql = |n: usize| {
        let one = format!("({})", vec!["?"; columns.len()].join(","));
        format!(
            "{insert} ({}) VALUES {}",
            columns.join(", "),
            vec![one; n].join(",")
        )
    };
    let mut many = BorrowedInsert::prepare(tx, &sql(ROWS))?;
    let mut group: Vec<T> = Vec::with_capacity(ROWS);
    let mut rows = rows.into_iter();
    loop {
        group.clear();
        group.extend(rows.by_ref().take(ROWS));
        if group.len() < ROWS {
            break;
        }
        let mut binder = RowBinder {
            values: Vec::with_capacity(ROWS * columns.len()),
        };
        for row in &group {
            bind(&mut binder, row)?;
        }
        many.execute(&binder.values)?;
    }
    if !group.is_empty() {
        let mut one = BorrowedInsert::prepare(tx, &sql(1))?;
        for row in &group {
            let mut binder = RowBinder {
                values: Vec::with_capacity(columns.len()),
            };
            bind(&mut binder, row)?;
            one.execute(&binder.values)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn stored(n: usize) -> Vec<(i64, String)> {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a INTEGER, b TEXT)")
            .unwrap();
        let tx = conn.transaction().unwrap();
        let rows: Vec<(i64, String)> = (0..n as i64).map(|i| (i, format!("v{i}"))).collect();
        insert_rows(
            &tx,
            "INSERT INTO t",
            &["a", "b"],
            rows.iter(),
            |b, (a, v)| {
                b.bind(a)?;
                b.bind(v.as_str())
            },
        )
        .unwrap();
        tx.commit().unwrap();
        let mut stmt = conn.prepare("SELECT a, b FROM t ORDER BY rowid").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn every_row_is_stored_once_in_order_whatever_the_count() {
        for n in [0, 1, ROWS - 1, ROWS, ROWS + 1, 3 * ROWS + 5] {
            let expected: Vec<(i64, String)> =
                (0..n as i64).map(|i| (i, format!("v{i}"))).collect();
            assert_eq!(stored(n), expected, "{n} rows");
        }
    }
}

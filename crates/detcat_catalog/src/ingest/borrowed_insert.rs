//! A prepared statement whose text values SQLite reads where they are, without a copy.
//!
//! rusqlite binds every text and blob `SQLITE_TRANSIENT`: SQLite allocates, copies and later
//! frees each value — ~340 instructions per value, and a Sigma-only build binds ~560,000
//! (~6% of its instructions, cachegrind). [`BorrowedInsert::execute`] binds a whole row
//! group `SQLITE_STATIC`, steps the statement once, resets it and clears every binding before
//! it returns, so SQLite never holds a pointer past the borrow of the values it was given.
//!
//! The one module of the crate with unsafe code: calls into SQLite's C API (`rusqlite::ffi`)
//! on the connection's own handle.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_int};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql, ffi};

/// A prepared statement of `conn`, finalized on drop; not `Send` (it holds raw pointers), so it
/// stays on the connection's thread.
pub(super) struct BorrowedInsert<'c> {
    db: *mut ffi::sqlite3,
    stmt: NonNull<ffi::sqlite3_stmt>,
    parameters: usize,
    _conn: PhantomData<&'c Connection>,
}

impl<'c> BorrowedInsert<'c> {
    /// Prepares `sql` (one statement that returns no rows) on `conn`.
    pub fn prepare(conn: &'c Connection, sql: &str) -> rusqlite::Result<Self> {
        let len = c_int::try_from(sql.len()).map_err(|_| rusqlite::Error::InvalidQuery)?;
        // SAFETY: the handle is `conn`'s open database, which the borrow `'c` keeps open for
        // as long as this statement lives.
        let db = unsafe { conn.handle() };
        let mut stmt = ptr::null_mut();
        // SAFETY: `sql` is valid for `len` bytes (SQLite copies what it keeps); `stmt` is a
        // valid out pointer; a null tail pointer is allowed.
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                db,
                sql.as_ptr().cast(),
                len,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &raw mut stmt,
                ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(failure(db, rc));
        }
        let stmt = NonNull::new(stmt).ok_or(rusqlite::Error::InvalidQuery)?;
        // SAFETY: `stmt` is a statement just prepared.
        let parameters = unsafe { ffi::sqlite3_bind_parameter_count(stmt.as_ptr()) };
        Ok(Self {
            db,
            stmt,
            parameters: usize::try_from(parameters).unwrap_or(0),
            _conn: PhantomData,
        })
    }

    /// Runs the statement once with `values` bound to its parameters in order (there must be
    /// exactly as many), then unbinds them.
    pub fn execute(&mut self, values: &[ToSqlOutput<'_>]) -> rusqlite::Result<()> {
        if values.len() != self.parameters {
            return Err(rusqlite::Error::InvalidParameterCount(
                values.len(),
                self.parameters,
            ));
        }
        let stmt = self.stmt.as_ptr();
        let outcome = values
            .iter()
            .enumerate()
            .try_for_each(|(i, value)| self.bind(i + 1, value))
            .and_then(|()| {
                // SAFETY: every parameter is bound to a value that `values` borrows for the
                // whole of this call.
                let rc = unsafe { ffi::sqlite3_step(stmt) };
                match rc {
                    ffi::SQLITE_DONE => Ok(()),
                    ffi::SQLITE_ROW => Err(rusqlite::Error::ExecuteReturnedResults),
                    // `sqlite3_reset` returns the step's error code (extended, for a
                    // constraint), its message stays on the connection.
                    // SAFETY: `stmt` is a valid statement.
                    _ => Err(failure(self.db, unsafe { ffi::sqlite3_reset(stmt) })),
                }
            });
        // SAFETY: `stmt` is a valid statement. Resetting after an error is harmless; clearing
        // the bindings drops every pointer into `values` before their borrow ends.
        unsafe {
            ffi::sqlite3_reset(stmt);
            ffi::sqlite3_clear_bindings(stmt);
        }
        outcome
    }

    /// [`BorrowedInsert::execute`] with values as `params!` gives them.
    pub fn execute_params(&mut self, params: &[&dyn ToSql]) -> rusqlite::Result<()> {
        let values = params
            .iter()
            .map(|p| p.to_sql())
            .collect::<rusqlite::Result<Vec<_>>>()?;
        self.execute(&values)
    }

    fn bind(&self, index: usize, value: &ToSqlOutput<'_>) -> rusqlite::Result<()> {
        let value = match value {
            ToSqlOutput::Borrowed(value) => *value,
            ToSqlOutput::Owned(value) => ValueRef::from(value),
            _ => {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "a value of a kind bulk inserts do not bind".into(),
                ));
            }
        };
        let index = c_int::try_from(index).map_err(|_| rusqlite::Error::InvalidQuery)?;
        let stmt = self.stmt.as_ptr();
        let too_big = |_| rusqlite::Error::ToSqlConversionFailure("a value over 2 GiB".into());
        // SAFETY: `stmt` is a valid statement and `index` one of its parameters (checked by
        // the count in `execute`). Texts and blobs are bound `SQLITE_STATIC`: valid for
        // `len` bytes for the whole of `execute`, which clears the binding before returning.
        let rc = unsafe {
            match value {
                ValueRef::Null => ffi::sqlite3_bind_null(stmt, index),
                ValueRef::Integer(i) => ffi::sqlite3_bind_int64(stmt, index, i),
                ValueRef::Real(r) => ffi::sqlite3_bind_double(stmt, index, r),
                ValueRef::Text(text) => {
                    let len = c_int::try_from(text.len()).map_err(too_big)?;
                    ffi::sqlite3_bind_text(
                        stmt,
                        index,
                        text.as_ptr().cast(),
                        len,
                        ffi::SQLITE_STATIC(),
                    )
                }
                ValueRef::Blob(blob) => {
                    let len = c_int::try_from(blob.len()).map_err(too_big)?;
                    ffi::sqlite3_bind_blob(
                        stmt,
                        index,
                        blob.as_ptr().cast(),
                        len,
                        ffi::SQLITE_STATIC(),
                    )
                }
            }
        };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(failure(self.db, rc))
        }
    }
}

impl Drop for BorrowedInsert<'_> {
    fn drop(&mut self) {
        // SAFETY: `stmt` was prepared on this connection and is finalized once, here.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

/// The error `rc` of the connection `db`, with SQLite's message for it.
fn failure(db: *mut ffi::sqlite3, rc: c_int) -> rusqlite::Error {
    // SAFETY: `db` is an open connection; its message is a NUL-terminated string valid until
    // the next call on the connection, copied here at once.
    let message = unsafe {
        let text = ffi::sqlite3_errmsg(db);
        (!text.is_null()).then(|| CStr::from_ptr(text).to_string_lossy().into_owned())
    };
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), message)
}

#[cfg(test)]
mod tests {
    use rusqlite::types::Value;

    use super::*;

    fn table() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a INTEGER, b TEXT UNIQUE, c REAL, d BLOB)")
            .unwrap();
        conn
    }

    /// A stored row of the test table `t`.
    type Row = (Option<i64>, Option<String>, Option<f64>, Option<Vec<u8>>);

    fn rows(conn: &Connection) -> Vec<Row> {
        let mut stmt = conn
            .prepare("SELECT a, b, c, d FROM t ORDER BY rowid")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn every_kind_of_value_is_stored_as_given() {
        let conn = table();
        let mut insert =
            BorrowedInsert::prepare(&conn, "INSERT INTO t VALUES (?, ?, ?, ?)").unwrap();
        for i in 0..3 {
            // Texts freed right after each execute: SQLite must have stored copies.
            let text = format!("välue {i}");
            let blob = vec![i as u8; 3];
            insert
                .execute(&[
                    ToSqlOutput::Owned(Value::Integer(i)),
                    ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
                    ToSqlOutput::Owned(Value::Real(0.5)),
                    ToSqlOutput::Borrowed(ValueRef::Blob(&blob)),
                ])
                .unwrap();
        }
        insert
            .execute(&[
                ToSqlOutput::Borrowed(ValueRef::Null),
                ToSqlOutput::Borrowed(ValueRef::Text(b"")),
                ToSqlOutput::Owned(Value::Null),
                ToSqlOutput::Owned(Value::Null),
            ])
            .unwrap();
        drop(insert);
        let stored = rows(&conn);
        assert_eq!(stored.len(), 4);
        assert_eq!(
            stored[1],
            (Some(1), Some("välue 1".into()), Some(0.5), Some(vec![1; 3]))
        );
        // An empty text is an empty string, not NULL.
        assert_eq!(stored[3], (None, Some(String::new()), None, None));
    }

    #[test]
    fn a_wrong_count_or_a_failing_row_is_an_error_and_binds_nothing_after() {
        let conn = table();
        let mut insert =
            BorrowedInsert::prepare(&conn, "INSERT INTO t (a, b) VALUES (?, ?)").unwrap();
        let one = [ToSqlOutput::Owned(Value::Integer(1))];
        assert!(matches!(
            insert.execute(&one),
            Err(rusqlite::Error::InvalidParameterCount(1, 2))
        ));
        let row = |b: &'static str| {
            [
                ToSqlOutput::Owned(Value::Integer(1)),
                ToSqlOutput::Borrowed(ValueRef::Text(b.as_bytes())),
            ]
        };
        insert.execute(&row("x")).unwrap();
        match insert.execute(&row("x")) {
            Err(rusqlite::Error::SqliteFailure(e, Some(message))) => {
                assert_eq!(e.code, rusqlite::ErrorCode::ConstraintViolation);
                assert!(message.contains("UNIQUE"), "{message}");
            }
            other => panic!("expected a constraint failure, got {other:?}"),
        }
        // The statement is usable again after the failure.
        insert.execute(&row("y")).unwrap();
        drop(insert);
        assert_eq!(rows(&conn).len(), 2);
    }

    #[test]
    fn a_statement_that_does_not_prepare_is_an_error() {
        let conn = table();
        assert!(BorrowedInsert::prepare(&conn, "INSERT INTO missing VALUES (?)").is_err());
        assert!(BorrowedInsert::prepare(&conn, "").is_err());
        let mut select = BorrowedInsert::prepare(&conn, "SELECT 1").unwrap();
        assert!(matches!(
            select.execute(&[]),
            Err(rusqlite::Error::ExecuteReturnedResults)
        ));
    }
}

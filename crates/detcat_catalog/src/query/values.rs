//! The values of the `triples` table, held in memory per connection, for `value:` searches.
//!
//! `value:V` finds the rules with a selector, indicator or exclusion whose canonical value
//! contains `V` (ASCII case-insensitive, as SQL `LIKE` compares) or whose value as written
//! is exactly `V`. A substring cannot use an index, so each such search used to scan the
//! whole `triples` table (~50 ms on the full corpus, twice per page: count and rows), and a
//! field page links one per value — a crawl of the full site made tens of thousands. The
//! catalog never changes while it is open: one scan at first use builds this index, and a
//! search is then a pass over the distinct values (~50k on the full corpus) in memory.

use std::collections::HashMap;

use rusqlite::Connection;

use crate::error::CatalogError;

/// One row of `triples`, by number.
#[derive(Debug, Clone, Copy)]
struct Occurrence {
    rid: i64,
    field: u32,
    raw_field: u32,
}

/// Distinct values with the rows that hold them.
#[derive(Debug, Default)]
pub(crate) struct ValueIndex {
    /// Distinct canonical values, ASCII lower case (what `LIKE` compares).
    folded: Vec<Box<str>>,
    /// Rows of each distinct value: `rows[starts[i]..starts[i + 1]]`.
    starts: Vec<u32>,
    rows: Vec<Occurrence>,
    /// Values as written → their rows.
    originals: HashMap<Box<str>, Vec<Occurrence>>,
    /// Field names (canonical and raw) by number.
    field_names: HashMap<Box<str>, u32>,
}

impl ValueIndex {
    /// One pass over `triples`.
    pub(crate) fn load(conn: &Connection) -> Result<ValueIndex, CatalogError> {
        let mut index = ValueIndex::default();
        let mut by_value: HashMap<Box<str>, Vec<Occurrence>> = HashMap::new();
        let mut stmt =
            conn.prepare("SELECT rid, field, raw_field, value, original FROM triples")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let occ = Occurrence {
                rid: r.get(0)?,
                field: index.field_number(text(r, 1)?),
                raw_field: index.field_number(text(r, 2)?),
            };
            let value = text(r, 3)?;
            match by_value.get_mut(value) {
                Some(list) => list.push(occ),
                None => {
                    by_value.insert(value.into(), vec![occ]);
                }
            }
            let original = text(r, 4)?;
            match index.originals.get_mut(original) {
                Some(list) => list.push(occ),
                None => {
                    index.originals.insert(original.into(), vec![occ]);
                }
            }
        }
        index.starts.reserve(by_value.len() + 1);
        for (value, list) in by_value {
            index.starts.push(index.rows.len() as u32);
            index
                .folded
                .push(value.to_ascii_lowercase().into_boxed_str());
            index.rows.extend(list);
        }
        index.starts.push(index.rows.len() as u32);
        Ok(index)
    }

    fn field_number(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.field_names.get(name) {
            return n;
        }
        let n = self.field_names.len() as u32;
        self.field_names.insert(name.into(), n);
        n
    }

    /// The rules (rids, ascending) with a triple whose canonical value contains `value`
    /// (lower-cased, then compared ASCII case-insensitively, as `value LIKE '%…%'`) or whose
    /// value as written is `value`; with `fields` given, only triples whose canonical or
    /// raw field is one of them.
    pub(crate) fn rids(&self, value: &str, fields: &[String]) -> Vec<i64> {
        let wanted: Option<Vec<u32>> = (!fields.is_empty()).then(|| {
            fields
                .iter()
                .filter_map(|f| self.field_names.get(f.as_str()).copied())
                .collect()
        });
        let keep = |o: &Occurrence| {
            wanted
                .as_ref()
                .is_none_or(|w| w.contains(&o.field) || w.contains(&o.raw_field))
        };
        let needle = value.to_lowercase().to_ascii_lowercase();
        let mut out: Vec<i64> = Vec::new();
        for (i, folded) in self.folded.iter().enumerate() {
            if !folded.contains(needle.as_str()) {
                continue;
            }
            let (Some(&start), Some(&end)) = (self.starts.get(i), self.starts.get(i + 1)) else {
                continue;
            };
            if let Some(rows) = self.rows.get(start as usize..end as usize) {
                out.extend(rows.iter().filter(|o| keep(o)).map(|o| o.rid));
            }
        }
        if let Some(rows) = self.originals.get(value) {
            out.extend(rows.iter().filter(|o| keep(o)).map(|o| o.rid));
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Column `i` of `r` as text, borrowed.
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    r.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Rids as an SQL list (`1, 2, 3`; empty for none, which `IN ()` accepts). Integers only,
/// so nothing from the request reaches the SQL text.
pub(crate) fn sql_list(rids: &[i64]) -> String {
    let mut out = String::with_capacity(rids.len() * 6);
    for (i, rid) in rids.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&rid.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> ValueIndex {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE triples (rid INTEGER, field TEXT, raw_field TEXT, value TEXT, original TEXT);
             INSERT INTO triples VALUES
               (1, 'process.name', 'Image', 'regsvr32.exe', '\\regsvr32.exe'),
               (2, 'process.name', 'process.name', 'REGSVR32.EXE', 'REGSVR32.EXE'),
               (3, 'process.command_line', 'CommandLine', '*scrobj.dll*', 'scrobj.dll'),
               (3, 'process.name', 'Image', 'mshta.exe', 'mshta.exe'),
               (4, 'file.path', 'TargetFilename', '?:\\windows\\x_y%z', 'C:\\Windows\\x_y%z');",
        )
        .unwrap();
        ValueIndex::load(&conn).unwrap()
    }

    #[test]
    fn substring_of_the_canonical_value_in_any_ascii_case() {
        let i = index();
        assert_eq!(i.rids("regsvr32", &[]), [1, 2]);
        assert_eq!(i.rids("RegSvr32.EXE", &[]), [1, 2]);
        assert_eq!(i.rids("scrobj.dll", &[]), [3]);
        assert!(i.rids("nothing", &[]).is_empty());
    }

    #[test]
    fn value_as_written_matches_exactly() {
        let i = index();
        // Not a substring of any canonical value (those hold `?:\`), but written so.
        assert_eq!(i.rids("C:\\Windows\\x_y%z", &[]), [4]);
        assert!(i.rids("c:\\windows\\x_y%z", &[]).is_empty());
        // `%` and `_` are literal characters, not patterns.
        assert_eq!(i.rids("x_y%", &[]), [4]);
        assert!(i.rids("x%y", &[]).is_empty());
    }

    #[test]
    fn fields_restrict_by_canonical_or_raw_name() {
        let i = index();
        assert_eq!(i.rids("exe", &["process.name".into()]), [1, 2, 3]);
        assert_eq!(i.rids("exe", &["Image".into()]), [1, 3]);
        assert!(i.rids("exe", &["file.path".into()]).is_empty());
        assert!(i.rids("exe", &["no.such.field".into()]).is_empty());
    }
}

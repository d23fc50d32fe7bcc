//! The names of the fields the catalog knows, held in memory per connection.
//!
//! Resolving a name a client typed (`field:Image`, `/field/image`) used to fall back to a
//! case-insensitive scan of `predicates`, so a search with thousands of unknown field names
//! was thousands of full scans. The catalog never changes while it is open, so one scan at
//! first use builds this index and every later lookup is a hash probe: an unknown field is
//! answered without touching SQLite.

use std::collections::HashMap;

use rusqlite::Connection;

use crate::error::CatalogError;

/// Field name → canonical field id, exact and case-folded.
#[derive(Debug, Default)]
pub(crate) struct FieldIndex {
    /// Canonical ids by their folded spelling (canonical ids win over vendor names).
    canonical: HashMap<String, String>,
    /// Vendor field names as written → the canonical id most predicates give them.
    exact: HashMap<String, String>,
    /// Vendor field names folded → the canonical id most predicates give them.
    folded: HashMap<String, String>,
}

impl FieldIndex {
    /// One pass over `canonical_fields` and one grouped pass over `predicates`.
    pub(crate) fn load(conn: &Connection) -> Result<FieldIndex, CatalogError> {
        let mut index = FieldIndex::default();
        let mut stmt = conn.prepare(
            // `keyword`: the pseudo-field of field-less keyword searches (triples only).
            "SELECT id FROM canonical_fields UNION SELECT DISTINCT canonical FROM predicates
             UNION SELECT 'keyword' WHERE EXISTS (SELECT 1 FROM triple_fields WHERE field = 'keyword')",
        )?;
        for id in stmt.query_map([], |r| r.get::<_, String>(0))? {
            let id = id?;
            index.canonical.entry(id.to_lowercase()).or_insert(id);
        }
        let mut stmt = conn.prepare(
            "SELECT field, canonical, count(*) AS n FROM predicates
             GROUP BY field, canonical ORDER BY n DESC, canonical",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (field, canonical) = row?;
            // Rows come most common first: the first canonical seen for a name is its answer.
            index
                .folded
                .entry(field.to_lowercase())
                .or_insert_with(|| canonical.clone());
            index.exact.entry(field).or_insert(canonical);
        }
        Ok(index)
    }

    /// The canonical id of `name`: a canonical id in any case, else a vendor field name as
    /// written, else in another case. `None` for a name no rule uses.
    pub(crate) fn resolve(&self, name: &str) -> Option<&str> {
        let folded = name.trim().to_lowercase();
        self.canonical
            .get(&folded)
            .or_else(|| self.exact.get(name.trim()))
            .or_else(|| self.folded.get(&folded))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> FieldIndex {
        let mut i = FieldIndex::default();
        i.canonical
            .insert("process.name".into(), "process.name".into());
        i.exact.insert("Image".into(), "process.path".into());
        i.exact.insert("image".into(), "file.path".into());
        i.folded.insert("image".into(), "process.path".into());
        i
    }

    #[test]
    fn canonical_ids_resolve_in_any_case() {
        assert_eq!(index().resolve("Process.Name"), Some("process.name"));
    }

    #[test]
    fn exact_spelling_wins_over_folded() {
        assert_eq!(index().resolve("image"), Some("file.path"));
        assert_eq!(index().resolve("IMAGE"), Some("process.path"));
    }

    #[test]
    fn unknown_fields_resolve_to_none() {
        assert_eq!(index().resolve("F0x"), None);
    }
}

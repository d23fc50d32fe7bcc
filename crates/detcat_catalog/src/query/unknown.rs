//! Technique ids rules name that the loaded ATT&CK release lacks (an ATT&CK v19 id such as
//! T1685 under v18.1): the matrix cannot place them, so they get a list of their own.

use super::{Catalog, QueryOptions};
use crate::error::CatalogError;
use crate::views::TechniqueCount;

impl Catalog {
    /// Technique ids named by rules but absent from the loaded ATT&CK data, with their rule
    /// counts, most rules first (`name` is empty: ATT&CK does not know them).
    pub fn unknown_techniques(
        &self,
        options: QueryOptions,
    ) -> Result<Vec<TechniqueCount>, CatalogError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT rt.technique_id, COUNT(DISTINCT rt.rid) AS n
                 FROM rule_techniques rt JOIN rules r ON r.rid = rt.rid
                 WHERE (?1 OR r.lifecycle = 'active')
                   AND NOT EXISTS (SELECT 1 FROM techniques t WHERE t.id = rt.technique_id)
                 GROUP BY rt.technique_id ORDER BY n DESC, rt.technique_id",
            )?
            .query_map([options.include_deprecated], |r| {
                Ok(TechniqueCount {
                    id: r.get(0)?,
                    name: String::new(),
                    rules: r.get(1)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?)
    }
}

impl Catalog {
    /// Every current sub-technique by parent id, with its active rules (of `vendor` when
    /// given), in id order: the matrix expands a cell into these.
    pub fn subtechnique_counts(
        &self,
        vendor: Option<&str>,
        options: QueryOptions,
    ) -> Result<std::collections::HashMap<String, Vec<TechniqueCount>>, CatalogError> {
        let mut out: std::collections::HashMap<String, Vec<TechniqueCount>> =
            std::collections::HashMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.parent, t.id, t.name,
                    (SELECT COUNT(DISTINCT r.rid) FROM rule_techniques rt JOIN rules r ON r.rid = rt.rid
                     WHERE rt.technique_id = t.id AND (?2 OR r.lifecycle = 'active')
                       AND (?1 IS NULL OR r.vendor = ?1))
             FROM techniques t WHERE t.parent IS NOT NULL AND NOT t.revoked AND NOT t.deprecated
             ORDER BY t.id",
        )?;
        let rows = stmt.query_map(rusqlite::params![vendor, options.include_deprecated], |r| {
            Ok((
                r.get::<_, String>(0)?,
                TechniqueCount {
                    id: r.get(1)?,
                    name: r.get(2)?,
                    rules: r.get(3)?,
                },
            ))
        })?;
        for row in rows {
            let (parent, sub) = row?;
            out.entry(parent).or_default().push(sub);
        }
        Ok(out)
    }
}

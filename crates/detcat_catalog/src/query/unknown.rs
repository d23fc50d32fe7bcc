//! Technique ids rules name that the loaded ATT&CK release lacks (an ATT&CK v19 id such as
//! T1685 under v18.1): the matrix cannot place them, so they get a list of their own.

use super::{Catalog, QueryOptions, active_clause};
use crate::error::CatalogError;
use crate::views::TechniqueCount;

impl Catalog {
    /// Technique ids named by rules but absent from the loaded ATT&CK data, with their rule
    /// counts, most rules first (`name` is empty: ATT&CK does not know them).
    pub fn unknown_techniques(
        &self,
        options: QueryOptions,
    ) -> Result<Vec<TechniqueCount>, CatalogError> {
        let active = active_clause(options);
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT rt.technique_id, COUNT(DISTINCT rt.rid) AS n
                 FROM rule_techniques rt JOIN rules r ON r.rid = rt.rid
                 WHERE {active} AND NOT EXISTS (SELECT 1 FROM techniques t WHERE t.id = rt.technique_id)
                 GROUP BY rt.technique_id ORDER BY n DESC, rt.technique_id"
            ))?
            .query_map([], |r| {
                Ok(TechniqueCount {
                    id: r.get(0)?,
                    name: String::new(),
                    rules: r.get(1)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?)
    }
}

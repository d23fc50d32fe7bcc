//! The ATT&CK matrix of the home page: tactics in matrix order × techniques, with rule counts.

use std::collections::HashMap;

use super::{Catalog, QueryOptions, active_clause, json_vec};
use crate::error::CatalogError;
use crate::views::{Matrix, MatrixCell, MatrixColumn, TacticRef, VendorCounts};

impl Catalog {
    /// The matrix of `domain` (e.g. `enterprise-attack`), counting rules of `vendor` only when
    /// given, and showing only techniques of `platform` when given.
    pub fn matrix(
        &self,
        domain: Option<&str>,
        vendor: Option<&str>,
        platform: Option<&str>,
        options: QueryOptions,
    ) -> Result<Matrix, CatalogError> {
        let domain = match domain {
            Some(d) => d.to_owned(),
            None => self
                .conn
                .query_row("SELECT domain FROM tactics GROUP BY domain ORDER BY count(*) DESC, domain LIMIT 1", [], |r| r.get(0))
                .unwrap_or_else(|_| "enterprise-attack".to_owned()),
        };
        let active = active_clause(options);
        // Rule counts per technique and vendor, one pass.
        let mut counts: HashMap<String, VendorCounts> = HashMap::new();
        let sql = format!(
            "SELECT rt.technique_id, r.vendor, COUNT(DISTINCT r.rid) FROM rule_techniques rt JOIN rules r ON r.rid = rt.rid
             WHERE {active} AND (?1 IS NULL OR r.vendor = ?1) GROUP BY rt.technique_id, r.vendor"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([vendor], |r| {
            Ok((
                r.get::<_, String>(0)?,
                super::vendor_col(r, 1)?,
                r.get::<_, u64>(2)?,
            ))
        })?;
        let mut totals = VendorCounts::default();
        for row in rows {
            let (t, v, n) = row?;
            counts.entry(t).or_default().add(v, n);
        }
        let total_sql = format!(
            "SELECT r.vendor, COUNT(*) FROM rules r WHERE {active} AND (?1 IS NULL OR r.vendor = ?1) GROUP BY r.vendor"
        );
        for row in self
            .conn
            .prepare_cached(&total_sql)?
            .query_map([vendor], |r| {
                Ok((super::vendor_col(r, 0)?, r.get::<_, u64>(1)?))
            })?
        {
            let (v, n) = row?;
            totals.add(v, n);
        }

        let tactics: Vec<TacticRef> = self
            .conn
            .prepare_cached(
                "SELECT id, shortname, name FROM tactics WHERE domain = ?1 ORDER BY ord",
            )?
            .query_map([&domain], |r| {
                Ok(TacticRef {
                    id: r.get(0)?,
                    shortname: r.get(1)?,
                    name: r.get(2)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        // (id, name, parent, tactic ids, platforms)
        type Row = (String, String, Option<String>, Vec<String>, Vec<String>);
        let techniques: Vec<Row> = self
            .conn
            .prepare_cached(
                "SELECT id, name, parent, tactics, platforms FROM techniques
                 WHERE domain = ?1 AND NOT revoked AND NOT deprecated ORDER BY name",
            )?
            .query_map([&domain], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    json_vec(&r.get::<_, String>(3)?)?,
                    json_vec(&r.get::<_, String>(4)?)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        let mut platforms: Vec<String> = techniques
            .iter()
            .flat_map(|t| t.4.iter().cloned())
            .collect();
        platforms.sort();
        platforms.dedup();

        let mut sub_counts: HashMap<&str, u64> = HashMap::new();
        for (id, _, parent, _, _) in &techniques {
            if let Some(p) = parent {
                *sub_counts.entry(p.as_str()).or_default() +=
                    counts.get(id).map(VendorCounts::total).unwrap_or(0);
            }
        }
        let columns = tactics
            .into_iter()
            .map(|tactic| {
                let cells = techniques
                    .iter()
                    .filter(|(_, _, parent, tactics, plats)| {
                        parent.is_none()
                            && tactics.contains(&tactic.id)
                            && platform
                                .is_none_or(|p| plats.iter().any(|x| x.eq_ignore_ascii_case(p)))
                    })
                    .map(|(id, name, _, _, _)| {
                        let by_vendor = counts.get(id).cloned().unwrap_or_default();
                        MatrixCell {
                            id: id.clone(),
                            name: name.clone(),
                            rules: by_vendor.total(),
                            rules_by_vendor: by_vendor,
                            subtechnique_rules: sub_counts.get(id.as_str()).copied().unwrap_or(0),
                        }
                    })
                    .collect();
                MatrixColumn {
                    tactic,
                    techniques: cells,
                }
            })
            .collect();
        Ok(Matrix {
            domain,
            vendor: vendor.map(str::to_owned),
            platform: platform.map(str::to_owned),
            platforms,
            totals,
            columns,
        })
    }
}

//! The ATT&CK matrix of the home page: tactics in matrix order × techniques, with rule counts.

use std::collections::HashMap;

use super::{Catalog, QueryOptions, json_vec};
use crate::error::CatalogError;
use crate::views::{Matrix, MatrixCell, MatrixColumn, TacticRef, VendorCounts};

/// A technique as the matrix places it.
struct MatrixTechnique {
    id: String,
    name: String,
    parent: Option<String>,
    /// Tactic ids.
    tactics: Vec<String>,
    platforms: Vec<String>,
}

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
        let (counts, totals) = self.matrix_counts(vendor, options)?;

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
        let techniques = self.matrix_techniques(&domain)?;
        let mut platforms: Vec<String> = techniques
            .iter()
            .flat_map(|t| t.platforms.iter().cloned())
            .collect();
        platforms.sort();
        platforms.dedup();

        let mut sub_counts: HashMap<&str, u64> = HashMap::new();
        for t in &techniques {
            if let Some(p) = &t.parent {
                *sub_counts.entry(p.as_str()).or_default() +=
                    counts.get(&t.id).map(VendorCounts::total).unwrap_or(0);
            }
        }
        let columns = tactics
            .into_iter()
            .map(|tactic| {
                let cells = techniques
                    .iter()
                    .filter(|t| {
                        t.parent.is_none()
                            && t.tactics.contains(&tactic.id)
                            && platform.is_none_or(|p| {
                                t.platforms.iter().any(|x| x.eq_ignore_ascii_case(p))
                            })
                    })
                    .map(|MatrixTechnique { id, name, .. }| {
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

    /// Active (or all) rules per technique and vendor, of `vendor` only when given, and the
    /// rules per vendor in all.
    fn matrix_counts(
        &self,
        vendor: Option<&str>,
        options: QueryOptions,
    ) -> Result<(HashMap<String, VendorCounts>, VendorCounts), CatalogError> {
        let all = options.include_deprecated;
        // Rule counts per technique and vendor, one pass.
        let mut counts: HashMap<String, VendorCounts> = HashMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT rt.technique_id, r.vendor, COUNT(DISTINCT r.rid) FROM rule_techniques rt JOIN rules r ON r.rid = rt.rid
             WHERE (?2 OR r.lifecycle = 'active') AND (?1 IS NULL OR r.vendor = ?1) GROUP BY rt.technique_id, r.vendor",
        )?;
        let rows = stmt.query_map(rusqlite::params![vendor, all], |r| {
            Ok((
                r.get::<_, String>(0)?,
                super::vendor_col(r, 1)?,
                r.get::<_, u64>(2)?,
            ))
        })?;
        for row in rows {
            let (t, v, n) = row?;
            counts.entry(t).or_default().add(v, n);
        }
        let mut totals = VendorCounts::default();
        for row in self
            .conn
            .prepare_cached(
                "SELECT r.vendor, COUNT(*) FROM rules r
                 WHERE (?2 OR r.lifecycle = 'active') AND (?1 IS NULL OR r.vendor = ?1) GROUP BY r.vendor",
            )?
            .query_map(rusqlite::params![vendor, all], |r| {
                Ok((super::vendor_col(r, 0)?, r.get::<_, u64>(1)?))
            })?
        {
            let (v, n) = row?;
            totals.add(v, n);
        }

        Ok((counts, totals))
    }

    /// The active techniques of `domain`, by name.
    fn matrix_techniques(&self, domain: &str) -> Result<Vec<MatrixTechnique>, CatalogError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, name, parent, tactics, platforms FROM techniques
                 WHERE domain = ?1 AND NOT revoked AND NOT deprecated ORDER BY name",
            )?
            .query_map([domain], |r| {
                Ok(MatrixTechnique {
                    id: r.get("id")?,
                    name: r.get("name")?,
                    parent: r.get("parent")?,
                    tactics: json_vec(&r.get::<_, String>("tactics")?)?,
                    platforms: json_vec(&r.get::<_, String>("platforms")?)?,
                })
            })?
            .collect::<Result<_, _>>()?)
    }
}

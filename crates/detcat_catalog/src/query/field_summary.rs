//! A field's page read from `field_summary` (counted at build time by
//! `ingest/field_summary.rs`): one row, then the listed rules by rid and the techniques'
//! names. Catalogs built before the table existed are answered by `reverse.rs`'s queries.

use rusqlite::OptionalExtension;

use super::{Catalog, QueryOptions, rule_ref};
use crate::error::CatalogError;
use crate::ingest::field_summary::FieldData;
use crate::views::{RuleRef, TechniqueCount, ValueCount};

/// A field's figures without its taxonomy facts (those come from `canonical_fields`).
pub(crate) struct Summary {
    pub rules: Vec<RuleRef>,
    pub rules_by_vendor: crate::views::VendorCounts,
    pub vendor_names_seen: Vec<String>,
    pub operators: std::collections::BTreeMap<String, u64>,
    pub values: Vec<ValueCount>,
    pub techniques: Vec<TechniqueCount>,
}

impl Catalog {
    /// Does this catalog hold `field_summary` (catalogs built before it do not)?
    fn has_field_summary(&self) -> Result<bool, CatalogError> {
        Ok(self.has_table("field_summary")?)
    }

    /// The figures of `field` (a canonical id) from `field_summary`, with the first `listed`
    /// rules; `None` when the catalog has no such table.
    pub(crate) fn field_summary(
        &self,
        field: &str,
        options: QueryOptions,
        listed: usize,
    ) -> Result<Option<Summary>, CatalogError> {
        if !self.has_field_summary()? {
            return Ok(None);
        }
        let data: Option<String> = self
            .conn
            .prepare_cached("SELECT data FROM field_summary WHERE field = ?1 AND deprecated = ?2")?
            .query_row(
                rusqlite::params![field, i64::from(options.include_deprecated)],
                |r| r.get(0),
            )
            .optional()?;
        // No row: no rule uses the field in this scope.
        let data: FieldData = match data {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| CatalogError::Query(format!("field_summary of {field}: {e}")))?,
            None => FieldData::default(),
        };
        let mut rule_stmt = self.conn.prepare_cached(
            "SELECT vendor, id, title, path, lifecycle, parse_status FROM rules WHERE rid = ?1",
        )?;
        let mut rules = Vec::with_capacity(data.rules.len().min(listed));
        for rid in data.rules.iter().take(listed) {
            if let Some(r) = rule_stmt.query_row([rid], rule_ref).optional()? {
                rules.push(r);
            }
        }
        let mut name_stmt = self
            .conn
            .prepare_cached("SELECT name FROM techniques WHERE id = ?1")?;
        let mut techniques = Vec::with_capacity(data.techniques.len());
        for (id, n) in data.techniques {
            let name: Option<String> = name_stmt.query_row([&id], |r| r.get(0)).optional()?;
            techniques.push(TechniqueCount {
                id,
                name: name.unwrap_or_default(),
                rules: n,
            });
        }
        Ok(Some(Summary {
            rules,
            rules_by_vendor: data.by_vendor,
            vendor_names_seen: data.vendor_names_seen,
            operators: data.operators,
            values: data
                .values
                .into_iter()
                .map(|(operator, value, rules)| ValueCount {
                    operator,
                    value,
                    rules,
                })
                .collect(),
            techniques,
        }))
    }
}

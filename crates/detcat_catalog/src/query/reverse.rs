//! Reverse indexes: which rules and techniques use a field, or need an event.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Params, params};

use super::field_summary::Summary;
use super::rule_set::{self, RuleSet};
use super::{Catalog, QueryOptions, json_col, rule_ref};
use crate::error::CatalogError;
use crate::views::FieldNames;
use crate::views::{EventPage, FieldPage, TechniqueCount, ValueCount};

/// Rows a reverse-index page lists.
const LIST_ROWS: usize = 500;

/// Fields an event page lists (the most filtered ones).
const EVENT_FIELD_ROWS: usize = 40;

impl Catalog {
    /// Resolves a field name — canonical id or any vendor's name — to its canonical id.
    pub fn resolve_field(&self, name: &str) -> Result<Option<String>, CatalogError> {
        // A hash probe into the field names loaded once per catalog: an unknown name costs
        // no SQL at all (a search may name thousands).
        Ok(self.field_index()?.resolve(name).map(str::to_owned))
    }

    pub fn field(
        &self,
        name: &str,
        options: QueryOptions,
    ) -> Result<Option<FieldPage>, CatalogError> {
        self.field_page(name, options, true)
    }

    /// [`Catalog::field`] counted from the per-rule tables even when the catalog holds
    /// `field_summary` (tests check that both agree).
    #[cfg(feature = "test-sql")]
    #[doc(hidden)]
    pub fn field_by_query_for_tests(
        &self,
        name: &str,
        options: QueryOptions,
    ) -> Result<Option<FieldPage>, CatalogError> {
        self.field_page(name, options, false)
    }

    fn field_page(
        &self,
        name: &str,
        options: QueryOptions,
        summary: bool,
    ) -> Result<Option<FieldPage>, CatalogError> {
        let Some(field) = self.resolve_field(name)? else {
            return Ok(None);
        };
        let info: Option<(String, String, FieldNames)> = self
            .conn
            .prepare_cached("SELECT title, grp, names FROM canonical_fields WHERE id = ?1")?
            .query_row([&field], |r| {
                Ok((r.get("title")?, r.get("grp")?, json_col(r, "names")?))
            })
            .optional()?;
        let (title, group, names) = match info {
            Some((t, g, n)) => (Some(t), Some(g), Some(n)),
            None => (None, None, None),
        };
        // Counted at build time (`field_summary`); the queries below answer older catalogs.
        let stored = if summary {
            self.field_summary(&field, options, LIST_ROWS)?
        } else {
            None
        };
        let s = match stored {
            Some(s) => s,
            None => self.field_by_query(&field, options)?,
        };
        Ok(Some(FieldPage {
            mapped: title.is_some(),
            field,
            title,
            group,
            names,
            vendor_names_seen: s.vendor_names_seen,
            rules_by_vendor: s.rules_by_vendor,
            operators: s.operators,
            values: s.values,
            techniques: s.techniques,
            rules: s.rules,
        }))
    }

    /// A field's figures from the per-rule tables: five queries over every predicate, triple
    /// and technique of the field's rules (1.5–2 s for `process.image` on the full corpus).
    /// For catalogs without `field_summary`, and tests that compare the two.
    fn field_by_query(&self, field: &str, options: QueryOptions) -> Result<Summary, CatalogError> {
        let key = params![field, options.include_deprecated];
        let rules = self
            .conn
            .prepare_cached(rule_set::FIELD_RULES)?
            .query_map(key, rule_ref)?
            .collect::<Result<Vec<_>, _>>()?;
        let rules_by_vendor = super::count_by_vendor(&rules);
        let vendor_names_seen = self
            .conn
            .prepare_cached(rule_set::FIELD_VENDOR_NAMES)?
            .query_map(key, |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        let operators: BTreeMap<String, u64> = self
            .conn
            .prepare_cached(rule_set::FIELD_OPERATORS)?
            .query_map(key, |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let values = self
            .conn
            .prepare_cached(rule_set::FIELD_VALUES)?
            .query_map(key, |r| {
                Ok(ValueCount {
                    operator: r.get(0)?,
                    value: r.get(1)?,
                    rules: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let techniques = self.technique_counts(rule_set::FIELD_TECHNIQUES, key)?;
        Ok(Summary {
            vendor_names_seen,
            rules_by_vendor,
            operators,
            values,
            techniques,
            rules: rules.into_iter().take(LIST_ROWS).collect(),
        })
    }

    /// `provider:id`, e.g. `sysmon:1`, `security:4688`.
    pub fn event(
        &self,
        key: &str,
        options: QueryOptions,
    ) -> Result<Option<EventPage>, CatalogError> {
        let Some((provider, event_id)) = key.trim().split_once(':') else {
            return Err(CatalogError::Query(format!(
                "'{key}' is no event key: write provider:id, e.g. sysmon:1 or security:4688"
            )));
        };
        let provider = provider.to_ascii_lowercase();
        let title: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT title FROM events WHERE provider = ?1 AND event_id = ?2 COLLATE NOCASE",
            )?
            .query_row(params![provider, event_id], |r| r.get(0))
            .optional()?;
        let key = params![provider, event_id, options.include_deprecated];
        let rules = self
            .conn
            .prepare_cached(rule_set::EVENT_RULES)?
            .query_map(key, rule_ref)?
            .collect::<Result<Vec<_>, _>>()?;
        if title.is_none() && rules.is_empty() {
            return Ok(None);
        }
        let rules_by_vendor = super::count_by_vendor(&rules);
        let mut fields = self.field_rows(RuleSet::Event, key)?;
        fields.truncate(EVENT_FIELD_ROWS);
        let techniques = self.technique_counts(rule_set::EVENT_TECHNIQUES, key)?;
        Ok(Some(EventPage {
            provider,
            event_id: event_id.to_owned(),
            title: title.unwrap_or_default(),
            rules_by_vendor,
            fields,
            techniques,
            rules: rules.into_iter().take(LIST_ROWS).collect(),
        }))
    }

    /// The rows of a statement giving technique id, name and rules.
    fn technique_counts(
        &self,
        sql: &str,
        key: impl Params,
    ) -> Result<Vec<TechniqueCount>, CatalogError> {
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_map(key, |r| {
                Ok(TechniqueCount {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    rules: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?)
    }
}

//! Reverse indexes: which rules and techniques use a field, or need an event.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};

use super::field_summary::Summary;
use super::{Catalog, QueryOptions, active_clause, json_col, rule_ref};
use crate::error::CatalogError;
use crate::views::FieldNames;
use crate::views::{EventPage, FieldPage, RuleRef, TechniqueCount, ValueCount};

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
        let field = field.to_owned();
        let active = active_clause(options);
        // Rules with a predicate on the field, and (for the `keyword` pseudo-field of
        // field-less keyword searches, which has no predicate) rules with a triple on it.
        // MATERIALIZED: computed once per statement, not once per row that joins it.
        let set = format!(
            "WITH s AS MATERIALIZED (SELECT p.rid FROM predicates p JOIN rules r ON r.rid = p.rid WHERE p.canonical = ?1 AND {active}
                        UNION SELECT t.rid FROM triples t JOIN rules r ON r.rid = t.rid WHERE t.field = ?1 AND {active})"
        );
        let rules = self.rules_in(&set, &field)?;
        let rules_by_vendor = super::count_by_vendor(&rules);
        let vendor_names_seen = self
            .conn
            .prepare_cached(&format!(
                "{set} SELECT DISTINCT r.vendor || ':' || p.field FROM predicates p JOIN s ON s.rid = p.rid
                 JOIN rules r ON r.rid = p.rid WHERE p.canonical = ?1 ORDER BY 1"
            ))?
            .query_map([&field], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        let operators: BTreeMap<String, u64> = self
            .conn
            .prepare_cached(&format!(
                "{set} SELECT p.operator, COUNT(DISTINCT p.rid) FROM predicates p JOIN s ON s.rid = p.rid
                 WHERE p.canonical = ?1 GROUP BY p.operator"
            ))?
            .query_map([&field], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        // `+t.field`: read the set's triples by rid. Through the field index SQLite read every
        // triple of the field once per rule of the set (10 s for process.name, a 503 page).
        let values = self
            .conn
            .prepare_cached(&format!(
                "{set} SELECT t.operator, t.value, COUNT(DISTINCT t.rid) AS n FROM triples t JOIN s ON s.rid = t.rid
                 WHERE +t.field = ?1 AND t.role IN ('indicator', 'selector') GROUP BY t.operator, t.value ORDER BY n DESC, t.value, t.operator LIMIT 100"
            ))?
            .query_map([&field], |r| Ok(ValueCount { operator: r.get(0)?, value: r.get(1)?, rules: r.get(2)? }))?
            .collect::<Result<Vec<_>, _>>()?;
        let techniques = self.techniques_in(&set, &field)?;
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
        let active = active_clause(options);
        let set = format!(
            "WITH s AS (SELECT DISTINCT re.rid FROM rule_events re JOIN rules r ON r.rid = re.rid
                        WHERE re.provider = ?1 AND re.event_id = ?2 COLLATE NOCASE AND {active})"
        );
        let rules = self
            .conn
            .prepare_cached(&format!(
                "{set} SELECT r.vendor, r.id, r.title, r.path, r.lifecycle, r.parse_status FROM rules r JOIN s ON s.rid = r.rid
                 ORDER BY r.vendor, r.title"
            ))?
            .query_map(params![provider, event_id], rule_ref)?
            .collect::<Result<Vec<_>, _>>()?;
        if title.is_none() && rules.is_empty() {
            return Ok(None);
        }
        let rules_by_vendor = super::count_by_vendor(&rules);
        let mut fields = self.field_rows(&set, params![provider, event_id])?;
        fields.truncate(EVENT_FIELD_ROWS);
        let techniques = self
            .conn
            .prepare_cached(&format!(
                "{set} SELECT rt.technique_id, COALESCE(t.name, ''), COUNT(DISTINCT rt.rid) AS n FROM rule_techniques rt
                 JOIN s ON s.rid = rt.rid LEFT JOIN techniques t ON t.id = rt.technique_id
                 GROUP BY rt.technique_id ORDER BY n DESC, rt.technique_id"
            ))?
            .query_map(params![provider, event_id], |r| Ok(TechniqueCount { id: r.get(0)?, name: r.get(1)?, rules: r.get(2)? }))?
            .collect::<Result<Vec<_>, _>>()?;
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

    fn rules_in(&self, set: &str, key: &str) -> Result<Vec<RuleRef>, CatalogError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "{set} SELECT r.vendor, r.id, r.title, r.path, r.lifecycle, r.parse_status FROM rules r JOIN s ON s.rid = r.rid
                 ORDER BY r.vendor, r.title, r.rid"
            ))?
            .query_map([key], rule_ref)?
            .collect::<Result<Vec<_>, _>>()?)
    }

    fn techniques_in(&self, set: &str, key: &str) -> Result<Vec<TechniqueCount>, CatalogError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "{set} SELECT rt.technique_id, COALESCE(t.name, ''), COUNT(DISTINCT rt.rid) AS n FROM rule_techniques rt
                 JOIN s ON s.rid = rt.rid LEFT JOIN techniques t ON t.id = rt.technique_id
                 GROUP BY rt.technique_id ORDER BY n DESC, rt.technique_id LIMIT 100"
            ))?
            .query_map([key], |r| Ok(TechniqueCount { id: r.get(0)?, name: r.get(1)?, rules: r.get(2)? }))?
            .collect::<Result<Vec<_>, _>>()?)
    }
}

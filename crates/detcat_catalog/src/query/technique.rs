//! The technique page: ATT&CK header, events, fields, indicators, exclusions, rules.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};

use super::{Catalog, QueryOptions, active_clause, json_vec, rule_ref};
use crate::error::CatalogError;
use crate::views::{
    EventCount, ExclusionRow, FieldRow, IndicatorRow, SubtechniqueRollup, TechniqueHeader, TechniquePage,
    VendorCounts,
};

/// How many rows of each authoring-guide table a page shows (the `_distinct` counts say how
/// many there are in all).
pub const PAGE_ROWS: usize = 50;

impl Catalog {
    /// The technique page, or `None` when ATT&CK has no such technique and no rule names it.
    pub fn technique(&self, id: &str, options: QueryOptions) -> Result<Option<TechniquePage>, CatalogError> {
        let id = id.trim().to_ascii_uppercase();
        let Some(technique) = self.technique_header(&id)? else { return Ok(None) };
        let active = active_clause(options);
        let rules_sql = format!(
            "SELECT r.vendor, r.id, r.title, r.path, r.lifecycle, r.parse_status
             FROM rule_techniques rt JOIN rules r ON r.rid = rt.rid
             WHERE rt.technique_id = ?1 AND {active}
             ORDER BY r.vendor, r.title"
        );
        let rules = self.conn.prepare_cached(&rules_sql)?.query_map([&id], rule_ref)?.collect::<Result<Vec<_>, _>>()?;
        let mut rules_by_vendor = VendorCounts::default();
        for r in &rules {
            rules_by_vendor.add(&r.vendor, 1);
        }
        // The rule set of this technique, as a CTE every statistic below starts from.
        let set = format!(
            "WITH s AS (SELECT rt.rid FROM rule_techniques rt JOIN rules r ON r.rid = rt.rid
                        WHERE rt.technique_id = ?1 AND {active})"
        );
        let events = self.technique_events(&set, &id)?;
        let (fields_distinct, fields) = self.technique_fields(&set, &id)?;
        let (indicators_distinct, indicators) = self.technique_indicators(&set, &id, options)?;
        let (exclusions_distinct, exclusions) = self.technique_exclusions(&set, &id)?;
        let (subtechniques, subtechnique_rules_by_vendor) = self.subtechniques(&id, options)?;
        Ok(Some(TechniquePage {
            technique,
            rules_by_vendor,
            events,
            fields_distinct,
            fields,
            indicators_distinct,
            indicators,
            exclusions_distinct,
            exclusions,
            rules,
            subtechniques,
            subtechnique_rules_by_vendor,
            include_deprecated: options.include_deprecated,
        }))
    }

    fn technique_header(&self, id: &str) -> Result<Option<TechniqueHeader>, CatalogError> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT name, parent, domain, tactics, platforms, deprecated, revoked, revoked_by, url, data
                 FROM techniques WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, bool>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, String>(9)?,
                ))
            })
            .optional()?;
        let Some((name, parent, domain, tactics, platforms, deprecated, revoked, revoked_by, url, data)) = row else {
            // A technique no ATT&CK bundle knows, but rules are tagged with: still a page.
            let tagged: i64 =
                self.conn.prepare_cached("SELECT count(*) FROM rule_techniques WHERE technique_id = ?1")?.query_row([id], |r| r.get(0))?;
            if tagged == 0 {
                return Ok(None);
            }
            return Ok(Some(TechniqueHeader {
                id: id.to_owned(),
                name: String::new(),
                parent: None,
                tactics: Vec::new(),
                platforms: Vec::new(),
                domain: String::new(),
                deprecated: false,
                revoked: false,
                revoked_by: None,
                url: None,
                data: serde_json::Map::new(),
            }));
        };
        let parent = match parent {
            Some(p) => Some(self.technique_ref(&p)?),
            None => None,
        };
        let data = match serde_json::from_str::<serde_json::Value>(&data)? {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        Ok(Some(TechniqueHeader {
            id: id.to_owned(),
            name,
            parent,
            tactics: self.tactic_refs(&json_vec(&tactics))?,
            platforms: json_vec(&platforms),
            domain,
            deprecated,
            revoked,
            revoked_by,
            url,
            data,
        }))
    }

    fn technique_events(&self, set: &str, id: &str) -> Result<Vec<EventCount>, CatalogError> {
        let sql = format!(
            "{set} SELECT re.provider, re.event_id, COALESCE(e.title, ''), COUNT(DISTINCT re.rid) AS n
             FROM rule_events re JOIN s ON s.rid = re.rid
             LEFT JOIN events e ON e.provider = re.provider AND e.event_id = re.event_id
             GROUP BY re.provider, re.event_id ORDER BY n DESC, re.provider, CAST(re.event_id AS INTEGER), re.event_id"
        );
        let rows = self
            .conn
            .prepare_cached(&sql)?
            .query_map([id], |r| Ok(EventCount { provider: r.get(0)?, event_id: r.get(1)?, title: r.get(2)?, rules: r.get(3)? }))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn technique_fields(&self, set: &str, id: &str) -> Result<(u64, Vec<FieldRow>), CatalogError> {
        let sql = format!(
            "{set} SELECT p.canonical, COUNT(DISTINCT p.rid) AS n FROM predicates p JOIN s ON s.rid = p.rid
             GROUP BY p.canonical ORDER BY n DESC, p.canonical"
        );
        let all: Vec<(String, u64)> =
            self.conn.prepare_cached(&sql)?.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        let names_sql = format!(
            "{set} SELECT DISTINCT r.vendor || ':' || p.field FROM predicates p JOIN s ON s.rid = p.rid
             JOIN rules r ON r.rid = p.rid WHERE p.canonical = ?2 ORDER BY 1"
        );
        let ops_sql = format!(
            "{set} SELECT p.operator, COUNT(DISTINCT p.rid) FROM predicates p JOIN s ON s.rid = p.rid
             WHERE p.canonical = ?2 GROUP BY p.operator ORDER BY 2 DESC"
        );
        let samples_sql = format!(
            "{set} SELECT t.value, COUNT(DISTINCT t.rid) AS n FROM triples t JOIN s ON s.rid = t.rid
             WHERE t.field = ?2 AND t.role = 'indicator' AND t.value != '' GROUP BY t.value ORDER BY n DESC, t.value LIMIT 5"
        );
        let mut rows = Vec::new();
        for (field, rules) in all.iter().take(PAGE_ROWS) {
            let vendor_names =
                self.conn.prepare_cached(&names_sql)?.query_map(params![id, field], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
            let operators: BTreeMap<String, u64> = self
                .conn
                .prepare_cached(&ops_sql)?
                .query_map(params![id, field], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let samples =
                self.conn.prepare_cached(&samples_sql)?.query_map(params![id, field], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
            rows.push(FieldRow { field: field.clone(), vendor_names, rules: *rules, operators, samples });
        }
        Ok((all.len() as u64, rows))
    }

    fn technique_indicators(&self, set: &str, id: &str, options: QueryOptions) -> Result<(u64, Vec<IndicatorRow>), CatalogError> {
        let reach = if options.include_deprecated { "rules_all" } else { "rules" };
        let sql = format!(
            "{set} SELECT t.field, t.operator, t.value, COUNT(DISTINCT t.rid) AS n,
                    COALESCE((SELECT x.{reach} FROM reach x WHERE x.field = t.field AND x.operator = t.operator AND x.value = t.value), 0),
                    json_group_array(DISTINCT r.id)
             FROM triples t JOIN s ON s.rid = t.rid JOIN rules r ON r.rid = t.rid
             WHERE t.role = 'indicator'
             GROUP BY t.field, t.operator, t.value ORDER BY n DESC, 5 ASC, t.field, t.value"
        );
        let rows: Vec<IndicatorRow> = self
            .conn
            .prepare_cached(&sql)?
            .query_map([id], |r| {
                Ok(IndicatorRow {
                    field: r.get(0)?,
                    operator: r.get(1)?,
                    value: r.get(2)?,
                    rules: r.get(3)?,
                    corpus_reach: r.get(4)?,
                    rule_ids: split_ids(r.get::<_, Option<String>>(5)?),
                })
            })?
            .collect::<Result<_, _>>()?;
        let distinct = rows.len() as u64;
        Ok((distinct, rows.into_iter().take(PAGE_ROWS).collect()))
    }

    fn technique_exclusions(&self, set: &str, id: &str) -> Result<(u64, Vec<ExclusionRow>), CatalogError> {
        let sql = format!(
            "{set} SELECT t.field, t.operator, t.value, COUNT(DISTINCT t.rid) AS n, json_group_array(DISTINCT r.id)
             FROM triples t JOIN s ON s.rid = t.rid JOIN rules r ON r.rid = t.rid
             WHERE t.role = 'exclusion'
             GROUP BY t.field, t.operator, t.value ORDER BY n DESC, t.field, t.value"
        );
        let rows: Vec<ExclusionRow> = self
            .conn
            .prepare_cached(&sql)?
            .query_map([id], |r| {
                Ok(ExclusionRow {
                    field: r.get(0)?,
                    operator: r.get(1)?,
                    value: r.get(2)?,
                    rules: r.get(3)?,
                    rule_ids: split_ids(r.get::<_, Option<String>>(4)?),
                })
            })?
            .collect::<Result<_, _>>()?;
        let distinct = rows.len() as u64;
        Ok((distinct, rows.into_iter().take(PAGE_ROWS).collect()))
    }

    fn subtechniques(&self, id: &str, options: QueryOptions) -> Result<(Vec<SubtechniqueRollup>, VendorCounts), CatalogError> {
        if id.contains('.') {
            return Ok((Vec::new(), VendorCounts::default()));
        }
        let active = active_clause(options);
        let sql = format!(
            "SELECT t.id, t.name, r.vendor, COUNT(DISTINCT r.rid)
             FROM techniques t
             LEFT JOIN rule_techniques rt ON rt.technique_id = t.id
             LEFT JOIN rules r ON r.rid = rt.rid AND {active}
             WHERE t.parent = ?1 AND NOT t.revoked AND NOT t.deprecated
             GROUP BY t.id, r.vendor ORDER BY t.id"
        );
        let mut subs: Vec<SubtechniqueRollup> = Vec::new();
        let mut total = VendorCounts::default();
        let rows = self
            .conn
            .prepare_cached(&sql)?
            .query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, u64>(3)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        for (sid, name, vendor, n) in rows {
            if subs.last().map(|s| s.id != sid).unwrap_or(true) {
                subs.push(SubtechniqueRollup { id: sid.clone(), name, rules_by_vendor: VendorCounts::default() });
            }
            if let (Some(v), Some(last)) = (vendor, subs.last_mut()) {
                last.rules_by_vendor.add(&v, n);
                total.add(&v, n);
            }
        }
        Ok((subs, total))
    }
}

/// Rule ids from a `json_group_array(DISTINCT …)` column, sorted.
pub(crate) fn split_ids(s: Option<String>) -> Vec<String> {
    let mut ids: Vec<String> = s.map(|s| json_vec(&s)).unwrap_or_default();
    ids.sort();
    ids
}

//! The technique page: ATT&CK header, events, fields, indicators, exclusions, rules.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rusqlite::OptionalExtension;

use super::rule_set::RuleSet;
use super::{Catalog, QueryOptions, json_col, json_vec, rule_ref};
use crate::error::CatalogError;
use crate::views::{
    ExclusionRow, FieldRow, IndicatorRow, ScopeRow, SubtechniqueRollup, TechniqueHeader,
    TechniquePage, VendorCounts,
};
use detcat_model::Role;

/// How many rows of each authoring-guide table a page shows (the `_distinct` counts say how
/// many there are in all).
pub const PAGE_ROWS: usize = 50;

/// How many selector rows the "Scope" summary shows: a short answer to "which streams".
pub const SCOPE_ROWS: usize = 12;

/// (role, field, operator, value) of a triple.
type TripleKey = (Role, String, String, String);
/// The rules (rids, ids) that use a triple, and its corpus reach.
type TripleAcc = (BTreeSet<i64>, BTreeSet<String>, u64);

/// The authoring-guide tables of one technique.
struct Guide {
    scope: Vec<ScopeRow>,
    fields_distinct: u64,
    fields: Vec<FieldRow>,
    indicators_distinct: u64,
    indicators: Vec<IndicatorRow>,
    exclusions_distinct: u64,
    exclusions: Vec<ExclusionRow>,
}

#[derive(Default)]
struct FieldAcc {
    rules: BTreeSet<i64>,
    names: BTreeSet<String>,
    operators: BTreeMap<String, BTreeSet<i64>>,
}

impl Catalog {
    /// The technique page, or `None` when ATT&CK has no such technique and no rule names it.
    pub fn technique(
        &self,
        id: &str,
        options: QueryOptions,
    ) -> Result<Option<TechniquePage>, CatalogError> {
        let id = id.trim().to_ascii_uppercase();
        let Some(mut technique) = self.technique_header(&id)? else {
            return Ok(None);
        };
        technique.priority = self.technique_priority(&id, options)?;
        let rules = self
            .conn
            .prepare_cached(
                "SELECT r.vendor, r.id, r.title, r.path, r.lifecycle, r.parse_status
                 FROM rule_techniques rt JOIN rules r ON r.rid = rt.rid
                 WHERE rt.technique_id = ?1 AND (?2 OR r.lifecycle = 'active')
                 ORDER BY r.vendor, r.title",
            )?
            .query_map(rusqlite::params![&id, options.include_deprecated], rule_ref)?
            .collect::<Result<Vec<_>, _>>()?;
        let rules_by_vendor = super::count_by_vendor(&rules);
        // The rule set of this technique: every statistic below starts from it.
        let key = rusqlite::params![&id, options.include_deprecated];
        let (events, sensors) = self.events_covered(key)?;
        let Guide {
            scope,
            fields_distinct,
            fields,
            indicators_distinct,
            indicators,
            exclusions_distinct,
            exclusions,
        } = self.technique_guide(key)?;
        let (subtechniques, subtechnique_rules_by_vendor) = self.subtechniques(&id, options)?;
        Ok(Some(TechniquePage {
            technique,
            rules_by_vendor,
            events,
            sensors,
            scope,
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
            recordings: self.technique_recordings(&id)?,
            analytics: self
                .technique_analytics(&id, options)?
                .map(|a| a.analytics)
                .unwrap_or_default(),
        }))
    }

    fn technique_header(&self, id: &str) -> Result<Option<TechniqueHeader>, CatalogError> {
        let header = self
            .conn
            .prepare_cached(
                "SELECT name, parent, domain, tactics, platforms, deprecated, revoked, revoked_by, url, data
                 FROM techniques WHERE id = ?1",
            )?
            .query_row([id], |r| {
                // A technique of no ATT&CK bundle stores `{}`: it has no ATT&CK data.
                let data: String = r.get("data")?;
                let data = if data == "{}" {
                    None
                } else {
                    Some(json_col(r, "data")?)
                };
                Ok((
                    r.get::<_, Option<String>>("parent")?,
                    json_vec(&r.get::<_, String>("tactics")?)?,
                    TechniqueHeader {
                        id: id.to_owned(),
                        name: r.get("name")?,
                        parent: None,
                        tactics: Vec::new(),
                        platforms: json_vec(&r.get::<_, String>("platforms")?)?,
                        domain: r.get("domain")?,
                        deprecated: r.get("deprecated")?,
                        revoked: r.get("revoked")?,
                        revoked_by: r.get("revoked_by")?,
                        url: r.get("url")?,
                        data,
                        threat: None,
                        priority: None,
                    },
                ))
            })
            .optional()?;
        let Some((parent, tactics, mut header)) = header else {
            // A technique no ATT&CK bundle knows, but rules are tagged with: still a page.
            let tagged: i64 = self
                .conn
                .prepare_cached("SELECT count(*) FROM rule_techniques WHERE technique_id = ?1")?
                .query_row([id], |r| r.get(0))?;
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
                data: None,
                threat: None,
                priority: None,
            }));
        };
        header.parent = match parent {
            Some(p) => Some(self.technique_ref(&p)?),
            None => None,
        };
        header.tactics = self.tactic_refs(&tactics)?;
        header.threat = self.technique_threat(id)?;
        Ok(Some(header))
    }

    /// "Fields filtered most" over the rule set `s` that `set` defines (a CTE taking `params`):
    /// canonical field, vendor names, rules, and rules per operator — most rules first.
    /// Selector predicates are left out: they are the page's scope, not what rules look for. Each
    /// rule counts once per row: the counts are sizes of rule-id sets. Samples are left empty.
    pub(crate) fn field_rows(
        &self,
        set: RuleSet,
        params: impl rusqlite::Params,
    ) -> Result<Vec<FieldRow>, CatalogError> {
        let mut fields: HashMap<String, FieldAcc> = HashMap::new();
        let mut stmt = self
            .conn
            .prepare_cached(super::rule_set::field_predicates(set))?;
        let mut rows = stmt.query(params)?;
        while let Some(r) = rows.next()? {
            let rid: i64 = r.get(0)?;
            let acc = fields.entry(r.get(1)?).or_default();
            acc.rules.insert(rid);
            acc.names.insert(format!(
                "{}:{}",
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?
            ));
            acc.operators.entry(r.get(4)?).or_default().insert(rid);
        }
        let mut out: Vec<FieldRow> = fields
            .into_iter()
            .map(|(field, acc)| FieldRow {
                samples: Vec::new(),
                vendor_names: acc.names.into_iter().collect(),
                rules: acc.rules.len() as u64,
                operators: acc
                    .operators
                    .into_iter()
                    .map(|(op, r)| (op, r.len() as u64))
                    .collect(),
                field,
            })
            .collect();
        out.sort_by(|a, b| b.rules.cmp(&a.rules).then_with(|| a.field.cmp(&b.field)));
        Ok(out)
    }

    /// Fields, indicators and exclusions of the technique's rules. Two range scans fetch the
    /// rows; counting happens here, where "each rule counts at most once per row" is a set.
    fn technique_guide(&self, key: &[&dyn rusqlite::ToSql]) -> Result<Guide, CatalogError> {
        let mut field_rows = self.field_rows(RuleSet::Technique, key)?;
        let triples = self.guide_triples(key)?;

        // Samples: a field's most used indicator values.
        let mut samples: HashMap<&str, Vec<(usize, &str)>> = HashMap::new();
        for ((role, field, _, value), (rids, _, _)) in &triples {
            if *role == Role::Indicator && !value.is_empty() {
                samples
                    .entry(field.as_str())
                    .or_default()
                    .push((rids.len(), value.as_str()));
            }
        }
        for row in &mut field_rows {
            let mut s = samples.remove(row.field.as_str()).unwrap_or_default();
            s.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
            s.dedup_by(|a, b| a.1 == b.1);
            row.samples = s.into_iter().take(5).map(|(_, v)| v.to_owned()).collect();
        }
        let fields_distinct = field_rows.len() as u64;
        field_rows.truncate(PAGE_ROWS);

        let (scope, mut indicators, mut exclusions) = rank_triples(triples);
        let (indicators_distinct, exclusions_distinct) =
            (indicators.len() as u64, exclusions.len() as u64);
        indicators.truncate(PAGE_ROWS);
        exclusions.truncate(PAGE_ROWS);
        Ok(Guide {
            scope,
            fields_distinct,
            fields: field_rows,
            indicators_distinct,
            indicators,
            exclusions_distinct,
            exclusions,
        })
    }

    /// The technique's triples by (role, field, operator, value): the rules using each (rids
    /// and ids) and its corpus reach.
    fn guide_triples(
        &self,
        key: &[&dyn rusqlite::ToSql],
    ) -> Result<HashMap<TripleKey, TripleAcc>, CatalogError> {
        let mut triples: HashMap<TripleKey, TripleAcc> = HashMap::new();
        // Corpus reach is stored on each indicator row: the same for every row of a triple.
        let mut stmt = self
            .conn
            .prepare_cached(super::rule_set::TECHNIQUE_TRIPLES)?;
        let mut rows = stmt.query(key)?;
        while let Some(r) = rows.next()? {
            let role = Role::parse(&r.get::<_, String>(1)?).unwrap_or(Role::Other);
            let key = (role, r.get(2)?, r.get(3)?, r.get(4)?);
            let entry = triples.entry(key).or_default();
            entry.0.insert(r.get(0)?);
            entry.1.insert(r.get(5)?);
            entry.2 = r.get(6)?;
        }

        Ok(triples)
    }

    fn subtechniques(
        &self,
        id: &str,
        options: QueryOptions,
    ) -> Result<(Vec<SubtechniqueRollup>, VendorCounts), CatalogError> {
        if id.contains('.') {
            return Ok((Vec::new(), VendorCounts::default()));
        }
        let sql = "SELECT t.id, t.name, r.vendor, COUNT(DISTINCT r.rid)
             FROM techniques t
             LEFT JOIN rule_techniques rt ON rt.technique_id = t.id
             LEFT JOIN rules r ON r.rid = rt.rid AND (?2 OR r.lifecycle = 'active')
             WHERE t.parent = ?1 AND NOT t.revoked AND NOT t.deprecated
             GROUP BY t.id, r.vendor ORDER BY t.id";
        let mut subs: Vec<SubtechniqueRollup> = Vec::new();
        let mut total = VendorCounts::default();
        let rows = self
            .conn
            .prepare_cached(sql)?
            .query_map(rusqlite::params![id, options.include_deprecated], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    super::opt_vendor_col(r, 2)?,
                    r.get::<_, u64>(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (sid, name, vendor, n) in rows {
            if subs.last().map(|s| s.id != sid).unwrap_or(true) {
                subs.push(SubtechniqueRollup {
                    id: sid.clone(),
                    name,
                    rules_by_vendor: VendorCounts::default(),
                });
            }
            if let (Some(v), Some(last)) = (vendor, subs.last_mut()) {
                last.rules_by_vendor.add(v, n);
                total.add(v, n);
            }
        }
        Ok((subs, total))
    }
}

/// Splits the triples into scope (selectors), indicators and exclusions rows, each ranked:
/// most rules first (indicators: then the least corpus reach), then by field, value and
/// operator (without the operator, rows equal on the rest kept the hash map's order, which
/// differs per process: T1021, T1095 and T1133 gave a different page from run to run).
/// Scope is cut to [`SCOPE_ROWS`]; the other two are left whole for their `_distinct` counts.
fn rank_triples(
    triples: HashMap<TripleKey, TripleAcc>,
) -> (Vec<ScopeRow>, Vec<IndicatorRow>, Vec<ExclusionRow>) {
    let mut indicators = Vec::new();
    let mut exclusions = Vec::new();
    let mut scope = Vec::new();
    for ((role, field, operator, value), (rids, ids, reach)) in triples {
        let rules = rids.len() as u64;
        if role == Role::Selector {
            scope.push(ScopeRow {
                field,
                operator,
                value,
                rules,
            });
            continue;
        }
        let rule_ids = ids.into_iter().collect();
        if role == Role::Indicator {
            indicators.push(IndicatorRow {
                field,
                operator,
                value,
                rules,
                corpus_reach: reach,
                rule_ids,
            });
        } else {
            exclusions.push(ExclusionRow {
                field,
                operator,
                value,
                rules,
                rule_ids,
            });
        }
    }
    indicators.sort_by(|a, b| {
        b.rules
            .cmp(&a.rules)
            .then(a.corpus_reach.cmp(&b.corpus_reach))
            .then_with(|| (&a.field, &a.value, &a.operator).cmp(&(&b.field, &b.value, &b.operator)))
    });
    exclusions.sort_by(|a, b| {
        b.rules
            .cmp(&a.rules)
            .then_with(|| (&a.field, &a.value, &a.operator).cmp(&(&b.field, &b.value, &b.operator)))
    });
    scope.sort_by(|a, b| {
        b.rules
            .cmp(&a.rules)
            .then_with(|| (&a.field, &a.value, &a.operator).cmp(&(&b.field, &b.value, &b.operator)))
    });
    scope.truncate(SCOPE_ROWS);
    (scope, indicators, exclusions)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows equal on rules, reach, field and value come out in one order whatever order the
    /// map yields them in (each `HashMap` has its own random seed).
    #[test]
    fn rows_tied_but_for_the_operator_rank_the_same_in_every_run() {
        let acc = || (BTreeSet::from([1, 2]), BTreeSet::from(["a".to_owned()]), 5);
        let rank = || {
            let mut triples: HashMap<TripleKey, TripleAcc> = HashMap::new();
            for role in [Role::Indicator, Role::Exclusion, Role::Selector] {
                for op in ["eq", "contains", "endswith", "startswith", "re"] {
                    triples.insert((role, "process.name".into(), op.into(), "x".into()), acc());
                }
            }
            let (scope, indicators, exclusions) = rank_triples(triples);
            (
                scope.into_iter().map(|r| r.operator).collect::<Vec<_>>(),
                indicators
                    .into_iter()
                    .map(|r| r.operator)
                    .collect::<Vec<_>>(),
                exclusions
                    .into_iter()
                    .map(|r| r.operator)
                    .collect::<Vec<_>>(),
            )
        };
        let first = rank();
        let sorted = vec!["contains", "endswith", "eq", "re", "startswith"];
        assert_eq!(first.1, sorted);
        assert_eq!(first.2, sorted);
        for _ in 0..20 {
            assert_eq!(rank(), first);
        }
    }
}

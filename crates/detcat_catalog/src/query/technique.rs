//! The technique page: ATT&CK header, events, fields, indicators, exclusions, rules.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use super::rule_set::RuleSet;
use super::{Catalog, QueryOptions, json_col, json_vec, postcard_at, rule_ref};
use crate::analytics::{AnalyticCoverage, AnalyticRule, IndexedRule, TechniqueRules};
use crate::attack_data::StrategyData;
use crate::error::CatalogError;
use crate::ingest::technique_pages::{StoredPage, StoredRule};
use crate::views::{
    EventRow, ExclusionRow, FieldRow, IndicatorRow, ScopeRow, SensorCount, SubtechniqueRollup,
    TechniqueHeader, TechniquePage, VendorCounts,
};
use detcat_model::{Lifecycle, Role};

/// How many rows of each authoring-guide table a page shows (the `_distinct` counts say how
/// many there are in all).
pub const PAGE_ROWS: usize = 50;

/// How many selector rows the "Scope" summary shows: a short answer to "which streams".
pub const SCOPE_ROWS: usize = 12;

/// (role, field, operator, value) of a triple.
type TripleKey = (Role, String, String, String);
/// The rules (rids, ids) that use a triple, and its corpus reach.
type TripleAcc = (BTreeSet<i64>, BTreeSet<String>, u64);

/// The rules, events covered (native rows, sensors alone), guide and analytics of a page.
type Counted = (
    Vec<crate::views::RuleRef>,
    (Vec<EventRow>, Vec<SensorCount>),
    Guide,
    Vec<AnalyticCoverage>,
);

/// The authoring-guide tables of one technique.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Guide {
    pub scope: Vec<ScopeRow>,
    pub fields_distinct: u64,
    pub fields: Vec<FieldRow>,
    pub indicators_distinct: u64,
    pub indicators: Vec<IndicatorRow>,
    pub exclusions_distinct: u64,
    pub exclusions: Vec<ExclusionRow>,
}

#[derive(Default)]
struct FieldAcc {
    rules: BTreeSet<i64>,
    names: BTreeSet<String>,
    operators: BTreeMap<String, BTreeSet<i64>>,
}

/// "Fields filtered most" of a rule set, counted from its non-selector predicate rows: the
/// page's query feeds it rows from SQL, the build (`ingest::technique_pages`) from memory.
#[derive(Default)]
pub(crate) struct FieldsAcc(HashMap<String, FieldAcc>);

impl FieldsAcc {
    /// One predicate row of rule `rid`: canonical field, vendor, vendor field name, operator.
    pub(crate) fn add(
        &mut self,
        rid: i64,
        canonical: &str,
        vendor: &str,
        field: &str,
        operator: &str,
    ) {
        let acc = match self.0.get_mut(canonical) {
            Some(acc) => acc,
            None => self.0.entry(canonical.to_owned()).or_default(),
        };
        acc.rules.insert(rid);
        acc.names.insert(format!("{vendor}:{field}"));
        match acc.operators.get_mut(operator) {
            Some(rids) => {
                rids.insert(rid);
            }
            None => {
                acc.operators
                    .insert(operator.to_owned(), BTreeSet::from([rid]));
            }
        }
    }

    /// The rows, most rules first (samples left empty).
    pub(crate) fn rows(self) -> Vec<FieldRow> {
        let mut out: Vec<FieldRow> = self
            .0
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
        out
    }
}

/// A rule set's triples by (role, field, operator, value): the rules using each (rids and
/// ids) and its corpus reach. Fed from SQL by the page's query, from memory by the build.
#[derive(Default)]
pub(crate) struct TriplesAcc(HashMap<TripleKey, TripleAcc>);

impl TriplesAcc {
    /// One triple row of rule `rid` (whose id is `rule_id`); `reach` is the triple's corpus
    /// reach (0 for selectors and exclusions).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add(
        &mut self,
        rid: i64,
        role: Role,
        field: &str,
        operator: &str,
        value: &str,
        rule_id: &str,
        reach: u64,
    ) {
        let key = (
            role,
            field.to_owned(),
            operator.to_owned(),
            value.to_owned(),
        );
        let entry = self.0.entry(key).or_default();
        entry.0.insert(rid);
        if !entry.1.contains(rule_id) {
            entry.1.insert(rule_id.to_owned());
        }
        entry.2 = reach;
    }
}

/// Column `i` of `r` as text, borrowed from the row.
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    r.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// The guide of a rule set from its field rows and triples: samples, ranking, cuts.
pub(crate) fn guide(mut field_rows: Vec<FieldRow>, triples: TriplesAcc) -> Guide {
    let triples = triples.0;
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
    Guide {
        scope,
        fields_distinct,
        fields: field_rows,
        indicators_distinct,
        indicators,
        exclusions_distinct,
        exclusions,
    }
}

impl Catalog {
    /// The technique page, or `None` when ATT&CK has no such technique and no rule names it.
    pub fn technique(
        &self,
        id: &str,
        options: QueryOptions,
    ) -> Result<Option<TechniquePage>, CatalogError> {
        self.technique_page(id, options, true)
    }

    /// The technique page counted with SQL from the rule tables, never read from
    /// `technique_pages`: what the stored pages are checked against (feature `test-sql`).
    #[cfg(feature = "test-sql")]
    #[doc(hidden)]
    pub fn technique_counted_for_tests(
        &self,
        id: &str,
        options: QueryOptions,
    ) -> Result<Option<TechniquePage>, CatalogError> {
        self.technique_page(id, options, false)
    }

    fn technique_page(
        &self,
        id: &str,
        options: QueryOptions,
        use_stored: bool,
    ) -> Result<Option<TechniquePage>, CatalogError> {
        let id = id.trim().to_ascii_uppercase();
        let _snapshot = super::ReadSnapshot::begin(&self.conn)?;
        let Some(mut technique) = self.technique_header(&id)? else {
            return Ok(None);
        };
        technique.priority = self.technique_priority(&id, options)?;
        let stored = if options.include_deprecated || !use_stored {
            None
        } else {
            self.stored_page(&id)?
        };
        // The analytics read the detection strategies the header has decoded.
        let strategies = technique
            .data
            .as_ref()
            .map_or(&[][..], |d| d.detection.strategies.as_slice());
        let (rules, (events, sensors), guide, analytics) = match stored {
            Some(page) => self.resolve_page(strategies, page)?,
            None => self.counted_page(&id, options)?,
        };
        let rules_by_vendor = super::count_by_vendor(&rules);
        let Guide {
            scope,
            fields_distinct,
            fields,
            indicators_distinct,
            indicators,
            exclusions_distinct,
            exclusions,
        } = guide;
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
            analytics,
        }))
    }

    /// The rule-derived part of the page counted with SQL from the rule tables (deprecated
    /// rules included, or a catalog without `technique_pages`).
    fn counted_page(&self, id: &str, options: QueryOptions) -> Result<Counted, CatalogError> {
        let rules = self
            .conn
            .prepare_cached(
                "SELECT r.vendor, r.id, r.title, r.path, r.lifecycle, r.parse_status
                 FROM rule_techniques rt JOIN rule_heads r ON r.rid = rt.rid
                 WHERE rt.technique_id = ?1 AND (?2 OR r.lifecycle = 'active')
                 ORDER BY r.vendor, r.title",
            )?
            .query_map(rusqlite::params![id, options.include_deprecated], rule_ref)?
            .collect::<Result<Vec<_>, _>>()?;
        // The rule set of this technique: every statistic below starts from it.
        let key = rusqlite::params![id, options.include_deprecated];
        let events = self.events_covered(key)?;
        let guide = self.technique_guide(key)?;
        let analytics = self
            .technique_analytics(id, options)?
            .map(|a| a.analytics)
            .unwrap_or_default();
        Ok((rules, events, guide, analytics))
    }

    /// The page's parts from its stored row: the listed rules, each guide row's rule ids from
    /// its rules' positions in that list, the analytics matched against the technique's
    /// detection `strategies`.
    fn resolve_page(
        &self,
        strategies: &[StrategyData],
        page: StoredPage,
    ) -> Result<Counted, CatalogError> {
        let StoredPage {
            rules,
            events,
            sensors,
            guide: g,
            analytics: stored,
        } = page;
        let analytics = self.stored_analytics(strategies, &rules, &stored)?;
        // A row's rule ids sorted and distinct: the listed rules ranked by id once, each row
        // then sorts its ranks.
        let mut by_id: Vec<u32> = (0..rules.len() as u32).collect();
        by_id.sort_by(|&a, &b| id_of(&rules, a).cmp(id_of(&rules, b)));
        let mut rank = vec![0u32; rules.len()];
        for (r, &i) in by_id.iter().enumerate() {
            if let Some(slot) = rank.get_mut(i as usize) {
                *slot = r as u32;
            }
        }
        let rule_ids = |at: &[u32]| -> Vec<String> {
            let mut ranks: Vec<u32> = at
                .iter()
                .filter_map(|&i| rank.get(i as usize).copied())
                .collect();
            ranks.sort_unstable();
            ranks.dedup();
            let mut ids: Vec<String> = ranks
                .iter()
                .filter_map(|&r| by_id.get(r as usize))
                .map(|&i| id_of(&rules, i).to_owned())
                .collect();
            // Two listed rules of different vendors may share an id: listed once.
            ids.dedup();
            ids
        };
        // The stored rows are moved into the view, not copied.
        let guide = Guide {
            scope: g.scope,
            fields_distinct: g.fields_distinct,
            fields: g.fields,
            indicators_distinct: g.indicators_distinct,
            indicators: g
                .indicators
                .into_iter()
                .map(|row| IndicatorRow {
                    rule_ids: rule_ids(&row.at),
                    field: row.field,
                    operator: row.operator,
                    value: row.value,
                    rules: row.rules,
                    corpus_reach: row.reach,
                })
                .collect(),
            exclusions_distinct: g.exclusions_distinct,
            exclusions: g
                .exclusions
                .into_iter()
                .map(|row| ExclusionRow {
                    rule_ids: rule_ids(&row.at),
                    field: row.field,
                    operator: row.operator,
                    value: row.value,
                    rules: row.rules,
                })
                .collect(),
        };
        let listed = rules
            .into_iter()
            .map(|r| crate::views::RuleRef {
                id: r.id,
                vendor: r.vendor,
                title: r.title,
                path: r.path,
                lifecycle: Lifecycle::Active,
                parse_status: r.parse_status,
            })
            .collect();
        Ok((listed, (events, sensors), guide, analytics))
    }

    /// The technique's ATT&CK v18 analytics (of its detection `strategies`, as the header
    /// decoded them) against its listed rules' stored inputs (as
    /// `Catalog::technique_analytics` counts them: rules in rid order).
    fn stored_analytics(
        &self,
        strategies: &[StrategyData],
        listed: &[StoredRule],
        stored: &crate::ingest::technique_pages::StoredAnalytics,
    ) -> Result<Vec<AnalyticCoverage>, CatalogError> {
        if strategies.is_empty() {
            return Ok(Vec::new());
        }
        // A position outside the stored tables (a damaged page) matches nothing.
        let mut input = TechniqueRules {
            rules: Vec::with_capacity(listed.len()),
            keys: stored.keys.iter().map(String::as_str).collect(),
            fields: stored.fields.iter().map(String::as_str).collect(),
        };
        for (rule, (keys, fields)) in listed.iter().zip(&stored.rules) {
            input.rules.push(IndexedRule {
                rid: rule.rid,
                rule: AnalyticRule {
                    vendor: rule.vendor.as_str().to_owned(),
                    id: rule.id.clone(),
                    title: rule.title.clone(),
                },
                keys: keys.clone(),
                fields: fields.clone(),
            });
        }
        input.rules.sort_by_key(|r| r.rid);
        Ok(match self.stored_taxonomy(strategies)? {
            Some(tax) => Catalog::analytics_with(&tax, strategies, &input),
            None => Catalog::analytics_with(detcat_taxonomy::Taxonomy::get(), strategies, &input),
        })
    }

    /// The technique's stored page (`technique_pages`, active rules): `None` when the catalog
    /// has no such table; an empty page when the technique has no active rule and no analytic.
    fn stored_page(&self, id: &str) -> Result<Option<StoredPage>, CatalogError> {
        if !self.has_table("technique_pages")? {
            return Ok(None);
        }
        let page: Option<StoredPage> = self
            .conn
            .prepare_cached("SELECT page FROM technique_pages WHERE technique_id = ?1")?
            .query_row([id], |r| postcard_at(r, 0))
            .optional()?;
        Ok(Some(page.unwrap_or_default()))
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
                let empty = r.get_ref("data")?.as_str().unwrap_or_default() == "{}";
                let data = if empty {
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
        let mut fields = FieldsAcc::default();
        let mut stmt = self
            .conn
            .prepare_cached(super::rule_set::field_predicates(set))?;
        let mut rows = stmt.query(params)?;
        while let Some(r) = rows.next()? {
            fields.add(
                r.get(0)?,
                text(r, 1)?,
                text(r, 2)?,
                text(r, 3)?,
                text(r, 4)?,
            );
        }
        Ok(fields.rows())
    }

    /// Fields, indicators and exclusions of the technique's rules. Two range scans fetch the
    /// rows; counting happens here, where "each rule counts at most once per row" is a set.
    fn technique_guide(&self, key: &[&dyn rusqlite::ToSql]) -> Result<Guide, CatalogError> {
        let fields = self.field_rows(RuleSet::Technique, key)?;
        let triples = self.guide_triples(key)?;
        Ok(guide(fields, triples))
    }

    /// The technique's triples by (role, field, operator, value): the rules using each (rids
    /// and ids) and its corpus reach.
    fn guide_triples(&self, key: &[&dyn rusqlite::ToSql]) -> Result<TriplesAcc, CatalogError> {
        let mut triples = TriplesAcc::default();
        // Corpus reach is stored on each indicator row: the same for every row of a triple.
        let mut stmt = self
            .conn
            .prepare_cached(super::rule_set::TECHNIQUE_TRIPLES)?;
        let mut rows = stmt.query(key)?;
        while let Some(r) = rows.next()? {
            let role = Role::parse(text(r, 1)?).unwrap_or(Role::Other);
            triples.add(
                r.get(0)?,
                role,
                text(r, 2)?,
                text(r, 3)?,
                text(r, 4)?,
                text(r, 5)?,
                r.get(6)?,
            );
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
        // A sub-technique's `technique_coverage` row counts the rules tagged with it (it has
        // no sub-techniques of its own to roll up): no scan of the rule tables.
        let sql = "SELECT t.id, t.name, c.by_vendor
             FROM techniques t
             LEFT JOIN technique_coverage c ON c.technique_id = t.id AND c.deprecated = ?2
             WHERE t.parent = ?1 AND NOT t.revoked AND NOT t.deprecated
             ORDER BY t.id";
        let mut subs: Vec<SubtechniqueRollup> = Vec::new();
        let mut total = VendorCounts::default();
        let rows = self
            .conn
            .prepare_cached(sql)?
            .query_map(rusqlite::params![id, options.include_deprecated], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (id, name, by_vendor) in rows {
            let stored: VendorCounts = match by_vendor {
                Some(json) => serde_json::from_str(&json)?,
                None => VendorCounts::default(),
            };
            // Vendors with rules only, as counted from the rules.
            let rules_by_vendor: VendorCounts = stored.iter().filter(|(_, n)| *n > 0).collect();
            for (v, n) in rules_by_vendor.iter().filter(|(_, n)| *n > 0) {
                total.add(v, n);
            }
            subs.push(SubtechniqueRollup {
                id,
                name,
                rules_by_vendor,
            });
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

/// The id of the `i`-th listed rule (empty past the end).
fn id_of(listed: &[StoredRule], i: u32) -> &str {
    listed.get(i as usize).map_or("", |r| r.id.as_str())
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

//! Rules ↔ ATT&CK v18 analytics: which catalog rules implement each analytic of a technique's
//! detection strategies.
//!
//! An analytic lists log sources: a data component with a log and channel
//! (`WinEventLog:Sysmon` / `EventCode=1`). The taxonomy maps each row to events
//! (`Taxonomy::attack_log_source_events`: `sysmon:1`; `provider:*` when the channel names no
//! event code; nothing for logs it does not map). A rule tagged with the technique
//! **implements a row** when it reads one of the row's events — directly, through a sensor
//! event that corresponds to it (`events.native`: Elastic Defend `endpoint:process` ↔
//! `sysmon:1`), or through `provider:*` on either side (same provider). A rule implements the
//! analytic when it implements any of its rows; an analytic no rule implements is flagged.
//! Mutable elements (what a defender tunes: `ParentProcessExclusions`, `UserContext`) are
//! matched, where the taxonomy knows what field a name is about
//! (`Taxonomy::attack_mutable_element_fields`), against the implementing rules' fields: each
//! element lists the rules that already filter on its fields (as indicator or exclusion).

use std::collections::{BTreeMap, HashMap, HashSet};

use detcat_attack::MutableElement;
use serde::{Deserialize, Serialize};

use crate::attack_data::{AnalyticData, DetectionGuide, LogSourceData, StrategyData};
use crate::error::CatalogError;
use crate::query::{Catalog, QueryOptions};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AnalyticRule {
    pub vendor: String,
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LogSourceCoverage {
    pub data_component: String,
    pub data_component_name: Option<String>,
    pub name: String,
    pub channel: String,
    /// Catalog events the row carries (`provider:*`: any event of it); empty: not mapped.
    pub events: Vec<String>,
    /// Rules implementing this row, in vendor order ([`detcat_model::Vendor::ALL`]).
    pub rules: Vec<AnalyticRule>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AnalyticCoverage {
    pub id: String,
    pub name: String,
    pub strategy: String,
    pub strategy_name: String,
    pub platforms: Vec<String>,
    pub url: Option<String>,
    /// At least one rule implements one of its log sources.
    pub implemented: bool,
    /// Rules implementing any row, per vendor name ([`detcat_model::Vendor::as_str`]).
    pub rules_by_vendor: BTreeMap<String, Vec<AnalyticRule>>,
    pub log_sources: Vec<LogSourceCoverage>,
    pub mutable_elements: Vec<MutableElement>,
    /// Each mutable element against the implementing rules' fields.
    #[serde(default)]
    pub mutable_matches: Vec<MutableMatch>,
}

/// A mutable element of an analytic against the fields of the rules implementing it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MutableMatch {
    /// The element as ATT&CK names it (`ParentProcessExclusions`).
    pub element: String,
    /// Canonical fields it is about (empty: none known, e.g. `TimeWindow`).
    pub fields: Vec<String>,
    /// Implementing rules that filter on one of those fields (indicator or exclusion),
    /// in the registry's vendor order.
    pub rules: Vec<AnalyticRule>,
}

/// A technique's analytics with their implementing rules (`detcat analytics T`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TechniqueAnalytics {
    pub technique: String,
    pub name: String,
    /// Rules tagged with the technique (lifecycle filter applied).
    pub rules: u64,
    pub analytics: Vec<AnalyticCoverage>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UnimplementedAnalytic {
    pub technique: String,
    pub technique_name: String,
    pub id: String,
    pub name: String,
    pub platforms: Vec<String>,
    /// `name channel` of each log source.
    pub log_sources: Vec<String>,
    /// Rules tagged with the technique (none of which implements the analytic).
    pub technique_rules: u64,
}

/// The catalog-wide view (`detcat analytics`, `/analytics`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AnalyticsOverview {
    pub techniques: u64,
    pub analytics: u64,
    pub implemented: u64,
    pub unimplemented: Vec<UnimplementedAnalytic>,
}

pub(crate) struct RuleEvents {
    pub rid: i64,
    pub rule: AnalyticRule,
    /// Own events plus the natives of its sensor events.
    pub keys: Vec<String>,
}

fn provider(key: &str) -> &str {
    key.split_once(':').map_or(key, |(p, _)| p)
}

fn is_star(key: &str) -> bool {
    key.split_once(':').is_some_and(|(_, id)| id == "*")
}

/// Whether a rule's event key `k` reads the log source event `r`: the same event, or the
/// same provider with `*` on either side.
fn key_matches(k: &str, r: &str) -> bool {
    k == r || ((is_star(k) || is_star(r)) && provider(k) == provider(r))
}

/// What the analytics ask the taxonomy: the events of an ATT&CK log source and the
/// canonical fields of a mutable element. The build stores every answer its ATT&CK release
/// needs (`analytic_taxonomy`), so a technique page reads them instead of loading the
/// taxonomy (whose data files take longer to parse than the rest of the page).
pub(crate) trait AnalyticTaxonomy {
    fn log_source_events(&self, name: &str, channel: &str) -> Vec<String>;
    fn element_fields(&self, element: &str) -> Vec<String>;
}

impl AnalyticTaxonomy for detcat_taxonomy::Taxonomy {
    fn log_source_events(&self, name: &str, channel: &str) -> Vec<String> {
        self.attack_log_source_events(name, channel)
    }

    fn element_fields(&self, element: &str) -> Vec<String> {
        self.attack_mutable_element_fields(element).to_vec()
    }
}

/// Rule (rid) → the canonical fields it filters on.
pub(crate) type RuleFields = HashMap<i64, HashSet<String>>;

/// One technique's rules as [`Catalog::analytics_with`] reads them: each rule's event keys
/// and canonical fields as positions in tables of distinct strings. A log source or a mutable
/// element is then matched once per distinct key or field, not once per rule and key (T1059's
/// 481 rules repeat a few dozen keys), and a rule is matched by comparing positions.
#[derive(Default)]
pub(crate) struct TechniqueRules<'a> {
    /// In rid order.
    pub rules: Vec<IndexedRule>,
    pub keys: Vec<&'a str>,
    pub fields: Vec<&'a str>,
}

pub(crate) struct IndexedRule {
    pub rid: i64,
    pub rule: AnalyticRule,
    /// Positions in [`TechniqueRules::keys`]: own events plus the natives of its sensor events.
    pub keys: Vec<u32>,
    /// Positions in [`TechniqueRules::fields`]: the canonical fields it filters on.
    pub fields: Vec<u32>,
}

impl<'a> TechniqueRules<'a> {
    /// The tables of `rules` (rid order) and their `fields`, each distinct string once.
    fn intern(rules: &'a [RuleEvents], fields: &'a RuleFields) -> Self {
        fn position<'a>(
            table: &mut Vec<&'a str>,
            seen: &mut HashMap<&'a str, u32>,
            s: &'a str,
        ) -> u32 {
            *seen.entry(s).or_insert_with(|| {
                table.push(s);
                (table.len() - 1) as u32
            })
        }
        let mut out = TechniqueRules::default();
        let (mut keys, mut names) = (HashMap::new(), HashMap::new());
        for r in rules {
            let rule_keys = r
                .keys
                .iter()
                .map(|k| position(&mut out.keys, &mut keys, k))
                .collect();
            let rule_fields = fields
                .get(&r.rid)
                .into_iter()
                .flatten()
                .map(|f| position(&mut out.fields, &mut names, f))
                .collect();
            out.rules.push(IndexedRule {
                rid: r.rid,
                rule: r.rule.clone(),
                keys: rule_keys,
                fields: rule_fields,
            });
        }
        out
    }
}

/// A rule of the technique in listing order, and whether it implements the analytic at hand.
struct Listed<'r> {
    vendor_rank: usize,
    rule: &'r IndexedRule,
    implements: bool,
}

/// Whether any of `positions` is marked in `hit`.
fn any_hit(positions: &[u32], hit: &[bool]) -> bool {
    positions
        .iter()
        .any(|&p| hit.get(p as usize).copied().unwrap_or(false))
}

/// The analytic's mutable elements against the fields of its implementing rules (`listing`:
/// the technique's rules in listing order, each with whether it implements the analytic).
fn mutable_matches(
    tax: &dyn AnalyticTaxonomy,
    analytic: &AnalyticData,
    listing: &[Listed<'_>],
    field_names: &[&str],
) -> Vec<MutableMatch> {
    analytic
        .mutable_elements
        .iter()
        .map(|e| {
            let element = e.field.clone();
            let wanted = tax.element_fields(&element);
            let hit: Vec<bool> = field_names
                .iter()
                .map(|f| wanted.iter().any(|w| w == f))
                .collect();
            let mut rules: Vec<AnalyticRule> = listing
                .iter()
                .filter(|l| l.implements && any_hit(&l.rule.fields, &hit))
                .map(|l| l.rule.rule.clone())
                .collect();
            rules.dedup();
            MutableMatch {
                element,
                fields: wanted,
                rules,
            }
        })
        .collect()
}

/// Registry order; unknown names last.
fn vendor_rank(v: &str) -> usize {
    detcat_model::Vendor::parse(v).map_or(usize::MAX, detcat_model::Vendor::index)
}

/// The part of a technique's `techniques.data` that its analytics read; serde skips the
/// other keys (the description, its references) without decoding them. A technique of no
/// ATT&CK bundle stores `{}`: no detection guidance, no analytics.
#[derive(Deserialize)]
pub(crate) struct DetectionOnly {
    #[serde(default)]
    pub detection: DetectionGuide,
}

impl Catalog {
    /// Rules (tagged with `technique`, or all) with the events they read.
    fn rule_events_by_technique(
        &self,
        technique: Option<&str>,
        options: QueryOptions,
    ) -> Result<HashMap<String, Vec<RuleEvents>>, CatalogError> {
        let mut natives: HashMap<String, Vec<String>> = HashMap::new();
        {
            let mut stmt = self.connection().prepare(
                "SELECT provider || ':' || event_id, native FROM events WHERE sensor IS NOT NULL",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let n: Vec<String> = crate::query::json_vec(&r.get::<_, String>(1)?)?
                    .into_iter()
                    .filter(|k| k != "*")
                    .collect();
                natives.insert(r.get(0)?, n);
            }
        }
        // Two statements rather than `?1 IS NULL OR …`, which keeps SQLite off the technique
        // index: one technique's page used to read the whole rules table.
        let sql = if technique.is_some() {
            "SELECT rt.technique_id, r.rid, r.vendor, r.id, r.title, re.provider || ':' || re.event_id
             FROM rule_techniques rt JOIN rules r ON r.rid = rt.rid
             LEFT JOIN rule_events re ON re.rid = rt.rid
             WHERE (?2 OR r.lifecycle = 'active') AND rt.technique_id = ?1
             ORDER BY rt.technique_id, r.rid"
        } else {
            "SELECT rt.technique_id, r.rid, r.vendor, r.id, r.title, re.provider || ':' || re.event_id
             FROM rule_techniques rt JOIN rules r ON r.rid = rt.rid
             LEFT JOIN rule_events re ON re.rid = rt.rid
             WHERE (?2 OR r.lifecycle = 'active') AND ?1 IS NULL
             ORDER BY rt.technique_id, r.rid"
        };
        let mut stmt = self.connection().prepare_cached(sql)?;
        let mut rows = stmt.query(rusqlite::params![technique, options.include_deprecated])?;
        let mut out: HashMap<String, Vec<RuleEvents>> = HashMap::new();
        let mut last: Option<(String, i64)> = None;
        while let Some(r) = rows.next()? {
            let t: String = r.get(0)?;
            let rid: i64 = r.get(1)?;
            let key: Option<String> = r.get(5)?;
            let list = out.entry(t.clone()).or_default();
            if last.as_ref() != Some(&(t.clone(), rid)) {
                list.push(RuleEvents {
                    rid,
                    rule: AnalyticRule {
                        vendor: r.get(2)?,
                        id: r.get(3)?,
                        title: crate::query::truncate_text(
                            r.get(4)?,
                            crate::query::MAX_LISTED_TITLE_CHARS,
                        ),
                    },
                    keys: Vec::new(),
                });
                last = Some((t, rid));
            }
            if let (Some(k), Some(entry)) = (key, list.last_mut()) {
                if let Some(n) = natives.get(&k) {
                    entry.keys.extend(n.iter().cloned());
                }
                entry.keys.push(k);
            }
        }
        Ok(out)
    }

    /// The canonical fields each rule of `technique` filters on (indicators, exclusions).
    fn rule_fields(&self, technique: &str) -> Result<RuleFields, CatalogError> {
        let mut stmt = self.connection().prepare_cached(
            "SELECT DISTINCT p.rid, p.canonical FROM rule_techniques rt
             JOIN rules r ON r.rid = rt.rid
             JOIN predicates p ON p.rowid BETWEEN r.first_predicate AND r.last_predicate
             WHERE rt.technique_id = ?1 AND p.role IN ('indicator', 'exclusion')",
        )?;
        let mut rows = stmt.query([technique])?;
        let mut out = RuleFields::new();
        while let Some(r) = rows.next()? {
            out.entry(r.get(0)?).or_default().insert(r.get(1)?);
        }
        Ok(out)
    }

    /// The analytics of a technique's detection `strategies` with the rules implementing
    /// each, the taxonomy's answers from the taxonomy itself.
    pub(crate) fn analytics_of(
        strategies: &[StrategyData],
        rules: &[RuleEvents],
        fields: &RuleFields,
    ) -> Vec<AnalyticCoverage> {
        Self::analytics_with(
            detcat_taxonomy::Taxonomy::get(),
            strategies,
            &TechniqueRules::intern(rules, fields),
        )
    }

    /// [`Catalog::analytics_of`] with the taxonomy's answers from `tax` (the technique page
    /// reads them from the catalog, so it does not load the taxonomy).
    pub(crate) fn analytics_with(
        tax: &dyn AnalyticTaxonomy,
        strategies: &[StrategyData],
        input: &TechniqueRules<'_>,
    ) -> Vec<AnalyticCoverage> {
        // Every list of rules below is in listing order: registry vendor order, then title
        // and id (stable, so rid order breaks the ties of unknown vendors). Sorted once here;
        // each list then filters it.
        let mut listing: Vec<Listed<'_>> = input
            .rules
            .iter()
            .map(|r| Listed {
                vendor_rank: vendor_rank(&r.rule.vendor),
                rule: r,
                implements: false,
            })
            .collect();
        listing.sort_by(|a, b| {
            (a.vendor_rank, &a.rule.rule.title, &a.rule.rule.id).cmp(&(
                b.vendor_rank,
                &b.rule.rule.title,
                &b.rule.rule.id,
            ))
        });
        let mut out = Vec::new();
        for s in strategies {
            for a in &s.analytics {
                for l in listing.iter_mut() {
                    l.implements = false;
                }
                let log_sources: Vec<LogSourceCoverage> = a
                    .log_sources
                    .iter()
                    .map(|ls| log_source_coverage(tax, ls, &input.keys, &mut listing))
                    .collect();
                // Every implementing rule under its vendor, once, in listing order (within a
                // vendor: title, then id).
                let mut by_vendor: BTreeMap<String, Vec<AnalyticRule>> = BTreeMap::new();
                for l in listing.iter().filter(|l| l.implements) {
                    by_vendor
                        .entry(l.rule.rule.vendor.clone())
                        .or_default()
                        .push(l.rule.rule.clone());
                }
                let mutable_matches = mutable_matches(tax, a, &listing, &input.fields);
                out.push(AnalyticCoverage {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    strategy: s.id.clone(),
                    strategy_name: s.name.clone(),
                    platforms: a.platforms.clone(),
                    url: a.url.clone(),
                    implemented: !by_vendor.is_empty(),
                    rules_by_vendor: by_vendor,
                    log_sources,
                    mutable_elements: a.mutable_elements.clone(),
                    mutable_matches,
                });
            }
        }
        out
    }

    /// A technique's ATT&CK v18 analytics with the rules implementing each; `None` when the
    /// catalog has no such technique.
    pub fn technique_analytics(
        &self,
        id: &str,
        options: QueryOptions,
    ) -> Result<Option<TechniqueAnalytics>, CatalogError> {
        let row: Option<(String, String, String)> = self
            .connection()
            .query_row(
                // Ids are upper case in ATT&CK; `COLLATE NOCASE` would scan every technique.
                "SELECT id, name, data FROM techniques WHERE id = ?1",
                [id.trim().to_ascii_uppercase()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .ok();
        let Some((tid, name, data)) = row else {
            return Ok(None);
        };
        let data: DetectionOnly = serde_json::from_str(&data)?;
        let mut rules = self.rule_events_by_technique(Some(&tid), options)?;
        let rules = rules.remove(&tid).unwrap_or_default();
        let fields = self.rule_fields(&tid)?;
        Ok(Some(TechniqueAnalytics {
            analytics: Self::analytics_of(&data.detection.strategies, &rules, &fields),
            rules: rules.len() as u64,
            technique: tid,
            name,
        }))
    }

    /// Every analytic of the catalog's ATT&CK release that no rule implements.
    pub fn unimplemented_analytics(
        &self,
        options: QueryOptions,
    ) -> Result<AnalyticsOverview, CatalogError> {
        let by_tech = self.rule_events_by_technique(None, options)?;
        let mut stmt = self.connection().prepare(
            "SELECT id, name, data FROM techniques WHERE revoked = 0 AND deprecated = 0 ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        let mut overview = AnalyticsOverview {
            techniques: 0,
            analytics: 0,
            implemented: 0,
            unimplemented: Vec::new(),
        };
        let empty = Vec::new();
        while let Some(r) = rows.next()? {
            let (tid, name, data): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let data: DetectionOnly = serde_json::from_str(&data)?;
            let rules = by_tech.get(&tid).unwrap_or(&empty);
            // The overview lists analytics only: no rule fields needed.
            let analytics =
                Self::analytics_of(&data.detection.strategies, rules, &RuleFields::new());
            if analytics.is_empty() {
                continue;
            }
            overview.techniques += 1;
            for a in analytics {
                overview.analytics += 1;
                if a.implemented {
                    overview.implemented += 1;
                    continue;
                }
                overview.unimplemented.push(UnimplementedAnalytic {
                    technique: tid.clone(),
                    technique_name: name.clone(),
                    id: a.id,
                    name: a.name,
                    platforms: a.platforms,
                    log_sources: a
                        .log_sources
                        .iter()
                        .map(|l| format!("{} {}", l.name, l.channel))
                        .collect(),
                    technique_rules: rules.len() as u64,
                });
            }
        }
        Ok(overview)
    }
}

/// An analytic's log source with the events it means and the rules that read one of them
/// (listing order), which are marked in `listing` as implementing the analytic.
fn log_source_coverage(
    tax: &dyn AnalyticTaxonomy,
    ls: &LogSourceData,
    keys: &[&str],
    listing: &mut [Listed<'_>],
) -> LogSourceCoverage {
    let (name, channel) = (ls.name.clone(), ls.channel.clone());
    let events = tax.log_source_events(&name, &channel);
    let hit: Vec<bool> = keys
        .iter()
        .map(|k| events.iter().any(|e| key_matches(k, e)))
        .collect();
    let mut implementing = Vec::new();
    for l in listing.iter_mut() {
        if any_hit(&l.rule.keys, &hit) {
            l.implements = true;
            implementing.push(l.rule.rule.clone());
        }
    }
    LogSourceCoverage {
        data_component: ls.data_component.clone(),
        data_component_name: ls.data_component_name.clone(),
        name,
        channel,
        events,
        rules: implementing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers from fixed tables, as the catalog's stored taxonomy gives them.
    struct Fixed;

    impl AnalyticTaxonomy for Fixed {
        fn log_source_events(&self, name: &str, channel: &str) -> Vec<String> {
            match (name, channel) {
                ("WinEventLog:Sysmon", "EventCode=1") => vec!["sysmon:1".to_owned()],
                ("WinEventLog:Security", "") => vec!["security:*".to_owned()],
                _ => Vec::new(),
            }
        }

        fn element_fields(&self, element: &str) -> Vec<String> {
            match element {
                "ParentProcessExclusions" => vec!["process.parent.name".to_owned()],
                _ => Vec::new(),
            }
        }
    }

    fn rule(rid: i64, vendor: &str, title: &str, keys: &[&str]) -> RuleEvents {
        RuleEvents {
            rid,
            rule: AnalyticRule {
                vendor: vendor.to_owned(),
                id: format!("r{rid}"),
                title: title.to_owned(),
            },
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        }
    }

    /// A technique's detection strategies as `techniques.data` holds them.
    fn strategies() -> Vec<StrategyData> {
        let log_source = |name: &str, channel: &str| {
            serde_json::json!({ "data_component": "DC1", "data_component_name": null,
                                "name": name, "channel": channel })
        };
        let element = |field: &str| serde_json::json!({ "field": field, "description": "" });
        serde_json::from_value(serde_json::json!([{
            "id": "DET1", "name": "Strategy", "url": null,
            "analytics": [{
                "id": "AN1", "name": "Process launch", "description": "", "platforms": [],
                "url": null,
                "log_sources": [
                    log_source("WinEventLog:Sysmon", "EventCode=1"),
                    log_source("WinEventLog:Security", ""),
                    log_source("Unmapped", "x")
                ],
                "mutable_elements": [element("ParentProcessExclusions"), element("TimeWindow")]
            }, {
                "id": "AN2", "name": "Nothing reads it", "description": "", "platforms": [],
                "url": null,
                "log_sources": [log_source("Unmapped", "x")],
                "mutable_elements": []
            }]
        }]))
        .expect("the fixture is a list of strategies")
    }

    #[test]
    fn a_technique_without_attack_data_has_no_analytics() {
        let data: DetectionOnly = serde_json::from_str("{}").expect("`{}` is read");
        assert!(data.detection.strategies.is_empty());
    }

    fn titles(rules: &[AnalyticRule]) -> Vec<&str> {
        rules.iter().map(|r| r.title.as_str()).collect()
    }

    #[test]
    fn rules_implement_log_sources_by_event_and_by_star() {
        let rules = vec![
            rule(1, "splunk", "A splunk", &["sysmon:1"]),
            rule(2, "sigma", "B sigma", &["security:4688"]),
            rule(3, "sigma", "A sigma", &["endpoint:process", "sysmon:1"]),
            rule(4, "elastic", "C elastic", &["sysmon:3"]),
            rule(5, "elastic", "D elastic", &["security:*"]),
        ];
        let mut fields = RuleFields::new();
        fields.insert(3, HashSet::from(["process.parent.name".to_owned()]));
        fields.insert(4, HashSet::from(["process.parent.name".to_owned()]));
        let input = TechniqueRules::intern(&rules, &fields);
        let out = Catalog::analytics_with(&Fixed, &strategies(), &input);
        assert_eq!(out.len(), 2);
        let a = &out[0];
        // Sysmon 1: the two rules reading it, registry vendor order then title.
        assert_eq!(titles(&a.log_sources[0].rules), ["A sigma", "A splunk"]);
        // `security:*` on the row takes any Security event; a rule's own star too.
        assert_eq!(titles(&a.log_sources[1].rules), ["B sigma", "D elastic"]);
        assert!(a.log_sources[2].rules.is_empty());
        assert!(a.implemented);
        let by_vendor: Vec<(&str, Vec<&str>)> = a
            .rules_by_vendor
            .iter()
            .map(|(v, r)| (v.as_str(), titles(r)))
            .collect();
        assert_eq!(
            by_vendor,
            [
                ("elastic", vec!["D elastic"]),
                ("sigma", vec!["A sigma", "B sigma"]),
                ("splunk", vec!["A splunk"]),
            ]
        );
        // Rule 4 filters on the element's field but implements no row: not listed.
        assert_eq!(a.mutable_matches[0].fields, ["process.parent.name"]);
        assert_eq!(titles(&a.mutable_matches[0].rules), ["A sigma"]);
        assert!(a.mutable_matches[1].fields.is_empty());
        assert!(a.mutable_matches[1].rules.is_empty());
        let b = &out[1];
        assert!(!b.implemented);
        assert!(b.rules_by_vendor.is_empty());
    }

    #[test]
    fn unknown_vendors_sort_last_and_positions_past_the_tables_match_nothing() {
        let rules = vec![
            rule(1, "zeta", "Same", &["sysmon:1"]),
            rule(2, "alpha", "Same", &["sysmon:1"]),
            rule(3, "splunk", "Z", &["sysmon:1"]),
        ];
        let no_fields = RuleFields::new();
        let mut input = TechniqueRules::intern(&rules, &no_fields);
        // A damaged stored page may name a key the table lacks.
        input.rules.push(IndexedRule {
            rid: 4,
            rule: AnalyticRule {
                vendor: "sigma".to_owned(),
                id: "r4".to_owned(),
                title: "Broken".to_owned(),
            },
            keys: vec![99],
            fields: vec![99],
        });
        let out = Catalog::analytics_with(&Fixed, &strategies(), &input);
        let listed: Vec<(&str, &str)> = out[0].log_sources[0]
            .rules
            .iter()
            .map(|r| (r.vendor.as_str(), r.id.as_str()))
            .collect();
        // Unknown vendors after the registry's, then by title and id.
        assert_eq!(listed, [("splunk", "r3"), ("zeta", "r1"), ("alpha", "r2")]);
    }
}

//! `technique_pages`: the rule-derived part of each technique's page (active rules), counted
//! once at build time (issue 19).
//!
//! Counted at query time, a busy technique's page was a range scan over thousands of
//! predicate and triple rows, each joined to the wide `rules` rows, plus the rules' events
//! and fields for the analytics: 80–90 ms for T1059.001 in a fresh process, most of it
//! reading pages. Here the build counts it and the page reads one row.
//!
//! The work is the side writer's, which has slack at the end of the build and already holds
//! what a page counts: every rule's triples (kept for the corpus reach, which it counts) and
//! each chunk's predicate rows. The analysis adds, per active rule with a technique, only
//! what the side writer lacks ([`PageRule`]: techniques, vendor, title, events); the side
//! writer keeps the non-selector predicates of those rules (moved out of the rows it has
//! stored, not copied). Once the triples are stored it counts each technique's page keyed by
//! borrowed strings, stores it in its late database beside the triples, and the main writer
//! copies the table in with the triples (a transfer of whole records).
//!
//! A page names its rules by rid (`rules`, in list order) and every indicator and exclusion
//! row names its rules by their position in that list, so the row holds no rule twice; the
//! query reads the listed rules by rid and matches the analytics (whose inputs are stored
//! per rule) against the technique's ATT&CK data. The counts are those of the query over the
//! rule tables (`Catalog::technique` with `--include-deprecated`, or on a catalog without
//! this table), which `tests/technique_pages.rs` compares for every technique.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use detcat_model::{Lifecycle, Role, Vendor};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::analyze::{AnalyzedRule, EventKey, TripleRow};
use super::side::{PredicateInsert, RuleTriples};
use crate::error::CatalogError;
use crate::query::EventsAcc;
use crate::query::technique::{PAGE_ROWS, SCOPE_ROWS};
use crate::schema::TECHNIQUE_PAGES_DDL;
use crate::views::{EventRow, FieldRow, ScopeRow, SensorCount};

/// What `technique_pages.page` holds for one technique (JSON).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct StoredPage {
    /// The active rules' rids, ordered by vendor and title as the page lists them.
    pub rules: Vec<i64>,
    pub events: Vec<EventRow>,
    pub sensors: Vec<SensorCount>,
    pub guide: StoredGuide,
    /// What the analytics match, per rule of `rules` (same order).
    pub analytics: StoredAnalytics,
}

/// The authoring guide, its rows naming rules by position in [`StoredPage::rules`].
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct StoredGuide {
    pub scope: Vec<ScopeRow>,
    pub fields_distinct: u64,
    pub fields: Vec<FieldRow>,
    pub indicators_distinct: u64,
    pub indicators: Vec<StoredRow>,
    pub exclusions_distinct: u64,
    pub exclusions: Vec<StoredRow>,
}

/// An indicator or exclusion row: its rules as positions in [`StoredPage::rules`].
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredRow {
    pub field: String,
    pub operator: String,
    pub value: String,
    pub rules: u64,
    /// Corpus reach (indicators; 0 for exclusions).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reach: u64,
    pub at: Vec<u32>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Each rule's analytic inputs: its event keys (own events and the natives of its sensor
/// events) and the canonical fields of its indicators and exclusions, as positions in
/// `keys` and `fields`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct StoredAnalytics {
    pub keys: Vec<String>,
    pub fields: Vec<String>,
    /// Per rule of [`StoredPage::rules`]: (key positions, field positions).
    pub rules: Vec<(Vec<u32>, Vec<u32>)>,
}

/// What the side writer lacks of an active rule with a technique (it has its predicates and
/// triples).
pub struct PageRule {
    rid: i64,
    vendor: Vendor,
    title: String,
    techniques: Vec<String>,
    events: Vec<EventKey>,
    /// The rule's non-selector predicates, added by the side writer.
    predicates: Vec<KeptPredicate>,
}

/// A non-selector predicate of a page rule, moved out of its stored row.
struct KeptPredicate {
    canonical: String,
    field: String,
    operator: &'static str,
    role: Role,
}

/// The page rules of a chunk whose first rid is `first_rid` (for [`super::side::SideBatch`]).
pub fn page_rules(rules: &[AnalyzedRule], first_rid: i64) -> Vec<PageRule> {
    rules
        .iter()
        .zip(first_rid..)
        .filter(|(a, _)| a.rule.lifecycle == Lifecycle::Active && !a.techniques.is_empty())
        .map(|(a, rid)| PageRule {
            rid,
            vendor: a.rule.vendor,
            title: a.rule.title.clone(),
            techniques: a.techniques.iter().map(|(id, _)| id.clone()).collect(),
            events: a.events.clone(),
            predicates: Vec::new(),
        })
        .collect()
}

/// The side writer's share: the page rules (in rid order) with their predicates.
#[derive(Default)]
pub struct Collector {
    rules: Vec<PageRule>,
}

impl Collector {
    /// A chunk's page rules; chunks come in rid order.
    pub fn add_rules(&mut self, mut rules: Vec<PageRule>) {
        self.rules.append(&mut rules);
    }

    /// Keeps the non-selector predicates of page rules from rows already stored.
    pub fn add_predicates(&mut self, rows: Vec<PredicateInsert>) {
        let mut at = 0;
        for p in rows {
            if p.role == Role::Selector {
                continue;
            }
            // Rows come in rid order: most lookups are the rule of the previous row.
            if self.rules.get(at).is_none_or(|r| r.rid != p.rid) {
                match self.rules.binary_search_by_key(&p.rid, |r| r.rid) {
                    Ok(i) => at = i,
                    Err(_) => continue,
                }
            }
            if let Some(rule) = self.rules.get_mut(at) {
                rule.predicates.push(KeptPredicate {
                    canonical: p.canonical,
                    field: p.field,
                    operator: p.operator,
                    role: p.role,
                });
            }
        }
    }

    /// Counts every technique's page and stores it in `tx` (the side writer's late
    /// database). `triples` are every rule's, in rid order; `reach` the active and all
    /// rules using each indicator.
    pub fn write(
        &self,
        tx: &rusqlite::Transaction<'_>,
        triples: &[RuleTriples],
        reach: &HashMap<(&str, &str, &str), (i64, i64)>,
    ) -> Result<(), CatalogError> {
        let mut techniques: BTreeMap<&str, Vec<&PageRule>> = BTreeMap::new();
        for rule in &self.rules {
            for id in &rule.techniques {
                let members = techniques.entry(id.as_str()).or_default();
                // A rule's techniques are unique (link dedupes); this keeps it so.
                if members.last().is_none_or(|m| m.rid != rule.rid) {
                    members.push(rule);
                }
            }
        }
        let triples_of = |rid: i64| -> &[TripleRow] {
            triples
                .binary_search_by_key(&rid, |r| r.rid)
                .ok()
                .and_then(|i| triples.get(i))
                .map_or(&[], |r| r.triples.as_slice())
        };
        tx.execute_batch(TECHNIQUE_PAGES_DDL)?;
        let mut stmt =
            tx.prepare("INSERT INTO technique_pages (technique_id, page) VALUES (?1, ?2)")?;
        let taxonomy = detcat_taxonomy::Taxonomy::get();
        let mut json = Vec::new();
        for (id, members) in techniques {
            let page = page(&members, &triples_of, reach, taxonomy);
            json.clear();
            serde_json::to_writer(&mut json, &page)?;
            let text = std::str::from_utf8(&json)
                .map_err(|e| CatalogError::Query(format!("technique page of {id}: {e}")))?;
            stmt.execute(params![id, text])?;
        }
        Ok(())
    }
}

/// A technique's triples while counted: rules using each (as list positions) and reach.
struct TripleAcc {
    rules: Vec<u32>,
    reach: u64,
}

/// A technique's field while counted.
#[derive(Default)]
struct FieldAcc<'a> {
    rules: u64,
    last: i64,
    names: Vec<(&'a str, &'a str)>,
    /// Operator → (rules, last rid counted).
    operators: BTreeMap<&'a str, (u64, i64)>,
}

type TripleKey<'a> = (Role, &'a str, &'a str, &'a str);

/// One technique's page from its active rules (in rid order).
fn page<'a>(
    members: &[&'a PageRule],
    triples_of: &impl Fn(i64) -> &'a [TripleRow],
    reach: &HashMap<(&str, &str, &str), (i64, i64)>,
    taxonomy: &detcat_taxonomy::Taxonomy,
) -> StoredPage {
    // List order: vendor, then title (stable: rid among equals).
    let mut order: Vec<usize> = (0..members.len()).collect();
    fn list_key<'m>(m: Option<&&'m PageRule>) -> Option<(&'m str, &'m str)> {
        m.map(|m| (m.vendor.as_str(), m.title.as_str()))
    }
    order.sort_by(|&a, &b| list_key(members.get(a)).cmp(&list_key(members.get(b))));
    let mut position = vec![0u32; members.len()];
    for (pos, &i) in order.iter().enumerate() {
        if let Some(p) = position.get_mut(i) {
            *p = pos as u32;
        }
    }

    let mut fields: HashMap<&str, FieldAcc> = HashMap::new();
    let mut counted: HashMap<TripleKey, TripleAcc> = HashMap::new();
    let mut events = EventsAcc::default();
    let mut analytics = StoredAnalytics {
        rules: vec![(Vec::new(), Vec::new()); members.len()],
        ..StoredAnalytics::default()
    };
    let mut key_at: HashMap<String, u32> = HashMap::new();
    let mut field_at: HashMap<&str, u32> = HashMap::new();
    for (m, &pos) in members.iter().zip(&position) {
        let vendor = m.vendor.as_str();
        for p in &m.predicates {
            let acc = fields.entry(p.canonical.as_str()).or_default();
            if acc.last != m.rid {
                acc.last = m.rid;
                acc.rules += 1;
            }
            acc.names.push((vendor, p.field.as_str()));
            let op = acc.operators.entry(p.operator).or_default();
            if op.1 != m.rid {
                *op = (op.0 + 1, m.rid);
            }
        }
        for t in triples_of(m.rid) {
            let key = (
                t.role,
                t.field.as_str(),
                t.operator.as_str(),
                t.value.as_str(),
            );
            let acc = counted.entry(key).or_insert_with(|| TripleAcc {
                rules: Vec::new(),
                reach: if t.role == Role::Indicator {
                    reach
                        .get(&(key.1, key.2, key.3))
                        .map_or(0, |n| n.0.max(0) as u64)
                } else {
                    0
                },
            });
            // A rule's triples are unique per rule: one position per rule.
            if acc.rules.last() != Some(&pos) {
                acc.rules.push(pos);
            }
        }
        let Some((keys, rule_fields)) = analytics.rules.get_mut(pos as usize) else {
            continue;
        };
        for e in &m.events {
            // As the `events` table has them: the taxonomy's events, with their sensors.
            let event = taxonomy.event(&e.provider, &e.event_id);
            let title = event.map(|e| e.title.clone()).unwrap_or_default();
            let sensor = event.and_then(|_| taxonomy.sensor(&e.provider, &e.event_id));
            if let Some(s) = sensor {
                for n in s.native.iter().filter(|n| *n != "*") {
                    keys.push(intern(&mut key_at, &mut analytics.keys, n));
                }
            }
            let own = format!("{}:{}", e.provider, e.event_id);
            keys.push(intern(&mut key_at, &mut analytics.keys, &own));
            events.add(
                m.rid,
                (e.provider.clone(), e.event_id.clone()),
                title,
                sensor.map(|s| (s.name.clone(), s.native.clone())),
            );
        }
        for p in m
            .predicates
            .iter()
            .filter(|p| matches!(p.role, Role::Indicator | Role::Exclusion))
        {
            let next = field_at.len() as u32;
            let at = *field_at.entry(p.canonical.as_str()).or_insert_with(|| {
                analytics.fields.push(p.canonical.clone());
                next
            });
            if !rule_fields.contains(&at) {
                rule_fields.push(at);
            }
        }
    }
    let (events, sensors) = events.finish();
    StoredPage {
        rules: order
            .iter()
            .filter_map(|&i| members.get(i).map(|m| m.rid))
            .collect(),
        events,
        sensors,
        guide: guide(fields, counted),
        analytics,
    }
}

/// The position of `key` in `list`, added when new.
fn intern(at: &mut HashMap<String, u32>, list: &mut Vec<String>, key: &str) -> u32 {
    if let Some(&i) = at.get(key) {
        return i;
    }
    let i = list.len() as u32;
    list.push(key.to_owned());
    at.insert(key.to_owned(), i);
    i
}

/// The guide's tables, ranked and cut as `query::technique::guide` does.
fn guide(fields: HashMap<&str, FieldAcc>, triples: HashMap<TripleKey, TripleAcc>) -> StoredGuide {
    // Samples: a field's most used indicator values.
    let mut samples: HashMap<&str, Vec<(usize, &str)>> = HashMap::new();
    for ((role, field, _, value), acc) in &triples {
        if *role == Role::Indicator && !value.is_empty() {
            samples
                .entry(field)
                .or_default()
                .push((acc.rules.len(), value));
        }
    }
    let mut field_rows: Vec<(&str, FieldAcc)> = fields.into_iter().collect();
    field_rows.sort_by(|a, b| b.1.rules.cmp(&a.1.rules).then_with(|| a.0.cmp(b.0)));
    let fields_distinct = field_rows.len() as u64;
    field_rows.truncate(PAGE_ROWS);
    let fields = field_rows
        .into_iter()
        .map(|(field, acc)| {
            let mut s = samples.remove(field).unwrap_or_default();
            s.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
            s.dedup_by(|a, b| a.1 == b.1);
            let names: BTreeSet<String> = acc
                .names
                .iter()
                .map(|(vendor, name)| format!("{vendor}:{name}"))
                .collect();
            FieldRow {
                field: field.to_owned(),
                vendor_names: names.into_iter().collect(),
                rules: acc.rules,
                operators: acc
                    .operators
                    .into_iter()
                    .map(|(op, (n, _))| (op.to_owned(), n))
                    .collect(),
                samples: s.into_iter().take(5).map(|(_, v)| v.to_owned()).collect(),
            }
        })
        .collect();

    let mut scope = Vec::new();
    let mut indicators = Vec::new();
    let mut exclusions = Vec::new();
    for (key, acc) in &triples {
        match key.0 {
            Role::Selector => scope.push((key, acc)),
            Role::Indicator => indicators.push((key, acc)),
            _ => exclusions.push((key, acc)),
        }
    }
    // Most rules first (indicators: then the least corpus reach), then field, value, operator.
    let by_text = |a: &TripleKey, b: &TripleKey| (a.1, a.3, a.2).cmp(&(b.1, b.3, b.2));
    indicators.sort_by(|a, b| {
        b.1.rules
            .len()
            .cmp(&a.1.rules.len())
            .then(a.1.reach.cmp(&b.1.reach))
            .then_with(|| by_text(a.0, b.0))
    });
    exclusions.sort_by(|a, b| {
        b.1.rules
            .len()
            .cmp(&a.1.rules.len())
            .then_with(|| by_text(a.0, b.0))
    });
    scope.sort_by(|a, b| {
        b.1.rules
            .len()
            .cmp(&a.1.rules.len())
            .then_with(|| by_text(a.0, b.0))
    });
    let row = |(key, acc): &(&TripleKey, &TripleAcc)| StoredRow {
        field: key.1.to_owned(),
        operator: key.2.to_owned(),
        value: key.3.to_owned(),
        rules: acc.rules.len() as u64,
        reach: acc.reach,
        at: acc.rules.clone(),
    };
    StoredGuide {
        scope: scope
            .iter()
            .take(SCOPE_ROWS)
            .map(|(key, acc)| ScopeRow {
                field: key.1.to_owned(),
                operator: key.2.to_owned(),
                value: key.3.to_owned(),
                rules: acc.rules.len() as u64,
            })
            .collect(),
        fields_distinct,
        fields,
        indicators_distinct: indicators.len() as u64,
        indicators: indicators.iter().take(PAGE_ROWS).map(row).collect(),
        exclusions_distinct: exclusions.len() as u64,
        exclusions: exclusions.iter().take(PAGE_ROWS).map(row).collect(),
    }
}

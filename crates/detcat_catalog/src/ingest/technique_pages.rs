//! `technique_pages`: the rule-derived part of each technique's page (active rules), counted
//! once at build time from the rules the analysis already holds (issue 19).
//!
//! Counted at query time, a busy technique's page was a range scan over thousands of
//! predicate and triple rows, each joined to the wide `rules` rows, plus the rules' events
//! and fields for the analytics: 80–90 ms for T1059.001 in a fresh process, most of it
//! reading pages. Here the analysis keeps, for every active rule with a technique, what
//! those scans read (beside `technique_coverage`, before the triples go to the side writer);
//! at the end it aggregates each technique with the same code the query uses
//! (`query::technique::FieldsAcc`, `TriplesAcc`, `guide`; `query::events_covered::EventsAcc`)
//! and the main writer stores one JSON row per technique. The page then reads one row.
//! Deprecated rules (`--include-deprecated`) keep the query's own scans.
//!
//! Corpus reach is counted here too, over every active rule, with each indicator known by a
//! 64-bit hash of its strings as in `technique_coverage` (the side writer counts the stored
//! column from the strings themselves; a test compares the two pages on the corpus).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use detcat_model::{Lifecycle, Role};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::analyze::{AnalyzedRule, EventKey, TripleRow};
use super::link::Attack;
use crate::analytics::{AnalyticCoverage, AnalyticRule, RuleEvents, RuleFields};
use crate::error::CatalogError;
use crate::query::Catalog;
use crate::query::technique::{FieldsAcc, Guide, TriplesAcc, guide};
use crate::query::{EventsAcc, MAX_LISTED_TITLE_CHARS, truncate_text};
use crate::schema::TECHNIQUE_PAGES_DDL;
use crate::views::{EventRow, RuleRef, SensorCount};

/// What `technique_pages.page` holds for one technique: its active rules and what the page
/// counts from them.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct StoredPage {
    /// Ordered by vendor and title, as the page lists them.
    pub rules: Vec<RuleRef>,
    pub events: Vec<EventRow>,
    pub sensors: Vec<SensorCount>,
    pub guide: Guide,
    /// The technique's ATT&CK v18 analytics with the rules implementing each.
    pub analytics: Vec<AnalyticCoverage>,
}

/// What the pages need of one active rule with a technique.
struct Facts {
    rid: i64,
    rule: RuleRef,
    /// Title cut as listed (the full one orders the rules).
    full_title: String,
    events: Vec<EventKey>,
    /// (canonical, vendor field name, operator, role) of each predicate.
    predicates: Vec<(String, String, &'static str, Role)>,
    triples: Vec<TripleRow>,
}

/// Collects rule facts as chunks go by ([`Pages::add`]), aggregates them
/// ([`Pages::finish`]) and stores them ([`Finished::write`]).
#[derive(Default)]
pub struct Pages {
    rules: Vec<Facts>,
    /// Technique id → indexes into `rules`.
    techniques: HashMap<String, Vec<usize>>,
    /// Indicator hash → active rules using it (corpus reach).
    reach: HashMap<u64, u64>,
}

/// The stored pages, ready to write.
pub struct Finished(Vec<(String, String)>);

fn hash(parts: &[&str]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

impl Pages {
    /// Adds a chunk of rules whose first rid is `first_rid` (their triples not yet taken).
    pub fn add(&mut self, rules: &[AnalyzedRule], first_rid: i64) {
        for (a, rid) in rules.iter().zip(first_rid..) {
            if a.rule.lifecycle != Lifecycle::Active {
                continue;
            }
            for t in a.triples.iter().filter(|t| t.role == Role::Indicator) {
                *self
                    .reach
                    .entry(hash(&[&t.field, &t.operator, &t.value]))
                    .or_default() += 1;
            }
            if a.techniques.is_empty() {
                continue;
            }
            let index = self.rules.len();
            for (id, _) in &a.techniques {
                self.techniques.entry(id.clone()).or_default().push(index);
            }
            let r = &a.rule;
            self.rules.push(Facts {
                rid,
                rule: RuleRef {
                    id: r.id.clone(),
                    vendor: r.vendor,
                    title: truncate_text(r.title.clone(), MAX_LISTED_TITLE_CHARS),
                    path: r.path.clone(),
                    lifecycle: r.lifecycle,
                    parse_status: r.status(),
                },
                full_title: r.title.clone(),
                events: a.events.clone(),
                predicates: a
                    .predicates
                    .iter()
                    .map(|p| (p.canonical.clone(), p.field.clone(), p.operator, p.role))
                    .collect(),
                triples: a.triples.clone(),
            });
        }
    }

    /// Each technique's page, as JSON: those with active rules, and those whose ATT&CK
    /// detection strategies have analytics (listed as implemented by no rule).
    pub fn finish(mut self, attack: &Attack) -> Result<Finished, CatalogError> {
        let taxonomy = detcat_taxonomy::Taxonomy::get();
        // The ATT&CK data of a technique, as `techniques.data` stores it (the first of an id
        // wins, as there): only techniques with detection strategies have analytics.
        let mut data: HashMap<&str, serde_json::Value> = HashMap::new();
        if let Some(kb) = &attack.kb {
            for t in kb.techniques() {
                if data.contains_key(t.id.as_str()) {
                    continue;
                }
                let value = if t.detection_strategies.is_empty() {
                    serde_json::Value::Null
                } else {
                    serde_json::to_value(crate::attack_data::technique_data(kb, t))?
                };
                if !value.is_null() {
                    self.techniques.entry(t.id.clone()).or_default();
                }
                data.insert(t.id.as_str(), value);
            }
        }
        let mut out = Vec::with_capacity(self.techniques.len());
        for (id, members) in &self.techniques {
            let mut members = members.clone();
            members.sort_unstable();
            members.dedup();
            let facts: Vec<&Facts> = members.iter().filter_map(|&i| self.rules.get(i)).collect();
            let page = page(&facts, &self.reach, taxonomy, data.get(id.as_str()));
            out.push((id.clone(), serde_json::to_string(&page)?));
        }
        Ok(Finished(out))
    }
}

/// One technique's stored page from its active rules (in rid order).
fn page(
    facts: &[&Facts],
    reach: &HashMap<u64, u64>,
    taxonomy: &detcat_taxonomy::Taxonomy,
    data: Option<&serde_json::Value>,
) -> StoredPage {
    let mut rules: Vec<(&str, &str, &RuleRef)> = facts
        .iter()
        .map(|f| (f.rule.vendor.as_str(), f.full_title.as_str(), &f.rule))
        .collect();
    rules.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));

    let mut fields = FieldsAcc::default();
    let mut triples = TriplesAcc::default();
    let mut events = EventsAcc::default();
    let mut analytics = Vec::with_capacity(facts.len());
    let mut rule_fields = RuleFields::new();
    for f in facts {
        let vendor = f.rule.vendor.as_str();
        for (canonical, field, operator, role) in &f.predicates {
            if *role != Role::Selector {
                fields.add(f.rid, canonical, vendor, field, operator);
            }
        }
        for t in &f.triples {
            let reach = if t.role == Role::Indicator {
                reach
                    .get(&hash(&[&t.field, &t.operator, &t.value]))
                    .copied()
                    .unwrap_or(0)
            } else {
                0
            };
            triples.add(
                f.rid,
                t.role,
                &t.field,
                &t.operator,
                &t.value,
                &f.rule.id,
                reach,
            );
        }
        let mut keys = Vec::new();
        for e in &f.events {
            // As the `events` table has them: the taxonomy's events, with their sensors.
            let event = taxonomy.event(&e.provider, &e.event_id);
            let title = event.map(|e| e.title.clone()).unwrap_or_default();
            let sensor = event.and_then(|_| taxonomy.sensor(&e.provider, &e.event_id));
            if let Some(s) = sensor {
                keys.extend(s.native.iter().filter(|n| *n != "*").cloned());
            }
            keys.push(format!("{}:{}", e.provider, e.event_id));
            events.add(
                f.rid,
                (e.provider.clone(), e.event_id.clone()),
                title,
                sensor.map(|s| (s.name.clone(), s.native.clone())),
            );
        }
        rule_fields.insert(
            f.rid,
            f.predicates
                .iter()
                .filter(|p| matches!(p.3, Role::Indicator | Role::Exclusion))
                .map(|p| p.0.clone())
                .collect(),
        );
        analytics.push(RuleEvents {
            rid: f.rid,
            rule: AnalyticRule {
                vendor: vendor.to_owned(),
                id: f.rule.id.clone(),
                title: f.rule.title.clone(),
            },
            keys,
        });
    }
    let analytics = match data {
        Some(data) if !data.is_null() => Catalog::analytics_of(data, &analytics, &rule_fields),
        _ => Vec::new(),
    };
    let (events, sensors) = events.finish();
    StoredPage {
        rules: rules.into_iter().map(|(_, _, r)| r.clone()).collect(),
        events,
        sensors,
        guide: guide(fields.rows(), triples),
        analytics,
    }
}

impl Finished {
    /// Creates the table and stores every page.
    pub fn write(self, tx: &rusqlite::Transaction<'_>) -> Result<(), CatalogError> {
        tx.execute_batch(TECHNIQUE_PAGES_DDL)?;
        let mut stmt =
            tx.prepare("INSERT INTO technique_pages (technique_id, page) VALUES (?1, ?2)")?;
        for (id, page) in &self.0 {
            stmt.execute(params![id, page])?;
        }
        Ok(())
    }
}

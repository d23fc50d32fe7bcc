//! The in-memory similarity index: every rule's triple sets, interned, with postings of the
//! indicator triples and their document frequency over active rules.

use std::collections::HashMap;

use detcat_model::Role;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::{Probe, Resolved, TripleView};
use crate::error::CatalogError;
use crate::query::{MAX_LISTED_TITLE_CHARS, truncate_text};

/// A canonical `(field, operator, value)`, as the `triples` table stores it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TripleKey {
    pub field: String,
    pub operator: String,
    pub value: String,
}

/// One rule of the index.
#[derive(Debug, Clone)]
pub struct RuleEntry {
    pub rid: i64,
    pub vendor: String,
    pub id: String,
    pub title: String,
    pub active: bool,
    pub techniques: Vec<String>,
    /// Sorted ids into the index's triples (and events).
    pub(crate) indicators: Vec<u32>,
    pub(crate) exclusions: Vec<u32>,
    pub(crate) selectors: Vec<u32>,
    pub(crate) events: Vec<u32>,
    pub(crate) indicator_norm: f64,
    pub(crate) exclusion_norm: f64,
}

impl RuleEntry {
    /// The rule's events, as ids into the index ([`SimilarityIndex::event_key`]).
    pub(crate) fn events(&self) -> &[u32] {
        &self.events
    }

    /// Does the rule share an indicator with the probe?
    pub(crate) fn shares_indicator(&self, probe: &Resolved) -> bool {
        super::sorted_intersection(&self.indicators, &probe.indicators)
            .next()
            .is_some()
    }

    /// The rule's exclusions the probe lacks.
    pub(crate) fn exclusions_not_in(&self, probe: &Resolved) -> Vec<u32> {
        super::sorted_difference(&self.exclusions, &probe.exclusions)
    }

    /// The canonical fields the rule filters on (indicators and exclusions).
    pub fn fields<'a>(&'a self, index: &'a SimilarityIndex) -> impl Iterator<Item = &'a str> {
        self.indicators
            .iter()
            .chain(&self.exclusions)
            .map(|&t| index.triples[t as usize].1.field.as_str())
    }
}

/// Every rule's triple sets, loaded once from a catalog.
#[derive(Debug, Default)]
pub struct SimilarityIndex {
    pub(crate) rules: Vec<RuleEntry>,
    /// Triple id → (role, key).
    pub(crate) triples: Vec<(Role, TripleKey)>,
    ids: HashMap<(Role, TripleKey), u32>,
    /// Active rules holding each triple (its reach).
    df: Vec<u32>,
    /// Each triple's weight: IDF times its field's weight (see [`field_weight`]).
    weight: Vec<f64>,
    /// Field weight per field of an indicator or exclusion.
    field_weights: HashMap<String, f64>,
    /// Indicator triple id → rules (indexes into `rules`) holding it.
    postings: HashMap<u32, Vec<usize>>,
    events: Vec<String>,
    event_ids: HashMap<String, u32>,
    by_key: HashMap<(String, String), usize>,
    active: u32,
}

impl SimilarityIndex {
    /// Reads rules, triples, events and techniques of a catalog (a few hundred ms on the full
    /// corpus in a debug build; done once per open catalog).
    pub fn load(conn: &Connection) -> Result<SimilarityIndex, CatalogError> {
        let mut index = SimilarityIndex::default();
        let mut by_rid: HashMap<i64, usize> = HashMap::new();
        let mut stmt = conn.prepare("SELECT rid, vendor, id, title, lifecycle FROM rules")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let rid: i64 = r.get(0)?;
            let entry = RuleEntry {
                rid,
                vendor: r.get(1)?,
                id: r.get(2)?,
                title: truncate_text(r.get(3)?, MAX_LISTED_TITLE_CHARS),
                active: r.get::<_, String>(4)? == "active",
                techniques: Vec::new(),
                indicators: Vec::new(),
                exclusions: Vec::new(),
                selectors: Vec::new(),
                events: Vec::new(),
                indicator_norm: 0.0,
                exclusion_norm: 0.0,
            };
            index
                .by_key
                .insert((entry.vendor.clone(), entry.id.clone()), index.rules.len());
            by_rid.insert(rid, index.rules.len());
            index.active += u32::from(entry.active);
            index.rules.push(entry);
        }
        let mut stmt = conn.prepare("SELECT rid, role, field, operator, value FROM triples")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let Some(&i) = by_rid.get(&r.get::<_, i64>(0)?) else {
                continue;
            };
            let Some(role) = Role::parse(&r.get::<_, String>(1)?) else {
                continue;
            };
            let key = TripleKey {
                field: r.get(2)?,
                operator: r.get(3)?,
                value: r.get(4)?,
            };
            let t = index.intern(role, key);
            let entry = &mut index.rules[i];
            match role {
                Role::Indicator => entry.indicators.push(t),
                Role::Exclusion => entry.exclusions.push(t),
                Role::Selector => entry.selectors.push(t),
                Role::Other => {}
            }
        }
        let mut stmt = conn.prepare("SELECT rid, provider, event_id FROM rule_events")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let Some(&i) = by_rid.get(&r.get::<_, i64>(0)?) else {
                continue;
            };
            let key = format!("{}:{}", r.get::<_, String>(1)?, r.get::<_, String>(2)?);
            let e = index.intern_event(key);
            index.rules[i].events.push(e);
        }
        let mut stmt = conn.prepare("SELECT rid, technique_id FROM rule_techniques")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            if let Some(&i) = by_rid.get(&r.get::<_, i64>(0)?) {
                index.rules[i].techniques.push(r.get(1)?);
            }
        }
        index.finish();
        Ok(index)
    }

    fn intern(&mut self, role: Role, key: TripleKey) -> u32 {
        if let Some(&t) = self.ids.get(&(role, key.clone())) {
            return t;
        }
        let t = u32::try_from(self.triples.len()).unwrap_or(u32::MAX);
        self.triples.push((role, key.clone()));
        self.ids.insert((role, key), t);
        t
    }

    fn intern_event(&mut self, key: String) -> u32 {
        if let Some(&e) = self.event_ids.get(&key) {
            return e;
        }
        let e = u32::try_from(self.events.len()).unwrap_or(u32::MAX);
        self.events.push(key.clone());
        self.event_ids.insert(key, e);
        e
    }

    /// Sorts the sets, counts document frequencies, builds postings and norms.
    fn finish(&mut self) {
        self.df = vec![0; self.triples.len()];
        for (i, rule) in self.rules.iter_mut().enumerate() {
            for set in [
                &mut rule.indicators,
                &mut rule.exclusions,
                &mut rule.selectors,
                &mut rule.events,
            ] {
                set.sort_unstable();
                set.dedup();
            }
            rule.techniques.sort();
            rule.techniques.dedup();
            for &t in rule.indicators.iter().chain(&rule.exclusions) {
                if rule.active {
                    self.df[t as usize] += 1;
                }
            }
            for &t in &rule.indicators {
                self.postings.entry(t).or_default().push(i);
            }
            for &t in &rule.selectors {
                if rule.active {
                    self.df[t as usize] += 1;
                }
            }
        }
        // Distinct values per field (indicators and exclusions).
        let mut distinct: HashMap<&str, u32> = HashMap::new();
        for (role, key) in &self.triples {
            if *role != Role::Selector {
                *distinct.entry(key.field.as_str()).or_default() += 1;
            }
        }
        self.field_weights = distinct
            .into_iter()
            .map(|(f, n)| (f.to_owned(), field_weight(n)))
            .collect();
        self.weight = self
            .triples
            .iter()
            .zip(&self.df)
            .map(|((_, key), &df)| {
                idf_of(self.active, df) * self.field_weights.get(&key.field).copied().unwrap_or(1.0)
            })
            .collect();
        for i in 0..self.rules.len() {
            let norm =
                |set: &[u32]| -> f64 { set.iter().map(|&t| self.weight[t as usize].powi(2)).sum() };
            let norm_i = norm(&self.rules[i].indicators);
            let norm_x = norm(&self.rules[i].exclusions);
            self.rules[i].indicator_norm = norm_i;
            self.rules[i].exclusion_norm = norm_x;
        }
    }

    /// Number of rules in the index (all lifecycles).
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Active rules in the index.
    pub fn active_rules(&self) -> u32 {
        self.active
    }

    pub fn rules(&self) -> &[RuleEntry] {
        &self.rules
    }

    /// A triple's weight in the score: IDF times its field's weight.
    pub(crate) fn weight(&self, t: u32) -> f64 {
        self.weight.get(t as usize).copied().unwrap_or(0.0)
    }

    /// The weight of a triple no rule of the index has: the rarest IDF, times its field's.
    fn unknown_weight(&self, key: &TripleKey) -> f64 {
        idf_of(self.active, 0) * self.field_weights.get(&key.field).copied().unwrap_or(1.0)
    }

    pub(crate) fn postings(&self, t: u32) -> &[usize] {
        self.postings.get(&t).map_or(&[], Vec::as_slice)
    }

    /// Active rules with this triple in this role (0 for a triple no rule has).
    pub fn reach(&self, role: Role, key: &TripleKey) -> u32 {
        self.ids
            .get(&(role, key.clone()))
            .map_or(0, |&t| self.df[t as usize])
    }

    pub(crate) fn triple_view(&self, t: u32) -> TripleView {
        let key = &self.triples[t as usize].1;
        TripleView {
            field: key.field.clone(),
            operator: key.operator.clone(),
            value: key.value.clone(),
            reach: self.df[t as usize],
        }
    }

    /// The key (`provider:event_id`) of an event id.
    pub(crate) fn event_key(&self, e: u32) -> &str {
        self.events.get(e as usize).map_or("", String::as_str)
    }

    /// The key of a triple id.
    pub(crate) fn triple_key(&self, t: u32) -> TripleKey {
        self.triples
            .get(t as usize)
            .map(|(_, k)| k.clone())
            .unwrap_or(TripleKey {
                field: String::new(),
                operator: String::new(),
                value: String::new(),
            })
    }

    /// The index of a rule by id (any vendor, vendors in name order) or `vendor/id`.
    pub fn find(&self, key: &str) -> Option<usize> {
        let key = key.trim();
        if let Some((v, id)) = key.split_once('/')
            && let Some(vendor) = detcat_model::Vendor::parse(v)
            && let Some(&i) = self
                .by_key
                .get(&(vendor.as_str().to_owned(), id.to_owned()))
        {
            return Some(i);
        }
        detcat_model::Vendor::ALL
            .iter()
            .find_map(|v| self.by_key.get(&(v.as_str().to_owned(), key.to_owned())))
            .copied()
    }

    /// The probe of a rule of the index (its own sets, as keys).
    pub fn probe_of(&self, i: usize) -> Probe {
        let r = &self.rules[i];
        let keys = |set: &[u32]| {
            set.iter()
                .map(|&t| self.triples[t as usize].1.clone())
                .collect()
        };
        Probe {
            indicators: keys(&r.indicators),
            exclusions: keys(&r.exclusions),
            selectors: keys(&r.selectors),
            events: r
                .events
                .iter()
                .map(|&e| self.events[e as usize].clone())
                .collect(),
        }
    }

    /// Maps a probe's keys onto the index.
    pub(crate) fn resolve(&self, probe: &Probe) -> Resolved {
        let mut out = Resolved::default();
        for (role, keys) in [
            (Role::Indicator, &probe.indicators),
            (Role::Exclusion, &probe.exclusions),
            (Role::Selector, &probe.selectors),
        ] {
            for key in keys {
                match self.ids.get(&(role, key.clone())) {
                    Some(&t) => match role {
                        Role::Indicator => out.indicators.push(t),
                        Role::Exclusion => out.exclusions.push(t),
                        _ => out.selectors.push(t),
                    },
                    None => match role {
                        Role::Indicator => out.unknown_indicators.push(key.clone()),
                        Role::Exclusion => out.unknown_exclusions.push(key.clone()),
                        _ => out.unknown_context += 1,
                    },
                }
            }
        }
        out.events = probe
            .events
            .iter()
            .filter_map(|e| self.event_ids.get(e).copied())
            .collect();
        out.unknown_context += probe.events.len() - out.events.len();
        for set in [
            &mut out.indicators,
            &mut out.exclusions,
            &mut out.selectors,
            &mut out.events,
        ] {
            set.sort_unstable();
            set.dedup();
        }
        let norm = |known: &[u32], unknown: &[TripleKey]| -> f64 {
            known.iter().map(|&t| self.weight(t).powi(2)).sum::<f64>()
                + unknown
                    .iter()
                    .map(|k| self.unknown_weight(k).powi(2))
                    .sum::<f64>()
        };
        out.indicator_norm = norm(&out.indicators, &out.unknown_indicators);
        out.exclusion_norm = norm(&out.exclusions, &out.unknown_exclusions);
        out
    }
}

/// How much a field says about *what* a rule looks for, from how many distinct values the
/// catalog's rules test it for: a field of two values (`network.initiated` true/false) says
/// where to look, much like a selector, and weighs 0.2; a field of 32 values or more weighs 1.
fn field_weight(distinct: u32) -> f64 {
    (f64::from(distinct).ln_1p() / 32f64.ln_1p()).clamp(0.2, 1.0)
}

/// Smoothed inverse document frequency: a triple of every rule weighs ~0.7, a triple of one
/// rule in 7,000 ~8.9.
fn idf_of(active: u32, df: u32) -> f64 {
    (1.0 + f64::from(active.max(1)) / f64::from(df.max(1))).ln()
}

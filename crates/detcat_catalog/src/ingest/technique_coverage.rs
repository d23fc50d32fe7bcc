//! `technique_coverage`: each technique's coverage by the catalog's rules — rules per vendor,
//! fully normalized rules, distinct indicator triples, distinct events — counted once, at
//! build time, from the rules the writer already holds.
//!
//! The priority ("gap") score needs these figures for every technique (`detcat top`, the
//! matrix coloured by gap). Counted at query time they were a `DISTINCT` over every indicator
//! triple of every technique and of its parent: ~1.5 s on the full corpus, and a crawl of the
//! web site timed out on `/?color=gap`. Here the writer feeds each chunk of rules in (before
//! their triples go to the side writer) and stores two rows per technique at the end: one
//! for active rules, one for all rules.
//!
//! A parent technique counts its sub-techniques' rules too (those the loaded ATT&CK release
//! knows as its sub-techniques), each rule once, as the query it replaces did.
//!
//! The main writer is the build's longest thread, so this stays cheap: an indicator or event
//! is known by a 64-bit hash of its strings (no copy, no map of strings; two distinct
//! indicators of the ~50k in the full corpus share a hash with odds of about 1 in 10^10, which
//! would undercount one technique by one), and repeats are removed once, at the end.

use std::collections::HashMap;

use detcat_model::{Lifecycle, ParseStatus, Role, Vendor};
use rusqlite::params;

use super::analyze::AnalyzedRule;
use super::link::Attack;
use crate::error::CatalogError;
use crate::schema::TECHNIQUE_COVERAGE_DDL;
use crate::views::VendorCounts;

/// The figures of one technique in one scope (active rules, or all rules).
#[derive(Default)]
struct Figures {
    by_vendor: VendorCounts,
    rules: u64,
    normalized: u64,
    /// Hashes of the rules' indicator triples and events, repeats included until the end.
    indicators: Vec<u64>,
    events: Vec<u64>,
}

impl Figures {
    fn add(&mut self, vendor: Vendor, normalized: bool, indicators: &[u64], events: &[u64]) {
        self.by_vendor.add(vendor, 1);
        self.rules += 1;
        self.normalized += u64::from(normalized);
        self.indicators.extend_from_slice(indicators);
        self.events.extend_from_slice(events);
    }
}

fn distinct(v: &mut Vec<u64>) -> u64 {
    v.sort_unstable();
    v.dedup();
    v.len() as u64
}

/// Counts coverage as chunks of rules go by ([`Coverage::add`]) and stores it
/// ([`Coverage::write`]).
#[derive(Default)]
pub struct Coverage {
    /// Technique id → figures of active rules (`[0]`) and of all rules (`[1]`).
    techniques: HashMap<String, [Figures; 2]>,
}

/// A fixed-key hash of strings (`str` hashes its bytes and a terminator, so the parts cannot
/// run into each other): foldhash's quality hasher, several times faster than SipHash on
/// these short strings, and as good for counting distinct values by their 64-bit hash.
fn hash(parts: &[&str]) -> u64 {
    use std::hash::BuildHasher as _;
    foldhash::quality::FixedState::with_seed(0).hash_one(parts)
}

impl Coverage {
    /// Adds a chunk of rules. `attack` gives each technique's parent (`None`: no ATT&CK data,
    /// no roll-up).
    pub fn add(&mut self, rules: &[AnalyzedRule], attack: Option<&Attack>) {
        let kb = attack.and_then(|a| a.kb.as_ref());
        let mut indicators: Vec<u64> = Vec::new();
        let mut events: Vec<u64> = Vec::new();
        let mut keys: Vec<&str> = Vec::new();
        for a in rules {
            indicators.clear();
            indicators.extend(
                a.triples
                    .iter()
                    .filter(|t| t.role == Role::Indicator)
                    .map(|t| hash(&[&t.field, &t.operator, &t.value])),
            );
            events.clear();
            events.extend(a.events.iter().map(|e| hash(&[&e.provider, &e.event_id])));
            keys.clear();
            for (id, _) in &a.techniques {
                keys.push(id);
                if let Some(parent) = kb
                    .and_then(|kb| kb.technique(id))
                    .and_then(|t| t.parent.as_deref())
                {
                    keys.push(parent);
                }
            }
            keys.sort_unstable();
            keys.dedup();
            let active = a.rule.lifecycle == Lifecycle::Active;
            let normalized = a.status == ParseStatus::Normalized;
            let vendor = a.rule.vendor;
            for k in &keys {
                let figures = match self.techniques.get_mut(*k) {
                    Some(f) => f,
                    None => self.techniques.entry((*k).to_owned()).or_default(),
                };
                let [active_figures, all_figures] = figures;
                if active {
                    active_figures.add(vendor, normalized, &indicators, &events);
                }
                all_figures.add(vendor, normalized, &indicators, &events);
            }
        }
    }

    /// Creates the table and stores every technique's rows (none for a scope without rules).
    pub fn write(self, tx: &rusqlite::Transaction<'_>) -> Result<(), CatalogError> {
        tx.execute_batch(TECHNIQUE_COVERAGE_DDL)?;
        let mut stmt = tx.prepare(
            "INSERT INTO technique_coverage (technique_id, deprecated, rules, by_vendor, normalized, indicators, events)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (id, scopes) in self.techniques {
            for (deprecated, mut f) in scopes.into_iter().enumerate() {
                if f.rules == 0 {
                    continue;
                }
                stmt.execute(params![
                    id,
                    deprecated as i64,
                    f.rules,
                    serde_json::to_string(&f.by_vendor)?,
                    f.normalized,
                    distinct(&mut f.indicators),
                    distinct(&mut f.events),
                ])?;
            }
        }
        Ok(())
    }
}

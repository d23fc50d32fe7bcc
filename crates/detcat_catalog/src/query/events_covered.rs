//! A technique's "Events covered": native log events, with the sensor products beside them.
//!
//! Each rule's events split into native events (`sysmon:1`, `security:4688`) and sensor events
//! (`endpoint:process`, `edr:endgame`; `events.sensor` is set). A sensor event counts beside
//! the native events it corresponds to (`events.native`) that the same rule reads; failing
//! that, beside those the technique's other rules read; `*` (a product-wide feed) means the
//! rule's own native events. A sensor with no such native event is listed on its own.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::Catalog;
use crate::error::CatalogError;
use crate::views::{EventRow, SensorCount};

pub(crate) type Key = (String, String);

#[derive(Default)]
struct RuleEvents {
    natives: Vec<Key>,
    /// (sensor name, sensor event key, native keys)
    sensors: Vec<(String, String, Vec<String>)>,
}

#[derive(Default)]
struct SensorAcc {
    rules: BTreeSet<i64>,
    events: BTreeSet<String>,
}

impl SensorAcc {
    fn add(&mut self, rid: i64, event: &str) {
        self.rules.insert(rid);
        self.events.insert(event.to_owned());
    }
}

fn split_key(key: &str) -> Key {
    let (p, id) = key.split_once(':').unwrap_or((key, "*"));
    (p.to_owned(), id.to_owned())
}

fn sensor_counts(map: BTreeMap<String, SensorAcc>) -> Vec<SensorCount> {
    let mut out: Vec<SensorCount> = map
        .into_iter()
        .map(|(name, acc)| SensorCount {
            name,
            rules: acc.rules.len() as u64,
            events: acc.events.into_iter().collect(),
        })
        .collect();
    out.sort_by(|a, b| b.rules.cmp(&a.rules).then_with(|| a.name.cmp(&b.name)));
    out
}

impl Catalog {
    /// Native event rows and unattached sensors of a technique's rules (`key` binds the set:
    /// technique id, include deprecated).
    pub(crate) fn events_covered(
        &self,
        key: impl rusqlite::Params,
    ) -> Result<(Vec<EventRow>, Vec<SensorCount>), CatalogError> {
        let sql = super::rule_set::TECHNIQUE_EVENTS;
        let mut acc = EventsAcc::default();
        let mut stmt = self.conn.prepare_cached(sql)?;
        let mut rows = stmt.query(key)?;
        while let Some(r) = rows.next()? {
            let sensor = match r.get::<_, Option<String>>(4)? {
                Some(name) => Some((name, serde_json::from_str(&r.get::<_, String>(5)?)?)),
                None => None,
            };
            acc.add(r.get(0)?, (r.get(1)?, r.get(2)?), r.get(3)?, sensor);
        }
        Ok(acc.finish())
    }
}

/// "Events covered" of a rule set, from its rule × event rows: the page's query feeds it
/// rows from SQL, the build (`ingest::technique_pages`) from memory.
#[derive(Default)]
pub(crate) struct EventsAcc {
    rules: BTreeMap<i64, RuleEvents>,
    titles: HashMap<Key, String>,
}

impl EventsAcc {
    /// Rule `rid` reads event `key` (`title`: the event's title; `sensor`: its sensor's name
    /// and the native events it corresponds to, for a sensor event).
    pub(crate) fn add(
        &mut self,
        rid: i64,
        key: Key,
        title: String,
        sensor: Option<(String, Vec<String>)>,
    ) {
        let entry = self.rules.entry(rid).or_default();
        match sensor {
            Some((name, native)) => {
                entry
                    .sensors
                    .push((name, format!("{}:{}", key.0, key.1), native));
            }
            None => {
                self.titles.insert(key.clone(), title);
                entry.natives.push(key);
            }
        }
    }

    /// Native event rows (most rules first) and the sensors beside no native event.
    pub(crate) fn finish(self) -> (Vec<EventRow>, Vec<SensorCount>) {
        let EventsAcc { rules, titles } = self;
        let all_natives: BTreeSet<&Key> = rules.values().flat_map(|r| &r.natives).collect();
        let mut native_rules: BTreeMap<&Key, BTreeSet<i64>> = BTreeMap::new();
        let mut beside: BTreeMap<&Key, BTreeMap<String, SensorAcc>> = BTreeMap::new();
        let mut alone: BTreeMap<String, SensorAcc> = BTreeMap::new();
        for (rid, r) in &rules {
            for k in &r.natives {
                native_rules.entry(k).or_default().insert(*rid);
            }
            for (name, event, native) in &r.sensors {
                let targets: Vec<&Key> = if native.iter().any(|n| n == "*") {
                    r.natives.iter().collect()
                } else {
                    let wanted: Vec<Key> = native.iter().map(|n| split_key(n)).collect();
                    let own: Vec<&Key> = r.natives.iter().filter(|k| wanted.contains(k)).collect();
                    if own.is_empty() {
                        all_natives
                            .iter()
                            .copied()
                            .filter(|k| wanted.contains(k))
                            .collect()
                    } else {
                        own
                    }
                };
                if targets.is_empty() {
                    alone.entry(name.clone()).or_default().add(*rid, event);
                }
                for t in targets {
                    let acc = beside
                        .entry(t)
                        .or_default()
                        .entry(name.clone())
                        .or_default();
                    acc.add(*rid, event);
                }
            }
        }
        let mut out: Vec<EventRow> = native_rules
            .into_iter()
            .map(|(key, rids)| EventRow {
                provider: key.0.clone(),
                event_id: key.1.clone(),
                title: titles.get(key).cloned().unwrap_or_default(),
                rules: rids.len() as u64,
                sensors: sensor_counts(beside.remove(key).unwrap_or_default()),
            })
            .collect();
        out.sort_by(|a, b| {
            b.rules
                .cmp(&a.rules)
                .then_with(|| a.provider.cmp(&b.provider))
                .then_with(|| natural(&a.event_id).cmp(&natural(&b.event_id)))
        });
        (out, sensor_counts(alone))
    }
}

/// Event ids in number order where they are numbers (`7` before `10`).
fn natural(id: &str) -> (u64, &str) {
    (id.parse().unwrap_or(u64::MAX), id)
}

//! The telemetry event catalog (`data/events.toml`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::TaxonomyError;

/// Who emits events: a Windows channel, an EDR, a cloud audit log (`sysmon`, `security`, `aws`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub id: String,
    pub title: String,
    /// The log channel / data stream the provider writes to, where one exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Where the provider's facts come from.
    pub source: String,
}

/// One cataloged event, `provider:event_id` (`sysmon:1`, `security:4688`, `aws:cloudtrail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub provider: String,
    /// The event id (a number for Windows channels, a name for other sources, `*` for "any
    /// event of this provider").
    pub event_id: String,
    pub title: String,
}

impl Event {
    /// `provider:event_id`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.provider, self.event_id)
    }
}

/// An event a rule needs, as [`crate::Taxonomy::events_for`] returns it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct EventRef {
    pub provider: String,
    pub event_id: String,
    pub title: String,
    /// False when the rule names an event id the catalog does not list (the title is then
    /// generic: `Windows Security event 4781`).
    pub cataloged: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsFile {
    provider: Vec<Provider>,
    event: Vec<EventGroup>,
    #[serde(default)]
    sensor: Vec<Sensor>,
}

/// A sensor event kind (`endpoint:process`, `edr:endgame`): a product's own record of some
/// activity, and the native log events (`sysmon:1`, `security:4688`) it corresponds to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sensor {
    /// `provider:event_id` of the sensor event.
    pub event: String,
    /// The product, as a page names it (`Elastic Defend`, `Microsoft Defender XDR`).
    pub name: String,
    /// Native events of the same activity; `*` = whatever native events the same rule reads
    /// (product-wide feeds); empty = no native counterpart (alerts, device control).
    pub native: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventGroup {
    provider: String,
    /// `[id, title]` pairs.
    events: Vec<(String, String)>,
}

/// Providers and events with an index by `provider:id`.
#[derive(Debug)]
pub(crate) struct EventTable {
    pub providers: Vec<Provider>,
    pub events: Vec<Event>,
    by_key: HashMap<String, usize>,
    pub sensors: Vec<Sensor>,
    sensor_by_key: HashMap<String, usize>,
}

impl EventTable {
    pub(crate) fn build(file: EventsFile) -> Result<Self, TaxonomyError> {
        let mut events = Vec::new();
        let mut by_key = HashMap::new();
        for group in file.event {
            if !file.provider.iter().any(|p| p.id == group.provider) {
                return Err(TaxonomyError::UnknownProvider(group.provider));
            }
            for (id, title) in group.events {
                let event = Event {
                    provider: group.provider.clone(),
                    event_id: id,
                    title,
                };
                if by_key.insert(event.key(), events.len()).is_some() {
                    return Err(TaxonomyError::DuplicateEvent(event.key()));
                }
                events.push(event);
            }
        }
        let mut sensor_by_key = HashMap::new();
        for (i, sensor) in file.sensor.iter().enumerate() {
            let known = |k: &str| k == "*" || by_key.contains_key(k);
            if let Some(bad) = std::iter::once(&sensor.event)
                .chain(&sensor.native)
                .find(|k| !known(k))
            {
                return Err(TaxonomyError::UnknownEvent {
                    context: format!("sensor {}", sensor.event),
                    event: bad.clone(),
                });
            }
            if sensor_by_key.insert(sensor.event.clone(), i).is_some() {
                return Err(TaxonomyError::DuplicateEvent(sensor.event.clone()));
            }
        }
        Ok(Self {
            providers: file.provider,
            events,
            by_key,
            sensors: file.sensor,
            sensor_by_key,
        })
    }

    /// The sensor entry of `provider:id`, or `None` for a native event.
    pub(crate) fn sensor(&self, provider: &str, id: &str) -> Option<&Sensor> {
        self.sensor_by_key
            .get(&[provider, ":", id].concat())
            .and_then(|&i| self.sensors.get(i))
    }

    /// Position of `provider:id` in the catalog (for stable ordering). The key is joined by
    /// `concat`, not `format!`: every rule's events are looked up, and the formatting
    /// machinery was most of the cost.
    pub(crate) fn position(&self, provider: &str, id: &str) -> Option<usize> {
        self.by_key.get(&[provider, ":", id].concat()).copied()
    }

    pub(crate) fn get(&self, provider: &str, id: &str) -> Option<&Event> {
        self.position(provider, id).and_then(|i| self.events.get(i))
    }

    /// Looks up `provider:id` text (`sysmon:1`, `linux:sysmon:1` = provider `linux`, id `sysmon:1`).
    pub(crate) fn get_key(&self, key: &str) -> Option<&Event> {
        self.by_key.get(key).and_then(|&i| self.events.get(i))
    }

    pub(crate) fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.id == id)
    }

    /// An [`EventRef`] for `provider:id`, generic when the catalog lacks the id.
    pub(crate) fn reference(&self, provider: &str, id: &str) -> EventRef {
        match self.get(provider, id) {
            Some(e) => EventRef {
                provider: e.provider.clone(),
                event_id: e.event_id.clone(),
                title: e.title.clone(),
                cataloged: true,
            },
            None => {
                let ptitle = self
                    .provider(provider)
                    .map_or(provider, |p| p.title.as_str());
                EventRef {
                    provider: provider.to_owned(),
                    event_id: id.to_owned(),
                    title: format!("{ptitle} event {id}"),
                    cataloged: false,
                }
            }
        }
    }

    /// Orders references as the catalog lists them (uncataloged ones last, by key).
    pub(crate) fn sort(&self, refs: &mut Vec<EventRef>) {
        refs.sort_by_cached_key(|r| {
            (
                self.position(&r.provider, &r.event_id)
                    .unwrap_or(usize::MAX),
                r.provider.clone(),
                r.event_id.clone(),
            )
        });
        refs.dedup();
    }
}

//! Where an event came from — channel, provider, event id — and the selector values that
//! follow from it.
//!
//! Rules pick their event stream with *selectors* (`event.category`, `event.dataset`,
//! `log.source`, `host.os.type`, … as canonical fields). A recording (a Sysmon EVTX) carries
//! few of them, so they are derived here from the channel and event id through the
//! taxonomy's ingest-path table (`data/ingest_paths.toml` of detcat_taxonomy, with a source
//! for each fact). Only canonical field names are used, so the selector role of the taxonomy
//! can drive this at merge.

use std::collections::HashMap;

use detcat_taxonomy::Taxonomy;
use serde::Serialize;

use crate::event::FieldValues;

/// The origin of one event.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Provenance {
    /// File the event was read from (`-` for stdin).
    pub file: String,
    /// 1-based record number within the file (EVTX record id, JSON document or line number).
    pub record: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// The taxonomy event this is (`sysmon`, `1`), when the channel tells it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<(String, String)>,
    /// `provider:id` and `provider:*` of `kind`, made once for the rules' event selection.
    #[serde(skip)]
    pub(crate) keys: Option<[String; 2]>,
}

impl Provenance {
    /// `provider:event_id` of the taxonomy (`sysmon:1`), when known.
    pub fn kind_key(&self) -> Option<String> {
        self.kind.as_ref().map(|(p, id)| format!("{p}:{id}"))
    }
}

/// Names a raw field may carry the channel / event id / time under (Windows XML rendering,
/// winlogbeat, ECS, flat keys).
const CHANNEL_FIELDS: [&str; 3] = ["channel", "winlog.channel", "log_name"];
const EVENT_ID_FIELDS: [&str; 4] = ["eventid", "winlog.event_id", "eventcode", "event.code"];
const TIME_FIELDS: [&str; 4] = ["systemtime", "@timestamp", "_time", "utctime"];

fn first(raw: &HashMap<String, FieldValues>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| raw.get(*n).and_then(|v| v.values.first().cloned()))
}

/// Fills what the reader did not know from the event's own fields.
pub(crate) fn complete(p: &mut Provenance, raw: &HashMap<String, FieldValues>) {
    if p.channel.is_none() {
        p.channel = first(raw, &CHANNEL_FIELDS);
    }
    if p.event_id.is_none() {
        p.event_id = first(raw, &EVENT_ID_FIELDS);
    }
    if p.timestamp.is_none() {
        p.timestamp = first(raw, &TIME_FIELDS);
    }
    if p.kind.is_none() {
        p.kind = kind_of(p.channel.as_deref(), p.event_id.as_deref());
    }
    p.keys = p
        .kind
        .as_ref()
        .map(|(provider, id)| [format!("{provider}:{id}"), format!("{provider}:*")]);
}

fn kind_of(channel: Option<&str>, event_id: Option<&str>) -> Option<(String, String)> {
    let provider = &Taxonomy::get().ingest_paths().channel(channel?)?.provider;
    Some((provider.clone(), event_id?.trim().to_owned()))
}

/// The canonical selector values an event of this provenance carries in every ingest path.
pub(crate) fn selector_values(p: &Provenance) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let Some(channel) = p.channel.as_deref() else {
        return out;
    };
    let paths = Taxonomy::get().ingest_paths();
    let row = paths.channel(channel);
    if row.is_none() && !channel.to_lowercase().starts_with("microsoft-") {
        return out;
    }
    out.push(("host.os.type", "windows".to_owned()));
    out.push(("event.provider", channel.to_owned()));
    for prefix in &paths.source_prefixes {
        out.push(("log.source", format!("{prefix}:{channel}")));
        out.push(("log.sourcetype", prefix.clone()));
        out.push(("log.sourcetype", format!("{prefix}:{channel}")));
    }
    if let Some(dataset) = row.and_then(|r| r.dataset.as_ref()) {
        out.push(("event.dataset", dataset.clone()));
    }
    if let Some(key) = p.kind_key()
        && let Some(row) = paths.categories_of(&key)
    {
        out.extend(row.categories.iter().map(|c| ("event.category", c.clone())));
        out.extend(row.types.iter().map(|t| ("event.type", t.clone())));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysmon_process_creation_gets_every_vendors_selectors() {
        let p = Provenance {
            channel: Some("Microsoft-Windows-Sysmon/Operational".into()),
            event_id: Some("1".into()),
            kind: kind_of(Some("Microsoft-Windows-Sysmon/Operational"), Some("1")),
            ..Provenance::default()
        };
        assert_eq!(p.kind_key().as_deref(), Some("sysmon:1"));
        let vals = selector_values(&p);
        let has = |f: &str, v: &str| vals.iter().any(|(a, b)| *a == f && b == v);
        assert!(has("event.category", "process"));
        assert!(has("event.type", "start"));
        assert!(has(
            "log.source",
            "XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"
        ));
        assert!(has("event.dataset", "windows.sysmon_operational"));
        assert!(has("host.os.type", "windows"));
    }

    #[test]
    fn every_selector_field_is_a_canonical_field() {
        let tax = detcat_taxonomy::Taxonomy::get();
        for f in [
            "host.os.type",
            "event.provider",
            "log.source",
            "log.sourcetype",
            "event.dataset",
            "event.category",
            "event.type",
        ] {
            assert!(tax.field(f).is_some(), "{f} is no canonical field");
        }
    }

    #[test]
    fn unknown_channel_has_no_kind() {
        assert_eq!(kind_of(Some("Custom/Log"), Some("1")), None);
        assert_eq!(kind_of(None, Some("1")), None);
    }
}

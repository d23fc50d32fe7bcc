//! ATT&CK analytic log sources → events (`data/attack_log_sources.toml`).

use serde::Deserialize;

use crate::TaxonomyError;
use crate::events::EventTable;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AttackLogSource {
    name: String,
    #[serde(default)]
    provider: Option<String>,
    /// Put before each event code (`sysmon:` for Linux Sysmon: `linux:sysmon:1`).
    #[serde(default)]
    id_prefix: String,
    #[serde(default)]
    events: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AttackSourcesFile {
    log_source: Vec<AttackLogSource>,
}

pub(crate) fn build(
    file: AttackSourcesFile,
    events: &EventTable,
) -> Result<Vec<AttackLogSource>, TaxonomyError> {
    for s in &file.log_source {
        let bad = s
            .events
            .iter()
            .find(|k| events.get_key(k).is_none())
            .cloned()
            .or_else(|| {
                s.provider
                    .as_ref()
                    .filter(|p| events.provider(p).is_none())
                    .cloned()
            });
        if let Some(bad) = bad {
            return Err(TaxonomyError::UnknownEvent {
                context: format!("attack log source {}", s.name),
                event: bad,
            });
        }
    }
    Ok(file.log_source)
}

/// `EventCode=4663, 4670, 4656` → the ids; anything else → none.
fn event_codes(channel: &str) -> Vec<String> {
    let Some(rest) = channel.trim().strip_prefix("EventCode=") else {
        return Vec::new();
    };
    let ids: Vec<String> = rest.split(',').map(|s| s.trim().to_owned()).collect();
    if ids
        .iter()
        .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
    {
        ids
    } else {
        Vec::new()
    }
}

/// The event keys a log source row carries (empty: a log the taxonomy does not map).
pub(crate) fn events_of(table: &[AttackLogSource], name: &str, channel: &str) -> Vec<String> {
    let Some(s) = table.iter().find(|s| s.name.eq_ignore_ascii_case(name)) else {
        return Vec::new();
    };
    match &s.provider {
        Some(p) => {
            let codes = event_codes(channel);
            if !codes.is_empty() {
                let prefix = &s.id_prefix;
                codes
                    .into_iter()
                    .map(|c| format!("{p}:{prefix}{c}"))
                    .collect()
            } else if s.events.is_empty() {
                vec![format!("{p}:*")]
            } else {
                s.events.clone()
            }
        }
        None => s.events.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::event_codes;

    #[test]
    fn event_codes_read_lists_and_refuse_prose() {
        assert_eq!(
            event_codes("EventCode=4663, 4670, 4656"),
            ["4663", "4670", "4656"]
        );
        assert_eq!(event_codes("EventCode=1"), ["1"]);
        assert!(event_codes("CmdletName: Get-Recipient").is_empty());
    }
}

//! Named telemetry sets (`data/presets.toml`): what a common deployment collects.

use serde::{Deserialize, Serialize};

use crate::TaxonomyError;
use crate::events::EventTable;

/// A named set of events: `sysmon-default`, `windows-security-audit-baseline`, `elastic-defend`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    pub name: String,
    pub title: String,
    /// What the list is based on.
    pub source: String,
    /// `provider:event_id` keys.
    #[serde(default)]
    pub events: Vec<String>,
    /// Sensor products (`[[sensor]] name`): all their sensor events.
    #[serde(default)]
    pub sensors: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PresetsFile {
    preset: Vec<Preset>,
}

pub(crate) fn build(file: PresetsFile, events: &EventTable) -> Result<Vec<Preset>, TaxonomyError> {
    for p in &file.preset {
        if let Some(bad) = p.events.iter().find(|k| events.get_key(k).is_none()) {
            return Err(TaxonomyError::UnknownEvent {
                context: format!("preset {}", p.name),
                event: bad.clone(),
            });
        }
        if let Some(bad) = p
            .sensors
            .iter()
            .find(|s| !events.sensors.iter().any(|x| &x.name == *s))
        {
            return Err(TaxonomyError::UnknownEvent {
                context: format!("preset {} (sensor)", p.name),
                event: bad.clone(),
            });
        }
    }
    Ok(file.preset)
}

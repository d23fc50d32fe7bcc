//! How the vendors' ingest paths present a Windows event recorded without them
//! (`data/ingest_paths.toml`): channel → provider and data stream, the source prefixes, and
//! each event's categories and types.

use serde::Deserialize;

use crate::TaxonomyError;
use crate::events::EventTable;

/// The ingest-path table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestPaths {
    /// Prefixes of the source / sourcetype of a Windows channel (`<prefix>:<channel>`).
    pub source_prefixes: Vec<String>,
    #[serde(rename = "channel")]
    pub channels: Vec<Channel>,
    #[serde(rename = "category")]
    pub categories: Vec<EventCategories>,
}

/// A Windows channel.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// The channel name, lower case.
    pub name: String,
    /// The taxonomy provider its events are.
    pub provider: String,
    /// Its data stream (`event.dataset`), when one is documented.
    pub dataset: Option<String>,
}

/// The `event.category` and `event.type` values of one taxonomy event.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventCategories {
    /// `provider:event_id`.
    pub event: String,
    pub categories: Vec<String>,
    pub types: Vec<String>,
}

impl IngestPaths {
    /// The channel row of a channel name (any case).
    pub fn channel(&self, name: &str) -> Option<&Channel> {
        let lower = name.to_lowercase();
        self.channels.iter().find(|c| c.name == lower)
    }

    /// The categories and types of a `provider:event_id` key.
    pub fn categories_of(&self, key: &str) -> Option<&EventCategories> {
        self.categories.iter().find(|c| c.event == key)
    }
}

pub(crate) fn build(file: IngestPaths, events: &EventTable) -> Result<IngestPaths, TaxonomyError> {
    if let Some(bad) = file
        .categories
        .iter()
        .find(|c| events.get_key(&c.event).is_none())
    {
        return Err(TaxonomyError::UnknownEvent {
            context: "ingest_paths.toml category".to_owned(),
            event: bad.event.clone(),
        });
    }
    Ok(file)
}

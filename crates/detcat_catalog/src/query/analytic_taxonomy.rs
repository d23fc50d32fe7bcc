//! The taxonomy's answers for a technique's analytics, read from `analytic_taxonomy`
//! (written by the build for every log source and mutable element of its ATT&CK release):
//! a technique page matches its analytics without parsing the taxonomy's data files, which
//! took longer than the rest of the page in a fresh process (issue 19).

use std::collections::HashMap;

use rusqlite::OptionalExtension;

use super::Catalog;
use crate::analytics::AnalyticTaxonomy;
use crate::attack_data::StrategyData;
use crate::error::CatalogError;

/// The answers a technique's analytics need; a question the catalog has no row for (a
/// catalog built before the table) is asked of the taxonomy itself.
#[derive(Default)]
pub(crate) struct StoredTaxonomy {
    log_sources: HashMap<(String, String), Vec<String>, foldhash::fast::RandomState>,
    elements: HashMap<String, Vec<String>, foldhash::fast::RandomState>,
}

impl AnalyticTaxonomy for StoredTaxonomy {
    fn log_source_events(&self, name: &str, channel: &str) -> Vec<String> {
        match self.log_sources.get(&(name.to_owned(), channel.to_owned())) {
            Some(events) => events.clone(),
            None => detcat_taxonomy::Taxonomy::get().log_source_events(name, channel),
        }
    }

    fn element_fields(&self, element: &str) -> Vec<String> {
        match self.elements.get(element) {
            Some(fields) => fields.clone(),
            None => detcat_taxonomy::Taxonomy::get().element_fields(element),
        }
    }
}

/// `kind` of a log source row (`name`, `channel` → events).
pub(crate) const LOG_SOURCE: &str = "log_source";
/// `kind` of a mutable element row (`name` → canonical fields; `channel` empty).
pub(crate) const ELEMENT: &str = "mutable_element";

impl Catalog {
    /// The stored answers for the log sources and mutable elements of `strategies` (a
    /// technique's detection strategies); `None` when the catalog has no `analytic_taxonomy`
    /// table.
    pub(crate) fn stored_taxonomy(
        &self,
        strategies: &[StrategyData],
    ) -> Result<Option<StoredTaxonomy>, CatalogError> {
        if !self.has_table("analytic_taxonomy")? {
            return Ok(None);
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT vals FROM analytic_taxonomy WHERE kind = ?1 AND name = ?2 AND channel = ?3",
        )?;
        let mut lookup = |kind: &str, name: &str, channel: &str| -> Result<_, CatalogError> {
            let vals: Option<String> = stmt
                .query_row([kind, name, channel], |r| r.get(0))
                .optional()?;
            Ok(match vals {
                Some(json) => Some(serde_json::from_str::<Vec<String>>(&json)?),
                None => None,
            })
        };
        let mut out = StoredTaxonomy::default();
        for analytic in strategies.iter().flat_map(|s| &s.analytics) {
            for ls in &analytic.log_sources {
                let key = (ls.name.clone(), ls.channel.clone());
                if !out.log_sources.contains_key(&key)
                    && let Some(events) = lookup(LOG_SOURCE, &key.0, &key.1)?
                {
                    out.log_sources.insert(key, events);
                }
            }
            for e in &analytic.mutable_elements {
                let name = e.field.as_str();
                if !out.elements.contains_key(name)
                    && let Some(fields) = lookup(ELEMENT, name, "")?
                {
                    out.elements.insert(name.to_owned(), fields);
                }
            }
        }
        Ok(Some(out))
    }
}

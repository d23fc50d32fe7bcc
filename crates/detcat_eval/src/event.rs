//! One event as the evaluator sees it: raw fields (by case-insensitive name), the same values
//! under their canonical taxonomy fields (plus derived ones), and where the event came from.
//!
//! Rules of every vendor look fields up here: first by the name the rule wrote (Sigma `Image`
//! on a Sysmon event), then by the canonical field that name means (Elastic `process.name` on
//! the same event finds `Image`'s basename). So one recording answers for all vendors.

use std::collections::HashMap;

use detcat_taxonomy::Taxonomy;
use serde::Serialize;

use crate::provenance::{self, Provenance};

/// The values of one field: as written, and lower-cased once for case-insensitive operators.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldValues {
    pub values: Vec<String>,
    pub lower: Vec<String>,
    /// The field is present but `null` (Sigma `Field: null` matches it).
    pub null: bool,
}

impl FieldValues {
    fn push(&mut self, value: String) {
        self.lower.push(value.to_lowercase());
        self.values.push(value);
    }

    /// Absent, `null` or only empty strings: Sigma's `null` value.
    pub fn is_empty(&self) -> bool {
        self.values.iter().all(String::is_empty)
    }
}

/// How raw field names are compared: case-insensitively (Windows event data names are) and
/// ignoring spaces — Defender writes `Threat Name` where Sigma rules say `ThreatName`.
pub fn field_key(name: &str) -> String {
    name.chars()
        .filter(|c| *c != ' ')
        .flat_map(char::to_lowercase)
        .collect()
}

/// How the raw fields of an event are named: the taxonomy reads them through the name index
/// of the vendor whose `naming` this is (`[vendors.*]` in its `fields.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Naming {
    /// Windows event data names (`Image`, `CommandLine`): EVTX and its JSON rendering.
    Windows,
    /// Elastic Common Schema / winlogbeat names (`process.executable`,
    /// `winlog.event_data.Image`).
    Ecs,
    /// Flat keys (CIM names, falling back to Windows names).
    Flat,
}

impl Naming {
    /// The name `fields.toml` gives this naming.
    pub fn as_str(self) -> &'static str {
        match self {
            Naming::Windows => "windows",
            Naming::Ecs => "ecs",
            Naming::Flat => "flat",
        }
    }
}

/// An event ready for evaluation.
#[derive(Debug, Clone, Default)]
pub struct Event {
    raw: HashMap<String, FieldValues>,
    canonical: HashMap<String, FieldValues>,
    /// Raw names in document order (for display and keyword search).
    order: Vec<String>,
    /// Lower-cased canonical values that are no copy of a raw value (selector values from
    /// the provenance, derived basenames and arguments): with the raw values, every value a
    /// rule can compare with (the prefilter's haystack).
    added_lower: Vec<String>,
    pub provenance: Provenance,
}

impl Event {
    /// Builds an event from `(name, value)` pairs in document order; a value of `None` is null.
    pub fn from_fields(
        naming: Naming,
        fields: impl IntoIterator<Item = (String, Option<String>)>,
        mut provenance: Provenance,
    ) -> Event {
        let mut event = Event::default();
        for (name, value) in fields {
            let key = field_key(&name);
            let slot = event.raw.entry(key.clone()).or_insert_with(|| {
                event.order.push(name.clone());
                FieldValues::default()
            });
            match value {
                Some(v) => slot.push(v),
                None => slot.null = true,
            }
        }
        provenance::complete(&mut provenance, &event.raw);
        event.provenance = provenance;
        event.map_canonical(naming);
        event
    }

    /// Fills the canonical view: every raw field the taxonomy knows, then the provenance
    /// selector values and the derived fields (basenames, process arguments).
    fn map_canonical(&mut self, naming: Naming) {
        let tax = Taxonomy::get();
        let vendor = tax.vendor_of_naming(naming.as_str());
        for name in &self.order {
            let Some(field) = vendor.and_then(|v| tax.canonical_field(v, name)) else {
                continue;
            };
            if let Some(vals) = self.raw.get(&field_key(name)) {
                let slot = self.canonical.entry(field.id.clone()).or_default();
                for (v, lower) in vals.values.iter().zip(&vals.lower) {
                    if !slot.values.contains(v) {
                        slot.values.push(v.clone());
                        slot.lower.push(lower.clone());
                    }
                }
                slot.null |= vals.null;
            }
        }
        for (field, value) in provenance::selector_values(&self.provenance) {
            self.add_canonical(field, value);
        }
        crate::derive::derive(self, tax);
    }

    /// Adds a canonical value unless already present.
    pub(crate) fn add_canonical(&mut self, field: &str, value: String) {
        let slot = self.canonical.entry(field.to_owned()).or_default();
        if !slot.values.contains(&value) {
            slot.push(value);
            if let Some(lower) = slot.lower.last() {
                self.added_lower.push(lower.clone());
            }
        }
    }

    /// The values of a canonical field.
    pub fn canonical(&self, id: &str) -> Option<&FieldValues> {
        self.canonical.get(id)
    }

    /// The values of a raw field, by its [`field_key`].
    pub fn raw(&self, key: &str) -> Option<&FieldValues> {
        self.raw.get(key)
    }

    /// Raw fields in document order with their values (keyword searches read all of them).
    pub fn raw_fields(&self) -> impl Iterator<Item = (&str, &FieldValues)> {
        self.order
            .iter()
            .filter_map(|n| self.raw.get(&field_key(n)).map(|v| (n.as_str(), v)))
    }

    /// Every raw value, lower-cased (keyword searches).
    pub fn all_lower(&self) -> impl Iterator<Item = &str> {
        self.raw
            .values()
            .flat_map(|v| v.lower.iter().map(String::as_str))
    }

    /// Every lower-cased value of the event, raw and canonical, each once (the prefilter's
    /// haystack).
    pub(crate) fn lower_values(&self) -> impl Iterator<Item = &str> {
        self.raw
            .values()
            .flat_map(|v| v.lower.iter().map(String::as_str))
            .chain(self.added_lower.iter().map(String::as_str))
    }

    /// Every raw value as written.
    pub fn all_values(&self) -> impl Iterator<Item = &str> {
        self.raw
            .values()
            .flat_map(|v| v.values.iter().map(String::as_str))
    }
}

#[cfg(test)]
mod naming_tests {
    use super::*;

    #[test]
    fn every_naming_is_read_through_some_vendors_names() {
        for naming in [Naming::Windows, Naming::Ecs, Naming::Flat] {
            assert!(
                Taxonomy::get().vendor_of_naming(naming.as_str()).is_some(),
                "{naming:?} has no `naming` row in fields.toml"
            );
        }
    }
}

//! One event as the evaluator sees it: raw fields (by case-insensitive name), the same values
//! under their canonical taxonomy fields (plus derived ones), and where the event came from.
//!
//! Rules of every vendor look fields up here: first by the name the rule wrote (Sigma `Image`
//! on a Sysmon event), then by the canonical field that name means (Elastic `process.name` on
//! the same event finds `Image`'s basename). So one recording answers for all vendors.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use detcat_taxonomy::Taxonomy;
use serde::Serialize;

use crate::provenance::{self, Provenance};

/// The values of one field: as written, and lower-cased for case-insensitive operators — on
/// first use, since rules read few of an event's fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldValues {
    pub values: Vec<String>,
    lower: OnceLock<Vec<String>>,
    /// The field is present but `null` (Sigma `Field: null` matches it).
    pub null: bool,
}

impl FieldValues {
    /// Values as written.
    pub fn new(values: Vec<String>) -> FieldValues {
        FieldValues {
            values,
            ..FieldValues::default()
        }
    }

    fn push(&mut self, value: String) {
        self.lower.take();
        self.values.push(value);
    }

    /// The values lower-cased (`str::to_lowercase`), made on first use.
    pub fn lower(&self) -> &[String] {
        self.lower
            .get_or_init(|| self.values.iter().map(|v| v.to_lowercase()).collect())
    }

    /// Absent, `null` or only empty strings: Sigma's `null` value.
    pub fn is_empty(&self) -> bool {
        self.values.iter().all(String::is_empty)
    }
}

/// How raw field names are compared: case-insensitively (Windows event data names are) and
/// ignoring spaces — Defender writes `Threat Name` where Sigma rules say `ThreatName`.
pub fn field_key(name: &str) -> String {
    if name.is_ascii() {
        // The same as the general path for ASCII, byte by byte.
        return name
            .bytes()
            .filter(|b| *b != b' ')
            .map(|b| char::from(b.to_ascii_lowercase()))
            .collect();
    }
    name.chars()
        .filter(|c| *c != ' ')
        .flat_map(char::to_lowercase)
        .collect()
}

/// An event's fields by name. Field lookups are most of evaluation: the hasher is foldhash,
/// several times faster than the standard SipHash on short names, with a random seed per
/// process (names from an input cannot be chosen to collide in advance).
pub(crate) type FieldMap = HashMap<String, FieldValues, foldhash::fast::RandomState>;

/// Distinct raw names a reading thread remembers the canonical field of (names repeat from
/// event to event; a hostile input with endless new names only empties the cache).
const NAME_CACHE: usize = 8192;

type NameCache = HashMap<String, Option<&'static str>, foldhash::fast::RandomState>;

thread_local! {
    /// Per naming (`Naming as usize`).
    static CANONICAL_OF: RefCell<[NameCache; 3]> = RefCell::new(Default::default());
}

/// The canonical field id a raw name of this naming maps to (`Taxonomy::canonical_field`
/// through the naming's vendor), remembered per thread.
fn canonical_of(naming: Naming, name: &str) -> Option<&'static str> {
    let lookup = || {
        let tax = Taxonomy::get();
        tax.vendor_of_naming(naming.as_str())
            .and_then(|v| tax.canonical_field(v, name))
            .map(|f| f.id.as_str())
    };
    CANONICAL_OF
        .try_with(|caches| {
            let mut caches = caches.borrow_mut();
            let Some(cache) = caches.get_mut(naming as usize) else {
                return lookup();
            };
            if let Some(hit) = cache.get(name) {
                return *hit;
            }
            let found = lookup();
            if cache.len() >= NAME_CACHE {
                cache.clear();
            }
            cache.insert(name.to_owned(), found);
            found
        })
        .unwrap_or_else(|_| lookup())
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
    raw: FieldMap,
    canonical: FieldMap,
    /// Raw names in document order with their [`field_key`] (for display and keyword search).
    order: Vec<(String, String)>,
    /// Canonical values that are no copy of a raw value (selector values from the
    /// provenance, derived basenames and arguments): with the raw values, every value a rule
    /// can compare with (the prefilter's haystack).
    added: Vec<String>,
    pub provenance: Provenance,
}

impl Event {
    /// Builds an event from `(name, value)` pairs in document order; a value of `None` is null.
    pub fn from_fields(
        naming: Naming,
        fields: impl IntoIterator<Item = (String, Option<String>)>,
        mut provenance: Provenance,
    ) -> Event {
        let fields = fields.into_iter();
        let n = fields.size_hint().0;
        let mut event = Event {
            raw: FieldMap::with_capacity_and_hasher(n, Default::default()),
            canonical: FieldMap::with_capacity_and_hasher(n + 16, Default::default()),
            order: Vec::with_capacity(n),
            ..Event::default()
        };
        for (name, value) in fields {
            let key = field_key(&name);
            let slot = match event.raw.entry(key) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    event.order.push((name, v.key().clone()));
                    v.insert(FieldValues::default())
                }
            };
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
        for (name, key) in &self.order {
            let Some(field) = canonical_of(naming, name) else {
                continue;
            };
            if let Some(vals) = self.raw.get(key) {
                let slot = self.canonical.entry(field.to_owned()).or_default();
                for v in &vals.values {
                    if !slot.values.contains(v) {
                        slot.push(v.clone());
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
            self.added.push(value.clone());
            slot.push(value);
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
            .filter_map(|(n, k)| self.raw.get(k).map(|v| (n.as_str(), v)))
    }

    /// Every raw value, lower-cased (keyword searches).
    pub fn all_lower(&self) -> impl Iterator<Item = &str> {
        self.raw
            .values()
            .flat_map(|v| v.lower().iter().map(String::as_str))
    }

    /// Every value of the event, raw and canonical, each once, as written (the prefilter's
    /// haystack).
    pub(crate) fn haystack(&self) -> impl Iterator<Item = &str> {
        self.raw
            .values()
            .flat_map(|v| v.values.iter().map(String::as_str))
            .chain(self.added.iter().map(String::as_str))
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

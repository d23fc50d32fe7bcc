//! A list of objects of one kind, found by STIX id or ATT&CK id.

use crate::Map;

use serde::Serialize;

use crate::model::{
    Actor, Analytic, DataComponent, DataSource, DetectionStrategy, Meta, Mitigation, Tactic,
    Technique,
};

/// What every stored object offers the table.
pub(crate) trait Entry {
    fn meta(&self) -> &Meta;
    fn meta_mut(&mut self) -> &mut Meta;
    fn attack_id(&self) -> Option<&str>;
}

macro_rules! entry {
    ($t:ty, |$s:ident| $id:expr) => {
        impl Entry for $t {
            fn meta(&self) -> &Meta {
                &self.meta
            }
            fn meta_mut(&mut self) -> &mut Meta {
                &mut self.meta
            }
            fn attack_id(&self) -> Option<&str> {
                let $s = self;
                $id
            }
        }
    };
}

entry!(Tactic, |s| Some(s.id.as_str()));
entry!(Technique, |s| Some(s.id.as_str()));
entry!(DetectionStrategy, |s| Some(s.id.as_str()));
entry!(Analytic, |s| Some(s.id.as_str()));
entry!(DataComponent, |s| s.id.as_deref());
entry!(DataSource, |s| Some(s.id.as_str()));
entry!(Mitigation, |s| Some(s.id.as_str()));
entry!(Actor, |s| Some(s.id.as_str()));

/// Objects of one kind. Serializes as the plain list.
#[derive(Debug, Clone)]
pub(crate) struct Table<T> {
    pub items: Vec<T>,
    by_stix: Map<String, usize>,
    by_id: Map<String, usize>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            by_stix: Map::default(),
            by_id: Map::default(),
        }
    }
}

impl<T: Serialize> Serialize for Table<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.items.serialize(s)
    }
}

/// What [`Table::insert`] did with an object whose STIX id was already present.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inserted {
    New,
    /// Same id seen before; the newer `modified` copy is kept and domains are merged.
    Merged,
}

/// ATT&CK ids are case-insensitive in rule tags (`attack.t1059.001`); STIX ids are lowercase.
pub(crate) fn normalize_key(key: &str) -> String {
    let key = key.trim();
    if key.contains("--") {
        key.to_owned()
    } else {
        key.to_ascii_uppercase()
    }
}

impl<T: Entry> Table<T> {
    pub fn insert(&mut self, item: T) -> Inserted {
        let stix = item.meta().stix_id.clone();
        if let Some(&at) = self.by_stix.get(&stix)
            && let Some(old) = self.items.get_mut(at)
        {
            let mut domains = std::mem::take(&mut old.meta_mut().domains);
            let newer = item.meta().modified > old.meta().modified;
            if newer {
                *old = item;
            }
            for d in std::mem::take(&mut old.meta_mut().domains) {
                if !domains.contains(&d) {
                    domains.push(d);
                }
            }
            old.meta_mut().domains = domains;
            return Inserted::Merged;
        }
        self.by_stix.insert(stix, self.items.len());
        self.items.push(item);
        Inserted::New
    }

    /// Sort by ATT&CK id and build the id index. Where two objects share an ATT&CK id (a
    /// revoked object and its successor, or an old mitigation reusing a technique id), the
    /// active one wins.
    pub fn finish(&mut self) {
        self.items.sort_by(|a, b| {
            (a.attack_id(), &a.meta().stix_id).cmp(&(b.attack_id(), &b.meta().stix_id))
        });
        self.by_stix = self
            .items
            .iter()
            .enumerate()
            .map(|(i, t)| (t.meta().stix_id.clone(), i))
            .collect();
        self.by_id.clear();
        for (i, item) in self.items.iter().enumerate() {
            let Some(id) = item.attack_id() else { continue };
            let key = normalize_key(id);
            let replace = match self.by_id.get(&key).and_then(|&j| self.items.get(j)) {
                Some(prev) => item.meta().is_active() && !prev.meta().is_active(),
                None => true,
            };
            if replace {
                self.by_id.insert(key, i);
            }
        }
    }

    /// Index of the object with this STIX id or ATT&CK id.
    pub fn index(&self, key: &str) -> Option<usize> {
        let key = key.trim();
        if key.contains("--") {
            return self.by_stix.get(key).copied();
        }
        // Only allocate for the rare lowercase ATT&CK id (`t1059` from a rule tag).
        if key.bytes().any(|b| b.is_ascii_lowercase()) {
            self.by_id.get(&key.to_ascii_uppercase()).copied()
        } else {
            self.by_id.get(key).copied()
        }
    }

    pub fn get(&self, key: &str) -> Option<&T> {
        self.index(key).and_then(|i| self.items.get(i))
    }

    /// The ATT&CK id of an object given by STIX id (or the STIX id when it has none).
    pub fn public_id(&self, stix: &str) -> Option<String> {
        self.get(stix)
            .map(|t| t.attack_id().unwrap_or(&t.meta().stix_id).to_owned())
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }
}

//! Canonical fields and the per-vendor name index that finds them.

use std::collections::{HashMap, HashSet};

use detcat_model::Vendor;
use serde::{Deserialize, Serialize};

use crate::TaxonomyError;
use crate::context::{ContextRule, LogContext};

/// One meaning, with the names each vendor gives it (`process.image` ← Sigma `Image`, ECS
/// `process.executable`, CIM `Processes.process_path`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanonicalField {
    /// Stable id, ECS-like (`process.image`, `process.name`, `registry.path`).
    pub id: String,
    pub title: String,
    /// Grouping for display (`process`, `file`, `registry`, `network`, …).
    pub group: String,
    /// The field holding the last path component of this one: `*\x.exe` here is `x.exe` there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basename: Option<String>,
    /// Sigma (Sysmon / Windows event data / log-native) names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sigma: Vec<String>,
    /// Elastic Common Schema names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ecs: Vec<String>,
    /// Splunk CIM names, with their datamodel node (`Processes.process_name`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cim: Vec<String>,
    /// CIM names claimed without a node where several fields share the bare name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cim_bare: Vec<String>,
    /// The field chooses the event stream (event kind, code, channel, OS, index…) rather than
    /// describing activity: its predicates are selectors, never indicators or exclusions.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub selector: bool,
    /// Where the facts of this row come from (keys explained at the top of `fields.toml`).
    pub source: String,
}

/// Per-vendor matching rules, from the `[vendors.*]` tables of `fields.toml`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VendorConfig {
    #[serde(default)]
    case_insensitive: bool,
    #[serde(default)]
    strip_suffixes: Vec<String>,
    #[serde(default)]
    case_folding_suffixes: Vec<String>,
    #[serde(default)]
    prefix_aliases: Vec<PrefixAlias>,
    #[serde(default)]
    fallback: Option<Vendor>,
    #[serde(default)]
    datamodel_nodes: Vec<String>,
    /// The naming of raw event fields this vendor's field names are (`windows`, `ecs`,
    /// `flat`): events recorded in that naming are read through this vendor's name index.
    #[serde(default)]
    naming: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrefixAlias {
    prefix: String,
    vendor: Vendor,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FieldsFile {
    vendors: Vendors,
    field: Vec<CanonicalField>,
    #[serde(default)]
    context: Vec<ContextRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Vendors {
    sigma: VendorConfig,
    elastic: VendorConfig,
    splunk: VendorConfig,
}

/// A resolved vendor name: the field's index and whether the name itself implies a
/// case-insensitive match (ECS `.caseless` multi-fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub index: usize,
    pub folds_case: bool,
}

#[derive(Debug, Default)]
struct VendorIndex {
    config: VendorConfig,
    nodes: HashSet<String>,
    names: FnvMap<usize>,
}

/// All canonical fields plus one name index per vendor.
#[derive(Debug)]
pub(crate) struct FieldTable {
    pub fields: Vec<CanonicalField>,
    by_id: HashMap<String, usize>,
    indexes: [VendorIndex; 3],
    /// Bare CIM names left unmapped because several fields claim them.
    pub ambiguous_cim: Vec<String>,
    /// Context-dependent names, with the index of the field they mean there.
    contexts: Vec<(ContextRule, usize)>,
}

/// FNV-1a: field names are short, trusted keys, where SipHash's DoS resistance costs more than
/// the lookup itself.
#[derive(Debug, Clone, Copy, Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvMap<V> = HashMap<String, V, std::hash::BuildHasherDefault<Fnv>>;

/// Longest name lowercased on the stack; longer names allocate.
const STACK_KEY: usize = 128;

fn vendor_slot(vendor: Vendor) -> usize {
    vendor.index()
}

impl VendorIndex {
    fn new(config: VendorConfig) -> Self {
        let nodes = config.datamodel_nodes.iter().cloned().collect();
        Self {
            config,
            nodes,
            names: FnvMap::default(),
        }
    }

    fn key(&self, name: &str) -> String {
        if self.config.case_insensitive {
            name.to_ascii_lowercase()
        } else {
            name.to_owned()
        }
    }

    fn insert(
        &mut self,
        vendor: Vendor,
        name: &str,
        index: usize,
        fields: &[CanonicalField],
    ) -> Result<(), TaxonomyError> {
        let key = self.key(name);
        match self.names.get(&key) {
            Some(&prev) if prev != index => Err(TaxonomyError::DuplicateName {
                vendor: vendor.as_str(),
                name: name.to_owned(),
                first: fields.get(prev).map(|f| f.id.clone()).unwrap_or_default(),
                second: fields.get(index).map(|f| f.id.clone()).unwrap_or_default(),
            }),
            _ => {
                self.names.insert(key, index);
                Ok(())
            }
        }
    }

    /// Exact lookup, lowercasing on the stack for case-insensitive vendors.
    fn exact(&self, name: &str) -> Option<usize> {
        if !self.config.case_insensitive || !name.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.names.get(name).copied();
        }
        let mut buf = [0u8; STACK_KEY];
        match buf.get_mut(..name.len()) {
            Some(slot) => {
                slot.copy_from_slice(name.as_bytes());
                slot.make_ascii_lowercase();
                // Lowercasing ASCII bytes keeps UTF-8 valid.
                std::str::from_utf8(slot)
                    .ok()
                    .and_then(|k| self.names.get(k).copied())
            }
            None => self.names.get(&name.to_ascii_lowercase()).copied(),
        }
    }
}

impl FieldTable {
    pub(crate) fn build(file: FieldsFile) -> Result<Self, TaxonomyError> {
        let FieldsFile {
            vendors,
            field: fields,
            context,
        } = file;
        let mut by_id = HashMap::new();
        for (i, f) in fields.iter().enumerate() {
            if by_id.insert(f.id.clone(), i).is_some() {
                return Err(TaxonomyError::DuplicateField(f.id.clone()));
            }
        }
        for f in &fields {
            if let Some(b) = &f.basename
                && !by_id.contains_key(b)
            {
                return Err(TaxonomyError::UnknownBasename {
                    field: f.id.clone(),
                    basename: b.clone(),
                });
            }
        }
        let mut sigma = VendorIndex::new(vendors.sigma);
        let mut elastic = VendorIndex::new(vendors.elastic);
        let mut splunk = VendorIndex::new(vendors.splunk);
        // Bare CIM names: explicit claims first, then the unique implicit ones.
        let mut bare_claims: HashMap<String, HashSet<usize>> = HashMap::new();
        for (i, f) in fields.iter().enumerate() {
            for n in &f.sigma {
                sigma.insert(Vendor::Sigma, n, i, &fields)?;
            }
            for n in &f.ecs {
                elastic.insert(Vendor::Elastic, n, i, &fields)?;
            }
            for n in &f.cim {
                splunk.insert(Vendor::Splunk, n, i, &fields)?;
                if let Some((node, bare)) = n.split_once('.')
                    && splunk.nodes.contains(node)
                {
                    bare_claims.entry(bare.to_owned()).or_default().insert(i);
                }
            }
            for n in &f.cim_bare {
                splunk.insert(Vendor::Splunk, n, i, &fields)?;
            }
        }
        let mut ambiguous_cim = Vec::new();
        for (bare, claimants) in bare_claims {
            if splunk.names.contains_key(&bare) {
                continue;
            }
            match claimants.iter().next() {
                Some(&only) if claimants.len() == 1 => {
                    splunk.insert(Vendor::Splunk, &bare, only, &fields)?
                }
                _ => ambiguous_cim.push(bare),
            }
        }
        ambiguous_cim.sort();
        let contexts = context
            .into_iter()
            .map(|rule| match by_id.get(&rule.field) {
                Some(&i) => Ok((rule, i)),
                None => Err(TaxonomyError::UnknownContextField {
                    name: rule.name.clone(),
                    field: rule.field.clone(),
                }),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            fields,
            by_id,
            indexes: [sigma, elastic, splunk],
            ambiguous_cim,
            contexts,
        })
    }

    pub(crate) fn by_id(&self, id: &str) -> Option<&CanonicalField> {
        self.by_id.get(id).and_then(|&i| self.fields.get(i))
    }

    pub(crate) fn field(&self, hit: Hit) -> Option<&CanonicalField> {
        self.fields.get(hit.index)
    }

    /// Resolves a vendor field name (see the matching rules in the crate docs).
    pub(crate) fn lookup(&self, vendor: Vendor, name: &str) -> Option<Hit> {
        self.lookup_depth(vendor, name, 2)
    }

    /// Resolves a vendor field name in a log context: a `[[context]]` row that matches wins
    /// over the name's default meaning.
    pub(crate) fn lookup_in(&self, vendor: Vendor, name: &str, ctx: &LogContext) -> Option<Hit> {
        if !ctx.is_empty()
            && let Some((_, index)) = self
                .contexts
                .iter()
                .find(|(rule, _)| rule.applies(vendor, name, ctx))
        {
            return Some(Hit {
                index: *index,
                folds_case: false,
            });
        }
        self.lookup(vendor, name)
    }

    /// The vendor whose field names are the raw field naming `naming` (`[vendors.*] naming`).
    pub(crate) fn vendor_of_naming(&self, naming: &str) -> Option<Vendor> {
        Vendor::ALL.into_iter().find(|v| {
            self.indexes
                .get(vendor_slot(*v))
                .is_some_and(|i| i.config.naming.as_deref() == Some(naming))
        })
    }

    fn lookup_depth(&self, vendor: Vendor, raw: &str, depth: u8) -> Option<Hit> {
        let index = self.indexes.get(vendor_slot(vendor))?;
        let cfg = &index.config;
        let mut name = raw;
        let mut folds_case = false;
        for suffix in &cfg.strip_suffixes {
            if let Some(stripped) = name.strip_suffix(suffix.as_str()) {
                folds_case = cfg.case_folding_suffixes.iter().any(|s| s == suffix);
                name = stripped;
                break;
            }
        }
        let hit = |i| {
            Some(Hit {
                index: i,
                folds_case,
            })
        };
        if let Some(i) = index.exact(name) {
            return hit(i);
        }
        if depth > 0 {
            for alias in &cfg.prefix_aliases {
                if let Some(rest) = name.strip_prefix(alias.prefix.as_str())
                    && let Some(h) = self.lookup_depth(alias.vendor, rest, depth - 1)
                {
                    return Some(Hit {
                        index: h.index,
                        folds_case: folds_case || h.folds_case,
                    });
                }
            }
        }
        // `<Datamodel>.` prefixes are optional: `Endpoint.Processes.process_name` → `process_name`.
        let mut rest = name;
        while let Some((node, tail)) = rest.split_once('.') {
            if !index.nodes.contains(node) {
                break;
            }
            rest = tail;
            if let Some(i) = index.exact(rest) {
                return hit(i);
            }
        }
        if depth > 0
            && let Some(fallback) = cfg.fallback
        {
            return self.lookup_depth(fallback, name, depth - 1);
        }
        None
    }
}

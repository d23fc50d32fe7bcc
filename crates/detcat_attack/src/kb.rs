//! The loaded knowledge base and its queries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::{
    Actor, Analytic, DataComponent, DataSource, DetectionStrategy, Mitigation, Tactic, Technique,
};
use crate::table::Table;
use crate::version::{AttackVersion, VersionSource, canonical_domain, domain_rank};

/// ATT&CK, merged from one or more STIX bundles. Build it with [`KnowledgeBase::load`].
///
/// Every accessor taking an id accepts the ATT&CK id in any case (`T1559.001`, `t1559.001`)
/// or the STIX id (`attack-pattern--…`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct KnowledgeBase {
    pub(crate) bundles: Vec<BundleInfo>,
    pub(crate) tactics: Table<Tactic>,
    pub(crate) techniques: Table<Technique>,
    pub(crate) strategies: Table<DetectionStrategy>,
    pub(crate) analytics: Table<Analytic>,
    pub(crate) data_components: Table<DataComponent>,
    pub(crate) data_sources: Table<DataSource>,
    pub(crate) mitigations: Table<Mitigation>,
    pub(crate) actors: Table<Actor>,
    /// Per domain, tactic indexes in matrix order.
    #[serde(skip)]
    pub(crate) tactic_order: BTreeMap<String, Vec<usize>>,
}

/// What was read from one bundle file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleInfo {
    /// Corpus-relative path, as given to [`KnowledgeBase::load`].
    pub path: String,
    /// `enterprise-attack`, `ics-attack`, `mobile-attack`, or `unknown`.
    pub domain: String,
    /// The ATT&CK release, when the bundle or its file name says.
    pub version: Option<AttackVersion>,
    pub version_source: Option<VersionSource>,
    /// `2.0` (bundle `spec_version`) or `2.1` (objects' `spec_version`).
    pub stix_version: Option<String>,
    /// Name of the bundle's `x-mitre-matrix` (`Enterprise ATT&CK`).
    pub matrix: Option<String>,
    /// Objects in the file per STIX type — all of them, including types the knowledge base
    /// does not use (`identity`, `marking-definition`, `x-mitre-asset`, …).
    pub objects: BTreeMap<String, usize>,
    /// Objects of a used type that could not be read (each has a diagnostic).
    pub skipped: usize,
}

/// Object counts per domain and STIX type, as read from the bundles (the `stats` figures).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// domain → STIX type → number of objects in that domain's bundle(s).
    pub per_domain: BTreeMap<String, BTreeMap<String, usize>>,
}

impl Counts {
    /// Objects of a type over all domains.
    pub fn total(&self, stix_type: &str) -> usize {
        self.per_domain
            .values()
            .filter_map(|m| m.get(stix_type))
            .sum()
    }

    pub fn get(&self, domain: &str, stix_type: &str) -> usize {
        let domain = canonical_domain(domain).unwrap_or(domain);
        self.per_domain
            .get(domain)
            .and_then(|m| m.get(stix_type))
            .copied()
            .unwrap_or(0)
    }
}

/// A detection strategy with its analytics and the data components they read.
#[derive(Debug, Clone, Serialize)]
pub struct StrategyView<'kb> {
    pub strategy: &'kb DetectionStrategy,
    pub analytics: Vec<AnalyticView<'kb>>,
    /// Every data component of every analytic, once, in first-use order.
    pub data_components: Vec<&'kb DataComponent>,
}

/// An analytic with its data components resolved.
#[derive(Debug, Clone, Serialize)]
pub struct AnalyticView<'kb> {
    pub analytic: &'kb Analytic,
    pub data_components: Vec<&'kb DataComponent>,
}

/// Any object of the knowledge base, for lookups by an id of unknown kind.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "kind", content = "object", rename_all = "kebab-case")]
pub enum ObjectRef<'kb> {
    Tactic(&'kb Tactic),
    Technique(&'kb Technique),
    DetectionStrategy(&'kb DetectionStrategy),
    Analytic(&'kb Analytic),
    DataComponent(&'kb DataComponent),
    DataSource(&'kb DataSource),
    Mitigation(&'kb Mitigation),
    Actor(&'kb Actor),
}

impl KnowledgeBase {
    pub(crate) fn finish_tables(&mut self) {
        self.tactics.finish();
        self.techniques.finish();
        self.strategies.finish();
        self.analytics.finish();
        self.data_components.finish();
        self.data_sources.finish();
        self.mitigations.finish();
        self.actors.finish();
    }

    /// The bundles that were read.
    pub fn bundles(&self) -> &[BundleInfo] {
        &self.bundles
    }

    /// Domains loaded, enterprise first.
    pub fn domains(&self) -> Vec<&str> {
        let mut d: Vec<&str> = self.bundles.iter().map(|b| b.domain.as_str()).collect();
        d.sort_by_key(|d| (domain_rank(d), *d));
        d.dedup();
        d
    }

    /// The ATT&CK release loaded for a domain (`enterprise`, `enterprise-attack`, …); the
    /// highest when several bundles of the domain were loaded.
    pub fn version(&self, domain: &str) -> Option<AttackVersion> {
        let domain = canonical_domain(domain).unwrap_or(domain);
        self.bundles
            .iter()
            .filter(|b| b.domain == domain)
            .filter_map(|b| b.version)
            .max()
    }

    /// Objects per domain and STIX type, as found in the files.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for b in &self.bundles {
            let m = c.per_domain.entry(b.domain.clone()).or_default();
            for (t, n) in &b.objects {
                *m.entry(t.clone()).or_default() += n;
            }
        }
        c
    }

    /// A technique or sub-technique by ATT&CK id (`T1559.001`) or STIX id.
    pub fn technique(&self, id: &str) -> Option<&Technique> {
        self.techniques.get(id)
    }

    /// All techniques and sub-techniques (including deprecated and revoked ones), by id.
    pub fn techniques(&self) -> impl Iterator<Item = &Technique> {
        self.techniques.items.iter()
    }

    /// The sub-techniques of a technique, by id.
    pub fn subtechniques(&self, parent: &str) -> Vec<&Technique> {
        let Some(p) = self.technique(parent) else {
            return Vec::new();
        };
        self.techniques()
            .filter(|t| t.parent.as_deref() == Some(p.id.as_str()))
            .collect()
    }

    /// A tactic by id (`TA0002`), STIX id, shortname (`defense-evasion`, `attack.execution`)
    /// or name (`Defense Evasion`). Shortnames repeat across domains (`execution` is TA0002
    /// in Enterprise and TA0104 in ICS): Enterprise wins, then Mobile, then ICS; use
    /// [`KnowledgeBase::tactic_in`] to choose.
    pub fn tactic(&self, key: &str) -> Option<&Tactic> {
        if let Some(t) = self.tactics.get(key) {
            return Some(t);
        }
        let short = shortname_of(key);
        self.tactics
            .items
            .iter()
            .filter(|t| t.shortname == short)
            .min_by_key(|t| {
                (
                    !t.meta.is_active(),
                    t.meta.domains.iter().map(|d| domain_rank(d)).min(),
                )
            })
    }

    /// A tactic of one domain by shortname or name.
    pub fn tactic_in(&self, domain: &str, key: &str) -> Option<&Tactic> {
        let domain = canonical_domain(domain).unwrap_or(domain);
        let short = shortname_of(key);
        self.tactics
            .items
            .iter()
            .find(|t| t.shortname == short && t.meta.domains.iter().any(|d| d == domain))
    }

    /// All tactics, by id.
    pub fn tactics(&self) -> impl Iterator<Item = &Tactic> {
        self.tactics.items.iter()
    }

    /// The tactics of a domain in matrix order (left to right on attack.mitre.org); by id when
    /// the bundle had no matrix.
    pub fn tactics_in_order(&self, domain: &str) -> Vec<&Tactic> {
        let domain = canonical_domain(domain).unwrap_or(domain);
        if let Some(order) = self.tactic_order.get(domain) {
            return order
                .iter()
                .filter_map(|&i| self.tactics.items.get(i))
                .collect();
        }
        self.tactics()
            .filter(|t| t.meta.domains.iter().any(|d| d == domain))
            .collect()
    }

    /// The v18+ detection strategies of a technique with their analytics and data components.
    pub fn detection_strategies_for(&self, technique: &str) -> Vec<StrategyView<'_>> {
        let Some(t) = self.technique(technique) else {
            return Vec::new();
        };
        t.detection_strategies
            .iter()
            .filter_map(|s| self.strategies.get(s))
            .map(|s| self.strategy_view(s))
            .collect()
    }

    fn strategy_view<'a>(&'a self, strategy: &'a DetectionStrategy) -> StrategyView<'a> {
        let mut all: Vec<&DataComponent> = Vec::new();
        let analytics = strategy
            .analytics
            .iter()
            .filter_map(|a| self.analytics.get(a))
            .map(|analytic| {
                let mut dcs: Vec<&DataComponent> = Vec::new();
                for ls in &analytic.log_sources {
                    if let Some(dc) = self.data_components.get(&ls.data_component)
                        && !dcs.iter().any(|d| std::ptr::eq(*d, dc))
                    {
                        dcs.push(dc);
                    }
                }
                for dc in &dcs {
                    if !all.iter().any(|d| std::ptr::eq(*d, *dc)) {
                        all.push(dc);
                    }
                }
                AnalyticView {
                    analytic,
                    data_components: dcs,
                }
            })
            .collect();
        StrategyView {
            strategy,
            analytics,
            data_components: all,
        }
    }

    /// The legacy (v17 and older) detection text of a technique; `None` from v18 on.
    pub fn legacy_detection(&self, technique: &str) -> Option<&str> {
        self.technique(technique)
            .and_then(|t| t.detection.as_deref())
    }

    /// The data components of a technique: from its v18 analytics, else its v17 `detects`.
    pub fn data_components_for(&self, technique: &str) -> Vec<&DataComponent> {
        let mut out: Vec<&DataComponent> = Vec::new();
        for s in self.detection_strategies_for(technique) {
            for dc in s.data_components {
                if !out.iter().any(|d| std::ptr::eq(*d, dc)) {
                    out.push(dc);
                }
            }
        }
        if out.is_empty()
            && let Some(t) = self.technique(technique)
        {
            out = t
                .data_components
                .iter()
                .filter_map(|d| self.data_components.get(d))
                .collect();
        }
        out
    }

    /// A data component by `DC0032` or STIX id.
    pub fn data_component(&self, id: &str) -> Option<&DataComponent> {
        self.data_components.get(id)
    }

    pub fn data_components(&self) -> impl Iterator<Item = &DataComponent> {
        self.data_components.items.iter()
    }

    /// A detection strategy by `DET0001` or STIX id.
    pub fn detection_strategy(&self, id: &str) -> Option<&DetectionStrategy> {
        self.strategies.get(id)
    }

    pub fn detection_strategies(&self) -> impl Iterator<Item = &DetectionStrategy> {
        self.strategies.items.iter()
    }

    /// An analytic by `AN0001` or STIX id.
    pub fn analytic(&self, id: &str) -> Option<&Analytic> {
        self.analytics.get(id)
    }

    pub fn analytics(&self) -> impl Iterator<Item = &Analytic> {
        self.analytics.items.iter()
    }

    /// A data source by `DS0009` or STIX id.
    pub fn data_source(&self, id: &str) -> Option<&DataSource> {
        self.data_sources.get(id)
    }

    /// A mitigation by `M1040` or STIX id.
    pub fn mitigation(&self, id: &str) -> Option<&Mitigation> {
        self.mitigations.get(id)
    }

    pub fn mitigations(&self) -> impl Iterator<Item = &Mitigation> {
        self.mitigations.items.iter()
    }

    /// A group (`G0001`), campaign (`C0001`) or software (`S0001`) by id or STIX id.
    pub fn actor(&self, id: &str) -> Option<&Actor> {
        self.actors.get(id)
    }

    pub fn actors(&self) -> impl Iterator<Item = &Actor> {
        self.actors.items.iter()
    }

    /// Any object by ATT&CK or STIX id. ATT&CK ids are looked up by their prefix's kind
    /// first (an old mitigation may reuse a technique's `T…` id).
    pub fn object(&self, id: &str) -> Option<ObjectRef<'_>> {
        let upper = id.trim().to_ascii_uppercase();
        let technique_first = upper.starts_with('T') && !upper.starts_with("TA");
        if technique_first && let Some(t) = self.technique(id) {
            return Some(ObjectRef::Technique(t));
        }
        None.or_else(|| self.tactics.get(id).map(ObjectRef::Tactic))
            .or_else(|| self.techniques.get(id).map(ObjectRef::Technique))
            .or_else(|| self.strategies.get(id).map(ObjectRef::DetectionStrategy))
            .or_else(|| self.analytics.get(id).map(ObjectRef::Analytic))
            .or_else(|| self.data_components.get(id).map(ObjectRef::DataComponent))
            .or_else(|| self.data_sources.get(id).map(ObjectRef::DataSource))
            .or_else(|| self.mitigations.get(id).map(ObjectRef::Mitigation))
            .or_else(|| self.actors.get(id).map(ObjectRef::Actor))
    }

    /// Number of techniques (all, including sub-techniques, deprecated and revoked).
    pub fn technique_count(&self) -> usize {
        self.techniques.len()
    }
}

/// `attack.Defense_Evasion` → `defense-evasion`.
pub(crate) fn shortname_of(key: &str) -> String {
    let key = key.trim();
    let key = key.strip_prefix("attack.").unwrap_or(key);
    key.to_ascii_lowercase().replace([' ', '_'], "-")
}

//! The MITRE ATT&CK knowledge base, loaded from STIX 2.0/2.1 bundles.
//!
//! detcat joins every detection rule with ATT&CK: this crate reads the bundles of one or more
//! domains (Enterprise, ICS, Mobile) into a [`KnowledgeBase`] of tactics in matrix order,
//! techniques and sub-techniques, mitigations, groups and software, data sources and data
//! components, and — from ATT&CK v18 on — detection strategies with their analytics (v17 and
//! older carry a legacy detection text instead). It also answers the questions rule tags raise:
//! is this technique revoked and by what ([`KnowledgeBase::check_technique`]), what does a tactic
//! tag of a newer ATT&CK version mean here ([`KnowledgeBase::resolve_tactic_tag`]).
//!
//! # The API at a glance
//!
//! - Loading: [`KnowledgeBase::load`] (`&[(path, bytes)]` → knowledge base + diagnostics);
//!   [`select_bundles`] / [`select_bundle_bytes`] pick the newest bundle per domain;
//!   [`KnowledgeBase::bundles`], [`KnowledgeBase::version`], [`KnowledgeBase::counts`] say
//!   what was read.
//! - Lookups by ATT&CK id (any case) or STIX id: [`KnowledgeBase::technique`],
//!   [`KnowledgeBase::tactic`] (also by shortname or name), [`KnowledgeBase::detection_strategy`],
//!   [`KnowledgeBase::analytic`], [`KnowledgeBase::data_component`], [`KnowledgeBase::mitigation`],
//!   [`KnowledgeBase::actor`] (groups, software, campaigns), [`KnowledgeBase::object`] (any kind).
//! - Structure: [`KnowledgeBase::tactics_in_order`], [`KnowledgeBase::subtechniques`],
//!   [`KnowledgeBase::tactics_of_technique`], [`KnowledgeBase::detection_strategies_for`] (v18+,
//!   with analytics and data components), [`KnowledgeBase::legacy_detection`] (v17 and older),
//!   [`KnowledgeBase::data_components_for`] (either).
//! - Rule tags: [`KnowledgeBase::check_technique`], [`KnowledgeBase::resolve_tactic_tag`].
//! - Threat data: [`ctid::load`] reads CTID's Top ATT&CK Techniques scores and
//!   [`KnowledgeBase::map_ctid`] places them on the loaded release (revoked ids carried over).
//! - Text: [`Technique::cited_description`] and [`cite::cite`] turn `(Citation: Name)` markers
//!   into `[n]` with numbered references.
//!
//! Every object type is plain data deriving `Serialize`/`Deserialize` (the catalog stores parts
//! of it as JSON). Cross-references are ATT&CK ids (`T1559`, `DC0032`, `M1048`).
//!
//! # Version skew
//!
//! The corpus' newest ATT&CK is v18.1, but Sigma already tags rules with tactics introduced
//! after it (`attack.stealth`, `attack.defense-impairment`, split out of Defense Evasion).
//! [`KnowledgeBase::resolve_tactic_tag`] returns [`TacticResolution::Mapped`] for those, naming
//! the loaded version's tactic (Defense Evasion, TA0005) and why.
//!
//! # Robustness
//!
//! Loading never panics: truncated JSON, wrong property types and dangling references become
//! [`detcat_model::Diagnostic`]s (`attack::…`) with the bundle's path and a byte span, and
//! everything readable is kept. Objects are read with serde into typed structs, one object at a
//! time; no JSON value tree is kept.
//!
//! ```
//! use detcat_attack::{KnowledgeBase, TacticResolution, TechniqueCheck};
//!
//! let bundle = br#"{"type": "bundle", "id": "bundle--0", "objects": [
//!   {"type": "x-mitre-tactic", "id": "x-mitre-tactic--1", "name": "Execution",
//!    "x_mitre_shortname": "execution",
//!    "external_references": [{"source_name": "mitre-attack", "external_id": "TA0002"}]},
//!   {"type": "attack-pattern", "id": "attack-pattern--1", "name": "Command Interpreter",
//!    "description": "Runs commands.(Citation: Handbook)",
//!    "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": "execution"}],
//!    "external_references": [
//!      {"source_name": "mitre-attack", "external_id": "T1059"},
//!      {"source_name": "Handbook", "url": "https://example.org/handbook"}]}
//! ]}"#;
//! let (kb, diagnostics) = KnowledgeBase::load(&[("attack/enterprise-attack-18.1.json", bundle)]);
//! assert!(diagnostics.iter().all(|d| d.code == "attack::missing-matrix"));
//!
//! let t = kb.technique("t1059").unwrap();
//! assert_eq!(kb.tactics_of_technique("T1059")[0].id, "TA0002");
//! assert_eq!(t.cited_description().text, "Runs commands.[1]");
//! assert_eq!(kb.check_technique("T1059"), TechniqueCheck::Ok);
//! assert!(matches!(kb.resolve_tactic_tag("attack.execution"), TacticResolution::Known { .. }));
//! assert_eq!(kb.version("enterprise").map(|v| v.to_string()), Some("18.1".into()));
//! ```

mod bundle;
pub mod cite;
mod convert;
pub mod ctid;
mod diagnostics;
mod kb;
mod link;
mod load;
mod model;
mod raw;
mod resolve;
mod scan;
mod select;
mod table;
mod version;

/// The hash maps of a load. STIX ids and names are hashed a few hundred thousand times per
/// bundle, and SipHash (std's default) was ~8% of the load; foldhash is seeded per process.
type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

pub use cite::{CitedText, NumberedReference};
pub use ctid::{CtidCounts, CtidMapping, CtidRecord, CtidScore};
pub use diagnostics::unreadable_bundle;
pub use kb::{AnalyticView, BundleInfo, Counts, KnowledgeBase, ObjectRef, StrategyView};
pub use model::{
    Actor, ActorKind, Analytic, DataComponent, DataSource, DetectionStrategy, ExternalReference,
    LogSource, LogSourceRef, Meta, Mitigation, MutableElement, Tactic, TacticRef, Technique,
};
pub use resolve::{TacticResolution, TechniqueCheck};
pub use select::{
    BundleChoice, BundleProbe, probe_bundle, select_bundle_bytes, select_bundles, select_bundles_by,
};
pub use version::{
    AttackVersion, VersionSource, canonical_domain, domain_from_file_name, version_from_file_name,
};

impl Technique {
    /// The description with `(Citation: …)` markers replaced by `[n]`, and its references.
    pub fn cited_description(&self) -> CitedText {
        cite::cite(&self.description, &self.references)
    }

    /// The legacy detection text, cited the same way (`None` from v18 on).
    pub fn cited_detection(&self) -> Option<CitedText> {
        self.detection
            .as_deref()
            .map(|d| cite::cite(d, &self.references))
    }
}

impl Tactic {
    pub fn cited_description(&self) -> CitedText {
        cite::cite(&self.description, &self.references)
    }
}

impl Mitigation {
    pub fn cited_description(&self) -> CitedText {
        cite::cite(&self.description, &self.references)
    }
}

impl Analytic {
    pub fn cited_description(&self) -> CitedText {
        cite::cite(&self.description, &self.references)
    }
}

impl Actor {
    pub fn cited_description(&self) -> CitedText {
        cite::cite(&self.description, &self.references)
    }
}

impl DataSource {
    pub fn cited_description(&self) -> CitedText {
        cite::cite(&self.description, &self.references)
    }
}

#[cfg(test)]
mod tests;

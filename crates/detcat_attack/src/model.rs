//! The knowledge base's objects: plain, serializable data with ATT&CK ids resolved.
//!
//! Cross-references between objects are kept as ATT&CK ids where the target has one (`T1559`,
//! `TA0002`, `M1040`) and as STIX ids otherwise (v17 data components have no `DC…` id); the
//! [`crate::KnowledgeBase`] accessors accept either.

use serde::{Deserialize, Serialize};

/// An external reference of an object other than its own ATT&CK id: the sources that
/// `(Citation: Name)` markers in its description point to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalReference {
    pub source_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// Fields every ATT&CK object shares.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// STIX id (`attack-pattern--…`).
    pub stix_id: String,
    /// ATT&CK domains the object belongs to (`enterprise-attack`, `ics-attack`, …).
    pub domains: Vec<String>,
    /// The object's own version (`x_mitre_version`), e.g. `1.2` — not the ATT&CK release.
    pub version: Option<String>,
    pub created: Option<String>,
    pub modified: Option<String>,
    pub deprecated: bool,
    pub revoked: bool,
    /// Page on attack.mitre.org.
    pub url: Option<String>,
}

impl Meta {
    /// Neither deprecated nor revoked.
    pub fn is_active(&self) -> bool {
        !self.deprecated && !self.revoked
    }
}

/// A tactic of a kill chain as a technique names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TacticRef {
    /// Shortname as in `kill_chain_phases` and rule tags (`defense-evasion`).
    pub shortname: String,
    /// `TA0005`, when the tactic is in the loaded bundles.
    pub id: Option<String>,
    /// The domain of the kill chain (`enterprise-attack`).
    pub domain: String,
}

/// An ATT&CK tactic (`x-mitre-tactic`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tactic {
    /// `TA0002`.
    pub id: String,
    pub name: String,
    /// `execution`, `defense-evasion`.
    pub shortname: String,
    pub description: String,
    pub references: Vec<ExternalReference>,
    #[serde(flatten)]
    pub meta: Meta,
}

/// A technique or sub-technique (`attack-pattern`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Technique {
    /// `T1559.001` (the STIX id if the bundle gave none).
    pub id: String,
    pub name: String,
    /// Markdown with `(Citation: Name)` markers; see [`crate::cite`].
    pub description: String,
    pub references: Vec<ExternalReference>,
    pub is_subtechnique: bool,
    /// Parent technique id for sub-techniques (`T1559`).
    pub parent: Option<String>,
    pub tactics: Vec<TacticRef>,
    pub platforms: Vec<String>,
    /// ATT&CK id of the technique that replaces this revoked one.
    pub revoked_by: Option<String>,
    /// Mitigation ids (`M1040`), from `mitigates` relationships.
    pub mitigations: Vec<String>,
    /// Groups (`G…`) that use the technique, from active `uses` relationships.
    pub groups: Vec<String>,
    pub groups_count: usize,
    /// Software (`S…`, malware and tools) that uses the technique.
    pub software: Vec<String>,
    pub software_count: usize,
    /// Campaigns (`C…`) that used the technique.
    pub campaigns_count: usize,
    /// v17 and older: data components that detect the technique (`detects` from a data
    /// component), as ATT&CK ids where they have one, else STIX ids.
    pub data_components: Vec<String>,
    /// v17 and older: `x_mitre_data_sources` strings (`Process: Process Creation`).
    pub data_sources: Vec<String>,
    /// v18 and newer: detection strategies (`DET…`) that detect the technique.
    pub detection_strategies: Vec<String>,
    /// v17 and older: the legacy detection text (Markdown with citations); `None` when empty.
    pub detection: Option<String>,
    #[serde(flatten)]
    pub meta: Meta,
}

/// A detection strategy (`x-mitre-detection-strategy`, ATT&CK v18+).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectionStrategy {
    /// `DET0103`.
    pub id: String,
    pub name: String,
    /// Techniques it detects (`detects` relationships).
    pub techniques: Vec<String>,
    /// Its analytics (`AN…`), in the order the strategy lists them.
    pub analytics: Vec<String>,
    #[serde(flatten)]
    pub meta: Meta,
}

/// A log source an analytic reads: which data component, which log, which channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSourceRef {
    /// Data component id (`DC0032`, else the STIX id).
    pub data_component: String,
    /// `WinEventLog:Sysmon`, `auditd:SYSCALL`.
    pub name: String,
    /// `EventCode=1`, `socket/connect`.
    pub channel: String,
}

/// A property of an analytic that defenders are expected to tune.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MutableElement {
    pub field: String,
    pub description: String,
}

/// An analytic of a detection strategy (`x-mitre-analytic`, ATT&CK v18+).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analytic {
    /// `AN0110`.
    pub id: String,
    pub name: String,
    pub description: String,
    pub references: Vec<ExternalReference>,
    pub platforms: Vec<String>,
    pub log_sources: Vec<LogSourceRef>,
    pub mutable_elements: Vec<MutableElement>,
    /// The strategy that lists it (`DET…`).
    pub strategy: Option<String>,
    #[serde(flatten)]
    pub meta: Meta,
}

/// A log name and channel as a data component lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSource {
    pub name: String,
    pub channel: String,
}

/// A data component (`x-mitre-data-component`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataComponent {
    /// `DC0032` (v18+); v17 data components have no ATT&CK id.
    pub id: Option<String>,
    pub name: String,
    pub description: String,
    /// Parent data source (`DS0009`, else STIX id), when the bundle still links one.
    pub data_source: Option<String>,
    /// v18+: the logs and channels that carry this component.
    pub log_sources: Vec<LogSource>,
    #[serde(flatten)]
    pub meta: Meta,
}

impl DataComponent {
    /// The id used in references: the ATT&CK id, else the STIX id.
    pub fn key(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.meta.stix_id)
    }
}

/// A data source (`x-mitre-data-source`; deprecated in v18).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSource {
    /// `DS0009`.
    pub id: String,
    pub name: String,
    pub description: String,
    pub references: Vec<ExternalReference>,
    pub platforms: Vec<String>,
    pub collection_layers: Vec<String>,
    #[serde(flatten)]
    pub meta: Meta,
}

/// A mitigation (`course-of-action`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mitigation {
    /// `M1040` (very old mitigations carry a `T…` id).
    pub id: String,
    pub name: String,
    pub description: String,
    pub references: Vec<ExternalReference>,
    /// Techniques it mitigates.
    pub techniques: Vec<String>,
    #[serde(flatten)]
    pub meta: Meta,
}

/// What kind of actor or tool a [`Actor`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActorKind {
    /// `intrusion-set` (G…).
    Group,
    /// `campaign` (C…).
    Campaign,
    /// `malware` (S…).
    Malware,
    /// `tool` (S…).
    Tool,
}

/// A group, campaign or piece of software.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// `G0001`, `S0001`, `C0001`.
    pub id: String,
    pub kind: ActorKind,
    pub name: String,
    pub aliases: Vec<String>,
    pub description: String,
    pub references: Vec<ExternalReference>,
    pub platforms: Vec<String>,
    /// Techniques it uses (active `uses` relationships).
    pub techniques: Vec<String>,
    #[serde(flatten)]
    pub meta: Meta,
}

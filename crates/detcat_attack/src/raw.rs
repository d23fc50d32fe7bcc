//! The STIX objects as serde reads them, before linking.
//!
//! One flat struct covers every object type the knowledge base uses: each bundle object is read
//! exactly once, and properties we do not use are skipped by serde without building a value
//! tree. There is deliberately no flattened `extra` map here — keeping every unknown property of
//! 25,000 objects would store the whole JSON tree, which the knowledge base must not do.

use serde::Deserialize;
use serde_json::value::RawValue;

/// One STIX object of any type. Absent properties take their defaults; a present property of
/// the wrong JSON type fails the object (reported as `attack::invalid-object`).
///
/// The long properties (description, legacy detection text, external references) are first
/// kept as raw slices of the input and decoded by [`RawObject::materialize`] only for objects
/// the knowledge base keeps: 20,000 relationships carry procedure descriptions and citations
/// that would otherwise be unescaped and allocated only to be dropped.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawObject<'a> {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    /// Present on STIX 2.1 objects only.
    pub spec_version: Option<String>,
    pub created: Option<String>,
    pub modified: Option<String>,
    pub name: Option<String>,
    #[serde(borrow, rename = "description")]
    description_raw: Option<&'a RawValue>,
    #[serde(skip)]
    pub description: Option<String>,
    #[serde(borrow, rename = "external_references")]
    external_references_raw: Option<&'a RawValue>,
    #[serde(skip)]
    pub external_references: Vec<RawExternalRef>,
    pub revoked: bool,
    pub x_mitre_deprecated: bool,
    pub x_mitre_version: Option<String>,
    pub x_mitre_domains: Vec<String>,
    pub x_mitre_platforms: Vec<String>,

    // attack-pattern
    pub kill_chain_phases: Vec<RawKillChainPhase>,
    pub x_mitre_is_subtechnique: bool,
    #[serde(borrow, rename = "x_mitre_detection")]
    detection_raw: Option<&'a RawValue>,
    /// Legacy (≤ v17) detection guidance; empty from v18 on.
    #[serde(skip)]
    pub x_mitre_detection: Option<String>,
    /// Legacy (≤ v17) `"Data Source: Data Component"` strings.
    pub x_mitre_data_sources: Vec<String>,

    // x-mitre-tactic
    pub x_mitre_shortname: Option<String>,

    // x-mitre-matrix
    pub tactic_refs: Vec<String>,

    // relationship
    pub relationship_type: Option<String>,
    pub source_ref: Option<String>,
    pub target_ref: Option<String>,

    // x-mitre-detection-strategy (v18+)
    pub x_mitre_analytic_refs: Vec<String>,

    // x-mitre-analytic (v18+)
    pub x_mitre_log_source_references: Vec<RawLogSourceRef>,
    pub x_mitre_mutable_elements: Vec<RawMutableElement>,

    // x-mitre-data-component
    pub x_mitre_data_source_ref: Option<String>,
    pub x_mitre_log_sources: Vec<RawLogSource>,

    // x-mitre-data-source
    pub x_mitre_collection_layers: Vec<String>,

    // intrusion-set, campaign (aliases); malware, tool (x_mitre_aliases)
    pub aliases: Vec<String>,
    pub x_mitre_aliases: Vec<String>,
}

/// Just the type of an object: read when the full read failed, to tell an object type we do
/// not use (counted, no diagnostic) from a broken object of a type we use.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawHead {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawExternalRef {
    pub source_name: String,
    pub external_id: Option<String>,
    pub url: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawKillChainPhase {
    pub kill_chain_name: String,
    pub phase_name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawLogSourceRef {
    pub x_mitre_data_component_ref: String,
    pub name: String,
    pub channel: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawMutableElement {
    pub field: String,
    pub description: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawLogSource {
    pub name: String,
    pub channel: String,
}

/// Source names under which ATT&CK records an object's own id (`T1059`, `TA0002`, …).
const ATTACK_SOURCES: [&str; 4] = [
    "mitre-attack",
    "mitre-ics-attack",
    "mitre-mobile-attack",
    "mitre-pre-attack",
];

impl RawObject<'_> {
    /// Decode the properties kept raw. Fails like a whole-object read would on a wrong type.
    pub fn materialize(&mut self) -> Result<(), serde_json::Error> {
        if let Some(raw) = self.description_raw.take() {
            self.description = serde_json::from_str(raw.get())?;
        }
        if let Some(raw) = self.detection_raw.take() {
            self.x_mitre_detection = serde_json::from_str(raw.get())?;
        }
        if let Some(raw) = self.external_references_raw.take() {
            self.external_references =
                serde_json::from_str::<Option<Vec<RawExternalRef>>>(raw.get())?.unwrap_or_default();
        }
        Ok(())
    }

    /// The ATT&CK id (`T1559.001`) and page URL, from the `mitre-attack` external reference.
    pub fn attack_ref(&self) -> Option<&RawExternalRef> {
        self.external_references
            .iter()
            .find(|r| ATTACK_SOURCES.contains(&r.source_name.as_str()) && r.external_id.is_some())
    }

    pub fn attack_id(&self) -> Option<String> {
        self.attack_ref().and_then(|r| r.external_id.clone())
    }

    pub fn attack_url(&self) -> Option<String> {
        self.attack_ref().and_then(|r| r.url.clone())
    }
}

/// Is this external reference the object's own ATT&CK id rather than a citation source?
pub(crate) fn is_attack_source(name: &str) -> bool {
    ATTACK_SOURCES.contains(&name)
}

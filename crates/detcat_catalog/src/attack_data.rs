//! The ATT&CK part of a technique page, as stored in `techniques.data` (JSON): the cited
//! description, numbered references, and the detection guidance of the loaded version —
//! legacy text (v17 and older) or detection strategies with analytics and data components.
//!
//! The build serializes a [`TechniqueData`] into the column and the technique page reads it
//! back with serde, so the writer and the readers (web, CLI) share one typed shape. The
//! field order is the order of the JSON document (`--json`, `/api`), part of its contract.

use detcat_attack::{KnowledgeBase, MutableElement, NumberedReference, Technique, cite::cite};
use serde::{Deserialize, Serialize};

/// What ATT&CK says about a technique beyond its name, tactics and platforms.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TechniqueData {
    /// ATT&CK's description with `(Citation: …)` markers replaced by `[n]`.
    pub description: String,
    /// The references of the description, `references[0]` being `[1]`.
    pub references: Vec<NumberedReference>,
    pub detection: DetectionGuide,
    pub mitigations: Vec<NamedId>,
    pub groups_count: usize,
    pub software_count: usize,
    pub campaigns_count: usize,
    /// The technique object's own version (`1.2`), not the ATT&CK release.
    pub version: Option<String>,
    pub created: Option<String>,
    pub modified: Option<String>,
    pub stix_id: String,
    pub is_subtechnique: bool,
}

/// The detection guidance of the loaded ATT&CK version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DetectionGuide {
    /// v17 and older: the legacy detection text, citations numbered on their own.
    pub legacy: Option<String>,
    pub legacy_references: Vec<NumberedReference>,
    /// v18 and newer: detection strategies with their analytics.
    pub strategies: Vec<StrategyData>,
    /// v17 and older: `x_mitre_data_sources` strings (`Process: Process Creation`).
    pub data_sources: Vec<String>,
    pub data_components: Vec<NamedId>,
}

/// An ATT&CK object named by id, with its name when the knowledge base has it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedId {
    pub id: String,
    pub name: Option<String>,
}

/// A detection strategy (`DET…`) and the analytics it lists.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StrategyData {
    pub id: String,
    pub name: String,
    pub url: Option<String>,
    pub analytics: Vec<AnalyticData>,
}

/// An analytic (`AN…`): what to collect (log sources) and what to tune.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnalyticData {
    pub id: String,
    pub name: String,
    pub description: String,
    pub platforms: Vec<String>,
    pub log_sources: Vec<LogSourceData>,
    pub mutable_elements: Vec<MutableElement>,
    pub url: Option<String>,
}

/// A log source of an analytic with its data component's name resolved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogSourceData {
    /// Data component id (`DC0032`, else the STIX id).
    pub data_component: String,
    pub data_component_name: Option<String>,
    /// `WinEventLog:Sysmon`.
    pub name: String,
    /// `EventCode=1`.
    pub channel: String,
}

impl LogSourceData {
    /// The data component's name, else its id.
    pub fn component(&self) -> &str {
        self.data_component_name
            .as_deref()
            .unwrap_or(&self.data_component)
    }
}

impl NamedId {
    /// The name, else the id.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

pub fn technique_data(kb: &KnowledgeBase, t: &Technique) -> TechniqueData {
    let described = cite(&t.description, &t.references);
    let legacy = t.detection.as_deref().map(|d| cite(d, &t.references));
    let strategies = t
        .detection_strategies
        .iter()
        .filter_map(|id| kb.detection_strategy(id))
        .map(|s| StrategyData {
            id: s.id.clone(),
            name: s.name.clone(),
            url: s.meta.url.clone(),
            analytics: s
                .analytics
                .iter()
                .filter_map(|a| kb.analytic(a))
                .map(|a| analytic_data(kb, a))
                .collect(),
        })
        .collect();
    let data_components = t
        .data_components
        .iter()
        .map(|id| NamedId {
            id: id.clone(),
            name: kb.data_component(id).map(|d| d.name.clone()),
        })
        .collect();
    let mitigations = t
        .mitigations
        .iter()
        .map(|id| NamedId {
            id: id.clone(),
            name: kb.mitigation(id).map(|m| m.name.clone()),
        })
        .collect();
    let (legacy, legacy_references) = match legacy {
        Some(l) => (Some(l.text), l.references),
        None => (None, Vec::new()),
    };
    TechniqueData {
        description: described.text,
        references: described.references,
        detection: DetectionGuide {
            legacy,
            legacy_references,
            strategies,
            data_sources: t.data_sources.clone(),
            data_components,
        },
        mitigations,
        groups_count: t.groups_count,
        software_count: t.software_count,
        campaigns_count: t.campaigns_count,
        version: t.meta.version.clone(),
        created: t.meta.created.clone(),
        modified: t.meta.modified.clone(),
        stix_id: t.meta.stix_id.clone(),
        is_subtechnique: t.is_subtechnique,
    }
}

fn analytic_data(kb: &KnowledgeBase, a: &detcat_attack::Analytic) -> AnalyticData {
    AnalyticData {
        id: a.id.clone(),
        name: a.name.clone(),
        description: a.description.clone(),
        platforms: a.platforms.clone(),
        log_sources: a
            .log_sources
            .iter()
            .map(|ls| LogSourceData {
                data_component: ls.data_component.clone(),
                data_component_name: kb
                    .data_component(&ls.data_component)
                    .map(|d| d.name.clone()),
                name: ls.name.clone(),
                channel: ls.channel.clone(),
            })
            .collect(),
        mutable_elements: a.mutable_elements.clone(),
        url: a.meta.url.clone(),
    }
}

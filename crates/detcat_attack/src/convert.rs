//! From a raw STIX object to the knowledge base's typed object (links still as STIX ids).

use crate::model::{
    Actor, ActorKind, Analytic, DataComponent, DataSource, DetectionStrategy, ExternalReference,
    LogSource, LogSourceRef, Meta, Mitigation, MutableElement, Tactic, TacticRef, Technique,
};
use crate::raw::{RawObject, is_attack_source};
use crate::version::canonical_domain;

/// Every object type the knowledge base reads; all others are only counted.
pub(crate) const USED_TYPES: [&str; 14] = [
    "attack-pattern",
    "x-mitre-tactic",
    "x-mitre-matrix",
    "x-mitre-collection",
    "relationship",
    "x-mitre-detection-strategy",
    "x-mitre-analytic",
    "x-mitre-data-component",
    "x-mitre-data-source",
    "course-of-action",
    "intrusion-set",
    "campaign",
    "malware",
    "tool",
];

fn meta(o: &mut RawObject<'_>) -> Meta {
    Meta {
        stix_id: std::mem::take(&mut o.id),
        domains: std::mem::take(&mut o.x_mitre_domains),
        version: o.x_mitre_version.take(),
        created: o.created.take(),
        modified: o.modified.take(),
        deprecated: o.x_mitre_deprecated,
        revoked: o.revoked,
        url: o.attack_url(),
    }
}

fn references(o: &mut RawObject<'_>) -> Vec<ExternalReference> {
    std::mem::take(&mut o.external_references)
        .into_iter()
        .filter(|r| !is_attack_source(&r.source_name))
        .map(|r| ExternalReference {
            source_name: r.source_name,
            url: r.url,
            description: r.description,
            external_id: r.external_id,
        })
        .collect()
}

fn text(s: Option<String>) -> String {
    s.unwrap_or_default()
}

/// `None` for empty strings: v18 data components carry `"x_mitre_data_source_ref": ""`.
fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

/// The object's ATT&CK id, or its STIX id when the bundle gave none (the caller warns).
fn id_or_stix(o: &RawObject<'_>, meta: &Meta) -> String {
    o.attack_id().unwrap_or_else(|| meta.stix_id.clone())
}

pub(crate) fn tactic(mut o: RawObject<'_>) -> Tactic {
    // Before `references`, which takes the external references `meta` reads the URL from.
    let meta = meta(&mut o);
    Tactic {
        id: id_or_stix(&o, &meta),
        name: text(o.name.take()),
        shortname: text(o.x_mitre_shortname.take()),
        description: text(o.description.take()),
        references: references(&mut o),
        meta,
    }
}

pub(crate) fn technique(mut o: RawObject<'_>) -> Technique {
    // Before `references`, which takes the external references `meta` reads the URL from.
    let meta = meta(&mut o);
    let tactics = std::mem::take(&mut o.kill_chain_phases)
        .into_iter()
        .map(|p| TacticRef {
            domain: canonical_domain(&p.kill_chain_name)
                .map_or(p.kill_chain_name.clone(), str::to_owned),
            shortname: p.phase_name,
            id: None,
        })
        .collect();
    Technique {
        id: id_or_stix(&o, &meta),
        name: text(o.name.take()),
        description: text(o.description.take()),
        is_subtechnique: o.x_mitre_is_subtechnique,
        parent: None,
        tactics,
        platforms: std::mem::take(&mut o.x_mitre_platforms),
        revoked_by: None,
        mitigations: Vec::new(),
        groups: Vec::new(),
        groups_count: 0,
        software: Vec::new(),
        software_count: 0,
        campaigns_count: 0,
        data_components: Vec::new(),
        data_sources: std::mem::take(&mut o.x_mitre_data_sources),
        detection_strategies: Vec::new(),
        detection: non_empty(o.x_mitre_detection.take()),
        references: references(&mut o),
        meta,
    }
}

pub(crate) fn detection_strategy(mut o: RawObject<'_>) -> DetectionStrategy {
    // Before `references`, which takes the external references `meta` reads the URL from.
    let meta = meta(&mut o);
    DetectionStrategy {
        id: id_or_stix(&o, &meta),
        name: text(o.name.take()),
        techniques: Vec::new(),
        analytics: std::mem::take(&mut o.x_mitre_analytic_refs),
        meta,
    }
}

pub(crate) fn analytic(mut o: RawObject<'_>) -> Analytic {
    // Before `references`, which takes the external references `meta` reads the URL from.
    let meta = meta(&mut o);
    Analytic {
        id: id_or_stix(&o, &meta),
        name: text(o.name.take()),
        description: text(o.description.take()),
        platforms: std::mem::take(&mut o.x_mitre_platforms),
        log_sources: std::mem::take(&mut o.x_mitre_log_source_references)
            .into_iter()
            .map(|r| LogSourceRef {
                data_component: r.x_mitre_data_component_ref,
                name: r.name,
                channel: r.channel,
            })
            .collect(),
        mutable_elements: std::mem::take(&mut o.x_mitre_mutable_elements)
            .into_iter()
            .map(|m| MutableElement {
                field: m.field,
                description: m.description,
            })
            .collect(),
        strategy: None,
        references: references(&mut o),
        meta,
    }
}

pub(crate) fn data_component(mut o: RawObject<'_>) -> DataComponent {
    // Before `references`, which takes the external references `meta` reads the URL from.
    let meta = meta(&mut o);
    DataComponent {
        id: o.attack_id(),
        name: text(o.name.take()),
        description: text(o.description.take()),
        data_source: non_empty(o.x_mitre_data_source_ref.take()),
        log_sources: std::mem::take(&mut o.x_mitre_log_sources)
            .into_iter()
            .map(|l| LogSource {
                name: l.name,
                channel: l.channel,
            })
            .collect(),
        meta,
    }
}

pub(crate) fn data_source(mut o: RawObject<'_>) -> DataSource {
    // Before `references`, which takes the external references `meta` reads the URL from.
    let meta = meta(&mut o);
    DataSource {
        id: id_or_stix(&o, &meta),
        name: text(o.name.take()),
        description: text(o.description.take()),
        platforms: std::mem::take(&mut o.x_mitre_platforms),
        collection_layers: std::mem::take(&mut o.x_mitre_collection_layers),
        references: references(&mut o),
        meta,
    }
}

pub(crate) fn mitigation(mut o: RawObject<'_>) -> Mitigation {
    // Before `references`, which takes the external references `meta` reads the URL from.
    let meta = meta(&mut o);
    Mitigation {
        id: id_or_stix(&o, &meta),
        name: text(o.name.take()),
        description: text(o.description.take()),
        techniques: Vec::new(),
        references: references(&mut o),
        meta,
    }
}

pub(crate) fn actor(mut o: RawObject<'_>, kind: ActorKind) -> Actor {
    // Before `references`, which takes the external references `meta` reads the URL from.
    let meta = meta(&mut o);
    let mut aliases = std::mem::take(&mut o.aliases);
    aliases.append(&mut o.x_mitre_aliases);
    Actor {
        id: id_or_stix(&o, &meta),
        kind,
        name: text(o.name.take()),
        aliases,
        description: text(o.description.take()),
        platforms: std::mem::take(&mut o.x_mitre_platforms),
        techniques: Vec::new(),
        references: references(&mut o),
        meta,
    }
}

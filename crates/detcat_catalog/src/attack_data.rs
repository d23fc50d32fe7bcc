//! The ATT&CK part of a technique page, as stored in `techniques.data` (JSON): the cited
//! description, numbered references, and the detection guidance of the loaded version —
//! legacy text (v17 and older) or detection strategies with analytics and data components.

use detcat_attack::{KnowledgeBase, Technique, cite::cite};
use serde_json::{Value, json};

pub fn technique_data(kb: &KnowledgeBase, t: &Technique) -> Value {
    let described = cite(&t.description, &t.references);
    let legacy = t.detection.as_deref().map(|d| cite(d, &t.references));
    let strategies: Vec<Value> = t
        .detection_strategies
        .iter()
        .filter_map(|id| kb.detection_strategy(id))
        .map(|s| {
            let analytics: Vec<Value> = s
                .analytics
                .iter()
                .filter_map(|a| kb.analytic(a))
                .map(|a| {
                    let log_sources: Vec<Value> = a
                        .log_sources
                        .iter()
                        .map(|ls| {
                            let dc_name = kb.data_component(&ls.data_component).map(|d| d.name.clone());
                            json!({ "data_component": ls.data_component, "data_component_name": dc_name,
                                    "name": ls.name, "channel": ls.channel })
                        })
                        .collect();
                    json!({ "id": a.id, "name": a.name, "description": a.description, "platforms": a.platforms,
                            "log_sources": log_sources, "mutable_elements": a.mutable_elements, "url": a.meta.url })
                })
                .collect();
            json!({ "id": s.id, "name": s.name, "url": s.meta.url, "analytics": analytics })
        })
        .collect();
    let data_components: Vec<Value> = t
        .data_components
        .iter()
        .map(|id| json!({ "id": id, "name": kb.data_component(id).map(|d| d.name.clone()) }))
        .collect();
    let mitigations: Vec<Value> = t
        .mitigations
        .iter()
        .map(|id| json!({ "id": id, "name": kb.mitigation(id).map(|m| m.name.clone()) }))
        .collect();
    json!({
        "description": described.text,
        "references": described.references,
        "detection": {
            "legacy": legacy.as_ref().map(|l| l.text.clone()),
            "legacy_references": legacy.map(|l| l.references).unwrap_or_default(),
            "strategies": strategies,
            "data_sources": t.data_sources,
            "data_components": data_components,
        },
        "mitigations": mitigations,
        "groups_count": t.groups_count,
        "software_count": t.software_count,
        "campaigns_count": t.campaigns_count,
        "version": t.meta.version,
        "created": t.meta.created,
        "modified": t.meta.modified,
        "stix_id": t.meta.stix_id,
        "is_subtechnique": t.is_subtechnique,
    })
}

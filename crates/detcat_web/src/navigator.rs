//! ATT&CK Navigator layers (format 4.5): techniques scored by how many rules name them.

use std::collections::BTreeMap;

use detcat_catalog::Catalog;
use detcat_model::Vendor;
use serde_json::{Value, json};

use crate::error::WebError;

/// The layer of `enterprise-attack`, scores = active rules (of `vendor` when given) per
/// technique and sub-technique. Techniques without rules are left out (Navigator shows them
/// unscored).
pub fn navigator_layer(catalog: &Catalog, vendor: Option<&str>) -> Result<Value, WebError> {
    navigator_layer_linked(catalog, vendor, None)
}

/// [`navigator_layer`] with a link per technique back to its page under `base`
/// (`http://127.0.0.1:8080`).
///
/// A parent's score counts its own rules only, and the layer aggregates by `max`, so a rule
/// tagged with a parent and its sub-technique is never counted twice. The gradient is capped
/// at the 90th percentile of the scores: a linear scale up to the busiest technique would put
/// most techniques in its palest tenth.
pub fn navigator_layer_linked(
    catalog: &Catalog,
    vendor: Option<&str>,
    base: Option<&str>,
) -> Result<Value, WebError> {
    let vendor = crate::site::vendor_filter(vendor)?;
    let rows = catalog.enterprise_rule_counts(vendor.as_deref().and_then(Vendor::parse))?;
    let mut counts: BTreeMap<String, BTreeMap<&str, u64>> = BTreeMap::new();
    for row in rows {
        counts
            .entry(row.technique_id)
            .or_default()
            .insert(row.vendor.as_str(), row.rules);
    }
    let max = capped_max(counts.values().map(|m| m.values().sum::<u64>()).collect());
    let techniques: Vec<Value> = counts
        .iter()
        .map(|(id, by_vendor)| {
            let score: u64 = by_vendor.values().sum();
            let comment = by_vendor.iter().map(|(v, n)| format!("{} {n}", crate::render::vendor_name(v))).collect::<Vec<_>>().join(" · ");
            let mut t = json!({
                "techniqueID": id,
                "score": score,
                "comment": comment,
                "enabled": true,
                "showSubtechniques": !id.contains('.') && counts.keys().any(|k| k.starts_with(&format!("{id}."))),
                "metadata": by_vendor.iter().map(|(v, n)| json!({"name": v, "value": n.to_string()})).collect::<Vec<_>>(),
            });
            if let (Some(base), Some(obj)) = (base, t.as_object_mut()) {
                obj.insert(
                    "links".to_owned(),
                    json!([{ "label": "detcat", "url": format!("{}/technique/{id}", base.trim_end_matches('/')) }]),
                );
            }
            t
        })
        .collect();
    let name = match &vendor {
        Some(v) => format!(
            "detcat: {} rules per technique",
            crate::render::vendor_name(v)
        ),
        None => "detcat: rules per technique".to_owned(),
    };
    let description = format!(
        "Scores count the published detection rules that name each technique (catalog: {}; built {}). The colour scale stops at {max}: busier techniques share the darkest colour.",
        public_name(catalog.origin()),
        catalog
            .meta("built_at_unix")
            .ok()
            .flatten()
            .unwrap_or_default()
    );
    Ok(layer(
        catalog,
        &name,
        &description,
        techniques,
        json!(max.max(1)),
    ))
}

/// The 90th percentile of `scores` (at least 1): where the layer's colour scale stops.
pub(crate) fn capped_max(mut scores: Vec<u64>) -> u64 {
    scores.sort_unstable();
    let at = (scores.len() * 9 / 10).min(scores.len().saturating_sub(1));
    scores.get(at).copied().unwrap_or(1).max(1)
}

/// What a page or export may say about the catalog's origin: the file name, never the
/// server's directories.
pub fn public_name(origin: &str) -> &str {
    origin
        .rsplit(['/', '\\'])
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or(origin)
}

/// The layer document around scored `techniques` (Navigator 5.1 / layer format 4.5).
pub(crate) fn layer(
    catalog: &Catalog,
    name: &str,
    description: &str,
    techniques: Vec<Value>,
    max: Value,
) -> Value {
    let attack_version = catalog
        .meta("attack_version")
        .ok()
        .flatten()
        .unwrap_or_else(|| "18".to_owned());
    json!({
        "name": name,
        "versions": { "attack": attack_version, "navigator": "5.1.0", "layer": "4.5" },
        "domain": "enterprise-attack",
        "description": description,
        "sorting": 3,
        "layout": { "layout": "side", "showID": true, "showName": true, "aggregateFunction": "max", "showAggregateScores": true, "countUnscored": false, "expandedSubtechniques": "annotated" },
        "hideDisabled": false,
        "techniques": techniques,
        "gradient": { "colors": ["#eef4fb", "#7fb2e0", "#1f5fa8"], "minValue": 0, "maxValue": max },
        "legendItems": [],
        "metadata": [],
        "links": [],
        "showTacticRowBackground": false,
        "selectTechniquesAcrossTactics": true,
        "selectSubtechniquesWithParent": false,
        "selectVisibleTechniques": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_caps_at_the_90th_percentile() {
        let mut scores: Vec<u64> = (1..=100).collect();
        scores.push(5_000);
        assert_eq!(capped_max(scores), 91);
        assert_eq!(capped_max(Vec::new()), 1);
    }

    #[test]
    fn public_names_drop_directories() {
        assert_eq!(public_name("/srv/secret/detcat.db"), "detcat.db");
        assert_eq!(public_name(r"C:\data\x.db"), "x.db");
        assert_eq!(public_name("embedded demo corpus"), "embedded demo corpus");
    }
}

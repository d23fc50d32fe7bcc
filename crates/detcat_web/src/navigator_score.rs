//! ATT&CK Navigator layers scored by threat or by priority gap (`detcat export navigator
//! --score threat|gap`), so a team can paint its own Navigator with where to work next.

use detcat_catalog::views::RankBy;
use detcat_catalog::{Catalog, QueryOptions, TopFilter};
use serde_json::{Value, json};

use crate::error::WebError;

/// A layer of every active Enterprise technique scored by `by` (threat or gap, 0–100 so
/// Navigator's gradient reads as a percentage); each technique's comment lists the components.
pub fn navigator_score_layer(catalog: &Catalog, by: RankBy) -> Result<Value, WebError> {
    let list = catalog.top(by, &TopFilter::default(), QueryOptions::default())?;
    let techniques: Vec<Value> = list
        .rows
        .iter()
        .filter(|r| r.domain == "enterprise-attack")
        .map(|r| {
            let p = &r.priority;
            let value = match by {
                RankBy::Threat => p.threat,
                _ => p.score,
            };
            let ctid = p
                .components
                .ctid
                .map_or_else(|| "not scored".to_owned(), |c| format!("{c:.3}"));
            let comment = format!(
                "gap {:.3} = threat {:.3} × (1 − coverage {:.3}); CTID {ctid}, usage {:.3}; {} rules",
                p.score, p.threat, p.coverage, p.components.usage, p.inputs.coverage.rules
            );
            json!({
                "techniqueID": r.id,
                "score": (value * 1000.0).round() / 10.0,
                "comment": comment,
                "enabled": true,
                "showSubtechniques": false,
                "metadata": [
                    {"name": "gap", "value": format!("{:.3}", p.score)},
                    {"name": "threat", "value": format!("{:.3}", p.threat)},
                    {"name": "coverage", "value": format!("{:.3}", p.coverage)},
                    {"name": "ctid", "value": ctid},
                ],
            })
        })
        .collect();
    let (name, what) = match by {
        RankBy::Threat => (
            "detcat: threat per technique",
            "threat: CTID Top ATT&CK Techniques score and ATT&CK usage",
        ),
        _ => (
            "detcat: priority gap per technique",
            "priority gap: threat left uncovered by the published rules",
        ),
    };
    let description = format!(
        "Scores (0–100) are the {what} (catalog: {}). {}",
        crate::navigator::public_name(catalog.origin()),
        list.formula
    );
    Ok(crate::navigator::layer(
        catalog,
        name,
        &description,
        techniques,
        json!(100),
    ))
}

//! The TOML layout of an Elastic detection rule, as typed serde structs. Unknown keys land in
//! the flattened `extra` maps, so nothing upstream adds breaks loading.

use std::collections::BTreeMap;

use serde::Deserialize;

pub type Extra = BTreeMap<String, toml::Value>;

#[derive(Debug, Deserialize)]
pub struct RuleFile {
    pub metadata: Metadata,
    pub rule: RuleBody,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Deserialize)]
pub struct Metadata {
    pub creation_date: Option<String>,
    pub updated_date: Option<String>,
    pub maturity: Option<String>,
    pub deprecation_date: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A string or a list of strings (`machine_learning_job_id`, `threshold.field`).
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) if s.is_empty() => Vec::new(),
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RuleBody {
    pub rule_id: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub author: Vec<String>,
    pub severity: Option<String>,
    pub risk_score: Option<i64>,
    #[serde(rename = "type")]
    pub rule_type: Option<String>,
    pub language: Option<String>,
    pub query: Option<String>,
    #[serde(default)]
    pub index: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub false_positives: Vec<String>,
    pub note: Option<String>,
    pub setup: Option<String>,
    pub building_block_type: Option<String>,
    #[serde(default)]
    pub threat: Vec<Threat>,
    #[serde(default)]
    pub exceptions_list: Vec<ExceptionList>,
    pub threshold: Option<Threshold>,
    pub new_terms: Option<NewTerms>,
    pub machine_learning_job_id: Option<OneOrMany>,
    pub anomaly_threshold: Option<i64>,
    pub threat_query: Option<String>,
    pub threat_language: Option<String>,
    #[serde(default)]
    pub threat_index: Vec<String>,
    #[serde(default)]
    pub threat_mapping: Vec<ThreatMapping>,
    #[serde(default)]
    pub filters: Vec<toml::Value>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Deserialize)]
pub struct Threat {
    #[serde(default)]
    pub framework: String,
    pub tactic: Option<Tactic>,
    #[serde(default)]
    pub technique: Vec<Technique>,
}

#[derive(Debug, Deserialize)]
pub struct Tactic {
    pub id: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Technique {
    pub id: String,
    #[serde(default)]
    pub subtechnique: Vec<SubTechnique>,
}

#[derive(Debug, Deserialize)]
pub struct SubTechnique {
    pub id: String,
}

#[derive(Debug, Deserialize)]
pub struct ExceptionList {
    pub id: Option<String>,
    pub list_id: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Deserialize)]
pub struct Threshold {
    pub field: Option<OneOrMany>,
    pub value: Option<f64>,
    #[serde(default)]
    pub cardinality: Vec<Cardinality>,
}

#[derive(Debug, Deserialize)]
pub struct Cardinality {
    pub field: String,
    pub value: f64,
}

#[derive(Debug, Deserialize)]
pub struct NewTerms {
    pub value: Option<OneOrMany>,
    #[serde(default)]
    pub history_window_start: Vec<NewTermsWindow>,
}

#[derive(Debug, Deserialize)]
pub struct NewTermsWindow {
    pub value: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ThreatMapping {
    #[serde(default)]
    pub entries: Vec<ThreatMappingEntry>,
}

#[derive(Debug, Deserialize)]
pub struct ThreatMappingEntry {
    pub field: String,
    pub value: String,
}

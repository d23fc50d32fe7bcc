//! The typed form of a `detections/**/*.yml` file.

use std::collections::BTreeMap;

use detcat_model::{Diagnostic, Span};
use detcat_yaml::Node;

use crate::yaml_map::{MapReader, extra_keys, strings_of};

/// A security_content detection, as written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Detection {
    pub name: Option<String>,
    pub id: Option<String>,
    pub version: Option<String>,
    pub date: Option<String>,
    pub author: Option<String>,
    pub status: Option<String>,
    /// `type`: TTP, Anomaly, Hunting, Correlation, Baseline…
    pub kind: Option<String>,
    pub description: Option<String>,
    pub data_source: Vec<String>,
    /// The older top-level `datamodel` list.
    pub datamodel: Vec<String>,
    pub search: Option<SearchText>,
    pub how_to_implement: Option<String>,
    pub known_false_positives: Option<String>,
    pub references: Vec<String>,
    pub tags: Tags,
    /// `tests[].attack_data[].data`: the attack data sets the detection is tested on.
    pub attack_data: Vec<String>,
    /// Keys this struct does not model, with a short text of their values.
    pub extra: BTreeMap<String, String>,
}

/// The `search` string and where it sits in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchText {
    pub text: String,
    /// The YAML scalar's span (quotes or block indicator included).
    pub span: Span,
}

/// The `tags:` mapping.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tags {
    pub analytic_story: Vec<String>,
    pub asset_type: Option<String>,
    pub mitre_attack_id: Vec<String>,
    pub security_domain: Option<String>,
    pub required_fields: Vec<String>,
    /// `observable[]` as `(name, type)`.
    pub observables: Vec<(String, String)>,
    pub risk_score: Option<String>,
    pub confidence: Option<String>,
    pub impact: Option<String>,
    pub cve: Vec<String>,
    pub product: Vec<String>,
    pub atomic_guid: Vec<String>,
    pub extra: BTreeMap<String, String>,
}

const KNOWN: &[&str] = &[
    "name",
    "id",
    "version",
    "date",
    "author",
    "status",
    "type",
    "description",
    "data_source",
    "data_sources",
    "datamodel",
    "search",
    "how_to_implement",
    "known_false_positives",
    "references",
    "tags",
    "tests",
];
const KNOWN_TAGS: &[&str] = &[
    "analytic_story",
    "asset_type",
    "mitre_attack_id",
    "security_domain",
    "required_fields",
    "observable",
    "risk_score",
    "confidence",
    "impact",
    "cve",
    "CVE",
    "product",
    "atomic_guid",
];

impl Detection {
    /// Reads a detection from its YAML mapping; type problems become warnings.
    pub fn from_node(node: &Node, path: &str) -> (Detection, Vec<Diagnostic>) {
        let mut r = MapReader::new(node, path);
        let mut data_source = r.strings("data_source");
        data_source.extend(r.strings("data_sources"));
        let mut d = Detection {
            name: r.string("name"),
            id: r.string("id"),
            version: r.string("version"),
            date: r.string("date"),
            author: r.string("author"),
            status: r.string("status"),
            kind: r.string("type"),
            description: r.string("description"),
            data_source,
            datamodel: r.strings("datamodel"),
            search: None,
            how_to_implement: r.string("how_to_implement"),
            known_false_positives: r.string("known_false_positives"),
            references: r.strings("references"),
            tags: Tags::default(),
            attack_data: Vec::new(),
            extra: extra_keys(node, KNOWN),
        };
        if let Some(s) = node.get("search") {
            if let Some(text) = s.scalar_text() {
                d.search = Some(SearchText { text, span: s.span });
            } else if !s.is_null() {
                r.diags.push(crate::diagnostics::wrong_type(
                    path, "search", "a string", s.span,
                ));
            }
        }
        if let Some(t) = node.get("tags") {
            d.tags = Tags::from_node(t, path, &mut r.diags);
        }
        if let Some(tests) = node.get("tests").and_then(Node::as_seq) {
            for test in tests {
                for data in test
                    .get("attack_data")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                {
                    if let Some(url) = data.get("data").and_then(Node::scalar_text) {
                        d.attack_data.push(url.trim().to_owned());
                    }
                }
            }
        }
        (d, r.diags)
    }
}

impl Tags {
    fn from_node(node: &Node, path: &str, diags: &mut Vec<Diagnostic>) -> Tags {
        let mut r = MapReader::new(node, path);
        let mut cve = r.strings("cve");
        cve.extend(r.strings("CVE"));
        let observables = node
            .get("observable")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|o| {
                Some((
                    o.get("name")?.scalar_text()?,
                    o.get("type")
                        .and_then(Node::scalar_text)
                        .unwrap_or_default(),
                ))
            })
            .collect();
        let tags = Tags {
            analytic_story: r.strings("analytic_story"),
            asset_type: r.string("asset_type"),
            mitre_attack_id: r.strings("mitre_attack_id"),
            security_domain: r.string("security_domain"),
            required_fields: r.strings("required_fields"),
            observables,
            risk_score: r.string("risk_score"),
            confidence: r.string("confidence"),
            impact: r.string("impact"),
            cve,
            product: r.strings("product"),
            atomic_guid: r.strings("atomic_guid"),
            extra: extra_keys(node, KNOWN_TAGS),
        };
        diags.append(&mut r.diags);
        tags
    }

    /// The tags as `key:value` strings for the rule's tag list.
    pub fn flatten(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut push = |k: &str, v: &str| {
            if !v.trim().is_empty() {
                out.push(format!("{k}:{}", v.trim()));
            }
        };
        self.analytic_story
            .iter()
            .for_each(|v| push("analytic_story", v));
        self.asset_type.iter().for_each(|v| push("asset_type", v));
        self.security_domain
            .iter()
            .for_each(|v| push("security_domain", v));
        self.risk_score.iter().for_each(|v| push("risk_score", v));
        self.confidence.iter().for_each(|v| push("confidence", v));
        self.impact.iter().for_each(|v| push("impact", v));
        self.observables
            .iter()
            .for_each(|(n, t)| push("observable", &format!("{n} ({t})")));
        self.required_fields
            .iter()
            .for_each(|v| push("required_field", v));
        self.cve.iter().for_each(|v| push("cve", v));
        self.product.iter().for_each(|v| push("product", v));
        self.atomic_guid.iter().for_each(|v| push("atomic_guid", v));
        out
    }
}

/// A macro file (`macros/*.yml`): name, arguments, definition.
pub(crate) fn macro_from_node(
    node: &Node,
    path: &str,
) -> (Option<crate::macros::MacroDef>, Vec<Diagnostic>) {
    let mut r = MapReader::new(node, path);
    let name = r.string("name");
    let definition = r.string("definition").unwrap_or_default();
    let args = node
        .get("arguments")
        .map(|a| strings_of(a, "arguments", path, &mut r.diags))
        .unwrap_or_default();
    let Some(name) = name else {
        r.diags
            .push(crate::diagnostics::missing_key(path, "name", "macro"));
        return (None, r.diags);
    };
    let def = crate::macros::MacroDef {
        name: name.trim().to_owned(),
        args,
        definition,
        path: path.to_owned(),
    };
    (Some(def), r.diags)
}

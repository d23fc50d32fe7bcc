//! The typed form of a `detections/**/*.yml` file.

use std::collections::BTreeMap;

use detcat_model::{Diagnostic, Span};
use detcat_yaml::{Checked, Node, from_node};
use serde::Deserialize;

use crate::yaml_map::{Reader, Strings, extra_keys};

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

/// A detection file as written, read by serde over the YAML tree (wrong types are kept as
/// [`Checked`] errors and reported by [`Detection::from_node`]).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawDetection {
    name: Option<Checked<String>>,
    id: Option<Checked<String>>,
    version: Option<Checked<String>>,
    date: Option<Checked<String>>,
    author: Option<Checked<String>>,
    status: Option<Checked<String>>,
    #[serde(rename = "type")]
    kind: Option<Checked<String>>,
    description: Option<Checked<String>>,
    data_source: Option<Checked<Strings>>,
    data_sources: Option<Checked<Strings>>,
    datamodel: Option<Checked<Strings>>,
    search: Option<Checked<String>>,
    how_to_implement: Option<Checked<String>>,
    known_false_positives: Option<Checked<String>>,
    references: Option<Checked<Strings>>,
    tags: Option<Checked<RawTags>>,
    tests: Option<Checked<Vec<Checked<RawTest>>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawTags {
    analytic_story: Option<Checked<Strings>>,
    asset_type: Option<Checked<String>>,
    mitre_attack_id: Option<Checked<Strings>>,
    security_domain: Option<Checked<String>>,
    required_fields: Option<Checked<Strings>>,
    observable: Option<Checked<Vec<Checked<RawObservable>>>>,
    risk_score: Option<Checked<String>>,
    confidence: Option<Checked<String>>,
    impact: Option<Checked<String>>,
    cve: Option<Checked<Strings>>,
    #[serde(rename = "CVE")]
    cve_upper: Option<Checked<Strings>>,
    product: Option<Checked<Strings>>,
    atomic_guid: Option<Checked<Strings>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawObservable {
    name: Option<Checked<String>>,
    #[serde(rename = "type")]
    kind: Option<Checked<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawTest {
    attack_data: Option<Checked<Vec<Checked<RawAttackData>>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawAttackData {
    data: Option<Checked<String>>,
}

/// The value of a checked node of a shape only read when it fits (tests, observables).
fn fitting<T>(value: Option<Checked<T>>) -> Option<T> {
    value?.value.ok()
}

impl Detection {
    /// Reads a detection from its YAML mapping; type problems become warnings.
    pub fn from_node(node: &Node, path: &str) -> (Detection, Vec<Diagnostic>) {
        let raw: RawDetection = from_node(node).unwrap_or_default();
        let mut r = Reader::new(path);
        let mut data_source = r.strings("data_source", raw.data_source);
        data_source.extend(r.strings("data_sources", raw.data_sources));
        let mut d = Detection {
            name: r.string("name", raw.name),
            id: r.string("id", raw.id),
            version: r.string("version", raw.version),
            date: r.string("date", raw.date),
            author: r.string("author", raw.author),
            status: r.string("status", raw.status),
            kind: r.string("type", raw.kind),
            description: r.string("description", raw.description),
            data_source,
            datamodel: r.strings("datamodel", raw.datamodel),
            search: None,
            how_to_implement: r.string("how_to_implement", raw.how_to_implement),
            known_false_positives: r.string("known_false_positives", raw.known_false_positives),
            references: r.strings("references", raw.references),
            tags: Tags::default(),
            attack_data: Vec::new(),
            extra: extra_keys(node, KNOWN),
        };
        if let Some(search) = raw.search {
            let span = search.span;
            d.search = r
                .string("search", Some(search))
                .map(|text| SearchText { text, span });
        }
        if let Some(tags) = raw.tags {
            // A `tags:` that is no mapping reads as no tags, like an empty one.
            let extra = node
                .get("tags")
                .map(|t| extra_keys(t, KNOWN_TAGS))
                .unwrap_or_default();
            d.tags = Tags::read(tags.value.unwrap_or_default(), extra, &mut r);
        }
        for test in fitting(raw.tests).unwrap_or_default() {
            let Ok(test) = test.value else { continue };
            for data in fitting(test.attack_data).unwrap_or_default() {
                if let Some(url) = data.value.ok().and_then(|d| fitting(d.data)) {
                    d.attack_data.push(url.trim().to_owned());
                }
            }
        }
        (d, r.diags)
    }
}

impl Tags {
    fn read(raw: RawTags, extra: BTreeMap<String, String>, r: &mut Reader<'_>) -> Tags {
        let mut cve = r.strings("cve", raw.cve);
        cve.extend(r.strings("CVE", raw.cve_upper));
        let observables = fitting(raw.observable)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|o| {
                let o = o.value.ok()?;
                Some((fitting(o.name)?, fitting(o.kind).unwrap_or_default()))
            })
            .collect();
        Tags {
            analytic_story: r.strings("analytic_story", raw.analytic_story),
            asset_type: r.string("asset_type", raw.asset_type),
            mitre_attack_id: r.strings("mitre_attack_id", raw.mitre_attack_id),
            security_domain: r.string("security_domain", raw.security_domain),
            required_fields: r.strings("required_fields", raw.required_fields),
            observables,
            risk_score: r.string("risk_score", raw.risk_score),
            confidence: r.string("confidence", raw.confidence),
            impact: r.string("impact", raw.impact),
            cve,
            product: r.strings("product", raw.product),
            atomic_guid: r.strings("atomic_guid", raw.atomic_guid),
            extra,
        }
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

/// A macro file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawMacro {
    name: Option<Checked<String>>,
    definition: Option<Checked<String>>,
    arguments: Option<Checked<Strings>>,
}

/// A macro file (`macros/*.yml`): name, arguments, definition.
pub(crate) fn macro_from_node(
    node: &Node,
    path: &str,
) -> (Option<crate::macros::MacroDef>, Vec<Diagnostic>) {
    let raw: RawMacro = from_node(node).unwrap_or_default();
    let mut r = Reader::new(path);
    let name = r.string("name", raw.name);
    let definition = r.string("definition", raw.definition).unwrap_or_default();
    let args = r.strings("arguments", raw.arguments);
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

#[cfg(test)]
mod tests {
    use super::*;
    use detcat_yaml::{Limits, parse_documents};

    #[test]
    fn wrong_types_are_warnings_at_the_value_and_the_rest_reads() {
        let text = "name: [x]\nreferences: [a, {b: 1}, c]\nsearch: {x: 1}\ntags: {cve: CVE-1}\n";
        let docs = parse_documents(text, &Limits::default()).unwrap_or_default();
        let Some(doc) = docs.first() else {
            panic!("no document");
        };
        let (d, diags) = Detection::from_node(doc, "d.yml");
        assert_eq!(d.name, None);
        assert_eq!(d.search, None);
        assert_eq!(d.references, ["a", "c"]);
        assert_eq!(d.tags.cve, ["CVE-1"]);
        let at: Vec<&str> = diags
            .iter()
            .map(|x| {
                let s = x.span.unwrap_or_default();
                s.slice(text)
            })
            .collect();
        assert_eq!(at, ["[x]", "{b: 1}", "{x: 1}"]);
        assert!(diags.iter().all(|x| x.code == "splunk::wrong-type"));
    }
}

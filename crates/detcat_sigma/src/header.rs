//! Rule metadata read from the YAML mapping into a typed struct.

use detcat_model::{AttackRefs, TelemetryHint};
use detcat_yaml::Node;

/// The metadata keys of a Sigma rule (everything but the detection logic).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Header {
    pub(crate) id: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) description: String,
    pub(crate) authors: Vec<String>,
    pub(crate) created: Option<String>,
    pub(crate) modified: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) level: Option<String>,
    pub(crate) references: Vec<String>,
    pub(crate) false_positives: Vec<String>,
    pub(crate) tags: Vec<String>,
    pub(crate) logsource: Option<TelemetryHint>,
    /// Top-level keys this struct does not know (kept for the record, e.g. `fields`, `related`).
    pub(crate) extra: Vec<String>,
}

/// Top-level keys with a meaning besides the typed [`SCALAR_KEYS`] and [`LIST_KEYS`].
const OTHER_KNOWN: [&str; 8] = [
    "logsource",
    "detection",
    "correlation",
    "filter",
    "action",
    "fields",
    "related",
    "license",
];

fn is_known(key: &str) -> bool {
    [&SCALAR_KEYS[..], &LIST_KEYS[..], &OTHER_KNOWN[..]]
        .iter()
        .any(|keys| keys.contains(&key))
}

impl Header {
    pub(crate) fn read(doc: &Node) -> Header {
        let text = |key: &str| {
            doc.get(key)
                .and_then(Node::scalar_text)
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let list = |key: &str| -> Vec<String> {
            match doc.get(key) {
                Some(n) => match n.as_seq() {
                    Some(items) => items.iter().filter_map(Node::scalar_text).collect(),
                    None => n.scalar_text().into_iter().collect(),
                },
                None => Vec::new(),
            }
        };
        let date = |key: &str| text(key).map(|d| d.replace('/', "-"));
        let logsource = doc
            .get("logsource")
            .filter(|n| n.as_map().is_some())
            .map(|ls| {
                let field = |k: &str| ls.get(k).and_then(Node::scalar_text);
                TelemetryHint::SigmaLogsource {
                    product: field("product"),
                    category: field("category"),
                    service: field("service"),
                }
            });
        let extra = doc
            .as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, _)| k.scalar_text())
            .filter(|k| !is_known(k))
            .collect();
        Header {
            id: text("id"),
            title: text("title"),
            description: text("description").unwrap_or_default(),
            authors: text("author")
                .map(|a| split_authors(&a))
                .unwrap_or_default(),
            created: date("date"),
            modified: date("modified"),
            status: text("status"),
            level: text("level"),
            references: list("references"),
            false_positives: list("falsepositives"),
            tags: list("tags"),
            logsource,
            extra,
        }
    }
}

/// Keys whose value must be a scalar, and keys whose value must be a scalar or a list of them.
const SCALAR_KEYS: [&str; 9] = [
    "id",
    "title",
    "name",
    "description",
    "author",
    "date",
    "modified",
    "status",
    "level",
];
const LIST_KEYS: [&str; 3] = ["references", "falsepositives", "tags"];

/// A warning for each metadata value of the wrong YAML type (`title: [1, 2]`): the header
/// ignores such values, and the reader must learn why a title is missing.
pub(crate) fn type_diagnostics(doc: &Node, path: &str) -> Vec<detcat_model::Diagnostic> {
    let mut out = Vec::new();
    for key in SCALAR_KEYS {
        if let Some(n) = doc.get(key).filter(|n| !n.is_scalar() && !n.is_null()) {
            out.push(crate::diagnostics::wrong_type(
                path, key, "a string", n.span,
            ));
        }
    }
    for key in LIST_KEYS {
        let Some(n) = doc.get(key) else { continue };
        let bad = match n.as_seq() {
            Some(items) => items.iter().find(|i| !i.is_scalar()),
            None => (!n.is_scalar() && !n.is_null()).then_some(n),
        };
        if let Some(bad) = bad {
            out.push(crate::diagnostics::wrong_type(
                path,
                key,
                "a string or a list of strings",
                bad.span,
            ));
        }
    }
    if let Some(n) = doc.get("logsource").filter(|n| n.as_map().is_none()) {
        out.push(crate::diagnostics::wrong_type(
            path,
            "logsource",
            "a mapping",
            n.span,
        ));
    }
    out
}

fn split_authors(text: &str) -> Vec<String> {
    text.split(", ")
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

/// ATT&CK references from Sigma tags: `attack.t1059.001` → technique `T1059.001`,
/// `attack.ta0002` → tactic `TA0002`, `attack.execution` / `attack.defense_evasion` → tactic
/// short names (`execution`, `defense-evasion`). Group (`attack.g0032`) and software
/// (`attack.s0002`) tags are no mapping and stay in the tags only.
pub(crate) fn attack_refs(tags: &[String]) -> AttackRefs {
    let mut refs = AttackRefs::default();
    for tag in tags {
        let lower = tag.trim().to_ascii_lowercase();
        let Some(rest) = lower.strip_prefix("attack.") else {
            continue;
        };
        let id_like = |prefix: &str| {
            rest.strip_prefix(prefix)
                .is_some_and(|d| d.len() >= 4 && d.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        };
        let push = |list: &mut Vec<String>, v: String| {
            if !list.contains(&v) {
                list.push(v);
            }
        };
        if id_like("ta") {
            push(&mut refs.tactics, rest.to_ascii_uppercase());
        } else if id_like("t") {
            push(&mut refs.techniques, rest.to_ascii_uppercase());
        } else if id_like("g") || id_like("s") || id_like("m") || id_like("c") || id_like("ds") {
            continue;
        } else if !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_')
        {
            push(&mut refs.tactics, rest.replace('_', "-"));
        }
    }
    refs
}

#[cfg(test)]
mod tests {
    use super::*;
    use detcat_yaml::{Limits, parse_documents};

    #[test]
    fn attack_tags() {
        let tags: Vec<String> = [
            "attack.t1059.001",
            "attack.execution",
            "attack.ta0005",
            "attack.defense_evasion",
            "attack.g0032",
            "cve.2021-1",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        let refs = attack_refs(&tags);
        assert_eq!(refs.techniques, ["T1059.001"]);
        assert_eq!(refs.tactics, ["execution", "TA0005", "defense-evasion"]);
    }

    #[test]
    fn header_fields() {
        let text = "title: T\nid: 123\nauthor: A B, C D\ndate: 2023/01/31\nstatus: test\nlevel: high\ntags: [attack.t1]\nlogsource:\n  product: windows\n  category: process_creation\nfalsepositives: Admin\ncustom: 1\n";
        let docs = parse_documents(text, &Limits::default()).unwrap_or_default();
        let h = Header::read(&docs[0]);
        assert_eq!(h.id.as_deref(), Some("123"));
        assert_eq!(h.authors, ["A B", "C D"]);
        assert_eq!(h.created.as_deref(), Some("2023-01-31"));
        assert_eq!(h.false_positives, ["Admin"]);
        assert_eq!(h.extra, ["custom"]);
        assert_eq!(
            h.logsource,
            Some(TelemetryHint::SigmaLogsource {
                product: Some("windows".into()),
                category: Some("process_creation".into()),
                service: None
            })
        );
    }
}

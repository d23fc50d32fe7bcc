//! Rule metadata read from the YAML mapping into a typed struct.

use detcat_model::{AttackRefs, Diagnostic, TelemetryHint};
use detcat_yaml::{Checked, Node, from_node};
use serde::Deserialize;

use crate::diagnostics as diag;

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

/// A Sigma document's metadata as written, read by serde over the YAML tree: a value of the
/// wrong type is kept as a [`Checked`] error with its span and reported by [`Header::read`].
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawHeader {
    id: Option<Checked<String>>,
    title: Option<Checked<String>>,
    name: Option<Checked<String>>,
    description: Option<Checked<String>>,
    author: Option<Checked<String>>,
    date: Option<Checked<String>>,
    modified: Option<Checked<String>>,
    status: Option<Checked<String>>,
    level: Option<Checked<String>>,
    references: Option<Checked<Strings>>,
    falsepositives: Option<Checked<Strings>>,
    tags: Option<Checked<Strings>>,
    /// Present means a mapping: `logsource: ~` is reported too.
    #[serde(deserialize_with = "present")]
    logsource: Option<Checked<RawLogsource>>,
}

/// A scalar or a list of scalars; null items are skipped, other items of the wrong type kept
/// as errors.
type Strings = Vec<Option<Checked<String>>>;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawLogsource {
    product: Option<Checked<String>>,
    category: Option<Checked<String>>,
    service: Option<Checked<String>>,
}

/// A present key is `Some` even when its value is null (which then fails to be a `T`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Top-level keys with a meaning besides the metadata of [`RawHeader`].
const OTHER_KNOWN: [&str; 7] = [
    "detection",
    "correlation",
    "filter",
    "action",
    "fields",
    "related",
    "license",
];

/// The keys of [`RawHeader`].
const HEADER_KEYS: [&str; 13] = [
    "id",
    "title",
    "name",
    "description",
    "author",
    "date",
    "modified",
    "status",
    "level",
    "references",
    "falsepositives",
    "tags",
    "logsource",
];

fn is_known(key: &str) -> bool {
    HEADER_KEYS.contains(&key) || OTHER_KNOWN.contains(&key)
}

/// Turns checked values into plain ones, with a `sigma::wrong-type` warning per wrong type.
struct Reader<'a> {
    path: &'a str,
    diags: Vec<Diagnostic>,
}

impl Reader<'_> {
    /// A scalar, trimmed; empty is absent.
    fn text(&mut self, key: &str, value: Option<Checked<String>>) -> Option<String> {
        let path = self.path;
        value?
            .or_report(&mut self.diags, |span| {
                diag::wrong_type(path, key, "a string", span)
            })
            .map(|mut s| {
                detcat_model::trim_in_place(&mut s);
                s
            })
            .filter(|s| !s.is_empty())
    }

    /// The scalars of a list (or of a lone scalar); the first wrong item is reported.
    fn list(&mut self, key: &str, value: Option<Checked<Strings>>) -> Vec<String> {
        let path = self.path;
        let expected = "a string or a list of strings";
        let Some(items) = value.and_then(|v| {
            v.or_report(&mut self.diags, |span| {
                diag::wrong_type(path, key, expected, span)
            })
        }) else {
            return Vec::new();
        };
        let mut reported = false;
        let mut out = Vec::new();
        for item in items.into_iter().flatten() {
            match item.value {
                Ok(v) => out.push(v),
                Err(_) if !reported => {
                    reported = true;
                    self.diags
                        .push(diag::wrong_type(path, key, expected, item.span));
                }
                Err(_) => {}
            }
        }
        out
    }
}

impl Header {
    /// Reads the metadata of one document (a mapping) with a warning for each value of the
    /// wrong YAML type (`title: [1, 2]`): such a value is ignored, and the reader must learn
    /// why a title is missing.
    pub(crate) fn read(doc: &Node, path: &str) -> (Header, Vec<Diagnostic>) {
        let raw: RawHeader = match from_node(doc) {
            Ok(raw) => raw,
            Err(e) => {
                let span = e.span.unwrap_or(doc.span);
                return (
                    Header::default(),
                    vec![diag::wrong_type(path, "the document", "a mapping", span)],
                );
            }
        };
        let mut r = Reader {
            path,
            diags: Vec::new(),
        };
        let id = r.text("id", raw.id);
        let title = r.text("title", raw.title);
        r.text("name", raw.name);
        let description = r.text("description", raw.description);
        let author = r.text("author", raw.author);
        let created = r.text("date", raw.date).map(|d| d.replace('/', "-"));
        let modified = r
            .text("modified", raw.modified)
            .map(|d| d.replace('/', "-"));
        let status = r.text("status", raw.status);
        let level = r.text("level", raw.level);
        let references = r.list("references", raw.references);
        let false_positives = r.list("falsepositives", raw.falsepositives);
        let tags = r.list("tags", raw.tags);
        let logsource = raw
            .logsource
            .and_then(|ls| {
                ls.or_report(&mut r.diags, |span| {
                    diag::wrong_type(path, "logsource", "a mapping", span)
                })
            })
            .map(|ls| {
                let mut field = |key: &str, v: Option<Checked<String>>| {
                    v?.or_report(&mut r.diags, |span| {
                        diag::wrong_type(path, &format!("logsource.{key}"), "a string", span)
                    })
                };
                TelemetryHint::SigmaLogsource {
                    product: field("product", ls.product),
                    category: field("category", ls.category),
                    service: field("service", ls.service),
                }
            });
        let extra = doc
            .as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, _)| k.scalar_str())
            .filter(|k| !is_known(k))
            .map(std::borrow::Cow::into_owned)
            .collect();
        let header = Header {
            id,
            title,
            description: description.unwrap_or_default(),
            authors: author.map(|a| split_authors(&a)).unwrap_or_default(),
            created,
            modified,
            status,
            level,
            references,
            false_positives,
            tags,
            logsource,
            extra,
        };
        (header, r.diags)
    }
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
        let (h, diags) = Header::read(&docs[0], "x.yml");
        assert!(diags.is_empty());
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

    #[test]
    fn wrong_types_are_warnings_at_the_value_not_silent_gaps() {
        let text = "title: [1]\ntags: [a, {b: 1}]\nlogsource: ~\nlevel: high\n";
        let docs = parse_documents(text, &Limits::default()).unwrap_or_default();
        let (h, diags) = Header::read(&docs[0], "x.yml");
        assert_eq!(h.title, None);
        assert_eq!(h.tags, ["a"]);
        assert_eq!(h.level.as_deref(), Some("high"));
        let found: Vec<(&str, &str)> = diags
            .iter()
            .map(|d| {
                let span = d.span.unwrap_or_default();
                (
                    d.message.split('`').nth(1).unwrap_or(""),
                    &text[span.start as usize..span.end as usize],
                )
            })
            .collect();
        assert_eq!(
            found,
            [("title", "[1]"), ("tags", "{b: 1}"), ("logsource", "~")]
        );
    }
}

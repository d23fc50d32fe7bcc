//! `(Citation: Name)` markers in ATT&CK Markdown, resolved into numbered references.
//!
//! ATT&CK descriptions cite their sources inline as `(Citation: Source Name)`; the name is the
//! `source_name` of one of the object's `external_references`. [`cite`] replaces each marker with
//! `[n]` (the same source keeps its number) and returns the references in number order. Nothing
//! of the text is lost: an unresolvable marker still gets a number, with the name as its only
//! content, and is listed in [`CitedText::unresolved`].

use serde::{Deserialize, Serialize};

use crate::model::ExternalReference;

const MARKER: &str = "(Citation:";

/// One `(Citation: …)` marker found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker<'a> {
    /// Byte range of the whole marker, parentheses included.
    pub range: std::ops::Range<usize>,
    /// The cited source name, trimmed.
    pub name: &'a str,
}

/// A description with markers replaced by `[n]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitedText {
    pub text: String,
    /// In number order: `references[0]` is `[1]`.
    pub references: Vec<NumberedReference>,
    /// Cited names with no matching external reference (in order of first use).
    pub unresolved: Vec<String>,
}

/// A reference as rendered under a description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberedReference {
    pub number: usize,
    pub source_name: String,
    pub url: Option<String>,
    pub description: Option<String>,
    /// False when no external reference matched the cited name.
    pub resolved: bool,
}

/// Every citation marker of `text`, in order. Names may hold balanced parentheses
/// (`(Citation: CISA Alert (TA17-163A))`); an unclosed marker is not a marker.
pub fn markers(text: &str) -> Vec<Marker<'_>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(rel) = text.get(from..).and_then(|rest| rest.find(MARKER)) {
        let start = from + rel;
        let body = start + MARKER.len();
        match closing_paren(text, body) {
            Some(end) => {
                let name = text.get(body..end).unwrap_or("").trim();
                out.push(Marker {
                    range: start..end + 1,
                    name,
                });
                from = end + 1;
            }
            None => from = body,
        }
    }
    out
}

/// Index of the `)` closing a marker whose body starts at `from`, counting nested parentheses.
/// A newline ends the search: markers never span lines.
fn closing_paren(text: &str, from: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.get(from..)?.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(from + i),
            ')' => depth -= 1,
            '\n' => return None,
            _ => {}
        }
    }
    None
}

/// Find the reference a cited name points to: exact `source_name`, then ignoring case and
/// surrounding whitespace (a few upstream names carry a trailing space), then the one
/// reference whose name contains every word of the cited name. The last rule exists for
/// upstream typos such as ICS `(Citation: CISA Alert (TA17-163A))` citing the reference named
/// `CISA Alert TA17-163A CrashOverride June 2017`; it never guesses between two candidates.
pub fn resolve<'r>(
    name: &str,
    references: &'r [ExternalReference],
) -> Option<&'r ExternalReference> {
    if let Some(r) = references.iter().find(|r| r.source_name == name) {
        return Some(r);
    }
    if let Some(r) = references
        .iter()
        .find(|r| r.source_name.trim().eq_ignore_ascii_case(name.trim()))
    {
        return Some(r);
    }
    let wanted = words(name);
    if wanted.is_empty() {
        return None;
    }
    let mut candidates = references.iter().filter(|r| {
        let have = words(&r.source_name);
        wanted.iter().all(|w| have.contains(w))
    });
    match (candidates.next(), candidates.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// Lowercase words of a source name, punctuation (parentheses, commas) dropped.
fn words(name: &str) -> Vec<String> {
    name.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ':' | ';'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Replace every marker of `text` with `[n]` and number the cited references.
pub fn cite(text: &str, references: &[ExternalReference]) -> CitedText {
    let mut out = CitedText {
        text: String::with_capacity(text.len()),
        ..CitedText::default()
    };
    let mut last = 0;
    for m in markers(text) {
        out.text
            .push_str(text.get(last..m.range.start).unwrap_or(""));
        let number = number_for(&mut out, m.name, references);
        out.text.push_str(&format!("[{number}]"));
        last = m.range.end;
    }
    out.text.push_str(text.get(last..).unwrap_or(""));
    out
}

fn number_for(out: &mut CitedText, name: &str, references: &[ExternalReference]) -> usize {
    let found = resolve(name, references);
    let key = found.map_or(name, |r| r.source_name.as_str());
    if let Some(existing) = out.references.iter().find(|r| r.source_name == key) {
        return existing.number;
    }
    let number = out.references.len() + 1;
    if found.is_none() {
        out.unresolved.push(name.to_owned());
    }
    out.references.push(NumberedReference {
        number,
        source_name: key.to_owned(),
        url: found.and_then(|r| r.url.clone()),
        description: found.and_then(|r| r.description.clone()),
        resolved: found.is_some(),
    });
    number
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(name: &str, url: &str) -> ExternalReference {
        ExternalReference {
            source_name: name.into(),
            url: Some(url.into()),
            description: None,
            external_id: None,
        }
    }

    #[test]
    fn numbers_markers_in_order_of_first_use() {
        let refs = vec![
            reference("Alpha 2020", "https://a.example"),
            reference("Beta", "https://b.example"),
        ];
        let c = cite(
            "One.(Citation: Beta) Two.(Citation: Alpha 2020)(Citation: Beta) End.",
            &refs,
        );
        assert_eq!(c.text, "One.[1] Two.[2][1] End.");
        assert_eq!(c.references.len(), 2);
        assert_eq!(c.references[0].source_name, "Beta");
        assert_eq!(c.references[1].url.as_deref(), Some("https://a.example"));
        assert!(c.unresolved.is_empty());
    }

    #[test]
    fn names_with_parentheses_resolve() {
        let refs = vec![reference("Agency Alert (AA-1)", "https://x.example")];
        let c = cite(
            "Seen in the wild.(Citation: Agency Alert (AA-1)) Later.",
            &refs,
        );
        assert_eq!(c.text, "Seen in the wild.[1] Later.");
        assert!(c.references[0].resolved);
    }

    #[test]
    fn unresolved_marker_keeps_its_name() {
        let c = cite("Text.(Citation: Nowhere)", &[]);
        assert_eq!(c.text, "Text.[1]");
        assert_eq!(c.unresolved, vec!["Nowhere".to_string()]);
        assert_eq!(c.references[0].source_name, "Nowhere");
        assert!(!c.references[0].resolved);
    }

    #[test]
    fn unclosed_marker_is_plain_text() {
        let text = "Broken (Citation: never closed\nnext line";
        let c = cite(text, &[]);
        assert_eq!(c.text, text);
        assert!(c.references.is_empty());
    }

    #[test]
    fn case_and_space_differences_resolve() {
        let refs = vec![reference("Vendor Report ", "https://v.example")];
        let c = cite("x(Citation: vendor report)", &refs);
        assert!(c.references[0].resolved);
    }

    #[test]
    fn unique_word_match_resolves_upstream_typos() {
        let refs = vec![
            reference(
                "CISA Alert TA17-163A CrashOverride June 2017",
                "https://c.example",
            ),
            reference("Dragos Crashoverride 2018", "https://d.example"),
        ];
        let c = cite("x(Citation: CISA Alert (TA17-163A))", &refs);
        assert_eq!(
            c.references[0].source_name,
            "CISA Alert TA17-163A CrashOverride June 2017"
        );
        assert!(c.unresolved.is_empty());
        // Two candidates: no guess.
        let refs = vec![
            reference("Vendor Report 2019", "https://a"),
            reference("Vendor Report 2020", "https://b"),
        ];
        assert!(!cite("x(Citation: Vendor Report)", &refs).references[0].resolved);
    }

    #[test]
    fn text_without_markers_is_unchanged() {
        let c = cite(
            "Plain [link](https://attack.mitre.org/techniques/T1059) text.",
            &[],
        );
        assert_eq!(
            c.text,
            "Plain [link](https://attack.mitre.org/techniques/T1059) text."
        );
    }

    #[test]
    fn multibyte_text_is_safe() {
        let refs = vec![reference("Ünïcode", "https://u.example")];
        let c = cite("Grüße — test.(Citation: Ünïcode) ✓", &refs);
        assert_eq!(c.text, "Grüße — test.[1] ✓");
    }
}

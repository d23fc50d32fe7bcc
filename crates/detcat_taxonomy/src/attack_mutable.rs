//! ATT&CK analytic mutable elements → canonical fields (`data/attack_mutable_elements.toml`).

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::TaxonomyError;
use crate::fields::FieldTable;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Phrase {
    words: String,
    fields: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MutableFile {
    ignore: Vec<String>,
    phrase: Vec<Phrase>,
}

/// The loaded table: ignored words, and phrases (words joined by one space) → fields.
#[derive(Debug, Default)]
pub(crate) struct MutableTable {
    ignore: HashSet<String>,
    phrases: HashMap<String, Vec<String>>,
}

pub(crate) fn build(file: MutableFile, fields: &FieldTable) -> Result<MutableTable, TaxonomyError> {
    let mut table = MutableTable {
        ignore: file.ignore.into_iter().collect(),
        phrases: HashMap::new(),
    };
    for p in file.phrase {
        if let Some(bad) = p.fields.iter().find(|f| fields.by_id(f).is_none()) {
            return Err(TaxonomyError::UnknownMutableField {
                phrase: p.words.clone(),
                field: bad.clone(),
            });
        }
        table.phrases.insert(words(&p.words).join(" "), p.fields);
    }
    Ok(table)
}

/// The words of a name, lower case: split at white space, `_`, `-`, `.`, digits and case
/// changes (`COMObjectAllowList` is com object allow list, `DestinationIP` destination ip).
pub(crate) fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphabetic() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let prev = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
        let next = chars.get(i + 1).copied();
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase() || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
            });
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

impl MutableTable {
    /// The canonical fields a mutable element name is about (empty: none known).
    pub(crate) fn fields(&self, name: &str) -> &[String] {
        let words: Vec<String> = words(name)
            .into_iter()
            .filter(|w| !self.ignore.contains(w))
            .collect();
        for n in (1..=words.len()).rev() {
            let Some(lead) = words.get(..n) else { continue };
            if let Some(fields) = self.phrases.get(&lead.join(" ")) {
                return fields;
            }
        }
        &[]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_at_case_changes_and_separators() {
        assert_eq!(
            words("COMObjectAllowList"),
            ["com", "object", "allow", "list"]
        );
        assert_eq!(words("DestinationIP"), ["destination", "ip"]);
        assert_eq!(words("user_context"), ["user", "context"]);
        assert_eq!(
            words("FileSizeThresholdMB"),
            ["file", "size", "threshold", "mb"]
        );
        assert!(words("").is_empty());
    }

    #[test]
    fn names_map_to_fields_by_their_longest_leading_phrase() {
        let t = crate::Taxonomy::get();
        let f = |n: &str| t.attack_mutable_element_fields(n).to_vec();
        assert_eq!(f("ParentProcessExclusions")[0], "process.parent.name");
        assert_eq!(f("ParentProcessAnomalyThreshold")[0], "process.parent.name");
        assert_eq!(f("CommandLinePattern")[0], "process.command_line");
        assert_eq!(f("UserContext"), ["user.name"]);
        assert_eq!(f("DestinationIP"), ["destination.ip"]);
        assert_eq!(f("ProcessAllowlist")[0], "process.name");
        assert_eq!(f("ChildProcessName")[0], "process.name");
        assert!(f("TimeWindow").is_empty());
        assert!(f("COMObjectAllowList").is_empty());
        assert!(f("EntropyThreshold").is_empty());
    }
}

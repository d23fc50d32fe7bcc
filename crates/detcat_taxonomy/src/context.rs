//! Log context: where a rule's events come from, so a field name can mean different things in
//! different logs (Sysmon 7's `OriginalFileName` is the loaded module's, Sysmon 1's the
//! process'; `type` is an auditd record type but nothing of the kind elsewhere).

use detcat_model::{Rule, TelemetryHint, Vendor};
use serde::Deserialize;

/// The log context of a rule as `key:value` tags, lowercased: Sigma `product:windows`,
/// `category:image_load`, `service:security`; Elastic `category:library`,
/// `index:logs-endpoint.events.library-*`; Splunk `data_source:sysmon eventid 7`,
/// `datamodel:endpoint.processes`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogContext {
    tags: Vec<String>,
}

/// `key:value`, trimmed and lowercased. One string for the ASCII tags of nearly every rule
/// (formatted, then trimmed and lowercased into a second, this was 0.2% of a Sigma-only build).
fn tag(key: &str, value: &str) -> String {
    let mut tag = [key, ":", value].concat();
    if tag.is_ascii() {
        detcat_model::trim_in_place(&mut tag);
        tag.make_ascii_lowercase();
        tag
    } else {
        tag.trim().to_lowercase()
    }
}

impl LogContext {
    /// No context: every name takes its default meaning.
    pub fn none() -> Self {
        Self::default()
    }

    /// The context a rule's telemetry hints describe.
    pub fn of(rule: &Rule) -> Self {
        let mut tags = Vec::new();
        for hint in &rule.telemetry {
            match hint {
                TelemetryHint::SigmaLogsource {
                    product,
                    category,
                    service,
                } => {
                    let parts = [("product", product), ("category", category)];
                    for (key, value) in parts.into_iter().chain([("service", service)]) {
                        if let Some(v) = value {
                            tags.push(tag(key, v));
                        }
                    }
                }
                TelemetryHint::EventCategory { name } => tags.push(tag("category", name)),
                TelemetryHint::Index { pattern } => tags.push(tag("index", pattern)),
                TelemetryHint::DataSourceTag { name } => tags.push(tag("data_source", name)),
                TelemetryHint::DataSource { name } => tags.push(tag("data_source", name)),
                TelemetryHint::Datamodel { name } => tags.push(tag("datamodel", name)),
            }
        }
        Self { tags }
    }

    /// A context from explicit tags (tests, callers without a rule).
    pub fn from_tags<I: IntoIterator<Item = S>, S: AsRef<str>>(tags: I) -> Self {
        Self {
            tags: tags
                .into_iter()
                .map(|t| t.as_ref().trim().to_lowercase())
                .collect(),
        }
    }

    /// Does any tag start with `pattern` (lowercase `key:value` prefix)?
    fn matches(&self, pattern: &str) -> bool {
        self.tags.iter().any(|t| t.starts_with(pattern))
    }

    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }
}

/// A `[[context]]` row of `fields.toml`: in a rule whose context matches one of `when`, the
/// vendors' `name` means `field` rather than its default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContextRule {
    pub vendors: Vec<Vendor>,
    pub name: String,
    /// `key:value` prefixes (`category:image_load`, `data_source:sysmon eventid 7`).
    pub when: Vec<String>,
    pub field: String,
    #[allow(dead_code)]
    pub source: String,
}

impl ContextRule {
    pub(crate) fn applies(&self, vendor: Vendor, name: &str, ctx: &LogContext) -> bool {
        self.vendors.contains(&vendor)
            && self.name.eq_ignore_ascii_case(name)
            && self.when.iter().any(|w| ctx.matches(&w.to_lowercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_and_lowercased_as_a_whole() {
        for value in [
            "Process_Creation",
            " Windows ",
            "\tSysmon EventID 7\n",
            "",
            "  ",
            "ÉVÉNEMENT",
            "ΣΑΣ ",
            "logs-endpoint.events.*",
        ] {
            let expected = format!("category:{value}").trim().to_lowercase();
            assert_eq!(tag("category", value), expected, "{value:?}");
        }
    }

    #[test]
    fn context_matches_prefixes_case_insensitively() {
        let ctx = LogContext::from_tags(["Data_Source:Sysmon EventID 7", "product:windows"]);
        let rule = ContextRule {
            vendors: vec![Vendor::Splunk],
            name: "OriginalFileName".into(),
            when: vec!["data_source:sysmon eventid 7".into()],
            field: "dll.pe.original_file_name".into(),
            source: String::new(),
        };
        assert!(rule.applies(Vendor::Splunk, "originalfilename", &ctx));
        assert!(!rule.applies(Vendor::Sigma, "OriginalFileName", &ctx));
        assert!(!rule.applies(Vendor::Splunk, "OriginalFileName", &LogContext::none()));
    }
}

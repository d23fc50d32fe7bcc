//! What a build did, in numbers: the source of `detcat stats`.

use std::collections::{BTreeMap, HashMap};

use detcat_model::{
    Diagnostic, Lifecycle, ParseStatus, Role, Rule, Severity, TelemetryHint, Vendor,
};
use serde::{Deserialize, Serialize};

use super::analyze::AnalyzedRule;
use super::link::Attack;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BuildReport {
    pub origin: String,
    pub vendors: BTreeMap<String, VendorReport>,
    pub attack: AttackSummary,
    pub taxonomy: TaxonomyCoverage,
    pub timings: Timings,
    /// CTID threat scores: how many placed, carried from revoked ids, left unscored.
    #[serde(default)]
    pub threat: super::threat::ThreatSummary,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StatusCounts {
    pub rules: usize,
    pub normalized: usize,
    pub partial: usize,
    pub failed: usize,
}

impl StatusCounts {
    fn add(&mut self, status: ParseStatus) {
        self.rules += 1;
        match status {
            ParseStatus::Normalized => self.normalized += 1,
            ParseStatus::Partial => self.partial += 1,
            ParseStatus::Failed => self.failed += 1,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VendorReport {
    /// Every file under the vendor folder.
    pub files: usize,
    /// Files that hold no rule by design (README, macro definitions, event samples).
    pub non_rule_files: usize,
    /// Files handed to the parser (or failed as unreadable rule files).
    #[serde(default)]
    pub rule_files: usize,
    /// Entries not read at all: symlinks, FIFOs, directories that cannot be listed.
    #[serde(default)]
    pub skipped_files: usize,
    /// Those entries with their reasons.
    #[serde(default)]
    pub skipped: Vec<(String, String)>,
    pub rules: usize,
    pub normalized: usize,
    pub partial: usize,
    pub failed: usize,
    /// Rules left out of statistics by default.
    pub deprecated: usize,
    pub unsupported: usize,
    /// Status counts per top-level folder (`rules`, `rules-emerging-threats`, `deprecated`, …).
    pub by_folder: BTreeMap<String, StatusCounts>,
    pub by_language: BTreeMap<String, StatusCounts>,
    pub by_type: BTreeMap<String, StatusCounts>,
    /// Diagnostic codes by frequency (most common first).
    pub top_diagnostics: Vec<(String, usize)>,
    /// Failed rules with their first error, for the honest account.
    pub failures: Vec<(String, String)>,
    /// Why rules are not normalized: each partial or failed rule counts once under each
    /// diagnostic code it carries (ATT&CK linking and info notes aside), or under
    /// [`NO_CAUSE`] when it carries none.
    #[serde(default)]
    pub causes: BTreeMap<String, usize>,
    #[serde(skip)]
    pub file_diagnostics: Vec<Diagnostic>,
}

/// The cause of a partial or failed rule that carries no diagnostic (a parser gap to close).
pub const NO_CAUSE: &str = "(no diagnostic)";

/// The causes a partial or failed rule counts under: its distinct parse diagnostic codes —
/// warnings and errors first; failing those, the notes (an ML job's opaque node is explained
/// by an info-level diagnostic, and is no parser gap).
fn causes_of(diagnostics: &[Diagnostic]) -> Vec<&str> {
    let parse = || {
        diagnostics
            .iter()
            .filter(|d| !d.code.starts_with("attack::"))
    };
    let mut codes: Vec<&str> = parse()
        .filter(|d| d.severity != Severity::Info)
        .map(|d| d.code.as_str())
        .collect();
    if codes.is_empty() {
        codes = parse().map(|d| d.code.as_str()).collect();
    }
    codes.sort_unstable();
    codes.dedup();
    if codes.is_empty() {
        codes.push(NO_CAUSE);
    }
    codes
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AttackSummary {
    pub bundles: Vec<String>,
    pub counts: serde_json::Value,
    pub diagnostics: Vec<String>,
    /// Bundles passed over because they failed to load (`path: why`).
    #[serde(default)]
    pub rejected: Vec<String>,
    pub rules_with_techniques: usize,
    pub technique_diagnostics: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FieldCoverage {
    pub predicates: usize,
    pub mapped: usize,
    /// Raw field names that map to nothing, most frequent first.
    pub top_unmapped: Vec<(String, usize)>,
}

/// Predicate occurrences of active rules by role: how much of the corpus chooses event streams
/// (selectors) versus describes activity (indicators) or filters it out (exclusions).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RoleCounts {
    pub selector: usize,
    pub indicator: usize,
    pub exclusion: usize,
    pub other: usize,
    /// Rules with at least one selector predicate.
    pub rules_with_selector: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TaxonomyCoverage {
    /// Predicate roles per vendor (active rules).
    #[serde(default)]
    pub roles: BTreeMap<String, RoleCounts>,
    /// All active rules' predicate occurrences, per vendor.
    pub all: BTreeMap<String, FieldCoverage>,
    /// Windows endpoint rules only (SPEC quality bar: ≥ 97% mapped).
    pub windows_endpoint: BTreeMap<String, FieldCoverage>,
    pub rules_with_events: usize,
    /// Active rules that map to no event, counted by their telemetry hint.
    pub no_event_by_source: Vec<(String, usize)>,
    pub windows_endpoint_rules: usize,
    pub windows_endpoint_rules_without_event: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Timings {
    pub parse_ms: u128,
    /// Loading ATT&CK (and the CTID scores); runs beside the parse.
    pub attack_ms: u128,
    /// Mapping rules, while the writer stores them chunk by chunk.
    pub map_ms: u128,
    /// The writer's tail: from the last mapped rule to the committed catalog.
    pub write_ms: u128,
    /// Busy time of the writer thread per part (ms), for `docs/benchmarks.md`.
    #[serde(default)]
    pub writer: BTreeMap<String, u128>,
    /// When each step ended, from the build's start, on whichever thread ran it (see
    /// `ingest/timeline.rs`): which thread waited for which.
    #[serde(default)]
    pub timeline: Vec<super::TimelineMark>,
}

impl BuildReport {
    pub fn vendor_mut(&mut self, vendor: Vendor) -> &mut VendorReport {
        self.vendors.entry(vendor.as_str().to_owned()).or_default()
    }

    /// Counts `rules` into the report (all rules at once; see [`BuildReport::tally_rules`]).
    pub fn tally(&mut self, rules: &[AnalyzedRule], attack: &Attack) {
        let mut counts = TallyCounts::default();
        self.tally_rules(rules, &mut counts);
        self.finish_tally(counts, attack);
    }

    /// Counts one chunk of rules: the writer tallies each chunk as it stores it, so it need
    /// not keep every rule until the end. [`BuildReport::finish_tally`] completes the report.
    pub fn tally_rules(&mut self, rules: &[AnalyzedRule], counts: &mut TallyCounts) {
        let TallyCounts {
            diag_counts,
            unmapped,
            no_event,
        } = counts;
        for a in rules {
            let rule = &a.rule;
            let status = a.status;
            let counts = self.vendor_mut(rule.vendor);
            counts.rules += 1;
            match status {
                ParseStatus::Normalized => counts.normalized += 1,
                ParseStatus::Partial => counts.partial += 1,
                ParseStatus::Failed => {
                    counts.failed += 1;
                    let why = rule
                        .diagnostics
                        .first()
                        .map(|d| format!("{}: {}", d.code, d.message))
                        .unwrap_or_default();
                    counts.failures.push((rule.path.clone(), why));
                }
            }
            if status != ParseStatus::Normalized {
                for cause in causes_of(&rule.diagnostics) {
                    *counts.causes.entry(cause.to_owned()).or_default() += 1;
                }
            }
            match rule.lifecycle {
                Lifecycle::Active => {}
                Lifecycle::Deprecated => counts.deprecated += 1,
                Lifecycle::Unsupported => counts.unsupported += 1,
            }
            let folder = rule.path.split('/').nth(1).unwrap_or("").to_owned();
            counts.by_folder.entry(folder).or_default().add(status);
            counts
                .by_language
                .entry(rule.language.as_str().to_owned())
                .or_default()
                .add(status);
            counts
                .by_type
                .entry(rule.rule_type.clone())
                .or_default()
                .add(status);
            for d in &rule.diagnostics {
                *diag_counts
                    .entry((rule.vendor, d.code.clone()))
                    .or_default() += 1;
                if d.code.starts_with("attack::") {
                    *self
                        .attack
                        .technique_diagnostics
                        .entry(d.code.clone())
                        .or_default() += 1;
                }
            }
            if !a.techniques.is_empty() {
                self.attack.rules_with_techniques += 1;
            }
            if rule.lifecycle == Lifecycle::Active {
                self.tally_taxonomy(a, unmapped, no_event);
            }
        }
    }

    /// Taxonomy coverage of one active rule: predicate roles, mapped fields (all rules and
    /// Windows endpoint rules), rules with and without events.
    fn tally_taxonomy(
        &mut self,
        a: &AnalyzedRule,
        unmapped: &mut HashMap<(bool, Vendor, String), usize>,
        no_event: &mut HashMap<String, usize>,
    ) {
        let rule = &a.rule;
        let windows = is_windows_endpoint(rule);
        let roles = self
            .taxonomy
            .roles
            .entry(rule.vendor.as_str().to_owned())
            .or_default();
        for p in &a.predicates {
            match p.role {
                Role::Selector => roles.selector += 1,
                Role::Indicator => roles.indicator += 1,
                Role::Exclusion => roles.exclusion += 1,
                Role::Other => roles.other += 1,
            }
        }
        roles.rules_with_selector +=
            usize::from(a.predicates.iter().any(|p| p.role == Role::Selector));
        for p in &a.predicates {
            for scope in [false, true] {
                if scope && !windows {
                    continue;
                }
                let map = if scope {
                    &mut self.taxonomy.windows_endpoint
                } else {
                    &mut self.taxonomy.all
                };
                let cov = map.entry(rule.vendor.as_str().to_owned()).or_default();
                cov.predicates += 1;
                if p.mapped {
                    cov.mapped += 1;
                } else {
                    *unmapped
                        .entry((scope, rule.vendor, p.field.clone()))
                        .or_default() += 1;
                }
            }
        }
        if windows {
            self.taxonomy.windows_endpoint_rules += 1;
        }
        if a.events.is_empty() {
            if windows {
                self.taxonomy.windows_endpoint_rules_without_event += 1;
            }
            *no_event.entry(telemetry_label(rule)).or_default() += 1;
        } else {
            self.taxonomy.rules_with_events += 1;
        }
    }

    /// The counts that need every rule: top diagnostics, top unmapped fields, rules without an
    /// event; and the ATT&CK summary.
    pub fn finish_tally(&mut self, counts: TallyCounts, attack: &Attack) {
        let TallyCounts {
            diag_counts,
            unmapped,
            no_event,
        } = counts;
        for ((vendor, code), n) in diag_counts {
            self.vendor_mut(vendor).top_diagnostics.push((code, n));
        }
        for counts in self.vendors.values_mut() {
            sort_desc(&mut counts.top_diagnostics);
            counts.failures.sort();
        }
        for ((scope, vendor, field), n) in unmapped {
            let map = if scope {
                &mut self.taxonomy.windows_endpoint
            } else {
                &mut self.taxonomy.all
            };
            map.entry(vendor.as_str().to_owned())
                .or_default()
                .top_unmapped
                .push((field, n));
        }
        for cov in self
            .taxonomy
            .all
            .values_mut()
            .chain(self.taxonomy.windows_endpoint.values_mut())
        {
            sort_desc(&mut cov.top_unmapped);
            cov.top_unmapped.truncate(30);
        }
        self.taxonomy.no_event_by_source = no_event.into_iter().collect();
        sort_desc(&mut self.taxonomy.no_event_by_source);
        self.taxonomy.no_event_by_source.truncate(40);
        self.attack.bundles = attack.bundles.clone();
        self.attack.rejected = attack.rejected.clone();
        self.attack.diagnostics = attack
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect();
        if let Some(kb) = &attack.kb {
            self.attack.counts = serde_json::to_value(kb.counts()).unwrap_or_default();
        }
    }
}

/// What [`BuildReport::tally_rules`] counts across chunks before [`BuildReport::finish_tally`].
#[derive(Debug, Default)]
pub struct TallyCounts {
    diag_counts: HashMap<(Vendor, String), usize>,
    unmapped: HashMap<(bool, Vendor, String), usize>,
    no_event: HashMap<String, usize>,
}

fn sort_desc(v: &mut [(String, usize)]) {
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
}

/// Windows endpoint rules: the scope of SPEC's taxonomy quality bar.
pub fn is_windows_endpoint(rule: &Rule) -> bool {
    rule.telemetry.iter().any(|h| match h {
        TelemetryHint::SigmaLogsource { product, .. } => product.as_deref() == Some("windows"),
        TelemetryHint::Index { pattern } => {
            let p = pattern.to_ascii_lowercase();
            p.starts_with("winlogbeat") || p.contains("windows") || p.starts_with("logs-endpoint")
        }
        TelemetryHint::DataSource { name } => {
            let n = name.to_ascii_lowercase();
            n.starts_with("sysmon eventid")
                || n.starts_with("windows event log")
                || n.starts_with("powershell")
        }
        TelemetryHint::Datamodel { name } => name.starts_with("Endpoint."),
        _ => false,
    }) && !rule
        .tags
        .iter()
        .any(|t| t == "OS: Linux" || t == "OS: macOS")
}

fn telemetry_label(rule: &Rule) -> String {
    let Some(first) = rule.telemetry.first() else {
        return format!("{}: no telemetry hint", rule.vendor);
    };
    match first {
        TelemetryHint::SigmaLogsource {
            product,
            category,
            service,
        } => format!(
            "sigma: product={} category={} service={}",
            product.as_deref().unwrap_or("-"),
            category.as_deref().unwrap_or("-"),
            service.as_deref().unwrap_or("-")
        ),
        TelemetryHint::EventCategory { name } => format!("{}: event category {name}", rule.vendor),
        TelemetryHint::Index { pattern } => format!("{}: index {pattern}", rule.vendor),
        TelemetryHint::DataSourceTag { name } => format!("{}: data source tag {name}", rule.vendor),
        TelemetryHint::DataSource { name } => format!("{}: data source {name}", rule.vendor),
        TelemetryHint::Datamodel { name } => format!("{}: datamodel {name}", rule.vendor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_the_distinct_parse_codes_or_none() {
        assert_eq!(causes_of(&[]), [NO_CAUSE]);
        let d = |code: &str| Diagnostic::warning(code, "m", "x.yml", None);
        let diags = [
            d("vendor::not-normalized"),
            d("attack::unknown-technique"),
            Diagnostic::info("vendor::summarized", "m", "x.yml", None),
            d("vendor::not-normalized"),
            d("vendor::unsupported-command"),
        ];
        assert_eq!(
            causes_of(&diags),
            ["vendor::not-normalized", "vendor::unsupported-command"]
        );
    }

    #[test]
    fn a_rule_explained_only_by_a_note_counts_under_that_note() {
        // Elastic ML jobs: the opaque node's reason is an info diagnostic, not "no diagnostic".
        let diags = [
            Diagnostic::warning("attack::tactic-disagrees", "m", "x.toml", None),
            Diagnostic::info("elastic::machine-learning-job", "m", "x.toml", None),
        ];
        assert_eq!(causes_of(&diags), ["elastic::machine-learning-job"]);
    }
}

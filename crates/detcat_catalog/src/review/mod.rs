//! `detcat review`: a draft rule held against the catalog (issue 13).
//!
//! The draft is parsed by the vendor's own parser ([`draft`]) and analyzed by the build's
//! meaning layer ([`crate::ingest::analyze_one`]): its canonical indicator, exclusion and
//! selector triples and its events. Then, per technique the draft is tagged with (or asked
//! for), it is compared with the technique's rules in the catalog's similarity index:
//! coverage (events, most-filtered fields), noisy indicators (corpus reach; common ones alone
//! in an AND branch), the exclusions that rules with overlapping indicators add and the draft
//! lacks, and the nearest existing rules of every vendor. Every finding carries a severity
//! and a one-line reason, so `--fail-on` can gate a rule repository's CI.
//!
//! ```no_run
//! use detcat_catalog::{Catalog, review::{ReviewOptions, review}};
//!
//! let catalog = Catalog::demo()?;
//! let report = review(&catalog, b"title: x\nlogsource: {category: process_creation, product: windows}\ndetection: {sel: {Image|endswith: '\\regsvr32.exe'}, condition: sel}\n", &ReviewOptions::default())?;
//! for f in &report.findings { println!("{:?} {}", f.severity, f.reason); }
//! # Ok::<(), detcat_catalog::CatalogError>(())
//! ```

pub mod draft;
mod lone;
mod recordings;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use detcat_model::{DraftReader, Role, SourceFile, Vendor};
use serde::{Deserialize, Serialize};

pub use draft::{DraftDiagnostic, DraftFormat, DraftLanguage, MAX_DRAFT_BYTES, parse_draft};
pub use recordings::{RecordingHit, RecordingsReview};

use crate::error::CatalogError;
use crate::ingest::analyze_one;
use crate::similar::{Filter, Probe, SimilarRule, SimilarityIndex, TripleKey};
use crate::{Catalog, vendors};

/// Nearest rules listed, overall and per technique.
const NEAREST: usize = 5;
/// Technique events and fields listed in the coverage.
const COVERAGE_ROWS: usize = 10;
/// Missing exclusions listed per technique, and rule ids per exclusion.
const MISSING_ROWS: usize = 15;
const MISSING_RULE_IDS: usize = 5;

/// What `review` is asked.
#[derive(Debug, Clone, Default)]
pub struct ReviewOptions {
    /// Techniques to review against instead of the draft's own tags.
    pub techniques: Vec<String>,
    /// The draft's language when it is a bare query (or to force Sigma).
    pub language: Option<DraftLanguage>,
    /// Corpus directory whose companion files (a vendor's macros and lookup tables) a draft
    /// is parsed against, and whose `sigma/regression_data` recordings the draft is run on (default: the
    /// corpus the catalog was built from, when it is still there).
    pub corpus: Option<PathBuf>,
    /// Do not run the draft on the regression recordings.
    pub skip_recordings: bool,
}

/// How much a finding matters; `--fail-on` compares against it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum FindingSeverity {
    #[default]
    Info,
    Low,
    Medium,
    High,
}

impl FindingSeverity {
    pub fn parse(s: &str) -> Option<FindingSeverity> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "info" => FindingSeverity::Info,
            "low" => FindingSeverity::Low,
            "medium" => FindingSeverity::Medium,
            "high" => FindingSeverity::High,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FindingSeverity::Info => "info",
            FindingSeverity::Low => "low",
            FindingSeverity::Medium => "medium",
            FindingSeverity::High => "high",
        }
    }
}

/// One finding: severity, what kind, for which technique, and a one-line reason.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub severity: FindingSeverity,
    /// `parse`, `technique`, `coverage`, `noisy-indicator`, `missing-exclusion`, `duplicate`,
    /// `recordings`.
    pub kind: String,
    pub technique: Option<String>,
    pub reason: String,
}

/// The whole review.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReviewReport {
    pub format: Option<DraftFormat>,
    pub vendor: Option<String>,
    pub title: Option<String>,
    pub parse_status: Option<String>,
    pub diagnostics: Vec<DraftDiagnostic>,
    /// Events the draft needs (`provider:event_id`).
    pub events: Vec<String>,
    /// Canonical fields the draft filters on.
    pub fields: Vec<String>,
    pub selectors: Vec<TripleKey>,
    /// The draft's indicators, most common in the catalog first.
    pub indicators: Vec<NoisyIndicator>,
    pub exclusions: Vec<TripleKey>,
    pub techniques: Vec<TechniqueReview>,
    /// Nearest rules across all vendors and techniques.
    pub nearest: Vec<SimilarRule>,
    pub findings: Vec<Finding>,
    /// The regression recordings the draft fires on (events read from the corpus).
    pub recordings: RecordingsReview,
    /// Active rules in the catalog (the reach denominator).
    pub catalog_rules: u32,
}

impl ReviewReport {
    /// The most severe finding, if any.
    pub fn worst(&self) -> Option<FindingSeverity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// A draft indicator with its corpus reach.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoisyIndicator {
    pub field: String,
    pub operator: String,
    pub value: String,
    /// Active rules of the catalog (any technique) with this indicator.
    pub reach: u32,
    /// Reach at or above [`common_threshold`].
    pub common: bool,
    /// The only indicator of some AND branch of the draft.
    pub alone: bool,
}

/// The review against one technique.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TechniqueReview {
    pub id: String,
    pub name: String,
    /// Set when the draft's tag was revoked and this is its replacement.
    pub tagged_as: Option<String>,
    /// Active rules of the technique in the catalog.
    pub rules: usize,
    pub events: Vec<CoverRow>,
    /// Events the draft needs that no rule of the technique needs.
    pub draft_only_events: Vec<String>,
    pub fields: Vec<CoverRow>,
    /// Rules of the technique sharing at least one indicator with the draft.
    pub overlapping_rules: usize,
    pub missing_exclusions: Vec<MissingExclusion>,
    pub nearest: Vec<SimilarRule>,
}

/// An event or field of the technique: how many of its rules use it; does the draft?
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CoverRow {
    pub key: String,
    pub rules: usize,
    pub in_draft: bool,
}

/// An exclusion rules with overlapping indicators add and the draft lacks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MissingExclusion {
    pub field: String,
    pub operator: String,
    pub value: String,
    /// Overlapping rules of the technique adding it.
    pub rules: usize,
    pub rule_ids: Vec<String>,
}

/// An info finding naming the recordings the draft fires on: a draft that fires on the
/// recording of another technique's rule may be broader than meant.
fn recording_findings(r: &RecordingsReview, findings: &mut Vec<Finding>) {
    let Some(first) = r.hits.first() else {
        return;
    };
    let more = if r.fired > 1 {
        format!(" and {} more", r.fired - 1)
    } else {
        String::new()
    };
    findings.push(Finding {
        severity: FindingSeverity::Info,
        kind: "recordings".to_owned(),
        technique: None,
        reason: format!(
            "fires on {} of {} regression recordings: {} ({}){more}",
            r.fired, r.ran, first.title, first.path
        ),
    });
}

/// Reach from which an indicator counts as common: 1% of active rules, at least 10.
pub fn common_threshold(active: u32) -> u32 {
    (active / 100).max(10)
}

/// Reviews `draft` (the bytes of a rule file or a bare query) against `catalog`.
pub fn review(
    catalog: &Catalog,
    draft: &[u8],
    options: &ReviewOptions,
) -> Result<ReviewReport, CatalogError> {
    let reader = |vendor| draft_reader(vendor, catalog, options.corpus.as_deref());
    let parsed = parse_draft(draft, options.language, &reader);
    let index = catalog.similarity()?;
    let mut report = ReviewReport {
        format: parsed.format,
        vendor: None,
        title: None,
        parse_status: None,
        diagnostics: parsed.diagnostics,
        events: Vec::new(),
        fields: Vec::new(),
        selectors: Vec::new(),
        indicators: Vec::new(),
        exclusions: Vec::new(),
        techniques: Vec::new(),
        nearest: Vec::new(),
        findings: Vec::new(),
        recordings: RecordingsReview::default(),
        catalog_rules: index.active_rules(),
    };
    report.findings = report.diagnostics.iter().map(parse_finding).collect();
    let Some(rule) = parsed.rule else {
        return Ok(report);
    };
    report.vendor = Some(rule.vendor.as_str().to_owned());
    report.title = Some(rule.title.clone());
    report.parse_status = Some(rule.status().as_str().to_owned());
    if rule.status() == detcat_model::ParseStatus::Failed {
        // Nothing was understood: the diagnostics are the whole report.
        return Ok(report);
    }
    let lone = lone::lone_indicators(&rule);
    let analyzed = analyze_one(rule);
    report.recordings = if options.skip_recordings {
        RecordingsReview {
            note: "not run (--no-recordings)".to_owned(),
            ..RecordingsReview::default()
        }
    } else {
        let origin = match &options.corpus {
            Some(d) => d.display().to_string(),
            None => catalog.meta("corpus").ok().flatten().unwrap_or_default(),
        };
        recordings::review(&analyzed, recordings::regression_dir(&origin).as_deref())
    };
    recording_findings(&report.recordings, &mut report.findings);

    let probe = probe_of(&analyzed);
    report.events = probe.events.iter().cloned().collect();
    let fields: BTreeSet<&str> = probe
        .indicators
        .iter()
        .chain(&probe.exclusions)
        .map(|k| k.field.as_str())
        .collect();
    report.fields = fields.iter().map(|f| (*f).to_owned()).collect();
    report.selectors = probe.selectors.iter().cloned().collect();
    report.exclusions = probe.exclusions.iter().cloned().collect();

    noisy_indicators(&index, &probe, &lone, &mut report);

    report.nearest = index.similar(&probe, &Filter::default(), NEAREST);
    duplicate_findings(&report.nearest.clone(), None, &mut report.findings);

    let tagged: Vec<String> = if options.techniques.is_empty() {
        analyzed
            .techniques
            .iter()
            .map(|(id, _)| id.clone())
            .collect()
    } else {
        options
            .techniques
            .iter()
            .map(|t| t.trim().to_ascii_uppercase())
            .collect()
    };
    if tagged.is_empty() {
        report.findings.push(Finding {
            severity: FindingSeverity::Low,
            kind: "technique".to_owned(),
            technique: None,
            reason: "the draft names no ATT&CK technique: tag it (or pass --technique) to compare \
                     it with the technique's rules"
                .to_owned(),
        });
    }
    review_techniques(catalog, &index, &probe, tagged, &mut report)?;
    report
        .findings
        .sort_by_key(|f| std::cmp::Reverse(f.severity));
    Ok(report)
}

/// A parse diagnostic of the draft as a finding.
fn parse_finding(d: &DraftDiagnostic) -> Finding {
    let severity = match d.severity.as_str() {
        "error" => FindingSeverity::High,
        "warning" => FindingSeverity::Low,
        _ => FindingSeverity::Info,
    };
    let at = match (d.line, d.column) {
        (Some(l), Some(c)) => format!("{l}:{c}: "),
        _ => String::new(),
    };
    Finding {
        severity,
        kind: "parse".to_owned(),
        technique: None,
        reason: format!("{at}{} ({})", d.message, d.code),
    }
}

/// What the similarity index is asked about the draft: its triples by role and its events.
fn probe_of(analyzed: &crate::ingest::AnalyzedRule) -> Probe {
    let mut probe = Probe::default();
    for t in &analyzed.triples {
        let key = TripleKey {
            field: t.field.clone(),
            operator: t.operator.to_string(),
            value: t.value.clone(),
        };
        match t.role {
            Role::Indicator => probe.indicators.insert(key),
            Role::Exclusion => probe.exclusions.insert(key),
            Role::Selector => probe.selectors.insert(key),
            Role::Other => false,
        };
    }
    probe.events = analyzed
        .events
        .iter()
        .map(|e| format!("{}:{}", e.provider, e.event_id))
        .collect();
    probe
}

/// The per-technique review of each tagged technique (revoked ones under their
/// replacement, each once), with findings for unknown and revoked tags.
fn review_techniques(
    catalog: &Catalog,
    index: &SimilarityIndex,
    probe: &Probe,
    tagged: Vec<String>,
    report: &mut ReviewReport,
) -> Result<(), CatalogError> {
    let mut seen = BTreeSet::new();
    for tag in tagged {
        let Some((id, name, redirected)) = resolve_technique(catalog, &tag)? else {
            report.findings.push(Finding {
                severity: FindingSeverity::Medium,
                kind: "technique".to_owned(),
                technique: Some(tag.clone()),
                reason: format!("{tag} is no ATT&CK technique of this catalog"),
            });
            continue;
        };
        if !seen.insert(id.clone()) {
            continue;
        }
        if redirected {
            report.findings.push(Finding {
                severity: FindingSeverity::Low,
                kind: "technique".to_owned(),
                technique: Some(id.clone()),
                reason: format!("{tag} is revoked; reviewed against its replacement {id}"),
            });
        }
        let t = technique_review(index, probe, &id, name, redirected.then_some(tag));
        technique_findings(&t, &mut report.findings);
        report.techniques.push(t);
    }
    Ok(())
}

fn noisy_indicators(
    index: &SimilarityIndex,
    probe: &Probe,
    lone: &BTreeSet<TripleKey>,
    report: &mut ReviewReport,
) {
    let threshold = common_threshold(index.active_rules());
    let mut rows: Vec<NoisyIndicator> = probe
        .indicators
        .iter()
        .map(|k| {
            let reach = index.reach(Role::Indicator, k);
            NoisyIndicator {
                field: k.field.clone(),
                operator: k.operator.clone(),
                value: k.value.clone(),
                reach,
                common: reach >= threshold,
                alone: lone.contains(k),
            }
        })
        .collect();
    rows.sort_by(|a, b| b.reach.cmp(&a.reach).then_with(|| a.field.cmp(&b.field)));
    for r in rows.iter().filter(|r| r.common) {
        let (severity, reason) = if r.alone {
            (
                FindingSeverity::Medium,
                format!(
                    "`{} {} {}` is common ({} of {} rules) and stands alone in an AND branch: that branch fires on every such event",
                    r.field,
                    r.operator,
                    r.value,
                    r.reach,
                    index.active_rules()
                ),
            )
        } else {
            (
                FindingSeverity::Info,
                format!(
                    "`{} {} {}` is common ({} of {} rules); other conditions narrow it",
                    r.field,
                    r.operator,
                    r.value,
                    r.reach,
                    index.active_rules()
                ),
            )
        };
        report.findings.push(Finding {
            severity,
            kind: "noisy-indicator".to_owned(),
            technique: None,
            reason,
        });
    }
    report.indicators = rows;
}

/// The technique id to review against: the id itself, or a revoked id's replacement.
fn resolve_technique(
    catalog: &Catalog,
    tag: &str,
) -> Result<Option<(String, String, bool)>, CatalogError> {
    use rusqlite::OptionalExtension;
    let row: Option<(String, bool, Option<String>)> = catalog
        .connection()
        .prepare_cached("SELECT name, revoked, revoked_by FROM techniques WHERE id = ?1")?
        .query_row([tag], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    Ok(match row {
        None => None,
        Some((_, true, Some(by))) => {
            let name = catalog.technique_ref(&by)?.name;
            Some((by, name, true))
        }
        Some((name, _, _)) => Some((tag.to_owned(), name, false)),
    })
}

fn technique_review(
    index: &SimilarityIndex,
    probe: &Probe,
    id: &str,
    name: String,
    tagged_as: Option<String>,
) -> TechniqueReview {
    let members: Vec<usize> = index
        .rules()
        .iter()
        .enumerate()
        .filter(|(_, r)| r.active && r.techniques.iter().any(|t| t == id))
        .map(|(i, _)| i)
        .collect();
    let resolved = index.resolve(probe);
    let mut events: HashMap<String, usize> = HashMap::new();
    let mut fields: HashMap<String, usize> = HashMap::new();
    let mut exclusions: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    let mut overlapping = 0;
    for &i in &members {
        let rule = &index.rules()[i];
        for &e in rule.events() {
            *events.entry(index.event_key(e).to_owned()).or_default() += 1;
        }
        let rule_fields: BTreeSet<&str> = rule.fields(index).collect();
        for f in rule_fields {
            *fields.entry(f.to_owned()).or_default() += 1;
        }
        if rule.shares_indicator(&resolved) {
            overlapping += 1;
            for x in rule.exclusions_not_in(&resolved) {
                exclusions.entry(x).or_default().push(i);
            }
        }
    }
    let rows = |counts: HashMap<String, usize>, has: &dyn Fn(&str) -> bool| {
        let mut rows: Vec<CoverRow> = counts
            .into_iter()
            .map(|(key, rules)| CoverRow {
                in_draft: has(&key),
                key,
                rules,
            })
            .collect();
        rows.sort_by(|a, b| b.rules.cmp(&a.rules).then_with(|| a.key.cmp(&b.key)));
        rows.truncate(COVERAGE_ROWS);
        rows
    };
    let draft_only_events = probe
        .events
        .iter()
        .filter(|e| !events.contains_key(*e))
        .cloned()
        .collect();
    let draft_fields: BTreeSet<&str> = probe
        .indicators
        .iter()
        .chain(&probe.exclusions)
        .map(|k| k.field.as_str())
        .collect();
    let mut missing: Vec<MissingExclusion> = exclusions
        .into_iter()
        .map(|(t, rules)| (index.triple_key(t), rules))
        .map(|(k, rules)| MissingExclusion {
            rules: rules.len(),
            rule_ids: rules
                .iter()
                .take(MISSING_RULE_IDS)
                .map(|&i| {
                    let r = &index.rules()[i];
                    format!("{}/{}", r.vendor, r.id)
                })
                .collect(),
            field: k.field,
            operator: k.operator,
            value: k.value,
        })
        .collect();
    missing.sort_by(|a, b| b.rules.cmp(&a.rules).then_with(|| a.field.cmp(&b.field)));
    missing.truncate(MISSING_ROWS);
    let filter = Filter {
        technique: Some(id.to_owned()),
        ..Filter::default()
    };
    TechniqueReview {
        id: id.to_owned(),
        name,
        tagged_as,
        rules: members.len(),
        events: rows(events, &|k| probe.events.contains(k)),
        draft_only_events,
        fields: rows(fields, &|k| draft_fields.contains(k)),
        overlapping_rules: overlapping,
        missing_exclusions: missing,
        nearest: index.similar(probe, &filter, NEAREST),
    }
}

fn technique_findings(t: &TechniqueReview, findings: &mut Vec<Finding>) {
    let mut push = |severity, kind: &str, reason: String| {
        findings.push(Finding {
            severity,
            kind: kind.to_owned(),
            technique: Some(t.id.clone()),
            reason,
        });
    };
    if t.rules == 0 {
        push(
            FindingSeverity::Info,
            "coverage",
            format!(
                "{} has no rule in the catalog yet: nothing to compare with",
                t.id
            ),
        );
        return;
    }
    if !t.draft_only_events.is_empty() {
        push(
            FindingSeverity::Low,
            "coverage",
            format!(
                "the draft reads {} which no rule of {} reads: check the telemetry",
                t.draft_only_events.join(", "),
                t.id
            ),
        );
    }
    let missing_fields: Vec<&str> = t
        .fields
        .iter()
        .filter(|f| !f.in_draft && f.rules * 4 >= t.rules)
        .take(3)
        .map(|f| f.key.as_str())
        .collect();
    if !missing_fields.is_empty() {
        push(
            FindingSeverity::Info,
            "coverage",
            format!(
                "fields most rules of {} filter on and the draft does not: {}",
                t.id,
                missing_fields.join(", ")
            ),
        );
    }
    for m in t.missing_exclusions.iter().filter(|m| m.rules >= 2) {
        let severity = if m.rules >= 3 {
            FindingSeverity::Medium
        } else {
            FindingSeverity::Low
        };
        push(
            severity,
            "missing-exclusion",
            format!(
                "{} of {} rules with overlapping indicators exclude `{} {} {}` (e.g. {}); the draft does not",
                m.rules,
                t.overlapping_rules,
                m.field,
                m.operator,
                m.value,
                m.rule_ids.first().map_or("", String::as_str)
            ),
        );
    }
    duplicate_findings(&t.nearest, Some(&t.id), findings);
}

fn duplicate_findings(nearest: &[SimilarRule], technique: Option<&str>, out: &mut Vec<Finding>) {
    for n in nearest {
        let (severity, what) = match n.subsumption.as_deref() {
            Some("same") => (FindingSeverity::Medium, "checks the same indicators as"),
            Some("included") => (FindingSeverity::Low, "checks a subset of the indicators of"),
            _ => continue,
        };
        let reason = format!(
            "the draft {what} {}/{} ({}), under the same selectors",
            n.vendor, n.id, n.title
        );
        if out.iter().any(|f| f.reason == reason) {
            continue;
        }
        out.push(Finding {
            severity,
            kind: "duplicate".to_owned(),
            technique: technique.map(str::to_owned),
            reason,
        });
    }
}

/// The draft reader of `vendor` over the companion files of `corpus`, else of the directory
/// the catalog was built from, else of the embedded demo; without companions when neither is
/// there (a draft's macros then stay unexpanded, with diagnostics). Built once per vendor,
/// directory and process (companion files do not change while a catalog is served).
fn draft_reader(
    vendor: Vendor,
    catalog: &Catalog,
    corpus: Option<&std::path::Path>,
) -> Arc<dyn DraftReader> {
    type Readers = HashMap<(Vendor, String), Arc<dyn DraftReader>>;
    static READERS: OnceLock<Mutex<Readers>> = OnceLock::new();
    let origin = match corpus {
        Some(d) => d.display().to_string(),
        None => catalog.meta("corpus").ok().flatten().unwrap_or_default(),
    };
    let readers = READERS.get_or_init(Default::default);
    let key = (vendor, origin);
    if let Some(r) = readers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&key)
    {
        return Arc::clone(r);
    }
    let reader: Arc<dyn DraftReader> =
        Arc::from(vendors::parser(vendor).draft_reader(&companions(vendor, &key.1)));
    readers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, Arc::clone(&reader));
    reader
}

/// The files below the vendor's draft companion folders in the corpus at `origin` (the
/// embedded demo's when `origin` names it; none when `origin` is empty).
fn companions(vendor: Vendor, origin: &str) -> Vec<SourceFile> {
    let folder = vendor.info().discovery.folder;
    let subs = vendors::parser(vendor).draft_companions();
    let below = |path: &str| {
        subs.iter().any(|sub| {
            path.strip_prefix(folder)
                .and_then(|p| p.strip_prefix('/'))
                .and_then(|p| p.strip_prefix(sub))
                .is_some_and(|p| p.starts_with('/'))
        })
    };
    if subs.is_empty() || origin.is_empty() {
        return Vec::new();
    }
    if origin == "demo (embedded)" {
        return crate::Corpus::demo()
            .files(vendor)
            .iter()
            .filter(|f| below(&f.path))
            .cloned()
            .collect();
    }
    let dir = PathBuf::from(origin);
    let mut files = Vec::new();
    for sub in subs {
        let root = dir.join(folder).join(sub);
        for entry in walkdir::WalkDir::new(&root)
            .max_depth(2)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
        {
            let Ok(rel) = entry.path().strip_prefix(&dir) else {
                continue;
            };
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let path = rel.to_string_lossy().replace('\\', "/");
            files.push(SourceFile::new(path, text));
        }
    }
    files
}

#[cfg(test)]
mod tests;

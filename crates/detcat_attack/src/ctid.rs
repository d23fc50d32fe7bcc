//! The Center for Threat-Informed Defense's *Top ATT&CK Techniques* scores, joined with the
//! loaded ATT&CK release.
//!
//! The CTID data (`ctid/top-attack-techniques.json`, a JSON array with one object per technique)
//! gives each technique a prevalence score (how often it is seen in the wild), a choke-point
//! score (how many other techniques it enables or follows), an actionability score (how well
//! mitigations and detections exist for it) and their sum, the cumulative score. It was scored
//! against an older ATT&CK release, so ids are mapped through the loaded knowledge base: a
//! revoked id is carried to its replacement, a renamed technique (same id, new name) is counted,
//! and a technique newer than the data has *no* score — never a zero.
//!
//! ```
//! use detcat_attack::{KnowledgeBase, ctid};
//!
//! let bundle = br#"{"type": "bundle", "id": "bundle--0", "objects": [
//!   {"type": "attack-pattern", "id": "attack-pattern--1", "name": "Command Interpreter",
//!    "external_references": [{"source_name": "mitre-attack", "external_id": "T1059"}]}]}"#;
//! let (kb, _) = KnowledgeBase::load(&[("attack/enterprise-attack-18.1.json", bundle)]);
//! let data = br#"[{"tid": "T1059", "name": "Command Interpreter", "cumulative_score": 2.5,
//!   "prevalence_score": 1, "choke_point_score": 1,
//!   "actionability_score": {"combined_score": 0.5}}]"#;
//! let (records, diagnostics) = ctid::load("ctid/top-attack-techniques.json", data);
//! assert!(diagnostics.is_empty());
//! let mapping = kb.map_ctid(&records, "ctid/top-attack-techniques.json");
//! assert_eq!(mapping.scores["T1059"].rank, 1);
//! assert_eq!(mapping.counts.scored, 1);
//! ```

use std::collections::BTreeMap;

use detcat_model::{Diagnostic, Span};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::bundle::{error_offset, span_of};
use crate::{KnowledgeBase, TechniqueCheck};

/// One technique as the CTID data scores it, ranked among all valid records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CtidRecord {
    /// The id as the CTID data writes it (`T1059.001`).
    pub tid: String,
    /// The name the CTID data gives (the ATT&CK name of its release).
    pub name: String,
    /// Prevalence in CTID's sightings data, 0–1; `None` when the record has none.
    pub prevalence: Option<f64>,
    /// Choke-point score, 0–1.
    pub choke_point: Option<f64>,
    /// Actionability (mitigations and detections combined), 0–1; `None` when CTID left it out.
    pub actionability: Option<f64>,
    /// CTID's cumulative score (the sum the ranking uses).
    pub cumulative: f64,
    /// 1-based position when all valid records are ordered by cumulative score, highest first
    /// (ties by id, so the order is total and reproducible).
    pub rank: usize,
    /// The object's byte range in the file.
    #[serde(skip)]
    pub span: Option<Span>,
}

/// The score a technique of the loaded ATT&CK release carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CtidScore {
    pub prevalence: Option<f64>,
    pub choke_point: Option<f64>,
    pub actionability: Option<f64>,
    pub cumulative: f64,
    /// Rank among all scored records (`rank` of `ranked`).
    pub rank: usize,
    pub ranked: usize,
    /// The CTID id the score comes from (differs from the technique's id when revoked).
    pub scored_as: String,
    /// The CTID name, when it differs from the loaded ATT&CK name (a renamed technique).
    pub renamed_from: Option<String>,
    /// Revoked CTID ids whose score was carried here but lost to a higher one.
    pub merged: Vec<String>,
}

/// How the CTID records met the loaded ATT&CK release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtidCounts {
    /// Valid records read.
    pub records: usize,
    /// Techniques of the loaded release that carry a score.
    pub scored: usize,
    /// Records whose id is still a technique under the same name.
    pub direct: usize,
    /// Same id, new name in the loaded release.
    pub renamed: usize,
    /// Records of revoked ids, carried to their replacement.
    pub mapped_from_revoked: usize,
    /// Records of ids the loaded release deprecates (kept on the deprecated technique).
    pub deprecated: usize,
    /// Records that could not be placed (unknown id, revoked without replacement).
    pub unplaced: usize,
    /// Active Enterprise techniques of the loaded release with no score (newer than the data).
    pub unscored: usize,
}

/// CTID scores keyed by the loaded release's technique ids.
#[derive(Debug, Clone, Default)]
pub struct CtidMapping {
    pub scores: BTreeMap<String, CtidScore>,
    pub counts: CtidCounts,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Deserialize)]
struct RawRecord {
    tid: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    cumulative_score: Option<f64>,
    #[serde(default)]
    prevalence_score: Option<f64>,
    #[serde(default)]
    choke_point_score: Option<f64>,
    #[serde(default)]
    actionability_score: Option<RawActionability>,
}

#[derive(Deserialize)]
struct RawActionability {
    #[serde(default)]
    combined_score: Option<f64>,
}

/// Reads the CTID file. Never panics: a file that is not a JSON array yields nothing and one
/// diagnostic; a bad record (wrong types, no cumulative score, a negative score) is skipped
/// with a diagnostic pointing at it, and the rest is kept.
pub fn load(path: &str, bytes: &[u8]) -> (Vec<CtidRecord>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            diags.push(diag::invalid_file(path, at, "not UTF-8 text"));
            return (Vec::new(), diags);
        }
    };
    let raws: Vec<&RawValue> = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let at = error_offset(text, &e);
            diags.push(diag::invalid_file(path, at, &e.to_string()));
            return (Vec::new(), diags);
        }
    };
    let mut records = Vec::new();
    for raw in raws {
        let span = span_of(text, raw);
        match serde_json::from_str::<RawRecord>(raw.get()) {
            Ok(r) => match record(r, span) {
                Ok(rec) => records.push(rec),
                Err(why) => diags.push(diag::invalid_record(path, span, &why)),
            },
            Err(e) => diags.push(diag::invalid_record(path, span, &e.to_string())),
        }
    }
    rank(&mut records);
    (records, diags)
}

fn record(r: RawRecord, span: Span) -> Result<CtidRecord, String> {
    let tid = r.tid.trim().to_ascii_uppercase();
    if !is_technique_id(&tid) {
        return Err(format!("'{}' is not an ATT&CK technique id", r.tid));
    }
    let Some(cumulative) = r.cumulative_score else {
        return Err(format!("{tid} has no cumulative_score"));
    };
    let actionability = r.actionability_score.and_then(|a| a.combined_score);
    let parts = [
        ("cumulative_score", Some(cumulative)),
        ("prevalence_score", r.prevalence_score),
        ("choke_point_score", r.choke_point_score),
        ("actionability_score.combined_score", actionability),
    ];
    if let Some((what, Some(v))) = parts.iter().find(|(_, v)| v.is_some_and(|v| v < 0.0)) {
        return Err(format!("{tid} has a negative {what} ({v})"));
    }
    Ok(CtidRecord {
        name: r.name.unwrap_or_default(),
        prevalence: r.prevalence_score,
        choke_point: r.choke_point_score,
        actionability,
        cumulative,
        rank: 0,
        span: Some(span),
        tid,
    })
}

/// `T1234` or `T1234.567`.
fn is_technique_id(id: &str) -> bool {
    let (main, sub) = match id.split_once('.') {
        Some((m, s)) => (m, Some(s)),
        None => (id, None),
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    main.strip_prefix('T').is_some_and(|d| digits(d, 4)) && sub.is_none_or(|s| digits(s, 3))
}

/// Orders by cumulative score, highest first, ties by id; sets `rank`. A later record of an
/// id already read is dropped (the first wins), so every id has one rank.
fn rank(records: &mut Vec<CtidRecord>) {
    let mut seen = std::collections::HashSet::new();
    records.retain(|r| seen.insert(r.tid.clone()));
    records.sort_by(|a, b| {
        b.cumulative
            .total_cmp(&a.cumulative)
            .then_with(|| a.tid.cmp(&b.tid))
    });
    for (i, r) in records.iter_mut().enumerate() {
        r.rank = i + 1;
    }
}

impl KnowledgeBase {
    /// Places CTID records on the loaded release's techniques. When several records land on
    /// one technique (a revoked id merged into a surviving one), the higher score is kept: the
    /// merged technique covers both behaviours, and the threat of either is its threat.
    pub fn map_ctid(&self, records: &[CtidRecord], path: &str) -> CtidMapping {
        let mut out = CtidMapping::default();
        out.counts.records = records.len();
        let ranked = records.len();
        // Records arrive best rank first, so the first to land on a technique keeps it.
        for r in records {
            let target = match self.check_technique(&r.tid) {
                TechniqueCheck::Ok => r.tid.clone(),
                TechniqueCheck::Deprecated => {
                    out.counts.deprecated += 1;
                    r.tid.clone()
                }
                TechniqueCheck::Revoked {
                    replacement: Some(new),
                } => {
                    out.counts.mapped_from_revoked += 1;
                    out.diagnostics.push(diag::revoked(path, r, &new));
                    new
                }
                TechniqueCheck::Revoked { replacement: None } | TechniqueCheck::Unknown => {
                    out.counts.unplaced += 1;
                    out.diagnostics.push(diag::unplaced(path, r));
                    continue;
                }
            };
            let current_name = self.technique(&target).map(|t| t.name.as_str());
            let renamed = (r.tid == target
                && current_name.is_some_and(|n| !n.eq_ignore_ascii_case(&r.name))
                && !r.name.is_empty())
            .then(|| r.name.clone());
            if r.tid == target {
                if renamed.is_some() {
                    out.counts.renamed += 1;
                } else {
                    out.counts.direct += 1;
                }
            }
            match out.scores.get_mut(&target) {
                Some(kept) => kept.merged.push(r.tid.clone()),
                None => {
                    out.scores.insert(
                        target,
                        CtidScore {
                            prevalence: r.prevalence,
                            choke_point: r.choke_point,
                            actionability: r.actionability,
                            cumulative: r.cumulative,
                            rank: r.rank,
                            ranked,
                            scored_as: r.tid.clone(),
                            renamed_from: renamed,
                            merged: Vec::new(),
                        },
                    );
                }
            }
        }
        out.counts.scored = out.scores.len();
        out.counts.unscored = self
            .techniques()
            .filter(|t| {
                t.meta.is_active() && t.meta.domains.iter().any(|d| d == "enterprise-attack")
            })
            .filter(|t| !out.scores.contains_key(&t.id))
            .count();
        out
    }
}

mod diag {
    use super::*;

    pub(super) fn invalid_file(path: &str, at: usize, why: &str) -> Diagnostic {
        Diagnostic::error(
            "ctid::invalid-file",
            format!("not a CTID Top ATT&CK Techniques array ({why}); no technique is scored"),
            path,
            Some(Span::new(at, at)),
        )
    }

    pub(super) fn invalid_record(path: &str, span: Span, why: &str) -> Diagnostic {
        Diagnostic::warning(
            "ctid::invalid-record",
            format!("skipped a record: {why}"),
            path,
            Some(span),
        )
    }

    pub(super) fn revoked(path: &str, r: &CtidRecord, new: &str) -> Diagnostic {
        Diagnostic::info(
            "ctid::revoked-technique",
            format!(
                "{} ({}) is revoked in the loaded ATT&CK; its score (cumulative {:.3}, rank {}) is mapped to its replacement {new} (when several records land there, the highest is used)",
                r.tid, r.name, r.cumulative, r.rank
            ),
            path,
            r.span,
        )
    }

    pub(super) fn unplaced(path: &str, r: &CtidRecord) -> Diagnostic {
        Diagnostic::warning(
            "ctid::unplaced-technique",
            format!(
                "{} ({}) is no active technique of the loaded ATT&CK and has no replacement; its score is not used",
                r.tid, r.name
            ),
            path,
            r.span,
        )
    }
}

#[cfg(test)]
#[path = "ctid_tests.rs"]
mod tests;

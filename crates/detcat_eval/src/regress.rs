//! The Sigma regression oracle: `regression_data/**/info.yml` names a rule and how many events
//! of its recording it must match; the recording is there as `.evtx` and as `.json`.
//!
//! A test *passes* when the rule fires exactly `match_count` times (at least once when the
//! count is not stated) on both forms. Every recording is also run against every other rule,
//! so each result lists the other vendors' rules that fire on the same attack.

use std::path::{Path, PathBuf};

use detcat_model::Vendor;
use detcat_yaml::{Limits, Node};
use rayon::prelude::*;
use serde::Serialize;

use crate::diagnostics::RegressError;
use crate::engine::{Engine, RuleHits};
use crate::read::{Format, ReadDiagnostic, read_path};

/// One `info.yml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegressionTest {
    /// Directory of the test, relative to the walked root.
    pub path: String,
    pub rule_id: String,
    pub title: String,
    /// `match_count`; `None` when the test does not state it.
    pub expected: Option<u64>,
    pub evtx: Option<PathBuf>,
    pub json: Option<PathBuf>,
}

/// A rule of any vendor that fires on a recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Firing {
    pub vendor: Vendor,
    pub id: String,
    pub title: String,
    /// Events it fired on (alerts for stateful rules).
    pub events: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    /// The test could not run: its rule is not in the rule set, or no recording was readable.
    Error,
}

/// The outcome of one regression test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegressResult {
    pub rule_id: String,
    pub title: String,
    pub path: String,
    pub expected: Option<u64>,
    /// Matches on the JSON form (the EVTX form when there is no JSON).
    pub got: Option<u64>,
    pub got_evtx: Option<u64>,
    pub got_json: Option<u64>,
    pub status: Status,
    /// Why it failed or errored, in one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// Events of the recording.
    pub events: usize,
    /// Other Sigma rules that fire on the recording.
    pub also_sigma: Vec<Firing>,
    /// Rules of the other vendors that fire on the recording.
    pub cross_vendor: Vec<Firing>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostics: Vec<ReadDiagnostic>,
}

/// `detcat regress`: counts and every result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegressReport {
    pub tests: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub results: Vec<RegressResult>,
}

/// Finds every `info.yml` under `root`; unreadable ones are reported as diagnostics.
///
/// # Errors
/// When `root` is no directory.
pub fn discover(root: &Path) -> Result<(Vec<RegressionTest>, Vec<ReadDiagnostic>), RegressError> {
    if !root.is_dir() {
        return Err(RegressError::NoDirectory {
            path: root.display().to_string(),
        });
    }
    let mut tests = Vec::new();
    let mut diags = Vec::new();
    let mut infos: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name() == "info.yml")
        .map(|e| e.into_path())
        .collect();
    infos.sort();
    for info in infos {
        match read_info(root, &info) {
            Ok(t) => tests.push(t),
            Err(message) => diags.push(ReadDiagnostic {
                code: "eval::regress-info",
                file: info.display().to_string(),
                record: None,
                line: None,
                column: None,
                message,
            }),
        }
    }
    Ok((tests, diags))
}

fn read_info(root: &Path, info: &Path) -> Result<RegressionTest, String> {
    let text = std::fs::read_to_string(info).map_err(|e| e.to_string())?;
    let docs =
        detcat_yaml::parse_documents(&text, &Limits::default()).map_err(|e| e.to_string())?;
    let doc = docs.first().ok_or("empty info.yml")?;
    let meta = doc
        .get("rule_metadata")
        .and_then(Node::as_seq)
        .and_then(<[Node]>::first)
        .ok_or("no rule_metadata")?;
    let field = |n: &Node, k: &str| n.get(k).and_then(Node::scalar_text);
    let rule_id = field(meta, "id").ok_or("rule_metadata without an id")?;
    let title = field(meta, "title").unwrap_or_default();
    let expected = doc
        .get("regression_tests_info")
        .and_then(Node::as_seq)
        .and_then(|s| s.iter().find_map(|t| field(t, "match_count")))
        .and_then(|c| c.trim().parse().ok());
    let dir = info.parent().ok_or("info.yml without a directory")?;
    let mut evtx = None;
    let mut json = None;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        match p.extension().and_then(|e| e.to_str()) {
            Some("evtx") if evtx.is_none() => evtx = Some(p),
            Some("json") if json.is_none() => json = Some(p),
            _ => {}
        }
    }
    let path = dir.strip_prefix(root).unwrap_or(dir).display().to_string();
    Ok(RegressionTest {
        path,
        rule_id,
        title,
        expected,
        evtx,
        json,
    })
}

/// Runs every test (in parallel) against `engine`'s rules.
pub fn run(engine: &Engine, tests: &[RegressionTest]) -> RegressReport {
    let results: Vec<RegressResult> = tests.par_iter().map(|t| run_one(engine, t)).collect();
    let count = |s: Status| results.iter().filter(|r| r.status == s).count();
    RegressReport {
        tests: results.len(),
        passed: count(Status::Passed),
        failed: count(Status::Failed),
        errors: count(Status::Error),
        results,
    }
}

/// One recording form: its events and every rule's hits.
struct FormRun {
    events: usize,
    hits: Vec<RuleHits>,
}

fn run_form(engine: &Engine, path: &Path, diags: &mut Vec<ReadDiagnostic>) -> Option<FormRun> {
    match read_path(path, Format::Auto) {
        Ok(out) => {
            diags.extend(out.diagnostics);
            let hits = engine.run(&out.events, &|_| true);
            Some(FormRun {
                events: out.events.len(),
                hits,
            })
        }
        Err(e) => {
            diags.push(ReadDiagnostic {
                code: "eval::io",
                file: path.display().to_string(),
                record: None,
                line: None,
                column: None,
                message: e.to_string(),
            });
            None
        }
    }
}

fn run_one(engine: &Engine, t: &RegressionTest) -> RegressResult {
    let mut diags = Vec::new();
    let rule = engine.find(Vendor::Sigma, &t.rule_id);
    let evtx = t
        .evtx
        .as_deref()
        .and_then(|p| run_form(engine, p, &mut diags));
    let json = t
        .json
        .as_deref()
        .and_then(|p| run_form(engine, p, &mut diags));
    let count = |f: &Option<FormRun>| {
        f.as_ref().map(|f| {
            rule.and_then(|r| f.hits.iter().find(|h| h.rule == r))
                .map_or(0, |h| h.fired.len() as u64)
        })
    };
    let (got_evtx, got_json) = (count(&evtx), count(&json));
    let got = got_json.or(got_evtx);
    let main = json.as_ref().or(evtx.as_ref());
    let (status, cause) = judge(engine, t, rule, main, got_evtx, got_json);
    let firing = |pick: &dyn Fn(Vendor) -> bool| -> Vec<Firing> {
        let mut out: Vec<Firing> = main
            .map(|f| f.hits.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|h| !h.fired.is_empty() && Some(h.rule) != rule)
            .filter_map(|h| engine.rules().get(h.rule).map(|r| (h, r)))
            .filter(|(_, r)| pick(r.rule.vendor))
            .map(|(h, r)| Firing {
                vendor: r.rule.vendor,
                id: r.rule.id.clone(),
                title: r.rule.title.clone(),
                events: h.fired.len(),
            })
            .collect();
        out.sort_by(|a, b| (a.vendor, &a.title).cmp(&(b.vendor, &b.title)));
        out
    };
    RegressResult {
        rule_id: t.rule_id.clone(),
        title: t.title.clone(),
        path: t.path.clone(),
        expected: t.expected,
        got,
        got_evtx,
        got_json,
        status,
        cause,
        events: main.map_or(0, |f| f.events),
        also_sigma: firing(&|v| v == Vendor::Sigma),
        cross_vendor: firing(&|v| v != Vendor::Sigma),
        diagnostics: diags,
    }
}

fn judge(
    engine: &Engine,
    t: &RegressionTest,
    rule: Option<usize>,
    main: Option<&FormRun>,
    got_evtx: Option<u64>,
    got_json: Option<u64>,
) -> (Status, Option<String>) {
    let Some(rule) = rule else {
        return (
            Status::Error,
            Some("the rule is not in the rule set".into()),
        );
    };
    if main.is_none() {
        return (
            Status::Error,
            Some("the test directory holds no readable recording".into()),
        );
    }
    let ok = |g: Option<u64>| match (g, t.expected) {
        (None, _) => true,
        (Some(g), Some(e)) => g == e,
        (Some(g), None) => g > 0,
    };
    if ok(got_evtx) && ok(got_json) {
        return (Status::Passed, None);
    }
    let hits = main.and_then(|f| f.hits.iter().find(|h| h.rule == rule));
    let compiled = engine.rules().get(rule);
    let cause = if let Some(reason) = hits.and_then(|h| h.not_evaluated.clone()) {
        format!("not evaluated: {reason}")
    } else if hits.is_some_and(|h| h.undetermined > 0) {
        let reasons = compiled
            .map(|c| c.unknown_reasons().join("; "))
            .unwrap_or_default();
        format!(
            "undetermined on {} events: {reasons}",
            hits.map_or(0, |h| h.undetermined)
        )
    } else if got_evtx != got_json && got_evtx.is_some() && got_json.is_some() {
        format!("evtx and json forms disagree: {got_evtx:?} vs {got_json:?}")
    } else {
        let got = got_json.or(got_evtx).unwrap_or(0);
        let expected = t.expected.map_or("at least 1".into(), |e| e.to_string());
        format!("{got} events of the recording match the rule; match_count says {expected}")
    };
    (Status::Failed, Some(cause))
}

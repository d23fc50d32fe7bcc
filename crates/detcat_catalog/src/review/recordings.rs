//! The regression recordings a draft fires on.
//!
//! The catalog keeps the recordings' results, not their events, so the events are read from
//! the corpus the catalog was built from (`sigma/regression_data`, or `--corpus`), once per
//! process: a server reviewing many drafts reads them once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use detcat_eval::read::{Format, read_path};
use detcat_eval::regress::{self, RegressionTest};
use detcat_eval::{Engine, EvalRule, Event};
use serde::{Deserialize, Serialize};

use crate::ingest::AnalyzedRule;

/// Where a corpus directory keeps its recordings.
const REGRESSION_DIR: &str = "sigma/regression_data";

/// Recordings listed in a review (the count says how many fired in all).
const LISTED: usize = 20;

/// What the recordings said about the draft.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RecordingsReview {
    /// Recordings the draft ran on, and their events.
    pub ran: usize,
    pub events: usize,
    /// How many recordings it fired on (the list keeps the first [`LISTED`]).
    pub fired: usize,
    pub hits: Vec<RecordingHit>,
    /// Why they were not run, or what could not be decided; empty when all went well.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// One recording the draft fired on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordingHit {
    /// Test directory, relative to `sigma/regression_data`.
    pub path: String,
    /// The Sigma rule the recording was made for, and its title.
    pub rule_id: String,
    pub title: String,
    /// Events the draft fired on (alerts for a stateful draft), of `events`.
    pub fired_on: usize,
    pub events: usize,
}

/// One recording's events, read once.
struct Recording {
    test: RegressionTest,
    events: Vec<Event>,
}

/// The recordings directory of a corpus origin (a directory), when it exists.
pub(super) fn regression_dir(origin: &str) -> Option<PathBuf> {
    if origin.is_empty() || origin == "demo (embedded)" {
        return None;
    }
    let dir = Path::new(origin).join(REGRESSION_DIR);
    dir.is_dir().then_some(dir)
}

/// Runs the analyzed draft over every recording under `dir`.
pub(super) fn review(draft: &AnalyzedRule, dir: Option<&Path>) -> RecordingsReview {
    let Some(dir) = dir else {
        return RecordingsReview {
            note: format!(
                "not run: no recordings found (the corpus the catalog was built from has no \
                 {REGRESSION_DIR}; pass --corpus DIR)"
            ),
            ..RecordingsReview::default()
        };
    };
    let recordings = load(dir);
    let engine = Engine::new(vec![EvalRule {
        vendor: draft.rule.vendor,
        id: draft.rule.id.clone(),
        title: draft.rule.title.clone(),
        techniques: draft.techniques.iter().map(|(t, _)| t.clone()).collect(),
        events: draft
            .events
            .iter()
            .map(|e| format!("{}:{}", e.provider, e.event_id))
            .collect(),
        expr: draft.rule.expr.clone(),
    }]);
    let mut out = RecordingsReview {
        ran: recordings.len(),
        events: recordings.iter().map(|r| r.events.len()).sum(),
        ..RecordingsReview::default()
    };
    let mut not_evaluated = None;
    for r in recordings.iter() {
        let Some(hits) = engine.run(&r.events, &|_| true).into_iter().next() else {
            continue;
        };
        if let Some(why) = hits.not_evaluated {
            not_evaluated.get_or_insert(why);
        }
        if hits.fired.is_empty() {
            continue;
        }
        out.fired += 1;
        if out.hits.len() < LISTED {
            out.hits.push(RecordingHit {
                path: r.test.path.clone(),
                rule_id: r.test.rule_id.clone(),
                title: r.test.title.clone(),
                fired_on: hits.fired.len(),
                events: r.events.len(),
            });
        }
    }
    if let Some(why) = not_evaluated {
        out.note = format!("the draft is stateful and was not evaluated on some recordings: {why}");
    }
    out
}

/// The recordings under `dir` with their events, read once per process. The JSON form is
/// read (the EVTX form when there is none); unreadable recordings are left out.
fn load(dir: &Path) -> Arc<Vec<Recording>> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Arc<Vec<Recording>>>>> = OnceLock::new();
    let loaded = LOADED.get_or_init(Default::default);
    if let Some(r) = loaded
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(dir)
    {
        return Arc::clone(r);
    }
    use rayon::prelude::*;
    let tests = regress::discover(dir).map(|(t, _)| t).unwrap_or_default();
    let recordings: Vec<Recording> = tests
        .into_par_iter()
        .filter_map(|test| {
            let path = test.json.as_deref().or(test.evtx.as_deref())?;
            let events = read_path(path, Format::Auto).ok()?.events;
            Some(Recording { test, events })
        })
        .collect();
    let recordings = Arc::new(recordings);
    loaded
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(dir.to_path_buf(), Arc::clone(&recordings));
    recordings
}

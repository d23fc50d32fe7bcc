//! The build runs the Sigma regression recordings it finds (`sigma/regression_data` of a
//! corpus directory) against every rule and stores the results: per recording the tested
//! rule's verdict, and every rule of any vendor that fires on it.

use std::collections::HashMap;
use std::path::Path;

use detcat_eval::{Engine, EvalRule, regress};
use rusqlite::params;

use super::AnalyzedRule;
use crate::corpus::Corpus;
use crate::error::CatalogError;

/// Where a corpus directory keeps its recordings.
const REGRESSION_DIR: &str = "sigma/regression_data";

/// The recordings directory of a corpus read from disk; the embedded demo has none.
fn regression_dir(corpus: &Corpus) -> Option<std::path::PathBuf> {
    let dir = Path::new(&corpus.origin).join(REGRESSION_DIR);
    dir.is_dir().then_some(dir)
}

fn eval_rule(a: &AnalyzedRule) -> EvalRule {
    EvalRule {
        vendor: a.rule.vendor,
        id: a.rule.id.clone(),
        title: a.rule.title.clone(),
        techniques: a.techniques.iter().map(|(t, _)| t.clone()).collect(),
        events: a
            .events
            .iter()
            .map(|e| format!("{}:{}", e.provider, e.event_id))
            .collect(),
        expr: a.rule.expr.clone(),
    }
}

/// Runs and stores the recordings (after the rules are written: hits point at their rows).
pub(super) fn write(
    tx: &rusqlite::Transaction<'_>,
    rules: &[AnalyzedRule],
    run: bool,
    corpus: &Corpus,
) -> Result<(), CatalogError> {
    if !run {
        return Ok(());
    }
    let Some(dir) = regression_dir(corpus) else {
        return Ok(());
    };
    let mut rids: HashMap<(String, String), i64> = HashMap::new();
    let mut st = tx.prepare("SELECT rid, vendor, id FROM rules")?;
    for row in st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))? {
        let (rid, vendor, id): (i64, String, String) = row?;
        rids.insert((vendor, id), rid);
    }
    let Ok((tests, _)) = regress::discover(&dir) else {
        return Ok(());
    };
    let active = rules
        .iter()
        .filter(|r| r.rule.lifecycle == detcat_model::Lifecycle::Active);
    let engine = Engine::new(active.map(eval_rule).collect());
    let report = regress::run(&engine, &tests);
    let mut rec_stmt = tx.prepare(
        "INSERT INTO recordings (rec, path, rule_id, title, expected, got, status, cause, events)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut hit_stmt =
        tx.prepare("INSERT OR IGNORE INTO recording_hits (rec, rid, events) VALUES (?1, ?2, ?3)")?;
    for (rec, r) in report.results.iter().enumerate() {
        let status = match r.status {
            regress::Status::Passed => "passed",
            regress::Status::Failed => "failed",
            regress::Status::Error => "error",
        };
        rec_stmt.execute(params![
            rec as i64,
            r.path,
            r.rule_id,
            r.title,
            r.expected.map(|e| e as i64),
            r.got.map(|g| g as i64),
            status,
            r.cause,
            r.events as i64,
        ])?;
        if let (Some(rid), Some(got)) = (rids.get(&("sigma".to_owned(), r.rule_id.clone())), r.got)
            && got > 0
        {
            hit_stmt.execute(params![rec as i64, rid, got as i64])?;
        }
        for f in r.also_sigma.iter().chain(&r.cross_vendor) {
            if let Some(rid) = rids.get(&(f.vendor.as_str().to_owned(), f.id.clone())) {
                hit_stmt.execute(params![rec as i64, rid, f.events as i64])?;
            }
        }
    }
    Ok(())
}

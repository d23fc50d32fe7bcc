//! `rule_branch_events`: the branches each rule can run by (coverage from telemetry).

use rusqlite::params;

use super::AnalyzedRule;
use crate::error::CatalogError;

pub fn write(tx: &rusqlite::Transaction<'_>, rules: &[AnalyzedRule]) -> Result<(), CatalogError> {
    let mut stmt = tx.prepare(
        "INSERT OR IGNORE INTO rule_branch_events (rid, branch, step, provider, event_id)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    // rids as the writer numbers them: position + 1.
    for (rid, a) in rules.iter().enumerate() {
        let rid = rid as i64 + 1;
        for (b, branch) in a.branches.iter().enumerate() {
            for (s, step) in branch.steps.iter().enumerate() {
                for e in step {
                    stmt.execute(params![rid, b as i64, s as i64, e.provider, e.event_id])?;
                }
            }
        }
    }
    Ok(())
}

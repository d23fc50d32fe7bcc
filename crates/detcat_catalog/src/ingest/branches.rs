//! `rule_branch_events`: the branches each rule can run by (coverage from telemetry), and
//! `rule_heads`, the narrow copy of what lists show of each rule (coverage, technique pages).

use rusqlite::params;

use super::AnalyzedRule;
use crate::error::CatalogError;

/// Writes the branches and heads of `rules`, whose first rid is `first_rid` (the writer calls
/// it per chunk).
pub fn write(
    tx: &rusqlite::Transaction<'_>,
    rules: &[AnalyzedRule],
    first_rid: i64,
) -> Result<(), CatalogError> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO rule_branch_events (rid, branch, step, provider, event_id)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut head = tx.prepare_cached(
        "INSERT INTO rule_heads (rid, vendor, id, title, lifecycle, path, parse_status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (rid, a) in (first_rid..).zip(rules) {
        let r = &a.rule;
        head.execute(params![
            rid,
            r.vendor.as_str(),
            r.id,
            r.title,
            r.lifecycle.as_str(),
            r.path,
            a.status.as_str(),
        ])?;
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

//! `rule_branch_events`: the branches each rule can run by (coverage from telemetry), and
//! `rule_heads`, the narrow copy of what lists show of each rule (coverage, technique pages).

use super::AnalyzedRule;
use super::rows::insert_rows;
use crate::error::CatalogError;

/// Writes the branches and heads of `rules`, whose first rid is `first_rid` (the writer calls
/// it per chunk).
pub fn write(
    tx: &rusqlite::Transaction<'_>,
    rules: &[AnalyzedRule],
    first_rid: i64,
) -> Result<(), CatalogError> {
    insert_rows(
        tx,
        "INSERT OR FAIL INTO rule_heads",
        &[
            "rid",
            "vendor",
            "id",
            "title",
            "lifecycle",
            "path",
            "parse_status",
        ],
        (first_rid..).zip(rules),
        |row, (rid, a)| {
            let r = &a.rule;
            row.bind(rid)?;
            row.bind(r.vendor.as_str())?;
            row.bind(&r.id)?;
            row.bind(&r.title)?;
            row.bind(r.lifecycle.as_str())?;
            row.bind(&r.path)?;
            row.bind(a.status.as_str())
        },
    )?;
    let events = (first_rid..).zip(rules).flat_map(|(rid, a)| {
        a.branches.iter().zip(0i64..).flat_map(move |(branch, b)| {
            branch
                .steps
                .iter()
                .zip(0i64..)
                .flat_map(move |(step, s)| step.iter().map(move |e| (rid, b, s, e)))
        })
    });
    insert_rows(
        tx,
        "INSERT OR IGNORE INTO rule_branch_events",
        &["rid", "branch", "step", "provider", "event_id"],
        events,
        |row, (rid, b, s, e)| {
            row.bind(rid)?;
            row.bind(b)?;
            row.bind(s)?;
            row.bind(&e.provider)?;
            row.bind(&e.event_id)
        },
    )
}

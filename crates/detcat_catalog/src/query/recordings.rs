//! Rules for the evaluator, read back from the catalog (the `expr` JSON stored per rule), and
//! the regression results the build stored.

use std::collections::HashMap;

use detcat_eval::EvalRule;
use detcat_model::{Expr, Vendor};

use super::{Catalog, QueryOptions};
use crate::error::CatalogError;
use crate::views::{RecordingFiring, RecordingRow, RuleRecordings};

impl Catalog {
    /// Every rule as the evaluator takes it: expression, techniques and needed events.
    /// Deprecated and unsupported rules only with `include_deprecated`.
    pub fn eval_rules(&self, opts: QueryOptions) -> Result<Vec<EvalRule>, CatalogError> {
        let mut techniques: HashMap<i64, Vec<String>> = HashMap::new();
        let mut st = self
            .conn
            .prepare("SELECT rid, technique_id FROM rule_techniques ORDER BY rid, technique_id")?;
        for row in st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (rid, t) = row?;
            techniques.entry(rid).or_default().push(t);
        }
        let mut events: HashMap<i64, Vec<String>> = HashMap::new();
        let mut st = self
            .conn
            .prepare("SELECT rid, provider || ':' || event_id FROM rule_events ORDER BY rid, provider, event_id")?;
        for row in st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
            let (rid, e) = row?;
            events.entry(rid).or_default().push(e);
        }
        let mut st = self.conn.prepare(
            "SELECT rid, vendor, id, title, expr FROM rules
             WHERE ?1 OR lifecycle = 'active' ORDER BY rid",
        )?;
        let rows = st.query_map([opts.include_deprecated], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (rid, vendor, id, title, expr) = row?;
            let vendor = Vendor::parse(&vendor)
                .ok_or_else(|| CatalogError::Query(format!("unknown vendor `{vendor}`")))?;
            let expr: Expr = serde_json::from_str(&expr)?;
            out.push(EvalRule {
                vendor,
                id,
                title,
                techniques: techniques.remove(&rid).unwrap_or_default(),
                events: events.remove(&rid).unwrap_or_default(),
                expr,
            });
        }
        Ok(out)
    }
}

/// Columns of `recordings` read into a [`RecordingRow`] (fires filled in later), for
/// `concat!`: every statement below is a fixed string.
macro_rules! recording_columns {
    () => {
        "r.rec, r.path, r.rule_id, r.title, r.expected, r.got, r.status, r.cause, r.events"
    };
}

fn recording_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, RecordingRow)> {
    Ok((
        r.get(0)?,
        RecordingRow {
            path: r.get(1)?,
            rule_id: r.get(2)?,
            title: r.get(3)?,
            expected: r.get::<_, Option<i64>>(4)?.map(|v| v.max(0) as u64),
            got: r.get::<_, Option<i64>>(5)?.map(|v| v.max(0) as u64),
            status: r.get(6)?,
            cause: r.get(7)?,
            events: r.get::<_, i64>(8)?.max(0) as u64,
            fires: Vec::new(),
        },
    ))
}

impl Catalog {
    /// Does this catalog hold the recordings tables (catalogs of schema v1 do not)?
    fn has_recordings(&self) -> Result<bool, CatalogError> {
        let table = self.has_table("recordings")?;
        // A build without `--recordings` leaves the table empty: the technique page's join
        // over it used to take 4 ms for nothing.
        Ok(table
            && self
                .conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM recordings)")?
                .query_row([], |r| r.get(0))?)
    }

    fn recording_fires(&self, rec: i64) -> Result<Vec<RecordingFiring>, CatalogError> {
        let mut st = self.conn.prepare_cached(
            "SELECT ru.vendor, ru.id, ru.title, h.events FROM recording_hits h
             JOIN rules ru ON ru.rid = h.rid WHERE h.rec = ?1
             ORDER BY ru.vendor, ru.title",
        )?;
        let rows = st.query_map([rec], |r| {
            Ok(RecordingFiring {
                vendor: r.get(0)?,
                id: r.get(1)?,
                title: r.get(2)?,
                events: r.get::<_, i64>(3)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every recording the build ran, by path, each with the rules that fire on it.
    pub fn recordings(&self) -> Result<Vec<RecordingRow>, CatalogError> {
        if !self.has_recordings()? {
            return Ok(Vec::new());
        }
        let mut st = self.conn.prepare_cached(concat!(
            "SELECT ",
            recording_columns!(),
            " FROM recordings r ORDER BY r.path"
        ))?;
        let rows: Vec<(i64, RecordingRow)> =
            st.query_map([], recording_row)?.collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(rec, mut row)| {
                row.fires = self.recording_fires(rec)?;
                Ok(row)
            })
            .collect()
    }

    /// Recordings whose tested rule is under `technique` (or one of its sub-techniques),
    /// each with every rule that fires on it.
    pub fn technique_recordings(&self, technique: &str) -> Result<Vec<RecordingRow>, CatalogError> {
        if !self.has_recordings()? {
            return Ok(Vec::new());
        }
        let mut st = self.conn.prepare_cached(concat!(
            "SELECT DISTINCT ",
            recording_columns!(),
            " FROM recordings r
             JOIN rules ru ON ru.vendor = 'sigma' AND ru.id = r.rule_id
             JOIN rule_techniques rt ON rt.rid = ru.rid
             WHERE rt.technique_id = ?1 OR rt.technique_id LIKE ?1 || '.%'
             ORDER BY r.title"
        ))?;
        let rows: Vec<(i64, RecordingRow)> = st
            .query_map([technique], recording_row)?
            .collect::<Result<_, _>>()?;
        rows.into_iter()
            .map(|(rec, mut row)| {
                row.fires = self.recording_fires(rec)?;
                Ok(row)
            })
            .collect()
    }

    /// The recordings that test a rule, and on how many recordings it fires.
    pub fn rule_recordings(
        &self,
        rid: i64,
        vendor: &str,
        id: &str,
    ) -> Result<RuleRecordings, CatalogError> {
        if !self.has_recordings()? {
            return Ok(RuleRecordings::default());
        }
        let mut out = RuleRecordings::default();
        // Recordings test Sigma rules (sigma/regression_data).
        if detcat_model::Vendor::parse(vendor) == Some(detcat_model::Vendor::Sigma) {
            let mut st = self.conn.prepare_cached(concat!(
                "SELECT ",
                recording_columns!(),
                " FROM recordings r WHERE r.rule_id = ?1 ORDER BY r.path"
            ))?;
            let rows: Vec<(i64, RecordingRow)> = st
                .query_map([id], recording_row)?
                .collect::<Result<_, _>>()?;
            for (rec, mut row) in rows {
                row.fires = self.recording_fires(rec)?;
                out.as_expected += u64::from(row.status == "passed");
                out.tested_on.push(row);
            }
        }
        out.fires_on = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM recording_hits WHERE rid = ?1",
                [rid],
                |r| r.get::<_, i64>(0),
            )?
            .max(0) as u64;
        Ok(out)
    }
}

//! Threat-mapped scoring: a technique's threat data, its coverage by the catalog's rules, the
//! priority score combining both, and the ranked list of `detcat top`.

use std::collections::HashMap;

use rusqlite::OptionalExtension;

use super::{Catalog, QueryOptions, json_at, json_vec};
use crate::error::CatalogError;
use crate::scoring::{self, Inputs};
use crate::views::{
    ActorRef, CoverageView, CtidView, PriorityView, RankBy, TOP_ACTORS, ThreatView, TopList, TopRow,
};

/// Threat figures as stored, before the actor lists are read.
struct ThreatRow {
    groups: u64,
    software: u64,
    campaigns: u64,
    ctid: Option<CtidView>,
}

/// Filters of `detcat top`.
#[derive(Debug, Clone, Default)]
pub struct TopFilter {
    /// Tactic id, shortname or name (`TA0002`, `execution`, `Execution`).
    pub tactic: Option<String>,
    /// Platform, any case (`Windows`).
    pub platform: Option<String>,
    /// ATT&CK domain (`enterprise-attack`); `None` lists every domain.
    pub domain: Option<String>,
    pub limit: Option<usize>,
}

impl Catalog {
    /// Who uses the technique and CTID's score; `None` when the catalog has no threat row.
    pub fn technique_threat(&self, id: &str) -> Result<Option<ThreatView>, CatalogError> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT groups, software, campaigns, ctid, actors FROM technique_threat WHERE technique_id = ?1",
            )?
            .query_row([id], |r| {
                // A damaged list is an error of the page, not a technique nobody uses.
                let actors: HashMap<String, Vec<ActorRef>> = json_at(r, 4)?;
                Ok((threat_row(r)?, actors))
            })
            .optional()?;
        let Some((t, mut actors)) = row else {
            return Ok(None);
        };
        // Each list moved out of the map once; its top a copy of the first few.
        let mut list = |kind: &str| actors.remove(kind).unwrap_or_default();
        let (all_groups, all_software, all_campaigns) =
            (list("groups"), list("software"), list("campaigns"));
        let top = |all: &[ActorRef]| all.iter().take(TOP_ACTORS).cloned().collect();
        Ok(Some(ThreatView {
            groups: t.groups,
            software: t.software,
            campaigns: t.campaigns,
            top_groups: top(&all_groups),
            top_software: top(&all_software),
            top_campaigns: top(&all_campaigns),
            all_groups,
            all_software,
            all_campaigns,
            ctid: t.ctid,
        }))
    }

    /// The priority of one technique (`None` when the catalog has no threat row for it).
    pub fn technique_priority(
        &self,
        id: &str,
        options: QueryOptions,
    ) -> Result<Option<PriorityView>, CatalogError> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT groups, software, campaigns, ctid FROM technique_threat WHERE technique_id = ?1",
            )?
            .query_row([id], threat_row)
            .optional()?;
        let Some(t) = row else { return Ok(None) };
        let coverage = self
            .coverage(Some(id), options)?
            .remove(id)
            .unwrap_or_else(|| self.empty_coverage(id));
        Ok(Some(scoring::priority(&inputs(&t, coverage))))
    }

    /// Techniques ranked by threat, gap or rules. Active (not revoked, not deprecated)
    /// techniques only; ties by id so the order is reproducible.
    pub fn top(
        &self,
        by: RankBy,
        filter: &TopFilter,
        options: QueryOptions,
    ) -> Result<TopList, CatalogError> {
        let tactic = match &filter.tactic {
            Some(t) => Some(
                self.resolve_tactic(t, filter.domain.as_deref())?
                    .ok_or_else(|| {
                        CatalogError::Query(format!("no tactic '{t}' in the catalog"))
                    })?,
            ),
            None => None,
        };
        let mut coverage = self.coverage(None, options)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.id, t.name, t.parent, t.tactics, t.platforms,
                    h.groups, h.software, h.campaigns, h.ctid, t.domain
             FROM techniques t JOIN technique_threat h ON h.technique_id = t.id
             WHERE NOT t.revoked AND NOT t.deprecated",
        )?;
        let mut rows = Vec::new();
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            let id: String = r.get(0)?;
            let tactics = json_vec(&r.get::<_, String>(3)?)?;
            let platforms = json_vec(&r.get::<_, String>(4)?)?;
            let domain: String = r.get(9)?;
            if tactic.as_ref().is_some_and(|t| !tactics.contains(t))
                || filter.domain.as_ref().is_some_and(|d| *d != domain)
                || filter
                    .platform
                    .as_ref()
                    .is_some_and(|p| !platforms.iter().any(|x| x.eq_ignore_ascii_case(p)))
            {
                continue;
            }
            let t = ThreatRow {
                groups: r.get(5)?,
                software: r.get(6)?,
                campaigns: r.get(7)?,
                ctid: ctid_view(r, 8)?,
            };
            let cov = coverage.remove(&id).unwrap_or_default();
            let priority = scoring::priority(&inputs(&t, cov));
            rows.push(TopRow {
                rank: 0,
                name: r.get(1)?,
                parent: r.get(2)?,
                domain,
                tactics,
                platforms,
                ctid_rank: t.ctid.as_ref().map(|c| c.rank as u64),
                priority,
                id,
            });
        }
        sort_rows(&mut rows, by);
        let matched = rows.len() as u64;
        if let Some(limit) = filter.limit {
            rows.truncate(limit);
        }
        for (i, r) in rows.iter_mut().enumerate() {
            r.rank = i as u64 + 1;
        }
        Ok(TopList {
            by,
            tactic,
            platform: filter.platform.clone(),
            domain: filter.domain.clone(),
            matched,
            formula: scoring::FORMULA.to_owned(),
            rows,
        })
    }

    /// A tactic by id, shortname or name. Shortnames repeat across domains (`execution` is
    /// TA0002 in Enterprise and TA0104 in ICS): the given domain wins, else Enterprise.
    fn resolve_tactic(
        &self,
        key: &str,
        domain: Option<&str>,
    ) -> Result<Option<String>, CatalogError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id FROM tactics WHERE (id = upper(?1) OR shortname = lower(?1)
                    OR lower(name) = lower(?1) OR shortname = lower(replace(?1, ' ', '-')))
                    AND (?2 IS NULL OR domain = ?2)
                 ORDER BY domain = 'enterprise-attack' DESC, domain, ord LIMIT 1",
            )?
            .query_row(rusqlite::params![key, domain], |r| r.get(0))
            .optional()?)
    }

    fn empty_coverage(&self, id: &str) -> CoverageView {
        CoverageView {
            includes_subtechniques: !id.contains('.'),
            ..CoverageView::default()
        }
    }

    /// Coverage per technique (of `only` when given), as the build counted it
    /// (`technique_coverage`). A parent technique's figures include its sub-techniques'
    /// rules, each rule counted once.
    pub(crate) fn coverage(
        &self,
        only: Option<&str>,
        options: QueryOptions,
    ) -> Result<HashMap<String, CoverageView>, CatalogError> {
        let scope = i64::from(options.include_deprecated);
        let mut stmt = match only {
            Some(_) => self.conn.prepare_cached(
                "SELECT technique_id, by_vendor, rules, normalized, indicators, events
                 FROM technique_coverage WHERE technique_id = ?2 AND deprecated = ?1",
            )?,
            None => self.conn.prepare_cached(
                "SELECT technique_id, by_vendor, rules, normalized, indicators, events
                 FROM technique_coverage WHERE deprecated = ?1 AND ?2 IS NULL",
            )?,
        };
        let mut rows = stmt.query(rusqlite::params![scope, only])?;
        let mut out: HashMap<String, CoverageView> = HashMap::new();
        while let Some(r) = rows.next()? {
            let id: String = r.get(0)?;
            let mut c = self.empty_coverage(&id);
            c.rules_by_vendor = serde_json::from_str(&r.get::<_, String>(1)?)?;
            c.rules = r.get(2)?;
            c.normalized = r.get(3)?;
            c.indicators = r.get(4)?;
            c.events = r.get(5)?;
            out.insert(id, c);
        }
        Ok(out)
    }
}

fn threat_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ThreatRow> {
    Ok(ThreatRow {
        groups: r.get(0)?,
        software: r.get(1)?,
        campaigns: r.get(2)?,
        ctid: ctid_view(r, 3)?,
    })
}

/// The stored CTID score (JSON of `detcat_attack::CtidScore`), `None` for a technique CTID
/// does not rank (NULL); damaged JSON is an error, not an unranked technique.
fn ctid_view(r: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Option<CtidView>> {
    match r.get_ref(idx)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => json_at(r, idx).map(Some),
    }
}

fn inputs(t: &ThreatRow, coverage: CoverageView) -> Inputs {
    Inputs {
        ctid_cumulative: t.ctid.as_ref().map(|c| c.cumulative),
        ctid_rank: t.ctid.as_ref().map(|c| (c.rank as u64, c.ranked as u64)),
        groups: t.groups,
        software: t.software,
        campaigns: t.campaigns,
        coverage,
    }
}

fn sort_rows(rows: &mut [TopRow], by: RankBy) {
    rows.sort_by(|a, b| {
        let (pa, pb) = (&a.priority, &b.priority);
        let primary = match by {
            RankBy::Gap => pb.score.total_cmp(&pa.score),
            RankBy::Threat => pb.threat.total_cmp(&pa.threat),
            RankBy::Rules => pb.inputs.coverage.rules.cmp(&pa.inputs.coverage.rules),
        };
        primary.then_with(|| a.id.cmp(&b.id))
    });
}

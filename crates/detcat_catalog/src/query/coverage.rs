//! Loading the coverage index (`crate::coverage`) from a catalog: a few full scans, once.

use std::collections::HashMap;

use super::{Catalog, json_vec};
use crate::coverage::{CoverageIndex, RuleNeeds, TacticInfo, TechInfo};
use crate::error::CatalogError;

impl Catalog {
    /// Every rule's branches of events, techniques and tactics, for coverage questions
    /// answered in memory ([`CoverageIndex::compute`]).
    pub fn coverage_index(&self) -> Result<CoverageIndex, CatalogError> {
        let mut idx = CoverageIndex::default();
        self.index_events(&mut idx)?;
        let mut tactic_at: HashMap<String, usize> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare("SELECT id, name FROM tactics ORDER BY domain, ord")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                if tactic_at.contains_key(&id) {
                    continue;
                }
                tactic_at.insert(id.clone(), idx.tactics.len());
                idx.tactics.push(TacticInfo {
                    id,
                    name: r.get(1)?,
                });
            }
        }
        let mut rid_at: HashMap<i64, usize> = HashMap::new();
        {
            let mut stmt = self
                .conn
                .prepare("SELECT rid, vendor, id, title, lifecycle FROM rule_heads ORDER BY rid")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                rid_at.insert(r.get(0)?, idx.rules.len());
                idx.rules.push(RuleNeeds {
                    vendor: r.get(1)?,
                    id: r.get(2)?,
                    title: super::truncate_text(r.get(3)?, super::MAX_LISTED_TITLE_CHARS),
                    active: r.get::<_, String>(4)? == "active",
                    techniques: Vec::new(),
                    branches: Vec::new(),
                });
            }
        }
        let mut tech_at: HashMap<String, usize> = HashMap::new();
        {
            let mut stmt = self.conn.prepare(
                "SELECT rt.rid, rt.technique_id, COALESCE(t.name, '') FROM rule_techniques rt
                 LEFT JOIN techniques t ON t.id = rt.technique_id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let rid: i64 = r.get(0)?;
                let tid: String = r.get(1)?;
                let t = match tech_at.get(&tid) {
                    Some(&t) => t,
                    None => {
                        let t = idx.techniques.len();
                        tech_at.insert(tid.clone(), t);
                        idx.techniques.push(TechInfo {
                            id: tid,
                            name: r.get(2)?,
                            tactics: Vec::new(),
                        });
                        t
                    }
                };
                if let Some(rule) = rid_at.get(&rid).and_then(|&i| idx.rules.get_mut(i)) {
                    rule.techniques.push(t);
                }
            }
        }
        {
            let mut stmt = self.conn.prepare(
                "SELECT tt.technique_id, tt.tactic_id FROM technique_tactics tt
                 JOIN tactics ta ON ta.id = tt.tactic_id ORDER BY ta.ord",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let tid: String = r.get(0)?;
                let ta: String = r.get(1)?;
                if let (Some(&t), Some(&a)) = (tech_at.get(&tid), tactic_at.get(&ta))
                    && let Some(info) = idx.techniques.get_mut(t)
                    && !info.tactics.contains(&a)
                {
                    info.tactics.push(a);
                }
            }
        }
        self.index_branches(&mut idx, &rid_at)?;
        idx.finish();
        Ok(idx)
    }

    /// The catalog's events, each with the native events a sensor event corresponds to.
    fn index_events(&self, idx: &mut CoverageIndex) -> Result<(), CatalogError> {
        let mut natives: Vec<(usize, Vec<String>)> = Vec::new();
        {
            let mut stmt = self
                .conn
                .prepare("SELECT provider, event_id, title, sensor, native FROM events")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let provider: String = r.get(0)?;
                let event_id: String = r.get(1)?;
                let e = CoverageIndex::new_event(&provider, &event_id, r.get(2)?, r.get(3)?);
                let i = idx.push_event(e);
                let native: String = r.get(4)?;
                natives.push((i, json_vec(&native)?));
            }
        }
        for (i, n) in natives {
            idx.set_natives(i, &n);
        }
        Ok(())
    }

    /// What each rule needs to run: its branches of steps of events.
    fn index_branches(
        &self,
        idx: &mut CoverageIndex,
        rid_at: &HashMap<i64, usize>,
    ) -> Result<(), CatalogError> {
        {
            let mut stmt = self.conn.prepare(
                "SELECT rid, branch, step, provider, event_id FROM rule_branch_events
                 ORDER BY rid, branch, step",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let rid: i64 = r.get(0)?;
                let branch: usize = r.get(1)?;
                let step: usize = r.get(2)?;
                let provider: String = r.get(3)?;
                let event_id: String = r.get(4)?;
                let key = format!("{provider}:{event_id}");
                let e = match idx.by_key.get(&key) {
                    Some(&e) => e,
                    None => {
                        let title = format!("{provider} event {event_id}");
                        idx.push_event(CoverageIndex::new_event(&provider, &event_id, title, None))
                    }
                };
                let Some(rule) = rid_at.get(&rid).and_then(|&i| idx.rules.get_mut(i)) else {
                    continue;
                };
                // Rows come ordered; indexes are small and dense (bounded by the taxonomy).
                if branch > 64 || step > 64 {
                    continue;
                }
                while rule.branches.len() <= branch {
                    rule.branches.push(Vec::new());
                }
                if let Some(b) = rule.branches.get_mut(branch) {
                    while b.len() <= step {
                        b.push(Vec::new());
                    }
                    if let Some(s) = b.get_mut(step)
                        && !s.contains(&e)
                    {
                        s.push(e);
                    }
                }
            }
        }
        Ok(())
    }
}

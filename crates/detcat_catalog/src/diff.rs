//! The release diff between two catalogs (`detcat diff OLD NEW`, `serve --compare`).
//!
//! Rules are matched by `(vendor, id)`. A rule is *changed* when its predicates (role, field,
//! operator, values, polarity), its condition (the normalized expression tree), its
//! techniques or its status (`lifecycle`, `parse_status`, the vendor `status`) differ.
//! Then, for every technique such a rule is (or was) tagged with, the authoring-guide rows
//! whose active-rule counts moved: indicator, exclusion and selector triples and events,
//! each with its old and new count (`new`: 0 before; `dropped`: 0 after).

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

use crate::error::CatalogError;
use crate::query::Catalog;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DiffRule {
    pub vendor: String,
    pub id: String,
    pub title: String,
    pub techniques: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RuleChange {
    pub vendor: String,
    pub id: String,
    pub title: String,
    /// The normalized expression differs (a condition, a value, an operator…).
    pub condition_changed: bool,
    /// Predicates as `role field operator [values]` (`not` first when negated).
    pub predicates_added: Vec<String>,
    pub predicates_removed: Vec<String>,
    pub techniques_added: Vec<String>,
    pub techniques_removed: Vec<String>,
    /// `lifecycle`, `parse_status`, `status` changes.
    pub status: Vec<FieldChange>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RowDelta {
    /// `indicator`, `exclusion`, `selector` or `event`.
    pub kind: String,
    /// Canonical field (for `event`: the provider).
    pub field: String,
    /// Operator (for `event`: empty).
    pub operator: String,
    /// Value (for `event`: the event id).
    pub value: String,
    pub old: u64,
    pub new: u64,
    /// `new`, `dropped`, `up` or `down`.
    pub change: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TechniqueDelta {
    pub id: String,
    pub name: String,
    /// Active rules tagged with the technique, before and after.
    pub rules_old: u64,
    pub rules_new: u64,
    pub rows: Vec<RowDelta>,
}

/// What changed between two catalogs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DiffView {
    pub old: String,
    pub new: String,
    pub technique: Option<String>,
    pub added: Vec<DiffRule>,
    pub removed: Vec<DiffRule>,
    pub changed: Vec<RuleChange>,
    pub techniques: Vec<TechniqueDelta>,
}

impl DiffView {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.techniques.is_empty()
    }
}

struct RuleFacts {
    rid: i64,
    title: String,
    lifecycle: String,
    parse_status: String,
    status: String,
    expr_hash: u64,
    techniques: BTreeSet<String>,
}

type Key = (String, String);

fn load_rules(c: &Catalog) -> Result<BTreeMap<Key, RuleFacts>, CatalogError> {
    let conn = c.connection();
    let mut out = BTreeMap::new();
    let mut by_rid: HashMap<i64, Key> = HashMap::new();
    let mut stmt = conn.prepare(
        "SELECT rid, vendor, id, title, lifecycle, parse_status, COALESCE(status, ''), expr FROM rules",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let key: Key = (r.get(1)?, r.get(2)?);
        let mut h = DefaultHasher::new();
        r.get_ref(7)?.as_str().unwrap_or_default().hash(&mut h);
        let rid: i64 = r.get(0)?;
        by_rid.insert(rid, key.clone());
        out.insert(
            key,
            RuleFacts {
                rid,
                title: r.get(3)?,
                lifecycle: r.get(4)?,
                parse_status: r.get(5)?,
                status: r.get(6)?,
                expr_hash: h.finish(),
                techniques: BTreeSet::new(),
            },
        );
    }
    let mut stmt = conn.prepare("SELECT rid, technique_id FROM rule_techniques")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let rid: i64 = r.get(0)?;
        if let Some(f) = by_rid.get(&rid).and_then(|k| out.get_mut(k)) {
            f.techniques.insert(r.get(1)?);
        }
    }
    Ok(out)
}

fn predicates(c: &Catalog, rid: i64) -> Result<BTreeSet<String>, CatalogError> {
    let mut stmt = c.connection().prepare_cached(
        "SELECT p.role, p.field, p.operator, p.vals, p.negated FROM rules r
         JOIN predicates p ON p.rowid BETWEEN r.first_predicate AND r.last_predicate
         WHERE r.rid = ?1",
    )?;
    let rows = stmt.query_map([rid], |r| {
        let negated: bool = r.get(4)?;
        Ok(format!(
            "{}{} {} {} {}",
            if negated { "not " } else { "" },
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Guide rows of one technique: (kind, field, operator, value) → active rules.
fn guide_rows(c: &Catalog, technique: &str) -> Result<BTreeMap<[String; 4], u64>, CatalogError> {
    let conn = c.connection();
    let mut out = BTreeMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT t.role, t.field, t.operator, t.value, COUNT(DISTINCT t.rid)
         FROM rule_techniques rt JOIN rules r ON r.rid = rt.rid AND r.lifecycle = 'active'
         JOIN triples t ON t.rowid BETWEEN r.first_triple AND r.last_triple
         WHERE rt.technique_id = ?1 GROUP BY t.role, t.field, t.operator, t.value",
    )?;
    let mut rows = stmt.query([technique])?;
    while let Some(r) = rows.next()? {
        out.insert([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?], r.get(4)?);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT e.provider, e.event_id, COUNT(DISTINCT e.rid)
         FROM rule_techniques rt JOIN rules r ON r.rid = rt.rid AND r.lifecycle = 'active'
         JOIN rule_events e ON e.rid = rt.rid
         WHERE rt.technique_id = ?1 GROUP BY e.provider, e.event_id",
    )?;
    let mut rows = stmt.query([technique])?;
    while let Some(r) = rows.next()? {
        out.insert(
            ["event".to_owned(), r.get(0)?, String::new(), r.get(1)?],
            r.get(2)?,
        );
    }
    Ok(out)
}

fn rule_count(c: &Catalog, technique: &str) -> Result<u64, CatalogError> {
    Ok(c.connection().query_row(
        "SELECT COUNT(*) FROM rule_techniques rt JOIN rules r ON r.rid = rt.rid
         WHERE rt.technique_id = ?1 AND r.lifecycle = 'active'",
        [technique],
        |r| r.get(0),
    )?)
}

fn technique_name(old: &Catalog, new: &Catalog, id: &str) -> String {
    [new, old]
        .iter()
        .find_map(|c| {
            c.connection()
                .query_row("SELECT name FROM techniques WHERE id = ?1", [id], |r| {
                    r.get::<_, String>(0)
                })
                .ok()
        })
        .unwrap_or_default()
}

fn diff_rule(key: &Key, f: &RuleFacts) -> DiffRule {
    DiffRule {
        vendor: key.0.clone(),
        id: key.1.clone(),
        title: f.title.clone(),
        techniques: f.techniques.iter().cloned().collect(),
    }
}

fn minus(a: &BTreeSet<String>, b: &BTreeSet<String>) -> Vec<String> {
    a.difference(b).cloned().collect()
}

/// The guide rows whose rule counts differ between two catalogs, in row order.
fn row_deltas(a: &BTreeMap<[String; 4], u64>, b: &BTreeMap<[String; 4], u64>) -> Vec<RowDelta> {
    let keys: BTreeSet<&[String; 4]> = a.keys().chain(b.keys()).collect();
    let mut rows = Vec::new();
    for k in keys {
        let (o, n) = (
            a.get(k).copied().unwrap_or(0),
            b.get(k).copied().unwrap_or(0),
        );
        if o == n {
            continue;
        }
        let change = match (o, n) {
            (0, _) => "new",
            (_, 0) => "dropped",
            _ if n > o => "up",
            _ => "down",
        };
        let [kind, field, operator, value] = k.clone();
        rows.push(RowDelta {
            kind,
            field,
            operator,
            value,
            old: o,
            new: n,
            change: change.to_owned(),
        });
    }
    rows
}

/// The diff from `old` to `new`, restricted to rules (ever) tagged with `technique` if given.
pub fn diff(
    old: &Catalog,
    new: &Catalog,
    technique: Option<&str>,
) -> Result<DiffView, CatalogError> {
    let before = load_rules(old)?;
    let after = load_rules(new)?;
    let wanted = |f: &RuleFacts| technique.is_none_or(|t| f.techniques.contains(t));
    let mut touched: BTreeSet<String> = BTreeSet::new();
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut changed = Vec::new();
    for (key, f) in &after {
        if !before.contains_key(key) && wanted(f) {
            touched.extend(f.techniques.iter().cloned());
            added.push(diff_rule(key, f));
        }
    }
    for (key, f) in &before {
        let Some(g) = after.get(key) else {
            if wanted(f) {
                touched.extend(f.techniques.iter().cloned());
                removed.push(diff_rule(key, f));
            }
            continue;
        };
        if !wanted(f) && !wanted(g) {
            continue;
        }
        let mut status = Vec::new();
        for (name, a, b) in [
            ("lifecycle", &f.lifecycle, &g.lifecycle),
            ("parse_status", &f.parse_status, &g.parse_status),
            ("status", &f.status, &g.status),
        ] {
            if a != b {
                status.push(FieldChange {
                    field: name.to_owned(),
                    old: a.clone(),
                    new: b.clone(),
                });
            }
        }
        let condition_changed = f.expr_hash != g.expr_hash;
        let (p_old, p_new) = if condition_changed {
            (predicates(old, f.rid)?, predicates(new, g.rid)?)
        } else {
            Default::default()
        };
        let change = RuleChange {
            vendor: key.0.clone(),
            id: key.1.clone(),
            title: g.title.clone(),
            condition_changed,
            predicates_added: minus(&p_new, &p_old),
            predicates_removed: minus(&p_old, &p_new),
            techniques_added: minus(&g.techniques, &f.techniques),
            techniques_removed: minus(&f.techniques, &g.techniques),
            status,
        };
        if change.condition_changed
            || !change.techniques_added.is_empty()
            || !change.techniques_removed.is_empty()
            || !change.status.is_empty()
        {
            touched.extend(f.techniques.iter().cloned());
            touched.extend(g.techniques.iter().cloned());
            changed.push(change);
        }
    }
    if let Some(t) = technique {
        touched.retain(|x| x == t);
    }
    let mut techniques = Vec::new();
    for t in touched {
        let rows = row_deltas(&guide_rows(old, &t)?, &guide_rows(new, &t)?);
        let (ro, rn) = (rule_count(old, &t)?, rule_count(new, &t)?);
        if rows.is_empty() && ro == rn {
            continue;
        }
        techniques.push(TechniqueDelta {
            name: technique_name(old, new, &t),
            id: t,
            rules_old: ro,
            rules_new: rn,
            rows,
        });
    }
    Ok(DiffView {
        old: old.origin().to_owned(),
        new: new.origin().to_owned(),
        technique: technique.map(str::to_owned),
        added,
        removed,
        changed,
        techniques,
    })
}

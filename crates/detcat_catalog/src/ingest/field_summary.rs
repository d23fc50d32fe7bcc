//! `field_summary`: each canonical field's page — its rules, the vendor names seen, the
//! operators, the most used values and techniques — counted once, at build time, from the
//! rules the analysis already holds in memory.
//!
//! Counted at query time, the page of a busy field (`process.image`, `process.name`: ~2,000
//! rules) was five queries over every predicate, triple and technique of those rules, 1.5–2 s
//! on a loaded server: past the request deadline under a crawl. Read from here it is one row
//! and the first rules of the list.
//!
//! The figures are those of the queries they replace (`Catalog::field` without this table):
//! a rule belongs to a field when one of its predicates maps to the field or one of its
//! triples is on it (the `keyword` pseudo-field has triples only); each rule counts once per
//! operator, value and technique. Rules are listed by vendor, title, rid; values by rules
//! (most first), value, operator; techniques by rules, id. (The queries left ties of the
//! first two to SQLite's sorter; they now name the same tie-breakers.)
//!
//! The analysis feeds each chunk of rules in beside the technique coverage (a rayon join:
//! the two run at once), turns the counts into rows after its last chunk while the main
//! writer is still storing rules, and hands the rows to the writer, which only binds them.

use std::collections::BTreeMap;

use detcat_model::{Lifecycle, Role, Vendor};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::analyze::AnalyzedRule;
use crate::error::CatalogError;
use crate::schema::FIELD_SUMMARY_DDL;
use crate::views::VendorCounts;

/// A fast seeded hash: the counts hash every rule's fields, values and techniques.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Values and techniques a field page lists (the queries' `LIMIT 100`).
pub(crate) const TOP_ROWS: usize = 100;

/// The stored JSON of one field in one scope (`field_summary.data`).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct FieldData {
    /// Every rule's rid, in list order (vendor, title, rid).
    pub rules: Vec<i64>,
    pub by_vendor: VendorCounts,
    /// `vendor:name` as written in the rules, sorted.
    pub vendor_names_seen: Vec<String>,
    pub operators: BTreeMap<String, u64>,
    /// `(operator, value, rules)` of indicator and selector triples, most rules first.
    pub values: Vec<(String, String, u64)>,
    /// `(technique id, rules)`, most rules first.
    pub techniques: Vec<(String, u64)>,
}

/// The scopes of a field's counts: its page of active rules and its page of all rules
/// (`field_summary.deprecated` is the scope).
const ACTIVE: usize = 0;
const ALL: usize = 1;

/// One field's counts while the chunks go by: every count is kept as `[active rules, all
/// rules]`, so an active rule's values, techniques and names are looked up once for both
/// scopes (two scopes of their own hashed every value of an active rule twice).
#[derive(Default)]
struct Counts {
    /// The rules of each scope.
    rules: [Vec<i64>; 2],
    by_vendor: [VendorCounts; 2],
    /// Vendor names per vendor (`Vendor::index`): whether an active rule wrote the name.
    names: Vec<BTreeMap<String, bool>>,
    operators: BTreeMap<&'static str, [u64; 2]>,
    /// Operator → value → rules.
    values: HashMap<String, HashMap<String, [u64; 2]>>,
    techniques: HashMap<String, [u64; 2]>,
}

/// The entries of `sorted` (ascending by `key_of`) whose key is `key`, and the entries after
/// them; entries before `key` are skipped.
fn run_of<'s, T>(sorted: &'s [T], key: &str, key_of: impl Fn(&T) -> &str) -> (&'s [T], &'s [T]) {
    let start = sorted.partition_point(|e| key_of(e) < key);
    let (_, rest) = sorted.split_at(start);
    let len = rest.partition_point(|e| key_of(e) == key);
    rest.split_at(len)
}

/// Adds one to the counts of `scopes` in `map[key]`, copying the key only the first time
/// it is seen.
fn bump(map: &mut HashMap<String, [u64; 2]>, key: &str, scopes: &[usize]) {
    let counts = match map.get_mut(key) {
        Some(counts) => counts,
        None => map.entry(key.to_owned()).or_default(),
    };
    add_to(counts, scopes);
}

/// Adds one to the counts of `scopes`.
fn add_to(counts: &mut [u64; 2], scopes: &[usize]) {
    for &s in scopes {
        if let Some(n) = counts.get_mut(s) {
            *n += 1;
        }
    }
}

/// Counts each field's page as chunks of rules go by ([`FieldSummary::add`]) and turns them
/// into rows ([`FieldSummary::finish`]).
#[derive(Default)]
pub struct FieldSummary {
    /// Field → its counts, of active rules (`[0]`) and of all rules (`[1]`).
    fields: HashMap<String, Counts>,
    /// Each rule's vendor and title, by rid, to order the lists at the end.
    heads: HashMap<i64, (Vendor, String)>,
}

impl FieldSummary {
    /// Adds a chunk of rules whose first rid is `first_rid` (rids follow in order).
    pub fn add(&mut self, rules: &[AnalyzedRule], first_rid: i64) {
        let mut fields: Vec<&str> = Vec::new();
        let mut techniques: Vec<&str> = Vec::new();
        let mut operators: Vec<(&str, &'static str)> = Vec::new();
        let mut names: Vec<(&str, &str)> = Vec::new();
        let mut values: Vec<(&str, &str, &str)> = Vec::new();
        for (a, rid) in rules.iter().zip(first_rid..) {
            let vendor = a.rule.vendor;
            fields.clear();
            fields.extend(a.predicates.iter().map(|p| p.canonical.as_str()));
            fields.extend(a.triples.iter().map(|t| t.field.as_str()));
            if fields.is_empty() {
                continue;
            }
            fields.sort_unstable();
            fields.dedup();
            self.heads.insert(rid, (vendor, a.rule.title.clone()));
            techniques.clear();
            techniques.extend(a.techniques.iter().map(|(id, _)| id.as_str()));
            techniques.sort_unstable();
            techniques.dedup();
            operators.clear();
            operators.extend(
                a.predicates
                    .iter()
                    .map(|p| (p.canonical.as_str(), p.operator)),
            );
            operators.sort_unstable();
            operators.dedup();
            names.clear();
            names.extend(
                a.predicates
                    .iter()
                    .map(|p| (p.canonical.as_str(), p.field.as_str())),
            );
            names.sort_unstable();
            names.dedup();
            values.clear();
            values.extend(
                a.triples
                    .iter()
                    .filter(|t| matches!(t.role, Role::Indicator | Role::Selector))
                    .map(|t| (t.field.as_str(), &*t.operator, t.value.as_str())),
            );
            values.sort_unstable();
            values.dedup();
            let active = a.rule.lifecycle == Lifecycle::Active;
            let scopes: &[usize] = if active { &[ACTIVE, ALL] } else { &[ALL] };
            // Fields ascend, and so do the rule's operators, names and values (sorted with the
            // field first): each field's run is cut from the front of what is left, so a rule
            // costs its entries once rather than once per field.
            let (mut operators_left, mut names_left, mut values_left) =
                (operators.as_slice(), names.as_slice(), values.as_slice());
            for f in &fields {
                let field_operators;
                let field_names;
                let field_values;
                (field_operators, operators_left) = run_of(operators_left, f, |(pf, _)| pf);
                (field_names, names_left) = run_of(names_left, f, |(pf, _)| pf);
                (field_values, values_left) = run_of(values_left, f, |(tf, _, _)| tf);
                let entry = match self.fields.get_mut(*f) {
                    Some(e) => e,
                    None => self.fields.entry((*f).to_owned()).or_default(),
                };
                for &s in scopes {
                    if let (Some(rules), Some(by_vendor)) =
                        (entry.rules.get_mut(s), entry.by_vendor.get_mut(s))
                    {
                        rules.push(rid);
                        by_vendor.add(vendor, 1);
                    }
                }
                for t in &techniques {
                    bump(&mut entry.techniques, t, scopes);
                }
                for (_, op) in field_operators {
                    add_to(entry.operators.entry(op).or_default(), scopes);
                }
                if entry.names.len() <= vendor.index() {
                    entry.names.resize_with(vendor.index() + 1, BTreeMap::new);
                }
                if let Some(seen) = entry.names.get_mut(vendor.index()) {
                    for (_, name) in field_names {
                        match seen.get_mut(*name) {
                            Some(seen_active) => *seen_active |= active,
                            None => {
                                seen.insert((*name).to_owned(), active);
                            }
                        }
                    }
                }
                for (_, op, value) in field_values {
                    match entry.values.get_mut(*op) {
                        Some(by_value) => bump(by_value, value, scopes),
                        None => {
                            let mut by_value = HashMap::default();
                            bump(&mut by_value, value, scopes);
                            entry.values.insert((*op).to_owned(), by_value);
                        }
                    }
                }
            }
        }
    }

    /// The rows to store: (field, deprecated, JSON of [`FieldData`]); none for a scope
    /// without rules. Each field is turned into rows on the rayon pool.
    pub fn finish(self) -> Result<FieldRows, CatalogError> {
        use rayon::prelude::*;
        let FieldSummary { fields, heads } = self;
        let rank = list_ranks(&heads);
        let fields: Vec<(String, Counts)> = fields.into_iter().collect();
        let rows: Vec<Vec<(String, i64, String)>> = fields
            .into_par_iter()
            .map(|(field, mut counts)| {
                let mut rows = Vec::with_capacity(2);
                for deprecated in [ACTIVE, ALL] {
                    let Some(data) = counts.data(deprecated, &rank) else {
                        continue;
                    };
                    rows.push((
                        field.clone(),
                        deprecated as i64,
                        serde_json::to_string(&data)?,
                    ));
                }
                Ok(rows)
            })
            .collect::<Result<_, serde_json::Error>>()?;
        Ok(FieldRows(rows.into_iter().flatten().collect()))
    }
}

/// Each listed rule's place in list order (vendor, title, rid), by rid: a field's rules
/// then sort by an integer (the busiest fields list ~2,000 rules).
fn list_ranks(heads: &HashMap<i64, (Vendor, String)>) -> HashMap<i64, u32> {
    let mut order: Vec<(&i64, &(Vendor, String))> = heads.iter().collect();
    order.sort_unstable_by(|(ra, (va, ta)), (rb, (vb, tb))| {
        (va.as_str(), ta.as_str(), ra).cmp(&(vb.as_str(), tb.as_str(), rb))
    });
    order
        .into_iter()
        .zip(0u32..)
        .map(|((rid, _), rank)| (*rid, rank))
        .collect()
}

impl Counts {
    /// Scope `s`'s page ([`ACTIVE`] or [`ALL`] rules), or none when no rule of the
    /// scope uses the field. Takes the scope's rule list and counts by vendor.
    fn data(&mut self, s: usize, rank: &HashMap<i64, u32>) -> Option<FieldData> {
        let mut rules = std::mem::take(self.rules.get_mut(s)?);
        if rules.is_empty() {
            return None;
        }
        let by_vendor = std::mem::take(self.by_vendor.get_mut(s)?);
        let count = |counts: &[u64; 2]| counts.get(s).copied().unwrap_or(0);
        // Every listed rule has a rank (`add` records the head of each rule it lists).
        rules.sort_unstable_by_key(|rid| (rank.get(rid).copied().unwrap_or(u32::MAX), *rid));
        let mut vendor_names_seen: Vec<String> = Vendor::ALL
            .iter()
            .filter_map(|v| self.names.get(v.index()).map(|names| (v, names)))
            .flat_map(|(v, names)| {
                names
                    .iter()
                    .filter(|(_, active)| s == ALL || **active)
                    .map(move |(n, _)| format!("{}:{n}", v.as_str()))
            })
            .collect();
        vendor_names_seen.sort_unstable();
        // Ranked borrowed, and only the listed rows copied: each value row owning its
        // operator's name was a copy per distinct (field, operator, value), ~61k strings in
        // a Sigma-only build, nearly all of them dropped unlisted.
        let mut ranked: Vec<(&str, &str, u64)> = self
            .values
            .iter()
            .flat_map(|(op, by_value)| {
                by_value
                    .iter()
                    .map(move |(value, n)| (op.as_str(), value.as_str(), count(n)))
            })
            .filter(|(_, _, n)| *n > 0)
            .collect();
        let order = |a: &(&str, &str, u64), b: &(&str, &str, u64)| {
            b.2.cmp(&a.2).then_with(|| (a.1, a.0).cmp(&(b.1, b.0)))
        };
        // Only the first rows are listed: select them, then sort those.
        if ranked.len() > TOP_ROWS {
            ranked.select_nth_unstable_by(TOP_ROWS, order);
            ranked.truncate(TOP_ROWS);
        }
        ranked.sort_unstable_by(order);
        let values: Vec<(String, String, u64)> = ranked
            .into_iter()
            .map(|(op, value, n)| (op.to_owned(), value.to_owned(), n))
            .collect();
        let mut techniques: Vec<(&str, u64)> = self
            .techniques
            .iter()
            .map(|(id, n)| (id.as_str(), count(n)))
            .filter(|(_, n)| *n > 0)
            .collect();
        techniques.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        techniques.truncate(TOP_ROWS);
        Some(FieldData {
            rules,
            by_vendor,
            vendor_names_seen,
            operators: self
                .operators
                .iter()
                .filter(|(_, n)| count(n) > 0)
                .map(|(op, n)| ((*op).to_owned(), count(n)))
                .collect(),
            values,
            techniques: techniques
                .into_iter()
                .map(|(id, n)| (id.to_owned(), n))
                .collect(),
        })
    }
}

/// The rows of `field_summary`, ready to bind.
pub struct FieldRows(Vec<(String, i64, String)>);

impl FieldRows {
    /// Creates the table and stores the rows.
    pub fn write(&self, tx: &rusqlite::Transaction<'_>) -> Result<(), CatalogError> {
        tx.execute_batch(FIELD_SUMMARY_DDL)?;
        let mut stmt =
            tx.prepare("INSERT INTO field_summary (field, deprecated, data) VALUES (?1, ?2, ?3)")?;
        for (field, deprecated, data) in &self.0 {
            stmt.execute(params![field, deprecated, data])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::run_of;

    #[test]
    fn runs_are_cut_field_by_field_from_the_front() {
        let values = [("a", 1), ("a", 2), ("c", 3), ("d", 4), ("d", 5)];
        let (a, rest) = run_of(&values, "a", |(k, _)| k);
        assert_eq!(a, &[("a", 1), ("a", 2)]);
        // A field without entries: an empty run, nothing consumed.
        let (b, rest) = run_of(rest, "b", |(k, _)| k);
        assert!(b.is_empty());
        assert_eq!(rest.len(), 3);
        // Entries before the field are skipped.
        let (d, rest) = run_of(rest, "d", |(k, _)| k);
        assert_eq!(d, &[("d", 4), ("d", 5)]);
        assert!(rest.is_empty());
        let (e, rest) = run_of(rest, "e", |(k, _)| k);
        assert!(e.is_empty() && rest.is_empty());
    }
}

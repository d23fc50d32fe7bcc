//! The corpus' distinct triples, numbered as the rules' triples arrive, with each indicator's
//! corpus reach counted on the way.
//!
//! A stored indicator row carries its reach (how many rules use the same indicator), and the
//! technique pages rank triples by small integer ids. Both used to hash every row's strings
//! once the map had ended — a reach count, a reach lookup per stored row, an interning for the
//! pages: three passes over ~100k rows on the build's busiest stretch, its tail (issue 19).
//! Numbered here once, chunk by chunk while the map still runs, the rows find their reach by
//! id and the pages use the same ids.

use std::hash::BuildHasher;

use detcat_model::Role;
use hashbrown::HashTable;

use super::analyze::TripleRow;
use super::side::RuleTriples;

/// (role, field, operator, value) of a triple: what makes two rows the same triple.
pub(crate) type TripleKey<'a> = (Role, &'a str, &'a str, &'a str);

fn key(row: &TripleRow) -> TripleKey<'_> {
    (
        row.role,
        row.field.as_str(),
        &row.operator,
        row.value.as_str(),
    )
}

/// Every rule's triples, in rid order, and the ids of their distinct triples.
#[derive(Default)]
pub struct TripleIds {
    rules: Vec<RuleTriples>,
    /// Ids, found by the hash of their key; the key itself is read from the first row (the
    /// rows own the strings, so the table holds none of its own).
    table: HashTable<u32>,
    /// Per id: its first row, as (index in `rules`, index in that rule's triples).
    first: Vec<(u32, u32)>,
    /// Per id: (active rules, all rules) using it; counted for indicators only.
    reach: Vec<(i64, i64)>,
    /// Per id: the hash of its key, for the table to move it when it grows (hashing the
    /// strings again was 1.7% of the build's CPU).
    hashes: Vec<u64>,
    hasher: foldhash::fast::RandomState,
}

/// The key of id `id`, read from its first row.
fn key_of<'r>(rules: &'r [RuleTriples], first: &[(u32, u32)], id: u32) -> Option<TripleKey<'r>> {
    let &(rule, row) = first.get(id as usize)?;
    let row = rules.get(rule as usize)?.triples.get(row as usize)?;
    Some(key(row))
}

impl TripleIds {
    /// Numbers the triples of a chunk of rules, which come in rid order after the previous
    /// chunk's, and counts their indicators' reach.
    pub fn add(&mut self, chunk: Vec<RuleTriples>) {
        self.rules.reserve(chunk.len());
        for rule in chunk {
            let at = self.rules.len() as u32;
            self.rules.push(rule);
            let Some(rule) = self.rules.last() else {
                continue;
            };
            let mut ids = Vec::with_capacity(rule.triples.len());
            for (n, row) in (0u32..).zip(&rule.triples) {
                let k = key(row);
                let hash = self.hasher.hash_one(k);
                let (rules, first, hashes) = (&self.rules, &mut self.first, &mut self.hashes);
                let found = self
                    .table
                    .find(hash, |&id| key_of(rules, first, id) == Some(k))
                    .copied();
                let id = match found {
                    Some(id) => id,
                    None => {
                        let id = first.len() as u32;
                        first.push((at, n));
                        hashes.push(hash);
                        self.reach.push((0, 0));
                        let hashes = &*hashes;
                        self.table.insert_unique(hash, id, |&other| {
                            hashes.get(other as usize).copied().unwrap_or_default()
                        });
                        id
                    }
                };
                if row.role == Role::Indicator
                    && let Some(reach) = self.reach.get_mut(id as usize)
                {
                    reach.0 += i64::from(rule.active);
                    reach.1 += 1;
                }
                ids.push(id);
            }
            if let Some(rule) = self.rules.last_mut() {
                rule.ids = ids;
            }
        }
    }

    /// Every rule's triples, in rid order (each with its rows' ids).
    pub fn rules(&self) -> &[RuleTriples] {
        &self.rules
    }

    /// The triples of the rule `rid`, if it has any.
    pub fn rule(&self, rid: i64) -> Option<&RuleTriples> {
        let i = self.rules.binary_search_by_key(&rid, |r| r.rid).ok()?;
        self.rules.get(i)
    }

    /// How many distinct triples there are (ids are `0..len`).
    pub fn len(&self) -> usize {
        self.first.len()
    }

    /// The key of triple `id`.
    pub fn key(&self, id: u32) -> Option<TripleKey<'_>> {
        key_of(&self.rules, &self.first, id)
    }

    /// (active rules, all rules) using triple `id` when it is an indicator; (0, 0) otherwise.
    pub fn reach(&self, id: u32) -> (i64, i64) {
        self.reach.get(id as usize).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(role: Role, field: &str, value: &str, original: &str) -> TripleRow {
        TripleRow {
            role,
            field: field.to_owned(),
            operator: "eq".into(),
            value: value.to_owned(),
            original: original.to_owned(),
            raw_field: field.to_owned(),
        }
    }

    fn rule(rid: i64, active: bool, triples: Vec<TripleRow>) -> RuleTriples {
        RuleTriples {
            rid,
            first_rowid: 1,
            active,
            triples,
            ids: Vec::new(),
        }
    }

    #[test]
    fn the_same_triple_gets_one_id_across_rules_and_chunks_and_its_reach_counts_them() {
        let mut ids = TripleIds::default();
        ids.add(vec![
            rule(
                1,
                true,
                vec![
                    row(Role::Indicator, "process.name", "a.exe", "A.exe"),
                    row(Role::Selector, "event.category", "process", "process"),
                ],
            ),
            rule(
                2,
                false,
                vec![row(Role::Indicator, "process.name", "a.exe", "a.exe")],
            ),
        ]);
        ids.add(vec![rule(
            3,
            true,
            vec![
                // Same field and value, another role: another triple.
                row(Role::Exclusion, "process.name", "a.exe", "a.exe"),
                row(Role::Indicator, "process.name", "a.exe", "a.EXE"),
                row(Role::Selector, "event.category", "process", "process"),
            ],
        )]);
        let of = |rid| ids.rule(rid).map(|r| r.ids.clone()).unwrap_or_default();
        assert_eq!(of(1), vec![0, 1]);
        assert_eq!(of(2), vec![0]);
        assert_eq!(of(3), vec![2, 0, 1]);
        assert_eq!(ids.len(), 3);
        // Two active rules and one deprecated use the indicator; other roles have no reach.
        assert_eq!(ids.reach(0), (2, 3));
        assert_eq!(ids.reach(1), (0, 0));
        assert_eq!(ids.reach(2), (0, 0));
        assert_eq!(
            ids.key(2),
            Some((Role::Exclusion, "process.name", "eq", "a.exe"))
        );
        assert_eq!(ids.key(3), None);
        assert!(ids.rule(4).is_none());
    }

    #[test]
    fn ids_survive_the_table_growing() {
        let mut ids = TripleIds::default();
        let values: Vec<String> = (0..5000).map(|n| format!("v{n}")).collect();
        ids.add(
            (0..50)
                .map(|r| {
                    let rows = values
                        .iter()
                        .skip(r * 100)
                        .take(100)
                        .map(|v| row(Role::Indicator, "f", v, v))
                        .collect();
                    rule(r as i64 + 1, true, rows)
                })
                .collect(),
        );
        // Every value again, in one rule: each finds the id it got first.
        ids.add(vec![rule(
            51,
            true,
            values
                .iter()
                .map(|v| row(Role::Indicator, "f", v, v))
                .collect(),
        )]);
        assert_eq!(ids.len(), 5000);
        let again = ids.rule(51).map(|r| r.ids.clone()).unwrap_or_default();
        assert_eq!(again, (0..5000).collect::<Vec<u32>>());
        assert!((0..5000).all(|id| ids.reach(id) == (2, 2)));
    }
}

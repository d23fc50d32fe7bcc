//! Which rules an event meets: rules indexed by the event kinds they select, plus the literal
//! prefilter (`prefilter.rs`) over what remains.
//!
//! A rule that lists taxonomy events (`sysmon:1`, `security:*`) is only tried on events of
//! those kinds; a rule listing none, and every rule on an event whose kind is unknown, is
//! tried as [`CompiledRule::selects`] says. Stateful rules are not indexed: they run over the
//! whole stream (`engine.rs`).

use std::collections::HashMap;

use serde::Serialize;

use crate::event::Event;
use crate::prefilter::{Need, Prefilter};
use crate::rule::CompiledRule;

#[derive(Debug, Default)]
pub(crate) struct RuleIndex {
    /// Plain rules selecting each event key (`sysmon:1`, `sysmon:*`), ascending.
    by_key: HashMap<String, Vec<u32>>,
    /// Plain rules selecting any event, ascending.
    any_kind: Vec<u32>,
    /// Every plain (not stateful) rule, ascending: the candidates on an event of unknown kind.
    pub(crate) plain: Vec<u32>,
    /// Stateful rules, ascending.
    pub(crate) stateful: Vec<u32>,
    pub(crate) prefilter: Prefilter,
    /// Per rule: the literals an event must contain for the rule to be tried.
    pub(crate) needs: Vec<Need>,
}

/// How the rules are indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndexStats {
    /// Plain rules (one event decides them).
    pub plain: usize,
    /// Stateful rules (run over the stream).
    pub stateful: usize,
    /// Plain rules tried on events of any kind (they list no event).
    pub any_kind: usize,
    /// Plain rules tried only on events containing one of their literals.
    pub prefiltered: usize,
    /// Distinct literals in the prefilter's automaton.
    pub literals: usize,
}

impl RuleIndex {
    pub(crate) fn stats(&self) -> IndexStats {
        IndexStats {
            plain: self.plain.len(),
            stateful: self.stateful.len(),
            any_kind: self.any_kind.len(),
            prefiltered: self
                .plain
                .iter()
                .filter(|i| {
                    matches!(
                        self.needs.get(**i as usize),
                        Some(crate::prefilter::Need::AnyOf(_))
                    )
                })
                .count(),
            literals: self.prefilter.literals(),
        }
    }

    pub(crate) fn new(rules: &[CompiledRule]) -> RuleIndex {
        let mut index = RuleIndex::default();
        for (i, r) in rules.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            if r.stateful.is_some() {
                index.stateful.push(i);
                continue;
            }
            index.plain.push(i);
            if r.events.is_empty() {
                index.any_kind.push(i);
            }
            for key in &r.events {
                index.by_key.entry(key.clone()).or_default().push(i);
            }
        }
        let (prefilter, needs) = Prefilter::build(
            rules
                .iter()
                .map(|r| r.stateful.is_none().then_some((&r.node, &r.tables))),
        );
        index.prefilter = prefilter;
        index.needs = needs;
        index
    }

    /// The plain rules an event of this kind selects, ascending and without repeats; `None`
    /// for an event of unknown kind (every plain rule).
    pub(crate) fn for_kind(&self, keys: Option<&[String; 2]>) -> Option<Vec<u32>> {
        let [exact, any] = keys?;
        let empty = Vec::new();
        let a = self.by_key.get(exact).unwrap_or(&empty);
        let b = self.by_key.get(any).unwrap_or(&empty);
        let mut out: Vec<u32> = a.iter().chain(b).chain(&self.any_kind).copied().collect();
        out.sort_unstable();
        out.dedup();
        Some(out)
    }

    /// The candidate lists of the kinds among `events`, made once per kind.
    pub(crate) fn kinds<'e>(&self, events: &'e [Event]) -> HashMap<&'e str, Vec<u32>> {
        let mut out: HashMap<&str, Vec<u32>> = HashMap::new();
        for e in events {
            if let Some(keys) = &e.provenance.keys
                && !out.contains_key(keys[0].as_str())
                && let Some(list) = self.for_kind(Some(keys))
            {
                out.insert(keys[0].as_str(), list);
            }
        }
        out
    }
}

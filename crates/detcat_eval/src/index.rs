//! Which rules an event meets: rules indexed by the event kinds they select, plus the literal
//! prefilter (`prefilter.rs`) over what remains.
//!
//! A rule that lists taxonomy events (`sysmon:1`, `security:*`) is only tried on events of
//! those kinds; a rule listing none, and every rule on an event whose kind is unknown, is
//! tried as [`CompiledRule::selects`] says. Stateful rules are indexed the same way: the
//! events of a stream they meet (of their kinds, containing the literals of their filter and
//! steps — `Plan::prefilter_tree`) are the ones their plan runs over (`engine.rs`).

use std::collections::HashMap;

use serde::Serialize;

use crate::compile::Node;
use crate::event::Event;
use crate::prefilter::{Need, Prefilter};
use crate::rule::CompiledRule;
use crate::stateful::Stateful;

#[derive(Debug, Default)]
pub(crate) struct RuleIndex {
    /// Rules selecting each event key (`sysmon:1`, `sysmon:*`), ascending.
    by_key: HashMap<String, Vec<u32>>,
    /// Rules selecting any event, ascending.
    any_kind: Vec<u32>,
    /// Every rule, ascending: the candidates on an event of unknown kind.
    pub(crate) all: Vec<u32>,
    /// Every plain (not stateful) rule, ascending.
    pub(crate) plain: Vec<u32>,
    /// Stateful rules, ascending.
    pub(crate) stateful: Vec<u32>,
    pub(crate) prefilter: Prefilter,
    /// Per rule: the literals an event must contain for the rule to be tried.
    pub(crate) needs: Vec<Need>,
    /// Per literal: the rules whose need lists it, ascending — an event's literals lead to
    /// the rules they can wake, instead of every rule of its kind testing its need.
    pub(crate) posting: Vec<Vec<u32>>,
    /// What an event of unknown kind meets: every rule.
    unknown_kind: KindRules,
}

/// The rules an event kind meets, as the run reads them.
#[derive(Debug, Default)]
pub(crate) struct KindRules {
    /// The rules of the kind that are always tried (no literal need), ascending.
    pub(crate) always: Vec<u32>,
    /// Per rule: is it of the kind?
    pub(crate) member: Vec<bool>,
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
    /// Stateful rules whose plan runs only on events containing one of their literals.
    pub stateful_prefiltered: usize,
    /// Distinct literals in the prefilter's automaton.
    pub literals: usize,
}

impl RuleIndex {
    pub(crate) fn stats(&self) -> IndexStats {
        IndexStats {
            plain: self.plain.len(),
            stateful: self.stateful.len(),
            any_kind: self
                .any_kind
                .iter()
                .filter(|i| self.plain.binary_search(i).is_ok())
                .count(),
            prefiltered: self.prefiltered(&self.plain),
            stateful_prefiltered: self.prefiltered(&self.stateful),
            literals: self.prefilter.literals(),
        }
    }

    fn prefiltered(&self, rules: &[u32]) -> usize {
        rules
            .iter()
            .filter(|i| matches!(self.needs.get(**i as usize), Some(Need::AnyOf(_))))
            .count()
    }

    pub(crate) fn new(rules: &[CompiledRule]) -> RuleIndex {
        let mut index = RuleIndex::default();
        for (i, r) in rules.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            index.all.push(i);
            if r.stateful.is_some() {
                index.stateful.push(i);
            } else {
                index.plain.push(i);
            }
            if r.events.is_empty() {
                index.any_kind.push(i);
            }
            for key in &r.events {
                index.by_key.entry(key.clone()).or_default().push(i);
            }
        }
        // A stateful rule's plan runs only on the events that can change its state.
        let plan_trees: Vec<Option<Node>> = rules
            .iter()
            .map(|r| match &r.stateful {
                Some(Stateful::Plan(plan)) => Some(plan.prefilter_tree()),
                _ => None,
            })
            .collect();
        let (prefilter, needs) =
            Prefilter::build(rules.iter().zip(&plan_trees).map(|(r, tree)| {
                match (&r.stateful, tree) {
                    (None, _) => Some((&r.node, &r.tables)),
                    (Some(_), Some(tree)) => Some((tree, &r.tables)),
                    (Some(_), None) => None,
                }
            }));
        let mut posting: Vec<Vec<u32>> = vec![Vec::new(); prefilter.literals()];
        for (i, need) in needs.iter().enumerate() {
            let (Ok(i), Need::AnyOf(ids)) = (u32::try_from(i), need) else {
                continue;
            };
            for id in ids {
                if let Some(list) = posting.get_mut(*id as usize)
                    && list.last() != Some(&i)
                {
                    list.push(i);
                }
            }
        }
        index.prefilter = prefilter;
        index.needs = needs;
        index.posting = posting;
        index.unknown_kind = index.kind_rules(&index.all);
        index
    }

    /// The rules an event of this kind selects, ascending and without repeats; `None` for an
    /// event of unknown kind (every rule).
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

    /// The rules of `rules` as the run reads them.
    fn kind_rules(&self, rules: &[u32]) -> KindRules {
        let mut member = vec![false; self.needs.len()];
        let mut always = Vec::new();
        for &i in rules {
            if let Some(m) = member.get_mut(i as usize) {
                *m = true;
            }
            if matches!(self.needs.get(i as usize), Some(Need::Always)) {
                always.push(i);
            }
        }
        KindRules { always, member }
    }

    /// The rules each kind among `events` meets, made once per kind.
    pub(crate) fn kinds<'e>(&self, events: &'e [Event]) -> HashMap<&'e str, KindRules> {
        let mut out: HashMap<&str, KindRules> = HashMap::new();
        for e in events {
            if let Some(keys) = &e.provenance.keys
                && !out.contains_key(keys[0].as_str())
                && let Some(list) = self.for_kind(Some(keys))
            {
                out.insert(keys[0].as_str(), self.kind_rules(&list));
            }
        }
        out
    }

    /// What an event of unknown kind meets.
    pub(crate) fn unknown_kind(&self) -> &KindRules {
        &self.unknown_kind
    }
}

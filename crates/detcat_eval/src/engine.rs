//! The engine: rules compiled once and indexed, run over the events of one stream (a file) in
//! parallel.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::eval::{Tri, eval};
use crate::event::Event;
use crate::index::{IndexStats, RuleIndex};
use crate::rule::{CompiledRule, EvalRule, Verdict};
use crate::stateful::Stateful;

/// Compiled rules, ready for any number of event streams.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<CompiledRule>,
    index: RuleIndex,
}

/// What one rule did on one stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RuleHits {
    /// Index of the rule in [`Engine::rules`].
    pub rule: usize,
    /// Indices of the events it fired on (for a stateful rule, the event completing each
    /// alert).
    pub fired: Vec<usize>,
    /// Events of a selected kind the rule could not decide on.
    pub undetermined: usize,
    /// Set when the rule is stateful and was not evaluated: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_evaluated: Option<String>,
}

/// Events handed to one task of the plain-rule pass.
const CHUNK: usize = 32;

impl Engine {
    /// Compiles every rule (in parallel) and indexes them by event kind and literal.
    pub fn new(rules: Vec<EvalRule>) -> Engine {
        let rules: Vec<CompiledRule> = rules.into_par_iter().map(CompiledRule::compile).collect();
        let index = RuleIndex::new(&rules);
        Engine { rules, index }
    }

    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// How the rules are indexed (for benchmarks and `--stats`-like reports).
    pub fn index_stats(&self) -> IndexStats {
        self.index.stats()
    }

    /// The index of a rule by vendor and id.
    pub fn find(&self, vendor: detcat_model::Vendor, id: &str) -> Option<usize> {
        self.rules
            .iter()
            .position(|r| r.rule.vendor == vendor && r.rule.id == id)
    }

    /// Runs the rules `pick` keeps over one ordered stream; returns the rules that fired, were
    /// undetermined, or were not evaluated — rules that simply did not match are left out —
    /// in rule order.
    ///
    /// Plain rules run event by event: an event meets only the rules of its kind whose
    /// literals it contains (`index.rs`); stateful rules run rule by rule over the stream.
    pub fn run(
        &self,
        events: &[Event],
        pick: &(dyn Fn(&CompiledRule) -> bool + Sync),
    ) -> Vec<RuleHits> {
        let picked: Vec<bool> = self.rules.iter().map(pick).collect();
        let is_picked = |i: u32| picked.get(i as usize).copied().unwrap_or(false);
        let mut out: Vec<RuleHits> = self
            .index
            .stateful
            .par_iter()
            .filter(|i| is_picked(**i))
            .filter_map(|i| {
                let r = self.rules.get(*i as usize)?;
                Some(run_rule(*i as usize, r, events))
            })
            .filter(|h| !h.fired.is_empty() || h.undetermined > 0 || h.not_evaluated.is_some())
            .collect();
        let kinds = self.index.kinds(events);
        let found: Vec<Vec<(u32, usize, bool)>> = events
            .par_chunks(CHUNK)
            .enumerate()
            .map_init(
                || self.index.prefilter.hits(),
                |hits, (c, chunk)| {
                    let mut found = Vec::new();
                    for (k, e) in chunk.iter().enumerate() {
                        let at = c * CHUNK + k;
                        let candidates = match &e.provenance.keys {
                            Some(keys) => kinds.get(keys[0].as_str()).unwrap_or(&self.index.plain),
                            None => &self.index.plain,
                        };
                        self.index.prefilter.scan(e, hits);
                        for &i in candidates {
                            let (Some(r), Some(need)) =
                                (self.rules.get(i as usize), self.index.needs.get(i as usize))
                            else {
                                continue;
                            };
                            if !is_picked(i) || !hits.meets(need) {
                                continue;
                            }
                            match eval(&r.node, &r.tables, e) {
                                Tri::True => found.push((i, at, true)),
                                Tri::Unknown => found.push((i, at, false)),
                                Tri::False => {}
                            }
                        }
                    }
                    found
                },
            )
            .collect();
        let mut plain: HashMap<u32, RuleHits> = HashMap::new();
        for (i, at, fired) in found.into_iter().flatten() {
            let h = plain.entry(i).or_insert_with(|| RuleHits {
                rule: i as usize,
                ..RuleHits::default()
            });
            if fired {
                h.fired.push(at);
            } else {
                h.undetermined += 1;
            }
        }
        out.extend(plain.into_values());
        out.sort_unstable_by_key(|h| h.rule);
        out
    }
}

/// One rule over one stream.
pub fn run_rule(index: usize, rule: &CompiledRule, events: &[Event]) -> RuleHits {
    let mut hits = RuleHits {
        rule: index,
        ..RuleHits::default()
    };
    match &rule.stateful {
        Some(Stateful::NotEvaluated(reason)) => {
            if events.iter().any(|e| rule.selects(e)) {
                hits.not_evaluated = Some(reason.clone());
            }
        }
        Some(Stateful::Plan(plan)) => {
            let (idx, selected): (Vec<usize>, Vec<&Event>) = events
                .iter()
                .enumerate()
                .filter(|(_, e)| rule.selects(e))
                .unzip();
            let r = plan.run(&rule.tables, &selected);
            hits.fired = r
                .alerts
                .iter()
                .filter_map(|i| idx.get(*i).copied())
                .collect();
            hits.undetermined = usize::from(r.undetermined);
        }
        None => {
            for (i, e) in events.iter().enumerate() {
                match rule.verdict(e) {
                    Verdict::Fires => hits.fired.push(i),
                    Verdict::Undetermined => hits.undetermined += 1,
                    Verdict::NoMatch | Verdict::NotSelected => {}
                }
            }
        }
    }
    hits
}

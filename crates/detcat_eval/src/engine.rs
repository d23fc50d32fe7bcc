//! The engine: rules compiled once and indexed, run over the events of one stream (a file) in
//! parallel, whole or batch by batch.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use serde::Serialize;

use crate::eval::{Tri, eval};
use crate::event::Event;
use crate::index::{IndexStats, RuleIndex};
use crate::provenance::Provenance;
use crate::rule::{CompiledRule, EvalRule, Verdict};
use crate::stateful::Stateful;
use crate::stream::PlanState;

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
    /// in rule order. The same as [`Engine::stream`] fed the whole stream at once.
    pub fn run(
        &self,
        events: &[Event],
        pick: &(dyn Fn(&CompiledRule) -> bool + Sync),
    ) -> Vec<RuleHits> {
        let mut stream = self.stream(pick);
        let mut out = stream.feed(events);
        out.extend(stream.finish());
        out.sort_unstable_by_key(|h| h.rule);
        out
    }

    /// Starts a run of the rules `pick` keeps over one ordered stream given in batches
    /// ([`StreamRun::feed`]); memory is bounded by the batch plus the state of the stateful
    /// rules.
    pub fn stream<'a>(&'a self, pick: &(dyn Fn(&CompiledRule) -> bool + Sync)) -> StreamRun<'a> {
        let picked = self.rules.iter().map(pick).collect();
        let stateful = self
            .index
            .stateful
            .iter()
            .map(|i| (*i, PlanState::default(), false))
            .collect();
        StreamRun {
            engine: self,
            picked,
            seen: 0,
            stateful,
            keep_provenance: false,
            provenance: BTreeMap::new(),
        }
    }
}

/// One stream run in batches: plain rules decide each event of a batch; stateful rules carry
/// their state (count groups, partial sequences) from batch to batch, so a stream cut into
/// batches gives what it gives whole.
#[derive(Debug)]
pub struct StreamRun<'a> {
    engine: &'a Engine,
    picked: Vec<bool>,
    /// Events fed so far: the stream index of the next batch's first event.
    seen: usize,
    /// Per stateful rule: its state and whether some event of its kind was seen.
    stateful: Vec<(u32, PlanState, bool)>,
    keep_provenance: bool,
    /// The provenance of the events a stateful plan ran on (their alerts point to them).
    provenance: BTreeMap<usize, Provenance>,
}

/// Per-thread scratch of a batch run: the literals of the event, and which rules it has
/// already met (`stamp[rule] == event`).
struct Scratch {
    hits: crate::prefilter::Hits,
    stamp: Vec<u32>,
    event: u32,
}

impl Scratch {
    fn next_event(&mut self) {
        self.event = self.event.wrapping_add(1);
        if self.event == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.event = 1;
        }
    }
}

/// An event of a batch met a rule: it fired, was undetermined, or goes to the rule's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Met {
    Fired,
    Undetermined,
    Stateful,
}

impl StreamRun<'_> {
    /// Keeps the [`Provenance`] of the events stateful rules ran on, for
    /// [`StreamRun::provenance`] after the batch is gone.
    pub fn keep_provenance(mut self) -> Self {
        self.keep_provenance = true;
        self
    }

    /// The stream index of the next batch's first event (the events fed so far).
    pub fn seen(&self) -> usize {
        self.seen
    }

    /// The provenance of an event a stateful rule's alert points to (with
    /// [`StreamRun::keep_provenance`]).
    pub fn provenance(&self, at: usize) -> Option<&Provenance> {
        self.provenance.get(&at)
    }

    /// Runs the next events of the stream: returns the plain rules that fired or were
    /// undetermined on them, in rule order, with stream indices (see [`StreamRun::seen`]).
    pub fn feed(&mut self, events: &[Event]) -> Vec<RuleHits> {
        let engine = self.engine;
        let index = &engine.index;
        let offset = self.seen;
        self.seen += events.len();
        let kinds = index.kinds(events);
        let picked = &self.picked;
        let is_picked = |i: u32| picked.get(i as usize).copied().unwrap_or(false);
        let found: Vec<Vec<(u32, usize, Met)>> = events
            .par_chunks(CHUNK)
            .enumerate()
            .map_init(
                || Scratch {
                    hits: index.prefilter.hits(),
                    stamp: vec![0; engine.rules.len()],
                    event: 0,
                },
                |scratch, (c, chunk)| {
                    let mut found = Vec::new();
                    for (k, e) in chunk.iter().enumerate() {
                        let at = c * CHUNK + k;
                        let kind = match &e.provenance.keys {
                            Some(keys) => {
                                kinds.get(keys[0].as_str()).unwrap_or(index.unknown_kind())
                            }
                            None => index.unknown_kind(),
                        };
                        index.prefilter.scan(e, &mut scratch.hits);
                        scratch.next_event();
                        let Scratch { hits, stamp, event } = scratch;
                        // The rules of the kind without a literal need, then those that a
                        // literal of the event leads to (each once).
                        let woken = hits
                            .found()
                            .filter_map(|lit| index.posting.get(lit))
                            .flatten()
                            .filter(|i| kind.member.get(**i as usize).copied().unwrap_or(false));
                        for &i in kind.always.iter().chain(woken) {
                            match stamp.get_mut(i as usize) {
                                Some(s) if *s != *event => *s = *event,
                                _ => continue,
                            }
                            let Some(r) = engine.rules.get(i as usize) else {
                                continue;
                            };
                            if !is_picked(i) {
                                continue;
                            }
                            if r.stateful.is_some() {
                                found.push((i, at, Met::Stateful));
                                continue;
                            }
                            match eval(&r.node, &r.tables, e) {
                                Tri::True => found.push((i, at, Met::Fired)),
                                Tri::Unknown => found.push((i, at, Met::Undetermined)),
                                Tri::False => {}
                            }
                        }
                    }
                    found
                },
            )
            .collect();
        let mut plain: HashMap<u32, RuleHits> = HashMap::new();
        let mut to_plans: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, at, met) in found.into_iter().flatten() {
            if met == Met::Stateful {
                to_plans.entry(i).or_default().push(at);
                continue;
            }
            let h = plain.entry(i).or_insert_with(|| RuleHits {
                rule: i as usize,
                ..RuleHits::default()
            });
            if met == Met::Fired {
                h.fired.push(offset + at);
            } else {
                h.undetermined += 1;
            }
        }
        self.feed_plans(events, offset, &to_plans);
        let mut out: Vec<RuleHits> = plain.into_values().collect();
        out.sort_unstable_by_key(|h| h.rule);
        out
    }

    /// Each stateful rule's plan over the events of the batch it met, in stream order.
    fn feed_plans(&mut self, events: &[Event], offset: usize, to_plans: &HashMap<u32, Vec<usize>>) {
        let rules = &self.engine.rules;
        self.stateful.par_iter_mut().for_each(|(i, state, seen)| {
            let (Some(at), Some(r)) = (to_plans.get(i), rules.get(*i as usize)) else {
                return;
            };
            *seen = true;
            if let Some(Stateful::Plan(plan)) = &r.stateful {
                let batch = at
                    .iter()
                    .filter_map(|k| events.get(*k).map(|e| (offset + *k, e)));
                plan.feed(&r.tables, state, batch);
            }
        });
        if self.keep_provenance {
            for (i, at) in to_plans {
                let is_plan = rules
                    .get(*i as usize)
                    .is_some_and(|r| matches!(r.stateful, Some(Stateful::Plan(_))));
                if !is_plan {
                    continue;
                }
                for k in at {
                    if let Some(e) = events.get(*k) {
                        self.provenance
                            .entry(offset + *k)
                            .or_insert_with(|| e.provenance.clone());
                    }
                }
            }
        }
    }

    /// Ends the stream: the stateful rules that fired, were undetermined or were not
    /// evaluated (on a stream holding events of their kind), in rule order.
    pub fn finish(&mut self) -> Vec<RuleHits> {
        let rules = &self.engine.rules;
        std::mem::take(&mut self.stateful)
            .into_iter()
            .filter_map(|(i, state, seen)| {
                let r = rules.get(i as usize)?;
                let mut hits = RuleHits {
                    rule: i as usize,
                    ..RuleHits::default()
                };
                match &r.stateful {
                    Some(Stateful::NotEvaluated(reason)) if seen => {
                        hits.not_evaluated = Some(reason.clone());
                    }
                    Some(Stateful::Plan(plan)) => {
                        let result = plan.finish(state);
                        hits.fired = result.alerts;
                        hits.undetermined = usize::from(result.undetermined);
                    }
                    _ => {}
                }
                Some(hits)
            })
            .filter(|h| !h.fired.is_empty() || h.undetermined > 0 || h.not_evaluated.is_some())
            .collect()
    }
}

/// Frees a batch of events on every core: an event is many small allocations, and freeing a
/// batch on the reading thread alone left the other cores idle.
pub fn free_events(events: Vec<Event>) {
    events.into_par_iter().for_each(drop);
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

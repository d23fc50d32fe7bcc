//! The engine: rules compiled once, run over the events of one stream (a file) in parallel.

use rayon::prelude::*;
use serde::Serialize;

use crate::event::Event;
use crate::rule::{CompiledRule, EvalRule, Verdict};
use crate::stateful::Stateful;

/// Compiled rules, ready for any number of event streams.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<CompiledRule>,
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

impl Engine {
    /// Compiles every rule (in parallel).
    pub fn new(rules: Vec<EvalRule>) -> Engine {
        Engine {
            rules: rules.into_par_iter().map(CompiledRule::compile).collect(),
        }
    }

    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// The index of a rule by vendor and id.
    pub fn find(&self, vendor: detcat_model::Vendor, id: &str) -> Option<usize> {
        self.rules
            .iter()
            .position(|r| r.rule.vendor == vendor && r.rule.id == id)
    }

    /// Runs the rules `pick` keeps over one ordered stream; returns the rules that fired, were
    /// undetermined, or were not evaluated — rules that simply did not match are left out.
    pub fn run(
        &self,
        events: &[Event],
        pick: &(dyn Fn(&CompiledRule) -> bool + Sync),
    ) -> Vec<RuleHits> {
        self.rules
            .par_iter()
            .enumerate()
            .filter(|(_, r)| pick(r))
            .map(|(i, r)| run_rule(i, r, events))
            .filter(|h| !h.fired.is_empty() || h.undetermined > 0 || h.not_evaluated.is_some())
            .collect()
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

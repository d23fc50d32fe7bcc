//! What a rule needs to run: its events as branches (alternatives) of steps (each step
//! needing one of its events).
//!
//! A plain query matches single records, so any one of the events it reads lets it fire: one
//! branch of one step holding all of [`crate::Taxonomy::events_for`]. Two shapes need more than
//! one event at once:
//!
//! - an EQL `sequence` (and any expression whose top is a sequence): one step per sequence
//!   step (missing-event steps `![…]` need nothing), each step's events read as if the step
//!   were the whole query;
//! - a Splunk `data_source` written `Sysmon EventID 1 AND Sysmon EventID 11`: the entry is a
//!   branch whose steps are its `AND` parts; the other entries are branches of their own.
//!
//! Rules the taxonomy finds no event for need nothing known: they have no branch.

use detcat_model::{Expr, Rule, Sequence, TelemetryHint};

use crate::Taxonomy;
use crate::events::EventRef;

/// One way (branch) a rule can run: every step needs at least one of its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventBranch {
    pub steps: Vec<Vec<EventRef>>,
}

pub(crate) fn event_branches(tax: &Taxonomy, rule: &Rule, all: Vec<EventRef>) -> Vec<EventBranch> {
    if all.is_empty() {
        return Vec::new();
    }
    if let Some(branches) = splunk_and_branches(tax, rule) {
        return branches;
    }
    if let Some(branch) = sequence_branch(tax, rule, &all) {
        return vec![branch];
    }
    vec![EventBranch { steps: vec![all] }]
}

/// Splunk `data_source` entries, one branch each, when one of them joins parts with `AND`.
fn splunk_and_branches(tax: &Taxonomy, rule: &Rule) -> Option<Vec<EventBranch>> {
    let names: Vec<&str> = rule
        .telemetry
        .iter()
        .filter_map(|h| match h {
            TelemetryHint::DataSource { name } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    if !names.iter().any(|n| n.contains(" AND ")) {
        return None;
    }
    let others: Vec<TelemetryHint> = rule
        .telemetry
        .iter()
        .filter(|h| !matches!(h, TelemetryHint::DataSource { .. }))
        .cloned()
        .collect();
    let mut probe = rule.clone();
    let mut branches = Vec::new();
    for name in names {
        let mut steps = Vec::new();
        for part in name.split(" AND ") {
            probe.telemetry = others.clone();
            probe.telemetry.push(TelemetryHint::DataSource {
                name: part.trim().to_owned(),
            });
            let events = tax.events_for(&probe);
            if !events.is_empty() && !steps.contains(&events) {
                steps.push(events);
            }
        }
        if !steps.is_empty() {
            branches.push(EventBranch { steps });
        }
    }
    (!branches.is_empty()).then_some(branches)
}

/// The sequence at the top of the rule (under an aggregation too), if it has two steps or more.
fn top_sequence(expr: &Expr) -> Option<&Sequence> {
    match expr {
        Expr::Sequence(seq) => Some(seq),
        Expr::Aggregation(agg) => agg.input.as_deref().and_then(top_sequence),
        _ => None,
    }
}

fn sequence_branch(tax: &Taxonomy, rule: &Rule, all: &[EventRef]) -> Option<EventBranch> {
    let seq = top_sequence(&rule.expr)?;
    let live: Vec<_> = seq.steps.iter().filter(|s| !s.missing).collect();
    if live.len() < 2 {
        return None;
    }
    let mut probe = rule.clone();
    let mut steps: Vec<Vec<EventRef>> = Vec::new();
    for step in live {
        probe.expr = Expr::Sequence(Sequence {
            steps: vec![step.clone()],
            until: None,
            ..seq.clone()
        });
        let mut events = tax.events_for(&probe);
        // A step the taxonomy cannot place reads whatever the rule reads.
        if events.is_empty() {
            events = all.to_vec();
        }
        if !steps.contains(&events) {
            steps.push(events);
        }
    }
    Some(EventBranch { steps })
}

//! Plans for stateful rules and their run over one ordered event stream (a file).
//!
//! - **Counting** (`event_count`, `value_count`, Elastic threshold, SPL `stats … | where`):
//!   events passing the input filter are grouped by the `group_by` values; with a timespan the
//!   count is taken over a sliding window of event time. A group whose (maximum windowed)
//!   count satisfies the condition at the end of the stream is one alert.
//! - **Sequences** (EQL `sequence [by …] [with maxspan=…] … [until …]`): per join key, the
//!   latest partial sequence of each stage is kept; an event advances at most one stage;
//!   `until` drops the key's partials; a partial older than `maxspan` cannot advance.
//!   `runs=N` repeats the step N times. Missing-event steps (`![ … ]`) are not evaluated.

use std::collections::HashMap;

use detcat_model::{Aggregation, Comparison, RangeOp, Sequence};

use crate::compile::{Compiler, FieldKey, Node, Tables};
use crate::eval::{Tri, eval};
use crate::event::Event;
use crate::time;

#[derive(Debug)]
pub(crate) struct Plan {
    kind: Kind,
    /// Plain filters `and`-ed with the stateful part; they apply to every event first.
    filter: Option<Node>,
}

#[derive(Debug)]
enum Kind {
    Count {
        input: Node,
        group_by: Vec<FieldKey>,
        distinct: Option<FieldKey>,
        window: Option<f64>,
        cond: Comparison,
    },
    Sequence {
        steps: Vec<(Node, Vec<FieldKey>)>,
        maxspan: Option<f64>,
        until: Option<(Node, Vec<FieldKey>)>,
    },
}

/// What a stream run found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StreamResult {
    /// Index of the event completing each alert.
    pub alerts: Vec<usize>,
    /// Some event's part could not be decided (opaque leaves in the input).
    pub undetermined: bool,
}

impl Plan {
    pub(crate) fn aggregation(
        c: &mut Compiler<'_>,
        a: &Aggregation,
        filter: Option<Node>,
    ) -> Result<Plan, String> {
        let vendor = c.rule.vendor;
        let cond = a
            .condition
            .clone()
            .ok_or("aggregation without a condition is not evaluated")?;
        let input = a.input.as_deref().map_or(Node::Const(true), |i| c.expr(i));
        let window = match a.timespan.as_deref() {
            Some(t) => Some(time::span(t).ok_or_else(|| format!("unreadable timespan `{t}`"))?),
            None => None,
        };
        let distinct = match a.kind {
            detcat_model::AggKind::ValueCount => Some(FieldKey::new(
                vendor,
                a.fields.first().ok_or("value_count without a field")?,
            )),
            detcat_model::AggKind::EventCount => None,
            _ => {
                return Err(format!(
                    "statistic `{}` is not evaluated",
                    a.function.as_deref().unwrap_or("?")
                ));
            }
        };
        Ok(Plan {
            kind: Kind::Count {
                input,
                group_by: a
                    .group_by
                    .iter()
                    .map(|g| FieldKey::new(vendor, g))
                    .collect(),
                distinct,
                window,
                cond,
            },
            filter,
        })
    }

    pub(crate) fn sequence(
        c: &mut Compiler<'_>,
        s: &Sequence,
        filter: Option<Node>,
    ) -> Result<Plan, String> {
        let vendor = c.rule.vendor;
        let keys = |names: &[String]| -> Vec<FieldKey> {
            names.iter().map(|n| FieldKey::new(vendor, n)).collect()
        };
        let mut steps = Vec::new();
        for step in &s.steps {
            if step.missing {
                return Err("missing-event sequence step is not evaluated".into());
            }
            let mut by = keys(&s.by);
            by.extend(keys(&step.by));
            for _ in 0..step.runs.unwrap_or(1).clamp(1, 64) {
                steps.push((c.expr(&step.expr), by.clone()));
            }
        }
        let maxspan = match s.maxspan.as_deref() {
            Some(t) => Some(time::span(t).ok_or_else(|| format!("unreadable maxspan `{t}`"))?),
            None => None,
        };
        let until = s.until.as_deref().map(|u| (c.expr(u), keys(&s.by)));
        Ok(Plan {
            kind: Kind::Sequence {
                steps,
                maxspan,
                until,
            },
            filter,
        })
    }

    /// Runs the plan over `events` in order.
    pub(crate) fn run(&self, t: &Tables, events: &[&Event]) -> StreamResult {
        let mut state = PlanState::default();
        self.feed(t, &mut state, events.iter().copied().enumerate());
        self.finish(state)
    }

    /// The tree an event must not make `false` for the plan to be worth running on it:
    /// the filter and (any step, `until`, or the count's input). An event on which it is
    /// `false` changes no state and no flag of the run (see [`Plan::feed`]), so the literal
    /// prefilter may skip it. When the filter can be undetermined, an event passing only
    /// the filter still flags the run undetermined: then only the filter's own need counts.
    pub(crate) fn prefilter_tree(&self) -> Node {
        let rest = match &self.kind {
            Kind::Count { input, .. } => input.clone(),
            Kind::Sequence { steps, until, .. } => Node::Or(
                steps
                    .iter()
                    .map(|(n, _)| n.clone())
                    .chain(until.iter().map(|(n, _)| n.clone()))
                    .collect(),
            ),
        };
        match &self.filter {
            None => rest,
            Some(f) if f.may_be_unknown() => f.clone(),
            Some(f) => Node::And(vec![f.clone(), rest]),
        }
    }

    /// Runs the plan over the next events of the stream, in order, each with its index in
    /// the whole stream. Alerts of sequences are found here; counts are judged at
    /// [`Plan::finish`].
    pub(crate) fn feed<'e>(
        &self,
        t: &Tables,
        state: &mut PlanState,
        events: impl IntoIterator<Item = (usize, &'e Event)>,
    ) {
        let undetermined = std::cell::Cell::new(false);
        let mut truth = |node: &Node, e: &Event| match eval(node, t, e) {
            Tri::True => true,
            Tri::False => false,
            Tri::Unknown => {
                undetermined.set(true);
                false
            }
        };
        let passing = events
            .into_iter()
            .filter(|(_, e)| self.filter.as_ref().is_none_or(|f| truth(f, e)));
        match &self.kind {
            Kind::Count {
                input,
                group_by,
                distinct,
                ..
            } => {
                for (i, e) in passing {
                    if !truth(input, e) {
                        continue;
                    }
                    let Some(key) = join_key(group_by, e) else {
                        continue;
                    };
                    let value = match distinct {
                        Some(d) => match d.get(e).and_then(|v| v.values.first()) {
                            Some(v) => v.clone(),
                            None => continue,
                        },
                        None => i.to_string(),
                    };
                    state.groups.entry(key).or_default().push((i, ts(e), value));
                }
            }
            Kind::Sequence {
                steps,
                maxspan,
                until,
            } => {
                let passing: Vec<(usize, &Event)> = passing.collect();
                sequence(steps, *maxspan, until.as_ref(), &passing, &mut truth, state);
            }
        }
        state.undetermined |= undetermined.get();
    }

    /// What the run found once the stream has ended.
    pub(crate) fn finish(&self, state: PlanState) -> StreamResult {
        let mut alerts = state.alerts;
        if let Kind::Count { window, cond, .. } = &self.kind {
            alerts.extend(
                state
                    .groups
                    .values()
                    .filter_map(|g| windowed(g, *window, cond)),
            );
            alerts.sort_unstable();
        }
        StreamResult {
            alerts,
            undetermined: state.undetermined,
        }
    }
}

/// What a plan keeps between the batches of one stream: count groups or partial sequences,
/// the alerts found so far, and whether some event's part was undetermined.
#[derive(Debug, Default)]
pub(crate) struct PlanState {
    groups: HashMap<String, Vec<(usize, f64, String)>>,
    partials: HashMap<String, Vec<Option<f64>>>,
    alerts: Vec<usize>,
    undetermined: bool,
}

fn ts(e: &Event) -> f64 {
    e.provenance
        .timestamp
        .as_deref()
        .and_then(time::parse)
        .unwrap_or(0.0)
}

/// The group / join key of an event; `None` when a key field is absent (nulls never join).
fn join_key(keys: &[FieldKey], e: &Event) -> Option<String> {
    let mut out = String::new();
    for k in keys {
        out.push_str(k.get(e)?.values.first()?);
        out.push('\u{1f}');
    }
    Some(out)
}

/// The index of the event at which the group first satisfies `cond` (or, for `<`-style
/// conditions, the last event when its final count does).
fn windowed(
    group: &[(usize, f64, String)],
    window: Option<f64>,
    cond: &Comparison,
) -> Option<usize> {
    let upward = matches!(cond.op, RangeOp::Gt | RangeOp::Gte | RangeOp::Eq);
    let mut start = 0;
    let mut best = None;
    for (end, (i, t, _)) in group.iter().enumerate() {
        if let Some(w) = window {
            while group.get(start).is_some_and(|(_, s, _)| t - s > w) {
                start += 1;
            }
        }
        let slice = group.get(start..=end).unwrap_or_default();
        let mut distinct: Vec<&str> = slice.iter().map(|(_, _, v)| v.as_str()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let n = distinct.len() as f64;
        if upward && holds(cond, n) {
            return Some(*i);
        }
        best = Some((*i, n));
    }
    best.filter(|(_, n)| !upward && holds(cond, *n))
        .map(|(i, _)| i)
}

fn holds(c: &Comparison, n: f64) -> bool {
    match c.op {
        RangeOp::Eq => n == c.value,
        RangeOp::Ne => n != c.value,
        RangeOp::Gt => n > c.value,
        RangeOp::Gte => n >= c.value,
        RangeOp::Lt => n < c.value,
        RangeOp::Lte => n <= c.value,
    }
}

type Step = (Node, Vec<FieldKey>);

fn sequence(
    steps: &[Step],
    maxspan: Option<f64>,
    until: Option<&Step>,
    events: &[(usize, &Event)],
    truth: &mut impl FnMut(&Node, &Event) -> bool,
    state: &mut PlanState,
) {
    let n = steps.len();
    // Per join key: for each stage, the start time of the latest partial that completed it.
    let partials = &mut state.partials;
    for &(i, e) in events {
        let t = ts(e);
        if let Some((node, keys)) = until
            && truth(node, e)
            && let Some(k) = join_key(keys, e)
        {
            partials.remove(&k);
        }
        for (j, (node, keys)) in steps.iter().enumerate().rev() {
            if !truth(node, e) {
                continue;
            }
            let Some(k) = join_key(keys, e) else {
                continue;
            };
            let stages = partials.entry(k).or_insert_with(|| vec![None; n]);
            let start = if j == 0 {
                Some(t)
            } else {
                let prev = stages.get_mut(j - 1).and_then(Option::take);
                prev.filter(|s| maxspan.is_none_or(|m| t - s <= m))
            };
            let Some(start) = start else {
                continue;
            };
            if j + 1 == n {
                state.alerts.push(i);
            } else if let Some(slot) = stages.get_mut(j) {
                *slot = Some(start);
            }
            break;
        }
    }
}

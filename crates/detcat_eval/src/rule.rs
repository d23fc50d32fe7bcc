//! Rules as the evaluator takes them, compiled once and then run on events.

use std::collections::HashSet;

use detcat_model::{Expr, Rule, Vendor};
use serde::Serialize;

use crate::compile::{Compiler, Node, Tables};
use crate::eval::{Tri, eval, explain};
use crate::event::Event;
use crate::stateful::Stateful;

/// A rule to evaluate: the normalized expression plus what a result must show.
#[derive(Debug, Clone)]
pub struct EvalRule {
    pub vendor: Vendor,
    pub id: String,
    pub title: String,
    /// ATT&CK technique ids.
    pub techniques: Vec<String>,
    /// Taxonomy events the rule needs (`sysmon:1`, `security:*`); empty means any event.
    pub events: Vec<String>,
    pub expr: Expr,
}

impl EvalRule {
    /// From a parsed rule; its events come from the taxonomy.
    pub fn from_rule(rule: &Rule) -> EvalRule {
        EvalRule {
            vendor: rule.vendor,
            id: rule.id.clone(),
            title: rule.title.clone(),
            techniques: rule.attack.techniques.clone(),
            events: detcat_taxonomy::events_for(rule)
                .into_iter()
                .map(|e| format!("{}:{}", e.provider, e.event_id))
                .collect(),
            expr: rule.expr.clone(),
        }
    }
}

/// A rule ready to run: compiled tree, its tables and its event selection.
#[derive(Debug)]
pub struct CompiledRule {
    pub rule: EvalRule,
    pub(crate) node: Node,
    pub(crate) tables: Tables,
    pub(crate) events: HashSet<String>,
    pub(crate) stateful: Option<Stateful>,
}

/// The outcome of one rule on one event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Fires,
    NoMatch,
    /// The event kind is not one the rule selects (its logsource / index / data source).
    NotSelected,
    /// The rule cannot be decided on this event; the reasons say why.
    Undetermined,
}

impl CompiledRule {
    pub fn compile(rule: EvalRule) -> CompiledRule {
        let mut c = Compiler {
            rule: &rule,
            tables: Tables::default(),
        };
        let stateful = Stateful::compile(&mut c, &rule.expr);
        let node = match &stateful {
            Some(_) => Node::Const(false),
            None => c.expr(&rule.expr),
        };
        let tables = c.tables;
        let events = rule.events.iter().cloned().collect();
        CompiledRule {
            rule,
            node,
            tables,
            events,
            stateful,
        }
    }

    /// Does the rule read events of this kind? Unknown kinds are not filtered: only the
    /// rule's own selector predicates decide then.
    pub fn selects(&self, event: &Event) -> bool {
        if self.events.is_empty() {
            return true;
        }
        let Some([exact, any]) = &event.provenance.keys else {
            return true;
        };
        self.events.contains(exact) || self.events.contains(any)
    }

    /// The verdict on one event (stateful rules are `Undetermined` here; see
    /// [`crate::run_stream`]).
    pub fn verdict(&self, event: &Event) -> Verdict {
        if self.stateful.is_some() {
            return Verdict::Undetermined;
        }
        if !self.selects(event) {
            return Verdict::NotSelected;
        }
        match eval(&self.node, &self.tables, event) {
            Tri::True => Verdict::Fires,
            Tri::False => Verdict::NoMatch,
            Tri::Unknown => Verdict::Undetermined,
        }
    }

    /// The predicates that held for a firing verdict.
    pub fn why(&self, event: &Event) -> Vec<String> {
        let mut out = Vec::new();
        explain(&self.node, &self.tables, event, &mut out);
        out
    }

    /// Why the rule can be undetermined: opaque parts, placeholders, stateful constructs.
    pub fn unknown_reasons(&self) -> &[String] {
        &self.tables.unknowns
    }
}

//! Coverage from telemetry: with a given set of events, which rules can run, which techniques
//! they detect, and which event (or sensor) would add the most.
//!
//! A rule's needs are its branches (`rule_branch_events`, see `detcat_taxonomy::EventBranch`):
//! alternatives of steps, each step needing one of its events. With a set of events:
//!
//! - a rule is **runnable** when some branch has every step satisfied (a plain query: one of
//!   its events is collected; an EQL sequence: one event of every step);
//! - **partly** runnable when it is not runnable but at least one of its events is collected
//!   (the page lists what is missing: the unsatisfied steps of its closest branch);
//! - a need for `provider:*` ("any event of the provider", rules that name a log but no event)
//!   is satisfied by any collected event of that provider, and `provider:*` in the set means
//!   every event of that provider;
//! - a sensor event in the set (`endpoint:process`, Elastic Defend) also satisfies the native
//!   events it corresponds to (`events.native`: `sysmon:1`, `security:4688`) for **Sigma**
//!   rules only: Sigma rules are written against a log category and converted to the sensor's
//!   schema by their backend, while the other vendors' rules read the events they name.
//!
//! A technique is **covered** when at least one runnable rule is tagged with it (its own id:
//! sub-techniques count on their own). Deprecated and unsupported rules are left out unless
//! asked for. The greedy plan adds, one at a time, the event (or sensor product or native
//! log) that covers the most new techniques (ties: most new runnable rules, then catalog
//! order); the gains add up to the coverage the final set has over the starting one.
//!
//! The index is loaded once ([`crate::Catalog::coverage_index`]) and every question is then
//! answered in memory.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::CatalogError;

/// One event the index knows (from `events`, plus any a rule names that the taxonomy does not
/// catalog).
#[derive(Debug, Clone)]
pub struct EventInfo {
    pub key: String,
    pub provider: String,
    pub event_id: String,
    pub title: String,
    /// Product name of a sensor event (`Elastic Defend`); `None` for a native log event.
    pub sensor: Option<String>,
    /// Rules (in the index) that name this event in some step.
    pub rules: u32,
    prov: usize,
    star: bool,
    /// Native events a sensor event corresponds to (indexes; `*` left out).
    natives: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct RuleNeeds {
    pub vendor: String,
    pub id: String,
    pub title: String,
    pub active: bool,
    pub techniques: Vec<usize>,
    /// branch → step → event indexes.
    pub branches: Vec<Vec<Vec<usize>>>,
}

#[derive(Debug, Clone)]
pub(crate) struct TechInfo {
    pub id: String,
    pub name: String,
    pub tactics: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct TacticInfo {
    pub id: String,
    pub name: String,
}

/// Everything a coverage question needs, loaded once from a catalog.
#[derive(Debug, Clone, Default)]
pub struct CoverageIndex {
    pub(crate) events: Vec<EventInfo>,
    pub(crate) by_key: HashMap<String, usize>,
    pub(crate) providers: Vec<String>,
    pub(crate) rules: Vec<RuleNeeds>,
    pub(crate) techniques: Vec<TechInfo>,
    pub(crate) tactics: Vec<TacticInfo>,
    /// event → rules that name it (rules needing `provider:*` are listed under every event of
    /// that provider).
    pub(crate) by_event: Vec<Vec<u32>>,
}

/// What a plan step adds: one event, or a whole sensor product / native log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanUnit {
    #[default]
    Event,
    Sensor,
}

/// A coverage question.
#[derive(Debug, Clone, Default)]
pub struct CoverageRequest {
    /// Event keys (`sysmon:1`), `provider:*`, bare provider ids (`sysmon`) and preset names,
    /// each item possibly a comma list.
    pub have: Vec<String>,
    /// Sensor products (`Elastic Defend`): all their sensor events.
    pub sensors: Vec<String>,
    /// Count only this vendor's rules.
    pub vendor: Option<String>,
    /// Greedy plan length (0 = no plan).
    pub plan: usize,
    pub plan_by: PlanUnit,
    /// Count deprecated and unsupported rules too.
    pub include_deprecated: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CoverageEvent {
    pub key: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensor: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CoverageTotals {
    /// Rules counted (lifecycle and vendor filters applied).
    pub rules: u64,
    pub runnable: u64,
    pub partly: u64,
    /// Rules with events, none of them collected.
    pub unavailable: u64,
    /// Rules the taxonomy finds no event for: never runnable here.
    pub no_known_events: u64,
    /// Techniques with at least one counted rule.
    pub techniques: u64,
    /// Techniques with at least one runnable rule.
    pub techniques_covered: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TacticCoverage {
    pub id: String,
    pub name: String,
    pub techniques: u64,
    pub techniques_covered: u64,
    pub rules: u64,
    pub runnable: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TechniqueCoverage {
    pub id: String,
    pub name: String,
    pub tactics: Vec<String>,
    pub rules: u64,
    pub runnable: u64,
    pub partly: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CoverageRule {
    pub vendor: String,
    pub id: String,
    pub title: String,
    pub techniques: Vec<String>,
    /// For a partly runnable rule: the unsatisfied steps of its closest branch, each a list of
    /// events any one of which would do.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<Vec<String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PlanStep {
    /// The event key, or the sensor product / native provider added.
    pub add: String,
    pub title: String,
    /// The events this step adds.
    pub events: Vec<String>,
    /// Techniques newly covered.
    pub gain: u64,
    pub techniques: Vec<String>,
    /// Rules newly runnable.
    pub rules_gain: u64,
    /// Techniques covered after this step.
    pub covered: u64,
}

/// The answer to a coverage question (`detcat coverage --json`, `/api/coverage`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CoverageView {
    /// The resolved set of events.
    pub have: Vec<CoverageEvent>,
    pub vendor: Option<String>,
    pub include_deprecated: bool,
    pub totals: CoverageTotals,
    pub tactics: Vec<TacticCoverage>,
    /// Techniques with at least one counted rule, in technique id order.
    pub techniques: Vec<TechniqueCoverage>,
    pub runnable: Vec<CoverageRule>,
    pub partly: Vec<CoverageRule>,
    pub plan_by: PlanUnit,
    pub plan: Vec<PlanStep>,
}

/// The rule's state under a set of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Runnable,
    Partly,
    Unavailable,
    NoEvents,
}

/// A set of events with the derived facts `has` needs.
struct Avail {
    ev: Vec<bool>,
    prov: Vec<bool>,
    sigma_ev: Vec<bool>,
    sigma_prov: Vec<bool>,
}

/// What adding a plan candidate gains: (techniques, rules, unit index, the techniques, the
/// rules).
type Gain = (usize, usize, usize, BTreeSet<usize>, Vec<usize>);

/// A plan candidate: its name, title and events.
struct Unit {
    name: String,
    title: String,
    events: Vec<usize>,
}

impl CoverageIndex {
    pub(crate) fn push_event(&mut self, mut e: EventInfo) -> usize {
        if let Some(&i) = self.by_key.get(&e.key) {
            return i;
        }
        e.prov = match self.providers.iter().position(|p| *p == e.provider) {
            Some(p) => p,
            None => {
                self.providers.push(e.provider.clone());
                self.providers.len() - 1
            }
        };
        e.star = e.event_id == "*";
        let i = self.events.len();
        self.by_key.insert(e.key.clone(), i);
        self.events.push(e);
        i
    }

    pub(crate) fn new_event(
        provider: &str,
        event_id: &str,
        title: String,
        sensor: Option<String>,
    ) -> EventInfo {
        EventInfo {
            key: format!("{provider}:{event_id}"),
            provider: provider.to_owned(),
            event_id: event_id.to_owned(),
            title,
            sensor,
            rules: 0,
            prov: 0,
            star: false,
            natives: Vec::new(),
        }
    }

    pub(crate) fn set_natives(&mut self, i: usize, natives: &[String]) {
        let idx: Vec<usize> = natives
            .iter()
            .filter_map(|k| self.by_key.get(k).copied())
            .collect();
        if let Some(e) = self.events.get_mut(i) {
            e.natives = idx;
        }
    }

    /// Fills `by_event` and the per-event rule counts once rules are loaded.
    pub(crate) fn finish(&mut self) {
        let mut by_event: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); self.events.len()];
        let mut by_prov: Vec<Vec<usize>> = vec![Vec::new(); self.providers.len()];
        for (i, e) in self.events.iter().enumerate() {
            if let Some(v) = by_prov.get_mut(e.prov) {
                v.push(i);
            }
        }
        for (r, rule) in self.rules.iter().enumerate() {
            for e in rule.branches.iter().flatten().flatten() {
                let Some(ev) = self.events.get(*e) else {
                    continue;
                };
                if let Some(s) = by_event.get_mut(*e) {
                    s.insert(r as u32);
                }
                let also = if ev.star {
                    by_prov.get(ev.prov).cloned().unwrap_or_default()
                } else {
                    Vec::new()
                };
                for o in also {
                    if let Some(s) = by_event.get_mut(o) {
                        s.insert(r as u32);
                    }
                }
            }
        }
        for (i, e) in self.events.iter_mut().enumerate() {
            e.rules = by_event.get(i).map_or(0, |s| s.len() as u32);
        }
        self.by_event = by_event
            .into_iter()
            .map(|s| s.into_iter().collect())
            .collect();
    }

    /// Every event the index knows, in catalog order.
    pub fn events(&self) -> &[EventInfo] {
        &self.events
    }

    /// Sensor product names, in catalog order.
    pub fn sensor_names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for e in &self.events {
            if let Some(s) = &e.sensor
                && !out.contains(s)
            {
                out.push(s.clone());
            }
        }
        out
    }

    /// Resolves `--have` tokens and `--sensor` names into a set of event indexes.
    pub fn resolve(&self, have: &[String], sensors: &[String]) -> Result<Vec<usize>, CatalogError> {
        let presets = detcat_taxonomy::Taxonomy::get().presets();
        let mut out = BTreeSet::new();
        let mut unknown = Vec::new();
        let mut sensor_names: Vec<String> = sensors.to_vec();
        for token in have
            .iter()
            .flat_map(|t| t.split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            if let Some(p) = presets.iter().find(|p| p.name.eq_ignore_ascii_case(token)) {
                for k in &p.events {
                    if let Some(&i) = self.by_key.get(k) {
                        out.insert(i);
                    }
                }
                sensor_names.extend(p.sensors.iter().cloned());
            } else if let Some(i) = self.lookup(token) {
                out.insert(i);
            } else if let Some(star) = self.lookup(&format!("{token}:*")) {
                // A bare provider id: every event of it.
                out.insert(star);
            } else {
                unknown.push(token.to_owned());
            }
        }
        if !unknown.is_empty() {
            return Err(CatalogError::Query(self.unknown_message(&unknown)));
        }
        let known = self.sensor_names();
        for name in &sensor_names {
            let Some(found) = known.iter().find(|k| k.eq_ignore_ascii_case(name)) else {
                return Err(CatalogError::Query(format!(
                    "unknown sensor `{name}`; known sensors: {}",
                    known.join(", ")
                )));
            };
            for (i, e) in self.events.iter().enumerate() {
                if e.sensor.as_deref() == Some(found.as_str()) {
                    out.insert(i);
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    fn lookup(&self, token: &str) -> Option<usize> {
        self.by_key.get(token).copied().or_else(|| {
            self.events
                .iter()
                .position(|e| e.key.eq_ignore_ascii_case(token))
        })
    }

    fn unknown_message(&self, unknown: &[String]) -> String {
        let mut msg = String::new();
        for u in unknown {
            let wanted = u.to_lowercase();
            let mut scored: Vec<(usize, &str)> = self
                .events
                .iter()
                .map(|e| (distance(&wanted, &e.key.to_lowercase()), e.key.as_str()))
                .collect();
            scored.sort();
            let closest: Vec<&str> = scored.iter().take(5).map(|(_, k)| *k).collect();
            if !msg.is_empty() {
                msg.push('\n');
            }
            msg.push_str(&format!(
                "unknown event `{u}`; closest known events: {}",
                closest.join(", ")
            ));
        }
        let presets: Vec<&str> = detcat_taxonomy::Taxonomy::get()
            .presets()
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        msg.push_str(&format!(
            "\n(events are `provider:event_id` as in `detcat event`; presets: {})",
            presets.join(", ")
        ));
        msg
    }

    fn avail(&self, set: &[usize]) -> Avail {
        let n = self.events.len();
        let mut ev = vec![false; n];
        for &i in set {
            if let Some(slot) = ev.get_mut(i) {
                *slot = true;
            }
        }
        // `provider:*` in the set: every event of that provider.
        let star_provs: Vec<usize> = set
            .iter()
            .filter_map(|&i| self.events.get(i))
            .filter(|e| e.star)
            .map(|e| e.prov)
            .collect();
        for (i, e) in self.events.iter().enumerate() {
            if star_provs.contains(&e.prov)
                && let Some(slot) = ev.get_mut(i)
            {
                *slot = true;
            }
        }
        let mut sigma_ev = ev.clone();
        for (i, e) in self.events.iter().enumerate() {
            if ev.get(i).copied().unwrap_or(false) {
                for &nat in &e.natives {
                    if let Some(slot) = sigma_ev.get_mut(nat) {
                        *slot = true;
                    }
                }
            }
        }
        let provs = |evs: &[bool]| {
            let mut p = vec![false; self.providers.len()];
            for (i, e) in self.events.iter().enumerate() {
                if evs.get(i).copied().unwrap_or(false)
                    && let Some(slot) = p.get_mut(e.prov)
                {
                    *slot = true;
                }
            }
            p
        };
        Avail {
            prov: provs(&ev),
            sigma_prov: provs(&sigma_ev),
            ev,
            sigma_ev,
        }
    }

    fn has(&self, a: &Avail, sigma: bool, e: usize) -> bool {
        let (ev, prov) = if sigma {
            (&a.sigma_ev, &a.sigma_prov)
        } else {
            (&a.ev, &a.prov)
        };
        let Some(info) = self.events.get(e) else {
            return false;
        };
        ev.get(e).copied().unwrap_or(false)
            || (info.star && prov.get(info.prov).copied().unwrap_or(false))
    }

    fn state(&self, rule: &RuleNeeds, a: &Avail) -> State {
        if rule.branches.is_empty() {
            return State::NoEvents;
        }
        let sigma = rule.vendor == "sigma";
        let step_ok = |step: &Vec<usize>| step.iter().any(|&e| self.has(a, sigma, e));
        if rule.branches.iter().any(|b| b.iter().all(step_ok)) {
            State::Runnable
        } else if rule.branches.iter().flatten().any(step_ok) {
            State::Partly
        } else {
            State::Unavailable
        }
    }

    /// The unsatisfied steps of the branch closest to running.
    fn missing(&self, rule: &RuleNeeds, a: &Avail) -> Vec<Vec<String>> {
        let sigma = rule.vendor == "sigma";
        let unsatisfied = |b: &Vec<Vec<usize>>| -> Vec<Vec<String>> {
            b.iter()
                .filter(|step| !step.iter().any(|&e| self.has(a, sigma, e)))
                .map(|step| {
                    step.iter()
                        .filter_map(|&e| self.events.get(e).map(|x| x.key.clone()))
                        .collect()
                })
                .collect()
        };
        rule.branches
            .iter()
            .map(unsatisfied)
            .min_by_key(|m| (m.len(), m.iter().map(Vec::len).sum::<usize>()))
            .unwrap_or_default()
    }

    fn counted(&self, rule: &RuleNeeds, req: &CoverageRequest) -> bool {
        (rule.active || req.include_deprecated)
            && req
                .vendor
                .as_deref()
                .is_none_or(|v| rule.vendor.eq_ignore_ascii_case(v))
    }

    /// Answers a coverage question.
    pub fn compute(&self, req: &CoverageRequest) -> Result<CoverageView, CatalogError> {
        let set = self.resolve(&req.have, &req.sensors)?;
        Ok(self.compute_set(&set, req))
    }

    /// [`CoverageIndex::compute`] over an already resolved set of event indexes.
    pub fn compute_set(&self, set: &[usize], req: &CoverageRequest) -> CoverageView {
        let a = self.avail(set);
        let mut totals = CoverageTotals::default();
        let mut tally = Tally::new(self.techniques.len(), self.tactics.len());
        let mut runnable = Vec::new();
        let mut partly = Vec::new();
        for (r, rule) in self.rules.iter().enumerate() {
            if !self.counted(rule, req) {
                continue;
            }
            let state = self.state(rule, &a);
            totals.count(state);
            self.tally_rule(&mut tally, r, rule, state);
            match state {
                State::Runnable => runnable.push(self.coverage_rule(rule, Vec::new())),
                State::Partly => partly.push(self.coverage_rule(rule, self.missing(rule, &a))),
                _ => {}
            }
        }
        let (techniques, tactics) = self.technique_rows(&tally, &mut totals);
        let plan = self.plan(set, req);
        CoverageView {
            have: set
                .iter()
                .filter_map(|&i| self.events.get(i))
                .map(|e| CoverageEvent {
                    key: e.key.clone(),
                    title: e.title.clone(),
                    sensor: e.sensor.clone(),
                })
                .collect(),
            vendor: req.vendor.clone(),
            include_deprecated: req.include_deprecated,
            totals,
            tactics,
            techniques,
            runnable,
            partly,
            plan_by: req.plan_by,
            plan,
        }
    }

    /// Counts rule `r` (in `state`) for each of its techniques and their tactics.
    fn tally_rule(&self, tally: &mut Tally, r: usize, rule: &RuleNeeds, state: State) {
        for &t in &rule.techniques {
            let Some(info) = self.techniques.get(t) else {
                continue;
            };
            bump(&mut tally.tech_rules, t);
            match state {
                State::Runnable => bump(&mut tally.tech_run, t),
                State::Partly => bump(&mut tally.tech_partly, t),
                _ => {}
            }
            for &ta in &info.tactics {
                if let Some(s) = tally.tactic_rules.get_mut(ta) {
                    s.insert(r);
                }
                if state == State::Runnable
                    && let Some(s) = tally.tactic_run.get_mut(ta)
                {
                    s.insert(r);
                }
            }
        }
    }

    /// A rule of the runnable or partly list, with the events it misses.
    fn coverage_rule(&self, rule: &RuleNeeds, missing: Vec<Vec<String>>) -> CoverageRule {
        CoverageRule {
            vendor: rule.vendor.clone(),
            id: rule.id.clone(),
            title: rule.title.clone(),
            techniques: rule
                .techniques
                .iter()
                .filter_map(|&t| self.techniques.get(t).map(|x| x.id.clone()))
                .collect(),
            missing,
        }
    }

    /// The technique rows (by id) and tactic rows (matrix order) of a tally; counts the
    /// techniques with rules and those covered into `totals`.
    fn technique_rows(
        &self,
        tally: &Tally,
        totals: &mut CoverageTotals,
    ) -> (Vec<TechniqueCoverage>, Vec<TacticCoverage>) {
        let mut techniques = Vec::new();
        let mut tactic_tech = vec![0u64; self.tactics.len()];
        let mut tactic_cov = vec![0u64; self.tactics.len()];
        for (t, info) in self.techniques.iter().enumerate() {
            let rules = tally.tech_rules.get(t).copied().unwrap_or(0);
            if rules == 0 {
                continue;
            }
            let run = tally.tech_run.get(t).copied().unwrap_or(0);
            totals.techniques += 1;
            if run > 0 {
                totals.techniques_covered += 1;
            }
            for &ta in &info.tactics {
                bump(&mut tactic_tech, ta);
                if run > 0 {
                    bump(&mut tactic_cov, ta);
                }
            }
            techniques.push(TechniqueCoverage {
                id: info.id.clone(),
                name: info.name.clone(),
                tactics: info
                    .tactics
                    .iter()
                    .filter_map(|&ta| self.tactics.get(ta).map(|x| x.id.clone()))
                    .collect(),
                rules,
                runnable: run,
                partly: tally.tech_partly.get(t).copied().unwrap_or(0),
            });
        }
        techniques.sort_by(|a, b| a.id.cmp(&b.id));
        let tactics = self
            .tactics
            .iter()
            .enumerate()
            .filter(|(i, _)| tactic_tech.get(*i).copied().unwrap_or(0) > 0)
            .map(|(i, t)| TacticCoverage {
                id: t.id.clone(),
                name: t.name.clone(),
                techniques: tactic_tech.get(i).copied().unwrap_or(0),
                techniques_covered: tactic_cov.get(i).copied().unwrap_or(0),
                rules: tally.tactic_rules.get(i).map_or(0, |s| s.len() as u64),
                runnable: tally.tactic_run.get(i).map_or(0, |s| s.len() as u64),
            })
            .collect();
        (techniques, tactics)
    }

    fn units(&self, by: PlanUnit) -> Vec<Unit> {
        match by {
            PlanUnit::Event => self
                .events
                .iter()
                .enumerate()
                .filter(|(_, e)| !e.star && e.rules > 0)
                .map(|(i, e)| Unit {
                    name: e.key.clone(),
                    title: e.title.clone(),
                    events: vec![i],
                })
                .collect(),
            PlanUnit::Sensor => {
                let mut units: Vec<Unit> = Vec::new();
                for (i, e) in self.events.iter().enumerate() {
                    let (name, title) = match &e.sensor {
                        Some(s) => (s.clone(), "sensor product".to_owned()),
                        None => (e.provider.clone(), "native log".to_owned()),
                    };
                    match units.iter_mut().find(|u| u.name == name) {
                        Some(u) => u.events.push(i),
                        None => units.push(Unit {
                            name,
                            title,
                            events: vec![i],
                        }),
                    }
                }
                units
            }
        }
    }

    /// Techniques covered and rules runnable (counted rules only) under `a`.
    fn covered(&self, a: &Avail, req: &CoverageRequest) -> (Vec<bool>, Vec<bool>) {
        let mut tech = vec![false; self.techniques.len()];
        let mut run = vec![false; self.rules.len()];
        for (r, rule) in self.rules.iter().enumerate() {
            if self.counted(rule, req) && self.state(rule, a) == State::Runnable {
                if let Some(slot) = run.get_mut(r) {
                    *slot = true;
                }
                for &t in &rule.techniques {
                    if let Some(slot) = tech.get_mut(t) {
                        *slot = true;
                    }
                }
            }
        }
        (tech, run)
    }

    /// What adding `unit` to `set` (whose availability is `current`) gains: the techniques
    /// newly covered and the counted rules newly runnable, given those already (`covered`);
    /// `None` when the unit adds no event.
    fn gain(
        &self,
        unit: &Unit,
        set: &[usize],
        current: &Avail,
        (tech, run): (&[bool], &[bool]),
        req: &CoverageRequest,
    ) -> Option<(BTreeSet<usize>, Vec<usize>)> {
        if unit
            .events
            .iter()
            .all(|&e| current.ev.get(e).copied().unwrap_or(false))
        {
            return None;
        }
        let mut next = set.to_vec();
        next.extend(unit.events.iter().copied());
        let a = self.avail(&next);
        let mut gained_t = BTreeSet::new();
        let mut gained_r = Vec::new();
        for r in self.touched(unit) {
            let r = r as usize;
            let Some(rule) = self.rules.get(r) else {
                continue;
            };
            if run.get(r).copied().unwrap_or(true)
                || !self.counted(rule, req)
                || self.state(rule, &a) != State::Runnable
            {
                continue;
            }
            gained_r.push(r);
            for &t in &rule.techniques {
                if !tech.get(t).copied().unwrap_or(true) {
                    gained_t.insert(t);
                }
            }
        }
        Some((gained_t, gained_r))
    }

    /// The rules whose state adding `unit` can change.
    fn touched(&self, unit: &Unit) -> BTreeSet<u32> {
        let mut touched: BTreeSet<u32> = BTreeSet::new();
        if unit
            .events
            .iter()
            .any(|&e| self.events.get(e).is_some_and(|x| x.star))
        {
            // `provider:*` makes every event of the provider available.
            touched.extend(0..self.rules.len() as u32);
        }
        for &e in &unit.events {
            let natives = self.events.get(e).map(|x| x.natives.as_slice());
            for &t in std::iter::once(&e).chain(natives.unwrap_or_default()) {
                if let Some(rs) = self.by_event.get(t) {
                    touched.extend(rs.iter().copied());
                }
            }
        }
        touched
    }

    fn plan(&self, start: &[usize], req: &CoverageRequest) -> Vec<PlanStep> {
        if req.plan == 0 {
            return Vec::new();
        }
        let units = self.units(req.plan_by);
        let mut set: Vec<usize> = start.to_vec();
        let (mut tech, mut run) = self.covered(&self.avail(&set), req);
        let mut covered = tech.iter().filter(|t| **t).count() as u64;
        let mut steps = Vec::new();
        while steps.len() < req.plan {
            let current = self.avail(&set);
            let mut best: Option<Gain> = None;
            for (u, unit) in units.iter().enumerate() {
                let Some((gained_t, gained_r)) =
                    self.gain(unit, &set, &current, (&tech, &run), req)
                else {
                    continue;
                };
                let better = match &best {
                    None => true,
                    Some((bt, br, _, _, _)) => (gained_t.len(), gained_r.len()) > (*bt, *br),
                };
                if better && (!gained_t.is_empty() || !gained_r.is_empty()) {
                    best = Some((gained_t.len(), gained_r.len(), u, gained_t, gained_r));
                }
            }
            let Some((gain, rules_gain, u, gained_t, gained_r)) = best else {
                break;
            };
            let Some(unit) = units.get(u) else { break };
            set.extend(unit.events.iter().copied());
            for &t in &gained_t {
                if let Some(slot) = tech.get_mut(t) {
                    *slot = true;
                }
            }
            for &r in &gained_r {
                if let Some(slot) = run.get_mut(r) {
                    *slot = true;
                }
            }
            covered += gain as u64;
            steps.push(PlanStep {
                add: unit.name.clone(),
                title: unit.title.clone(),
                events: unit
                    .events
                    .iter()
                    .filter_map(|&e| self.events.get(e).map(|x| x.key.clone()))
                    .collect(),
                gain: gain as u64,
                techniques: gained_t
                    .iter()
                    .filter_map(|&t| self.techniques.get(t).map(|x| x.id.clone()))
                    .collect(),
                rules_gain: rules_gain as u64,
                covered,
            });
        }
        steps
    }
}

/// The named telemetry sets `--have` accepts (`sysmon-default`, …; taxonomy data).
pub fn presets() -> &'static [detcat_taxonomy::Preset] {
    detcat_taxonomy::Taxonomy::get().presets()
}

/// Per-technique and per-tactic counts of one coverage question (indexes of the index's
/// technique and tactic lists; tactics count distinct rules).
struct Tally {
    tech_rules: Vec<u64>,
    tech_run: Vec<u64>,
    tech_partly: Vec<u64>,
    tactic_rules: Vec<BTreeSet<usize>>,
    tactic_run: Vec<BTreeSet<usize>>,
}

impl Tally {
    fn new(techniques: usize, tactics: usize) -> Tally {
        Tally {
            tech_rules: vec![0; techniques],
            tech_run: vec![0; techniques],
            tech_partly: vec![0; techniques],
            tactic_rules: vec![BTreeSet::new(); tactics],
            tactic_run: vec![BTreeSet::new(); tactics],
        }
    }
}

impl CoverageTotals {
    fn count(&mut self, state: State) {
        self.rules += 1;
        match state {
            State::Runnable => self.runnable += 1,
            State::Partly => self.partly += 1,
            State::Unavailable => self.unavailable += 1,
            State::NoEvents => self.no_known_events += 1,
        }
    }
}

fn bump(v: &mut [u64], i: usize) {
    if let Some(slot) = v.get_mut(i) {
        *slot += 1;
    }
}

/// Levenshtein distance over chars, for "closest known events".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.last().copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::distance;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("sysmn:1", "sysmon:1"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("security:4688", "security:4688"), 0);
    }
}

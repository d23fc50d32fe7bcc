//! The JSON contract of threat-mapped scoring: `technique.threat`, `technique.priority` and
//! `detcat top`. Re-exported from [`crate::views`].

use serde::{Deserialize, Serialize};

use crate::views::VendorCounts;

/// How many names of each kind `top_…` lists hold (`all_…` hold every one).
pub const TOP_ACTORS: usize = 10;

/// A group, piece of software or campaign, linking to attack.mitre.org.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ActorRef {
    pub id: String,
    pub name: String,
    pub url: Option<String>,
}

/// CTID's Top ATT&CK Techniques scores of one technique, as `detcat_attack` places them:
/// prevalence, choke point and actionability (0–1, `None` when CTID gave none), the cumulative
/// score, `rank` of `ranked`, and the CTID id and name they were scored under.
pub use detcat_attack::CtidScore as CtidView;

/// Who uses a technique (ATT&CK) and how CTID scores it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ThreatView {
    pub groups: u64,
    pub software: u64,
    pub campaigns: u64,
    /// The most prominent users first: those that use the most techniques overall.
    pub top_groups: Vec<ActorRef>,
    pub top_software: Vec<ActorRef>,
    pub top_campaigns: Vec<ActorRef>,
    pub all_groups: Vec<ActorRef>,
    pub all_software: Vec<ActorRef>,
    pub all_campaigns: Vec<ActorRef>,
    /// `None`: not scored by CTID (newer than the data, or no CTID data in the corpus).
    pub ctid: Option<CtidView>,
}

/// detcat's own coverage of a technique (active rules unless deprecated ones are asked for).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct CoverageView {
    pub rules_by_vendor: VendorCounts,
    /// Distinct rules (a rule tagged with a parent and a sub-technique counts once).
    pub rules: u64,
    /// Rules whose whole expression normalized.
    pub normalized: u64,
    /// Distinct `(field, operator, value)` indicators across the rules.
    pub indicators: u64,
    /// Distinct telemetry events the rules need.
    pub events: u64,
    /// A parent technique: the figures include its sub-techniques' rules.
    pub includes_subtechniques: bool,
}

/// The parts of the priority score, each 0–1 (see [`crate::scoring::FORMULA`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PriorityComponents {
    /// `None` when CTID did not score the technique: threat is then usage alone.
    pub ctid: Option<f64>,
    pub usage: f64,
    pub vendors: f64,
    pub depth: f64,
    pub indicators: f64,
    pub normalized_share: f64,
}

/// The figures the score is computed from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PriorityInputs {
    pub ctid_cumulative: Option<f64>,
    pub ctid_rank: Option<u64>,
    pub ctid_ranked: Option<u64>,
    pub groups: u64,
    pub software: u64,
    pub campaigns: u64,
    pub coverage: CoverageView,
}

/// The priority ("gap") score: high = heavily used and weakly covered.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PriorityView {
    /// The gap, 0–1: `threat × (1 − coverage)`.
    pub score: f64,
    pub threat: f64,
    pub coverage: f64,
    pub components: PriorityComponents,
    pub inputs: PriorityInputs,
}

/// What `detcat top` ranks by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RankBy {
    Threat,
    Gap,
    Rules,
}

/// One ranked technique.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TopRow {
    pub rank: u64,
    pub id: String,
    pub name: String,
    pub parent: Option<String>,
    /// `enterprise-attack`, `ics-attack`, … (CTID scores Enterprise only).
    pub domain: String,
    pub tactics: Vec<String>,
    pub platforms: Vec<String>,
    pub ctid_rank: Option<u64>,
    pub priority: PriorityView,
}

/// `detcat top`: techniques ranked by threat, gap or rules.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TopList {
    pub by: RankBy,
    pub tactic: Option<String>,
    pub platform: Option<String>,
    pub domain: Option<String>,
    /// Techniques that matched the filters (before the limit).
    pub matched: u64,
    pub formula: String,
    pub rows: Vec<TopRow>,
}

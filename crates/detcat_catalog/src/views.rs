//! The JSON contract: what `--json` prints and `/api/…` serves. Other tools read these names;
//! change them only with a schema note in ARCHITECTURE.md.

use std::collections::BTreeMap;

use detcat_model::{Expr, Lifecycle, Operator, ParseStatus, Role, Severity, TelemetryHint, Vendor};
use serde::{Deserialize, Serialize};

pub use crate::attack_data::{
    AnalyticData, DetectionGuide, LogSourceData, NamedId, StrategyData, TechniqueData,
};
pub use crate::threat_views::*;
pub use detcat_attack::{MutableElement, NumberedReference};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TacticRef {
    pub id: String,
    pub shortname: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TechniqueRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TechniqueHeader {
    pub id: String,
    pub name: String,
    pub parent: Option<TechniqueRef>,
    pub tactics: Vec<TacticRef>,
    pub platforms: Vec<String>,
    pub domain: String,
    pub deprecated: bool,
    pub revoked: bool,
    pub revoked_by: Option<String>,
    pub url: Option<String>,
    /// ATT&CK's description, citations replaced by `[n]` markers, plus everything else ATT&CK
    /// says (references, detection guidance, data components); `None` for a technique only
    /// rules name (its JSON then has none of these keys).
    #[serde(flatten)]
    pub data: Option<TechniqueData>,
    /// Who uses the technique and CTID's score (`None` without ATT&CK data for it).
    #[serde(default)]
    pub threat: Option<ThreatView>,
    /// The priority ("gap") score: threat against coverage (see `crate::scoring`).
    #[serde(default)]
    pub priority: Option<PriorityView>,
}

/// Rules per vendor. Serialized as one object with every vendor of [`Vendor::ALL`], in that
/// order, zeros included (`{"<vendor>": n, …}`): the shape readers of the JSON rely on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VendorCounts(BTreeMap<Vendor, u64>);

impl VendorCounts {
    pub fn add(&mut self, vendor: Vendor, n: u64) {
        *self.0.entry(vendor).or_default() += n;
    }

    /// The rules of `vendor` (0 when it has none).
    pub fn get(&self, vendor: Vendor) -> u64 {
        self.0.get(&vendor).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// Every vendor with its count, in [`Vendor::ALL`] order, zeros included.
    pub fn iter(&self) -> impl Iterator<Item = (Vendor, u64)> + '_ {
        Vendor::ALL.into_iter().map(|v| (v, self.get(v)))
    }
}

impl FromIterator<(Vendor, u64)> for VendorCounts {
    fn from_iter<I: IntoIterator<Item = (Vendor, u64)>>(iter: I) -> Self {
        let mut counts = VendorCounts::default();
        for (vendor, n) in iter {
            counts.add(vendor, n);
        }
        counts
    }
}

impl Serialize for VendorCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(Vendor::ALL.len()))?;
        for (vendor, n) in self.iter() {
            map.serialize_entry(&vendor, &n)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for VendorCounts {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<Vendor, u64>::deserialize(deserializer).map(VendorCounts)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EventCount {
    pub provider: String,
    pub event_id: String,
    pub title: String,
    pub rules: u64,
}

/// A native log event a technique's rules need ("Events covered"), with the sensor products
/// that also record that kind of activity in the same rules.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EventRow {
    pub provider: String,
    pub event_id: String,
    pub title: String,
    /// Rules that read this native event.
    pub rules: u64,
    pub sensors: Vec<SensorCount>,
}

/// A sensor product (Elastic Defend, Endgame, Defender XDR, …) and how many rules use it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SensorCount {
    pub name: String,
    pub rules: u64,
    /// The sensor events (`endpoint:process`) behind the count.
    pub events: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FieldRow {
    pub field: String,
    pub vendor_names: Vec<String>,
    pub rules: u64,
    pub operators: BTreeMap<String, u64>,
    pub samples: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IndicatorRow {
    pub field: String,
    pub operator: String,
    pub value: String,
    pub rules: u64,
    pub corpus_reach: u64,
    pub rule_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExclusionRow {
    pub field: String,
    pub operator: String,
    pub value: String,
    pub rules: u64,
    pub rule_ids: Vec<String>,
}

/// A selector row of a technique's scope (`operator` is `not eq` for a negated selector).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScopeRow {
    pub field: String,
    pub operator: String,
    pub value: String,
    pub rules: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RuleRef {
    pub id: String,
    pub vendor: Vendor,
    pub title: String,
    pub path: String,
    pub lifecycle: Lifecycle,
    pub parse_status: ParseStatus,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubtechniqueRollup {
    pub id: String,
    pub name: String,
    pub rules_by_vendor: VendorCounts,
}

/// Everything SPEC 4.1–4.5 shows for one technique.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TechniquePage {
    pub technique: TechniqueHeader,
    pub rules_by_vendor: VendorCounts,
    /// Native events, each with the sensors beside it.
    pub events: Vec<EventRow>,
    /// Sensor rows that correspond to no native event of this technique's rules.
    pub sensors: Vec<SensorCount>,
    /// Scope: the selectors of the technique's rules — which event streams they read
    /// (`event.category eq process`, `log.channel eq security`), most rules first. Selectors
    /// are never indicators or exclusions.
    pub scope: Vec<ScopeRow>,
    pub fields_distinct: u64,
    pub fields: Vec<FieldRow>,
    pub indicators_distinct: u64,
    pub indicators: Vec<IndicatorRow>,
    pub exclusions_distinct: u64,
    pub exclusions: Vec<ExclusionRow>,
    pub rules: Vec<RuleRef>,
    /// For a parent technique: its sub-techniques and their rule counts.
    pub subtechniques: Vec<SubtechniqueRollup>,
    /// Rules of the sub-techniques (not of this technique itself).
    pub subtechnique_rules_by_vendor: VendorCounts,
    pub include_deprecated: bool,
    /// Sigma regression recordings of this technique and the rules of each vendor that fire.
    #[serde(default)]
    pub recordings: Vec<RecordingRow>,
    /// ATT&CK v18 analytics of the technique's detection strategies with the rules that
    /// implement each (`crate::analytics`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub analytics: Vec<crate::analytics::AnalyticCoverage>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PredicateView {
    pub field: String,
    pub canonical: String,
    pub mapped: bool,
    pub operator: Operator,
    pub values: Vec<String>,
    pub negated: bool,
    pub role: Role,
    pub case_sensitive: bool,
    pub modifiers: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleIndicator {
    pub field: String,
    pub operator: String,
    pub value: String,
    pub original: String,
    pub raw_field: String,
    pub corpus_reach: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleExclusion {
    pub field: String,
    pub operator: String,
    pub value: String,
    pub original: String,
    pub raw_field: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiagnosticView {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub path: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

impl DiagnosticView {
    /// The diagnostic as `detcat_model::render` writes it for people: `severity[code]:
    /// message`, `--> path:line:col`, and the line of `source` with a caret under the column
    /// (one column wide: the catalog keeps a diagnostic's line and column, not its width).
    /// The CLI prints it; the rule page shows it escaped in a `<pre>`.
    pub fn rendered(&self, source: Option<&str>) -> String {
        let at = match (self.line, self.column) {
            (Some(line), Some(column)) => Some(detcat_model::render::Caret {
                line,
                column,
                width: 1,
            }),
            _ => None,
        };
        detcat_model::render::parts(
            self.severity.as_str(),
            &self.code,
            &self.message,
            &self.path,
            at,
            source,
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RulePage {
    pub id: String,
    pub vendor: Vendor,
    pub title: String,
    pub description: String,
    /// Upstream status, as the vendor names it (Sigma `status`, Elastic `maturity`, …).
    pub status: Option<String>,
    pub parse_status: ParseStatus,
    pub lifecycle: Lifecycle,
    /// The rule's own level as its vendor writes it (Sigma `level`, Elastic `severity`, …).
    pub severity: Option<String>,
    pub rule_type: String,
    pub language: String,
    pub authors: Vec<String>,
    pub created: Option<String>,
    pub modified: Option<String>,
    pub path: String,
    pub url: Option<String>,
    pub references: Vec<String>,
    pub false_positives: Vec<String>,
    pub tags: Vec<String>,
    pub techniques: Vec<TechniqueRef>,
    pub tactics: Vec<TacticRef>,
    pub events: Vec<EventCount>,
    pub telemetry: Vec<TelemetryHint>,
    pub query: String,
    pub expr: Expr,
    pub predicates: Vec<PredicateView>,
    /// The rule's selectors (which event stream it reads), canonical and original.
    pub scope: Vec<RuleExclusion>,
    pub exclusions: Vec<RuleExclusion>,
    pub indicators: Vec<RuleIndicator>,
    pub diagnostics: Vec<DiagnosticView>,
    pub source: Option<String>,
    /// The recordings that test this rule, and how many recordings it fires on.
    #[serde(default)]
    pub recordings: RuleRecordings,
    /// "Same idea in other vendors": the most similar rules of the other vendors (issue 13).
    #[serde(default)]
    pub same_idea: Vec<crate::similar::SimilarRule>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ValueCount {
    pub operator: String,
    pub value: String,
    pub rules: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TechniqueCount {
    pub id: String,
    pub name: String,
    pub rules: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FieldPage {
    pub field: String,
    pub title: Option<String>,
    pub group: Option<String>,
    pub mapped: bool,
    /// Vendor names known for this field (taxonomy; `None` for an unmapped field), and
    /// those seen in rules.
    pub names: Option<FieldNames>,
    pub vendor_names_seen: Vec<String>,
    pub rules_by_vendor: VendorCounts,
    pub operators: BTreeMap<String, u64>,
    /// Indicator values (for a selector field such as `event.category`: its selector values).
    pub values: Vec<ValueCount>,
    pub techniques: Vec<TechniqueCount>,
    pub rules: Vec<RuleRef>,
}

/// The names a canonical field has in each naming system of the taxonomy: Sigma's
/// Sysmon/Windows names, Elastic Common Schema, the CIM datamodels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldNames {
    pub sigma: Vec<String>,
    pub ecs: Vec<String>,
    pub cim: Vec<String>,
}

impl FieldNames {
    /// `(system, names)` for each naming system with names, by system name.
    pub fn by_system(&self) -> Vec<(&'static str, &[String])> {
        let mut out = vec![
            ("cim", self.cim.as_slice()),
            ("ecs", self.ecs.as_slice()),
            (Vendor::Sigma.as_str(), self.sigma.as_slice()),
        ];
        out.retain(|(_, names)| !names.is_empty());
        out
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventPage {
    pub provider: String,
    pub event_id: String,
    pub title: String,
    pub rules_by_vendor: VendorCounts,
    pub fields: Vec<FieldRow>,
    pub techniques: Vec<TechniqueCount>,
    pub rules: Vec<RuleRef>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchHit {
    #[serde(flatten)]
    pub rule: RuleRef,
    pub techniques: Vec<String>,
    /// The rule's own status (Sigma `status`, Elastic maturity, …) and severity, when it has one.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    /// Why the rule matched the free text: `title`, `description`, `field process.name`,
    /// `process.name = regsvr32.exe` (empty for a filters-only query).
    #[serde(default)]
    pub why: Vec<String>,
}

/// A query worth trying when a search finds nothing: a field or value the catalog holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchSuggestion {
    /// What to show (`process.name = regsvr32.exe`, `field process.name`).
    pub label: String,
    /// The query to run.
    pub query: String,
    pub rules: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchPage {
    pub query: String,
    pub total: u64,
    pub offset: u64,
    pub limit: u64,
    pub hits: Vec<SearchHit>,
    /// Nearest fields and values when nothing matched (empty otherwise).
    #[serde(default)]
    pub suggestions: Vec<SearchSuggestion>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatrixCell {
    pub id: String,
    pub name: String,
    pub rules: u64,
    pub rules_by_vendor: VendorCounts,
    /// Rules of its sub-techniques, summed.
    pub subtechnique_rules: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatrixColumn {
    pub tactic: TacticRef,
    pub techniques: Vec<MatrixCell>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Matrix {
    pub domain: String,
    pub vendor: Option<String>,
    pub platform: Option<String>,
    pub platforms: Vec<String>,
    pub totals: VendorCounts,
    pub columns: Vec<MatrixColumn>,
}

/// A rule that fires on a recording.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordingFiring {
    pub vendor: String,
    pub id: String,
    pub title: String,
    /// Events (alerts, for stateful rules) it fired on.
    pub events: u64,
}

/// One Sigma regression recording, run at build time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RecordingRow {
    /// The test directory, relative to `sigma/regression_data`.
    pub path: String,
    /// The Sigma rule the recording tests.
    pub rule_id: String,
    pub title: String,
    /// `match_count`; `None` means at least one.
    pub expected: Option<u64>,
    pub got: Option<u64>,
    /// `passed`, `failed` or `error`.
    pub status: String,
    pub cause: Option<String>,
    pub events: u64,
    /// Every rule that fires on the recording, by vendor then title.
    pub fires: Vec<RecordingFiring>,
}

/// "Tested on N recordings: fires as expected / fires k of n" for a rule page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RuleRecordings {
    /// Recordings made to test this rule.
    pub tested_on: Vec<RecordingRow>,
    /// How many of those it fires on as expected.
    pub as_expected: u64,
    /// Recordings (made for any rule) this rule fires on.
    pub fires_on: u64,
}

impl RecordingRow {
    /// `fires as expected`, or `fires 3 of 1` (got of expected).
    pub fn verdict(&self) -> String {
        if self.status == "passed" {
            return "fires as expected".to_owned();
        }
        let got = self.got.map_or("–".to_owned(), |g| g.to_string());
        let expected = self.expected.map_or("≥1".to_owned(), |e| e.to_string());
        format!("fires {got} of {expected}")
    }
}

impl RuleRecordings {
    /// `fires as expected`, or `fires as expected on k of n`.
    pub fn summary(&self) -> String {
        let n = self.tested_on.len() as u64;
        if self.as_expected == n {
            "fires as expected".to_owned()
        } else {
            format!("fires as expected on {} of {n}", self.as_expected)
        }
    }
}

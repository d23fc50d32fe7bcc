//! The normalized rule and what a parser returns for one file.

use serde::{Deserialize, Serialize};

use crate::{Diagnostic, Expr, Vendor};

/// The language a rule's query is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Sigma,
    Kuery,
    Eql,
    Esql,
    Lucene,
    Spl,
    /// No query at all (Elastic machine_learning rules).
    None,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Sigma => "sigma",
            Language::Kuery => "kuery",
            Language::Eql => "eql",
            Language::Esql => "esql",
            Language::Lucene => "lucene",
            Language::Spl => "spl",
            Language::None => "none",
        }
    }
}

/// Where a rule stands in its vendor's life cycle; deprecated and unsupported rules are loaded
/// but left out of statistics by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lifecycle {
    #[default]
    Active,
    Deprecated,
    /// Sigma `unsupported/`: rules that use features no backend supports.
    Unsupported,
}

/// ATT&CK ids as the rule states them (upper-case: `T1059.001`, `TA0002`), plus tactic
/// short names (`execution`) where the rule names tactics by name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AttackRefs {
    pub techniques: Vec<String>,
    pub tactics: Vec<String>,
}

/// A hint from which the taxonomy derives the telemetry events a rule needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TelemetryHint {
    /// Sigma `logsource`.
    SigmaLogsource {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        category: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service: Option<String>,
    },
    /// EQL event category (`process where …`) or ES|QL/KQL `event.category` value.
    EventCategory { name: String },
    /// Elastic index pattern (`logs-endpoint.events.process-*`, `winlogbeat-*`).
    Index { pattern: String },
    /// Elastic `Data Source: …` tag value (`Sysmon`, `Elastic Defend`).
    DataSourceTag { name: String },
    /// A named data source entry (`data_source: Sysmon EventID 1`).
    DataSource { name: String },
    /// A data model dataset (`Endpoint.Processes`).
    Datamodel { name: String },
}

/// Outcome of normalizing one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParseStatus {
    /// The whole query became the expression tree.
    Normalized,
    /// Parsed, but some parts are opaque nodes.
    Partial,
    /// The query could not be parsed; the rule is kept with its diagnostics.
    Failed,
}

impl ParseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ParseStatus::Normalized => "normalized",
            ParseStatus::Partial => "partial",
            ParseStatus::Failed => "failed",
        }
    }
}

/// One detection rule in the normalized model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub vendor: Vendor,
    /// Upstream id (the rule's own id key, e.g. Elastic `rule_id`); the file path when absent.
    pub id: String,
    pub title: String,
    pub description: String,
    pub authors: Vec<String>,
    /// ISO dates as written upstream (`2023-01-31`, Sigma's `2023/01/31` normalized to dashes).
    pub created: Option<String>,
    pub modified: Option<String>,
    /// The vendor's life-cycle word as written (`status`, Elastic `maturity`).
    pub status: Option<String>,
    /// The vendor's severity as written (Sigma `level`, Elastic `severity`; where stated).
    pub severity: Option<String>,
    /// Vendor rule type as the vendor names it (Sigma `detection`/`correlation`/`filter`;
    /// Elastic `query`/`eql`/`threshold`/…; `TTP`/`Anomaly`/`Hunting`/…).
    pub rule_type: String,
    pub language: Language,
    pub lifecycle: Lifecycle,
    /// Corpus-relative path of the source file.
    pub path: String,
    /// For files holding several rules (Sigma collections): the document's index.
    pub document: u32,
    pub url: Option<String>,
    pub references: Vec<String>,
    pub false_positives: Vec<String>,
    pub tags: Vec<String>,
    pub attack: AttackRefs,
    pub telemetry: Vec<TelemetryHint>,
    /// The query as written (Sigma: the `detection` block; others: the query string).
    pub query: String,
    pub expr: Expr,
    pub diagnostics: Vec<Diagnostic>,
}

impl Rule {
    /// The rule standing for a file (or a document of one) whose query could not be read:
    /// id and path are `path`, the title its file name, the expression one opaque node
    /// holding `opaque_text` with `reason`, everything else empty (`rule_type` `unknown`,
    /// active). Parsers fill in what they did read; with an error diagnostic the rule counts
    /// as failed ([`Rule::status`]).
    pub fn failed(
        vendor: Vendor,
        language: Language,
        path: &str,
        opaque_text: String,
        reason: impl Into<String>,
    ) -> Rule {
        Rule {
            vendor,
            id: path.to_owned(),
            title: path.rsplit('/').next().unwrap_or(path).to_owned(),
            description: String::new(),
            authors: Vec::new(),
            created: None,
            modified: None,
            status: None,
            severity: None,
            rule_type: "unknown".to_owned(),
            language,
            lifecycle: Lifecycle::Active,
            path: path.to_owned(),
            document: 0,
            url: None,
            references: Vec::new(),
            false_positives: Vec::new(),
            tags: Vec::new(),
            attack: AttackRefs::default(),
            telemetry: Vec::new(),
            query: String::new(),
            expr: Expr::Opaque(crate::Opaque {
                text: opaque_text,
                reason: reason.into(),
                fields: Vec::new(),
                span: None,
            }),
            diagnostics: Vec::new(),
        }
    }

    /// Normalized, partial or failed — derived, never stored separately, so it cannot drift.
    ///
    /// A rule *fails* when nothing of its query could be parsed: its whole expr is one opaque
    /// node holding the text, and an error diagnostic says why. It is *partial* when opaque
    /// nodes remain — including a whole-rule opaque node that is no error (an Elastic machine
    /// learning job has no query to parse).
    pub fn status(&self) -> ParseStatus {
        let error = self
            .diagnostics
            .iter()
            .any(|d| d.severity == crate::Severity::Error);
        if matches!(self.expr, Expr::Opaque(_)) && error {
            ParseStatus::Failed
        } else if self.expr.has_opaque() {
            ParseStatus::Partial
        } else {
            ParseStatus::Normalized
        }
    }
}

/// What a parser returns for one source file.
#[derive(Debug, Clone, Default)]
pub struct FileOutcome {
    /// Rules found in the file (a Sigma collection holds several).
    pub rules: Vec<Rule>,
    /// Set when the file holds no rule by design (a Sigma regression-data event, a README):
    /// the reason, so that file counts add up.
    pub non_rule: Option<String>,
    /// Diagnostics about the file that belong to no single rule (warnings about a collection).
    ///
    /// A file that cannot be parsed at all (broken YAML/TOML, binary) still yields one *failed*
    /// [`Rule`] — id and title from the path, expr an opaque node holding the text, and an
    /// error diagnostic — so that every file is either rules or `non_rule` and counts add up.
    pub diagnostics: Vec<Diagnostic>,
}

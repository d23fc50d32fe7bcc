//! Evaluation of normalized detection rules on real events.
//!
//! Nothing else in detcat shows that a normalized rule *means* what its source means; this
//! crate runs every vendor's [`Expr`](detcat_model::Expr) on recorded events, with the Sigma
//! regression data (`regression_data/**/info.yml`) as the oracle:
//!
//! - [`read`]: EVTX (via the `evtx` crate), JSON, JSON Lines — auto-detected — into
//!   [`Event`]s with raw fields, canonical fields (through the taxonomy, plus derived ones
//!   such as `process.name` from an image path) and provenance selectors, so a rule of any
//!   vendor evaluates on a Sysmon recording.
//! - [`Engine`]: rules compiled once (pre-lowered literals, substring finders, anchored glob
//!   segments, the regular expressions of one field in one `RegexSet`) and run per stream,
//!   rules in parallel. Evaluation is three-valued: an opaque part, an unresolved Sigma
//!   placeholder or a computed condition is *undetermined*, never guessed.
//! - Stateful rules (sequences, counts) run over the ordered stream or say why they were not
//!   evaluated (`new_terms` needs history).
//! - [`regress`]: the regression runner behind `detcat regress`.
//!
//! ```
//! use detcat_eval::{Engine, EvalRule, read};
//! use detcat_model::{Expr, Operator, Predicate, Value, Vendor};
//!
//! let rule = EvalRule {
//!     vendor: Vendor::Elastic,
//!     id: "x".into(),
//!     title: "whoami".into(),
//!     techniques: vec![],
//!     events: vec![],
//!     expr: Expr::Pred(Predicate::new("process.name", Operator::Eq, vec![Value::from("whoami.exe")])),
//! };
//! let engine = Engine::new(vec![rule]);
//! // A Sysmon-style record: the ECS rule finds `process.name` from `Image`.
//! let line = br#"{"Event":{"System":{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational"},"EventData":{"Image":"C:\\Windows\\System32\\WHOAMI.EXE"}}}"#;
//! let events = read::read_bytes("-", line.to_vec(), read::Format::Auto).events;
//! assert_eq!(engine.run(&events, &|_| true)[0].fired, [0]);
//! ```
//!
//! Dependency rule: the model, the taxonomy and the YAML reader only.

mod compile;
mod derive;
mod diagnostics;
mod engine;
mod eval;
mod event;
mod index;
mod matcher;
mod prefilter;
mod provenance;
pub mod read;
pub mod regress;
mod rule;
mod stateful;
mod stream;
pub mod time;

pub use derive::{basename, split_args};
pub use diagnostics::{ReadError, RegressError};
pub use engine::{Engine, RuleHits, run_rule};
pub use event::{Event, FieldValues, Naming, field_key};
pub use index::IndexStats;
pub use provenance::Provenance;
pub use read::{Format, ReadDiagnostic, ReadOutcome};
pub use rule::{CompiledRule, EvalRule, Verdict};

#[cfg(test)]
mod tests;

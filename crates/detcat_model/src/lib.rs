//! The normalized detection-rule model of detcat.
//!
//! Every vendor parser (one crate per vendor of the registry, [`Vendor::info`]) turns its rules into [`Rule`]s made of the
//! same parts: identity metadata, ATT&CK references, telemetry hints, an [`Expr`] tree of
//! `and` / `or` / `not` over [`Predicate`]s, and [`Diagnostic`]s for everything that did not
//! parse. Nothing downstream (taxonomy, catalog, web) ever looks at vendor syntax again.
//!
//! ```
//! use detcat_model::{Expr, Operator, Predicate, Value};
//!
//! // Sigma `Image|endswith: '\regsvr32.exe'`
//! let pred = Predicate::new("Image", Operator::Wildcard, vec![Value::from(r"*\\regsvr32.exe")]);
//! let expr = Expr::and(vec![Expr::Pred(pred), Expr::not(Expr::Pred(Predicate::new(
//!     "ParentImage",
//!     Operator::Eq,
//!     vec![Value::from(r"C:\Windows\explorer.exe")],
//! )))]);
//! assert_eq!(expr.exclusions().count(), 1);
//! assert_eq!(expr.indicators().count(), 1);
//! ```
//!
//! Dependency rule: this crate depends on nothing of detcat; every other crate depends on it.

mod diagnostic;
mod draft;
pub mod exhaustive;
mod expr;
mod names;
mod outline;
pub mod render;
mod rule;
mod source;
mod vendor;
pub mod wildcard;

pub use diagnostic::{Diagnostic, Severity};
pub use draft::{DRAFT_QUERY_PATH, DraftReader, ParsedQuery};
pub use expr::{
    AggKind, Aggregation, Comparison, Computed, Expr, Keyword, Opaque, Operator, Predicate,
    RangeOp, RegexFlags, Role, SeqKind, SeqStep, Sequence, Value,
};
pub use outline::{MAX_OUTLINE_DEPTH, OutlineItem};
pub use rule::{AttackRefs, FileOutcome, Language, Lifecycle, ParseStatus, Rule, TelemetryHint};
pub use source::{LineCol, LineIndex, SourceFile, Span, trim_in_place};
pub use vendor::{Discovery, Upstream, Vendor, VendorInfo, VendorParser};

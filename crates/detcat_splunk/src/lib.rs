//! Splunk security_content detections (YAML, macros, SPL) into the detcat model.
//!
//! The corpus' `splunk/` folder holds detections (`detections/**/*.yml`), search macros
//! (`macros/*.yml`), data source definitions and analytic stories. [`parse_files`] loads the
//! macros first, then turns every detection into one [`detcat_model::Rule`] in parallel:
//!
//! 1. the YAML becomes a typed [`Detection`] (by hand from the spanned `detcat_yaml` tree);
//! 2. the `search` is macro-expanded ([`macros::expand`]) with a source map back to the text;
//! 3. the expanded SPL is parsed by a hand-written lexer and recursive-descent parser
//!    ([`spl::parse`]) into a typed pipeline of commands;
//! 4. the pipeline is lowered ([`lower::lower`]) into the model's `and`/`or`/`not` tree of
//!    predicates: filters join one top-level `and` (so `NOT …` stays an exclusion), shaping
//!    commands are dropped (see [`lower::SHAPING`]), a threshold on `stats` output becomes an
//!    aggregation, and what cannot be normalized stays an opaque node with its text.
//!
//! ```
//! use detcat_model::SourceFile;
//!
//! let macro_file = SourceFile::new(
//!     "splunk/macros/sysmon.yml",
//!     "name: sysmon\ndefinition: sourcetype=sysmon\n",
//! );
//! let detection = SourceFile::new(
//!     "splunk/detections/endpoint/x.yml",
//!     "name: Regsvr32 Scriptlet\nid: 1\ntype: TTP\nsearch: '`sysmon` EventCode=1 Image=\"*\\\\regsvr32.exe\"\n  NOT ParentImage=\"*\\\\msiexec.exe\" | stats count by host | `x_filter`'\ntags:\n  mitre_attack_id:\n  - T1218.010\n",
//! );
//! let outcomes = detcat_splunk::parse_files(&[macro_file, detection]);
//! assert_eq!(outcomes[0].non_rule.as_deref(), Some("macro definition"));
//! let rule = &outcomes[1].rules[0];
//! assert_eq!(rule.attack.techniques, ["T1218.010"]);
//! assert_eq!(rule.expr.indicators().count(), 3); // sourcetype, EventCode, Image
//! assert_eq!(rule.expr.exclusions().count(), 1); // ParentImage
//! assert!(rule.diagnostics.is_empty());
//! ```

mod detection;
pub mod diagnostics;
mod draft;
mod files;
mod fuzz_context;
pub mod lookups;
pub mod lower;
pub mod macros;
mod offsets;
mod rule;
pub mod spl;
mod yaml_map;

pub use detection::{Detection, SearchText, Tags};
pub use files::{
    Context, FileKind, Parser, load_context, load_context_with_diagnostics, load_macros,
    parse_files,
};
pub use fuzz_context::fuzz_context;
pub use offsets::ValueOffsets;
pub use rule::{QueryOutcome, UPSTREAM, parse_detection, parse_query};

//! Sigma rules (YAML detections, conditions, modifiers, correlations, filters) into the detcat
//! model.
//!
//! Every value modifier of the Sigma specification v2 is applied or recorded (`contains` →
//! wildcard `*x*`, `base64offset` → its three encodings, `windash` → the five dash forms,
//! `re|i` → a regex with flags, …), conditions are parsed by a real lexer and
//! recursive-descent parser, and multi-document collections (`action: global/reset/repeat`),
//! correlation rules and filter rules are understood. Nothing panics on input: broken files
//! become one *failed* rule with a diagnostic.
//!
//! ```
//! use detcat_model::{Operator, SourceFile, Value};
//!
//! let text = r"
//! title: Regsvr32 scriptlet
//! logsource: {category: process_creation, product: windows}
//! detection:
//!   selection:
//!     Image|endswith: '\regsvr32.exe'
//!     CommandLine|contains: scrobj.dll
//!   filter:
//!     ParentImage: 'C:\Windows\explorer.exe'
//!   condition: selection and not filter
//! ";
//! let out = detcat_sigma::parse_files(&[SourceFile::new("sigma/rules/windows/x.yml", text)]);
//! let rule = &out[0].rules[0];
//! let ind: Vec<_> = rule.expr.indicators().collect();
//! assert_eq!(ind[0].op, Operator::Wildcard);
//! assert_eq!(ind[0].values, [Value::from(r"*\\regsvr32.exe")]);
//! assert_eq!(rule.expr.exclusions().count(), 1);
//! ```

mod collection;
pub mod condition;
mod detection;
mod diagnostics;
mod draft;
mod encode;
mod files;
mod header;
mod meta;
mod modifiers;
mod rule;
mod value;

use rayon::prelude::*;

use detcat_model::{FileOutcome, SourceFile, Vendor, VendorParser};

pub use condition::{ConditionAst, ConditionError, parse_condition};
pub use files::{MAX_DOCUMENTS, MAX_FILE_BYTES};

/// One outcome per input file, in the same order; files are parsed in parallel.
///
/// `files` are the files under the corpus `sigma/` folder (`sigma/rules/…`,
/// `sigma/deprecated/…`, `sigma/unsupported/…`, `sigma/regression_data/…`). Regression data,
/// READMEs and other non-YAML files come back with `non_rule` set.
pub fn parse_files(files: &[SourceFile]) -> Vec<FileOutcome> {
    files.par_iter().map(files::parse_file).collect()
}

/// The Sigma entry of the vendor registry: [`parse_files`] behind [`VendorParser`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Parser;

impl VendorParser for Parser {
    fn vendor(&self) -> Vendor {
        Vendor::Sigma
    }

    fn parse_files(&self, files: &[SourceFile]) -> Vec<FileOutcome> {
        parse_files(files)
    }

    fn is_rule_file(&self, text: &str) -> bool {
        draft::is_rule_file(text)
    }

    fn rule_file_format(&self) -> &'static str {
        "yaml"
    }

    fn draft_reader(&self, _companions: &[SourceFile]) -> Box<dyn detcat_model::DraftReader> {
        Box::new(draft::Reader)
    }
}

/// Parses one file (sequentially); the building block of [`parse_files`].
pub fn parse_file(file: &SourceFile) -> FileOutcome {
    files::parse_file(file)
}

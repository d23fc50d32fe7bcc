//! Elastic detection rules (TOML; KQL, EQL, ES|QL, Lucene queries) into the detcat model.
//!
//! ```
//! use detcat_model::SourceFile;
//!
//! let toml = r#"
//! [metadata]
//! creation_date = "2024/05/01"
//! maturity = "production"
//! updated_date = "2024/05/02"
//!
//! [rule]
//! author = ["Example"]
//! description = "Regsvr32 loading a scriptlet."
//! name = "Regsvr32 Scriptlet"
//! risk_score = 47
//! rule_id = "00000000-0000-4000-8000-000000000001"
//! severity = "medium"
//! tags = ["Data Source: Sysmon"]
//! type = "eql"
//! language = "eql"
//! query = '''
//! process where process.name : "regsvr32.exe" and process.args : "/i:*"
//! '''
//! "#;
//! let out = detcat_elastic::parse_files(&[SourceFile::new("elastic/rules/windows/x.toml", toml)]);
//! let rule = &out[0].rules[0];
//! assert_eq!(rule.created.as_deref(), Some("2024-05-01"));
//! assert_eq!(rule.status(), detcat_model::ParseStatus::Normalized);
//! ```
//!
//! Every file under the corpus's `elastic/` folder gives one [`FileOutcome`]: one rule, a
//! `non_rule` reason (LICENSE, READMEs), or one *failed* rule when the TOML is broken. The
//! query languages have public entry points for tests and fuzzing: [`kql::parse`],
//! [`eql::parse`], [`esql::parse`], [`lucene::parse`].

mod ast;
pub mod diagnostics;
mod draft;
pub mod eql;
pub mod esql;
mod expr_parser;
mod filters;
pub mod kql;
mod lexer;
pub mod locate;
mod lower;
pub mod lucene;
pub mod query;
mod rule;
pub mod toml_rule;

use detcat_model::{FileOutcome, SourceFile, Vendor, VendorParser};
use rayon::prelude::*;

pub use query::{ParsedQuery, fields_of};

/// Deepest nesting any parser of this crate follows before giving up with a diagnostic.
pub const MAX_DEPTH: usize = 256;

/// One outcome per input file, same order; parallel inside (rayon). `files` are all files
/// under the corpus `elastic/` folder (paths like `elastic/rules/windows/x.toml`).
pub fn parse_files(files: &[SourceFile]) -> Vec<FileOutcome> {
    files.par_iter().map(rule::parse_file).collect()
}

/// The Elastic entry of the vendor registry: [`parse_files`] behind [`VendorParser`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Parser;

impl VendorParser for Parser {
    fn vendor(&self) -> Vendor {
        Vendor::Elastic
    }

    fn parse_files(&self, files: &[SourceFile]) -> Vec<FileOutcome> {
        parse_files(files)
    }

    fn is_rule_file(&self, text: &str) -> bool {
        draft::is_rule_file(text)
    }

    fn rule_file_format(&self) -> &'static str {
        "toml"
    }

    fn draft_reader(&self, _companions: &[SourceFile]) -> Box<dyn detcat_model::DraftReader> {
        Box::new(draft::Reader)
    }
}

//! Reading a draft rule: refuse what is no text, tell the format, run the vendor's parser.
//!
//! The draft goes through the same parsers as the corpus: a rule file through its vendor's
//! [`DraftReader`] (the vendor tells its own files, `VendorParser::is_rule_file`), or a bare
//! query (`--language`) through the reader of the vendor whose language it is.

use std::sync::Arc;

use detcat_model::{
    DRAFT_QUERY_PATH, Diagnostic, DraftReader, Expr, Language, LineIndex, ParsedQuery, Rule,
    Severity, Span, Vendor,
};
use serde::{Deserialize, Serialize};

use crate::vendors;

/// Largest draft accepted (a real rule is a few KiB; the largest corpus rule ~100 KiB).
pub const MAX_DRAFT_BYTES: usize = 1024 * 1024;

/// What a draft is read as: a vendor's rule file or a bare query of one language. Reports
/// name it `<vendor>_<format>` (`sigma_yaml`) or `<language>_query` (`kql_query`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum DraftFormat {
    RuleFile(Vendor),
    Query(Language),
}

/// What the draft is written in, as given with `--language` (a vendor name for its rule
/// files, or a query language).
pub type DraftLanguage = DraftFormat;

impl DraftFormat {
    /// The format a `--language` word names: a vendor (`sigma`) or a query language (`kql`,
    /// `eql`, `esql`, `lucene`, `spl`) that some vendor reads.
    pub fn parse(s: &str) -> Option<DraftFormat> {
        let word = s.trim().to_ascii_lowercase();
        if let Some(vendor) = Vendor::parse(&word) {
            return Some(DraftFormat::RuleFile(vendor));
        }
        let word = if word == "es|ql" {
            "esql"
        } else {
            word.as_str()
        };
        Vendor::ALL
            .iter()
            .flat_map(|v| v.info().languages.iter().copied())
            .find(|l| l.as_str() == word || query_word(*l) == word)
            .map(DraftFormat::Query)
    }

    /// The report's name of the format.
    pub fn name(self) -> String {
        match self {
            DraftFormat::RuleFile(v) => {
                format!("{}_{}", v.as_str(), vendors::parser(v).rule_file_format())
            }
            DraftFormat::Query(l) => format!("{}_query", query_word(l)),
        }
    }
}

/// How people call a query language (KQL is `kuery` in Elastic rule files).
fn query_word(language: Language) -> &'static str {
    match language {
        Language::Kuery => "kql",
        l => l.as_str(),
    }
}

impl From<DraftFormat> for String {
    fn from(f: DraftFormat) -> String {
        f.name()
    }
}

impl TryFrom<String> for DraftFormat {
    type Error = String;

    fn try_from(name: String) -> Result<DraftFormat, String> {
        let (head, _) = name
            .rsplit_once('_')
            .ok_or_else(|| format!("unknown draft format `{name}`"))?;
        DraftFormat::parse(head)
            .filter(|f| f.name() == name)
            .ok_or_else(|| format!("unknown draft format `{name}`"))
    }
}

/// A parser diagnostic of the draft with its line and column (1-based).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DraftDiagnostic {
    pub code: String,
    pub severity: String,
    pub message: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

/// The parsed draft: the rule (absent when the input is no rule text at all) and diagnostics.
pub struct ParsedDraft {
    pub format: Option<DraftFormat>,
    pub rule: Option<Rule>,
    pub diagnostics: Vec<DraftDiagnostic>,
}

/// The draft's text, or the refusal of bytes that are no rule text (too large, not UTF-8,
/// binary, empty).
fn decode(bytes: &[u8]) -> Result<&str, DraftDiagnostic> {
    if bytes.len() > MAX_DRAFT_BYTES {
        return Err(refusal(
            "review::too-large",
            format!(
                "the draft is larger than {} KiB, the limit for a draft rule",
                MAX_DRAFT_BYTES / 1024
            ),
            Some((1, 1)),
        ));
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = position(bytes, e.valid_up_to());
            return Err(refusal(
                "review::not-utf8",
                "the draft is not UTF-8 text (a binary file?)".to_owned(),
                Some(at),
            ));
        }
    };
    if let Some(nul) = text.find('\0') {
        return Err(refusal(
            "review::binary",
            "the draft holds a NUL byte: it is a binary file, not a rule".to_owned(),
            Some(position(bytes, nul)),
        ));
    }
    if text.trim().is_empty() {
        return Err(refusal(
            "review::empty",
            "the draft is empty".to_owned(),
            Some((1, 1)),
        ));
    }
    Ok(text)
}

/// The draft read in `format`: the rule, or diagnostics of a file no rule came out of.
fn parse_as(
    format: DraftFormat,
    text: &str,
    reader: &dyn Fn(Vendor) -> Arc<dyn DraftReader>,
) -> Result<Rule, Vec<Diagnostic>> {
    match format {
        DraftFormat::RuleFile(vendor) => file_rule(reader(vendor).rule_file(text)),
        DraftFormat::Query(language) => {
            let parsed = Vendor::ALL
                .into_iter()
                .filter(|v| v.info().languages.contains(&language))
                .find_map(|v| Some((v, reader(v).query(text, language)?)));
            match parsed {
                Some((vendor, parsed)) => Ok(bare_rule(vendor, language, text, parsed)),
                None => Err(vec![Diagnostic::error(
                    "review::unknown-format",
                    format!("no parser reads a bare {} query", query_word(language)),
                    DRAFT_QUERY_PATH,
                    Some(Span::new(0, 0)),
                )]),
            }
        }
    }
}

/// A draft refused with one error diagnostic at `at` (line, column).
fn refuse(code: &str, message: String, at: Option<(u32, u32)>) -> ParsedDraft {
    refused(refusal(code, message, at))
}

fn refused(diagnostic: DraftDiagnostic) -> ParsedDraft {
    ParsedDraft {
        format: None,
        rule: None,
        diagnostics: vec![diagnostic],
    }
}

fn refusal(code: &str, message: String, at: Option<(u32, u32)>) -> DraftDiagnostic {
    DraftDiagnostic {
        code: code.to_owned(),
        severity: "error".to_owned(),
        message,
        line: at.map(|a| a.0),
        column: at.map(|a| a.1),
    }
}

/// Reads a draft. Never panics; any input gets either a rule or diagnostics saying why not.
///
/// `reader` gives each vendor's draft reader (built over the companion files of the corpus
/// the draft is reviewed against; called only for the vendor the draft is read by).
pub fn parse_draft(
    bytes: &[u8],
    language: Option<DraftLanguage>,
    reader: &dyn Fn(Vendor) -> Arc<dyn DraftReader>,
) -> ParsedDraft {
    let text = match decode(bytes) {
        Ok(text) => text,
        Err(refusal) => return refused(refusal),
    };
    let format = match language.or_else(|| detect(text)) {
        Some(f) => f,
        None => {
            return refuse(
                "review::unknown-format",
                format!(
                    "cannot tell the draft's format: none of the vendors ({}) reads it as a \
                     rule file; for a bare query pass --language kql|eql|esql|lucene|spl",
                    Vendor::names(", ")
                ),
                Some((1, 1)),
            );
        }
    };
    let rule = parse_as(format, text, reader);
    let (rule, extra) = match rule {
        Ok(rule) => (Some(rule), Vec::new()),
        Err(d) => (None, d),
    };
    let index = LineIndex::new(text);
    let mut diagnostics: Vec<DraftDiagnostic> = extra
        .iter()
        .chain(rule.iter().flat_map(|r| r.diagnostics.iter()))
        .map(|d| view(d, text, &index))
        .collect();
    if let Some(r) = &rule
        && r.expr.walk().all(|e| matches!(e, Expr::Opaque(_)))
        && !diagnostics.iter().any(|d| d.severity == "error")
    {
        diagnostics.push(DraftDiagnostic {
            code: "review::no-detection".to_owned(),
            severity: "error".to_owned(),
            message: "the parser found no detection logic in the draft".to_owned(),
            line: Some(1),
            column: Some(1),
        });
    }
    ParsedDraft {
        format: Some(format),
        rule,
        diagnostics,
    }
}

/// The format of a draft from its text: the first vendor that tells it as its rule file.
fn detect(text: &str) -> Option<DraftFormat> {
    Vendor::ALL
        .into_iter()
        .find(|v| vendors::parser(*v).is_rule_file(text))
        .map(DraftFormat::RuleFile)
}

/// The one rule of a rule file's outcome, or why there is none.
fn file_rule(outcome: detcat_model::FileOutcome) -> Result<Rule, Vec<Diagnostic>> {
    let path = DRAFT_QUERY_PATH;
    let mut diagnostics = outcome.diagnostics;
    if let Some(reason) = outcome.non_rule {
        diagnostics.push(Diagnostic::error(
            "review::not-a-rule",
            format!("the parser read no rule from the draft: {reason}"),
            path,
            Some(Span::new(0, 0)),
        ));
    }
    let mut rules = outcome.rules.into_iter();
    match rules.next() {
        Some(mut rule) => {
            rule.diagnostics.extend(diagnostics);
            Ok(rule)
        }
        None => {
            if diagnostics.is_empty() {
                diagnostics.push(Diagnostic::error(
                    "review::not-a-rule",
                    "the parser read no rule from the draft",
                    path,
                    Some(Span::new(0, 0)),
                ));
            }
            Err(diagnostics)
        }
    }
}

fn bare_rule(vendor: Vendor, language: Language, text: &str, parsed: ParsedQuery) -> Rule {
    let mut rule = Rule::failed(
        vendor,
        language,
        DRAFT_QUERY_PATH,
        text.to_owned(),
        "empty query",
    );
    rule.id = "draft".to_owned();
    rule.title = "draft".to_owned();
    rule.rule_type = "query".to_owned();
    rule.query = text.to_owned();
    if !matches!(&parsed.expr, Expr::And { items } if items.is_empty()) {
        rule.expr = parsed.expr;
    }
    rule.telemetry = parsed.telemetry;
    rule.diagnostics = parsed.diagnostics;
    rule
}

fn view(d: &Diagnostic, text: &str, index: &LineIndex) -> DraftDiagnostic {
    let at = d.span.map(|s| {
        let lc = index.line_col(text, s.start as usize);
        (lc.line, lc.column)
    });
    DraftDiagnostic {
        code: d.code.clone(),
        severity: match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
        .to_owned(),
        message: d.message.clone(),
        line: at.map(|a| a.0),
        column: at.map(|a| a.1),
    }
}

/// 1-based line and column of a byte offset in possibly non-UTF-8 bytes.
fn position(bytes: &[u8], offset: usize) -> (u32, u32) {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

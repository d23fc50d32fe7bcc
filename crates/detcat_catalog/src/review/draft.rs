//! Reading a draft rule: refuse what is no text, tell the format, run the vendor's parser.
//!
//! The draft goes through the same parsers as the corpus: a Sigma YAML rule through
//! `detcat_sigma`, an Elastic TOML rule through `detcat_elastic`, a Splunk detection YAML
//! through `detcat_splunk`, or a bare query (`--language`) through that language's parser.

use detcat_model::{
    Diagnostic, Expr, Language, LineIndex, Rule, Severity, SourceFile, Span, Vendor,
};
use serde::{Deserialize, Serialize};

/// Largest draft accepted (a real rule is a few KiB; the largest corpus rule ~100 KiB).
pub const MAX_DRAFT_BYTES: usize = 1024 * 1024;

/// What the draft is written in, as given with `--language` or told from its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DraftLanguage {
    /// A Sigma YAML rule.
    Sigma,
    /// A bare KQL query (Elastic).
    Kql,
    Eql,
    Esql,
    Lucene,
    /// A bare SPL search (Splunk).
    Spl,
}

impl DraftLanguage {
    pub fn parse(s: &str) -> Option<DraftLanguage> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "sigma" => DraftLanguage::Sigma,
            "kql" | "kuery" => DraftLanguage::Kql,
            "eql" => DraftLanguage::Eql,
            "esql" | "es|ql" => DraftLanguage::Esql,
            "lucene" => DraftLanguage::Lucene,
            "spl" => DraftLanguage::Spl,
            _ => return None,
        })
    }
}

/// The format the draft was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftFormat {
    SigmaYaml,
    ElasticToml,
    SplunkYaml,
    KqlQuery,
    EqlQuery,
    EsqlQuery,
    LuceneQuery,
    SplQuery,
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

/// Where the draft's path is pretended to live, so each vendor parser reads it as a rule.
const SIGMA_PATH: &str = "sigma/rules/draft.yml";
const ELASTIC_PATH: &str = "elastic/rules/draft.toml";
const SPLUNK_PATH: &str = "splunk/detections/draft.yml";
const QUERY_PATH: &str = "draft";

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

/// The draft parsed by its format's parser: the rule, or diagnostics of a file no rule came
/// out of.
fn parse_as(
    format: DraftFormat,
    text: &str,
    splunk: &dyn Fn() -> std::sync::Arc<detcat_splunk::Context>,
) -> Result<Rule, Vec<Diagnostic>> {
    match format {
        DraftFormat::SigmaYaml => file_rule(
            detcat_sigma::parse_file(&SourceFile::new(SIGMA_PATH, text)),
            SIGMA_PATH,
        ),
        DraftFormat::ElasticToml => file_rule(
            detcat_elastic::parse_files(&[SourceFile::new(ELASTIC_PATH, text)])
                .into_iter()
                .next()
                .unwrap_or_default(),
            ELASTIC_PATH,
        ),
        DraftFormat::SplunkYaml => Ok(detcat_splunk::parse_detection(
            &SourceFile::new(SPLUNK_PATH, text),
            &splunk(),
        )),
        DraftFormat::SplQuery => {
            let out = detcat_splunk::parse_query(text, &splunk());
            let mut rule = bare_rule(Vendor::Splunk, Language::Spl, text, out.expr);
            rule.telemetry = out
                .datamodels
                .into_iter()
                .map(|name| detcat_model::TelemetryHint::Datamodel { name })
                .collect();
            rule.diagnostics = out.diagnostics;
            Ok(rule)
        }
        DraftFormat::KqlQuery
        | DraftFormat::EqlQuery
        | DraftFormat::EsqlQuery
        | DraftFormat::LuceneQuery => {
            let (parsed, lang) = match format {
                DraftFormat::KqlQuery => (detcat_elastic::kql::parse(text), Language::Kuery),
                DraftFormat::EqlQuery => (detcat_elastic::eql::parse(text), Language::Eql),
                DraftFormat::EsqlQuery => (detcat_elastic::esql::parse(text), Language::Esql),
                _ => (detcat_elastic::lucene::parse(text), Language::Lucene),
            };
            let mut rule = bare_rule(Vendor::Elastic, lang, text, parsed.expr);
            rule.telemetry = parsed.telemetry;
            rule.diagnostics = parsed
                .diagnostics
                .into_iter()
                .map(|d| d.into_diagnostic(QUERY_PATH, 0))
                .collect();
            Ok(rule)
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
pub fn parse_draft(
    bytes: &[u8],
    language: Option<DraftLanguage>,
    splunk: &dyn Fn() -> std::sync::Arc<detcat_splunk::Context>,
) -> ParsedDraft {
    let text = match decode(bytes) {
        Ok(text) => text,
        Err(refusal) => return refused(refusal),
    };
    let format = match language {
        Some(DraftLanguage::Sigma) => DraftFormat::SigmaYaml,
        Some(DraftLanguage::Kql) => DraftFormat::KqlQuery,
        Some(DraftLanguage::Eql) => DraftFormat::EqlQuery,
        Some(DraftLanguage::Esql) => DraftFormat::EsqlQuery,
        Some(DraftLanguage::Lucene) => DraftFormat::LuceneQuery,
        Some(DraftLanguage::Spl) => DraftFormat::SplQuery,
        None => match detect(text) {
            Some(f) => f,
            None => {
                return refuse(
                    "review::unknown-format",
                    "cannot tell the draft's format: a Sigma rule has a top-level `detection:`, \
                     a Splunk detection a `search:`, an Elastic rule a `[rule]` table; for a \
                     bare query pass --language kql|eql|esql|lucene|spl"
                        .to_owned(),
                    Some((1, 1)),
                );
            }
        },
    };
    let rule = parse_as(format, text, splunk);
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

/// The format of a draft from its text: top-level keys of YAML, the `[rule]` table of TOML.
fn detect(text: &str) -> Option<DraftFormat> {
    let top_level = |key: &str| {
        text.lines()
            .any(|l| l.starts_with(key) && l[key.len()..].trim_start().starts_with(':'))
    };
    if text.lines().any(|l| l.trim() == "[rule]") {
        Some(DraftFormat::ElasticToml)
    } else if top_level("detection") {
        Some(DraftFormat::SigmaYaml)
    } else if top_level("search") {
        Some(DraftFormat::SplunkYaml)
    } else {
        None
    }
}

/// The one rule of a rule file's outcome, or why there is none.
fn file_rule(outcome: detcat_model::FileOutcome, path: &str) -> Result<Rule, Vec<Diagnostic>> {
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

fn bare_rule(vendor: Vendor, language: Language, text: &str, expr: Expr) -> Rule {
    let mut rule = Rule::failed(vendor, language, QUERY_PATH, text.to_owned(), "empty query");
    rule.id = "draft".to_owned();
    rule.title = "draft".to_owned();
    rule.rule_type = "query".to_owned();
    rule.query = text.to_owned();
    if !matches!(&expr, Expr::And { items } if items.is_empty()) {
        rule.expr = expr;
    }
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

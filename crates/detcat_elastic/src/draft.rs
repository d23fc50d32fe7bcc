//! Elastic's answer to `detcat review`: a TOML draft with a `[rule]` table is an Elastic rule;
//! bare KQL, EQL, ES|QL and Lucene queries go to their parsers.

use detcat_model::{DRAFT_QUERY_PATH, DraftReader, FileOutcome, Language, SourceFile};

/// Where a draft is pretended to live, so the parser reads it as a rule.
const DRAFT_PATH: &str = "elastic/rules/draft.toml";

/// Does the TOML text have a `[rule]` table?
pub(crate) fn is_rule_file(text: &str) -> bool {
    text.lines().any(|l| l.trim() == "[rule]")
}

pub(crate) struct Reader;

impl DraftReader for Reader {
    fn rule_file(&self, text: &str) -> FileOutcome {
        crate::rule::parse_file(&SourceFile::new(DRAFT_PATH, text))
    }

    fn query(&self, text: &str, language: Language) -> Option<detcat_model::ParsedQuery> {
        let parsed = match language {
            Language::Kuery => crate::kql::parse(text),
            Language::Eql => crate::eql::parse(text),
            Language::Esql => crate::esql::parse(text),
            Language::Lucene => crate::lucene::parse(text),
            _ => return None,
        };
        Some(detcat_model::ParsedQuery {
            expr: parsed.expr,
            telemetry: parsed.telemetry,
            diagnostics: parsed
                .diagnostics
                .into_iter()
                .map(|d| d.into_diagnostic(DRAFT_QUERY_PATH, 0))
                .collect(),
        })
    }
}

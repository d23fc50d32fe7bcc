//! Sigma's answer to `detcat review`: a draft with a top-level `detection:` is a Sigma rule.

use detcat_model::{DraftReader, FileOutcome, Language, ParsedQuery, SourceFile};

/// Where a draft is pretended to live, so the parser reads it as a rule.
const DRAFT_PATH: &str = "sigma/rules/draft.yml";

/// Does the YAML text have a top-level `detection:` key?
pub(crate) fn is_rule_file(text: &str) -> bool {
    text.lines().any(|l| {
        l.strip_prefix("detection")
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    })
}

pub(crate) struct Reader;

impl DraftReader for Reader {
    fn rule_file(&self, text: &str) -> FileOutcome {
        crate::parse_file(&SourceFile::new(DRAFT_PATH, text))
    }

    fn query(&self, _text: &str, _language: Language) -> Option<ParsedQuery> {
        None
    }
}

//! Splunk's answer to `detcat review`: a YAML draft with a top-level `search:` is a Splunk
//! detection, a bare SPL search goes to the SPL parser; both are read against the corpus'
//! macros and lookup tables, loaded once into the reader.

use detcat_model::{DraftReader, FileOutcome, Language, ParsedQuery, SourceFile, TelemetryHint};

use crate::files::{Context, load_context};

/// Where a draft is pretended to live, so the parser reads it as a detection.
const DRAFT_PATH: &str = "splunk/detections/draft.yml";

/// The folders below `splunk/` a draft is read against.
pub(crate) const COMPANIONS: &[&str] = &["macros", "lookups"];

/// Does the YAML text have a top-level `search:` key?
pub(crate) fn is_rule_file(text: &str) -> bool {
    text.lines().any(|l| {
        l.strip_prefix("search")
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    })
}

/// Drafts read against one corpus' macros and lookups.
pub(crate) struct Reader {
    context: Context,
}

impl Reader {
    pub(crate) fn new(companions: &[SourceFile]) -> Reader {
        Reader {
            context: load_context(companions),
        }
    }
}

impl DraftReader for Reader {
    fn rule_file(&self, text: &str) -> FileOutcome {
        FileOutcome {
            rules: vec![crate::parse_detection(
                &SourceFile::new(DRAFT_PATH, text),
                &self.context,
            )],
            non_rule: None,
            diagnostics: Vec::new(),
        }
    }

    fn query(&self, text: &str, language: Language) -> Option<ParsedQuery> {
        if language != Language::Spl {
            return None;
        }
        let out = crate::parse_query(text, &self.context);
        Some(ParsedQuery {
            expr: out.expr,
            telemetry: out
                .datamodels
                .into_iter()
                .map(|name| TelemetryHint::Datamodel { name })
                .collect(),
            diagnostics: out.diagnostics,
        })
    }
}

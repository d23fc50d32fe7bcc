//! One corpus file into its [`FileOutcome`]: rules, or the reason it holds none.

use detcat_model::{FileOutcome, Lifecycle, SourceFile};
use detcat_yaml::{Limits, parse_documents};

use crate::collection::rule_documents;
use crate::diagnostics as diag;
use crate::rule::{FileCtx, build};

/// Largest rule file read (the biggest real rule is a few dozen KiB).
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// Most YAML nodes (alias expansions included) read from one rule file.
const MAX_NODES: usize = 250_000;
/// Most YAML documents read from one file: real rule files hold a handful; a file of 60k tiny
/// documents is an attack on the build, not a rule collection.
pub const MAX_DOCUMENTS: usize = 1_000;

/// Kept of a file that was refused for its size, so the failed rule still shows something.
const OPAQUE_PREVIEW: usize = 4096;

/// Folders (first component under `sigma/`) whose YAML files are all rules.
fn is_rule_folder(top: &str) -> bool {
    top.starts_with("rules") || top == "deprecated" || top == "unsupported"
}

pub(crate) fn parse_file(file: &SourceFile) -> FileOutcome {
    let path = file.path.as_str();
    let rel = path.strip_prefix("sigma/").unwrap_or(path);
    let top = rel.split('/').next().unwrap_or_default();
    let lower = rel.to_ascii_lowercase();
    if top == "regression_data" {
        return non_rule("Sigma regression test data (events and test descriptions)");
    }
    if !(lower.ends_with(".yml") || lower.ends_with(".yaml")) {
        return non_rule("not a YAML file");
    }
    let lifecycle = match top {
        "deprecated" => Lifecycle::Deprecated,
        "unsupported" => Lifecycle::Unsupported,
        _ => Lifecycle::Active,
    };
    let ctx = FileCtx {
        path,
        text: &file.text,
        lifecycle,
    };
    let in_rule_folder = is_rule_folder(top);
    let mut outcome = FileOutcome::default();
    if file.text.len() > MAX_FILE_BYTES {
        let preview: String = file.text.chars().take(OPAQUE_PREVIEW).collect();
        let d = diag::file_too_large(path, file.text.len(), MAX_FILE_BYTES);
        outcome
            .rules
            .push(ctx.failed(0, preview, "file too large", vec![d]));
        return outcome;
    }
    // The largest real rule has a few thousand nodes; a tighter node limit than the YAML
    // default makes alias bombs stop sooner.
    let limits = Limits {
        max_bytes: MAX_FILE_BYTES,
        max_nodes: MAX_NODES,
        ..Limits::default()
    };
    let docs = match parse_documents(&file.text, &limits) {
        Ok(docs) => docs,
        Err(e) => {
            let d = diag::yaml_error(path, &e.message, e.span);
            outcome
                .rules
                .push(ctx.failed(0, file.text.clone(), "invalid YAML", vec![d]));
            return outcome;
        }
    };
    let looks_like_rule = docs.iter().any(|d| {
        ["detection", "correlation", "filter", "action", "logsource"]
            .iter()
            .any(|k| d.get(k).is_some())
    });
    if !in_rule_folder && !looks_like_rule {
        return non_rule("YAML file that is no Sigma rule");
    }
    let mut docs = docs;
    if docs.len() > MAX_DOCUMENTS {
        outcome
            .diagnostics
            .push(diag::too_many_documents(path, docs.len(), MAX_DOCUMENTS));
        docs.truncate(MAX_DOCUMENTS);
    }
    let documents = rule_documents(docs, path, &mut outcome.diagnostics);
    if documents.is_empty() {
        let d = diag::missing_detection(path, detcat_model::Span::new(0, file.text.len()));
        outcome
            .rules
            .push(ctx.failed(0, file.text.clone(), "no rule document", vec![d]));
        return outcome;
    }
    outcome.rules = documents
        .iter()
        .map(|(index, doc)| build(&ctx, *index, doc))
        .collect();
    outcome
}

fn non_rule(reason: &str) -> FileOutcome {
    FileOutcome {
        non_rule: Some(reason.to_owned()),
        ..FileOutcome::default()
    }
}

//! Every diagnostic this crate emits, built in one place so codes stay stable.
//!
//! Codes are `elastic::<kebab-name>` for the TOML layer and `kql::…`, `eql::…`, `esql::…`,
//! `lucene::…` for the query languages. Spans are byte ranges relative to the whole file once
//! the caller has added the query's offset (see [`crate::locate`]).

use detcat_model::{Diagnostic, Span};

/// A diagnostic before its file path is known (the language parsers do not know the path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryDiag {
    pub code: &'static str,
    pub error: bool,
    pub message: String,
    /// Byte range relative to the query string.
    pub span: Span,
}

impl QueryDiag {
    fn error(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Self {
            code,
            error: true,
            message: message.into(),
            span,
        }
    }

    fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Self {
        Self {
            code,
            error: false,
            message: message.into(),
            span,
        }
    }

    /// The file-level diagnostic: span moved by `base` (the query's offset in its file).
    pub fn into_diagnostic(self, path: &str, base: usize) -> Diagnostic {
        let span = Some(self.span.offset(base));
        if self.error {
            Diagnostic::error(self.code, self.message, path, span)
        } else {
            Diagnostic::warning(self.code, self.message, path, span)
        }
    }
}

/// The query languages, for codes that exist in each (`eql::unexpected-token`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Kql,
    Lucene,
    Eql,
    Esql,
}

impl Lang {
    fn code(self, name: &'static str) -> &'static str {
        macro_rules! per_lang {
            ($($n:literal),*) => {
                match (self, name) {
                    $( (Lang::Kql, $n) => concat!("kql::", $n),
                       (Lang::Lucene, $n) => concat!("lucene::", $n),
                       (Lang::Eql, $n) => concat!("eql::", $n),
                       (Lang::Esql, $n) => concat!("esql::", $n), )*
                    _ => "elastic::internal",
                }
            };
        }
        per_lang!(
            "unexpected-token",
            "unterminated-string",
            "bad-escape",
            "too-deep",
            "unexpected-end",
            "trailing-input",
            "bad-number"
        )
    }
}

pub fn unexpected_token(lang: Lang, found: &str, expected: &str, span: Span) -> QueryDiag {
    QueryDiag::error(
        lang.code("unexpected-token"),
        format!("expected {expected}, found {found}"),
        span,
    )
}

pub fn unexpected_end(lang: Lang, expected: &str, span: Span) -> QueryDiag {
    QueryDiag::error(
        lang.code("unexpected-end"),
        format!("query ends where {expected} was expected"),
        span,
    )
}

pub fn trailing_input(lang: Lang, span: Span) -> QueryDiag {
    QueryDiag::error(
        lang.code("trailing-input"),
        "unparsed input after the end of the query",
        span,
    )
}

pub fn unterminated_string(lang: Lang, span: Span) -> QueryDiag {
    QueryDiag::error(
        lang.code("unterminated-string"),
        "string literal is not closed",
        span,
    )
}

pub fn bad_escape(lang: Lang, what: &str, span: Span) -> QueryDiag {
    QueryDiag::warning(
        lang.code("bad-escape"),
        format!("unknown escape sequence {what}; kept literally"),
        span,
    )
}

pub fn bad_number(lang: Lang, text: &str, span: Span) -> QueryDiag {
    QueryDiag::warning(
        lang.code("bad-number"),
        format!("number {text:?} is out of range; kept as text"),
        span,
    )
}

pub fn too_deep(lang: Lang, span: Span) -> QueryDiag {
    QueryDiag::error(
        lang.code("too-deep"),
        format!("expression nested deeper than {} levels", crate::MAX_DEPTH),
        span,
    )
}

pub fn eql_output_pipe(pipe: &str, span: Span) -> QueryDiag {
    QueryDiag::warning(
        "eql::output-pipe",
        format!(
            "pipe `{pipe}` only limits which matches are returned, not what matches; left out of the tree"
        ),
        span,
    )
}

pub fn kql_in_esql_failed(span: Span) -> QueryDiag {
    QueryDiag::warning(
        "esql::kql-function",
        "the KQL() argument did not parse; kept opaque",
        span,
    )
}

pub fn esql_unsupported_command(name: &str, span: Span) -> QueryDiag {
    QueryDiag::warning(
        "esql::unsupported-command",
        format!("ES|QL command {name:?} is not normalized; kept opaque with its text"),
        span,
    )
}

pub fn esql_completion(span: Span) -> QueryDiag {
    QueryDiag::warning(
        "esql::completion",
        "COMPLETION asks an LLM; its answer cannot be expressed over event fields: the command \
         is kept opaque and conditions on its output stay computed",
        span,
    )
}

// ---- TOML layer -------------------------------------------------------------------------

pub fn bad_toml(path: &str, message: &str, span: Option<Span>) -> Diagnostic {
    Diagnostic::error(
        "elastic::bad-toml",
        format!("the file is not a valid rule: {message}"),
        path,
        span,
    )
}

pub fn missing_query(path: &str, rule_type: &str) -> Diagnostic {
    Diagnostic::error(
        "elastic::missing-query",
        format!("rule of type {rule_type:?} has no query"),
        path,
        None,
    )
}

pub fn unknown_language(path: &str, language: &str) -> Diagnostic {
    Diagnostic::error(
        "elastic::unknown-language",
        format!("unknown query language {language:?}"),
        path,
        None,
    )
}

pub fn query_not_located(path: &str) -> Diagnostic {
    Diagnostic::warning(
        "elastic::query-not-located",
        "the query string could not be located in the file; spans are relative to the query",
        path,
        None,
    )
}

pub fn unknown_filter(path: &str, what: &str) -> Diagnostic {
    Diagnostic::warning(
        "elastic::unknown-filter",
        format!("filter of an unknown shape kept opaque: {what}"),
        path,
        None,
    )
}

pub fn bad_threshold(path: &str, message: &str) -> Diagnostic {
    Diagnostic::warning("elastic::bad-threshold", message.to_owned(), path, None)
}

pub fn machine_learning_job(path: &str, span: Option<Span>) -> Diagnostic {
    Diagnostic::info(
        "elastic::machine-learning-job",
        "machine-learning rule: an anomaly-detection job decides what matches, there is no query \
         to normalize; kept opaque with the job ids",
        path,
        span,
    )
}

pub fn threat_match(path: &str, span: Option<Span>) -> Diagnostic {
    Diagnostic::warning(
        "elastic::threat-match",
        "threat_match rule: events must match indicators read from a live threat-intel index at \
         run time; that part is kept opaque with the index, query and field mapping",
        path,
        span,
    )
}

pub fn bad_date(path: &str, date: &str) -> Diagnostic {
    Diagnostic::warning(
        "elastic::bad-date",
        format!("date {date:?} is not YYYY/MM/DD; kept as written"),
        path,
        None,
    )
}

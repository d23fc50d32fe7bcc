#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The span checker: every diagnostic span and every predicate, keyword and opaque span that
//! a vendor parser returns lies inside the file it names and on character boundaries — over
//! the demo corpus always, and over the real corpora when `DETCAT_CORPUS` names them (unset:
//! a note; set to a missing path: the test fails). Every vendor of the registry is checked
//! through its registered parser.

use std::collections::HashMap;

use detcat_catalog::{Corpus, vendors};
use detcat_model::{Expr, Span, Vendor};

mod common;
use common::corpus_dir;

/// Inside `text`, start before end, both on character boundaries.
fn fits(text: &str, span: Span) -> bool {
    span.start <= span.end
        && (span.end as usize) <= text.len()
        && text.is_char_boundary(span.start as usize)
        && text.is_char_boundary(span.end as usize)
}

/// Where a span does not fit its file: "path: what span".
fn violations(corpus: &Corpus) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut bad = Vec::new();
    for vendor in Vendor::ALL {
        let files = corpus.files(vendor);
        let texts: HashMap<&str, &str> = files
            .iter()
            .map(|f| (f.path.as_str(), f.text.as_str()))
            .collect();
        let mut check = |path: &str, span: Span, what: &str| {
            checked += 1;
            let Some(text) = texts.get(path) else {
                bad.push(format!(
                    "{path}: {what} {span:?} names a file not in the corpus"
                ));
                return;
            };
            if !fits(text, span) {
                bad.push(format!(
                    "{path}: {what} {span:?} (file of {} bytes)",
                    text.len()
                ));
            }
        };
        for outcome in vendors::parser(vendor).parse_files(files) {
            for d in &outcome.diagnostics {
                if let Some(span) = d.span {
                    check(&d.path, span, &format!("diagnostic {}", d.code));
                }
            }
            for rule in &outcome.rules {
                for d in &rule.diagnostics {
                    if let Some(span) = d.span {
                        check(&d.path, span, &format!("diagnostic {}", d.code));
                    }
                }
                for node in rule.expr.walk() {
                    let (span, what) = match node {
                        Expr::Pred(p) => (p.span, "predicate"),
                        Expr::Keyword(k) => (k.span, "keyword"),
                        Expr::Opaque(o) => (o.span, "opaque node"),
                        _ => (None, ""),
                    };
                    if let Some(span) = span {
                        check(&rule.path, span, what);
                    }
                }
            }
        }
    }
    (checked, bad)
}

#[test]
fn demo_corpus_spans_fit_their_files() {
    let (checked, bad) = violations(&Corpus::demo());
    assert!(
        checked > 50,
        "only {checked} spans: is the checker reaching the rules?"
    );
    assert!(
        bad.is_empty(),
        "{} spans do not fit:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn real_corpus_spans_fit_their_files() {
    let Some(dir) = corpus_dir() else { return };
    let corpus = Corpus::read_dir(&dir).unwrap();
    let (checked, bad) = violations(&corpus);
    eprintln!("{checked} spans checked");
    assert!(
        checked > 10_000,
        "only {checked} spans over the real corpora"
    );
    let shown: Vec<&String> = bad.iter().take(30).collect();
    assert!(
        bad.is_empty(),
        "{} spans do not fit, first ones:\n{shown:#?}",
        bad.len()
    );
}

#[test]
fn the_checker_catches_spans_past_the_end_and_inside_a_character() {
    let text = "a: é\n";
    assert!(fits(text, Span::new(3, 5)));
    assert!(!fits(text, Span::new(4, 5)), "inside the two bytes of é");
    assert!(!fits(text, Span::new(2, 9)), "past the end");
}

#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Issue 18: wrong-typed rule fields, invalid regexes and document floods are diagnostics,
//! never silent.

use detcat_model::{FileOutcome, SourceFile};

fn parse(text: &str) -> FileOutcome {
    detcat_sigma::parse_file(&SourceFile::new("rules/windows/x.yml", text))
}

fn codes(outcome: &FileOutcome) -> Vec<String> {
    outcome
        .diagnostics
        .iter()
        .chain(outcome.rules.iter().flat_map(|r| r.diagnostics.iter()))
        .map(|d| d.code.clone())
        .collect()
}

const DETECTION: &str = "logsource: {product: windows}\ndetection:\n  sel: {Image: a.exe}\n";

#[test]
fn a_list_as_title_is_a_wrong_type_diagnostic() {
    let out = parse(&format!("title: [1, 2]\n{DETECTION}  condition: sel\n"));
    assert!(
        codes(&out).contains(&"sigma::wrong-type".to_owned()),
        "{:?}",
        codes(&out)
    );
}

#[test]
fn a_list_as_condition_is_diagnosed() {
    let out = parse(&format!("title: t\n{DETECTION}  condition: [sel]\n"));
    assert!(
        codes(&out).contains(&"sigma::condition-list".to_owned()),
        "{:?}",
        codes(&out)
    );
}

#[test]
fn an_invalid_re_pattern_is_diagnosed_and_kept() {
    let text = "title: t\nlogsource: {product: windows}\ndetection:\n  sel:\n    CommandLine|re: '(['\n  condition: sel\n";
    let out = parse(text);
    assert!(
        codes(&out).contains(&"sigma::invalid-regex".to_owned()),
        "{:?}",
        codes(&out)
    );
    let ok = "title: t\nlogsource: {product: windows}\ndetection:\n  sel:\n    CommandLine|re: '(?<!x)a\\d+'\n  condition: sel\n";
    assert!(
        !codes(&parse(ok)).contains(&"sigma::invalid-regex".to_owned()),
        "look-behind is valid PCRE"
    );
}

#[test]
fn a_flood_of_documents_is_capped_with_a_diagnostic() {
    let text = (0..1_500)
        .map(|i| format!("title: t{i}\n"))
        .collect::<Vec<_>>()
        .join("---\n");
    let out = parse(&text);
    assert!(codes(&out).contains(&"sigma::too-many-documents".to_owned()));
    assert!(
        out.rules.len() <= detcat_sigma::MAX_DOCUMENTS,
        "{}",
        out.rules.len()
    );
}

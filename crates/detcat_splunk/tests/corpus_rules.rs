//! Corpus-wide invariants and the rules issue 16 named as silently wrong, over the real
//! security_content corpus (`DETCAT_CORPUS=/work/shared/corpus`).

mod common;

use std::collections::HashMap;
use std::sync::OnceLock;

use detcat_model::{Expr, ParseStatus, Rule};

/// SPL command and clause words: a keyword search equal to one means a command was read as
/// search terms.
const SPL_WORDS: &[&str] = &[
    "mstats",
    "tstats",
    "stats",
    "eventstats",
    "streamstats",
    "as",
    "by",
    "count",
    "where",
    "search",
    "eval",
    "table",
    "rename",
    "lookup",
    "inputlookup",
    "summary",
    "apply",
    "fit",
    "join",
    "append",
    "dedup",
    "from",
    "datamodel",
    "output",
    "outputnew",
    "values",
    "dc",
];

/// Every rule of the corpus by id (parsed once for all tests of this file).
fn rules() -> Option<&'static HashMap<String, Rule>> {
    static RULES: OnceLock<Option<HashMap<String, Rule>>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            let root = common::corpus_root()?;
            let files = common::corpus_files(&root);
            let rules = detcat_splunk::parse_files(&files)
                .into_iter()
                .flat_map(|o| o.rules)
                .map(|r| (r.id.clone(), r))
                .collect();
            Some(rules)
        })
        .as_ref()
}

/// The rule whose id starts with `prefix`.
fn rule(prefix: &str) -> Option<&'static Rule> {
    let rules = rules()?;
    let found = rules.values().find(|r| r.id.starts_with(prefix));
    Some(found.unwrap_or_else(|| panic!("no rule with id {prefix}… in the corpus")))
}

fn keyword_texts(rule: &Rule) -> Vec<String> {
    rule.expr
        .walk()
        .filter_map(|e| match e {
            Expr::Keyword(k) => Some(k.values.iter().map(|v| v.to_text()).collect::<Vec<_>>()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn indicators(rule: &Rule) -> Vec<(String, String)> {
    rule.expr
        .indicators()
        .flat_map(|p| p.values.iter().map(|v| (p.field.clone(), v.to_text())))
        .collect()
}

#[test]
fn every_rule_not_normalized_says_why() {
    let Some(rules) = rules() else { return };
    let silent: Vec<&str> = rules
        .values()
        .filter(|r| r.status() != ParseStatus::Normalized && r.diagnostics.is_empty())
        .map(|r| r.path.as_str())
        .collect();
    assert!(
        silent.is_empty(),
        "partial rules without a diagnostic: {silent:?}"
    );
    // And every such diagnostic points at a place in the file.
    let unplaced: Vec<&str> = rules
        .values()
        .filter(|r| r.status() != ParseStatus::Normalized)
        .filter(|r| r.diagnostics.iter().all(|d| d.span.is_none()))
        .map(|r| r.path.as_str())
        .collect();
    assert!(
        unplaced.is_empty(),
        "partial rules with no located diagnostic: {unplaced:?}"
    );
}

#[test]
fn no_keyword_is_an_spl_word_or_a_macro() {
    let Some(rules) = rules() else { return };
    let mut bad = Vec::new();
    for r in rules.values() {
        for k in keyword_texts(r) {
            let lower = k.to_ascii_lowercase();
            if SPL_WORDS.contains(&lower.as_str()) || k.contains('`') {
                bad.push(format!("{}: {k}", r.path));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "keywords that are SPL words or macros: {bad:#?}"
    );
}

#[test]
fn quoted_field_before_in_is_a_list_predicate() {
    for id in [
        "07eed200", "15b0694e", "6d663014", "8630aa22", "babd8d10", "c1bc706a",
    ] {
        let Some(r) = rule(id) else { return };
        let ins: Vec<&str> = r
            .expr
            .walk()
            .filter_map(|e| match e {
                Expr::Pred(p) if p.modifiers.iter().any(|m| m == "in") => Some(p.field.as_str()),
                _ => None,
            })
            .collect();
        assert!(!ins.is_empty(), "{id}: no IN predicate");
        assert!(
            !keyword_texts(r)
                .iter()
                .any(|k| k.eq_ignore_ascii_case("in")),
            "{id}: IN read as a keyword"
        );
    }
}

#[test]
fn append_subsearch_starting_with_mstats_is_a_command() {
    for id in ["13f081d6", "454076fb", "49b7daca", "c8119b2f", "fea515a4"] {
        let Some(r) = rule(id) else { return };
        let words = keyword_texts(r);
        assert!(
            !words
                .iter()
                .any(|w| SPL_WORDS.contains(&w.to_ascii_lowercase().as_str())),
            "{id}: command words as keywords: {words:?}"
        );
    }
}

#[test]
fn escaped_quote_inside_an_unquoted_term_stays_in_the_term() {
    for (id, needle) in [
        ("3c6bd734", r#""privileged":true"#),
        ("cce357cf", r#""hostNetwork":true"#),
    ] {
        let Some(r) = rule(id) else { return };
        assert!(
            indicators(r)
                .iter()
                .any(|(f, v)| f.ends_with("last-applied-configuration") && v.contains(needle)),
            "{id}: {:?}",
            indicators(r)
        );
        assert_eq!(
            r.status(),
            ParseStatus::Normalized,
            "{id}: {:?}",
            r.diagnostics
        );
        assert!(
            !r.diagnostics
                .iter()
                .any(|d| d.code == "splunk::unknown-macro")
        );
    }
}

#[test]
fn escaped_space_does_not_leave_a_backslash_cd6297cd() {
    let Some(r) = rule("cd6297cd") else { return };
    assert!(
        indicators(r)
            .iter()
            .any(|(f, v)| f == "file_path" && v == "*System Volume"),
        "{:?}",
        indicators(r)
    );
}

#[test]
fn mltk_summary_output_is_no_event_predicate_0840ddf1() {
    let Some(r) = rule("0840ddf1") else { return };
    let fields: Vec<&str> = r
        .expr
        .walk()
        .filter_map(|e| match e {
            Expr::Pred(p) => Some(p.field.as_str()),
            _ => None,
        })
        .collect();
    assert!(!fields.contains(&"cardinality"), "{fields:?}");
    assert!(!keyword_texts(r).iter().any(|k| k == "summary"));
}

#[test]
fn eval_case_conditions_become_indicators_73cf5dcb() {
    let Some(r) = rule("73cf5dcb") else { return };
    let found = indicators(r);
    for dll in ["credui.dll", "DBGHELP.DLL", "SAMCLI.DLL", "winhttp.dll"] {
        assert!(
            found
                .iter()
                .any(|(f, v)| f == "OriginalFileName" && v == dll),
            "{dll} missing from {found:?}"
        );
    }
}

#[test]
fn lookup_filter_becomes_an_in_lookup_predicate() {
    // detect_remote_access_software_usage_dns: `lookup remote_access_software remote_domain AS
    // query OUTPUT isutility … | search isutility = True`.
    let Some(r) = rule("a16b797d") else { return };
    let preds: Vec<_> = r
        .expr
        .indicators()
        .filter(|p| {
            p.modifiers
                .iter()
                .any(|m| m == "lookup:remote_access_software")
        })
        .collect();
    assert_eq!(preds.len(), 1, "{:?}", r.expr);
    assert_eq!(preds[0].field, "query");
    assert!(preds[0].values.len() > 100, "{}", preds[0].values.len());
    assert_eq!(r.status(), ParseStatus::Normalized);
}

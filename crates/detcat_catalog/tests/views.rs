#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The JSON contract of the views (`--json`, `/api/…`), pinned on the embedded demo catalog.
//!
//! Other tools read these documents: a change to a snapshot is a change of the contract and
//! is reviewed as one (`cargo insta review`).

use detcat_catalog::{Catalog, QueryOptions};

fn demo() -> Catalog {
    Catalog::demo().unwrap()
}

#[test]
fn technique_view() {
    let page = demo()
        .technique("T1559.001", QueryOptions::default())
        .unwrap()
        .unwrap();
    insta::assert_json_snapshot!("technique_t1559_001", page);
}

#[test]
fn rule_view() {
    let catalog = demo();
    let page = catalog
        .technique("T1559.001", QueryOptions::default())
        .unwrap()
        .unwrap();
    let first = page.rules.first().expect("T1559.001 has rules in the demo");
    let key = format!("{}/{}", first.vendor, first.id);
    let rule = catalog.rule(&key).unwrap().unwrap();
    insta::assert_json_snapshot!("rule_first_of_t1559_001", rule);
}

#[test]
fn field_view() {
    let page = demo()
        .field("process.name", QueryOptions::default())
        .unwrap()
        .unwrap();
    insta::assert_json_snapshot!("field_process_name", page);
}

#[test]
fn event_view() {
    let page = demo()
        .event("sysmon:1", QueryOptions::default())
        .unwrap()
        .unwrap();
    insta::assert_json_snapshot!("event_sysmon_1", page);
}

#[test]
fn search_view() {
    let page = demo()
        .search("regsvr32", 0, 20, QueryOptions::default())
        .unwrap();
    insta::assert_json_snapshot!("search_regsvr32", page);
}

#[test]
fn stats_view() {
    let report = demo().report().unwrap();
    // Timings differ from run to run; everything else is a fact of the demo corpus.
    let mut json = serde_json::to_value(&report).unwrap();
    let timings = json.as_object_mut().unwrap().remove("timings");
    assert!(timings.is_some(), "the report has timings");
    insta::assert_json_snapshot!("stats", json);
}

//! `/coverage`, `/api/coverage` and its Navigator layer over the demo catalog.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use axum::http::StatusCode;
use common::{demo_state, get};

#[tokio::test]
async fn coverage_page_form_matrix_and_plan() {
    let s = demo_state();
    let r = get(&s, "/coverage?have=sysmon%3A1&plan=2").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("name=\"have\" value=\"sysmon:1\" checked"),
        "the box stays ticked"
    );
    assert!(
        r.body.contains("name=\"preset\" value=\"sysmon-default\""),
        "presets"
    );
    assert!(r.body.contains("<table class=\"matrix\">"), "matrix");
    assert!(r.body.contains("What to collect next"), "plan");

    let api = get(&s, "/api/coverage?have=sysmon:1,sysmon:3&plan=1").await;
    assert_eq!(api.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(v["have"].as_array().unwrap().len(), 2);
    assert!(v["totals"]["runnable"].as_u64().unwrap() > 0);
    // The cache key keeps `have`: another set is another answer.
    let other = get(&s, "/api/coverage?have=security:4688").await;
    assert_ne!(api.body, other.body);

    let layer = get(&s, "/api/coverage/navigator?have=sysmon:1").await;
    let l: serde_json::Value = serde_json::from_str(&layer.body).unwrap();
    assert_eq!(l["domain"], "enterprise-attack");

    let bad = get(&s, "/api/coverage?have=sysmn:1").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("sysmon:1"), "{}", bad.body);
}

#[tokio::test]
async fn diff_needs_compare() {
    let s = demo_state();
    assert_eq!(get(&s, "/api/diff").await.status, StatusCode::NOT_FOUND);
}

//! Threat-mapped scoring on the web: the technique page section, the matrix colour toggle and
//! the JSON twin, through the router (no network).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use axum::http::StatusCode;
use common::{demo_state, get};

#[tokio::test]
async fn threat_section_follows_the_guide_and_the_rules() {
    let s = demo_state();
    let r = get(&s, "/technique/T1559.001").await;
    assert_eq!(r.status, StatusCode::OK);
    let b = &r.body;
    let header = b.find("<h1").unwrap();
    let attack = b.find("id=\"attack\"").unwrap();
    let threat = b.find("id=\"threat\"").expect("threat section");
    let events = b.find("id=\"events\"").unwrap();
    let rules = b.find("id=\"rules\"").unwrap();
    // Issue 14's order: header, the authoring guide (events first), rules by vendor, then the
    // threat scores and ATT&CK's own text.
    assert!(header < events && events < rules && rules < threat && threat < attack);
    assert!(b.contains("Threat-mapped scoring"));
    assert!(b.contains("Rank <strong>5</strong> of 6"), "CTID rank of N");
    assert!(
        b.contains("href=\"https://attack.mitre.org/groups/G0069\""),
        "group link"
    );
    assert!(b.contains("how often it is seen"), "one line per component");
    assert!(b.contains("events needed"), "coverage beside the scores");
    assert!(
        b.contains("gap = threat × (1 − coverage)"),
        "formula on the page"
    );
    assert!(!b.contains("style="), "no inline styles (CSP)");
}

#[tokio::test]
async fn a_technique_newer_than_the_ctid_data_says_not_scored() {
    let s = demo_state();
    let r = get(&s, "/technique/T1059.001").await;
    assert!(r.body.contains("Not scored"), "explicit not-scored notice");
    assert!(!r.body.contains("Rank <strong>"), "no rank without a score");
}

#[tokio::test]
async fn a_revoked_ctid_id_is_named_on_its_replacement() {
    let s = demo_state();
    let r = get(&s, "/technique/T1218.010").await;
    assert!(r.body.contains("Scored as T1117"), "{}", r.body);
}

#[tokio::test]
async fn matrix_colour_toggle_switches_cell_classes_and_keeps_filters() {
    let s = demo_state();
    let rules = get(&s, "/?platform=Windows").await;
    assert!(
        rules.body.contains("class=\"cell shade-"),
        "rule shades by default"
    );
    assert!(!rules.body.contains("class=\"cell heat-"));
    assert!(
        rules
            .body
            .contains("href=\"/?platform=Windows&#38;color=gap\""),
        "the toggle keeps the platform filter"
    );
    for color in ["threat", "gap"] {
        let r = get(&s, &format!("/?platform=Windows&color={color}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.body.contains("class=\"cell heat-"),
            "{color}: heat classes"
        );
        assert!(
            !r.body.contains("class=\"cell shade-"),
            "{color}: no rule shades"
        );
        assert!(
            r.body.contains("name=\"color\" value=\"") && r.body.contains(color),
            "{color}: the filter form keeps the colour"
        );
        assert!(r.body.contains("class=\"current\" aria-current=\"true\""));
        assert!(
            r.body.contains("· gap 0."),
            "{color}: scores in the cell tooltips"
        );
    }
    let odd = get(&s, "/?color=%3Cscript%3E").await;
    assert_eq!(
        odd.status,
        StatusCode::OK,
        "an unknown colour falls back to rules"
    );
    assert!(odd.body.contains("class=\"cell shade-"));
}

#[tokio::test]
async fn technique_json_twin_has_threat_and_priority() {
    let s = demo_state();
    let v = get(&s, "/api/technique/T1559.001").await.json();
    let t = &v["technique"];
    assert_eq!(t["threat"]["groups"], 1);
    assert_eq!(t["threat"]["top_groups"][0]["name"], "MuddyWater");
    assert_eq!(t["threat"]["ctid"]["rank"], 5);
    assert!(t["priority"]["score"].is_f64());
    assert!(t["priority"]["components"]["usage"].is_f64());
}

#[tokio::test]
async fn navigator_api_scores_by_gap_when_asked() {
    let s = demo_state();
    let v = get(&s, "/api/navigator?color=gap").await.json();
    assert!(v["name"].as_str().unwrap().contains("gap"));
    let rules = get(&s, "/api/navigator").await.json();
    assert!(rules["name"].as_str().unwrap().contains("rules"));
}

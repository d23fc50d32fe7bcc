//! A technique id the loaded ATT&CK release lacks still gets a page, and the page names the
//! release (issue 14): the demo's rules tag T1218.003, which its ATT&CK bundle (v18.1) has not.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[tokio::test]
async fn unknown_technique_page_names_the_attack_release_it_is_missing_from() {
    let state = common::demo_state();
    let page = common::get(&state, "/technique/T1218.003").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(r#"<span class="muted">(not in ATT&amp;CK v18.1)</span></h1>"#),
        "the heading names the release"
    );
    assert!(
        page.body
            .contains("T1218.003 is not in the ATT&amp;CK release this catalog loaded, v18.1"),
        "the notice names the release"
    );
    // Its rules are still listed.
    assert!(page.body.contains(r#"href="/rule/sigma/"#));

    // A technique the release has says nothing of the kind.
    let known = common::get(&state, "/technique/T1218.010").await;
    assert_eq!(known.status, 200);
    assert!(!known.body.contains("not in ATT&amp;CK"));
    assert!(!known.body.contains(r#"id="not-in-attack""#));
}

//! Web checks on the full corpus (`DETCAT_CORPUS`; unset: skipped with a note, set to a
//! missing path: FAILS): every corpus-reach link of T1559.001 finds as many rules as it shows,
//! `regsvr32` ranks rules that name it in the title or a value first, and an exact technique
//! id opens its page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::get;

fn corpus_state() -> Option<detcat_web::AppState> {
    let conn = common::full_corpus_connection("the full-corpus web tests")?;
    let catalog = detcat_catalog::Catalog::from_connection(conn, "full corpus").unwrap();
    Some(detcat_web::AppState::from_catalogs(vec![catalog]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_corpus_reach_links_search_and_redirects() {
    let Some(s) = corpus_state() else { return };

    // Every corpus-reach link of T1559.001: the search it opens finds the number shown.
    let checked = common::check_reach_links(&s, "T1559.001").await;
    eprintln!("T1559.001: {checked} reach links, each finds the number it shows");
    assert!(checked >= 40, "checked {checked} reach links");

    // T1059.001's vendor lists over 100 rules are cut, each with a paged search that finds
    // exactly the vendor's rules of the technique.
    let page = get(&s, "/technique/T1059.001").await.body;
    let mut cut = 0;
    for part in page.split("<a class=\"all-rules\" href=\"").skip(1) {
        let href = part.split('"').next().unwrap().replace("&amp;", "&");
        let shown: u64 = part
            .split("all ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(shown > 100, "{href}");
        let api = href.replacen("/search?", "/api/search?", 1);
        let total = get(&s, &api).await.json()["total"].as_u64().unwrap();
        assert_eq!(total, shown, "{href}");
        cut += 1;
    }
    assert!(cut >= 1, "T1059.001 has a vendor with over 100 rules");

    // Ranking: the first ten hits for regsvr32 name it in the title or in a value.
    let hits = get(&s, "/api/search?q=regsvr32&limit=10").await.json();
    for h in hits["hits"].as_array().unwrap() {
        let why = h["why"].to_string().to_lowercase();
        assert!(
            why.contains("title") || why.contains("regsvr32"),
            "a top hit that does not name regsvr32 in its title or values: {h}"
        );
    }
    // The help text's phrase example finds scrobj.dll rules.
    let phrase = get(&s, "/api/search?q=%22scrobj%20dll%22").await.json();
    assert!(phrase["total"].as_u64().unwrap() > 0, "{phrase}");

    let r = get(&s, "/search?q=T1559.001").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/technique/T1559.001"));
}

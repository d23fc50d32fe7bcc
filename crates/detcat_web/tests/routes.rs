//! Router tests: every route, HTML and JSON, through `tower::ServiceExt::oneshot` (no network).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use axum::http::StatusCode;
use common::{demo_state, get};

#[tokio::test]
async fn home_renders_the_matrix_with_filters_and_totals() {
    let s = demo_state();
    let r = get(&s, "/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.content_type.starts_with("text/html"),
        "{}",
        r.content_type
    );
    assert!(r.body.contains("<table class=\"matrix\">"), "matrix table");
    assert!(r.body.contains("Execution"), "a tactic column");
    assert!(
        r.body.contains("href=\"/technique/T1559\""),
        "a technique cell links its page"
    );
    assert!(
        r.body.contains("name=\"vendor\"") && r.body.contains("name=\"platform\""),
        "filter form"
    );
    let sigma = get(&s, "/?vendor=sigma&platform=Windows").await;
    assert_eq!(sigma.status, StatusCode::OK);
    assert!(
        sigma.body.contains("<option value=\"sigma\" selected>"),
        "the filter keeps its value"
    );
    let bad = get(&s, "/?vendor=acme").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("unknown vendor"));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let s = demo_state();
    for uri in [
        "/",
        "/technique/T1559.001",
        "/api/matrix",
        "/static/style.css",
        "/nope",
        "/healthz",
    ] {
        let r = get(&s, uri).await;
        assert_eq!(r.csp, detcat_web::CSP, "{uri}");
        assert!(r.csp.contains("default-src 'none'") && r.csp.contains("frame-ancestors 'none'"));
        assert!(r.nosniff, "{uri}");
    }
}

#[tokio::test]
async fn technique_page_has_every_section_in_order() {
    let s = demo_state();
    let r = get(&s, "/technique/T1559.001").await;
    assert_eq!(r.status, StatusCode::OK);
    let b = &r.body;
    // Issue 14: the authoring guide first, ATT&CK's prose after the rules.
    let order = [
        "id=\"top\"",
        "id=\"toc\"",
        "id=\"guide\"",
        "id=\"events\"",
        "id=\"fields\"",
        "id=\"indicators\"",
        "id=\"exclusions\"",
        "id=\"rules\"",
        "id=\"detection\"",
        "id=\"description\"",
    ];
    let mut last = 0;
    for marker in order {
        let at = b
            .find(marker)
            .unwrap_or_else(|| panic!("section {marker} missing"));
        assert!(at >= last, "section {marker} out of order");
        last = at;
    }
    assert!(b.contains("Component Object Model"), "technique name");
    assert!(
        b.contains("<details class=\"value\">"),
        "values expand to their rules"
    );
    assert!(
        b.contains("href=\"/event/sysmon:1\"") || b.contains("href=\"/event/"),
        "events link their pages"
    );
    assert!(b.contains("href=\"/rule/sigma/"), "rules link their pages");
    assert!(b.contains("class=\"bar\""), "How column bars");
    assert!(!b.contains("style="), "no inline styles (CSP)");
    assert!(!b.contains("<script>"), "no inline scripts (CSP)");
}

#[tokio::test]
async fn technique_ids_are_case_insensitive_and_parents_roll_up() {
    let s = demo_state();
    let r = get(&s, "/technique/t1559").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("id=\"subtechniques\""),
        "parent shows its sub-techniques"
    );
    assert!(r.body.contains("href=\"/technique/T1559.001\""));
}

#[tokio::test]
async fn technique_json_twin_is_the_catalog_view() {
    let s = demo_state();
    let r = get(&s, "/api/technique/T1559.001").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type, "application/json");
    let v = r.json();
    assert_eq!(v["technique"]["id"], "T1559.001");
    assert!(v["rules"].as_array().is_some_and(|a| !a.is_empty()));
    assert!(v["indicators"].is_array() && v["fields"].is_array());
}

#[tokio::test]
async fn unknown_technique_is_a_404_with_a_suggestion() {
    let s = demo_state();
    let r = get(&s, "/technique/T1559.999").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("Did you mean"), "{}", r.body);
    assert!(r.body.contains("href=\"/technique/T1559"));
    let j = get(&s, "/api/technique/T1559.999").await;
    assert_eq!(j.status, StatusCode::NOT_FOUND);
    assert_eq!(j.json()["error"], "not found");
    assert!(
        j.json()["suggestion"]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("T1559"))
    );
}

/// A rule of the demo, as (vendor, id).
async fn some_rule(s: &detcat_web::AppState) -> (String, String) {
    let v = get(s, "/api/technique/T1559.001").await.json();
    let r = &v["rules"][0];
    (
        r["vendor"].as_str().unwrap().to_owned(),
        r["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn rule_page_and_twin() {
    let s = demo_state();
    let (vendor, id) = some_rule(&s).await;
    let r = get(&s, &format!("/rule/{vendor}/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    for marker in [
        "id=\"logic\"",
        "class=\"tree\"",
        "id=\"indicators\"",
        "id=\"diagnostics\"",
        "id=\"source\"",
        "class=\"src\"",
    ] {
        assert!(r.body.contains(marker), "rule page lacks {marker}");
    }
    assert!(
        r.body.contains("href=\"/technique/T1559.001\""),
        "techniques link back"
    );
    assert!(
        !r.body.contains(">UNKNOWN<"),
        "every node of the stored expression renders"
    );
    let j = get(&s, &format!("/api/rule/{vendor}/{id}")).await;
    assert_eq!(j.status, StatusCode::OK);
    assert_eq!(j.json()["id"], id.as_str());
    assert!(j.json()["expr"].is_object());
}

#[tokio::test]
async fn rule_under_the_wrong_vendor_suggests_the_right_one() {
    let s = demo_state();
    let (vendor, id) = some_rule(&s).await;
    let other = if vendor == "splunk" {
        "sigma"
    } else {
        "splunk"
    };
    let r = get(&s, &format!("/rule/{other}/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.body.contains(&format!("href=\"/rule/{vendor}/{id}\"")),
        "suggests the rule under its vendor"
    );
    let r = get(&s, "/rule/acme/x").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn field_and_event_pages_and_twins() {
    let s = demo_state();
    let t = get(&s, "/api/technique/T1559.001").await.json();
    let field = t["fields"][0]["field"].as_str().unwrap().to_owned();
    let r = get(&s, &format!("/field/{field}")).await;
    assert_eq!(r.status, StatusCode::OK, "field {field}");
    assert!(r.body.contains("Rules"));
    assert_eq!(
        get(&s, &format!("/api/field/{field}")).await.json()["field"],
        field.as_str()
    );
    let e = &t["events"][0];
    let key = format!(
        "{}:{}",
        e["provider"].as_str().unwrap(),
        e["event_id"].as_str().unwrap()
    );
    let r = get(&s, &format!("/event/{key}")).await;
    assert_eq!(r.status, StatusCode::OK, "event {key}");
    assert!(r.body.contains("Rules that need it"));
    assert_eq!(
        get(&s, &format!("/api/event/{key}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&s, "/field/no.such.field").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&s, "/event/sysmon:99999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&s, "/event/nokey").await.status,
        StatusCode::BAD_REQUEST,
        "a malformed event key"
    );
}

#[tokio::test]
async fn search_pages_and_twin() {
    let s = demo_state();
    let r = get(&s, "/search?q=regsvr32").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("rules match") || r.body.contains("rule match"),
        "{}",
        r.body
    );
    assert!(r.body.contains("href=\"/rule/"));
    let j = get(&s, "/api/search?q=vendor:sigma&limit=2").await.json();
    assert!(j["total"].as_u64().unwrap() >= 1);
    assert!(j["hits"].as_array().unwrap().len() <= 2);
    let empty = get(&s, "/search").await;
    assert_eq!(empty.status, StatusCode::OK);
    let paged = get(&s, "/search?q=vendor:sigma&page=99999999999999999999").await;
    assert_eq!(
        paged.status,
        StatusCode::OK,
        "a silly page number is no error"
    );
}

#[tokio::test]
async fn stats_matrix_navigator_static_and_health() {
    let s = demo_state();
    assert_eq!(get(&s, "/api/stats").await.status, StatusCode::OK);
    assert!(get(&s, "/api/matrix").await.json()["columns"].is_array());
    assert!(
        get(&s, "/api/").await.json()["columns"].is_array(),
        "/api/ is the home twin"
    );
    let nav = get(&s, "/api/navigator?vendor=elastic").await.json();
    assert_eq!(nav["versions"]["layer"], "4.5");
    assert_eq!(nav["domain"], "enterprise-attack");
    let css = get(&s, "/static/style.css").await;
    assert!(css.content_type.starts_with("text/css"));
    assert!(
        get(&s, "/static/app.js")
            .await
            .content_type
            .starts_with("text/javascript")
    );
    assert_eq!(
        get(&s, "/static/..%2FCargo.toml").await.status,
        StatusCode::NOT_FOUND
    );
    let h = get(&s, "/healthz").await;
    assert_eq!((h.status, h.body.as_str()), (StatusCode::OK, "ok"));
    assert_eq!(get(&s, "/api/nope").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&s, "/nope/../../etc/passwd").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn cached_answers_equal_fresh_ones() {
    let s = demo_state();
    let first = get(&s, "/technique/T1559.001").await;
    let second = get(&s, "/technique/T1559.001").await;
    assert_eq!(first.body, second.body);
    assert_eq!(second.content_type, "text/html; charset=utf-8");
    assert_eq!(
        second.csp,
        detcat_web::CSP,
        "cached answers keep the headers"
    );
}

/// A catalog with ATT&CK data and no rules: the demo's own STIX bundle (written by the detcat
/// authors, not corpus data), alone in a temp corpus.
fn attack_only_state() -> detcat_web::AppState {
    let tmp = tempfile::tempdir().unwrap();
    let attack = tmp.path().join("attack");
    std::fs::create_dir_all(&attack).unwrap();
    let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../detcat_catalog/demo/attack/demo-attack.json");
    std::fs::copy(demo, attack.join("demo-attack.json")).unwrap();
    let corpus = detcat_catalog::Corpus::read_dir(tmp.path()).unwrap();
    let (conn, _) =
        detcat_catalog::build_in_memory(&corpus, &detcat_catalog::BuildOptions::default()).unwrap();
    detcat_web::AppState::from_catalogs(vec![
        detcat_catalog::Catalog::from_connection(conn, "attack only").unwrap(),
    ])
}

#[tokio::test]
async fn technique_without_rules_says_so_and_shows_what_to_collect() {
    let s = attack_only_state();
    let r = get(&s, "/technique/T1559.001").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<h2 id=\"rules\">No rules "), "{}", r.body);
    assert!(
        r.body
            .contains("No published rule in this catalog names T1559.001")
    );
    assert!(
        r.body.contains("WinEventLog:Sysmon"),
        "ATT&CK's log sources to collect"
    );
    assert!(
        !r.body.contains("id=\"indicators\""),
        "no empty authoring guide"
    );
}

#[tokio::test]
async fn an_exact_technique_id_search_opens_the_technique() {
    let s = demo_state();
    let r = get(&s, "/search?q=T1559.001").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/technique/T1559.001"));
    // Not an id the catalog has: an ordinary search.
    let r = get(&s, "/search?q=T9999.999").await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn search_ranks_title_and_indicator_matches_first_and_says_why() {
    let s = demo_state();
    let r = get(&s, "/api/search?q=regsvr32").await;
    let page = r.json();
    let hits = page["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    let first = &hits[0];
    let why: Vec<&str> = first["why"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert!(
        why.iter()
            .any(|w| *w == "title" || w.to_lowercase().contains("regsvr32")),
        "the best hit names regsvr32 in its title or a value: {first}"
    );
    // Zero hits suggest what the catalog holds near the words.
    let r = get(&s, "/api/search?q=regsvr33xyz").await;
    let page = r.json();
    assert_eq!(page["total"], 0);
    assert!(
        page["suggestions"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "{page}"
    );
    let html = get(&s, "/search?q=regsvr33xyz").await;
    assert!(
        html.body.contains("class=\"suggestions\""),
        "zero results suggest"
    );
}

#[tokio::test]
async fn every_corpus_reach_link_finds_as_many_rules_as_it_shows() {
    let s = demo_state();
    let checked = common::check_reach_links(&s, "T1559.001").await;
    assert!(checked > 5, "checked {checked} reach links");
}

#[tokio::test]
async fn pages_are_gzipped_and_revalidate_with_etags() {
    let s = demo_state();
    let app = detcat_web::app(s);
    let req = |etag: Option<&str>| {
        let mut b = axum::http::Request::get("/technique/T1559.001")
            .header(axum::http::header::ACCEPT_ENCODING, "gzip");
        if let Some(e) = etag {
            b = b.header(axum::http::header::IF_NONE_MATCH, e);
        }
        b.body(axum::body::Body::empty()).unwrap()
    };
    use tower::ServiceExt;
    let res = app.clone().oneshot(req(None)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let again = app.clone().oneshot(req(Some(&etag))).await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let icon = get(&demo_state(), "/favicon.ico").await;
    assert_eq!(icon.status, StatusCode::OK);
    let stats = get(&demo_state(), "/stats").await;
    assert_eq!(stats.status, StatusCode::OK);
    assert!(stats.body.contains("Parse coverage"));
}

#[tokio::test]
async fn unknown_technique_ids_are_listed_on_the_matrix() {
    let s = demo_state();
    let home = get(&s, "/").await.body;
    // The demo may or may not tag an id its ATT&CK subset lacks; when it does, the panel
    // lists it and its page answers.
    if let Some(at) = home.find("id=\"unknown\"") {
        let id = home[at..]
            .split("href=\"/technique/")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .to_owned();
        assert_eq!(
            get(&s, &format!("/technique/{id}")).await.status,
            StatusCode::OK
        );
    }
    assert!(
        home.contains("download=\"detcat-layer.json\""),
        "layer download link"
    );
}

/// A cached page goes out as brotli, gzip or identity as the request's `Accept-Encoding`
/// (with q-values) says, with `Vary: Accept-Encoding`: the first answer (a miss) and the
/// cache hits carry the same bytes, each decoding to the identity body.
#[tokio::test]
async fn a_cached_page_is_sent_br_gzip_or_identity_as_negotiated() {
    use http_body_util::BodyExt;
    use std::io::Read;
    use tower::ServiceExt;
    let app = detcat_web::app(demo_state());
    let fetch = |accept: Option<&'static str>| {
        let app = app.clone();
        async move {
            let mut b = axum::http::Request::get("/technique/T1559.001");
            if let Some(a) = accept {
                b = b.header(axum::http::header::ACCEPT_ENCODING, a);
            }
            let res = app
                .oneshot(b.body(axum::body::Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let h = res.headers().clone();
            let body = res.into_body().collect().await.unwrap().to_bytes();
            (h, body)
        }
    };
    let (_, plain) = fetch(None).await;
    let plain = String::from_utf8(plain.to_vec()).unwrap();
    assert!(plain.contains("T1559.001"));
    let cases = [
        (Some("gzip, deflate, br, zstd"), Some("br")),
        (Some("br;q=0.5, gzip"), Some("gzip")),
        (Some("gzip"), Some("gzip")),
        (Some("*"), Some("br")),
        (Some("gzip;q=0, br;q=0"), None),
        (Some("identity"), None),
        (None, None),
    ];
    let mut seen: std::collections::HashMap<String, Vec<u8>> = Default::default();
    for round in 0..2 {
        for (accept, want) in cases {
            let (h, body) = fetch(accept).await;
            assert_eq!(h["x-detcat-cache"], "hit", "{accept:?} round {round}");
            assert!(
                h.get_all("vary")
                    .iter()
                    .any(|v| v.to_str().unwrap().eq_ignore_ascii_case("accept-encoding")),
                "{accept:?}"
            );
            let got = h.get("content-encoding").map(|v| v.to_str().unwrap());
            assert_eq!(got, want, "{accept:?}");
            let mut text = String::new();
            match got {
                Some("br") => brotli::Decompressor::new(&body[..], 4096)
                    .read_to_string(&mut text)
                    .unwrap(),
                Some("gzip") => flate2::read::GzDecoder::new(&body[..])
                    .read_to_string(&mut text)
                    .unwrap(),
                _ => (&body[..]).read_to_string(&mut text).unwrap(),
            };
            assert_eq!(text, plain, "{accept:?} decodes to the page");
            if let Some(e) = got {
                assert!(body.len() < plain.len() / 3, "{e}: {} bytes", body.len());
                // Compressed once: every answer in this coding is the same bytes.
                let first = seen.entry(e.to_owned()).or_insert_with(|| body.to_vec());
                assert_eq!(first, &body.to_vec(), "{e}");
            }
        }
    }
    assert!(seen["br"].len() < seen["gzip"].len());
}

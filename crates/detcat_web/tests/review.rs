//! `/review` and `/api/review` (issue 13): paste, upload, size limit, escaping, JSON.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Got, demo_state, get};
use http_body_util::BodyExt;
use tower::ServiceExt;

const DRAFT: &str = "title: '<script>alert(1)</script> regsvr32'\ntags: [attack.t1218.010]\nlogsource: {category: network_connection, product: windows}\ndetection:\n  sel:\n    Image|endswith: '\\regsvr32.exe'\n  condition: sel\n";

async fn post(uri: &str, content_type: &str, body: Vec<u8>) -> Got {
    let app = detcat_web::app(demo_state());
    let res = app
        .oneshot(
            Request::post(uri)
                .header("content-type", content_type)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = res.status();
    let header = |n: &str| {
        res.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (content_type, csp) = (header("content-type"), header("content-security-policy"));
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Got {
        status,
        content_type,
        csp,
        nosniff: true,
        location: None,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn the_form_renders() {
    let r = get(&demo_state(), "/review").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("name=\"draft\"") && r.body.contains("type=\"file\""));
}

#[tokio::test]
async fn a_pasted_draft_is_reviewed_and_escaped() {
    let body = format!("draft={}&language=&technique=", urlencode(DRAFT));
    let r = post(
        "/review",
        "application/x-www-form-urlencoded",
        body.into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("id=\"review-report\""));
    assert!(
        !r.body.contains("<script>alert(1)"),
        "draft text is escaped"
    );
    assert!(
        r.body.contains("&lt;script&gt;alert(1)") || r.body.contains("&#60;script&#62;alert(1)"),
        "the title is shown, escaped"
    );
    assert!(r.body.contains("Nearest existing rules"));
    assert!(
        r.body.contains("6d1f0c6e-5a0b-4f43-9b3e-3c5a1b2d7e03"),
        "the Elastic regsvr32 network rule"
    );
    assert_eq!(r.csp, detcat_web::CSP);
}

#[tokio::test]
async fn an_uploaded_draft_is_reviewed() {
    let body = format!(
        "--b0undary\r\nContent-Disposition: form-data; name=\"draft\"\r\n\r\n\r\n--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"d.yml\"\r\n\r\n{DRAFT}\r\n--b0undary--\r\n"
    );
    let r = post(
        "/review",
        "multipart/form-data; boundary=b0undary",
        body.into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("T1218.010"));
}

#[tokio::test]
async fn an_oversized_draft_gets_a_clear_message() {
    let big = vec![b'a'; 3 * 1024 * 1024];
    let r = post("/review", "application/x-www-form-urlencoded", big.clone()).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        r.body.contains("too large") && r.body.contains("KiB"),
        "{}",
        r.body
    );
    let r = post("/api/review", "text/plain", big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.json()["error"].as_str().unwrap().contains("too large"));
}

#[tokio::test]
async fn the_api_takes_the_draft_as_body() {
    let r = post("/api/review", "text/plain", DRAFT.as_bytes().to_vec()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["parse_status"], "normalized");
    assert!(j["nearest"].as_array().is_some_and(|a| !a.is_empty()));
    // A bare query with its language; a binary body gets a positioned diagnostic.
    let r = post(
        "/api/review?language=eql",
        "text/plain",
        b"process where process.name : \"regsvr32.exe\" and".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["diagnostics"][0]["line"].is_u64(), "{}", r.body);
    let r = post(
        "/api/review",
        "application/octet-stream",
        b"\0\x01\x02".to_vec(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["diagnostics"][0]["code"], "review::binary");
    let r = post("/api/review?language=cobol", "text/plain", b"x".to_vec()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_rule_page_shows_the_same_idea_in_other_vendors() {
    let r = get(
        &demo_state(),
        "/rule/sigma/6c3e8d2f-9a4b-4e7c-8f1d-2b3c4d5e6f70",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Same idea in other vendors"));
    assert!(
        r.body
            .contains("/rule/elastic/6d1f0c6e-5a0b-4f43-9b3e-3c5a1b2d7e03")
    );
}

#[tokio::test]
async fn technique_clusters_page_and_api() {
    let state = demo_state();
    // The demo's T1218.010 rules: every member listed links to its rule page.
    let page = get(&state, "/technique/T1218.010/clusters").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Near-duplicate rules of T1218.010"));
    let api = get(&state, "/api/technique/T1218.010/clusters").await;
    assert_eq!(api.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(v["technique"], "T1218.010");
    assert!(v["rules"].as_u64().unwrap() >= 1);
    for c in v["clusters"].as_array().unwrap() {
        for m in c["members"].as_array().unwrap() {
            let link = format!(
                "/rule/{}/{}",
                m["vendor"].as_str().unwrap(),
                m["id"].as_str().unwrap()
            );
            assert!(page.body.contains(&link), "{link}");
        }
    }
    assert_eq!(
        get(&state, "/technique/T9999/clusters").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&state, "/api/technique/T9999/clusters").await.status,
        StatusCode::NOT_FOUND
    );
}

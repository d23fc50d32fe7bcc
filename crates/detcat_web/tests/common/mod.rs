//! Shared test helpers: the demo and hostile catalogs, and a router client without network.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use detcat_catalog::{BuildOptions, Catalog, Corpus, build_in_memory};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The rule title the hostile corpus uses; it must never reach a page unescaped.
pub const HOSTILE_TITLE: &str = "<img src=x onerror=alert(1)>";
/// The id of the hostile rule.
pub const HOSTILE_ID: &str = "0bad0bad-1111-4222-8333-444455556666";

/// A Sigma rule written for these tests: every string a page shows is hostile.
const HOSTILE_RULE: &str = r#"title: "<img src=x onerror=alert(1)>"
id: 0bad0bad-1111-4222-8333-444455556666
status: test
description: "Hostile description </p><script>alert('d')</script> and \"quotes\" & ampersands"
references:
    - "javascript:alert('ref')"
    - "https://example.test/ok?a=1&b=<2>"
author: "<b>Mallory</b>"
date: 2025-01-01
tags:
    - attack.execution
    - attack.t1559.001
    - "<svg onload=alert(2)>"
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\"><script>alert(1)</script>.exe'
        CommandLine|contains:
            - "'><iframe src=javascript:alert(3)>"
            - "{{7*7}}"
    filter_main:
        ParentImage: "C:\\</td></tr><script>alert(4)</script>"
    condition: selection and not filter_main
falsepositives:
    - "<marquee>fp</marquee>"
level: high
"#;

/// Writes the hostile corpus into `dir` (`sigma/rules/x.yml`).
pub fn write_hostile_corpus(dir: &Path) {
    let rules = dir.join("sigma").join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("x.yml"), HOSTILE_RULE).unwrap();
}

/// The hostile corpus built in memory.
pub fn hostile_catalog() -> Catalog {
    let tmp = tempfile::tempdir().unwrap();
    write_hostile_corpus(tmp.path());
    let corpus = Corpus::read_dir(tmp.path()).unwrap();
    let (conn, _) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
    Catalog::from_connection(conn, "test").unwrap()
}

pub fn demo_state() -> detcat_web::AppState {
    detcat_web::AppState::from_catalogs(vec![Catalog::demo().unwrap(), Catalog::demo().unwrap()])
}

pub fn hostile_state() -> detcat_web::AppState {
    detcat_web::AppState::from_catalogs(vec![hostile_catalog()])
}

/// A response, read whole.
pub struct Got {
    pub status: StatusCode,
    pub content_type: String,
    pub csp: String,
    pub nosniff: bool,
    /// The `Location` header of a redirect.
    pub location: Option<String>,
    pub body: String,
}

impl Got {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub async fn get(state: &detcat_web::AppState, uri: &str) -> Got {
    let app = detcat_web::app(state.clone());
    let res = app
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let status = res.status();
    let content_type = header("content-type");
    let csp = header("content-security-policy");
    let nosniff = header("x-content-type-options") == "nosniff";
    let location = Some(header("location")).filter(|l| !l.is_empty());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Got {
        status,
        content_type,
        csp,
        nosniff,
        location,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// The catalog of the corpus `DETCAT_CORPUS` names, built in memory; `None` (with a note on
/// stderr naming `what` is skipped) when it is unset. A path that does not exist fails.
pub fn full_corpus_connection(what: &str) -> Option<rusqlite::Connection> {
    let Some(dir) = std::env::var_os("DETCAT_CORPUS").map(std::path::PathBuf::from) else {
        eprintln!("DETCAT_CORPUS is not set: skipping {what}");
        return None;
    };
    assert!(
        dir.is_dir(),
        "DETCAT_CORPUS={} does not exist",
        dir.display()
    );
    let corpus = Corpus::read_dir(&dir).unwrap();
    let (conn, _) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
    Some(conn)
}

/// Follows every corpus-reach link of `technique`'s page and checks that the search it opens
/// finds the number of rules the link shows. Returns how many links it checked.
pub async fn check_reach_links(state: &detcat_web::AppState, technique: &str) -> usize {
    let page = get(state, &format!("/technique/{technique}")).await.body;
    let mut checked = 0;
    for part in page.split("<a class=\"reach\" href=\"").skip(1) {
        let href = part.split('"').next().unwrap().replace("&amp;", "&");
        let shown: u64 = part
            .split('>')
            .nth(1)
            .and_then(|s| s.split('<').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap();
        let api = href.replacen("/search?", "/api/search?", 1);
        let total = get(state, &api).await.json()["total"].as_u64().unwrap();
        assert_eq!(total, shown, "{href}");
        checked += 1;
    }
    checked
}

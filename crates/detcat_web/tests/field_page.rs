//! A field page's value list links a search per value; an `exists` value (the empty value)
//! links the exact indicator search, not `value:` with nothing after it — which answered 400
//! on the full corpus's `/field/source.ip` (found by the unsampled crawl, issue 14).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

const RULE: &str = r#"title: Parent Command Line Present
id: 11111111-2222-4333-8444-555555555555
status: test
description: A rule that only needs the parent command line to exist.
author: detcat tests
date: 2025-01-01
tags:
    - attack.execution
    - attack.t1059
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\x.exe'
        ParentCommandLine|exists: true
    condition: selection
level: low
"#;

fn state() -> detcat_web::AppState {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("sigma").join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("exists.yml"), RULE).unwrap();
    let corpus = detcat_catalog::Corpus::read_dir(tmp.path()).unwrap();
    let (conn, _) =
        detcat_catalog::build_in_memory(&corpus, &detcat_catalog::BuildOptions::default()).unwrap();
    let catalog = detcat_catalog::Catalog::from_connection(conn, "test").unwrap();
    detcat_web::AppState::from_catalogs(vec![catalog])
}

#[tokio::test]
async fn an_exists_value_links_a_search_that_finds_its_rule() {
    let state = state();
    let page = common::get(&state, "/field/process.parent.command_line").await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains(r#"href="/search?q=value:""#),
        "no bare value: link for the empty value"
    );
    let href = page
        .body
        .split(r#"<td><a href=""#)
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|h| h.contains("op:exists"))
        .expect("the exists value links its search")
        .replace("&amp;", "&")
        .replace("&#x2f;", "/");
    assert!(page.body.contains("field present (any value)"));
    let search = common::get(&state, &href).await;
    assert_eq!(search.status, 200, "{href}");
    assert!(
        search.body.contains("11111111-2222-4333-8444-555555555555"),
        "{href} finds the rule"
    );
}

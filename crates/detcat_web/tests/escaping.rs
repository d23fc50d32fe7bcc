//! Hostile rule text must reach every page escaped: a rule titled
//! `<img src=x onerror=alert(1)>` with script-laden values, built from a temp corpus.

mod common;

use axum::http::StatusCode;
use common::{HOSTILE_ID, get, hostile_state};

/// No markup the hostile rule carries may appear raw.
fn assert_no_raw_markup(page: &str, body: &str) {
    for raw in [
        "<img src=x",
        "<script>alert",
        "<iframe",
        "<svg onload",
        "<marquee>",
        "<b>Mallory",
        "</td></tr><script>",
    ] {
        assert!(!body.contains(raw), "{page}: raw {raw:?} in\n{body}");
    }
    assert!(
        !body.contains("href=\"javascript:"),
        "{page}: a javascript: link"
    );
}

#[tokio::test]
async fn hostile_rule_page_is_escaped() {
    let s = hostile_state();
    let r = get(&s, &format!("/rule/sigma/{HOSTILE_ID}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_no_raw_markup("rule", &r.body);
    assert!(
        r.body.contains("<li class=\"group exclusion\">"),
        "the filter renders as a marked exclusion"
    );
    assert!(!r.body.contains(">UNKNOWN<"));
    assert!(
        r.body.contains("&#60;img src=x onerror=alert(1)&#62;")
            || r.body.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "the title shows, escaped"
    );
    assert!(
        r.body
            .contains("https://example.test/ok?a=1&#38;b=&#60;2&#62;")
            || r.body
                .contains("https://example.test/ok?a=1&amp;b=&lt;2&gt;"),
        "http reference links, escaped"
    );
    assert!(
        r.body.contains("javascript:alert(&#39;ref&#39;)")
            || r.body.contains("javascript:alert(&#x27;ref&#x27;)"),
        "non-http reference shown as text"
    );
}

#[tokio::test]
async fn hostile_text_is_escaped_on_every_page() {
    let s = hostile_state();
    let t = get(&s, "/api/technique/T1559.001").await;
    let pages = [
        "/".to_owned(),
        "/technique/T1559.001".to_owned(),
        "/search?q=alert".to_owned(),
        "/search?q=%3Cimg%20src%3Dx%3E".to_owned(),
        "/event/sysmon:1".to_owned(),
        "/field/process.executable".to_owned(),
        "/field/Image".to_owned(),
        "/technique/%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_owned(),
        "/rule/sigma/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E".to_owned(),
    ];
    for p in &pages {
        let r = get(&s, p).await;
        assert!(
            r.status == StatusCode::OK || r.status == StatusCode::NOT_FOUND,
            "{p}: {}",
            r.status
        );
        assert_no_raw_markup(p, &r.body);
    }
    // The JSON twin carries the text as data (JSON-escaped by serde, served as JSON).
    if t.status == StatusCode::OK {
        assert!(t.content_type == "application/json");
    }
}

#[tokio::test]
async fn hostile_search_shows_the_hostile_title_escaped() {
    let s = hostile_state();
    let r = get(&s, "/search?q=vendor:sigma").await;
    assert!(
        r.body.contains("onerror=alert(1)&#62;") || r.body.contains("onerror=alert(1)&gt;"),
        "{}",
        r.body
    );
    assert_no_raw_markup("search", &r.body);
}

#[tokio::test]
async fn internal_errors_say_only_internal_error() {
    // An empty pool is an internal failure: the client sees two words, no details.
    let s = detcat_web::AppState::from_catalogs(Vec::new());
    let r = get(&s, "/technique/T1").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.body, "internal error");
    let j = get(&s, "/api/technique/T1").await;
    assert_eq!(j.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(j.json()["error"], "internal error");
}

/// A rule whose diagnostic sits on a line of markup: the rule page shows the diagnostic as
/// `detcat_model::render` writes it (location, source line, caret), escaped.
#[tokio::test]
async fn diagnostics_show_their_source_line_and_caret_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("sigma").join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("bad.yml"),
        "title: Bad modifier\nid: 0bad0bad-2222-4333-8444-555566667777\nstatus: test\n\
         logsource:\n    category: process_creation\n    product: windows\ndetection:\n    \
         selection:\n        Image|endswithh: '<script>alert(5)</script>'\n    condition: selection\n",
    )
    .unwrap();
    let corpus = detcat_catalog::Corpus::read_dir(tmp.path()).unwrap();
    let (conn, _) =
        detcat_catalog::build_in_memory(&corpus, &detcat_catalog::BuildOptions::default()).unwrap();
    let catalog = detcat_catalog::Catalog::from_connection(conn, "test").unwrap();
    let s = detcat_web::AppState::from_catalogs(vec![catalog]);
    let r = get(&s, "/rule/sigma/0bad0bad-2222-4333-8444-555566667777").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        !r.body.contains("<script>alert(5)"),
        "raw markup on the page"
    );
    let diag = r
        .body
        .split("<pre class=\"inline diag\">")
        .nth(1)
        .expect("a rendered diagnostic")
        .split("</pre>")
        .next()
        .unwrap();
    assert!(diag.contains("error[sigma::unknown-modifier]"), "{diag}");
    assert!(
        diag.contains("--&gt; sigma/rules/bad.yml:9:9")
            || diag.contains("--&#62; sigma/rules/bad.yml:9:9"),
        "{diag}"
    );
    assert!(
        diag.contains("&lt;script&gt;alert(5)") || diag.contains("&#60;script&#62;alert(5)"),
        "{diag}"
    );
    assert!(
        diag.contains("|         ^"),
        "the caret under column 9: {diag}"
    );
}

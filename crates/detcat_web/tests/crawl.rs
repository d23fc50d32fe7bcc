//! The site crawl (issue 14): from `/`, follow every internal link of every page and assert
//! that each answers 200, that no page is over [`MAX_PAGE_GZIP`] bytes gzipped, and that no
//! page shows the server's catalog path.
//!
//! CI crawls the embedded demo catalog. By hand, crawl a full catalog (see `tools/crawl.sh`):
//!
//! ```sh
//! DETCAT_CRAWL_CATALOG=/tmp/web.db cargo test -p detcat_web --test crawl -- --nocapture
//! ```
//!
//! Search pages are fetched when a page links to them, but only their rule and technique
//! links are followed (their filter links combine without end).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// No page may be bigger than this, gzipped (the issue's budget).
const MAX_PAGE_GZIP: usize = 150 * 1024;

/// The internal links of an HTML page (`href="/…"`, entities decoded, fragments dropped).
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .map(|h| {
            h.replace("&amp;", "&")
                .replace("&#x2f;", "/")
                .replace("&#x27;", "'")
        })
        .map(|h| h.split('#').next().unwrap_or_default().to_owned())
        .filter(|h| !h.is_empty())
        .collect()
}

struct Report {
    pages: usize,
    failures: Vec<String>,
    largest: Vec<(usize, String)>,
}

/// One fetched page: status, bytes on the wire (gzipped when the server gzipped), body.
struct Fetched {
    url: String,
    from: String,
    status: u16,
    wire: usize,
    is_html: bool,
    body: String,
}

async fn fetch(app: axum::Router, url: String, from: String) -> Fetched {
    let req = Request::get(&url)
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let res = app.oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let gzipped = res
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v == "gzip");
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let body = if gzipped {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out)
            .unwrap();
        out
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Fetched {
        url,
        from,
        status,
        wire: bytes.len(),
        is_html,
        body,
    }
}

/// Pages fetched at once (the server's pool answers them on blocking threads).
const IN_FLIGHT: usize = 4;

/// Whether to fetch a search link: every one a technique page links (its corpus-reach
/// numbers), and one in `search_every` of the others (field pages link a search per value:
/// tens of thousands on a full catalog; 1, the default, fetches all).
fn fetch_search(from: &str, seen_searches: usize, search_every: usize) -> bool {
    from.starts_with("/technique/") || seen_searches.is_multiple_of(search_every.max(1))
}

async fn crawl(
    app: axum::Router,
    forbidden: &[String],
    limit: usize,
    search_every: usize,
) -> Report {
    let mut seen: HashSet<String> = HashSet::new();
    let mut queue: VecDeque<(String, String)> = VecDeque::new();
    queue.push_back(("/".to_owned(), "(start)".to_owned()));
    seen.insert("/".to_owned());
    let mut report = Report {
        pages: 0,
        failures: Vec::new(),
        largest: Vec::new(),
    };
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    let mut running = tokio::task::JoinSet::new();
    let (mut searches_seen, mut searches_skipped) = (0usize, 0usize);
    loop {
        while running.len() < IN_FLIGHT && report.pages < limit {
            let Some((url, from)) = queue.pop_front() else {
                break;
            };
            report.pages += 1;
            if report.pages.is_multiple_of(5_000) {
                eprintln!("… {} pages, {} queued", report.pages, queue.len());
            }
            running.spawn(fetch(app.clone(), url, from));
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let f = done.unwrap();
        let kind = f.url.split('/').nth(1).unwrap_or_default();
        *by_kind
            .entry(kind.split('?').next().unwrap_or_default().to_owned())
            .or_default() += 1;
        if f.status != 200 {
            let failure = format!("{} {} (linked from {})", f.status, f.url, f.from);
            eprintln!("FAILED {failure}");
            report.failures.push(failure);
            continue;
        }
        // The budget is for pages; `/api` JSON twins carry every value (a rule with 4,432
        // hashes is 634 KB gzipped) and are checked for status only.
        if f.wire > MAX_PAGE_GZIP && !f.url.starts_with("/api/") {
            report.failures.push(format!(
                "{}: {} bytes gzipped, over {MAX_PAGE_GZIP}",
                f.url, f.wire
            ));
        }
        for p in forbidden {
            if f.body.contains(p.as_str()) {
                report
                    .failures
                    .push(format!("{} shows the server path {p}", f.url));
            }
        }
        if !f.url.starts_with("/api/") {
            report.largest.push((f.wire, f.url.clone()));
        }
        if !f.is_html {
            continue;
        }
        let from_search = f.url.starts_with("/search");
        for link in links(&f.body) {
            if from_search && !(link.starts_with("/rule/") || link.starts_with("/technique/")) {
                continue;
            }
            if seen.insert(link.clone()) {
                if link.starts_with("/search") {
                    searches_seen += 1;
                    if !fetch_search(&f.url, searches_seen, search_every) {
                        searches_skipped += 1;
                        continue;
                    }
                }
                queue.push_back((link, f.url.clone()));
            }
        }
    }
    report.largest.sort_unstable_by(|a, b| b.cmp(a));
    report.largest.truncate(5);
    eprintln!(
        "crawled {} pages: {by_kind:?}; distinct search links {searches_seen}, skipped {searches_skipped} (one in {search_every} fetched unless a technique page links it)",
        report.pages
    );
    eprintln!("largest gzipped: {:?}", report.largest);
    report
}

fn assert_clean(report: &Report) {
    assert!(
        report.failures.is_empty(),
        "{} of {} pages failed:\n{}",
        report.failures.len(),
        report.pages,
        report
            .failures
            .iter()
            .take(50)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_internal_link_of_the_demo_site_answers_200() {
    let app = detcat_web::app(common::demo_state());
    let report = crawl(app, &[], 20_000, 1).await;
    assert!(
        report.pages > 50,
        "the crawl reached {} pages",
        report.pages
    );
    assert_clean(&report);
}

/// By hand on a full catalog: `DETCAT_CRAWL_CATALOG=FILE` (fails, not skips, when FILE is
/// missing). `DETCAT_CRAWL_LIMIT` caps the pages (default: no cap);
/// `DETCAT_CRAWL_SEARCH_EVERY=N` fetches one in N search links that no technique page links
/// (default: every one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_internal_link_of_a_full_catalog_answers_200() {
    let Some(path) = std::env::var_os("DETCAT_CRAWL_CATALOG").map(PathBuf::from) else {
        eprintln!("DETCAT_CRAWL_CATALOG is not set: skipping the full-catalog crawl");
        return;
    };
    assert!(
        path.is_file(),
        "DETCAT_CRAWL_CATALOG={} does not exist",
        path.display()
    );
    let limit = std::env::var("DETCAT_CRAWL_LIMIT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX);
    // The catalog's own path, as given and absolute (its directory alone, e.g. /tmp/, is
    // also a value Linux rules look for).
    let abs = std::fs::canonicalize(&path).unwrap();
    let forbidden = vec![abs.display().to_string(), path.display().to_string()];
    let state = detcat_web::AppState::new(Some(path)).unwrap();
    let search_every = std::env::var("DETCAT_CRAWL_SEARCH_EVERY")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let report = crawl(detcat_web::app(state), &forbidden, limit, search_every).await;
    assert_clean(&report);
}

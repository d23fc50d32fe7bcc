//! The static export: every relative `href`/`src` of every exported HTML file resolves to an
//! existing file inside the export, nothing is written outside it, and hostile text stays
//! escaped.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use detcat_catalog::Catalog;

/// Every `href="…"` and `src="…"` value of an HTML text (the templates always double-quote).
fn link_values(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_owned());
                rest = &rest[end..];
            }
        }
    }
    out
}

/// `&#38;` and friends, as an HTML parser would decode an attribute.
fn decode_attr(v: &str) -> String {
    v.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
}

fn html_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            html_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
}

/// Crawls `root`: returns (pages, checked links) and panics on the first dangling link.
fn crawl(root: &Path) -> (usize, usize) {
    let mut pages = Vec::new();
    html_files(root, &mut pages);
    let mut checked = 0;
    let mut broken = BTreeSet::new();
    for page in &pages {
        let html = std::fs::read_to_string(page).unwrap();
        for raw in link_values(&html) {
            let v = decode_attr(&raw);
            if v.starts_with("http://") || v.starts_with("https://") || v.starts_with('#') {
                continue;
            }
            assert!(
                !v.starts_with('/'),
                "{}: absolute link {v} does not work from file://",
                page.display()
            );
            assert!(
                !v.contains("://") && !v.starts_with("javascript:"),
                "{}: odd link {v}",
                page.display()
            );
            let file = v.split(['#', '?']).next().unwrap_or("");
            let target = page.parent().unwrap().join(file);
            // Resolve `..` lexically and check the link stays inside the export.
            let mut resolved = PathBuf::new();
            for c in target.components() {
                match c {
                    Component::ParentDir => {
                        resolved.pop();
                    }
                    Component::CurDir => {}
                    other => resolved.push(other),
                }
            }
            assert!(
                resolved.starts_with(root),
                "{}: link {v} leaves the export",
                page.display()
            );
            if !resolved.is_file() {
                broken.insert(format!(
                    "{} -> {v}",
                    page.strip_prefix(root).unwrap().display()
                ));
            }
            checked += 1;
        }
    }
    assert!(
        broken.is_empty(),
        "{} dangling links, e.g. {:?}",
        broken.len(),
        broken.iter().take(10).collect::<Vec<_>>()
    );
    (pages.len(), checked)
}

#[test]
fn demo_export_has_no_dangling_links() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("site");
    let report = detcat_web::export_catalog(&Catalog::demo().unwrap(), &dir).unwrap();
    assert!(
        report.techniques > 0 && report.rules > 0 && report.fields > 0 && report.events > 0,
        "{report}"
    );
    for f in [
        "index.html",
        "index-vendor-sigma.html",
        "search.html",
        "static/style.css",
        "static/app.js",
        "api/matrix.json",
        "api/stats.json",
        "api/navigator.json",
        "api/index.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    assert!(dir.join("technique/T1559.001.html").is_file());
    assert!(dir.join("api/technique/T1559.001.json").is_file());
    let (pages, links) = crawl(&dir);
    assert!(pages > 10 && links > 100, "{pages} pages, {links} links");
    println!("{report}; crawled {pages} pages, {links} links");
    let summary = report.to_string();
    assert!(
        summary.contains("techniques") && summary.contains("rules"),
        "{summary}"
    );
}

#[test]
fn parallel_export_of_the_default_catalog_crawls_clean() {
    // No path and no ./detcat.db in the crate directory: the embedded demo, once per core.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("site");
    let report = detcat_web::export_site(None, &dir).unwrap();
    let single =
        detcat_web::export_catalog(&Catalog::demo().unwrap(), &tmp.path().join("one")).unwrap();
    assert_eq!(
        (
            report.techniques,
            report.rules,
            report.fields,
            report.events
        ),
        (
            single.techniques,
            single.rules,
            single.fields,
            single.events
        )
    );
    crawl(&dir);
}

#[test]
fn export_replaces_an_earlier_export_but_refuses_a_foreign_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let c = Catalog::demo().unwrap();
    let dir = tmp.path().join("site");
    detcat_web::export_catalog(&c, &dir).unwrap();
    std::fs::write(dir.join("technique/STALE.html"), "old").unwrap();
    std::fs::write(dir.join("keep-me.txt"), "user file").unwrap();
    detcat_web::export_catalog(&c, &dir).unwrap();
    assert!(
        !dir.join("technique/STALE.html").exists(),
        "stale pages are removed"
    );
    assert!(
        dir.join("keep-me.txt").exists(),
        "files the export did not write are kept"
    );

    let foreign = tmp.path().join("home");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let err = detcat_web::export_catalog(&c, &foreign).unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn hostile_export_stays_inside_and_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("site");
    detcat_web::export_catalog(&common::hostile_catalog(), &dir).unwrap();
    crawl(&dir);
    let mut pages = Vec::new();
    html_files(&dir, &mut pages);
    for p in &pages {
        let html = std::fs::read_to_string(p).unwrap();
        assert!(
            !html.contains("<img src=x") && !html.contains("<script>alert"),
            "{} holds raw markup",
            p.display()
        );
    }
    // Nothing was written beside the export directory.
    let siblings: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(siblings, vec![std::ffi::OsString::from("site")]);
}

/// The full corpus catalog, when `DETCAT_CATALOG` names one (e.g. /tmp/full.db): export
/// time and the crawl. Unset: skipped; set but missing: fails.
#[test]
fn full_catalog_export_crawls_clean() {
    let Some(path) = std::env::var_os("DETCAT_CATALOG") else {
        eprintln!("note: DETCAT_CATALOG is unset; skipping the full-catalog export");
        return;
    };
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "DETCAT_CATALOG is set but {} does not exist",
        path.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("site");
    let report = detcat_web::export_site(Some(&path), &dir).unwrap();
    let (pages, links) = crawl(&dir);
    println!("{report}; crawled {pages} pages, {links} links");
}

//! The static assets, compiled into the binary.

/// The stylesheet (hand-written, no framework).
pub const STYLE_CSS: &str = include_str!("../static/style.css");
/// The little script: search-as-you-type and expand/collapse-all. Pages work without it.
pub const APP_JS: &str = include_str!("../static/app.js");

/// The icon: a small SVG (every page links it; `/favicon.ico` serves it too).
pub const FAVICON_SVG: &str = include_str!("../static/favicon.svg");

/// Every asset as (file name, content type, body).
pub const ALL: [(&str, &str, &str); 3] = [
    ("style.css", "text/css; charset=utf-8", STYLE_CSS),
    ("app.js", "text/javascript; charset=utf-8", APP_JS),
    ("favicon.svg", "image/svg+xml", FAVICON_SVG),
];

/// The asset called `name` as a response-cache entry: its gzip, brotli and entity tag are computed
/// once per process.
pub fn get_cached(name: &str) -> Option<crate::state::Cached> {
    static CACHED: std::sync::OnceLock<Vec<crate::state::Cached>> = std::sync::OnceLock::new();
    let all = CACHED.get_or_init(|| {
        ALL.iter()
            .map(|(_, ct, body)| {
                crate::state::Cached::new(200, ct, axum::body::Bytes::from_static(body.as_bytes()))
            })
            .collect()
    });
    ALL.iter()
        .position(|(n, _, _)| *n == name)
        .and_then(|i| all.get(i).cloned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn assets_resolve_by_exact_name_only() {
        assert!(super::get_cached("style.css").is_some_and(|a| {
            a.content_type.starts_with("text/css")
                && String::from_utf8_lossy(&a.body).contains(".matrix")
                && a.gzip.bytes().is_some()
                && a.br.bytes().is_some()
        }));
        assert!(super::get_cached("app.js").is_some());
        assert!(super::get_cached("favicon.svg").is_some());
        assert!(super::get_cached("../Cargo.toml").is_none());
        assert!(super::get_cached("style.css/").is_none());
    }
}

//! The static assets, compiled into the binary.

/// The stylesheet (hand-written, no framework).
pub const STYLE_CSS: &str = include_str!("../static/style.css");
/// The little script: search-as-you-type and expand/collapse-all. Pages work without it.
pub const APP_JS: &str = include_str!("../static/app.js");

/// Every asset as (file name, content type, body).
pub const ALL: [(&str, &str, &str); 2] = [
    ("style.css", "text/css; charset=utf-8", STYLE_CSS),
    ("app.js", "text/javascript; charset=utf-8", APP_JS),
];

/// The asset called `name`, with its content type.
pub fn get(name: &str) -> Option<(&'static str, &'static str)> {
    ALL.iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, ct, body)| (*ct, *body))
}

#[cfg(test)]
mod tests {
    #[test]
    fn assets_resolve_by_exact_name_only() {
        assert!(
            super::get("style.css")
                .is_some_and(|(ct, body)| ct.starts_with("text/css") && body.contains(".matrix"))
        );
        assert!(super::get("app.js").is_some());
        assert!(super::get("../Cargo.toml").is_none());
        assert!(super::get("style.css/").is_none());
    }
}

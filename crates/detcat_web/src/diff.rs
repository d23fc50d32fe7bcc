//! `/diff`: the release diff between the served catalog and the one given with
//! `detcat serve --compare FILE` (computed once at start: both catalogs are immutable).

use std::sync::OnceLock;

use askama::Template;
use detcat_catalog::DiffView;

use crate::error::WebError;
use crate::links::Links;

static COMPARE: OnceLock<DiffView> = OnceLock::new();

/// Sets the diff the `/diff` page and `/api/diff` show (once per process).
pub fn set_compare(view: DiffView) {
    let _ = COMPARE.set(view);
}

/// The diff, when the server was started with `--compare`.
pub fn compare() -> Option<&'static DiffView> {
    COMPARE.get()
}

#[derive(Template)]
#[template(path = "diff.html")]
pub struct DiffPageView<'a> {
    pub l: &'a Links,
    pub origin: &'a str,
    pub d: &'a DiffView,
}

/// The `/diff` page; `None` without `--compare`.
pub fn diff_html(l: &Links, origin: &str) -> Result<Option<String>, WebError> {
    let Some(d) = compare() else {
        return Ok(None);
    };
    Ok(Some(DiffPageView { l, origin, d }.render()?))
}

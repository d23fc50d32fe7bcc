//! `/stats`: what the build read and how well it parsed — the parse-coverage table per
//! vendor, by language, and the most common diagnostics (what `detcat stats` prints).

use askama::Template;
use detcat_catalog::BuildReport;
use detcat_catalog::Catalog;

use crate::error::WebError;
use crate::links::Links;

#[derive(Template)]
#[template(path = "stats.html")]
pub struct StatsView<'a> {
    pub l: &'a Links,
    pub origin: &'a str,
    pub r: &'a BuildReport,
}

/// `part` of `whole` as a percentage with one decimal (`99.7%`).
pub fn percent(
    part: impl std::borrow::Borrow<usize>,
    whole: impl std::borrow::Borrow<usize>,
) -> String {
    let (part, whole) = (*part.borrow(), *whole.borrow());
    if whole == 0 {
        return "–".to_owned();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

pub fn stats_html(c: &Catalog, l: &Links) -> Result<String, WebError> {
    let mut r = c.report()?;
    // The corpus directory is the build machine's path: the page names its last part only.
    r.origin = crate::navigator::public_name(&r.origin).to_owned();
    Ok(StatsView {
        l,
        origin: c.origin(),
        r: &r,
    }
    .render()?)
}

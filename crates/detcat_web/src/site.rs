//! Page rendering shared by the server and the static export: catalog query → view → HTML.
//! Each function answers `None` when the catalog has no such page.

use crate::render::threat::MatrixColor;
use askama::Template;
use detcat_catalog::{Catalog, QueryOptions};

use crate::error::WebError;
use crate::links::Links;
use crate::pages::{
    ErrorView, EventView, FieldPageView, HomeView, NotFoundView, RuleView, SearchView, Suggestion,
    TechniqueView,
};

/// Search results per page.
pub const SEARCH_PAGE: u64 = 50;

/// Vendor filter from a query parameter: empty means all; unknown vendors are an error.
pub fn vendor_filter(v: Option<&str>) -> Result<Option<String>, WebError> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => {
            let lower = v.to_ascii_lowercase();
            if detcat_model::Vendor::parse(&lower).is_some() {
                Ok(Some(lower))
            } else {
                Err(WebError::UnknownVendor(v.to_owned()))
            }
        }
    }
}

/// Platform filter: empty means all.
pub fn platform_filter(p: Option<&str>) -> Option<String> {
    p.map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
}

pub fn home_html(
    c: &Catalog,
    l: &Links,
    vendor: Option<&str>,
    platform: Option<&str>,
) -> Result<String, WebError> {
    home_html_colored(c, l, vendor, platform, MatrixColor::Rules)
}

/// The matrix with its cells coloured by rules, threat or gap (`?color=`).
pub fn home_html_colored(
    c: &Catalog,
    l: &Links,
    vendor: Option<&str>,
    platform: Option<&str>,
    color: MatrixColor,
) -> Result<String, WebError> {
    let m = c.matrix(None, vendor, platform, QueryOptions::default())?;
    let mut view = HomeView::new(l, c.origin(), &m);
    view.subs = c.subtechnique_counts(vendor, QueryOptions::default())?;
    if vendor.is_none() && platform.is_none() {
        view.unknown = c.unknown_techniques(QueryOptions::default())?;
        view.attack_version = c.meta("attack_version")?.unwrap_or_default();
    }
    if color != MatrixColor::Rules {
        view.color = color;
        view.scores = crate::render::threat::matrix_scores(c)?;
    }
    Ok(view.render()?)
}

pub fn technique_html(c: &Catalog, l: &Links, id: &str) -> Result<Option<String>, WebError> {
    let Some(p) = c.technique(id, QueryOptions::default())? else {
        return Ok(None);
    };
    Ok(Some(
        TechniqueView::new(l, c.origin(), &p)
            .with_attack_release(c.meta("attack_version")?)
            .render()?,
    ))
}

/// The rule `id` of `vendor` (a rule found under another vendor is not this page).
pub fn rule_page(
    c: &Catalog,
    vendor: &str,
    id: &str,
) -> Result<Option<detcat_catalog::views::RulePage>, WebError> {
    if vendor_filter(Some(vendor)).ok().flatten().is_none() {
        return Ok(None);
    }
    Ok(c.rule(&format!("{vendor}/{id}"))?
        .filter(|r| r.vendor.as_str().eq_ignore_ascii_case(vendor) && r.id == id))
}

pub fn rule_html(
    c: &Catalog,
    l: &Links,
    vendor: &str,
    id: &str,
) -> Result<Option<String>, WebError> {
    let Some(r) = rule_page(c, vendor, id)? else {
        return Ok(None);
    };
    Ok(Some(RuleView::new(l, c.origin(), &r).render()?))
}

pub fn field_html(c: &Catalog, l: &Links, name: &str) -> Result<Option<String>, WebError> {
    let Some(f) = c.field(name, QueryOptions::default())? else {
        return Ok(None);
    };
    Ok(Some(FieldPageView::new(l, c.origin(), &f).render()?))
}

pub fn event_html(c: &Catalog, l: &Links, key: &str) -> Result<Option<String>, WebError> {
    let Some(e) = c.event(key, QueryOptions::default())? else {
        return Ok(None);
    };
    Ok(Some(EventView::new(l, c.origin(), &e).render()?))
}

/// Whether `q` looks like one technique id (`T1559.001`) or one rule id (a UUID, optionally
/// `vendor/` before it): only such queries are looked up as pages before searching.
pub fn looks_like_id(q: &str) -> bool {
    let q = q.trim();
    let technique = {
        let b = q.as_bytes();
        matches!(b.first(), Some(b'T' | b't'))
            && match b.len() {
                5 => b[1..].iter().all(u8::is_ascii_digit),
                9 => {
                    b[1..5].iter().all(u8::is_ascii_digit)
                        && b[5] == b'.'
                        && b[6..].iter().all(u8::is_ascii_digit)
                }
                _ => false,
            }
    };
    let id = q.rsplit('/').next().unwrap_or(q);
    let uuid = id.len() == 36
        && id.chars().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    technique || uuid
}

/// The page an exact technique or rule id names (a search for `T1559.001` opens that
/// technique), if the catalog has it.
pub fn exact_match(c: &Catalog, l: &Links, q: &str) -> Result<Option<String>, WebError> {
    let q = q.trim();
    if !looks_like_id(q) {
        return Ok(None);
    }
    if q.len() <= 9 {
        let id = q.to_ascii_uppercase();
        return Ok(c
            .technique(&id, QueryOptions::default())?
            .map(|_| l.technique(&id)));
    }
    Ok(c.rule(q)?.map(|r| l.rule(&r.vendor, &r.id)))
}

/// The search page; `page` is 1-based. An empty query shows the help only.
pub fn search_html(c: &Catalog, l: &Links, q: &str, page: u64) -> Result<String, WebError> {
    let q = q.trim();
    let result = if q.is_empty() || l.is_export() {
        None
    } else {
        let offset = page
            .saturating_sub(1)
            .min(100_000)
            .saturating_mul(SEARCH_PAGE);
        Some(c.search(q, offset, SEARCH_PAGE, QueryOptions::default())?)
    };
    let (prev, next) = match &result {
        Some(r) => {
            let here = r.offset / SEARCH_PAGE + 1;
            let link = |n: u64| format!("{}&page={n}", l.search(q));
            (
                (here > 1).then(|| link(here - 1)),
                (r.offset + (r.hits.len() as u64) < r.total).then(|| link(here + 1)),
            )
        }
        None => (None, None),
    };
    let view = SearchView {
        l,
        origin: c.origin(),
        q,
        page: result.as_ref(),
        prev,
        next,
        filters: crate::pages::search_filters(l, q),
    };
    Ok(view.render()?)
}

/// What the 404 page proposes for `wanted`: for rules, the same id under another vendor;
/// else the catalog's technique suggestion (a revoked id's replacement, the nearest id).
pub fn suggestion(
    c: &Catalog,
    l: &Links,
    what: &str,
    wanted: &str,
) -> Result<Option<Suggestion>, WebError> {
    if what == "rule" {
        let id = wanted.split_once('/').map(|(_, id)| id).unwrap_or(wanted);
        if let Some(r) = c.rule(id)?.filter(|r| r.id == id) {
            return Ok(Some(Suggestion {
                href: l.rule(&r.vendor, &r.id),
                id: format!("{}/{}", r.vendor, r.id),
                name: r.title,
            }));
        }
    }
    if what == "field" || what == "event" {
        return Ok(None);
    }
    // The catalog tries prefixes of the id one by one: keep hostile long input short.
    let id: String = wanted
        .rsplit('/')
        .next()
        .unwrap_or(wanted)
        .chars()
        .take(24)
        .collect();
    Ok(c.suggest(&id)?.map(|(id, name)| Suggestion {
        href: l.technique(&id),
        id,
        name,
    }))
}

pub fn not_found_html(
    c: &Catalog,
    l: &Links,
    what: &str,
    wanted: &str,
) -> Result<String, WebError> {
    let suggestion = suggestion(c, l, what, wanted)?;
    Ok(NotFoundView {
        l,
        origin: c.origin(),
        what,
        wanted,
        suggestion,
    }
    .render()?)
}

pub fn error_html(
    l: &Links,
    origin: &str,
    status: &str,
    message: &str,
) -> Result<String, WebError> {
    Ok(ErrorView {
        l,
        origin,
        status,
        message,
    }
    .render()?)
}

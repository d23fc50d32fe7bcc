//! The router: HTML pages, their `/api` JSON twins, static assets, health, and the two
//! layers every response passes (security headers, response cache).

use axum::Router;
use axum::body::{Bytes, HttpBody};
use axum::error_handling::HandleErrorLayer;
use axum::extract::{Path, Query, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use detcat_catalog::{Catalog, QueryOptions};
use serde::Deserialize;

use crate::assets;
use crate::error::{AppError, WebError};
use crate::links::Links;
use crate::site;
use crate::state::{AppState, CACHE_ENTRY_BYTES, Cached};

/// Requests in flight at once; past this the server answers 503 at once instead of queueing
/// work on blocking threads (the runtime has this many blocking threads at most).
pub(crate) const MAX_IN_FLIGHT: usize = 64;

/// Query parameters any page reads: the cache key keeps only these, so `?r=<random>` cannot
/// turn every request into a cache miss.
const KNOWN_PARAMS: &[&str] = &[
    "q", "page", "limit", "vendor", "platform", "color", "have", "preset", "sensor", "plan", "by",
];

/// The Content-Security-Policy of every response: no inline script or style, nothing from
/// elsewhere, no framing.
pub const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Builds the application router over `state`.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/", get(api_matrix))
        .route("/matrix", get(api_matrix))
        .route("/stats", get(api_stats))
        .route("/navigator", get(api_navigator))
        .route("/technique/{id}", get(api_technique))
        .route("/technique/{id}/clusters", get(api_clusters))
        .route("/rule/{vendor}/{*id}", get(api_rule))
        .route("/field/{*name}", get(api_field))
        .route("/event/{key}", get(api_event))
        .route("/search", get(api_search))
        .route(
            "/review",
            axum::routing::post(crate::review::api)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/coverage", get(api_coverage))
        .route("/coverage/navigator", get(api_coverage_layer))
        .route("/diff", get(api_diff))
        .fallback(api_not_found);
    Router::new()
        .route("/", get(home))
        .route("/technique/{id}", get(technique))
        .route("/technique/{id}/clusters", get(clusters))
        .route("/rule/{vendor}/{*id}", get(rule))
        .route("/field/{*name}", get(field))
        .route("/event/{key}", get(event))
        .route("/search", get(search))
        .route(
            "/review",
            get(crate::review::form)
                .post(crate::review::submit)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/coverage", get(coverage))
        .route("/diff", get(diff))
        .route("/static/{name}", get(asset))
        .route("/favicon.ico", get(favicon))
        .route("/stats", get(stats))
        .route("/healthz", get(healthz))
        .route("/api/", get(api_matrix))
        .nest("/api", api)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), cache_layer))
        .with_state(state)
        // Outside the router, so the limit is one for all routes, and outside the cache: a
        // cache hit is cheap, but a flood of hits still must not queue without bound.
        .layer(
            tower::ServiceBuilder::new()
                .layer(HandleErrorLayer::new(overloaded))
                .load_shed()
                .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
                    MAX_IN_FLIGHT,
                )),
        )
        // Outermost: every response gets the headers, the server's own 4xx and 503 included.
        .layer(middleware::from_fn(security_headers))
}

/// The answer when [`MAX_IN_FLIGHT`] requests are already being served.
async fn overloaded(e: tower::BoxError) -> Response {
    AppError::Unavailable(format!("the server is busy ({e}); retry shortly")).into_response()
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// Serves repeated GETs (and HEADs) of pages and API answers from memory: the catalog is
/// read-only. The key is the path plus the known query parameters; a body too large to cache
/// passes through uncached.
async fn cache_layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let cacheable = (method == axum::http::Method::GET || method == axum::http::Method::HEAD)
        && req.uri().path() != "/healthz";
    if !cacheable {
        return next.run(req).await;
    }
    let accept = crate::compress::AcceptEncoding::from_headers(req.headers());
    let validators = req.headers().clone();
    let mut key = cache_key(req.uri());
    if req.uri().path().starts_with("/api/navigator") {
        // The layer links back to the host it was asked from.
        if let Some(host) = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
        {
            key.push('\u{1f}');
            key.push_str(host);
        }
    }
    if let Some(hit) = state.cache_get(&key) {
        let hit = with_coding_for(&state, &key, hit, accept, &validators).await;
        return cached_response(hit, accept, &validators, true);
    }
    // A HEAD runs as the GET it mirrors, so its answer fills the GET cache (hyper sends no
    // body for a HEAD).
    *req.method_mut() = axum::http::Method::GET;
    let res = next.run(req).await;
    let status = res.status();
    if !(status == StatusCode::OK || status == StatusCode::NOT_FOUND) {
        return res;
    }
    let content_type = match res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        Some(ct) if ct.starts_with("text/html") => "text/html; charset=utf-8",
        Some(ct) if ct.starts_with("application/json") => "application/json",
        _ => return res,
    };
    let size = res.body().size_hint().upper();
    if size.is_none_or(|n| n > CACHE_ENTRY_BYTES as u64) {
        return res;
    }
    let (parts, body) = res.into_parts();
    match axum::body::to_bytes(body, CACHE_ENTRY_BYTES).await {
        Ok(bytes) => {
            let entry = Cached::plain(status.as_u16(), content_type, bytes);
            state.cache_put(key.clone(), entry.clone());
            let entry = with_coding_for(&state, &key, entry, accept, &validators).await;
            let mut res = cached_response(entry, accept, &validators, false);
            // The handler's own headers (none that the cache sets) go out too.
            for (name, value) in &parts.headers {
                if !res.headers().contains_key(name) {
                    res.headers_mut().insert(name.clone(), value.clone());
                }
            }
            res
        }
        Err(e) => AppError::Internal(format!("buffering a response: {e}")).into_response(),
    }
}

/// `entry` with the coding this request will be answered in made, when it is still to be
/// made (the first client to ask for brotli or gzip of a page waits for that one coding, on a
/// blocking thread), and cached so; a `304` answer needs none. A large body's first coding is
/// made quickly (brotli q0, gzip -1: a third of q4's time, a quarter of -6's, for the largest
/// page) and made again, better, after the answer at the lowest CPU priority, replacing the
/// quick one in the cache ([`AppState::refine_later`]): the first client waits less, every
/// later one gets the smaller bytes. Both decode to the same body, under the same `ETag`.
/// Two clients that find the same coding missing at once both make it; one that caches an
/// older copy of the entry may drop a coding another just made, which the next client to ask
/// makes again.
async fn with_coding_for(
    state: &AppState,
    key: &str,
    mut entry: Cached,
    accept: crate::compress::AcceptEncoding,
    validators: &axum::http::HeaderMap,
) -> Cached {
    if crate::compress::not_modified(validators, &entry.etag) {
        return entry;
    }
    // At most twice: a coding that does not shrink the body is never chosen again.
    loop {
        let coding = accept.choose(entry.br.possible(), entry.gzip.possible());
        if !entry.lacks(coding) {
            // Quick: just made (the loop's second turn), or its refinement was dropped (a
            // full queue) or is under way (queued once).
            if entry.quick(coding) {
                state.refine_later(key, &entry, coding);
            }
            return entry;
        }
        let effort = crate::compress::Effort::first_for(&entry.body);
        let pending = entry.clone();
        match tokio::task::spawn_blocking(move || pending.with_coding(coding, effort)).await {
            Ok(made) => {
                state.cache_put(key.to_owned(), made.clone());
                entry = made;
            }
            // The blocking pool is shutting down: the body as it is.
            Err(_) => return entry,
        }
    }
}

/// The path and the known query parameters, in a fixed order.
fn cache_key(uri: &axum::http::Uri) -> String {
    let mut params: Vec<&str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|kv| {
            let name = kv.split_once('=').map_or(*kv, |(k, _)| k);
            KNOWN_PARAMS.contains(&name)
        })
        .collect();
    params.sort_unstable();
    format!("{}?{}", uri.path(), params.join("&"))
}

/// Says whether the response cache answered (operators and tests see the cache work).
pub const CACHE_HEADER: &str = "x-detcat-cache";

/// A cached answer: `304` when the client holds this version, else the body in the coding
/// the client prefers among those cached (brotli, gzip, identity). Pages may change when the
/// catalog is rebuilt, so clients revalidate (`no-cache`) with the `ETag`.
fn cached_response(
    hit: Cached,
    accept: crate::compress::AcceptEncoding,
    req: &axum::http::HeaderMap,
    was_hit: bool,
) -> Response {
    let status = StatusCode::from_u16(hit.status).unwrap_or(StatusCode::OK);
    let etag = HeaderValue::from_str(&hit.etag).ok();
    let mut res = if status == StatusCode::OK && crate::compress::not_modified(req, &hit.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let coding = accept.choose(hit.br.bytes().is_some(), hit.gzip.bytes().is_some());
        let body = match coding {
            crate::compress::Encoding::Brotli => hit.br.bytes().cloned(),
            crate::compress::Encoding::Gzip => hit.gzip.bytes().cloned(),
            crate::compress::Encoding::Identity => None,
        };
        match (coding.header(), body) {
            (Some(name), Some(body)) => (
                status,
                [
                    (header::CONTENT_TYPE, hit.content_type),
                    (header::CONTENT_ENCODING, name),
                ],
                body,
            )
                .into_response(),
            _ => (status, [(header::CONTENT_TYPE, hit.content_type)], hit.body).into_response(),
        }
    };
    let h = res.headers_mut();
    if was_hit {
        h.insert(
            header::HeaderName::from_static(CACHE_HEADER),
            HeaderValue::from_static("hit"),
        );
    }
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(etag) = etag {
        h.insert(header::ETAG, etag);
    }
    res
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn json_response<T: serde::Serialize>(status: StatusCode, value: &T) -> Result<Response, AppError> {
    let body = serde_json::to_vec(value).map_err(|e| AppError::Internal(format!("json: {e}")))?;
    Ok((
        status,
        [(header::CONTENT_TYPE, "application/json")],
        Bytes::from(body),
    )
        .into_response())
}

/// An HTML error page for a client error (the message names only what the client sent).
fn html_error(state: &AppState, e: AppError) -> Response {
    match &e {
        AppError::BadRequest(m) => {
            match site::error_html(&Links::server(), state.origin(), "400 Bad request", m) {
                Ok(body) => html(StatusCode::BAD_REQUEST, body),
                Err(_) => e.into_response(),
            }
        }
        AppError::Internal(_) | AppError::Unavailable(_) => e.into_response(),
    }
}

/// Runs a page query on the pool; `None` pages become the 404 page with a suggestion.
async fn page<F>(state: AppState, what: &'static str, wanted: String, f: F) -> Response
where
    F: FnOnce(&Catalog, &Links) -> Result<Option<String>, WebError> + Send + 'static,
{
    if let Err(e) = check_wanted(&wanted) {
        return html_error(&state, e);
    }
    let result = state
        .with_catalog(move |c| {
            let l = Links::server();
            match f(c, &l)? {
                Some(body) => Ok((StatusCode::OK, body)),
                None => Ok((
                    StatusCode::NOT_FOUND,
                    site::not_found_html(c, &l, what, &wanted)?,
                )),
            }
        })
        .await;
    match result {
        Ok((status, body)) => html(status, body),
        Err(e) => html_error(&state, e),
    }
}

#[derive(Debug, Default, Deserialize)]
struct MatrixParams {
    vendor: Option<String>,
    platform: Option<String>,
    /// `threat` or `gap` colours cells by those scores; anything else by rule count.
    color: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct SearchParams {
    #[serde(default)]
    q: String,
    page: Option<String>,
    limit: Option<String>,
}

fn page_number(p: Option<&str>) -> u64 {
    p.and_then(|p| p.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1)
}

async fn home(State(state): State<AppState>, Query(q): Query<MatrixParams>) -> Response {
    let vendor = match site::vendor_filter(q.vendor.as_deref()) {
        Ok(v) => v,
        Err(e) => return html_error(&state, e.into()),
    };
    let platform = site::platform_filter(q.platform.as_deref());
    let color = crate::render::threat::MatrixColor::parse(q.color.as_deref());
    page(state, "page", String::new(), move |c, l| {
        site::home_html_colored(c, l, vendor.as_deref(), platform.as_deref(), color).map(Some)
    })
    .await
}

async fn coverage(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let params = match crate::coverage::CoverageParams::parse(q.as_deref()) {
        Ok(p) => p,
        Err(e) => return html_error(&state, e.into()),
    };
    let query = q.unwrap_or_default();
    page(state, "page", String::new(), move |c, l| {
        crate::coverage::coverage_html(c, l, &params, &query).map(Some)
    })
    .await
}

async fn diff(State(state): State<AppState>) -> Response {
    page(
        state,
        "diff (start the server with --compare FILE)",
        String::new(),
        move |c, l| crate::diff::diff_html(l, c.origin()),
    )
    .await
}

async fn api_diff(State(state): State<AppState>) -> Response {
    api(
        state,
        "diff (start the server with --compare FILE)",
        String::new(),
        move |_| Ok(crate::diff::compare()),
    )
    .await
}

async fn api_coverage(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let params = match crate::coverage::CoverageParams::parse(q.as_deref()) {
        Ok(p) => p,
        Err(e) => return api_error(e.into()),
    };
    api(state, "coverage", String::new(), move |c| {
        Ok(Some(crate::coverage::coverage_view(c, &params)?))
    })
    .await
}

async fn api_coverage_layer(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let params = match crate::coverage::CoverageParams::parse(q.as_deref()) {
        Ok(p) => p,
        Err(e) => return api_error(e.into()),
    };
    api(state, "coverage", String::new(), move |c| {
        Ok(Some(crate::coverage::coverage_layer(c, &params)?))
    })
    .await
}

async fn technique(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    page(state, "technique", id.clone(), move |c, l| {
        site::technique_html(c, l, &id)
    })
    .await
}

async fn clusters(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    page(state, "technique", id.clone(), move |c, l| {
        crate::clusters::clusters_html(c, l, &id)
    })
    .await
}

async fn api_clusters(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    api(state, "technique", id.clone(), move |c| {
        crate::clusters::clusters(c, &id)
    })
    .await
}

async fn rule(
    State(state): State<AppState>,
    Path((vendor, id)): Path<(String, String)>,
) -> Response {
    let wanted = format!("{vendor}/{id}");
    page(state, "rule", wanted, move |c, l| {
        site::rule_html(c, l, &vendor, &id)
    })
    .await
}

async fn field(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    page(state, "field", name.clone(), move |c, l| {
        site::field_html(c, l, &name)
    })
    .await
}

async fn event(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    page(state, "event", key.clone(), move |c, l| {
        site::event_html(c, l, &key)
    })
    .await
}

async fn search(State(state): State<AppState>, Query(p): Query<SearchParams>) -> Response {
    // An exact technique or rule id opens its page (303), when the catalog has it.
    if site::looks_like_id(&p.q) {
        let q = p.q.clone();
        let found = state
            .with_catalog(move |c| Ok(site::exact_match(c, &Links::server(), &q)?))
            .await;
        if let Ok(Some(href)) = found {
            return axum::response::Redirect::to(&href).into_response();
        }
    }
    let n = page_number(p.page.as_deref());
    page(state, "page", String::new(), move |c, l| {
        site::search_html(c, l, &p.q, n).map(Some)
    })
    .await
}

async fn not_found(State(state): State<AppState>, req: Request) -> Response {
    let wanted = req.uri().path().trim_start_matches('/').to_owned();
    page(state, "page", wanted, |_, _| Ok(None)).await
}

async fn asset(Path(name): Path<String>, headers: axum::http::HeaderMap) -> Response {
    match assets::get_cached(&name) {
        Some(a) => {
            let accept = crate::compress::AcceptEncoding::from_headers(&headers);
            let mut res = cached_response(a, accept, &headers, false);
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            );
            res
        }
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "no such asset",
        )
            .into_response(),
    }
}

/// Browsers ask for `/favicon.ico` whatever the page says: the same SVG icon.
async fn favicon(headers: axum::http::HeaderMap) -> Response {
    asset(Path("favicon.svg".to_owned()), headers).await
}

async fn stats(State(state): State<AppState>) -> Response {
    page(state, "page", String::new(), |c, l| {
        crate::stats::stats_html(c, l).map(Some)
    })
    .await
}

/// `ok` when a catalog connection answers a query within the deadline, else 503 with why.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.healthy().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            if let AppError::Internal(details) = &e {
                tracing::error!(%details, "health check failed");
            }
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("catalog unavailable: {}", e.public_message()),
            )
                .into_response()
        }
    }
}

/// Runs an API query; `Ok(None)` answers a JSON 404 with a suggestion.
async fn api<T, F>(state: AppState, what: &'static str, wanted: String, f: F) -> Response
where
    T: serde::Serialize + Send + 'static,
    F: FnOnce(&Catalog) -> Result<Option<T>, WebError> + Send + 'static,
{
    let result = match check_wanted(&wanted) {
        Ok(()) => state,
        Err(e) => return api_error(e),
    };
    let result = result
        .with_catalog(move |c| match f(c)? {
            Some(v) => json_response(StatusCode::OK, &v),
            None => {
                let suggestion = site::suggestion(c, &Links::server(), what, &wanted)?;
                let body = serde_json::json!({ "error": "not found", "what": what, "wanted": wanted, "suggestion": suggestion });
                json_response(StatusCode::NOT_FOUND, &body)
            }
        })
        .await;
    result.unwrap_or_else(api_error)
}

fn api_error(e: AppError) -> Response {
    let status = e.status();
    let body = serde_json::json!({ "error": e.public_message() });
    if let AppError::Internal(details) = &e {
        tracing::error!(%details, "api request failed");
    }
    json_response(status, &body).unwrap_or_else(IntoResponse::into_response)
}

/// An id or key longer than any the catalog holds is refused before SQL sees it.
fn check_wanted(wanted: &str) -> Result<(), AppError> {
    let n = wanted.chars().count();
    if n > detcat_catalog::MAX_ID_CHARS {
        return Err(AppError::BadRequest(format!(
            "the id is {n} characters long; the limit is {}",
            detcat_catalog::MAX_ID_CHARS
        )));
    }
    Ok(())
}

async fn api_matrix(State(state): State<AppState>, Query(q): Query<MatrixParams>) -> Response {
    let platform = site::platform_filter(q.platform.as_deref());
    api(state, "page", String::new(), move |c| {
        let vendor = site::vendor_filter(q.vendor.as_deref())?;
        Ok(Some(c.matrix(
            None,
            vendor.as_deref(),
            platform.as_deref(),
            QueryOptions::default(),
        )?))
    })
    .await
}

async fn api_stats(State(state): State<AppState>) -> Response {
    api(state, "page", String::new(), |c| {
        let mut r = c.report()?;
        r.origin = crate::navigator::public_name(&r.origin).to_owned();
        Ok(Some(r))
    })
    .await
}

async fn api_navigator(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Query(q): Query<MatrixParams>,
) -> Response {
    let base = navigator_base(&headers);
    api(state, "page", String::new(), move |c| {
        use crate::render::threat::MatrixColor;
        // `?color=threat|gap` scores the layer as the matrix colours its cells.
        let by = match MatrixColor::parse(q.color.as_deref()) {
            MatrixColor::Threat => Some(detcat_catalog::views::RankBy::Threat),
            MatrixColor::Gap => Some(detcat_catalog::views::RankBy::Gap),
            MatrixColor::Rules => None,
        };
        if let Some(by) = by {
            return Ok(Some(crate::navigator_score::navigator_score_layer(c, by)?));
        }
        let vendor = site::vendor_filter(q.vendor.as_deref())?;
        Ok(Some(crate::navigator::navigator_layer_linked(
            c,
            vendor.as_deref(),
            base.as_deref(),
        )?))
    })
    .await
}

/// `http://<Host>` for the links of a Navigator layer, when the Host header is a plain
/// host[:port] (anything else gets no links rather than a link to a place we cannot vouch for).
fn navigator_base(headers: &axum::http::HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let plain = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    plain.then(|| format!("http://{host}"))
}

async fn api_technique(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    api(state, "technique", id.clone(), move |c| {
        Ok(c.technique(&id, QueryOptions::default())?)
    })
    .await
}

async fn api_rule(
    State(state): State<AppState>,
    Path((vendor, id)): Path<(String, String)>,
) -> Response {
    api(state, "rule", format!("{vendor}/{id}"), move |c| {
        site::rule_page(c, &vendor, &id)
    })
    .await
}

async fn api_field(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    api(state, "field", name.clone(), move |c| {
        Ok(c.field(&name, QueryOptions::default())?)
    })
    .await
}

async fn api_event(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    api(state, "event", key.clone(), move |c| {
        Ok(c.event(&key, QueryOptions::default())?)
    })
    .await
}

async fn api_search(State(state): State<AppState>, Query(p): Query<SearchParams>) -> Response {
    let limit = p
        .limit
        .as_deref()
        .and_then(|l| l.parse::<u64>().ok())
        .unwrap_or(site::SEARCH_PAGE)
        .clamp(1, 200);
    let offset = page_number(p.page.as_deref())
        .saturating_sub(1)
        .min(100_000)
        .saturating_mul(limit);
    api(state, "page", String::new(), move |c| {
        Ok(Some(c.search(
            p.q.trim(),
            offset,
            limit,
            QueryOptions::default(),
        )?))
    })
    .await
}

async fn api_not_found(State(state): State<AppState>, req: Request) -> Response {
    let wanted = req.uri().path().trim_start_matches('/').to_owned();
    api::<(), _>(state, "page", wanted, |_| Ok(None)).await
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request as HttpRequest;
    use tower::ServiceExt;

    use super::*;
    use crate::state::Coded;

    fn made(c: &Coded) -> &'static str {
        match c {
            Coded::NotYet => "not yet",
            Coded::Quick(_) => "quick",
            Coded::Smaller(_) => "made",
            Coded::NoGain => "no gain",
        }
    }

    /// A page's first visit waits for no compression it does not send; each coding is made
    /// when a client first asks for it, then served from the cache.
    #[tokio::test]
    async fn a_pages_codings_are_made_when_a_client_first_asks_for_them() {
        let state =
            AppState::from_catalogs(vec![detcat_catalog::Catalog::demo().expect("demo catalog")]);
        let router = app(state.clone());
        let key = "/technique/T1559.001?";
        let coded = || {
            let e = state.cache_get(key).expect("cached");
            (made(&e.br), made(&e.gzip))
        };
        let mut steps = Vec::new();
        for accept in [None, Some("br"), Some("br"), Some("gzip, br;q=0.5")] {
            let mut req = HttpRequest::get("/technique/T1559.001");
            if let Some(a) = accept {
                req = req.header(header::ACCEPT_ENCODING, a);
            }
            let res = router
                .clone()
                .oneshot(req.body(Body::empty()).expect("request"))
                .await
                .expect("response");
            assert_eq!(res.status(), StatusCode::OK);
            let coding = res
                .headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap_or("?").to_owned());
            steps.push((accept, coding, coded()));
        }
        assert_eq!(
            steps,
            [
                (None, None, ("not yet", "not yet")),
                (Some("br"), Some("br".to_owned()), ("made", "not yet")),
                (Some("br"), Some("br".to_owned()), ("made", "not yet")),
                (
                    Some("gzip, br;q=0.5"),
                    Some("gzip".to_owned()),
                    ("made", "made")
                ),
            ]
        );
    }

    /// A large page's first compressed answer is made quickly; the cache then gets the
    /// better coding, made after the answer, and later clients are sent it. Both decode to
    /// the page.
    #[tokio::test]
    async fn a_large_pages_first_coding_is_quick_and_then_replaced_by_a_better_one() {
        let state = AppState::from_catalogs(Vec::new());
        let body: String = (0..6000)
            .map(|i| format!("<tr><td>rule {i}</td><td>{}</td></tr>\n", i * 7919 % 1000))
            .collect();
        assert!(body.len() >= crate::compress::QUICK_FIRST_BYTES);
        let decode = |b: &Bytes| {
            let mut out = String::new();
            std::io::Read::read_to_string(&mut brotli::Decompressor::new(&b[..], 4096), &mut out)
                .expect("brotli");
            out
        };
        let entry = Cached::plain(200, "text/html; charset=utf-8", Bytes::from(body.clone()));
        let accept = {
            let mut h = axum::http::HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("br"));
            crate::compress::AcceptEncoding::from_headers(&h)
        };
        let served = with_coding_for(&state, "k", entry, accept, &Default::default()).await;
        assert_eq!(made(&served.br), "quick");
        let quick = served.br.bytes().expect("quick bytes").clone();
        assert_eq!(decode(&quick), body);
        let mut refined = None;
        for _ in 0..1000 {
            let now = state.cache_get("k").expect("cached");
            if made(&now.br) == "made" {
                refined = now.br.bytes().cloned();
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let refined = refined.expect("the better coding replaced the quick one within 10 s");
        assert_eq!(decode(&refined), body);
        assert!(
            refined.len() < quick.len(),
            "{} >= {}",
            refined.len(),
            quick.len()
        );
        // A later client is sent the better bytes, and nothing is made again.
        let hit = state.cache_get("k").expect("cached");
        let served = with_coding_for(&state, "k", hit, accept, &Default::default()).await;
        assert_eq!(served.br.bytes(), Some(&refined));
    }

    /// A body too small to gain from compression is never compressed, whatever the client
    /// accepts.
    #[tokio::test]
    async fn a_small_body_is_never_compressed() {
        let state = AppState::from_catalogs(Vec::new());
        let entry = Cached::plain(200, "application/json", Bytes::from_static(b"{}"));
        assert_eq!((made(&entry.br), made(&entry.gzip)), ("no gain", "no gain"));
        let accept = {
            let mut h = axum::http::HeaderMap::new();
            h.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_static("br, gzip"),
            );
            crate::compress::AcceptEncoding::from_headers(&h)
        };
        let served = with_coding_for(&state, "k", entry, accept, &Default::default()).await;
        assert_eq!(
            (made(&served.br), made(&served.gzip)),
            ("no gain", "no gain")
        );
        assert!(
            state.cache_get("k").is_none(),
            "nothing was made, nothing re-cached"
        );
    }
}

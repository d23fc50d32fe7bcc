//! The detcat web catalog: server-rendered HTML pages, their `/api` JSON twins, a static site
//! export and ATT&CK Navigator layers — all over a read-only detcat catalog.
//!
//! Pages are askama templates checked at compile time; every string that comes from a rule or
//! from ATT&CK is HTML-escaped, and every response carries a strict Content-Security-Policy (no
//! inline script or style). The server binds to loopback unless told otherwise.
//!
//! ```no_run
//! // Serve the embedded demo catalog on loopback.
//! detcat_web::serve_blocking(None, "127.0.0.1:8080".parse().unwrap())?;
//! # Ok::<(), detcat_web::WebError>(())
//! ```
//!
//! Tests drive the router directly, with no network:
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use tower::ServiceExt;
//! let app = detcat_web::app(detcat_web::AppState::new(None)?);
//! let res = app.oneshot(axum::http::Request::get("/technique/T1559.001").body(axum::body::Body::empty())?).await?;
//! assert_eq!(res.status(), 200);
//! # Ok(()) }
//! ```

mod assets;
mod clusters;
pub mod compress;
mod coverage;
mod deadline;
mod diff;
mod error;
mod export;
pub mod links;
mod navigator;
mod navigator_score;
mod pages;
mod refine;
pub mod render;
mod review;
mod routes;
mod server;
mod site;
mod state;
mod stats;

use std::net::SocketAddr;
use std::path::PathBuf;

pub use diff::set_compare;
pub use error::{AppError, WebError};
pub use export::{ExportReport, export_catalog, export_site};
pub use navigator::navigator_layer;
pub use navigator_score::navigator_score_layer;
pub use routes::{CACHE_HEADER, CSP, app};
pub use server::{ServerLimits, serve_with};
pub use state::{AppState, QUERY_DEADLINE};

/// The HTML of a technique page as the server renders it, without the response cache
/// (benchmarks, tools). `None` when the catalog has no such technique.
pub fn render_technique(
    catalog: &detcat_catalog::Catalog,
    links: &links::Links,
    id: &str,
) -> Result<Option<String>, WebError> {
    site::technique_html(catalog, links, id)
}

/// The HTML of the home matrix, unfiltered.
pub fn render_home(
    catalog: &detcat_catalog::Catalog,
    links: &links::Links,
) -> Result<String, WebError> {
    site::home_html(catalog, links, None, None)
}

/// Opens the catalog (see [`AppState::new`]), binds `addr`, logs the URL and serves until
/// Ctrl-C.
pub fn serve_blocking(catalog: Option<PathBuf>, addr: SocketAddr) -> Result<(), WebError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Catalog queries run on blocking threads; the router sheds load past
        // `routes::MAX_IN_FLIGHT` requests, so this many threads is never the bottleneck.
        .max_blocking_threads(routes::MAX_IN_FLIGHT)
        .build()
        .map_err(WebError::Runtime)?;
    runtime.block_on(async move {
        let state = AppState::new(catalog)?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| WebError::Bind { addr, source })?;
        let local = listener.local_addr().unwrap_or(addr);
        tracing::info!("detcat serving {} at http://{local}/", state.origin());
        eprintln!(
            "detcat: serving {} at http://{local}/ (Ctrl-C stops)",
            state.origin()
        );
        serve(listener, state).await
    })
}

/// Serves `state` on an already bound listener until Ctrl-C (tests bind port 0 and call this),
/// with the default [`ServerLimits`].
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> Result<(), WebError> {
    serve_with(listener, app(state), ServerLimits::default(), async {
        // If the signal handler cannot be installed, serve until the process ends.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
    .await
}

//! Errors: [`WebError`] for the library API, [`AppError`] for HTTP responses.
//!
//! An [`AppError`] never shows internals to the client: a catalog or rendering failure is
//! logged with its details and answered with a bare "internal error" (axum's
//! error-handling example does the same).

use std::path::PathBuf;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// What the public functions of this crate can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebError {
    #[error(transparent)]
    Catalog(#[from] detcat_catalog::CatalogError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the server runtime: {0}")]
    Runtime(std::io::Error),
    #[error("server failed: {0}")]
    Serve(std::io::Error),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "export directory {0} is not empty and holds no earlier detcat export; choose an empty directory"
    )]
    ExportDirNotEmpty(PathBuf),
    #[error("cannot render page {page}: {message}")]
    Render { page: String, message: String },
    #[error("unknown vendor '{0}' (expected one of: {known})", known = crate::pages::vendor_names().join(", "))]
    UnknownVendor(String),
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Render {
            page: "template".to_owned(),
            message: e.to_string(),
        }
    }
}

/// An error answered to an HTTP client.
#[derive(Debug)]
pub enum AppError {
    /// 400 with a message that is safe to show (it names only what the client sent).
    BadRequest(String),
    /// 503: the server refuses work it cannot finish in time (deadline, overload); the
    /// message is safe to show.
    Unavailable(String),
    /// 500: the details are logged, never sent.
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The text a client may see.
    pub fn public_message(&self) -> &str {
        match self {
            AppError::BadRequest(m) | AppError::Unavailable(m) => m,
            AppError::Internal(_) => "internal error",
        }
    }
}

impl From<detcat_catalog::CatalogError> for AppError {
    fn from(e: detcat_catalog::CatalogError) -> Self {
        match e {
            // Only `Query` errors describe the client's input (e.g. a malformed event key).
            detcat_catalog::CatalogError::Query(m) => AppError::BadRequest(m),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<WebError> for AppError {
    fn from(e: WebError) -> Self {
        match e {
            WebError::UnknownVendor(_) => AppError::BadRequest(e.to_string()),
            WebError::Catalog(c) => c.into(),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(details) = &self {
            tracing::error!(%details, "request failed");
        }
        let status = self.status();
        (
            status,
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; charset=utf-8",
            )],
            self.public_message().to_owned(),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_details() {
        let e = AppError::Internal("SELECT secret FROM table: disk I/O error at /home/x".into());
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.public_message(), "internal error");
    }

    #[test]
    fn query_errors_are_bad_requests() {
        let e: AppError = detcat_catalog::CatalogError::Query("'x' is no event key".into()).into();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        let e: AppError = WebError::UnknownVendor("acme".into()).into();
        assert!(e.public_message().contains("acme"));
    }
}

//! `/review` and `/api/review`: a draft rule held against the catalog (issue 13).
//!
//! The draft is read from the request body (a pasted form field, an uploaded file, or for
//! the API the raw body), reviewed on a pool connection and answered; it is never stored,
//! logged or cached, and leaves the process only as the escaped report. Bodies over
//! [`MAX_BODY_BYTES`] are refused with a page (or JSON) that says so.

use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use detcat_catalog::review::{DraftLanguage, MAX_DRAFT_BYTES, ReviewOptions, ReviewReport, review};
use serde::Deserialize;

use crate::error::AppError;
use crate::links::Links;
use crate::state::AppState;

/// Largest request body: the largest draft plus room for the form's other fields.
pub const MAX_BODY_BYTES: usize = MAX_DRAFT_BYTES + 16 * 1024;

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewView<'a> {
    l: &'a Links,
    origin: &'a str,
    draft: &'a str,
    language: &'a str,
    technique: &'a str,
    error: Option<String>,
    report: Option<&'a ReviewReport>,
    limit_kib: usize,
}

/// The form's fields (pasted or uploaded draft, optional language and technique).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReviewForm {
    #[serde(default)]
    draft: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    technique: String,
}

fn render(view: &ReviewView<'_>, status: StatusCode) -> Response {
    match view.render() {
        Ok(body) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

fn empty_view<'a>(l: &'a Links, origin: &'a str) -> ReviewView<'a> {
    ReviewView {
        l,
        origin,
        draft: "",
        language: "",
        technique: "",
        error: None,
        report: None,
        limit_kib: MAX_DRAFT_BYTES / 1024,
    }
}

/// `GET /review`: the empty form.
pub(crate) async fn form(State(state): State<AppState>) -> Response {
    let l = Links::server();
    render(&empty_view(&l, state.origin()), StatusCode::OK)
}

fn too_large() -> String {
    format!(
        "The draft is too large: the limit is {} KiB. Rules are a few KiB; paste the rule, not a \
         whole repository.",
        MAX_DRAFT_BYTES / 1024
    )
}

/// Reads at most [`MAX_BODY_BYTES`]; `None` when the body is larger.
async fn limited_body(body: Body) -> Option<Bytes> {
    axum::body::to_bytes(body, MAX_BODY_BYTES).await.ok()
}

fn options(language: &str, technique: &str) -> Result<ReviewOptions, String> {
    let language = match language.trim() {
        "" | "auto" => None,
        l => Some(DraftLanguage::parse(l).ok_or_else(|| {
            format!("unknown language '{l}' (sigma, kql, eql, esql, lucene, spl)")
        })?),
    };
    let techniques = technique
        .split([',', ' '])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .take(16)
        .map(str::to_owned)
        .collect();
    Ok(ReviewOptions {
        techniques,
        language,
        corpus: None,
        skip_recordings: false,
    })
}

/// `POST /review`: the form, urlencoded (paste) or multipart (upload).
pub(crate) async fn submit(State(state): State<AppState>, req: Request) -> Response {
    let l = Links::server();
    let origin = state.origin().to_owned();
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let (parts, body) = req.into_parts();
    let Some(bytes) = limited_body(body).await else {
        let view = ReviewView {
            error: Some(too_large()),
            ..empty_view(&l, &origin)
        };
        return render(&view, StatusCode::PAYLOAD_TOO_LARGE);
    };
    let form = if content_type.starts_with("multipart/form-data") {
        multipart_form(&content_type, &bytes)
    } else {
        let req = Request::from_parts(parts, Body::from(bytes));
        axum::extract::Form::<ReviewForm>::from_request(req, &())
            .await
            .map(|f| f.0)
            .map_err(|e| format!("the form could not be read: {e}"))
    };
    let form = match form {
        Ok(f) => f,
        Err(message) => {
            let view = ReviewView {
                error: Some(message),
                ..empty_view(&l, &origin)
            };
            return render(&view, StatusCode::BAD_REQUEST);
        }
    };
    let opts = match options(&form.language, &form.technique) {
        Ok(o) => o,
        Err(message) => {
            let view = ReviewView {
                draft: &form.draft,
                error: Some(message),
                ..empty_view(&l, &origin)
            };
            return render(&view, StatusCode::BAD_REQUEST);
        }
    };
    if form.draft.len() > MAX_DRAFT_BYTES {
        let view = ReviewView {
            error: Some(too_large()),
            ..empty_view(&l, &origin)
        };
        return render(&view, StatusCode::PAYLOAD_TOO_LARGE);
    }
    let draft = form.draft.clone();
    let result = state
        .with_catalog(move |c| Ok(review(c, draft.as_bytes(), &opts)?))
        .await;
    match result {
        Ok(report) => {
            let view = ReviewView {
                draft: &form.draft,
                language: &form.language,
                technique: &form.technique,
                report: Some(&report),
                ..empty_view(&l, &origin)
            };
            render(&view, StatusCode::OK)
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ApiParams {
    #[serde(default)]
    language: String,
    #[serde(default)]
    technique: String,
}

/// `POST /api/review?language=&technique=`: the raw body is the draft; JSON report.
pub(crate) async fn api(
    State(state): State<AppState>,
    Query(p): Query<ApiParams>,
    body: Body,
) -> Response {
    let json_error = |status: StatusCode, message: String| {
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({ "error": message }).to_string(),
        )
            .into_response()
    };
    let Some(bytes) = axum::body::to_bytes(body, MAX_DRAFT_BYTES).await.ok() else {
        return json_error(StatusCode::PAYLOAD_TOO_LARGE, too_large());
    };
    let opts = match options(&p.language, &p.technique) {
        Ok(o) => o,
        Err(m) => return json_error(StatusCode::BAD_REQUEST, m),
    };
    let result = state
        .with_catalog(move |c| Ok(review(c, &bytes, &opts)?))
        .await;
    match result {
        Ok(report) => match serde_json::to_vec(&report) {
            Ok(body) => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response(),
            Err(e) => AppError::Internal(format!("json: {e}")).into_response(),
        },
        Err(e) => json_error(e.status(), e.public_message().to_owned()),
    }
}

/// The fields of a `multipart/form-data` body: `draft` (pasted), `file` (uploaded; wins when
/// not empty), `language`, `technique`. Only what this form sends is understood.
fn multipart_form(content_type: &str, body: &[u8]) -> Result<ReviewForm, String> {
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()
        .map(|b| b.trim_matches('"'))
        .filter(|b| !b.is_empty() && b.len() <= 200)
        .ok_or("the upload has no multipart boundary")?;
    let delimiter = format!("--{boundary}");
    let mut form = ReviewForm::default();
    let mut file: Option<String> = None;
    for part in split(body, delimiter.as_bytes()).skip(1) {
        if part.starts_with(b"--") {
            break;
        }
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let Some(split_at) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let (head, rest) = part.split_at(split_at);
        let content = rest.get(4..).unwrap_or_default();
        let content = content.strip_suffix(b"\r\n").unwrap_or(content);
        let head = String::from_utf8_lossy(head);
        let Some(name) = head
            .split(';')
            .filter_map(|p| p.trim().strip_prefix("name="))
            .next()
            .map(|n| n.trim_matches('"').to_owned())
        else {
            continue;
        };
        let text = || {
            String::from_utf8(content.to_vec())
                .map_err(|_| "the uploaded draft is not UTF-8 text (a binary file?)".to_owned())
        };
        match name.as_str() {
            "draft" => form.draft = text()?,
            "file" if !content.is_empty() => file = Some(text()?),
            "language" => form.language = text()?,
            "technique" => form.technique = text()?,
            _ => {}
        }
    }
    if let Some(f) = file {
        form.draft = f;
    }
    Ok(form)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `hay` split on `delimiter` (the parts between occurrences).
fn split<'a>(hay: &'a [u8], delimiter: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut rest = Some(hay);
    std::iter::from_fn(move || {
        let r = rest?;
        match find(r, delimiter) {
            Some(i) => {
                rest = r.get(i + delimiter.len()..);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_upload_wins_over_paste() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"draft\"\r\n\r\npasted\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.yml\"\r\nContent-Type: application/x-yaml\r\n\r\ntitle: up\r\n--XyZ\r\nContent-Disposition: form-data; name=\"language\"\r\n\r\n\r\n--XyZ--\r\n";
        let f = multipart_form("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(f.draft, "title: up");
        assert_eq!(f.language, "");
    }

    #[test]
    fn multipart_without_boundary_is_refused() {
        assert!(multipart_form("multipart/form-data", b"x").is_err());
    }
}

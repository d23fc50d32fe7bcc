//! HTTP compression and revalidation for pages, API answers and assets: gzip (computed once
//! per cached response or asset, never per request), a strong `ETag` over the uncompressed
//! body, and `304 Not Modified` for a matching `If-None-Match`.

use std::hash::{Hash, Hasher};
use std::io::Write;

use axum::body::Bytes;
use axum::http::{HeaderMap, header};

/// Bodies smaller than this go out as they are: gzip would barely shrink them.
const MIN_GZIP_BYTES: usize = 1024;

/// The gzip of `body`, or `None` when it is small or would not shrink.
pub fn gzip(body: &[u8]) -> Option<Bytes> {
    if body.len() < MIN_GZIP_BYTES {
        return None;
    }
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::new(6),
    );
    enc.write_all(body).ok()?;
    let out = enc.finish().ok()?;
    (out.len() < body.len()).then(|| Bytes::from(out))
}

/// A strong entity tag for `body`: a 64-bit hash and the length, quoted.
pub fn etag(body: &[u8]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut h);
    format!("\"{:016x}-{:x}\"", h.finish(), body.len())
}

/// Whether the client takes gzip (`Accept-Encoding: gzip`, not refused with `q=0`).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

/// Whether `If-None-Match` names `etag` (or `*`).
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn gzip_round_trips_and_skips_small_bodies() {
        assert!(gzip(b"short").is_none());
        let body = "<tr><td>process.name</td></tr>".repeat(200);
        let gz = gzip(body.as_bytes()).unwrap();
        assert!(gz.len() < body.len() / 5);
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out)
            .unwrap();
        assert_eq!(out, body);
    }

    #[test]
    fn accept_encoding_and_if_none_match() {
        let mut h = HeaderMap::new();
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip;q=0.8"),
        );
        assert!(accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, br"),
        );
        assert!(!accepts_gzip(&h));
        let tag = etag(b"abc");
        assert_ne!(tag, etag(b"abd"));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&tag).unwrap());
        assert!(not_modified(&h, &tag));
        assert!(!not_modified(&h, &etag(b"abd")));
    }
}

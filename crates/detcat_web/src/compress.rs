//! HTTP compression and revalidation for pages, API answers and assets: brotli and gzip
//! (each computed once per cached response or asset — a page's when a client first asks for
//! that coding —, never per request), `Accept-Encoding`
//! negotiation with q-values, a strong `ETag` over the uncompressed body, and
//! `304 Not Modified` for a matching `If-None-Match`.

use std::io::Write;

use axum::body::Bytes;
use axum::http::{HeaderMap, header};

/// Bodies smaller than this go out as they are: compression would barely shrink them.
const MIN_COMPRESS_BYTES: usize = 1024;

/// Brotli's quality (0–11). 4 compresses the largest full-catalog page (`/technique/T1059`,
/// 465 KB of HTML) in 6.6 ms to 37 KB — less time than gzip -6 takes (10 ms, 65 KB); 5 is 5%
/// smaller for 1.7× the time, 11 is 16% smaller for 100× (`examples/compress_bench.rs`,
/// docs/benchmarks.md).
const BROTLI_QUALITY: u32 = 4;
/// Brotli's quality for a large body's first answer ([`Effort::Quick`]): 0 compresses the
/// largest page in 1.6 ms (q1 2.7, q4 5.2) to 51.5 KB (q1 45.4, q4 37.4), for the one answer a
/// client waits on; the answers after it get quality 4.
const BROTLI_QUICK_QUALITY: u32 = 0;
/// Brotli's largest window (log2 bytes): 22 (4 MiB) covers every cacheable body.
const BROTLI_MAX_WINDOW: u32 = 22;
/// gzip's level, and its level for a large body's first answer (the largest page: -6 9.3 ms
/// and 65 KB, -1 2.5 ms and 97 KB).
const GZIP_LEVEL: u32 = 6;
const GZIP_QUICK_LEVEL: u32 = 1;
/// From this size on, a body's first compressed answer is made quickly and the cached coding
/// made again, better, after it ([`Effort::Quick`]): below it, brotli q4 takes under ~1 ms.
pub const QUICK_FIRST_BYTES: usize = 64 * 1024;

/// How hard to compress: `Full` for what is cached and sent from then on, `Quick` for the
/// first answer of a large page, which a client is waiting for (a browser's first visit of
/// `/technique/T1059` waited 6.6 ms for brotli q4 on top of the page's render).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    Quick,
    Full,
}

impl Effort {
    /// The effort for a body's first compressed answer.
    pub fn first_for(body: &[u8]) -> Effort {
        if body.len() >= QUICK_FIRST_BYTES {
            Effort::Quick
        } else {
            Effort::Full
        }
    }
}

/// Whether `body` is large enough for compression to be worth trying.
pub fn worth_compressing(body: &[u8]) -> bool {
    body.len() >= MIN_COMPRESS_BYTES
}

/// The gzip of `body`, or `None` when it is small or would not shrink.
pub fn gzip(body: &[u8], effort: Effort) -> Option<Bytes> {
    if !worth_compressing(body) {
        return None;
    }
    let level = match effort {
        Effort::Quick => GZIP_QUICK_LEVEL,
        Effort::Full => GZIP_LEVEL,
    };
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::new(level),
    );
    enc.write_all(body).ok()?;
    let out = enc.finish().ok()?;
    (out.len() < body.len()).then(|| Bytes::from(out))
}

/// The brotli of `body`, or `None` when it is small or would not shrink.
pub fn brotli(body: &[u8], effort: Effort) -> Option<Bytes> {
    if !worth_compressing(body) {
        return None;
    }
    let quality = match effort {
        Effort::Quick => BROTLI_QUICK_QUALITY,
        Effort::Full => BROTLI_QUALITY,
    };
    let mut out = Vec::with_capacity(body.len() / 5);
    {
        let mut enc =
            brotli::CompressorWriter::new(&mut out, 64 * 1024, quality, brotli_window(body.len()));
        enc.write_all(body).ok()?;
        enc.flush().ok()?;
    }
    (out.len() < body.len()).then(|| Bytes::from(out))
}

/// The smallest brotli window (log2 bytes, 16–22) that holds a body of `len` bytes whole:
/// a larger one compresses no better, and the encoder allocates and zeroes a ring buffer of
/// twice the window (three times at qualities 0–1) per body — 12 MiB for a 4 MiB window at
/// quality 1, which was most of the time a first answer spent compressing.
pub fn brotli_window(len: usize) -> u32 {
    // The window holds (1 << lgwin) - 16 bytes.
    len.saturating_add(16)
        .checked_next_power_of_two()
        .map_or(BROTLI_MAX_WINDOW, usize::trailing_zeros)
        .clamp(16, BROTLI_MAX_WINDOW)
}

/// A strong entity tag for `body`: a 64-bit hash and the length, quoted. The hash's seed is
/// fixed, so a restarted server gives an unchanged page the same tag (clients revalidate
/// with it). Like SipHash with the fixed keys used before, it is not meant to resist crafted
/// collisions.
pub fn etag(body: &[u8]) -> String {
    use std::hash::BuildHasher;
    let hash = foldhash::fast::FixedState::with_seed(ETAG_SEED).hash_one(body);
    format!("\"{hash:016x}-{:x}\"", body.len())
}

/// The entity tags' hash seed (any fixed value).
const ETAG_SEED: u64 = 0x6465_7463_6174_0019;

/// A content coding the server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The `Content-Encoding` value (`None` for identity, which sends no header).
    pub fn header(self) -> Option<&'static str> {
        match self {
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gzip"),
            Encoding::Identity => None,
        }
    }
}

/// What the client's `Accept-Encoding` says of the codings we have: the q-value of each
/// (0 = refused). No header means identity only (RFC 9110 §12.5.3: any coding is acceptable
/// then, but browsers always send the header and tools that send none expect plain bytes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AcceptEncoding {
    br: f32,
    gzip: f32,
}

impl AcceptEncoding {
    pub fn from_headers(headers: &HeaderMap) -> AcceptEncoding {
        let mut br = None;
        let mut gzip = None;
        let mut any = None;
        for item in headers
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
        {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            // A q-value that does not parse counts as 0: refused rather than guessed.
            let q = parts
                .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())
                .filter(|q| q.is_finite())
                .unwrap_or(0.0)
                .clamp(0.0, 1.0);
            let slot = if coding.eq_ignore_ascii_case("br") {
                &mut br
            } else if coding.eq_ignore_ascii_case("gzip") || coding.eq_ignore_ascii_case("x-gzip") {
                &mut gzip
            } else if coding == "*" {
                &mut any
            } else {
                continue;
            };
            // Listed twice: the higher value wins.
            *slot = Some(slot.map_or(q, |old: f32| old.max(q)));
        }
        let any = any.unwrap_or(0.0);
        AcceptEncoding {
            br: br.unwrap_or(any),
            gzip: gzip.unwrap_or(any),
        }
    }

    /// The coding to send when brotli and/or gzip bodies exist: the one with the higher
    /// q-value (brotli on a tie: it is smaller), identity when the client takes neither.
    pub fn choose(self, have_br: bool, have_gzip: bool) -> Encoding {
        let br = if have_br { self.br } else { 0.0 };
        let gzip = if have_gzip { self.gzip } else { 0.0 };
        if br > 0.0 && br >= gzip {
            Encoding::Brotli
        } else if gzip > 0.0 {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }
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
    fn gzip_and_brotli_round_trip_and_skip_small_bodies() {
        for effort in [Effort::Quick, Effort::Full] {
            assert!(gzip(b"short", effort).is_none());
            assert!(brotli(b"short", effort).is_none());
            let body = "<tr><td>process.name</td></tr>".repeat(200);
            let gz = gzip(body.as_bytes(), effort).unwrap();
            assert!(gz.len() < body.len() / 5);
            let mut out = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut out)
                .unwrap();
            assert_eq!(out, body);
            let br = brotli(body.as_bytes(), effort).unwrap();
            assert!(br.len() <= gz.len(), "{} > {}", br.len(), gz.len());
            let mut out = String::new();
            std::io::Read::read_to_string(&mut brotli::Decompressor::new(&br[..], 4096), &mut out)
                .unwrap();
            assert_eq!(out, body);
        }
    }

    /// Quick is what a large page's first answer gets: a different (lower) setting than the
    /// one cached after it, whose bytes are smaller on page-like text.
    #[test]
    fn quick_compression_is_a_lower_setting_and_only_for_large_bodies() {
        let body: String = (0..4000)
            .map(|i| format!("<tr><td>rule {i}</td><td>{}</td></tr>", i * 7919 % 1000))
            .collect();
        assert!(body.len() >= QUICK_FIRST_BYTES);
        assert_eq!(Effort::first_for(body.as_bytes()), Effort::Quick);
        assert_eq!(
            Effort::first_for(&body.as_bytes()[..QUICK_FIRST_BYTES - 1]),
            Effort::Full
        );
        type Coder = fn(&[u8], Effort) -> Option<Bytes>;
        let coders: [(&str, Coder); 2] = [("brotli", brotli), ("gzip", gzip)];
        for (name, coder) in coders {
            let quick = coder(body.as_bytes(), Effort::Quick).unwrap();
            let full = coder(body.as_bytes(), Effort::Full).unwrap();
            assert!(
                full.len() < quick.len(),
                "{name}: {} >= {}",
                full.len(),
                quick.len()
            );
        }
    }

    #[test]
    fn the_brotli_window_holds_the_body_whole_and_no_more() {
        assert_eq!(brotli_window(0), 16);
        assert_eq!(brotli_window(65_536 - 16), 16);
        assert_eq!(brotli_window(65_536 - 15), 17);
        assert_eq!(brotli_window(465_009), 19);
        assert_eq!(brotli_window(2 * 1024 * 1024), 22);
        assert_eq!(brotli_window(usize::MAX), 22);
    }

    fn accept(value: &str) -> AcceptEncoding {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        AcceptEncoding::from_headers(&h)
    }

    #[test]
    fn negotiation_follows_q_values_and_prefers_brotli() {
        use Encoding::{Brotli, Gzip, Identity};
        assert_eq!(
            AcceptEncoding::from_headers(&HeaderMap::new()).choose(true, true),
            Identity
        );
        let cases = [
            ("gzip, deflate, br, zstd", Brotli),
            ("br, gzip;q=0.8", Brotli),
            ("gzip", Gzip),
            ("GZIP", Gzip),
            ("br;q=0.5, gzip", Gzip),
            ("gzip;q=0, br", Brotli),
            ("br;q=0, gzip;q=0", Identity),
            ("br;q=0", Identity),
            ("*", Brotli),
            ("*;q=0.5, br;q=0", Gzip),
            ("gzip;q=0.3, *;q=0.9", Brotli),
            ("identity", Identity),
            ("deflate", Identity),
            ("gzip;q=nonsense", Identity),
            ("br;q=1.0, br;q=0", Brotli),
            ("gzip;q=0.001", Gzip),
        ];
        for (value, want) in cases {
            assert_eq!(accept(value).choose(true, true), want, "{value}");
        }
        // What exists decides too: a body too small to compress goes out as it is.
        assert_eq!(accept("br, gzip").choose(false, true), Gzip);
        assert_eq!(accept("br").choose(false, true), Identity);
        assert_eq!(accept("br, gzip").choose(false, false), Identity);
    }

    /// The tag of a body is the same in every process (a fixed seed): a restarted server
    /// answers a client's revalidation of an unchanged page with 304.
    #[test]
    fn an_entity_tag_is_the_same_in_every_process() {
        assert_eq!(etag(b"abc"), "\"005b86dedd12bc9c-3\"");
        assert_ne!(etag(b"abc"), etag(b"abd"));
        assert_ne!(etag(b""), etag(b"\0"));
    }

    #[test]
    fn if_none_match() {
        let mut h = HeaderMap::new();
        let tag = etag(b"abc");
        assert_ne!(tag, etag(b"abd"));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&tag).unwrap());
        assert!(not_modified(&h, &tag));
        assert!(!not_modified(&h, &etag(b"abd")));
    }
}

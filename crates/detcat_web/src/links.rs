//! Link building for both faces of the site: the live server (absolute `/technique/T1059`
//! paths, percent-encoded) and the static export (relative `../technique/T1059.html` paths
//! with ids sanitized into safe file names).
//!
//! Every page template builds its links through a [`Links`], so one template serves both.
//! In export mode the [`Links`] also records which pages were linked to, so the exporter can
//! write every target and no link dangles.

use std::sync::{Arc, Mutex, PoisonError};

/// A page a link points to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Technique(String),
    Rule(String, String),
    Field(String),
    Event(String),
}

/// How links are written on one page.
#[derive(Clone)]
pub struct Links {
    mode: Mode,
}

#[derive(Clone)]
enum Mode {
    Server,
    Export {
        root: String,
        seen: Arc<Mutex<Vec<Target>>>,
    },
}

impl Links {
    /// Absolute links for the live server.
    pub fn server() -> Links {
        Links { mode: Mode::Server }
    }

    /// Relative links for an exported page at `depth` folders below the export root
    /// (`index.html` is 0, `technique/T1.html` 1, `rule/sigma/x.html` 2); targets are recorded
    /// into `seen`.
    pub fn export(depth: usize, seen: Arc<Mutex<Vec<Target>>>) -> Links {
        let root = if depth == 0 {
            "./".to_owned()
        } else {
            "../".repeat(depth)
        };
        Links {
            mode: Mode::Export { root, seen },
        }
    }

    pub fn is_export(&self) -> bool {
        matches!(self.mode, Mode::Export { .. })
    }

    fn record(&self, target: Target) {
        if let Mode::Export { seen, .. } = &self.mode {
            seen.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(target);
        }
    }

    /// The link of a page that has no [`Target`]: only the mode's own form is made.
    fn page(&self, server: impl FnOnce() -> String, file: impl FnOnce() -> String) -> String {
        match &self.mode {
            Mode::Server => server(),
            Mode::Export { root, .. } => format!("{root}{}", file()),
        }
    }

    pub fn home(&self) -> String {
        self.page(|| "/".to_owned(), || "index.html".to_owned())
    }

    pub fn asset(&self, name: &str) -> String {
        self.page(|| format!("/static/{name}"), || format!("static/{name}"))
    }

    /// The page of `target`. Only the mode's own form is made: a large page links its
    /// rules several hundred times, and the export's file name (`safe_name`) was a tenth
    /// of T1059's HTML render when the server made it too and dropped it.
    pub fn to(&self, target: Target) -> String {
        let link = match &self.mode {
            Mode::Server => server_path(&target),
            Mode::Export { root, .. } => format!("{root}{}", export_file(&target)),
        };
        self.record(target);
        link
    }

    /// A server path made from borrowed parts (no [`Target`] to own them: a large page links
    /// its rules and fields hundreds of times) or, in an export, through [`Links::to`].
    fn to_parts(&self, prefix: &str, segments: &[&str], target: impl FnOnce() -> Target) -> String {
        match &self.mode {
            Mode::Server => path_of(prefix, segments),
            Mode::Export { .. } => self.to(target()),
        }
    }

    pub fn technique(&self, id: &str) -> String {
        self.to_parts(TECHNIQUE, &[id], || Target::Technique(id.to_owned()))
    }

    /// A rule's page; `vendor` is a [`detcat_model::Vendor`] or its name.
    pub fn rule(&self, vendor: &(impl AsRef<str> + ?Sized), id: &str) -> String {
        let vendor = vendor.as_ref();
        self.to_parts(RULE, &[vendor, id], || {
            Target::Rule(vendor.to_owned(), id.to_owned())
        })
    }

    pub fn field(&self, name: &str) -> String {
        self.to_parts(FIELD, &[name], || Target::Field(name.to_owned()))
    }

    /// `key` is `provider:id`.
    pub fn event(&self, key: &str) -> String {
        self.to_parts(EVENT, &[key], || Target::Event(key.to_owned()))
    }

    pub fn event_of(&self, provider: &str, event_id: &str) -> String {
        self.event(&format!("{provider}:{event_id}"))
    }

    /// The JSON twin of the page of `target` (`/api/…` or `api/….json`).
    pub fn api_twin(&self, target: &Target) -> String {
        let (server, file) = paths(target);
        match &self.mode {
            Mode::Server => format!("/api{server}"),
            Mode::Export { root, .. } => format!("{root}api/{}", json_file(&file)),
        }
    }

    /// The JSON twin of the matrix.
    pub fn api_matrix(&self) -> String {
        self.page(|| "/api/matrix".to_owned(), || "api/matrix.json".to_owned())
    }

    /// Where the search form sends its query.
    pub fn search_page(&self) -> String {
        self.page(|| "/search".to_owned(), || "search.html".to_owned())
    }

    /// A search; the static export has no search engine, its search page says so.
    pub fn search(&self, q: &str) -> String {
        self.page(
            || {
                let mut out = String::with_capacity(SEARCH.len() + q.len() + 8);
                out.push_str(SEARCH);
                encode_into(&mut out, q);
                out
            },
            || "search.html".to_owned(),
        )
    }

    /// A search for one indicator value (`value:"…"` quoted when it holds spaces); only for a
    /// [`searchable`] value.
    pub fn search_value(&self, value: &str) -> String {
        let term = if value.chars().any(char::is_whitespace) || value.contains('"') {
            format!("value:\"{}\"", value.replace('"', ""))
        } else {
            format!("value:{value}")
        };
        self.search(&term)
    }

    /// A search for exactly one indicator triple: the rules corpus reach counts.
    pub fn search_triple(&self, field: &str, operator: &str, value: &str) -> String {
        // `key:v`, or `key:"v"` without its quotes when it is empty or holds a space or quote.
        let term = |q: &mut String, key: &str, v: &str| {
            q.push_str(key);
            q.push(':');
            if v.is_empty() || v.chars().any(char::is_whitespace) || v.contains('"') {
                q.push('"');
                q.extend(v.chars().filter(|&c| c != '"'));
                q.push('"');
            } else {
                q.push_str(v);
            }
        };
        let mut q = String::with_capacity(field.len() + operator.len() + value.len() + 24);
        term(&mut q, "field", field);
        q.push(' ');
        term(&mut q, "op", operator);
        q.push(' ');
        term(&mut q, "value", value);
        self.search(&q)
    }

    /// The home matrix with filters. In the export only one filter at a time exists as a page.
    pub fn matrix(&self, vendor: Option<&str>, platform: Option<&str>) -> String {
        match &self.mode {
            Mode::Server => {
                let mut q = Vec::new();
                if let Some(v) = vendor {
                    q.push(format!("vendor={}", encode_query(v)));
                }
                if let Some(p) = platform {
                    q.push(format!("platform={}", encode_query(p)));
                }
                if q.is_empty() {
                    "/".to_owned()
                } else {
                    format!("/?{}", q.join("&"))
                }
            }
            Mode::Export { root, .. } => format!("{root}{}", matrix_file(vendor, platform)),
        }
    }
}

/// (server path, export file) of a target.
pub fn paths(t: &Target) -> (String, String) {
    (server_path(t), export_file(t))
}

const TECHNIQUE: &str = "/technique/";
const RULE: &str = "/rule/";
const FIELD: &str = "/field/";
const EVENT: &str = "/event/";
const SEARCH: &str = "/search?q=";

/// The server's path of a target.
fn server_path(t: &Target) -> String {
    match t {
        Target::Technique(id) => path_of(TECHNIQUE, &[id]),
        Target::Rule(v, id) => path_of(RULE, &[v, id]),
        Target::Field(name) => path_of(FIELD, &[name]),
        Target::Event(key) => path_of(EVENT, &[key]),
    }
}

/// `prefix` and the segments percent-encoded, `/` between them, in one string.
fn path_of(prefix: &str, segments: &[&str]) -> String {
    let len: usize = segments.iter().map(|s| s.len() + 1).sum();
    let mut out = String::with_capacity(prefix.len() + len);
    out.push_str(prefix);
    for (i, s) in segments.iter().enumerate() {
        if i > 0 {
            out.push('/');
        }
        encode_into(&mut out, s);
    }
    out
}

/// The export's file of a target.
fn export_file(t: &Target) -> String {
    match t {
        Target::Technique(id) => technique_file(id),
        Target::Rule(v, id) => rule_file(v, id),
        Target::Field(name) => field_file(name),
        Target::Event(key) => event_file(key),
    }
}

/// `technique/T1.html` → `technique/T1.json`.
pub fn json_file(html_file: &str) -> String {
    format!(
        "{}.json",
        html_file.strip_suffix(".html").unwrap_or(html_file)
    )
}

/// Relative file of a technique page inside an export.
/// Whether `value` can be searched for: the query syntax drops quotes and control
/// characters, so a value of nothing else (`\0`) would be a search for nothing (400).
pub fn searchable(value: &str) -> bool {
    value
        .chars()
        .any(|c| !c.is_control() && !c.is_whitespace() && c != '"')
}

pub fn technique_file(id: &str) -> String {
    format!("technique/{}.html", safe_name(id))
}

pub fn rule_file(vendor: &str, id: &str) -> String {
    format!("rule/{}/{}.html", safe_name(vendor), safe_name(id))
}

pub fn field_file(name: &str) -> String {
    format!("field/{}.html", safe_name(name))
}

pub fn event_file(key: &str) -> String {
    format!("event/{}.html", safe_name(key))
}

/// The export's file for the matrix with one filter (the vendor wins when both are given).
pub fn matrix_file(vendor: Option<&str>, platform: Option<&str>) -> String {
    match (vendor, platform) {
        (Some(v), _) => format!("index-vendor-{}.html", safe_name(v)),
        (None, Some(p)) => format!("index-platform-{}.html", safe_name(p)),
        (None, None) => "index.html".to_owned(),
    }
}

/// An id as one safe file-name component: ASCII letters, digits, `-`, `_` and inner `.` are
/// kept; anything else (separators, `..`, `:`, spaces, non-ASCII) becomes `_` and a hash of the
/// original is appended so two ids never share a file. Never empty, never starts with `.`,
/// bounded length.
pub fn safe_name(id: &str) -> String {
    const MAX: usize = 80;
    let mut out = String::with_capacity(id.len().min(MAX) + 17);
    let mut changed = false;
    for (i, c) in id.chars().enumerate() {
        let keep = c.is_ascii_alphanumeric() || c == '-' || c == '_' || (c == '.' && i > 0);
        if out.len() >= MAX {
            changed = true;
            break;
        }
        if keep {
            out.push(c);
        } else {
            out.push('_');
            changed = true;
        }
    }
    if out.contains("..") || out.ends_with('.') {
        out = out.replace('.', "_");
        changed = true;
    }
    if out.is_empty() {
        changed = true;
    }
    if changed {
        out.push_str(&format!("-{:016x}", fnv1a(id.as_bytes())));
    }
    out
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Percent-encodes a query-string value (the same bytes as a path segment: everything but
/// unreserved characters and `:`).
pub fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    encode_into(&mut out, s);
    out
}

/// Whether a byte stays as it is in a path segment or query value: the unreserved
/// characters and `:`.
const fn keeps(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':')
}

/// [`keeps`] for every byte value, looked up once per byte.
const KEPT: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = keeps(b as u8);
        b += 1;
    }
    table
};

/// Appends `s` to `out` percent-encoded: every byte [`keeps`] refuses as `%XX` (upper-case
/// hex).
fn encode_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(s.len());
    // Runs of kept bytes are copied whole. A kept byte is ASCII, so a run that is not empty
    // starts and ends on character boundaries; an empty one after a multi-byte character's
    // first byte does not (`get` gives `None` there, and there is nothing to copy).
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        if KEPT[usize::from(b)] {
            continue;
        }
        if let Some(run) = s.get(start..i) {
            out.push_str(run);
        }
        out.push('%');
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
        start = i + 1;
    }
    if let Some(run) = s.get(start..) {
        out.push_str(run);
    }
}

/// A URL from rule or ATT&CK data that may become an `href`: only `http(s)://` URLs, so no
/// `javascript:` or `data:` link can be planted by a rule author.
pub fn external_url(url: &str) -> Option<&str> {
    let t = url.trim();
    let b = t.as_bytes();
    let has = |prefix: &[u8]| {
        b.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    (has(b"https://") || has(b"http://")).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_only_quotes_or_control_characters_are_not_searchable() {
        assert!(searchable("regsvr32.exe"));
        assert!(searchable("a\u{0}"));
        for nothing in ["", "\u{0}", "\"\"", " \t", "\u{1}\u{1f}"] {
            assert!(!searchable(nothing), "{nothing:?}");
        }
    }

    #[test]
    fn safe_names_never_escape() {
        for hostile in [
            "..",
            "../../etc/passwd",
            "/abs",
            "a/b",
            "a\\b",
            "",
            ".hidden",
            "C:x",
            "x..y",
            "é",
            "a\0b",
        ] {
            let name = safe_name(hostile);
            assert!(!name.is_empty(), "{hostile:?}");
            assert!(!name.starts_with('.'), "{hostile:?} -> {name}");
            assert!(!name.contains(".."), "{hostile:?} -> {name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
                "{hostile:?} -> {name}"
            );
        }
    }

    #[test]
    fn safe_names_keep_plain_ids_and_separate_lookalikes() {
        assert_eq!(safe_name("T1559.001"), "T1559.001");
        assert_eq!(
            safe_name("5f9c7a3e-1b2d-4c9a-9e1f-0a1b2c3d4e5f"),
            "5f9c7a3e-1b2d-4c9a-9e1f-0a1b2c3d4e5f"
        );
        assert_ne!(safe_name("a/b"), safe_name("a_b"));
        assert_ne!(safe_name("a b"), safe_name("a:b"));
        assert!(safe_name(&"x".repeat(500)).len() < 100);
    }

    #[test]
    fn server_links_are_encoded() {
        let l = Links::server();
        assert_eq!(l.technique("T1559.001"), "/technique/T1559.001");
        assert_eq!(l.rule("sigma", "a/b c"), "/rule/sigma/a%2Fb%20c");
        assert_eq!(l.event_of("sysmon", "1"), "/event/sysmon:1");
        assert_eq!(l.search("value:a&b"), "/search?q=value:a%26b");
        assert_eq!(
            l.matrix(Some("sigma"), Some("Windows")),
            "/?vendor=sigma&platform=Windows"
        );
    }

    /// The percent-encoding of every byte value as `format!("%{b:02X}")` of each refused byte
    /// spells it, for ASCII, multi-byte characters and runs of both.
    #[test]
    fn encoding_refuses_the_same_bytes_in_runs_and_alone() {
        let slow = |s: &str| -> String {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        };
        let mut cases: Vec<String> = (0u8..128).map(|b| char::from(b).to_string()).collect();
        cases.extend(
            [
                "",
                "é",
                "aé",
                "éa",
                "ééx",
                "a b",
                "C:\\Windows\\x.exe",
                "日本語/x",
                "%41",
                "€ 1",
                "x\u{10348}y",
            ]
            .map(str::to_owned),
        );
        for c in &cases {
            assert_eq!(encode_query(c), slow(c), "{c:?}");
            assert_eq!(
                path_of("/x/", &[c, c]),
                format!("/x/{}/{}", slow(c), slow(c))
            );
        }
        let l = Links::server();
        assert_eq!(l.rule("sigma", "é/b"), "/rule/sigma/%C3%A9%2Fb");
        assert_eq!(
            l.search_triple("process.name", "equals", "a \"b\""),
            "/search?q=field:process.name%20op:equals%20value:%22a%20b%22"
        );
        assert_eq!(
            l.search_triple("f", "exists", ""),
            "/search?q=field:f%20op:exists%20value:%22%22"
        );
    }

    #[test]
    fn export_links_are_relative_and_recorded() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let l = Links::export(2, seen.clone());
        assert_eq!(l.technique("T1"), "../../technique/T1.html");
        assert_eq!(l.asset("style.css"), "../../static/style.css");
        assert_eq!(Links::export(0, seen.clone()).home(), "./index.html");
        assert_eq!(
            seen.lock().unwrap().as_slice(),
            [Target::Technique("T1".into())]
        );
    }

    #[test]
    fn only_http_urls_become_links() {
        assert_eq!(external_url(" https://x.test/a "), Some("https://x.test/a"));
        assert_eq!(external_url("HTTP://x.test"), Some("HTTP://x.test"));
        assert_eq!(external_url("javascript:alert(1)"), None);
        assert_eq!(external_url("data:text/html,x"), None);
        assert_eq!(external_url("é"), None);
    }
}

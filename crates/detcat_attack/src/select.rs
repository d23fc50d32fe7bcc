//! Choosing the newest bundle of each domain in a folder.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use detcat_model::Diagnostic;
use serde::Deserialize;

use crate::bundle;
use crate::version::{
    AttackVersion, canonical_domain, domain_from_file_name, version_from_file_name,
};

/// The bundle chosen for one domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleChoice {
    pub domain: String,
    pub version: Option<AttackVersion>,
    pub path: PathBuf,
    /// Other bundles of the same domain that lost.
    pub skipped: Vec<PathBuf>,
}

/// What a bundle says about itself without loading it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BundleProbe {
    pub domain: Option<String>,
    /// From an `x-mitre-collection` object (the matrix's `x_mitre_version` is the matrix
    /// object's own version, `1.0` in both v17 and v18, so it is not used).
    pub version: Option<AttackVersion>,
    /// Latest `modified` of any object: the tie-breaker between bundles of unknown version.
    pub latest_modified: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProbeObject {
    #[serde(rename = "type")]
    kind: String,
    modified: Option<String>,
    x_mitre_version: Option<String>,
    x_mitre_domains: Vec<String>,
    name: Option<String>,
}

/// Read a bundle just enough to learn its domain and version.
pub fn probe_bundle(path: &str, bytes: &[u8]) -> BundleProbe {
    let mut probe = BundleProbe::default();
    let Ok(text) = std::str::from_utf8(bytes) else {
        return probe;
    };
    let mut ignored = Vec::new();
    for raw in bundle::split(path, text, &mut ignored).objects {
        let Ok(o) = serde_json::from_str::<ProbeObject>(raw) else {
            continue;
        };
        if o.modified > probe.latest_modified {
            probe.latest_modified = o.modified.clone();
        }
        match o.kind.as_str() {
            "x-mitre-matrix" => {
                let d = o.x_mitre_domains.iter().find_map(|d| canonical_domain(d));
                probe.domain = d.map(str::to_owned).or(probe.domain);
            }
            "x-mitre-collection" => {
                probe.version = o.x_mitre_version.as_deref().and_then(AttackVersion::parse);
                if probe.domain.is_none() {
                    probe.domain = o
                        .name
                        .as_deref()
                        .and_then(canonical_domain)
                        .map(str::to_owned);
                }
            }
            _ => {}
        }
    }
    probe
}

/// How one candidate bundle ranks within its domain.
type Rank = (Option<AttackVersion>, Option<String>);

/// Keeps the best candidate per domain; `T` is a path or an in-memory bundle.
struct Best<T> {
    by_domain: BTreeMap<String, (Rank, T, Vec<T>)>,
}

impl<T> Best<T> {
    fn new() -> Self {
        Best {
            by_domain: BTreeMap::new(),
        }
    }

    fn offer(&mut self, domain: String, rank: Rank, item: T) {
        match self.by_domain.get_mut(&domain) {
            Some((best, kept, skipped)) => {
                if rank > *best {
                    skipped.push(std::mem::replace(kept, item));
                    *best = rank;
                } else {
                    skipped.push(item);
                }
            }
            None => {
                self.by_domain.insert(domain, (rank, item, Vec::new()));
            }
        }
    }
}

/// Domain and rank of a bundle: from its file name when that names both, else probed.
fn classify<'b>(
    path: &str,
    bytes: impl FnOnce() -> Option<Cow<'b, [u8]>>,
) -> Option<(Option<String>, Rank)> {
    let domain = domain_from_file_name(path).map(str::to_owned);
    let version = version_from_file_name(path);
    if domain.is_some() && version.is_some() {
        return Some((domain, (version, None)));
    }
    let probe = probe_bundle(path, &bytes()?);
    Some((
        probe.domain.or(domain),
        (probe.version.or(version), probe.latest_modified),
    ))
}

/// For each domain, the bundle with the highest ATT&CK version among the files at `paths`.
///
/// The file name decides when it names both domain and version (`enterprise-attack-18.1.json`);
/// otherwise the file is read and probed ([`probe_bundle`]); between bundles of unknown version
/// the most recently modified wins. Unreadable files and files of unknown domain are reported
/// and skipped.
pub fn select_bundles<P: AsRef<Path>>(paths: &[P]) -> (Vec<BundleChoice>, Vec<Diagnostic>) {
    let mut best = Best::new();
    let mut diags = Vec::new();
    for p in paths {
        let path = p.as_ref();
        let shown = path.to_string_lossy().replace('\\', "/");
        let mut read_error = None;
        let classified = classify(&shown, || match std::fs::read(path) {
            Ok(b) => Some(Cow::Owned(b)),
            Err(e) => {
                read_error = Some(e);
                None
            }
        });
        if let Some(e) = read_error {
            diags.push(crate::diagnostics::unreadable_bundle(&shown, &e));
            continue;
        }
        match classified {
            Some((Some(domain), rank)) => best.offer(domain, rank, path.to_path_buf()),
            _ => diags.push(crate::diagnostics::unknown_domain(&shown)),
        }
    }
    let choices = best
        .by_domain
        .into_iter()
        .map(|(domain, ((version, _), path, skipped))| BundleChoice {
            domain,
            version,
            path,
            skipped,
        })
        .collect();
    (choices, diags)
}

/// [`select_bundles`] for bundles already in memory (`(corpus-relative path, bytes)`, as
/// [`crate::KnowledgeBase::load`] takes them — e.g. the embedded demo corpus): the newest
/// bundle of each domain, in domain order. Bundles of unknown domain are all kept, so nothing
/// is silently dropped; the load reports them.
pub fn select_bundle_bytes<'a>(bundles: &[(&'a str, &'a [u8])]) -> Vec<(&'a str, &'a [u8])> {
    select_bundles_by(bundles, |b| b.0, |b| Some(Cow::Borrowed(b.1)))
        .into_iter()
        .copied()
        .collect()
}

/// [`select_bundle_bytes`] for bundles that are not read yet: `read` is called only for a
/// bundle whose file name does not name both its domain and its version, so a corpus that
/// keeps old releases beside the newest never reads them. A bundle `read` cannot give is
/// skipped as of unknown domain.
pub fn select_bundles_by<'t, T>(
    items: &'t [T],
    path: impl Fn(&T) -> &str,
    read: impl Fn(&T) -> Option<Cow<'_, [u8]>>,
) -> Vec<&'t T> {
    let mut best = Best::new();
    let mut unknown = Vec::new();
    for item in items {
        match classify(path(item), || read(item)) {
            Some((Some(domain), rank)) => best.offer(domain, rank, item),
            _ => unknown.push(item),
        }
    }
    let mut chosen: Vec<(&str, &'t T)> = best
        .by_domain
        .iter()
        .map(|(d, (_, item, _))| (d.as_str(), *item))
        .collect();
    chosen.sort_by_key(|(d, _)| crate::version::domain_rank(d));
    chosen
        .into_iter()
        .map(|(_, item)| item)
        .chain(unknown)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_version_per_domain_wins_by_file_name() {
        let paths = [
            "a/enterprise-attack-17.1.json",
            "a/enterprise-attack-18.1.json",
            "a/ics-attack-18.1.json",
        ];
        let (choices, diags) = select_bundles(&paths);
        assert!(diags.is_empty());
        assert_eq!(choices.len(), 2);
        assert_eq!(choices[0].domain, "enterprise-attack");
        assert_eq!(
            choices[0].path,
            PathBuf::from("a/enterprise-attack-18.1.json")
        );
        assert_eq!(
            choices[0].skipped,
            vec![PathBuf::from("a/enterprise-attack-17.1.json")]
        );
        assert_eq!(choices[1].version, Some(AttackVersion::new(18, 1)));
    }

    #[test]
    fn in_memory_selection_keeps_newest_and_unknown() {
        let e17 = ("attack/enterprise-attack-17.1.json", &b"{}"[..]);
        let e18 = ("attack/enterprise-attack-18.1.json", &b"{}"[..]);
        let ics = ("attack/ics-attack-18.1.json", &b"{}"[..]);
        let odd = ("attack/odd.json", &b"not json"[..]);
        let chosen = select_bundle_bytes(&[ics, e17, odd, e18]);
        let paths: Vec<&str> = chosen.iter().map(|(p, _)| *p).collect();
        assert_eq!(paths, vec![e18.0, ics.0, odd.0]);
    }

    #[test]
    fn unreadable_file_without_version_is_reported() {
        let (choices, diags) = select_bundles(&["/nonexistent/enterprise-attack.json"]);
        assert!(choices.is_empty());
        assert_eq!(diags[0].code, "attack::unreadable-bundle");
    }

    #[test]
    fn probe_reads_collection_version_and_matrix_domain() {
        let text = r#"{"type":"bundle","objects":[
            {"type":"x-mitre-collection","id":"x-mitre-collection--1","name":"Mobile ATT&CK","x_mitre_version":"17.0","modified":"2025-01-01T00:00:00Z"},
            {"type":"x-mitre-matrix","id":"x-mitre-matrix--1","x_mitre_domains":["mobile-attack"],"modified":"2025-02-01T00:00:00Z"}]}"#;
        let p = probe_bundle("x.json", text.as_bytes());
        assert_eq!(p.domain.as_deref(), Some("mobile-attack"));
        assert_eq!(p.version, Some(AttackVersion::new(17, 0)));
        assert_eq!(p.latest_modified.as_deref(), Some("2025-02-01T00:00:00Z"));
    }

    #[test]
    fn probed_files_compete_by_version() {
        let dir = std::env::temp_dir().join(format!("detcat-attack-select-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok();
        let bundle = |v: &str| {
            format!(
                r#"{{"type":"bundle","objects":[{{"type":"x-mitre-collection","id":"x-mitre-collection--1","name":"Enterprise ATT&CK","x_mitre_version":"{v}"}}]}}"#
            )
        };
        let a = dir.join("one.json");
        let b = dir.join("two.json");
        std::fs::write(&a, bundle("16.1")).ok();
        std::fs::write(&b, bundle("17.0")).ok();
        let (choices, _) = select_bundles(&[&a, &b]);
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(choices.len(), 1);
        assert_eq!(choices[0].path, b);
        assert_eq!(choices[0].version, Some(AttackVersion::new(17, 0)));
    }
}

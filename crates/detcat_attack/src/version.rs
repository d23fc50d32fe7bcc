//! ATT&CK release versions and domain names, from bundles and file names.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An ATT&CK release (`18.1`), not an object's own `x_mitre_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AttackVersion {
    pub major: u32,
    pub minor: u32,
}

impl AttackVersion {
    pub fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// `18.1`, `v18.1`, `18` (minor 0). Anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
        let (major, minor) = match text.split_once('.') {
            Some((a, b)) => (a, b),
            None => (text, "0"),
        };
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return None;
        }
        Some(Self {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }

    /// Detection strategies and analytics replaced the legacy detection text in v18.
    pub fn has_detection_strategies(self) -> bool {
        self.major >= 18
    }
}

impl fmt::Display for AttackVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Where a bundle's ATT&CK version came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionSource {
    /// `x_mitre_version` of the bundle's `x-mitre-collection` object (attack-stix-data bundles).
    Collection,
    /// The `-NN.N` in the file name (`enterprise-attack-18.1.json`).
    FileName,
}

/// The `-NN.N` (or `-vNN.N`) version at the end of a bundle's file name.
pub fn version_from_file_name(path: &str) -> Option<AttackVersion> {
    let name = file_stem(path);
    let (_, tail) = name.rsplit_once('-')?;
    AttackVersion::parse(tail)
}

/// The ATT&CK domain a file name names (`enterprise-attack-18.1.json` → `enterprise-attack`).
pub fn domain_from_file_name(path: &str) -> Option<&'static str> {
    let name = file_stem(path).to_ascii_lowercase();
    DOMAINS
        .iter()
        .find(|(short, _)| name.contains(short))
        .map(|(_, full)| *full)
}

/// Canonical domain name for `enterprise`, `enterprise-attack`, `mitre-attack` (a kill chain
/// name), `ICS`, … ; `None` when the text names no known domain.
pub fn canonical_domain(text: &str) -> Option<&'static str> {
    let t = text.trim().to_ascii_lowercase();
    if t == "mitre-attack" {
        return Some("enterprise-attack");
    }
    let t = t.strip_prefix("mitre-").unwrap_or(&t);
    let t = t.strip_suffix("-attack").unwrap_or(t);
    let t = t.strip_suffix(" att&ck").unwrap_or(t);
    DOMAINS
        .iter()
        .find(|(short, _)| *short == t)
        .map(|(_, full)| *full)
}

/// Known domains, in the order lookups by shortname prefer them.
pub(crate) const DOMAINS: [(&str, &str); 4] = [
    ("enterprise", "enterprise-attack"),
    ("mobile", "mobile-attack"),
    ("ics", "ics-attack"),
    ("pre", "pre-attack"),
];

/// Rank of a domain in lookup preference (enterprise first, unknown domains last).
pub(crate) fn domain_rank(domain: &str) -> usize {
    DOMAINS
        .iter()
        .position(|(_, full)| *full == domain)
        .unwrap_or(DOMAINS.len())
}

fn file_stem(path: &str) -> &str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    name.strip_suffix(".json").unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions() {
        assert_eq!(
            AttackVersion::parse("18.1"),
            Some(AttackVersion::new(18, 1))
        );
        assert_eq!(AttackVersion::parse("v17"), Some(AttackVersion::new(17, 0)));
        assert_eq!(AttackVersion::parse("attack"), None);
        assert_eq!(AttackVersion::parse("1.2.3"), None);
        assert!(AttackVersion::new(18, 1) > AttackVersion::new(17, 9));
        assert_eq!(AttackVersion::new(18, 1).to_string(), "18.1");
    }

    #[test]
    fn reads_file_names() {
        assert_eq!(
            version_from_file_name("attack/enterprise-attack-18.1.json"),
            Some(AttackVersion::new(18, 1))
        );
        assert_eq!(version_from_file_name("ics-attack.json"), None);
        assert_eq!(
            version_from_file_name("mobile-attack-v16.0.json"),
            Some(AttackVersion::new(16, 0))
        );
        assert_eq!(
            domain_from_file_name("attack/ics-attack-18.1.json"),
            Some("ics-attack")
        );
        assert_eq!(
            domain_from_file_name("x/Enterprise-Attack.json"),
            Some("enterprise-attack")
        );
        assert_eq!(domain_from_file_name("bundle.json"), None);
    }

    #[test]
    fn canonicalizes_domains() {
        assert_eq!(canonical_domain("enterprise"), Some("enterprise-attack"));
        assert_eq!(canonical_domain("mitre-attack"), Some("enterprise-attack"));
        assert_eq!(canonical_domain("mitre-ics-attack"), Some("ics-attack"));
        assert_eq!(canonical_domain("Mobile"), Some("mobile-attack"));
        assert_eq!(
            canonical_domain("Enterprise ATT&CK"),
            Some("enterprise-attack")
        );
        assert_eq!(canonical_domain("cloud"), None);
    }
}

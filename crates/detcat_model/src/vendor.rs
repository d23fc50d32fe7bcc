//! The vendor registry: every fact about a vendor that is not its parser, as data.
//!
//! Code that handles "every vendor" loops over [`Vendor::ALL`] and reads [`Vendor::info`]
//! instead of naming vendors; the parser entry point of each vendor is a [`VendorParser`]
//! implemented in the vendor's own crate (the catalog's `vendors.rs` pairs the two, since
//! this crate cannot depend on the parsers). Adding a vendor is one variant here, one
//! [`VendorInfo`] row, its crate, its taxonomy data and its tests (ARCHITECTURE.md, "Adding a
//! vendor").
//!
//! ```
//! use detcat_model::Vendor;
//!
//! for vendor in Vendor::ALL {
//!     let info = vendor.info();
//!     assert_eq!(Vendor::parse(info.name), Some(vendor));
//!     assert!(info.discovery.wants(&format!("{}/rules/x{}", info.discovery.folder, info.discovery.extensions[0])));
//! }
//! ```

use serde::{Deserialize, Serialize};

use crate::{DraftReader, FileOutcome, Language, SourceFile};

/// A rule vendor. The order of [`Vendor::ALL`] is the display order everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    Sigma,
    Elastic,
    Splunk,
}

/// Which files of a corpus belong to a vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discovery {
    /// The corpus folder (`<folder>/…`), also the vendor's name.
    pub folder: &'static str,
    /// Extensions (lower case, with the dot) of the files its parser reads anywhere below
    /// the folder.
    pub extensions: &'static [&'static str],
    /// More files its parser reads: (sub-folder prefix below the folder, extension), e.g.
    /// lookup tables next to the rules.
    pub companions: &'static [(&'static str, &'static str)],
}

impl Discovery {
    /// Does this corpus-relative path (`folder/…`) name a file the vendor's parser reads?
    /// Case-insensitive; false for paths outside the folder.
    pub fn wants(&self, rel: &str) -> bool {
        let lower = rel.to_ascii_lowercase();
        let Some(inner) = lower
            .strip_prefix(self.folder)
            .and_then(|r| r.strip_prefix('/'))
        else {
            return false;
        };
        self.extensions.iter().any(|ext| inner.ends_with(ext))
            || self
                .companions
                .iter()
                .any(|(dir, ext)| inner.starts_with(dir) && inner.ends_with(ext))
    }
}

/// Where `detcat sync` fetches a vendor's corpus from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upstream {
    /// Git repository URL.
    pub repo: &'static str,
    /// The pinned commit (the one the project's corpus tests were measured on).
    pub commit: &'static str,
    /// Top-level entries of the repository kept in the corpus folder.
    pub keep: &'static [&'static str],
}

/// Everything the workspace knows about a vendor besides its parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorInfo {
    /// Lower-case name: the JSON value, the URL and CLI word, the corpus folder.
    pub name: &'static str,
    /// Display name.
    pub title: &'static str,
    /// The query languages of its rules.
    pub languages: &'static [Language],
    /// The CSS colour the web uses for its tags (`--<name>` in `static/style.css` of detcat_web).
    pub colour: &'static str,
    /// Which corpus files its parser reads.
    pub discovery: Discovery,
    /// The field-name schema its rules use, as the taxonomy data calls it.
    pub field_schema: &'static str,
    /// Where its rules come from.
    pub upstream: Upstream,
}

const INFO: [VendorInfo; 3] = [
    VendorInfo {
        name: "sigma",
        title: "Sigma",
        languages: &[Language::Sigma],
        colour: "#2f6f3e",
        discovery: Discovery {
            folder: "sigma",
            extensions: &[".yml", ".yaml"],
            companions: &[],
        },
        field_schema: "Sysmon/Windows event fields",
        upstream: Upstream {
            repo: "https://github.com/SigmaHQ/sigma.git",
            commit: "8eaafff1f2845a696050e05e72ba1140ee190698",
            keep: &[
                "rules",
                "rules-compliance",
                "rules-dfir",
                "rules-emerging-threats",
                "rules-placeholder",
                "rules-threat-hunting",
                "deprecated",
                "unsupported",
                "regression_data",
                "LICENSE",
            ],
        },
    },
    VendorInfo {
        name: "elastic",
        title: "Elastic",
        languages: &[
            Language::Kuery,
            Language::Eql,
            Language::Esql,
            Language::Lucene,
            Language::None,
        ],
        colour: "#0b6e8c",
        discovery: Discovery {
            folder: "elastic",
            extensions: &[".toml"],
            companions: &[],
        },
        field_schema: "ECS",
        upstream: Upstream {
            repo: "https://github.com/elastic/detection-rules.git",
            commit: "14cf530f0d2177023092449cd9d9348b4a8884c2",
            keep: &["rules", "rules_building_block", "LICENSE.txt"],
        },
    },
    VendorInfo {
        name: "splunk",
        title: "Splunk",
        languages: &[Language::Spl],
        colour: "#7a3f9d",
        discovery: Discovery {
            folder: "splunk",
            extensions: &[".yml", ".yaml"],
            companions: &[("lookups/", ".csv")],
        },
        field_schema: "CIM",
        upstream: Upstream {
            repo: "https://github.com/splunk/security_content.git",
            commit: "b13b314aed0e1778335a55620474e7d27289a20a",
            keep: &["detections", "macros", "data_sources", "stories", "LICENSE"],
        },
    },
];

impl Vendor {
    /// Every vendor, in display order.
    pub const ALL: [Vendor; 3] = [Vendor::Sigma, Vendor::Elastic, Vendor::Splunk];

    /// Position in [`Vendor::ALL`]: an index for per-vendor arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The registry row of this vendor.
    pub fn info(self) -> &'static VendorInfo {
        // `Vendor` is a fieldless enum numbered in the order of `ALL` and `INFO`.
        &INFO[self as usize]
    }

    pub fn as_str(self) -> &'static str {
        self.info().name
    }

    /// Display name (`Sigma`, `Elastic`, …).
    pub fn title(self) -> &'static str {
        self.info().title
    }

    /// The vendor of a lower-case name (case-insensitive).
    pub fn parse(s: &str) -> Option<Vendor> {
        Vendor::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }

    /// The vendor whose corpus folder starts this corpus-relative path.
    pub fn of_path(rel: &str) -> Option<Vendor> {
        let folder = rel.split_once('/').map_or(rel, |(f, _)| f);
        Vendor::ALL
            .into_iter()
            .find(|v| v.info().discovery.folder.eq_ignore_ascii_case(folder))
    }

    /// The names of all vendors joined by `sep` (`sigma, elastic, …` for help texts).
    pub fn names(sep: &str) -> String {
        Vendor::ALL.map(Vendor::as_str).join(sep)
    }
}

impl std::fmt::Display for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A vendor's parser entry point, implemented by each vendor crate.
pub trait VendorParser: Sync {
    /// The vendor this parser reads.
    fn vendor(&self) -> Vendor;

    /// One outcome per file, in the same order. `files` are every file of the vendor's corpus
    /// folder that its [`Discovery`] wants (rules and companions such as macros).
    fn parse_files(&self, files: &[SourceFile]) -> Vec<FileOutcome>;

    /// Does `text` look like one of this vendor's rule files? A draft without a stated
    /// language is read by the first vendor of [`Vendor::ALL`] that says yes.
    fn is_rule_file(&self, text: &str) -> bool;

    /// The word naming the rule-file format in review reports (`yaml`, `toml`).
    fn rule_file_format(&self) -> &'static str;

    /// Sub-folders of the vendor's corpus folder whose files a draft is read against (macros,
    /// lookup tables); none by default.
    fn draft_companions(&self) -> &'static [&'static str] {
        &[]
    }

    /// A reader of drafts over `companions` (the corpus files below
    /// [`draft_companions`](Self::draft_companions), paths relative to the corpus).
    fn draft_reader(&self, companions: &[SourceFile]) -> Box<dyn DraftReader>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_rows_follow_the_enum() {
        for (i, v) in Vendor::ALL.into_iter().enumerate() {
            assert_eq!(v.index(), i);
            assert_eq!(v.info().discovery.folder, v.as_str());
            assert_eq!(Vendor::of_path(&format!("{}/a/b.x", v.as_str())), Some(v));
        }
        assert_eq!(Vendor::of_path("attack/x.json"), None);
    }

    #[test]
    fn discovery_reads_rules_and_companions_only() {
        let splunk = Vendor::Splunk.info().discovery;
        assert!(splunk.wants("splunk/detections/a.YML"));
        assert!(splunk.wants("splunk/lookups/t.csv"));
        assert!(!splunk.wants("splunk/other/t.csv"));
        assert!(!splunk.wants("sigma/rules/a.yml"));
        assert!(!Vendor::Elastic.info().discovery.wants("elastic/README.md"));
    }
}

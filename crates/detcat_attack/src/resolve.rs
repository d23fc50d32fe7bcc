//! Answers for rule tags written against another ATT&CK version than the one loaded.
//!
//! Sigma (August 2026) already tags ~1,500 rules with `attack.stealth` and
//! `attack.defense-impairment`: ATT&CK split Defense Evasion (TA0005) into those two tactics
//! after v18, while the newest bundle here is v18.1. [`KnowledgeBase::resolve_tactic_tag`] maps
//! such tactics onto the loaded version's tactic instead of dropping the tag.

use serde::Serialize;

use crate::kb::{KnowledgeBase, shortname_of};
use crate::model::{Tactic, Technique};

/// What a tactic tag means in the loaded ATT&CK version.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum TacticResolution<'kb> {
    /// The tactic exists in the loaded version.
    Known { tactic: &'kb Tactic },
    /// The tactic belongs to another ATT&CK version; `to` is its counterpart here.
    Mapped {
        from: String,
        to: &'kb Tactic,
        note: &'static str,
    },
    /// Not a tactic of any version we know.
    Unknown,
}

/// Tactics renamed or split between ATT&CK versions: `(from, to, note)`. A mapping applies
/// only when `from` is not a tactic of the loaded version and `to` is.
const TACTIC_MAP: [(&str, &str, &str); 3] = [
    (
        "stealth",
        "defense-evasion",
        "Stealth was split out of Defense Evasion (TA0005) after ATT&CK v18; mapped to Defense Evasion of the loaded version",
    ),
    (
        "defense-impairment",
        "defense-evasion",
        "Defense Impairment was split out of Defense Evasion (TA0005) after ATT&CK v18; mapped to Defense Evasion of the loaded version",
    ),
    (
        "defense-evasion",
        "stealth",
        "Defense Evasion was split into Stealth and Defense Impairment after ATT&CK v18; mapped to Stealth, check whether the rule rather impairs defenses",
    ),
];

/// Is a technique current, and if not, what replaces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum TechniqueCheck {
    Ok,
    /// Deprecated without replacement.
    Deprecated,
    /// Revoked; `replacement` is the end of the `revoked-by` chain when there is one.
    Revoked {
        replacement: Option<String>,
    },
    /// Not in the loaded bundles.
    Unknown,
}

/// Longest `revoked-by` chain followed before giving up (real chains have length 1).
const MAX_REVOKED_CHAIN: usize = 16;

impl KnowledgeBase {
    /// Resolve a rule's tactic tag (`execution`, `attack.defense-evasion`, `stealth`) against
    /// the loaded version.
    pub fn resolve_tactic_tag(&self, tag: &str) -> TacticResolution<'_> {
        let short = shortname_of(tag);
        if let Some(tactic) = self.tactic(&short) {
            return TacticResolution::Known { tactic };
        }
        for (from, to, note) in TACTIC_MAP {
            if from == short
                && let Some(to) = self.tactic(to)
            {
                return TacticResolution::Mapped {
                    from: short,
                    to,
                    note,
                };
            }
        }
        TacticResolution::Unknown
    }

    /// Is a technique id (`T1086`, `t1059.001`) current in the loaded version?
    pub fn check_technique(&self, id: &str) -> TechniqueCheck {
        let Some(t) = self.technique(id) else {
            return TechniqueCheck::Unknown;
        };
        if t.meta.revoked {
            return TechniqueCheck::Revoked {
                replacement: self.replacement(t).map(|r| r.id.clone()),
            };
        }
        if t.meta.deprecated {
            TechniqueCheck::Deprecated
        } else {
            TechniqueCheck::Ok
        }
    }

    /// Follow `revoked-by` to the technique that replaces a revoked one (`None` when the
    /// chain breaks or loops).
    pub fn replacement<'a>(&'a self, technique: &'a Technique) -> Option<&'a Technique> {
        let mut current = technique;
        for _ in 0..MAX_REVOKED_CHAIN {
            if !current.meta.revoked {
                return Some(current);
            }
            current = self.technique(current.revoked_by.as_deref()?)?;
        }
        None
    }

    /// The tactics of a technique from its kill chain phases, in matrix order. A revoked
    /// technique gives its replacement's tactics.
    pub fn tactics_of_technique(&self, id: &str) -> Vec<&Tactic> {
        let Some(mut t) = self.technique(id) else {
            return Vec::new();
        };
        if t.meta.revoked
            && let Some(r) = self.replacement(t)
        {
            t = r;
        }
        let mut out: Vec<&Tactic> = Vec::new();
        for phase in &t.tactics {
            let found = phase
                .id
                .as_deref()
                .and_then(|i| self.tactics.get(i))
                .or_else(|| self.tactic_in(&phase.domain, &phase.shortname));
            if let Some(tactic) = found
                && !out.iter().any(|o| std::ptr::eq(*o, tactic))
            {
                out.push(tactic);
            }
        }
        let rank = |tac: &Tactic| {
            tac.meta
                .domains
                .iter()
                .find_map(|d| {
                    self.tactics_in_order(d)
                        .iter()
                        .position(|o| std::ptr::eq(*o, tac))
                })
                .unwrap_or(usize::MAX)
        };
        out.sort_by_key(|t| rank(t));
        out
    }
}

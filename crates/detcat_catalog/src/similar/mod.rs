//! Similarity across vendors over canonical triples (issue 13).
//!
//! Every rule is reduced to four sets read from the catalog: its indicator triples, its
//! exclusion triples, its selector triples and the telemetry events it needs. Two rules look
//! for the same thing when they share *rare* indicators: the score is an IDF-weighted cosine
//! over indicator triples (a triple used by 2 rules weighs far more than `process.name eq
//! cmd.exe`; a triple on a field of few values, such as `network.initiated eq true`, weighs
//! little: it says where to look, like a selector), plus a little context — the events (or,
//! when either rule has none, the selectors) they read and the exclusions they share:
//!
//! ```text
//! score = 0.80 · cos_w(indicators) + 0.15 · overlap(events | selectors) + 0.05 · cos_w(exclusions)
//! ```
//!
//! Only rules sharing at least one indicator are candidates. *Subsumption* is flagged where it
//! can be decided on the predicates: both rules read the same selectors and events, and one's
//! indicator set holds every indicator of the other.
//!
//! The index is built once per open catalog (see [`crate::Catalog::similarity`]) and answers
//! from memory; [`SimilarityIndex::probe`] takes the triple sets of a rule that is not in the
//! catalog (a draft under review).

mod clusters;
mod index;

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

pub use clusters::{CLUSTER_THRESHOLD, Cluster, ClusterMember, ClusterPage};
pub use index::{RuleEntry, SimilarityIndex, TripleKey};

/// One index for every catalog connection of a pool: built once, read by all.
pub type SharedIndex = std::sync::Arc<std::sync::OnceLock<std::sync::Arc<SimilarityIndex>>>;

/// Weights of the three parts of the score (they sum to 1).
const W_INDICATORS: f64 = 0.80;
const W_CONTEXT: f64 = 0.15;
const W_EXCLUSIONS: f64 = 0.05;

/// Longest list of shared or unique triples a match carries (the counts are complete).
pub const MAX_LISTED_TRIPLES: usize = 25;

/// What a probe is made of: the canonical triple sets of one rule.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    pub indicators: BTreeSet<TripleKey>,
    pub exclusions: BTreeSet<TripleKey>,
    pub selectors: BTreeSet<TripleKey>,
    pub events: BTreeSet<String>,
}

/// One rule found similar to a probe.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimilarRule {
    pub vendor: String,
    pub id: String,
    pub title: String,
    pub lifecycle: String,
    /// 0..=1, see the module documentation.
    pub score: f64,
    /// The IDF-weighted cosine of the indicator sets alone.
    pub indicator_score: f64,
    /// `same` (same selectors, same indicators), `includes` (the probe's indicators hold all of
    /// this rule's, same selectors), `included` (the other way round), or absent.
    pub subsumption: Option<String>,
    /// Technique ids the rule is tagged with.
    pub techniques: Vec<String>,
    pub shared: TripleLists,
    /// What this rule checks that the probe does not.
    pub only_other: TripleLists,
    /// What the probe checks that this rule does not.
    pub only_probe: TripleLists,
}

/// Indicators and exclusions, each as `field operator value`, with complete counts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TripleLists {
    pub indicators: Vec<TripleView>,
    pub indicators_total: usize,
    pub exclusions: Vec<TripleView>,
    pub exclusions_total: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TripleView {
    pub field: String,
    pub operator: String,
    pub value: String,
    /// Active rules (any technique) with this triple in the same role.
    pub reach: u32,
}

/// `detcat similar ID`: the rule and the rules of every vendor that look for the same thing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimilarPage {
    pub vendor: String,
    pub id: String,
    pub title: String,
    pub indicators: usize,
    pub similar: Vec<SimilarRule>,
}

/// Which rules a query considers.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Leave out rules of this vendor (the rule page's "other vendors").
    pub other_vendor_than: Option<String>,
    /// Leave out this rule (the probe itself).
    pub exclude_rule: Option<usize>,
    /// Only rules tagged with this technique.
    pub technique: Option<String>,
}

/// A candidate before it is turned into a view.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scored {
    pub rule: usize,
    pub score: f64,
    pub indicator_score: f64,
}

impl SimilarityIndex {
    /// The rules most similar to `probe`, best first, at most `limit`.
    pub fn similar(&self, probe: &Probe, filter: &Filter, limit: usize) -> Vec<SimilarRule> {
        let resolved = self.resolve(probe);
        let mut scored = self.score_all(&resolved, filter);
        scored.truncate(limit);
        scored
            .into_iter()
            .map(|s| self.view(&resolved, s))
            .collect()
    }

    /// The page of `detcat similar`: `key` is a rule id or `vendor/id`.
    pub fn page(&self, key: &str, limit: usize) -> Option<SimilarPage> {
        let idx = self.find(key)?;
        let entry = &self.rules[idx];
        let probe = self.probe_of(idx);
        let filter = Filter {
            exclude_rule: Some(idx),
            ..Filter::default()
        };
        Some(SimilarPage {
            vendor: entry.vendor.clone(),
            id: entry.id.clone(),
            title: entry.title.clone(),
            indicators: entry.indicators.len(),
            similar: self.similar(&probe, &filter, limit),
        })
    }

    /// The rule page's "Same idea in other vendors".
    pub fn other_vendors(&self, vendor: &str, id: &str, limit: usize) -> Vec<SimilarRule> {
        let Some(idx) = self.find(&format!("{vendor}/{id}")) else {
            return Vec::new();
        };
        let filter = Filter {
            exclude_rule: Some(idx),
            other_vendor_than: Some(vendor.to_owned()),
            technique: None,
        };
        self.similar(&self.probe_of(idx), &filter, limit)
    }

    /// For every active rule with indicators, its best match (any vendor, itself left out):
    /// the clustering pass, timed by the benchmark. Returns (rule, best match, score).
    pub fn best_matches(&self) -> Vec<(usize, Option<usize>, f64)> {
        (0..self.rules.len())
            .filter(|&i| self.rules[i].active && !self.rules[i].indicators.is_empty())
            .map(|i| {
                let resolved = Resolved::of_rule(self, i);
                let filter = Filter {
                    exclude_rule: Some(i),
                    ..Filter::default()
                };
                let best = self.score_all(&resolved, &filter).into_iter().next();
                (i, best.map(|b| b.rule), best.map_or(0.0, |b| b.score))
            })
            .collect()
    }

    /// Scores every candidate (rules sharing an indicator), best first; ties by vendor and id.
    pub(crate) fn score_all(&self, probe: &Resolved, filter: &Filter) -> Vec<Scored> {
        // Accumulate the shared indicator weight per candidate through the postings.
        let mut dot: HashMap<usize, f64> = HashMap::new();
        for &t in &probe.indicators {
            let w = self.weight(t);
            for &r in self.postings(t) {
                *dot.entry(r).or_insert(0.0) += w * w;
            }
        }
        let mut out: Vec<Scored> = dot
            .into_iter()
            .filter(|&(r, _)| self.admits(r, filter))
            .map(|(r, shared)| {
                let other = &self.rules[r];
                let norm = (probe.indicator_norm * other.indicator_norm).sqrt();
                let indicator_score = if norm > 0.0 {
                    (shared / norm).min(1.0)
                } else {
                    0.0
                };
                let context = if !probe.events.is_empty() && !other.events.is_empty() {
                    overlap(&probe.events, &other.events)
                } else {
                    overlap(&probe.selectors, &other.selectors)
                };
                let exclusions = self.weighted_cosine(
                    &probe.exclusions,
                    probe.exclusion_norm,
                    &other.exclusions,
                    other.exclusion_norm,
                );
                Scored {
                    rule: r,
                    score: W_INDICATORS * indicator_score
                        + W_CONTEXT * context
                        + W_EXCLUSIONS * exclusions,
                    indicator_score,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| self.rules[a.rule].vendor.cmp(&self.rules[b.rule].vendor))
                .then_with(|| self.rules[a.rule].id.cmp(&self.rules[b.rule].id))
        });
        out
    }

    fn admits(&self, r: usize, filter: &Filter) -> bool {
        let rule = &self.rules[r];
        rule.active
            && filter.exclude_rule != Some(r)
            && filter
                .other_vendor_than
                .as_ref()
                .is_none_or(|v| &rule.vendor != v)
            && filter
                .technique
                .as_ref()
                .is_none_or(|t| rule.techniques.iter().any(|rt| rt == t))
    }

    fn weighted_cosine(&self, a: &[u32], na: f64, b: &[u32], nb: f64) -> f64 {
        if a.is_empty() || b.is_empty() {
            return 0.0;
        }
        let shared: f64 = sorted_intersection(a, b)
            .map(|t| self.weight(t).powi(2))
            .sum();
        let norm = (na * nb).sqrt();
        if norm > 0.0 {
            (shared / norm).min(1.0)
        } else {
            0.0
        }
    }

    fn view(&self, probe: &Resolved, s: Scored) -> SimilarRule {
        let other = &self.rules[s.rule];
        // The same event stream: same selectors and the same events.
        let same_selectors = probe.unknown_context == 0
            && probe.selectors == other.selectors
            && probe.events == other.events;
        let probe_has_all = is_subset(&other.indicators, &probe.indicators);
        let other_has_all =
            is_subset(&probe.indicators, &other.indicators) && probe.unknown_indicators.is_empty();
        let subsumption = match (same_selectors, probe_has_all, other_has_all) {
            (true, true, true) => Some("same"),
            (true, true, false) => Some("includes"),
            (true, false, true) => Some("included"),
            _ => None,
        };
        let list = |ids: Vec<u32>, extra: &[TripleKey]| -> (Vec<TripleView>, usize) {
            let total = ids.len() + extra.len();
            let mut views: Vec<TripleView> = ids.iter().map(|&t| self.triple_view(t)).collect();
            views.extend(extra.iter().map(|k| TripleView {
                field: k.field.clone(),
                operator: k.operator.clone(),
                value: k.value.clone(),
                reach: 0,
            }));
            // Rarest first: they say most about what the rule looks for.
            views.sort_by(|a, b| a.reach.cmp(&b.reach).then_with(|| a.field.cmp(&b.field)));
            views.truncate(MAX_LISTED_TRIPLES);
            (views, total)
        };
        let lists = |ind: (Vec<TripleView>, usize), exc: (Vec<TripleView>, usize)| TripleLists {
            indicators: ind.0,
            indicators_total: ind.1,
            exclusions: exc.0,
            exclusions_total: exc.1,
        };
        let shared = lists(
            list(
                sorted_intersection(&probe.indicators, &other.indicators).collect(),
                &[],
            ),
            list(
                sorted_intersection(&probe.exclusions, &other.exclusions).collect(),
                &[],
            ),
        );
        let only_other = lists(
            list(sorted_difference(&other.indicators, &probe.indicators), &[]),
            list(sorted_difference(&other.exclusions, &probe.exclusions), &[]),
        );
        let only_probe = lists(
            list(
                sorted_difference(&probe.indicators, &other.indicators),
                &probe.unknown_indicators,
            ),
            list(
                sorted_difference(&probe.exclusions, &other.exclusions),
                &probe.unknown_exclusions,
            ),
        );
        SimilarRule {
            vendor: other.vendor.clone(),
            id: other.id.clone(),
            title: other.title.clone(),
            lifecycle: if other.active { "active" } else { "inactive" }.to_owned(),
            score: round3(s.score),
            indicator_score: round3(s.indicator_score),
            subsumption: subsumption.map(str::to_owned),
            techniques: other.techniques.clone(),
            shared,
            only_other,
            only_probe,
        }
    }
}

/// A probe with its triples mapped onto the index (unknown triples kept apart: they are in
/// no other rule, so they only weigh in the probe's norm).
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolved {
    pub indicators: Vec<u32>,
    pub exclusions: Vec<u32>,
    pub selectors: Vec<u32>,
    pub events: Vec<u32>,
    pub unknown_indicators: Vec<TripleKey>,
    pub unknown_exclusions: Vec<TripleKey>,
    /// Selectors and events of the probe no rule of the index has.
    pub unknown_context: usize,
    pub indicator_norm: f64,
    pub exclusion_norm: f64,
}

impl Resolved {
    pub(crate) fn of_rule(index: &SimilarityIndex, i: usize) -> Resolved {
        let r = &index.rules[i];
        Resolved {
            indicators: r.indicators.clone(),
            exclusions: r.exclusions.clone(),
            selectors: r.selectors.clone(),
            events: r.events.clone(),
            unknown_indicators: Vec::new(),
            unknown_exclusions: Vec::new(),
            unknown_context: 0,
            indicator_norm: r.indicator_norm,
            exclusion_norm: r.exclusion_norm,
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Overlap coefficient |A∩B| / min(|A|, |B|): a Sigma rule reading `sysmon:3` and an
/// Elastic rule reading `sysmon:3` plus `endpoint:network` read the same events.
fn overlap(a: &[u32], b: &[u32]) -> f64 {
    let smaller = a.len().min(b.len());
    if smaller == 0 {
        return 0.0;
    }
    sorted_intersection(a, b).count() as f64 / smaller as f64
}

/// Elements of both sorted, deduplicated slices.
pub(crate) fn sorted_intersection<'a>(
    a: &'a [u32],
    b: &'a [u32],
) -> impl Iterator<Item = u32> + 'a {
    a.iter()
        .copied()
        .filter(move |x| b.binary_search(x).is_ok())
}

pub(crate) fn sorted_difference(a: &[u32], b: &[u32]) -> Vec<u32> {
    a.iter()
        .copied()
        .filter(|x| b.binary_search(x).is_err())
        .collect()
}

/// Is every element of `small` in `big` (both sorted)? An empty set is in nothing here: a
/// rule without indicators subsumes or is subsumed by nothing that can be decided.
fn is_subset(small: &[u32], big: &[u32]) -> bool {
    !small.is_empty() && small.iter().all(|x| big.binary_search(x).is_ok())
}

#[cfg(test)]
mod tests;

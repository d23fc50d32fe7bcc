//! A technique's rules grouped into clusters of near-duplicates (issue 13).
//!
//! Two active rules of the technique are linked when their similarity score reaches the
//! threshold (default [`CLUSTER_THRESHOLD`]); a cluster is a connected group of linked rules
//! (single linkage), so every member has a near-duplicate in its cluster, across vendors.
//! A detection engineer reads a cluster as "these rules look for the same thing": pick the
//! best of them, or learn what one vendor checks that another does not.

use serde::{Deserialize, Serialize};

use super::{Filter, MAX_LISTED_TRIPLES, SimilarityIndex, TripleView, round3, sorted_intersection};

/// Score from which two rules of a technique count as near-duplicates: mostly the same
/// rare indicators (see the module documentation of [`super`] for the score).
pub const CLUSTER_THRESHOLD: f64 = 0.8;

/// `detcat similar --technique T`, and the technique page's clusters.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterPage {
    pub technique: String,
    /// Active rules of the technique with at least one indicator (the ones compared).
    pub rules: usize,
    pub threshold: f64,
    /// Largest first; rules in no cluster are not listed.
    pub clusters: Vec<Cluster>,
    /// Rules of the technique that are in some cluster.
    pub clustered: usize,
}

/// Rules that look for the same thing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cluster {
    pub members: Vec<ClusterMember>,
    /// Vendors of the members, sorted.
    pub vendors: Vec<String>,
    /// Indicators every member has, rarest first (at most [`MAX_LISTED_TRIPLES`]).
    pub shared: Vec<TripleView>,
    pub shared_total: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterMember {
    pub vendor: String,
    pub id: String,
    pub title: String,
    /// The member's best score to another member.
    pub best: f64,
}

impl SimilarityIndex {
    /// The clusters of near-duplicates among the active rules tagged with `technique`.
    pub fn clusters(&self, technique: &str, threshold: f64) -> ClusterPage {
        let members: Vec<usize> = (0..self.rules.len())
            .filter(|&i| {
                let r = &self.rules[i];
                r.active && !r.indicators.is_empty() && r.techniques.iter().any(|t| t == technique)
            })
            .collect();
        let position = |rule: usize| members.binary_search(&rule).ok();
        let mut parent: Vec<usize> = (0..members.len()).collect();
        let mut best = vec![0.0f64; members.len()];
        for (a, &rule) in members.iter().enumerate() {
            let filter = Filter {
                exclude_rule: Some(rule),
                technique: Some(technique.to_owned()),
                ..Filter::default()
            };
            let probe = super::Resolved::of_rule(self, rule);
            for s in self.score_all(&probe, &filter) {
                if s.score < threshold {
                    break; // best first
                }
                let Some(b) = position(s.rule) else { continue };
                best[a] = best[a].max(s.score);
                best[b] = best[b].max(s.score);
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                if ra != rb {
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
        let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
        for a in 0..members.len() {
            let root = find(&mut parent, a);
            groups.entry(root).or_default().push(a);
        }
        let mut clusters: Vec<Cluster> = groups
            .into_values()
            .filter(|g| g.len() > 1)
            .map(|g| self.cluster(&members, &g, &best))
            .collect();
        clusters.sort_by(|a, b| {
            b.members
                .len()
                .cmp(&a.members.len())
                .then_with(|| b.vendors.len().cmp(&a.vendors.len()))
                .then_with(|| a.members[0].id.cmp(&b.members[0].id))
        });
        ClusterPage {
            technique: technique.to_owned(),
            rules: members.len(),
            threshold,
            clustered: clusters.iter().map(|c| c.members.len()).sum(),
            clusters,
        }
    }

    fn cluster(&self, members: &[usize], group: &[usize], best: &[f64]) -> Cluster {
        let mut out: Vec<ClusterMember> = group
            .iter()
            .filter_map(|&a| {
                let r = self.rules.get(*members.get(a)?)?;
                Some(ClusterMember {
                    vendor: r.vendor.clone(),
                    id: r.id.clone(),
                    title: r.title.clone(),
                    best: round3(best.get(a).copied().unwrap_or(0.0)),
                })
            })
            .collect();
        out.sort_by(|a, b| a.vendor.cmp(&b.vendor).then_with(|| a.title.cmp(&b.title)));
        let mut vendors: Vec<String> = out.iter().map(|m| m.vendor.clone()).collect();
        vendors.dedup();
        let mut shared: Option<Vec<u32>> = None;
        for &a in group {
            let Some(r) = members.get(a).and_then(|&i| self.rules.get(i)) else {
                continue;
            };
            shared = Some(match shared {
                None => r.indicators.clone(),
                Some(s) => sorted_intersection(&s, &r.indicators).collect(),
            });
        }
        let shared = shared.unwrap_or_default();
        let mut views: Vec<TripleView> = shared.iter().map(|&t| self.triple_view(t)).collect();
        views.sort_by(|a, b| a.reach.cmp(&b.reach).then_with(|| a.field.cmp(&b.field)));
        views.truncate(MAX_LISTED_TRIPLES);
        Cluster {
            members: out,
            vendors,
            shared: views,
            shared_total: shared.len(),
        }
    }
}

/// Union-find root, with path halving.
fn find(parent: &mut [usize], mut a: usize) -> usize {
    while let Some(&p) = parent.get(a) {
        if p == a {
            break;
        }
        let grand = parent.get(p).copied().unwrap_or(p);
        if let Some(slot) = parent.get_mut(a) {
            *slot = grand;
        }
        a = grand;
    }
    a
}

//! The priority ("gap") score: how much adversaries use a technique, discounted by how well the
//! public rules already cover it. docs/scoring.md explains the choices; the technique page
//! prints [`FORMULA`].
//!
//! Every part is a fixed function of one technique's own figures — no corpus-wide maximum —
//! so a score can be recomputed from the technique's JSON alone, and adding a technique never
//! moves another's score.
//!
//! ```
//! use detcat_catalog::scoring::{Inputs, priority};
//! use detcat_catalog::views::{CoverageView, VendorCounts};
//!
//! let p = priority(&Inputs {
//!     ctid_cumulative: Some(2.9),
//!     ctid_rank: Some((1, 625)),
//!     groups: 200, software: 0, campaigns: 0,
//!     coverage: CoverageView::default(),
//! });
//! assert_eq!(p.threat, 1.0);
//! assert_eq!(p.score, 1.0); // heavily used, no rule at all
//! ```

use crate::views::{CoverageView, PriorityComponents, PriorityInputs, PriorityView};

/// Groups + software + campaigns at which usage saturates (log scale below it).
pub const USAGE_SATURATION: f64 = 200.0;
/// Rules (all vendors) at which depth saturates.
pub const RULES_SATURATION: f64 = 20.0;
/// Distinct indicators at which indicator variety saturates.
pub const INDICATORS_SATURATION: f64 = 50.0;
/// The vendors whose rules detcat reads.
pub const VENDORS: f64 = detcat_model::Vendor::ALL.len() as f64;

/// The formula in one paragraph, as the page and `detcat top` print it.
pub const FORMULA: &str = "gap = threat × (1 − coverage). threat = (ctid + usage) / 2, or usage \
alone when CTID did not score the technique; ctid = 1 − (CTID rank − 1) / CTID techniques ranked \
(the CTID percentile: 1 for the top technique); usage = \
min(ln(1 + groups + software + campaigns) / ln(201), 1). coverage = (0.4 × vendors + 0.3 × depth \
+ 0.3 × indicators) × (0.5 + 0.5 × normalized share); vendors = vendors with a rule / 3; depth = \
min(ln(1 + rules) / ln(21), 1); indicators = min(ln(1 + distinct indicators) / ln(51), 1); \
normalized share = fully normalized rules / rules (0 without rules). A parent technique counts \
the rules of its sub-techniques too.";

/// What the score is computed from.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// `None`: CTID did not score the technique (newer than the data) — never read as 0.
    pub ctid_cumulative: Option<f64>,
    /// CTID rank and how many techniques CTID ranked (`None` when not scored).
    pub ctid_rank: Option<(u64, u64)>,
    pub groups: u64,
    pub software: u64,
    pub campaigns: u64,
    pub coverage: CoverageView,
}

/// `ln(1 + n) / ln(1 + saturation)`, capped at 1: the first few rules or users matter most.
fn saturating_log(n: f64, saturation: f64) -> f64 {
    ((1.0 + n.max(0.0)).ln() / (1.0 + saturation).ln()).min(1.0)
}

/// Computes the priority of one technique.
pub fn priority(inputs: &Inputs) -> PriorityView {
    // A percentile, not cumulative / max: CTID's cumulative scores bunch low (median ≈ 0.23 of
    // a 2.91 maximum), which would make every scored technique look less threatening than an
    // unscored one weighed by usage alone. The rank puts both halves on the same 0–1 footing.
    let ctid = inputs
        .ctid_rank
        .filter(|(_, ranked)| *ranked > 0)
        .map(|(rank, ranked)| 1.0 - (rank.saturating_sub(1) as f64 / ranked as f64));
    let actors = (inputs.groups + inputs.software + inputs.campaigns) as f64;
    let usage = saturating_log(actors, USAGE_SATURATION);
    let threat = match ctid {
        Some(c) => (c + usage) / 2.0,
        None => usage,
    };
    let cov = &inputs.coverage;
    let by_vendor = &cov.rules_by_vendor;
    let vendors_with_rules = [by_vendor.sigma, by_vendor.elastic, by_vendor.splunk]
        .iter()
        .filter(|n| **n > 0)
        .count() as f64;
    let vendors = vendors_with_rules / VENDORS;
    let depth = saturating_log(cov.rules as f64, RULES_SATURATION);
    let indicators = saturating_log(cov.indicators as f64, INDICATORS_SATURATION);
    let normalized_share = if cov.rules == 0 {
        0.0
    } else {
        (cov.normalized as f64 / cov.rules as f64).min(1.0)
    };
    let coverage =
        (0.4 * vendors + 0.3 * depth + 0.3 * indicators) * (0.5 + 0.5 * normalized_share);
    PriorityView {
        score: threat * (1.0 - coverage),
        threat,
        coverage,
        components: PriorityComponents {
            ctid,
            usage,
            vendors,
            depth,
            indicators,
            normalized_share,
        },
        inputs: PriorityInputs {
            ctid_cumulative: inputs.ctid_cumulative,
            ctid_rank: inputs.ctid_rank.map(|r| r.0),
            ctid_ranked: inputs.ctid_rank.map(|r| r.1),
            groups: inputs.groups,
            software: inputs.software,
            campaigns: inputs.campaigns,
            coverage: inputs.coverage.clone(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::VendorCounts;

    fn inputs(ctid: Option<f64>, actors: u64, rules: (u64, u64, u64), normalized: u64) -> Inputs {
        let rules_by_vendor = VendorCounts {
            sigma: rules.0,
            elastic: rules.1,
            splunk: rules.2,
        };
        Inputs {
            ctid_cumulative: ctid,
            // Cumulative 9 stands for the top rank, 0 for the bottom, anything else the middle.
            ctid_rank: ctid.map(|c| match c {
                c if c >= 9.0 => (1, 600),
                0.0 => (600, 600),
                _ => (300, 600),
            }),
            groups: actors,
            software: 0,
            campaigns: 0,
            coverage: CoverageView {
                rules: rules_by_vendor.total(),
                rules_by_vendor,
                normalized,
                indicators: normalized * 2,
                events: 1,
                includes_subtechniques: false,
            },
        }
    }

    #[test]
    fn an_unscored_technique_is_weighed_by_usage_alone_not_by_a_zero() {
        let scored_zero = priority(&inputs(Some(0.0), 10, (0, 0, 0), 0));
        let unscored = priority(&inputs(None, 10, (0, 0, 0), 0));
        assert_eq!(unscored.components.ctid, None);
        assert!(unscored.threat > scored_zero.threat);
        assert_eq!(unscored.threat, unscored.components.usage);
    }

    #[test]
    fn more_rules_in_more_vendors_lower_the_gap() {
        let none = priority(&inputs(Some(1.5), 50, (0, 0, 0), 0));
        let one_vendor = priority(&inputs(Some(1.5), 50, (5, 0, 0), 5));
        let three_vendors = priority(&inputs(Some(1.5), 50, (5, 5, 5), 15));
        assert_eq!(none.coverage, 0.0);
        assert!(none.score > one_vendor.score && one_vendor.score > three_vendors.score);
        assert_eq!(none.threat, three_vendors.threat);
    }

    #[test]
    fn rules_that_do_not_normalize_cover_less() {
        let normalized = priority(&inputs(Some(1.0), 5, (4, 4, 4), 12));
        let opaque = priority(&inputs(Some(1.0), 5, (4, 4, 4), 0));
        assert!(opaque.coverage < normalized.coverage);
        assert_eq!(opaque.components.normalized_share, 0.0);
    }

    #[test]
    fn scores_stay_within_zero_and_one_even_beyond_saturation() {
        let p = priority(&inputs(Some(9.0), 10_000, (500, 500, 500), 1500));
        for v in [
            p.score,
            p.threat,
            p.coverage,
            p.components.usage,
            p.components.depth,
        ] {
            assert!((0.0..=1.0).contains(&v), "{v}");
        }
        assert_eq!(p.components.ctid, Some(1.0));
        assert_eq!(p.coverage, 1.0);
        assert_eq!(p.score, 0.0);
    }
}

//! Similarity on the embedded demo catalog.

use super::*;
use crate::Catalog;

const SIGMA_NET: &str = "6c3e8d2f-9a4b-4e7c-8f1d-2b3c4d5e6f70";
const ELASTIC_NET: &str = "6d1f0c6e-5a0b-4f43-9b3e-3c5a1b2d7e03";

fn demo() -> Catalog {
    Catalog::demo().expect("demo catalog builds")
}

#[test]
fn regsvr32_network_rules_find_each_other_across_vendors() {
    let catalog = demo();
    let page = catalog
        .similar(&format!("sigma/{SIGMA_NET}"), 10)
        .expect("query")
        .expect("the demo has this rule");
    assert!(page.indicators > 0);
    let elastic = page
        .similar
        .iter()
        .find(|s| s.id == ELASTIC_NET)
        .expect("the Elastic regsvr32 network rule is similar");
    assert!(elastic.score > 0.0);
    assert!(
        elastic
            .shared
            .indicators
            .iter()
            .any(|t| t.value.contains("regsvr32.exe")),
        "{:?}",
        elastic.shared
    );
    // Never the rule itself; best first.
    assert!(page.similar.iter().all(|s| s.id != SIGMA_NET));
    assert!(page.similar.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn the_rule_page_lists_other_vendors_only() {
    let catalog = demo();
    let page = catalog.rule(SIGMA_NET).expect("query").expect("rule");
    assert!(!page.same_idea.is_empty());
    assert!(page.same_idea.len() <= 5);
    assert!(page.same_idea.iter().all(|s| s.vendor != "sigma"));
}

#[test]
fn an_unknown_rule_has_no_page() {
    assert!(demo().similar("no-such-rule", 5).expect("query").is_none());
}

#[test]
fn subsumption_is_decided_on_same_selectors_only() {
    let catalog = demo();
    let index = catalog.similarity().expect("index");
    let i = index.find(SIGMA_NET).expect("rule");
    // A probe with the rule's own selectors and one indicator more includes the rule.
    let mut probe = index.probe_of(i);
    probe.indicators.insert(TripleKey {
        field: "process.command_line".into(),
        operator: "contains".into(),
        value: "only-in-this-probe".into(),
    });
    let hits = index.similar(&probe, &Filter::default(), 50);
    let own = hits.iter().find(|s| s.id == SIGMA_NET).expect("itself");
    assert_eq!(own.subsumption.as_deref(), Some("includes"));
    assert_eq!(own.only_probe.indicators_total, 1);
    // With other selectors nothing is decided.
    probe.selectors.clear();
    probe.selectors.insert(TripleKey {
        field: "event.category".into(),
        operator: "eq".into(),
        value: "file".into(),
    });
    let hits = index.similar(&probe, &Filter::default(), 50);
    let own = hits.iter().find(|s| s.id == SIGMA_NET).expect("itself");
    assert_eq!(own.subsumption, None);
}

#[test]
fn clustering_pass_covers_every_active_rule_with_indicators() {
    let catalog = demo();
    let index = catalog.similarity().expect("index");
    let best = index.best_matches();
    assert!(!best.is_empty());
    assert!(best.iter().all(|(i, m, _)| Some(*i) != *m));
}

#[test]
fn clusters_are_disjoint_groups_of_near_duplicates_of_the_technique() {
    let catalog = demo();
    let index = catalog.similarity().expect("index");
    let mut any = false;
    for t in catalog.technique_ids().expect("ids") {
        for threshold in [0.5, CLUSTER_THRESHOLD] {
            let page = index.clusters(&t, threshold);
            let mut seen = std::collections::BTreeSet::new();
            for c in &page.clusters {
                any = true;
                assert!(c.members.len() >= 2, "{t}: {c:?}");
                for m in &c.members {
                    assert!(m.best >= threshold - 1e-9, "{t}: {m:?}");
                    assert!(
                        seen.insert((m.vendor.clone(), m.id.clone())),
                        "{t}: in two clusters"
                    );
                }
                let mut vendors: Vec<&str> = c.members.iter().map(|m| m.vendor.as_str()).collect();
                vendors.dedup();
                assert_eq!(c.vendors, vendors);
            }
            assert_eq!(page.clustered, seen.len());
            assert!(page.clustered <= page.rules);
        }
    }
    assert!(any, "the demo corpus has near-duplicates at 0.5");
}

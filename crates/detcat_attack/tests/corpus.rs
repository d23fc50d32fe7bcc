//! Conformance over the real ATT&CK bundles in `$DETCAT_CORPUS/attack`.
//!
//! Unset `DETCAT_CORPUS` skips these tests (with a note); a set but missing path fails them.
//! Object counts are recomputed here independently, with `serde_json::Value`, and compared
//! with what the knowledge base says it read.

use std::collections::BTreeMap;
use std::path::PathBuf;

use detcat_attack::{KnowledgeBase, TacticResolution, TechniqueCheck, select_bundles};

const BUNDLES: [&str; 3] = [
    "enterprise-attack-18.1.json",
    "enterprise-attack-17.1.json",
    "ics-attack-18.1.json",
];

fn corpus() -> Option<PathBuf> {
    let Some(root) = std::env::var_os("DETCAT_CORPUS") else {
        eprintln!("note: DETCAT_CORPUS is unset; skipping ATT&CK corpus tests");
        return None;
    };
    let root = PathBuf::from(root);
    assert!(
        root.join("attack").is_dir(),
        "DETCAT_CORPUS={} has no attack/ folder",
        root.display()
    );
    Some(root)
}

fn read(root: &std::path::Path, name: &str) -> Vec<u8> {
    let path = root.join("attack").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn load(root: &std::path::Path, names: &[&str]) -> KnowledgeBase {
    let files: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|n| (format!("attack/{n}"), read(root, n)))
        .collect();
    let input: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let (kb, diags) = KnowledgeBase::load(&input);
    assert!(diags.is_empty(), "{names:?}: {diags:#?}");
    kb
}

/// Objects per type and the STIX ids of the types we must load, counted without detcat_attack.
fn independent_count(bytes: &[u8]) -> (BTreeMap<String, usize>, BTreeMap<String, Vec<String>>) {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    let mut counts = BTreeMap::new();
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for o in v
        .get("objects")
        .and_then(|o| o.as_array())
        .into_iter()
        .flatten()
    {
        let t = o
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or("")
            .to_string();
        *counts.entry(t.clone()).or_insert(0) += 1;
        ids.entry(t).or_default().push(
            o.get("id")
                .and_then(|i| i.as_str())
                .unwrap_or("")
                .to_string(),
        );
    }
    (counts, ids)
}

#[test]
fn counts_equal_the_files_and_every_object_loads() {
    let Some(root) = corpus() else { return };
    for name in BUNDLES {
        let bytes = read(&root, name);
        let (expected, ids) = independent_count(&bytes);
        let kb = load(&root, &[name]);
        let counts = kb.counts();
        assert_eq!(counts.per_domain.len(), 1, "{name}");
        let got = counts
            .per_domain
            .values()
            .next()
            .cloned()
            .unwrap_or_default();
        assert_eq!(got, expected, "{name}");
        let none = Vec::new();
        let missing = |t: &str, found: &dyn Fn(&str) -> bool| -> Vec<String> {
            ids.get(t)
                .unwrap_or(&none)
                .iter()
                .filter(|i| !found(i))
                .cloned()
                .collect()
        };
        assert_eq!(
            missing("attack-pattern", &|i| kb.technique(i).is_some()),
            Vec::<String>::new(),
            "{name}"
        );
        assert_eq!(
            missing("x-mitre-tactic", &|i| kb.tactic(i).is_some()),
            Vec::<String>::new(),
            "{name}"
        );
        assert_eq!(
            missing("x-mitre-detection-strategy", &|i| kb
                .detection_strategy(i)
                .is_some()),
            Vec::<String>::new()
        );
        assert_eq!(
            missing("x-mitre-analytic", &|i| kb.analytic(i).is_some()),
            Vec::<String>::new(),
            "{name}"
        );
        assert_eq!(
            missing("x-mitre-data-component", &|i| kb
                .data_component(i)
                .is_some()),
            Vec::<String>::new()
        );
        assert_eq!(
            missing("course-of-action", &|i| kb.mitigation(i).is_some()),
            Vec::<String>::new(),
            "{name}"
        );
        assert_eq!(
            missing("intrusion-set", &|i| kb.actor(i).is_some()),
            Vec::<String>::new(),
            "{name}"
        );
        assert_eq!(
            kb.techniques().count(),
            expected.get("attack-pattern").copied().unwrap_or(0),
            "{name}"
        );
    }
}

#[test]
fn two_domains_load_into_one_knowledge_base() {
    let Some(root) = corpus() else { return };
    let kb = load(
        &root,
        &["enterprise-attack-18.1.json", "ics-attack-18.1.json"],
    );
    let counts = kb.counts();
    for name in ["enterprise-attack-18.1.json", "ics-attack-18.1.json"] {
        let (expected, _) = independent_count(&read(&root, name));
        let domain = if name.starts_with("ics") {
            "ics-attack"
        } else {
            "enterprise-attack"
        };
        assert_eq!(counts.per_domain.get(domain), Some(&expected), "{name}");
    }
    assert_eq!(kb.domains(), vec!["enterprise-attack", "ics-attack"]);
    assert_eq!(kb.tactics_in_order("enterprise").len(), 14);
    assert_eq!(
        kb.tactics_in_order("ics").first().map(|t| t.id.as_str()),
        Some("TA0108")
    );
    // `execution` exists in both domains: Enterprise wins the bare lookup.
    assert_eq!(
        kb.tactic("execution").map(|t| t.id.as_str()),
        Some("TA0002")
    );
    assert_eq!(
        kb.tactic_in("ics", "execution").map(|t| t.id.as_str()),
        Some("TA0104")
    );
    assert_eq!(
        kb.technique("T0807").map(|t| t.meta.domains.clone()),
        Some(vec!["ics-attack".to_string()])
    );
}

#[test]
fn t1559_001_under_v18_and_v17() {
    let Some(root) = corpus() else { return };
    let kb = load(&root, &["enterprise-attack-18.1.json"]);
    let t = kb.technique("T1559.001").expect("T1559.001 in v18.1");
    assert_eq!(t.parent.as_deref(), Some("T1559"));
    assert_eq!(
        kb.tactics_of_technique("T1559.001")
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        vec!["Execution"]
    );
    assert_eq!(t.platforms, vec!["Windows"]);
    assert!(t.mitigations.contains(&"M1048".to_string()));
    assert!(t.groups_count >= 3, "{}", t.groups_count);
    assert!(kb.legacy_detection("T1559.001").is_none());
    let views = kb.detection_strategies_for("T1559.001");
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].strategy.id, "DET0224");
    assert_eq!(
        views[0].analytics.first().map(|a| a.analytic.id.as_str()),
        Some("AN0628")
    );
    let dcs: Vec<&str> = views[0].data_components.iter().map(|d| d.key()).collect();
    assert!(
        dcs.contains(&"DC0032") && dcs.contains(&"DC0016"),
        "{dcs:?}"
    );
    assert_eq!(
        kb.version("enterprise").map(|v| v.to_string()),
        Some("18.1".into())
    );

    let old = load(&root, &["enterprise-attack-17.1.json"]);
    let text = old
        .legacy_detection("T1559.001")
        .expect("v17.1 legacy detection");
    assert!(text.contains("COM"), "{text}");
    assert!(old.detection_strategies_for("T1559.001").is_empty());
    let dcs: Vec<&str> = old
        .data_components_for("T1559.001")
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert!(
        dcs.contains(&"Process Creation") && dcs.contains(&"Module Load"),
        "{dcs:?}"
    );
    let cited = old
        .technique("T1559.001")
        .and_then(|t| t.cited_detection())
        .unwrap_or_default();
    assert!(cited.unresolved.is_empty() && !cited.references.is_empty());
}

/// Every cited text of a knowledge base — descriptions of techniques, tactics, mitigations,
/// actors and analytics, and legacy detection texts — as (numbered references, unresolved
/// names prefixed with `label` and the object id).
fn citations(kb: &detcat_attack::KnowledgeBase, label: &str) -> (usize, Vec<String>) {
    let mut unresolved = Vec::new();
    let mut total = 0;
    let mut check = |id: &str, c: detcat_attack::CitedText| {
        total += c.references.len();
        unresolved.extend(
            c.unresolved
                .into_iter()
                .map(|u| format!("{label} {id}: {u}")),
        );
    };
    for t in kb.techniques() {
        check(&t.id, t.cited_description());
        if let Some(d) = t.cited_detection() {
            check(&t.id, d);
        }
    }
    kb.tactics()
        .for_each(|t| check(&t.id, t.cited_description()));
    kb.mitigations()
        .for_each(|m| check(&m.id, m.cited_description()));
    kb.actors()
        .for_each(|a| check(&a.id, a.cited_description()));
    kb.analytics()
        .for_each(|a| check(&a.id, a.cited_description()));
    (total, unresolved)
}

#[test]
fn every_enterprise_citation_resolves() {
    let Some(root) = corpus() else { return };
    let mut unresolved = Vec::new();
    let mut total = 0;
    for name in ["enterprise-attack-18.1.json", "enterprise-attack-17.1.json"] {
        let (n, u) = citations(&load(&root, &[name]), name);
        total += n;
        unresolved.extend(u);
    }
    eprintln!(
        "{total} numbered references, {} unresolved",
        unresolved.len()
    );
    assert!(total > 5000, "{total}");
    assert_eq!(unresolved, Vec::<String>::new());
}

/// ICS descriptions cite sources whose names hold parentheses (`CISA Alert (TA17-163A)`);
/// they must resolve too.
#[test]
fn every_ics_citation_resolves() {
    let Some(root) = corpus() else { return };
    let (total, unresolved) = citations(&load(&root, &["ics-attack-18.1.json"]), "ics");
    eprintln!(
        "ics: {total} numbered references, {} unresolved",
        unresolved.len()
    );
    assert!(total > 200, "{total}");
    assert_eq!(unresolved, Vec::<String>::new());
}

#[test]
fn revoked_techniques_redirect() {
    let Some(root) = corpus() else { return };
    let kb = load(&root, &["enterprise-attack-18.1.json"]);
    assert_eq!(
        kb.check_technique("T1086"),
        TechniqueCheck::Revoked {
            replacement: Some("T1059.001".into())
        }
    );
    assert_eq!(
        kb.check_technique("attack.t1117".trim_start_matches("attack.")),
        TechniqueCheck::Revoked {
            replacement: Some("T1218.010".into())
        }
    );
    assert_eq!(kb.check_technique("T1175"), TechniqueCheck::Deprecated);
    let revoked = kb.techniques().filter(|t| t.meta.revoked).count();
    let redirected = kb
        .techniques()
        .filter(|t| t.meta.revoked && kb.replacement(t).is_some())
        .count();
    assert_eq!((revoked, redirected), (132, 132));
}

#[test]
fn every_sigma_tactic_tag_resolves() {
    let Some(root) = corpus() else { return };
    let sigma = root.join("sigma");
    if !sigma.is_dir() {
        eprintln!("note: no sigma/ in DETCAT_CORPUS; skipping");
        return;
    }
    let kb = load(&root, &["enterprise-attack-18.1.json"]);
    let mut tags: BTreeMap<String, usize> = BTreeMap::new();
    for entry in walkdir::WalkDir::new(&sigma).into_iter().flatten() {
        if entry.path().extension().is_none_or(|e| e != "yml") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines() {
            let Some(tag) = line.trim().strip_prefix("- attack.") else {
                continue;
            };
            if !tag.is_empty() && tag.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                *tags.entry(tag.to_string()).or_default() += 1;
            }
        }
    }
    let mut mapped = BTreeMap::new();
    for (tag, n) in &tags {
        match kb.resolve_tactic_tag(tag) {
            TacticResolution::Known { .. } => {}
            TacticResolution::Mapped { to, .. } => {
                mapped.insert(tag.clone(), (to.id.clone(), *n));
            }
            TacticResolution::Unknown => {
                panic!("sigma tag attack.{tag} ({n} rules) resolves to no tactic")
            }
        }
    }
    eprintln!("sigma tactic tags: {tags:?}; mapped: {mapped:?}");
    assert_eq!(mapped.get("stealth").map(|m| m.0.as_str()), Some("TA0005"));
    assert_eq!(
        mapped.get("defense-impairment").map(|m| m.0.as_str()),
        Some("TA0005")
    );
}

#[test]
fn select_bundles_picks_the_newest_per_domain() {
    let Some(root) = corpus() else { return };
    let paths: Vec<PathBuf> = BUNDLES
        .iter()
        .map(|b| root.join("attack").join(b))
        .collect();
    let (choices, diags) = select_bundles(&paths);
    assert!(diags.is_empty(), "{diags:#?}");
    let picked: Vec<(String, String)> = choices
        .iter()
        .map(|c| {
            (
                c.domain.clone(),
                c.path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        picked,
        vec![
            (
                "enterprise-attack".to_string(),
                "enterprise-attack-18.1.json".to_string()
            ),
            ("ics-attack".to_string(), "ics-attack-18.1.json".to_string()),
        ]
    );
}

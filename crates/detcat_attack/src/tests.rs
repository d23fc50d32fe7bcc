//! Knowledge-base tests over the demo bundle (written by us, shipped with the catalog) and over
//! small malformed bundles.

use detcat_model::Diagnostic;

use crate::{KnowledgeBase, TacticResolution, TechniqueCheck};

const DEMO: &str = include_str!("../../detcat_catalog/demo/attack/demo-attack.json");
const DEMO_PATH: &str = "attack/demo-attack.json";

fn demo() -> KnowledgeBase {
    let (kb, diags) = KnowledgeBase::load(&[(DEMO_PATH, DEMO.as_bytes())]);
    assert!(diags.is_empty(), "{diags:#?}");
    kb
}

fn load(text: &str) -> (KnowledgeBase, Vec<Diagnostic>) {
    KnowledgeBase::load(&[("attack/test.json", text.as_bytes())])
}

fn codes(diags: &[Diagnostic]) -> Vec<&str> {
    diags.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn demo_subtechnique_has_parent_tactic_platform() {
    let kb = demo();
    let t = kb.technique("T1559.001").expect("T1559.001");
    assert_eq!(t.name, "Component Object Model");
    assert_eq!(t.parent.as_deref(), Some("T1559"));
    assert_eq!(t.tactics.len(), 1);
    assert_eq!(t.tactics[0].id.as_deref(), Some("TA0002"));
    assert_eq!(t.platforms, vec!["Windows"]);
    assert_eq!(
        t.meta.url.as_deref(),
        Some("https://attack.mitre.org/techniques/T1559/001")
    );
    assert_eq!(t.mitigations, vec!["M1048"]);
    assert_eq!((t.groups_count, t.software_count), (1, 0));
    let subs: Vec<&str> = kb
        .subtechniques("T1218")
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(subs, vec!["T1218.010"]);
}

#[test]
fn demo_detection_strategy_with_analytics_and_components() {
    let kb = demo();
    let views = kb.detection_strategies_for("T1559.001");
    assert_eq!(views.len(), 1);
    let v = &views[0];
    assert_eq!(v.strategy.id, "DET0224");
    let analytics: Vec<&str> = v.analytics.iter().map(|a| a.analytic.id.as_str()).collect();
    assert_eq!(analytics, vec!["AN0628", "AN9001"]);
    let dcs: Vec<&str> = v.data_components.iter().map(|d| d.key()).collect();
    assert_eq!(dcs, vec!["DC0032", "DC0016", "DC0035", "DC0082"]);
    assert_eq!(
        v.analytics[0].analytic.log_sources[0].channel,
        "EventCode=1"
    );
    assert_eq!(v.analytics[0].analytic.strategy.as_deref(), Some("DET0224"));
    assert_eq!(
        kb.data_component("dc0082").map(|d| d.name.as_str()),
        Some("Network Connection Creation")
    );
    assert!(kb.legacy_detection("T1559.001").is_none());
    assert_eq!(kb.data_components_for("T1559.001").len(), 4);
}

#[test]
fn demo_tactics_in_matrix_order_and_lookup() {
    let kb = demo();
    let order: Vec<&str> = kb
        .tactics_in_order("enterprise")
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(order, vec!["TA0002", "TA0005"]);
    assert_eq!(
        kb.tactic("defense-evasion").map(|t| t.id.as_str()),
        Some("TA0005")
    );
    assert_eq!(
        kb.tactic("Defense Evasion").map(|t| t.id.as_str()),
        Some("TA0005")
    );
    assert_eq!(
        kb.tactic("ta0002").map(|t| t.shortname.as_str()),
        Some("execution")
    );
    assert_eq!(
        kb.version("enterprise-attack").map(|v| v.to_string()),
        Some("18.1".into())
    );
    assert_eq!(kb.bundles()[0].stix_version.as_deref(), Some("2.1"));
}

#[test]
fn demo_revoked_and_deprecated_techniques() {
    let kb = demo();
    assert_eq!(
        kb.check_technique("T1086"),
        TechniqueCheck::Revoked {
            replacement: Some("T1059.001".into())
        }
    );
    assert_eq!(
        kb.check_technique("t1117"),
        TechniqueCheck::Revoked {
            replacement: Some("T1218.010".into())
        }
    );
    assert_eq!(kb.check_technique("T1175"), TechniqueCheck::Deprecated);
    assert_eq!(kb.check_technique("T1559.001"), TechniqueCheck::Ok);
    assert_eq!(kb.check_technique("T9999"), TechniqueCheck::Unknown);
    let tactics: Vec<&str> = kb
        .tactics_of_technique("T1117")
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(tactics, vec!["TA0005"]);
}

#[test]
fn future_tactic_tags_map_onto_defense_evasion() {
    let kb = demo();
    match kb.resolve_tactic_tag("attack.stealth") {
        TacticResolution::Mapped { from, to, .. } => {
            assert_eq!(from, "stealth");
            assert_eq!(to.id, "TA0005");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(kb.resolve_tactic_tag("defense-impairment"), TacticResolution::Mapped { to, .. } if to.id == "TA0005")
    );
    assert!(
        matches!(kb.resolve_tactic_tag("execution"), TacticResolution::Known { tactic } if tactic.id == "TA0002")
    );
    assert!(matches!(
        kb.resolve_tactic_tag("attack.t1059"),
        TacticResolution::Unknown
    ));
}

#[test]
fn demo_citations_resolve() {
    let kb = demo();
    for t in kb.techniques() {
        let c = t.cited_description();
        assert!(c.unresolved.is_empty(), "{}: {:?}", t.id, c.unresolved);
        assert!(!c.text.contains("(Citation:"), "{}", t.id);
    }
    let c = kb
        .technique("T1559.001")
        .map(|t| t.cited_description())
        .unwrap_or_default();
    assert_eq!(c.references.len(), 1);
    assert!(c.text.contains("`dllhost.exe`"));
}

#[test]
fn demo_counts_match_the_file() {
    let kb = demo();
    let c = kb.counts();
    assert_eq!(c.get("enterprise", "attack-pattern"), 9);
    assert_eq!(c.get("enterprise", "relationship"), 9);
    assert_eq!(c.get("enterprise", "x-mitre-collection"), 1);
    assert_eq!(
        c.per_domain
            .values()
            .flat_map(|m| m.values())
            .sum::<usize>(),
        31
    );
}

#[test]
fn knowledge_base_serializes() {
    let kb = demo();
    let json = serde_json::to_string(&kb).unwrap_or_default();
    assert!(json.contains("\"T1559.001\""));
    let view = serde_json::to_string(&kb.detection_strategies_for("T1559.001")).unwrap_or_default();
    assert!(view.contains("AN0628"));
}

#[test]
fn truncated_demo_keeps_what_came_before() {
    let cut = DEMO.len() / 2;
    let (kb, diags) = load(DEMO.get(..cut).unwrap_or(""));
    assert!(
        codes(&diags).contains(&"attack::invalid-json"),
        "{diags:#?}"
    );
    assert!(kb.technique("T1559").is_some());
    let span = diags
        .iter()
        .find(|d| d.code == "attack::invalid-json")
        .and_then(|d| d.span);
    assert_eq!(span.map(|s| s.start as usize), Some(cut));
}

#[test]
fn wrong_property_type_skips_only_that_object() {
    let (kb, diags) = load(
        r#"{"type":"bundle","objects":[
        {"type":"attack-pattern","id":"attack-pattern--a","name":"Ok","external_references":[{"source_name":"mitre-attack","external_id":"T0001"}]},
        {"type":"attack-pattern","id":"attack-pattern--b","name":42},
        {"type":"attack-pattern","id":"attack-pattern--c","description":["not","text"]},
        {"type":"x-mitre-asset","id":"x-mitre-asset--d","name":{"odd":true}},
        "not an object"]}"#,
    );
    assert_eq!(kb.technique_count(), 1);
    let invalid: Vec<_> = diags
        .iter()
        .filter(|d| d.code == "attack::invalid-object")
        .collect();
    assert_eq!(invalid.len(), 3, "{diags:#?}");
    assert!(
        invalid
            .iter()
            .all(|d| d.span.is_some() && d.path == "attack/test.json")
    );
    assert_eq!(kb.counts().get("unknown", "x-mitre-asset"), 1);
}

#[test]
fn wrong_property_types_in_a_plain_bundle_skip_only_their_objects() {
    // Every element an object: the objects come from the unchecked scan (`scan.rs`), and the
    // reads that fail on a type are diagnostics there, each once.
    let (kb, diags) = load(
        r#"{"type":"bundle","objects":[
        {"type":"attack-pattern","id":"attack-pattern--a","name":"Ok","external_references":[{"source_name":"mitre-attack","external_id":"T0001"}]},
        {"type":"attack-pattern","id":"attack-pattern--b","name":42},
        {"type":"attack-pattern","id":"attack-pattern--c","description":["not","text"]}]}"#,
    );
    assert_eq!(kb.technique_count(), 1);
    assert_eq!(
        codes(&diags)
            .iter()
            .filter(|c| **c == "attack::invalid-object")
            .count(),
        2,
        "{diags:#?}"
    );
}

#[test]
fn an_object_that_is_not_json_is_reported_as_by_the_checked_split() {
    // The scan finds three objects; the second is not JSON, so the bundle goes back to the
    // checked split: the diagnostic points at the bad byte, the object before it is kept, and
    // nothing is reported twice.
    let text = r#"{"type":"bundle","objects":[
        {"type":"attack-pattern","id":"attack-pattern--a","name":42},
        {"type":"attack-pattern","id":"attack-pattern--b","name":tru},
        {"type":"attack-pattern","id":"attack-pattern--c","name":"C","external_references":[{"source_name":"mitre-attack","external_id":"T0003"}]}]}"#;
    let (kb, diags) = load(text);
    assert_eq!(
        codes(&diags),
        vec!["attack::invalid-json", "attack::invalid-object"],
        "{diags:#?}"
    );
    let at = diags
        .iter()
        .find(|d| d.code == "attack::invalid-json")
        .and_then(|d| d.span)
        .map(|s| s.start as usize);
    assert_eq!(at, text.find("tru}").map(|i| i + 3));
    assert_eq!(kb.technique_count(), 0);
}

#[test]
fn dangling_references_are_reported() {
    let (kb, diags) = load(
        r#"{"type":"bundle","objects":[
        {"type":"x-mitre-matrix","id":"x-mitre-matrix--m","x_mitre_domains":["enterprise-attack"],"tactic_refs":["x-mitre-tactic--gone"]},
        {"type":"attack-pattern","id":"attack-pattern--a","external_references":[{"source_name":"mitre-attack","external_id":"T0001"}],
         "kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"nowhere"}]},
        {"type":"relationship","id":"relationship--r","relationship_type":"uses","source_ref":"intrusion-set--gone","target_ref":"attack-pattern--a"},
        {"type":"x-mitre-detection-strategy","id":"x-mitre-detection-strategy--s","x_mitre_analytic_refs":["x-mitre-analytic--gone"],
         "external_references":[{"source_name":"mitre-attack","external_id":"DET0001"}]}]}"#,
    );
    let dangling = diags
        .iter()
        .filter(|d| d.code == "attack::dangling-reference")
        .count();
    assert_eq!(dangling, 4, "{diags:#?}");
    assert_eq!(kb.technique("T0001").map(|t| t.groups_count), Some(0));
}

#[test]
fn technique_without_attack_id_is_known_by_stix_id() {
    let (kb, diags) = load(
        r#"{"type":"bundle","objects":[{"type":"attack-pattern","id":"attack-pattern--n","name":"No id"}]}"#,
    );
    assert!(codes(&diags).contains(&"attack::missing-attack-id"));
    assert_eq!(
        kb.technique("attack-pattern--n").map(|t| t.id.as_str()),
        Some("attack-pattern--n")
    );
}

#[test]
fn not_json_not_utf8_and_empty_input() {
    let (_, d) = load("");
    assert_eq!(codes(&d), vec!["attack::invalid-json"]);
    let (_, d) = KnowledgeBase::load(&[("attack/bin.json", &[0xff, 0xfe, 0x00][..])]);
    assert_eq!(codes(&d), vec!["attack::not-utf8"]);
    let (_, d) = load(r#"{"type":"bundle","objects":[{"type":"attack-pattern"}]}"#);
    assert!(codes(&d).contains(&"attack::missing-id"), "{d:#?}");
}

#[test]
fn deep_nesting_inside_an_object_is_reported() {
    let deep = format!(
        r#"{{"type":"bundle","objects":[{{"type":"attack-pattern","id":"attack-pattern--x","name":{}1{}}}]}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let (kb, d) = load(&deep);
    assert_eq!(kb.technique_count(), 0);
    assert!(codes(&d).contains(&"attack::invalid-object"), "{d:#?}");
}

#[test]
fn revoked_by_cycle_gives_no_replacement() {
    let (kb, diags) = load(
        r#"{"type":"bundle","objects":[
        {"type":"attack-pattern","id":"attack-pattern--a","revoked":true,"external_references":[{"source_name":"mitre-attack","external_id":"T0001"}]},
        {"type":"attack-pattern","id":"attack-pattern--b","revoked":true,"external_references":[{"source_name":"mitre-attack","external_id":"T0002"}]},
        {"type":"relationship","id":"relationship--1","relationship_type":"revoked-by","source_ref":"attack-pattern--a","target_ref":"attack-pattern--b"},
        {"type":"relationship","id":"relationship--2","relationship_type":"revoked-by","source_ref":"attack-pattern--b","target_ref":"attack-pattern--a"}]}"#,
    );
    assert_eq!(
        kb.check_technique("T0001"),
        TechniqueCheck::Revoked { replacement: None }
    );
    assert!(codes(&diags).contains(&"attack::revoked-cycle"));
}

#[test]
fn merging_two_domains_unions_shared_objects() {
    let shared = r#"{"type":"x-mitre-data-component","id":"x-mitre-data-component--p","name":"Process Creation","modified":"2025-01-01T00:00:00Z",
        "external_references":[{"source_name":"mitre-attack","external_id":"DC0032"}],"x_mitre_domains":["enterprise-attack","ics-attack"]}"#;
    let a = format!(
        r#"{{"type":"bundle","objects":[{{"type":"x-mitre-matrix","id":"x-mitre-matrix--e","x_mitre_domains":["enterprise-attack"]}},{shared}]}}"#
    );
    let b = format!(
        r#"{{"type":"bundle","objects":[{{"type":"x-mitre-matrix","id":"x-mitre-matrix--i","x_mitre_domains":["ics-attack"]}},{shared}]}}"#
    );
    let (kb, diags) = KnowledgeBase::load(&[
        ("attack/a.json", a.as_bytes()),
        ("attack/b.json", b.as_bytes()),
    ]);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(kb.data_components().count(), 1);
    assert_eq!(kb.domains(), vec!["enterprise-attack", "ics-attack"]);
    assert_eq!(kb.counts().get("ics", "x-mitre-data-component"), 1);
}

#[test]
fn mutated_demo_never_panics() {
    // A deterministic stand-in for the fuzz target: truncations and byte flips of the demo.
    let bytes = DEMO.as_bytes();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for step in (0..bytes.len()).step_by(97) {
        let _ = KnowledgeBase::load(&[("attack/cut.json", bytes.get(..step).unwrap_or(bytes))]);
    }
    for _ in 0..300 {
        let mut m = bytes.to_vec();
        for _ in 0..8 {
            let at = (next() as usize) % m.len();
            let choices = b"{}[]\",:0an\\ \x00\xff";
            m[at] = choices[(next() as usize) % choices.len()];
        }
        let _ = KnowledgeBase::load(&[("attack/mut.json", &m)]);
    }
}

#[test]
fn snapshot_demo_technique_page_parts() {
    let kb = demo();
    insta::assert_json_snapshot!("demo_t1559_001", kb.technique("T1559.001"));
    insta::assert_json_snapshot!(
        "demo_t1559_001_strategies",
        kb.detection_strategies_for("T1559.001")
    );
    insta::assert_json_snapshot!(
        "demo_t1559_001_cited",
        kb.technique("T1559.001").map(|t| t.cited_description())
    );
}

#[test]
fn snapshot_malformed_bundle_diagnostics() {
    let (_, diags) = load(
        "{\"type\":\"bundle\",\"objects\":[\n\
         {\"type\":\"attack-pattern\",\"id\":\"attack-pattern--b\",\"name\":42},\n\
         {\"type\":\"relationship\",\"id\":\"relationship--r\",\"relationship_type\":\"uses\",\"source_ref\":\"malware--gone\",\"target_ref\":\"attack-pattern--gone\"},\n\
         {\"type\":\"x-mitre-tactic\",\"id\":\"x-mitre-tactic--t\",\"name\":\"Exec",
    );
    insta::assert_yaml_snapshot!("malformed_diagnostics", diags);
}

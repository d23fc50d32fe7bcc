//! CTID loading and mapping over the demo bundle and the demo CTID file (both written by us,
//! with invented numbers) and over small malformed inputs.

use super::*;

const DEMO: &str = include_str!("../../detcat_catalog/demo/attack/demo-attack.json");
const DEMO_CTID: &str = include_str!("../../detcat_catalog/demo/ctid/top-attack-techniques.json");
const PATH: &str = "ctid/top-attack-techniques.json";

fn demo_kb() -> KnowledgeBase {
    KnowledgeBase::load(&[("attack/demo-attack.json", DEMO.as_bytes())]).0
}

fn codes(diags: &[Diagnostic]) -> Vec<&str> {
    diags.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn records_are_ranked_by_cumulative_score_ties_by_id() {
    let data = br#"[
      {"tid": "T1002", "cumulative_score": 0.5},
      {"tid": "T1001", "cumulative_score": 0.5},
      {"tid": "T1003", "cumulative_score": 0.9}]"#;
    let (records, diags) = load(PATH, data);
    assert!(diags.is_empty(), "{diags:?}");
    let order: Vec<(&str, usize)> = records.iter().map(|r| (r.tid.as_str(), r.rank)).collect();
    assert_eq!(order, vec![("T1003", 1), ("T1001", 2), ("T1002", 3)]);
}

#[test]
fn missing_actionability_is_none_not_zero() {
    let (records, _) = load(PATH, DEMO_CTID.as_bytes());
    let t1175 = records
        .iter()
        .find(|r| r.tid == "T1175")
        .map(|r| r.actionability);
    assert_eq!(t1175, Some(None));
    let t1559 = records.iter().find(|r| r.tid == "T1559.001");
    assert_eq!(t1559.and_then(|r| r.prevalence), Some(0.0));
}

#[test]
fn bad_records_are_skipped_with_a_positioned_diagnostic() {
    let data = br#"[
      {"tid": "T1001", "cumulative_score": "high"},
      {"tid": "not-an-id", "cumulative_score": 0.1},
      {"tid": "T1002"},
      {"tid": "T1003", "cumulative_score": -1},
      {"tid": "T1004", "cumulative_score": 0.2}]"#;
    let (records, diags) = load(PATH, data);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].tid, "T1004");
    assert_eq!(codes(&diags), vec!["ctid::invalid-record"; 4]);
    let first = diags[0].span.expect("span");
    let text = std::str::from_utf8(data).expect("utf8");
    assert!(text[first.start as usize..].starts_with(r#"{"tid": "T1001""#));
}

#[test]
fn truncated_or_foreign_files_score_nothing() {
    for data in [
        &br#"[{"tid": "T1001", "cumu"#[..],
        b"{\"tid\": 1}",
        b"\xff\xfe",
    ] {
        let (records, diags) = load(PATH, data);
        assert!(records.is_empty());
        assert_eq!(codes(&diags), vec!["ctid::invalid-file"]);
    }
}

#[test]
fn demo_revoked_id_is_carried_to_its_replacement_and_counted() {
    let kb = demo_kb();
    let (records, _) = load(PATH, DEMO_CTID.as_bytes());
    let m = kb.map_ctid(&records, PATH);
    let regsvr32 = &m.scores["T1218.010"];
    assert_eq!(regsvr32.scored_as, "T1117");
    assert_eq!(regsvr32.cumulative, 0.62);
    assert_eq!(m.counts.mapped_from_revoked, 1);
    assert_eq!(m.counts.deprecated, 1);
    assert_eq!(codes(&m.diagnostics), vec!["ctid::revoked-technique"]);
}

#[test]
fn demo_renamed_technique_is_counted_and_named() {
    let kb = demo_kb();
    let (records, _) = load(PATH, DEMO_CTID.as_bytes());
    let m = kb.map_ctid(&records, PATH);
    assert_eq!(
        m.scores["T1218"].renamed_from.as_deref(),
        Some("Signed Binary Proxy Execution")
    );
    assert_eq!(m.counts.renamed, 1);
}

#[test]
fn demo_techniques_newer_than_the_data_have_no_score() {
    let kb = demo_kb();
    let (records, _) = load(PATH, DEMO_CTID.as_bytes());
    let m = kb.map_ctid(&records, PATH);
    assert!(!m.scores.contains_key("T1059.001"));
    // T1059.001 is the one active Enterprise technique of the demo without a record.
    assert_eq!(m.counts.unscored, 1);
    assert_eq!(m.counts.scored, 6);
}

#[test]
fn a_revoked_record_merging_into_a_scored_technique_keeps_the_higher_score() {
    let kb = demo_kb();
    let data = br#"[
      {"tid": "T1218.010", "name": "Regsvr32", "cumulative_score": 0.3},
      {"tid": "T1117", "name": "Regsvr32", "cumulative_score": 0.7}]"#;
    let (records, _) = load(PATH, data);
    let m = kb.map_ctid(&records, PATH);
    let s = &m.scores["T1218.010"];
    assert_eq!(
        (s.scored_as.as_str(), s.cumulative, s.rank),
        ("T1117", 0.7, 1)
    );
    assert_eq!(s.merged, vec!["T1218.010"]);
    assert_eq!(m.counts.scored, 1);
}

#[test]
fn unknown_ids_are_reported_not_scored() {
    let kb = demo_kb();
    let (records, _) = load(PATH, br#"[{"tid": "T9999", "cumulative_score": 1}]"#);
    let m = kb.map_ctid(&records, PATH);
    assert!(m.scores.is_empty());
    assert_eq!(m.counts.unplaced, 1);
    assert_eq!(codes(&m.diagnostics), vec!["ctid::unplaced-technique"]);
}

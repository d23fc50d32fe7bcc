#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Coverage from telemetry over the full corpus (`DETCAT_CORPUS`; unset: these tests return
//! early with a note; set to a missing path: they fail).

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use detcat_catalog::{
    BuildOptions, Catalog, Corpus, CoverageIndex, CoverageRequest, CoverageView, PlanUnit,
    QueryOptions, build_in_memory,
};

mod common;
use common::corpus_dir;

/// The full corpus, built once per test binary, with its coverage index.
fn full() -> Option<&'static (CoverageIndex, Mutex<Catalog>)> {
    static FULL: OnceLock<(CoverageIndex, Mutex<Catalog>)> = OnceLock::new();
    let dir = corpus_dir()?;
    Some(FULL.get_or_init(|| {
        let corpus = Corpus::read_dir(&dir).unwrap();
        let (conn, _) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
        let catalog = Catalog::from_connection(conn, "corpus").unwrap();
        (catalog.coverage_index().unwrap(), Mutex::new(catalog))
    }))
}

fn index() -> Option<&'static CoverageIndex> {
    full().map(|f| &f.0)
}

fn have(idx: &CoverageIndex, events: &[&str]) -> CoverageView {
    idx.compute(&CoverageRequest {
        have: events.iter().map(|s| (*s).to_owned()).collect(),
        ..CoverageRequest::default()
    })
    .unwrap()
}

fn runnable_by_technique(v: &CoverageView) -> BTreeMap<String, u64> {
    v.techniques
        .iter()
        .map(|t| (t.id.clone(), t.runnable))
        .collect()
}

/// `b ⊇ a` as sets of events: every technique has at least as many runnable rules.
fn assert_monotone(a: &CoverageView, b: &CoverageView, what: &str) {
    let (ra, rb) = (runnable_by_technique(a), runnable_by_technique(b));
    for (t, n) in &ra {
        let m = rb.get(t).copied().unwrap_or(0);
        assert!(
            m >= *n,
            "{what}: {t} has {n} runnable rules with fewer events, {m} with more"
        );
    }
    assert!(b.totals.runnable >= a.totals.runnable, "{what}");
    assert!(
        b.totals.techniques_covered >= a.totals.techniques_covered,
        "{what}"
    );
}

/// xorshift64*: a seeded generator, so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn adding_sysmon_3_never_lowers_a_technique() {
    let Some(idx) = index() else { return };
    let one = have(idx, &["sysmon:1"]);
    let two = have(idx, &["sysmon:1,sysmon:3"]);
    assert_monotone(&one, &two, "sysmon:1 → sysmon:1,sysmon:3");
    assert!(one.totals.runnable > 500, "{:?}", one.totals);
    assert!(two.totals.runnable > one.totals.runnable);
}

#[test]
fn coverage_is_monotone_on_random_event_sets() {
    let Some(idx) = index() else { return };
    let keys: Vec<String> = idx
        .events()
        .iter()
        .filter(|e| e.rules > 0)
        .map(|e| e.key.clone())
        .collect();
    assert!(keys.len() > 100, "{} events with rules", keys.len());
    let mut rng = Rng(0x5eed_c0de_2026_0017);
    for round in 0..40 {
        let n = 1 + rng.below(12);
        let small: Vec<&str> = (0..n)
            .map(|_| keys[rng.below(keys.len())].as_str())
            .collect();
        let mut big = small.clone();
        for _ in 0..1 + rng.below(8) {
            big.push(keys[rng.below(keys.len())].as_str());
        }
        let (a, b) = (have(idx, &small), have(idx, &big));
        assert_monotone(&a, &b, &format!("round {round}: {small:?} ⊆ {big:?}"));
    }
}

#[test]
fn plan_starts_with_the_best_event_and_gains_add_up() {
    let Some(idx) = index() else { return };
    let req = CoverageRequest {
        plan: 5,
        ..CoverageRequest::default()
    };
    let v = idx.compute(&req).unwrap();
    assert_eq!(
        v.totals.techniques_covered, 0,
        "nothing collected, nothing covered"
    );
    assert_eq!(v.plan.len(), 5);
    // The first step is the single event that covers the most techniques.
    let best = idx
        .events()
        .iter()
        .filter(|e| e.rules > 0 && e.event_id != "*")
        .map(|e| have(idx, &[e.key.as_str()]).totals.techniques_covered)
        .max()
        .unwrap();
    assert_eq!(v.plan[0].gain, best, "{:?}", v.plan[0]);
    // Gains never grow (greedy on a monotone coverage) and add up to the final coverage.
    let events: Vec<&str> = v
        .plan
        .iter()
        .flat_map(|s| s.events.iter().map(String::as_str))
        .collect();
    let last = have(idx, &events);
    let sum: u64 = v.plan.iter().map(|s| s.gain).sum();
    assert_eq!(sum, last.totals.techniques_covered);
    assert_eq!(v.plan[4].covered, sum);

    // Same invariant by sensor/native log, and from a non-empty start.
    let req = CoverageRequest {
        have: vec!["sysmon:1".to_owned()],
        plan: 4,
        plan_by: PlanUnit::Sensor,
        ..CoverageRequest::default()
    };
    let v = idx.compute(&req).unwrap();
    let mut events: Vec<String> = vec!["sysmon:1".to_owned()];
    events.extend(v.plan.iter().flat_map(|s| s.events.iter().cloned()));
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    let last = have(idx, &refs);
    let sum: u64 = v.plan.iter().map(|s| s.gain).sum();
    assert_eq!(
        v.totals.techniques_covered + sum,
        last.totals.techniques_covered
    );
}

#[test]
fn unknown_events_name_the_closest_known_ones() {
    let Some(idx) = index() else { return };
    let err = idx
        .compute(&CoverageRequest {
            have: vec!["sysmn:1".to_owned()],
            ..CoverageRequest::default()
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown event `sysmn:1`"), "{err}");
    assert!(err.contains("sysmon:1"), "{err}");
    let err = idx
        .compute(&CoverageRequest {
            sensors: vec!["Elastic Defnd".to_owned()],
            ..CoverageRequest::default()
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("Elastic Defend"), "{err}");
}

#[test]
fn presets_resolve() {
    let Some(idx) = index() else { return };
    for p in [
        "sysmon-default",
        "windows-security-audit-baseline",
        "elastic-defend",
    ] {
        let v = have(idx, &[p]);
        assert!(!v.have.is_empty(), "{p}");
        assert!(v.totals.runnable > 0, "{p}: {:?}", v.totals);
    }
    let defend = have(idx, &["elastic-defend"]);
    assert!(
        defend
            .have
            .iter()
            .all(|e| e.sensor.as_deref() == Some("Elastic Defend"))
    );
}

fn ids(rules: &[detcat_catalog::coverage::CoverageRule], technique: &str) -> Vec<String> {
    let mut v: Vec<String> = rules
        .iter()
        .filter(|r| r.techniques.iter().any(|t| t == technique))
        .map(|r| r.id.clone())
        .collect();
    v.sort();
    v
}

/// T1559.001 checked by hand against the rule files (corpus as pinned by `detcat sync`):
/// - elastic/rules/windows/lateral_movement_dcom_hta.toml (622ecb68…, "Incoming DCOM Lateral
///   Movement via MSHTA") is an EQL `sequence` of `[process where …]` then
///   `[network where …]` over Elastic Defend and Sysmon: Sysmon 1 alone is not enough;
/// - splunk/detections/endpoint/process_writing_dynamicwrapperx.yml (b0a078e4…) has
///   `data_source: Sysmon EventID 1 AND Sysmon EventID 11`: it needs both;
/// - sigma/rules-threat-hunting/windows/network_connection/net_connection_win_dllhost_non_local_ip.yml
///   (cfed2f44…) is a `network_connection` rule: Sysmon 3, nothing with Sysmon 1;
/// - the five Elastic process rules (Xwizard 1a6075b0…, Explorer child 9a5b4e31…, the three
///   UAC bypasses b90cdde7…, fc7c0fa4…, 68d56fdc…) read `process` events with Sysmon among
///   their data sources: runnable on Sysmon 1 alone.
#[test]
fn t1559_001_by_hand() {
    let Some(idx) = index() else { return };
    let t = "T1559.001";
    let one = have(idx, &["sysmon:1"]);
    assert_eq!(
        ids(&one.runnable, t),
        [
            "1a6075b0-7479-450e-8fe7-b8b8438ac570",
            "68d56fdc-7ffa-4419-8e95-81641bd6f845",
            "9a5b4e31-6cde-4295-9ff7-6be1b8567e1b",
            "b90cdde7-7e0d-4359-8bf0-2c112ce2008a",
            "fc7c0fa4-8f03-4b3e-8336-c5feab0be022",
        ]
    );
    let partly = ids(&one.partly, t);
    assert!(partly.contains(&"622ecb68-fa81-4601-90b5-f8cd661e4520".to_owned()));
    assert!(partly.contains(&"b0a078e4-2601-11ec-9aec-acde48001122".to_owned()));
    let dwx = one
        .partly
        .iter()
        .find(|r| r.id == "b0a078e4-2601-11ec-9aec-acde48001122")
        .unwrap();
    assert_eq!(dwx.missing, [["sysmon:11"]]);

    let more = have(idx, &["sysmon:1,sysmon:3,sysmon:11"]);
    let run = ids(&more.runnable, t);
    for id in [
        "622ecb68-fa81-4601-90b5-f8cd661e4520",
        "b0a078e4-2601-11ec-9aec-acde48001122",
        "cfed2f44-16df-4bf3-833a-79405198b277",
    ] {
        assert!(
            run.contains(&id.to_owned()),
            "{id} runnable with 1, 3 and 11"
        );
    }

    // Security 4688 alone: only the Xwizard rule lists the Windows Security log.
    let sec = have(idx, &["security:4688"]);
    assert_eq!(
        ids(&sec.runnable, t),
        ["1a6075b0-7479-450e-8fe7-b8b8438ac570"]
    );
}

/// A sensor event stands in for its native events for Sigma rules only: with Elastic Defend
/// process events, the Sigma process_creation rule
/// sigma/rules/windows/process_creation/proc_creation_win_dns_susp_child_process.yml
/// (a4e3d776…) runs, but the Splunk rule that reads Sysmon 1 AND 11 (b0a078e4…) does not.
#[test]
fn sensor_events_stand_in_for_natives_for_sigma_only() {
    let Some(idx) = index() else { return };
    let v = have(idx, &["endpoint:process"]);
    assert!(
        v.runnable
            .iter()
            .any(|r| r.id == "a4e3d776-f12e-42c2-8510-9e6ed1f43ec3")
    );
    assert!(
        !v.runnable
            .iter()
            .any(|r| r.id == "b0a078e4-2601-11ec-9aec-acde48001122")
    );
    assert!(!v.runnable.iter().any(|r| r.vendor == "splunk"));
}

/// T1559.001's analytic AN0628 (issue 17): Process Creation (Sysmon 1) and Module Load
/// (Sysmon 7) list the rules of the technique that read those events; the registry-access row
/// (Security 4663/4670/4656) is implemented by no rule: none of the 17 rules reads them. By
/// hand: elastic/rules/windows/execution_com_object_xwizard.toml reads process events (Sysmon
/// among its data sources), persistence_suspicious_image_load_scheduled_task_ms_office.toml
/// reads library loads (Sysmon 7); the Sigma rules of T1559.001 read Sysmon 3, 22 and 10.
#[test]
fn t1559_001_an0628_by_hand() {
    let Some(full) = full() else { return };
    let catalog = full
        .1
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let t = catalog
        .technique_analytics("T1559.001", QueryOptions::default())
        .unwrap()
        .unwrap();
    let an = t
        .analytics
        .iter()
        .find(|a| a.id == "AN0628")
        .expect("AN0628");
    assert!(an.implemented);
    let row = |channel: &str| {
        an.log_sources
            .iter()
            .find(|l| l.channel == channel)
            .unwrap_or_else(|| panic!("{channel}"))
    };
    let p1 = row("EventCode=1");
    assert_eq!(p1.events, ["sysmon:1"]);
    assert!(
        p1.rules
            .iter()
            .any(|r| r.id == "1a6075b0-7479-450e-8fe7-b8b8438ac570")
    );
    assert!(p1.rules.iter().all(|r| r.vendor != "sigma"));
    let p7 = row("EventCode=7");
    assert!(
        p7.rules
            .iter()
            .any(|r| r.id == "baa5d22c-5e1c-4f33-bfc9-efa73bb53022")
    );
    let reg = row("EventCode=4663, 4670, 4656");
    assert_eq!(
        reg.events,
        ["security:4663", "security:4670", "security:4656"]
    );
    assert!(reg.rules.is_empty(), "{:?}", reg.rules);
    assert!(!an.rules_by_vendor.contains_key("sigma"));

    // Mutable elements against the implementing rules' fields: ParentProcessExclusions is
    // about the parent process, which Incoming DCOM Lateral Movement with MMC (Elastic, a
    // process rule) filters on; TimeWindow and COMObjectAllowList name no field.
    let element = |name: &str| {
        an.mutable_matches
            .iter()
            .find(|m| m.element == name)
            .unwrap_or_else(|| panic!("{name}: {:?}", an.mutable_matches))
    };
    let parent = element("ParentProcessExclusions");
    assert!(parent.fields.iter().any(|f| f == "process.parent.name"));
    assert!(
        parent
            .rules
            .iter()
            .any(|r| r.id == "51ce96fb-9e52-4dad-b0ba-99b54440fc9a"),
        "{parent:?}"
    );
    let implementing: Vec<_> = an.rules_by_vendor.values().flatten().collect();
    assert!(parent.rules.iter().all(|r| implementing.contains(&r)));
    assert!(
        parent.rules.len() < implementing.len(),
        "not every rule filters on it"
    );
    for none in ["TimeWindow", "COMObjectAllowList"] {
        assert!(element(none).fields.is_empty() && element(none).rules.is_empty());
    }

    let all = catalog
        .unimplemented_analytics(QueryOptions::default())
        .unwrap();
    assert!(all.analytics > 1000 && all.implemented > 0);
    assert!(all.unimplemented.iter().all(|u| u.id != "AN0628"));
}

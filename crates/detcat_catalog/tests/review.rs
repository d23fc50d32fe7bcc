#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `review` and `similar` over the real corpora (`DETCAT_CORPUS`, e.g. `../shared/corpus`),
//! issue 13.
//!
//! Unset: these tests return early with a note. Set to a missing path: they fail.
//!
//! The catalog is built once per test binary from a copy of the corpus minus twelve real
//! rules (the copy is the corpus read into memory with those files left out; the build is the
//! ordinary one). Each removed rule is then fed back to `review` as a draft, and the review
//! must name its closest remaining relative — a rule of another vendor that looks for the same
//! thing, chosen by hand — and exclusions of the technique that rules with overlapping
//! indicators add and the draft lacks.

use std::sync::{Mutex, OnceLock};

use detcat_catalog::review::{ReviewOptions, review};
use detcat_catalog::{BuildOptions, Catalog, Corpus, build_in_memory};

mod common;
use common::corpus_dir;

/// One removed rule: its file, the technique whose missing exclusions are checked, and the
/// remaining rule (`vendor/id`) that looks for the same thing.
struct Case {
    /// Why this pair: what both rules look for.
    what: &'static str,
    path: &'static str,
    technique: &'static str,
    relative: &'static str,
}

/// Chosen by hand: four rules per vendor whose idea another vendor's rule also carries.
const CASES: [Case; 12] = [
    Case {
        what: "cmd.exe started by an unusual parent process",
        path: "sigma/rules/windows/process_creation/proc_creation_win_cmd_unusual_parent.yml",
        technique: "T1059",
        relative: "elastic/3b47900d-e793-49e8-968f-c90dc3526aa1",
    },
    Case {
        what: "conhost.exe spawned by an uncommon parent",
        path: "sigma/rules/windows/process_creation/proc_creation_win_conhost_uncommon_parent.yml",
        technique: "T1059",
        relative: "elastic/05b358de-aa6d-4f6c-89e6-78f74018b43b",
    },
    Case {
        what: "a file created in the cron directories",
        path: "sigma/rules/linux/file_event/file_event_lnx_susp_cron_file_created.yml",
        technique: "T1053.003",
        relative: "elastic/ff10d4d8-fea7-422d-afb1-e5a2702369a9",
    },
    Case {
        what: "LSASS memory read with dumping access masks",
        path: "sigma/rules/windows/process_access/proc_access_win_lsass_memdump.yml",
        technique: "T1003.001",
        relative: "splunk/e4723b92-7266-11ec-af45-acde48001122",
    },
    Case {
        what: "remote monitoring and management tools by process name",
        path: "elastic/rules/windows/command_and_control_new_terms_commonly_abused_rmm.toml",
        technique: "T1219",
        relative: "splunk/ffd5e001-2e34-48f4-97a2-26dc4bb08178",
    },
    Case {
        what: "System32 executables run from elsewhere",
        path: "elastic/rules_building_block/defense_evasion_masquerading_windows_system32_exe.toml",
        technique: "T1036.005",
        relative: "splunk/a34aae96-ccf8-4aef-952c-3ea21444444d",
    },
    Case {
        what: "system DLL names loaded from non-system locations",
        path: "elastic/rules/windows/privilege_escalation_persistence_phantom_dll.toml",
        technique: "T1574.001",
        relative: "sigma/4fc0deee-0057-4998-ab31-d24e46e0aba4",
    },
    Case {
        what: "the hosts file modified",
        path: "elastic/rules/cross-platform/impact_hosts_file_modified.toml",
        technique: "T1565.001",
        relative: "sigma/86157017-c2b1-4d4a-8c33-93b8e67e4af4",
    },
    Case {
        what: "verclsid.exe running a COM object",
        path: "splunk/detections/endpoint/verclsid_clsid_execution.yml",
        technique: "T1218",
        relative: "sigma/d06be4b9-8045-428b-a567-740a26d9db25",
    },
    Case {
        what: "PowerShell creating a scheduled task",
        path: "splunk/detections/endpoint/windows_powershell_scheduletask.yml",
        technique: "T1053.005",
        relative: "sigma/363eccc0-279a-4ccf-a3ab-24c2e63b11fb",
    },
    Case {
        what: "DNS queries to remote access software domains",
        path: "splunk/detections/network/detect_remote_access_software_usage_dns.yml",
        technique: "T1219",
        relative: "elastic/e5f6a7b8-c9d0-8e1f-2a3b-4c5d6e7f8a9b",
    },
    Case {
        what: "LOLBAS binaries executed under another file name",
        path: "splunk/detections/endpoint/windows_lolbas_executed_as_renamed_file.yml",
        technique: "T1036.003",
        relative: "sigma/0ba1da6d-b6ce-4366-828c-18826c9de23e",
    },
];

/// The catalog of the corpus minus the twelve rules, and the removed files (path, text).
type Reduced = (Catalog, Vec<(String, String)>);

fn reduced() -> Option<&'static Mutex<Reduced>> {
    static REDUCED: OnceLock<Mutex<Reduced>> = OnceLock::new();
    let dir = corpus_dir()?;
    Some(REDUCED.get_or_init(|| {
        let mut corpus = Corpus::read_dir(&dir).unwrap();
        let mut removed = Vec::new();
        for vendor in detcat_model::Vendor::ALL {
            corpus.files_mut(vendor).retain(|f| {
                let keep = !CASES.iter().any(|c| c.path == f.path);
                if !keep {
                    removed.push((f.path.clone(), f.text.clone()));
                }
                keep
            });
        }
        assert_eq!(removed.len(), CASES.len(), "every case names a corpus file");
        let (conn, _) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
        let catalog = Catalog::from_connection(conn, "corpus minus 12 rules").unwrap();
        Mutex::new((catalog, removed))
    }))
}

#[test]
fn removed_rules_fed_back_as_drafts_find_their_relatives_and_missing_exclusions() {
    let Some(reduced) = reduced() else { return };
    let guard = reduced
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (catalog, removed) = &*guard;
    for case in &CASES {
        let (_, text) = removed.iter().find(|(p, _)| p == case.path).unwrap();
        let report = review(catalog, text.as_bytes(), &ReviewOptions::default()).unwrap();
        let ctx = format!("{} ({})", case.what, case.path);
        assert_eq!(
            report.parse_status.as_deref(),
            Some("normalized"),
            "{ctx}: {:?}",
            report.diagnostics
        );
        // The removed rule is really gone: nothing is identical to it by id.
        let nearest: Vec<String> = report
            .nearest
            .iter()
            .map(|n| format!("{}/{}", n.vendor, n.id))
            .collect();
        assert!(
            nearest.iter().any(|n| n == case.relative),
            "{ctx}: {} is not among the nearest rules {nearest:?}",
            case.relative
        );
        let relative = report
            .nearest
            .iter()
            .find(|n| format!("{}/{}", n.vendor, n.id) == case.relative)
            .unwrap();
        assert!(relative.shared.indicators_total > 0, "{ctx}");
        let technique = report
            .techniques
            .iter()
            .find(|t| t.id == case.technique)
            .unwrap_or_else(|| panic!("{ctx}: no review of {}", case.technique));
        assert!(technique.rules > 0, "{ctx}");
        assert!(
            !technique.missing_exclusions.is_empty(),
            "{ctx}: no missing exclusion for {} ({} overlapping rules)",
            case.technique,
            technique.overlapping_rules
        );
        // Each missing exclusion is one the draft lacks, with the rules that add it.
        for m in &technique.missing_exclusions {
            assert!(m.rules >= 1 && !m.rule_ids.is_empty(), "{ctx}");
            assert!(
                !report
                    .exclusions
                    .iter()
                    .any(|x| x.field == m.field && x.operator == m.operator && x.value == m.value),
                "{ctx}: {m:?} is in the draft"
            );
        }
    }
}

#[test]
fn regsvr32_network_connection_finds_elastic_and_sigma_relatives() {
    let Some(reduced) = reduced() else { return };
    let guard = reduced
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let catalog = &guard.0;
    // Sigma "Network Connection Initiated By Regsvr32.EXE".
    let page = catalog
        .similar("sigma/c7e91a02-d771-4a6d-a700-42587e0b1095", 5)
        .unwrap()
        .expect("the Sigma rule");
    assert_eq!(page.title, "Network Connection Initiated By Regsvr32.EXE");
    let top: Vec<String> = page
        .similar
        .iter()
        .map(|s| format!("{}/{}", s.vendor, s.id))
        .collect();
    for expected in [
        // Elastic "Network Connection via Registration Utility".
        "elastic/fb02b8d3-71ee-4af1-bacd-215d23f17efa",
        // Sigma "DNS Query Request By Regsvr32.EXE".
        "sigma/36e037c4-c228-4866-b6a3-48eb292b9955",
        // Sigma "Suspicious Network Connection Binary No CommandLine".
        "sigma/20384606-a124-4fec-acbb-8bd373728613",
    ] {
        assert!(
            top.iter().any(|t| t == expected),
            "{expected} not in {top:?}"
        );
    }
    // The rule page shows the other vendors' rules only, at most five.
    let rule = catalog
        .rule("sigma/c7e91a02-d771-4a6d-a700-42587e0b1095")
        .unwrap()
        .unwrap();
    assert!(rule.same_idea.len() <= 5);
    assert!(rule.same_idea.iter().all(|s| s.vendor != "sigma"));
    assert!(
        rule.same_idea
            .iter()
            .any(|s| s.id == "fb02b8d3-71ee-4af1-bacd-215d23f17efa")
    );
}

#[test]
fn a_draft_of_any_kind_never_panics_on_the_full_catalog() {
    let Some(reduced) = reduced() else { return };
    let guard = reduced
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let catalog = &guard.0;
    let ten_mb = vec![b'a'; 10 * 1024 * 1024];
    for bytes in [
        &b"\x7fELF\x02\x01\x01\0\0\0"[..],
        &ten_mb[..],
        b"title: x\ndetection:\n  sel: [unclosed\n",
        b"[rule]\nname = \n",
        b"search: '| tstats count from datamodel=Endpoint.Processes where'\n",
    ] {
        let report = review(catalog, bytes, &ReviewOptions::default()).unwrap();
        assert!(
            report.diagnostics.iter().any(|d| d.line.is_some()),
            "{:?}",
            report.diagnostics
        );
    }
}

#[test]
fn a_draft_is_run_on_the_corpus_regression_recordings() {
    // Fed back as a draft, a Sigma rule fires on the recording made for it (its
    // `sigma/regression_data/…/info.yml` names the rule): checked by hand, the recording holds
    // WerFaultSecure.exe loading dbgcore.dll, which the rule's selection names.
    let Some(reduced) = reduced() else { return };
    let guard = reduced
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let catalog = &guard.0;
    let dir = corpus_dir().unwrap();
    let path = "sigma/rules-threat-hunting/windows/image_load/image_load_win_werfaultsecure_dbgcore_dbghelp_load.yml";
    let text = std::fs::read(dir.join(path)).unwrap();
    let report = review(catalog, &text, &ReviewOptions::default()).unwrap();
    let r = &report.recordings;
    assert!(r.ran > 150, "the corpus has ~200 recordings: {r:?}");
    assert!(r.fired >= 1 && r.fired <= r.ran, "{r:?}");
    let own = r
        .hits
        .iter()
        .find(|h| h.rule_id == "8a2f4b1c-3d5e-4f7a-9b2c-1e4f6d8a9c2b")
        .unwrap_or_else(|| panic!("fires on its own recording: {r:?}"));
    assert!(
        own.path
            .contains("image_load_win_werfaultsecure_dbgcore_dbghelp_load")
    );
    assert!(own.fired_on >= 1 && own.fired_on <= own.events);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.kind == "recordings" && f.reason.contains("regression recordings")),
        "{:?}",
        report.findings
    );

    // A draft that looks for something no recording holds fires on none.
    let nothing = b"title: nothing\nlogsource: {category: process_creation, product: windows}\ndetection: {sel: {Image|endswith: '\\no-such-tool-3f9c.exe'}, condition: sel}\n";
    let report = review(catalog, nothing, &ReviewOptions::default()).unwrap();
    assert_eq!(report.recordings.fired, 0, "{:?}", report.recordings);
    assert!(report.recordings.ran > 150);

    let skipped = ReviewOptions {
        skip_recordings: true,
        ..ReviewOptions::default()
    };
    let report = review(catalog, &text, &skipped).unwrap();
    assert_eq!(report.recordings.ran, 0);
    assert!(report.recordings.note.contains("not run"));
}

#[test]
fn technique_rules_cluster_into_near_duplicates_across_vendors() {
    // Checked by hand against the sources: Elastic "Windows Script Executing PowerShell" and
    // Sigma "Suspicious PowerShell Invocation From Script Engines" both look for powershell.exe
    // started by cscript.exe or wscript.exe; Splunk's two regsvr32 "silent" rules both look
    // for regsvr32.exe with the /s switch.
    let Some(reduced) = reduced() else { return };
    let guard = reduced
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let catalog = &guard.0;
    let together = |technique: &str, a: &str, b: &str| {
        let page = catalog
            .clusters(technique, detcat_catalog::similar::CLUSTER_THRESHOLD)
            .unwrap()
            .unwrap();
        assert!(page.rules > 10, "{technique}: {}", page.rules);
        let cluster = page
            .clusters
            .iter()
            .find(|c| {
                c.members
                    .iter()
                    .any(|m| format!("{}/{}", m.vendor, m.id) == a)
            })
            .unwrap_or_else(|| panic!("{a} is in a cluster of {technique}"));
        assert!(
            cluster
                .members
                .iter()
                .any(|m| format!("{}/{}", m.vendor, m.id) == b),
            "{a} and {b} in one cluster: {cluster:?}"
        );
        assert!(!cluster.shared.is_empty());
    };
    together(
        "T1059.001",
        "elastic/f545ff26-3c94-4fd0-bd33-3c7f95a3a0fc",
        "sigma/95eadcb2-92e4-4ed1-9031-92547773a6db",
    );
    together(
        "T1218.010",
        "splunk/f421c250-24e7-11ec-bc43-acde48001122",
        "splunk/c9ef7dc4-eeaf-11eb-b2b6-acde48001122",
    );
    assert!(catalog.clusters("T9999", 0.8).unwrap().is_none());
}

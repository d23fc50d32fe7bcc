//! `review` on the embedded demo catalog: formats, bad drafts, findings.

use super::*;

fn demo() -> Catalog {
    Catalog::demo().expect("demo catalog builds")
}

fn run(bytes: &[u8], language: Option<DraftLanguage>) -> ReviewReport {
    let options = ReviewOptions {
        language,
        ..ReviewOptions::default()
    };
    review(&demo(), bytes, &options).expect("review")
}

const LONE: &str = "title: lone\ntags: [attack.t1218.010]\nlogsource: {category: process_creation, product: windows}\ndetection:\n  sel:\n    Image|endswith: '\\regsvr32.exe'\n  condition: sel\n";

#[test]
fn a_sigma_draft_is_parsed_analyzed_and_compared() {
    let r = run(LONE.as_bytes(), None);
    assert_eq!(
        r.format,
        Some(DraftFormat::RuleFile(detcat_model::Vendor::Sigma))
    );
    assert_eq!(r.parse_status.as_deref(), Some("normalized"));
    assert!(r.events.iter().any(|e| e == "sysmon:1"), "{:?}", r.events);
    assert!(r.fields.iter().any(|f| f == "process.name"));
    let t = r
        .techniques
        .iter()
        .find(|t| t.id == "T1218.010")
        .expect("tag");
    assert!(t.rules > 0);
    assert!(!r.nearest.is_empty());
    // The demo's regsvr32 rules check more than the draft: what they add is listed.
    assert!(r.nearest.iter().any(|n| n.only_other.indicators_total > 0));
}

#[test]
fn an_indicator_alone_in_a_branch_is_marked_and_a_conjunction_is_not() {
    let r = run(LONE.as_bytes(), None);
    let i = r
        .indicators
        .iter()
        .find(|i| i.value == "regsvr32.exe")
        .expect("indicator");
    assert!(i.alone);
    let two = LONE.replace(
        "    Image|endswith: '\\regsvr32.exe'\n",
        "    Image|endswith: '\\regsvr32.exe'\n    CommandLine|contains: 'scrobj'\n",
    );
    let r = run(two.as_bytes(), None);
    assert!(r.indicators.iter().all(|i| !i.alone), "{:?}", r.indicators);
}

#[test]
fn bad_drafts_get_positioned_diagnostics_never_a_panic() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            b"title: x\ndetection:\n  sel: [unclosed\n  condition: sel\n".to_vec(),
            "sigma::",
        ),
        (
            b"just some words, no rule".to_vec(),
            "review::unknown-format",
        ),
        (vec![b'x'; 10 * 1024 * 1024], "review::too-large"),
        (b"\x7fELF\x02\x01\0\0".to_vec(), "review::binary"),
        (vec![0xff, 0xfe, b'a'], "review::not-utf8"),
        (b"   \n".to_vec(), "review::empty"),
        (b"[rule]\nname = \"x\"\nquery = '''\n".to_vec(), "elastic::"),
    ];
    for (bytes, code) in cases {
        let r = run(&bytes, None);
        let d = r
            .diagnostics
            .iter()
            .find(|d| d.code.starts_with(code))
            .unwrap_or_else(|| panic!("{code}: {:?}", r.diagnostics));
        assert!(d.line.is_some() && d.column.is_some(), "{code}: {d:?}");
        assert_eq!(r.worst(), Some(FindingSeverity::High), "{code}");
    }
}

#[test]
fn bare_queries_need_their_language() {
    let q = b"process where process.name : \"regsvr32.exe\" and process.args : \"/i:*\"";
    let r = run(q, Some(DraftLanguage::Query(detcat_model::Language::Eql)));
    assert_eq!(
        r.format,
        Some(DraftFormat::Query(detcat_model::Language::Eql))
    );
    assert_eq!(r.vendor.as_deref(), Some("elastic"));
    assert!(r.indicators.iter().any(|i| i.value == "regsvr32.exe"));
    let r = run(
        b"process where process.name : ",
        Some(DraftLanguage::Query(detcat_model::Language::Eql)),
    );
    let d = r.diagnostics.first().expect("a parse error");
    assert_eq!(d.line, Some(1));
    assert!(d.column.is_some());
    let r = run(
        b"index=main sourcetype=XmlWinEventLog EventCode=1 Image=\"*\\\\regsvr32.exe\"",
        Some(DraftLanguage::Query(detcat_model::Language::Spl)),
    );
    assert_eq!(r.vendor.as_deref(), Some("splunk"));
    assert!(!r.indicators.is_empty());
}

#[test]
fn no_technique_and_unknown_techniques_are_findings() {
    let untagged = LONE.replace("tags: [attack.t1218.010]\n", "");
    let r = run(untagged.as_bytes(), None);
    assert!(
        r.findings
            .iter()
            .any(|f| f.kind == "technique" && f.severity == FindingSeverity::Low)
    );
    let options = ReviewOptions {
        techniques: vec!["T9999.999".into()],
        ..ReviewOptions::default()
    };
    let r = review(&demo(), LONE.as_bytes(), &options).expect("review");
    assert!(
        r.findings
            .iter()
            .any(|f| f.technique.as_deref() == Some("T9999.999"))
    );
    assert!(r.techniques.is_empty());
}

#[test]
fn severities_order_for_fail_on() {
    assert!(FindingSeverity::High > FindingSeverity::Medium);
    assert!(FindingSeverity::Low > FindingSeverity::Info);
    assert_eq!(
        FindingSeverity::parse("MEDIUM"),
        Some(FindingSeverity::Medium)
    );
    assert_eq!(FindingSeverity::parse("urgent"), None);
}

#[test]
fn draft_formats_keep_their_report_names() {
    for (name, format) in [
        (
            "sigma_yaml",
            DraftFormat::RuleFile(detcat_model::Vendor::Sigma),
        ),
        (
            "elastic_toml",
            DraftFormat::RuleFile(detcat_model::Vendor::Elastic),
        ),
        (
            "splunk_yaml",
            DraftFormat::RuleFile(detcat_model::Vendor::Splunk),
        ),
        (
            "kql_query",
            DraftFormat::Query(detcat_model::Language::Kuery),
        ),
        (
            "esql_query",
            DraftFormat::Query(detcat_model::Language::Esql),
        ),
        ("spl_query", DraftFormat::Query(detcat_model::Language::Spl)),
    ] {
        let json = serde_json::to_string(&format).unwrap();
        assert_eq!(json, format!("\"{name}\""));
        assert_eq!(serde_json::from_str::<DraftFormat>(&json).unwrap(), format);
    }
    assert_eq!(
        DraftLanguage::parse("KQL"),
        Some(DraftFormat::Query(detcat_model::Language::Kuery))
    );
    assert_eq!(
        DraftLanguage::parse("es|ql"),
        Some(DraftFormat::Query(detcat_model::Language::Esql))
    );
    assert_eq!(DraftLanguage::parse("yara"), None);
    assert!(serde_json::from_str::<DraftFormat>("\"sigma_toml\"").is_err());
}

#[test]
fn a_detection_draft_is_told_by_its_vendor_and_expands_the_corpus_macros() {
    let draft = b"name: draft\nsearch: '| tstats count from datamodel=Endpoint.Processes where `process_regsvr32` by Processes.dest'\n";
    let r = run(draft, None);
    assert_eq!(
        r.format,
        Some(DraftFormat::RuleFile(detcat_model::Vendor::Splunk))
    );
    assert!(
        r.indicators
            .iter()
            .any(|i| i.value.eq_ignore_ascii_case("regsvr32.exe")),
        "the demo's `process_regsvr32` macro was not expanded: {:?}",
        r.diagnostics
    );
}

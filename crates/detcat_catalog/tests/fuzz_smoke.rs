#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Fuzz smoke test on the stable toolchain, run in CI: the parsers of the workspace (YAML,
//! Sigma rules and conditions, SPL with macros, whole files of each vendor, STIX bundles) get
//! mutations of the demo corpus for a fixed time each, with the assertions of the `fuzz/`
//! targets (no panic, spans inside the input). KQL, EQL, ES|QL and Lucene have theirs in
//! `crates/detcat_elastic/tests/fuzz_smoke.rs`.
//!
//! The budget per target is `DETCAT_FUZZ_SECS` (default 2; `.ci/run` sets it). The real
//! campaign is `cargo fuzz` on nightly (docs/fuzzing.md); this keeps a crash from landing
//! unnoticed between campaigns. A crashing input is written to `target/fuzz-smoke-crash-*`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use detcat_catalog::Corpus;
use detcat_model::{Diagnostic, SourceFile};

/// xorshift64: deterministic, dependency-free randomness (a seed per target).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Fragments that are syntax in some rule language: splicing them in reaches error paths
/// byte flips rarely reach.
const TOKENS: &[&str] = &[
    "|",
    ":",
    "- ",
    "'",
    "\"",
    "\\",
    "*",
    "?",
    "&a ",
    "*a",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "\n",
    "  ",
    "---\n",
    " and ",
    " or ",
    " not ",
    "1 of ",
    "all of them",
    "|contains",
    "|re",
    "`",
    "`m(`",
    "$a$",
    "[[",
    "]]",
    "\"\"\"",
    " where ",
    " | ",
    "sequence by x ",
    " with maxspan=",
    "| stats ",
    "FROM x | ",
    "~",
    "/",
    "\u{0}",
    "é",
    "\u{1b}[2J",
    "{\"type\":\"bundle\"",
    ",",
    "\"objects\":[",
    "attack-pattern",
    "x-mitre-tactic",
    "\"id\":\"",
    "99999999999999999999",
];

fn mutate(rng: &mut Rng, seed: &str) -> String {
    String::from_utf8_lossy(&mutate_bytes(rng, seed.as_bytes())).into_owned()
}

fn mutate_bytes(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..=rng.below(8) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 | 1 => {
                let tok = TOKENS[rng.below(TOKENS.len())].as_bytes();
                bytes.splice(at..at, tok.iter().copied());
            }
            2 if at < bytes.len() => {
                let end = (at + rng.below(32)).min(bytes.len());
                bytes.drain(at..end);
            }
            3 if at < bytes.len() => bytes[at] = rng.next() as u8,
            _ => {
                // Duplicate a slice: repetition drives recursion and quadratic paths.
                let end = (at + rng.below(64)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
        }
    }
    bytes
}

fn budget() -> Duration {
    let secs = std::env::var("DETCAT_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(2.0);
    Duration::from_secs_f64(secs.max(0.0))
}

fn in_bounds(diagnostics: &[Diagnostic], len: usize) -> bool {
    diagnostics.iter().all(|d| {
        d.span
            .is_none_or(|s| s.start <= s.end && s.end as usize <= len)
    })
}

/// Runs `check` on mutations of `seeds` until the budget is spent; returns executions.
fn campaign(name: &str, seeds: &[String], check: impl Fn(&str)) -> u64 {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (name.len() as u64).wrapping_mul(0x1000_0001));
    let deadline = Instant::now() + budget();
    let mut runs = 0u64;
    // Seeds as they are first, then mutations (at least one round even with a zero budget).
    let mutations = std::iter::from_fn(|| {
        if Instant::now() >= deadline {
            return None;
        }
        let seed = &seeds[rng.below(seeds.len())];
        Some(mutate(&mut rng, seed))
    });
    for input in seeds.iter().cloned().chain(mutations) {
        if catch_unwind(AssertUnwindSafe(|| check(&input))).is_err() {
            let path = format!(
                "{}/../../target/fuzz-smoke-crash-{name}.txt",
                env!("CARGO_MANIFEST_DIR")
            );
            let _ = std::fs::write(&path, &input);
            panic!("{name}: crash after {runs} runs; input written to {path}");
        }
        runs += 1;
    }
    eprintln!("fuzz smoke {name}: {runs} executions, no crash");
    runs
}

fn files(vendor: detcat_model::Vendor) -> Vec<SourceFile> {
    Corpus::demo().files(vendor).to_vec()
}

fn texts(vendor: detcat_model::Vendor) -> Vec<String> {
    files(vendor).into_iter().map(|f| f.text).collect()
}

/// Single lines of the demo files: queries and conditions without their file around them.
fn lines(vendor: detcat_model::Vendor) -> Vec<String> {
    texts(vendor)
        .iter()
        .flat_map(|t| t.lines().map(str::to_owned).collect::<Vec<_>>())
        .filter(|l| l.trim().len() > 3)
        .collect()
}

use detcat_model::Vendor::{Elastic, Sigma, Splunk};

/// Sigma and YAML constructs the demo corpus does not show (correlations, multi-document
/// rules, the rarer modifiers, keywords, placeholders; anchors, tags, block and flow styles),
/// written for this test.
const SIGMA_SEEDS: &[&str] = &[
    r#"title: Base
id: 0b7c5d2e-1111-4a4a-9b9b-000000000001
name: base_rule
logsource:
  category: process_creation
  product: windows
detection:
  sel:
    CommandLine|base64offset|contains: 'IEX'
    Image|re|i: '\\(cmd|pwsh)\.exe$'
    User|expand: '%Admins%'
    ParentImage|fieldref: Image
    Hashes|contains|all|cased:
      - 'MD5='
      - 'SHA256='
    LogonId|exists: true
    IntegrityLevel: null
    ProcessId|lt: 4
    CommandLine|wide|base64: 'ping'
  keywords:
    - 'mimikatz'
    - '*sekurlsa*'
  condition: sel or keywords | count() by Image > 2
level: high
---
title: Many
id: 0b7c5d2e-1111-4a4a-9b9b-000000000002
correlation:
  type: value_count
  rules:
    - base_rule
  group-by:
    - ComputerName
  timespan: 15m
  condition:
    field: User
    gte: 3
"#,
    r#"action: global
title: Split
logsource:
  product: windows
detection:
  condition: selection
---
logsource:
  category: process_creation
detection:
  selection:
    DestinationIp|cidr:
      - '10.0.0.0/8'
      - 'fe80::/10'
---
logsource:
  service: security
detection:
  selection:
    EventID: [4688, 4624]
"#,
    r#"%YAML 1.2
---
base: &b {x: 1, y: [a, 'b', "c\u00e9"]}
use: *b
merge:
  <<: *b
  z: !!str 3
block: |-
  line one
  line two
folded: >+
  a
  b

? complex key
: ~
...
"#,
];

#[test]
fn fuzz_smoke_yaml_and_sigma() {
    let limits = detcat_yaml::Limits {
        max_nodes: 100_000,
        ..Default::default()
    };
    let mut rule_seeds = texts(Sigma);
    rule_seeds.extend(SIGMA_SEEDS.iter().map(|s| (*s).to_owned()));
    campaign("yaml", &rule_seeds, |text| {
        let read = detcat_yaml::parse_documents(text, &limits);
        if let Ok(docs) = &read {
            assert!(docs.iter().all(|d| d.span.end as usize <= text.len()));
        }
        // The direct reader gives what saphyr's events give, or leaves the text to them.
        let full = detcat_yaml::parse_documents_full(text, &limits);
        assert_eq!(format!("{read:?}"), format!("{full:?}"), "{text:?}");
    });
    campaign("sigma_rule", &rule_seeds, |text| {
        let file = SourceFile::new("sigma/rules/fuzz/rule.yml", text);
        let outcome = detcat_sigma::parse_file(&file);
        assert!(outcome.non_rule.is_some() || !outcome.rules.is_empty());
        assert!(in_bounds(&outcome.diagnostics, text.len()));
    });
    campaign("sigma_condition", &lines(Sigma), |text| {
        let (_, errors) = detcat_sigma::parse_condition(text);
        assert!(errors.iter().all(|e| e.span.end as usize <= text.len()));
    });
}

/// The four Elastic query languages have their own smoke test beside their parsers
/// (`crates/detcat_elastic/tests/fuzz_smoke.rs`); here, whole rule files.
#[test]
fn fuzz_smoke_elastic_files() {
    campaign("elastic_file", &texts(Elastic), |text| {
        let out = detcat_elastic::parse_files(&[SourceFile::new("elastic/rules/fuzz.toml", text)]);
        assert_eq!(out.len(), 1);
    });
}

#[test]
fn fuzz_smoke_splunk() {
    campaign("spl", &lines(Splunk), |src| {
        let parsed = detcat_splunk::spl::parse(src);
        assert!(in_bounds(&parsed.diagnostics, src.len()));
        let _ = detcat_splunk::lower::lower(
            &parsed.query,
            src,
            &detcat_splunk::lookups::LookupTables::default(),
        );
    });
    // Macro expansion (arguments, nesting, recursion, fan-out) and lookup resolution, with
    // the macros and the lookup table of the `spl` fuzz target.
    let context = splunk_context();
    let mut queries = lines(Splunk);
    queries.extend(SPL_SEEDS.iter().map(|q| (*q).to_owned()));
    campaign("spl_query", &queries, |src| {
        let outcome = detcat_splunk::parse_query(src, &context);
        assert!(in_bounds(&outcome.diagnostics, src.len()));
    });
    campaign("splunk_file", &texts(Splunk), |text| {
        let out = detcat_splunk::parse_files(&[
            SourceFile::new("splunk/detections/endpoint/fuzz.yml", text),
            SourceFile::new("splunk/macros/fuzz.yml", text),
        ]);
        assert_eq!(out.len(), 2);
        for rule in out.iter().flat_map(|o| &o.rules) {
            assert!(in_bounds(&rule.diagnostics, text.len()));
        }
    });
}

/// Queries that use the macros and the lookup table of [`splunk_context`].
const SPL_SEEDS: &[&str] = &[
    "`sysmon` EventCode=7 | lookup fuzz_dlls dll AS ImageLoaded OUTPUT hit | search hit=true",
    "| tstats count from datamodel=Endpoint.Processes where `process_cmd` by Processes.dest | `ctime(firstTime)`",
    "`pair(firstTime, lastTime)` | `loop` | `fan` | `missing(x)`",
    "index=x | lookup fuzz_dlls dll OUTPUTNEW note | where isnull(note) AND hit!=\"false\"",
];

/// The `spl` fuzz target's context (`detcat_splunk::fuzz_context`).
fn splunk_context() -> detcat_splunk::Context {
    let (context, diagnostics) = detcat_splunk::fuzz_context();
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(context.lookups.len(), 1);
    context
}

#[test]
fn fuzz_smoke_stix() {
    let bundles: Vec<String> = Corpus::demo()
        .attack
        .iter()
        .map(|f| String::from_utf8_lossy(&f.read().unwrap()).into_owned())
        .collect();
    campaign("stix", &bundles, |text| {
        let (kb, _) = detcat_attack::KnowledgeBase::load(&[("attack/fuzz.json", text.as_bytes())]);
        for t in kb.techniques() {
            let _ = t.cited_description();
            let _ = kb.tactics_of_technique(&t.id);
        }
    });
}

/// Events as users have them: the regression `.json` shape (Event.System/EventData), flat
/// Sysmon and Splunk-style documents, ECS, JSON Lines and arrays of them.
const EVENT_SEEDS: &[&str] = &[
    r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon","Guid":"5770385F-C22A-43E0-BF4C-06F5698FFBD9"}},"EventID":1,"Version":5,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"pc","TimeCreated":{"#attributes":{"SystemTime":"2025-10-24T10:00:00.000000Z"}},"EventRecordID":7},"EventData":{"Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd.exe /c whoami /all","ParentImage":"C:\\Windows\\explorer.exe","Hashes":"MD5=00,SHA256=11","User":"PC\\bob"}}}"##,
    r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":{"#text":4688,"#attributes":{"Qualifiers":""}},"Channel":"Security"},"EventData":{"Data":[{"#attributes":{"Name":"NewProcessName"},"#text":"C:\\x.exe"},{"#attributes":{"Name":"SubjectUserName"},"#text":"bob"}]}}}"##,
    "{\"Image\":\"C:\\\\a\\\\b.exe\",\"EventCode\":\"1\",\"source\":\"XmlWinEventLog:Microsoft-Windows-Sysmon/Operational\"}\n{\"EventID\":3,\"DestinationIp\":\"10.1.2.3\",\"DestinationPort\":445}\n",
    r#"{"@timestamp":"2025-01-01T00:00:00Z","event":{"category":["process"],"type":["start"]},"process":{"executable":"C:\\a\\b.exe","args":["b.exe","-x"],"parent":{"name":"cmd.exe"}},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":"1"},"host":{"os":{"type":"windows"}}}"#,
    "[{\"a\":1},{\"a\":[1,2,{\"b\":null}]},{\"c\":\"\\u00e9\\ud83d\\ude00\"}]",
    "{\n  \"a\": 1\n}\n{\n  \"a\": 2\n}\n",
];

/// The event readers (EVTX, JSON, JSON Lines, auto-detection) on mutated events: no panic,
/// every problem a diagnostic with an `eval::` code. With `DETCAT_CORPUS`, real EVTX
/// recordings of the Sigma regression data are seeds too (they are not ours to commit).
#[test]
fn fuzz_smoke_event_readers() {
    use detcat_eval::read::{Format, read_bytes};
    let mut seeds: Vec<Vec<u8>> = EVENT_SEEDS.iter().map(|s| s.as_bytes().to_vec()).collect();
    // An EVTX signature with nothing valid behind it, and a bare header's worth of zeros.
    seeds.push(b"ElfFile\0".to_vec());
    let mut header = b"ElfFile\0".to_vec();
    header.resize(4096 + 512, 0);
    seeds.push(header);
    if let Some(dir) = std::env::var_os("DETCAT_CORPUS") {
        let dir = std::path::PathBuf::from(dir).join("sigma/regression_data");
        assert!(dir.is_dir(), "{} does not exist", dir.display());
        let mut evtx: Vec<_> = walkdir::WalkDir::new(&dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "evtx"))
            .map(walkdir::DirEntry::into_path)
            .collect();
        evtx.sort_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(u64::MAX));
        for p in evtx.iter().take(3) {
            seeds.push(std::fs::read(p).unwrap());
        }
    }
    let mut rng = Rng(0x005e_ed0f_e7e7);
    let deadline = Instant::now() + budget();
    let formats = [Format::Auto, Format::Evtx, Format::Json, Format::Jsonl];
    let mut runs = 0u64;
    let mut round = 0usize;
    loop {
        let input = if round < seeds.len() {
            seeds[round].clone()
        } else if Instant::now() < deadline {
            let seed = &seeds[rng.below(seeds.len())];
            let mut m = mutate_bytes(&mut rng, seed);
            // Cuts reach the truncated-chunk and truncated-record paths of EVTX.
            if rng.below(4) == 0 {
                m.truncate(rng.below(m.len() + 1));
            }
            m
        } else {
            break;
        };
        round += 1;
        let format = formats[rng.below(formats.len())];
        let checked = catch_unwind(AssertUnwindSafe(|| {
            let out = read_bytes("fuzz", input.clone(), format);
            assert!(out.diagnostics.iter().all(|d| d.code.starts_with("eval::")));
            for e in &out.events {
                let _ = e.provenance.kind_key();
            }
        }));
        if checked.is_err() {
            let path = format!(
                "{}/../../target/fuzz-smoke-crash-event_readers.bin",
                env!("CARGO_MANIFEST_DIR")
            );
            let _ = std::fs::write(&path, &input);
            panic!("event_readers ({format:?}): crash after {runs} runs; input written to {path}");
        }
        runs += 1;
    }
    eprintln!("fuzz smoke event_readers: {runs} executions, no crash");
}

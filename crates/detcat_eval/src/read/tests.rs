//! Readers: shapes, detection, and hostile input (each gives a diagnostic, never a panic).

use super::*;

fn codes(out: &ReadOutcome) -> Vec<&'static str> {
    out.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn sniffs_every_format() {
    assert_eq!(sniff(b"ElfFile\0rest"), Format::Evtx);
    assert_eq!(sniff(b"{\"a\":1}\n{\"a\":2}\n"), Format::Jsonl);
    assert_eq!(sniff(b"{\n  \"a\": 1\n}\n"), Format::Json);
    assert_eq!(sniff(b"  [ {\"a\":1} ]"), Format::Json);
}

#[test]
fn a_bad_json_line_is_a_diagnostic_and_the_next_line_is_read() {
    let out = read_bytes(
        "f",
        b"{\"a\":1}\n{\"a\":\n\n[1]\n{\"a\":3}\n".to_vec(),
        Format::Jsonl,
    );
    assert_eq!(out.events.len(), 2);
    assert_eq!(codes(&out), ["eval::json-syntax", "eval::json-shape"]);
    assert_eq!(out.diagnostics.first().and_then(|d| d.line), Some(2));
    assert_eq!(out.events.get(1).map(|e| e.provenance.record), Some(5));
}

#[test]
fn concatenated_documents_and_arrays() {
    let text = b"{\n \"a\": 1\n}\n{\n \"a\": 2\n}\n".to_vec();
    assert_eq!(read_bytes("f", text, Format::Auto).events.len(), 2);
    let arr = b"[{\"a\":1},{\"a\":2},{\"a\":3}]".to_vec();
    assert_eq!(read_bytes("f", arr, Format::Auto).events.len(), 3);
    let broken = b"{\"a\":1}\n{\"a\": }".to_vec();
    let out = read_bytes("f", broken, Format::Json);
    assert_eq!(out.events.len(), 1);
    assert_eq!(codes(&out), ["eval::json-syntax"]);
}

#[test]
fn windows_shape_keeps_system_and_event_data() {
    let text = br##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":{"#text":4688,"#attributes":{"Qualifiers":""}},"Channel":"Security","Computer":"pc"},"EventData":{"Data":[{"#attributes":{"Name":"NewProcessName"},"#text":"C:\\x.exe"},{"#attributes":{"Name":"SubjectUserName"},"#text":"bob"}]}}}"##;
    let out = read_bytes("f", text.to_vec(), Format::Auto);
    let e = out.events.first();
    let raw = |n: &str| {
        e.and_then(|e| e.raw(n))
            .and_then(|v| v.values.first().cloned())
    };
    assert_eq!(raw("eventid").as_deref(), Some("4688"));
    assert_eq!(raw("newprocessname").as_deref(), Some(r"C:\x.exe"));
    assert_eq!(
        raw("provider_name").as_deref(),
        Some("Microsoft-Windows-Security-Auditing")
    );
    assert_eq!(
        e.and_then(|e| e.provenance.kind_key()).as_deref(),
        Some("security:4688")
    );
    let canon = e
        .and_then(|e| e.canonical("process.name"))
        .map(|v| v.values.clone());
    assert_eq!(canon, Some(vec!["x.exe".to_owned()]));
}

#[test]
fn ecs_and_flat_documents() {
    let ecs = br#"{"@timestamp":"2025-01-01T00:00:00Z","process":{"executable":"C:\\a\\b.exe","args":["b.exe","-x"]},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":"1"}}"#;
    let out = read_bytes("f", ecs.to_vec(), Format::Auto);
    let e = out.events.first();
    assert_eq!(
        e.and_then(|e| e.provenance.kind_key()).as_deref(),
        Some("sysmon:1")
    );
    let args = e
        .and_then(|e| e.canonical("process.args"))
        .map(|v| v.values.len());
    assert_eq!(args, Some(2), "ECS argv is kept, not re-split");
    let flat = br#"{"Image":"C:\\a\\b.exe","EventCode":"1","source":"XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"}"#;
    let out = read_bytes("f", flat.to_vec(), Format::Auto);
    let name = out
        .events
        .first()
        .and_then(|e| e.canonical("process.name"))
        .map(|v| v.values.clone());
    assert_eq!(name, Some(vec!["b.exe".to_owned()]));
}

#[test]
fn hostile_not_an_evtx_and_truncated_header() {
    let out = read_bytes("f", b"ElfFile\0short".to_vec(), Format::Auto);
    assert!(out.events.is_empty());
    assert_eq!(codes(&out), ["eval::evtx-open"]);
    // 70,000 bytes end inside the first 64 KiB chunk: cut, and no valid header either.
    let out = read_bytes("f", vec![0u8; 70_000], Format::Evtx);
    assert_eq!(codes(&out), ["eval::evtx-truncated", "eval::evtx-open"]);
}

#[test]
fn hostile_100_mb_single_json_line_is_skipped_in_bounded_memory() {
    let mut big = Vec::with_capacity(100 << 20);
    big.extend_from_slice(b"{\"a\":\"");
    big.resize(100 << 20, b'x');
    big.extend_from_slice(b"\"}\n{\"a\":1}\n");
    let out = read_bytes("f", big, Format::Auto);
    assert_eq!(codes(&out), ["eval::record-too-large"]);
    assert_eq!(out.events.len(), 1, "the next line is read");
}

#[test]
fn hostile_deep_nesting() {
    let mut deep = "[".repeat(100_000);
    deep.push_str(&"]".repeat(100_000));
    let out = read_bytes("f", deep.into_bytes(), Format::Jsonl);
    assert_eq!(codes(&out), ["eval::json-syntax"]);
    let nested = format!("{}1{}", "{\"a\":".repeat(100), "}".repeat(100));
    let out = read_bytes("f", nested.into_bytes(), Format::Jsonl);
    assert_eq!(
        out.events.len(),
        1,
        "100 levels parse; flattening stops at its depth limit"
    );
}

#[test]
fn hostile_invalid_utf8_and_utf16() {
    let out = read_bytes("f", b"{\"a\":\"\xff\xfe\"}\n".to_vec(), Format::Jsonl);
    assert_eq!(codes(&out), ["eval::json-syntax"]);
    // A lone surrogate escape is invalid UTF-16.
    let out = read_bytes("f", br#"{"a":"\ud800"}"#.to_vec(), Format::Jsonl);
    assert_eq!(codes(&out), ["eval::json-syntax"]);
}

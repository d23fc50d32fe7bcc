//! Fuzz target: SPL parsing, macro expansion, lowering and whole detection files must never
//! panic or hang, and every diagnostic span must lie inside its text.
#![no_main]

use detcat_model::SourceFile;
use detcat_splunk::macros::{MacroDef, MacroTable};
use libfuzzer_sys::fuzz_target;

fn table() -> MacroTable {
    let mut t = MacroTable::default();
    t.insert(MacroDef::new("sysmon", &[], "sourcetype=sysmon OR source=sysmon"));
    t.insert(MacroDef::new("process_cmd", &[], "(Processes.process_name=cmd.exe OR Processes.original_file_name=Cmd.Exe)"));
    t.insert(MacroDef::new("ctime", &["field"], "convert ctime($field$)"));
    t.insert(MacroDef::new("pair", &["a", "b"], "`ctime($a$)` | where $a$=$b$"));
    t.insert(MacroDef::new("loop", &[], "x | `loop`"));
    t.insert(MacroDef::new("fan", &[], "`sysmon` `sysmon` `sysmon` `fan`"));
    t
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let in_bounds = |d: &detcat_model::Diagnostic, len: usize| d.span.is_none_or(|s| s.start <= s.end && s.end as usize <= len);

    let parsed = detcat_splunk::spl::parse(src);
    assert!(parsed.diagnostics.iter().all(|d| in_bounds(d, src.len())));
    let _ = detcat_splunk::lower::lower(&parsed.query, src);

    let outcome = detcat_splunk::parse_query(src, &table());
    assert!(outcome.diagnostics.iter().all(|d| in_bounds(d, src.len())));

    let files = [
        SourceFile::new("splunk/detections/endpoint/fuzz.yml", src),
        SourceFile::new("splunk/macros/fuzz.yml", src),
    ];
    let outcomes = detcat_splunk::parse_files(&files);
    assert_eq!(outcomes.len(), 2);
    for rule in outcomes.iter().flat_map(|o| &o.rules) {
        assert!(rule.diagnostics.iter().all(|d| in_bounds(d, src.len())));
    }
});

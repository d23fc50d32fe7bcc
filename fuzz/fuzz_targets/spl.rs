//! Fuzz target: SPL parsing, macro expansion, lookup resolution, lowering and whole detection
//! files must never panic or hang, and every diagnostic span must lie inside its text.
#![no_main]

use std::sync::LazyLock;

use detcat_model::SourceFile;
use detcat_splunk::Context;
use detcat_splunk::lookups::{LookupTables, load_lookups};
use detcat_splunk::macros::{MacroDef, MacroTable};
use libfuzzer_sys::fuzz_target;

/// Macros (with arguments, nested, self-recursive, fanning out) and one wildcard lookup
/// table, written for this target; built once per process.
static CONTEXT: LazyLock<Context> = LazyLock::new(|| {
    let mut macros = MacroTable::default();
    macros.insert(MacroDef::new(
        "sysmon",
        &[],
        "sourcetype=sysmon OR source=sysmon",
    ));
    macros.insert(MacroDef::new(
        "process_cmd",
        &[],
        "(Processes.process_name=cmd.exe OR Processes.original_file_name=Cmd.Exe)",
    ));
    macros.insert(MacroDef::new("ctime", &["field"], "convert ctime($field$)"));
    macros.insert(MacroDef::new(
        "pair",
        &["a", "b"],
        "`ctime($a$)` | where $a$=$b$",
    ));
    macros.insert(MacroDef::new("loop", &[], "x | `loop`"));
    macros.insert(MacroDef::new(
        "fan",
        &[],
        "`sysmon` `sysmon` `sysmon` `fan`",
    ));
    let (lookups, _) = load_lookups(&[
        SourceFile::new(
            "splunk/lookups/fuzz_dlls.yml",
            "name: fuzz_dlls\nfilename: fuzz_dlls.csv\nmatch_type: WILDCARD(dll)\n\
             case_sensitive_match: 'false'\ndefault_match: 'false'\n",
        ),
        SourceFile::new(
            "splunk/lookups/fuzz_dlls.csv",
            "dll,hit,note\nscrobj.dll,true,a\njscript*.dll,true,b\n10.0.0.0/8,false,c\n",
        ),
    ]);
    Context { macros, lookups }
});

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let in_bounds = |d: &detcat_model::Diagnostic, len: usize| {
        d.span
            .is_none_or(|s| s.start <= s.end && s.end as usize <= len)
    };

    let parsed = detcat_splunk::spl::parse(src);
    assert!(parsed.diagnostics.iter().all(|d| in_bounds(d, src.len())));
    let _ = detcat_splunk::lower::lower(&parsed.query, src, &LookupTables::default());

    let outcome = detcat_splunk::parse_query(src, &CONTEXT);
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

//! Fuzz target: SPL parsing, macro expansion, lookup resolution, lowering and whole detection
//! files must never panic or hang, and every diagnostic span must lie inside its text.
#![no_main]

use std::sync::LazyLock;

use detcat_model::SourceFile;
use detcat_splunk::Context;
use detcat_splunk::lookups::LookupTables;
use libfuzzer_sys::fuzz_target;

/// `detcat_splunk::fuzz_context`: macros with arguments, nested, self-recursive and fanning
/// out, and one wildcard lookup table; built once per process.
static CONTEXT: LazyLock<Context> = LazyLock::new(|| detcat_splunk::fuzz_context().0);

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

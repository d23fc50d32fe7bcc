//! Fuzz target: the esql parser must never panic or hang, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        let parsed = detcat_elastic::esql::parse(src);
        // Every span must lie inside the input.
        for d in &parsed.diagnostics {
            assert!(d.span.end as usize <= src.len());
        }
        let _ = detcat_elastic::fields_of(&parsed.expr);
    }
});

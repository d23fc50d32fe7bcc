//! Fuzzes the condition parser: any text parses to a tree plus errors, spans inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let (_ast, errors) = detcat_sigma::parse_condition(text);
        for e in errors {
            assert!(e.span.end as usize <= text.len());
        }
    }
});

//! Fuzzes the YAML reader: any text must give a tree or a YamlError, never a panic or a hang,
//! and the direct reader must agree with the full loader wherever it reads a text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let limits = detcat_yaml::Limits {
            max_nodes: 100_000,
            ..Default::default()
        };
        let read = detcat_yaml::parse_documents(text, &limits);
        if let Ok(docs) = &read {
            for doc in docs {
                // Spans must stay inside the text.
                assert!(doc.span.end as usize <= text.len());
            }
        }
        // The direct reader gives what saphyr's events give, or leaves the text to them.
        let full = detcat_yaml::parse_documents_full(text, &limits);
        assert_eq!(format!("{read:?}"), format!("{full:?}"));
    }
});

//! Fuzzes the YAML reader: any text must give a tree or a YamlError, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let limits = detcat_yaml::Limits {
            max_nodes: 100_000,
            ..Default::default()
        };
        if let Ok(docs) = detcat_yaml::parse_documents(text, &limits) {
            for doc in &docs {
                // Spans must stay inside the text.
                assert!(doc.span.end as usize <= text.len());
            }
        }
    }
});

//! Fuzzes whole Sigma rule files: every input yields rules or a non-rule reason, no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let file = detcat_model::SourceFile::new("sigma/rules/fuzz/rule.yml", text);
    let outcome = detcat_sigma::parse_file(&file);
    assert!(outcome.non_rule.is_some() || !outcome.rules.is_empty());
});

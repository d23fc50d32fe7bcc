//! Fuzz the ATT&CK STIX loader: any bytes must load into a knowledge base plus diagnostics,
//! never a panic, hang or unbounded allocation. The queries the catalog runs afterwards are
//! exercised too, since links built from hostile input feed them.
#![no_main]

use detcat_attack::KnowledgeBase;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (kb, _diagnostics) = KnowledgeBase::load(&[("attack/fuzz.json", data)]);
    for t in kb.techniques() {
        let _ = t.cited_description();
        let _ = kb.check_technique(&t.id);
        let _ = kb.tactics_of_technique(&t.id);
        let _ = kb.detection_strategies_for(&t.id);
        let _ = kb.subtechniques(&t.id);
    }
    for domain in kb.domains() {
        let _ = kb.tactics_in_order(domain);
    }
    let _ = kb.resolve_tactic_tag("stealth");
});

//! Fuzz target: the event readers (EVTX, JSON, JSON Lines) must never panic, whatever the
//! bytes; every problem is a diagnostic. The first byte picks the format.
#![no_main]

use detcat_eval::read::{Format, read_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (format, rest) = match data.split_first() {
        Some((b, rest)) => (
            match b % 4 {
                0 => Format::Auto,
                1 => Format::Evtx,
                2 => Format::Json,
                _ => Format::Jsonl,
            },
            rest,
        ),
        None => (Format::Auto, data),
    };
    // EVTX input gets the file signature so the parser goes past the header check.
    let mut bytes = Vec::with_capacity(rest.len() + 8);
    if format == Format::Evtx {
        bytes.extend_from_slice(b"ElfFile\0");
    }
    bytes.extend_from_slice(rest);
    let out = read_bytes("fuzz", bytes, format);
    for e in &out.events {
        let _ = e.provenance.kind_key();
    }
});

//! EVTX through the `evtx` crate: each record rendered as JSON, then read as the Windows event
//! shape. A record or chunk the crate cannot read is a diagnostic; the next one is read.

use std::path::Path;

use evtx::{EvtxParser, ParserSettings, SerializedEvtxRecord};

use super::{ReadDiagnostic, event_from_json};
use crate::event::Event;
use crate::provenance::Provenance;

pub(super) enum Source<'a> {
    Path(&'a Path),
    Bytes(Vec<u8>),
}

fn settings() -> ParserSettings {
    ParserSettings::default().indent(false)
}

fn diag(file: &str, record: Option<u64>, code: &'static str, message: String) -> ReadDiagnostic {
    ReadDiagnostic {
        code,
        file: file.to_owned(),
        record,
        line: None,
        column: None,
        message,
    }
}

/// The whole error chain in one line (the crate's top message alone says little).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

pub(super) fn read(
    source: Source<'_>,
    file: &str,
    batch: usize,
    sink: &mut dyn FnMut(Vec<Event>),
    diags: &mut Vec<ReadDiagnostic>,
) {
    let len = match &source {
        Source::Path(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
        Source::Bytes(b) => b.len() as u64,
    };
    if let Some(d) = truncation(file, len) {
        diags.push(d);
    }
    match source {
        Source::Path(p) => parsed(EvtxParser::from_path(p), file, batch, sink, diags),
        Source::Bytes(b) => parsed(EvtxParser::from_buffer(b), file, batch, sink, diags),
    }
}

/// Reads the records of an opened parser, or says why it could not be opened.
fn parsed<T: std::io::Read + std::io::Seek>(
    parser: evtx::err::Result<EvtxParser<T>>,
    file: &str,
    batch: usize,
    sink: &mut dyn FnMut(Vec<Event>),
    diags: &mut Vec<ReadDiagnostic>,
) {
    match parser {
        Ok(p) => records(
            p.with_configuration(settings()).records_json_value(),
            file,
            batch,
            sink,
            diags,
        ),
        Err(e) => diags.push(diag(file, None, "eval::evtx-open", chain(&e))),
    }
}

/// EVTX is a 4 KiB header and whole 64 KiB chunks; a file ending inside a chunk was cut.
fn truncation(file: &str, len: u64) -> Option<ReadDiagnostic> {
    const HEADER: u64 = 4096;
    const CHUNK: u64 = 65536;
    let tail = len.checked_sub(HEADER)? % CHUNK;
    (tail != 0).then(|| {
        diag(
            file,
            None,
            "eval::evtx-truncated",
            format!("the file ends {tail} bytes into a 64 KiB chunk: it was cut, and records of that chunk may be missing"),
        )
    })
}

fn records(
    records: impl Iterator<Item = evtx::err::Result<SerializedEvtxRecord<serde_json::Value>>>,
    file: &str,
    batch: usize,
    sink: &mut dyn FnMut(Vec<Event>),
    diags: &mut Vec<ReadDiagnostic>,
) {
    let mut events = Vec::new();
    for record in records {
        match record {
            Ok(r) => {
                let prov = Provenance {
                    file: file.to_owned(),
                    record: r.event_record_id,
                    ..Provenance::default()
                };
                match event_from_json(r.data, prov) {
                    Ok(e) => events.push(e),
                    Err(m) => {
                        diags.push(diag(file, Some(r.event_record_id), "eval::evtx-shape", m))
                    }
                }
            }
            Err(e) => diags.push(diag(file, None, "eval::evtx-record", chain(&e))),
        }
        if events.len() >= batch {
            sink(std::mem::take(&mut events));
        }
    }
    if !events.is_empty() {
        sink(events);
    }
}

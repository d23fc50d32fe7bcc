//! JSON Lines (streamed, line length capped) and JSON documents (one, an array, or several
//! one after another — the shape of the Sigma regression `.json` files).

use std::io::{BufRead, Read};

use serde_json::Value;

use super::{MAX_DOCUMENT, MAX_RECORD, ReadDiagnostic, event_from_json};
use crate::event::Event;
use crate::provenance::Provenance;

fn diag(
    code: &'static str,
    file: &str,
    record: Option<u64>,
    line: Option<u64>,
    column: Option<u64>,
    message: String,
) -> ReadDiagnostic {
    ReadDiagnostic {
        code,
        file: file.to_owned(),
        record,
        line,
        column,
        message,
    }
}

/// Hands one JSON value to `out` as an event, or records why it is no event.
fn push_value(
    value: Value,
    file: &str,
    record: u64,
    line: Option<u64>,
    out: &mut Vec<Event>,
    diags: &mut Vec<ReadDiagnostic>,
) {
    let prov = Provenance {
        file: file.to_owned(),
        record,
        ..Provenance::default()
    };
    match event_from_json(value, prov) {
        Ok(e) => out.push(e),
        Err(m) => diags.push(diag("eval::json-shape", file, Some(record), line, None, m)),
    }
}

/// Reads one line into `buf`, keeping at most `MAX_RECORD` bytes; returns the bytes the line
/// had (0 at the end of input).
fn read_line_capped(r: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    buf.clear();
    let mut total = 0;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(total);
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if buf.len() < MAX_RECORD + 1 {
            let room = (MAX_RECORD + 1 - buf.len()).min(take);
            buf.extend_from_slice(chunk.get(..room).unwrap_or_default());
        }
        total += take;
        r.consume(take);
        if done {
            return Ok(total);
        }
    }
}

pub(super) fn read_lines(
    mut r: impl BufRead,
    file: &str,
    batch: usize,
    sink: &mut dyn FnMut(Vec<Event>),
    diags: &mut Vec<ReadDiagnostic>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut events = Vec::with_capacity(batch.min(4096));
    let mut line_no = 0u64;
    loop {
        let n = read_line_capped(&mut r, &mut buf)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if n > MAX_RECORD {
            diags.push(diag(
                "eval::record-too-large",
                file,
                Some(line_no),
                Some(line_no),
                None,
                format!("line of {n} bytes is over the {MAX_RECORD}-byte limit; skipped"),
            ));
            continue;
        }
        let text = buf.trim_ascii();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Value>(text) {
            Ok(v) => push_value(v, file, line_no, Some(line_no), &mut events, diags),
            Err(e) => diags.push(diag(
                "eval::json-syntax",
                file,
                Some(line_no),
                Some(line_no),
                Some(e.column() as u64),
                e.to_string(),
            )),
        }
        if events.len() >= batch {
            sink(std::mem::take(&mut events));
        }
    }
    if !events.is_empty() {
        sink(events);
    }
    Ok(())
}

pub(super) fn read_document(
    r: impl Read,
    file: &str,
    batch: usize,
    sink: &mut dyn FnMut(Vec<Event>),
    diags: &mut Vec<ReadDiagnostic>,
) -> std::io::Result<()> {
    let mut bytes = Vec::new();
    r.take(MAX_DOCUMENT as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > MAX_DOCUMENT {
        diags.push(diag(
            "eval::record-too-large",
            file,
            None,
            None,
            None,
            format!("JSON document over {MAX_DOCUMENT} bytes; write it as JSON Lines"),
        ));
        return Ok(());
    }
    let mut events = Vec::new();
    let mut record = 0u64;
    let mut stream = serde_json::Deserializer::from_slice(&bytes).into_iter::<Value>();
    for item in stream.by_ref() {
        match item {
            Ok(Value::Array(items)) => {
                for v in items {
                    record += 1;
                    push_value(v, file, record, None, &mut events, diags);
                }
            }
            Ok(v) => {
                record += 1;
                push_value(v, file, record, None, &mut events, diags);
            }
            Err(e) => {
                // A syntax error leaves no safe place to resume inside one document.
                diags.push(diag(
                    "eval::json-syntax",
                    file,
                    Some(record + 1),
                    Some(e.line() as u64),
                    Some(e.column() as u64),
                    format!("{e}; the rest of the document is skipped"),
                ));
                break;
            }
        }
        if events.len() >= batch {
            sink(std::mem::take(&mut events));
        }
    }
    if !events.is_empty() {
        sink(events);
    }
    Ok(())
}

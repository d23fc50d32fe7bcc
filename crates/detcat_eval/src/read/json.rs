//! JSON Lines (streamed, line length capped) and JSON documents (one, an array, or several
//! one after another — the shape of the Sigma regression `.json` files).

use std::io::{BufRead, Read};

use rayon::prelude::*;
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

/// One JSON value as an event, or why it is no event.
fn value_to_event(
    value: Value,
    file: &str,
    record: u64,
    line: Option<u64>,
) -> Result<Event, ReadDiagnostic> {
    let prov = Provenance {
        file: file.to_owned(),
        record,
        ..Provenance::default()
    };
    event_from_json(value, prov)
        .map_err(|m| diag("eval::json-shape", file, Some(record), line, None, m))
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
    match value_to_event(value, file, record, line) {
        Ok(e) => out.push(e),
        Err(d) => diags.push(d),
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

/// A line waiting to become an event: its number and bytes, or the length of a line over
/// [`MAX_RECORD`].
enum Pending {
    Line(u64, Vec<u8>),
    TooLarge(u64, usize),
}

/// Bytes of lines held before they are turned into events, whatever the batch size.
const PENDING_BYTES: usize = 64 << 20;

/// Reads JSON Lines: lines are collected up to `batch` lines (or [`PENDING_BYTES`]), then
/// parsed and turned into events in parallel, and handed to `sink` in input order with their
/// diagnostics in line order.
pub(super) fn read_lines(
    mut r: impl BufRead,
    file: &str,
    batch: usize,
    sink: &mut dyn FnMut(Vec<Event>),
    diags: &mut Vec<ReadDiagnostic>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut pending: Vec<Pending> = Vec::new();
    let mut bytes = 0usize;
    let mut line_no = 0u64;
    loop {
        let n = read_line_capped(&mut r, &mut buf)?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if n > MAX_RECORD {
            pending.push(Pending::TooLarge(line_no, n));
        } else {
            let text = buf.trim_ascii();
            if text.is_empty() {
                continue;
            }
            bytes += text.len();
            pending.push(Pending::Line(line_no, text.to_vec()));
        }
        if pending.len() >= batch.max(1) || bytes >= PENDING_BYTES {
            lines_to_events(std::mem::take(&mut pending), file, sink, diags);
            bytes = 0;
        }
    }
    lines_to_events(pending, file, sink, diags);
    Ok(())
}

/// Parses pending lines in parallel; events go to `sink`, diagnostics to `diags`, in order.
fn lines_to_events(
    pending: Vec<Pending>,
    file: &str,
    sink: &mut dyn FnMut(Vec<Event>),
    diags: &mut Vec<ReadDiagnostic>,
) {
    if pending.is_empty() {
        return;
    }
    let outcomes: Vec<Result<Event, ReadDiagnostic>> = pending
        .into_par_iter()
        .map(|p| match p {
            Pending::TooLarge(line_no, n) => Err(diag(
                "eval::record-too-large",
                file,
                Some(line_no),
                Some(line_no),
                None,
                format!("line of {n} bytes is over the {MAX_RECORD}-byte limit; skipped"),
            )),
            Pending::Line(line_no, text) => match serde_json::from_slice::<Value>(&text) {
                Ok(v) => {
                    drop(text);
                    value_to_event(v, file, line_no, Some(line_no))
                }
                Err(e) => Err(diag(
                    "eval::json-syntax",
                    file,
                    Some(line_no),
                    Some(line_no),
                    Some(e.column() as u64),
                    e.to_string(),
                )),
            },
        })
        .collect();
    let mut events = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        match o {
            Ok(e) => events.push(e),
            Err(d) => diags.push(d),
        }
    }
    if !events.is_empty() {
        sink(events);
    }
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

//! Event readers: EVTX (the `evtx` crate), JSON documents, concatenated JSON, JSON arrays and
//! JSON Lines — auto-detected per input, or forced with [`Format`].
//!
//! Bad input never stops a read: a corrupt EVTX chunk, a JSON line that does not parse or a
//! record over [`MAX_RECORD`] bytes becomes a [`ReadDiagnostic`] with the file and record (or
//! line and column), and reading goes on with the next record. Memory stays bounded: JSON Lines
//! are read a line at a time with the line length capped, EVTX a chunk at a time.

mod evtx;
mod json;
mod shape;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use serde::Serialize;

use crate::diagnostics::ReadError;
use crate::event::Event;

pub use shape::event_from_json;

/// Longest single record (JSON line or document) read; longer ones are skipped with a
/// diagnostic.
pub const MAX_RECORD: usize = 16 << 20;

/// Largest whole JSON document (array or concatenated objects) read at once; use JSON Lines
/// for larger inputs.
pub const MAX_DOCUMENT: usize = 512 << 20;

/// How an input is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Sniffed from the first bytes: the EVTX signature, a JSON line, or a JSON document.
    #[default]
    Auto,
    Evtx,
    /// One document, an array of documents, or documents one after another.
    Json,
    /// One document per line.
    Jsonl,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "auto" => Format::Auto,
            "evtx" => Format::Evtx,
            "json" => Format::Json,
            "jsonl" | "ndjson" => Format::Jsonl,
            _ => return None,
        })
    }
}

/// Something wrong with one record (or the whole input) that did not stop the read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadDiagnostic {
    /// Stable code (`eval::evtx-record`, `eval::json-syntax`, `eval::record-too-large`, …).
    pub code: &'static str,
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u64>,
    pub message: String,
}

impl std::fmt::Display for ReadDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        } else if let Some(r) = self.record {
            write!(f, " record {r}")?;
        }
        write!(f, ": {} [{}]", self.message, self.code)
    }
}

/// Events read and what went wrong on the way.
#[derive(Debug, Default)]
pub struct ReadOutcome {
    pub events: Vec<Event>,
    pub diagnostics: Vec<ReadDiagnostic>,
}

const EVTX_MAGIC: &[u8] = b"ElfFile\0";

/// Reads a whole file into events.
///
/// # Errors
/// Only when the file cannot be opened or read at all.
pub fn read_path(path: &Path, format: Format) -> Result<ReadOutcome, ReadError> {
    let mut out = ReadOutcome::default();
    read_path_batches(path, format, 4096, &mut |batch| out.events.extend(batch))
        .map(|d| out.diagnostics = d)?;
    Ok(out)
}

/// Reads a file in batches of at most `batch` events, handing each to `sink`; returns the
/// diagnostics. JSON Lines and EVTX are streamed, so memory is bounded by the batch size.
///
/// # Errors
/// Only when the file cannot be opened or read at all.
pub fn read_path_batches(
    path: &Path,
    format: Format,
    batch: usize,
    sink: &mut dyn FnMut(Vec<Event>),
) -> Result<Vec<ReadDiagnostic>, ReadError> {
    let name = path.display().to_string();
    let io = |source| ReadError::Io {
        path: name.clone(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let mut head = [0u8; 4096];
    let n = read_head(&mut file, &mut head).map_err(io)?;
    let head = head.get(..n).unwrap_or_default();
    let format = match format {
        Format::Auto => sniff(head),
        f => f,
    };
    let file = File::open(path).map_err(io)?;
    let mut diags = Vec::new();
    match format {
        Format::Evtx => evtx::read(evtx::Source::Path(path), &name, batch, sink, &mut diags),
        Format::Jsonl | Format::Auto => {
            json::read_lines(BufReader::new(file), &name, batch, sink, &mut diags).map_err(io)?
        }
        Format::Json => json::read_document(file, &name, batch, sink, &mut diags).map_err(io)?,
    }
    Ok(diags)
}

/// Reads events from bytes already in memory (stdin, tests, fuzzing).
pub fn read_bytes(name: &str, bytes: Vec<u8>, format: Format) -> ReadOutcome {
    let mut out = ReadOutcome::default();
    let format = match format {
        Format::Auto => sniff(bytes.get(..4096).unwrap_or(&bytes)),
        f => f,
    };
    let mut sink = |batch: Vec<Event>| out.events.extend(batch);
    let mut diags = Vec::new();
    // Reading from memory cannot fail with an I/O error.
    let _ = match format {
        Format::Evtx => {
            evtx::read(
                evtx::Source::Bytes(bytes),
                name,
                4096,
                &mut sink,
                &mut diags,
            );
            Ok(())
        }
        Format::Jsonl | Format::Auto => {
            json::read_lines(bytes.as_slice(), name, 4096, &mut sink, &mut diags)
        }
        Format::Json => json::read_document(bytes.as_slice(), name, 4096, &mut sink, &mut diags),
    };
    out.diagnostics = diags;
    out
}

fn read_head(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(buf.get_mut(n..).unwrap_or_default())? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// EVTX by its signature; JSON Lines when the first line is a whole JSON value; else JSON.
fn sniff(head: &[u8]) -> Format {
    if head.starts_with(EVTX_MAGIC) {
        return Format::Evtx;
    }
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return Format::Json;
    }
    match trimmed.lines().next() {
        Some(line) if serde_json::from_str::<serde_json::Value>(line.trim()).is_ok() => {
            Format::Jsonl
        }
        // A first line longer than the sniffed head reads as JSON Lines too.
        Some(line) if line.len() + 1 >= head.len() => Format::Jsonl,
        _ => Format::Json,
    }
}

#[cfg(test)]
mod tests;

//! Splitting a query into commands on top-level pipes, and naming each command.

use detcat_model::Span;

use super::ast::{Command, CommandKind, Query};
use super::lexer::{Mode, Tok, macro_close, match_bracket, skip_literal};
use super::{Ctx, MAX_DEPTH, commands};
use crate::diagnostics as diag;

/// Parses `text[start..end]` as a query (the whole search, or a subsearch's inside).
///
/// With `leading_search`, a first command without a pipe is an implicit `search`; without it,
/// the first word names a command (the sub-pipeline of `appendpipe [stats …]`).
pub(crate) fn parse_query(
    ctx: &mut Ctx<'_>,
    start: usize,
    end: usize,
    depth: usize,
    leading_search: bool,
) -> Query {
    let span = Span::new(start, end);
    if depth > MAX_DEPTH {
        ctx.diags.push(diag::too_deep(span));
        return Query {
            commands: Vec::new(),
            span,
        };
    }
    let bytes = ctx.text.as_bytes();
    let first = (start..end).find(|&i| bytes.get(i).is_some_and(|b| !b.is_ascii_whitespace()));
    let Some(first) = first else {
        return Query {
            commands: Vec::new(),
            span,
        };
    };
    let generating = bytes.get(first) == Some(&b'|')
        || !leading_search
        || (depth > 0 && starts_with_command(ctx.text, first, end));
    let skip_pipe = bytes.get(first) == Some(&b'|');
    let segments = split_pipes(bytes, if skip_pipe { first + 1 } else { first }, end);
    let mut commands = Vec::with_capacity(segments.len());
    for (k, (s, e)) in segments.into_iter().enumerate() {
        if let Some(cmd) = parse_command(ctx, s, e, k == 0 && !generating, depth) {
            commands.push(cmd);
        }
    }
    Query { commands, span }
}

/// Commands that generate results and may open a subsearch without a pipe: `append [ mstats …
/// ]`, `join x [ summary model ]`. (`search` itself is the implicit first command anyway.)
const SUBSEARCH_COMMANDS: &[&str] = &[
    "tstats",
    "mstats",
    "inputlookup",
    "inputcsv",
    "makeresults",
    "rest",
    "metadata",
    "datamodel",
    "loadjob",
    "savedsearch",
    "summary",
    "dbinspect",
    "eventcount",
];

/// Does the subsearch text at `first` start with one of [`SUBSEARCH_COMMANDS`] followed by a
/// space (so `tstats=1` or `summary*` stay search terms)?
fn starts_with_command(text: &str, first: usize, end: usize) -> bool {
    let rest = text.get(first..end).unwrap_or("");
    let word_end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let (word, after) = rest.split_at(word_end);
    after.starts_with(|c: char| c.is_ascii_whitespace())
        && SUBSEARCH_COMMANDS.contains(&word.to_ascii_lowercase().as_str())
}

/// Byte ranges between top-level pipes (quotes, brackets, macros and comments respected).
fn split_pipes(bytes: &[u8], start: usize, end: usize) -> Vec<(usize, usize)> {
    let end = end.min(bytes.len());
    let mut out = Vec::new();
    let mut seg = start;
    let mut i = start;
    while i < end {
        if let Some(next) = skip_literal(bytes, i, end) {
            i = next;
            continue;
        }
        match bytes.get(i).copied().unwrap_or(b' ') {
            b'`' => i = macro_close(bytes, i, end).map_or(end, |c| c + 1),
            b'[' => i = match_bracket(bytes, i, end).map_or(end, |c| c + 1),
            b'|' => {
                out.push((seg, i));
                i += 1;
                seg = i;
            }
            _ => i += 1,
        }
    }
    out.push((seg, end));
    out
}

fn parse_command(
    ctx: &mut Ctx<'_>,
    start: usize,
    end: usize,
    leading: bool,
    depth: usize,
) -> Option<Command> {
    let bytes = ctx.text.as_bytes();
    let s = (start..end).find(|&i| bytes.get(i).is_some_and(|b| !b.is_ascii_whitespace()));
    let Some(s) = s else {
        ctx.diags.push(diag::empty_command(Span::new(start, end)));
        return None;
    };
    let e = (s..end)
        .rev()
        .find(|&i| bytes.get(i).is_some_and(|b| !b.is_ascii_whitespace()))
        .map_or(end, |i| i + 1);
    let span = Span::new(s, e);
    let name_end = (s..e)
        .find(|&i| {
            !bytes
                .get(i)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        })
        .unwrap_or(e);
    let word = ctx.text.get(s..name_end).unwrap_or("").to_ascii_lowercase();
    let name_is_word =
        name_end == e || bytes.get(name_end).is_some_and(|b| b.is_ascii_whitespace());
    if leading {
        // The first command is an implicit `search` unless it says `search` itself.
        let args = if word == "search" && name_is_word {
            name_end
        } else {
            s
        };
        let kind = commands::parse(ctx, "search", args, e, depth);
        return Some(Command {
            name: "search".to_owned(),
            kind,
            span,
        });
    }
    if bytes.get(s) == Some(&b'`') {
        let toks = ctx.lex(s, e, Mode::Search);
        if let [only] = toks.as_slice()
            && only.tok == Tok::Macro
        {
            let name = ctx.macro_name(only.span);
            return Some(Command {
                name: "`macro`".to_owned(),
                kind: CommandKind::Macro { name },
                span,
            });
        }
    }
    let kind = commands::parse(ctx, &word, name_end, e, depth);
    Some(Command {
        name: word,
        kind,
        span,
    })
}

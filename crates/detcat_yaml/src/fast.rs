//! A direct reader for the block-style YAML rule files are written in: mappings and sequences
//! by indentation, plain, quoted and block scalars, one-line flow sequences, comments and
//! `---` between documents.
//!
//! It exists for speed: building nodes straight from the text costs a fraction of going through
//! saphyr's tokens and events, which were ~20% of a Sigma-alone build's instructions (0.8 G of
//! 3.9 G; the whole tree costs ~0.19 G this way). It gives up — returns `None` — on anything
//! outside that subset (anchors, aliases, tags, flow mappings, directives, tabs, carriage
//! returns, nested compact sequences, empty documents, …) and on anything that is not valid
//! YAML, so the full parser reads those texts and reports their errors. Whatever it returns is
//! what the full loader returns for the same text, spans included; differential tests over
//! every YAML file of the corpus and over generated documents, and a fuzz target, hold it to
//! that.

use memchr::{memchr, memchr2, memchr3};

use detcat_model::Span;

use crate::resolve::resolve_plain;
use crate::{Limits, Node, NodeValue};

/// Deepest nesting this reader follows by recursion; deeper texts go to the full loader, which
/// keeps an explicit stack.
const MAX_DEPTH: usize = 64;

/// saphyr rejects simple keys longer than this.
const MAX_KEY_LEN: usize = 1024;

/// Reads every document of `text`, or `None` when the text is not in the subset this reader
/// knows (the caller then uses the full loader).
pub(crate) fn load(text: &str, limits: &Limits) -> Option<Vec<Node>> {
    let b = text.as_bytes();
    // Tabs and carriage returns have rules of their own; NUL ends saphyr's input; a byte order
    // mark ends a plain scalar.
    if text.len() > limits.max_bytes
        || memchr3(b'\t', b'\r', 0, b).is_some()
        || text.contains('\u{feff}')
    {
        return None;
    }
    let mut reader = Reader {
        text,
        b,
        pos: 0,
        nodes: 0,
        depth: 0,
        max_depth: limits.max_depth.min(MAX_DEPTH),
        max_nodes: limits.max_nodes,
    };
    reader.stream()
}

struct Reader<'a> {
    text: &'a str,
    b: &'a [u8],
    /// Where reading goes on: the start of a line once a node is read.
    pos: usize,
    nodes: usize,
    depth: usize,
    max_depth: usize,
    max_nodes: usize,
}

/// The layout of one line.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    indent: usize,
    /// First byte after the indentation.
    content: usize,
    /// The `\n` ending the line, or the end of the text.
    end: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Chomp {
    Strip,
    Clip,
    Keep,
}

impl<'a> Reader<'a> {
    fn at(&self, i: usize) -> u8 {
        self.b.get(i).copied().unwrap_or(0)
    }

    fn line_end(&self, from: usize) -> usize {
        self.b
            .get(from..)
            .and_then(|rest| memchr(b'\n', rest))
            .map_or(self.b.len(), |i| from + i)
    }

    fn next_line(&self, end: usize) -> usize {
        (end + 1).min(self.b.len())
    }

    fn line(&self, start: usize) -> Line {
        let end = self.line_end(start);
        let indent = self
            .b
            .get(start..end)
            .map_or(0, |l| l.iter().take_while(|&&c| c == b' ').count());
        Line {
            start,
            indent,
            content: start + indent,
            end,
        }
    }

    fn skip_spaces(&self, mut i: usize) -> usize {
        while self.at(i) == b' ' {
            i += 1;
        }
        i
    }

    fn slice(&self, from: usize, to: usize) -> &'a str {
        self.text.get(from..to).unwrap_or_default()
    }

    /// Empty (or all spaces) or a comment.
    fn is_insignificant(&self, line: &Line) -> bool {
        line.content == line.end || self.at(line.content) == b'#'
    }

    /// The next line with content from `self.pos` (moving `pos` to its start); `None` at the end.
    fn next_significant(&mut self) -> Option<Line> {
        while self.pos < self.b.len() {
            let line = self.line(self.pos);
            if !self.is_insignificant(&line) {
                return Some(line);
            }
            self.pos = self.next_line(line.end);
        }
        None
    }

    fn is_document_start(&self, line: &Line) -> bool {
        self.is_marker(line, b"---")
    }

    /// `---` or `...` at the start of a line: a document starts or ends there.
    fn is_document_marker(&self, line: &Line) -> bool {
        self.is_marker(line, b"---") || self.is_marker(line, b"...")
    }

    fn is_marker(&self, line: &Line, marker: &[u8]) -> bool {
        line.indent == 0
            && self.b.get(line.start..line.start + 3) == Some(marker)
            && matches!(self.at(line.start + 3), b' ' | b'\n' | 0)
    }

    /// `-` followed by a space or a line end: a block sequence entry.
    fn is_entry(&self, i: usize) -> bool {
        self.at(i) == b'-' && matches!(self.at(i + 1), b' ' | b'\n' | 0)
    }

    /// Could a plain scalar start at `i` (in block context)?
    fn plain_may_start(&self, i: usize) -> bool {
        match self.at(i) {
            b'-' | b'?' | b':' => !matches!(self.at(i + 1), b' ' | b'\n' | 0),
            b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
            | b'"' | b'%' | b'@' | b'`' | b' ' | b'\n' | 0 => false,
            _ => true,
        }
    }

    /// If a key starts at `i` (`key:` followed by a space or the line end; the key plain, or
    /// quoted on one line), where its span ends and where its colon is.
    fn key_at(&self, i: usize) -> Option<(usize, usize)> {
        if matches!(self.at(i), b'\'' | b'"') {
            // Most quoted scalars are values, with no `: ` after them on their line.
            if !self.colon_ahead(i) {
                return None;
            }
            let (_, end) = self.quoted_key(i)?;
            return Some(end);
        }
        if !self.plain_may_start(i) {
            return None;
        }
        let end = self.line_end(i);
        let line = self.b.get(i..end)?;
        let mut from = 0;
        while let Some(j) = memchr2(b':', b'#', line.get(from..)?).map(|j| from + j) {
            let next = line.get(j + 1).copied().unwrap_or(b'\n');
            if line.get(j) == Some(&b':') && matches!(next, b' ' | b'\n') {
                let key_end = i + trim_spaces_end(line.get(..j)?);
                return (j <= MAX_KEY_LEN).then_some((key_end, i + j));
            }
            if line.get(j) == Some(&b'#') && j > 0 && line.get(j - 1) == Some(&b' ') {
                return None;
            }
            from = j + 1;
        }
        None
    }

    /// Is there a `:` followed by a space or the line end on the line from `i`?
    fn colon_ahead(&self, i: usize) -> bool {
        let end = self.line_end(i);
        let mut from = i;
        while let Some(j) = self.b.get(from..end).and_then(|rest| memchr(b':', rest)) {
            if matches!(self.at(from + j + 1), b' ' | b'\n' | 0) {
                return true;
            }
            from += j + 1;
        }
        false
    }

    /// A quoted key at `i`: its value, and (as [`Reader::key_at`]) its span's end — saphyr ends
    /// a quoted scalar past the spaces after it, at the colon — and its colon.
    fn quoted_key(&self, i: usize) -> Option<(String, (usize, usize))> {
        let (value, end) = self.quoted(i, None)?;
        let colon = self.skip_spaces(end);
        let fits = self.at(colon) == b':'
            && matches!(self.at(colon + 1), b' ' | b'\n' | 0)
            && colon - i <= MAX_KEY_LEN;
        fits.then_some((value, (colon, colon)))
    }

    fn count(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes <= self.max_nodes).then_some(())
    }

    fn enter(&mut self) -> Option<()> {
        if self.depth >= self.max_depth {
            return None;
        }
        self.depth += 1;
        Some(())
    }

    /// The end of a collection that started at `start` and is followed by the token at `next`:
    /// the full loader's end, pulled back over whitespace (comments stay inside).
    fn collection_end(&self, start: usize, next: usize) -> usize {
        start + self.slice(start, next).trim_end().len()
    }

    fn null_at(&mut self, at: usize) -> Option<Node> {
        self.count()?;
        Some(Node {
            value: NodeValue::Null,
            span: Span::new(at, at),
            quoted: false,
            raw: Some(String::new()),
        })
    }

    fn plain_node(&mut self, text: &str, start: usize, end: usize) -> Option<Node> {
        self.count()?;
        let value = resolve_plain(text);
        let raw = (!matches!(value, NodeValue::Str(_))).then(|| text.to_owned());
        Some(Node {
            value,
            span: Span::new(start, end),
            quoted: false,
            raw,
        })
    }

    fn quoted_node(&mut self, value: String, start: usize, end: usize) -> Option<Node> {
        self.count()?;
        Some(Node {
            value: NodeValue::Str(value),
            span: Span::new(start, end),
            quoted: true,
            raw: None,
        })
    }

    fn stream(&mut self) -> Option<Vec<Node>> {
        let mut docs = Vec::new();
        while let Some(mut line) = self.next_significant() {
            if self.is_document_start(&line) {
                let after = self.skip_spaces(line.start + 3);
                if after != line.end {
                    return None;
                }
                self.pos = self.next_line(line.end);
                // An empty document (saphyr gives it an odd span): the full loader's business.
                line = self.next_significant()?;
                if self.is_document_start(&line) {
                    return None;
                }
            } else if !docs.is_empty() || self.is_document_marker(&line) {
                // Content after a document without `---`, or a `...` end marker.
                return None;
            }
            if line.indent != 0 || self.key_at(line.content).is_none() {
                return None;
            }
            docs.push(self.block_map(0, line.content)?);
        }
        // No document at all (saphyr reads a comment-only text as one null document).
        (!docs.is_empty()).then_some(docs)
    }

    /// A block mapping whose entries sit at column `indent`, the first key at `first`.
    fn block_map(&mut self, indent: usize, first: usize) -> Option<Node> {
        self.enter()?;
        let mut entries = Vec::new();
        let mut key_start = first;
        let next_token = loop {
            let (key, colon) = if matches!(self.at(key_start), b'\'' | b'"') {
                let (value, (key_end, colon)) = self.quoted_key(key_start)?;
                (self.quoted_node(value, key_start, key_end)?, colon)
            } else {
                let (key_end, colon) = self.key_at(key_start)?;
                let text = self.slice(key_start, key_end);
                (self.plain_node(text, key_start, key_end)?, colon)
            };
            let value = self.map_value(indent, colon)?;
            entries.push((key, value));
            match self.next_significant() {
                None => break self.b.len(),
                Some(line) if self.is_document_marker(&line) || line.indent < indent => {
                    break line.content;
                }
                Some(line) if line.indent == indent => key_start = line.content,
                Some(_) => return None,
            }
        };
        self.depth -= 1;
        self.count()?;
        Some(Node {
            value: NodeValue::Map(entries),
            span: Span::new(first, self.collection_end(first, next_token)),
            quoted: false,
            raw: None,
        })
    }

    /// The value after the colon at `colon` of an entry of a mapping at column `indent`.
    fn map_value(&mut self, indent: usize, colon: usize) -> Option<Node> {
        let at = self.skip_spaces(colon + 1);
        if !matches!(self.at(at), b'\n' | b'#' | 0) {
            return self.inline_node(at, indent);
        }
        self.pos = self.next_line(self.line_end(at));
        match self.next_significant() {
            Some(line) if line.indent > indent => self.block_node(line, indent),
            // An indentless sequence: `key:` and its `- ` entries in the same column.
            Some(line) if line.indent == indent && self.is_entry(line.content) => {
                self.block_seq(indent, line.content, true)
            }
            _ => self.null_at(colon),
        }
    }

    /// A node that starts a line (more indented than its parent at `parent`).
    fn block_node(&mut self, line: Line, parent: usize) -> Option<Node> {
        if self.is_entry(line.content) {
            self.block_seq(line.indent, line.content, false)
        } else if self.key_at(line.content).is_some() {
            self.block_map(line.indent, line.content)
        } else {
            self.inline_node(line.content, parent)
        }
    }

    /// A block sequence with its `-` at column `indent`, the first at `first`; `indentless`
    /// when it sits in the column of the mapping whose value it is.
    fn block_seq(&mut self, indent: usize, first: usize, indentless: bool) -> Option<Node> {
        self.enter()?;
        let mut items: Vec<Node> = Vec::new();
        let mut dash = first;
        // Where saphyr starts an indentless sequence: at the first token after its first dash
        // (a block scalar's indicator, not its text), or, when the entry's node is below the
        // dash (or absent), at the end of the dash's line.
        let mut indentless_start = None;
        let next_token = loop {
            let at = self.skip_spaces(dash + 1);
            let item = if matches!(self.at(at), b'\n' | b'#' | 0) {
                // An empty entry sits, for saphyr, past its spaces and comment.
                let line_end = self.line_end(at);
                indentless_start.get_or_insert(line_end);
                self.pos = self.next_line(line_end);
                match self.next_significant() {
                    Some(line) if line.indent > indent => self.block_node(line, indent)?,
                    _ => self.null_at(line_end)?,
                }
            } else if self.is_entry(at) {
                return None;
            } else if self.key_at(at).is_some() {
                let column = at - self.line_start(at);
                self.block_map(column, at)?
            } else {
                self.inline_node(at, indent)?
            };
            indentless_start.get_or_insert(at);
            items.push(item);
            match self.next_significant() {
                None => break self.b.len(),
                Some(line) if line.indent == indent && self.is_entry(line.content) => {
                    dash = line.content;
                }
                Some(line) if line.indent <= indent => break line.content,
                Some(_) => return None,
            }
        };
        self.depth -= 1;
        self.count()?;
        let start = match indentless_start {
            Some(start) if indentless => start,
            _ => first,
        };
        Some(Node {
            value: NodeValue::Seq(items),
            span: Span::new(start, self.collection_end(start, next_token)),
            quoted: false,
            raw: None,
        })
    }

    fn line_start(&self, i: usize) -> usize {
        self.b
            .get(..i)
            .and_then(|before| memchr::memrchr(b'\n', before))
            .map_or(0, |nl| nl + 1)
    }

    /// A node that starts at `at`, inside a line, in a collection at column `parent`.
    fn inline_node(&mut self, at: usize, parent: usize) -> Option<Node> {
        match self.at(at) {
            b'|' | b'>' => self.block_scalar(at, parent),
            b'[' => self.flow_seq(at),
            b'\'' | b'"' => {
                let (value, end) = self.quoted(at, Some(parent))?;
                let end = self.after_scalar(end)?;
                self.quoted_node(value, at, end)
            }
            _ if self.plain_may_start(at) => self.plain(at, parent),
            _ => None,
        }
    }

    /// After a quoted scalar or a flow sequence ending before `end`: only spaces and a comment
    /// may follow on its line (a colon would make it a key, left to the full loader). Returns
    /// where saphyr ends a quoted scalar's span: past those spaces and that comment.
    fn after_scalar(&mut self, end: usize) -> Option<usize> {
        let rest = self.skip_spaces(end);
        let line_end = match self.at(rest) {
            b'\n' | 0 => rest,
            b'#' if rest > end => self.line_end(rest),
            _ => return None,
        };
        self.pos = self.next_line(line_end);
        Some(line_end)
    }

    /// A plain scalar from `at`, continued on following lines more indented than `parent`.
    fn plain(&mut self, at: usize, parent: usize) -> Option<Node> {
        let (mut end, mut commented, line_end) = self.plain_segment(at)?;
        let mut folded: Option<String> = None;
        let mut pos = self.next_line(line_end);
        while !commented {
            let (breaks, line) = self.after_blank_lines(pos);
            let Some(line) = line else { break };
            if line.indent <= parent || self.at(line.content) == b'#' {
                break;
            }
            let (segment_end, comment, segment_line_end) = self.plain_segment(line.content)?;
            let text = folded.get_or_insert_with(|| self.slice(at, end).to_owned());
            push_fold(text, breaks);
            text.push_str(self.slice(line.content, segment_end));
            end = segment_end;
            commented = comment;
            pos = self.next_line(segment_line_end);
        }
        self.pos = pos;
        match folded {
            Some(text) => self.plain_node(&text, at, end),
            None => self.plain_node(self.slice(at, end), at, end),
        }
    }

    /// One line's part of a plain scalar from `at`: its trimmed end, whether a comment follows
    /// it, and the line's end. `None` for `: ` inside (not valid YAML in a value).
    fn plain_segment(&self, at: usize) -> Option<(usize, bool, usize)> {
        let line_end = self.line_end(at);
        let line = self.b.get(at..line_end)?;
        let mut from = 0;
        let mut stop = line.len();
        let mut comment = false;
        while let Some(j) = memchr2(b':', b'#', line.get(from..)?).map(|j| from + j) {
            if line.get(j) == Some(&b':') {
                if matches!(line.get(j + 1), None | Some(b' ')) {
                    return None;
                }
            } else if j > 0 && line.get(j - 1) == Some(&b' ') {
                stop = j;
                comment = true;
                break;
            }
            from = j + 1;
        }
        let end = at + trim_spaces_end(line.get(..stop)?);
        Some((end, comment, line_end))
    }

    /// The single- or double-quoted scalar at `at` (see [`Reader::single_quoted`]).
    fn quoted(&self, at: usize, parent: Option<usize>) -> Option<(String, usize)> {
        if self.at(at) == b'\'' {
            self.single_quoted(at, parent)
        } else {
            self.double_quoted(at, parent)
        }
    }

    /// A single-quoted scalar at `at`: its value and the end of its closing quote. `parent` is
    /// the column its continuation lines must pass; `None` allows no line break (flow).
    fn single_quoted(&self, at: usize, parent: Option<usize>) -> Option<(String, usize)> {
        let mut value = String::new();
        let mut run = at + 1;
        loop {
            let j = run + memchr2(b'\'', b'\n', self.b.get(run..)?)?;
            if self.at(j) == b'\'' {
                if self.at(j + 1) == b'\'' {
                    value.push_str(self.slice(run, j + 1));
                    run = j + 2;
                    continue;
                }
                value.push_str(self.slice(run, j));
                return Some((value, j + 1));
            }
            value.push_str(trim_str_spaces_end(self.slice(run, j)));
            run = self.fold_break(j, parent?, &mut value)?;
        }
    }

    /// A double-quoted scalar at `at` (see [`Reader::single_quoted`]).
    fn double_quoted(&self, at: usize, parent: Option<usize>) -> Option<(String, usize)> {
        let mut value = String::new();
        let mut run = at + 1;
        loop {
            let j = run + memchr3(b'"', b'\\', b'\n', self.b.get(run..)?)?;
            match self.at(j) {
                b'"' => {
                    value.push_str(self.slice(run, j));
                    return Some((value, j + 1));
                }
                b'\\' if self.at(j + 1) == b'\n' => {
                    // An escaped line break: the lines join with nothing between them.
                    value.push_str(self.slice(run, j));
                    let line = self.line(j + 2);
                    parent.filter(|&p| line.indent > p && line.content != line.end)?;
                    run = line.content;
                }
                b'\\' => {
                    value.push_str(self.slice(run, j));
                    run = self.escape(j, &mut value)?;
                }
                _ => {
                    value.push_str(trim_str_spaces_end(self.slice(run, j)));
                    run = self.fold_break(j, parent?, &mut value)?;
                }
            }
        }
    }

    /// Folds the line break at `newline` inside a quoted scalar: one break becomes a space, each
    /// further (empty) line a newline. Returns where the text goes on.
    fn fold_break(&self, newline: usize, parent: usize, value: &mut String) -> Option<usize> {
        let (breaks, line) = self.after_blank_lines(newline + 1);
        let line = line.filter(|line| line.indent > parent)?;
        push_fold(value, breaks);
        Some(line.content)
    }

    /// The first line from `from` with more than spaces on it (`None` at the end of the text),
    /// and how many blank lines came before it.
    fn after_blank_lines(&self, mut from: usize) -> (usize, Option<Line>) {
        let mut breaks = 0;
        while from < self.b.len() {
            let line = self.line(from);
            if line.content != line.end {
                return (breaks, Some(line));
            }
            breaks += 1;
            from = self.next_line(line.end);
        }
        (breaks, None)
    }

    /// The escape sequence whose backslash is at `at`, appended to `value`; returns where the
    /// text goes on.
    fn escape(&self, at: usize, value: &mut String) -> Option<usize> {
        let simple = match self.at(at + 1) {
            b'0' => '\0',
            b'a' => '\x07',
            b'b' => '\x08',
            b't' => '\t',
            b'n' => '\n',
            b'v' => '\x0b',
            b'f' => '\x0c',
            b'r' => '\r',
            b'e' => '\x1b',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' | b'u' | b'U' => {
                let digits = match self.at(at + 1) {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let hex = self.b.get(at + 2..at + 2 + digits)?;
                // Hex digits only: `from_str_radix` would also take a sign.
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                let code = u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
                value.push(char::from_u32(code)?);
                return Some(at + 2 + digits);
            }
            _ => return None,
        };
        value.push(simple);
        Some(at + 2)
    }

    /// A block scalar (`|` literal or `>` folded) whose indicator is at `at`, in a collection at
    /// column `parent`.
    fn block_scalar(&mut self, at: usize, parent: usize) -> Option<Node> {
        let folded = self.at(at) == b'>';
        let (chomp, header_end) = match self.at(at + 1) {
            b'-' => (Chomp::Strip, at + 2),
            b'+' => (Chomp::Keep, at + 2),
            _ => (Chomp::Clip, at + 1),
        };
        let rest = self.skip_spaces(header_end);
        match self.at(rest) {
            b'\n' => {}
            b'#' if rest > header_end => {}
            // An indentation indicator, text after the header, or no content at all.
            _ => return None,
        }
        let first = self.line(self.next_line(self.line_end(rest)));
        // Leading empty lines and empty block scalars have rules of their own.
        if first.start >= self.b.len() || first.content == first.end || first.indent <= parent {
            return None;
        }
        let indent = first.indent;
        let mut value = String::new();
        let mut leading_break = false;
        let mut trailing_breaks = 0;
        let mut leading_blank = false;
        let mut line_start = first.start;
        let (end, resume) = 'lines: loop {
            let content = line_start + indent;
            let line_end = self.line_end(content);
            let trailing_blank = self.at(content) == b' ';
            if folded && leading_break && !leading_blank && !trailing_blank {
                if trailing_breaks == 0 {
                    value.push(' ');
                }
            } else if leading_break {
                value.push('\n');
            }
            value.extend(std::iter::repeat_n('\n', trailing_breaks));
            trailing_breaks = 0;
            leading_blank = trailing_blank;
            value.push_str(self.slice(content, line_end));
            // saphyr ends the last line with a break even where the text has none.
            leading_break = true;
            if line_end >= self.b.len() {
                break (self.b.len(), self.b.len());
            }
            let mut next = line_end + 1;
            loop {
                if next >= self.b.len() {
                    break 'lines (self.b.len(), self.b.len());
                }
                let line = self.line(next);
                if line.indent >= indent && (line.content < line.end || line.indent > indent) {
                    // A content line (a line of spaces beyond the indentation is one too).
                    line_start = next;
                    continue 'lines;
                }
                if line.content < line.end {
                    // Less indented: the scalar ends after the spaces the scanner consumed.
                    break 'lines (line.content, line.start);
                }
                if line.end >= self.b.len() {
                    // Spaces at the end of the text with no line break after them: saphyr
                    // counts them as a break or not by their number.
                    return None;
                }
                trailing_breaks += 1;
                next = self.next_line(line.end);
            }
        };
        if chomp != Chomp::Strip && leading_break {
            value.push('\n');
        }
        if chomp == Chomp::Keep {
            value.extend(std::iter::repeat_n('\n', trailing_breaks));
        }
        self.pos = resume;
        self.quoted_node(value, first.start + indent, end)
    }

    /// A flow sequence on one line: `[a, 'b', "c"]`.
    fn flow_seq(&mut self, at: usize) -> Option<Node> {
        self.enter()?;
        let mut items = Vec::new();
        let mut i = self.skip_spaces(at + 1);
        if self.at(i) != b']' {
            loop {
                let item = match self.at(i) {
                    b'\'' | b'"' => {
                        let (value, end) = self.quoted(i, None)?;
                        let end = self.skip_spaces(end);
                        let node = self.quoted_node(value, i, end)?;
                        i = end;
                        node
                    }
                    b'-' if matches!(self.at(i + 1), b',' | b'[' | b']' | b'{' | b'}') => {
                        return None;
                    }
                    _ if self.plain_may_start(i) => {
                        let end = self.flow_plain_end(i)?;
                        let node = self.plain_node(self.slice(i, end), i, end)?;
                        i = end;
                        node
                    }
                    _ => return None,
                };
                items.push(item);
                i = self.skip_spaces(i);
                match self.at(i) {
                    b']' => break,
                    b',' => {
                        i = self.skip_spaces(i + 1);
                        // A trailing comma, or a comma with no entry: left to the full loader.
                        if matches!(self.at(i), b']' | b',') {
                            return None;
                        }
                    }
                    _ => return None,
                }
            }
        }
        // saphyr ends the sequence past the spaces and comment after it; the loader pulls
        // a collection's end back over whitespace.
        let after = self.after_scalar(i + 1)?;
        let end = self.collection_end(at, after);
        self.depth -= 1;
        self.count()?;
        Some(Node {
            value: NodeValue::Seq(items),
            span: Span::new(at, end),
            quoted: false,
            raw: None,
        })
    }

    /// The trimmed end of a plain scalar inside a one-line flow sequence.
    fn flow_plain_end(&self, at: usize) -> Option<usize> {
        let mut i = at;
        loop {
            match self.at(i) {
                b',' | b']' => break,
                b'[' | b'{' | b'}' | b':' | b'\n' | 0 => return None,
                // saphyr rejects a word of a flow scalar that is `-` then a flow indicator.
                b'-' if matches!(self.at(i + 1), b',' | b']') => return None,
                b'#' if self.at(i - 1) == b' ' => return None,
                _ => i += 1,
            }
        }
        Some(at + trim_spaces_end(self.b.get(at..i)?))
    }
}

/// Folds a line break inside a flow or plain scalar: one break is a space; with `breaks` empty
/// lines between, each is a newline.
fn push_fold(value: &mut String, breaks: usize) {
    if breaks == 0 {
        value.push(' ');
    } else {
        value.extend(std::iter::repeat_n('\n', breaks));
    }
}

fn trim_spaces_end(bytes: &[u8]) -> usize {
    bytes.iter().rposition(|&c| c != b' ').map_or(0, |i| i + 1)
}

fn trim_str_spaces_end(text: &str) -> &str {
    text.trim_end_matches(' ')
}

#[cfg(test)]
mod tests;

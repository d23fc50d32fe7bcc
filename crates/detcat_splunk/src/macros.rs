//! Search macros: the table read from `macros/*.yml` and textual expansion with a source map.
//!
//! Splunk expands `` `name` `` and `` `name(a, b)` `` textually before parsing (a macro may
//! hold pipes, half a boolean expression or a whole command), so expansion happens on the
//! text. The [`SourceMap`] keeps spans honest: a position inside expanded text maps back to the
//! macro call it came from.
//!
//! ```
//! use detcat_splunk::macros::{expand, MacroDef, MacroTable};
//!
//! let mut table = MacroTable::default();
//! table.insert(MacroDef::new("sysmon", &[], "sourcetype=sysmon"));
//! table.insert(MacroDef::new("process_cmd", &[], "(Processes.process_name=cmd.exe)"));
//! let out = expand("`sysmon` EventCode=1 | `x_filter`", &table);
//! assert_eq!(out.text, "sourcetype=sysmon EventCode=1");
//! assert!(out.diagnostics.is_empty());
//! ```

use std::collections::HashMap;

use detcat_model::{Diagnostic, Span};

use crate::diagnostics as diag;
use crate::spl::lexer::{macro_close, skip_literal, skip_quoted};

/// How deep macros may call macros.
pub const MAX_MACRO_DEPTH: usize = 16;
/// Expanded text larger than this stops expanding (exponential macro bombs).
pub const MAX_EXPANSION_BYTES: usize = 1 << 20;

/// One macro definition (`name`, `arguments`, `definition` of a `macros/*.yml` file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroDef {
    pub name: String,
    pub args: Vec<String>,
    pub definition: String,
    /// Corpus-relative path of the defining file (empty for built-ins).
    pub path: String,
}

impl MacroDef {
    pub fn new(name: &str, args: &[&str], definition: &str) -> Self {
        Self {
            name: name.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            definition: definition.to_owned(),
            path: String::new(),
        }
    }
}

/// Macros by `(name, number of arguments)`, as Splunk keys them (`name(2)`).
#[derive(Debug, Clone, Default)]
pub struct MacroTable {
    defs: HashMap<(String, usize), MacroDef>,
}

impl MacroTable {
    /// Adds a definition; returns the one it replaces.
    pub fn insert(&mut self, def: MacroDef) -> Option<MacroDef> {
        self.defs.insert((def.name.clone(), def.args.len()), def)
    }

    pub fn get(&self, name: &str, arity: usize) -> Option<&MacroDef> {
        self.defs.get(&(name.to_owned(), arity))
    }

    pub fn len(&self) -> usize {
        self.defs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }
}

/// What a macro call becomes when `macros/` does not define it.
///
/// * `drop_dm_object_name(X)` ships with Splunk ES, not security_content: it is
///   `rename X.* AS *` (drops the datamodel object prefix from field names).
/// * The per-detection `<name>_filter` macros are customer tuning hooks, empty by default.
fn builtin(name: &str, args: &[String]) -> Option<String> {
    match (name, args) {
        ("drop_dm_object_name", [object]) => {
            Some(format!("rename {}.* AS *", object.trim().trim_matches('"')))
        }
        _ if name.ends_with("_filter") => Some(String::new()),
        _ => None,
    }
}

/// A piece of expanded text and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    out_start: usize,
    out_end: usize,
    src_start: usize,
    src_end: usize,
    /// Copied character for character (else: the expansion of the macro call at `src`).
    verbatim: bool,
}

/// Maps spans in expanded text back to the original query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMap {
    segments: Vec<Segment>,
}

impl SourceMap {
    fn position(&self, out: usize, is_end: bool) -> usize {
        // The segment holding `out` (for an end position, the one holding `out - 1`).
        let probe = if is_end { out.saturating_sub(1) } else { out };
        let idx = self.segments.partition_point(|s| s.out_end <= probe);
        let Some(seg) = self.segments.get(idx).or_else(|| self.segments.last()) else {
            return out;
        };
        if seg.verbatim {
            (seg.src_start + out.saturating_sub(seg.out_start)).min(seg.src_end)
        } else if is_end {
            seg.src_end
        } else {
            seg.src_start
        }
    }

    /// The original-text span of an expanded-text span.
    pub fn to_source(&self, span: Span) -> Span {
        if span.is_empty() {
            let p = self.position(span.start as usize, false);
            return Span::new(p, p);
        }
        Span::new(
            self.position(span.start as usize, false),
            self.position(span.end as usize, true),
        )
    }
}

/// A query with its macros expanded.
#[derive(Debug, Clone, PartialEq)]
pub struct Expanded {
    pub text: String,
    pub map: SourceMap,
    /// Unknown macros, recursion; spans in the original query.
    pub diagnostics: Vec<Diagnostic>,
}

/// Expands every macro call of `query` (not inside quoted strings or comments).
pub fn expand(query: &str, table: &MacroTable) -> Expanded {
    let mut ex = Expander {
        table,
        out: String::with_capacity(query.len() * 2),
        map: SourceMap::default(),
        diags: Vec::new(),
        produced: 0,
        exhausted: false,
    };
    ex.top(query);
    Expanded {
        text: ex.out,
        map: ex.map,
        diagnostics: ex.diags,
    }
}

struct Expander<'t> {
    table: &'t MacroTable,
    out: String,
    map: SourceMap,
    diags: Vec<Diagnostic>,
    /// Bytes produced by all expansions so far: a global budget, so that macros calling
    /// macros many times over cannot make the work exponential.
    produced: usize,
    exhausted: bool,
}

/// A macro call found in text: its byte range (backticks included), name and arguments.
struct Call {
    start: usize,
    end: usize,
    name: String,
    args: Vec<String>,
}

impl Expander<'_> {
    fn push(&mut self, text: &str, src_start: usize, src_end: usize, verbatim: bool) {
        let out_start = self.out.len();
        self.out.push_str(text);
        self.map.segments.push(Segment {
            out_start,
            out_end: self.out.len(),
            src_start,
            src_end,
            verbatim,
        });
    }

    fn top(&mut self, query: &str) {
        let mut copied = 0;
        for_each_call(query, |call| {
            if call.start > copied {
                self.push(
                    query.get(copied..call.start).unwrap_or(""),
                    copied,
                    call.start,
                    true,
                );
            }
            let span = Span::new(call.start, call.end);
            let mut stack = Vec::new();
            match self.body(&call, &mut stack, span) {
                Some(body) if body.trim().is_empty() => self.drop_dangling_pipe(),
                Some(body) => self.push(&body, call.start, call.end, false),
                None => self.push(
                    query.get(call.start..call.end).unwrap_or(""),
                    call.start,
                    call.end,
                    true,
                ),
            }
            copied = call.end;
        });
        if copied < query.len() {
            self.push(query.get(copied..).unwrap_or(""), copied, query.len(), true);
        }
    }

    /// An empty expansion right after a pipe (`| `x_filter``) would leave an empty command:
    /// drop that pipe, as Splunk effectively does.
    fn drop_dangling_pipe(&mut self) {
        let trimmed = self.out.trim_end();
        if !trimmed.ends_with('|') {
            return;
        }
        let new_len = trimmed
            .get(..trimmed.len() - 1)
            .unwrap_or("")
            .trim_end()
            .len();
        self.out.truncate(new_len);
        while let Some(last) = self.map.segments.last_mut() {
            if last.out_start >= new_len {
                self.map.segments.pop();
                continue;
            }
            if last.out_end > new_len {
                let cut = last.out_end - new_len;
                last.out_end = new_len;
                if last.verbatim {
                    last.src_end = last.src_end.saturating_sub(cut);
                }
            }
            break;
        }
    }

    /// The full expansion of a call (macros inside expanded too), or `None` to leave it as is.
    fn body(
        &mut self,
        call: &Call,
        stack: &mut Vec<(String, usize)>,
        span: Span,
    ) -> Option<String> {
        if self.exhausted {
            return None;
        }
        let key = (call.name.clone(), call.args.len());
        if stack.contains(&key) || stack.len() >= MAX_MACRO_DEPTH {
            self.diags.push(diag::macro_recursion(span, &call.name));
            return None;
        }
        let template = match self.table.get(&call.name, call.args.len()) {
            Some(def) => substitute(&def.definition, &def.args, &call.args),
            None => match builtin(&call.name, &call.args) {
                Some(text) => text,
                None => {
                    self.diags
                        .push(diag::unknown_macro(span, &call.name, call.args.len()));
                    return None;
                }
            },
        };
        self.produced += template.len();
        if self.produced > MAX_EXPANSION_BYTES {
            self.exhausted = true;
            self.diags.push(diag::macro_too_large(span));
            return None;
        }
        stack.push(key);
        let mut result = String::with_capacity(template.len());
        let mut copied = 0;
        for_each_call(&template, |inner| {
            if self.exhausted {
                return;
            }
            result.push_str(template.get(copied..inner.start).unwrap_or(""));
            match self.body(&inner, stack, span) {
                Some(b) => result.push_str(&b),
                None => result.push_str(template.get(inner.start..inner.end).unwrap_or("")),
            }
            copied = inner.end;
        });
        stack.pop();
        if self.exhausted {
            return None;
        }
        result.push_str(template.get(copied..).unwrap_or(""));
        Some(result)
    }
}

/// `$name$` → the argument's value, for every declared argument.
fn substitute(definition: &str, params: &[String], args: &[String]) -> String {
    let mut out = definition.to_owned();
    for (param, arg) in params.iter().zip(args) {
        out = out.replace(&format!("${param}$"), arg.trim());
    }
    out
}

/// Calls `f` for each macro call in `text`, in order, skipping quoted strings and comments.
fn for_each_call(text: &str, mut f: impl FnMut(Call)) {
    let bytes = text.as_bytes();
    let end = bytes.len();
    let mut i = 0;
    while i < end {
        if let Some(next) = skip_literal(bytes, i, end) {
            i = next;
            continue;
        }
        match bytes.get(i).copied().unwrap_or(b' ') {
            b'`' => {
                let Some(close) = macro_close(bytes, i, end) else {
                    return; // unterminated: the lexer reports it
                };
                if let Some(call) = parse_call(text, i, close + 1) {
                    f(call);
                }
                i = close + 1;
            }
            _ => i += 1,
        }
    }
}

/// `` `name` `` / `` `name(a, "b,c")` `` between `start` and `end` (backticks included).
fn parse_call(text: &str, start: usize, end: usize) -> Option<Call> {
    let inner = text.get(start + 1..end - 1)?.trim();
    let (name, args) = match inner.find('(') {
        Some(open) if inner.ends_with(')') => {
            let args_text = inner.get(open + 1..inner.len() - 1)?;
            (inner.get(..open)?.trim(), split_args(args_text))
        }
        _ => (inner, Vec::new()),
    };
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
    {
        return None;
    }
    Some(Call {
        start,
        end,
        name: name.to_owned(),
        args,
    })
}

/// Top-level comma-separated arguments (quotes and parentheses respected).
fn split_args(text: &str) -> Vec<String> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let (mut depth, mut seg, mut i) = (0usize, 0usize, 0usize);
    while i < bytes.len() {
        match bytes.get(i).copied().unwrap_or(b' ') {
            b'"' => {
                i = skip_quoted(bytes, i, bytes.len());
                continue;
            }
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                out.push(text.get(seg..i).unwrap_or("").trim().to_owned());
                seg = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(text.get(seg..).unwrap_or("").trim().to_owned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> MacroTable {
        let mut t = MacroTable::default();
        t.insert(MacroDef::new(
            "sysmon",
            &[],
            "sourcetype=sysmon OR source=sysmon",
        ));
        t.insert(MacroDef::new(
            "process_regsvr32",
            &[],
            "(Processes.process_name=regsvr32.exe OR Processes.original_file_name=REGSVR32.EXE)",
        ));
        t.insert(MacroDef::new("ctime", &["field"], "convert ctime($field$)"));
        t.insert(MacroDef::new("two", &["a", "b"], "$a$=$b$"));
        t.insert(MacroDef::new("outer", &[], "`sysmon` `two(x, \"1,2\")`"));
        t.insert(MacroDef::new("loop_a", &[], "`loop_b`"));
        t.insert(MacroDef::new("loop_b", &[], "`loop_a`"));
        t
    }

    #[test]
    fn expands_plain_arguments_and_nested_macros() {
        let t = table();
        assert_eq!(
            expand("`outer` | `ctime(firstTime)`", &t).text,
            "sourcetype=sysmon OR source=sysmon x=\"1,2\" | convert ctime(firstTime)"
        );
        assert_eq!(
            expand("where `process_regsvr32`", &t).text,
            "where (Processes.process_name=regsvr32.exe OR Processes.original_file_name=REGSVR32.EXE)"
        );
    }

    #[test]
    fn arity_selects_the_definition() {
        let mut t = table();
        t.insert(MacroDef::new("ctime", &[], "nothing"));
        assert_eq!(
            expand("`ctime` `ctime(a)`", &t).text,
            "nothing convert ctime(a)"
        );
    }

    #[test]
    fn builtins_filters_and_unknown_macros() {
        let t = table();
        let out = expand("x | `drop_dm_object_name(Processes)` | `rule_filter`", &t);
        assert_eq!(out.text, "x | rename Processes.* AS *");
        assert!(out.diagnostics.is_empty());
        let out = expand("x `nope(1)`", &t);
        assert_eq!(out.text, "x `nope(1)`");
        assert_eq!(out.diagnostics[0].code, "splunk::unknown-macro");
        assert_eq!(out.diagnostics[0].span, Some(Span::new(2, 11)));
    }

    #[test]
    fn quoted_backticks_and_comments_are_not_macros() {
        let t = table();
        let q = r#"map search="search `sysmon` x" ```a `sysmon` b``` `sysmon`"#;
        assert_eq!(
            expand(q, &t).text,
            r#"map search="search `sysmon` x" ```a `sysmon` b``` sourcetype=sysmon OR source=sysmon"#
        );
    }

    #[test]
    fn recursion_is_a_diagnostic() {
        let out = expand("`loop_a`", &table());
        assert_eq!(out.text, "`loop_a`");
        assert!(
            out.diagnostics
                .iter()
                .any(|d| d.code == "splunk::macro-recursion")
        );
    }

    #[test]
    fn exponential_macros_stop_at_the_size_limit() {
        let mut t = MacroTable::default();
        t.insert(MacroDef::new("m0", &[], "xxxxxxxxxxxxxxxx"));
        for i in 1..15 {
            let prev = format!("`m{}`", i - 1);
            t.insert(MacroDef::new(
                &format!("m{i}"),
                &[],
                &format!("{prev} {prev} {prev} {prev}"),
            ));
        }
        let out = expand("`m14`", &t);
        assert!(out.text.len() <= MAX_EXPANSION_BYTES + 64);
        assert!(
            out.diagnostics
                .iter()
                .any(|d| d.code == "splunk::macro-expansion-too-large")
        );
    }

    #[test]
    fn source_map_points_into_the_original() {
        let t = table();
        let q = "`sysmon` EventCode=1";
        let out = expand(q, &t);
        let at = out.text.find("EventCode").unwrap_or(0);
        assert_eq!(out.map.to_source(Span::new(at, at + 9)), Span::new(9, 18));
        // Inside the expansion: the whole call.
        assert_eq!(out.map.to_source(Span::new(0, 10)), Span::new(0, 8));
    }
}

//! ES|QL: a `FROM` source and a pipeline of processing commands.
//!
//! ```
//! let q = detcat_elastic::esql::parse(r#"FROM logs-endpoint.events.process-* METADATA _id
//! | EVAL name = TO_LOWER(process.name)
//! | WHERE name LIKE "*.scr" AND user.name IS NOT NULL
//! | KEEP process.name"#);
//! assert!(q.diagnostics.is_empty());
//! assert_eq!(q.expr.indicators().count(), 2);
//! assert!(!q.expr.has_opaque());
//! ```
//!
//! What becomes what:
//! - `FROM a, b METADATA …` → [`TelemetryHint::Index`] per source (no tree node).
//! - `WHERE` → predicates (`LIKE` → wildcard, `RLIKE` → regex, `IN`, `IS [NOT] NULL` →
//!   exists, comparisons, `KQL("…")` → parsed with [`crate::kql`]).
//! - `EVAL` / `RENAME` / `BY k = …` define columns that a later `WHERE` sees through: their
//!   definitions are substituted, so `EVAL x = TO_LOWER(f) | WHERE x == "a"` is a
//!   case-insensitive predicate on `f`. `GROK` / `DISSECT` / `ENRICH` outputs are derived
//!   columns: a condition on them is [`Computed`] naming the source fields (see [`columns`]).
//! - A condition on `COALESCE(a, b)` is one branch per argument (see [`coalesce`]).
//! - `STATS` (several aggregates, `BY`) → an [`Aggregation`] over the filters before it; a
//!   later `WHERE` comparing an aggregate with a number is its condition, a condition on the
//!   `BY` keys filters its input, anything else is [`Computed`] beside it.
//! - `KEEP`, `DROP`, `SORT`, `LIMIT`, `MV_EXPAND` choose, order or reshape rows and never
//!   decide whether an event matches: no node.
//! - `COMPLETION` (an LLM call), `LOOKUP JOIN`, `FORK` and the other commands no predicate can
//!   express stay [`Opaque`] with their text and a diagnostic naming the command.

mod coalesce;
mod columns;
mod stats;

use std::borrow::Cow;

use detcat_model::{Expr, Opaque, Span, TelemetryHint};

use crate::ast::Node;
use crate::diagnostics::{self, Lang, QueryDiag};
use crate::expr_parser::Cursor;
use crate::lexer::{Tok, Token, lex};
use crate::lower::LowerCtx;
use crate::query::{ParsedQuery, push_hint, shift_spans};
use columns::{Column, Columns, Kind};
use stats::Stats;

/// Parses one ES|QL query. Never panics; errors are diagnostics and opaque nodes.
pub fn parse(src: &str) -> ParsedQuery {
    let (toks, lex_diags) = lex(src, Lang::Esql);
    let mut st = State {
        src,
        columns: Columns::default(),
        filters: Vec::new(),
        parts: Vec::new(),
        stats: None,
        hints: Vec::new(),
        diags: lex_diags,
    };
    for cmd in split_commands(&toks) {
        st.command(cmd);
    }
    st.finish_stats();
    let mut items = std::mem::take(&mut st.filters);
    items.extend(st.parts);
    let expr = if items.is_empty() {
        Expr::Const { value: true }
    } else {
        Expr::and(items)
    };
    ParsedQuery {
        expr,
        telemetry: st.hints,
        diagnostics: st.diags,
    }
}

/// `KQL("…")` inside a `WHERE`: the argument parsed as KQL, spans moved onto the query.
pub(crate) fn lower_kql_call(kql: &str, arg_span: Span, src: &str) -> Expr {
    let q = crate::kql::parse(kql);
    let raw = src
        .get(arg_span.start as usize..)
        .is_some_and(|s| s.starts_with("\"\"\""));
    let content_start = arg_span.start as usize + if raw { 3 } else { 1 };
    if q.has_errors() {
        return Expr::Opaque(Opaque {
            text: kql.to_owned(),
            reason: "KQL() argument did not parse".into(),
            fields: Vec::new(),
            span: Some(arg_span),
        });
    }
    let mut expr = q.expr;
    shift_spans(&mut expr, content_start);
    expr
}

/// The tokens of one command (between pipes), without the pipe.
fn split_commands(toks: &[Token]) -> Vec<&[Token]> {
    split_at_top(toks, |t| matches!(t, Tok::Pipe | Tok::Eof))
}

struct State<'a> {
    src: &'a str,
    columns: Columns,
    /// Event filters so far (after a `STATS`, the one aggregation that ended it).
    filters: Vec<Expr>,
    /// Opaque commands, in order.
    parts: Vec<Expr>,
    /// The latest `STATS`, until the pipeline ends or another `STATS` starts.
    stats: Option<Stats>,
    hints: Vec<TelemetryHint>,
    diags: Vec<QueryDiag>,
}

impl State<'_> {
    fn text(&self, span: Span) -> String {
        span.slice(self.src).trim().to_owned()
    }

    fn command(&mut self, cmd: &[Token]) {
        let (Some(first), Some(last)) = (cmd.first(), cmd.last()) else {
            return;
        };
        let span = Span::new(first.span.start as usize, last.span.end as usize);
        let name = match &first.tok {
            Tok::Ident(n) => n.to_ascii_lowercase(),
            other => {
                self.diags.push(diagnostics::unexpected_token(
                    Lang::Esql,
                    &other.describe(),
                    "an ES|QL command",
                    first.span,
                ));
                return self.opaque(cmd, span, "unparsed ES|QL input");
            }
        };
        let args = cmd.get(1..).unwrap_or(&[]);
        let second = args.first().map(|t| &t.tok);
        match name.as_str() {
            "from" | "ts" => self.from(cmd, span),
            "where" => self.where_(args, span),
            "stats" | "inlinestats" => self.stats(args, span, name == "inlinestats"),
            "inline" if second.is_some_and(|t| t.is_word("stats")) => {
                self.stats(args.get(1..).unwrap_or(&[]), span, true)
            }
            "eval" => self.eval(args, span),
            "rename" => self.rename(args),
            "dissect" | "grok" => self.pattern_columns(&name, args, span),
            "enrich" => self.enrich(args, span),
            "completion" => self.completion(cmd, args, span),
            "drop" => {
                for part in split_top_level(args) {
                    if let [t] = part
                        && let Tok::Ident(n) = &t.tok
                    {
                        self.columns.remove(n);
                    }
                }
            }
            // Reshaping and ordering: which events match does not change.
            "keep" | "sort" | "limit" | "mv_expand" => {}
            other => {
                let label = if other == "lookup" {
                    "lookup join"
                } else {
                    other
                };
                self.diags
                    .push(diagnostics::esql_unsupported_command(label, span));
                self.opaque(cmd, span, &format!("ES|QL command '{label}'"));
            }
        }
    }

    fn opaque(&mut self, cmd: &[Token], span: Span, reason: &str) {
        let node = self.opaque_node(cmd, span, reason);
        self.parts.push(node);
    }

    /// An opaque node for a command, naming the event fields it mentions.
    fn opaque_node(&self, cmd: &[Token], span: Span, reason: &str) -> Expr {
        let mut fields = Vec::new();
        for (i, t) in cmd.iter().enumerate().skip(1) {
            let next_is_call = cmd.get(i + 1).is_some_and(|n| n.tok == Tok::LParen);
            if let Tok::Ident(n) = &t.tok
                && (n.contains('.') || n.starts_with('@'))
                && !next_is_call
                && !n.starts_with("Esql")
            {
                match self.columns.get(n) {
                    Some(c) => fields.extend(c.sources.iter().cloned()),
                    None => fields.push(n.clone()),
                }
            }
        }
        fields.sort();
        fields.dedup();
        Expr::Opaque(Opaque {
            text: self.text(span),
            reason: reason.into(),
            fields,
            span: Some(span),
        })
    }

    fn from(&mut self, cmd: &[Token], span: Span) {
        let end = cmd
            .iter()
            .position(|t| t.tok.is_word("metadata"))
            .and_then(|i| cmd.get(i))
            .map_or(span.end as usize, |t| t.span.start as usize);
        let start = cmd.first().map_or(0, |t| t.span.end as usize);
        let sources = self.src.get(start..end).unwrap_or("");
        for s in sources.split(',') {
            let s = s.trim().trim_matches('"');
            if !s.is_empty() {
                push_hint(
                    &mut self.hints,
                    TelemetryHint::Index {
                        pattern: s.to_owned(),
                    },
                );
            }
        }
    }

    fn parse_expr(&mut self, toks: &[Token]) -> Node {
        let end = toks.last().map_or(0, |t| t.span.end as usize);
        let mut c = Cursor::new(toks, Lang::Esql);
        let node = c.expr();
        if c.peek() != &Tok::Eof {
            c.diags.push(diagnostics::trailing_input(
                Lang::Esql,
                Span::new(c.span().start as usize, end),
            ));
        }
        self.diags.append(&mut c.diags);
        node
    }

    /// A written condition, its columns resolved, lowered and explained.
    fn lower(&self, written: &Node) -> Expr {
        let (resolved, derived) = match self.columns.resolve_bounded(written) {
            Some(r) if coalesce::used(&r) => (
                Cow::Owned(coalesce::expand(&r)),
                self.columns.opaque_names(),
            ),
            Some(r) => (r, self.columns.opaque_names()),
            None => (Cow::Borrowed(written), self.columns.all_names()),
        };
        let mut expr = LowerCtx {
            src: self.src,
            lang: Lang::Esql,
            derived: &derived,
            aliases: &[],
        }
        .lower(&resolved);
        self.columns.explain(&mut expr, written);
        expr
    }

    fn where_(&mut self, toks: &[Token], span: Span) {
        let node = self.parse_expr(toks);
        if self.stats.is_some() {
            return self.post_stats_where(&node, span);
        }
        let expr = self.lower(&node);
        self.filters.push(expr);
    }

    /// `EVAL a = …, b = …`: each column stands for its (resolved) expression.
    fn eval(&mut self, args: &[Token], span: Span) {
        for part in split_top_level(args) {
            let (name, rest) = assignment(part);
            let node = self.parse_expr(rest);
            let name = name.unwrap_or_else(|| self.text(node.span));
            if node.has_error() {
                self.columns.remove(&name);
                self.opaque(part, span, "ES|QL command 'eval' did not parse");
                continue;
            }
            let text = part_text(self, part);
            let resolved = self.columns.resolve(&node);
            self.columns.define_expr(&name, resolved, text);
        }
    }

    /// `RENAME a AS b` / `RENAME b = a`: `b` stands for what `a` stood for.
    fn rename(&mut self, args: &[Token]) {
        for part in split_top_level(args) {
            let (from, to) = match part {
                [from, kw, to] if kw.tok.is_word("as") => (from, to),
                [to, eq, from] if eq.tok == Tok::Assign => (from, to),
                _ => continue,
            };
            let (Tok::Ident(from_name), Tok::Ident(to_name)) = (&from.tok, &to.tok) else {
                continue;
            };
            let source = Node::new(
                crate::ast::NodeKind::Field {
                    name: from_name.clone(),
                    optional: false,
                },
                from.span,
            );
            let text = part_text(self, part);
            let column = match self.columns.get(from_name) {
                Some(c) => Column { text, ..c.clone() },
                None => Column {
                    kind: Kind::Expr(source),
                    text,
                    sources: vec![from_name.clone()],
                },
            };
            self.columns.remove(from_name);
            self.columns.define(to_name, column);
        }
    }

    /// `GROK f "%{IP:a}"` / `DISSECT f "%{a}/%{b}"`: `a`, `b` are derived from `f`.
    fn pattern_columns(&mut self, command: &str, args: &[Token], span: Span) {
        let Some(pattern_at) = args.iter().position(|t| matches!(t.tok, Tok::Str { .. })) else {
            return self.opaque(args, span, &format!("ES|QL command '{command}'"));
        };
        let source = self.parse_expr(args.get(..pattern_at).unwrap_or(&[]));
        let sources = self.columns.sources_of(&source);
        let text = self.text(span);
        for t in args.get(pattern_at..).unwrap_or(&[]) {
            if let Tok::Str { value, .. } = &t.tok {
                for name in pattern_names(value) {
                    self.derive(&name, command, &text, sources.clone());
                }
            }
        }
    }

    /// `ENRICH policy [ON f] [WITH a = b, c]`: the new columns are derived from `f`.
    fn enrich(&mut self, args: &[Token], span: Span) {
        let on = args
            .iter()
            .position(|t| t.tok.is_word("on"))
            .and_then(|i| args.get(i + 1));
        let sources = match on.map(|t| &t.tok) {
            Some(Tok::Ident(f)) => vec![f.clone()],
            _ => Vec::new(),
        };
        let text = self.text(span);
        let with = args.iter().position(|t| t.tok.is_word("with"));
        for part in split_top_level(with.and_then(|i| args.get(i + 1..)).unwrap_or(&[])) {
            if let Some(Token {
                tok: Tok::Ident(name),
                ..
            }) = part.first()
            {
                self.derive(name, "enrich", &text, sources.clone());
            }
        }
    }

    /// `COMPLETION [col =] prompt WITH {…}`: an LLM's answer. Kept opaque with a diagnostic;
    /// its column is derived from the prompt's fields.
    fn completion(&mut self, cmd: &[Token], args: &[Token], span: Span) {
        let name = assignment(args)
            .0
            .unwrap_or_else(|| "completion".to_owned());
        let node = self.opaque_node(cmd, span, "ES|QL COMPLETION: the answer of an LLM");
        let fields = match &node {
            Expr::Opaque(o) => o.fields.clone(),
            _ => Vec::new(),
        };
        self.diags.push(diagnostics::esql_completion(span));
        let text = self.text(span);
        self.derive(&name, "completion", &text, fields);
        self.parts.push(node);
    }

    fn derive(&mut self, name: &str, command: &str, text: &str, sources: Vec<String>) {
        self.columns.define(
            name,
            Column {
                kind: Kind::Derived {
                    command: command.to_owned(),
                },
                text: text.to_owned(),
                sources,
            },
        );
    }
}

/// The source text of a comma-separated part of a command.
fn part_text(st: &State<'_>, part: &[Token]) -> String {
    match (part.first(), part.last()) {
        (Some(a), Some(b)) => st.text(Span::new(a.span.start as usize, b.span.end as usize)),
        _ => String::new(),
    }
}

/// `%{name}` / `%{SYNTAX:name}` / `%{SYNTAX:name:type}` column names of a pattern.
fn pattern_names(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(i) = rest.find("%{") {
        let after = rest.get(i + 2..).unwrap_or("");
        let Some(end) = after.find('}') else { break };
        let inner = after.get(..end).unwrap_or("");
        let parts: Vec<&str> = inner.split(':').collect();
        // GROK: SYNTAX:name[:type]; DISSECT: name, with `+`/`?` modifiers.
        let name = match parts.as_slice() {
            [only] => only,
            [_, name, ..] => name,
            [] => "",
        };
        let name = name.trim_start_matches(['+', '?', '&', '*']).trim();
        if !name.is_empty() {
            out.push(name.to_owned());
        }
        rest = after.get(end..).unwrap_or("");
    }
    out
}

fn top_level_word(toks: &[Token], word: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate() {
        match t.tok {
            Tok::LParen => depth += 1,
            Tok::RParen => depth = depth.saturating_sub(1),
            _ if depth == 0 && t.tok.is_word(word) => return Some(i),
            _ => {}
        }
    }
    None
}

/// The comma-separated parts of a command's arguments.
fn split_top_level(toks: &[Token]) -> Vec<&[Token]> {
    split_at_top(toks, |t| *t == Tok::Comma)
}

/// Non-empty runs of tokens between separators that stand outside any brackets.
fn split_at_top(toks: &[Token], is_sep: fn(&Tok) -> bool) -> Vec<&[Token]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t.tok {
            Tok::LParen | Tok::LBracket => depth += 1,
            Tok::RParen | Tok::RBracket => depth = depth.saturating_sub(1),
            _ if is_sep(&t.tok) && (depth == 0 || t.tok == Tok::Eof) => {
                out.push(toks.get(start..i).unwrap_or(&[]));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(toks.get(start..).unwrap_or(&[]));
    out.retain(|p| !p.is_empty());
    out
}

/// `name = rest` → `(Some(name), rest)`; anything else → `(None, part)`.
fn assignment(part: &[Token]) -> (Option<String>, &[Token]) {
    match part {
        [
            Token {
                tok: Tok::Ident(c), ..
            },
            Token {
                tok: Tok::Assign, ..
            },
            rest @ ..,
        ] => (Some(c.clone()), rest),
        rest => (None, rest),
    }
}

#[cfg(test)]
mod tests;

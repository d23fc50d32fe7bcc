//! ES|QL: a `FROM` source and a pipeline of processing commands.
//!
//! ```
//! let q = detcat_elastic::esql::parse(r#"FROM logs-endpoint.events.process-* METADATA _id
//! | WHERE process.name LIKE "*.scr" AND user.name IS NOT NULL
//! | KEEP process.name"#);
//! assert!(q.diagnostics.is_empty());
//! assert_eq!(q.expr.indicators().count(), 2);
//! ```
//!
//! What becomes what:
//! - `FROM a, b METADATA …` → [`TelemetryHint::Index`] per source (no tree node; `METADATA`
//!   only adds columns).
//! - `WHERE` before any `STATS` → predicates (`LIKE` → wildcard, `RLIKE` → regex, `IN`,
//!   `IS [NOT] NULL` → exists, comparisons, `KQL("…")` → parsed with [`crate::kql`]).
//!   Conditions over columns made by `EVAL` / `DISSECT` / `GROK` / `RENAME` are computed.
//! - `WHERE` after `STATS` filters aggregated values: a single comparison of one aggregate
//!   with a number becomes an [`Aggregation`] over the earlier filters; anything else stays
//!   computed, never an event predicate.
//! - Every other command (`EVAL`, `STATS`, `KEEP`, `GROK`, `DISSECT`, `MV_EXPAND`,
//!   `INLINE STATS`, `SORT`, `LIMIT`, `RENAME`, `DROP`, `LOOKUP JOIN`, …) is an opaque node
//!   with its text, so the rule is *partial* but nothing is lost.

use detcat_model::{
    AggKind, Aggregation, Comparison, Computed, Expr, Opaque, RangeOp, Span, TelemetryHint,
};

use crate::ast::{CmpOp, Node, NodeKind};
use crate::diagnostics::{self, Lang};
use crate::expr_parser::Cursor;
use crate::lexer::{Tok, Token, lex};
use crate::lower::LowerCtx;
use crate::query::{ParsedQuery, push_hint, shift_spans};

/// Parses one ES|QL query. Never panics; errors are diagnostics and opaque nodes.
pub fn parse(src: &str) -> ParsedQuery {
    let (toks, lex_diags) = lex(src, Lang::Esql);
    let mut st = State {
        src,
        derived: Vec::new(),
        aliases: Vec::new(),
        filters: Vec::new(),
        parts: Vec::new(),
        stats: None,
        hints: Vec::new(),
        diags: lex_diags,
    };
    for cmd in split_commands(&toks) {
        st.command(cmd);
    }
    if let Some(stats) = st.stats.take() {
        st.parts.insert(0, stats.opaque);
    }
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
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t.tok {
            Tok::LParen | Tok::LBracket => depth += 1,
            Tok::RParen | Tok::RBracket => depth = depth.saturating_sub(1),
            Tok::Pipe | Tok::Eof if depth == 0 || t.tok == Tok::Eof => {
                if let Some(cmd) = toks.get(start..i)
                    && !cmd.is_empty()
                {
                    out.push(cmd);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    out
}

/// A `STATS` seen in the pipeline, waiting for a `WHERE` over its aggregates.
struct Stats {
    opaque: Expr,
    text: String,
    /// `(column, function, argument fields)` per aggregate.
    aggs: Vec<(String, String, Vec<String>)>,
    group_by: Vec<String>,
}

struct State<'a> {
    src: &'a str,
    derived: Vec<String>,
    aliases: Vec<(String, String, Vec<String>)>,
    /// Event filters from `WHERE` before any `STATS`.
    filters: Vec<Expr>,
    /// Everything else, in order.
    parts: Vec<Expr>,
    stats: Option<Stats>,
    hints: Vec<TelemetryHint>,
    diags: Vec<crate::diagnostics::QueryDiag>,
}

impl State<'_> {
    fn text(&self, span: Span) -> String {
        self.src
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
            .trim()
            .to_owned()
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
        // Two-word commands: `INLINE STATS`, `LOOKUP JOIN`.
        let second = cmd.get(1).map(|t| &t.tok);
        match name.as_str() {
            "from" | "ts" => self.from(cmd, span),
            "where" => self.where_(cmd.get(1..).unwrap_or(&[]), span),
            "stats" | "inlinestats" => self.stats(cmd, 1, span),
            "inline" if second.is_some_and(|t| t.is_word("stats")) => self.stats(cmd, 2, span),
            "eval" => {
                self.assigned(cmd);
                self.opaque(cmd, span, "ES|QL command 'eval'");
            }
            "dissect" | "grok" => {
                self.pattern_columns(cmd);
                self.opaque(cmd, span, &format!("ES|QL command '{name}'"));
            }
            "rename" => {
                self.renamed(cmd);
                self.opaque(cmd, span, "ES|QL command 'rename'");
            }
            "keep" | "drop" | "sort" | "limit" | "mv_expand" | "enrich" | "lookup"
            | "change_point" | "fork" | "sample" | "completion" | "rerank" | "fuse" | "row"
            | "show" => {
                let label = if name == "lookup" {
                    "lookup join".to_owned()
                } else {
                    name.clone()
                };
                self.opaque(cmd, span, &format!("ES|QL command '{label}'"));
            }
            other => {
                self.diags
                    .push(diagnostics::esql_unknown_command(other, first.span));
                self.opaque(cmd, span, &format!("ES|QL command '{other}'"));
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
                && !self.derived.contains(n)
                && !n.starts_with("Esql")
                && !fields.contains(n)
            {
                fields.push(n.clone());
            }
        }
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
        let mut owned: Vec<Token> = toks.to_vec();
        let end = toks.last().map_or(0, |t| t.span.end as usize);
        owned.push(Token {
            tok: Tok::Eof,
            span: Span::new(end, end),
        });
        let mut c = Cursor::new(&owned, Lang::Esql);
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

    fn where_(&mut self, toks: &[Token], span: Span) {
        let node = self.parse_expr(toks);
        if self.stats.is_some() {
            return self.post_stats_where(&node, span);
        }
        let expr = LowerCtx {
            src: self.src,
            lang: Lang::Esql,
            derived: &self.derived,
            aliases: &self.aliases,
        }
        .lower(&node);
        self.filters.push(expr);
    }

    /// `WHERE` over aggregates: one comparison of a count-like aggregate with a number becomes
    /// an aggregation over the filters so far; anything else is computed.
    fn post_stats_where(&mut self, node: &Node, span: Span) {
        if let Some(agg) = self.aggregation(node, span) {
            self.stats = None;
            let input = std::mem::take(&mut self.filters);
            let input = if input.is_empty() {
                None
            } else {
                Some(Box::new(Expr::and(input)))
            };
            self.filters
                .push(Expr::Aggregation(Aggregation { input, ..agg }));
            return;
        }
        let fields = node
            .fields()
            .into_iter()
            .filter(|f| !self.derived.contains(f))
            .collect();
        self.parts.push(Expr::Computed(Computed {
            function: "where after stats".into(),
            fields,
            text: self.text(span),
            span: Some(span),
        }));
    }

    fn aggregation(&self, node: &Node, span: Span) -> Option<Aggregation> {
        let stats = self.stats.as_ref()?;
        let NodeKind::Cmp { op, lhs, rhs } = &node.kind else {
            return None;
        };
        let (col, num, op) = match (&lhs.kind, &rhs.kind) {
            (NodeKind::Field { name, .. }, NodeKind::Int(i)) => (name, *i as f64, *op),
            (NodeKind::Field { name, .. }, NodeKind::Float(f)) => (name, *f, *op),
            (NodeKind::Int(i), NodeKind::Field { name, .. }) => (name, *i as f64, flip(*op)),
            _ => return None,
        };
        let (_, function, args) = stats.aggs.iter().find(|(c, _, _)| c == col)?;
        let kind = match function.as_str() {
            "count" => AggKind::EventCount,
            "count_distinct" => AggKind::ValueCount,
            _ => AggKind::Stat,
        };
        let range = match op {
            CmpOp::Eq => RangeOp::Eq,
            CmpOp::Ne => RangeOp::Ne,
            CmpOp::Lt => RangeOp::Lt,
            CmpOp::Le => RangeOp::Lte,
            CmpOp::Gt => RangeOp::Gt,
            CmpOp::Ge => RangeOp::Gte,
        };
        Some(Aggregation {
            kind,
            function: Some(function.clone()),
            input: None,
            rule_refs: Vec::new(),
            fields: args.clone(),
            group_by: stats.group_by.clone(),
            timespan: None,
            condition: Some(Comparison {
                op: range,
                value: num,
            }),
            text: Some(format!("{}\n| {}", stats.text, self.text(span))),
        })
    }

    /// `STATS a = f(x), … BY k, …`: remembers the aggregates, the columns become derived.
    fn stats(&mut self, cmd: &[Token], skip: usize, span: Span) {
        if let Some(prev) = self.stats.take() {
            self.parts.push(prev.opaque);
        }
        let body = cmd.get(skip..).unwrap_or(&[]);
        let by_at = top_level_word(body, "by");
        let (aggs_toks, by_toks) = match by_at {
            Some(i) => (
                body.get(..i).unwrap_or(&[]),
                body.get(i + 1..).unwrap_or(&[]),
            ),
            None => (body, &[][..]),
        };
        let mut aggs = Vec::new();
        for part in split_top_level(aggs_toks) {
            let (col, expr_toks) = match part {
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
            };
            // `agg(x) WHERE cond`: a per-aggregate filter, kept in the opaque stats text.
            let expr_toks = match top_level_word(expr_toks, "where") {
                Some(i) => {
                    let _ = self.parse_expr(expr_toks.get(i + 1..).unwrap_or(&[]));
                    expr_toks.get(..i).unwrap_or(&[])
                }
                None => expr_toks,
            };
            let node = self.parse_expr(expr_toks);
            let col = col.unwrap_or_else(|| self.text(node.span));
            let function = match &node.kind {
                NodeKind::Call { name, .. } => name.to_ascii_lowercase(),
                _ => "expression".into(),
            };
            let args = node
                .fields()
                .into_iter()
                .filter(|f| !self.derived.contains(f))
                .collect();
            self.derive(col.clone());
            aggs.push((col, function, args));
        }
        let group_by = split_top_level(by_toks)
            .into_iter()
            .filter_map(|p| match p {
                [
                    Token {
                        tok: Tok::Ident(c), ..
                    },
                ] => Some(c.clone()),
                [
                    Token {
                        tok: Tok::Ident(c), ..
                    },
                    Token {
                        tok: Tok::Assign, ..
                    },
                    ..,
                ] => {
                    self.derive(c.clone());
                    Some(c.clone())
                }
                _ => None,
            })
            .collect();
        let opaque = self.opaque_node(cmd, span, "ES|QL command 'stats'");
        self.stats = Some(Stats {
            opaque,
            text: self.text(span),
            aggs,
            group_by,
        });
    }

    /// `col` is now a computed column (no longer an alias of a field).
    fn derive(&mut self, col: String) {
        self.aliases.retain(|(c, _, _)| *c != col);
        self.derived.push(col);
    }

    /// `EVAL a = …, b = …`: `a` and `b` are derived columns, or aliases of a field when the
    /// expression is just that field (possibly case-folded).
    fn assigned(&mut self, cmd: &[Token]) {
        for part in split_top_level(cmd.get(1..).unwrap_or(&[])) {
            if let [
                Token {
                    tok: Tok::Ident(c), ..
                },
                Token {
                    tok: Tok::Assign, ..
                },
                rest @ ..,
            ] = part
            {
                let node = self.parse_expr(rest);
                let ctx = LowerCtx {
                    src: self.src,
                    lang: Lang::Esql,
                    derived: &self.derived,
                    aliases: &self.aliases,
                };
                let alias = ctx.field(&node);
                match alias {
                    Some((field, mods)) => {
                        self.aliases.retain(|(col, _, _)| col != c);
                        self.aliases.push((c.clone(), field, mods));
                    }
                    None => self.derive(c.clone()),
                }
            }
        }
    }

    /// `RENAME a AS b` / `RENAME b = a`.
    fn renamed(&mut self, cmd: &[Token]) {
        for part in split_top_level(cmd.get(1..).unwrap_or(&[])) {
            match part {
                [
                    _,
                    Token {
                        tok: Tok::Ident(kw),
                        ..
                    },
                    Token {
                        tok: Tok::Ident(to),
                        ..
                    },
                ] if kw.eq_ignore_ascii_case("as") => self.derive(to.clone()),
                [
                    Token {
                        tok: Tok::Ident(to),
                        ..
                    },
                    Token {
                        tok: Tok::Assign, ..
                    },
                    ..,
                ] => self.derive(to.clone()),
                _ => {}
            }
        }
    }

    /// `%{name}` / `%{SYNTAX:name}` columns of a DISSECT / GROK pattern.
    fn pattern_columns(&mut self, cmd: &[Token]) {
        for t in cmd {
            if let Tok::Str { value, .. } = &t.tok {
                let mut rest = value.as_str();
                while let Some(i) = rest.find("%{") {
                    let after = rest.get(i + 2..).unwrap_or("");
                    let Some(end) = after.find('}') else { break };
                    let inner = after.get(..end).unwrap_or("");
                    let name = inner
                        .rsplit(':')
                        .next()
                        .unwrap_or("")
                        .trim_start_matches(['+', '?'])
                        .trim();
                    if !name.is_empty() {
                        self.derive(name.to_owned());
                    }
                    rest = after.get(end..).unwrap_or("");
                }
            }
        }
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
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

fn split_top_level(toks: &[Token]) -> Vec<&[Token]> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t.tok {
            Tok::LParen => depth += 1,
            Tok::RParen => depth = depth.saturating_sub(1),
            Tok::Comma if depth == 0 => {
                out.push(toks.get(start..i).unwrap_or(&[]));
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < toks.len() {
        out.push(toks.get(start..).unwrap_or(&[]));
    }
    out.retain(|p| !p.is_empty());
    out
}

#[cfg(test)]
#[path = "esql_tests.rs"]
mod tests;

//! Recursive descent over KQL / Lucene tokens, producing the model tree directly.

use detcat_model::{Expr, Keyword, Opaque, Operator, Predicate, Span, Value};

use super::lexer::{KTok, KToken, lex};
use crate::diagnostics::{self, Lang, QueryDiag};
use crate::query::ParsedQuery;

/// Parses `src` as KQL (`Lang::Kql`) or as a Lucene query string (`Lang::Lucene`).
pub fn parse_dialect(src: &str, lang: Lang) -> ParsedQuery {
    let (toks, diags) = lex(src, lang);
    let mut p = Parser {
        toks: &toks,
        pos: 0,
        lang,
        diags,
        depth: 0,
        src,
        prefix: String::new(),
    };
    let mut expr = if p.peek() == &KTok::Eof {
        Expr::Const { value: true }
    } else {
        p.or_query()
    };
    if p.peek() != &KTok::Eof {
        let span = Span::new(p.span().start as usize, src.len());
        p.diags.push(diagnostics::trailing_input(lang, span));
        expr = Expr::and(vec![expr, p.opaque(span, "unparsed query input")]);
    }
    ParsedQuery {
        expr,
        telemetry: Vec::new(),
        diagnostics: p.diags,
    }
}

struct Parser<'a> {
    toks: &'a [KToken],
    pos: usize,
    lang: Lang,
    diags: Vec<QueryDiag>,
    depth: usize,
    src: &'a str,
    /// Field prefix inside a nested `field:{ … }` query.
    prefix: String,
}

/// One value of a field's value list, before merging into predicates.
enum ValueTree {
    Or(Vec<ValueTree>),
    And(Vec<ValueTree>),
    Not(Box<ValueTree>),
    Leaf {
        op: Operator,
        value: Option<Value>,
        span: Span,
    },
    Error(Span),
}

impl Parser<'_> {
    fn token(&self) -> Option<&KToken> {
        self.toks.get(self.pos).or_else(|| self.toks.last())
    }

    fn peek(&self) -> &KTok {
        self.token().map_or(&KTok::Eof, |t| &t.tok)
    }

    fn peek_n(&self, n: usize) -> &KTok {
        self.toks.get(self.pos + n).map_or(&KTok::Eof, |t| &t.tok)
    }

    fn span(&self) -> Span {
        self.token().map_or_else(Span::default, |t| t.span)
    }

    fn prev_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|p| self.toks.get(p))
            .map_or(0, |t| t.span.end as usize)
    }

    fn bump(&mut self) -> KTok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, tok: &KTok) -> bool {
        let yes = self.peek() == tok;
        if yes {
            self.bump();
        }
        yes
    }

    fn error(&mut self, expected: &str) {
        let span = self.span();
        let d = match self.peek() {
            KTok::Eof => diagnostics::unexpected_end(self.lang, expected, span),
            other => diagnostics::unexpected_token(self.lang, &other.describe(), expected, span),
        };
        self.diags.push(d);
    }

    fn opaque(&self, span: Span, reason: &str) -> Expr {
        Expr::Opaque(Opaque {
            text: span.slice(self.src).to_owned(),
            reason: reason.into(),
            fields: Vec::new(),
            span: Some(span),
        })
    }

    /// Guards recursion; on overflow the rest of the query is skipped.
    fn enter(&mut self) -> bool {
        self.depth += 1;
        if self.depth > crate::MAX_DEPTH {
            self.diags
                .push(diagnostics::too_deep(self.lang, self.span()));
            self.pos = self.toks.len();
            return false;
        }
        true
    }

    fn starts_clause(&self) -> bool {
        matches!(
            self.peek(),
            KTok::LParen
                | KTok::Not
                | KTok::Plus
                | KTok::Quoted(_)
                | KTok::Term { .. }
                | KTok::Regex(_)
        )
    }

    fn or_query(&mut self) -> Expr {
        if !self.enter() {
            return self.opaque(self.span(), "nested too deep");
        }
        let mut items = vec![self.and_query()];
        loop {
            if self.eat(&KTok::Or) {
                items.push(self.and_query());
            } else if self.lang == Lang::Lucene && self.starts_clause() {
                // Lucene's default operator between clauses is OR.
                items.push(self.and_query());
            } else {
                break;
            }
        }
        self.depth -= 1;
        Expr::or(items)
    }

    fn and_query(&mut self) -> Expr {
        let mut items = vec![self.not_query()];
        while self.eat(&KTok::And) {
            items.push(self.not_query());
        }
        Expr::and(items)
    }

    fn not_query(&mut self) -> Expr {
        if self.eat(&KTok::Not) {
            if !self.enter() {
                return self.opaque(self.span(), "nested too deep");
            }
            let inner = self.not_query();
            self.depth -= 1;
            return Expr::not(inner);
        }
        self.eat(&KTok::Plus);
        self.sub_query()
    }

    fn sub_query(&mut self) -> Expr {
        let start = self.span().start as usize;
        match self.peek().clone() {
            KTok::LParen => {
                self.bump();
                let e = self.or_query();
                if !self.eat(&KTok::RParen) {
                    self.error("`)`");
                }
                e
            }
            KTok::Term { text, .. } if self.is_field_start() => {
                self.bump();
                self.field_expression(text, start)
            }
            KTok::Quoted(_) | KTok::Term { .. } | KTok::Regex(_) => {
                let tree = self.value();
                self.keyword(tree)
            }
            _ => {
                self.error("a field, value or `(`");
                if !matches!(self.peek(), KTok::Eof | KTok::RParen | KTok::RBrace) {
                    self.bump();
                }
                self.opaque(Span::new(start, self.prev_end().max(start)), "syntax error")
            }
        }
    }

    fn is_field_start(&self) -> bool {
        matches!(
            self.peek_n(1),
            KTok::Colon | KTok::Lt | KTok::Le | KTok::Gt | KTok::Ge
        )
    }

    fn field_expression(&mut self, name: String, start: usize) -> Expr {
        let field = format!("{}{name}", self.prefix);
        let range = match self.bump() {
            KTok::Lt => Some(Operator::Lt),
            KTok::Le => Some(Operator::Lte),
            KTok::Gt => Some(Operator::Gt),
            KTok::Ge => Some(Operator::Gte),
            _ => None,
        };
        if let Some(op) = range {
            return self.range(field, op, start);
        }
        // Lucene `field:>5`, `field:[a TO b]`.
        if self.lang == Lang::Lucene {
            let op = match self.peek() {
                KTok::Lt => Some(Operator::Lt),
                KTok::Le => Some(Operator::Lte),
                KTok::Gt => Some(Operator::Gt),
                KTok::Ge => Some(Operator::Gte),
                _ => None,
            };
            if let Some(op) = op {
                self.bump();
                return self.range(field, op, start);
            }
            if matches!(self.peek(), KTok::LBracket | KTok::LBrace) {
                return self.lucene_range(field, start);
            }
            if field == "_exists_" {
                if let KTok::Term { text, .. } = self.bump() {
                    let span = Span::new(start, self.prev_end());
                    return Expr::Pred(
                        Predicate::new(text, Operator::Exists, vec![]).with_span(span),
                    );
                }
                self.error("a field name");
            }
        }
        if self.peek() == &KTok::LBrace {
            self.bump();
            let saved = std::mem::replace(&mut self.prefix, format!("{field}."));
            let inner = self.or_query();
            self.prefix = saved;
            if !self.eat(&KTok::RBrace) {
                self.error("`}`");
            }
            return inner;
        }
        let tree = self.value_list();
        let span = Span::new(start, self.prev_end().max(start));
        self.lower_values(&field, tree, span)
    }

    fn range(&mut self, field: String, op: Operator, start: usize) -> Expr {
        let value = match self.bump() {
            KTok::Quoted(s) => Value::Str(s),
            KTok::Term { text, .. } => number_or_text(&text),
            _ => {
                self.pos = self.pos.saturating_sub(1);
                self.error("a value");
                return self.opaque(Span::new(start, self.prev_end().max(start)), "syntax error");
            }
        };
        let span = Span::new(start, self.prev_end());
        Expr::Pred(Predicate::new(field, op, vec![value]).with_span(span))
    }

    /// Lucene `[a TO b]` (inclusive) / `{a TO b}` (exclusive).
    fn lucene_range(&mut self, field: String, start: usize) -> Expr {
        let inclusive_low = self.bump() == KTok::LBracket;
        let low = self.range_bound();
        if !self.eat(&KTok::To) {
            self.error("`TO`");
        }
        let high = self.range_bound();
        let inclusive_high = match self.bump() {
            KTok::RBracket => true,
            KTok::RBrace => false,
            _ => {
                self.error("`]` or `}`");
                true
            }
        };
        let span = Span::new(start, self.prev_end());
        let mut parts = Vec::new();
        if let Some(v) = low {
            let op = if inclusive_low {
                Operator::Gte
            } else {
                Operator::Gt
            };
            parts.push(Expr::Pred(
                Predicate::new(field.clone(), op, vec![v]).with_span(span),
            ));
        }
        if let Some(v) = high {
            let op = if inclusive_high {
                Operator::Lte
            } else {
                Operator::Lt
            };
            parts.push(Expr::Pred(
                Predicate::new(field.clone(), op, vec![v]).with_span(span),
            ));
        }
        if parts.is_empty() {
            return Expr::Pred(Predicate::new(field, Operator::Exists, vec![]).with_span(span));
        }
        Expr::and(parts)
    }

    fn range_bound(&mut self) -> Option<Value> {
        match self.bump() {
            KTok::Term { text, .. } if text == "*" => None,
            KTok::Term { text, .. } => Some(number_or_text(&text)),
            KTok::Quoted(s) => Some(Value::Str(s)),
            _ => {
                self.error("a range bound");
                None
            }
        }
    }

    /// `(a or b and not c)` or a single value.
    fn value_list(&mut self) -> ValueTree {
        if self.peek() != &KTok::LParen {
            return self.value();
        }
        self.bump();
        let t = self.value_or();
        if !self.eat(&KTok::RParen) {
            self.error("`)`");
        }
        t
    }

    fn value_or(&mut self) -> ValueTree {
        if !self.enter() {
            return ValueTree::Error(self.span());
        }
        let mut items = vec![self.value_and()];
        loop {
            if self.eat(&KTok::Or)
                || (self.lang == Lang::Lucene && self.starts_clause() && self.peek() != &KTok::Not)
            {
                items.push(self.value_and());
            } else {
                break;
            }
        }
        self.depth -= 1;
        if items.len() == 1 {
            items.remove(0)
        } else {
            ValueTree::Or(items)
        }
    }

    fn value_and(&mut self) -> ValueTree {
        let mut items = vec![self.value_not()];
        while self.eat(&KTok::And) {
            items.push(self.value_not());
        }
        if items.len() == 1 {
            items.remove(0)
        } else {
            ValueTree::And(items)
        }
    }

    fn value_not(&mut self) -> ValueTree {
        if self.eat(&KTok::Not) {
            if !self.enter() {
                return ValueTree::Error(self.span());
            }
            let inner = self.value_not();
            self.depth -= 1;
            return ValueTree::Not(Box::new(inner));
        }
        self.value_list()
    }

    fn value(&mut self) -> ValueTree {
        let span = self.span();
        match self.peek().clone() {
            KTok::Quoted(s) => {
                self.bump();
                ValueTree::Leaf {
                    op: Operator::Eq,
                    value: Some(Value::Str(s)),
                    span,
                }
            }
            KTok::Term {
                text,
                pattern,
                wild,
            } => {
                self.bump();
                if text == "*" {
                    ValueTree::Leaf {
                        op: Operator::Exists,
                        value: None,
                        span,
                    }
                } else if wild {
                    ValueTree::Leaf {
                        op: Operator::Wildcard,
                        value: Some(Value::Str(pattern)),
                        span,
                    }
                } else {
                    ValueTree::Leaf {
                        op: Operator::Eq,
                        value: Some(number_or_text(&text)),
                        span,
                    }
                }
            }
            KTok::Regex(r) => {
                self.bump();
                ValueTree::Leaf {
                    op: Operator::RegexMatch,
                    value: Some(Value::Str(r)),
                    span,
                }
            }
            _ => {
                self.error("a value");
                if !matches!(self.peek(), KTok::Eof | KTok::RParen) {
                    self.bump();
                }
                ValueTree::Error(span)
            }
        }
    }

    /// A field's value tree into predicates; `or`ed leaves of one operator merge into one
    /// predicate with several values.
    fn lower_values(&self, field: &str, tree: ValueTree, span: Span) -> Expr {
        match tree {
            ValueTree::Leaf { op, value, .. } => {
                self.pred(field, op, value.into_iter().collect(), span)
            }
            ValueTree::Not(inner) => Expr::not(self.lower_values(field, *inner, span)),
            ValueTree::And(items) => Expr::and(
                items
                    .into_iter()
                    .map(|t| self.lower_values(field, t, span))
                    .collect(),
            ),
            ValueTree::Or(items) => {
                let mut merged: Vec<(Operator, Vec<Value>)> = Vec::new();
                let mut rest = Vec::new();
                for item in flatten_or(items) {
                    match item {
                        ValueTree::Leaf {
                            op, value: Some(v), ..
                        } if op != Operator::Exists => {
                            match merged.iter_mut().find(|(o, _)| *o == op) {
                                Some((_, vals)) => vals.push(v),
                                None => merged.push((op, vec![v])),
                            }
                        }
                        other => rest.push(self.lower_values(field, other, span)),
                    }
                }
                let mut parts: Vec<Expr> = merged
                    .into_iter()
                    .map(|(op, vals)| self.pred(field, op, vals, span))
                    .collect();
                parts.extend(rest);
                Expr::or(parts)
            }
            ValueTree::Error(s) => self.opaque(s, "syntax error"),
        }
    }

    fn pred(&self, field: &str, op: Operator, values: Vec<Value>, span: Span) -> Expr {
        let mut p = Predicate::new(field, op, values).with_span(span);
        // KQL compares keyword fields exactly, case included (see the module docs).
        p.case_sensitive = matches!(op, Operator::Eq | Operator::Wildcard | Operator::RegexMatch);
        Expr::Pred(p)
    }

    /// Free text without a field.
    fn keyword(&self, tree: ValueTree) -> Expr {
        match tree {
            ValueTree::Leaf { op, value, span } => Expr::Keyword(Keyword {
                op: if op == Operator::Exists {
                    Operator::Wildcard
                } else {
                    op
                },
                values: vec![value.unwrap_or_else(|| Value::from("*"))],
                match_all: false,
                case_sensitive: false,
                modifiers: Vec::new(),
                span: Some(span),
            }),
            ValueTree::Error(s) => self.opaque(s, "syntax error"),
            other => self.lower_values("", other, Span::default()),
        }
    }
}

fn flatten_or(items: Vec<ValueTree>) -> Vec<ValueTree> {
    let mut out = Vec::new();
    for i in items {
        match i {
            ValueTree::Or(inner) => out.extend(flatten_or(inner)),
            other => out.push(other),
        }
    }
    out
}

/// Unquoted digits are numbers (as Kibana sends them); anything else stays text.
fn number_or_text(text: &str) -> Value {
    if !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && !(text.len() > 1 && text.starts_with('0'))
        && let Ok(i) = text.parse()
    {
        return Value::Int(i);
    }
    Value::Str(text.to_owned())
}

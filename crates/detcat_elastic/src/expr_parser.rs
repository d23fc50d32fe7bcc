//! Recursive-descent parser for the boolean/value expressions of EQL and ES|QL.
//!
//! Precedence, loosest first: `or`, `and`, `not`, comparison / pattern / `in` / `is null`,
//! `+ -`, `* / %`, unary `-`, primary (literal, field, call, parenthesis, `::` cast).
//! The two languages differ only in their pattern operators, chosen by [`Lang`].

use detcat_model::Span;

use crate::ast::{CmpOp, MatchOp, Node, NodeKind};
use crate::diagnostics::{self, Lang, QueryDiag};
use crate::lexer::{Tok, Token};

/// A cursor over tokens with the diagnostics found so far.
pub struct Cursor<'a> {
    pub toks: &'a [Token],
    pub pos: usize,
    pub lang: Lang,
    pub diags: Vec<QueryDiag>,
    depth: usize,
    /// What stands past the last token: an end of input just after it (so a slice of a
    /// longer token list parses as if it ended there).
    eof: Token,
}

impl<'a> Cursor<'a> {
    pub fn new(toks: &'a [Token], lang: Lang) -> Self {
        let end = toks.last().map_or(0, |t| t.span.end as usize);
        Self {
            eof: Token {
                tok: Tok::Eof,
                span: Span::new(end, end),
            },
            toks,
            pos: 0,
            lang,
            diags: Vec::new(),
            depth: 0,
        }
    }

    pub fn token(&self) -> &Token {
        self.toks.get(self.pos).unwrap_or(&self.eof)
    }

    pub fn peek(&self) -> &Tok {
        &self.token().tok
    }

    pub fn peek_n(&self, n: usize) -> &Tok {
        self.toks.get(self.pos + n).map_or(&Tok::Eof, |t| &t.tok)
    }

    pub fn span(&self) -> Span {
        self.token().span
    }

    /// End of the previous token (for node spans).
    pub fn prev_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|p| self.toks.get(p))
            .map_or(0, |t| t.span.end as usize)
    }

    pub fn bump(&mut self) -> Token {
        let t = self.token().clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    pub fn at_word(&self, word: &str) -> bool {
        self.peek().is_word(word)
    }

    pub fn eat_word(&mut self, word: &str) -> bool {
        let yes = self.at_word(word);
        if yes {
            self.bump();
        }
        yes
    }

    pub fn eat(&mut self, tok: &Tok) -> bool {
        let yes = self.peek() == tok;
        if yes {
            self.bump();
        }
        yes
    }

    /// Reports that `expected` was wanted here.
    pub fn error(&mut self, expected: &str) {
        let t = self.token().clone();
        let d = if t.tok == Tok::Eof {
            diagnostics::unexpected_end(self.lang, expected, t.span)
        } else {
            diagnostics::unexpected_token(self.lang, &t.tok.describe(), expected, t.span)
        };
        self.diags.push(d);
    }

    pub fn expect(&mut self, tok: &Tok, what: &str) -> bool {
        if self.eat(tok) {
            true
        } else {
            self.error(what);
            false
        }
    }

    fn enter(&mut self) -> bool {
        self.depth += 1;
        if self.depth > crate::MAX_DEPTH {
            self.diags
                .push(diagnostics::too_deep(self.lang, self.span()));
            return false;
        }
        true
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn node(&self, kind: NodeKind, start: usize) -> Node {
        Node::new(kind, Span::new(start, self.prev_end().max(start)))
    }

    /// A boolean expression; stops before a token it cannot continue with.
    pub fn expr(&mut self) -> Node {
        if !self.enter() {
            // Skip the rest so a hostile nesting cannot recurse further.
            let start = self.span().start as usize;
            while !matches!(self.peek(), Tok::Eof) {
                self.bump();
            }
            self.leave();
            return self.node(NodeKind::Error, start);
        }
        let n = self.or_expr();
        self.leave();
        n
    }

    fn or_expr(&mut self) -> Node {
        self.bool_level("or", Self::and_expr, NodeKind::Or)
    }

    fn and_expr(&mut self) -> Node {
        self.bool_level("and", Self::not_expr, NodeKind::And)
    }

    /// Operands from `next` joined by the keyword `word` into one `make` node (a lone
    /// operand stays itself).
    fn bool_level(
        &mut self,
        word: &str,
        next: fn(&mut Self) -> Node,
        make: fn(Vec<Node>) -> NodeKind,
    ) -> Node {
        let start = self.span().start as usize;
        let mut items = vec![next(self)];
        while self.eat_word(word) {
            items.push(next(self));
        }
        if items.len() == 1 {
            items.remove(0)
        } else {
            self.node(make(items), start)
        }
    }

    fn not_expr(&mut self) -> Node {
        let start = self.span().start as usize;
        if self.at_word("not") && !self.peek_n(1).is_word("in")
            || (self.lang == Lang::Eql
                && self.peek() == &Tok::Bang
                && self.peek_n(1) != &Tok::LBracket)
        {
            self.bump();
            if !self.enter() {
                self.leave();
                return self.node(NodeKind::Error, start);
            }
            let inner = self.not_expr();
            self.leave();
            return self.node(NodeKind::Not(Box::new(inner)), start);
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Node {
        let start = self.span().start as usize;
        let lhs = self.additive();
        if let Some(op) = self.comparison_op() {
            self.bump();
            let rhs = self.additive();
            return self.node(
                NodeKind::Cmp {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                start,
            );
        }
        let negated = self.at_word("not")
            && (self.peek_n(1).is_word("in")
                || self.peek_n(1).is_word("like")
                || self.peek_n(1).is_word("rlike")
                || self.peek_n(1).is_word("regex"));
        if negated {
            self.bump();
        }
        if let Some(op) = self.match_op() {
            let patterns = self.value_or_list();
            return self.node(
                NodeKind::Match {
                    op,
                    lhs: Box::new(lhs),
                    patterns,
                    negated,
                },
                start,
            );
        }
        if self.at_word("in") {
            self.bump();
            let insensitive = self.eat(&Tok::Tilde);
            let items = self.list();
            return self.node(
                NodeKind::In {
                    lhs: Box::new(lhs),
                    items,
                    insensitive,
                    negated,
                },
                start,
            );
        }
        if negated {
            self.error("`in`, `like` or `rlike`");
        }
        if self.lang == Lang::Esql && self.at_word("is") {
            self.bump();
            let negated = self.eat_word("not");
            if !self.eat_word("null") {
                self.error("`null`");
            }
            return self.node(
                NodeKind::IsNull {
                    operand: Box::new(lhs),
                    negated,
                },
                start,
            );
        }
        lhs
    }

    /// The comparison operator at the cursor (not consumed).
    fn comparison_op(&self) -> Option<CmpOp> {
        match self.peek() {
            Tok::EqEq => Some(CmpOp::Eq),
            Tok::Ne => Some(CmpOp::Ne),
            Tok::Lt => Some(CmpOp::Lt),
            Tok::Le => Some(CmpOp::Le),
            Tok::Gt => Some(CmpOp::Gt),
            Tok::Ge => Some(CmpOp::Ge),
            // ES|QL lets a lone `=` slip in; read it as `==`.
            Tok::Assign if self.lang == Lang::Esql => Some(CmpOp::Eq),
            _ => None,
        }
    }

    /// The pattern-match operator at the cursor (`:`, `like`, `rlike`, `regex`, with EQL's
    /// case-insensitive `~`), consumed; `None` (nothing consumed) when there is none.
    fn match_op(&mut self) -> Option<MatchOp> {
        if self.peek() == &Tok::Colon {
            self.bump();
            return Some(if self.lang == Lang::Esql {
                MatchOp::EsqlMatch
            } else {
                MatchOp::Colon
            });
        }
        let op = match (self.lang, self.peek()) {
            (Lang::Esql, t) if t.is_word("like") => MatchOp::EsqlLike,
            (Lang::Esql, t) if t.is_word("rlike") => MatchOp::EsqlRlike,
            (_, t) if t.is_word("like") => MatchOp::Like { insensitive: false },
            (_, t) if t.is_word("regex") => MatchOp::Regex { insensitive: false },
            _ => return None,
        };
        self.bump();
        if self.lang == Lang::Eql && self.eat(&Tok::Tilde) {
            return Some(match op {
                MatchOp::Like { .. } => MatchOp::Like { insensitive: true },
                MatchOp::Regex { .. } => MatchOp::Regex { insensitive: true },
                other => other,
            });
        }
        Some(op)
    }

    /// A parenthesized list or a single value (EQL `: ("a", "b")` or `: "a"`).
    fn value_or_list(&mut self) -> Vec<Node> {
        if self.peek() == &Tok::LParen {
            self.list()
        } else {
            vec![self.additive()]
        }
    }

    fn list(&mut self) -> Vec<Node> {
        let mut items = Vec::new();
        if !self.expect(&Tok::LParen, "`(`") {
            return items;
        }
        if self.eat(&Tok::RParen) {
            return items;
        }
        loop {
            items.push(self.additive());
            if self.eat(&Tok::Comma) {
                // A trailing comma before `)` is tolerated.
                if self.eat(&Tok::RParen) {
                    break;
                }
                continue;
            }
            self.expect(&Tok::RParen, "`,` or `)`");
            break;
        }
        items
    }

    fn additive(&mut self) -> Node {
        self.arith_level(
            |t| match t {
                Tok::Plus => Some('+'),
                Tok::Minus => Some('-'),
                _ => None,
            },
            Self::multiplicative,
        )
    }

    fn multiplicative(&mut self) -> Node {
        self.arith_level(
            |t| match t {
                Tok::Star => Some('*'),
                Tok::Slash => Some('/'),
                Tok::Percent => Some('%'),
                _ => None,
            },
            Self::unary,
        )
    }

    /// One left-associative level of arithmetic: operands from `next`, operators by `op_of`.
    fn arith_level(
        &mut self,
        op_of: fn(&Tok) -> Option<char>,
        next: fn(&mut Self) -> Node,
    ) -> Node {
        let start = self.span().start as usize;
        let mut lhs = next(self);
        while let Some(op) = op_of(self.peek()) {
            self.bump();
            let rhs = next(self);
            lhs = self.node(
                NodeKind::Arith {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                start,
            );
        }
        lhs
    }

    fn unary(&mut self) -> Node {
        let start = self.span().start as usize;
        if self.eat(&Tok::Minus) {
            if !self.enter() {
                self.leave();
                return self.node(NodeKind::Error, start);
            }
            let inner = self.unary();
            self.leave();
            return match inner.kind {
                NodeKind::Int(i) => self.node(NodeKind::Int(i.saturating_neg()), start),
                NodeKind::Float(f) => self.node(NodeKind::Float(-f), start),
                _ => self.node(NodeKind::Neg(Box::new(inner)), start),
            };
        }
        let mut n = self.primary();
        while self.lang == Lang::Esql && self.eat(&Tok::ColonColon) {
            let ty = match self.bump().tok {
                Tok::Ident(t) => t,
                _ => {
                    self.error("a type name");
                    String::new()
                }
            };
            n = self.node(
                NodeKind::Cast {
                    operand: Box::new(n),
                    ty,
                },
                start,
            );
        }
        n
    }

    fn primary(&mut self) -> Node {
        let start = self.span().start as usize;
        let tok = self.peek().clone();
        match tok {
            Tok::Str { value, .. } => {
                self.bump();
                self.node(NodeKind::Str(value), start)
            }
            Tok::Int(i) => {
                self.bump();
                // ES|QL time spans: `1 hour`, `7 days`.
                if self.lang == Lang::Esql
                    && let Tok::Ident(unit) = self.peek().clone()
                    && is_time_unit(&unit)
                {
                    self.bump();
                    return self.node(NodeKind::Str(format!("{i} {unit}")), start);
                }
                self.node(NodeKind::Int(i), start)
            }
            Tok::Float(f) => {
                self.bump();
                self.node(NodeKind::Float(f), start)
            }
            // ES|QL `5m`-style spans and `{"option": …}` maps of function options.
            Tok::Duration(d) if self.lang == Lang::Esql => {
                self.bump();
                self.node(NodeKind::Str(d), start)
            }
            Tok::Other('{') if self.lang == Lang::Esql => {
                let mut depth = 0usize;
                loop {
                    match self.bump().tok {
                        Tok::Other('{') => depth += 1,
                        Tok::Other('}') => depth = depth.saturating_sub(1),
                        Tok::Eof => break,
                        _ => {}
                    }
                    if depth == 0 {
                        break;
                    }
                }
                self.node(NodeKind::Str("{options}".into()), start)
            }
            Tok::LParen => {
                self.bump();
                let inner = self.expr();
                self.expect(&Tok::RParen, "`)`");
                // Keep the inner node's kind; widen the span to the parentheses.
                Node::new(inner.kind, Span::new(start, self.prev_end()))
            }
            Tok::OptIdent(name) => {
                self.bump();
                self.field_index(name, true, start)
            }
            Tok::Ident(name) => {
                self.bump();
                if ["true", "false"]
                    .iter()
                    .any(|w| name.eq_ignore_ascii_case(w))
                {
                    return self.node(NodeKind::Bool(name.eq_ignore_ascii_case("true")), start);
                }
                if name.eq_ignore_ascii_case("null") {
                    return self.node(NodeKind::Null, start);
                }
                let insensitive = self.peek() == &Tok::Tilde
                    && self.peek_n(1) == &Tok::LParen
                    && self.lang == Lang::Eql;
                if insensitive {
                    self.bump();
                }
                if self.peek() == &Tok::LParen {
                    return self.call(name, insensitive, start);
                }
                self.field_index(name, false, start)
            }
            _ => {
                self.error("a value, field or `(`");
                if !matches!(tok, Tok::Eof | Tok::RParen | Tok::RBracket | Tok::Pipe) {
                    self.bump();
                }
                self.node(NodeKind::Error, start)
            }
        }
    }

    /// `name` with optional `[index]` suffixes (EQL `process.args[0]`).
    fn field_index(&mut self, mut name: String, optional: bool, start: usize) -> Node {
        while self.lang == Lang::Eql
            && self.peek() == &Tok::LBracket
            && matches!(self.peek_n(1), Tok::Int(_))
            && self.peek_n(2) == &Tok::RBracket
        {
            self.bump();
            if let Tok::Int(i) = self.bump().tok {
                name.push_str(&format!("[{i}]"));
            }
            self.bump();
        }
        self.node(NodeKind::Field { name, optional }, start)
    }

    fn call(&mut self, name: String, insensitive: bool, start: usize) -> Node {
        self.bump(); // `(`
        let mut args = Vec::new();
        if !self.eat(&Tok::RParen) {
            loop {
                // `count(*)` in ES|QL.
                if self.peek() == &Tok::Star && self.peek_n(1) == &Tok::RParen {
                    let s = self.span().start as usize;
                    self.bump();
                    args.push(self.node(NodeKind::Str("*".into()), s));
                } else {
                    args.push(self.expr());
                }
                if self.eat(&Tok::Comma) {
                    continue;
                }
                self.expect(&Tok::RParen, "`,` or `)`");
                break;
            }
        }
        self.node(
            NodeKind::Call {
                name,
                insensitive,
                args,
            },
            start,
        )
    }
}

fn is_time_unit(word: &str) -> bool {
    const UNITS: [&str; 14] = [
        "millisecond",
        "ms",
        "second",
        "sec",
        "s",
        "minute",
        "min",
        "hour",
        "h",
        "day",
        "d",
        "week",
        "month",
        "year",
    ];
    let w = word.to_ascii_lowercase();
    let singular = w.strip_suffix('s').filter(|x| !x.is_empty()).unwrap_or(&w);
    UNITS.contains(&w.as_str())
        || UNITS.contains(&singular)
        || ["quarter", "quarters", "mo", "yr", "y", "w"].contains(&w.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexer::lex;

    fn parse(src: &str, lang: Lang) -> (Node, Vec<QueryDiag>) {
        let (toks, _) = lex(src, lang);
        let mut c = Cursor::new(&toks, lang);
        let n = c.expr();
        (n, c.diags)
    }

    #[test]
    fn precedence_and_binds_tighter_than_or() {
        let (n, d) = parse("a == 1 or b == 2 and c == 3", Lang::Eql);
        assert!(d.is_empty());
        let NodeKind::Or(items) = n.kind else {
            panic!("expected or")
        };
        assert!(matches!(items[1].kind, NodeKind::And(_)));
    }

    #[test]
    fn not_in_and_insensitive_in() {
        let (n, _) = parse(r#"p.name not in~ ("a", "b")"#, Lang::Eql);
        assert!(
            matches!(n.kind, NodeKind::In { negated: true, insensitive: true, ref items, .. } if items.len() == 2)
        );
    }

    #[test]
    fn nested_calls_with_arithmetic() {
        let (n, d) = parse(
            r#"endswith~(substring(dll.path, 0, length(dll.path) - (length(dll.name) + 1)), "x")"#,
            Lang::Eql,
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(n.fields(), ["dll.path", "dll.name"]);
        assert!(matches!(
            n.kind,
            NodeKind::Call {
                insensitive: true,
                ..
            }
        ));
    }

    #[test]
    fn esql_is_not_null_and_cast() {
        let (n, d) = parse("x::long > 3 and y IS NOT NULL", Lang::Esql);
        assert!(d.is_empty());
        let NodeKind::And(items) = n.kind else {
            panic!("and")
        };
        assert!(matches!(
            items[1].kind,
            NodeKind::IsNull { negated: true, .. }
        ));
    }

    #[test]
    fn deep_nesting_is_cut_with_a_diagnostic() {
        let src = "(".repeat(5000) + "a";
        let (_, d) = parse(&src, Lang::Eql);
        assert!(d.iter().any(|d| d.code == "eql::too-deep"));
    }

    #[test]
    fn garbage_yields_error_node_and_diagnostic() {
        let (n, d) = parse("a == ]", Lang::Eql);
        assert!(n.has_error());
        assert!(!d.is_empty());
    }
}

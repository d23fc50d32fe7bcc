//! From an SPL syntax tree to the model's expression tree.
//!
//! The rule's expression is `and[ first-command filter, later filters… ]`, so a top-level
//! `NOT` in any filter stays a top-level exclusion. Each command is handled by its
//! [`Disposition`]: filters join the conjunction, shaping commands are dropped, a threshold on a
//! `stats` (or `transaction`) output wraps everything before it into an `Aggregation`,
//! conditions on fields made by `eval`/`rex` become `Computed` — or predicates, when the field
//! is a `case`/`if` whose arm conditions can be lowered — a filter on a `lookup`'s output
//! becomes an "in lookup" predicate over the table's CSV rows (or `Opaque` with the reason when
//! there is no table), an outer/left `join` matters only once a filter reads what it brought,
//! and unknown commands are `Opaque` nodes with their text and a diagnostic.

mod case;
mod commands;
mod eval;
mod external;
mod grouping;
mod lookup;
mod pipeline;
mod search;

pub use commands::{Disposition, ENRICHMENT, SHAPING, disposition};
pub use lookup::MAX_LOOKUP_VALUES;

use std::collections::HashMap;

use detcat_model::{AggKind, Diagnostic, Expr, Opaque, Span};

use crate::lookups::LookupTables;
use crate::spl::Query;

/// The model expression of a query and what was learned on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    pub expr: Expr,
    /// Datamodel datasets read (`Endpoint.Processes`), in order, without repeats.
    pub datamodels: Vec<String>,
    /// Spans relative to the lowered text.
    pub diagnostics: Vec<Diagnostic>,
    /// Every command seen (subsearches included), in order.
    pub commands: Vec<CommandUse>,
}

/// One command occurrence and how it was treated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandUse {
    pub name: String,
    pub disposition: Disposition,
}

/// Lowers a parsed query; `text` is the text it was parsed from (for node texts); `lookups`
/// resolve filters on a `lookup`'s output.
pub fn lower(query: &Query, text: &str, lookups: &LookupTables) -> Lowered {
    let mut l = Lowerer::new(text, 0, lookups);
    l.query(query);
    let expr = l.finish();
    Lowered {
        expr,
        datamodels: l.datamodels,
        diagnostics: l.diags,
        commands: l.commands,
    }
}

/// A statistic a later threshold may test.
#[derive(Debug, Clone)]
struct AggInfo {
    kind: AggKind,
    function: String,
    field: Option<String>,
    group_by: Vec<String>,
    timespan: Option<String>,
    /// The stats command's text.
    text: String,
}

/// A field created by a command rather than read from the event.
#[derive(Debug, Clone)]
struct Derived {
    command: String,
    inputs: Vec<String>,
    /// Index into `Lowerer::externals` when the field comes from outside the event.
    external: Option<usize>,
    /// The lookup column the field holds, when a `lookup` wrote it.
    lookup: Option<lookup::LookupUse>,
    /// The arms of an `eval x = case(…)` / `if(…)` definition.
    arms: Option<Vec<case::Arm>>,
}

pub(crate) struct Lowerer<'a> {
    text: &'a str,
    lookups: &'a LookupTables,
    depth: usize,
    conjuncts: Vec<Expr>,
    aggregates: HashMap<String, AggInfo>,
    derived: HashMap<String, Derived>,
    /// Opaque nodes of external commands, taken (set to `None`) once placed in the tree.
    externals: Vec<Option<Expr>>,
    bucket_span: Option<String>,
    /// Every field the query has named so far (filters, `stats`, `eval`, `rename`, …).
    seen: std::collections::HashSet<String>,
    /// A join whose subsearch is not normalized brought fields of unknown names: a later
    /// filter on a field never named before reads them. `Some(Some(i))`: its opaque node is
    /// `externals[i]`, placed only then (an outer/left join that merely enriches).
    unknown_origin: Option<Option<usize>>,
    datamodels: Vec<String>,
    diags: Vec<Diagnostic>,
    commands: Vec<CommandUse>,
}

impl<'a> Lowerer<'a> {
    fn new(text: &'a str, depth: usize, lookups: &'a LookupTables) -> Self {
        Self {
            text,
            lookups,
            depth,
            conjuncts: Vec::new(),
            aggregates: HashMap::new(),
            derived: HashMap::new(),
            externals: Vec::new(),
            bucket_span: None,
            seen: std::collections::HashSet::new(),
            unknown_origin: None,
            datamodels: Vec::new(),
            diags: Vec::new(),
            commands: Vec::new(),
        }
    }

    pub(crate) fn slice(&self, span: Span) -> &'a str {
        span.slice(self.text)
    }

    pub(crate) fn opaque(&self, span: Span, reason: &str) -> Expr {
        Expr::Opaque(Opaque {
            text: self.slice(span).to_owned(),
            reason: reason.to_owned(),
            fields: Vec::new(),
            span: Some(span),
        })
    }

    /// The conjunction built so far. A query that only produced opaque parts is still a
    /// parsed query: it is wrapped in an explicit `and` so that the rule reads as *partial*
    /// (a bare opaque root means *failed*, see `Rule::status`).
    fn finish(&mut self) -> Expr {
        let items = search::drop_true(std::mem::take(&mut self.conjuncts));
        match Expr::and(items) {
            opaque @ Expr::Opaque(_) => Expr::And {
                items: vec![opaque],
            },
            other => other,
        }
    }

    /// Fields of every predicate, computed and opaque node of a subquery.
    pub(crate) fn subsearch_fields(&mut self, query: &Query) -> Vec<String> {
        let expr = self.subquery(query);
        fields_of(&expr)
    }

    /// Lowers a subsearch on its own (its commands and datamodels count as the rule's).
    pub(crate) fn subquery(&mut self, query: &Query) -> Expr {
        if self.depth >= crate::spl::MAX_DEPTH {
            self.diags.push(crate::diagnostics::too_deep(query.span));
            return self.opaque(query.span, "subsearch nested too deep");
        }
        let mut sub = Lowerer::new(self.text, self.depth + 1, self.lookups);
        sub.query(query);
        let expr = sub.finish();
        for dm in sub.datamodels {
            if !self.datamodels.contains(&dm) {
                self.datamodels.push(dm);
            }
        }
        self.diags.append(&mut sub.diags);
        self.commands.append(&mut sub.commands);
        expr
    }
}

/// Fields of every predicate, computed and opaque node of an expression, without repeats.
pub(crate) fn fields_of(expr: &Expr) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in expr.walk() {
        let names: Vec<&String> = match e {
            Expr::Pred(p) => vec![&p.field],
            Expr::Computed(c) => c.fields.iter().collect(),
            Expr::Opaque(o) => o.fields.iter().collect(),
            _ => Vec::new(),
        };
        for n in names {
            if !out.contains(n) {
                out.push(n.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;

/// Rewrites every span in the tree (predicates, keywords, computed and opaque nodes).
pub fn map_spans(e: &mut Expr, f: &impl Fn(Span) -> Span) {
    let fix = |s: &mut Option<Span>| {
        if let Some(span) = s {
            *span = f(*span);
        }
    };
    match e {
        Expr::And { items } | Expr::Or { items } => items.iter_mut().for_each(|i| map_spans(i, f)),
        Expr::Not { item } => map_spans(item, f),
        Expr::Pred(p) => fix(&mut p.span),
        Expr::Keyword(k) => fix(&mut k.span),
        Expr::Computed(c) => fix(&mut c.span),
        Expr::Opaque(o) => fix(&mut o.span),
        Expr::Aggregation(a) => {
            if let Some(input) = &mut a.input {
                map_spans(input, f);
            }
        }
        Expr::Sequence(s) => {
            s.steps.iter_mut().for_each(|st| map_spans(&mut st.expr, f));
            if let Some(u) = &mut s.until {
                map_spans(u, f);
            }
        }
        Expr::Const { .. } => {}
    }
}

impl Lowerer<'_> {
    /// `searchmatch("<search terms>")`: the string is search syntax; its nodes point at the
    /// string literal.
    pub(crate) fn searchmatch(&mut self, value: &str, span: Span) -> Expr {
        let (parsed, diags) = crate::spl::parse_search_expr(value);
        self.diags.extend(diags.into_iter().map(|mut d| {
            d.span = Some(span);
            d
        }));
        let Some(parsed) = parsed else {
            return Expr::Const { value: true };
        };
        let mut inner = Lowerer::new(value, self.depth + 1, self.lookups);
        let mut e = inner.search(&parsed);
        map_spans(&mut e, &|_| span);
        e
    }
}

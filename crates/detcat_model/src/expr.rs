//! The expression tree: `and` / `or` / `not` over predicates, keyword searches, sequences,
//! aggregations, computed conditions and opaque nodes.

use serde::{Deserialize, Serialize};

use crate::Span;

/// A boolean expression over events, as every vendor's query becomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "node", rename_all = "snake_case")]
pub enum Expr {
    And {
        items: Vec<Expr>,
    },
    Or {
        items: Vec<Expr>,
    },
    Not {
        item: Box<Expr>,
    },
    /// `(field, operator, values)`.
    Pred(Predicate),
    /// A field-less search (Sigma keyword lists, KQL/Lucene free text, SPL bare terms).
    Keyword(Keyword),
    /// A condition over computed values that is fully understood but is no simple predicate,
    /// e.g. EQL `length(process.args) > 3` or `substring(dll.path, 0, 3) : "C:\\"`.
    Computed(Computed),
    /// EQL `sequence` / `sample`, Sigma `temporal_ordered` correlations.
    Sequence(Sequence),
    /// Counting and thresholds: Sigma correlations and pipe aggregations, Elastic threshold /
    /// new_terms rules, SPL `stats … | where count > N`.
    Aggregation(Aggregation),
    /// What could not be normalized, kept with its original text and the reason.
    Opaque(Opaque),
    /// A constant: `true` matches every event (e.g. `any where true`), `false` none.
    Const {
        value: bool,
    },
}

impl Expr {
    /// `and` of `items`, flattening nested `and`s and unwrapping a single item.
    pub fn and(items: Vec<Expr>) -> Expr {
        Self::flatten(items, true)
    }

    /// `or` of `items`, flattening nested `or`s and unwrapping a single item.
    pub fn or(items: Vec<Expr>) -> Expr {
        Self::flatten(items, false)
    }

    /// `not item`; a double negation collapses.
    #[allow(clippy::should_implement_trait)]
    pub fn not(item: Expr) -> Expr {
        match item {
            Expr::Not { item } => *item,
            other => Expr::Not {
                item: Box::new(other),
            },
        }
    }

    fn flatten(items: Vec<Expr>, is_and: bool) -> Expr {
        let mut flat = Vec::with_capacity(items.len());
        for item in items {
            match (item, is_and) {
                (Expr::And { items }, true) | (Expr::Or { items }, false) => flat.extend(items),
                (other, _) => flat.push(other),
            }
        }
        if flat.len() == 1
            && let Some(only) = flat.pop()
        {
            return only;
        }
        if is_and {
            Expr::And { items: flat }
        } else {
            Expr::Or { items: flat }
        }
    }

    /// Every node of the tree, depth first, including `self`.
    pub fn walk(&self) -> impl Iterator<Item = &Expr> {
        let mut stack = vec![self];
        std::iter::from_fn(move || {
            let next = stack.pop()?;
            match next {
                Expr::And { items } | Expr::Or { items } => stack.extend(items.iter().rev()),
                Expr::Not { item } => stack.push(item),
                Expr::Sequence(seq) => {
                    stack.extend(seq.until.iter().map(|b| &**b));
                    stack.extend(seq.steps.iter().rev().map(|s| &s.expr));
                }
                Expr::Aggregation(agg) => stack.extend(agg.input.iter().map(|b| &**b)),
                _ => {}
            }
            Some(next)
        })
    }

    /// Every predicate with whether it sits under an odd number of `not`s.
    pub fn predicates(&self) -> Vec<(&Predicate, bool)> {
        self.leaves()
            .into_iter()
            .filter_map(|(e, neg)| match e {
                Expr::Pred(p) => Some((p, neg)),
                _ => None,
            })
            .collect()
    }

    /// Every predicate and keyword search, with whether it sits under an odd number of `not`s.
    fn leaves(&self) -> Vec<(&Expr, bool)> {
        let mut out = Vec::new();
        collect_leaves(self, false, &mut out);
        out
    }

    /// Does the tree hold an opaque node (the rule is then *partial*)?
    pub fn has_opaque(&self) -> bool {
        self.walk().any(|e| matches!(e, Expr::Opaque(_)))
    }

    /// The top-level conjuncts: the items of a root `and` (descending into sequence steps and
    /// aggregation inputs, whose conjuncts are the rule's too), or the root itself.
    pub(crate) fn top_conjuncts(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            match e {
                Expr::And { items } => stack.extend(items.iter().rev()),
                Expr::Sequence(seq) => stack.extend(
                    seq.steps
                        .iter()
                        .rev()
                        .filter(|s| !s.missing)
                        .map(|s| &s.expr),
                ),
                Expr::Aggregation(agg) => stack.extend(agg.input.iter().map(|b| &**b)),
                other => out.push(other),
            }
        }
        out
    }

    /// Exclusions: predicates under a top-level `not` (the community's false-positive filters).
    ///
    /// `selection and not (filter_a or filter_b)` yields the predicates of both filters; a `not`
    /// nested deeper (inside an `or`) is no exclusion of the rule as a whole.
    pub fn exclusions(&self) -> impl Iterator<Item = &Predicate> {
        self.roles().1.into_iter().filter_map(as_predicate)
    }

    /// Indicators: predicates that must hold for the rule to fire — not under any `not`.
    pub fn indicators(&self) -> impl Iterator<Item = &Predicate> {
        self.roles().0.into_iter().filter_map(as_predicate)
    }

    /// Keyword searches that must match (not under any `not`): field-less indicators.
    pub fn keyword_indicators(&self) -> impl Iterator<Item = &Keyword> {
        self.roles().0.into_iter().filter_map(as_keyword)
    }

    /// Keyword searches under a top-level `not`: field-less exclusions.
    pub fn keyword_exclusions(&self) -> impl Iterator<Item = &Keyword> {
        self.roles().1.into_iter().filter_map(as_keyword)
    }

    /// Every predicate with whether it is negated and its [`Role`] in the rule.
    ///
    /// `is_selector` says which predicates choose the event stream (event kind, category,
    /// code, channel, OS, index…): that is taxonomy data, so the caller decides. A selector is
    /// a selector wherever it sits — `event.type != "deletion"` under a top-level `not` narrows
    /// the stream just as `event.type == "start"` does, and is no false-positive filter.
    pub fn predicate_roles(
        &self,
        is_selector: impl Fn(&Predicate) -> bool,
    ) -> Vec<(&Predicate, bool, Role)> {
        // Sets of node addresses, not vectors: a flat OR of 200k items made the lookup
        // quadratic.
        let (indicators, exclusions) = self.roles();
        let addresses = |set: Vec<&Expr>| -> std::collections::HashSet<*const Predicate> {
            set.into_iter()
                .filter_map(as_predicate)
                .map(|p| p as *const Predicate)
                .collect()
        };
        let (indicators, exclusions) = (addresses(indicators), addresses(exclusions));
        let is_in = |set: &std::collections::HashSet<*const Predicate>, p: &Predicate| {
            set.contains(&(p as *const Predicate))
        };
        self.predicates()
            .into_iter()
            .map(|(p, negated)| {
                let role = if is_selector(p) {
                    Role::Selector
                } else if is_in(&indicators, p) {
                    Role::Indicator
                } else if is_in(&exclusions, p) {
                    Role::Exclusion
                } else {
                    Role::Other
                };
                (p, negated, role)
            })
            .collect()
    }

    /// Leaves that are indicators (positive, outside any top-level `not`) and exclusions
    /// (positive inside a top-level `not`).
    fn roles(&self) -> (Vec<&Expr>, Vec<&Expr>) {
        let (mut indicators, mut exclusions) = (Vec::new(), Vec::new());
        for c in self.top_conjuncts() {
            let (target, inner) = match c {
                Expr::Not { item } => (&mut exclusions, &**item),
                other => (&mut indicators, other),
            };
            target.extend(
                inner
                    .leaves()
                    .into_iter()
                    .filter(|(_, neg)| !neg)
                    .map(|(e, _)| e),
            );
        }
        (indicators, exclusions)
    }
}

fn as_predicate(e: &Expr) -> Option<&Predicate> {
    match e {
        Expr::Pred(p) => Some(p),
        _ => None,
    }
}

fn as_keyword(e: &Expr) -> Option<&Keyword> {
    match e {
        Expr::Keyword(k) => Some(k),
        _ => None,
    }
}

fn collect_leaves<'a>(expr: &'a Expr, negated: bool, out: &mut Vec<(&'a Expr, bool)>) {
    match expr {
        Expr::And { items } | Expr::Or { items } => {
            items.iter().for_each(|i| collect_leaves(i, negated, out));
        }
        Expr::Not { item } => collect_leaves(item, !negated, out),
        Expr::Pred(_) | Expr::Keyword(_) => out.push((expr, negated)),
        Expr::Sequence(seq) => {
            for step in &seq.steps {
                collect_leaves(&step.expr, negated ^ step.missing, out);
            }
            if let Some(until) = &seq.until {
                collect_leaves(until, !negated, out);
            }
        }
        Expr::Aggregation(agg) => {
            if let Some(input) = &agg.input {
                collect_leaves(input, negated, out);
            }
        }
        Expr::Computed(_) | Expr::Opaque(_) | Expr::Const { .. } => {}
    }
}

/// What a predicate does for its rule, as the authoring guide counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Chooses the event stream (`event.category == "process"`, `EventID: 1`, `index=main`):
    /// it says where to look, not what to look for.
    Selector,
    /// Must hold for the rule to fire: a positive predicate outside any top-level `not`.
    Indicator,
    /// A false-positive filter: a positive predicate under a top-level `not`.
    Exclusion,
    /// Anything else (a `not` nested inside an `or`, a negated predicate).
    Other,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Selector => "selector",
            Role::Indicator => "indicator",
            Role::Exclusion => "exclusion",
            Role::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        [
            Role::Selector,
            Role::Indicator,
            Role::Exclusion,
            Role::Other,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// How a predicate compares a field with its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// Exact equality (values are literal: a `*` in an `eq` value is a star).
    Eq,
    /// Glob match; values use [`crate::wildcard`] syntax (`*`, `?`, `\` escapes).
    Wildcard,
    /// Regular expression; flags in [`Predicate::regex_flags`].
    RegexMatch,
    /// Tokenized / full-text match (a KQL term on a text field, SPL `match`-like search).
    Match,
    /// Value is a CIDR block the field's IP must fall into.
    Cidr,
    /// The field exists (no values). `not exists` is `Expr::Not` around it.
    Exists,
    Gt,
    Gte,
    Lt,
    Lte,
    /// The field equals another field of the same event; values name that field.
    FieldRef,
}

impl Operator {
    /// Every operator, in declaration order.
    pub const ALL: [Operator; 11] = [
        Operator::Eq,
        Operator::Wildcard,
        Operator::RegexMatch,
        Operator::Match,
        Operator::Cidr,
        Operator::Exists,
        Operator::Gt,
        Operator::Gte,
        Operator::Lt,
        Operator::Lte,
        Operator::FieldRef,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "eq",
            Operator::Wildcard => "wildcard",
            Operator::RegexMatch => "regex_match",
            Operator::Match => "match",
            Operator::Cidr => "cidr",
            Operator::Exists => "exists",
            Operator::Gt => "gt",
            Operator::Gte => "gte",
            Operator::Lt => "lt",
            Operator::Lte => "lte",
            Operator::FieldRef => "field_ref",
        }
    }

    pub fn parse(s: &str) -> Option<Operator> {
        Some(match s {
            "eq" => Operator::Eq,
            "wildcard" => Operator::Wildcard,
            "regex_match" => Operator::RegexMatch,
            "match" => Operator::Match,
            "cidr" => Operator::Cidr,
            "exists" => Operator::Exists,
            "gt" => Operator::Gt,
            "gte" => Operator::Gte,
            "lt" => Operator::Lt,
            "lte" => Operator::Lte,
            "field_ref" => Operator::FieldRef,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value compared against a field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Sigma `null`: the field is empty or absent.
    Null,
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as text, as a catalog row or page shows it.
    pub fn to_text(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => "null".to_owned(),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

/// Regular-expression flags (Sigma `re|i|m|s`, EQL `regex~`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RegexFlags {
    pub ignore_case: bool,
    pub multiline: bool,
    pub dot_all: bool,
}

impl RegexFlags {
    pub fn is_empty(&self) -> bool {
        !self.ignore_case && !self.multiline && !self.dot_all
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// `(field, operator, values)`: the atom of every rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predicate {
    /// The field name exactly as the vendor wrote it (`Image`, `process.name`,
    /// `Processes.process_name`); the taxonomy maps it to a canonical field later.
    pub field: String,
    pub op: Operator,
    /// Alternatives (OR) — or, with `match_all`, conjuncts (AND). Empty for `exists`.
    pub values: Vec<Value>,
    /// Sigma `|all`: every value must match.
    #[serde(default, skip_serializing_if = "is_false")]
    pub match_all: bool,
    /// Whether the comparison is case-sensitive (Sigma `cased`, EQL `==`, SPL `case()`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub case_sensitive: bool,
    #[serde(default, skip_serializing_if = "RegexFlags::is_empty")]
    pub regex_flags: RegexFlags,
    /// Vendor modifiers or functions that shaped this predicate, in source order, so no
    /// meaning is lost (`contains`, `windash`, `base64offset`, `startsWith~`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifiers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

impl Predicate {
    pub fn new(field: impl Into<String>, op: Operator, values: Vec<Value>) -> Self {
        Self {
            field: field.into(),
            op,
            values,
            match_all: false,
            case_sensitive: false,
            regex_flags: RegexFlags::default(),
            modifiers: Vec::new(),
            span: None,
        }
    }

    pub fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }
}

/// A field-less search over the whole event (or its message).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keyword {
    /// `Eq`, `Wildcard`, `Match` or `RegexMatch`.
    pub op: Operator,
    pub values: Vec<Value>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub match_all: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub case_sensitive: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifiers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

/// A fully parsed condition over computed values; not an indicator, but not lost either.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Computed {
    /// The outermost function or operator (`length`, `substring`, `arithmetic`, …).
    pub function: String,
    /// Every event field the condition reads.
    pub fields: Vec<String>,
    /// The condition's source text.
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeqKind {
    /// Ordered steps (EQL `sequence`, Sigma `temporal_ordered`).
    Sequence,
    /// Unordered co-occurrence (EQL `sample`, Sigma `temporal`).
    Sample,
}

/// EQL `sequence [by …] [with maxspan=…] [ … ] [ … ] [until [ … ]]` and kin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sequence {
    pub kind: SeqKind,
    /// Join keys shared by all steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maxspan: Option<String>,
    pub steps: Vec<SeqStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Box<Expr>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeqStep {
    /// Event category of the step (`process`, `network`, `any`) when the language has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub expr: Expr,
    /// Per-step join keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by: Vec<String>,
    /// `with runs=N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<u32>,
    /// EQL missing-event step `![ … ]`: the step must *not* occur.
    #[serde(default, skip_serializing_if = "is_false")]
    pub missing: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AggKind {
    /// Count of events (Sigma `event_count`, `count()`, Elastic threshold, SPL `stats count`).
    EventCount,
    /// Count of distinct values of `field` (Sigma `value_count`, SPL `dc()`).
    ValueCount,
    /// Sigma `temporal`: all referenced rules fire within the timespan.
    Temporal,
    /// Sigma `temporal_ordered`.
    TemporalOrdered,
    /// Elastic `new_terms`: the value combination was not seen in the history window.
    NewTerms,
    /// Another statistic (`sum`, `avg`, `max`, …) named by `function`.
    Stat,
}

/// A comparison of an aggregate against a number (`count > 10`, `gte: 5`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub op: RangeOp,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeOp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

/// Counting over the events matched by `input` (or by the rules in `rule_refs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregation {
    pub kind: AggKind,
    /// The statistic's own name when `kind` is `Stat` (or for display: `count`, `dc`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// The filter whose events are aggregated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<Box<Expr>>,
    /// Rules referenced by name or id (Sigma correlation `rules:`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rule_refs: Vec<String>,
    /// The aggregated field (`value_count` of what; new_terms fields).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_by: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timespan: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Comparison>,
    /// The source text of the aggregation part, for display.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A part that could not be normalized: an ML job, a lookup, an eval, an unknown construct.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Opaque {
    /// The original text, verbatim.
    pub text: String,
    /// Why it is opaque, in words (`machine learning job`, `SPL command 'lookup'`).
    pub reason: String,
    /// Fields it mentions, when they can be told (so field statistics still see them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pred(field: &str, value: &str) -> Expr {
        Expr::Pred(Predicate::new(
            field,
            Operator::Eq,
            vec![Value::from(value)],
        ))
    }

    fn fields<'a>(preds: impl Iterator<Item = &'a Predicate>) -> Vec<&'a str> {
        preds.map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn and_or_flatten_and_unwrap() {
        let e = Expr::and(vec![
            Expr::and(vec![pred("a", "1"), pred("b", "2")]),
            pred("c", "3"),
        ]);
        assert!(matches!(&e, Expr::And { items } if items.len() == 3));
        assert_eq!(Expr::or(vec![pred("a", "1")]), pred("a", "1"));
        assert_eq!(Expr::not(Expr::not(pred("a", "1"))), pred("a", "1"));
    }

    #[test]
    fn exclusions_are_only_top_level_nots() {
        // sel and not (f1 or f2) and (x or not y)
        let e = Expr::and(vec![
            pred("sel", "1"),
            Expr::not(Expr::or(vec![pred("f1", "1"), pred("f2", "1")])),
            Expr::or(vec![pred("x", "1"), Expr::not(pred("y", "1"))]),
        ]);
        assert_eq!(fields(e.exclusions()), ["f1", "f2"]);
        assert_eq!(fields(e.indicators()), ["sel", "x"]);
    }

    #[test]
    fn selectors_are_neither_indicators_nor_exclusions_even_negated() {
        // event.type == start and process.name == x and not (event.type == deletion or user == y)
        let e = Expr::and(vec![
            pred("event.type", "start"),
            pred("process.name", "x"),
            Expr::not(Expr::or(vec![
                pred("event.type", "deletion"),
                pred("user", "y"),
            ])),
        ]);
        let roles: Vec<(&str, String, bool, Role)> = e
            .predicate_roles(|p| p.field.starts_with("event."))
            .into_iter()
            .map(|(p, neg, r)| (p.field.as_str(), p.values[0].to_text(), neg, r))
            .collect();
        assert_eq!(
            roles,
            [
                ("event.type", "start".into(), false, Role::Selector),
                ("process.name", "x".into(), false, Role::Indicator),
                ("event.type", "deletion".into(), true, Role::Selector),
                ("user", "y".into(), true, Role::Exclusion),
            ]
        );
        for r in [
            Role::Selector,
            Role::Indicator,
            Role::Exclusion,
            Role::Other,
        ] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn keyword_searches_have_roles_too() {
        let kw = |v: &str| {
            Expr::Keyword(Keyword {
                op: Operator::Wildcard,
                values: vec![Value::from(v)],
                match_all: false,
                case_sensitive: false,
                modifiers: vec![],
                span: None,
            })
        };
        let e = Expr::and(vec![
            kw("*dd if=*"),
            Expr::not(kw("*of=/dev/null*")),
            pred("a", "1"),
        ]);
        let values = |ks: Vec<&Keyword>| {
            ks.iter()
                .flat_map(|k| k.values.iter().map(Value::to_text))
                .collect::<Vec<_>>()
        };
        assert_eq!(values(e.keyword_indicators().collect()), ["*dd if=*"]);
        assert_eq!(values(e.keyword_exclusions().collect()), ["*of=/dev/null*"]);
        assert_eq!(fields(e.indicators()), ["a"], "keywords are no predicates");
    }

    #[test]
    fn double_negation_inside_exclusion_is_not_an_exclusion() {
        // not (a and not b): b must hold for the rule... under the exclusion it is no filter.
        let e = Expr::and(vec![
            pred("sel", "1"),
            Expr::not(Expr::and(vec![pred("a", "1"), Expr::not(pred("b", "1"))])),
        ]);
        assert_eq!(fields(e.exclusions()), ["a"]);
    }

    #[test]
    fn sequence_steps_contribute_indicators_and_missing_steps_do_not() {
        let seq = Expr::Sequence(Sequence {
            kind: SeqKind::Sequence,
            by: vec!["host.id".into()],
            maxspan: Some("1m".into()),
            steps: vec![
                SeqStep {
                    category: Some("process".into()),
                    expr: pred("a", "1"),
                    by: vec![],
                    runs: None,
                    missing: false,
                },
                SeqStep {
                    category: Some("any".into()),
                    expr: pred("m", "1"),
                    by: vec![],
                    runs: None,
                    missing: true,
                },
            ],
            until: None,
        });
        assert_eq!(fields(seq.indicators()), ["a"]);
        assert_eq!(seq.predicates().iter().filter(|(_, neg)| *neg).count(), 1);
    }

    #[test]
    fn opaque_is_detected_anywhere() {
        let e = Expr::and(vec![
            pred("a", "1"),
            Expr::Opaque(Opaque {
                text: "| lookup x".into(),
                reason: "lookup".into(),
                fields: vec![],
                span: None,
            }),
        ]);
        assert!(e.has_opaque());
        assert!(!pred("a", "1").has_opaque());
    }

    #[test]
    fn every_node_round_trips_through_json() -> Result<(), serde_json::Error> {
        let agg = Expr::Aggregation(Aggregation {
            kind: AggKind::EventCount,
            function: Some("count".into()),
            input: Some(Box::new(pred("a", "1"))),
            rule_refs: vec![],
            fields: vec![],
            group_by: vec!["host".into()],
            timespan: Some("5m".into()),
            condition: Some(Comparison {
                op: RangeOp::Gte,
                value: 10.0,
            }),
            text: None,
        });
        let seq = Expr::Sequence(Sequence {
            kind: SeqKind::Sample,
            by: vec![],
            maxspan: None,
            steps: vec![SeqStep {
                category: None,
                expr: agg.clone(),
                by: vec![],
                runs: Some(5),
                missing: false,
            }],
            until: Some(Box::new(Expr::Const { value: true })),
        });
        let json = serde_json::to_string(&seq)?;
        assert_eq!(serde_json::from_str::<Expr>(&json)?, seq, "{json}");
        Ok(())
    }

    #[test]
    fn operator_names_round_trip() {
        for op in Operator::ALL {
            assert_eq!(Operator::parse(op.as_str()), Some(op));
        }
    }

    #[test]
    fn serializes_with_kind_tags() -> Result<(), serde_json::Error> {
        let json = serde_json::to_string(&Expr::not(pred("a", "x")))?;
        assert_eq!(
            json,
            r#"{"node":"not","item":{"node":"pred","field":"a","op":"eq","values":["x"]}}"#
        );
        Ok(())
    }
}

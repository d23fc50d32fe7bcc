//! Walking the commands of a query, in order.

use detcat_model::{
    AggKind, Aggregation, Comparison, Computed, Expr, Opaque, Operator, Predicate, RangeOp,
    RegexFlags, Span, Value,
};

use super::case::arms_equal;
use super::{AggInfo, CommandUse, Derived, Disposition, Lowerer, disposition};
use crate::diagnostics as diag;
use crate::spl::{Assignment, Command, CommandKind, Query, Stats};

/// Statistics that carry values rather than measure them: a condition on their output is a
/// condition on the underlying field, not a threshold.
const VALUE_CARRIERS: &[&str] = &[
    "values", "list", "first", "last", "earliest", "latest", "min", "max", "mode",
];

impl Lowerer<'_> {
    pub(crate) fn query(&mut self, query: &Query) {
        for cmd in &query.commands {
            self.command(cmd);
        }
    }

    fn command(&mut self, cmd: &Command) {
        let disp = disposition(&cmd.name);
        self.commands.push(CommandUse {
            name: cmd.name.clone(),
            disposition: disp,
        });
        match &cmd.kind {
            CommandKind::Search(Some(e)) => {
                let x = self.search(e);
                self.filter(x);
            }
            CommandKind::Search(None) => {}
            CommandKind::Where(e) => {
                let x = self.condition(e);
                self.filter(x);
            }
            CommandKind::Regex {
                field,
                negated,
                pattern,
                span,
            } => self.regex(field, *negated, pattern, *span),
            CommandKind::Stats(s) => self.stats(cmd, s),
            CommandKind::From { dataset } => self.datamodel(dataset),
            CommandKind::Eval(assignments) => self.eval(assignments),
            CommandKind::Rex {
                field, groups, sed, ..
            } => {
                if !*sed {
                    let source = field.clone().unwrap_or_else(|| "_raw".to_owned());
                    for g in groups {
                        self.derive(g, "rex", vec![source.clone()], None);
                    }
                }
            }
            CommandKind::Lookup {
                table,
                inputs,
                outputs,
            } => self.lookup(cmd, table, inputs, outputs),
            CommandKind::Join {
                join_type,
                sub,
                fields,
            } => self.join(cmd, join_type, fields, sub.as_deref()),
            CommandKind::Append { sub } => {
                if cmd.name == "appendpipe" {
                    return;
                }
                if let Some(sub) = sub {
                    let e = self.subquery(sub);
                    let so_far = Expr::and(std::mem::take(&mut self.conjuncts));
                    self.conjuncts.push(Expr::or(vec![so_far, e]));
                }
            }
            CommandKind::Rename(pairs) => self.rename(pairs),
            CommandKind::Bucket { span } => self.bucket_span.clone_from(span),
            CommandKind::Transaction(t) => self.transaction(cmd, t),
            CommandKind::Rare { fields, by } => self.rare(cmd, fields, by),
            CommandKind::Macro { name } => {
                let e = self.opaque(cmd.span, &format!("unknown macro `{name}`"));
                self.conjuncts.push(e);
            }
            CommandKind::Other { words, .. } if cmd.name == "fillnull" => {
                self.fillnull(cmd, words);
            }
            CommandKind::Other { words, subsearches } => match disp {
                Disposition::Shaping | Disposition::Enrichment => {}
                _ => self.unsupported(cmd, words, subsearches),
            },
        }
    }

    /// `| regex field[!]="…"`: a regex predicate (case-insensitive with a leading `(?i)`).
    fn regex(&mut self, field: &str, negated: bool, pattern: &str, span: Span) {
        let mut p =
            Predicate::new(field, Operator::RegexMatch, vec![Value::from(pattern)]).with_span(span);
        p.modifiers.push("regex".to_owned());
        p.case_sensitive = !pattern.starts_with("(?i)");
        if !p.case_sensitive {
            p.regex_flags = RegexFlags {
                ignore_case: true,
                ..RegexFlags::default()
            };
        }
        let e = if negated {
            Expr::not(Expr::Pred(p))
        } else {
            Expr::Pred(p)
        };
        self.filter(e);
    }

    /// `| eval`: each assigned field is derived from the fields its expression reads.
    fn eval(&mut self, assignments: &[Assignment]) {
        for a in assignments {
            let inputs = a.expr.fields();
            let arms = self.arms(&a.expr);
            let external = self.external_of(&inputs);
            self.derive(&a.field, "eval", inputs, external);
            if let Some(d) = self.derived.get_mut(&a.field) {
                d.arms = arms;
            }
        }
    }

    /// `| rename a as b`: what is known of `a` carries over to `b`.
    fn rename(&mut self, pairs: &[(String, String)]) {
        for (from, to) in pairs {
            self.seen.insert(to.clone());
            if let Some(d) = self.derived.get(from).cloned() {
                self.derived.insert(to.clone(), d);
            }
            if let Some(a) = self.aggregates.get(from).cloned() {
                self.aggregates.insert(to.clone(), a);
            }
        }
    }

    /// A filtering command this lowering does not read: an opaque node with the fields it
    /// seems to name, and a diagnostic.
    fn unsupported(&mut self, cmd: &Command, words: &[String], subsearches: &[Query]) {
        let mut fields: Vec<String> = words
            .iter()
            .filter(|w| looks_like_field(w))
            .cloned()
            .collect();
        for q in subsearches {
            fields.extend(self.subsearch_fields(q));
        }
        fields.dedup();
        self.diags
            .push(diag::unsupported_command(cmd.span, &cmd.name));
        self.conjuncts.push(Expr::Opaque(Opaque {
            text: self.slice(cmd.span).to_owned(),
            reason: format!("SPL command `{}`", cmd.name),
            fields,
            span: Some(cmd.span),
        }));
    }

    fn datamodel(&mut self, dataset: &str) {
        if !dataset.is_empty() && !self.datamodels.iter().any(|d| d == dataset) {
            self.datamodels.push(dataset.to_owned());
        }
    }

    pub(crate) fn derive(
        &mut self,
        field: &str,
        command: &str,
        inputs: Vec<String>,
        external: Option<usize>,
    ) {
        self.seen.insert(field.to_owned());
        self.aggregates.remove(field);
        self.derived.insert(
            field.to_owned(),
            Derived {
                command: command.to_owned(),
                inputs,
                external,
                lookup: None,
                arms: None,
            },
        );
    }

    fn stats(&mut self, cmd: &Command, s: &Stats) {
        if let Some(dm) = &s.datamodel {
            self.datamodel(dm);
        }
        if let Some(f) = &s.filter {
            let e = self.search(f);
            self.filter(e);
        }
        let span = s
            .options
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("span"))
            .map(|(_, v)| v.clone());
        let timespan = span.or_else(|| self.bucket_span.clone());
        self.seen.extend(s.by.iter().cloned());
        for f in &s.functions {
            self.seen.insert(f.output.clone());
            self.seen.extend(f.field.iter().cloned());
        }
        for f in &s.functions {
            if VALUE_CARRIERS.contains(&f.function.as_str()) {
                continue;
            }
            let kind = match f.function.as_str() {
                "count" => AggKind::EventCount,
                "dc" => AggKind::ValueCount,
                _ => AggKind::Stat,
            };
            self.derived.remove(&f.output);
            self.aggregates.insert(
                f.output.clone(),
                AggInfo {
                    kind,
                    function: f.function.clone(),
                    field: f.field.clone(),
                    group_by: s.by.clone(),
                    timespan: timespan.clone(),
                    text: self.slice(cmd.span).to_owned(),
                },
            );
        }
    }

    /// Adds a filter: thresholds on statistics wrap what came before into an aggregation;
    /// conditions on derived fields become computed nodes.
    pub(crate) fn filter(&mut self, e: Expr) {
        let mut externals = Vec::new();
        let e = self.rewrite(e, &mut externals);
        for (idx, why) in externals {
            if let Some(opaque) = self.externals.get_mut(idx).and_then(Option::take) {
                if let Expr::Opaque(o) = &opaque {
                    let span = o.span.unwrap_or_default();
                    self.diags.push(match o.reason.strip_prefix("SPL lookup ") {
                        Some(name) => diag::lookup_unresolved(span, name.trim_matches('`'), &why),
                        None => diag::join_not_normalized(span, &o.reason, &why),
                    });
                }
                self.conjuncts.push(opaque);
            }
        }
        for p in e.walk().filter_map(|x| match x {
            Expr::Pred(p) => Some(&p.field),
            _ => None,
        }) {
            self.seen.insert(p.clone());
        }
        let items = match e {
            Expr::And { items } => items,
            other => vec![other],
        };
        for item in items {
            if matches!(item, Expr::Const { value: true }) {
                continue;
            }
            match self.threshold(&item) {
                Some(agg) => {
                    let input = Expr::and(std::mem::take(&mut self.conjuncts));
                    let input = (!matches!(&input, Expr::And { items } if items.is_empty()))
                        .then(|| Box::new(input));
                    self.conjuncts
                        .push(Expr::Aggregation(Aggregation { input, ..agg }));
                }
                None => self.conjuncts.push(item),
            }
        }
    }

    /// `count > 5` on a statistic's output: the aggregation (without input yet).
    fn threshold(&self, e: &Expr) -> Option<Aggregation> {
        let (p, negated) = match e {
            Expr::Pred(p) => (p, false),
            Expr::Not { item } => match &**item {
                Expr::Pred(p) if p.op == Operator::Eq => (p, true),
                _ => return None,
            },
            _ => return None,
        };
        let info = self.aggregates.get(&p.field)?;
        let value = match p.values.as_slice() {
            [Value::Int(i)] => *i as f64,
            [Value::Float(f)] => *f,
            _ => return None,
        };
        let op = match (p.op, negated) {
            (Operator::Eq, true) => RangeOp::Ne,
            (Operator::Eq, false) => RangeOp::Eq,
            (Operator::Gt, false) => RangeOp::Gt,
            (Operator::Gte, false) => RangeOp::Gte,
            (Operator::Lt, false) => RangeOp::Lt,
            (Operator::Lte, false) => RangeOp::Lte,
            _ => return None,
        };
        let cond_text = p.span.map(|s| self.slice(s)).unwrap_or_default();
        Some(Aggregation {
            kind: info.kind.clone(),
            function: Some(info.function.clone()),
            input: None,
            rule_refs: Vec::new(),
            fields: info.field.iter().cloned().collect(),
            group_by: info.group_by.clone(),
            timespan: info.timespan.clone(),
            condition: Some(Comparison { op, value }),
            text: Some(format!("{} | where {cond_text}", info.text)),
        })
    }

    /// Predicates over derived fields or statistics (other than plain thresholds) become
    /// computed nodes; the external commands they depend on are collected.
    fn rewrite(&mut self, e: Expr, externals: &mut Vec<(usize, String)>) -> Expr {
        match e {
            Expr::And { items } => Expr::and(
                items
                    .into_iter()
                    .map(|i| self.rewrite(i, externals))
                    .collect(),
            ),
            Expr::Or { items } => Expr::or(
                items
                    .into_iter()
                    .map(|i| self.rewrite(i, externals))
                    .collect(),
            ),
            Expr::Not { item } => match *item {
                // SPL `out != v` on a lookup output: an atom of its own (see resolve_lookup).
                Expr::Pred(p) if p.modifiers.iter().any(|m| m == "!=") => {
                    let u = self.derived.get(&p.field).and_then(|d| d.lookup.clone());
                    match u.map(|u| self.resolve_lookup(&p, &u, true)) {
                        Some(Ok(e)) => e,
                        _ => Expr::not(self.rewrite(Expr::Pred(p), externals)),
                    }
                }
                item => Expr::not(self.rewrite(item, externals)),
            },
            Expr::Pred(p) => {
                if let Some(d) = self.derived.get(&p.field).cloned() {
                    if let Some(arms) = &d.arms
                        && d.external.is_none()
                        && let Some(e) = arms_equal(arms, &p)
                    {
                        return e;
                    }
                    let resolved = d.lookup.as_ref().map(|u| self.resolve_lookup(&p, u, false));
                    let why = match resolved {
                        Some(Ok(e)) => return e,
                        Some(Err(why)) => why,
                        None => format!(
                            "a later filter reads `{}`, derived from its fields",
                            p.field
                        ),
                    };
                    if let Some(idx) = d.external
                        && !externals.iter().any(|(i, _)| *i == idx)
                    {
                        externals.push((idx, why));
                    }
                    let mut fields = vec![p.field.clone()];
                    fields.extend(d.inputs.iter().filter(|f| **f != p.field).cloned());
                    return self.computed_pred(&p, &d.command, fields);
                }
                if let Some(origin) = self.unknown_origin
                    && !self.seen.contains(&p.field)
                    && !self.aggregates.contains_key(&p.field)
                {
                    if let Some(idx) = origin
                        && !externals.iter().any(|(i, _)| *i == idx)
                    {
                        externals.push((idx, "a later filter reads a field it may bring".into()));
                    }
                    return self.computed_pred(&p, "join", vec![p.field.clone()]);
                }
                if self.aggregates.contains_key(&p.field)
                    && self.threshold(&Expr::Pred(p.clone())).is_none()
                {
                    return self.computed_pred(&p, "stats", vec![p.field.clone()]);
                }
                Expr::Pred(p)
            }
            other => other,
        }
    }

    fn computed_pred(&self, p: &Predicate, function: &str, fields: Vec<String>) -> Expr {
        let text = p
            .span
            .map(|s| self.slice(s).to_owned())
            .unwrap_or_else(|| p.field.clone());
        Expr::Computed(Computed {
            function: function.to_owned(),
            fields,
            text,
            span: p.span,
        })
    }
}

/// A positional word of an unknown command that names a field (not a number, keyword or path).
fn looks_like_field(word: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "by",
        "as",
        "over",
        "output",
        "outputnew",
        "where",
        "with",
        "in",
        "and",
        "or",
        "not",
    ];
    let first_ok = word
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
        && !KEYWORDS.contains(&word.to_ascii_lowercase().as_str())
}

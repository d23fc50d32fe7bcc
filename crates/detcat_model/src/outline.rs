//! The expression tree as an outline: open / leaf / close items that a rule page turns into
//! nested lists and the CLI into indented lines. One walk for both, with one rule for what
//! an exclusion is — the rule of [`Expr::exclusions`], which also looks into sequence steps and
//! aggregation inputs — so a page cannot contradict the statistics.
//!
//! ```
//! use detcat_model::{Expr, Operator, OutlineItem, Predicate, Value};
//!
//! let pred = |f: &str| Expr::Pred(Predicate::new(f, Operator::Eq, vec![Value::from("x")]));
//! let expr = Expr::and(vec![pred("Image"), Expr::not(pred("User"))]);
//! let items = expr.outline();
//! assert!(matches!(items[0], OutlineItem::Open { label: "ALL OF", .. }));
//! assert!(matches!(items[2], OutlineItem::Open { label: "NOT", exclusion: true, .. }));
//! ```

use std::collections::HashSet;

use crate::{AggKind, Aggregation, Expr, Keyword, Predicate, RangeOp, SeqKind, Sequence};

/// Deeper trees are cut with a note (the model has no depth bound of its own).
pub const MAX_OUTLINE_DEPTH: usize = 48;

/// One item of an outline. Every `Open` is matched by one `Close`.
#[derive(Debug, Clone, PartialEq)]
pub enum OutlineItem<'a> {
    /// Opens a group: `ALL OF`, `ANY OF`, `NOT`, `SEQUENCE`, `SAMPLE`, `STEP`,
    /// `MISSING STEP`, `UNTIL`, `AGGREGATION`; a detail line (`by host.id · maxspan 1m`);
    /// and whether the group is an exclusion of the rule (a `NOT` among its top conjuncts).
    Open {
        label: &'static str,
        detail: String,
        exclusion: bool,
    },
    Close,
    /// `field op values`, with notes (`all of the values`, `case-sensitive`, regex flags,
    /// modifiers).
    Pred {
        predicate: &'a Predicate,
        notes: Vec<String>,
    },
    /// A field-less keyword search, with notes.
    Keyword {
        keyword: &'a Keyword,
        notes: Vec<String>,
    },
    /// Text shown as code with a label: `COMPUTED` conditions, `OPAQUE` parts, and `…` where
    /// the tree is cut.
    Code {
        label: &'static str,
        note: String,
        text: String,
    },
    Const {
        value: bool,
    },
}

impl Expr {
    /// The tree as an outline (see the module documentation).
    pub fn outline(&self) -> Vec<OutlineItem<'_>> {
        let exclusions: HashSet<*const Expr> = self
            .top_conjuncts()
            .into_iter()
            .filter(|e| matches!(e, Expr::Not { .. }))
            .map(|e| e as *const Expr)
            .collect();
        let mut walk = Walk {
            exclusions,
            out: Vec::new(),
        };
        walk.expr(self, 0);
        walk.out
    }
}

struct Walk<'a> {
    /// The `not` nodes among the top conjuncts: the rule's exclusions.
    exclusions: HashSet<*const Expr>,
    out: Vec<OutlineItem<'a>>,
}

fn open(label: &'static str, detail: String, exclusion: bool) -> OutlineItem<'static> {
    OutlineItem::Open {
        label,
        detail,
        exclusion,
    }
}

impl<'a> Walk<'a> {
    fn expr(&mut self, e: &'a Expr, depth: usize) {
        if depth > MAX_OUTLINE_DEPTH {
            self.out.push(OutlineItem::Code {
                label: "…",
                note: format!("nested deeper than {MAX_OUTLINE_DEPTH} levels; see the source"),
                text: String::new(),
            });
            return;
        }
        match e {
            Expr::And { items } | Expr::Or { items } => {
                let label = if matches!(e, Expr::And { .. }) {
                    "ALL OF"
                } else {
                    "ANY OF"
                };
                self.out.push(open(label, String::new(), false));
                for item in items {
                    self.expr(item, depth + 1);
                }
                self.out.push(OutlineItem::Close);
            }
            Expr::Not { item } => {
                let exclusion = self.exclusions.contains(&(e as *const Expr));
                let detail = if exclusion {
                    "exclusion: the rule does not fire when this matches".to_owned()
                } else {
                    String::new()
                };
                self.out.push(open("NOT", detail, exclusion));
                self.expr(item, depth + 1);
                self.out.push(OutlineItem::Close);
            }
            Expr::Pred(p) => self.out.push(OutlineItem::Pred {
                predicate: p,
                notes: predicate_notes(p),
            }),
            Expr::Keyword(k) => self.out.push(OutlineItem::Keyword {
                keyword: k,
                notes: notes(k.match_all, k.case_sensitive, &[], &k.modifiers),
            }),
            Expr::Computed(c) => self.out.push(OutlineItem::Code {
                label: "COMPUTED",
                note: format!("{} over {}", c.function, c.fields.join(", ")),
                text: c.text.clone(),
            }),
            Expr::Opaque(o) => self.out.push(OutlineItem::Code {
                label: "OPAQUE",
                note: o.reason.clone(),
                text: o.text.clone(),
            }),
            Expr::Const { value } => self.out.push(OutlineItem::Const { value: *value }),
            Expr::Sequence(seq) => self.sequence(seq, depth),
            Expr::Aggregation(agg) => self.aggregation(agg, depth),
        }
    }

    fn sequence(&mut self, seq: &'a Sequence, depth: usize) {
        let label = match seq.kind {
            SeqKind::Sample => "SAMPLE",
            SeqKind::Sequence => "SEQUENCE",
        };
        let mut detail = Vec::new();
        if !seq.by.is_empty() {
            detail.push(format!("by {}", seq.by.join(", ")));
        }
        if let Some(span) = &seq.maxspan {
            detail.push(format!("maxspan {span}"));
        }
        self.out.push(open(label, detail.join(" · "), false));
        for (i, step) in seq.steps.iter().enumerate() {
            let mut d = vec![format!("step {}", i + 1)];
            if let Some(c) = &step.category {
                d.push(format!("{c} events"));
            }
            if !step.by.is_empty() {
                d.push(format!("by {}", step.by.join(", ")));
            }
            if let Some(r) = step.runs {
                d.push(format!("runs={r}"));
            }
            let label = if step.missing { "MISSING STEP" } else { "STEP" };
            self.out.push(open(label, d.join(" · "), false));
            self.expr(&step.expr, depth + 2);
            self.out.push(OutlineItem::Close);
        }
        if let Some(until) = &seq.until {
            self.out.push(open("UNTIL", String::new(), false));
            self.expr(until, depth + 2);
            self.out.push(OutlineItem::Close);
        }
        self.out.push(OutlineItem::Close);
    }

    fn aggregation(&mut self, agg: &'a Aggregation, depth: usize) {
        let mut detail = Vec::new();
        detail.push(agg_kind_words(&agg.kind).to_owned());
        if let Some(f) = &agg.function {
            detail.push(f.clone());
        }
        if !agg.fields.is_empty() {
            detail.push(format!("of {}", agg.fields.join(", ")));
        }
        if !agg.group_by.is_empty() {
            detail.push(format!("by {}", agg.group_by.join(", ")));
        }
        if let Some(c) = &agg.condition {
            detail.push(format!("{} {:?}", range_op_name(c.op), c.value));
        }
        if let Some(t) = &agg.timespan {
            detail.push(format!("within {t}"));
        }
        if !agg.rule_refs.is_empty() {
            detail.push(format!("rules {}", agg.rule_refs.join(", ")));
        }
        self.out
            .push(open("AGGREGATION", detail.join(" · "), false));
        if let Some(input) = &agg.input {
            self.expr(input, depth + 1);
        }
        self.out.push(OutlineItem::Close);
    }
}

/// The aggregation kind in words: `event count`, `value count`, `new terms`.
fn agg_kind_words(kind: &AggKind) -> &'static str {
    match kind {
        AggKind::EventCount => "event count",
        AggKind::ValueCount => "value count",
        AggKind::Temporal => "temporal",
        AggKind::TemporalOrdered => "temporal ordered",
        AggKind::NewTerms => "new terms",
        AggKind::Stat => "stat",
    }
}

/// The comparison as the model's JSON names it (`gt`, `lte`).
fn range_op_name(op: RangeOp) -> &'static str {
    match op {
        RangeOp::Eq => "eq",
        RangeOp::Ne => "ne",
        RangeOp::Gt => "gt",
        RangeOp::Gte => "gte",
        RangeOp::Lt => "lt",
        RangeOp::Lte => "lte",
    }
}

fn predicate_notes(p: &Predicate) -> Vec<String> {
    let flags = &p.regex_flags;
    let set: Vec<&str> = [
        (flags.ignore_case, "ignore_case"),
        (flags.multiline, "multiline"),
        (flags.dot_all, "dot_all"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| name)
    .collect();
    notes(p.match_all, p.case_sensitive, &set, &p.modifiers)
}

/// Notes shown after a predicate or keyword: `all`, `cased`, regex flags, modifiers.
fn notes(
    match_all: bool,
    case_sensitive: bool,
    regex: &[&str],
    modifiers: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    if match_all {
        out.push("all of the values".to_owned());
    }
    if case_sensitive {
        out.push("case-sensitive".to_owned());
    }
    if !regex.is_empty() {
        out.push(format!("regex: {}", regex.join(", ")));
    }
    if !modifiers.is_empty() {
        out.push(format!("modifiers: {}", modifiers.join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Comparison, Opaque, Operator, SeqStep};

    fn pred(field: &str) -> Expr {
        let mut p = Predicate::new(field, Operator::Wildcard, vec!["*x".into()]);
        p.modifiers = vec!["contains".into()];
        Expr::Pred(p)
    }

    fn exclusion_flags(items: &[OutlineItem<'_>]) -> Vec<bool> {
        items
            .iter()
            .filter_map(|i| match i {
                OutlineItem::Open {
                    label: "NOT",
                    exclusion,
                    ..
                } => Some(*exclusion),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn top_level_not_is_an_exclusion_and_a_nested_one_is_not() {
        let e = Expr::and(vec![
            pred("Image"),
            Expr::not(pred("User")),
            Expr::or(vec![Expr::not(pred("a")), pred("b")]),
        ]);
        let items = e.outline();
        assert!(
            matches!(&items[1], OutlineItem::Pred { notes, .. } if notes == &["modifiers: contains"])
        );
        assert_eq!(exclusion_flags(&items), [true, false]);
        assert_eq!(e.exclusions().count(), 1);
    }

    /// The old tree walk marked exclusions only under a root `and`, while the statistics also
    /// counted those of sequence steps and aggregation inputs: the page contradicted them.
    #[test]
    fn regression_exclusions_inside_sequences_and_aggregations_match_the_statistics() {
        let step = |e: Expr| SeqStep {
            category: Some("process".into()),
            expr: e,
            by: Vec::new(),
            runs: None,
            missing: false,
        };
        let seq = Expr::Sequence(Sequence {
            kind: SeqKind::Sequence,
            by: vec!["host.id".into()],
            maxspan: Some("1m".into()),
            steps: vec![step(Expr::and(vec![pred("a"), Expr::not(pred("b"))]))],
            until: None,
        });
        let agg = Expr::Aggregation(Aggregation {
            kind: AggKind::EventCount,
            function: Some("count".into()),
            input: Some(Box::new(Expr::and(vec![pred("c"), Expr::not(pred("d"))]))),
            rule_refs: Vec::new(),
            fields: Vec::new(),
            group_by: vec!["user".into()],
            timespan: None,
            condition: Some(Comparison {
                op: RangeOp::Gt,
                value: 5.0,
            }),
            text: None,
        });
        for e in [seq, agg] {
            let items = e.outline();
            assert_eq!(exclusion_flags(&items), [true], "{items:?}");
            assert_eq!(e.exclusions().count(), 1);
        }
    }

    #[test]
    fn groups_say_what_they_are() {
        let seq = Expr::Sequence(Sequence {
            kind: SeqKind::Sequence,
            by: vec!["host.id".into()],
            maxspan: Some("1m".into()),
            steps: vec![SeqStep {
                category: None,
                expr: Expr::Opaque(Opaque {
                    text: "x".into(),
                    reason: "ml".into(),
                    fields: Vec::new(),
                    span: None,
                }),
                by: Vec::new(),
                runs: None,
                missing: true,
            }],
            until: None,
        });
        let items = seq.outline();
        assert!(
            matches!(&items[0], OutlineItem::Open { label: "SEQUENCE", detail, .. } if detail == "by host.id · maxspan 1m")
        );
        assert!(
            matches!(&items[1], OutlineItem::Open { label: "MISSING STEP", detail, .. } if detail == "step 1")
        );
        assert!(
            matches!(&items[2], OutlineItem::Code { label: "OPAQUE", note, .. } if note == "ml")
        );
        let agg = Expr::Aggregation(Aggregation {
            kind: AggKind::EventCount,
            function: Some("count".into()),
            input: None,
            rule_refs: Vec::new(),
            fields: Vec::new(),
            group_by: vec!["user".into()],
            timespan: None,
            condition: Some(Comparison {
                op: RangeOp::Gt,
                value: 5.0,
            }),
            text: None,
        });
        assert!(
            matches!(&agg.outline()[0], OutlineItem::Open { label: "AGGREGATION", detail, .. } if detail == "event count · count · by user · gt 5.0")
        );
    }

    #[test]
    fn every_open_is_closed_and_depth_is_bounded() {
        let mut e = pred("a");
        for _ in 0..200 {
            e = Expr::Or {
                items: vec![e, Expr::Const { value: true }],
            };
        }
        let items = e.outline();
        let opens = items
            .iter()
            .filter(|i| matches!(i, OutlineItem::Open { .. }))
            .count();
        let closes = items.iter().filter(|i| **i == OutlineItem::Close).count();
        assert_eq!(opens, closes);
        assert!(opens <= MAX_OUTLINE_DEPTH + 1);
        assert!(
            items
                .iter()
                .any(|i| matches!(i, OutlineItem::Code { label: "…", .. }))
        );
    }
}

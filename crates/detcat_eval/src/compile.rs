//! Compiling a normalized rule once: field names resolved to raw and canonical lookups, values
//! pre-lowered into matchers, stateful and unknowable parts marked with the reason.

use detcat_model::{Expr, Keyword, Operator, Predicate, Value, Vendor, wildcard};
use detcat_taxonomy::Taxonomy;

use crate::event::{Event, FieldValues};
use crate::matcher::{Cidr, Pat, PatSet, regex};
use crate::rule::EvalRule;

/// How a field is found in an event: by the name the rule wrote (case-insensitively), else
/// by the canonical field that name means.
#[derive(Debug, Clone)]
pub(crate) struct FieldKey {
    raw: String,
    canonical: Option<String>,
}

impl FieldKey {
    pub(crate) fn new(vendor: Vendor, name: &str) -> FieldKey {
        FieldKey {
            raw: crate::event::field_key(name),
            canonical: Taxonomy::get()
                .canonical_field(vendor, name)
                .map(|f| f.id.clone()),
        }
    }

    /// Does the field choose the event stream (`event.category`, `log.source`)?
    pub(crate) fn is_selector(&self) -> bool {
        self.canonical
            .as_deref()
            .and_then(|c| Taxonomy::get().field(c))
            .is_some_and(|f| f.selector)
    }

    pub(crate) fn get<'e>(&self, event: &'e Event) -> Option<&'e FieldValues> {
        event
            .raw(&self.raw)
            .or_else(|| self.canonical.as_deref().and_then(|c| event.canonical(c)))
    }
}

/// What a field-reference predicate compares (Sigma `fieldref` with `contains` & co).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefHow {
    Equal,
    Contains,
    StartsWith,
    EndsWith,
}

/// The test a predicate applies to its field's values.
#[derive(Debug, Clone)]
pub(crate) enum Test {
    Pats(PatSet),
    Num {
        op: Operator,
        values: Vec<f64>,
    },
    Cidr(Vec<Cidr>),
    Exists,
    FieldRef {
        other: FieldKey,
        how: RefHow,
        fold: bool,
    },
}

/// A compiled predicate; `label` is how a "why" line shows it.
#[derive(Debug, Clone)]
pub(crate) struct CPred {
    pub(crate) field: FieldKey,
    pub(crate) test: Test,
    pub(crate) label: String,
}

/// A compiled field-less search over every value of the event.
#[derive(Debug, Clone)]
pub(crate) struct CKeyword {
    pub(crate) pats: PatSet,
    pub(crate) label: String,
}

/// The compiled expression; leaves index into the rule's tables.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Pred(usize),
    Keyword(usize),
    Const(bool),
    /// Cannot be decided on one event; the index of the reason.
    Unknown(#[allow(dead_code)] usize),
}

/// Tables a compiled tree points into.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tables {
    pub(crate) preds: Vec<CPred>,
    pub(crate) keywords: Vec<CKeyword>,
    pub(crate) unknowns: Vec<String>,
}

pub(crate) struct Compiler<'a> {
    pub(crate) rule: &'a EvalRule,
    pub(crate) tables: Tables,
}

impl Compiler<'_> {
    pub(crate) fn unknown(&mut self, reason: String) -> Node {
        let at = self
            .tables
            .unknowns
            .iter()
            .position(|r| *r == reason)
            .unwrap_or_else(|| {
                self.tables.unknowns.push(reason);
                self.tables.unknowns.len() - 1
            });
        Node::Unknown(at)
    }

    pub(crate) fn expr(&mut self, expr: &Expr) -> Node {
        match expr {
            Expr::And { items } => Node::And(items.iter().map(|i| self.expr(i)).collect()),
            Expr::Or { items } => Node::Or(items.iter().map(|i| self.expr(i)).collect()),
            Expr::Not { item } => Node::Not(Box::new(self.expr(item))),
            Expr::Const { value } => Node::Const(*value),
            Expr::Pred(p) => match self.pred(p) {
                Ok(c) => {
                    self.tables.preds.push(c);
                    Node::Pred(self.tables.preds.len() - 1)
                }
                Err(reason) => self.unknown(reason),
            },
            Expr::Keyword(k) => match self.keyword(k) {
                Ok(c) => {
                    self.tables.keywords.push(c);
                    Node::Keyword(self.tables.keywords.len() - 1)
                }
                Err(reason) => self.unknown(reason),
            },
            Expr::Computed(c) => self.unknown(format!(
                "computed condition `{}` is not evaluated",
                c.function
            )),
            Expr::Opaque(o) => self.unknown(format!("opaque part: {}", o.reason)),
            Expr::Sequence(_) => self.unknown("sequence: needs the ordered event stream".into()),
            Expr::Aggregation(a) => self.unknown(format!(
                "aggregation ({}): needs the event stream",
                a.function.as_deref().unwrap_or("count")
            )),
        }
    }

    fn pred(&mut self, p: &Predicate) -> Result<CPred, String> {
        if let Some(v) = placeholder(&p.modifiers, &p.values) {
            return Err(format!("unresolved placeholder {v}"));
        }
        let vendor = self.rule.vendor;
        let fold = !p.case_sensitive;
        let test = match p.op {
            Operator::Eq | Operator::Wildcard | Operator::Match | Operator::RegexMatch => {
                Test::Pats(pat_set(vendor, p.op, &p.values, p, fold)?)
            }
            Operator::Cidr => Test::Cidr(
                p.values
                    .iter()
                    .map(|v| {
                        Cidr::parse(&v.to_text())
                            .ok_or_else(|| format!("invalid CIDR block `{}`", v.to_text()))
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Operator::Exists => Test::Exists,
            Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte => Test::Num {
                op: p.op,
                values: p
                    .values
                    .iter()
                    .map(|v| number(v).ok_or_else(|| format!("`{}` is no number", v.to_text())))
                    .collect::<Result<_, _>>()?,
            },
            Operator::FieldRef => {
                let name = p
                    .values
                    .first()
                    .and_then(Value::as_str)
                    .ok_or("field reference without a field name")?;
                Test::FieldRef {
                    other: FieldKey::new(vendor, name),
                    how: ref_how(&p.modifiers),
                    fold,
                }
            }
        };
        Ok(CPred {
            field: FieldKey::new(vendor, &p.field),
            test,
            label: label(&p.field, p.op, &p.values),
        })
    }

    fn keyword(&mut self, k: &Keyword) -> Result<CKeyword, String> {
        if let Some(v) = placeholder(&k.modifiers, &k.values) {
            return Err(format!("unresolved placeholder {v}"));
        }
        let fold = !k.case_sensitive;
        let mut pats = Vec::new();
        let mut null = false;
        for v in &k.values {
            match v {
                Value::Null => null = true,
                Value::Str(s) => pats.push(match k.op {
                    Operator::Wildcard => Pat::glob(s, fold)?,
                    Operator::RegexMatch => {
                        Pat::Regex(regex(s, !k.case_sensitive, false, false, false)?)
                    }
                    // A bare term is searched anywhere in the event's values, as full-text
                    // search and Sigma keyword backends do.
                    Operator::Match if wildcard::has_wildcards(s) => Pat::glob(s, fold)?,
                    _ => Pat::contains(s, fold),
                }),
                other => pats.push(Pat::contains(&other.to_text(), fold)),
            }
        }
        Ok(CKeyword {
            pats: PatSet::new(pats, k.match_all, fold, null),
            label: label("keyword", k.op, &k.values),
        })
    }
}

/// Sigma `expand`: `%name%` placeholders must be resolved by a pipeline we do not have.
fn placeholder(modifiers: &[String], values: &[Value]) -> Option<String> {
    if !modifiers.iter().any(|m| m == "expand") {
        return None;
    }
    values
        .iter()
        .filter_map(Value::as_str)
        .find(|s| s.matches('%').count() >= 2)
        .map(str::to_owned)
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Str(s) => s.trim().parse().ok(),
        Value::Bool(_) | Value::Null => None,
    }
}

fn ref_how(modifiers: &[String]) -> RefHow {
    let has = |m: &str| modifiers.iter().any(|x| x == m);
    if has("contains") {
        RefHow::Contains
    } else if has("startswith") {
        RefHow::StartsWith
    } else if has("endswith") {
        RefHow::EndsWith
    } else {
        RefHow::Equal
    }
}

fn pat_set(
    vendor: Vendor,
    op: Operator,
    values: &[Value],
    p: &Predicate,
    fold: bool,
) -> Result<PatSet, String> {
    let mut pats = Vec::with_capacity(values.len());
    let mut null = false;
    // Regular expressions carry their own case flag; Lucene / EQL regexes match the whole value.
    let fold = fold && op != Operator::RegexMatch;
    for v in values {
        let s = match v {
            Value::Null => {
                null = true;
                continue;
            }
            Value::Str(s) => s.as_str(),
            other => {
                pats.push(Pat::literal(&other.to_text(), fold));
                continue;
            }
        };
        pats.push(match op {
            Operator::Wildcard => Pat::glob(s, fold)?,
            Operator::Match if wildcard::has_wildcards(s) => Pat::glob(s, fold)?,
            Operator::Match => Pat::contains(s, fold),
            Operator::RegexMatch => {
                let f = p.regex_flags;
                Pat::Regex(regex(
                    s,
                    f.ignore_case,
                    f.multiline,
                    f.dot_all,
                    vendor == Vendor::Elastic,
                )?)
            }
            _ => Pat::literal(s, fold),
        });
    }
    Ok(PatSet::new(pats, p.match_all, fold, null))
}

/// `Image wildcard *\cmd.exe | *\powershell.exe`, cut to a readable length.
fn label(field: &str, op: Operator, values: &[Value]) -> String {
    let mut vals: Vec<String> = values.iter().take(4).map(Value::to_text).collect();
    if values.len() > 4 {
        vals.push(format!("… ({} values)", values.len()));
    }
    let mut out = format!("{field} {op} {}", vals.join(" | "));
    if out.len() > 240 {
        let cut = (0..=240)
            .rev()
            .find(|i| out.is_char_boundary(*i))
            .unwrap_or(0);
        out.truncate(cut);
        out.push('…');
    }
    out
}

//! Canonical values: one spelling per `(field, operator, value)` so the same indicator written
//! differently by different vendors counts once. The rules are listed in the crate docs.

use detcat_model::wildcard::{self, Piece};
use detcat_model::{Operator, Predicate, Value, Vendor};
use serde::Serialize;

use crate::fields::FieldTable;

/// One `(field, operator, value)` of a predicate in canonical form, beside the original value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CanonicalIndicator {
    /// Canonical field id when `mapped`, else the vendor's raw field name.
    pub field: String,
    pub mapped: bool,
    pub op: Operator,
    /// The canonical value (wildcards in [`detcat_model::wildcard`] syntax).
    pub value: String,
    /// The value as the predicate holds it.
    pub original: String,
}

/// Renders wildcard pieces back into canonical pattern text (only needed escapes, `**` → `*`).
fn render(pieces: &[Piece], fold: bool) -> String {
    let mut out = String::new();
    let mut last_any_run = false;
    for piece in pieces {
        match piece {
            Piece::AnyRun if last_any_run => continue,
            Piece::AnyRun => out.push('*'),
            Piece::AnyChar => out.push('?'),
            Piece::Literal(s) if fold => out.push_str(&wildcard::escape(&s.to_lowercase())),
            Piece::Literal(s) => out.push_str(&wildcard::escape(s)),
        }
        last_any_run = matches!(piece, Piece::AnyRun);
    }
    out
}

fn fold_if(s: &str, fold: bool) -> String {
    if fold { s.to_lowercase() } else { s.to_owned() }
}

/// `*\name` / `*/name` (one path component, no further separator): the basename it pins down.
fn basename_of(pieces: &[Piece]) -> Option<&str> {
    match pieces {
        [Piece::AnyRun, Piece::Literal(lit)] => {
            let name = lit.strip_prefix(['\\', '/'])?;
            (!name.is_empty() && !name.contains(['\\', '/'])).then_some(name)
        }
        _ => None,
    }
}

pub(crate) fn canonicalize(
    fields: &FieldTable,
    vendor: Vendor,
    pred: &Predicate,
) -> Vec<CanonicalIndicator> {
    let hit = fields.lookup(vendor, &pred.field);
    let canonical = hit.and_then(|h| fields.field(h));
    let folds_case = hit.is_some_and(|h| h.folds_case);
    let (field, mapped) = match canonical {
        Some(f) => (f.id.clone(), true),
        None => (pred.field.clone(), false),
    };
    // A regex is never folded: lowercasing would turn `\S` into `\s`.
    let fold = (!pred.case_sensitive || folds_case)
        && !matches!(pred.op, Operator::RegexMatch | Operator::FieldRef);
    let one = |field: String, op: Operator, value: String, original: String| CanonicalIndicator {
        field,
        mapped,
        op,
        value,
        original,
    };
    if pred.op == Operator::Exists || pred.values.is_empty() {
        return vec![one(field, pred.op, String::new(), String::new())];
    }
    pred.values
        .iter()
        .map(|value| {
            let original = value.to_text();
            match (pred.op, value) {
                (Operator::Wildcard, Value::Str(pattern)) => {
                    let pieces = wildcard::pieces(pattern);
                    if !pieces.iter().any(|p| !matches!(p, Piece::Literal(_))) {
                        let literal = wildcard::as_literal(pattern).unwrap_or_default();
                        return one(
                            field.clone(),
                            Operator::Eq,
                            fold_if(&literal, fold),
                            original,
                        );
                    }
                    let base = canonical
                        .and_then(|f| f.basename.as_deref())
                        .zip(basename_of(&pieces));
                    if let Some((base_field, name)) = base {
                        return one(
                            base_field.to_owned(),
                            Operator::Eq,
                            fold_if(name, fold),
                            original,
                        );
                    }
                    one(
                        field.clone(),
                        Operator::Wildcard,
                        render(&pieces, fold),
                        original,
                    )
                }
                (Operator::FieldRef, Value::Str(other)) => {
                    let target = fields
                        .lookup(vendor, other)
                        .and_then(|h| fields.field(h))
                        .map_or_else(|| other.clone(), |f| f.id.clone());
                    one(field.clone(), Operator::FieldRef, target, original)
                }
                (Operator::Cidr, _) => {
                    one(field.clone(), pred.op, original.to_lowercase(), original)
                }
                (op, _) => one(field.clone(), op, fold_if(&original, fold), original),
            }
        })
        .collect()
}

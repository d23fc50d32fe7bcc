//! Canonical values: one spelling per `(field, operator, value)` so the same indicator written
//! differently by different vendors counts once. The rules are listed in the crate docs.
//!
//! Values are kept in *display form*, the text a rule author would type: wildcards `*` and `?`
//! bare, backslashes single, a literal `*`/`?` marked `[*]`/`[?]`
//! ([`detcat_model::wildcard::display`]). The model keeps the exact pattern; display form is
//! what the catalog stores and compares, so users never copy doubled backslashes.

use detcat_model::wildcard::{self, Piece};
use detcat_model::{Operator, Predicate, Value, Vendor};
use serde::Serialize;

use crate::context::LogContext;
use crate::fields::{CanonicalField, FieldTable};

/// One `(field, operator, value)` of a predicate in canonical form, beside the original value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CanonicalIndicator {
    /// Canonical field id when `mapped`, else the vendor's raw field name.
    pub field: String,
    pub mapped: bool,
    pub op: Operator,
    /// The canonical value in display form (see the module docs).
    pub value: String,
    /// The value as the predicate holds it, in display form.
    pub original: String,
}

/// Folds literal pieces and collapses runs of `*` (`**` → `*`), in place: every wildcard value
/// of the corpus goes through here, and ASCII text (nearly all of it) lowercases without a
/// copy.
fn normalize(mut pieces: Vec<Piece>, fold: bool) -> Vec<Piece> {
    pieces.dedup_by(|next, kept| matches!((next, kept), (Piece::AnyRun, Piece::AnyRun)));
    if fold {
        for piece in &mut pieces {
            if let Piece::Literal(s) = piece {
                fold_in_place(s);
            }
        }
    }
    pieces
}

/// `s.to_lowercase()`, without a new string when `s` is ASCII.
fn fold_in_place(s: &mut String) {
    if s.is_ascii() {
        s.make_ascii_lowercase();
    } else {
        *s = s.to_lowercase();
    }
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

/// The rest of a literal after a drive prefix: `C:\x` and the device forms `\\?\C:\x`,
/// `\??\C:\x` give `\x`.
fn strip_drive_literal(lit: &str) -> Option<&str> {
    let lit = lit
        .strip_prefix(r"\\?\")
        .or_else(|| lit.strip_prefix(r"\??\"))
        .unwrap_or(lit);
    let mut chars = lit.chars();
    let letter = chars.next()?;
    let rest = chars.as_str().strip_prefix(':')?;
    (letter.is_ascii_alphabetic() && rest.starts_with('\\')).then_some(rest)
}

/// A full Windows path with any drive spelling (`C:\`, `?:\`, `*:\`, `\\?\C:\`) as one
/// canonical pattern starting `?:\`, so the same path counts once whatever drive it names.
fn canonical_drive(pieces: &[Piece]) -> Option<Vec<Piece>> {
    let (rest, tail) = match pieces {
        [Piece::Literal(lit), tail @ ..] => (strip_drive_literal(lit)?, tail),
        [
            Piece::AnyChar | Piece::AnyRun,
            Piece::Literal(lit),
            tail @ ..,
        ] => (lit.strip_prefix(':').filter(|r| r.starts_with('\\'))?, tail),
        _ => return None,
    };
    let mut out = vec![Piece::AnyChar, Piece::Literal(format!(":{rest}"))];
    out.extend(tail.iter().cloned());
    Some(out)
}

/// Canonical form of a pattern's pieces on `field`: basename collapse, drive prefixes, or the
/// pattern itself. Returns the field id override, operator and display value.
fn canonical_pattern(
    canonical: Option<&CanonicalField>,
    pieces: Vec<Piece>,
    fold: bool,
) -> (Option<String>, Operator, String) {
    let pieces = normalize(pieces, fold);
    let is_path = canonical.is_some_and(|f| f.basename.is_some());
    if let Some(name) = basename_of(&pieces)
        && let Some(base) = canonical.and_then(|f| f.basename.as_deref())
    {
        return (Some(base.to_owned()), Operator::Eq, name.to_owned());
    }
    if is_path && let Some(drive) = canonical_drive(&pieces) {
        return (None, Operator::Wildcard, wildcard::render_display(&drive));
    }
    if pieces.iter().all(|p| matches!(p, Piece::Literal(_))) {
        let literal: String = pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Literal(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        return (None, Operator::Eq, literal);
    }
    (None, Operator::Wildcard, wildcard::render_display(&pieces))
}

pub(crate) fn canonicalize(
    fields: &FieldTable,
    vendor: Vendor,
    ctx: &LogContext,
    pred: &Predicate,
) -> Vec<CanonicalIndicator> {
    canonicalize_displayed(fields, vendor, ctx, pred, &[])
}

/// [`canonicalize`], the originals copied from `displayed` (the values of `pred` in display
/// form, in order) where it has them: a build has already displayed every value for its
/// predicate rows, and displaying it again was a second scan and split of every pattern.
pub(crate) fn canonicalize_displayed(
    fields: &FieldTable,
    vendor: Vendor,
    ctx: &LogContext,
    pred: &Predicate,
    displayed: &[String],
) -> Vec<CanonicalIndicator> {
    let hit = fields.lookup_in(vendor, &pred.field, ctx);
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
        .enumerate()
        .map(|(i, value)| match (pred.op, value) {
            (Operator::Wildcard, Value::Str(pattern)) => {
                let original = displayed
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| wildcard::display(pattern));
                let (over, op, v) = canonical_pattern(canonical, wildcard::pieces(pattern), fold);
                one(over.unwrap_or_else(|| field.clone()), op, v, original)
            }
            (Operator::Eq, Value::Str(literal))
                if canonical.is_some_and(|f| f.basename.is_some()) =>
            {
                let pieces = vec![Piece::Literal(literal.clone())];
                let (over, op, v) = canonical_pattern(canonical, pieces, fold);
                one(
                    over.unwrap_or_else(|| field.clone()),
                    op,
                    v,
                    literal.clone(),
                )
            }
            (Operator::FieldRef, Value::Str(other)) => {
                let target = fields
                    .lookup_in(vendor, other, ctx)
                    .and_then(|h| fields.field(h))
                    .map_or_else(|| other.clone(), |f| f.id.clone());
                one(field.clone(), Operator::FieldRef, target, other.clone())
            }
            (Operator::Cidr, _) => {
                let original = value.to_text();
                one(field.clone(), pred.op, original.to_lowercase(), original)
            }
            (op, _) => {
                let original = value.to_text();
                one(field.clone(), op, fold_if(&original, fold), original)
            }
        })
        .collect()
}

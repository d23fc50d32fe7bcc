//! A filter on a `lookup`'s output into an "in lookup" predicate on the lookup's input field.
//!
//! `| lookup t col AS f OUTPUT out | search out=x` keeps the events whose `f` matches a row of
//! `t` whose `out` is `x`: with the CSV at hand that is `f` compared with the `col` values of
//! those rows. The predicate carries a `lookup:<name>` modifier so that it is told apart from a
//! hand-written list, and the CSV's match type (`WILDCARD(col)`, `CIDR(col)`) and case
//! sensitivity. A condition that passes when the lookup found nothing (`isnull(out)`, or a
//! value `fillnull` put in) is the negation: `f` matches none of the rows that fail it.

use detcat_model::{Expr, Operator, Predicate, Span, Value, wildcard};

use super::Lowerer;
use super::search::number_or_string;
use crate::diagnostics as diag;
use crate::lookups::{LookupTable, MatchKind};
use crate::spl::LookupField;

/// More values than this are not inlined into one predicate: the first ones are kept and a
/// diagnostic says how many there were (the `lookup:<name>` modifier names the full table).
pub const MAX_LOOKUP_VALUES: usize = 1000;

/// What a field written by a `lookup` holds.
#[derive(Debug, Clone)]
pub(crate) struct LookupUse {
    pub table: String,
    pub inputs: Vec<LookupField>,
    /// The table column the field holds.
    pub column: String,
    /// The value `fillnull` gives the field when the lookup found no row.
    pub null_as: Option<String>,
    /// The `lookup` command.
    pub span: Span,
}

impl Lowerer<'_> {
    /// The "in lookup" expression equivalent to `p` on a lookup's output, or why there is none.
    ///
    /// `ne` is SPL's `out != v` (lowered as `not out = v` with a `!=` modifier): it needs `out`
    /// to exist, so an event the lookup found nothing for fails it.
    pub(crate) fn resolve_lookup(
        &mut self,
        p: &Predicate,
        u: &LookupUse,
        ne: bool,
    ) -> Result<Expr, String> {
        let lookups = self.lookups;
        let table = lookups
            .get(&u.table)
            .ok_or_else(|| "no definition of it in lookups/".to_owned())?;
        if !table.loaded {
            return Err(
                "it has no CSV in lookups/ (a KV-store collection or a baseline \
                        another search fills)"
                    .to_owned(),
            );
        }
        // A row of a multi-column match is a conjunction per row: hundreds of them would
        // swamp the field statistics, so such lookups stay opaque (with this reason).
        let [input] = u.inputs.as_slice() else {
            return Err(format!(
                "it matches on {} input fields; only single-field matches are inlined",
                u.inputs.len()
            ));
        };
        let in_col = column(table, &input.column)?;
        let out_col = column(table, &u.column)?;
        // `fillnull` after the lookup wins over the table's `default_match`.
        let null_as = u.null_as.as_deref().or(table.default_match.as_deref());
        let test = |value: Option<&str>| -> Option<bool> {
            match (ne, value) {
                (true, None) => Some(false),
                (true, Some(v)) => row_passes(p, Some(v)).map(|b| !b),
                (false, v) => row_passes(p, v),
            }
        };
        let unmatched = test(null_as)
            .ok_or_else(|| format!("the `{}` test on its output cannot be evaluated", p.op))?;
        let (mut pass, mut fail): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
        for row in table.rows()? {
            let out = row.get(out_col).filter(|v| !v.is_empty());
            let out = out.map(String::as_str).or(null_as);
            let Some(key) = row
                .get(in_col)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
            else {
                continue;
            };
            let target = if test(out).unwrap_or(false) {
                &mut pass
            } else {
                &mut fail
            };
            if !target.contains(&key) {
                target.push(key);
            }
        }
        // Unmatched events pass: they are those matching none of the failing rows.
        let (keys, negate) = if unmatched {
            (fail, true)
        } else {
            (pass, false)
        };
        if keys.is_empty() {
            if !negate {
                self.diags.push(diag::lookup_empty(u.span, &table.name));
            }
            return Ok(Expr::Const { value: negate });
        }
        let span = p.span.unwrap_or(u.span);
        let keys = keys.into_iter().map(str::to_owned).collect();
        let e = Expr::Pred(self.in_lookup(table, input, keys, span));
        Ok(if negate { Expr::not(e) } else { e })
    }

    fn in_lookup(
        &mut self,
        table: &LookupTable,
        input: &LookupField,
        mut keys: Vec<String>,
        span: Span,
    ) -> Predicate {
        let total = keys.len();
        keys.truncate(MAX_LOOKUP_VALUES);
        let kind = table.match_kind(&input.column);
        let glob = kind == MatchKind::Wildcard && keys.iter().any(|k| k.contains('*'));
        let op = match kind {
            MatchKind::Cidr => Operator::Cidr,
            _ if glob => Operator::Wildcard,
            _ => Operator::Eq,
        };
        let values = keys
            .iter()
            .map(|k| {
                if glob {
                    Value::Str(lookup_glob(k))
                } else {
                    number_or_string(k, false)
                }
            })
            .collect();
        let mut pred = Predicate::new(input.field.clone(), op, values).with_span(span);
        pred.case_sensitive = table.case_sensitive;
        pred.modifiers.push(format!("lookup:{}", table.name));
        if total > keys.len() {
            pred.modifiers
                .push(format!("lookup_capped:{}/{total}", keys.len()));
            self.diags
                .push(diag::lookup_capped(span, &table.name, keys.len(), total));
        }
        pred
    }
}

fn column(table: &LookupTable, name: &str) -> Result<usize, String> {
    table
        .column(name)
        .ok_or_else(|| format!("its CSV has no column `{name}`"))
}

/// A lookup cell with `*` wildcards in the model's wildcard syntax (every other character
/// literal).
fn lookup_glob(cell: &str) -> String {
    cell.split('*')
        .map(wildcard::escape)
        .collect::<Vec<_>>()
        .join("*")
}

/// Does a lookup output value (`None`: the lookup found nothing) pass `p`? `None` when the
/// operator cannot be evaluated here.
pub(crate) fn row_passes(p: &Predicate, value: Option<&str>) -> Option<bool> {
    let Some(v) = value else {
        return matches!(
            p.op,
            Operator::Eq
                | Operator::Wildcard
                | Operator::Exists
                | Operator::Gt
                | Operator::Gte
                | Operator::Lt
                | Operator::Lte
        )
        .then_some(false);
    };
    let same = |a: &str, b: &str| {
        if p.case_sensitive {
            a == b
        } else {
            a.eq_ignore_ascii_case(b)
        }
    };
    let num = |x: &Value| match x {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        Value::Str(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let ord = |cmp: fn(f64, f64) -> bool| {
        let v = v.trim().parse::<f64>().ok();
        Some(
            p.values
                .iter()
                .any(|x| matches!((v, num(x)), (Some(a), Some(b)) if cmp(a, b))),
        )
    };
    match p.op {
        Operator::Exists => Some(true),
        Operator::Eq => Some(p.values.iter().any(|x| same(v, &x.to_text()))),
        Operator::Wildcard => Some(p.values.iter().any(|x| {
            x.as_str()
                .is_some_and(|pat| glob_match(pat, v, p.case_sensitive))
        })),
        Operator::Gt => ord(|a, b| a > b),
        Operator::Gte => ord(|a, b| a >= b),
        Operator::Lt => ord(|a, b| a < b),
        Operator::Lte => ord(|a, b| a <= b),
        _ => None,
    }
}

/// Matches `text` against a model wildcard pattern (`*` any run, `?` any one character).
fn glob_match(pattern: &str, text: &str, case_sensitive: bool) -> bool {
    use wildcard::Piece;
    let fold = |s: &str| {
        if case_sensitive {
            s.to_owned()
        } else {
            s.to_lowercase()
        }
    };
    let pieces = wildcard::pieces(pattern);
    let text: Vec<char> = fold(text).chars().collect();
    // Classic backtracking over the last `*`: linear for patterns without `?` runs.
    let (mut ti, mut pi) = (0usize, 0usize);
    let (mut star, mut mark): (Option<usize>, usize) = (None, 0);
    let pieces: Vec<Piece> = pieces
        .into_iter()
        .map(|p| match p {
            Piece::Literal(l) => Piece::Literal(fold(&l)),
            other => other,
        })
        .collect();
    loop {
        match pieces.get(pi) {
            Some(Piece::AnyRun) => {
                star = Some(pi);
                mark = ti;
                pi += 1;
                continue;
            }
            Some(Piece::AnyChar) if ti < text.len() => {
                ti += 1;
                pi += 1;
                continue;
            }
            Some(Piece::Literal(l)) => {
                let lit: Vec<char> = l.chars().collect();
                if text.get(ti..ti + lit.len()) == Some(lit.as_slice()) {
                    ti += lit.len();
                    pi += 1;
                    continue;
                }
            }
            None if ti == text.len() => return true,
            _ => {}
        }
        match star {
            Some(s) if mark < text.len() => {
                mark += 1;
                ti = mark;
                pi = s + 1;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_runs_and_single_characters() {
        assert!(glob_match("*mimi*.exe", "C:\\x\\Mimikatz.exe", false));
        assert!(!glob_match("*mimi*.exe", "C:\\x\\Mimikatz.exe", true));
        assert!(glob_match("a?c", "abc", true));
        assert!(!glob_match("a?c", "abbc", true));
        assert!(glob_match("*", "", true));
        assert!(glob_match(r"x\*", "x*", true));
        assert!(!glob_match(r"x\*", "xy", true));
    }

    #[test]
    fn lookup_cells_keep_their_stars_and_escape_the_rest() {
        assert_eq!(lookup_glob(r"*\ProgramData\?x*"), r"*\\ProgramData\\\?x*");
    }

    #[test]
    fn an_absent_output_passes_no_positive_test() {
        let p = Predicate::new("x", Operator::Eq, vec![Value::from("true")]);
        assert_eq!(row_passes(&p, None), Some(false));
        assert_eq!(row_passes(&p, Some("TRUE")), Some(true));
        let r = Predicate::new("x", Operator::RegexMatch, vec![Value::from("a")]);
        assert_eq!(row_passes(&r, Some("a")), None);
    }
}

//! The `stats` family: `stats`, `eventstats`, `streamstats`, `tstats`, `mstats`.
//!
//! `| tstats count min(_time) as firstTime from datamodel=Endpoint.Processes where <search>
//! by Processes.dest span=1h` — functions, options, dataset, a search-syntax `where`, and the
//! `by` fields, in (almost) any order.

use super::ast::{StatFn, Stats};
use super::lexer::{Tok, Token};
use super::{Ctx, search, text};

/// Parses the arguments of a stats-family command.
pub(crate) fn parse(ctx: &mut Ctx<'_>, toks: &[Token], depth: usize) -> Stats {
    let mut out = Stats::default();
    let mut i = 0;
    let mut in_by = false;
    while let Some(t) = toks.get(i).copied() {
        let word = ctx.slice(t.span);
        let lower = word.to_ascii_lowercase();
        let next = toks.get(i + 1).copied();
        let is_eq = |n: Option<Token>| n.is_some_and(|n| n.tok == Tok::Eq);
        match t.tok {
            Tok::Comma | Tok::Macro => i += 1,
            Tok::Word if lower == "by" || lower == "groupby" => {
                in_by = true;
                i += 1;
            }
            Tok::Word if lower == "where" => {
                let end = find_where_end(ctx, toks, i + 1);
                let slice = toks.get(i + 1..end).unwrap_or_default();
                out.filter = search::parse(ctx, slice, depth);
                i = end;
            }
            Tok::Word if lower == "from" => {
                // `from datamodel=X.Y` or `from X.Y`.
                let (dataset, used) =
                    match (next, toks.get(i + 2).copied(), toks.get(i + 3).copied()) {
                        (Some(n), Some(eq), Some(v))
                            if eq.tok == Tok::Eq
                                && ctx.slice(n.span).eq_ignore_ascii_case("datamodel") =>
                        {
                            (text::name_text(ctx.slice(v.span)), 4)
                        }
                        (Some(n), _, _) if n.tok == Tok::Word || n.tok == Tok::Quoted => {
                            (text::name_text(ctx.slice(n.span)), 2)
                        }
                        _ => (String::new(), 1),
                    };
                if !dataset.is_empty() {
                    out.datamodel = Some(dataset);
                }
                i += used;
            }
            Tok::Word if is_eq(next) => {
                let value = toks
                    .get(i + 2)
                    .filter(|v| matches!(v.tok, Tok::Word | Tok::Quoted));
                let value_text = value
                    .map(|v| text::name_text(ctx.slice(v.span)))
                    .unwrap_or_default();
                if lower == "datamodel" {
                    out.datamodel = Some(value_text);
                } else {
                    out.options.push((word.to_owned(), value_text));
                }
                i += if value.is_some() { 3 } else { 2 };
            }
            Tok::Word | Tok::Quoted if in_by => {
                out.by.push(text::name_text(word));
                i += 1;
            }
            Tok::Word => {
                let (function, consumed) = stat_function(ctx, toks, i);
                out.functions.push(function);
                i += consumed;
            }
            _ => i += 1,
        }
    }
    out
}

/// Index of the token ending a `where` clause: a top-level `by`/`groupby`, or the end.
fn find_where_end(ctx: &Ctx<'_>, toks: &[Token], from: usize) -> usize {
    let mut depth = 0usize;
    for (j, t) in toks.iter().enumerate().skip(from) {
        match t.tok {
            Tok::LParen => depth += 1,
            Tok::RParen => depth = depth.saturating_sub(1),
            Tok::Word if depth == 0 => {
                let w = ctx.slice(t.span);
                if w.eq_ignore_ascii_case("by") || w.eq_ignore_ascii_case("groupby") {
                    return j;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

/// `count`, `count(x)`, `dc(user) as users`, `values(eval(…))`: the function and how many
/// tokens it used.
fn stat_function(ctx: &mut Ctx<'_>, toks: &[Token], i: usize) -> (StatFn, usize) {
    let Some(name_tok) = toks.get(i) else {
        return (
            StatFn {
                function: String::new(),
                field: None,
                output: String::new(),
            },
            1,
        );
    };
    let function = canonical_function(&ctx.slice(name_tok.span).to_ascii_lowercase());
    let mut used = 1;
    let mut field = None;
    if toks
        .get(i + 1)
        .is_some_and(|t| t.tok == Tok::LParen && !t.spaced)
    {
        let mut depth = 0usize;
        let mut j = i + 1;
        while let Some(t) = toks.get(j) {
            match t.tok {
                Tok::LParen => depth += 1,
                Tok::RParen => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        if j >= toks.len()
            && let Some(open) = toks.get(i + 1)
        {
            ctx.diags
                .push(crate::diagnostics::unclosed_paren(open.span));
        }
        let open = toks.get(i + 1).map_or(0, |t| t.span.end as usize);
        let close = toks
            .get(j)
            .map_or(ctx.text.len(), |t| t.span.start as usize);
        let inner = ctx.text.get(open..close).unwrap_or("").trim();
        if !inner.is_empty() {
            field = Some(inner.to_owned());
        }
        used = (j + 1).min(toks.len()) - i;
    }
    let default_output = match &field {
        Some(f) => format!("{}({f})", ctx.slice(name_tok.span)),
        None => ctx.slice(name_tok.span).to_owned(),
    };
    let mut output = default_output;
    if let (Some(kw), Some(alias)) = (toks.get(i + used), toks.get(i + used + 1))
        && kw.tok == Tok::Word
        && ctx.slice(kw.span).eq_ignore_ascii_case("as")
        && matches!(alias.tok, Tok::Word | Tok::Quoted)
    {
        output = text::name_text(ctx.slice(alias.span));
        used += 2;
    }
    (
        StatFn {
            function,
            field,
            output,
        },
        used,
    )
}

/// Splunk's aliases for the same statistic.
fn canonical_function(name: &str) -> String {
    match name {
        "c" => "count",
        "distinct_count" | "estdc" => "dc",
        "mean" => "avg",
        other => other,
    }
    .to_owned()
}

//! Per-command argument parsing.

use super::ast::{CommandKind, LookupField, Query, Transaction};
use super::lexer::{Mode, Tok, Token};
use super::{Ctx, eval, search, stats, text};
use detcat_model::Span;

/// Parses the arguments `text[start..end]` of command `name` (lower case).
pub(crate) fn parse(
    ctx: &mut Ctx<'_>,
    name: &str,
    start: usize,
    end: usize,
    depth: usize,
) -> CommandKind {
    let mode = if matches!(name, "where" | "eval") {
        Mode::Eval
    } else {
        Mode::Search
    };
    let toks = ctx.lex(start, end, mode);
    match name {
        "search" => CommandKind::Search(search::parse(ctx, &toks, depth)),
        "where" => CommandKind::Where(eval::parse(ctx, &toks, depth, Span::new(start, end))),
        "eval" => CommandKind::Eval(eval::parse_assignments(ctx, &toks, depth)),
        "tstats" | "mstats" | "stats" | "eventstats" | "streamstats" => {
            CommandKind::Stats(stats::parse(ctx, &toks, depth))
        }
        "from" => from(ctx, &toks).unwrap_or_else(|| other(ctx, &toks, depth)),
        "rex" => rex(ctx, &toks),
        "regex" => regex(ctx, &toks).unwrap_or_else(|| other(ctx, &toks, depth)),
        "lookup" => lookup(ctx, &toks),
        "join" => join(ctx, &toks, depth),
        "append" | "appendcols" => CommandKind::Append {
            sub: first_subsearch(ctx, &toks, depth),
        },
        "appendpipe" => CommandKind::Append {
            sub: toks
                .iter()
                .find(|t| t.tok == Tok::Subsearch)
                .map(|t| Box::new(ctx.bracketed(t.span, depth, false))),
        },
        // `foreach … [ template ]`: the brackets hold a template with `<<FIELD>>` holes, not a
        // search; only its words are kept.
        "foreach" => CommandKind::Other {
            words: words(ctx, &positional(&toks)),
            subsearches: Vec::new(),
        },
        "rename" => rename(ctx, &toks),
        "transaction" => transaction(ctx, &toks, depth),
        "rare" | "top" => {
            let names = words(ctx, &positional(&toks));
            let at_by = names.iter().position(|w| w.eq_ignore_ascii_case("by"));
            let (fields, by) = match at_by {
                Some(i) => (names[..i].to_vec(), names[i + 1..].to_vec()),
                None => (names, Vec::new()),
            };
            CommandKind::Rare { fields, by }
        }
        "bucket" | "bin" => {
            let span = options(ctx, &toks)
                .into_iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("span"))
                .map(|(_, v)| v);
            CommandKind::Bucket { span }
        }
        _ => other(ctx, &toks, depth),
    }
}

fn words(ctx: &Ctx<'_>, toks: &[Token]) -> Vec<String> {
    toks.iter()
        .filter(|t| matches!(t.tok, Tok::Word | Tok::Quoted | Tok::FieldQuoted))
        .map(|t| text::name_text(ctx.slice(t.span)))
        .collect()
}

fn other(ctx: &mut Ctx<'_>, toks: &[Token], depth: usize) -> CommandKind {
    let subsearches = toks
        .iter()
        .filter(|t| t.tok == Tok::Subsearch)
        .map(|t| ctx.subsearch(t.span, depth))
        .collect::<Vec<Query>>();
    CommandKind::Other {
        words: words(ctx, &positional(toks)),
        subsearches,
    }
}

/// `key=value` options among the tokens.
fn options(ctx: &Ctx<'_>, toks: &[Token]) -> Vec<(String, String)> {
    toks.windows(3)
        .filter(|w| {
            w[0].tok == Tok::Word
                && w[1].tok == Tok::Eq
                && matches!(w[2].tok, Tok::Word | Tok::Quoted)
        })
        .map(|w| {
            (
                ctx.slice(w[0].span).to_owned(),
                text::name_text(ctx.slice(w[2].span)),
            )
        })
        .collect()
}

/// Tokens that are not part of a `key=value` option.
fn positional(toks: &[Token]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(t) = toks.get(i) {
        if toks.get(i + 1).is_some_and(|n| n.tok == Tok::Eq) {
            i += 3;
            continue;
        }
        out.push(*t);
        i += 1;
    }
    out
}

fn from(ctx: &Ctx<'_>, toks: &[Token]) -> Option<CommandKind> {
    let joined: String = toks
        .iter()
        .map(|t| text::name_text(ctx.slice(t.span)))
        .collect::<Vec<_>>()
        .join(" ");
    let rest = joined.trim().strip_prefix("datamodel")?;
    let dataset = rest.trim_start_matches([':', ' ']).trim().to_owned();
    (!dataset.is_empty()).then_some(CommandKind::From { dataset })
}

fn rex(ctx: &Ctx<'_>, toks: &[Token]) -> CommandKind {
    let opts = options(ctx, toks);
    let field = opts
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("field"))
        .map(|(_, v)| v.clone());
    let sed = opts
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("mode") && v.eq_ignore_ascii_case("sed"));
    let pattern = positional(toks)
        .iter()
        .find(|t| t.tok == Tok::Quoted)
        .map(|t| text::eval_string(text::unquote(ctx.slice(t.span), '"')))
        .unwrap_or_default();
    let groups = if sed {
        Vec::new()
    } else {
        text::capture_groups(&pattern)
    };
    CommandKind::Rex {
        field,
        pattern,
        groups,
        sed,
    }
}

fn regex(ctx: &Ctx<'_>, toks: &[Token]) -> Option<CommandKind> {
    let pattern_of = |t: &Token| text::eval_string(text::unquote(ctx.slice(t.span), '"'));
    match toks {
        [f, op, v] if f.tok == Tok::Word && matches!(op.tok, Tok::Eq | Tok::Ne) => {
            Some(CommandKind::Regex {
                field: ctx.slice(f.span).to_owned(),
                negated: op.tok == Tok::Ne,
                pattern: if v.tok == Tok::Quoted {
                    pattern_of(v)
                } else {
                    ctx.slice(v.span).to_owned()
                },
                span: Span::new(f.span.start as usize, v.span.end as usize),
            })
        }
        [v] if v.tok == Tok::Quoted => Some(CommandKind::Regex {
            field: "_raw".to_owned(),
            negated: false,
            pattern: pattern_of(v),
            span: v.span,
        }),
        _ => None,
    }
}

/// `lookup [opts] table f1 [AS e1], f2 … OUTPUT|OUTPUTNEW o1 [AS e2] …`: the table columns
/// read and written, with the event fields they meet.
fn lookup(ctx: &Ctx<'_>, toks: &[Token]) -> CommandKind {
    let pos = positional(toks);
    let mut names = pos
        .iter()
        .filter(|t| matches!(t.tok, Tok::Word | Tok::Quoted))
        .map(|t| text::name_text(ctx.slice(t.span)));
    let table = names.next().unwrap_or_default();
    let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
    let mut in_output = false;
    let mut pending_as = false;
    for name in names {
        let upper = name.to_ascii_uppercase();
        if upper == "OUTPUT" || upper == "OUTPUTNEW" {
            in_output = true;
            continue;
        }
        if upper == "AS" {
            pending_as = true;
            continue;
        }
        let list: &mut Vec<LookupField> = if in_output { &mut outputs } else { &mut inputs };
        match list.last_mut() {
            // `column AS event_field`: the event's name replaces the column's.
            Some(last) if pending_as => last.field = name,
            _ => list.push(LookupField {
                column: name.clone(),
                field: name,
            }),
        }
        pending_as = false;
    }
    CommandKind::Lookup {
        table,
        inputs,
        outputs,
    }
}

fn join(ctx: &mut Ctx<'_>, toks: &[Token], depth: usize) -> CommandKind {
    let join_type = options(ctx, toks)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("type"))
        .map_or_else(|| "inner".to_owned(), |(_, v)| v.to_ascii_lowercase());
    let fields = positional(toks)
        .iter()
        .filter(|t| t.tok == Tok::Word)
        .map(|t| ctx.slice(t.span).to_owned())
        .collect();
    CommandKind::Join {
        join_type,
        fields,
        sub: first_subsearch(ctx, toks, depth),
    }
}

fn first_subsearch(ctx: &mut Ctx<'_>, toks: &[Token], depth: usize) -> Option<Box<Query>> {
    let t = toks.iter().find(|t| t.tok == Tok::Subsearch)?;
    Some(Box::new(ctx.subsearch(t.span, depth)))
}

fn rename(ctx: &Ctx<'_>, toks: &[Token]) -> CommandKind {
    let names: Vec<String> = words(ctx, toks);
    let mut pairs = Vec::new();
    let mut i = 0;
    while let (Some(from), Some(kw), Some(to)) = (names.get(i), names.get(i + 1), names.get(i + 2))
    {
        if kw.eq_ignore_ascii_case("as") {
            pairs.push((from.clone(), to.clone()));
            i += 3;
        } else {
            i += 1;
        }
    }
    CommandKind::Rename(pairs)
}

/// `transaction` fields and options; `startswith=(…)` / `endswith=(…)` are search syntax.
fn transaction(ctx: &mut Ctx<'_>, toks: &[Token], depth: usize) -> CommandKind {
    let mut t = Transaction::default();
    let mut i = 0;
    while let Some(tok) = toks.get(i) {
        let is_option = tok.tok == Tok::Word && toks.get(i + 1).is_some_and(|n| n.tok == Tok::Eq);
        if !is_option {
            if matches!(tok.tok, Tok::Word | Tok::Quoted) {
                t.fields.push(text::name_text(ctx.slice(tok.span)));
            }
            i += 1;
            continue;
        }
        let key = ctx.slice(tok.span).to_ascii_lowercase();
        let value = toks.get(i + 2).copied();
        i += 3;
        match (key.as_str(), value) {
            ("startswith" | "endswith", Some(v)) if v.tok == Tok::LParen => {
                let close = matching_paren(toks, i - 1).unwrap_or(toks.len());
                let inner = toks.get(i..close).unwrap_or_default();
                let expr = search::parse(ctx, inner, depth);
                if key == "startswith" {
                    t.start = expr;
                } else {
                    t.end = expr;
                }
                i = close + 1;
            }
            ("startswith" | "endswith", _) => t.unparsed_bounds = true,
            ("maxspan", Some(v)) => t.maxspan = Some(ctx.slice(v.span).to_owned()),
            ("maxpause", Some(v)) if t.maxspan.is_none() => {
                t.maxspan = Some(ctx.slice(v.span).to_owned());
            }
            _ => {}
        }
    }
    CommandKind::Transaction(t)
}

/// Index of the `)` closing the `(` at `open`.
fn matching_paren(toks: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (j, t) in toks.iter().enumerate().skip(open) {
        match t.tok {
            Tok::LParen => depth += 1,
            Tok::RParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
    }
    None
}

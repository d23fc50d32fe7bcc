//! Search identifiers of a `detection` block into expressions: maps are `and`, lists are `or`
//! (or keyword lists), `Field|modifiers: values` are predicates.

use detcat_model::{Diagnostic, Expr, Keyword, Opaque, Operator, Predicate, Span, Value};
use detcat_yaml::{Node, NodeValue};

use crate::diagnostics as diag;
use crate::modifiers::{self, Applied, Item, Modifier};

/// Deepest nesting of lists/maps inside one search identifier.
const MAX_DEPTH: usize = 32;

/// Keys of a detection block that are not search identifiers.
pub(crate) const RESERVED: [&str; 2] = ["condition", "timeframe"];

/// Builds every search identifier of `block` (a `detection` or `filter` mapping), in order,
/// skipping the `skip` keys.
pub(crate) fn search_identifiers(
    block: &Node,
    skip: &[&str],
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(String, Expr)> {
    let Some(entries) = block.as_map() else {
        return Vec::new();
    };
    for dup in block.duplicate_keys() {
        diags.push(diag::duplicate_key(
            path,
            &dup.scalar_text().unwrap_or_default(),
            dup.span,
        ));
    }
    let mut out: Vec<(String, Expr)> = Vec::new();
    for (key, value) in entries {
        let Some(name) = key.scalar_text() else {
            continue;
        };
        if skip.contains(&name.as_str()) {
            continue;
        }
        let expr = definition(value, path, diags, 0);
        // Duplicate identifiers: the last definition wins, as in PyYAML.
        out.retain(|(n, _)| *n != name);
        out.push((name, expr));
    }
    out
}

fn opaque(node: &Node, reason: &str) -> Expr {
    Expr::Opaque(Opaque {
        text: node.scalar_text().unwrap_or_default(),
        reason: reason.to_owned(),
        fields: Vec::new(),
        span: Some(node.span),
    })
}

/// One search identifier's definition.
fn definition(node: &Node, path: &str, diags: &mut Vec<Diagnostic>, depth: usize) -> Expr {
    if depth > MAX_DEPTH {
        diags.push(diag::nesting_too_deep(path, node.span));
        return opaque(node, "nested too deeply");
    }
    match &node.value {
        NodeValue::Map(entries) => {
            if entries.is_empty() {
                diags.push(diag::invalid_detection(
                    path,
                    "empty search identifier",
                    node.span,
                ));
                return opaque(node, "empty search identifier");
            }
            Expr::and(
                entries
                    .iter()
                    .map(|(k, v)| field_item(k, v, path, diags, depth))
                    .collect(),
            )
        }
        NodeValue::Seq(items) if items.iter().all(Node::is_scalar) && !items.is_empty() => {
            keyword(&[], items, node.span, path, diags)
        }
        NodeValue::Seq(items) if !items.is_empty() => Expr::or(
            items
                .iter()
                .map(|i| definition(i, path, diags, depth + 1))
                .collect(),
        ),
        NodeValue::Seq(_) | NodeValue::Null => {
            diags.push(diag::invalid_detection(
                path,
                "empty search identifier",
                node.span,
            ));
            opaque(node, "empty search identifier")
        }
        _ => keyword(&[], std::slice::from_ref(node), node.span, path, diags),
    }
}

/// Splits `Field|mod|mod` into the field and parsed modifiers (names kept for the record).
fn parse_key(
    key: &Node,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<(String, Vec<Modifier>, Vec<String>)> {
    let text = key.scalar_text().unwrap_or_default();
    let mut parts = text.split('|');
    let field = parts.next().unwrap_or_default().to_owned();
    let mut mods = Vec::new();
    let mut names = Vec::new();
    for name in parts {
        match Modifier::parse(name) {
            Some(m) => {
                mods.push(m);
                names.push(name.to_owned());
            }
            None => {
                diags.push(diag::unknown_modifier(path, name, key.span));
                return None;
            }
        }
    }
    Some((field, mods, names))
}

fn field_item(
    key: &Node,
    value: &Node,
    path: &str,
    diags: &mut Vec<Diagnostic>,
    depth: usize,
) -> Expr {
    let Some((field, mods, names)) = parse_key(key, path, diags) else {
        return opaque(key, "unknown value modifier");
    };
    let span = Span::new(key.span.start as usize, value.span.end as usize);
    let values: &[Node] = match &value.value {
        NodeValue::Seq(items) => items,
        NodeValue::Map(_) => {
            diags.push(diag::invalid_detection(
                path,
                "a field's value cannot be a mapping",
                value.span,
            ));
            return opaque(key, "mapping as field value");
        }
        _ => std::slice::from_ref(value),
    };
    if field.is_empty() {
        return keyword_with(&mods, &names, values, span, path, diags);
    }
    if values.is_empty() {
        diags.push(diag::invalid_detection(
            path,
            "empty list of values",
            value.span,
        ));
        return opaque(key, "empty list of values");
    }
    if depth > MAX_DEPTH || values.iter().any(|v| !v.is_scalar()) {
        diags.push(diag::invalid_detection(
            path,
            "a field's values must be scalars",
            value.span,
        ));
        return opaque(key, "nested value");
    }
    let applied = match apply(&mods, values) {
        Ok(a) => a,
        Err(message) => {
            diags.push(diag::invalid_value(path, &message, span));
            return opaque(key, &message);
        }
    };
    for item in applied.values.iter().flatten() {
        if let Item::Regex(re) = item
            && let Some(message) = regex_error(re)
        {
            diags.push(diag::invalid_regex(path, &message, span));
        }
    }
    let expr = predicates(&field, &applied, &names, span);
    if applied.negate {
        Expr::not(expr)
    } else {
        expr
    }
}

/// Why `re` is no regular expression, if it is none. Look-around and backreferences are valid
/// in the PCRE dialects Sigma backends target though the Rust parser lacks them: not errors.
fn regex_error(re: &str) -> Option<String> {
    use regex_syntax::ast::ErrorKind;
    let e = regex_syntax::ast::parse::Parser::new().parse(re).err()?;
    match e.kind() {
        ErrorKind::UnsupportedLookAround | ErrorKind::UnsupportedBackreference => None,
        kind => Some(format!(
            "{kind} in '{}'",
            re.chars().take(120).collect::<String>()
        )),
    }
}

fn apply(mods: &[Modifier], values: &[Node]) -> Result<Applied, String> {
    let inputs = values
        .iter()
        .filter_map(|v| modifiers::initial_item(v).map(|item| (item, v.scalar_str())))
        .collect();
    modifiers::apply(mods, inputs)
}

/// Groups one item's values by operator: one predicate per operator, `or`ed (or `and`ed per
/// original value under `all`).
fn predicates(field: &str, applied: &Applied, names: &[String], span: Span) -> Expr {
    let make = |items: &[&Item], match_all: bool| -> Expr {
        let mut groups: Vec<Predicate> = Vec::new();
        let mut absent = None;
        let exists = || {
            let mut p = Predicate::new(field, Operator::Exists, Vec::new()).with_span(span);
            p.modifiers = names.to_vec();
            Expr::Pred(p)
        };
        for item in items {
            if let Item::Exists(present) = item {
                let e = exists();
                return if *present { e } else { Expr::not(e) };
            }
            let (op, value) = item.to_model();
            // `field: null` is "the field is absent": an explicit `not exists`, never the
            // string "null" (Sigma specification, "null values").
            let Some(value) = value.filter(|v| *v != Value::Null) else {
                absent = Some(Expr::not(exists()));
                continue;
            };
            match groups.iter_mut().find(|p| p.op == op) {
                Some(p) => p.values.push(value),
                None => {
                    let mut p = Predicate::new(field, op, vec![value]).with_span(span);
                    p.match_all = match_all;
                    p.case_sensitive = applied.case_sensitive;
                    p.regex_flags = applied.regex_flags;
                    p.modifiers = names.to_vec();
                    groups.push(p);
                }
            }
        }
        let preds = groups.into_iter().map(Expr::Pred).chain(absent).collect();
        if match_all {
            Expr::and(preds)
        } else {
            Expr::or(preds)
        }
    };
    let single_alternatives = applied.values.iter().all(|alts| alts.len() == 1);
    if !applied.match_all || single_alternatives {
        let all: Vec<&Item> = applied.values.iter().flatten().collect();
        return make(&all, applied.match_all && all.len() > 1);
    }
    // `all` over values that expanded (windash, base64offset): every value, in any form.
    Expr::and(
        applied
            .values
            .iter()
            .map(|alts| make(&alts.iter().collect::<Vec<_>>(), false))
            .collect(),
    )
}

fn keyword(
    mods: &[Modifier],
    values: &[Node],
    span: Span,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Expr {
    keyword_with(mods, &[], values, span, path, diags)
}

/// Field-less values: a keyword search (`|all` makes every keyword required).
fn keyword_with(
    mods: &[Modifier],
    names: &[String],
    values: &[Node],
    span: Span,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Expr {
    if values.is_empty() || values.iter().any(|v| !v.is_scalar()) {
        diags.push(diag::invalid_detection(
            path,
            "keywords must be a list of scalars",
            span,
        ));
        return Expr::Opaque(Opaque {
            text: String::new(),
            reason: "invalid keyword list".into(),
            fields: Vec::new(),
            span: Some(span),
        });
    }
    let applied = match apply(mods, values) {
        Ok(a) => a,
        Err(message) => {
            diags.push(diag::invalid_value(path, &message, span));
            return Expr::Opaque(Opaque {
                text: String::new(),
                reason: message,
                fields: Vec::new(),
                span: Some(span),
            });
        }
    };
    let mut groups: Vec<Keyword> = Vec::new();
    for item in applied.values.iter().flatten() {
        let (op, value) = item.to_model();
        let value = value.unwrap_or(Value::Null);
        match groups.iter_mut().find(|k| k.op == op) {
            Some(k) => k.values.push(value),
            None => groups.push(Keyword {
                op,
                values: vec![value],
                match_all: applied.match_all,
                case_sensitive: applied.case_sensitive,
                modifiers: names.to_vec(),
                span: Some(span),
            }),
        }
    }
    let exprs = groups.into_iter().map(Expr::Keyword).collect();
    if applied.match_all {
        Expr::and(exprs)
    } else {
        Expr::or(exprs)
    }
}

#[cfg(test)]
mod tests;

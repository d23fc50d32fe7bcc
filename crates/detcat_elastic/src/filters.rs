//! Kibana filters (`[[rule.filters]]`): Elasticsearch query DSL clauses added to the query.

use detcat_model::{Expr, Opaque, Operator, Predicate, Value};

/// One filter into the tree: `wildcard`, `match_phrase`, `term`, `exists` clauses become
/// predicates (negated when `meta.negate`); a disabled filter is `None`; any other shape is an
/// opaque node (the `Err` carries a short description for the diagnostic).
pub fn filter_expr(filter: &toml::Value) -> Option<Result<Expr, (Expr, String)>> {
    let meta = filter.get("meta");
    let flag = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(toml::Value::as_bool)
            .unwrap_or(false)
    };
    if flag("disabled") {
        return None;
    }
    let body = filter.get("query").unwrap_or(filter);
    let expr = clause(body).or_else(|| filter.get("exists").and_then(exists));
    Some(match expr {
        Some(e) => Ok(if flag("negate") { Expr::not(e) } else { e }),
        None => {
            let text = toml::to_string(filter).unwrap_or_default();
            let what = body
                .as_table()
                .and_then(|t| t.keys().next().cloned())
                .unwrap_or_else(|| "empty filter".into());
            Err((
                Expr::Opaque(Opaque {
                    text,
                    reason: "Kibana filter".into(),
                    fields: Vec::new(),
                    span: None,
                }),
                what,
            ))
        }
    })
}

fn exists(v: &toml::Value) -> Option<Expr> {
    let field = v.get("field")?.as_str()?;
    Some(Expr::Pred(Predicate::new(field, Operator::Exists, vec![])))
}

fn scalar(v: &toml::Value) -> Option<Value> {
    match v {
        toml::Value::String(s) => Some(Value::Str(s.clone())),
        toml::Value::Integer(i) => Some(Value::Int(*i)),
        toml::Value::Float(f) => Some(Value::Float(*f)),
        toml::Value::Boolean(b) => Some(Value::Bool(*b)),
        _ => None,
    }
}

/// `{ field = value }` or `{ field = { value|query = value, case_insensitive = … } }`.
fn field_value(v: &toml::Value) -> Option<(String, Value, bool)> {
    let (field, inner) = v.as_table()?.iter().next()?;
    if let Some(s) = scalar(inner) {
        return Some((field.clone(), s, false));
    }
    let value = inner
        .get("value")
        .or_else(|| inner.get("query"))
        .and_then(scalar)?;
    let ci = inner
        .get("case_insensitive")
        .and_then(toml::Value::as_bool)
        .unwrap_or(false);
    Some((field.clone(), value, ci))
}

fn clause(q: &toml::Value) -> Option<Expr> {
    let table = q.as_table()?;
    let (kind, body) = table.iter().next()?;
    let (op, field, value, ci) = match kind.as_str() {
        "exists" => return exists(body),
        // Elasticsearch wildcard syntax (`*`, `?`, `\` escapes) is the model's own.
        "wildcard" => {
            let (f, v, ci) = field_value(body)?;
            (Operator::Wildcard, f, v, ci)
        }
        "match_phrase" | "term" | "match" => {
            let (f, v, ci) = field_value(body)?;
            (Operator::Eq, f, v, ci)
        }
        _ => return None,
    };
    let mut p = Predicate::new(field, op, vec![value]);
    p.case_sensitive = !ci;
    p.modifiers.push(format!("filter:{kind}"));
    Some(Expr::Pred(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> toml::Value {
        toml::from_str(src).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn negated_wildcard_filter() {
        let f = parse(
            "[meta]\nnegate = true\n[query.wildcard.\"file.path\"]\ncase_insensitive = true\nvalue = \"?:\\\\\\\\Temp\\\\\\\\*\"\n",
        );
        let Some(Ok(Expr::Not { item })) = filter_expr(&f) else {
            panic!("not")
        };
        let Expr::Pred(p) = *item else { panic!("pred") };
        assert_eq!((p.op, p.case_sensitive), (Operator::Wildcard, false));
        assert_eq!(p.values, [Value::from(r"?:\\Temp\\*")]);
    }

    #[test]
    fn exists_forms_and_disabled() {
        let a = parse("[meta]\nnegate = true\n[exists]\nfield = \"user_agent.original\"\n");
        assert!(matches!(filter_expr(&a), Some(Ok(Expr::Not { .. }))));
        let b = parse("[meta]\ndisabled = true\n[query.exists]\nfield = \"x\"\n");
        assert!(filter_expr(&b).is_none());
        let c = parse("[query.bool]\nmust = []\n");
        assert!(matches!(filter_expr(&c), Some(Err(_))));
    }
}

//! KQL parser tests, one per construct (fixtures written for these tests).

use detcat_model::{Expr, Operator, Value};

use super::parse;

fn ok(src: &str) -> Expr {
    let q = parse(src);
    assert!(q.diagnostics.is_empty(), "{src}: {:?}", q.diagnostics);
    q.expr
}

fn pred(e: &Expr) -> &detcat_model::Predicate {
    match e {
        Expr::Pred(p) => p,
        other => panic!("expected predicate, got {other:?}"),
    }
}

#[test]
fn field_value_is_case_sensitive_eq() {
    let e = ok("process.name:cmd.exe");
    let p = pred(&e);
    assert_eq!(
        (p.op, p.case_sensitive, p.values.clone()),
        (Operator::Eq, true, vec![Value::from("cmd.exe")])
    );
}

#[test]
fn wildcard_and_quoted_phrase() {
    let e = ok(r#"a:*foo* and b:"x * y""#);
    let Expr::And { items } = e else {
        panic!("and")
    };
    assert_eq!(pred(&items[0]).op, Operator::Wildcard);
    assert_eq!(
        (pred(&items[1]).op, pred(&items[1]).values.clone()),
        (Operator::Eq, vec![Value::from("x * y")])
    );
}

#[test]
fn value_list_merges_into_one_predicate() {
    let e = ok("event.type:(start or process_started)");
    assert_eq!(pred(&e).values.len(), 2);
}

#[test]
fn star_is_exists() {
    assert_eq!(pred(&ok("user.name:*")).op, Operator::Exists);
}

#[test]
fn value_list_with_star_and_not() {
    let e = ok("http.request.method:(* and not (GET or HEAD or OPTIONS or POST))");
    let Expr::And { items } = e else {
        panic!("and")
    };
    assert_eq!(pred(&items[0]).op, Operator::Exists);
    let Expr::Not { item } = &items[1] else {
        panic!("not")
    };
    assert_eq!(pred(item).values.len(), 4);
}

#[test]
fn ranges() {
    let e = ok(r#"risk > 21 and @timestamp >= "now-30d/d""#);
    let Expr::And { items } = e else {
        panic!("and")
    };
    assert_eq!(
        (pred(&items[0]).op, pred(&items[0]).values.clone()),
        (Operator::Gt, vec![Value::Int(21)])
    );
    assert_eq!(pred(&items[1]).op, Operator::Gte);
}

#[test]
fn nested_query_prefixes_fields() {
    let e = ok("user:{ first:alice and last:smith }");
    let Expr::And { items } = e else {
        panic!("and")
    };
    assert_eq!(pred(&items[0]).field, "user.first");
}

#[test]
fn free_text_is_keyword() {
    assert!(matches!(ok(r#""mimikatz""#), Expr::Keyword(_)));
}

#[test]
fn and_binds_tighter_than_or_and_not_is_kept() {
    let e = ok("a:1 or b:2 and not c:3");
    let Expr::Or { items } = e else { panic!("or") };
    let Expr::And { items: inner } = &items[1] else {
        panic!("and")
    };
    assert!(matches!(inner[1], Expr::Not { .. }));
}

#[test]
fn top_level_and_not_is_an_exclusion() {
    let e =
        ok("process.name:regsvr32.exe and not process.parent.name:(msiexec.exe or explorer.exe)");
    assert_eq!(e.exclusions().count(), 1);
    assert_eq!(e.exclusions().next().map(|p| p.values.len()), Some(2));
}

#[test]
fn escaped_specials_are_literal() {
    let e = ok(r"file.path:C\:\\Users\\*\\x.exe");
    let p = pred(&e);
    assert_eq!(
        (p.op, p.values.clone()),
        (
            Operator::Wildcard,
            vec![Value::from(r"C:\\Users\\*\\x.exe")]
        )
    );
}

#[test]
fn mixed_operators_in_a_list_stay_separate() {
    let e = ok("process.name:(a.exe or b*)");
    let Expr::Or { items } = e else { panic!("or") };
    assert_eq!(items.len(), 2);
}

#[test]
fn syntax_errors_are_reported_not_panics() {
    let q = parse("a:(b or");
    assert!(q.has_errors());
    let q = parse("(((");
    assert!(q.has_errors());
    let q = parse(&"(".repeat(10_000));
    assert!(q.diagnostics.iter().any(|d| d.code == "kql::too-deep"));
}

//! Unit tests of the EQL parser, one per construct (fixtures written for these tests).

use detcat_model::{Expr, Operator, SeqKind, TelemetryHint, Value};

use super::parse;

fn ok(src: &str) -> Expr {
    let q = parse(src);
    assert!(q.diagnostics.is_empty(), "{src}: {:?}", q.diagnostics);
    q.expr
}

fn only_pred(e: &Expr) -> &detcat_model::Predicate {
    match e {
        Expr::Pred(p) => p,
        other => panic!("expected a predicate, got {other:?}"),
    }
}

#[test]
fn colon_is_case_insensitive_with_wildcards() {
    let e = ok(r#"process where process.name : "rundll*.exe""#);
    let p = only_pred(&e);
    assert_eq!((p.op, p.case_sensitive), (Operator::Wildcard, false));
    assert_eq!(p.values, [Value::from("rundll*.exe")]);
}

#[test]
fn colon_list_mixing_literals_and_patterns_splits() {
    let e = ok(r#"file where file.name : ("a.dll", "*.cpl")"#);
    let Expr::Or { items } = e else { panic!("or") };
    assert_eq!(only_pred(&items[0]).op, Operator::Eq);
    assert_eq!(only_pred(&items[1]).op, Operator::Wildcard);
}

#[test]
fn star_is_literal_under_double_equals_on_optional_field() {
    let e = ok(r#"process where ?process.parent.name == "python*""#);
    let p = only_pred(&e);
    assert_eq!(
        (p.field.as_str(), p.op, p.case_sensitive),
        ("process.parent.name", Operator::Eq, true)
    );
    assert_eq!(p.values, [Value::from("python*")]);
    assert_eq!(p.modifiers, ["optional"]);
}

#[test]
fn backslashes_in_patterns_are_escaped_for_the_model() {
    let e = ok(r#"process where process.executable : "C:\\Tools\\*.exe""#);
    assert_eq!(only_pred(&e).values, [Value::from(r"C:\\Tools\\*.exe")]);
}

#[test]
fn not_equal_and_not_in_become_not_pred() {
    let e = ok(r#"process where a != "x" and b not in ("y", "z")"#);
    let Expr::And { items } = e else {
        panic!("and")
    };
    assert!(items.iter().all(|i| matches!(i, Expr::Not { .. })));
}

#[test]
fn in_tilde_and_like_tilde_and_regex_tilde() {
    let e = ok(r#"any where a in~ ("X") and b like~ "y*" and c regex~ "z.+" and d like "W?""#);
    let Expr::And { items } = e else {
        panic!("and")
    };
    let ps: Vec<_> = items.iter().map(only_pred).collect();
    assert!(!ps[0].case_sensitive);
    assert_eq!(
        (ps[1].op, ps[1].modifiers.as_slice()),
        (Operator::Wildcard, ["like~".to_owned()].as_slice())
    );
    assert!(ps[2].regex_flags.ignore_case);
    assert!(ps[3].case_sensitive);
}

#[test]
fn and_not_keeps_exclusion_shape() {
    let e = ok(
        r#"process where process.name : "mmc.exe" and not process.parent.name : ("explorer.exe", "svchost.exe")"#,
    );
    assert_eq!(
        e.exclusions().map(|p| p.field.as_str()).collect::<Vec<_>>(),
        ["process.parent.name"]
    );
}

#[test]
fn predicate_functions_become_wildcard_and_cidr() {
    let e = ok(
        r#"network where startsWith~(process.name, "ps") and cidrMatch(destination.ip, "10.0.0.0/8", "192.168.0.0/16") and stringContains(process.command_line, "a*b")"#,
    );
    let Expr::And { items } = e else {
        panic!("and")
    };
    let sw = only_pred(&items[0]);
    assert_eq!(
        (sw.op, sw.case_sensitive, sw.values[0].clone()),
        (Operator::Wildcard, false, Value::from("ps*"))
    );
    assert_eq!(sw.modifiers, ["startsWith~"]);
    assert_eq!(only_pred(&items[1]).op, Operator::Cidr);
    assert_eq!(only_pred(&items[2]).values, [Value::from(r"*a\*b*")]);
}

#[test]
fn nested_functions_with_arithmetic_are_computed() {
    let e = ok(
        r#"library where endswith~(substring(dll.path, 0, length(dll.path) - (length(dll.name) + 1)), "\\system32")"#,
    );
    let Expr::Computed(c) = e else {
        panic!("computed, got {e:?}")
    };
    assert_eq!(c.function, "endswith");
    assert_eq!(c.fields, ["dll.path", "dll.name"]);
}

#[test]
fn length_comparison_is_computed() {
    let Expr::Computed(c) = ok("process where length(process.args) > 3") else {
        panic!("computed")
    };
    assert_eq!(
        (c.function.as_str(), c.text.as_str()),
        ("length", "length(process.args) > 3")
    );
}

#[test]
fn sequence_with_runs_until_and_missing_step() {
    let src = r#"sequence by host.id with maxspan=30s
      [process where event.type == "start"] by process.entity_id with runs=5
      ![file where file.extension == "tmp"]
    until [process where event.type == "end"]"#;
    let Expr::Sequence(s) = ok(src) else {
        panic!("sequence")
    };
    assert_eq!(
        (s.kind, s.by.as_slice(), s.maxspan.as_deref()),
        (
            SeqKind::Sequence,
            ["host.id".to_owned()].as_slice(),
            Some("30s")
        )
    );
    assert_eq!(s.steps[0].runs, Some(5));
    assert_eq!(s.steps[0].by, ["process.entity_id"]);
    assert!(s.steps[1].missing);
    assert!(s.until.is_some());
}

#[test]
fn sample_by_two_keys() {
    let Expr::Sequence(s) =
        ok("sample by host.id, process.pid [process where true] [network where true]")
    else {
        panic!("sample")
    };
    assert_eq!((s.kind, s.by.len(), s.steps.len()), (SeqKind::Sample, 2, 2));
}

#[test]
fn backtick_fields() {
    let e = ok(r#"any where target_resources.`0`.display_name : "Global Admin""#);
    assert_eq!(only_pred(&e).field, "target_resources.0.display_name");
}

#[test]
fn unicode_escape_and_raw_string() {
    let e = ok(r#"file where file.name : "*\u{202E}*" and file.path : """C:\Users\*\x.lnk""""#);
    let Expr::And { items } = e else {
        panic!("and")
    };
    assert_eq!(only_pred(&items[0]).values, [Value::from("*\u{202E}*")]);
    assert_eq!(
        only_pred(&items[1]).values,
        [Value::from(r"C:\\Users\\*\\x.lnk")]
    );
}

#[test]
fn comments_are_ignored() {
    let e = ok("process where /* block */ a == 1 // trailing\n and b == 2");
    assert!(matches!(e, Expr::And { ref items } if items.len() == 2));
}

#[test]
fn null_comparisons_are_exists() {
    let e = ok("network where process.name != null and dns.question.name == null");
    let Expr::And { items } = e else {
        panic!("and")
    };
    assert_eq!(only_pred(&items[0]).op, Operator::Exists);
    assert!(matches!(&items[1], Expr::Not { item } if only_pred(item).op == Operator::Exists));
}

#[test]
fn field_to_field_is_field_ref() {
    let e = ok("process where process.name == process.parent.name");
    assert_eq!(only_pred(&e).op, Operator::FieldRef);
}

#[test]
fn categories_become_hints_but_any_does_not() {
    let q = parse("sequence [process where true] [any where true] [network where true]");
    assert_eq!(
        q.telemetry,
        [
            TelemetryHint::EventCategory {
                name: "process".into()
            },
            TelemetryHint::EventCategory {
                name: "network".into()
            }
        ]
    );
}

#[test]
fn spans_cover_the_comparison() {
    let src = r#"process where process.name : "x.exe""#;
    let e = ok(src);
    let span = only_pred(&e).span.expect("span");
    assert_eq!(
        &src[span.start as usize..span.end as usize],
        r#"process.name : "x.exe""#
    );
}

#[test]
fn broken_query_reports_and_keeps_going() {
    let q = parse(r#"process where (a == "x" and"#);
    assert!(q.has_errors());
    assert!(q.expr.has_opaque());
}

#[test]
fn pipes_are_opaque_but_head_and_tail_only_warn() {
    let q = parse("process where true | unique process.name");
    assert!(q.diagnostics.is_empty());
    assert!(q.expr.has_opaque());
    let q = parse("sequence [process where true] [file where true] | tail 1");
    assert!(!q.expr.has_opaque());
    assert_eq!(q.diagnostics[0].code, "eql::output-pipe");
}

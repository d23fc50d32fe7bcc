//! Unit tests of detection items, each pinned by a fixture written for the construct it tests.

use detcat_model::{Expr, Keyword, Operator, Predicate, Value};
use detcat_yaml::{Limits, parse_documents};

use super::search_identifiers;

/// Parses `detection_yaml` (a mapping of identifiers) and returns (identifier, expr) pairs.
fn ids(detection_yaml: &str) -> Vec<(String, Expr)> {
    let docs =
        parse_documents(detection_yaml, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut diags = Vec::new();
    let out = search_identifiers(&docs[0], &["condition"], "t.yml", &mut diags);
    assert!(diags.is_empty(), "{diags:?}");
    out
}

fn one(detection_yaml: &str) -> Expr {
    ids(detection_yaml).remove(0).1
}

fn pred(e: &Expr) -> &Predicate {
    match e {
        Expr::Pred(p) => p,
        other => panic!("not a predicate: {other:?}"),
    }
}

fn strs(values: &[Value]) -> Vec<String> {
    values.iter().map(Value::to_text).collect()
}

#[test]
fn crackmapexec_style_escapes() {
    let e = one(r"sel:
  CommandLine|contains: 'cmd.exe /Q /c * 1> \\\\*\\*\\* 2>&1'
");
    let p = pred(&e);
    assert_eq!(p.op, Operator::Wildcard);
    assert_eq!(strs(&p.values), [r"*cmd.exe /Q /c * 1> \\\\*\\*\\* 2>&1*"]);
    assert_eq!(p.modifiers, ["contains"]);
}

#[test]
fn question_mark_in_urls_is_a_wildcard() {
    let p = one("sel:\n  cs-uri-query|contains: '/index.php?id='\n");
    assert_eq!(pred(&p).op, Operator::Wildcard);
    assert_eq!(strs(&pred(&p).values), ["*/index.php?id=*"]);
}

#[test]
fn stacked_wide_base64offset_contains() {
    let e = one("sel:\n  CommandLine|wide|base64offset|contains: 'ping'\n");
    let p = pred(&e);
    assert_eq!(p.modifiers, ["wide", "base64offset", "contains"]);
    assert_eq!(p.values.len(), 3);
    assert!(
        strs(&p.values)
            .iter()
            .all(|v| v.starts_with('*') && v.ends_with('*'))
    );
    assert_eq!(strs(&p.values)[0], "*cABpAG4AZw*");
}

#[test]
fn fieldref_compares_two_fields() {
    let p = one("sel:\n  TargetFilename|fieldref: Image\n");
    assert_eq!(
        (pred(&p).op, strs(&pred(&p).values)),
        (Operator::FieldRef, vec!["Image".to_owned()])
    );
}

#[test]
fn expand_keeps_placeholders() {
    let p = one("sel:\n  User|expand: '%AdminUsers%'\n");
    assert_eq!(pred(&p).op, Operator::Eq);
    assert_eq!(strs(&pred(&p).values), ["%AdminUsers%"]);
    assert_eq!(pred(&p).modifiers, ["expand"]);
}

#[test]
fn fieldless_all_keyword_lists() {
    let e = one("keywords:\n  '|all':\n    - 'sudo'\n    - '*--chroot*'\n");
    let Expr::And { items } = &e else {
        panic!("{e:?}")
    };
    let kinds: Vec<(Operator, bool)> = items
        .iter()
        .map(|i| match i {
            Expr::Keyword(Keyword { op, match_all, .. }) => (*op, *match_all),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds, [(Operator::Eq, true), (Operator::Wildcard, true)]);
}

#[test]
fn plain_keyword_lists_are_or() {
    let e = one("keywords:\n  - 'error one'\n  - 'fail*'\n");
    assert!(matches!(&e, Expr::Or { items } if items.len() == 2));
}

#[test]
fn null_among_other_values_is_an_alternative_absence() {
    let e = one("sel:\n  OriginalFileName:\n    - null\n    - ''\n");
    let Expr::Or { items } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(pred(&items[0]).values, [Value::from("")]);
    assert!(matches!(&items[1], Expr::Not { item } if pred(item).op == Operator::Exists));
}

#[test]
fn null_and_empty_string_values() {
    let e = one("sel:\n  CommandLine: null\n  Description: ''\n");
    let Expr::And { items } = &e else {
        panic!("{e:?}")
    };
    // Regression (issue 11): `field: null` was the string "null"; it is `not exists`.
    let Expr::Not { item } = &items[0] else {
        panic!("{:?}", items[0])
    };
    assert_eq!(
        (pred(item).op, pred(item).values.len()),
        (Operator::Exists, 0)
    );
    assert_eq!(
        (pred(&items[1]).op, pred(&items[1]).values.clone()),
        (Operator::Eq, vec![Value::from("")])
    );
}

#[test]
fn values_ending_in_a_lone_backslash() {
    let e =
        one("sel:\n  TargetFilename|startswith: 'C:\\Users\\Public\\'\n  Image: 'C:\\Temp\\'\n");
    let Expr::And { items } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(strs(&pred(&items[0]).values), [r"C:\\Users\\Public\\*"]);
    assert_eq!(strs(&pred(&items[1]).values), [r"C:\Temp\"]);
}

#[test]
fn numbers_keep_their_type_and_quoted_numbers_stay_strings() {
    let e = one("sel:\n  EventID: 4688\n  Code: '4688'\n");
    let Expr::And { items } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(pred(&items[0]).values, [Value::Int(4688)]);
    assert_eq!(pred(&items[1]).values, [Value::from("4688")]);
}

#[test]
fn mixed_lists_split_by_operator() {
    let e = one("sel:\n  Image:\n    - 'C:\\a.exe'\n    - '*\\b.exe'\n");
    let Expr::Or { items } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (pred(&items[0]).op, pred(&items[1]).op),
        (Operator::Eq, Operator::Wildcard)
    );
}

#[test]
fn all_modifier_and_lists_of_maps() {
    let p = one("sel:\n  CommandLine|contains|all: [' -a', ' -b']\n");
    assert!(pred(&p).match_all);
    let e = one("sel:\n  - Image|endswith: '\\x.exe'\n  - OriginalFileName: 'x.exe'\n");
    assert!(matches!(&e, Expr::Or { items } if items.len() == 2));
}

#[test]
fn windash_with_all_keeps_every_value_required() {
    let e = one("sel:\n  CommandLine|windash|contains|all: [' -a', ' -b']\n");
    let Expr::And { items } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(items.len(), 2);
    assert_eq!(pred(&items[0]).values.len(), 5);
}

#[test]
fn regex_flags_cidr_exists_compare_cased() {
    let e = one(
        "sel:\n  A|re|i|s: '^x.*$'\n  B|cidr: '10.0.0.0/8'\n  C|exists: false\n  D|gte: 10\n  E|cased: 'AbC'\n",
    );
    let Expr::And { items } = &e else {
        panic!("{e:?}")
    };
    assert!(pred(&items[0]).regex_flags.ignore_case && pred(&items[0]).regex_flags.dot_all);
    assert_eq!(pred(&items[1]).op, Operator::Cidr);
    assert!(matches!(&items[2], Expr::Not { item } if pred(item).op == Operator::Exists));
    assert_eq!(
        (pred(&items[3]).op, pred(&items[3]).values.clone()),
        (Operator::Gte, vec![Value::Int(10)])
    );
    assert!(pred(&items[4]).case_sensitive);
}

#[test]
fn unknown_modifier_is_opaque_with_a_diagnostic() {
    let docs = parse_documents("sel:\n  Image|sometimes: x\n  B: y\n", &Limits::default())
        .unwrap_or_default();
    let mut diags = Vec::new();
    let out = search_identifiers(&docs[0], &[], "t.yml", &mut diags);
    assert!(out[0].1.has_opaque());
    assert_eq!(
        diags.first().map(|d| d.code.as_str()),
        Some("sigma::unknown-modifier")
    );
    assert_eq!(diags.first().and_then(|d| d.span).map(|s| s.start), Some(7));
}

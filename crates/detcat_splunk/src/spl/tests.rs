use super::*;

fn cmds(text: &str) -> Vec<Command> {
    let parsed = parse(text);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    parsed.query.commands
}

fn search_of(text: &str) -> SearchExpr {
    let (expr, diags) = parse_search_expr(text);
    assert!(diags.is_empty(), "{diags:?}");
    expr.unwrap_or(SearchExpr::And(vec![]))
}

fn cmp(field: &str, op: CmpOp, pattern: &str) -> (String, CmpOp, String) {
    (field.to_owned(), op, pattern.to_owned())
}

fn as_cmp(e: &SearchExpr) -> (String, CmpOp, String) {
    match e {
        SearchExpr::Compare {
            field, op, value, ..
        } => (field.clone(), *op, value.pattern.clone()),
        other => panic!("not a comparison: {other:?}"),
    }
}

#[test]
fn pipeline_splits_on_top_level_pipes_only() {
    let c = cmds(r#"a="x|y" [search b=1 | head 1] | where match(c, "a|b") | table a ```x | y```"#);
    let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["search", "where", "table"]);
}

#[test]
fn generating_command_and_explicit_search() {
    assert_eq!(cmds("| tstats count")[0].name, "tstats");
    for text in ["search a=1", "a=1", "SEARCH a=1"] {
        let c = cmds(text);
        assert!(
            matches!(&c[0].kind, CommandKind::Search(Some(SearchExpr::Compare { field, .. })) if field == "a"),
            "{text}"
        );
    }
}

#[test]
fn or_binds_tighter_than_implicit_and() {
    let e = search_of("sourcetype=a OR source=b EventCode=1");
    let SearchExpr::And(items) = e else {
        panic!("{e:?}")
    };
    assert!(matches!(&items[0], SearchExpr::Or(o) if o.len() == 2));
    assert_eq!(as_cmp(&items[1]), cmp("EventCode", CmpOp::Eq, "1"));
}

#[test]
fn not_binds_tightest_and_groups_nest() {
    let e = search_of("a=1 NOT (b=2 OR c=3) AND d!=4");
    let SearchExpr::And(items) = e else {
        panic!("{e:?}")
    };
    assert_eq!(items.len(), 3);
    assert!(matches!(&items[1], SearchExpr::Not(inner) if matches!(**inner, SearchExpr::Or(_))));
    assert_eq!(as_cmp(&items[2]), cmp("d", CmpOp::Ne, "4"));
}

#[test]
fn lower_case_keywords_are_terms_in_search_syntax() {
    let e = search_of("a or b");
    assert!(
        matches!(&e, SearchExpr::And(items) if items.len() == 3),
        "{e:?}"
    );
}

#[test]
fn values_quoted_wildcards_and_spaced_equals() {
    let e = search_of(r#"TargetFilename = "*\\passff.tar" port= 389 x="""#);
    let SearchExpr::And(items) = e else { panic!() };
    assert_eq!(
        as_cmp(&items[0]),
        cmp("TargetFilename", CmpOp::Eq, r"*\\passff.tar")
    );
    assert_eq!(as_cmp(&items[1]), cmp("port", CmpOp::Eq, "389"));
    assert_eq!(as_cmp(&items[2]), cmp("x", CmpOp::Eq, ""));
}

#[test]
fn empty_value_before_next_comparison() {
    let e = search_of("a= b=c");
    let SearchExpr::And(items) = e else { panic!() };
    assert_eq!(as_cmp(&items[0]), cmp("a", CmpOp::Eq, ""));
    assert_eq!(as_cmp(&items[1]), cmp("b", CmpOp::Eq, "c"));
}

#[test]
fn in_lists_with_and_without_commas() {
    let e = search_of(r#"Processes.process IN (*create*, "*addfile*" *resume*)"#);
    let SearchExpr::In { field, values, .. } = e else {
        panic!()
    };
    assert_eq!(field, "Processes.process");
    let v: Vec<&str> = values.iter().map(|v| v.pattern.as_str()).collect();
    assert_eq!(v, ["*create*", "*addfile*", "*resume*"]);
}

#[test]
fn terms_directives_time_bounds_and_comparisons() {
    let e = search_of(r#"powershell "two words" TERM(10.0.0.1) earliest=-24h count>5"#);
    let SearchExpr::And(items) = e else { panic!() };
    assert!(
        matches!(&items[0], SearchExpr::Term { value, directive: None } if value.pattern == "powershell")
    );
    assert!(matches!(&items[1], SearchExpr::Term { value, .. } if value.quoted));
    assert!(matches!(&items[2], SearchExpr::Term { directive: Some(d), .. } if d == "TERM"));
    assert!(matches!(&items[3], SearchExpr::TimeBound { .. }));
    assert_eq!(as_cmp(&items[4]), cmp("count", CmpOp::Gt, "5"));
}

#[test]
fn tstats_parts() {
    let c = cmds(
        "| tstats summariesonly=true count min(_time) as firstTime values(Processes.process) from datamodel=Endpoint.Processes \
         where Processes.process_name=cmd.exe by Processes.dest Processes.user span=1h",
    );
    let CommandKind::Stats(s) = &c[0].kind else {
        panic!()
    };
    assert_eq!(s.datamodel.as_deref(), Some("Endpoint.Processes"));
    assert_eq!(s.by, ["Processes.dest", "Processes.user"]);
    assert!(s.options.contains(&("summariesonly".into(), "true".into())));
    assert!(s.options.contains(&("span".into(), "1h".into())));
    let outs: Vec<&str> = s.functions.iter().map(|f| f.output.as_str()).collect();
    assert_eq!(outs, ["count", "firstTime", "values(Processes.process)"]);
    assert!(
        matches!(&s.filter, Some(SearchExpr::Compare { field, .. }) if field == "Processes.process_name")
    );
}

#[test]
fn stats_function_aliases() {
    let c = cmds("x | stats dc(user) AS users, c by host");
    let CommandKind::Stats(s) = &c[1].kind else {
        panic!()
    };
    assert_eq!(s.functions[0].function, "dc");
    assert_eq!(s.functions[0].field.as_deref(), Some("user"));
    assert_eq!(s.functions[0].output, "users");
    assert_eq!(s.functions[1].function, "count");
    assert_eq!(s.by, ["host"]);
}

#[test]
fn where_precedence_and_calls() {
    let c = cmds(r#"x | where a="1" OR b>2 AND NOT like(lower(c), "%x%")"#);
    let CommandKind::Where(EvalExpr::Binary {
        op: BinOp::Or, rhs, ..
    }) = &c[1].kind
    else {
        panic!("{:?}", c[1])
    };
    let EvalExpr::Binary {
        op: BinOp::And,
        rhs: not,
        ..
    } = &**rhs
    else {
        panic!()
    };
    assert!(
        matches!(&**not, EvalExpr::Not { expr, .. } if matches!(&**expr, EvalExpr::Call { name, .. } if name == "like"))
    );
}

#[test]
fn where_in_and_like_operator() {
    let (e, d) = parse_eval_expr(r#"process_name in ("a.exe", "b.exe") and cmd LIKE "%x%""#);
    assert!(d.is_empty());
    let EvalExpr::Binary {
        op: BinOp::And,
        lhs,
        rhs,
        ..
    } = e
    else {
        panic!()
    };
    assert!(matches!(*lhs, EvalExpr::In { ref list, .. } if list.len() == 2));
    assert!(matches!(
        *rhs,
        EvalExpr::Binary {
            op: BinOp::Like,
            ..
        }
    ));
}

#[test]
fn eval_rex_regex_lookup_join_rename_from() {
    let c = cmds(
        r#"| from datamodel:"Endpoint.Processes" | eval a=lower(b), 'c d'=1 | rex field=x "(?<user>\w+)" | regex process!="(?i)x"
         | lookup local=t table in_f AS f OUTPUT o1 AS out1 o2 | join type=left f [search y=1] | rename a AS b, "c" as d | bin span=5m _time"#,
    );
    assert_eq!(
        c[0].kind,
        CommandKind::From {
            dataset: "Endpoint.Processes".into()
        }
    );
    assert!(matches!(&c[1].kind, CommandKind::Eval(a) if a.len() == 2 && a[1].field == "c d"));
    assert!(
        matches!(&c[2].kind, CommandKind::Rex { field: Some(f), groups, sed: false, .. } if f == "x" && groups == &["user"])
    );
    assert!(
        matches!(&c[3].kind, CommandKind::Regex { negated: true, pattern, .. } if pattern == "(?i)x")
    );
    assert_eq!(
        c[4].kind,
        CommandKind::Lookup {
            table: "table".into(),
            inputs: vec![lf("in_f", "f")],
            outputs: vec![lf("o1", "out1"), lf("o2", "o2")]
        }
    );
    assert!(
        matches!(&c[5].kind, CommandKind::Join { join_type, fields, sub: Some(_) } if join_type == "left" && fields == &["f"])
    );
    assert_eq!(
        c[6].kind,
        CommandKind::Rename(vec![("a".into(), "b".into()), ("c".into(), "d".into())])
    );
    assert_eq!(
        c[7].kind,
        CommandKind::Bucket {
            span: Some("5m".into())
        }
    );
}

#[test]
fn leftover_macros_are_nodes() {
    let c = cmds("`unknown` a=1 | `other_filter`");
    assert!(
        matches!(&c[0].kind, CommandKind::Search(Some(SearchExpr::And(items))) if matches!(items[0], SearchExpr::Macro { .. }))
    );
    assert_eq!(
        c[1].kind,
        CommandKind::Macro {
            name: "other_filter".into()
        }
    );
}

#[test]
fn errors_are_diagnostics_not_panics() {
    for text in [
        "a=(",
        "| where (",
        "| where a=",
        "NOT",
        "a OR",
        ")",
        "| | |",
        "[",
        "a IN (b",
        "| stats count(",
        "\"x",
    ] {
        let p = parse(text);
        assert!(!p.diagnostics.is_empty(), "{text}: expected a diagnostic");
    }
}

#[test]
fn deep_nesting_is_cut_off_with_a_diagnostic() {
    let deep = format!("{}a=1{}", "(".repeat(5000), ")".repeat(5000));
    let p = parse(&deep);
    assert!(p.diagnostics.iter().any(|d| d.code == "splunk::too-deep"));
    let nots = "NOT ".repeat(5000) + "a";
    assert!(
        parse(&nots)
            .diagnostics
            .iter()
            .any(|d| d.code == "splunk::too-deep")
    );
    let subs = format!("{}x{}", "[search ".repeat(500), "]".repeat(500));
    assert!(
        parse(&subs)
            .diagnostics
            .iter()
            .any(|d| d.code == "splunk::too-deep")
    );
    let where_deep = format!("| where {}a{}", "(".repeat(5000), ")".repeat(5000));
    assert!(
        parse(&where_deep)
            .diagnostics
            .iter()
            .any(|d| d.code == "splunk::too-deep")
    );
}

fn lf(column: &str, field: &str) -> crate::spl::LookupField {
    crate::spl::LookupField {
        column: column.into(),
        field: field.into(),
    }
}

#[test]
fn quoted_field_before_in_is_a_list() {
    // Regression (07eed200 …): `"parameters.doc_title" IN (…)` was read as bare keywords.
    let (e, d) = crate::spl::parse_search_expr(r#""a.b" IN ("x", "y") c=1"#);
    assert!(d.is_empty(), "{d:?}");
    let Some(SearchExpr::And(items)) = e else {
        panic!("{e:?}")
    };
    assert!(
        matches!(&items[0], SearchExpr::In { field, values, .. } if field == "a.b" && values.len() == 2)
    );
}

#[test]
fn escaped_quote_in_an_unquoted_term_does_not_open_a_string() {
    // Regression (3c6bd734, cce357cf): the `"` after `\` swallowed the rest of the pipeline.
    let parsed = crate::spl::parse(r#"x=*\"privileged\":true* | stats count by x | `m_filter`"#);
    assert_eq!(
        parsed.query.commands.len(),
        3,
        "{:?}",
        parsed.query.commands
    );
    assert!(matches!(
        parsed.query.commands[2].kind,
        CommandKind::Macro { .. }
    ));
}

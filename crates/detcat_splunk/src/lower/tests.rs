use detcat_model::{AggKind, Expr, Operator, RangeOp, Value};

use super::*;

fn lowered(q: &str) -> Lowered {
    let parsed = crate::spl::parse(q);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    lower(&parsed.query, q, &crate::lookups::LookupTables::default())
}

fn expr(q: &str) -> Expr {
    lowered(q).expr
}

/// `field op value` of every indicator, as text.
fn indicators(e: &Expr) -> Vec<String> {
    e.indicators()
        .map(|p| {
            format!(
                "{} {} {}",
                p.field,
                p.op,
                p.values
                    .iter()
                    .map(Value::to_text)
                    .collect::<Vec<_>>()
                    .join(",")
            )
        })
        .collect()
}

fn exclusions(e: &Expr) -> Vec<String> {
    e.exclusions()
        .map(|p| {
            format!(
                "{} {} {}",
                p.field,
                p.op,
                p.values
                    .iter()
                    .map(Value::to_text)
                    .collect::<Vec<_>>()
                    .join(",")
            )
        })
        .collect()
}

#[test]
fn search_terms_become_case_insensitive_predicates_and_exclusions() {
    let e = expr(
        r#"sourcetype=sysmon EventCode=1 Image="*\\regsvr32.exe" NOT ParentImage="C:\\Windows\\explorer.exe""#,
    );
    assert_eq!(
        indicators(&e),
        [
            "sourcetype eq sysmon",
            "EventCode eq 1",
            r"Image wildcard *\\regsvr32.exe"
        ]
    );
    assert_eq!(exclusions(&e), [r"ParentImage eq C:\Windows\explorer.exe"]);
    let p = e.predicates()[1].0;
    assert_eq!(p.values, vec![Value::Int(1)]);
    assert!(!p.case_sensitive);
}

#[test]
fn exists_not_equal_and_in() {
    let e = expr("a=* b!=* c!=x d IN (x, \"y*\")");
    let preds = e.predicates();
    assert_eq!(preds[0].0.op, Operator::Exists);
    assert!(
        preds[1].1 && preds[1].0.op == Operator::Exists,
        "b!=* is not-exists"
    );
    assert!(preds[2].1 && preds[2].0.modifiers == ["!="]);
    assert_eq!(preds[3].0.op, Operator::Wildcard);
    assert_eq!(preds[3].0.values, vec![Value::from("x"), Value::from("y*")]);
}

#[test]
fn bare_terms_are_keywords_and_time_bounds_vanish() {
    let e = expr(r#"powershell "-enc *" earliest=-24h"#);
    let Expr::And { items } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(items.len(), 2);
    assert!(matches!(&items[0], Expr::Keyword(k) if k.op == Operator::Match));
    assert!(matches!(&items[1], Expr::Keyword(k) if k.op == Operator::Wildcard));
}

#[test]
fn tstats_gives_datamodel_and_where_predicates() {
    let l = lowered(
        "| tstats count from datamodel=Endpoint.Processes where (Processes.process_name=regsvr32.exe OR Processes.original_file_name=REGSVR32.EXE) \
         Processes.process=*scrobj* by Processes.dest | rename Processes.* AS * | table dest",
    );
    assert_eq!(l.datamodels, ["Endpoint.Processes"]);
    assert_eq!(indicators(&l.expr).len(), 3);
    assert!(!l.expr.has_opaque());
    let names: Vec<&str> = l.commands.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["tstats", "rename", "table"]);
}

#[test]
fn where_functions() {
    let e = expr(
        r#"x=1 | where like(process, "%\\Temp\\%") AND match(cmd, "(?i)-e(nc)?\s") AND isnotnull(user) AND NOT isnull(host)
           AND in(name, "a.exe", "b.exe") AND cidrmatch("10.0.0.0/8", src) AND lower(image)="c:\\x.exe" AND user==src_user"#,
    );
    let preds = e.predicates();
    let show: Vec<String> = preds
        .iter()
        .map(|(p, neg)| {
            format!(
                "{}{} {} {:?} cs={}",
                if *neg { "!" } else { "" },
                p.field,
                p.op,
                p.values,
                p.case_sensitive
            )
        })
        .collect();
    assert_eq!(
        show,
        [
            "x eq [Int(1)] cs=false",
            r#"process wildcard [Str("*\\\\Temp\\\\*")] cs=true"#,
            r#"cmd regex_match [Str("(?i)-e(nc)?\\s")] cs=false"#,
            "user exists [] cs=true",
            "host exists [] cs=true",
            r#"name eq [Str("a.exe"), Str("b.exe")] cs=true"#,
            r#"src cidr [Str("10.0.0.0/8")] cs=true"#,
            r#"image eq [Str("c:\\x.exe")] cs=false"#,
            r#"user field_ref [Str("src_user")] cs=true"#,
        ]
    );
    assert!(preds[2].0.regex_flags.ignore_case);
}

#[test]
fn where_not_is_an_exclusion() {
    let e = expr(r#"EventCode=1 | where NOT (process_name="a.exe" OR like(process, "%b%"))"#);
    assert_eq!(
        exclusions(&e),
        ["process_name eq a.exe", r"process wildcard *b*"]
    );
}

#[test]
fn unknown_functions_are_computed() {
    let e = expr("x=1 | where len(process) > 100");
    let Expr::And { items } = &e else { panic!() };
    assert!(
        matches!(&items[1], Expr::Computed(c) if c.function == "len" && c.fields == ["process"])
    );
}

#[test]
fn stats_threshold_is_an_aggregation_over_the_filters() {
    let e = expr(
        "EventCode=4625 NOT user=svc | bucket span=5m _time | stats dc(user) as users by src, _time | where users > 10",
    );
    let Expr::Aggregation(agg) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(agg.kind, AggKind::ValueCount);
    assert_eq!(agg.fields, ["user"]);
    assert_eq!(agg.group_by, ["src", "_time"]);
    assert_eq!(agg.timespan.as_deref(), Some("5m"));
    assert_eq!(
        agg.condition.as_ref().map(|c| (c.op, c.value)),
        Some((RangeOp::Gt, 10.0))
    );
    assert_eq!(
        exclusions(&e),
        ["user eq svc"],
        "exclusions are seen through the aggregation"
    );
}

#[test]
fn tstats_count_threshold() {
    let e = expr(
        "| tstats count from datamodel=Authentication where Authentication.action=failure by Authentication.src | where count >= 20 AND src!=\"-\"",
    );
    let Expr::And { items } = &e else {
        panic!("{e:?}")
    };
    assert!(
        matches!(&items[0], Expr::Aggregation(a) if a.kind == AggKind::EventCount && a.input.is_some())
    );
    assert_eq!(exclusions(&e), ["src eq -"]);
}

#[test]
fn derived_fields_are_computed_and_lookups_opaque() {
    let e = expr(
        "x=1 | eval len=len(cmd) | rex field=cmd \"(?<exe>\\w+)\" | lookup allow.csv name AS exe OUTPUT allowed \
         | where len > 10 AND exe=\"a\" AND isnull(allowed)",
    );
    let Expr::And { items } = &e else {
        panic!("{e:?}")
    };
    assert!(
        matches!(&items[1], Expr::Opaque(o) if o.fields == ["exe", "allowed"]),
        "{:?}",
        items[1]
    );
    assert!(
        matches!(&items[2], Expr::Computed(c) if c.function == "eval" && c.fields == ["len", "cmd"])
    );
    assert!(matches!(&items[3], Expr::Computed(c) if c.function == "rex"));
    assert!(
        matches!(&items[4], Expr::Not { item } if matches!(&**item, Expr::Computed(c) if c.function == "lookup"))
    );
    assert_eq!(indicators(&e), ["x eq 1"]);
}

#[test]
fn lookups_never_tested_are_dropped() {
    assert!(!expr("x=1 | lookup t a OUTPUT b | table a b").has_opaque());
}

#[test]
fn joins_and_appends() {
    let e = expr("a=1 | join dest [search b=2 NOT c=3]");
    assert_eq!(indicators(&e), ["a eq 1", "b eq 2"]);
    assert_eq!(exclusions(&e), ["c eq 3"]);
    // An outer/left join only enriches: no node until a later filter reads what it brings.
    let e = expr("a=1 | join type=left dest [search b=2]");
    assert_eq!(indicators(&e), ["a eq 1"]);
    assert!(!e.has_opaque());
    let e = expr(
        "a=1 | join type=outer dest [search b=2 | stats count as seen by dest] | where seen > 3",
    );
    assert!(
        matches!(&e, Expr::And { items } if matches!(&items[1], Expr::Opaque(o) if o.fields == ["b"]))
    );
    // A field computed from a joined one depends on the join too.
    let l = lowered(
        "a=1 | join type=outer user [search b=2] | eval new=if(isnull(firstseen), 1, 0) | where new=1",
    );
    assert!(l.expr.has_opaque());
    assert!(
        l.diagnostics
            .iter()
            .any(|d| d.code == "splunk::join-not-normalized")
    );
    let e = expr("a=1 | append [search b=2]");
    assert!(matches!(&e, Expr::Or { items } if items.len() == 2));
}

#[test]
fn regex_command() {
    let e = expr(r#"a=1 | regex process="(?i)\\\\temp\\\\" | regex _raw!="x""#);
    let preds = e.predicates();
    assert_eq!(preds[1].0.op, Operator::RegexMatch);
    assert_eq!(preds[1].0.values, vec![Value::from(r"(?i)\\temp\\")]);
    assert!(preds[1].0.regex_flags.ignore_case);
    assert!(preds[2].1);
}

#[test]
fn unknown_commands_are_opaque_with_fields_and_a_warning() {
    let l = lowered("a=1 | anomalydetection user | apply model");
    let Expr::And { items } = &l.expr else {
        panic!()
    };
    assert!(
        matches!(&items[1], Expr::Opaque(o) if o.fields == ["user"] && o.reason == "SPL command `anomalydetection`")
    );
    assert_eq!(l.diagnostics.len(), 2);
}

#[test]
fn transaction_is_a_grouping_with_thresholds() {
    let e = expr("a=1 | transaction dest maxpause=5m | where eventcount>=5");
    let Expr::Aggregation(agg) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(agg.kind, AggKind::EventCount);
    assert_eq!(agg.group_by, ["dest"]);
    assert_eq!(agg.timespan.as_deref(), Some("5m"));
    assert_eq!(agg.condition.as_ref().map(|c| c.op), Some(RangeOp::Gte));
    // `eval case(duration<30, …)` over a transaction tests its duration.
    let e = expr(r#"a=1 | transaction user | eval short=case(duration<30, "T") | search short=T"#);
    assert!(matches!(&e, Expr::Aggregation(a) if a.function.as_deref() == Some("duration")));
}

#[test]
fn transaction_bounds_are_a_sequence() {
    let e =
        expr("a=1 | transaction ObjectDN startswith=(EventCode=5137) endswith=(EventCode=5141)");
    let Expr::And { items } = &e else {
        panic!("{e:?}")
    };
    let Some(Expr::Sequence(seq)) = items.get(1) else {
        panic!("{e:?}")
    };
    assert_eq!(seq.by, ["ObjectDN"]);
    assert_eq!(seq.steps.len(), 2);
    assert!(!e.has_opaque());
    assert_eq!(
        indicators(&e),
        ["a eq 1", "EventCode eq 5137", "EventCode eq 5141"]
    );
}

#[test]
fn rare_and_top_are_aggregations() {
    let e = expr("a=1 | rare limit=5 process_name by dest");
    let Expr::Aggregation(agg) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(agg.function.as_deref(), Some("rare"));
    assert_eq!(agg.group_by, ["process_name", "dest"]);
    assert_eq!(indicators(&e), ["a eq 1"]);
}

#[test]
fn eval_case_conditions_lower_to_predicates() {
    // Regression (73cf5dcb): the conditions of a `case` a later filter tests are indicators.
    let e = expr(
        r#"EventCode=7 | eval x=case(OriginalFileName=="credui.dll", 1, OriginalFileName=="winhttp.dll", 1, 1=1, 0) | stats count by x | where x == 1"#,
    );
    assert_eq!(
        indicators(&e),
        [
            "EventCode eq 7",
            "OriginalFileName eq credui.dll",
            "OriginalFileName eq winhttp.dll"
        ]
    );
    // The first arm that holds wins: a later arm with the tested value excludes earlier ones.
    let e = expr(r#"a=1 | eval y=if(match(p, "x"), "no", "yes") | where y="yes""#);
    assert_eq!(indicators(&e), ["a eq 1"]);
    assert_eq!(exclusions(&e), ["p regex_match x"]);
}

#[test]
fn mltk_summary_fields_are_not_event_fields() {
    // Regression (0840ddf1): `join … [ summary model ]` then `where cardinality >= 16`.
    let l = lowered("a=1 | join user [ summary my_model ] | where cardinality >= 16");
    assert!(
        !l.expr
            .predicates()
            .iter()
            .any(|(p, _)| p.field == "cardinality")
    );
    assert!(
        l.expr
            .walk()
            .any(|e| matches!(e, Expr::Computed(c) if c.fields == ["cardinality"]))
    );
}

#[test]
fn append_subsearch_may_start_with_a_command() {
    // Regression (13f081d6 …): `append [ mstats … ]` has no leading pipe.
    let e = expr(
        "| mstats count(x) as n where index=m by a | append [ mstats count(x) as n where index=m by a ]",
    );
    let words: Vec<String> = e
        .walk()
        .filter_map(|x| match x {
            Expr::Keyword(k) => Some(k.values[0].to_text()),
            _ => None,
        })
        .collect();
    assert!(words.is_empty(), "{words:?}");
}

#[test]
fn a_query_of_only_opaque_parts_is_partial_not_failed() {
    let e = expr("| inputlookup x.csv");
    assert!(
        matches!(&e, Expr::And { items } if items.len() == 1 && matches!(items[0], Expr::Opaque(_)))
    );
}

#[test]
fn searchmatch_reads_search_syntax() {
    let e = expr(r#"x=1 | where searchmatch("process=*cmd* NOT user=system")"#);
    assert_eq!(exclusions(&e), ["user eq system"]);
}

#[test]
fn unknown_macro_is_opaque() {
    let e = expr("`nope` a=1");
    assert!(e.has_opaque());
    assert_eq!(indicators(&e), ["a eq 1"]);
}

#[test]
fn cidr_values_in_search_syntax() {
    let e = expr("dest_ip=10.0.0.0/8 src IN (192.168.0.0/16, fe80::/10) path=a/b");
    let ops: Vec<Operator> = e.predicates().iter().map(|(p, _)| p.op).collect();
    assert_eq!(ops, [Operator::Cidr, Operator::Cidr, Operator::Eq]);
}

fn with_lookups(q: &str) -> Lowered {
    let files = [
        detcat_model::SourceFile::new(
            "splunk/lookups/tools.yml",
            "name: tools\nfilename: tools.csv\nmatch_type: WILDCARD(name)\ncase_sensitive_match: 'false'\ndefault_match: 'false'\n",
        ),
        detcat_model::SourceFile::new(
            "splunk/lookups/tools.csv",
            "name,is_bad,kind\n*mimi*.exe,true,dump\npsexec.exe,true,lateral\nnotepad.exe,false,\n",
        ),
        detcat_model::SourceFile::new("splunk/lookups/seen.yml", "name: seen\ncollection: seen\n"),
    ];
    let (tables, _) = crate::lookups::load_lookups(&files);
    let parsed = crate::spl::parse(q);
    lower(&parsed.query, q, &tables)
}

#[test]
fn a_filter_on_a_lookup_output_is_an_in_lookup_predicate() {
    let l =
        with_lookups("a=1 | lookup tools name AS process_name OUTPUT is_bad | search is_bad=true");
    assert!(!l.expr.has_opaque(), "{:?}", l.expr);
    let preds = l.expr.predicates();
    let (p, negated) = preds[1];
    assert!(!negated);
    assert_eq!(p.field, "process_name");
    assert_eq!(p.op, Operator::Wildcard);
    assert_eq!(
        p.values,
        [Value::from("*mimi*.exe"), Value::from("psexec.exe")]
    );
    assert!(p.modifiers.contains(&"lookup:tools".to_owned()));
    assert!(!p.case_sensitive);
}

#[test]
fn lookup_not_equal_needs_a_match_and_default_match_fills_misses() {
    // `is_bad != false`: a row whose is_bad is not false (the default `false` of a miss fails).
    let l = with_lookups("a=1 | lookup tools name AS p OUTPUT is_bad | search is_bad!=false");
    assert_eq!(indicators(&l.expr)[1], "p wildcard *mimi*.exe,psexec.exe");
    // `is_bad=false` passes misses too: the events matching none of the other rows.
    let l = with_lookups("a=1 | lookup tools name AS p OUTPUT is_bad | where is_bad=\"false\"");
    assert_eq!(exclusions(&l.expr), ["p wildcard *mimi*.exe,psexec.exe"]);
    // `isnull(kind)` after `fillnull value=none kind`: the rows without a kind, and misses.
    let l = with_lookups(
        "a=1 | lookup tools name AS p OUTPUT kind | fillnull value=none kind | search kind=none",
    );
    assert_eq!(exclusions(&l.expr), ["p wildcard *mimi*.exe,psexec.exe"]);
}

#[test]
fn unresolvable_lookups_stay_opaque_with_a_reason() {
    let l = with_lookups("a=1 | lookup seen user OUTPUT firstTime | where isnull(firstTime)");
    assert!(l.expr.has_opaque());
    let d = l
        .diagnostics
        .iter()
        .find(|d| d.code == "splunk::lookup-not-normalized")
        .expect("a diagnostic");
    assert!(d.message.contains("no CSV"), "{}", d.message);
    assert!(d.span.is_some());
    // A lookup nobody tests is no filter at all.
    assert!(
        !with_lookups("a=1 | lookup seen user OUTPUT firstTime")
            .expr
            .has_opaque()
    );
}

#[test]
fn plain_tstats_subsearch_is_a_correlation_by_its_returned_fields() {
    let e = expr(
        "| tstats count from datamodel=P where P.name=cmd.exe by P.pid | search [| tstats count from datamodel=P where P.parent=cmd.exe P.name=reg.exe by P.ppid | rename P.ppid as pid | table pid]",
    );
    assert!(!e.has_opaque(), "{e:?}");
    let seq = e
        .walk()
        .find_map(|x| match x {
            Expr::Sequence(s) => Some(s),
            _ => None,
        })
        .expect("a sequence");
    assert_eq!(seq.by, ["pid"]);
    assert_eq!(
        indicators(&e),
        [
            "P.name eq cmd.exe",
            "P.parent eq cmd.exe",
            "P.name eq reg.exe"
        ]
    );
    // A subsearch over a baseline stays opaque, with its reason.
    let l = lowered("a=1 [| inputlookup baseline | table user]");
    assert!(l.expr.has_opaque());
}

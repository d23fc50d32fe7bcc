//! Evaluator behaviour per construct: operators, case, negation, lists, modifiers, unknowns,
//! cross-vendor field resolution, selectors and stateful rules.

use detcat_model::{
    AggKind, Aggregation, Comparison, Expr, Keyword, Opaque, Operator, Predicate, RangeOp,
    RegexFlags, SeqKind, SeqStep, Sequence, Value, Vendor,
};

use crate::read::{Format, read_bytes};
use crate::{Engine, EvalRule, Event, Verdict};

const SYSMON_1: &str = r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","TimeCreated":{"#attributes":{"SystemTime":"2025-01-01T00:00:00Z"}}},"EventData":{"Image":"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","CommandLine":"powershell.exe -NoP -enc SQBFAFgA","ParentImage":"C:\\Windows\\explorer.exe","User":"CORP\\alice","SourceIp":"10.1.2.3","DestinationPort":"443","ParentUser":"CORP\\alice","Empty":""}}}"##;

fn event(json: &str) -> Event {
    let mut out = read_bytes("test", json.as_bytes().to_vec(), Format::Jsonl);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    out.events.pop().unwrap_or_default()
}

fn rule(vendor: Vendor, expr: Expr) -> EvalRule {
    EvalRule {
        vendor,
        id: "r".into(),
        title: "t".into(),
        techniques: vec![],
        events: vec![],
        expr,
    }
}

fn verdict(vendor: Vendor, expr: Expr, json: &str) -> Verdict {
    let engine = Engine::new(vec![rule(vendor, expr)]);
    engine
        .rules()
        .first()
        .map_or(Verdict::NoMatch, |r| r.verdict(&event(json)))
}

fn p(field: &str, op: Operator, values: &[&str]) -> Predicate {
    Predicate::new(field, op, values.iter().map(|v| Value::from(*v)).collect())
}

fn sigma(pred: Predicate) -> Verdict {
    verdict(Vendor::Sigma, Expr::Pred(pred), SYSMON_1)
}

#[test]
fn eq_and_wildcard_ignore_case_unless_cased() {
    assert_eq!(
        sigma(p("image", Operator::Wildcard, &[r"*\\POWERSHELL.exe"])),
        Verdict::Fires
    );
    assert_eq!(
        sigma(p("User", Operator::Eq, &[r"corp\alice"])),
        Verdict::Fires
    );
    let mut cased = p("User", Operator::Eq, &[r"corp\alice"]);
    cased.case_sensitive = true;
    assert_eq!(sigma(cased), Verdict::NoMatch);
    assert_eq!(
        sigma(p("CommandLine", Operator::Eq, &["*"])),
        Verdict::NoMatch,
        "an eq star is a literal star"
    );
}

#[test]
fn all_and_any_lists() {
    let mut all = p("CommandLine", Operator::Wildcard, &["*-nop*", "*-enc*"]);
    all.match_all = true;
    assert_eq!(sigma(all.clone()), Verdict::Fires);
    all.values.push(Value::from("*-w hidden*"));
    assert_eq!(sigma(all), Verdict::NoMatch);
    assert_eq!(
        sigma(p(
            "CommandLine",
            Operator::Wildcard,
            &["*nothing*", "*-enc*"]
        )),
        Verdict::Fires
    );
}

#[test]
fn regex_uses_its_own_flags_and_elastic_anchors() {
    let mut r = p("Image", Operator::RegexMatch, &[r"powershell\.EXE$"]);
    assert_eq!(
        sigma(r.clone()),
        Verdict::NoMatch,
        "Sigma re is case-sensitive"
    );
    r.regex_flags = RegexFlags {
        ignore_case: true,
        ..RegexFlags::default()
    };
    assert_eq!(sigma(r.clone()), Verdict::Fires);
    assert_eq!(
        verdict(Vendor::Elastic, Expr::Pred(r), SYSMON_1),
        Verdict::NoMatch,
        "EQL regex matches the whole value"
    );
}

#[test]
fn cidr_numbers_exists_null_fieldref() {
    assert_eq!(
        sigma(p("SourceIp", Operator::Cidr, &["10.0.0.0/8"])),
        Verdict::Fires
    );
    assert_eq!(
        sigma(p("SourceIp", Operator::Cidr, &["192.168.0.0/16"])),
        Verdict::NoMatch
    );
    let gt = Predicate::new("DestinationPort", Operator::Gt, vec![Value::Int(400)]);
    assert_eq!(sigma(gt), Verdict::Fires);
    let lt = Predicate::new("DestinationPort", Operator::Lt, vec![Value::Int(400)]);
    assert_eq!(sigma(lt), Verdict::NoMatch);
    assert_eq!(sigma(p("Image", Operator::Exists, &[])), Verdict::Fires);
    assert_eq!(sigma(p("Nope", Operator::Exists, &[])), Verdict::NoMatch);
    let null = |f: &str| Predicate::new(f, Operator::Eq, vec![Value::Null]);
    assert_eq!(sigma(null("Nope")), Verdict::Fires, "absent is null");
    assert_eq!(sigma(null("Empty")), Verdict::Fires, "empty is null");
    assert_eq!(sigma(null("Image")), Verdict::NoMatch);
    assert_eq!(
        sigma(p("User", Operator::FieldRef, &["ParentUser"])),
        Verdict::Fires
    );
    assert_eq!(
        sigma(p("User", Operator::FieldRef, &["Image"])),
        Verdict::NoMatch
    );
}

#[test]
fn negation_and_keywords() {
    let not = Expr::not(Expr::Pred(p("Image", Operator::Wildcard, &["*\\cmd.exe"])));
    assert_eq!(verdict(Vendor::Sigma, not, SYSMON_1), Verdict::Fires);
    let kw = |v: &str| {
        Expr::Keyword(Keyword {
            op: Operator::Eq,
            values: vec![Value::from(v)],
            match_all: false,
            case_sensitive: false,
            modifiers: vec![],
            span: None,
        })
    };
    assert_eq!(verdict(Vendor::Sigma, kw("-ENC"), SYSMON_1), Verdict::Fires);
    assert_eq!(
        verdict(Vendor::Sigma, kw("mimikatz"), SYSMON_1),
        Verdict::NoMatch
    );
}

#[test]
fn unresolved_placeholder_and_opaque_are_undetermined_not_guessed() {
    let mut ph = p("User", Operator::Eq, &["%Admins%"]);
    ph.modifiers.push("expand".into());
    assert_eq!(sigma(ph.clone()), Verdict::Undetermined);
    let engine = Engine::new(vec![rule(Vendor::Sigma, Expr::Pred(ph))]);
    let reasons = engine.rules().first().map(|r| r.unknown_reasons().to_vec());
    assert_eq!(
        reasons,
        Some(vec!["unresolved placeholder %Admins%".to_owned()])
    );
    let opaque = Expr::Opaque(Opaque {
        text: "| lookup x".into(),
        reason: "lookup".into(),
        fields: vec![],
        span: None,
    });
    let sel = Expr::Pred(p("Image", Operator::Wildcard, &["*\\powershell.exe"]));
    let miss = Expr::Pred(p("Image", Operator::Wildcard, &["*\\cmd.exe"]));
    assert_eq!(
        verdict(
            Vendor::Splunk,
            Expr::and(vec![sel.clone(), opaque.clone()]),
            SYSMON_1
        ),
        Verdict::Undetermined
    );
    assert_eq!(
        verdict(
            Vendor::Splunk,
            Expr::and(vec![miss, opaque.clone()]),
            SYSMON_1
        ),
        Verdict::NoMatch,
        "false and unknown is false"
    );
    assert_eq!(
        verdict(Vendor::Splunk, Expr::or(vec![sel, opaque]), SYSMON_1),
        Verdict::Fires,
        "true or unknown is true"
    );
}

#[test]
fn elastic_and_splunk_names_resolve_on_a_sysmon_event() {
    let ecs = Expr::and(vec![
        Expr::Pred(p("event.type", Operator::Eq, &["start"])),
        Expr::Pred(p("host.os.type", Operator::Eq, &["windows"])),
        Expr::Pred(p("process.name", Operator::Eq, &["powershell.exe"])),
        Expr::Pred(p("process.args", Operator::Eq, &["-enc"])),
        Expr::Pred(p("process.parent.name", Operator::Eq, &["explorer.exe"])),
    ]);
    assert_eq!(verdict(Vendor::Elastic, ecs, SYSMON_1), Verdict::Fires);
    let spl = Expr::and(vec![
        Expr::Pred(p(
            "source",
            Operator::Eq,
            &["XmlWinEventLog:Microsoft-Windows-Sysmon/Operational"],
        )),
        Expr::Pred(p("EventCode", Operator::Eq, &["1"])),
        Expr::Pred(p(
            "Processes.process_name",
            Operator::Eq,
            &["powershell.exe"],
        )),
        Expr::Pred(p("Processes.process", Operator::Wildcard, &["*-enc *"])),
    ]);
    assert_eq!(verdict(Vendor::Splunk, spl, SYSMON_1), Verdict::Fires);
}

#[test]
fn selectors_keep_a_rule_on_its_event_kinds() {
    let mut r = rule(
        Vendor::Elastic,
        Expr::Pred(p("process.name", Operator::Eq, &["powershell.exe"])),
    );
    r.events = vec!["sysmon:3".into(), "endpoint:network".into()];
    let engine = Engine::new(vec![r]);
    let v = engine.rules().first().map(|c| c.verdict(&event(SYSMON_1)));
    assert_eq!(v, Some(Verdict::NotSelected));
    let wrong_category = Expr::and(vec![
        Expr::Pred(p("event.category", Operator::Eq, &["network"])),
        Expr::Pred(p("process.name", Operator::Eq, &["powershell.exe"])),
    ]);
    assert_eq!(
        verdict(Vendor::Elastic, wrong_category, SYSMON_1),
        Verdict::NoMatch
    );
}

fn lines(n: usize, user: &str) -> String {
    (0..n)
        .map(|i| {
            format!(
                r#"{{"@timestamp":"2025-01-01T00:00:{:02}Z","event":{{"category":"authentication","outcome":"failure"}},"user":{{"name":"{user}"}},"source":{{"ip":"10.0.0.{i}"}}}}"#,
                i * 10
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn stream_hits(expr: Expr, text: &str) -> (Vec<usize>, Option<String>) {
    let events = read_bytes("s", text.as_bytes().to_vec(), Format::Jsonl).events;
    let engine = Engine::new(vec![rule(Vendor::Elastic, expr)]);
    let hits = engine.run(&events, &|_| true);
    hits.into_iter()
        .next()
        .map_or((vec![], None), |h| (h.fired, h.not_evaluated))
}

fn count(kind: AggKind, gte: f64, span: Option<&str>) -> Expr {
    Expr::Aggregation(Aggregation {
        kind,
        function: None,
        input: Some(Box::new(Expr::Pred(p(
            "event.outcome",
            Operator::Eq,
            &["failure"],
        )))),
        rule_refs: vec![],
        fields: vec!["source.ip".into()],
        group_by: vec!["user.name".into()],
        timespan: span.map(str::to_owned),
        condition: Some(Comparison {
            op: RangeOp::Gte,
            value: gte,
        }),
        text: None,
    })
}

#[test]
fn thresholds_count_over_the_stream_with_windows() {
    let text = lines(5, "bob");
    assert_eq!(
        stream_hits(count(AggKind::EventCount, 5.0, None), &text).0,
        [4]
    );
    assert!(
        stream_hits(count(AggKind::EventCount, 6.0, None), &text)
            .0
            .is_empty()
    );
    assert!(
        stream_hits(count(AggKind::EventCount, 5.0, Some("30s")), &text)
            .0
            .is_empty(),
        "five events span 40s"
    );
    assert_eq!(
        stream_hits(count(AggKind::ValueCount, 3.0, None), &text).0,
        [2]
    );
    let nt = stream_hits(count(AggKind::NewTerms, 1.0, None), &text).1;
    assert!(
        nt.is_some_and(|r| r.contains("history")),
        "new_terms says why"
    );
}

#[test]
fn sequences_join_by_key_within_maxspan_until_cancels() {
    let step = |v: &str| SeqStep {
        category: None,
        expr: Expr::Pred(p("source.ip", Operator::Eq, &[v])),
        by: vec![],
        runs: None,
        missing: false,
    };
    let seq = |maxspan: Option<&str>, until: Option<&str>| {
        Expr::Sequence(Sequence {
            kind: SeqKind::Sequence,
            by: vec!["user.name".into()],
            maxspan: maxspan.map(str::to_owned),
            steps: vec![step("10.0.0.1"), step("10.0.0.3")],
            until: until.map(|u| Box::new(Expr::Pred(p("source.ip", Operator::Eq, &[u])))),
        })
    };
    let text = lines(5, "bob");
    assert_eq!(stream_hits(seq(None, None), &text).0, [3]);
    assert_eq!(stream_hits(seq(Some("30s"), None), &text).0, [3]);
    assert!(
        stream_hits(seq(Some("10s"), None), &text).0.is_empty(),
        "20s apart"
    );
    assert!(
        stream_hits(seq(None, Some("10.0.0.2")), &text).0.is_empty(),
        "until cancels"
    );
    let mut missing = seq(None, None);
    if let Expr::Sequence(s) = &mut missing
        && let Some(st) = s.steps.get_mut(1)
    {
        st.missing = true;
    }
    assert!(
        stream_hits(missing, &text).1.is_some(),
        "missing steps say they are not evaluated"
    );
}

#[test]
fn why_lists_the_predicates_that_held() {
    let expr = Expr::and(vec![
        Expr::Pred(p("Image", Operator::Wildcard, &[r"*\\powershell.exe"])),
        Expr::or(vec![
            Expr::Pred(p("CommandLine", Operator::Wildcard, &["*-nothing*"])),
            Expr::Pred(p("CommandLine", Operator::Wildcard, &["*-enc*"])),
        ]),
        Expr::not(Expr::Pred(p("User", Operator::Eq, &["SYSTEM"]))),
    ]);
    let engine = Engine::new(vec![rule(Vendor::Sigma, expr)]);
    let why = engine.rules().first().map(|r| r.why(&event(SYSMON_1)));
    assert_eq!(
        why,
        Some(vec![
            r"Image wildcard *\\powershell.exe".to_owned(),
            "CommandLine wildcard *-enc*".to_owned()
        ])
    );
}

#[test]
fn regression_defender_field_names_with_spaces() {
    // Defender 1119 writes `Threat Name`; the Sigma rule says `ThreatName`.
    let json = r#"{"Event":{"System":{"EventID":1119,"Channel":"Microsoft-Windows-Windows Defender/Operational"},"EventData":{"Threat Name":"Tool:Win32/EICAR_Test_File","Source Name":"Real-Time Protection"}}}"#;
    let expr = Expr::and(vec![
        Expr::Pred(p("ThreatName", Operator::Wildcard, &["*EICAR_Test_File"])),
        Expr::Pred(p("SourceName", Operator::Eq, &["Real-Time Protection"])),
    ]);
    assert_eq!(verdict(Vendor::Sigma, expr, json), Verdict::Fires);
}

/// The indexed run (event kinds, literal prefilter) must give what trying every rule on every
/// event gives: rules that are undetermined, negated, case-sensitive with non-ASCII literals,
/// null-matching, keyword searches and never-true rules included.
#[test]
fn indexed_run_agrees_with_every_rule_on_every_event() {
    let opaque = Expr::Opaque(Opaque {
        text: "| lookup x".into(),
        reason: "lookup".into(),
        fields: vec![],
        span: None,
    });
    let kw = |v: &str, case_sensitive: bool| {
        Expr::Keyword(Keyword {
            op: Operator::Eq,
            values: vec![Value::from(v)],
            match_all: false,
            case_sensitive,
            modifiers: vec![],
            span: None,
        })
    };
    let cased = |mut pred: Predicate| {
        pred.case_sensitive = true;
        Expr::Pred(pred)
    };
    let mut all = p("CommandLine", Operator::Wildcard, &["*-nop*", "*-enc*"]);
    all.match_all = true;
    let mut null = p("Missing", Operator::Eq, &["xyz"]);
    null.values.push(Value::Null);
    let ps = || Expr::Pred(p("Image", Operator::Wildcard, &["*\\powershell.exe"]));
    let exprs = vec![
        ps(),
        Expr::or(vec![
            Expr::Pred(p("Image", Operator::Wildcard, &["*\\nothing.exe"])),
            opaque.clone(),
        ]),
        Expr::and(vec![ps(), opaque]),
        Expr::not(Expr::Pred(p("Image", Operator::Wildcard, &["*\\cmd.exe"]))),
        cased(p("User", Operator::Eq, &["CORP\\alice"])),
        cased(p("User", Operator::Eq, &["corp\\alice"])),
        cased(p("CommandLine", Operator::Wildcard, &["*ſ*"])),
        Expr::Pred(p("CommandLine", Operator::Wildcard, &["*ǅ*"])),
        Expr::Pred(all),
        Expr::Pred(null),
        kw("SQBFAFgA", true),
        kw("sqbfafga", false),
        kw("sqbfafga", true),
        Expr::Const { value: false },
        Expr::or(vec![]),
        Expr::Pred(p("event.category", Operator::Eq, &["process"])),
        Expr::Pred(p("process.name", Operator::Eq, &["powershell.exe"])),
        Expr::Pred(p("process.args", Operator::Eq, &["-enc"])),
        Expr::Pred(p("DestinationPort", Operator::Gte, &["400"])),
        Expr::Pred(p("CommandLine", Operator::RegexMatch, &["-en[c]"])),
    ];
    let mut rules = Vec::new();
    for (i, expr) in exprs.into_iter().enumerate() {
        for (j, events) in [vec![], vec!["sysmon:1"], vec!["sysmon:*"], vec!["sysmon:3"]]
            .into_iter()
            .enumerate()
        {
            let mut r = rule(Vendor::Sigma, expr.clone());
            r.id = format!("{i}-{j}");
            r.events = events.into_iter().map(str::to_owned).collect();
            rules.push(r);
        }
    }
    let engine = Engine::new(rules);
    let upper = SYSMON_1.replace("powershell.exe -NoP", "POWERSHELL.EXE -NOP");
    let unicode = SYSMON_1.replace("-enc", "-ſ-ǆ");
    let flat =
        r#"{"CommandLine":"x -nop -enc", "Image":"C:\\powershell.exe", "User":"CORP\\alice"}"#;
    let text = [SYSMON_1, &upper, &unicode, flat].join("\n");
    let events = read_bytes("test", text.into_bytes(), Format::Jsonl).events;
    assert_eq!(events.len(), 4);
    let reference = every_rule_on_every_event(&engine, &events);
    assert!(reference.len() > 20, "{reference:?}");
    assert!(reference.iter().any(|h| h.undetermined > 0));
    assert_eq!(engine.run(&events, &|_| true), reference);
    let picked = engine.run(&events, &|r| r.rule.id.ends_with("-1"));
    let expect: Vec<_> = reference
        .iter()
        .filter(|h| engine.rules()[h.rule].rule.id.ends_with("-1"))
        .cloned()
        .collect();
    assert_eq!(picked, expect);
}

/// A stream fed in batches gives what it gives whole, and the indexed run (stateful plans
/// included, run only on the events that can change their state) gives what trying every rule
/// on every event gives: counts and sequences whose groups, partials and windows span
/// batches, filters with and without literals, an undetermined filter.
#[test]
fn stream_in_batches_agrees_with_the_whole_stream_and_every_rule() {
    let opaque = Expr::Opaque(Opaque {
        text: "| lookup x".into(),
        reason: "lookup".into(),
        fields: vec![],
        span: None,
    });
    let step = |v: &str| SeqStep {
        category: None,
        expr: Expr::Pred(p("source.ip", Operator::Eq, &[v])),
        by: vec![],
        runs: None,
        missing: false,
    };
    let seq = |until: Option<&str>| {
        Expr::Sequence(Sequence {
            kind: SeqKind::Sequence,
            by: vec!["user.name".into()],
            maxspan: None,
            steps: vec![step("10.0.0.1"), step("10.0.0.3")],
            until: until.map(|u| Box::new(Expr::Pred(p("source.ip", Operator::Eq, &[u])))),
        })
    };
    let user = |u: &str| Expr::Pred(p("user.name", Operator::Eq, &[u]));
    let exprs = vec![
        count(AggKind::EventCount, 5.0, None),
        count(AggKind::EventCount, 3.0, Some("25s")),
        count(AggKind::ValueCount, 3.0, None),
        count(AggKind::NewTerms, 1.0, None),
        seq(None),
        seq(Some("10.0.0.2")),
        Expr::and(vec![user("bob"), seq(None)]),
        Expr::and(vec![user("nobody"), count(AggKind::EventCount, 1.0, None)]),
        Expr::and(vec![opaque.clone(), count(AggKind::EventCount, 1.0, None)]),
        Expr::and(vec![
            Expr::or(vec![user("eve"), opaque]),
            count(AggKind::EventCount, 2.0, None),
        ]),
        Expr::Pred(p("source.ip", Operator::Eq, &["10.0.0.3"])),
    ];
    let rules: Vec<EvalRule> = exprs
        .into_iter()
        .enumerate()
        .map(|(i, expr)| {
            let mut r = rule(Vendor::Elastic, expr);
            r.id = i.to_string();
            r
        })
        .collect();
    let engine = Engine::new(rules);
    assert!(engine.index_stats().stateful_prefiltered > 0);
    let (bob, eve) = (lines(5, "bob"), lines(4, "eve"));
    let mut text: Vec<&str> = Vec::new();
    for (b, e) in bob.lines().zip(eve.lines().chain(std::iter::repeat(""))) {
        text.push(b);
        if !e.is_empty() {
            text.push(e);
        }
    }
    let events = read_bytes("s", text.join("\n").into_bytes(), Format::Jsonl).events;
    assert_eq!(events.len(), 9);
    let reference = every_rule_on_every_event(&engine, &events);
    assert!(reference.len() >= 8, "{reference:?}");
    let whole = engine.run(&events, &|_| true);
    assert_eq!(whole, reference);
    for size in [1, 2, 4] {
        let mut stream = engine.stream(&|_| true);
        let mut got = Vec::new();
        for batch in events.chunks(size) {
            got.extend(stream.feed(batch));
        }
        got.extend(stream.finish());
        let mut merged: Vec<crate::RuleHits> = Vec::new();
        got.sort_by_key(|h| h.rule);
        for h in got {
            match merged.last_mut() {
                Some(m) if m.rule == h.rule => {
                    m.fired.extend(h.fired);
                    m.undetermined += h.undetermined;
                }
                _ => merged.push(h),
            }
        }
        assert_eq!(merged, reference, "batches of {size}");
    }
}

/// The reference the indexed run is compared with: every rule tried on every event, keeping the
/// rules with something to report.
fn every_rule_on_every_event(engine: &Engine, events: &[Event]) -> Vec<crate::RuleHits> {
    engine
        .rules()
        .iter()
        .enumerate()
        .map(|(i, r)| crate::run_rule(i, r, events))
        .filter(|h| !h.fired.is_empty() || h.undetermined > 0 || h.not_evaluated.is_some())
        .collect()
}

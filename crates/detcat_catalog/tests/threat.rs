#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Threat-mapped scoring over the demo corpus (always) and the real corpora (`DETCAT_CORPUS`;
//! unset: those tests return early with a note; set to a missing path: they fail).
//!
//! The gap test recomputes every listed score from the JSON of the technique's page with its
//! own transcription of docs/scoring.md, so a change of formula that the documentation does
//! not follow fails here.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use detcat_catalog::views::RankBy;
use detcat_catalog::{
    BuildOptions, BuildReport, Catalog, Corpus, QueryOptions, TopFilter, build_in_memory,
};
use serde_json::Value;

fn demo() -> Catalog {
    Catalog::demo().unwrap()
}

fn page(c: &Catalog, id: &str) -> Value {
    let p = c.technique(id, QueryOptions::default()).unwrap().unwrap();
    serde_json::to_value(&p).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// docs/scoring.md, transcribed independently of `scoring.rs`.
fn documented_gap(technique: &Value) -> f64 {
    let threat = &technique["threat"];
    let inputs = &technique["priority"]["inputs"];
    let cov = &inputs["coverage"];
    let ln_sat = |n: f64, sat: f64| ((1.0 + n).ln() / (1.0 + sat).ln()).min(1.0);
    let users = f(&threat["groups"]) + f(&threat["software"]) + f(&threat["campaigns"]);
    let usage = ln_sat(users, 200.0);
    let threat_score = match threat["ctid"].get("rank") {
        Some(rank) => {
            let percentile = 1.0 - (f(rank) - 1.0) / f(&threat["ctid"]["ranked"]);
            (percentile + usage) / 2.0
        }
        None => usage,
    };
    let by_vendor = &cov["rules_by_vendor"];
    let vendors = ["sigma", "elastic", "splunk"]
        .iter()
        .filter(|v| f(&by_vendor[**v]) > 0.0)
        .count() as f64
        / 3.0;
    let rules = f(&cov["rules"]);
    let depth = ln_sat(rules, 20.0);
    let indicators = ln_sat(f(&cov["indicators"]), 50.0);
    let share = if rules == 0.0 {
        0.0
    } else {
        f(&cov["normalized"]) / rules
    };
    let coverage = (0.4 * vendors + 0.3 * depth + 0.3 * indicators) * (0.5 + 0.5 * share);
    threat_score * (1.0 - coverage)
}

/// `detcat top --by gap --limit n --json` is reproducible from each technique's page.
fn assert_gap_reproducible(c: &Catalog, n: usize) -> Vec<String> {
    let filter = TopFilter {
        limit: Some(n),
        ..TopFilter::default()
    };
    let top = serde_json::to_value(
        c.top(RankBy::Gap, &filter, QueryOptions::default())
            .unwrap(),
    )
    .unwrap();
    let rows = top["rows"].as_array().unwrap();
    assert_eq!(rows.len(), n.min(f(&top["matched"]) as usize));
    let mut previous = f64::INFINITY;
    let mut ids = Vec::new();
    for row in rows {
        let id = row["id"].as_str().unwrap();
        let t = &page(c, id)["technique"];
        let listed = f(&row["priority"]["score"]);
        let recomputed = documented_gap(t);
        assert!(
            (listed - recomputed).abs() < 1e-12,
            "{id}: listed {listed}, documented formula {recomputed}"
        );
        assert_eq!(
            f(&t["priority"]["score"]),
            listed,
            "{id}: page and list agree"
        );
        // The inputs are the page's own figures.
        assert_eq!(t["priority"]["inputs"]["groups"], t["threat"]["groups"]);
        assert_eq!(
            t["priority"]["inputs"]["ctid_cumulative"],
            t["threat"]["ctid"]
                .get("cumulative")
                .cloned()
                .unwrap_or(Value::Null)
        );
        assert!(listed <= previous, "{id}: ranked by gap, highest first");
        previous = listed;
        ids.push(id.to_owned());
    }
    ids
}

#[test]
fn demo_gap_ranking_is_reproducible_from_the_documented_formula() {
    let ids = assert_gap_reproducible(&demo(), 20);
    assert_eq!(
        ids.len(),
        6,
        "every active demo technique is listed: {ids:?}"
    );
}

#[test]
fn demo_technique_newer_than_the_ctid_data_is_not_scored() {
    let t = &page(&demo(), "T1059.001")["technique"];
    assert_eq!(t["threat"]["ctid"], Value::Null);
    assert_eq!(t["priority"]["components"]["ctid"], Value::Null);
    assert_eq!(
        t["priority"]["threat"],
        t["priority"]["components"]["usage"]
    );
}

#[test]
fn demo_revoked_ctid_id_scores_its_replacement() {
    let t = &page(&demo(), "T1218.010")["technique"];
    assert_eq!(t["threat"]["ctid"]["scored_as"], "T1117");
    assert_eq!(t["threat"]["ctid"]["rank"], 3);
    assert_eq!(t["threat"]["ctid"]["ranked"], 6);
}

#[test]
fn demo_parent_coverage_includes_its_subtechniques_rules_once() {
    let c = demo();
    let parent = page(&c, "T1218");
    let cov = &parent["technique"]["priority"]["inputs"]["coverage"];
    assert_eq!(cov["includes_subtechniques"], true);
    let own = f(&parent["rules_by_vendor"]["sigma"])
        + f(&parent["rules_by_vendor"]["elastic"])
        + f(&parent["rules_by_vendor"]["splunk"]);
    let sub = page(&c, "T1218.010");
    let sub_rules = f(&sub["technique"]["priority"]["inputs"]["coverage"]["rules"]);
    assert!(f(&cov["rules"]) >= own.max(sub_rules));
    assert!(f(&cov["rules"]) <= own + sub_rules);
}

#[test]
fn demo_top_filters_by_tactic_and_platform() {
    let c = demo();
    let by_name = TopFilter {
        tactic: Some("execution".into()),
        ..TopFilter::default()
    };
    let list = c
        .top(RankBy::Threat, &by_name, QueryOptions::default())
        .unwrap();
    assert_eq!(list.tactic.as_deref(), Some("TA0002"));
    assert!(
        list.rows
            .iter()
            .all(|r| r.tactics.contains(&"TA0002".into()))
    );
    assert!(list.rows.iter().any(|r| r.id == "T1059.001"));
    let linux = TopFilter {
        platform: Some("plan9".into()),
        ..TopFilter::default()
    };
    assert!(
        c.top(RankBy::Gap, &linux, QueryOptions::default())
            .unwrap()
            .rows
            .is_empty()
    );
    let bad = TopFilter {
        tactic: Some("no-such-tactic".into()),
        ..TopFilter::default()
    };
    assert!(c.top(RankBy::Gap, &bad, QueryOptions::default()).is_err());
}

#[test]
fn a_corpus_without_ctid_still_builds_and_scores_nothing() {
    let mut corpus = Corpus::demo();
    corpus.ctid.clear();
    let (conn, report) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
    assert_eq!(report.threat.ctid_file, None);
    let c = Catalog::from_connection(conn, "no ctid").unwrap();
    let t = &page(&c, "T1059")["technique"];
    assert_eq!(t["threat"]["ctid"], Value::Null);
    assert!(t["threat"]["groups"].is_u64());
    assert_gap_reproducible(&c, 20);
}

#[test]
fn a_broken_ctid_file_is_a_diagnostic_not_a_failed_build() {
    let mut corpus = Corpus::demo();
    corpus.ctid = vec![(
        "ctid/top-attack-techniques.json".into(),
        br#"[{"tid": "T1059", "cumulative_score": 1.0}, {"tid": 7}"#.to_vec(),
    )];
    let (_, report) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
    assert_eq!(report.threat.counts.scored, 0);
    assert!(
        report.threat.diagnostics[0].starts_with("ctid::invalid-file"),
        "{:?}",
        report.threat.diagnostics
    );
}

/// A damaged stored actor list or CTID score is an error of that technique's page, not a
/// technique nobody uses or CTID does not rank (both were read as empty).
#[test]
fn a_damaged_threat_row_is_an_error_not_an_empty_threat() {
    let catalog = demo();
    let scored = "T1218.010";
    let t = &page(&catalog, scored)["technique"];
    assert_eq!(t["threat"]["ctid"]["rank"], 3, "the demo scores {scored}");
    let damage = |column: &str| {
        catalog
            .sql_for_tests()
            .execute(
                &format!("UPDATE technique_threat SET {column} = '{{\"groups\": [' WHERE technique_id = ?1"),
                [scored],
            )
            .unwrap();
        let err = catalog
            .technique(scored, QueryOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("EOF while parsing"), "{column}: {err}");
    };
    damage("actors");
    damage("ctid");
    // An unranked technique (NULL score) and the other rows still read.
    assert_eq!(
        page(&catalog, "T1059.001")["technique"]["threat"]["ctid"],
        Value::Null
    );
}

// ---- the real corpora ----

fn full() -> Option<&'static Mutex<(Catalog, BuildReport)>> {
    static FULL: OnceLock<Mutex<(Catalog, BuildReport)>> = OnceLock::new();
    let Some(dir) = std::env::var_os("DETCAT_CORPUS") else {
        eprintln!("DETCAT_CORPUS is not set: skipping the corpus tests");
        return None;
    };
    let dir = PathBuf::from(dir);
    assert!(
        dir.is_dir(),
        "DETCAT_CORPUS={} does not exist",
        dir.display()
    );
    Some(FULL.get_or_init(|| {
        let corpus = Corpus::read_dir(&dir).unwrap();
        let (conn, report) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
        Mutex::new((Catalog::from_connection(conn, "corpus").unwrap(), report))
    }))
}

#[test]
fn corpus_t1059_001_threat_figures() {
    let Some(full) = full() else { return };
    let guard = full.lock().unwrap();
    let t = &page(&guard.0, "T1059.001")["technique"];
    let th = &t["threat"];
    assert_eq!(
        (th["groups"].as_u64(), th["software"].as_u64()),
        (Some(83), Some(124))
    );
    assert_eq!(th["campaigns"].as_u64(), Some(16));
    assert_eq!(th["top_groups"].as_array().unwrap().len(), 10);
    assert_eq!(th["all_groups"].as_array().unwrap().len(), 83);
    assert!((f(&th["ctid"]["cumulative"]) - 0.948).abs() < 0.0005);
    assert_eq!(
        (th["ctid"]["rank"].as_u64(), th["ctid"]["ranked"].as_u64()),
        (Some(30), Some(625))
    );
    let parent = &page(&guard.0, "T1059")["technique"]["threat"]["ctid"];
    assert_eq!(parent["rank"], 1);
    assert!((f(&parent["cumulative"]) - 2.914).abs() < 0.0005);
}

#[test]
fn corpus_t1559_001_ctid_scores() {
    let Some(full) = full() else { return };
    let guard = full.lock().unwrap();
    let c = &page(&guard.0, "T1559.001")["technique"]["threat"]["ctid"];
    assert_eq!(f(&c["prevalence"]), 0.0);
    assert_eq!(f(&c["choke_point"]), 0.1);
    assert!((f(&c["cumulative"]) - 0.243).abs() < 0.0005);
    // Tied with T1134.003 at 0.24286; ties go by id.
    assert_eq!(c["rank"], 301);
}

#[test]
fn corpus_revoked_renamed_and_unscored_are_counted() {
    let Some(full) = full() else { return };
    let guard = full.lock().unwrap();
    let counts = &guard.1.threat.counts;
    assert_eq!(counts.records, 625);
    // T1574.002 (DLL Side-Loading) is revoked by T1574.001 (DLL), which has its own record.
    assert_eq!(counts.mapped_from_revoked, 1);
    assert_eq!(counts.scored, 624);
    assert_eq!(counts.renamed, 11);
    assert_eq!(counts.unplaced, 0);
    assert!(
        counts.unscored > 0,
        "v18.1 has techniques newer than the CTID data"
    );
    let dll = &page(&guard.0, "T1574.001")["technique"]["threat"]["ctid"];
    assert_eq!(dll["merged"], serde_json::json!(["T1574.002"]));
    assert_eq!(dll["renamed_from"], "DLL Search Order Hijacking");
}

#[test]
fn corpus_unscored_techniques_show_no_ctid_score() {
    let Some(full) = full() else { return };
    let guard = full.lock().unwrap();
    let list = guard
        .0
        .top(
            RankBy::Threat,
            &TopFilter::default(),
            QueryOptions::default(),
        )
        .unwrap();
    let unscored: Vec<_> = list
        .rows
        .iter()
        .filter(|r| r.domain == "enterprise-attack" && r.ctid_rank.is_none())
        .collect();
    assert_eq!(unscored.len(), guard.1.threat.counts.unscored);
    for r in unscored {
        assert_eq!(r.priority.components.ctid, None, "{}", r.id);
        assert_eq!(r.priority.threat, r.priority.components.usage, "{}", r.id);
    }
}

#[test]
fn corpus_gap_top_20_is_reproducible_from_the_documented_formula() {
    let Some(full) = full() else { return };
    let guard = full.lock().unwrap();
    let ids = assert_gap_reproducible(&guard.0, 20);
    eprintln!("top 20 by gap: {}", ids.join(" "));
}

// ---- the build-time coverage table against the query it replaced ----

/// Per technique: rules, sigma, elastic, splunk, normalized, indicators, events.
type Figures = std::collections::BTreeMap<String, [u64; 7]>;

/// What `technique_coverage` holds for one scope (`deprecated` 0 or 1).
fn stored_coverage(c: &Catalog, deprecated: i64) -> Figures {
    let mut stmt = c
        .sql_for_tests()
        .prepare(
            "SELECT technique_id, rules, by_vendor, normalized, indicators, events
             FROM technique_coverage WHERE deprecated = ?1",
        )
        .unwrap();
    stmt.query_map([deprecated], |r| {
        let by: Value = serde_json::from_str(&r.get::<_, String>(2)?).unwrap();
        let n = |v: &str| by[v].as_u64().unwrap();
        Ok((
            r.get::<_, String>(0)?,
            [
                r.get(1)?,
                n("sigma"),
                n("elastic"),
                n("splunk"),
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ],
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// The coverage query `detcat top` ran before the build counted it (1.5 s on the full
/// corpus): every rule under its technique and its parent, each rule once per technique.
fn coverage_by_sql(c: &Catalog, deprecated: i64) -> Figures {
    let active = if deprecated == 1 {
        "1"
    } else {
        "r.lifecycle = 'active'"
    };
    let set = format!(
        "WITH k AS (
            SELECT rt.technique_id AS k, rt.rid FROM rule_techniques rt
            UNION
            SELECT te.parent, rt.rid FROM rule_techniques rt JOIN techniques te ON te.id = rt.technique_id
            WHERE te.parent IS NOT NULL),
         s AS (SELECT k.k, k.rid, r.vendor, r.parse_status FROM k JOIN rules r ON r.rid = k.rid WHERE {active})"
    );
    let conn = c.sql_for_tests();
    let mut out = Figures::new();
    let sql = format!(
        "{set} SELECT k, COUNT(*), SUM(vendor = 'sigma'), SUM(vendor = 'elastic'), SUM(vendor = 'splunk'),
                      SUM(parse_status = 'normalized') FROM s GROUP BY k"
    );
    let mut stmt = conn.prepare(&sql).unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let f = |i| r.get::<_, u64>(i).unwrap();
        out.insert(r.get(0).unwrap(), [f(1), f(2), f(3), f(4), f(5), 0, 0]);
    }
    for (slot, sql) in [
        (
            5,
            "SELECT k, COUNT(*) FROM (SELECT DISTINCT s.k, t.field, t.operator, t.value
             FROM s JOIN triples t ON t.rid = s.rid AND t.role = 'indicator') GROUP BY k",
        ),
        (
            6,
            "SELECT k, COUNT(*) FROM (SELECT DISTINCT s.k, e.provider, e.event_id
             FROM s JOIN rule_events e ON e.rid = s.rid) GROUP BY k",
        ),
    ] {
        let mut stmt = conn.prepare(&format!("{set} {sql}")).unwrap();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let k: String = r.get(0).unwrap();
            out.get_mut(&k).unwrap()[slot] = r.get(1).unwrap();
        }
    }
    out
}

fn assert_coverage_table_matches_sql(c: &Catalog) {
    for deprecated in [0, 1] {
        let stored = stored_coverage(c, deprecated);
        let by_sql = coverage_by_sql(c, deprecated);
        assert!(!stored.is_empty());
        assert_eq!(
            stored, by_sql,
            "technique_coverage, deprecated = {deprecated}"
        );
    }
    // `top` and the technique page read the table.
    let list = c
        .top(
            RankBy::Rules,
            &TopFilter::default(),
            QueryOptions::default(),
        )
        .unwrap();
    let stored = stored_coverage(c, 0);
    for row in &list.rows {
        let cov = &row.priority.inputs.coverage;
        let want = stored.get(&row.id).copied().unwrap_or_default();
        assert_eq!(cov.rules, want[0], "{}", row.id);
        assert_eq!(cov.indicators, want[5], "{}", row.id);
        assert_eq!(cov.events, want[6], "{}", row.id);
    }
}

#[test]
fn demo_coverage_table_equals_the_query_it_replaced() {
    let c = demo();
    assert_coverage_table_matches_sql(&c);
    // T1218 has no rule of its own: its row is its sub-techniques' rules, a rule tagged with
    // both T1218.003 and T1218.010 counted once.
    let active = stored_coverage(&c, 0);
    let rules = |id: &str| active.get(id).map_or(0, |f| f[0]);
    assert!(rules("T1218") > 0);
    assert!(rules("T1218") < rules("T1218.003") + rules("T1218.010"));
}

#[test]
fn corpus_coverage_table_equals_the_query_it_replaced() {
    let Some(full) = full() else { return };
    let guard = full.lock().unwrap();
    assert_coverage_table_matches_sql(&guard.0);
    // The corpus has deprecated rules: the two scopes differ.
    let all = stored_coverage(&guard.0, 1);
    let active = stored_coverage(&guard.0, 0);
    assert!(all.iter().any(|(k, v)| active.get(k) != Some(v)));
}

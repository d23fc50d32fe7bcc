#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Catalog files: atomic writes, read-only opening, schema versions, corrupt files.

use detcat_catalog::{BuildOptions, Catalog, CatalogError, Corpus, Quiet, build_to_file};

mod common;

#[test]
fn build_writes_a_catalog_that_opens_and_replaces_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("detcat.db");
    let report = build_to_file(Corpus::demo(), &out, &BuildOptions::default(), &Quiet).unwrap();
    assert!(report.vendors.values().map(|v| v.rules).sum::<usize>() > 0);
    let catalog = Catalog::open(&out).unwrap();
    assert!(
        catalog
            .technique("T1559.001", Default::default())
            .unwrap()
            .is_some()
    );
    drop(catalog);
    // A second build replaces it; no temporary file stays behind.
    build_to_file(Corpus::demo(), &out, &BuildOptions::default(), &Quiet).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["detcat.db"]);
    // Built to a file, the side and search databases are temporary files: copied whole.
    assert_catalog_integrity(&rusqlite::Connection::open(&out).unwrap());
}

#[test]
fn the_timeline_shows_each_step_after_the_steps_it_waits_for() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("detcat.db");
    let report = build_to_file(Corpus::demo(), &out, &BuildOptions::default(), &Quiet).unwrap();
    let timeline = &report.timings.timeline;
    let at = |step: &str| {
        timeline
            .iter()
            .find(|m| m.step == step)
            .map(|m| m.at_ms)
            .unwrap_or_else(|| panic!("no {step:?} in {timeline:?}"))
    };
    assert!(timeline.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
    // Each pair: the second step cannot end before the first (a channel or a join orders
    // them), whatever the machine's speed.
    for (first, then) in [
        ("analysis: parsed", "main writer: files stored"),
        ("analysis: parsed", "analysis: mapped"),
        ("analysis: mapped", "main writer: rules stored"),
        ("main writer: rules stored", "main writer: committed"),
        (
            "search writer: committed",
            "main writer: search index copied",
        ),
        (
            "side writer: predicates committed",
            "main writer: predicates copied",
        ),
        ("side writer: triples stored", "main writer: triples copied"),
        (
            "main writer: triples copied",
            "main writer: technique pages stored",
        ),
        (
            "side writer: pages counted",
            "main writer: technique pages stored",
        ),
        ("main writer: optimized", "build: catalog in place"),
    ] {
        assert!(at(first) <= at(then), "{first} after {then}: {timeline:?}");
    }
    assert_eq!(
        timeline.last().map(|m| m.step.as_str()),
        Some("build: catalog in place")
    );
}

#[test]
fn a_failed_build_leaves_the_previous_catalog_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("detcat.db");
    build_to_file(Corpus::demo(), &out, &BuildOptions::default(), &Quiet).unwrap();
    let before = std::fs::read(&out).unwrap();
    let bad = BuildOptions {
        attack_files: vec![dir.path().join("missing-attack.json")],
        ..BuildOptions::default()
    };
    assert!(build_to_file(Corpus::demo(), &out, &bad, &Quiet).is_err());
    assert_eq!(
        std::fs::read(&out).unwrap(),
        before,
        "the old catalog is untouched"
    );
    assert!(Catalog::open(&out).is_ok());
}

#[test]
fn corrupt_and_foreign_files_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, b"this is not sqlite at all, just text").unwrap();
    let err = Catalog::open(&garbage)
        .err()
        .expect("garbage is no catalog");
    assert!(matches!(err, CatalogError::NotACatalog { .. }), "{err}");

    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); PRAGMA user_version = 7;")
        .unwrap();
    assert!(matches!(
        Catalog::open(&foreign),
        Err(CatalogError::NotACatalog { .. })
    ));

    let old = dir.path().join("old.db");
    rusqlite::Connection::open(&old)
        .unwrap()
        .execute_batch("CREATE TABLE meta (key, value); PRAGMA user_version = 999;")
        .unwrap();
    let err = Catalog::open(&old).err().unwrap();
    assert!(
        matches!(err, CatalogError::SchemaVersion { found: 999, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("rebuild"), "{err}");

    assert!(matches!(
        Catalog::open(&dir.path().join("absent.db")),
        Err(CatalogError::CatalogMissing(_))
    ));
}

#[test]
fn the_attack_release_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("detcat.db");
    build_to_file(Corpus::demo(), &out, &BuildOptions::default(), &Quiet).unwrap();
    let version = Catalog::open(&out).unwrap().meta("attack_version").unwrap();
    assert!(
        version
            .as_deref()
            .is_some_and(|v| v.starts_with(char::is_numeric)),
        "{version:?}"
    );
}

/// What the writer promises without the database enforcing it during the bulk load (foreign
/// keys are off, the link tables have no unique keys): every reference resolves, rows are
/// unique per rule, and the corpus reach stored on indicator rows equals a recount.
fn assert_catalog_integrity(conn: &rusqlite::Connection) {
    assert_expressions_are_serde_json(conn);
    let dangling: Vec<(String, i64)> = conn
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(dangling.is_empty(), "dangling references: {dangling:?}");
    for (table, key) in [
        ("rule_techniques", "rid, technique_id"),
        ("rule_tactics", "rid, tactic_id"),
        ("predicates", "rid, ord"),
        ("triples", "rid, role, field, operator, value"),
        ("rule_events", "rid, provider, event_id"),
    ] {
        let duplicates: i64 = conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY {key} HAVING count(*) > 1)"
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(duplicates, 0, "{table} has rows repeated per ({key})");
    }
    let wrong_reach: i64 = conn
        .query_row(
            "WITH counted AS (
                 SELECT t.field, t.operator, t.value,
                        COUNT(DISTINCT CASE WHEN r.lifecycle = 'active' THEN t.rid END) AS active,
                        COUNT(DISTINCT t.rid) AS total
                 FROM triples t JOIN rules r ON r.rid = t.rid
                 WHERE t.role = 'indicator' GROUP BY t.field, t.operator, t.value)
             SELECT count(*) FROM triples t JOIN counted c USING (field, operator, value)
             WHERE t.role = 'indicator' AND (t.reach <> c.active OR t.reach_all <> c.total)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        wrong_reach, 0,
        "indicator rows whose stored reach is not the recount"
    );
    let reach_outside_indicators: i64 = conn
        .query_row(
            "SELECT count(*) FROM triples WHERE role <> 'indicator' AND reach IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(reach_outside_indicators, 0);
    // `rule_heads` is the narrow copy lists read (technique pages, coverage): one row per
    // rule, each column equal to the rule's.
    let (rules, heads, differing): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM rules), (SELECT count(*) FROM rule_heads),
                    (SELECT count(*) FROM rules r JOIN rule_heads h USING (rid)
                     WHERE h.vendor <> r.vendor OR h.id <> r.id OR h.title <> r.title
                        OR h.lifecycle <> r.lifecycle OR h.path <> r.path
                        OR h.parse_status <> r.parse_status)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(rules > 0);
    assert_eq!(
        (heads, differing),
        (rules, 0),
        "rule_heads differs from rules"
    );
    // A rule's triples and predicates are the rowids first_..=last_ of their table (pages
    // read them so; neither table has an index on `rid`).
    assert_rule_ranges(conn, "triples", "triple");
    assert_rule_ranges(conn, "predicates", "predicate");
    // `triple_fields` is each distinct (field, rid) of `triples`, no more and no fewer.
    let (pairs, stored, unmatched): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM (SELECT DISTINCT field, rid FROM triples)),
                    (SELECT count(*) FROM triple_fields),
                    (SELECT count(*) FROM (SELECT field, rid FROM triple_fields
                                           EXCEPT SELECT field, rid FROM triples))",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(pairs > 0);
    assert_eq!(
        (stored, unmatched),
        (pairs, 0),
        "triple_fields differs from triples"
    );
    assert_search_index(conn, rules);
}

/// `rules.expr` is written by hand for the common nodes (`ingest/expr_json.rs`): every
/// stored expression must be what serde_json writes for the tree it reads back as.
fn assert_expressions_are_serde_json(conn: &rusqlite::Connection) {
    let mut stmt = conn.prepare("SELECT rid, expr FROM rules").unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .unwrap();
    let mut checked = 0;
    for row in rows {
        let (rid, stored) = row.unwrap();
        let expr: detcat_model::Expr = serde_json::from_str(&stored).unwrap();
        assert_eq!(
            serde_json::to_string(&expr).unwrap(),
            stored,
            "rule {rid}'s expression"
        );
        checked += 1;
    }
    assert!(checked > 0, "expressions were checked");
}

/// Every row of `table` lies in its own rule's range of rowids (`rules.first_{what}` ..=
/// `last_{what}`), and each range holds exactly its rule's rows.
fn assert_rule_ranges(conn: &rusqlite::Connection, table: &str, what: &str) {
    let in_range =
        format!("rules r JOIN {table} x ON x.rowid BETWEEN r.first_{what} AND r.last_{what}");
    let (rows, in_ranges, in_other_rules, miscounted): (i64, i64, i64, i64) = conn
        .query_row(
            &format!(
                "SELECT (SELECT count(*) FROM {table}),
                        (SELECT count(*) FROM {in_range}),
                        (SELECT count(*) FROM {in_range} WHERE x.rid <> r.rid),
                        (SELECT count(*) FROM rules r
                         LEFT JOIN (SELECT rid, count(*) AS n FROM {table} GROUP BY rid) c
                         USING (rid)
                         WHERE r.last_{what} - r.first_{what} + 1 <> COALESCE(c.n, 0))"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert!(rows > 0, "{table} is empty");
    assert_eq!(
        (in_ranges, in_other_rules, miscounted),
        (rows, 0, 0),
        "the rules' {what} ranges do not match the rows of {table}"
    );
}

/// The full-text index, built in the search writer's database and copied in through its
/// shadow tables: internally consistent, one document per rule, and each rule found by a word
/// of its title (every 25th rule; a phrase query, so the word's own tokens in order).
fn assert_search_index(conn: &rusqlite::Connection, rules: i64) {
    conn.execute(
        "INSERT INTO rules_fts (rules_fts, rank) VALUES ('integrity-check', 0)",
        [],
    )
    .expect("the copied full-text index is consistent");
    let documents: i64 = conn
        .query_row("SELECT count(*) FROM rules_fts_docsize", [], |r| r.get(0))
        .unwrap();
    assert_eq!(documents, rules, "one full-text document per rule");
    let bulk_settings: i64 = conn
        .query_row(
            "SELECT count(*) FROM rules_fts_config WHERE k = 'hashsize'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        bulk_settings, 0,
        "the build's hash size stays in its own database"
    );
    let titles: Vec<(i64, String)> = conn
        .prepare("SELECT rid, title FROM rules WHERE rid % 25 = 1")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut checked = 0;
    let mut find = conn
        .prepare("SELECT count(*) FROM rules_fts WHERE rules_fts MATCH ?1 AND rowid = ?2")
        .unwrap();
    for (rid, title) in titles {
        let Some(word) = title
            .split(|c: char| !c.is_alphanumeric())
            .find(|w| w.len() >= 4)
        else {
            continue;
        };
        let found: i64 = find
            .query_row(rusqlite::params![format!("title:\"{word}\""), rid], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(
            found, 1,
            "rule {rid} not found by {word:?} of its title {title:?}"
        );
        checked += 1;
    }
    assert!(checked > 0, "some titles were searched for");
}

#[test]
fn the_demo_catalog_keeps_its_references_unique_rows_and_reach() {
    let (conn, _) =
        detcat_catalog::build_in_memory(&Corpus::demo(), &BuildOptions::default()).unwrap();
    let indicators: i64 = conn
        .query_row(
            "SELECT count(*) FROM triples WHERE role = 'indicator'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(indicators > 0, "the demo has indicators to check");
    assert_catalog_integrity(&conn);
}

#[test]
fn the_full_catalog_keeps_its_references_unique_rows_and_reach() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let corpus = Corpus::read_dir(&dir).unwrap();
    let (conn, _) = detcat_catalog::build_in_memory(&corpus, &BuildOptions::default()).unwrap();
    assert_catalog_integrity(&conn);
}

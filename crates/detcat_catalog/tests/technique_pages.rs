#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `technique_pages` (issue 19): every technique page read from the stored aggregates is the
//! page counted with SQL from the rule tables, byte for byte as JSON — on the demo always,
//! on the real corpora under `DETCAT_CORPUS` (set to a missing path: the test fails).

use detcat_catalog::{BuildOptions, Catalog, Corpus, QueryOptions, build_in_memory};

mod common;
use common::corpus_dir;

/// Every technique id of the catalog (ATT&CK's and those only rules name), plus an id of
/// neither.
fn technique_ids(catalog: &Catalog) -> Vec<String> {
    let mut stmt = catalog
        .sql_for_tests()
        .prepare(
            "SELECT id FROM techniques UNION SELECT technique_id FROM rule_techniques
             UNION SELECT 'T9999.999' ORDER BY 1",
        )
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Compares the stored and the counted page of every technique; returns how many pages
/// were compared and how many had rules.
fn stored_equals_counted(catalog: &Catalog) -> (usize, usize) {
    let options = QueryOptions::default();
    let (mut compared, mut with_rules) = (0, 0);
    for id in technique_ids(catalog) {
        let stored = catalog.technique(&id, options).unwrap();
        let counted = catalog.technique_counted_for_tests(&id, options).unwrap();
        let stored = serde_json::to_string_pretty(&stored).unwrap();
        let counted = serde_json::to_string_pretty(&counted).unwrap();
        assert!(
            stored == counted,
            "{id}: the stored page differs from the counted one"
        );
        compared += 1;
        with_rules += usize::from(stored.contains("\"parse_status\""));
    }
    (compared, with_rules)
}

#[test]
fn demo_stored_pages_equal_counted_pages() {
    let catalog = Catalog::demo().unwrap();
    let (compared, with_rules) = stored_equals_counted(&catalog);
    assert!(compared >= 10, "{compared} techniques");
    assert!(with_rules >= 5, "{with_rules} techniques with rules");
}

#[test]
fn demo_every_technique_with_active_rules_has_a_stored_page() {
    let catalog = Catalog::demo().unwrap();
    let missing: i64 = catalog
        .sql_for_tests()
        .query_row(
            "SELECT count(DISTINCT rt.technique_id) FROM rule_techniques rt
             JOIN rules r ON r.rid = rt.rid
             WHERE r.lifecycle = 'active'
               AND rt.technique_id NOT IN (SELECT technique_id FROM technique_pages)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(missing, 0);
}

#[test]
fn corpus_stored_pages_equal_counted_pages() {
    let Some(dir) = corpus_dir() else { return };
    let corpus = Corpus::read_dir(&dir).unwrap();
    let (conn, _) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
    let catalog = Catalog::from_connection(conn, "corpus").unwrap();
    let (compared, with_rules) = stored_equals_counted(&catalog);
    assert!(compared > 800, "{compared} techniques");
    assert!(with_rules > 400, "{with_rules} techniques with rules");
}

/// A damaged stored page (or technique data) is an error of that page, decoded where SQLite
/// holds it: no panic, the decoder's complaint in the message, other pages unaffected.
#[test]
fn a_damaged_stored_page_is_an_error_of_that_page() {
    let catalog = Catalog::demo().unwrap();
    let options = QueryOptions::default();
    let ids: Vec<String> = {
        let mut stmt = catalog
            .sql_for_tests()
            .prepare("SELECT technique_id FROM technique_pages ORDER BY 1 LIMIT 2")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let [damaged, intact] = ids.as_slice() else {
        panic!("the demo has fewer than two stored pages: {ids:?}")
    };
    // Cut short (a page is a postcard blob), then no blob at all.
    for (page, complaint) in [("substr(page, 1, 3)", "end of buffer"), ("'text'", "Blob")] {
        catalog
            .sql_for_tests()
            .execute(
                &format!("UPDATE technique_pages SET page = {page} WHERE technique_id = ?1"),
                [damaged],
            )
            .unwrap();
        let err = catalog.technique(damaged, options).unwrap_err().to_string();
        assert!(err.contains(complaint), "{page}: {err}");
    }
    assert!(catalog.technique(intact, options).is_ok());
    catalog
        .sql_for_tests()
        .execute("UPDATE techniques SET data = '[' WHERE id = ?1", [intact])
        .unwrap();
    let err = catalog.technique(intact, options).unwrap_err().to_string();
    assert!(err.contains("EOF while parsing"), "{err}");
}

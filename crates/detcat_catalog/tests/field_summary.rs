//! Field pages read from the build-time `field_summary` equal the pages the per-rule queries
//! count (demo always; every field of the real corpora with `DETCAT_CORPUS`; unset: skipped
//! with a note, set to a missing path: fails).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use detcat_catalog::{BuildOptions, Catalog, Corpus, QueryOptions, build_in_memory};

/// Every field of `c` (of predicates and triples, and the taxonomy's), both scopes: the
/// stored page equals the counted one. Returns the number of fields compared.
fn assert_same_as_queries(c: &Catalog) -> usize {
    let fields: Vec<String> = c
        .sql_for_tests()
        .prepare(
            "SELECT canonical FROM predicates UNION SELECT field FROM triples
             UNION SELECT id FROM canonical_fields",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for f in &fields {
        for include_deprecated in [false, true] {
            let o = QueryOptions { include_deprecated };
            let stored = serde_json::to_value(c.field(f, o).unwrap()).unwrap();
            let counted = serde_json::to_value(c.field_by_query_for_tests(f, o).unwrap()).unwrap();
            assert_eq!(
                stored, counted,
                "field {f}, deprecated {include_deprecated}"
            );
        }
    }
    fields.len()
}

#[test]
fn demo_field_pages_equal_the_queries() {
    let c = Catalog::demo().unwrap();
    let n = assert_same_as_queries(&c);
    assert!(n > 20, "{n} fields compared");
}

#[test]
fn corpus_field_pages_equal_the_queries() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let corpus = Corpus::read_dir(&dir).unwrap();
    let (conn, _) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
    let c = Catalog::from_connection(conn, "corpus").unwrap();
    let n = assert_same_as_queries(&c);
    assert!(n > 500, "{n} fields compared");
    // The busiest fields and the keyword pseudo-field are among them.
    let image = c
        .field("process.image", QueryOptions::default())
        .unwrap()
        .unwrap();
    assert!(
        image.rules_by_vendor.total() > 1000,
        "{}",
        image.rules_by_vendor.total()
    );
    assert_eq!(image.rules.len(), 500);
    let keyword = c
        .field("keyword", QueryOptions::default())
        .unwrap()
        .unwrap();
    assert!(keyword.rules_by_vendor.total() > 50);
}

//! `value:` searches answered from the in-memory value index find exactly the rules the SQL
//! scan they replaced found (demo always; the real corpora with `DETCAT_CORPUS`, a sample of
//! their values; unset: skipped with a note, set to a missing path: fails).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use detcat_catalog::{BuildOptions, Catalog, Corpus, QueryOptions, build_in_memory};

/// Rule keys (`vendor/id`) the old SQL found for `value:V` (optionally `field:F` too, given
/// as the list of names the search resolves it to), active rules only.
fn by_sql(c: &Catalog, value: &str, fields: &[&str]) -> BTreeSet<String> {
    let like: String = value
        .to_lowercase()
        .chars()
        .flat_map(|ch| {
            let esc = matches!(ch, '%' | '_' | '\\').then_some('\\');
            esc.into_iter().chain(std::iter::once(ch))
        })
        .collect();
    let on_field = if fields.is_empty() {
        String::new()
    } else {
        let list = fields
            .iter()
            .map(|f| format!("'{}'", f.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(", ");
        format!("AND (field IN ({list}) OR raw_field IN ({list}))")
    };
    let sql = format!(
        "SELECT r.vendor || '/' || r.id FROM rules r WHERE r.lifecycle = 'active' AND r.rid IN
           (SELECT rid FROM triples WHERE (value = ?1 OR original = ?2
              OR value LIKE '%' || ?3 || '%' ESCAPE '\\') {on_field})"
    );
    let mut stmt = c.sql_for_tests().prepare(&sql).unwrap();
    stmt.query_map([value.to_lowercase(), value.to_owned(), like], |r| {
        r.get::<_, String>(0)
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn by_search(c: &Catalog, q: &str) -> BTreeSet<String> {
    let page = c.search(q, 0, 500, QueryOptions::default()).unwrap();
    assert!(
        page.total <= 500,
        "{q}: {} hits, more than one page",
        page.total
    );
    let hits: BTreeSet<String> = page
        .hits
        .iter()
        .map(|h| format!("{}/{}", h.rule.vendor, h.rule.id))
        .collect();
    assert_eq!(hits.len() as u64, page.total, "{q}");
    hits
}

/// The search `q` finds the rules `want` (compared by count past one page of 500).
fn check(c: &Catalog, q: &str, want: &BTreeSet<String>) {
    if want.len() > 500 {
        let page = c.search(q, 0, 1, QueryOptions::default()).unwrap();
        assert_eq!(page.total as usize, want.len(), "{q}");
    } else {
        assert_eq!(&by_search(c, q), want, "{q}");
    }
}

fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace('"', ""))
}

/// Checks every `step`-th distinct value (as written and canonical) of the catalog, bare and
/// with its field; returns how many searches were compared.
fn assert_same_as_sql(c: &Catalog, step: usize) -> usize {
    let rows: Vec<(String, String, String)> = c
        .sql_for_tests()
        .prepare(
            "SELECT field, value, original FROM triples
             GROUP BY value ORDER BY value",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut compared = 0;
    for (field, value, original) in rows.iter().step_by(step.max(1)) {
        for v in [value, original] {
            // Left out: values the query syntax cannot carry as one term.
            if v.contains('"') || v.trim().is_empty() || v.chars().any(char::is_whitespace) {
                continue;
            }
            check(c, &format!("value:{}", quoted(v)), &by_sql(c, v, &[]));
            // A canonical field id resolves to itself: the list is that one name.
            check(
                c,
                &format!("field:{} value:{}", quoted(field), quoted(v)),
                &by_sql(c, v, &[field.as_str()]),
            );
            compared += 2;
        }
    }
    compared
}

#[test]
fn demo_value_searches_find_what_the_sql_scan_found() {
    let c = Catalog::demo().unwrap();
    let compared = assert_same_as_sql(&c, 1);
    assert!(compared > 100, "{compared} searches compared");
    // Case, substrings and LIKE's special characters.
    assert_eq!(by_search(&c, "value:REGSVR32"), by_sql(&c, "REGSVR32", &[]));
    assert!(!by_search(&c, "value:regsvr32").is_empty());
    assert_eq!(by_search(&c, "value:%"), by_sql(&c, "%", &[]));
    assert_eq!(by_search(&c, "value:_"), by_sql(&c, "_", &[]));
    assert!(by_search(&c, "value:no-such-value-anywhere").is_empty());
}

#[test]
fn corpus_value_searches_find_what_the_sql_scan_found() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let corpus = Corpus::read_dir(&dir).unwrap();
    let (conn, _) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
    let c = Catalog::from_connection(conn, "corpus").unwrap();
    // One distinct value in 197: ~270 of them, each as canonical and as written, bare and
    // with its field.
    let compared = assert_same_as_sql(&c, 197);
    assert!(compared > 300, "{compared} searches compared");
    // A value holding quotes (`"/bin/dash";`): the rule page links its triple search without
    // them (the query syntax cannot carry `"`), and that search finds the rule.
    let hits = by_search(&c, "field:process.args op:eq value:/bin/dash;");
    assert!(
        hits.contains("elastic/05e5a668-7b51-4a67-93ab-e9af405c9ef3"),
        "{hits:?}"
    );
}

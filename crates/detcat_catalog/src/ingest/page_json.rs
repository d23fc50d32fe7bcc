//! A technique page as the JSON of `technique_pages.page`: byte for byte what `serde_json`
//! writes for a [`StoredPage`] (whose `Deserialize` reads it back), written straight into one
//! string. Through serde every key of every row went through its map serializer and string
//! escaper, and a Sigma-only build's ~400 pages (3.5 MB) were 2.2% of its instructions.
//! Strings go through [`super::expr_json::write_str`]. The tests below check every page of the
//! demo catalog; a full build's `technique_pages` were compared row for row with serde's.

use std::collections::BTreeMap;

use super::expr_json::{
    write_list as list, write_number as number, write_str, write_strings as strings,
};
use super::technique_pages::{StoredAnalytics, StoredGuide, StoredPage, StoredRow};
use crate::views::{EventRow, FieldRow, ScopeRow, SensorCount};

/// `serde_json::to_string(page)`.
pub(crate) fn page_json(page: &StoredPage) -> String {
    let mut out = String::with_capacity(16 * 1024);
    out.push_str(r#"{"rules":"#);
    list(&mut out, &page.rules, |out, r| {
        out.push_str(r#"{"rid":"#);
        if r.rid < 0 {
            out.push('-');
        }
        number(out, r.rid.unsigned_abs());
        key_str(out, "vendor", r.vendor.as_str());
        key_str(out, "id", &r.id);
        key_str(out, "title", &r.title);
        key_str(out, "path", &r.path);
        key_str(out, "parse_status", r.parse_status.as_str());
        out.push('}');
    });
    out.push_str(r#","events":"#);
    list(&mut out, &page.events, event);
    out.push_str(r#","sensors":"#);
    list(&mut out, &page.sensors, sensor);
    out.push_str(r#","guide":"#);
    guide(&mut out, &page.guide);
    out.push_str(r#","analytics":"#);
    analytics(&mut out, &page.analytics);
    out.push('}');
    out
}

/// `,"key":` (keys are plain identifiers: nothing to escape).
fn key(out: &mut String, key: &str) {
    out.push_str(",\"");
    out.push_str(key);
    out.push_str("\":");
}

fn key_str(out: &mut String, name: &str, value: &str) {
    key(out, name);
    write_str(out, value);
}

fn key_number(out: &mut String, name: &str, value: u64) {
    key(out, name);
    number(out, value);
}

fn numbers(out: &mut String, items: &[u32]) {
    list(out, items, |out, n| number(out, u64::from(*n)));
}

fn event(out: &mut String, e: &EventRow) {
    out.push_str(r#"{"provider":"#);
    write_str(out, &e.provider);
    key_str(out, "event_id", &e.event_id);
    key_str(out, "title", &e.title);
    key_number(out, "rules", e.rules);
    key(out, "sensors");
    list(out, &e.sensors, sensor);
    out.push('}');
}

fn sensor(out: &mut String, s: &SensorCount) {
    out.push_str(r#"{"name":"#);
    write_str(out, &s.name);
    key_number(out, "rules", s.rules);
    key(out, "events");
    strings(out, &s.events);
    out.push('}');
}

fn guide(out: &mut String, g: &StoredGuide) {
    out.push_str(r#"{"scope":"#);
    list(out, &g.scope, scope_row);
    key_number(out, "fields_distinct", g.fields_distinct);
    key(out, "fields");
    list(out, &g.fields, field_row);
    key_number(out, "indicators_distinct", g.indicators_distinct);
    key(out, "indicators");
    list(out, &g.indicators, stored_row);
    key_number(out, "exclusions_distinct", g.exclusions_distinct);
    key(out, "exclusions");
    list(out, &g.exclusions, stored_row);
    out.push('}');
}

/// `{"field":…,"operator":…,"value":…,"rules":n` (the object left open), which scope,
/// indicator and exclusion rows start with.
fn triple_row(out: &mut String, field: &str, operator: &str, value: &str, rules: u64) {
    out.push_str(r#"{"field":"#);
    write_str(out, field);
    key_str(out, "operator", operator);
    key_str(out, "value", value);
    key_number(out, "rules", rules);
}

fn scope_row(out: &mut String, r: &ScopeRow) {
    triple_row(out, &r.field, &r.operator, &r.value, r.rules);
    out.push('}');
}

fn field_row(out: &mut String, r: &FieldRow) {
    out.push_str(r#"{"field":"#);
    write_str(out, &r.field);
    key(out, "vendor_names");
    strings(out, &r.vendor_names);
    key_number(out, "rules", r.rules);
    key(out, "operators");
    counts(out, &r.operators);
    key(out, "samples");
    strings(out, &r.samples);
    out.push('}');
}

/// `{"key":n,…}` in key order.
fn counts(out: &mut String, map: &BTreeMap<String, u64>) {
    out.push('{');
    for (i, (name, n)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_str(out, name);
        out.push(':');
        number(out, *n);
    }
    out.push('}');
}

/// An indicator or exclusion row; `reach` is left out when zero, as serde skips it.
fn stored_row(out: &mut String, r: &StoredRow) {
    triple_row(out, &r.field, &r.operator, &r.value, r.rules);
    if r.reach != 0 {
        key_number(out, "reach", r.reach);
    }
    key(out, "at");
    numbers(out, &r.at);
    out.push('}');
}

fn analytics(out: &mut String, a: &StoredAnalytics) {
    out.push_str(r#"{"keys":"#);
    strings(out, &a.keys);
    key(out, "fields");
    strings(out, &a.fields);
    key(out, "rules");
    list(out, &a.rules, |out, (keys, fields)| {
        out.push('[');
        numbers(out, keys);
        out.push(',');
        numbers(out, fields);
        out.push(']');
    });
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every page of the demo catalog: stored as serde_json writes the page it reads back as.
    #[test]
    fn every_page_of_the_demo_catalog_is_serde_json() {
        let (conn, _) = super::super::build_in_memory(&crate::Corpus::demo(), &Default::default())
            .expect("the demo builds");
        let mut stmt = conn
            .prepare("SELECT technique_id, page FROM technique_pages")
            .expect("prepares");
        let pages: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("queries")
            .collect::<Result<_, _>>()
            .expect("reads");
        assert!(pages.len() >= 5, "{} pages", pages.len());
        let (mut with_reach, mut without) = (0, 0);
        for (id, stored) in &pages {
            let page: StoredPage = serde_json::from_str(stored).expect("a stored page");
            assert_eq!(&page_json(&page), stored, "{id}");
            assert_eq!(
                &serde_json::to_string(&page).expect("serializes"),
                stored,
                "{id}"
            );
            let rows = page.guide.indicators.iter().chain(&page.guide.exclusions);
            for row in rows {
                if row.reach == 0 {
                    without += 1;
                } else {
                    with_reach += 1;
                }
            }
        }
        // Rows with a reach and without one (left out when zero) both occur.
        assert!(with_reach > 0 && without > 0, "{with_reach} / {without}");
    }

    #[test]
    fn strings_that_need_escapes_are_escaped_as_serde_does() {
        let mut page = StoredPage::default();
        page.guide.fields.push(FieldRow {
            field: "f\"ield".to_owned(),
            vendor_names: vec!["a\\b".to_owned(), "tab\there".to_owned()],
            rules: u64::MAX,
            operators: [("eq".to_owned(), 2), ("wild\u{1}card".to_owned(), 1)].into(),
            samples: vec!["ünï€".to_owned()],
        });
        page.guide.indicators.push(StoredRow {
            field: "x".to_owned(),
            operator: "eq".to_owned(),
            value: "\u{7f}\n".to_owned(),
            rules: 1,
            reach: 0,
            at: vec![0, 4_294_967_295],
        });
        page.analytics.rules.push((vec![], vec![1, 2]));
        assert_eq!(
            page_json(&page),
            serde_json::to_string(&page).expect("serializes")
        );
    }
}

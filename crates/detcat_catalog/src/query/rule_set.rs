//! The rule sets a page's statistics start from — a technique's, a field's or an event's
//! rules — and the statements over them, every one a fixed statement made at compile time.
//!
//! A set is a CTE `s(rid)` keyed by `?1` (an event: `?1` provider, `?2` event id), and its
//! next parameter says whether deprecated and unsupported rules count (`?2`; an event's
//! `?3`). Each statement is joined to its set's CTE with `concat!`: no SQL is put together
//! at run time, and every value is bound.

/// The rule sets whose pages share a statement ([`field_predicates`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum RuleSet {
    /// `?1` technique id, `?2` include deprecated.
    Technique,
    /// `?1` provider, `?2` event id, `?3` include deprecated.
    Event,
}

macro_rules! technique_set {
    () => {
        "WITH s AS (SELECT rt.rid FROM rule_techniques rt JOIN rules r ON r.rid = rt.rid
                    WHERE rt.technique_id = ?1 AND (?2 OR r.lifecycle = 'active')) "
    };
}

/// `?1` canonical field, `?2` include deprecated. The rules with a predicate on the field and
/// (for the `keyword` pseudo-field of field-less keyword searches, which has no predicate) the
/// rules with a triple on it. MATERIALIZED: computed once per statement, not once per row
/// that joins it.
macro_rules! field_set {
    () => {
        "WITH s AS MATERIALIZED (SELECT p.rid FROM predicates p JOIN rules r ON r.rid = p.rid
                                 WHERE p.canonical = ?1 AND (?2 OR r.lifecycle = 'active')
                                 UNION SELECT f.rid FROM triple_fields f JOIN rules r ON r.rid = f.rid
                                 WHERE f.field = ?1 AND (?2 OR r.lifecycle = 'active')) "
    };
}

macro_rules! event_set {
    () => {
        "WITH s AS (SELECT DISTINCT re.rid FROM rule_events re JOIN rules r ON r.rid = re.rid
                    WHERE re.provider = ?1 AND re.event_id = ?2 COLLATE NOCASE
                    AND (?3 OR r.lifecycle = 'active')) "
    };
}

/// The set's non-selector predicates: rid, canonical field, vendor, field as written,
/// operator ("fields filtered most").
pub(crate) fn field_predicates(set: RuleSet) -> &'static str {
    macro_rules! body {
        () => {
            "SELECT p.rid, p.canonical, r.vendor, p.field, p.operator
             FROM s JOIN rules r ON r.rid = s.rid
             JOIN predicates p ON p.rowid BETWEEN r.first_predicate AND r.last_predicate
             WHERE p.role <> 'selector'"
        };
    }
    match set {
        RuleSet::Technique => concat!(technique_set!(), body!()),
        RuleSet::Event => concat!(event_set!(), body!()),
    }
}

/// The events of a technique's rules: rid, provider, event id, title, sensor, native names.
pub(crate) const TECHNIQUE_EVENTS: &str = concat!(
    technique_set!(),
    "SELECT re.rid, re.provider, re.event_id, COALESCE(e.title, ''), e.sensor,
            COALESCE(e.native, '[]')
     FROM rule_events re JOIN s ON s.rid = re.rid
     LEFT JOIN events e ON e.provider = re.provider AND e.event_id = re.event_id"
);

/// A field's rules (a [`crate::views::RuleRef`] per row), by vendor, title and rid.
pub(crate) const FIELD_RULES: &str = concat!(
    field_set!(),
    "SELECT r.vendor, r.id, r.title, r.path, r.lifecycle, r.parse_status FROM rules r
     JOIN s ON s.rid = r.rid ORDER BY r.vendor, r.title, r.rid"
);

/// The techniques of a field's rules: id, name, rules — most rules first, at most 100.
pub(crate) const FIELD_TECHNIQUES: &str = concat!(
    field_set!(),
    "SELECT rt.technique_id, COALESCE(t.name, ''), COUNT(DISTINCT rt.rid) AS n
     FROM rule_techniques rt JOIN s ON s.rid = rt.rid
     LEFT JOIN techniques t ON t.id = rt.technique_id
     GROUP BY rt.technique_id ORDER BY n DESC, rt.technique_id LIMIT 100"
);

/// A technique's triples: rid, role, field, operator, value, rule id and corpus reach (of
/// active rules, or of all rules when `?2` includes deprecated ones). Each rule's triples are
/// the range of rowids its row names (the schema's `triples`).
pub(crate) const TECHNIQUE_TRIPLES: &str = concat!(
    technique_set!(),
    "SELECT t.rid, t.role, t.field, t.operator, t.value, r.id,
            COALESCE(CASE WHEN ?2 THEN t.reach_all ELSE t.reach END, 0)
     FROM s JOIN rules r ON r.rid = s.rid
     JOIN triples t ON t.rowid BETWEEN r.first_triple AND r.last_triple"
);

/// The vendor names (`vendor:field`) that a field's rules use for it. `+p.canonical`, as in
/// [`FIELD_VALUES`]: the set's predicates by their rules' ranges (through the canonical index
/// SQLite read every predicate on the field once per rule of the set: 1.5 s for process.name).
pub(crate) const FIELD_VENDOR_NAMES: &str = concat!(
    field_set!(),
    "SELECT DISTINCT r.vendor || ':' || p.field FROM s JOIN rules r ON r.rid = s.rid
     JOIN predicates p ON p.rowid BETWEEN r.first_predicate AND r.last_predicate
     WHERE +p.canonical = ?1 ORDER BY 1"
);

/// A field's operators: operator, rules (predicates read as in [`FIELD_VENDOR_NAMES`]).
pub(crate) const FIELD_OPERATORS: &str = concat!(
    field_set!(),
    "SELECT p.operator, COUNT(DISTINCT p.rid) FROM s JOIN rules r ON r.rid = s.rid
     JOIN predicates p ON p.rowid BETWEEN r.first_predicate AND r.last_predicate
     WHERE +p.canonical = ?1 GROUP BY p.operator"
);

/// A field's top 100 values: operator, value, rules. `+t.field`: read the set's triples by
/// their rules' ranges. Through the field index SQLite read every triple of the field once
/// per rule of the set (10 s for process.name, a 503 page).
pub(crate) const FIELD_VALUES: &str = concat!(
    field_set!(),
    "SELECT t.operator, t.value, COUNT(DISTINCT t.rid) AS n
     FROM s JOIN rules r ON r.rid = s.rid
     JOIN triples t ON t.rowid BETWEEN r.first_triple AND r.last_triple
     WHERE +t.field = ?1 AND t.role IN ('indicator', 'selector')
     GROUP BY t.operator, t.value ORDER BY n DESC, t.value, t.operator LIMIT 100"
);

/// An event's rules, by vendor and title.
pub(crate) const EVENT_RULES: &str = concat!(
    event_set!(),
    "SELECT r.vendor, r.id, r.title, r.path, r.lifecycle, r.parse_status FROM rules r
     JOIN s ON s.rid = r.rid ORDER BY r.vendor, r.title"
);

/// An event's techniques: id, name, rules — most rules first, all of them.
pub(crate) const EVENT_TECHNIQUES: &str = concat!(
    event_set!(),
    "SELECT rt.technique_id, COALESCE(t.name, ''), COUNT(DISTINCT rt.rid) AS n FROM rule_techniques rt
     JOIN s ON s.rid = rt.rid LEFT JOIN techniques t ON t.id = rt.technique_id
     GROUP BY rt.technique_id ORDER BY n DESC, rt.technique_id"
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    /// The plan of `sql` (its `detail` column), with `params` bound.
    fn plan(catalog: &Catalog, sql: &str, params: &[&dyn rusqlite::ToSql]) -> Vec<String> {
        let conn = catalog.connection();
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("the statement prepares");
        stmt.query_map(params, |r| r.get::<_, String>(3))
            .expect("the plan is read")
            .collect::<Result<_, _>>()
            .expect("every plan row has a detail")
    }

    #[test]
    fn a_sets_triples_and_predicates_are_read_by_their_rules_ranges_not_scanned() {
        // `triples` and `predicates` have no index on `rid`: each rule's rows are the range
        // of rowids its row names, and a plan that scanned the table would read every row of
        // the corpus for one page.
        let catalog = Catalog::demo().expect("the demo catalog builds");
        for (name, table, sql, params) in [
            (
                "TECHNIQUE_TRIPLES",
                "t",
                TECHNIQUE_TRIPLES,
                [&"T1059.001" as &dyn rusqlite::ToSql, &false],
            ),
            (
                "FIELD_VALUES",
                "t",
                FIELD_VALUES,
                [&"process.command_line" as &dyn rusqlite::ToSql, &false],
            ),
            (
                "FIELD_VENDOR_NAMES",
                "p",
                FIELD_VENDOR_NAMES,
                [&"process.command_line" as &dyn rusqlite::ToSql, &false],
            ),
            (
                "FIELD_OPERATORS",
                "p",
                FIELD_OPERATORS,
                [&"process.command_line" as &dyn rusqlite::ToSql, &false],
            ),
            (
                "field_predicates(Technique)",
                "p",
                field_predicates(RuleSet::Technique),
                [&"T1059.001" as &dyn rusqlite::ToSql, &false],
            ),
        ] {
            let plan = plan(&catalog, sql, &params);
            let by_range =
                format!("SEARCH {table} USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)");
            assert!(plan.contains(&by_range), "{name}: {plan:?}");
            assert!(
                !plan
                    .iter()
                    .any(|step| step.starts_with(&format!("SCAN {table}"))),
                "{name}: {plan:?}"
            );
        }
    }
}

//! The rule page.

use detcat_model::Role;
use rusqlite::{OptionalExtension, params};

use super::{Catalog, enum_col, json_col, json_vec};
use crate::error::CatalogError;
use crate::views::{
    DiagnosticView, EventCount, PredicateView, RuleExclusion, RuleIndicator, RulePage,
};

/// The rule's triples split by role: indicators (with corpus reach), exclusions, selectors.
#[derive(Default)]
struct RuleTriples {
    indicators: Vec<RuleIndicator>,
    exclusions: Vec<RuleExclusion>,
    scope: Vec<RuleExclusion>,
}

impl Catalog {
    /// Finds a rule by id (any vendor) or by `vendor/id`.
    pub fn rule(&self, key: &str) -> Result<Option<RulePage>, CatalogError> {
        let key = key.trim();
        let (vendor, id) = match key.split_once('/') {
            Some((v, id)) if detcat_model::Vendor::parse(v).is_some() => {
                (Some(v.to_ascii_lowercase()), id)
            }
            _ => (None, key),
        };
        let rid: Option<i64> = self
            .conn
            .prepare_cached("SELECT rid FROM rules WHERE id = ?1 AND (?2 IS NULL OR vendor = ?2) ORDER BY vendor LIMIT 1")?
            .query_row(params![id, vendor], |r| r.get(0))
            .optional()?;
        match rid {
            Some(rid) => self.rule_by_rid(rid).map(Some),
            None => Ok(None),
        }
    }

    fn rule_by_rid(&self, rid: i64) -> Result<RulePage, CatalogError> {
        let mut page = self.rule_row(rid)?;
        let technique_ids: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT technique_id FROM rule_techniques WHERE rid = ?1 ORDER BY technique_id",
            )?
            .query_map([rid], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        page.techniques = technique_ids
            .iter()
            .map(|t| self.technique_ref(t))
            .collect::<Result<Vec<_>, _>>()?;
        let tactic_ids: Vec<String> = self
            .conn
            .prepare_cached("SELECT tactic_id FROM rule_tactics WHERE rid = ?1 ORDER BY tactic_id")?
            .query_map([rid], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        page.tactics = self.tactic_refs(&tactic_ids)?;
        page.events = self.rule_events(rid)?;
        page.predicates = self.rule_predicates(rid)?;
        let triples = self.rule_triples(rid)?;
        page.indicators = triples.indicators;
        page.exclusions = triples.exclusions;
        page.scope = triples.scope;
        page.diagnostics = self.rule_diagnostics(rid)?;
        page.recordings = self.rule_recordings(rid, page.vendor.as_str(), &page.id)?;
        page.same_idea = self.same_idea(page.vendor.as_str(), &page.id)?;
        Ok(page)
    }

    /// The rule's own row (and its file's text); the lists of the page are left empty.
    fn rule_row(&self, rid: i64) -> Result<RulePage, CatalogError> {
        let page = self
            .conn
            .prepare_cached(
                "SELECT r.vendor, r.id, r.title, r.description, r.status, r.parse_status, r.lifecycle,
                        r.severity, r.rule_type, r.language, r.authors, r.created, r.modified, r.path,
                        r.url, r.refs, r.false_positives, r.tags, r.telemetry, r.query, r.expr,
                        f.text AS source
                 FROM rules r LEFT JOIN files f ON f.path = r.path WHERE r.rid = ?1",
            )?
            .query_row([rid], |r| {
                Ok(RulePage {
                    id: r.get("id")?,
                    vendor: super::vendor_col(r, 0)?,
                    title: r.get("title")?,
                    description: r.get("description")?,
                    status: r.get("status")?,
                    parse_status: enum_col(r, "parse_status")?,
                    lifecycle: enum_col(r, "lifecycle")?,
                    severity: r.get("severity")?,
                    rule_type: r.get("rule_type")?,
                    language: r.get("language")?,
                    authors: json_col(r, "authors")?,
                    created: r.get("created")?,
                    modified: r.get("modified")?,
                    path: r.get("path")?,
                    url: r.get("url")?,
                    references: json_col(r, "refs")?,
                    false_positives: json_col(r, "false_positives")?,
                    tags: json_col(r, "tags")?,
                    techniques: Vec::new(),
                    tactics: Vec::new(),
                    events: Vec::new(),
                    telemetry: json_col(r, "telemetry")?,
                    query: r.get("query")?,
                    expr: json_col(r, "expr")?,
                    predicates: Vec::new(),
                    scope: Vec::new(),
                    exclusions: Vec::new(),
                    indicators: Vec::new(),
                    diagnostics: Vec::new(),
                    source: r.get("source")?,
                    recordings: Default::default(),
                    same_idea: Vec::new(),
                })
            })?;
        Ok(page)
    }

    fn rule_events(&self, rid: i64) -> Result<Vec<EventCount>, CatalogError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT re.provider, re.event_id, COALESCE(e.title, '') AS title FROM rule_events re
                 LEFT JOIN events e ON e.provider = re.provider AND e.event_id = re.event_id
                 WHERE re.rid = ?1 ORDER BY re.provider, CAST(re.event_id AS INTEGER), re.event_id",
            )?
            .query_map([rid], |r| {
                Ok(EventCount {
                    provider: r.get("provider")?,
                    event_id: r.get("event_id")?,
                    title: r.get("title")?,
                    rules: 1,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?)
    }

    fn rule_predicates(&self, rid: i64) -> Result<Vec<PredicateView>, CatalogError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT p.field, p.canonical, p.mapped, p.operator, p.vals, p.negated, p.role,
                        p.case_sensitive, p.modifiers
                 FROM rules r JOIN predicates p ON p.rowid BETWEEN r.first_predicate AND r.last_predicate
                 WHERE r.rid = ?1 ORDER BY p.ord",
            )?
            .query_map([rid], |r| {
                Ok(PredicateView {
                    field: r.get("field")?,
                    canonical: r.get("canonical")?,
                    mapped: r.get("mapped")?,
                    operator: enum_col(r, "operator")?,
                    values: json_vec(&r.get::<_, String>("vals")?)?,
                    negated: r.get("negated")?,
                    role: enum_col(r, "role")?,
                    case_sensitive: r.get("case_sensitive")?,
                    modifiers: json_vec(&r.get::<_, String>("modifiers")?)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// One scan of the rule's triples; corpus reach only means something for indicators.
    fn rule_triples(&self, rid: i64) -> Result<RuleTriples, CatalogError> {
        let mut out = RuleTriples::default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.role, t.field, t.operator, t.value, t.original, t.raw_field,
                    COALESCE(t.reach, 0) AS reach
             FROM rules r JOIN triples t ON t.rowid BETWEEN r.first_triple AND r.last_triple
             WHERE r.rid = ?1 ORDER BY t.field, t.value",
        )?;
        let mut rows = stmt.query([rid])?;
        while let Some(r) = rows.next()? {
            let (field, operator, value, original, raw_field) = (
                r.get("field")?,
                r.get("operator")?,
                r.get("value")?,
                r.get("original")?,
                r.get("raw_field")?,
            );
            let role: String = r.get("role")?;
            if role == Role::Indicator.as_str() {
                out.indicators.push(RuleIndicator {
                    field,
                    operator,
                    value,
                    original,
                    raw_field,
                    corpus_reach: r.get("reach")?,
                });
            } else {
                let target = if role == Role::Selector.as_str() {
                    &mut out.scope
                } else {
                    &mut out.exclusions
                };
                target.push(RuleExclusion {
                    field,
                    operator,
                    value,
                    original,
                    raw_field,
                });
            }
        }
        Ok(out)
    }

    fn rule_diagnostics(&self, rid: i64) -> Result<Vec<DiagnosticView>, CatalogError> {
        Ok(self
            .conn
            .prepare_cached("SELECT code, severity, message, path, line, col FROM diagnostics WHERE rid = ?1 ORDER BY rowid")?
            .query_map([rid], |r| {
                Ok(DiagnosticView {
                    code: r.get("code")?,
                    severity: enum_col(r, "severity")?,
                    message: r.get("message")?,
                    path: r.get("path")?,
                    line: r.get("line")?,
                    column: r.get("col")?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?)
    }
}

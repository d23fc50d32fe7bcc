//! The rule page.

use detcat_model::Role;
use rusqlite::{OptionalExtension, params};

use super::{Catalog, json_vec};
use crate::error::CatalogError;
use crate::views::{
    DiagnosticView, EventCount, PredicateView, RuleExclusion, RuleIndicator, RulePage,
};

type RuleRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    String,
);

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
        let row: RuleRow = self.conn.prepare_cached(
            "SELECT rid, vendor, id, title, description, status, parse_status, lifecycle, severity, rule_type FROM rules WHERE rid = ?1",
        )?
        .query_row([rid], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?))
        })?;
        let (
            _,
            vendor,
            id,
            title,
            description,
            status,
            parse_status,
            lifecycle,
            severity,
            rule_type,
        ) = row;
        let more = self.conn.prepare_cached(
            "SELECT r.language, r.authors, r.created, r.modified, r.path, r.url, r.refs, r.false_positives, r.tags,
                    r.telemetry, r.query, r.expr, f.text
             FROM rules r LEFT JOIN files f ON f.path = r.path WHERE r.rid = ?1",
        )?
        .query_row([rid], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, String>(9)?,
                r.get::<_, String>(10)?,
                r.get::<_, String>(11)?,
                r.get::<_, Option<String>>(12)?,
            ))
        })?;
        let (
            language,
            authors,
            created,
            modified,
            path,
            url,
            refs,
            fps,
            tags,
            telemetry,
            query,
            expr,
            source,
        ) = more;

        let technique_ids: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT technique_id FROM rule_techniques WHERE rid = ?1 ORDER BY technique_id",
            )?
            .query_map([rid], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let techniques = technique_ids
            .iter()
            .map(|t| self.technique_ref(t))
            .collect::<Result<Vec<_>, _>>()?;
        let tactic_ids: Vec<String> = self
            .conn
            .prepare_cached("SELECT tactic_id FROM rule_tactics WHERE rid = ?1 ORDER BY tactic_id")?
            .query_map([rid], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let events = self
            .conn
            .prepare_cached(
                "SELECT re.provider, re.event_id, COALESCE(e.title, '') FROM rule_events re
                 LEFT JOIN events e ON e.provider = re.provider AND e.event_id = re.event_id
                 WHERE re.rid = ?1 ORDER BY re.provider, CAST(re.event_id AS INTEGER), re.event_id",
            )?
            .query_map([rid], |r| {
                Ok(EventCount {
                    provider: r.get(0)?,
                    event_id: r.get(1)?,
                    title: r.get(2)?,
                    rules: 1,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let predicates = self
            .conn
            .prepare_cached(
                "SELECT field, canonical, mapped, operator, vals, negated, role, case_sensitive, modifiers
                 FROM predicates WHERE rid = ?1 ORDER BY ord",
            )?
            .query_map([rid], |r| {
                Ok(PredicateView {
                    field: r.get(0)?,
                    canonical: r.get(1)?,
                    mapped: r.get(2)?,
                    operator: r.get(3)?,
                    values: json_vec(&r.get::<_, String>(4)?),
                    negated: r.get(5)?,
                    role: r.get(6)?,
                    case_sensitive: r.get(7)?,
                    modifiers: json_vec(&r.get::<_, String>(8)?),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        // One scan of the rule's triples; corpus reach only means something for indicators.
        let (mut indicators, mut exclusions, mut scope) = (Vec::new(), Vec::new(), Vec::new());
        let mut stmt = self.conn.prepare_cached(
            "SELECT t.role, t.field, t.operator, t.value, t.original, t.raw_field, COALESCE(t.reach, 0)
             FROM triples t WHERE t.rid = ?1 ORDER BY t.field, t.value",
        )?;
        let mut rows = stmt.query([rid])?;
        while let Some(r) = rows.next()? {
            let (field, operator, value, original, raw_field) =
                (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?);
            let role: String = r.get(0)?;
            if role == Role::Indicator.as_str() {
                let corpus_reach = r.get(6)?;
                indicators.push(RuleIndicator {
                    field,
                    operator,
                    value,
                    original,
                    raw_field,
                    corpus_reach,
                });
            } else {
                let target = if role == Role::Selector.as_str() {
                    &mut scope
                } else {
                    &mut exclusions
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
        let diagnostics = self
            .conn
            .prepare_cached("SELECT code, severity, message, path, line, col FROM diagnostics WHERE rid = ?1 ORDER BY rowid")?
            .query_map([rid], |r| {
                Ok(DiagnosticView {
                    code: r.get(0)?,
                    severity: r.get(1)?,
                    message: r.get(2)?,
                    path: r.get(3)?,
                    line: r.get(4)?,
                    column: r.get(5)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;

        let recordings = self.rule_recordings(rid, &vendor, &id)?;
        let same_idea = self.same_idea(&vendor, &id)?;
        Ok(RulePage {
            recordings,
            same_idea,
            id,
            vendor,
            title,
            description,
            status,
            parse_status,
            lifecycle,
            severity,
            rule_type,
            language,
            authors: json_vec(&authors),
            created,
            modified,
            path,
            url,
            references: json_vec(&refs),
            false_positives: json_vec(&fps),
            tags: json_vec(&tags),
            techniques,
            tactics: self.tactic_refs(&tactic_ids)?,
            events,
            telemetry: serde_json::from_str(&telemetry)?,
            query,
            expr: serde_json::from_str(&expr)?,
            predicates,
            scope,
            exclusions,
            indicators,
            diagnostics,
            source,
        })
    }
}

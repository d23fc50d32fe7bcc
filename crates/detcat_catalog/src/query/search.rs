//! Search: full text over titles, descriptions, fields and values, plus structured filters
//! (`field:process.name value:regsvr32.exe vendor:sigma technique:T1218 event:sysmon:1`,
//! `op:endswith status:stable severity:high platform:windows`).
//!
//! Free text is ranked by FTS5's bm25 with the title weighing most, then values and field
//! names, then the description; each hit says why it matched, and a search that finds nothing
//! suggests the nearest fields and values the catalog holds.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Error as SqlError, ffi};

use super::{Catalog, QueryOptions, rule_ref};
use crate::error::CatalogError;
use crate::views::{SearchHit, SearchPage, SearchSuggestion};

/// Longest query accepted, in characters: a search box query, not a document.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Most terms (full text and filters together) in one query: each filter is a subquery.
pub const MAX_QUERY_TERMS: usize = 24;
/// Largest `offset`: deeper pages are not a search, they are a dump.
pub const MAX_OFFSET: u64 = 100_000_000;

/// A parsed search query.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub text: Vec<String>,
    pub vendor: Vec<String>,
    pub field: Vec<String>,
    pub value: Vec<String>,
    pub technique: Vec<String>,
    pub event: Vec<String>,
    /// `op:endswith` — with `field:` and `value:`, the exact indicator triple (what corpus
    /// reach counts).
    pub op: Vec<String>,
    pub status: Vec<String>,
    pub severity: Vec<String>,
    pub platform: Vec<String>,
}

impl SearchQuery {
    /// Splits on white space (double quotes group words); `key:value` terms with a known key
    /// are filters, everything else is full text. Checks the limits first: a query over
    /// [`MAX_QUERY_CHARS`] or [`MAX_QUERY_TERMS`], or with no term at all (`"`, control
    /// characters only), is a [`CatalogError::Query`] naming the limit.
    pub fn parse_checked(q: &str) -> Result<SearchQuery, CatalogError> {
        let chars = q.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(CatalogError::Query(format!(
                "the query is {chars} characters long; the limit is {MAX_QUERY_CHARS}"
            )));
        }
        let query = SearchQuery::parse(q);
        let terms = query.terms();
        if terms > MAX_QUERY_TERMS {
            return Err(CatalogError::Query(format!(
                "the query has {terms} terms; the limit is {MAX_QUERY_TERMS}"
            )));
        }
        if terms == 0 {
            return Err(CatalogError::Query(
                "the query has no search terms (quotes and control characters are not words)"
                    .to_owned(),
            ));
        }
        Ok(query)
    }

    /// How many terms, full text and filters together.
    pub fn terms(&self) -> usize {
        self.text.len()
            + self.vendor.len()
            + self.field.len()
            + self.value.len()
            + self.technique.len()
            + self.event.len()
            + self.op.len()
            + self.status.len()
            + self.severity.len()
            + self.platform.len()
    }

    /// Parses without limits (see [`SearchQuery::parse_checked`]).
    pub fn parse(q: &str) -> SearchQuery {
        let mut out = SearchQuery::default();
        for term in split_terms(q) {
            let filter = term.split_once(':').and_then(|(k, v)| {
                let slot = match k.to_ascii_lowercase().as_str() {
                    "vendor" => &mut out.vendor,
                    "field" => &mut out.field,
                    "value" => &mut out.value,
                    "technique" => &mut out.technique,
                    "event" => &mut out.event,
                    "op" => &mut out.op,
                    "status" => &mut out.status,
                    "severity" => &mut out.severity,
                    "platform" => &mut out.platform,
                    _ => return None,
                };
                Some((slot, v.to_owned()))
            });
            match filter {
                Some((slot, v)) if !v.is_empty() => slot.push(v),
                Some(_) => {}
                None => out.text.push(term),
            }
        }
        out
    }
}

fn split_terms(q: &str) -> Vec<String> {
    let mut terms = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in q.chars() {
        match c {
            '"' => quoted = !quoted,
            // A control character (NUL from `q=%00`, a terminal escape) is never part of a
            // word: FTS5 would read a NUL as the end of its query string.
            c if c.is_control() => {
                if !cur.is_empty() {
                    terms.push(std::mem::take(&mut cur));
                }
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    terms.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        terms.push(cur);
    }
    terms
}

/// A literal for `LIKE … ESCAPE '\'`: the user's `%`, `_` and `\` match themselves.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Free text as an FTS5 query: every term a quoted phrase (so no user text is FTS syntax),
/// the last one a prefix search for search-as-you-type.
fn fts_query(text: &[String]) -> String {
    let n = text.len();
    text.iter()
        .enumerate()
        .map(|(i, t)| {
            let phrase = format!("\"{}\"", t.replace('"', "\"\""));
            if i + 1 == n {
                format!("{phrase}*")
            } else {
                phrase
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A full-text syntax error is the client's query, not a broken catalog: a
/// [`CatalogError::Query`] with a hint (user text is quoted, so this is a last line of defence).
fn fts_error(e: SqlError) -> CatalogError {
    let syntax = match &e {
        SqlError::SqliteFailure(f, Some(msg)) => {
            f.code == ffi::ErrorCode::Unknown && msg.starts_with("fts5:")
                || msg.contains("unterminated string")
        }
        _ => false,
    };
    if syntax {
        CatalogError::Query(format!(
            "the search text is not valid full-text syntax ({e}); hint: search for plain words, or put a phrase in double quotes"
        ))
    } else {
        e.into()
    }
}

/// bm25 weights of the FTS columns (title, description, fields, vals): a rule that names the
/// words in its title or in the values it looks for ranks above one that mentions them in
/// passing in its description.
const BM25: &str = "bm25(rules_fts, 10.0, 1.0, 3.0, 5.0)";

/// Reasons shown per hit, at most.
const MAX_WHY: usize = 3;

/// Suggestions shown when nothing matched, at most.
const MAX_SUGGESTIONS: usize = 8;

/// The words of a search term as the FTS tokenizer sees them (lowercase, split on anything
/// that is not a letter or digit).
fn words(term: &str) -> Vec<String> {
    term.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `text` holds every word of one of `terms` (the words of each term, in any case).
fn mentions(text: &str, terms: &[Vec<String>]) -> bool {
    let lower = text.to_lowercase();
    terms
        .iter()
        .any(|t| !t.is_empty() && t.iter().all(|w| lower.contains(w.as_str())))
}

/// A filter term as the search box takes it (quoted when it holds spaces).
fn filter_term(key: &str, v: &str) -> String {
    if v.chars().any(char::is_whitespace) {
        format!("{key}:\"{}\"", v.replace('"', ""))
    } else {
        format!("{key}:{v}")
    }
}

/// A search's SQL parts: the row source, the order, the WHERE clauses and their values.
///
/// The catalog's one SQL builder: a search combines any number of filters (`vendor:`,
/// `technique:`, `field:` …, each repeatable), so its statement cannot be one fixed string.
/// Every piece it joins is a fixed fragment of this file; every value (terms, filter values,
/// limit, offset) is bound as a parameter through [`Filter::bind`]. Other queries are fixed
/// statements.
struct Filter {
    from: String,
    order: &'static str,
    clauses: Vec<String>,
    params: Vec<SqlValue>,
}

impl Filter {
    /// Binds `v` and returns its placeholder.
    fn bind(&mut self, v: String) -> String {
        self.params.push(SqlValue::Text(v));
        format!("?{}", self.params.len())
    }

    /// `SELECT count(*)` of the rules the filter matches.
    fn count_sql(&self) -> String {
        format!(
            "SELECT count(*) FROM {} WHERE {}",
            self.from,
            self.clauses.join(" AND ")
        )
    }

    /// The page of hits (`limit` rows from `offset`, both bound): vendor, id, title, path,
    /// lifecycle, parse status, techniques (sorted, joined by U+001F), status, severity, rid.
    fn page_sql(&mut self, limit: u64, offset: u64) -> String {
        let limit = self.bind_int(limit);
        let offset = self.bind_int(offset);
        format!(
            "SELECT r.vendor, r.id, r.title, r.path, r.lifecycle, r.parse_status,
                    (SELECT group_concat(technique_id, char(31) ORDER BY technique_id) FROM rule_techniques rt WHERE rt.rid = r.rid),
                    r.status, r.severity, r.rid
             FROM {} WHERE {} ORDER BY {} LIMIT {limit} OFFSET {offset}",
            self.from,
            self.clauses.join(" AND "),
            self.order
        )
    }

    fn bind_int(&mut self, v: u64) -> String {
        self.params
            .push(SqlValue::Integer(i64::try_from(v).unwrap_or(i64::MAX)));
        format!("?{}", self.params.len())
    }

    /// Binds each of `items`: `?3, ?4, ?5`.
    fn bind_list(&mut self, items: &[String]) -> String {
        items
            .iter()
            .map(|i| self.bind(i.clone()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The search's clause for the rules it lists: active ones, or all.
fn active_clause(options: QueryOptions) -> &'static str {
    if options.include_deprecated {
        "1"
    } else {
        "r.lifecycle = 'active'"
    }
}

impl Catalog {
    pub fn search(
        &self,
        q: &str,
        offset: u64,
        limit: u64,
        options: QueryOptions,
    ) -> Result<SearchPage, CatalogError> {
        let query = SearchQuery::parse_checked(q)?;
        if offset > MAX_OFFSET {
            return Err(CatalogError::Query(format!(
                "offset {offset} is past the limit of {MAX_OFFSET}"
            )));
        }
        let limit = limit.clamp(1, 500);
        let empty = || SearchPage {
            query: q.to_owned(),
            total: 0,
            offset,
            limit,
            hits: Vec::new(),
            suggestions: Vec::new(),
        };
        let Some(mut filter) = self.search_filter(&query, options)? else {
            return Ok(empty());
        };
        let total: u64 = self
            .conn
            .query_row(
                &filter.count_sql(),
                rusqlite::params_from_iter(filter.params.iter()),
                |r| r.get(0),
            )
            .map_err(fts_error)?;
        let sql = filter.page_sql(limit, offset);
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(filter.params.iter()), |r| {
                Ok((
                    SearchHit {
                        rule: rule_ref(r)?,
                        techniques: technique_list(r.get(6)?),
                        status: r.get(7)?,
                        severity: r.get(8)?,
                        why: Vec::new(),
                    },
                    r.get::<_, i64>(9)?,
                ))
            })
            .map_err(fts_error)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(fts_error)?;
        let terms: Vec<Vec<String>> = query.text.iter().map(|t| words(t)).collect();
        let mut hits = Vec::with_capacity(rows.len());
        for (mut hit, rid) in rows {
            if !terms.is_empty() {
                hit.why = self.why(rid, &hit.rule.title, &terms)?;
            }
            hits.push(hit);
        }
        let suggestions = if total == 0 {
            self.nearest(&query)?
        } else {
            Vec::new()
        };
        Ok(SearchPage {
            query: q.to_owned(),
            total,
            offset,
            limit,
            hits,
            suggestions,
        })
    }

    /// The FROM and WHERE of a search: full-text matches (ranked) or all rules, and one
    /// clause per filter with its values bound. `None` when a field filter names only fields
    /// no rule uses (nothing can match).
    fn search_filter(
        &self,
        query: &SearchQuery,
        options: QueryOptions,
    ) -> Result<Option<Filter>, CatalogError> {
        let mut sql = Filter {
            from: String::new(),
            order: "",
            clauses: vec![active_clause(options).to_owned()],
            params: Vec::new(),
        };
        // Free text joins the ranked full-text matches; filters-only queries list by title.
        (sql.from, sql.order) = if query.text.is_empty() {
            ("rules r".to_owned(), "r.title, r.vendor")
        } else {
            let p = sql.bind(fts_query(&query.text));
            (
                format!(
                    "(SELECT rowid AS frid, {BM25} AS score FROM rules_fts WHERE rules_fts MATCH {p}) f
                     JOIN rules r ON r.rid = f.frid"
                ),
                "f.score, r.title, r.vendor",
            )
        };
        for v in &query.vendor {
            let p = sql.bind(v.to_ascii_lowercase());
            sql.clauses.push(format!("r.vendor = {p}"));
        }
        for v in &query.status {
            let p = sql.bind(v.clone());
            sql.clauses.push(format!(
                "(r.status = {p} COLLATE NOCASE OR r.parse_status = {p} COLLATE NOCASE)"
            ));
        }
        for v in &query.severity {
            let p = sql.bind(v.clone());
            sql.clauses.push(format!("r.severity = {p} COLLATE NOCASE"));
        }
        for v in &query.platform {
            let p = sql.bind(like_escape(&v.to_lowercase()));
            sql.clauses.push(format!(
                "r.rid IN (SELECT rt.rid FROM techniques t JOIN rule_techniques rt ON rt.technique_id = t.id
                           WHERE lower(t.platforms) LIKE '%\"' || {p} || '%' ESCAPE '\\')"
            ));
        }
        if !self.field_value_clauses(query, &mut sql)? {
            return Ok(None);
        }
        for t in &query.technique {
            let p = sql.bind(t.to_ascii_uppercase());
            sql.clauses.push(format!(
                "r.rid IN (SELECT rid FROM rule_techniques WHERE technique_id = {p} OR technique_id LIKE {p} || '.%')"
            ));
        }
        for e in &query.event {
            let (provider, id) = e.split_once(':').unwrap_or((e.as_str(), ""));
            let pp = sql.bind(provider.to_ascii_lowercase());
            let pi = sql.bind(id.to_owned());
            sql.clauses.push(format!(
                "r.rid IN (SELECT rid FROM rule_events WHERE provider = {pp} AND ({pi} = '' OR event_id = {pi}))"
            ));
        }
        Ok(Some(sql))
    }

    /// The `field:`, `op:` and `value:` clauses of a search; `false` when a field filter
    /// names only fields no rule uses (nothing can match).
    fn field_value_clauses(
        &self,
        query: &SearchQuery,
        sql: &mut Filter,
    ) -> Result<bool, CatalogError> {
        // A field names a canonical field or a vendor's name for one; a value matches the
        // canonical (folded) value, the value as written, or a part of it. Given both, they
        // must hold for the same indicator: `field:process.name value:regsvr32.exe` finds
        // Sigma's `Image|endswith: '\regsvr32.exe'` (canonically process.name = regsvr32.exe).
        // Only names the catalog knows reach SQL (a hash probe each): a field no rule uses
        // matches nothing, so a query naming only such fields is answered without a scan.
        let mut fields: Vec<String> = Vec::new();
        for f in &query.field {
            if let Some(canonical) = self.resolve_field(f)? {
                fields.push(f.trim().to_owned());
                fields.push(canonical);
            }
        }
        if !query.field.is_empty() && fields.is_empty() {
            return Ok(false);
        }
        fields.sort();
        fields.dedup();
        if query.value.is_empty() && !fields.is_empty() {
            let list = sql.bind_list(&fields);
            sql.clauses.push(format!(
                "(r.rid IN (SELECT rid FROM predicates WHERE field IN ({list}) OR canonical IN ({list}))
                  OR r.rid IN (SELECT rid FROM triple_fields WHERE field IN ({list})))"
            ));
        }
        // `op:` without a value is the triple with the empty value (`exists`).
        let empty_value = [String::new()];
        let values = if query.value.is_empty() && !query.op.is_empty() {
            &empty_value[..]
        } else {
            &query.value[..]
        };
        for v in values {
            if !query.op.is_empty() {
                // `field:F op:O value:V` is one indicator triple exactly: the rules corpus
                // reach counts. The query syntax cannot carry `"`, so links drop it from a
                // value (`"/bin/dash";`): such a value matches without its quotes too.
                let raw = sql.bind(v.clone());
                let ops = query
                    .op
                    .iter()
                    .map(|o| sql.bind(o.clone()))
                    .collect::<Vec<_>>()
                    .join(", ");
                let triple = format!(
                    "t.role = 'indicator'
                     AND (t.value = {raw} OR (instr(t.value, '\"') > 0 AND replace(t.value, '\"', '') = {raw}))
                     AND t.operator IN ({ops})"
                );
                if fields.is_empty() {
                    sql.clauses.push(format!(
                        "r.rid IN (SELECT t.rid FROM triples t WHERE {triple})"
                    ));
                } else {
                    // The triples of the rules with one on the field, by their rules' ranges
                    // (`triples` has no index; a third of its rows for `process.name`).
                    let list = sql.bind_list(&fields);
                    sql.clauses.push(format!(
                        "r.rid IN (SELECT f.rid FROM triple_fields f
                                   JOIN rules fr ON fr.rid = f.rid
                                   JOIN triples t ON t.rowid BETWEEN fr.first_triple AND fr.last_triple
                                   WHERE f.field IN ({list}) AND t.field IN ({list}) AND {triple})"
                    ));
                }
                continue;
            }
            // A substring of any value: answered from the in-memory value index (values.rs),
            // not by a scan of `triples`.
            let rids = self.value_index()?.rids(v, &fields);
            sql.clauses
                .push(format!("r.rid IN ({})", super::values::sql_list(&rids)));
        }
        Ok(true)
    }

    /// Where a hit names the search words: its title, a value it looks for, a field it
    /// filters, its description — the first [`MAX_WHY`] of those.
    fn why(
        &self,
        rid: i64,
        title: &str,
        terms: &[Vec<String>],
    ) -> Result<Vec<String>, CatalogError> {
        let mut why = Vec::new();
        if mentions(title, terms) {
            why.push("title".to_owned());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.canonical, p.operator, p.vals, p.role FROM rules r
             JOIN predicates p ON p.rowid BETWEEN r.first_predicate AND r.last_predicate
             WHERE r.rid = ?1 ORDER BY p.ord",
        )?;
        let preds = stmt
            .query_map([rid], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (field, op, vals, role) in &preds {
            if why.len() >= MAX_WHY {
                break;
            }
            let not = if role == "exclusion" { "not " } else { "" };
            if let Some(v) = super::json_vec(vals)?
                .into_iter()
                .find(|v| mentions(v, terms))
            {
                let reason = format!("{not}{field} {op} {v}");
                if !why.contains(&reason) {
                    why.push(reason);
                }
            } else if mentions(field, terms) {
                let reason = format!("field {field}");
                if !why.contains(&reason) {
                    why.push(reason);
                }
            }
        }
        if why.is_empty() {
            // Nothing shorter names the words: the description (or the raw query) does.
            why.push("description".to_owned());
        }
        Ok(why)
    }

    /// Fields and indicator values near the words of a query that found nothing: values that
    /// contain a word (or its longest prefix that occurs), fields whose name does.
    fn nearest(&self, query: &SearchQuery) -> Result<Vec<SearchSuggestion>, CatalogError> {
        let mut out: Vec<SearchSuggestion> = Vec::new();
        let wanted: Vec<String> = query
            .text
            .iter()
            .chain(&query.value)
            .flat_map(|t| words(t))
            .chain(query.field.iter().flat_map(|f| words(f)))
            .filter(|w| w.chars().count() >= 3)
            .take(4)
            .collect();
        let mut values = self.conn.prepare_cached(
            "SELECT field, operator, value, COUNT(DISTINCT rid) AS n FROM triples
             WHERE role = 'indicator' AND value LIKE '%' || ?1 || '%' ESCAPE '\\'
             GROUP BY field, operator, value ORDER BY n DESC, value LIMIT 5",
        )?;
        let mut field_names = self.conn.prepare_cached(
            "SELECT field, COUNT(DISTINCT rid) AS n FROM triples
             WHERE field LIKE '%' || ?1 || '%' ESCAPE '\\'
             GROUP BY field ORDER BY n DESC, field LIMIT 3",
        )?;
        for w in &wanted {
            // The longest prefix of the word that some value holds (a typo at the end).
            let chars: Vec<char> = w.chars().collect();
            for keep in (3..=chars.len()).rev() {
                let prefix: String = chars.iter().take(keep).collect();
                let found = values
                    .query_map([like_escape(&prefix)], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, u64>(3)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                if found.is_empty() {
                    continue;
                }
                for (field, op, value, n) in found {
                    out.push(SearchSuggestion {
                        label: format!("{field} {op} {value}"),
                        query: format!(
                            "{} {}",
                            filter_term("field", &field),
                            filter_term("value", &value)
                        ),
                        rules: n,
                    });
                }
                break;
            }
            let found = field_names
                .query_map([like_escape(w)], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            for (field, n) in found {
                out.push(SearchSuggestion {
                    label: format!("field {field}"),
                    query: filter_term("field", &field),
                    rules: n,
                });
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|s| seen.insert(s.query.clone()));
        out.truncate(MAX_SUGGESTIONS);
        Ok(out)
    }
}

/// The technique ids of a search hit, as the page query joins them: sorted, separated by
/// U+001F (no technique id contains it), NULL for none. Not SQLite's JSON functions: the
/// bundled SQLite is built without them (`.cargo/config.toml`, issue 19's binary size).
fn technique_list(joined: Option<String>) -> Vec<String> {
    joined
        .map(|s| s.split('\u{1f}').map(str::to_owned).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_filters_and_text() {
        let q = SearchQuery::parse(
            r#"field:process.name value:regsvr32.exe vendor:sigma "scrobj dll" event:sysmon:1 other:x"#,
        );
        assert_eq!(q.field, ["process.name"]);
        assert_eq!(q.value, ["regsvr32.exe"]);
        assert_eq!(q.vendor, ["sigma"]);
        assert_eq!(q.event, ["sysmon:1"]);
        assert_eq!(q.text, ["scrobj dll", "other:x"]);
    }

    #[test]
    fn like_patterns_escape_user_wildcards() {
        assert_eq!(like_escape(r"c:\win_10%"), r"c:\\win\_10\%");
    }

    #[test]
    fn fts_query_quotes_user_text() {
        assert_eq!(fts_query(&["a\"b".into(), "c".into()]), "\"a\"\"b\" \"c\"*");
    }

    #[test]
    fn control_characters_split_terms() {
        assert_eq!(SearchQuery::parse("a\0b\u{1b}[2J").text, ["a", "b", "[2J"]);
        assert_eq!(SearchQuery::parse("\0").terms(), 0);
    }

    #[test]
    fn a_lone_quote_is_no_query() {
        let e = SearchQuery::parse_checked("\"").unwrap_err();
        assert!(e.to_string().contains("no search terms"), "{e}");
    }

    #[test]
    fn long_queries_name_the_limit() {
        let e = SearchQuery::parse_checked(&"x".repeat(MAX_QUERY_CHARS + 1)).unwrap_err();
        assert!(e.to_string().contains("limit is 1000"), "{e}");
        let many = (0..=MAX_QUERY_TERMS)
            .map(|i| format!("field:F{i}"))
            .collect::<Vec<_>>();
        let e = SearchQuery::parse_checked(&many.join(" ")).unwrap_err();
        assert!(e.to_string().contains("limit is 24"), "{e}");
        assert!(SearchQuery::parse_checked(&many[1..].join(" ")).is_ok());
    }
}

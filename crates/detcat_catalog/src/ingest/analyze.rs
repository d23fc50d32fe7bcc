//! Per-rule derived data: ATT&CK links, telemetry events, canonical predicates and triples.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;

use detcat_model::{Expr, Operator, ParseStatus, Rule, Value, wildcard};
use detcat_taxonomy::{LogContext, Taxonomy};
use rayon::prelude::*;

use super::link::Attack;

/// A rule with everything the catalog derives from it.
pub struct AnalyzedRule {
    pub rule: Rule,
    /// `rule.status()`, found once: the build asks for it five times per rule, each a walk of
    /// the whole expression, and the rule no longer changes once analyzed.
    pub status: ParseStatus,
    /// `(technique id after redirects, id as tagged)`.
    pub techniques: Vec<(String, String)>,
    pub tactics: Vec<String>,
    pub events: Vec<EventKey>,
    /// The branches the rule can run by (`rule_branch_events`; see `detcat_taxonomy::EventBranch`).
    pub branches: Vec<detcat_taxonomy::EventBranch>,
    pub predicates: Vec<PredicateRow>,
    pub triples: Vec<TripleRow>,
    /// The rowids of its rows in the catalog's `triples`, from `first` to `last`
    /// (`rules.first_triple`, `last_triple`; `last` is `first - 1` when it has none), given
    /// when the triples are taken for the side writer ([`super::side::take_triples`]).
    pub triple_rowids: RowidRange,
    /// The same for its rows in `predicates` (`rules.first_predicate`, `last_predicate`),
    /// given by [`super::side::predicate_rows`].
    pub predicate_rowids: RowidRange,
    /// The rule's JSON columns and search text, serialized here — on every core, during the
    /// analysis — so the single writer thread only binds them. Taken (and freed) when written.
    pub prepared: Option<Prepared>,
}

/// The first and last rowid of a rule's rows in `triples` or `predicates` (see
/// [`AnalyzedRule::triple_rowids`]); none until numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowidRange {
    pub first: i64,
    pub last: i64,
}

impl Default for RowidRange {
    fn default() -> Self {
        RowidRange { first: 1, last: 0 }
    }
}

impl RowidRange {
    /// The range of the next `rows` rows of a table whose next rowid is `*next`, which moves
    /// on past them.
    pub fn take(next: &mut i64, rows: usize) -> RowidRange {
        let first = *next;
        *next += rows as i64;
        RowidRange {
            first,
            last: *next - 1,
        }
    }
}

/// Text the catalog stores for a rule, ready to bind.
pub struct Prepared {
    pub authors: String,
    pub references: String,
    pub false_positives: String,
    pub tags: String,
    pub telemetry: String,
    pub expr: String,
    /// Per predicate (same order as [`AnalyzedRule::predicates`]): values and modifiers JSON.
    pub predicate_values: Vec<String>,
    pub predicate_modifiers: Vec<String>,
    /// Full-text search columns: field names, values.
    pub search_fields: String,
    pub search_values: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventKey {
    pub provider: String,
    pub event_id: String,
}

pub struct PredicateRow {
    pub field: String,
    pub canonical: String,
    pub mapped: bool,
    pub operator: &'static str,
    pub values: Vec<String>,
    pub negated: bool,
    pub role: Role,
    pub case_sensitive: bool,
    pub modifiers: Vec<String>,
}

/// The model's roles: selector, indicator, exclusion, other.
pub use detcat_model::Role;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TripleRow {
    pub role: Role,
    pub field: String,
    /// The canonical operator; a negated selector's is prefixed `not ` (`not eq`), since a
    /// selector keeps its polarity: `event.type != deletion` narrows the stream too. The
    /// operator's static name, owned only for such a `not …` (one allocation less for each of
    /// ~50k rows).
    pub operator: Cow<'static, str>,
    pub value: String,
    pub original: String,
    pub raw_field: String,
}

/// The pseudo-field of keyword (field-less) searches in the triples table.
pub const KEYWORD_FIELD: &str = "keyword";

pub fn analyze_all(rules: Vec<Rule>, attack: &Attack) -> Vec<AnalyzedRule> {
    let taxonomy = Taxonomy::get();
    rules
        .into_par_iter()
        .map(|rule| analyze(rule, attack, taxonomy))
        .collect()
}

/// Analyzes one rule outside a build (a draft under review, issue 13) with the same meaning
/// layer: techniques as tagged (no ATT&CK bundle is loaded; the caller checks ids against its
/// catalog), events, predicates and triples.
pub fn analyze_one(rule: Rule) -> AnalyzedRule {
    let attack = Attack {
        kb: None,
        bundles: Vec::new(),
        diagnostics: Vec::new(),
        rejected: Vec::new(),
    };
    analyze(rule, &attack, Taxonomy::get())
}

fn analyze(mut rule: Rule, attack: &Attack, taxonomy: &Taxonomy) -> AnalyzedRule {
    let (techniques, tactics, diagnostics) = attack.link(&rule);
    rule.diagnostics.extend(diagnostics);

    let ctx = LogContext::of(&rule);
    let all_events = taxonomy.events_for_in(&rule, &ctx);
    let events: BTreeSet<EventKey> = all_events
        .iter()
        .map(|e| EventKey {
            provider: e.provider.clone(),
            event_id: e.event_id.clone(),
        })
        .collect();
    let branches = taxonomy.event_branches_of(&rule, all_events);

    let mut predicates = Vec::new();
    let mut triples = Vec::new();
    // A predicate written many times (`sel or sel or …`) is stored once: rows stay bounded
    // by what the rule says, not by how often it repeats it. Rows already stored are found
    // by the hash of what makes two the same, then compared (a key string per predicate was
    // three allocations and a format).
    let hasher = foldhash::fast::RandomState::default();
    let mut seen: HashMap<u64, Vec<usize>, foldhash::fast::RandomState> = HashMap::default();
    let roles = rule
        .expr
        .predicate_roles(|p| taxonomy.is_selector(rule.vendor, &ctx, p));
    for (pred, negated, role) in roles {
        let values: Vec<String> = pred
            .values
            .iter()
            .map(|v| display_value(pred.op, v))
            .collect();
        let key = (
            role,
            negated,
            pred.field.as_str(),
            pred.op.as_str(),
            pred.case_sensitive,
            pred.modifiers.as_slice(),
            values.as_slice(),
        );
        let same = |row: &PredicateRow| {
            (
                row.role,
                row.negated,
                row.field.as_str(),
                row.operator,
                row.case_sensitive,
                row.modifiers.as_slice(),
                row.values.as_slice(),
            ) == key
        };
        let stored = seen.entry(hasher.hash_one(key)).or_default();
        if stored.iter().any(|&i| predicates.get(i).is_some_and(same)) {
            continue;
        }
        stored.push(predicates.len());
        let canonical_field = taxonomy.canonical_field_in(rule.vendor, &ctx, &pred.field);
        let (canonical, mapped) = match canonical_field {
            Some(field) => (field.id.to_string(), true),
            None => (pred.field.clone(), false),
        };
        if role != Role::Other {
            for c in taxonomy.canonicalize_displayed_in(rule.vendor, &ctx, pred, &values) {
                let operator = if role == Role::Selector && negated {
                    Cow::Owned(format!("not {}", c.op.as_str()))
                } else {
                    Cow::Borrowed(c.op.as_str())
                };
                triples.push(TripleRow {
                    role,
                    field: c.field,
                    operator,
                    value: c.value,
                    original: c.original,
                    raw_field: pred.field.clone(),
                });
            }
        }
        predicates.push(PredicateRow {
            field: pred.field.clone(),
            canonical,
            mapped,
            operator: pred.op.as_str(),
            values,
            negated,
            role,
            case_sensitive: pred.case_sensitive,
            modifiers: pred.modifiers.clone(),
        });
    }
    keyword_triples(&rule.expr, &mut triples);
    // Triples are unique per (role, field, operator, value) within a rule: each rule counts
    // at most once per row of the authoring guide. Sorted by every column, the row kept is
    // the one of the smallest original spelling and raw field (rows that are equal in every
    // column are interchangeable, so an unstable sort is as good: a vector sorted once is
    // faster than a set kept sorted row by row).
    triples.sort_unstable();
    triples.dedup_by(|a, b| {
        a.role == b.role && a.field == b.field && a.operator == b.operator && a.value == b.value
    });

    let mut analyzed = AnalyzedRule {
        status: rule.status(),
        rule,
        techniques,
        tactics,
        events: events.into_iter().collect(),
        branches,
        predicates,
        triples,
        triple_rowids: RowidRange::default(),
        predicate_rowids: RowidRange::default(),
        prepared: None,
    };
    analyzed.prepared = Some(prepare(&analyzed));
    analyzed
}

/// Field-less keyword searches are indicators and exclusions too, under the pseudo-field
/// `keyword` (values folded when the search is case-insensitive, as for fields).
fn keyword_triples(expr: &Expr, triples: &mut Vec<TripleRow>) {
    let keywords = expr.keyword_indicators().map(|k| (Role::Indicator, k));
    for (role, k) in keywords.chain(expr.keyword_exclusions().map(|k| (Role::Exclusion, k))) {
        for v in &k.values {
            let original = display_value(k.op, v);
            let value = if k.case_sensitive {
                original.clone()
            } else {
                original.to_lowercase()
            };
            triples.push(TripleRow {
                role,
                field: KEYWORD_FIELD.to_owned(),
                operator: Cow::Borrowed(k.op.as_str()),
                value,
                original,
                raw_field: KEYWORD_FIELD.to_owned(),
            });
        }
    }
}

pub(super) fn prepare(a: &AnalyzedRule) -> Prepared {
    use super::expr_json::strings_json;
    let r = &a.rule;
    let (search_fields, search_values) = search_terms(a);
    Prepared {
        authors: strings_json(&r.authors),
        references: strings_json(&r.references),
        false_positives: strings_json(&r.false_positives),
        tags: strings_json(&r.tags),
        telemetry: json(&r.telemetry),
        expr: super::expr_json::expr_json(&r.expr),
        predicate_values: a
            .predicates
            .iter()
            .map(|p| strings_json(&p.values))
            .collect(),
        predicate_modifiers: a
            .predicates
            .iter()
            .map(|p| strings_json(&p.modifiers))
            .collect(),
        search_fields,
        search_values,
    }
}

/// JSON of model data. Serializing these types cannot fail (string keys only; serde_json
/// writes non-finite numbers as `null`), so a failure would be a bug: it is stored as `null`
/// rather than aborting the build.
pub(super) fn json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// A predicate value as the rule page shows it: wildcard patterns in display form (single
/// backslashes), everything else as text.
fn display_value(op: Operator, v: &Value) -> String {
    match (op, v) {
        (Operator::Wildcard, Value::Str(s)) => wildcard::display(s),
        _ => v.to_text(),
    }
}

/// Field names and values a rule mentions, for full-text search.
///
/// Each list is sorted and deduplicated once at the end (a `BTreeSet` kept in order at every
/// insert cost twice as much).
pub fn search_terms(rule: &AnalyzedRule) -> (String, String) {
    let mut fields: Vec<&str> = Vec::with_capacity(2 * rule.predicates.len());
    let mut values: Vec<&str> = Vec::new();
    for p in &rule.predicates {
        fields.push(p.field.as_str());
        fields.push(p.canonical.as_str());
        values.extend(p.values.iter().map(String::as_str));
    }
    for e in rule.rule.expr.walk() {
        if let Expr::Keyword(k) = e {
            values.extend(k.values.iter().filter_map(|v| v.as_str()));
        }
    }
    let join = |mut terms: Vec<&str>| {
        terms.sort_unstable();
        terms.dedup();
        terms.join(" ")
    };
    (join(fields), join(values))
}

#[cfg(test)]
mod tests {
    use detcat_model::SourceFile;

    use super::*;

    fn analyzed(yaml: &str) -> AnalyzedRule {
        let outcome = detcat_sigma::parse_file(&SourceFile::new("sigma/rules/t.yml", yaml));
        let rule = outcome.rules.into_iter().next().expect("one rule");
        analyze_one(rule)
    }

    #[test]
    fn a_predicate_written_twice_is_stored_once_and_near_twins_are_kept() {
        let a = analyzed(
            "title: t\nlogsource: {product: windows, category: process_creation}\n\
             detection:\n  one: {Image|endswith: '\\a.exe'}\n  two: {Image|endswith: '\\a.exe'}\n  \
             cased: {Image|endswith|cased: '\\a.exe'}\n  other: {Image|endswith: '\\b.exe'}\n  \
             filter: {Image|endswith: '\\a.exe'}\n  \
             condition: (one or two or cased or other) and not filter\n",
        );
        let rows: Vec<(Role, bool, &str, bool, &[String])> = a
            .predicates
            .iter()
            .map(|p| {
                (
                    p.role,
                    p.negated,
                    p.field.as_str(),
                    p.case_sensitive,
                    p.values.as_slice(),
                )
            })
            .collect();
        let a_exe = ["*\\a.exe".to_owned()];
        let b_exe = ["*\\b.exe".to_owned()];
        assert_eq!(
            rows,
            [
                (Role::Indicator, false, "Image", false, &a_exe[..]),
                (Role::Indicator, false, "Image", true, &a_exe[..]),
                (Role::Indicator, false, "Image", false, &b_exe[..]),
                // The same text under `not` is another predicate.
                (Role::Exclusion, true, "Image", false, &a_exe[..]),
            ]
        );
    }

    #[test]
    fn triples_are_sorted_and_unique_per_role_field_operator_and_value() {
        let a = analyzed(
            "title: t\nlogsource: {product: windows, category: process_creation}\n\
             detection:\n  one: {Image|endswith: ['\\B.exe', '\\a.exe']}\n  \
             two: {Image|endswith: '\\b.EXE'}\n  filter: {CommandLine|contains: x}\n  \
             condition: (one or two) and not filter\n",
        );
        let triples: Vec<(Role, &str, &str, &str, &str)> = a
            .triples
            .iter()
            .map(|t| {
                (
                    t.role,
                    t.field.as_str(),
                    &*t.operator,
                    t.value.as_str(),
                    t.original.as_str(),
                )
            })
            .collect();
        let mut sorted = a.triples.clone();
        sorted.sort();
        assert_eq!(a.triples, sorted, "{triples:?}");
        // `\B.exe` and `\b.EXE` fold to one indicator; the first spelling in sort order stays.
        assert_eq!(
            triples
                .iter()
                .filter(|t| t.0 == Role::Indicator && t.3 == "b.exe")
                .count(),
            1,
            "{triples:?}"
        );
        assert!(
            triples
                .iter()
                .any(|t| t.0 == Role::Indicator && t.3 == "a.exe"),
            "{triples:?}"
        );
        assert!(
            triples.iter().any(|t| t.0 == Role::Exclusion),
            "{triples:?}"
        );
    }
}

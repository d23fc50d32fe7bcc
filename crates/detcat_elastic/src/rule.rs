//! One TOML file into one [`Rule`]: metadata, ATT&CK references, telemetry hints, and the
//! query parsed in its language and wrapped by the rule type (threshold, new_terms, …).

use detcat_model::{
    AggKind, Aggregation, AttackRefs, Comparison, Diagnostic, Expr, FileOutcome, Language,
    Lifecycle, Opaque, Operator, RangeOp, Rule, SourceFile, Span, TelemetryHint, Vendor,
};

use crate::diagnostics as diag;
use crate::filters::filter_expr;
use crate::locate::{key_line, locate};
use crate::query::{ParsedQuery, map_spans, push_hint};
use crate::toml_rule::{RuleBody, RuleFile};

const UPSTREAM: &str = "https://github.com/elastic/detection-rules/blob/main/";

/// Parses one file of the corpus's `elastic/` folder.
pub fn parse_file(file: &SourceFile) -> FileOutcome {
    if !file.path.ends_with(".toml") {
        return FileOutcome {
            non_rule: Some(non_rule_reason(&file.path)),
            ..FileOutcome::default()
        };
    }
    match toml::from_str::<RuleFile>(&file.text) {
        Ok(parsed) => FileOutcome {
            rules: vec![build(file, parsed)],
            ..FileOutcome::default()
        },
        Err(e) => {
            let span = e.span().map(|r| Span::new(r.start, r.end));
            let d = diag::bad_toml(&file.path, e.message(), span);
            FileOutcome {
                rules: vec![failed_rule(file, d)],
                ..FileOutcome::default()
            }
        }
    }
}

fn non_rule_reason(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    format!("not a rule file ({name})")
}

fn url(path: &str) -> String {
    format!(
        "{UPSTREAM}{}",
        path.strip_prefix("elastic/").unwrap_or(path)
    )
}

fn is_deprecated_path(path: &str) -> bool {
    path.split('/').any(|seg| seg == "_deprecated")
}

/// A file that is no rule we can read: kept as one failed rule so counts add up.
fn failed_rule(file: &SourceFile, d: Diagnostic) -> Rule {
    let mut rule = Rule::failed(
        Vendor::Elastic,
        Language::None,
        &file.path,
        file.text.clone(),
        d.message.clone(),
    );
    rule.title = rule.title.trim_end_matches(".toml").to_owned();
    if is_deprecated_path(&file.path) {
        rule.lifecycle = Lifecycle::Deprecated;
    }
    rule.url = Some(url(&file.path));
    rule.diagnostics = vec![d];
    rule
}

/// `2023/01/31` → `2023-01-31`; anything else is kept as written, with a warning.
fn iso_date(date: Option<String>, path: &str, diags: &mut Vec<Diagnostic>) -> Option<String> {
    let date = date?;
    let parts: Vec<&str> = date.split(['/', '-']).collect();
    let ok = matches!(parts.as_slice(), [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())));
    if ok {
        Some(parts.join("-"))
    } else {
        diags.push(diag::bad_date(path, &date));
        Some(date)
    }
}

fn attack(rule: &RuleBody) -> AttackRefs {
    let mut refs = AttackRefs::default();
    let add = |list: &mut Vec<String>, id: &str| {
        let id = id.trim().to_ascii_uppercase();
        if !id.is_empty() && !list.contains(&id) {
            list.push(id);
        }
    };
    for threat in rule
        .threat
        .iter()
        .filter(|t| t.framework.is_empty() || t.framework.contains("ATT&CK"))
    {
        if let Some(tactic) = &threat.tactic {
            match (&tactic.id, &tactic.name) {
                (Some(id), _) => add(&mut refs.tactics, id),
                (None, Some(name)) => {
                    let short = name.trim().to_ascii_lowercase().replace(' ', "-");
                    if !refs.tactics.contains(&short) {
                        refs.tactics.push(short);
                    }
                }
                (None, None) => {}
            }
        }
        for t in &threat.technique {
            add(&mut refs.techniques, &t.id);
            for s in &t.subtechnique {
                add(&mut refs.techniques, &s.id);
            }
        }
    }
    refs
}

fn language(rule: &RuleBody, rule_type: &str) -> Result<Language, String> {
    match rule.language.as_deref() {
        Some("kuery") => Ok(Language::Kuery),
        Some("eql") => Ok(Language::Eql),
        Some("esql") => Ok(Language::Esql),
        Some("lucene") => Ok(Language::Lucene),
        None if rule_type == "machine_learning" => Ok(Language::None),
        // Kibana's default for query-like rules without a language is KQL.
        None => Ok(Language::Kuery),
        Some(other) => Err(other.to_owned()),
    }
}

fn parse_query(language: Language, query: &str) -> ParsedQuery {
    match language {
        Language::Eql => crate::eql::parse(query),
        Language::Esql => crate::esql::parse(query),
        Language::Lucene => crate::lucene::parse(query),
        _ => crate::kql::parse(query),
    }
}

/// `event.category` values the query requires, as telemetry hints.
fn category_hints(expr: &Expr, hints: &mut Vec<TelemetryHint>) {
    for p in expr.indicators() {
        if p.field == "event.category" && p.op == Operator::Eq {
            for v in &p.values {
                if let Some(name) = v.as_str() {
                    push_hint(
                        hints,
                        TelemetryHint::EventCategory {
                            name: name.to_owned(),
                        },
                    );
                }
            }
        }
    }
}

fn build(file: &SourceFile, parsed: RuleFile) -> Rule {
    let path = file.path.as_str();
    let RuleFile { metadata, rule, .. } = parsed;
    let mut diags = Vec::new();
    let rule_type = rule.rule_type.clone().unwrap_or_else(|| "query".into());
    let mut telemetry = Vec::new();
    for tag in &rule.tags {
        if let Some(name) = tag.strip_prefix("Data Source:") {
            push_hint(
                &mut telemetry,
                TelemetryHint::DataSourceTag {
                    name: name.trim().to_owned(),
                },
            );
        }
    }
    for pattern in &rule.index {
        push_hint(
            &mut telemetry,
            TelemetryHint::Index {
                pattern: pattern.clone(),
            },
        );
    }
    let query_text = rule.query.clone().unwrap_or_default();
    let (language, mut expr) = query_expr(
        file,
        &rule,
        &rule_type,
        &query_text,
        &mut telemetry,
        &mut diags,
    );
    category_hints(&expr, &mut telemetry);
    let mut filter_items = Vec::new();
    for f in &rule.filters {
        match filter_expr(f) {
            None => {}
            Some(Ok(e)) => filter_items.push(e),
            Some(Err((e, what))) => {
                diags.push(diag::unknown_filter(path, &what));
                filter_items.push(e);
            }
        }
    }
    if !filter_items.is_empty() {
        filter_items.insert(0, expr);
        expr = Expr::and(filter_items);
    }
    expr = wrap_rule_type(&rule, &rule_type, expr, file, &mut diags);
    for ex in &rule.exceptions_list {
        let name = ex.list_id.as_deref().or(ex.id.as_deref()).unwrap_or("?");
        diags.push(Diagnostic::info(
            "elastic::exception-list",
            format!(
                "the rule also applies exception list {name:?}, which is not part of the corpus"
            ),
            path,
            None,
        ));
    }
    let maturity = metadata.maturity.clone();
    let lifecycle = if maturity.as_deref() == Some("deprecated") || is_deprecated_path(path) {
        Lifecycle::Deprecated
    } else {
        Lifecycle::Active
    };
    Rule {
        vendor: Vendor::Elastic,
        id: rule.rule_id.clone().unwrap_or_else(|| path.to_owned()),
        title: rule.name.clone().unwrap_or_else(|| path.to_owned()),
        description: rule.description.trim().to_owned(),
        authors: rule.author.clone(),
        created: iso_date(metadata.creation_date, path, &mut diags),
        modified: iso_date(metadata.updated_date, path, &mut diags),
        status: maturity,
        severity: rule.severity.clone(),
        rule_type,
        language,
        lifecycle,
        path: path.to_owned(),
        document: 0,
        url: Some(url(path)),
        references: rule.references.clone(),
        false_positives: rule
            .false_positives
            .iter()
            .map(|s| s.trim().to_owned())
            .collect(),
        tags: rule.tags.clone(),
        attack: attack(&rule),
        telemetry,
        query: query_text,
        expr,
        diagnostics: diags,
    }
}

/// The rule's language and its query's expression (spans in file coordinates), or an opaque
/// node saying why there is none; the query's diagnostics and telemetry hints are added.
fn query_expr(
    file: &SourceFile,
    rule: &RuleBody,
    rule_type: &str,
    query_text: &str,
    telemetry: &mut Vec<TelemetryHint>,
    diags: &mut Vec<Diagnostic>,
) -> (Language, Expr) {
    let path = file.path.as_str();
    match language(rule, rule_type) {
        Err(other) => {
            let d = diag::unknown_language(path, &other);
            let e = Expr::Opaque(Opaque {
                text: query_text.to_owned(),
                reason: d.message.clone(),
                fields: Vec::new(),
                span: None,
            });
            diags.push(d);
            (Language::None, e)
        }
        Ok(Language::None) => {
            let span = key_line(&file.text, "machine_learning_job_id");
            diags.push(diag::machine_learning_job(path, span));
            (Language::None, ml_expr(rule, span))
        }
        Ok(lang) if rule.query.is_none() => {
            let d = diag::missing_query(path, rule_type);
            let e = Expr::Opaque(Opaque {
                text: String::new(),
                reason: d.message.clone(),
                fields: Vec::new(),
                span: None,
            });
            diags.push(d);
            (lang, e)
        }
        Ok(lang) => {
            let q = parse_query(lang, query_text);
            let loc = locate(&file.text, "query", query_text);
            if loc.is_none() {
                diags.push(diag::query_not_located(path));
            }
            let to_file = |s: Span| match &loc {
                Some(l) => Span::new(l.to_file(s.start as usize), l.to_file(s.end as usize)),
                None => s,
            };
            let mut e = q.expr;
            map_spans(&mut e, &to_file);
            for d in q.diagnostics {
                let span = to_file(d.span);
                diags.push(d.into_diagnostic(path, 0).with_span(span));
            }
            for h in q.telemetry {
                push_hint(telemetry, h);
            }
            (lang, e)
        }
    }
}

trait WithSpan {
    fn with_span(self, span: Span) -> Self;
}

impl WithSpan for Diagnostic {
    fn with_span(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }
}

/// Machine-learning rules have no query: one opaque node naming the jobs.
fn ml_expr(rule: &RuleBody, span: Option<Span>) -> Expr {
    let jobs = rule
        .machine_learning_job_id
        .clone()
        .map(|j| j.into_vec())
        .unwrap_or_default();
    let mut text = format!("machine_learning_job_id = {jobs:?}");
    if let Some(t) = rule.anomaly_threshold {
        text.push_str(&format!("; anomaly_threshold = {t}"));
    }
    Expr::Opaque(Opaque {
        text,
        reason: "machine learning job".into(),
        fields: Vec::new(),
        span,
    })
}

fn wrap_rule_type(
    rule: &RuleBody,
    rule_type: &str,
    expr: Expr,
    file: &SourceFile,
    diags: &mut Vec<Diagnostic>,
) -> Expr {
    let path = file.path.as_str();
    match rule_type {
        "threshold" => threshold(rule, expr, path, diags),
        "new_terms" => {
            let Some(nt) = &rule.new_terms else {
                return expr;
            };
            let fields = nt.value.clone().map(|v| v.into_vec()).unwrap_or_default();
            let window = nt.history_window_start.iter().find_map(|w| w.value.clone());
            Expr::Aggregation(Aggregation {
                kind: AggKind::NewTerms,
                function: Some("new_terms".into()),
                input: Some(Box::new(expr)),
                rule_refs: Vec::new(),
                text: Some(format!(
                    "new terms of {fields:?} since {}",
                    window.as_deref().unwrap_or("?")
                )),
                fields,
                group_by: Vec::new(),
                timespan: window,
                condition: None,
            })
        }
        "threat_match" => {
            let fields: Vec<String> = rule
                .threat_mapping
                .iter()
                .flat_map(|m| m.entries.iter().map(|e| e.field.clone()))
                .collect();
            let mapping: Vec<String> = rule
                .threat_mapping
                .iter()
                .flat_map(|m| {
                    m.entries
                        .iter()
                        .map(|e| format!("{} = {}", e.field, e.value))
                })
                .collect();
            let text = format!(
                "indicator index {:?}; indicator query ({}): {}; mapping: {}",
                rule.threat_index,
                rule.threat_language.as_deref().unwrap_or("kuery"),
                rule.threat_query.as_deref().unwrap_or("").trim(),
                mapping.join(", ")
            );
            let threat_span = key_line(&file.text, "threat_index")
                .or_else(|| key_line(&file.text, "rule.threat_mapping"));
            diags.push(diag::threat_match(path, threat_span));
            let indicator = Expr::Opaque(Opaque {
                text,
                reason: "threat intel indicator match".into(),
                fields,
                span: threat_span,
            });
            Expr::and(vec![expr, indicator])
        }
        _ => expr,
    }
}

/// A threshold rule: a count of the query's events (by the threshold's fields), with a
/// distinct count per cardinality clause around it.
fn threshold(rule: &RuleBody, expr: Expr, path: &str, diags: &mut Vec<Diagnostic>) -> Expr {
    let Some(th) = &rule.threshold else {
        diags.push(diag::bad_threshold(
            path,
            "threshold rule without [rule.threshold]",
        ));
        return expr;
    };
    let group_by = th.field.clone().map(|f| f.into_vec()).unwrap_or_default();
    let count = Aggregation {
        kind: AggKind::EventCount,
        function: Some("count".into()),
        input: Some(Box::new(expr)),
        rule_refs: Vec::new(),
        fields: Vec::new(),
        group_by: group_by.clone(),
        timespan: None,
        // Elastic alerts when the count reaches the value.
        condition: th.value.map(|v| Comparison {
            op: RangeOp::Gte,
            value: v,
        }),
        text: Some(format!(
            "threshold: count >= {} by {group_by:?}",
            th.value.unwrap_or(0.0)
        )),
    };
    th.cardinality
        .iter()
        .fold(Expr::Aggregation(count), |inner, c| {
            Expr::Aggregation(Aggregation {
                kind: AggKind::ValueCount,
                function: Some("cardinality".into()),
                input: Some(Box::new(inner)),
                rule_refs: Vec::new(),
                fields: vec![c.field.clone()],
                group_by: group_by.clone(),
                timespan: None,
                condition: Some(Comparison {
                    op: RangeOp::Gte,
                    value: c.value,
                }),
                text: Some(format!(
                    "threshold cardinality: distinct {} >= {}",
                    c.field, c.value
                )),
            })
        })
}

#[cfg(test)]
#[path = "rule_tests.rs"]
mod tests;

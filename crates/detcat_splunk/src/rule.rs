//! A detection file into a model [`Rule`].

use detcat_model::{
    AttackRefs, Diagnostic, Expr, Language, Lifecycle, Opaque, Rule, SourceFile, Span,
    TelemetryHint, Vendor,
};
use detcat_yaml::{Limits, parse_documents};

use crate::detection::Detection;
use crate::diagnostics as diag;
use crate::files::Context;
use crate::lower::{self, CommandUse, map_spans};
use crate::macros;
use crate::offsets::ValueOffsets;
use crate::spl;

/// Upstream location of the corpus' `splunk/` folder.
pub const UPSTREAM: &str = "https://github.com/splunk/security_content/blob/develop/";

/// One SPL query, macros expanded, parsed and lowered.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutcome {
    pub expr: Expr,
    pub datamodels: Vec<String>,
    /// Spans relative to the query as written (before macro expansion).
    pub diagnostics: Vec<Diagnostic>,
    pub commands: Vec<CommandUse>,
    /// The query after macro expansion.
    pub expanded: String,
}

/// Expands, parses and lowers one query. Spans in the result point into `query`.
pub fn parse_query(query: &str, context: &Context) -> QueryOutcome {
    let expanded = macros::expand(query, &context.macros);
    let parsed = spl::parse(&expanded.text);
    let lowered = lower::lower(&parsed.query, &expanded.text, &context.lookups);
    let to_source = |s: Span| expanded.map.to_source(s);
    let mut expr = lowered.expr;
    map_spans(&mut expr, &to_source);
    let mut diagnostics = expanded.diagnostics;
    for mut d in parsed.diagnostics.into_iter().chain(lowered.diagnostics) {
        d.span = d.span.map(to_source);
        diagnostics.push(d);
    }
    explain_opaque_nodes(&expr, &mut diagnostics);
    if !expr
        .walk()
        .any(|e| matches!(e, Expr::Pred(_) | Expr::Keyword(_)))
    {
        diagnostics.push(diag::no_predicate(Span::new(0, query.len())));
    }
    QueryOutcome {
        expr,
        datamodels: lowered.datamodels,
        diagnostics,
        commands: lowered.commands,
        expanded: expanded.text,
    }
}

/// Every opaque node gets a diagnostic naming it and its place: one whose span overlaps the
/// node's (a parse error, an unsupported command, an unresolved lookup), else a generic one.
fn explain_opaque_nodes(expr: &Expr, diagnostics: &mut Vec<Diagnostic>) {
    let overlaps =
        |a: Span, b: Span| a.start < b.end.max(b.start + 1) && b.start < a.end.max(a.start + 1);
    let mut missing = Vec::new();
    for e in expr.walk() {
        let Expr::Opaque(o) = e else { continue };
        let explained = match o.span {
            Some(span) => diagnostics
                .iter()
                .any(|d| d.span.is_some_and(|s| overlaps(s, span))),
            None => !diagnostics.is_empty(),
        };
        if !explained {
            missing.push(diag::opaque_node(o.span, &o.reason));
        }
    }
    diagnostics.extend(missing);
}

/// Reads one detection file into a rule; a file that cannot be read is one *failed* rule.
pub fn parse_detection(file: &SourceFile, context: &Context) -> Rule {
    let docs = match parse_documents(&file.text, &Limits::default()) {
        Ok(docs) => docs,
        Err(e) => {
            return failed_rule(
                file,
                diag::yaml_error(&file.path, &e.message, e.span),
                "unreadable YAML",
            );
        }
    };
    let Some(doc) = docs.first().filter(|d| d.as_map().is_some()) else {
        return failed_rule(
            file,
            diag::not_a_mapping(&file.path, "detection"),
            "not a detection mapping",
        );
    };
    let (det, mut diagnostics) = Detection::from_node(doc, &file.path);
    if docs.len() > 1 {
        diagnostics.push(diag::multiple_documents(&file.path));
    }
    let mut rule = base_rule(file, &det);
    let Some(search) = &det.search else {
        diagnostics.push(diag::missing_key(&file.path, "search", "detection"));
        rule.expr = Expr::Opaque(Opaque {
            text: String::new(),
            reason: "no search".to_owned(),
            fields: Vec::new(),
            span: None,
        });
        rule.diagnostics = diagnostics;
        return rule;
    };
    let outcome = parse_query(&search.text, context);
    let offsets = ValueOffsets::new(&file.text, search.span, &search.text);
    let to_file = |s: Span| offsets.span(s);
    let mut expr = outcome.expr;
    map_spans(&mut expr, &to_file);
    for mut d in outcome.diagnostics {
        d.path.clone_from(&file.path);
        d.span = d.span.map(to_file);
        diagnostics.push(d);
    }
    for dm in outcome.datamodels {
        let hint = TelemetryHint::Datamodel { name: dm };
        if !rule.telemetry.contains(&hint) {
            rule.telemetry.push(hint);
        }
    }
    rule.query.clone_from(&search.text);
    rule.expr = expr;
    rule.diagnostics = diagnostics;
    rule
}

fn is_deprecated(path: &str, status: Option<&str>) -> bool {
    path.contains("/deprecated/")
        || status.is_some_and(|s| s.trim().eq_ignore_ascii_case("deprecated"))
}

fn file_stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').map_or(name, |(stem, _)| stem)
}

fn url_of(path: &str) -> String {
    format!("{UPSTREAM}{}", path.strip_prefix("splunk/").unwrap_or(path))
}

fn base_rule(file: &SourceFile, det: &Detection) -> Rule {
    let mut telemetry: Vec<TelemetryHint> = Vec::new();
    for name in &det.data_source {
        let hint = TelemetryHint::DataSource {
            name: name.trim().to_owned(),
        };
        if !telemetry.contains(&hint) {
            telemetry.push(hint);
        }
    }
    for name in &det.datamodel {
        let hint = TelemetryHint::Datamodel {
            name: name.trim().to_owned(),
        };
        if !telemetry.contains(&hint) {
            telemetry.push(hint);
        }
    }
    let mut tags = det.tags.flatten();
    if let Some(v) = &det.version {
        tags.push(format!("version:{v}"));
    }
    tags.extend(det.attack_data.iter().map(|u| format!("attack_data:{u}")));
    let techniques = det
        .tags
        .mitre_attack_id
        .iter()
        .map(|t| t.trim().to_ascii_uppercase())
        .filter(|t| !t.is_empty())
        .collect();
    Rule {
        vendor: Vendor::Splunk,
        id: det
            .id
            .clone()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| file.path.clone()),
        title: det
            .name
            .clone()
            .unwrap_or_else(|| file_stem(&file.path).to_owned()),
        description: det
            .description
            .clone()
            .unwrap_or_default()
            .trim()
            .to_owned(),
        authors: det
            .author
            .iter()
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect(),
        created: det.date.clone(),
        modified: None,
        status: det.status.clone(),
        severity: None,
        rule_type: det.kind.clone().unwrap_or_default(),
        language: Language::Spl,
        lifecycle: if is_deprecated(&file.path, det.status.as_deref()) {
            Lifecycle::Deprecated
        } else {
            Lifecycle::Active
        },
        path: file.path.clone(),
        document: 0,
        url: Some(url_of(&file.path)),
        references: det.references.clone(),
        false_positives: det
            .known_false_positives
            .iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        tags,
        attack: AttackRefs {
            techniques,
            tactics: Vec::new(),
        },
        telemetry,
        query: String::new(),
        expr: Expr::Const { value: true },
        diagnostics: Vec::new(),
    }
}

/// The one failed rule of a file that could not be read.
fn failed_rule(file: &SourceFile, error: Diagnostic, reason: &str) -> Rule {
    let mut rule = base_rule(file, &Detection::default());
    rule.lifecycle = if is_deprecated(&file.path, None) {
        Lifecycle::Deprecated
    } else {
        Lifecycle::Active
    };
    rule.expr = Expr::Opaque(Opaque {
        text: file.text.clone(),
        reason: reason.to_owned(),
        fields: Vec::new(),
        span: None,
    });
    rule.diagnostics = vec![error];
    rule
}

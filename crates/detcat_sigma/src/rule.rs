//! One YAML document into one [`Rule`].

use detcat_model::{Diagnostic, Expr, Language, Lifecycle, Rule, Span, Vendor};
use detcat_yaml::{Node, NodeValue};

use crate::condition::{Resolver, parse_condition, resolve};
use crate::detection::{RESERVED, search_identifiers};
use crate::diagnostics as diag;
use crate::header::{Header, attack_refs};
use crate::meta;

/// Where the file is and what the upstream repository calls it.
pub(crate) struct FileCtx<'a> {
    pub(crate) path: &'a str,
    pub(crate) text: &'a str,
    pub(crate) lifecycle: Lifecycle,
}

impl FileCtx<'_> {
    pub(crate) fn url(&self) -> String {
        let rel = self.path.strip_prefix("sigma/").unwrap_or(self.path);
        format!("https://github.com/SigmaHQ/sigma/blob/master/{rel}")
    }

    fn stem(&self) -> String {
        let name = self.path.rsplit('/').next().unwrap_or(self.path);
        name.rsplit_once('.').map_or(name, |(s, _)| s).to_owned()
    }

    /// A rule that could not be parsed at all: kept, with its text opaque and the reason.
    pub(crate) fn failed(
        &self,
        document: u32,
        opaque_text: String,
        reason: &str,
        diagnostics: Vec<Diagnostic>,
    ) -> Rule {
        let mut rule = Rule::failed(
            Vendor::Sigma,
            Language::Sigma,
            self.path,
            opaque_text.clone(),
            reason,
        );
        rule.title = self.stem();
        rule.rule_type = "detection".to_owned();
        rule.lifecycle = self.lifecycle;
        rule.document = document;
        rule.url = Some(self.url());
        rule.query = opaque_text;
        rule.diagnostics = diagnostics;
        rule
    }
}

/// Builds the rule of one (merged) document.
pub(crate) fn build(ctx: &FileCtx<'_>, document: u32, doc: &Node) -> Rule {
    let mut diags = Vec::new();
    if doc.as_map().is_none() {
        diags.push(diag::not_a_mapping(ctx.path, doc.span));
        return ctx.failed(document, slice(ctx.text, doc.span), "not a mapping", diags);
    }
    for dup in doc.duplicate_keys() {
        diags.push(diag::duplicate_key(
            ctx.path,
            &dup.scalar_text().unwrap_or_default(),
            dup.span,
        ));
    }
    let (header, header_diags) = Header::read(doc, ctx.path);
    diags.extend(header_diags);
    let (rule_type, block) = if let Some(b) = doc.get("correlation") {
        ("correlation", b)
    } else if let Some(b) = doc.get("filter") {
        ("filter", b)
    } else if let Some(b) = doc.get("detection") {
        ("detection", b)
    } else {
        diags.push(diag::missing_detection(ctx.path, doc.span));
        let mut rule = ctx.failed(document, slice(ctx.text, doc.span), "no detection", diags);
        apply_header(&mut rule, ctx, header);
        return rule;
    };
    let query = slice(ctx.text, block.span);
    let expr = match rule_type {
        "correlation" => meta::correlation(block, ctx.text, ctx.path, &mut diags).ok(),
        "filter" => {
            let refs = meta::strings(block.get("rules"));
            if !refs.is_empty() {
                diags.push(diag::filter_targets(ctx.path, &refs, block.span));
            }
            detection(block, &["condition", "rules"], ctx, &mut diags)
        }
        _ => detection(block, &RESERVED, ctx, &mut diags),
    };
    let mut rule = match expr {
        Some(expr) => {
            let mut rule = ctx.failed(document, String::new(), "", diags);
            rule.expr = expr;
            rule
        }
        None => ctx.failed(
            document,
            query.clone(),
            "the detection could not be parsed",
            diags,
        ),
    };
    rule.query = query;
    rule.rule_type = rule_type.to_owned();
    apply_header(&mut rule, ctx, header);
    rule
}

fn apply_header(rule: &mut Rule, ctx: &FileCtx<'_>, h: Header) {
    if let Some(id) = h.id {
        rule.id = id;
    }
    if let Some(title) = h.title {
        rule.title = title;
    }
    if h.status.as_deref() == Some("deprecated") {
        rule.lifecycle = Lifecycle::Deprecated;
    } else if h.status.as_deref() == Some("unsupported") && ctx.lifecycle == Lifecycle::Active {
        rule.lifecycle = Lifecycle::Unsupported;
    }
    rule.attack = attack_refs(&h.tags);
    rule.description = h.description;
    rule.authors = h.authors;
    rule.created = h.created;
    rule.modified = h.modified;
    rule.status = h.status;
    rule.severity = h.level;
    rule.references = h.references;
    rule.false_positives = h.false_positives;
    rule.tags = h.tags;
    rule.telemetry = h.logsource.into_iter().collect();
}

fn slice(text: &str, span: Span) -> String {
    span.slice(text).to_owned()
}

/// A `detection` (or `filter`) block: identifiers, then the condition(s) over them.
/// `None` when the condition is missing or does not parse (the rule then fails).
fn detection(
    block: &Node,
    skip: &[&str],
    ctx: &FileCtx<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Expr> {
    if block.as_map().is_none() {
        diags.push(diag::invalid_detection(
            ctx.path,
            "the detection must be a mapping",
            block.span,
        ));
        return None;
    }
    let Some(cond) = block.get("condition") else {
        diags.push(diag::missing_condition(ctx.path, block.span));
        return None;
    };
    let ids = search_identifiers(block, skip, ctx.path, diags);
    let timeframe = block.get("timeframe").and_then(Node::scalar_text);
    let conditions: Vec<&Node> = match &cond.value {
        NodeValue::Seq(items) => {
            diags.push(diag::condition_list(ctx.path, cond.span));
            items.iter().collect()
        }
        _ => vec![cond],
    };
    let mut parsed = Vec::new();
    let mut failed = false;
    for c in conditions {
        let Some(text) = c.as_str() else {
            diags.push(diag::condition_syntax(
                ctx.path,
                "the condition must be a string",
                c.span,
            ));
            failed = true;
            continue;
        };
        let base = text_offset(ctx.text, c, text);
        let (ast, errors) = parse_condition(text);
        if !errors.is_empty() {
            for e in errors {
                diags.push(diag::condition_syntax(
                    ctx.path,
                    &e.message,
                    e.span.offset(base),
                ));
            }
            failed = true;
            continue;
        }
        parsed.push((ast, base));
    }
    // Every condition is parsed before any is resolved: the resolver counts the references
    // to each identifier, so the last one can take its expression rather than copy it.
    let mut resolver = Resolver::new(ids, parsed.iter().map(|(ast, _)| ast), ctx.path, timeframe);
    let mut exprs = Vec::with_capacity(parsed.len());
    for (ast, base) in &parsed {
        resolver.base = *base;
        exprs.push(resolve(ast, &mut resolver, diags));
    }
    if failed || exprs.is_empty() {
        return None;
    }
    Some(Expr::or(exprs))
}

/// Byte offset of a scalar's value inside the file: exact for single-line plain and quoted
/// scalars, the node start otherwise.
fn text_offset(file: &str, node: &Node, value: &str) -> usize {
    let start = node.span.start as usize;
    let src = file.get(start..node.span.end as usize).unwrap_or_default();
    if src == value {
        start
    } else if src.len() >= 2 && src.get(1..src.len() - 1) == Some(value) {
        start + 1
    } else {
        start
    }
}

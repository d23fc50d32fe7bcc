//! Text rendering of catalog views for the terminal.

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use detcat_catalog::BuildReport;
use detcat_catalog::views::{
    EventPage, FieldPage, NumberedReference, RulePage, SearchPage, TechniqueData, TechniquePage,
    VendorCounts,
};
use detcat_model::{Expr, Lifecycle, OutlineItem, Role, Value, Vendor};

/// Rows of a column-aligned table; the first row is the header.
pub fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
                .min(60)
        })
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                let cell: String = if cell.chars().count() > 60 {
                    cell.chars().take(59).chain(['…']).collect()
                } else {
                    cell.clone()
                };
                format!("{cell:<w$}", w = widths.get(c).copied().unwrap_or(0))
            })
            .collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
        if i == 0 {
            let _ = writeln!(
                out,
                "  {}",
                widths
                    .iter()
                    .map(|w| "─".repeat(*w))
                    .collect::<Vec<_>>()
                    .join("  ")
            );
        }
    }
    out
}

/// `Sigma 4 · Elastic 12 · …`, every vendor.
pub(crate) fn vendors(v: &VendorCounts) -> String {
    let parts: Vec<String> = v
        .iter()
        .map(|(vendor, n)| format!("{} {n}", vendor.title()))
        .collect();
    parts.join(" · ")
}

/// `Elastic Defend 12, Elastic Endgame 6`.
fn sensor_list(sensors: &[detcat_catalog::views::SensorCount]) -> String {
    let parts: Vec<String> = sensors
        .iter()
        .map(|s| format!("{} {}", s.name, s.rules))
        .collect();
    parts.join(", ")
}

/// Standard output with control characters shown, not sent (rule text is untrusted).
fn out() -> crate::sanitize::Sanitized<std::io::StdoutLock<'static>> {
    crate::sanitize::Sanitized::new(std::io::stdout().lock())
}

pub fn technique(p: &TechniquePage) -> anyhow::Result<()> {
    let mut o = out();
    technique_header(&mut o, p)?;
    if let Some(data) = &p.technique.data {
        attack_data(&mut o, data)?;
    }
    let total = p.rules_by_vendor.total();
    writeln!(o, "\nRules: {total} ({})", vendors(&p.rules_by_vendor))?;
    if total == 0 {
        writeln!(
            o,
            "  No rule in this catalog is tagged with {}. Collect what ATT&CK's analytics above name.",
            p.technique.id
        )?;
    }
    events_covered(&mut o, p)?;
    authoring_guide(&mut o, p)?;
    for vendor in Vendor::ALL {
        let rules: Vec<_> = p.rules.iter().filter(|r| r.vendor == vendor).collect();
        if rules.is_empty() {
            continue;
        }
        writeln!(o, "\n{} {} rules", vendor.title(), rules.len())?;
        for r in rules {
            writeln!(o, "  {}  {}", r.id, r.title)?;
        }
    }
    if !p.subtechniques.is_empty() {
        writeln!(
            o,
            "\nSub-techniques ({} rules)",
            p.subtechnique_rules_by_vendor.total()
        )?;
        for s in &p.subtechniques {
            writeln!(o, "  {} {} — {}", s.id, s.name, vendors(&s.rules_by_vendor))?;
        }
    }
    crate::eval::render_technique_recordings(&mut o, &p.recordings)?;
    Ok(())
}

/// Id, name, parent, tactics, platforms, link, and who uses the technique.
fn technique_header(o: &mut impl Write, p: &TechniquePage) -> anyhow::Result<()> {
    let t = &p.technique;
    writeln!(o, "{} {}", t.id, t.name)?;
    if let Some(parent) = &t.parent {
        writeln!(o, "  parent:    {} {}", parent.id, parent.name)?;
    }
    let tactics: Vec<String> = t
        .tactics
        .iter()
        .map(|t| format!("{} ({})", t.name, t.id))
        .collect();
    writeln!(o, "  tactics:   {}", tactics.join(", "))?;
    writeln!(o, "  platforms: {}", t.platforms.join(", "))?;
    if let Some(url) = &t.url {
        writeln!(o, "  {url}")?;
    }
    crate::threat::technique(o, p)?;
    Ok(())
}

fn references(o: &mut impl Write, refs: &[NumberedReference]) -> anyhow::Result<()> {
    for r in refs {
        let url = r.url.as_deref().unwrap_or("");
        writeln!(o, "  [{}] {} {url}", r.number, r.source_name)?;
    }
    Ok(())
}

/// ATT&CK's description, references and detection guidance (legacy text or strategies).
fn attack_data(o: &mut impl Write, data: &TechniqueData) -> anyhow::Result<()> {
    writeln!(o, "\n{}", data.description.trim())?;
    references(o, &data.references)?;
    let det = &data.detection;
    if let Some(legacy) = &det.legacy {
        writeln!(o, "\nDetection (ATT&CK legacy guidance)\n{}", legacy.trim())?;
        // The legacy text numbers its own citations.
        references(o, &det.legacy_references)?;
    }
    for s in &det.strategies {
        writeln!(o, "\nDetection strategy {}: {}", s.id, s.name)?;
        for a in &s.analytics {
            writeln!(o, "  analytic {} ({})", a.id, a.platforms.join(", "))?;
            for ls in &a.log_sources {
                writeln!(o, "    {}: {} {}", ls.component(), ls.name, ls.channel)?;
            }
        }
    }
    Ok(())
}

/// Native events with the sensors beside them, sensors alone, and the selectors (scope).
fn events_covered(o: &mut impl Write, p: &TechniquePage) -> anyhow::Result<()> {
    if !p.events.is_empty() {
        writeln!(
            o,
            "\nEvents covered ({} native; sensors that also see the activity beside them)",
            p.events.len()
        )?;
        let mut rows = vec![vec![
            "provider".into(),
            "event".into(),
            "title".into(),
            "rules".into(),
            "sensors (rules)".into(),
        ]];
        rows.extend(p.events.iter().map(|e| {
            vec![
                e.provider.clone(),
                e.event_id.clone(),
                e.title.clone(),
                e.rules.to_string(),
                sensor_list(&e.sensors),
            ]
        }));
        write!(o, "{}", table(&rows))?;
    }
    if !p.sensors.is_empty() {
        writeln!(
            o,
            "\nSensors with no native counterpart here: {}",
            sensor_list(&p.sensors)
        )?;
    }
    if !p.scope.is_empty() {
        // Selectors: which event streams the rules read — where to look, not what to look for.
        let scope: Vec<String> = p
            .scope
            .iter()
            .map(|s| format!("{} {} {} ({})", s.field, s.operator, s.value, s.rules))
            .collect();
        writeln!(
            o,
            "
Scope (selectors, rules): {}",
            scope.join("; ")
        )?;
    }
    Ok(())
}

/// Fields filtered most, top indicator values, exclusions.
fn authoring_guide(o: &mut impl Write, p: &TechniquePage) -> anyhow::Result<()> {
    if !p.fields.is_empty() {
        writeln!(o, "\nFields filtered most ({} distinct)", p.fields_distinct)?;
        let mut rows = vec![vec![
            "field".into(),
            "rules".into(),
            "how".into(),
            "vendor names".into(),
            "samples".into(),
        ]];
        for f in p.fields.iter().take(20) {
            let mut ops: Vec<(&String, &u64)> = f.operators.iter().collect();
            ops.sort_by(|a, b| b.1.cmp(a.1));
            let how = ops
                .iter()
                .map(|(op, n)| format!("{op} {n}"))
                .collect::<Vec<_>>()
                .join(" · ");
            rows.push(vec![
                f.field.clone(),
                f.rules.to_string(),
                how,
                f.vendor_names.join(", "),
                f.samples.join(", "),
            ]);
        }
        write!(o, "{}", table(&rows))?;
    }
    if !p.indicators.is_empty() {
        writeln!(
            o,
            "\nTop indicator values ({} distinct)",
            p.indicators_distinct
        )?;
        let mut rows = vec![vec![
            "field".into(),
            "op".into(),
            "value".into(),
            "rules".into(),
            "corpus reach".into(),
        ]];
        for i in p.indicators.iter().take(25) {
            rows.push(vec![
                i.field.clone(),
                i.operator.clone(),
                i.value.clone(),
                i.rules.to_string(),
                i.corpus_reach.to_string(),
            ]);
        }
        write!(o, "{}", table(&rows))?;
    }
    if !p.exclusions.is_empty() {
        writeln!(o, "\nExclusions ({} distinct)", p.exclusions_distinct)?;
        let mut rows = vec![vec![
            "field".into(),
            "op".into(),
            "value".into(),
            "rules".into(),
        ]];
        for e in p.exclusions.iter().take(25) {
            rows.push(vec![
                e.field.clone(),
                e.operator.clone(),
                e.value.clone(),
                e.rules.to_string(),
            ]);
        }
        write!(o, "{}", table(&rows))?;
    }
    Ok(())
}

pub fn rule(p: &RulePage) -> anyhow::Result<()> {
    let mut o = out();
    writeln!(o, "{} ({} {})", p.title, p.vendor.title(), p.id)?;
    writeln!(o, "  path:    {}", p.path)?;
    if let Some(url) = &p.url {
        writeln!(o, "  url:     {url}")?;
    }
    writeln!(
        o,
        "  type:    {} ({}), status {}, parsed: {}",
        p.rule_type,
        p.language,
        p.status.as_deref().unwrap_or("-"),
        p.parse_status
    )?;
    if p.lifecycle != Lifecycle::Active {
        writeln!(
            o,
            "  lifecycle: {} (left out of statistics by default)",
            p.lifecycle
        )?;
    }
    let techniques: Vec<String> = p
        .techniques
        .iter()
        .map(|t| format!("{} {}", t.id, t.name))
        .collect();
    writeln!(o, "  techniques: {}", techniques.join("; "))?;
    let events: Vec<String> = p
        .events
        .iter()
        .map(|e| format!("{}:{} {}", e.provider, e.event_id, e.title))
        .collect();
    writeln!(o, "  events:  {}", events.join("; "))?;
    if !p.description.is_empty() {
        writeln!(o, "\n{}", p.description.trim())?;
    }
    writeln!(o, "\nPredicates")?;
    let mut rows = vec![vec![
        "role".into(),
        "field".into(),
        "canonical".into(),
        "op".into(),
        "values".into(),
    ]];
    for pr in &p.predicates {
        let role = if pr.role == Role::Exclusion {
            "NOT (exclusion)".to_owned()
        } else if pr.role == Role::Selector && pr.negated {
            "not (selector)".to_owned()
        } else if pr.negated {
            "not".to_owned()
        } else {
            pr.role.to_string()
        };
        rows.push(vec![
            role,
            pr.field.clone(),
            pr.canonical.clone(),
            pr.operator.to_string(),
            pr.values.join(" | "),
        ]);
    }
    write!(o, "{}", table(&rows))?;
    writeln!(o, "\nTree")?;
    write!(o, "{}", outline(&p.expr))?;
    if !p.indicators.is_empty() {
        writeln!(o, "\nIndicators (corpus reach)")?;
        for i in &p.indicators {
            writeln!(
                o,
                "  {} {} {}  ({} rules)",
                i.field, i.operator, i.value, i.corpus_reach
            )?;
        }
    }
    crate::eval::render_rule_recordings(&mut o, &p.recordings)?;
    if !p.diagnostics.is_empty() {
        writeln!(o, "\nDiagnostics")?;
        for d in &p.diagnostics {
            write!(o, "{}", d.rendered(p.source.as_deref()))?;
        }
    }
    writeln!(o, "\nQuery\n{}", p.query.trim_end())?;
    Ok(())
}

/// Values an outline line shows before it says how many more there are.
const OUTLINE_VALUES: usize = 5;

fn outline_values(values: &[Value]) -> String {
    let mut shown: Vec<String> = values
        .iter()
        .take(OUTLINE_VALUES)
        .map(Value::to_text)
        .collect();
    if values.len() > OUTLINE_VALUES {
        shown.push(format!("… +{}", values.len() - OUTLINE_VALUES));
    }
    shown.join(" | ")
}

/// The rule's tree ([`Expr::outline`]), one node a line, indented by depth.
fn outline(expr: &Expr) -> String {
    let mut out = String::new();
    let mut depth = 1;
    for item in expr.outline() {
        let pad = "  ".repeat(depth);
        let notes = |n: &[String]| {
            if n.is_empty() {
                String::new()
            } else {
                format!("  ({})", n.join("; "))
            }
        };
        match item {
            // An exclusion's detail says so.
            OutlineItem::Open { label, detail, .. } => {
                let detail = if detail.is_empty() {
                    String::new()
                } else {
                    format!(" — {detail}")
                };
                let _ = writeln!(out, "{pad}{label}{detail}");
                depth += 1;
            }
            OutlineItem::Close => depth = depth.saturating_sub(1).max(1),
            OutlineItem::Pred {
                predicate,
                notes: n,
            } => {
                let _ = writeln!(
                    out,
                    "{pad}{} {} {}{}",
                    predicate.field,
                    predicate.op,
                    outline_values(&predicate.values),
                    notes(&n)
                );
            }
            OutlineItem::Keyword { keyword, notes: n } => {
                let _ = writeln!(
                    out,
                    "{pad}keyword {} {}{}",
                    keyword.op,
                    outline_values(&keyword.values),
                    notes(&n)
                );
            }
            OutlineItem::Code { label, note, text } => {
                // The first line, cut: the whole text is the query below.
                let first = text.trim().lines().next().unwrap_or("");
                let mut shown: String = first.chars().take(120).collect();
                if shown.len() < text.trim().len() {
                    shown.push('…');
                }
                let _ = writeln!(out, "{pad}{label} {note}: {shown}");
            }
            OutlineItem::Const { value } => {
                let _ = writeln!(out, "{pad}{value}");
            }
        }
    }
    out
}

pub fn field(p: &FieldPage) -> anyhow::Result<()> {
    let mut o = out();
    writeln!(
        o,
        "{}{}",
        p.field,
        p.title
            .as_ref()
            .map(|t| format!(" — {t}"))
            .unwrap_or_else(|| " (unmapped field)".into())
    )?;
    writeln!(o, "  names in rules: {}", p.vendor_names_seen.join(", "))?;
    writeln!(o, "  rules: {}", vendors(&p.rules_by_vendor))?;
    let ops: Vec<String> = p
        .operators
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    writeln!(o, "  how:   {}", ops.join(" · "))?;
    writeln!(o, "\nTop values")?;
    let mut rows = vec![vec!["op".into(), "value".into(), "rules".into()]];
    rows.extend(
        p.values
            .iter()
            .take(25)
            .map(|v| vec![v.operator.clone(), v.value.clone(), v.rules.to_string()]),
    );
    write!(o, "{}", table(&rows))?;
    writeln!(o, "\nTechniques")?;
    for t in p.techniques.iter().take(25) {
        writeln!(o, "  {} {} ({} rules)", t.id, t.name, t.rules)?;
    }
    Ok(())
}

pub fn event(p: &EventPage) -> anyhow::Result<()> {
    let mut o = out();
    writeln!(o, "{}:{} {}", p.provider, p.event_id, p.title)?;
    writeln!(o, "  rules: {}", vendors(&p.rules_by_vendor))?;
    writeln!(o, "\nFields filtered")?;
    for f in p.fields.iter().take(20) {
        writeln!(o, "  {} ({} rules)", f.field, f.rules)?;
    }
    writeln!(o, "\nTechniques")?;
    for t in p.techniques.iter().take(25) {
        writeln!(o, "  {} {} ({} rules)", t.id, t.name, t.rules)?;
    }
    Ok(())
}

pub fn search(p: &SearchPage) -> anyhow::Result<()> {
    let mut o = out();
    writeln!(
        o,
        "{} rules match '{}' (showing {}–{})",
        p.total,
        p.query,
        p.offset + 1,
        p.offset + p.hits.len() as u64
    )?;
    for h in &p.hits {
        writeln!(
            o,
            "  {:<8} {}  {}  [{}]",
            h.rule.vendor,
            h.rule.id,
            h.rule.title,
            h.techniques.join(", ")
        )?;
        if !h.why.is_empty() {
            writeln!(o, "           matched on: {}", h.why.join(" · "))?;
        }
    }
    if p.total == 0 && !p.suggestions.is_empty() {
        writeln!(o, "nothing matched; the catalog holds these near it:")?;
        for s in &p.suggestions {
            writeln!(
                o,
                "  {}  ({} rules: detcat search '{}')",
                s.label, s.rules, s.query
            )?;
        }
    }
    Ok(())
}

fn pct(n: usize, d: usize) -> String {
    if d == 0 {
        "-".into()
    } else {
        format!("{:.2}%", n as f64 * 100.0 / d as f64)
    }
}

pub fn stats(r: &BuildReport, origin: &str) -> anyhow::Result<()> {
    let mut o = out();
    writeln!(o, "Catalog {origin} (corpus: {})", r.origin)?;
    let mut rows = vec![vec![
        "vendor".into(),
        "files".into(),
        "rule files".into(),
        "non-rule".into(),
        "skipped".into(),
        "rules".into(),
        "normalized".into(),
        "partial".into(),
        "failed".into(),
        "deprecated".into(),
    ]];
    for (v, c) in &r.vendors {
        rows.push(vec![
            v.clone(),
            c.files.to_string(),
            c.rule_files.to_string(),
            c.non_rule_files.to_string(),
            c.skipped_files.to_string(),
            c.rules.to_string(),
            format!("{} ({})", c.normalized, pct(c.normalized, c.rules)),
            c.partial.to_string(),
            c.failed.to_string(),
            (c.deprecated + c.unsupported).to_string(),
        ]);
    }
    write!(o, "{}", table(&rows))?;
    for (v, c) in &r.vendors {
        let sum = c.rule_files + c.non_rule_files + c.skipped_files;
        if sum != c.files {
            writeln!(
                o,
                "  {v}: {} files but {sum} = rule files + non-rule + skipped (please report)",
                c.files
            )?;
        }
        for (path, why) in &c.skipped {
            writeln!(o, "  skipped: {path}: {why}")?;
        }
    }
    vendor_details(&mut o, r)?;
    taxonomy(&mut o, r)?;
    writeln!(o, "\nATT&CK: {}", r.attack.bundles.join(", "))?;
    for why in &r.attack.rejected {
        writeln!(o, "  warning: {why}")?;
    }
    if let Some(counts) = r.attack.counts.as_object() {
        for (k, v) in counts {
            writeln!(o, "  {k}: {v}")?;
        }
    }
    writeln!(
        o,
        "  rules with techniques: {}",
        r.attack.rules_with_techniques
    )?;
    for (code, n) in &r.attack.technique_diagnostics {
        writeln!(o, "    {n:>5}  {code}")?;
    }
    crate::threat::stats(&mut o, r)?;
    Ok(())
}

/// Per vendor: counts by language and type, common diagnostics, causes, failures.
fn vendor_details(o: &mut impl Write, r: &BuildReport) -> anyhow::Result<()> {
    for (v, c) in &r.vendors {
        writeln!(o, "\n{v}: by language / type")?;
        for (k, s) in c.by_language.iter().chain(c.by_type.iter()) {
            writeln!(
                o,
                "  {k:<24} {} rules, {} normalized, {} partial, {} failed",
                s.rules, s.normalized, s.partial, s.failed
            )?;
        }
        if !c.top_diagnostics.is_empty() {
            writeln!(o, "  most common diagnostics:")?;
            for (code, n) in c.top_diagnostics.iter().take(10) {
                writeln!(o, "    {n:>6}  {code}")?;
            }
        }
        if !c.causes.is_empty() {
            writeln!(o, "  partial/failed rules by cause:")?;
            let mut causes: Vec<(&String, &usize)> = c.causes.iter().collect();
            causes.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
            for (code, n) in causes {
                writeln!(o, "    {n:>6}  {code}")?;
            }
        }
        for (path, why) in c.failures.iter().take(10) {
            writeln!(o, "  failed: {path}: {why}")?;
        }
    }
    Ok(())
}

/// Taxonomy coverage and predicate roles.
fn taxonomy(o: &mut impl Write, r: &BuildReport) -> anyhow::Result<()> {
    writeln!(
        o,
        "\nTaxonomy (active rules): predicate occurrences mapped to canonical fields"
    )?;
    for (scope, map) in [
        ("all rules", &r.taxonomy.all),
        ("Windows endpoint", &r.taxonomy.windows_endpoint),
    ] {
        for (v, c) in map {
            let top: Vec<String> = c
                .top_unmapped
                .iter()
                .take(8)
                .map(|(f, n)| format!("{f} {n}"))
                .collect();
            writeln!(
                o,
                "  {scope:<17} {v:<8} {}/{} = {}; top unmapped: {}",
                c.mapped,
                c.predicates,
                pct(c.mapped, c.predicates),
                top.join(", ")
            )?;
        }
    }
    writeln!(
        o,
        "  Windows endpoint rules with no event: {} of {}",
        r.taxonomy.windows_endpoint_rules_without_event, r.taxonomy.windows_endpoint_rules
    )?;
    for (src, n) in r.taxonomy.no_event_by_source.iter().take(10) {
        writeln!(o, "    {n:>5}  {src}")?;
    }
    writeln!(
        o,
        "\nPredicate roles (active rules): selectors choose the event stream, indicators describe activity"
    )?;
    for (v, c) in &r.taxonomy.roles {
        writeln!(
            o,
            "  {v:<8} selectors {:>6}  indicators {:>6}  exclusions {:>6}  other {:>5}  rules with a selector {}",
            c.selector, c.indicator, c.exclusion, c.other, c.rules_with_selector
        )?;
    }
    Ok(())
}

pub fn build_report(r: &BuildReport, out_path: &Path, elapsed: Duration) -> anyhow::Result<()> {
    let mut o = out();
    writeln!(
        o,
        "Built {} from {} in {:.2}s",
        out_path.display(),
        r.origin,
        elapsed.as_secs_f64()
    )?;
    for (v, c) in &r.vendors {
        writeln!(
            o,
            "  {v:<8} {} files, {} rules: {} normalized ({}), {} partial, {} failed; {} non-rule files; {} skipped",
            c.files,
            c.rules,
            c.normalized,
            pct(c.normalized, c.rules),
            c.partial,
            c.failed,
            c.non_rule_files,
            c.skipped_files
        )?;
        for (path, why) in &c.skipped {
            writeln!(o, "    skipped {path}: {why}")?;
        }
    }
    writeln!(o, "  ATT&CK: {}", r.attack.bundles.join(", "))?;
    for why in &r.attack.rejected {
        writeln!(o, "  warning: ATT&CK bundle {why}")?;
    }
    let t = &r.timings;
    writeln!(
        o,
        "  parse {} ms · ATT&CK {} ms · map {} ms · write {} ms",
        t.parse_ms, t.attack_ms, t.map_ms, t.write_ms
    )?;
    writeln!(
        o,
        "Next: detcat stats --catalog {0} · detcat technique T1559.001 --catalog {0}",
        out_path.display()
    )?;
    Ok(())
}

//! `detcat review` (a draft rule against the catalog) and `detcat similar` (issue 13).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use detcat_catalog::Catalog;
use detcat_catalog::review::{
    CoverRow, DraftLanguage, FindingSeverity, MAX_DRAFT_BYTES, RecordingsReview, ReviewOptions,
    ReviewReport, TechniqueReview, review,
};
use detcat_catalog::similar::{CLUSTER_THRESHOLD, SimilarPage, SimilarRule, TripleView};
use detcat_model::render::{self, Caret};

use crate::{CatalogArgs, NOT_FOUND};

/// Exit status when a finding at or above `--fail-on` is present.
pub const FINDINGS: u8 = 3;

#[derive(clap::Args)]
pub struct ReviewArgs {
    /// The draft: a rule file in any vendor's format, or a bare query with --language; `-`
    /// reads standard input.
    file: PathBuf,
    /// Review against these techniques instead of the draft's tags (repeatable).
    #[arg(long = "technique")]
    techniques: Vec<String>,
    /// The draft's language: a vendor (its rule-file format, e.g. sigma), or a bare kql, eql,
    /// esql, lucene or spl query.
    #[arg(long, value_parser = parse_language)]
    language: Option<DraftLanguage>,
    /// Exit with status 3 when a finding at or above this severity (info, low, medium,
    /// high) is present. Default: never.
    #[arg(long, value_parser = parse_severity)]
    fail_on: Option<FindingSeverity>,
    /// Corpus directory for the companion files a draft may use (macros, lookups) and for the
    /// regression recordings the draft is run on (default: the corpus the catalog was built from).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Do not run the draft on the corpus' regression recordings.
    #[arg(long)]
    no_recordings: bool,
    #[command(flatten)]
    args: CatalogArgs,
}

#[derive(clap::Args)]
pub struct SimilarArgs {
    /// Rule id or vendor/id.
    #[arg(required_unless_present = "technique")]
    id: Option<String>,
    /// Instead of one rule's relatives: the technique's rules grouped into clusters of
    /// near-duplicates (rules of any vendor that look for the same thing).
    #[arg(long, conflicts_with = "id")]
    technique: Option<String>,
    /// Score from which two rules count as near-duplicates (with --technique).
    #[arg(long, default_value_t = CLUSTER_THRESHOLD, requires = "technique")]
    min_score: f64,
    /// How many similar rules to list (1 to 500).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=500))]
    limit: u64,
    #[command(flatten)]
    args: CatalogArgs,
}

fn parse_language(s: &str) -> Result<DraftLanguage, String> {
    DraftLanguage::parse(s).ok_or_else(|| {
        format!(
            "unknown language `{s}` ({}, kql, eql, esql, lucene, spl)",
            detcat_model::Vendor::names(", ")
        )
    })
}

fn parse_severity(s: &str) -> Result<FindingSeverity, String> {
    FindingSeverity::parse(s)
        .ok_or_else(|| format!("unknown severity `{s}` (info, low, medium, high)"))
}

fn out() -> crate::sanitize::Sanitized<std::io::StdoutLock<'static>> {
    crate::sanitize::Sanitized::new(std::io::stdout().lock())
}

/// Reads at most one byte more than the limit, so a 10 GB file is refused without reading it.
fn read_draft(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    let limit = u64::try_from(MAX_DRAFT_BYTES + 1).unwrap_or(u64::MAX);
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut bytes)?;
    } else {
        std::fs::File::open(path)
            .with_context(|| format!("reading {}", path.display()))?
            .take(limit)
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading {}", path.display()))?;
    }
    Ok(bytes)
}

pub fn run_review(a: ReviewArgs) -> anyhow::Result<ExitCode> {
    let bytes = read_draft(&a.file)?;
    let catalog =
        Catalog::open_default(a.args.catalog.as_deref()).context("opening the catalog")?;
    let options = ReviewOptions {
        techniques: a.techniques,
        language: a.language,
        corpus: a.corpus,
        skip_recordings: a.no_recordings,
    };
    let report = review(&catalog, &bytes, &options)?;
    if a.args.json {
        let mut o = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut o, &report)?;
        writeln!(o)?;
    } else {
        let text = String::from_utf8_lossy(&bytes);
        render_review(&report, &a.file.display().to_string(), &text)?;
    }
    let failed = match (a.fail_on, report.worst()) {
        (Some(limit), Some(worst)) => worst >= limit,
        _ => false,
    };
    Ok(if failed {
        ExitCode::from(FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn run_similar(a: SimilarArgs) -> anyhow::Result<ExitCode> {
    let catalog =
        Catalog::open_default(a.args.catalog.as_deref()).context("opening the catalog")?;
    if let Some(technique) = &a.technique {
        return run_clusters(&catalog, technique, a.min_score, a.args.json);
    }
    let id = a.id.unwrap_or_default();
    let limit = usize::try_from(a.limit).unwrap_or(10);
    let Some(page) = catalog.similar(&id, limit)? else {
        writeln!(
            std::io::stderr(),
            "{}",
            crate::sanitize::clean(&format!(
                "no rule '{}' in the catalog ({})",
                id,
                catalog.origin()
            ))
        )?;
        return Ok(ExitCode::from(NOT_FOUND));
    };
    if a.args.json {
        let mut o = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut o, &page)?;
        writeln!(o)?;
    } else {
        render_similar(&page)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn run_clusters(
    catalog: &Catalog,
    technique: &str,
    min_score: f64,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let Some(page) = catalog.clusters(technique, min_score)? else {
        writeln!(
            std::io::stderr(),
            "{}",
            crate::sanitize::clean(&format!(
                "no technique '{technique}' in the catalog ({})",
                catalog.origin()
            ))
        )?;
        return Ok(ExitCode::from(NOT_FOUND));
    };
    if json {
        let mut o = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut o, &page)?;
        writeln!(o)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut o = out();
    writeln!(
        o,
        "{}: {} of {} active rules with indicators are in {} clusters of near-duplicates (score >= {})",
        page.technique,
        page.clustered,
        page.rules,
        page.clusters.len(),
        page.threshold
    )?;
    for (n, c) in page.clusters.iter().enumerate() {
        writeln!(
            o,
            "\nCluster {}: {} rules ({})",
            n + 1,
            c.members.len(),
            c.vendors.join(", ")
        )?;
        for m in &c.members {
            writeln!(o, "  {:.3}  {}/{}  {}", m.best, m.vendor, m.id, m.title)?;
        }
        writeln!(o, "  all share: {}", triples(&c.shared, c.shared_total))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Triples listed per line of text; `--json` has up to 25 and the full counts.
const TEXT_TRIPLES: usize = 8;

fn triples(list: &[TripleView], total: usize) -> String {
    let list = &list[..list.len().min(TEXT_TRIPLES)];
    let mut s: Vec<String> = list
        .iter()
        .map(|t| format!("{} {} {}", t.field, t.operator, t.value))
        .collect();
    if total > list.len() {
        s.push(format!("… {} more", total - list.len()));
    }
    if s.is_empty() {
        "-".to_owned()
    } else {
        s.join("; ")
    }
}

fn write_similar(o: &mut impl Write, s: &SimilarRule, probe: &str) -> std::io::Result<()> {
    let sub = match s.subsumption.as_deref() {
        Some("same") => format!("  [same indicators, selectors and events as {probe}]"),
        Some("includes") => format!("  [{probe} holds all of its indicators, same stream]"),
        Some("included") => format!("  [holds all of {probe}'s indicators, same stream]"),
        _ => String::new(),
    };
    writeln!(
        o,
        "  {:.3}  {}/{}  {}{sub}",
        s.score, s.vendor, s.id, s.title
    )?;
    writeln!(
        o,
        "         shared:        {}",
        triples(&s.shared.indicators, s.shared.indicators_total)
    )?;
    writeln!(
        o,
        "         only there:    {}",
        triples(&s.only_other.indicators, s.only_other.indicators_total)
    )?;
    if s.only_other.exclusions_total > 0 {
        writeln!(
            o,
            "         excludes too:  {}",
            triples(&s.only_other.exclusions, s.only_other.exclusions_total)
        )?;
    }
    writeln!(
        o,
        "         only in {probe}: {}",
        triples(&s.only_probe.indicators, s.only_probe.indicators_total)
    )
}

fn render_similar(p: &SimilarPage) -> anyhow::Result<()> {
    let mut o = out();
    writeln!(
        o,
        "{} ({}/{}), {} indicators\n\nSimilar rules (score; IDF-weighted indicators, events, exclusions)",
        p.title, p.vendor, p.id, p.indicators
    )?;
    if p.similar.is_empty() {
        writeln!(o, "  none: no other rule shares an indicator")?;
    }
    for s in &p.similar {
        write_similar(&mut o, s, "the queried rule")?;
    }
    Ok(())
}

fn render_recordings(o: &mut impl Write, r: &RecordingsReview) -> std::io::Result<()> {
    if r.ran == 0 {
        return writeln!(o, "\nRecordings: {}", r.note);
    }
    writeln!(
        o,
        "\nRecordings: fires on {} of {} regression recordings ({} events)",
        r.fired, r.ran, r.events
    )?;
    for h in &r.hits {
        writeln!(
            o,
            "  {}/{} events  {}  ({}, made for {})",
            h.fired_on, h.events, h.title, h.path, h.rule_id
        )?;
    }
    if r.fired > r.hits.len() {
        writeln!(o, "  … {} more", r.fired - r.hits.len())?;
    }
    if !r.note.is_empty() {
        writeln!(o, "  note: {}", r.note)?;
    }
    Ok(())
}

fn render_review(r: &ReviewReport, name: &str, source: &str) -> anyhow::Result<()> {
    let mut o = out();
    let format = r.format.map_or_else(|| "unknown".to_owned(), |f| f.name());
    writeln!(
        o,
        "Review of {name}: {} ({format}, {})",
        r.title.as_deref().unwrap_or("-"),
        r.parse_status.as_deref().unwrap_or("not parsed")
    )?;
    for d in &r.diagnostics {
        let at = match (d.line, d.column) {
            (Some(line), Some(column)) => Some(Caret {
                line,
                column,
                width: 1,
            }),
            _ => None,
        };
        let text = render::parts(&d.severity, &d.code, &d.message, name, at, Some(source));
        write!(o, "{text}")?;
    }
    if r.vendor.is_some() {
        write_draft_meaning(&mut o, r)?;
    }
    for t in &r.techniques {
        write_technique_review(&mut o, t)?;
    }
    if r.vendor.is_some() {
        writeln!(o, "\nNearest rules (all vendors and techniques)")?;
        if r.nearest.is_empty() {
            writeln!(o, "  none: no rule shares an indicator")?;
        }
        for s in &r.nearest {
            write_similar(&mut o, s, "the draft")?;
        }
        render_recordings(&mut o, &r.recordings)?;
    }
    write_findings(&mut o, r)?;
    Ok(())
}

/// The draft's events, fields and indicators with their corpus reach.
fn write_draft_meaning(o: &mut impl Write, r: &ReviewReport) -> std::io::Result<()> {
    writeln!(o, "  events:  {}", or_dash(&r.events.join(", ")))?;
    writeln!(o, "  fields:  {}", or_dash(&r.fields.join(", ")))?;
    writeln!(
        o,
        "\nIndicators (corpus reach of {} active rules)",
        r.catalog_rules
    )?;
    for i in &r.indicators {
        let flag = match (i.common, i.alone) {
            (true, true) => "  COMMON, ALONE IN A BRANCH",
            (true, false) => "  common",
            _ => "",
        };
        writeln!(
            o,
            "  {} {} {}  ({} rules){flag}",
            i.field, i.operator, i.value, i.reach
        )?;
    }
    Ok(())
}

/// One technique of the review: its events and fields, the missing exclusions, the nearest
/// rules.
fn write_technique_review(o: &mut impl Write, t: &TechniqueReview) -> std::io::Result<()> {
    writeln!(o, "\n{} {} ({} rules)", t.id, t.name, t.rules)?;
    let marked = |rows: &[CoverRow]| -> String {
        rows.iter()
            .map(|e| format!("{}{} {}", if e.in_draft { "*" } else { "" }, e.key, e.rules))
            .collect::<Vec<_>>()
            .join(", ")
    };
    writeln!(
        o,
        "  events (rules; * = the draft's): {}",
        or_dash(&marked(&t.events))
    )?;
    writeln!(o, "  most-filtered fields: {}", or_dash(&marked(&t.fields)))?;
    writeln!(
        o,
        "  missing exclusions ({} rules share an indicator with the draft):",
        t.overlapping_rules
    )?;
    if t.missing_exclusions.is_empty() {
        writeln!(o, "    none")?;
    }
    for m in &t.missing_exclusions {
        writeln!(
            o,
            "    {} {} {}  ({} rules: {})",
            m.field,
            m.operator,
            m.value,
            m.rules,
            m.rule_ids.join(", ")
        )?;
    }
    writeln!(o, "  nearest rules of {}:", t.id)?;
    for s in &t.nearest {
        write_similar(o, s, "the draft")?;
    }
    Ok(())
}

fn write_findings(o: &mut impl Write, r: &ReviewReport) -> std::io::Result<()> {
    writeln!(o, "\nFindings")?;
    if r.findings.is_empty() {
        writeln!(o, "  none")?;
    }
    for f in &r.findings {
        let t = f
            .technique
            .as_deref()
            .map(|t| format!(" {t}"))
            .unwrap_or_default();
        writeln!(
            o,
            "  {:<6} {}{t}: {}",
            f.severity.as_str(),
            f.kind,
            f.reason
        )?;
    }
    Ok(())
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

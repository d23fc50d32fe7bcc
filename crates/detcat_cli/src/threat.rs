//! Threat-mapped scoring in the terminal: `detcat top`, the technique page's threat lines and
//! the threat part of `detcat stats`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use detcat_catalog::views::{PriorityView, RankBy, TechniquePage, ThreatView, TopList};
use detcat_catalog::{BuildReport, Catalog, QueryOptions, TopFilter};

use crate::CatalogArgs;

/// `detcat top` arguments.
#[derive(clap::Args)]
pub struct TopArgs {
    /// What to rank by: threat (CTID + ATT&CK usage), gap (threat left uncovered by rules)
    /// or rules (rule count).
    #[arg(long, value_enum, default_value_t = By::Gap)]
    by: By,
    /// Only techniques of this tactic (id, shortname or name: TA0002, execution).
    #[arg(long)]
    tactic: Option<String>,
    /// Only techniques of this platform (Windows, Linux, macOS, …).
    #[arg(long)]
    platform: Option<String>,
    /// ATT&CK domain to rank (`all` for every loaded domain).
    #[arg(long, default_value = "enterprise-attack")]
    domain: String,
    /// How many techniques to list.
    #[arg(long, default_value_t = 25)]
    limit: usize,
    #[command(flatten)]
    args: CatalogArgs,
}

#[derive(clap::ValueEnum, Clone, Copy)]
enum By {
    Threat,
    Gap,
    Rules,
}

pub fn top(a: &TopArgs) -> anyhow::Result<ExitCode> {
    let catalog =
        Catalog::open_default(a.args.catalog.as_deref()).context("opening the catalog")?;
    let by = match a.by {
        By::Threat => RankBy::Threat,
        By::Gap => RankBy::Gap,
        By::Rules => RankBy::Rules,
    };
    let filter = TopFilter {
        tactic: a.tactic.clone(),
        platform: a.platform.clone(),
        domain: (a.domain != "all").then(|| a.domain.clone()),
        limit: Some(a.limit),
    };
    let options = QueryOptions {
        include_deprecated: a.args.include_deprecated,
    };
    let list = catalog.top(by, &filter, options)?;
    let mut o = std::io::stdout().lock();
    if a.args.json {
        serde_json::to_writer_pretty(&mut o, &list)?;
        writeln!(o)?;
    } else {
        render_top(&mut o, &list)?;
    }
    Ok(if list.rows.is_empty() {
        ExitCode::from(crate::NOT_FOUND)
    } else {
        ExitCode::SUCCESS
    })
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "not scored".to_owned(), |v| format!("{v:.3}"))
}

fn render_top(o: &mut impl Write, list: &TopList) -> anyhow::Result<()> {
    writeln!(
        o,
        "{} of {} techniques by {:?}\n",
        list.rows.len(),
        list.matched,
        list.by
    )?;
    writeln!(
        o,
        "  {:>3}  {:<10} {:<34} {:>5} {:>6} {:>5}  {:>10} {:>5}  {:>5} {:>5} {:>5}  {:>5} {:>4}",
        "#",
        "id",
        "name",
        "gap",
        "threat",
        "cover",
        "ctid",
        "usage",
        "rules",
        "vend",
        "indic",
        "norm",
        "ctid#"
    )?;
    for r in &list.rows {
        let p = &r.priority;
        let c = &p.components;
        let name: String = r.name.chars().take(34).collect();
        writeln!(
            o,
            "  {:>3}  {:<10} {:<34} {:>5.3} {:>6.3} {:>5.3}  {:>10} {:>5.3}  {:>5} {:>5.2} {:>5.2}  {:>5.2} {:>4}",
            r.rank,
            r.id,
            name,
            p.score,
            p.threat,
            p.coverage,
            opt(c.ctid),
            c.usage,
            p.inputs.coverage.rules,
            c.vendors,
            c.indicators,
            c.normalized_share,
            r.ctid_rank
                .map_or_else(|| "-".to_owned(), |n| n.to_string()),
        )?;
    }
    writeln!(o, "\n{}", list.formula)?;
    Ok(())
}

/// The technique page's "Threat-mapped scoring" lines.
pub fn technique(o: &mut impl Write, p: &TechniquePage) -> anyhow::Result<()> {
    let t = &p.technique;
    let Some(threat) = &t.threat else {
        return Ok(());
    };
    writeln!(o, "\nThreat-mapped scoring")?;
    writeln!(
        o,
        "  used by {} groups, {} software, {} campaigns (ATT&CK)",
        threat.groups, threat.software, threat.campaigns
    )?;
    let names = |list: &[detcat_catalog::views::ActorRef]| {
        list.iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !threat.top_groups.is_empty() {
        writeln!(o, "  top groups: {}", names(&threat.top_groups))?;
    }
    ctid_lines(o, &t.id, threat)?;
    if let Some(pr) = &t.priority {
        priority_lines(o, pr)?;
    }
    Ok(())
}

fn ctid_lines(o: &mut impl Write, id: &str, threat: &ThreatView) -> anyhow::Result<()> {
    let Some(c) = &threat.ctid else {
        writeln!(
            o,
            "  CTID Top ATT&CK Techniques: not scored (the technique is newer than the CTID data, or the corpus has none)"
        )?;
        return Ok(());
    };
    writeln!(
        o,
        "  CTID: cumulative {:.3}, rank {} of {} · prevalence {} · choke point {} · actionability {}",
        c.cumulative,
        c.rank,
        c.ranked,
        opt(c.prevalence),
        opt(c.choke_point),
        opt(c.actionability)
    )?;
    if c.scored_as != id {
        writeln!(
            o,
            "    scored as {}, revoked since and replaced by {id}",
            c.scored_as
        )?;
    }
    if let Some(old) = &c.renamed_from {
        writeln!(o, "    scored under its former name {old}")?;
    }
    Ok(())
}

fn priority_lines(o: &mut impl Write, p: &PriorityView) -> anyhow::Result<()> {
    let cov = &p.inputs.coverage;
    let scope = if cov.includes_subtechniques {
        " (with sub-techniques)"
    } else {
        ""
    };
    let by_vendor = crate::render::vendors(&cov.rules_by_vendor);
    writeln!(
        o,
        "  coverage{scope}: {by_vendor} rules, {} normalized, {} distinct indicators, {} events needed",
        cov.normalized, cov.indicators, cov.events
    )?;
    writeln!(
        o,
        "  priority (gap) {:.3} = threat {:.3} × (1 − coverage {:.3})",
        p.score, p.threat, p.coverage
    )?;
    Ok(())
}

/// The threat part of `detcat stats`.
pub fn stats(o: &mut impl Write, r: &BuildReport) -> anyhow::Result<()> {
    let t = &r.threat;
    let Some(file) = &t.ctid_file else {
        writeln!(o, "\nCTID threat scores: none (the corpus has no ctid/)")?;
        return Ok(());
    };
    let c = &t.counts;
    writeln!(o, "\nCTID threat scores: {file}")?;
    writeln!(
        o,
        "  {} records → {} techniques scored ({} same id and name, {} renamed, {} mapped from revoked ids, {} deprecated)",
        c.records, c.scored, c.direct, c.renamed, c.mapped_from_revoked, c.deprecated
    )?;
    writeln!(
        o,
        "  {} records not placed; {} active Enterprise techniques not scored (newer than the data)",
        c.unplaced, c.unscored
    )?;
    for d in t.diagnostics.iter().take(10) {
        writeln!(o, "    {d}")?;
    }
    Ok(())
}

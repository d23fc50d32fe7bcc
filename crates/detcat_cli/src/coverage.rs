//! `detcat coverage`: what the rules can detect with the events you collect.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use detcat_catalog::{Catalog, CoverageRequest, CoverageView, PlanUnit};

use crate::CatalogArgs;

#[derive(clap::Args)]
pub struct CoverageArgs {
    /// Events you collect: a comma list (`sysmon:1,security:4688`), `provider:*` or a bare
    /// provider (`sysmon`) for all its events, a preset (`sysmon-default`,
    /// `windows-security-audit-baseline`, `elastic-defend`), or a file (`@path`, or an existing
    /// path) of such items separated by commas or lines (`#` starts a comment). Repeatable.
    #[arg(long, value_name = "EVENTS")]
    have: Vec<String>,
    /// Sensor products you run (`Elastic Defend`, `CrowdStrike`): all their sensor events.
    #[arg(long, value_name = "S", num_args = 1..)]
    sensor: Vec<String>,
    /// Count only this vendor's rules.
    #[arg(long, ignore_case = true, value_parser = crate::vendor_arg::name())]
    vendor: Option<String>,
    /// Add a greedy plan of N steps: what to collect next, most techniques first.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=200))]
    plan: u64,
    /// What a plan step adds: one event, or a whole sensor product / native log.
    #[arg(long, value_enum, default_value = "event")]
    plan_by: PlanBy,
    /// List the runnable and partly runnable rules in the text output.
    #[arg(long)]
    rules: bool,
    /// Time loading the index and answering (printed on stderr).
    #[arg(long)]
    timing: bool,
    #[command(flatten)]
    args: CatalogArgs,
}

#[derive(clap::ValueEnum, Clone, Copy)]
enum PlanBy {
    Event,
    Sensor,
}

/// Expands `@file` and existing paths into their items.
fn expand(have: &[String]) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    for arg in have {
        for item in arg.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let file = item.strip_prefix('@').or_else(|| {
                (!item.contains(':') || item.contains('/') || item.contains('\\'))
                    .then_some(item)
                    .filter(|p| Path::new(p).is_file())
            });
            match file {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("reading the event list {path}"))?;
                    for line in text.lines() {
                        let line = line.split('#').next().unwrap_or("");
                        out.extend(
                            line.split(',')
                                .map(str::trim)
                                .filter(|s| !s.is_empty())
                                .map(str::to_owned),
                        );
                    }
                }
                None => out.push(item.to_owned()),
            }
        }
    }
    Ok(out)
}

pub fn run(a: &CoverageArgs) -> anyhow::Result<ExitCode> {
    let start = std::time::Instant::now();
    let catalog =
        Catalog::open_default(a.args.catalog.as_deref()).context("opening the catalog")?;
    let index = catalog.coverage_index()?;
    let loaded = start.elapsed();
    let req = CoverageRequest {
        have: expand(&a.have)?,
        sensors: a.sensor.clone(),
        vendor: a.vendor.clone(),
        plan: a.plan as usize,
        plan_by: match a.plan_by {
            PlanBy::Event => PlanUnit::Event,
            PlanBy::Sensor => PlanUnit::Sensor,
        },
        include_deprecated: a.args.include_deprecated,
    };
    let view = index.compute(&req)?;
    let answered = start.elapsed();
    if a.timing {
        writeln!(
            std::io::stderr(),
            "coverage: index loaded in {:.1} ms, answered in {:.1} ms total",
            loaded.as_secs_f64() * 1e3,
            answered.as_secs_f64() * 1e3
        )?;
    }
    if a.args.json {
        // Buffered: stdout is line-buffered, and the pretty JSON of `--have sysmon:1` is 24,000
        // lines — as many write calls, half the command's time.
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer_pretty(&mut out, &view)?;
        writeln!(out)?;
        out.flush()?;
    } else {
        render(&view, a.rules)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn render(v: &CoverageView, rules: bool) -> anyhow::Result<()> {
    let mut o = crate::sanitize::Sanitized::new(std::io::BufWriter::new(std::io::stdout().lock()));
    let t = &v.totals;
    let keys: Vec<&str> = v.have.iter().map(|e| e.key.as_str()).collect();
    writeln!(
        o,
        "With {} event(s): {}",
        keys.len(),
        if keys.is_empty() {
            "(none)".to_owned()
        } else {
            keys.join(", ")
        }
    )?;
    writeln!(
        o,
        "Rules: {} runnable, {} partly, {} with none of their events, {} with no known event (of {}{}{})",
        t.runnable,
        t.partly,
        t.unavailable,
        t.no_known_events,
        t.rules,
        v.vendor
            .as_deref()
            .map(|x| format!(" {x}"))
            .unwrap_or_default(),
        if v.include_deprecated {
            ", deprecated included"
        } else {
            " active"
        }
    )?;
    writeln!(
        o,
        "Techniques covered: {} of {} with rules\n",
        t.techniques_covered, t.techniques
    )?;
    writeln!(o, "By tactic")?;
    let mut rows = vec![vec![
        "tactic".to_owned(),
        "techniques covered".to_owned(),
        "runnable rules".to_owned(),
    ]];
    for ta in &v.tactics {
        rows.push(vec![
            format!("{} {}", ta.id, ta.name),
            format!("{} / {}", ta.techniques_covered, ta.techniques),
            format!("{} / {}", ta.runnable, ta.rules),
        ]);
    }
    write!(o, "{}", crate::render::table(&rows))?;
    write_covered(&mut o, v)?;
    write_plan(&mut o, v)?;
    if rules {
        write_rules(&mut o, v)?;
    }
    Ok(())
}

/// The techniques with the most runnable rules (25 of them).
fn write_covered(o: &mut impl Write, v: &CoverageView) -> std::io::Result<()> {
    let mut covered: Vec<_> = v.techniques.iter().filter(|t| t.runnable > 0).collect();
    covered.sort_by(|a, b| b.runnable.cmp(&a.runnable).then_with(|| a.id.cmp(&b.id)));
    if !covered.is_empty() {
        writeln!(o, "\nTechniques with the most runnable rules")?;
        let mut rows = vec![vec![
            "technique".to_owned(),
            "runnable".to_owned(),
            "partly".to_owned(),
            "rules".to_owned(),
        ]];
        for t in covered.iter().take(25) {
            rows.push(vec![
                format!("{} {}", t.id, t.name),
                t.runnable.to_string(),
                t.partly.to_string(),
                t.rules.to_string(),
            ]);
        }
        write!(o, "{}", crate::render::table(&rows))?;
        if covered.len() > 25 {
            writeln!(o, "  … {} more (--json lists all)", covered.len() - 25)?;
        }
    }
    Ok(())
}

/// The collection plan, one step a row.
fn write_plan(o: &mut impl Write, v: &CoverageView) -> std::io::Result<()> {
    if !v.plan.is_empty() {
        writeln!(o, "\nPlan (add one at a time)")?;
        let mut rows = vec![vec![
            "step".to_owned(),
            "add".to_owned(),
            "+techniques".to_owned(),
            "+rules".to_owned(),
            "covered".to_owned(),
        ]];
        for (i, s) in v.plan.iter().enumerate() {
            rows.push(vec![
                (i + 1).to_string(),
                format!("{} ({})", s.add, s.title),
                s.gain.to_string(),
                s.rules_gain.to_string(),
                s.covered.to_string(),
            ]);
        }
        write!(o, "{}", crate::render::table(&rows))?;
    }
    Ok(())
}

/// The runnable and partly runnable rules (`--rules`).
fn write_rules(o: &mut impl Write, v: &CoverageView) -> std::io::Result<()> {
    writeln!(o, "\nRunnable rules")?;
    for r in &v.runnable {
        writeln!(
            o,
            "  {}/{}  {}  [{}]",
            r.vendor,
            r.id,
            r.title,
            r.techniques.join(" ")
        )?;
    }
    writeln!(o, "\nPartly runnable rules (missing: one of each group)")?;
    for r in &v.partly {
        let missing: Vec<String> = r.missing.iter().map(|m| m.join("|")).collect();
        writeln!(
            o,
            "  {}/{}  {}  missing {}",
            r.vendor,
            r.id,
            r.title,
            missing.join(" + ")
        )?;
    }
    Ok(())
}

//! `detcat match` and `detcat regress`: the catalog's rules run on recorded events.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use detcat_catalog::{Catalog, QueryOptions};
use detcat_eval::{Engine, Format, ReadDiagnostic, read, regress};
use detcat_model::Vendor;
use serde::Serialize;

use crate::CatalogArgs;

#[derive(clap::Args)]
pub struct MatchArgs {
    /// EVTX, JSON or JSON Lines files; `-` reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Input format: auto, evtx, json, jsonl.
    #[arg(long, default_value = "auto", value_parser = parse_format)]
    format: Format,
    /// Only rules of this vendor.
    #[arg(long, ignore_case = true, value_parser = crate::vendor_arg::vendor())]
    vendor: Option<Vendor>,
    /// Only rules under this ATT&CK technique (sub-techniques included).
    #[arg(long)]
    technique: Option<String>,
    #[command(flatten)]
    args: CatalogArgs,
}

#[derive(clap::Args)]
pub struct RegressArgs {
    /// A Sigma `regression_data` directory (every `info.yml` below it is a test).
    dir: PathBuf,
    #[command(flatten)]
    args: CatalogArgs,
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s).ok_or_else(|| format!("unknown format `{s}` (auto, evtx, json, jsonl)"))
}

/// The catalog's rules that `keep` keeps, compiled (rules left out are not compiled).
fn engine(
    args: &CatalogArgs,
    keep: &dyn Fn(&detcat_eval::EvalRule) -> bool,
) -> anyhow::Result<Engine> {
    let catalog = Catalog::open_default(args.catalog.as_deref()).context("opening the catalog")?;
    let rules = catalog.eval_rules(QueryOptions {
        include_deprecated: args.include_deprecated,
    })?;
    Ok(Engine::new(rules.into_iter().filter(|r| keep(r)).collect()))
}

/// One rule that fired (or could not be decided) on one file.
#[derive(Serialize)]
struct RuleMatch {
    vendor: Vendor,
    id: String,
    title: String,
    techniques: Vec<String>,
    fired_on: Vec<EventMatch>,
    undetermined: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_evaluated: Option<String>,
}

#[derive(Serialize)]
struct EventMatch {
    record: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<String>,
    /// The predicates that held.
    why: Vec<String>,
}

#[derive(Serialize)]
struct FileMatch {
    file: String,
    events: usize,
    rules: Vec<RuleMatch>,
    diagnostics: Vec<ReadDiagnostic>,
}

pub fn run_match(a: MatchArgs) -> anyhow::Result<ExitCode> {
    let technique = a.technique.as_deref().map(str::to_uppercase);
    let keep = |r: &detcat_eval::EvalRule| {
        a.vendor.is_none_or(|v| r.vendor == v)
            && technique.as_deref().is_none_or(|t| {
                r.techniques
                    .iter()
                    .any(|x| x == t || x.starts_with(&format!("{t}.")))
            })
    };
    let engine = engine(&a.args, &keep)?;
    let pick = |_: &detcat_eval::CompiledRule| true;
    let mut files = Vec::new();
    for path in &a.files {
        let outcome = if path.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin().lock().read_to_end(&mut bytes)?;
            read::read_bytes("-", bytes, a.format)
        } else {
            read::read_path(path, a.format)?
        };
        let hits = engine.run(&outcome.events, &pick);
        let mut rules = Vec::new();
        for h in hits {
            let Some(r) = engine.rules().get(h.rule) else {
                continue;
            };
            let fired_on = h
                .fired
                .iter()
                .filter_map(|i| outcome.events.get(*i))
                .map(|e| EventMatch {
                    record: e.provenance.record,
                    timestamp: e.provenance.timestamp.clone(),
                    event: e.provenance.kind_key(),
                    why: r.why(e),
                })
                .collect();
            rules.push(RuleMatch {
                vendor: r.rule.vendor,
                id: r.rule.id.clone(),
                title: r.rule.title.clone(),
                techniques: r.rule.techniques.clone(),
                fired_on,
                undetermined: h.undetermined,
                not_evaluated: h.not_evaluated,
            });
        }
        rules.sort_by(|x, y| {
            (x.fired_on.is_empty(), x.vendor, &x.title).cmp(&(
                y.fired_on.is_empty(),
                y.vendor,
                &y.title,
            ))
        });
        files.push(FileMatch {
            file: path.display().to_string(),
            events: outcome.events.len(),
            rules,
            diagnostics: outcome.diagnostics,
        });
    }
    let mut out = std::io::stdout().lock();
    if a.args.json {
        serde_json::to_writer_pretty(&mut out, &files)?;
        writeln!(out)?;
    } else {
        for f in &files {
            print_file(&mut out, f)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_file(out: &mut impl Write, f: &FileMatch) -> anyhow::Result<()> {
    let firing = f.rules.iter().filter(|r| !r.fired_on.is_empty()).count();
    writeln!(out, "{}: {} events, {firing} rules fire", f.file, f.events)?;
    for d in &f.diagnostics {
        writeln!(out, "  warning: {d}")?;
    }
    for r in &f.rules {
        let t = r.techniques.join(" ");
        if r.fired_on.is_empty() {
            let why = r
                .not_evaluated
                .clone()
                .unwrap_or_else(|| format!("undetermined on {} events", r.undetermined));
            writeln!(out, "  ?  {:<7} {}  [{t}] — {why}", r.vendor, r.title)?;
            continue;
        }
        writeln!(
            out,
            "  ✓  {:<7} {}  [{t}]  ({} events)",
            r.vendor,
            r.title,
            r.fired_on.len()
        )?;
        writeln!(out, "       id {}", r.id)?;
        for e in r.fired_on.iter().take(3) {
            writeln!(
                out,
                "       record {} {}: {}",
                e.record,
                e.event.as_deref().unwrap_or(""),
                e.why.join(" · ")
            )?;
        }
    }
    Ok(())
}

pub fn run_regress(a: RegressArgs) -> anyhow::Result<ExitCode> {
    let engine = engine(&a.args, &|_| true)?;
    let (tests, diags) = regress::discover(&a.dir)?;
    let report = regress::run(&engine, &tests);
    let mut out = std::io::stdout().lock();
    if a.args.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        for d in &diags {
            writeln!(out, "warning: {d}")?;
        }
        for r in &report.results {
            let mark = match r.status {
                regress::Status::Passed => "pass",
                regress::Status::Failed => "FAIL",
                regress::Status::Error => "ERR ",
            };
            let cross: Vec<String> = r
                .cross_vendor
                .iter()
                .map(|c| format!("{}: {}", c.vendor, c.title))
                .collect();
            writeln!(
                out,
                "{mark} {} ({}) expected {} got {}{}",
                r.title,
                r.rule_id,
                r.expected.map_or("≥1".into(), |e| e.to_string()),
                r.got.map_or("-".into(), |g| g.to_string()),
                r.cause
                    .as_deref()
                    .map_or(String::new(), |c| format!(" — {c}")),
            )?;
            if !cross.is_empty() {
                writeln!(out, "     also fire: {}", cross.join("; "))?;
            }
        }
        writeln!(
            out,
            "{} tests: {} passed, {} failed, {} errors",
            report.tests, report.passed, report.failed, report.errors
        )?;
    }
    Ok(if report.failed + report.errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The technique page's "Tested on recordings" section, as text.
pub fn render_technique_recordings(
    o: &mut impl Write,
    recs: &[detcat_catalog::views::RecordingRow],
) -> anyhow::Result<()> {
    if recs.is_empty() {
        return Ok(());
    }
    writeln!(o, "\nTested on recordings ({})", recs.len())?;
    for r in recs {
        let cause = r
            .cause
            .as_deref()
            .map_or(String::new(), |c| format!(" ({c})"));
        writeln!(
            o,
            "  {}  [{} events] {} — {}{cause}",
            r.path,
            r.events,
            r.title,
            r.verdict()
        )?;
        for f in &r.fires {
            writeln!(o, "      {:<7} {}  ×{}", f.vendor, f.title, f.events)?;
        }
    }
    Ok(())
}

/// The rule page's "tested on N recordings" line, as text.
pub fn render_rule_recordings(
    o: &mut impl Write,
    rr: &detcat_catalog::views::RuleRecordings,
) -> anyhow::Result<()> {
    if !rr.tested_on.is_empty() {
        let n = rr.tested_on.len();
        writeln!(o, "\nTested on {n} recording(s): {}", rr.summary())?;
        for r in &rr.tested_on {
            let cause = r
                .cause
                .as_deref()
                .map_or(String::new(), |c| format!(" ({c})"));
            writeln!(o, "  {} — {}{cause}", r.path, r.verdict())?;
        }
    }
    if rr.fires_on > 0 {
        writeln!(o, "Fires on {} regression recording(s)", rr.fires_on)?;
    }
    Ok(())
}

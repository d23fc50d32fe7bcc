//! `detcat diff OLD.db NEW.db`: what changed between two catalogs (two releases).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use detcat_catalog::{Catalog, DiffView};

#[derive(clap::Args)]
pub struct DiffArgs {
    /// The older catalog.
    old: PathBuf,
    /// The newer catalog.
    new: PathBuf,
    /// Only rules (ever) tagged with this technique, and its guide rows.
    #[arg(long)]
    technique: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(a: &DiffArgs) -> anyhow::Result<ExitCode> {
    let old = Catalog::open(&a.old).with_context(|| format!("opening {}", a.old.display()))?;
    let new = Catalog::open(&a.new).with_context(|| format!("opening {}", a.new.display()))?;
    let view = detcat_catalog::diff(&old, &new, a.technique.as_deref())?;
    if a.json {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &view)?;
        writeln!(out)?;
    } else {
        render(&view)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The diff as text (also printed by `detcat sync --catalog`).
pub fn render(v: &DiffView) -> anyhow::Result<()> {
    let mut o = crate::sanitize::Sanitized::new(std::io::stdout().lock());
    writeln!(o, "diff {} → {}", v.old, v.new)?;
    if v.is_empty() {
        writeln!(o, "no rule changed")?;
        return Ok(());
    }
    writeln!(
        o,
        "{} added, {} removed, {} changed rules; {} techniques with moved counts",
        v.added.len(),
        v.removed.len(),
        v.changed.len(),
        v.techniques.len()
    )?;
    for (label, rules) in [("Added", &v.added), ("Removed", &v.removed)] {
        if rules.is_empty() {
            continue;
        }
        writeln!(o, "\n{label}")?;
        for r in rules.iter() {
            writeln!(
                o,
                "  {}/{}  {}  [{}]",
                r.vendor,
                r.id,
                r.title,
                r.techniques.join(" ")
            )?;
        }
    }
    if !v.changed.is_empty() {
        writeln!(o, "\nChanged")?;
        for c in &v.changed {
            writeln!(o, "  {}/{}  {}", c.vendor, c.id, c.title)?;
            if c.condition_changed
                && c.predicates_added.is_empty()
                && c.predicates_removed.is_empty()
            {
                writeln!(o, "      condition changed (same predicates)")?;
            }
            for p in &c.predicates_added {
                writeln!(o, "      + {p}")?;
            }
            for p in &c.predicates_removed {
                writeln!(o, "      - {p}")?;
            }
            for t in &c.techniques_added {
                writeln!(o, "      + technique {t}")?;
            }
            for t in &c.techniques_removed {
                writeln!(o, "      - technique {t}")?;
            }
            for s in &c.status {
                writeln!(o, "      {}: {} → {}", s.field, s.old, s.new)?;
            }
        }
    }
    if !v.techniques.is_empty() {
        writeln!(
            o,
            "\nTechniques (active rules; guide rows whose counts moved)"
        )?;
        for t in &v.techniques {
            writeln!(
                o,
                "  {} {}: {} → {} rules",
                t.id, t.name, t.rules_old, t.rules_new
            )?;
            for r in t.rows.iter().take(40) {
                let what = if r.kind == "event" {
                    format!("event {}:{}", r.field, r.value)
                } else {
                    format!("{} {} {} {}", r.kind, r.field, r.operator, r.value)
                };
                writeln!(o, "      {:<7} {what}  {} → {}", r.change, r.old, r.new)?;
            }
            if t.rows.len() > 40 {
                writeln!(
                    o,
                    "      … {} more rows (--json lists all)",
                    t.rows.len() - 40
                )?;
            }
        }
    }
    Ok(())
}

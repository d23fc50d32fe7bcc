//! `detcat analytics [T]`: ATT&CK v18 analytics and the rules implementing them.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use detcat_catalog::analytics::{AnalyticCoverage, AnalyticsOverview};
use detcat_catalog::{Catalog, QueryOptions};

use crate::{CatalogArgs, NOT_FOUND};

#[derive(clap::Args)]
pub struct AnalyticsArgs {
    /// A technique (`T1559.001`): its analytics with implementing rules per vendor. Without
    /// it: every analytic no rule implements.
    technique: Option<String>,
    #[command(flatten)]
    args: CatalogArgs,
}

fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

pub fn run(a: &AnalyticsArgs) -> anyhow::Result<ExitCode> {
    let catalog =
        Catalog::open_default(a.args.catalog.as_deref()).context("opening the catalog")?;
    let options = QueryOptions {
        include_deprecated: a.args.include_deprecated,
    };
    let mut o = crate::sanitize::Sanitized::new(std::io::stdout().lock());
    let Some(id) = &a.technique else {
        let v = catalog.unimplemented_analytics(options)?;
        if a.args.json {
            drop(o);
            print_json(&v)?;
            return Ok(ExitCode::SUCCESS);
        }
        write_unimplemented(&mut o, &v)?;
        return Ok(ExitCode::SUCCESS);
    };
    crate::query::check_key("technique", id)?;
    let Some(v) = catalog.technique_analytics(id, options)? else {
        writeln!(std::io::stderr(), "no technique '{id}' in the catalog")?;
        return Ok(ExitCode::from(NOT_FOUND));
    };
    if a.args.json {
        drop(o);
        print_json(&v)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        o,
        "{} {}: {} analytics, {} rules tagged",
        v.technique,
        v.name,
        v.analytics.len(),
        v.rules
    )?;
    for an in &v.analytics {
        write_analytic(&mut o, an)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The analytics of every technique that no catalog rule implements.
fn write_unimplemented(o: &mut impl Write, v: &AnalyticsOverview) -> std::io::Result<()> {
    writeln!(
        o,
        "{} analytics over {} techniques: {} implemented by a catalog rule, {} by none",
        v.analytics,
        v.techniques,
        v.implemented,
        v.unimplemented.len()
    )?;
    for u in &v.unimplemented {
        writeln!(
            o,
            "  {} {}  {} {} ({} rules for the technique)  {}",
            u.id,
            u.name,
            u.technique,
            u.technique_name,
            u.technique_rules,
            u.log_sources.join("; ")
        )?;
    }
    Ok(())
}

/// One analytic: its log sources and the events they mean, the implementing rules per
/// vendor, and the mutable elements they filter on.
fn write_analytic(o: &mut impl Write, an: &AnalyticCoverage) -> std::io::Result<()> {
    writeln!(
        o,
        "\n{} {} ({} {}){}",
        an.id,
        an.name,
        an.strategy,
        an.strategy_name,
        if an.implemented {
            ""
        } else {
            "  — implemented by no catalog rule"
        }
    )?;
    for ls in &an.log_sources {
        let events = if ls.events.is_empty() {
            "not mapped to catalog events".to_owned()
        } else {
            ls.events.join(", ")
        };
        writeln!(
            o,
            "  {} {} [{}] → {}: {} rules",
            ls.name,
            ls.channel,
            ls.data_component_name
                .as_deref()
                .unwrap_or(&ls.data_component),
            events,
            ls.rules.len()
        )?;
    }
    for (vendor, rules) in &an.rules_by_vendor {
        writeln!(o, "  {vendor} ({}):", rules.len())?;
        for r in rules {
            writeln!(o, "    {}  {}", r.id, r.title)?;
        }
    }
    for m in &an.mutable_matches {
        let fields = if m.fields.is_empty() {
            "no catalog field".to_owned()
        } else {
            m.fields.join(", ")
        };
        writeln!(
            o,
            "  tune {} ({fields}): {} of the implementing rules filter on it",
            m.element,
            m.rules.len()
        )?;
    }
    Ok(())
}

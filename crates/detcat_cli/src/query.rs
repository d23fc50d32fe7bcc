//! The query commands: technique, rule, field, event, search, stats.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use detcat_catalog::{Catalog, QueryOptions};
use serde::Serialize;

use crate::{CatalogArgs, NOT_FOUND, render};

fn open(args: &CatalogArgs) -> anyhow::Result<Catalog> {
    Catalog::open_default(args.catalog.as_deref()).context("opening the catalog")
}

fn options(args: &CatalogArgs) -> QueryOptions {
    QueryOptions {
        include_deprecated: args.include_deprecated,
    }
}

fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

fn not_found(catalog: &Catalog, what: &str, key: &str) -> anyhow::Result<ExitCode> {
    let mut msg = format!("no {what} '{key}' in the catalog ({})", catalog.origin());
    if let Some((id, name)) = catalog.suggest(key)? {
        msg.push_str(&format!("; did you mean {id} ({name})?"));
    }
    writeln!(std::io::stderr(), "{msg}")?;
    Ok(ExitCode::from(NOT_FOUND))
}

pub fn technique(id: &str, args: &CatalogArgs) -> anyhow::Result<ExitCode> {
    let catalog = open(args)?;
    let Some(page) = catalog.technique(id, options(args))? else {
        return not_found(&catalog, "technique", id);
    };
    if args.json {
        print_json(&page)?
    } else {
        render::technique(&page)?
    }
    Ok(ExitCode::SUCCESS)
}

pub fn rule(id: &str, args: &CatalogArgs) -> anyhow::Result<ExitCode> {
    let catalog = open(args)?;
    let Some(page) = catalog.rule(id)? else {
        return not_found(&catalog, "rule", id);
    };
    if args.json {
        print_json(&page)?
    } else {
        render::rule(&page)?
    }
    Ok(ExitCode::SUCCESS)
}

pub fn field(name: &str, args: &CatalogArgs) -> anyhow::Result<ExitCode> {
    let catalog = open(args)?;
    let Some(page) = catalog.field(name, options(args))? else {
        return not_found(&catalog, "field", name);
    };
    if args.json {
        print_json(&page)?
    } else {
        render::field(&page)?
    }
    Ok(ExitCode::SUCCESS)
}

pub fn event(key: &str, args: &CatalogArgs) -> anyhow::Result<ExitCode> {
    let catalog = open(args)?;
    let Some(page) = catalog.event(key, options(args))? else {
        return not_found(&catalog, "event", key);
    };
    if args.json {
        print_json(&page)?
    } else {
        render::event(&page)?
    }
    Ok(ExitCode::SUCCESS)
}

pub fn search(q: &str, offset: u64, limit: u64, args: &CatalogArgs) -> anyhow::Result<ExitCode> {
    let catalog = open(args)?;
    let page = catalog.search(q, offset, limit, options(args))?;
    if args.json {
        print_json(&page)?
    } else {
        render::search(&page)?
    }
    Ok(if page.total == 0 {
        ExitCode::from(NOT_FOUND)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn stats(args: &CatalogArgs) -> anyhow::Result<ExitCode> {
    let catalog = open(args)?;
    let report = catalog.report()?;
    if args.json {
        print_json(&report)?
    } else {
        render::stats(&report, catalog.origin())?
    }
    Ok(ExitCode::SUCCESS)
}

//! The query commands: technique, rule, field, event, search, stats.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use detcat_catalog::{Catalog, MAX_ID_CHARS, QueryOptions};
use serde::Serialize;

use crate::{CatalogArgs, NOT_FOUND, render, sanitize};

fn open(args: &CatalogArgs) -> anyhow::Result<Catalog> {
    Catalog::open_default(args.catalog.as_deref()).context("opening the catalog")
}

fn options(args: &CatalogArgs) -> QueryOptions {
    QueryOptions {
        include_deprecated: args.include_deprecated,
    }
}

fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    // Buffered: stdout is line-buffered, and a technique page is ~12k lines of JSON (one
    // write call each took a third of `detcat technique --json`). A 64 KiB buffer reused,
    // not the whole page in memory: serialized into one growing `Vec`, T1059.001's 415 kB
    // page made the command ~10% slower (fresh pages faulted in, copies on each growth).
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// Refuses an id no catalog holds before any SQL sees it (a 50,000-character id used to
/// reach SQLite's LIKE and fail with "pattern too complex").
pub(crate) fn check_key(what: &str, key: &str) -> anyhow::Result<()> {
    let n = key.chars().count();
    if n > MAX_ID_CHARS {
        anyhow::bail!("the {what} id is {n} characters long; the limit is {MAX_ID_CHARS}");
    }
    Ok(())
}

/// Exit status 1 with a message: text on stderr, or with `--json` a JSON error object on
/// stdout (tools read stdout).
fn not_found(
    catalog: &Catalog,
    args: &CatalogArgs,
    what: &str,
    key: &str,
) -> anyhow::Result<ExitCode> {
    let suggestion = catalog.suggest(key)?;
    if args.json {
        let suggestion = suggestion.map(|(id, name)| serde_json::json!({ "id": id, "name": name }));
        print_json(&serde_json::json!({
            "error": "not found",
            "what": what,
            "wanted": key,
            "catalog": catalog.origin(),
            "suggestion": suggestion,
        }))?;
        return Ok(ExitCode::from(NOT_FOUND));
    }
    let mut msg = format!("no {what} '{key}' in the catalog ({})", catalog.origin());
    if let Some((id, name)) = suggestion {
        msg.push_str(&format!("; did you mean {id} ({name})?"));
    }
    writeln!(std::io::stderr(), "{}", sanitize::clean(&msg))?;
    Ok(ExitCode::from(NOT_FOUND))
}

pub fn technique(id: &str, args: &CatalogArgs) -> anyhow::Result<ExitCode> {
    check_key("technique", id)?;
    let catalog = open(args)?;
    let Some(page) = catalog.technique(id, options(args))? else {
        return not_found(&catalog, args, "technique", id);
    };
    if args.json {
        print_json(&page)?
    } else {
        render::technique(&page)?
    }
    Ok(ExitCode::SUCCESS)
}

pub fn rule(id: &str, args: &CatalogArgs) -> anyhow::Result<ExitCode> {
    check_key("rule", id)?;
    let catalog = open(args)?;
    let Some(page) = catalog.rule(id)? else {
        return not_found(&catalog, args, "rule", id);
    };
    if args.json {
        print_json(&page)?
    } else {
        render::rule(&page)?
    }
    Ok(ExitCode::SUCCESS)
}

pub fn field(name: &str, args: &CatalogArgs) -> anyhow::Result<ExitCode> {
    check_key("field", name)?;
    let catalog = open(args)?;
    let Some(page) = catalog.field(name, options(args))? else {
        return not_found(&catalog, args, "field", name);
    };
    if args.json {
        print_json(&page)?
    } else {
        render::field(&page)?
    }
    Ok(ExitCode::SUCCESS)
}

pub fn event(key: &str, args: &CatalogArgs) -> anyhow::Result<ExitCode> {
    check_key("event", key)?;
    let catalog = open(args)?;
    let Some(page) = catalog.event(key, options(args))? else {
        return not_found(&catalog, args, "event", key);
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

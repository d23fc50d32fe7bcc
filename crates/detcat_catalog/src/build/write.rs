//! Writing a built catalog into SQLite, in one transaction.

use std::collections::HashMap;

use detcat_model::{Lifecycle, LineIndex};
use rusqlite::{Connection, params};

use super::analyze::{diagnostic_positions, search_terms};
use super::{Built, link};
use crate::corpus::Corpus;
use crate::error::CatalogError;
use crate::schema::{DDL, INDEXES, SCHEMA_VERSION};

/// Most diagnostics stored per file: one hostile 427-byte file used to yield 136,742 rows.
/// The rest are counted in one `catalog::diagnostics-truncated` marker.
pub const MAX_DIAGNOSTICS_PER_FILE: usize = 1_000;

pub fn write_catalog(
    conn: &mut Connection,
    built: &Built,
    corpus: &Corpus,
) -> Result<(), CatalogError> {
    // The file is private to this build until renamed into place: durability of each
    // statement buys nothing, so journal in memory and skip fsyncs until the end.
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = MEMORY;",
    )?;
    let tx = conn.transaction()?;
    tx.execute_batch(DDL)?;
    write_meta(&tx, built, corpus)?;
    write_files(&tx, built)?;
    write_rules(&tx, built)?;
    super::branches::write(&tx, built)?;
    write_taxonomy(&tx)?;
    write_attack(&tx, &built.attack)?;
    super::threat::write(&tx, &built.attack, &built.threat)?;
    super::recordings::write(&tx, built, corpus)?;
    tx.execute_batch(INDEXES)?;
    tx.execute_batch(
        "INSERT INTO reach (field, operator, value, rules, rules_all)
         SELECT t.field, t.operator, t.value,
                COUNT(DISTINCT CASE WHEN r.lifecycle = 'active' THEN t.rid END),
                COUNT(DISTINCT t.rid)
         FROM triples t JOIN rules r ON r.rid = t.rid
         WHERE t.role = 'indicator'
         GROUP BY t.field, t.operator, t.value;",
    )?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    conn.execute_batch("PRAGMA optimize;")?;
    Ok(())
}

fn write_meta(
    tx: &rusqlite::Transaction<'_>,
    built: &Built,
    corpus: &Corpus,
) -> Result<(), CatalogError> {
    let mut stmt = tx.prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")?;
    stmt.execute(params!["schema_version", SCHEMA_VERSION.to_string()])?;
    stmt.execute(params!["detcat_version", env!("CARGO_PKG_VERSION")])?;
    stmt.execute(params!["corpus", corpus.origin])?;
    let built_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    stmt.execute(params!["built_at_unix", built_at.to_string()])?;
    stmt.execute(params!["report", serde_json::to_string(&built.report)?])?;
    // The ATT&CK release the techniques come from (Navigator layers name it): Enterprise's
    // when loaded, else the first domain's.
    if let Some(kb) = &built.attack.kb {
        let domains = kb.domains();
        let main = domains
            .iter()
            .find(|d| d.starts_with("enterprise"))
            .or(domains.first());
        if let Some(version) = main.and_then(|d| kb.version(d)) {
            stmt.execute(params!["attack_version", version.to_string()])?;
        }
    }
    Ok(())
}

fn write_files(tx: &rusqlite::Transaction<'_>, built: &Built) -> Result<(), CatalogError> {
    let mut stmt = tx.prepare("INSERT OR IGNORE INTO files (path, vendor, kind, reason, text) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for f in &built.files {
        stmt.execute(params![f.path, f.vendor.as_str(), f.kind, f.reason, f.text])?;
    }
    Ok(())
}

fn lifecycle_str(l: Lifecycle) -> &'static str {
    match l {
        Lifecycle::Active => "active",
        Lifecycle::Deprecated => "deprecated",
        Lifecycle::Unsupported => "unsupported",
    }
}

fn write_rules(tx: &rusqlite::Transaction<'_>, built: &Built) -> Result<(), CatalogError> {
    let texts: HashMap<&str, &str> = built
        .files
        .iter()
        .filter_map(|f| f.text.as_deref().map(|t| (f.path.as_str(), t)))
        .collect();
    let mut rule_stmt = tx.prepare(
        "INSERT INTO rules (rid, vendor, id, title, description, authors, created, modified, status, severity,
            rule_type, language, lifecycle, path, document, url, refs, false_positives, tags, telemetry, query,
            expr, parse_status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
    )?;
    let mut tech_stmt = tx.prepare(
        "INSERT OR IGNORE INTO rule_techniques (rid, technique_id, tagged_as) VALUES (?1, ?2, ?3)",
    )?;
    let mut tactic_stmt =
        tx.prepare("INSERT OR IGNORE INTO rule_tactics (rid, tactic_id) VALUES (?1, ?2)")?;
    let mut pred_stmt = tx.prepare(
        "INSERT INTO predicates (rid, ord, field, canonical, mapped, operator, vals, negated, role, case_sensitive, modifiers)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let mut triple_stmt = tx.prepare(
        "INSERT OR IGNORE INTO triples (rid, role, field, operator, value, original, raw_field) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut event_stmt = tx.prepare(
        "INSERT OR IGNORE INTO rule_events (rid, provider, event_id) VALUES (?1, ?2, ?3)",
    )?;
    let mut diag_stmt = tx.prepare(
        "INSERT INTO diagnostics (rid, path, code, severity, message, line, col, span_start, span_end)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut fts_stmt = tx.prepare("INSERT INTO rules_fts (rowid, title, description, fields, vals) VALUES (?1, ?2, ?3, ?4, ?5)")?;

    let mut line_indexes: HashMap<&str, LineIndex> = HashMap::new();
    let mut stored_per_file: HashMap<&str, usize> = HashMap::new();
    for (rid, a) in built.rules.iter().enumerate() {
        let rid = rid as i64 + 1;
        let r = &a.rule;
        rule_stmt.execute(params![
            rid,
            r.vendor.as_str(),
            r.id,
            r.title,
            r.description,
            serde_json::to_string(&r.authors)?,
            r.created,
            r.modified,
            r.status,
            r.severity,
            r.rule_type,
            r.language.as_str(),
            lifecycle_str(r.lifecycle),
            r.path,
            r.document,
            r.url,
            serde_json::to_string(&r.references)?,
            serde_json::to_string(&r.false_positives)?,
            serde_json::to_string(&r.tags)?,
            serde_json::to_string(&r.telemetry)?,
            r.query,
            serde_json::to_string(&r.expr)?,
            r.status().as_str(),
        ])?;
        for (id, tagged) in &a.techniques {
            tech_stmt.execute(params![rid, id, tagged])?;
        }
        for t in &a.tactics {
            tactic_stmt.execute(params![rid, t])?;
        }
        for (ord, p) in a.predicates.iter().enumerate() {
            pred_stmt.execute(params![
                rid,
                ord as i64,
                p.field,
                p.canonical,
                p.mapped,
                p.operator,
                serde_json::to_string(&p.values)?,
                p.negated,
                p.role.as_str(),
                p.case_sensitive,
                serde_json::to_string(&p.modifiers)?,
            ])?;
        }
        for t in &a.triples {
            triple_stmt.execute(params![
                rid,
                t.role.as_str(),
                t.field,
                t.operator,
                t.value,
                t.original,
                t.raw_field
            ])?;
        }
        for e in &a.events {
            event_stmt.execute(params![rid, e.provider, e.event_id])?;
        }
        let file = texts.get(r.path.as_str()).map(|text| {
            let index = line_indexes
                .entry(r.path.as_str())
                .or_insert_with(|| LineIndex::new(text));
            (*text, &*index)
        });
        let positions = diagnostic_positions(r, file);
        for (d, pos) in r.diagnostics.iter().zip(positions) {
            let stored = stored_per_file.entry(d.path.as_str()).or_default();
            *stored += 1;
            if *stored > MAX_DIAGNOSTICS_PER_FILE {
                continue;
            }
            diag_stmt.execute(params![
                rid,
                d.path,
                d.code,
                format!("{:?}", d.severity).to_lowercase(),
                d.message,
                pos.map(|p| p.0),
                pos.map(|p| p.1),
                d.span.map(|s| s.start),
                d.span.map(|s| s.end),
            ])?;
        }
        let (fields, vals) = search_terms(a);
        fts_stmt.execute(params![rid, r.title, r.description, fields, vals])?;
    }
    // One visible marker per file whose diagnostics were cut.
    for (path, n) in &stored_per_file {
        if *n > MAX_DIAGNOSTICS_PER_FILE {
            diag_stmt.execute(params![
                Option::<i64>::None,
                path,
                "catalog::diagnostics-truncated",
                "warning",
                format!(
                    "truncated: {} more diagnostics of this file are not stored (the limit is {MAX_DIAGNOSTICS_PER_FILE} per file; {n} in all)",
                    n - MAX_DIAGNOSTICS_PER_FILE
                ),
                Option::<u32>::None,
                Option::<u32>::None,
                Option::<u32>::None,
                Option::<u32>::None,
            ])?;
        }
    }
    for counts in built.report.vendors.values() {
        for d in &counts.file_diagnostics {
            diag_stmt.execute(params![
                Option::<i64>::None,
                d.path,
                d.code,
                format!("{:?}", d.severity).to_lowercase(),
                d.message,
                Option::<u32>::None,
                Option::<u32>::None,
                d.span.map(|s| s.start),
                d.span.map(|s| s.end),
            ])?;
        }
    }
    Ok(())
}

fn write_taxonomy(tx: &rusqlite::Transaction<'_>) -> Result<(), CatalogError> {
    let taxonomy = detcat_taxonomy::Taxonomy::get();
    let mut ev = tx.prepare(
        "INSERT OR IGNORE INTO events (provider, event_id, title, sensor, native) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for e in taxonomy.events() {
        let sensor = taxonomy.sensor(&e.provider, &e.event_id);
        let native = serde_json::to_string(&sensor.map(|s| &s.native[..]).unwrap_or_default())?;
        ev.execute(params![
            e.provider,
            e.event_id,
            e.title,
            sensor.map(|s| &s.name),
            native
        ])?;
    }
    let mut f = tx.prepare(
        "INSERT OR IGNORE INTO canonical_fields (id, title, grp, names) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for field in taxonomy.fields() {
        let names = serde_json::json!({ "sigma": field.sigma, "ecs": field.ecs, "cim": field.cim });
        f.execute(params![
            field.id,
            field.title,
            field.group,
            names.to_string()
        ])?;
    }
    Ok(())
}

fn write_attack(tx: &rusqlite::Transaction<'_>, attack: &link::Attack) -> Result<(), CatalogError> {
    let Some(kb) = &attack.kb else { return Ok(()) };
    let mut tactic_stmt =
        tx.prepare("INSERT OR IGNORE INTO tactics (id, shortname, name, domain, ord, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
    for domain in kb.domains() {
        for (ord, t) in kb.tactics_in_order(domain).into_iter().enumerate() {
            tactic_stmt.execute(params![
                t.id,
                t.shortname,
                t.name,
                domain,
                ord as i64,
                t.description
            ])?;
        }
    }
    let mut tech_stmt = tx.prepare(
        "INSERT OR IGNORE INTO techniques (id, name, parent, domain, tactics, platforms, deprecated, revoked, revoked_by, url, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let mut tt_stmt = tx.prepare(
        "INSERT OR IGNORE INTO technique_tactics (technique_id, tactic_id) VALUES (?1, ?2)",
    )?;
    for t in kb.techniques() {
        let tactics: Vec<String> = kb
            .tactics_of_technique(&t.id)
            .into_iter()
            .map(|t| t.id.clone())
            .collect();
        let data = crate::attack_data::technique_data(kb, t);
        tech_stmt.execute(params![
            t.id,
            t.name,
            t.parent,
            t.meta.domains.first().cloned().unwrap_or_default(),
            serde_json::to_string(&tactics)?,
            serde_json::to_string(&t.platforms)?,
            t.meta.deprecated,
            t.meta.revoked,
            t.revoked_by,
            t.meta.url,
            serde_json::to_string(&data)?,
        ])?;
        for tactic in tactics {
            tt_stmt.execute(params![t.id, tactic])?;
        }
    }
    Ok(())
}

//! `/coverage`: which techniques the rules can detect with the events you collect, and what to
//! collect next (`detcat coverage` on the web), its `/api/coverage` twin and a Navigator layer.
//!
//! The query string is read by hand: event checkboxes repeat `have=` (`have=sysmon:1&have=…`),
//! which serde's form decoding does not collect into a list.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use askama::Template;
use detcat_catalog::{Catalog, CoverageIndex, CoverageRequest, CoverageView, PlanUnit};
use serde_json::{Value, json};

use crate::error::WebError;
use crate::links::Links;

/// Most `have=` items a request may carry, and the longest plan.
const MAX_ITEMS: usize = 512;
const MAX_PLAN: usize = 20;

/// The form's answers.
#[derive(Debug, Default, Clone)]
pub struct CoverageParams {
    pub have: Vec<String>,
    pub sensors: Vec<String>,
    pub vendor: Option<String>,
    pub plan: usize,
    pub by_sensor: bool,
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl CoverageParams {
    /// Reads `have` (repeated, or comma lists), `preset`, `sensor`, `vendor`, `plan`, `by`.
    pub fn parse(query: Option<&str>) -> Result<CoverageParams, WebError> {
        let mut p = CoverageParams::default();
        for kv in query
            .unwrap_or_default()
            .split('&')
            .filter(|s| !s.is_empty())
        {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let v = decode(v);
            match k {
                "have" | "preset" => p.have.extend(
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned),
                ),
                "sensor" if !v.trim().is_empty() => p.sensors.push(v.trim().to_owned()),
                "vendor" => p.vendor = crate::site::vendor_filter(Some(&v))?,
                "plan" => {
                    p.plan = v.trim().parse::<usize>().unwrap_or(0).min(MAX_PLAN);
                }
                "by" => p.by_sensor = v == "sensor",
                _ => {}
            }
        }
        if p.have.len() + p.sensors.len() > MAX_ITEMS {
            return Err(detcat_catalog::CatalogError::Query(format!(
                "at most {MAX_ITEMS} events per question"
            ))
            .into());
        }
        Ok(p)
    }

    fn request(&self) -> CoverageRequest {
        CoverageRequest {
            have: self.have.clone(),
            sensors: self.sensors.clone(),
            vendor: self.vendor.clone(),
            plan: self.plan,
            plan_by: if self.by_sensor {
                PlanUnit::Sensor
            } else {
                PlanUnit::Event
            },
            include_deprecated: false,
        }
    }
}

type IndexCache = Mutex<Option<(String, Arc<CoverageIndex>)>>;

/// The coverage index of `c`, loaded once per catalog (the catalog is immutable while served).
fn index(c: &Catalog) -> Result<Arc<CoverageIndex>, WebError> {
    static CACHE: IndexCache = Mutex::new(None);
    let key = format!(
        "{}\u{1f}{}",
        c.origin(),
        c.meta("built_at_unix")?.unwrap_or_default()
    );
    let mut guard = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((k, idx)) = guard.as_ref()
        && *k == key
    {
        return Ok(idx.clone());
    }
    let idx = Arc::new(c.coverage_index()?);
    *guard = Some((key, idx.clone()));
    Ok(idx)
}

/// The answer as JSON (`/api/coverage`).
pub fn coverage_view(c: &Catalog, p: &CoverageParams) -> Result<CoverageView, WebError> {
    let idx = index(c)?;
    Ok(idx.compute(&p.request())?)
}

/// A Navigator layer: score = runnable rules per technique with the given events.
pub fn coverage_layer(c: &Catalog, p: &CoverageParams) -> Result<Value, WebError> {
    let v = coverage_view(c, p)?;
    let max = v.techniques.iter().map(|t| t.runnable).max().unwrap_or(0);
    let techniques: Vec<Value> = v
        .techniques
        .iter()
        .filter(|t| t.runnable > 0)
        .map(|t| {
            json!({
                "techniqueID": t.id,
                "score": t.runnable,
                "comment": format!("{} of {} rules runnable ({} partly)", t.runnable, t.rules, t.partly),
                "enabled": true,
                "showSubtechniques": false,
            })
        })
        .collect();
    let keys: Vec<&str> = v.have.iter().map(|e| e.key.as_str()).collect();
    let description = format!(
        "Scores count the rules that can run with: {} (catalog: {}).",
        keys.join(", "),
        crate::navigator::public_name(c.origin())
    );
    Ok(crate::navigator::layer(
        c,
        "detcat: runnable rules per technique",
        &description,
        techniques,
        json!(max.max(1)),
    ))
}

/// One checkbox of the form.
pub struct EventBox {
    pub key: String,
    pub title: String,
    pub rules: u32,
    pub checked: bool,
}

/// A matrix cell coloured by runnable rules.
pub struct CoverageCell {
    pub id: String,
    pub name: String,
    pub runnable: u64,
    pub rules: u64,
    pub shade: u8,
}

#[derive(Template)]
#[template(path = "coverage.html")]
pub struct CoveragePageView<'a> {
    pub l: &'a Links,
    pub origin: &'a str,
    pub v: CoverageView,
    pub groups: Vec<(String, Vec<EventBox>)>,
    pub presets: Vec<(String, String, bool)>,
    pub sensors: Vec<(String, bool)>,
    pub columns: Vec<(String, Vec<CoverageCell>)>,
    pub plan: usize,
    pub by_sensor: bool,
    pub query: String,
}

fn shade(n: u64) -> u8 {
    match n {
        0 => 0,
        1..=2 => 1,
        3..=9 => 2,
        10..=29 => 3,
        _ => 4,
    }
}

/// The `/coverage` page.
pub fn coverage_html(
    c: &Catalog,
    l: &Links,
    p: &CoverageParams,
    query: &str,
) -> Result<String, WebError> {
    let idx = index(c)?;
    let v = idx.compute(&p.request())?;
    let chosen: Vec<&str> = v.have.iter().map(|e| e.key.as_str()).collect();
    let mut groups: BTreeMap<String, Vec<EventBox>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for e in idx.events().iter().filter(|e| e.rules > 0) {
        if !order.contains(&e.provider) {
            order.push(e.provider.clone());
        }
        groups
            .entry(e.provider.clone())
            .or_default()
            .push(EventBox {
                key: e.key.clone(),
                title: e.title.clone(),
                rules: e.rules,
                checked: chosen.contains(&e.key.as_str()),
            });
    }
    let groups = order
        .into_iter()
        .filter_map(|p| groups.remove(&p).map(|g| (p, g)))
        .collect();
    let presets = detcat_catalog::coverage::presets()
        .iter()
        .map(|x| (x.name.clone(), x.title.clone(), p.have.contains(&x.name)))
        .collect();
    let sensors = idx
        .sensor_names()
        .into_iter()
        .map(|s| {
            let on = p.sensors.iter().any(|x| x.eq_ignore_ascii_case(&s));
            (s, on)
        })
        .collect();
    // The matrix: tactics in order, techniques (sub-techniques folded into their parent).
    let m = c.matrix(
        None,
        p.vendor.as_deref(),
        None,
        detcat_catalog::QueryOptions::default(),
    )?;
    let mut run: HashMap<&str, (u64, u64)> = HashMap::new();
    for t in &v.techniques {
        let parent = t.id.split('.').next().unwrap_or(&t.id);
        let e = run.entry(parent).or_default();
        e.0 += t.runnable;
        e.1 += t.rules;
    }
    let columns = m
        .columns
        .iter()
        .map(|col| {
            let cells = col
                .techniques
                .iter()
                .map(|t| {
                    let (runnable, rules) = run.get(t.id.as_str()).copied().unwrap_or((0, 0));
                    CoverageCell {
                        id: t.id.clone(),
                        name: t.name.clone(),
                        runnable,
                        rules,
                        shade: shade(runnable),
                    }
                })
                .collect();
            (col.tactic.name.clone(), cells)
        })
        .collect();
    let view = CoveragePageView {
        l,
        origin: c.origin(),
        v,
        groups,
        presets,
        sensors,
        columns,
        plan: p.plan,
        by_sensor: p.by_sensor,
        query: query.to_owned(),
    };
    Ok(view.render()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_collect_repeated_and_comma_events() {
        let p = CoverageParams::parse(Some(
            "have=sysmon%3A1&have=sysmon:3,security:4688&preset=sysmon-default&plan=3&by=sensor&sensor=Elastic+Defend",
        ))
        .unwrap();
        assert_eq!(
            p.have,
            ["sysmon:1", "sysmon:3", "security:4688", "sysmon-default"]
        );
        assert_eq!(p.sensors, ["Elastic Defend"]);
        assert_eq!(p.plan, 3);
        assert!(p.by_sensor);
        assert!(CoverageParams::parse(Some("vendor=nope")).is_err());
        assert_eq!(decode("a%2"), "a%2");
    }
}

//! Threat data per technique: who uses it (ATT&CK groups, software, campaigns) and CTID's Top
//! ATT&CK Techniques scores, mapped onto the loaded ATT&CK release and stored in
//! `technique_threat`.

use std::collections::HashMap;

use detcat_attack::{ActorKind, CtidCounts, CtidMapping, KnowledgeBase};
use detcat_model::Diagnostic;
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::link::Attack;
use crate::corpus::Corpus;
use crate::error::CatalogError;

/// The CTID file name upstream uses; preferred when `ctid/` holds several files.
const CTID_FILE: &str = "top-attack-techniques.json";

/// What `detcat stats` says about the threat data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ThreatSummary {
    /// The CTID file read (`None`: the corpus has no `ctid/`, nothing is scored).
    pub ctid_file: Option<String>,
    pub counts: CtidCounts,
    pub diagnostics: Vec<String>,
}

/// The CTID scores of a build (empty mapping when the corpus has none).
#[derive(Default)]
pub struct Threat {
    pub mapping: CtidMapping,
    pub summary: ThreatSummary,
}

impl Threat {
    /// Reads `ctid/` and maps it through the loaded ATT&CK. Without ATT&CK nothing can be
    /// placed, so nothing is scored (and the summary says so).
    pub fn load(corpus: &Corpus, attack: &Attack) -> Threat {
        let Some((path, bytes)) = corpus
            .ctid
            .iter()
            .find(|(p, _)| p.ends_with(CTID_FILE))
            .or(corpus.ctid.first())
        else {
            return Threat::default();
        };
        let (records, mut diagnostics) = detcat_attack::ctid::load(path, bytes);
        for (other, _) in corpus.ctid.iter().filter(|(p, _)| p != path) {
            diagnostics.push(Diagnostic::warning(
                "ctid::extra-file",
                format!("only one CTID file is read; this one is ignored in favour of {path}"),
                other.clone(),
                None,
            ));
        }
        let mut mapping = match &attack.kb {
            Some(kb) => kb.map_ctid(&records, path),
            None => {
                diagnostics.push(Diagnostic::warning(
                    "ctid::no-attack",
                    "the corpus has no ATT&CK bundle to place the CTID scores on; nothing is scored",
                    path.clone(),
                    None,
                ));
                CtidMapping::default()
            }
        };
        mapping.diagnostics.splice(0..0, diagnostics);
        let summary = ThreatSummary {
            ctid_file: Some(path.clone()),
            counts: mapping.counts.clone(),
            diagnostics: mapping
                .diagnostics
                .iter()
                .map(|d| format!("{}: {}", d.code, d.message))
                .collect(),
        };
        Threat { mapping, summary }
    }
}

/// One actor of a technique's `actors` column.
#[derive(Serialize)]
struct ActorRef<'k> {
    id: &'k str,
    name: &'k str,
    url: Option<&'k str>,
}

/// A technique's `actors` column.
#[derive(Serialize)]
struct TechniqueActors<'k> {
    groups: Vec<ActorRef<'k>>,
    software: Vec<ActorRef<'k>>,
    campaigns: Vec<ActorRef<'k>>,
}

/// The `actors` column of every technique of the knowledge base, in its order: groups,
/// software and campaigns, the busiest first.
pub fn actors_json(kb: &KnowledgeBase) -> Vec<String> {
    let campaigns = campaigns_by_technique(kb);
    kb.techniques()
        .map(|t| {
            let campaign_ids = campaigns.get(t.id.as_str()).map_or(&[][..], Vec::as_slice);
            let actors = TechniqueActors {
                groups: actor_list(kb, &t.groups),
                software: actor_list(kb, &t.software),
                campaigns: actor_list(kb, campaign_ids),
            };
            serde_json::to_string(&actors).unwrap_or_else(|_| "{}".to_owned())
        })
        .collect()
}

/// The actors of `ids`, the busiest first. Prominence: how many techniques an actor uses —
/// what "top groups" means on the page. Each actor is looked up once, not in every
/// comparison of the sort.
fn actor_list<'k>(kb: &'k KnowledgeBase, ids: &'k [String]) -> Vec<ActorRef<'k>> {
    let mut found: Vec<(usize, ActorRef<'k>)> = ids
        .iter()
        .map(|id| {
            let a = kb.actor(id);
            let prominence = a.map_or(0, |a| a.techniques.len());
            let name = a.map_or("", |a| a.name.as_str());
            let url = a.and_then(|a| a.meta.url.as_deref());
            (prominence, ActorRef { id, name, url })
        })
        .collect();
    found.sort_by(|(pa, a), (pb, b)| pb.cmp(pa).then_with(|| a.id.cmp(b.id)));
    found.into_iter().map(|(_, a)| a).collect()
}

/// Writes one `technique_threat` row per technique of the knowledge base (`actors`: from
/// [`actors_json`]).
pub fn write(
    tx: &rusqlite::Transaction<'_>,
    attack: &Attack,
    threat: &Threat,
    actors: &[String],
) -> Result<(), CatalogError> {
    let Some(kb) = &attack.kb else { return Ok(()) };
    let mut stmt = tx.prepare(
        "INSERT OR IGNORE INTO technique_threat (technique_id, groups, software, campaigns, actors, ctid)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (i, t) in kb.techniques().enumerate() {
        let ctid = match threat.mapping.scores.get(&t.id) {
            Some(s) => Some(serde_json::to_string(s)?),
            None => None,
        };
        stmt.execute(params![
            t.id,
            t.groups_count as i64,
            t.software_count as i64,
            t.campaigns_count as i64,
            actors.get(i).map_or("{}", String::as_str),
            ctid
        ])?;
    }
    let ranked = threat.mapping.counts.records;
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('ctid_ranked', ?1)",
        [ranked.to_string()],
    )?;
    Ok(())
}

/// Campaign ids per technique (the knowledge base keeps only the count on the technique).
fn campaigns_by_technique(kb: &KnowledgeBase) -> HashMap<&str, Vec<String>> {
    let mut out: HashMap<&str, Vec<String>> = HashMap::new();
    for a in kb.actors().filter(|a| a.kind == ActorKind::Campaign) {
        for t in &a.techniques {
            if let Some(tech) = kb.technique(t) {
                out.entry(tech.id.as_str()).or_default().push(a.id.clone());
            }
        }
    }
    out
}

//! The second phase of loading: relationships, matrices and references between objects,
//! resolved once every bundle is read (a relationship may point into another bundle).

use crate::{Map, Set};

use detcat_model::Diagnostic;

use crate::diagnostics;
use crate::kb::KnowledgeBase;
use crate::load::Origin;
use crate::model::ActorKind;
use crate::raw::RawObject;

/// A relationship waiting for every bundle to be read.
#[derive(Debug)]
pub(crate) struct PendingRel {
    id: String,
    kind: String,
    source: String,
    target: String,
    /// Neither revoked nor deprecated: only active relationships describe current ATT&CK.
    active: bool,
    origin: Origin,
}

impl PendingRel {
    pub fn from_raw(o: RawObject<'_>, origin: Origin) -> Self {
        PendingRel {
            active: !o.revoked && !o.x_mitre_deprecated,
            id: o.id,
            kind: o.relationship_type.unwrap_or_default(),
            source: o.source_ref.unwrap_or_default(),
            target: o.target_ref.unwrap_or_default(),
            origin,
        }
    }
}

/// Collects what can only be resolved at the end, and every STIX id seen (of any type, so a
/// relationship to an object type we do not keep — an ICS asset — is not "dangling").
#[derive(Debug, Default)]
pub(crate) struct Linker {
    rels: Vec<PendingRel>,
    matrices: Vec<(String, Vec<String>, Origin)>,
    seen: Map<String, Origin>,
}

/// Edits to apply to techniques, gathered while the tables are borrowed for reading.
#[derive(Default)]
struct TechniqueEdits {
    parent: Map<usize, String>,
    revoked_by: Map<usize, String>,
    mitigations: Map<usize, Vec<String>>,
    users: Map<usize, Vec<(ActorKind, String)>>,
    data_components: Map<usize, Vec<String>>,
    strategies: Map<usize, Vec<String>>,
    lists: TechniqueLists,
}

impl Linker {
    /// Record a STIX id; returns where it was seen before, if it was.
    pub fn seen(&mut self, id: String, origin: Origin) -> Option<Origin> {
        self.seen.insert(id, origin)
    }

    pub fn relationship(&mut self, rel: PendingRel) {
        self.rels.push(rel);
    }

    pub fn matrix(&mut self, domain: String, tactic_refs: Vec<String>, origin: Origin) {
        self.matrices.push((domain, tactic_refs, origin));
    }

    /// Resolves every reference once all bundles are read; each reference that points
    /// nowhere is an `attack::dangling-ref` diagnostic at the object that makes it.
    pub fn link(self, kb: &mut KnowledgeBase, paths: &[&str], diags: &mut Vec<Diagnostic>) {
        let mut out = Reporter {
            paths,
            seen: &self.seen,
            diags,
        };
        self.link_matrices(kb, &mut out);
        link_kill_chains(kb, &mut out);
        self.link_relationships(kb, &mut out);
        subtechnique_parents_from_ids(kb);
        for t in &kb.techniques.items {
            if t.meta.revoked && t.revoked_by.is_some() && kb.replacement(t).is_none() {
                let at = out.origin_of(&t.meta.stix_id);
                let path = out.path(at);
                out.diags
                    .push(diagnostics::revoked_cycle(path, at.map(|o| o.span), &t.id));
            }
        }
        link_analytics(kb, &mut out);
        link_log_sources(kb, &mut out);
        link_data_sources(kb, &mut out);
    }

    /// Matrix order of tactics.
    fn link_matrices(&self, kb: &mut KnowledgeBase, out: &mut Reporter<'_>) {
        for (domain, refs, origin) in &self.matrices {
            let mut order = Vec::new();
            for r in refs {
                match kb.tactics.index(r) {
                    Some(i) if !order.contains(&i) => order.push(i),
                    Some(_) => {}
                    None => out.dangling(Some(*origin), "x-mitre-matrix", "tactic_refs entry", r),
                }
            }
            kb.tactic_order.entry(domain.clone()).or_insert(order);
        }
    }

    /// Relationships: technique edits (parents, revocations, mitigations, users, data
    /// components, strategies) and the techniques of each mitigation, actor and strategy.
    fn link_relationships(&self, kb: &mut KnowledgeBase, out: &mut Reporter<'_>) {
        let mut edits = TechniqueEdits::default();
        let mut done: Set<&str> = Set::default();
        for rel in &self.rels {
            if !rel.id.is_empty() && !done.insert(rel.id.as_str()) {
                continue; // the same relationship from two bundles
            }
            let mut ok = true;
            for (end, what) in [(&rel.source, "source_ref"), (&rel.target, "target_ref")] {
                if !self.seen.contains_key(end.as_str()) {
                    let from = format!("{} relationship {}", rel.kind, rel.id);
                    out.dangling(Some(rel.origin), &from, what, end);
                    ok = false;
                }
            }
            let Some(tech) = kb.techniques.index(&rel.target) else {
                continue;
            };
            if ok {
                edits.relationship(kb, rel, tech);
            }
        }
        let lists = std::mem::take(&mut edits.lists);
        apply(kb, edits);
        for (i, v) in lists.mitigations {
            if let Some(m) = kb.mitigations.items.get_mut(i) {
                m.techniques = sorted(v);
            }
        }
        for (i, v) in lists.actors {
            if let Some(a) = kb.actors.items.get_mut(i) {
                a.techniques = sorted(v);
            }
        }
        for (i, v) in lists.strategies {
            if let Some(s) = kb.strategies.items.get_mut(i) {
                s.techniques = sorted(v);
            }
        }
    }
}

/// Where diagnostics of the link phase go, with the origin of every STIX id.
struct Reporter<'a> {
    paths: &'a [&'a str],
    seen: &'a Map<String, Origin>,
    diags: &'a mut Vec<Diagnostic>,
}

impl Reporter<'_> {
    fn origin_of(&self, stix: &str) -> Option<Origin> {
        self.seen.get(stix).copied()
    }

    fn path(&self, at: Option<Origin>) -> &str {
        at.and_then(|o| self.paths.get(o.bundle).copied())
            .unwrap_or("")
    }

    fn dangling(&mut self, at: Option<Origin>, from: &str, what: &str, target: &str) {
        let path = self.path(at).to_owned();
        self.diags.push(diagnostics::dangling_ref(
            &path,
            at.map(|o| o.span),
            from,
            what,
            target,
        ));
    }
}

/// Techniques of each mitigation, actor and strategy (by index), gathered from relationships.
#[derive(Default)]
struct TechniqueLists {
    mitigations: Map<usize, Vec<String>>,
    actors: Map<usize, Vec<String>>,
    strategies: Map<usize, Vec<String>>,
}

impl TechniqueEdits {
    /// Records one resolved relationship whose target is technique `tech`.
    fn relationship(&mut self, kb: &KnowledgeBase, rel: &PendingRel, tech: usize) {
        let tech_id = kb
            .techniques
            .items
            .get(tech)
            .map(|t| t.id.clone())
            .unwrap_or_default();
        match rel.kind.as_str() {
            "subtechnique-of" => {
                if let Some(src) = kb.techniques.index(&rel.source) {
                    self.parent.insert(src, tech_id);
                }
            }
            "revoked-by" => {
                if let Some(src) = kb.techniques.index(&rel.source) {
                    self.revoked_by.insert(src, tech_id);
                }
            }
            "mitigates" if rel.active => {
                if let Some(m) = kb.mitigations.index(&rel.source) {
                    let mid = kb
                        .mitigations
                        .items
                        .get(m)
                        .map(|m| m.id.clone())
                        .unwrap_or_default();
                    self.mitigations.entry(tech).or_default().push(mid);
                    self.lists.mitigations.entry(m).or_default().push(tech_id);
                }
            }
            "uses" if rel.active => {
                if let Some(a) = kb.actors.index(&rel.source)
                    && let Some(actor) = kb.actors.items.get(a)
                    && actor.meta.is_active()
                {
                    self.users
                        .entry(tech)
                        .or_default()
                        .push((actor.kind, actor.id.clone()));
                    self.lists.actors.entry(a).or_default().push(tech_id);
                }
            }
            "detects" if rel.active => {
                if let Some(dc) = kb.data_components.get(&rel.source) {
                    self.data_components
                        .entry(tech)
                        .or_default()
                        .push(dc.key().to_owned());
                } else if let Some(s) = kb.strategies.index(&rel.source) {
                    let sid = kb
                        .strategies
                        .items
                        .get(s)
                        .map(|s| s.id.clone())
                        .unwrap_or_default();
                    self.strategies.entry(tech).or_default().push(sid);
                    self.lists.strategies.entry(s).or_default().push(tech_id);
                }
            }
            _ => {}
        }
    }
}

/// Kill chain phases → tactic ids.
fn link_kill_chains(kb: &mut KnowledgeBase, out: &mut Reporter<'_>) {
    let by_shortname: Map<(String, String), String> = kb
        .tactics
        .items
        .iter()
        .flat_map(|t| {
            t.meta
                .domains
                .iter()
                .map(move |d| ((d.clone(), t.shortname.clone()), t.id.clone()))
        })
        .collect();
    for t in &mut kb.techniques.items {
        for phase in &mut t.tactics {
            phase.id = by_shortname
                .get(&(phase.domain.clone(), phase.shortname.clone()))
                .cloned();
            if phase.id.is_none() {
                let at = out.origin_of(&t.meta.stix_id);
                let target = format!("{}:{}", phase.domain, phase.shortname);
                out.dangling(at, &t.id, "kill chain phase", &target);
            }
        }
    }
}

/// Detection strategy → analytics (kept in the strategy's order).
fn link_analytics(kb: &mut KnowledgeBase, out: &mut Reporter<'_>) {
    let mut analytic_strategy: Vec<(usize, String)> = Vec::new();
    for s in &mut kb.strategies.items {
        let refs = std::mem::take(&mut s.analytics);
        for r in refs {
            match kb.analytics.index(&r) {
                Some(i) => {
                    analytic_strategy.push((i, s.id.clone()));
                    s.analytics
                        .push(kb.analytics.items.get(i).map_or(r, |a| a.id.clone()));
                }
                None => {
                    let at = out.origin_of(&s.meta.stix_id);
                    out.dangling(at, &s.id, "analytic", &r);
                }
            }
        }
    }
    for (i, sid) in analytic_strategy {
        if let Some(a) = kb.analytics.items.get_mut(i) {
            a.strategy = Some(sid);
        }
    }
}

/// Analytic log sources → data component ids.
fn link_log_sources(kb: &mut KnowledgeBase, out: &mut Reporter<'_>) {
    for a in &mut kb.analytics.items {
        for ls in &mut a.log_sources {
            match kb.data_components.get(&ls.data_component) {
                Some(dc) => ls.data_component = dc.key().to_owned(),
                None => {
                    let at = out.origin_of(&a.meta.stix_id);
                    let what = "log source data component";
                    out.dangling(at, &a.id, what, &ls.data_component);
                }
            }
        }
    }
}

/// Data component → data source.
fn link_data_sources(kb: &mut KnowledgeBase, out: &mut Reporter<'_>) {
    for dc in &mut kb.data_components.items {
        if let Some(ds) = dc.data_source.take() {
            match kb.data_sources.public_id(&ds) {
                Some(id) => dc.data_source = Some(id),
                None => {
                    let at = out.origin_of(&dc.meta.stix_id);
                    out.dangling(at, dc.key(), "x_mitre_data_source_ref", &ds);
                }
            }
        }
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

fn apply(kb: &mut KnowledgeBase, mut e: TechniqueEdits) {
    for (i, t) in kb.techniques.items.iter_mut().enumerate() {
        if let Some(p) = e.parent.remove(&i) {
            t.parent = Some(p);
        }
        if let Some(r) = e.revoked_by.remove(&i) {
            t.revoked_by = Some(r);
        }
        if let Some(m) = e.mitigations.remove(&i) {
            t.mitigations = sorted(m);
        }
        if let Some(users) = e.users.remove(&i) {
            let pick = |kinds: &[ActorKind]| {
                sorted(
                    users
                        .iter()
                        .filter(|(k, _)| kinds.contains(k))
                        .map(|(_, id)| id.clone())
                        .collect(),
                )
            };
            t.groups = pick(&[ActorKind::Group]);
            t.software = pick(&[ActorKind::Malware, ActorKind::Tool]);
            t.campaigns_count = pick(&[ActorKind::Campaign]).len();
            t.groups_count = t.groups.len();
            t.software_count = t.software.len();
        }
        if let Some(d) = e.data_components.remove(&i) {
            t.data_components = sorted(d);
        }
        if let Some(s) = e.strategies.remove(&i) {
            t.detection_strategies = sorted(s);
        }
    }
}

/// A sub-technique without a `subtechnique-of` relationship still has a parent by its id
/// (`T1559.001` → `T1559`), when that technique is loaded.
fn subtechnique_parents_from_ids(kb: &mut KnowledgeBase) {
    let fixes: Vec<(usize, String)> = kb
        .techniques
        .items
        .iter()
        .enumerate()
        .filter(|(_, t)| t.is_subtechnique && t.parent.is_none())
        .filter_map(|(i, t)| {
            let (parent, _) = t.id.split_once('.')?;
            kb.techniques.get(parent).map(|p| (i, p.id.clone()))
        })
        .collect();
    for (i, p) in fixes {
        if let Some(t) = kb.techniques.items.get_mut(i) {
            t.parent = Some(p);
        }
    }
}

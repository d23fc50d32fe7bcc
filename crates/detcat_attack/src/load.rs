//! Reading bundles into a [`KnowledgeBase`]: split, read each object once, convert, then link.

use std::collections::{BTreeMap, HashMap};

use detcat_model::{Diagnostic, Span};

use crate::bundle::{self, span_of_text};
use crate::convert::{self, USED_TYPES};
use crate::diagnostics;
use crate::kb::{BundleInfo, KnowledgeBase};
use crate::link::{Linker, PendingRel};
use crate::model::ActorKind;
use crate::raw::{RawHead, RawObject};
use crate::scan;
use crate::table::Inserted;
use crate::version::{
    AttackVersion, VersionSource, canonical_domain, domain_from_file_name, version_from_file_name,
};

/// Where an object was read: bundle index and span, for diagnostics raised while linking.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin {
    pub bundle: usize,
    pub span: Span,
}

impl KnowledgeBase {
    /// Load one or more STIX 2.0/2.1 bundles (`(corpus-relative path, bytes)`) into one
    /// knowledge base. Never fails and never panics: whatever cannot be read becomes a
    /// diagnostic and the rest is kept.
    ///
    /// Load one bundle per domain (see [`crate::select_bundles`]); objects with the same STIX
    /// id in several bundles (ICS shares data components with Enterprise) are merged.
    pub fn load(bundles: &[(&str, &[u8])]) -> (KnowledgeBase, Vec<Diagnostic>) {
        let mut kb = KnowledgeBase::default();
        let mut diags = Vec::new();
        let mut linker = Linker::default();
        for (index, (path, bytes)) in bundles.iter().enumerate() {
            let info = load_bundle(&mut kb, &mut linker, index, path, bytes, &mut diags);
            if let Some(other) = kb
                .bundles
                .iter()
                .find(|b| b.domain == info.domain && info.domain != "unknown")
            {
                diags.push(diagnostics::duplicate_domain(
                    path,
                    &info.domain,
                    &other.path,
                ));
            }
            kb.bundles.push(info);
        }
        kb.finish_tables();
        let paths: Vec<&str> = bundles.iter().map(|(p, _)| *p).collect();
        linker.link(&mut kb, &paths, &mut diags);
        (kb, diags)
    }
}

/// Read one bundle's objects into the tables; relationships and matrices wait in `linker`.
fn load_bundle(
    kb: &mut KnowledgeBase,
    linker: &mut Linker,
    index: usize,
    path: &str,
    bytes: &[u8],
    diags: &mut Vec<Diagnostic>,
) -> BundleInfo {
    let mut info = BundleInfo::new(path);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            diags.push(diagnostics::not_utf8(path, e.valid_up_to()));
            finish_info(&mut info, &[], None, diags);
            return info;
        }
    };
    // The unchecked scan first (`scan.rs`); the checked split when it declines, or when an
    // object it found turns out not to be JSON (the checked split says where, and keeps what
    // came before, as for any broken bundle).
    let mut scanned_diags = Vec::new();
    let scanned = scan::objects(text)
        .and_then(|split| read_objects(path, text, split, &mut info, &mut scanned_diags, true));
    let objects = match scanned {
        Some(objects) => {
            diags.append(&mut scanned_diags);
            objects
        }
        None => {
            info = BundleInfo::new(path);
            let split = bundle::split(path, text, diags);
            read_objects(path, text, split, &mut info, diags, false).unwrap_or_default()
        }
    };
    if info.stix_version.is_none() {
        info.stix_version = objects.iter().find_map(|(o, _)| o.spec_version.clone());
    }
    let collection_version = objects
        .iter()
        .find(|(o, _)| o.kind == "x-mitre-collection")
        .and_then(|(o, _)| o.x_mitre_version.as_deref().and_then(AttackVersion::parse));
    finish_info(&mut info, &objects, collection_version, diags);

    for (o, span) in objects {
        insert(kb, linker, index, &info, o, span, diags);
    }
    info
}

/// Reads each object of `split` (counted by type in `info`). `None` when `unchecked` (the
/// objects come from the scan, not the checked split) and an object is not JSON; otherwise
/// an object that cannot be read is a diagnostic (when of a type the knowledge base uses).
fn read_objects<'t>(
    path: &str,
    text: &'t str,
    split: bundle::SplitBundle<'t>,
    info: &mut BundleInfo,
    diags: &mut Vec<Diagnostic>,
    unchecked: bool,
) -> Option<Vec<(RawObject<'t>, Span)>> {
    info.stix_version = split.spec_version.clone();
    let mut objects = Vec::with_capacity(split.objects.len());
    for raw in split.objects {
        let span = span_of_text(text, raw);
        match serde_json::from_str::<RawObject>(raw) {
            Ok(o) => {
                *info.objects.entry(o.kind.clone()).or_default() += 1;
                objects.push((o, span));
            }
            Err(err) if unchecked && err.classify() != serde_json::error::Category::Data => {
                return None;
            }
            Err(err) => {
                let kind = serde_json::from_str::<RawHead>(raw)
                    .ok()
                    .and_then(|h| h.kind);
                let kind = kind.unwrap_or_default();
                if !kind.is_empty() {
                    *info.objects.entry(kind.clone()).or_default() += 1;
                }
                if kind.is_empty() || USED_TYPES.contains(&kind.as_str()) {
                    let at = span.start as usize + bundle::error_offset(raw, &err);
                    diags.push(diagnostics::invalid_object(path, span, at, &kind, &err));
                    info.skipped += 1;
                }
            }
        }
    }
    Some(objects)
}

/// Decide the bundle's domain and version.
fn finish_info(
    info: &mut BundleInfo,
    objects: &[(RawObject<'_>, Span)],
    collection: Option<AttackVersion>,
    diags: &mut Vec<Diagnostic>,
) {
    let matrix = objects
        .iter()
        .find(|(o, _)| o.kind == "x-mitre-matrix")
        .map(|(o, _)| o);
    info.matrix = matrix.and_then(|m| m.name.clone());
    let from_matrix = matrix.and_then(|m| {
        m.x_mitre_domains
            .iter()
            .find_map(|d| canonical_domain(d))
            .or_else(|| m.attack_id().as_deref().and_then(canonical_domain))
    });
    let from_objects = || {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (o, _) in objects {
            for d in &o.x_mitre_domains {
                if let Some(c) = canonical_domain(d) {
                    *seen.entry(c).or_default() += 1;
                }
            }
        }
        seen.into_iter()
            .max_by_key(|(d, n)| (*n, std::cmp::Reverse(*d)))
            .map(|(d, _)| d)
    };
    match from_matrix
        .or_else(|| domain_from_file_name(&info.path))
        .or_else(from_objects)
    {
        Some(d) => info.domain = d.to_owned(),
        None if !objects.is_empty() => diags.push(diagnostics::unknown_domain(&info.path)),
        None => {}
    }
    (info.version, info.version_source) = match (collection, version_from_file_name(&info.path)) {
        (Some(v), _) => (Some(v), Some(VersionSource::Collection)),
        (None, Some(v)) => (Some(v), Some(VersionSource::FileName)),
        (None, None) => (None, None),
    };
    if matrix.is_none() && !objects.is_empty() {
        diags.push(diagnostics::missing_matrix(&info.path, &info.domain));
    }
}

fn insert(
    kb: &mut KnowledgeBase,
    linker: &mut Linker,
    bundle: usize,
    info: &BundleInfo,
    mut o: RawObject<'_>,
    span: Span,
    diags: &mut Vec<Diagnostic>,
) {
    let path = info.path.as_str();
    if !USED_TYPES.contains(&o.kind.as_str()) {
        if !o.id.is_empty() {
            linker.seen(o.id, Origin { bundle, span });
        }
        return;
    }
    if o.id.is_empty() {
        diags.push(diagnostics::missing_id(path, span, &o.kind));
        return;
    }
    if o.kind != "relationship"
        && let Err(err) = o.materialize()
    {
        diags.push(diagnostics::invalid_object(
            path,
            span,
            span.start as usize,
            &o.kind,
            &err,
        ));
        return;
    }
    if o.x_mitre_domains.is_empty() && info.domain != "unknown" {
        o.x_mitre_domains.push(info.domain.clone());
    }
    if matches!(o.kind.as_str(), "attack-pattern" | "x-mitre-tactic") && o.attack_id().is_none() {
        diags.push(diagnostics::missing_attack_id(path, span, &o.id));
    }
    let origin = Origin { bundle, span };
    if let Some(prev) = linker.seen(o.id.clone(), origin)
        && prev.bundle == bundle
    {
        diags.push(diagnostics::duplicate_object(path, span, &o.id));
    }
    let inserted = match o.kind.as_str() {
        "attack-pattern" => kb.techniques.insert(convert::technique(o)),
        "x-mitre-tactic" => kb.tactics.insert(convert::tactic(o)),
        "x-mitre-detection-strategy" => kb.strategies.insert(convert::detection_strategy(o)),
        "x-mitre-analytic" => kb.analytics.insert(convert::analytic(o)),
        "x-mitre-data-component" => kb.data_components.insert(convert::data_component(o)),
        "x-mitre-data-source" => kb.data_sources.insert(convert::data_source(o)),
        "course-of-action" => kb.mitigations.insert(convert::mitigation(o)),
        "intrusion-set" => kb.actors.insert(convert::actor(o, ActorKind::Group)),
        "campaign" => kb.actors.insert(convert::actor(o, ActorKind::Campaign)),
        "malware" => kb.actors.insert(convert::actor(o, ActorKind::Malware)),
        "tool" => kb.actors.insert(convert::actor(o, ActorKind::Tool)),
        "relationship" => {
            linker.relationship(PendingRel::from_raw(o, origin));
            Inserted::New
        }
        "x-mitre-matrix" => {
            let domain = o
                .x_mitre_domains
                .first()
                .and_then(|d| canonical_domain(d))
                .map_or(info.domain.clone(), str::to_owned);
            linker.matrix(domain, std::mem::take(&mut o.tactic_refs), origin);
            Inserted::New
        }
        _ => Inserted::New, // x-mitre-collection: read for its version only
    };
    let _ = inserted;
}

impl BundleInfo {
    fn new(path: &str) -> Self {
        BundleInfo {
            path: path.to_owned(),
            domain: "unknown".to_owned(),
            version: None,
            version_source: None,
            stix_version: None,
            matrix: None,
            objects: BTreeMap::new(),
            skipped: 0,
        }
    }
}

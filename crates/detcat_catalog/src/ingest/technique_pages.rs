//! `technique_pages`: the rule-derived part of each technique's page (active rules), counted
//! once at build time (issue 19).
//!
//! Counted at query time, a busy technique's page was a range scan over thousands of
//! predicate and triple rows, each joined to the wide `rules` rows, plus the rules' events
//! and fields for the analytics: 80–90 ms for T1059.001 in a fresh process, most of it
//! reading pages. Here the build counts it and the page reads one row.
//!
//! The work is the side writer's, which has slack at the end of the build and already holds
//! what a page counts: every rule's triples (kept for the corpus reach, which it counts) and
//! each chunk's predicate rows. The analysis adds, per active rule with a technique, only
//! what the side writer lacks ([`PageRule`]: techniques, vendor, title, events); the side
//! writer keeps the non-selector predicates of those rules (moved out of the rows it has
//! stored, not copied). Once the triples are stored it counts each technique's page keyed by
//! borrowed strings (on the rayon pool, which the finished analysis left idle, while the
//! main writer copies the triples and builds their indexes) and sends the pages, a few
//! batches ahead at most, to the main writer, which stores them in the catalog ([`store`]).
//!
//! A page lists its rules (`rules`, in list order, each with what the list shows of it) and
//! every indicator and exclusion row names its rules by their position in that list, so the
//! row holds no rule twice; the query matches the analytics (whose inputs are stored per
//! rule) against the technique's ATT&CK data. The counts are those of the query over the
//! rule tables (`Catalog::technique` with `--include-deprecated`, or on a catalog without
//! this table), which `tests/technique_pages.rs` compares for every technique.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use detcat_model::{Lifecycle, ParseStatus, Role, Vendor};
use rayon::prelude::*;
use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::analyze::{AnalyzedRule, EventKey};
use super::side::PredicateInsert;
use super::triple_ids::{TripleIds, TripleKey};
use crate::error::CatalogError;
use crate::query::technique::{PAGE_ROWS, SCOPE_ROWS};
use crate::query::{EventsAcc, MAX_LISTED_TITLE_CHARS, truncate_text};
use crate::views::{EventRow, FieldRow, ScopeRow, SensorCount};

/// What `technique_pages.page` holds for one technique (postcard: see
/// [`crate::schema::TECHNIQUE_PAGES_DDL`]).
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct StoredPage {
    /// The active rules, ordered by vendor and title as the page lists them.
    pub rules: Vec<StoredRule>,
    pub events: Vec<EventRow>,
    pub sensors: Vec<SensorCount>,
    pub guide: StoredGuide,
    /// What the analytics match, per rule of `rules` (same order).
    pub analytics: StoredAnalytics,
}

/// A listed rule as the page shows it (lifecycle: active, as every rule of a stored page).
/// Stored whole rather than read by rid from `rule_heads`: one seek per listed rule was the
/// largest part of T1059.001's page in a fresh process (373 rules).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredRule {
    pub rid: i64,
    pub vendor: Vendor,
    pub id: String,
    /// Truncated as lists show titles ([`crate::query::MAX_LISTED_TITLE_CHARS`]).
    pub title: String,
    pub path: String,
    pub parse_status: ParseStatus,
}

/// The authoring guide, its rows naming rules by position in [`StoredPage::rules`].
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct StoredGuide {
    pub scope: Vec<ScopeRow>,
    pub fields_distinct: u64,
    pub fields: Vec<FieldRow>,
    pub indicators_distinct: u64,
    pub indicators: Vec<StoredRow>,
    pub exclusions_distinct: u64,
    pub exclusions: Vec<StoredRow>,
}

/// An indicator or exclusion row: its rules as positions in [`StoredPage::rules`].
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredRow {
    pub field: String,
    pub operator: String,
    pub value: String,
    pub rules: u64,
    /// Corpus reach (indicators; 0 for exclusions).
    pub reach: u64,
    pub at: Vec<u32>,
}

/// Each rule's analytic inputs: its event keys (own events and the natives of its sensor
/// events) and the canonical fields of its indicators and exclusions, as positions in
/// `keys` and `fields`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct StoredAnalytics {
    pub keys: Vec<String>,
    pub fields: Vec<String>,
    /// Per rule of [`StoredPage::rules`]: (key positions, field positions).
    pub rules: Vec<(Vec<u32>, Vec<u32>)>,
}

/// What the side writer lacks of an active rule with a technique (it has its predicates and
/// triples).
pub struct PageRule {
    rid: i64,
    vendor: Vendor,
    id: String,
    title: String,
    path: String,
    parse_status: ParseStatus,
    techniques: Vec<String>,
    events: Vec<EventKey>,
    /// The rule's non-selector predicates, added by the side writer.
    predicates: Vec<KeptPredicate>,
}

/// A non-selector predicate of a page rule, moved out of its stored row.
struct KeptPredicate {
    canonical: String,
    field: String,
    operator: &'static str,
    role: Role,
}

/// The page rules of a chunk whose first rid is `first_rid` (for [`super::side::SideBatch`]).
pub fn page_rules(rules: &[AnalyzedRule], first_rid: i64) -> Vec<PageRule> {
    rules
        .iter()
        .zip(first_rid..)
        .filter(|(a, _)| a.rule.lifecycle == Lifecycle::Active && !a.techniques.is_empty())
        .map(|(a, rid)| PageRule {
            rid,
            vendor: a.rule.vendor,
            id: a.rule.id.clone(),
            title: a.rule.title.clone(),
            path: a.rule.path.clone(),
            parse_status: a.status,
            techniques: a.techniques.iter().map(|(id, _)| id.clone()).collect(),
            events: a.events.clone(),
            predicates: Vec::new(),
        })
        .collect()
}

/// A row of `analytic_taxonomy`: kind, name, channel, answer (JSON).
pub type TaxonomyRow = (&'static str, String, String, String);

/// The taxonomy's answer for every log source and mutable element of the loaded ATT&CK
/// release's analytics (`analytic_taxonomy`): a few hundred lookups, made once.
pub fn analytic_taxonomy(attack: &super::link::Attack) -> Vec<TaxonomyRow> {
    use crate::analytics::AnalyticTaxonomy;
    let Some(kb) = attack.kb.as_ref() else {
        return Vec::new();
    };
    let tax = detcat_taxonomy::Taxonomy::get();
    let mut sources: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut elements: BTreeSet<&str> = BTreeSet::new();
    for a in kb.analytics() {
        sources.extend(
            a.log_sources
                .iter()
                .map(|l| (l.name.as_str(), l.channel.as_str())),
        );
        elements.extend(a.mutable_elements.iter().map(|e| e.field.as_str()));
    }
    let json = |v: Vec<String>| serde_json::to_string(&v).unwrap_or_else(|_| "[]".to_owned());
    let sources = sources.into_iter().map(|(name, channel)| {
        let events = json(tax.log_source_events(name, channel));
        (
            crate::query::LOG_SOURCE,
            name.to_owned(),
            channel.to_owned(),
            events,
        )
    });
    let elements = elements.into_iter().map(|name| {
        let fields = json(tax.element_fields(name));
        (
            crate::query::ELEMENT,
            name.to_owned(),
            String::new(),
            fields,
        )
    });
    sources.chain(elements).collect()
}

/// The side writer's share: the page rules (in rid order) with their predicates.
#[derive(Default)]
pub struct Collector {
    rules: Vec<PageRule>,
}

impl Collector {
    /// A chunk's page rules; chunks come in rid order.
    pub fn add_rules(&mut self, mut rules: Vec<PageRule>) {
        self.rules.append(&mut rules);
    }

    /// Keeps the non-selector predicates of page rules from rows already stored.
    pub fn add_predicates(&mut self, rows: Vec<PredicateInsert>) {
        let mut at = 0;
        for p in rows {
            if p.role == Role::Selector {
                continue;
            }
            // Rows come in rid order: most lookups are the rule of the previous row.
            if self.rules.get(at).is_none_or(|r| r.rid != p.rid) {
                match self.rules.binary_search_by_key(&p.rid, |r| r.rid) {
                    Ok(i) => at = i,
                    Err(_) => continue,
                }
            }
            if let Some(rule) = self.rules.get_mut(at) {
                rule.predicates.push(KeptPredicate {
                    canonical: p.canonical,
                    field: p.field,
                    operator: p.operator,
                    role: p.role,
                });
            }
        }
    }

    /// Counts every technique's page and hands them to `emit` a batch at a time, as
    /// (technique id, [`StoredPage`] encoded) in technique order; stops early when `emit`
    /// returns false. `triples` are every rule's, in rid order; `reach` the active and all
    /// rules using each indicator. Touches no database: the side writer stores its triples
    /// meanwhile.
    pub fn count(
        &self,
        triples: &TripleIds,
        mut emit: impl FnMut(Vec<(String, Vec<u8>)>) -> bool,
    ) -> Result<(), CatalogError> {
        let tables = Tables::new(&self.rules, triples);
        let mut techniques: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, rule) in self.rules.iter().enumerate() {
            for id in &rule.techniques {
                let members = techniques.entry(id.as_str()).or_default();
                // A rule's techniques are unique (link dedupes); this keeps it so.
                if members.last() != Some(&i) {
                    members.push(i);
                }
            }
        }
        // Counted on every core, a batch at a time, each worker with a scratch of its own,
        // in technique order. The analysis is over by now (only the writers' SQLite work
        // runs beside this), and counted on one core the pages left the other idle (~0.4 s
        // busy on the full corpus).
        let techniques: Vec<(&str, Vec<usize>)> = techniques.into_iter().collect();
        let workers = rayon::current_num_threads().max(1);
        let mut scratches: Vec<Scratch> = (0..workers).map(|_| Scratch::new(&tables)).collect();
        for batch in techniques.chunks(workers * PAGES_PER_WORKER) {
            let share = batch.len().div_ceil(workers);
            let pages: Vec<Vec<Vec<u8>>> = batch
                .par_chunks(share)
                .zip(scratches.par_iter_mut())
                .map(|(part, scratch)| {
                    part.iter()
                        .map(|(_, members)| {
                            encode_page(&scratch.page(&self.rules, &tables, members))
                        })
                        .collect()
                })
                .collect::<Result<_, _>>()?;
            let mut counted = Vec::with_capacity(batch.len());
            for ((id, _), page) in batch.iter().zip(pages.into_iter().flatten()) {
                counted.push(((*id).to_owned(), page));
            }
            if !emit(counted) {
                break;
            }
        }
        Ok(())
    }
}

/// A page as `technique_pages.page` holds it (see [`crate::schema::TECHNIQUE_PAGES_DDL`]):
/// postcard, which [`crate::query`] decodes with the same [`StoredPage`].
fn encode_page(page: &StoredPage) -> Result<Vec<u8>, CatalogError> {
    postcard::to_allocvec(page)
        .map_err(|e| CatalogError::Query(format!("a technique page could not be encoded: {e}")))
}

/// Stores the rows of `analytic_taxonomy` (the main writer, as soon as ATT&CK is loaded).
pub fn store_taxonomy(
    tx: &rusqlite::Transaction<'_>,
    taxonomy: &[TaxonomyRow],
) -> Result<(), CatalogError> {
    let mut stmt = tx.prepare(
        "INSERT INTO analytic_taxonomy (kind, name, channel, vals) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (kind, name, channel, vals) in taxonomy {
        stmt.execute(params![kind, name, channel, vals])?;
    }
    Ok(())
}

/// Stores the counted pages as their batches come (the main writer, into the catalog, after
/// the triples' indexes).
pub fn store(
    tx: &rusqlite::Transaction<'_>,
    pages: impl IntoIterator<Item = super::side::PageBatch>,
) -> Result<(), CatalogError> {
    let mut stmt =
        tx.prepare("INSERT INTO technique_pages (technique_id, page) VALUES (?1, ?2)")?;
    for batch in pages {
        for (id, page) in &batch {
            stmt.execute(params![id, page])?;
        }
    }
    Ok(())
}

/// Pages a worker counts per batch: enough to spread the work, few enough that a batch's
/// encoded pages stay small (the largest page is ~100 kB).
const PAGES_PER_WORKER: usize = 16;

/// Unset slot of [`Scratch`].
const NONE: u32 = u32::MAX;

/// Every page rule's triples, fields and events as ids into shared tables, made once, not
/// once per technique (a rule has 2 techniques on average). The triples are the corpus-wide
/// ids the side writer numbered as they came ([`TripleIds`]): no triple is hashed here.
struct Tables<'a> {
    triples: Vec<TripleKey<'a>>,
    /// Per triple: what ranking reads, in one small record (no string touched).
    meta: Vec<TripleMeta>,
    /// Per triple: its corpus reach (active rules; indicators only).
    reach: Vec<u64>,
    /// Canonical fields (of predicates and of triples).
    fields: Vec<&'a str>,
    /// `vendor:name` as written.
    names: Vec<String>,
    operators: Vec<&'a str>,
    /// Event keys for the analytics (`provider:id`).
    keys: Vec<String>,
    /// Per page rule (same order as the collector's).
    rules: Vec<RuleIds>,
    /// Per page rule: its place in list order (vendor, then title, then rid), so a
    /// technique sorts its rules by an integer.
    list_rank: Vec<u32>,
}

/// What the guide ranks a triple by, apart from its text.
#[derive(Clone, Copy)]
struct TripleMeta {
    role: Role,
    /// An indicator with a value: a sample candidate of its field.
    sample: bool,
    field: u32,
    reach: u64,
}

/// One page rule as ids into [`Tables`].
struct RuleIds {
    triples: Vec<u32>,
    /// (field, name, operator) of each non-selector predicate.
    predicates: Vec<(u32, u32, u32)>,
    /// Fields of its indicators and exclusions, unique.
    filtered: Vec<u32>,
    /// Its events' analytic keys: each sensor event's natives, then the event itself.
    keys: Vec<u32>,
    /// Each event: key, title and its sensor (name, natives) for "events covered".
    events: Vec<ResolvedEvent>,
}

type ResolvedEvent = ((String, String), String, Option<(String, Vec<String>)>);

/// A fast seeded hash for the build's own strings.
type Fast = foldhash::fast::RandomState;

/// Ids of strings, each stored once.
struct Interner<K> {
    ids: HashMap<K, u32, Fast>,
}

impl<K: std::hash::Hash + Eq + Clone> Interner<K> {
    fn new() -> Self {
        Self::with_capacity(0)
    }

    fn with_capacity(n: usize) -> Self {
        Interner {
            ids: HashMap::with_capacity_and_hasher(n, Fast::default()),
        }
    }

    /// The id of `key`, calling `add` with it the first time (which stores it at that id).
    fn id(&mut self, key: K, add: impl FnOnce(K)) -> u32 {
        let next = self.ids.len() as u32;
        match self.ids.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => *e.get(),
            std::collections::hash_map::Entry::Vacant(e) => {
                add(e.key().clone());
                e.insert(next);
                next
            }
        }
    }
}

impl<'a> Tables<'a> {
    fn new(rules: &'a [PageRule], triples: &'a TripleIds) -> Tables<'a> {
        let taxonomy = detcat_taxonomy::Taxonomy::get();
        let mut t = Tables {
            triples: Vec::with_capacity(triples.len()),
            meta: Vec::with_capacity(triples.len()),
            reach: Vec::with_capacity(triples.len()),
            fields: Vec::new(),
            names: Vec::new(),
            operators: Vec::new(),
            keys: Vec::new(),
            rules: Vec::with_capacity(rules.len()),
            list_rank: vec![0; rules.len()],
        };
        // Rules are in rid order: a stable sort leaves equal (vendor, title) in rid order.
        let mut order: Vec<usize> = (0..rules.len()).collect();
        order.sort_by(|&a, &b| list_key(rules.get(a)).cmp(&list_key(rules.get(b))));
        for (rank, &i) in order.iter().enumerate() {
            if let Some(r) = t.list_rank.get_mut(i) {
                *r = rank as u32;
            }
        }
        let mut field_ids: Interner<&'a str> = Interner::new();
        let mut name_ids: Interner<(&'a str, &'a str)> = Interner::new();
        let mut operator_ids: Interner<&'a str> = Interner::new();
        let mut key_ids: Interner<String> = Interner::new();
        for id in 0..triples.len() as u32 {
            let k = triples.key(id).unwrap_or((Role::Other, "", "", ""));
            let reach = if k.0 == Role::Indicator {
                triples.reach(id).0.max(0) as u64
            } else {
                0
            };
            let field = field_ids.id(k.1, |f| t.fields.push(f));
            t.triples.push(k);
            t.reach.push(reach);
            t.meta.push(TripleMeta {
                role: k.0,
                sample: k.0 == Role::Indicator && !k.3.is_empty(),
                field,
                reach,
            });
        }
        for rule in rules {
            let ids_of_rows = triples.rule(rule.rid).map_or(&[][..], |r| r.ids.as_slice());
            let mut ids = RuleIds {
                triples: ids_of_rows.to_vec(),
                predicates: Vec::with_capacity(rule.predicates.len()),
                filtered: Vec::new(),
                keys: Vec::new(),
                events: Vec::with_capacity(rule.events.len()),
            };
            let vendor = rule.vendor.as_str();
            for p in &rule.predicates {
                let field = field_ids.id(p.canonical.as_str(), |f| t.fields.push(f));
                let name = name_ids.id((vendor, p.field.as_str()), |(v, n)| {
                    t.names.push(format!("{v}:{n}"))
                });
                let op = operator_ids.id(p.operator, |o| t.operators.push(o));
                ids.predicates.push((field, name, op));
                if matches!(p.role, Role::Indicator | Role::Exclusion)
                    && !ids.filtered.contains(&field)
                {
                    ids.filtered.push(field);
                }
            }
            for e in &rule.events {
                // As the `events` table has them: the taxonomy's events, with their sensors.
                let event = taxonomy.event(&e.provider, &e.event_id);
                let title = event.map(|e| e.title.clone()).unwrap_or_default();
                let sensor = event.and_then(|_| taxonomy.sensor(&e.provider, &e.event_id));
                if let Some(s) = sensor {
                    for n in s.native.iter().filter(|n| *n != "*") {
                        ids.keys.push(key_ids.id(n.clone(), |k| t.keys.push(k)));
                    }
                }
                let own = format!("{}:{}", e.provider, e.event_id);
                ids.keys.push(key_ids.id(own, |k| t.keys.push(k)));
                ids.events.push((
                    (e.provider.clone(), e.event_id.clone()),
                    title,
                    sensor.map(|s| (s.name.clone(), s.native.clone())),
                ));
            }
            t.rules.push(ids);
        }
        t
    }
}

/// A technique's triple while counted.
struct LocalTriple {
    id: u32,
    rules: u32,
    /// Position (in the listed rules) of the last rule counted.
    last: u32,
}

/// A technique's field while counted.
struct LocalField {
    id: u32,
    rules: u64,
    last: u32,
    names: Vec<u32>,
    /// (operator, rules, last rule counted).
    operators: Vec<(u32, u64, u32)>,
}

/// Per-technique counting state, reused: dense slots from a table id to the technique's own
/// rows (reset after each technique), so no technique hashes a string.
struct Scratch {
    triple_slot: Vec<u32>,
    field_slot: Vec<u32>,
    /// Analytic keys and fields: table id → position in the page's lists.
    key_slot: Vec<u32>,
    filtered_slot: Vec<u32>,
    touched_keys: Vec<u32>,
    touched_filtered: Vec<u32>,
}

impl Scratch {
    fn new(tables: &Tables<'_>) -> Scratch {
        Scratch {
            triple_slot: vec![NONE; tables.triples.len()],
            field_slot: vec![NONE; tables.fields.len()],
            key_slot: vec![NONE; tables.keys.len()],
            filtered_slot: vec![NONE; tables.fields.len()],
            touched_keys: Vec::new(),
            touched_filtered: Vec::new(),
        }
    }

    /// One technique's page from its rules (indexes into `rules`, in rid order).
    fn page(&mut self, rules: &[PageRule], tables: &Tables<'_>, members: &[usize]) -> StoredPage {
        // List order: vendor, then title (stable: rid among equals).
        let mut order: Vec<usize> = members.to_vec();
        order.sort_unstable_by_key(|&i| tables.list_rank.get(i).copied().unwrap_or(u32::MAX));
        // Position in the list of each member, by member index.
        let mut position = vec![0u32; members.len()];
        for (pos, rule) in order.iter().enumerate() {
            if let Ok(i) = members.binary_search(rule)
                && let Some(p) = position.get_mut(i)
            {
                *p = pos as u32;
            }
        }

        let mut local: Vec<LocalTriple> = Vec::new();
        // (local triple, position) of every triple of every rule.
        let mut uses: Vec<(u32, u32)> = Vec::new();
        let mut fields: Vec<LocalField> = Vec::new();
        let mut events = EventsAcc::default();
        let mut analytics = StoredAnalytics {
            rules: vec![(Vec::new(), Vec::new()); members.len()],
            ..StoredAnalytics::default()
        };
        for (&member, &pos) in members.iter().zip(&position) {
            let (Some(rule), Some(ids)) = (rules.get(member), tables.rules.get(member)) else {
                continue;
            };
            for &(field, name, op) in &ids.predicates {
                let Some(acc) = slot(&mut self.field_slot, &mut fields, field, |id| LocalField {
                    id,
                    rules: 0,
                    last: NONE,
                    names: Vec::new(),
                    operators: Vec::new(),
                }) else {
                    continue;
                };
                if acc.last != pos {
                    acc.last = pos;
                    acc.rules += 1;
                }
                acc.names.push(name);
                match acc.operators.iter_mut().find(|o| o.0 == op) {
                    Some(o) if o.2 != pos => {
                        o.1 += 1;
                        o.2 = pos;
                    }
                    Some(_) => {}
                    None => acc.operators.push((op, 1, pos)),
                }
            }
            for &t in &ids.triples {
                let at = self.triple_slot.get(t as usize).copied().unwrap_or(NONE);
                let at = if at == NONE {
                    let at = local.len() as u32;
                    local.push(LocalTriple {
                        id: t,
                        rules: 0,
                        last: NONE,
                    });
                    if let Some(s) = self.triple_slot.get_mut(t as usize) {
                        *s = at;
                    }
                    at
                } else {
                    at
                };
                if let Some(acc) = local.get_mut(at as usize)
                    && acc.last != pos
                {
                    acc.last = pos;
                    acc.rules += 1;
                    uses.push((at, pos));
                }
            }
            for (key, title, sensor) in &ids.events {
                events.add(rule.rid, key.clone(), title.clone(), sensor.clone());
            }
            if let Some((keys, filtered)) = analytics.rules.get_mut(pos as usize) {
                for &k in &ids.keys {
                    keys.push(local_id(
                        (&mut self.key_slot, &mut self.touched_keys),
                        &mut analytics.keys,
                        k,
                        || tables.keys.get(k as usize).cloned().unwrap_or_default(),
                    ));
                }
                for &f in &ids.filtered {
                    filtered.push(local_id(
                        (&mut self.filtered_slot, &mut self.touched_filtered),
                        &mut analytics.fields,
                        f,
                        || {
                            tables
                                .fields
                                .get(f as usize)
                                .map(|s| (*s).to_owned())
                                .unwrap_or_default()
                        },
                    ));
                }
            }
        }
        // Reset the slots this technique used.
        for t in &local {
            if let Some(s) = self.triple_slot.get_mut(t.id as usize) {
                *s = NONE;
            }
        }
        for f in &fields {
            if let Some(s) = self.field_slot.get_mut(f.id as usize) {
                *s = NONE;
            }
        }
        for (slots, touched) in [
            (&mut self.key_slot, &mut self.touched_keys),
            (&mut self.filtered_slot, &mut self.touched_filtered),
        ] {
            for id in touched.drain(..) {
                if let Some(s) = slots.get_mut(id as usize) {
                    *s = NONE;
                }
            }
        }
        let guide = guide(tables, &local, &uses, fields);
        let (events, sensors) = events.finish();
        StoredPage {
            rules: order
                .iter()
                .filter_map(|&i| rules.get(i))
                .map(|r| StoredRule {
                    rid: r.rid,
                    vendor: r.vendor,
                    id: r.id.clone(),
                    title: truncate_text(r.title.clone(), MAX_LISTED_TITLE_CHARS),
                    path: r.path.clone(),
                    parse_status: r.parse_status,
                })
                .collect(),
            events,
            sensors,
            guide,
            analytics,
        }
    }
}

/// The list order of a rule: vendor, then title.
fn list_key(rule: Option<&PageRule>) -> Option<(&str, &str)> {
    rule.map(|r| (r.vendor.as_str(), r.title.as_str()))
}

/// The technique's row for table id `id` in `rows` (made by `new` the first time).
fn slot<'r, T>(
    slots: &mut [u32],
    rows: &'r mut Vec<T>,
    id: u32,
    new: impl FnOnce(u32) -> T,
) -> Option<&'r mut T> {
    let s = slots.get_mut(id as usize)?;
    if *s == NONE {
        *s = rows.len() as u32;
        rows.push(new(id));
    }
    rows.get_mut(*s as usize)
}

/// The page-level position of table id `id` in `list` (added with `make` when new).
fn local_id(
    (slots, touched): (&mut [u32], &mut Vec<u32>),
    list: &mut Vec<String>,
    id: u32,
    make: impl FnOnce() -> String,
) -> u32 {
    let Some(s) = slots.get_mut(id as usize) else {
        return NONE;
    };
    if *s == NONE {
        *s = list.len() as u32;
        list.push(make());
        touched.push(id);
    }
    *s
}

/// A triple of one technique as the guide ranks it.
struct Ranked {
    rules: u32,
    reach: u64,
    /// Its index in the technique's triples.
    at: u32,
}

/// Most sample candidates kept per field before the fold of adjacent equal values (five
/// are shown; the query sorts them all, which on a busy technique's command lines was
/// thousands of string comparisons per field).
const SAMPLE_CANDIDATES: usize = 16;

/// Adds the value of an indicator used by `rules` rules to `s`, kept sorted most rules
/// first, then by value, and cut to the first [`SAMPLE_CANDIDATES`]: the head of the
/// query's sorted list. The value is read only when the count leaves it in contention.
/// Returns false when a candidate was left out (then the head may be too short once
/// folded, and the caller sorts every candidate).
fn push_sample<'v>(
    s: &mut Vec<(u32, &'v str)>,
    rules: u32,
    value: impl FnOnce() -> &'v str,
) -> bool {
    if s.len() >= SAMPLE_CANDIDATES && s.last().is_some_and(|l| l.0 > rules) {
        return false;
    }
    let v = value();
    // Entry against the candidate in the list's order (most rules first, then value).
    let order = |e: &(u32, &str)| rules.cmp(&e.0).then_with(|| e.1.cmp(v));
    // First position whose entry sorts after (rules, v): after any equal entries.
    let at = s.partition_point(|e| order(e) != std::cmp::Ordering::Greater);
    if at >= SAMPLE_CANDIDATES {
        return false;
    }
    s.insert(at, (rules, v));
    let whole = s.len() <= SAMPLE_CANDIDATES;
    s.truncate(SAMPLE_CANDIDATES);
    whole
}

/// Every sample candidate of field `field` (table id) among `local`, sorted as the query
/// sorts them: most rules first, then by value.
fn all_samples<'t>(tables: &Tables<'t>, local: &[LocalTriple], field: u32) -> Vec<(u32, &'t str)> {
    let mut s: Vec<(u32, &str)> = local
        .iter()
        .filter(|l| {
            tables
                .meta
                .get(l.id as usize)
                .is_some_and(|m| m.sample && m.field == field)
        })
        .map(|l| {
            let value = tables.triples.get(l.id as usize).map_or("", |k| k.3);
            (l.rules, value)
        })
        .collect();
    s.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    s
}

/// Cuts `rows` to its first `n` in `cmp` order, sorted (a total order: ties cannot reorder).
fn top_sorted<T>(rows: &mut Vec<T>, n: usize, cmp: impl Fn(&T, &T) -> std::cmp::Ordering) {
    if rows.len() > n {
        rows.select_nth_unstable_by(n, &cmp);
        rows.truncate(n);
    }
    rows.sort_by(&cmp);
}

/// The guide's tables, ranked and cut as `query::technique::guide` does.
fn guide(
    tables: &Tables<'_>,
    local: &[LocalTriple],
    uses: &[(u32, u32)],
    mut fields: Vec<LocalField>,
) -> StoredGuide {
    let key = |l: &LocalTriple| -> TripleKey<'_> {
        tables
            .triples
            .get(l.id as usize)
            .copied()
            .unwrap_or((Role::Other, "", "", ""))
    };
    let field_name = |id: u32| tables.fields.get(id as usize).copied().unwrap_or("");

    // Fields filtered most: most rules first, then by name.
    let fields_distinct = fields.len() as u64;
    top_sorted(&mut fields, PAGE_ROWS, |a, b| {
        b.rules
            .cmp(&a.rules)
            .then_with(|| field_name(a.id).cmp(field_name(b.id)))
    });
    // Samples: a field's most used indicator values.
    let mut row_of = vec![NONE; tables.fields.len()];
    for (i, f) in fields.iter().enumerate() {
        if let Some(r) = row_of.get_mut(f.id as usize) {
            *r = i as u32;
        }
    }
    // Per listed field: the head of its candidates, and whether every one is in it.
    let mut samples: Vec<(Vec<(u32, &str)>, bool)> =
        (0..fields.len()).map(|_| (Vec::new(), true)).collect();
    for l in local {
        let Some(meta) = tables.meta.get(l.id as usize) else {
            continue;
        };
        if !meta.sample {
            continue;
        }
        let row = row_of.get(meta.field as usize).copied().unwrap_or(NONE);
        if let Some((s, whole)) = samples.get_mut(row as usize)
            && !push_sample(s, l.rules, || key(l).3)
        {
            *whole = false;
        }
    }
    let fields = fields
        .into_iter()
        .zip(samples)
        .map(|(f, (mut s, whole))| {
            // Kept in order by `push_sample`; adjacent equal values fold as the query's do.
            s.dedup_by(|a, b| a.1 == b.1);
            if s.len() < 5 && !whole {
                s = all_samples(tables, local, f.id);
                s.dedup_by(|a, b| a.1 == b.1);
            }
            let names: BTreeSet<&str> = f
                .names
                .iter()
                .filter_map(|&n| tables.names.get(n as usize).map(String::as_str))
                .collect();
            FieldRow {
                field: field_name(f.id).to_owned(),
                vendor_names: names.into_iter().map(str::to_owned).collect(),
                rules: f.rules,
                operators: f
                    .operators
                    .iter()
                    .map(|&(op, n, _)| {
                        let op = tables.operators.get(op as usize).copied().unwrap_or("");
                        (op.to_owned(), n)
                    })
                    .collect(),
                samples: s.into_iter().take(5).map(|(_, v)| v.to_owned()).collect(),
            }
        })
        .collect();

    // (rules, reach, local index) of each triple, split by role: ranked on these integers,
    // the text read only to settle ties.
    let (mut scope, mut indicators, mut exclusions) = (Vec::new(), Vec::new(), Vec::new());
    for (i, l) in local.iter().enumerate() {
        let Some(meta) = tables.meta.get(l.id as usize) else {
            continue;
        };
        let ranked = Ranked {
            rules: l.rules,
            reach: meta.reach,
            at: i as u32,
        };
        match meta.role {
            Role::Selector => scope.push(ranked),
            Role::Indicator => indicators.push(ranked),
            _ => exclusions.push(ranked),
        }
    }
    let (indicators_distinct, exclusions_distinct) =
        (indicators.len() as u64, exclusions.len() as u64);
    // Field, value, operator.
    let text = |r: &Ranked| local.get(r.at as usize).map(key).map(|k| (k.1, k.3, k.2));
    // Most rules first (indicators: then the least corpus reach), then field, value, operator.
    top_sorted(&mut indicators, PAGE_ROWS, |a, b| {
        b.rules
            .cmp(&a.rules)
            .then(a.reach.cmp(&b.reach))
            .then_with(|| text(a).cmp(&text(b)))
    });
    let by_rules =
        |a: &Ranked, b: &Ranked| b.rules.cmp(&a.rules).then_with(|| text(a).cmp(&text(b)));
    top_sorted(&mut exclusions, PAGE_ROWS, by_rules);
    top_sorted(&mut scope, SCOPE_ROWS, by_rules);
    let (indicators, exclusions, scope): (Vec<usize>, Vec<usize>, Vec<usize>) = (
        indicators.iter().map(|r| r.at as usize).collect(),
        exclusions.iter().map(|r| r.at as usize).collect(),
        scope.iter().map(|r| r.at as usize).collect(),
    );
    let rules_of = |i: usize| local.get(i).map_or(0, |l| l.rules);
    let reach_of = |i: usize| {
        local
            .get(i)
            .and_then(|l| tables.reach.get(l.id as usize))
            .copied()
            .unwrap_or(0)
    };

    let row = |&i: &usize| {
        let (_, field, operator, value) = local.get(i).map_or((Role::Other, "", "", ""), key);
        StoredRow {
            field: field.to_owned(),
            operator: operator.to_owned(),
            value: value.to_owned(),
            rules: u64::from(rules_of(i)),
            reach: reach_of(i),
            at: Vec::new(),
        }
    };
    let mut indicator_rows: Vec<StoredRow> = indicators.iter().map(row).collect();
    let mut exclusion_rows: Vec<StoredRow> = exclusions.iter().map(row).collect();
    // Each listed row's rules, from one pass over the uses.
    let mut listed = vec![NONE; local.len()];
    for (n, &i) in indicators.iter().enumerate() {
        if let Some(l) = listed.get_mut(i) {
            *l = n as u32;
        }
    }
    for (n, &i) in exclusions.iter().enumerate() {
        if let Some(l) = listed.get_mut(i) {
            *l = (PAGE_ROWS + n) as u32;
        }
    }
    for &(at, pos) in uses {
        let n = listed.get(at as usize).copied().unwrap_or(NONE);
        if n == NONE {
            continue;
        }
        let n = n as usize;
        let row = if n < PAGE_ROWS {
            indicator_rows.get_mut(n)
        } else {
            exclusion_rows.get_mut(n - PAGE_ROWS)
        };
        if let Some(row) = row {
            row.at.push(pos);
        }
    }
    for row in &mut exclusion_rows {
        row.reach = 0;
    }
    StoredGuide {
        scope: scope
            .iter()
            .map(|&i| {
                let (_, field, operator, value) =
                    local.get(i).map_or((Role::Other, "", "", ""), key);
                ScopeRow {
                    field: field.to_owned(),
                    operator: operator.to_owned(),
                    value: value.to_owned(),
                    rules: u64::from(rules_of(i)),
                }
            })
            .collect(),
        fields_distinct,
        fields,
        indicators_distinct,
        indicators: indicator_rows,
        exclusions_distinct,
        exclusions: exclusion_rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The query's samples of one field: every candidate sorted, adjacent equal values
    /// folded, the first five.
    fn query_samples(mut all: Vec<(u32, &str)>) -> Vec<&str> {
        all.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        all.dedup_by(|a, b| a.1 == b.1);
        all.into_iter().take(5).map(|(_, v)| v).collect()
    }

    #[test]
    fn bounded_samples_are_the_head_of_the_sorted_candidates() {
        // Many ties on the count, values repeated (one value under several operators).
        let values = ["a", "b", "c", "d", "e", "f", "g", "h"];
        let mut all = Vec::new();
        for i in 0..200u32 {
            let v = values.get((i * 7 % 8) as usize).copied().unwrap_or("a");
            all.push(((i * 13) % 5, v));
        }
        let mut head = Vec::new();
        let mut whole = true;
        for &(rules, v) in &all {
            whole &= push_sample(&mut head, rules, || v);
        }
        assert!(!whole, "200 candidates cannot all fit");
        let mut sorted = all.clone();
        sorted.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        sorted.truncate(SAMPLE_CANDIDATES);
        assert_eq!(head, sorted);
        // Eight values under five counts: the head folds to fewer than five values, which
        // is when `guide` sorts every candidate instead.
        let mut folded = head.clone();
        folded.dedup_by(|a, b| a.1 == b.1);
        assert!(folded.len() < 5);
        // With distinct values, the head is enough.
        let distinct: Vec<(u32, String)> = (0..200u32)
            .map(|i| ((i * 13) % 5, format!("v{i}")))
            .collect();
        let mut head = Vec::new();
        for (rules, v) in &distinct {
            push_sample(&mut head, *rules, || v.as_str());
        }
        head.dedup_by(|a, b| a.1 == b.1);
        let ours: Vec<&str> = head.into_iter().take(5).map(|(_, v)| v).collect();
        let all: Vec<(u32, &str)> = distinct.iter().map(|(r, v)| (*r, v.as_str())).collect();
        assert_eq!(ours, query_samples(all));
    }

    #[test]
    fn few_candidates_are_all_kept() {
        let mut head = Vec::new();
        for (rules, v) in [(1, "x"), (3, "y"), (1, "a"), (3, "b")] {
            assert!(push_sample(&mut head, rules, || v));
        }
        assert_eq!(head, vec![(3, "b"), (3, "y"), (1, "a"), (1, "x")]);
    }
}

//! The page templates (askama, checked at compile time) and the view data they need beyond
//! the catalog's JSON views. Every string from a rule or from ATT&CK goes through askama's
//! HTML escaping; no template uses `|safe`.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use detcat_catalog::views::{
    EventPage, FieldPage, FieldRow, Matrix, NumberedReference, RulePage, RuleRef, SearchPage,
    StrategyData, TechniqueData, TechniquePage,
};
use detcat_model::Vendor;

use crate::links::{Links, Target, external_url};
use crate::render::highlight::{self, Span};
use crate::render::text::{Seg, rich};
use crate::render::tree::{self, TreeItem};

/// The page's lookup maps' hasher (foldhash: SipHash was ~3% of a technique page's render).
type Fast = foldhash::fast::RandomState;

/// Values a rule page shows per predicate of its tree, and indicator rows it lists: a rule with
/// 4,432 driver hashes would otherwise be a 3.4 MB page (every value is in its JSON twin).
pub const RULE_LIST_CAP: usize = 50;
pub const RULE_ROWS_CAP: usize = 300;

/// The vendors' names, in the order pages list them.
pub fn vendor_names() -> Vec<&'static str> {
    Vendor::ALL.iter().map(|v| v.as_str()).collect()
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomeView<'a> {
    pub l: &'a Links,
    pub origin: &'a str,
    pub m: &'a Matrix,
    pub vendors: Vec<&'static str>,
    pub vendor_totals: Vec<(&'static str, String)>,
    /// What the cells are coloured by (`?color=`), and the scores behind threat/gap colours.
    pub color: crate::render::threat::MatrixColor,
    pub scores: HashMap<String, detcat_catalog::views::PriorityView>,
    /// Technique ids rules name that the loaded ATT&CK release lacks, and that release.
    pub unknown: Vec<detcat_catalog::views::TechniqueCount>,
    pub attack_version: String,
    /// Sub-techniques by parent id, for the expandable cells.
    pub subs: HashMap<String, Vec<detcat_catalog::views::TechniqueCount>>,
}

impl<'a> HomeView<'a> {
    pub fn new(l: &'a Links, origin: &'a str, m: &'a Matrix) -> Self {
        let vendor_totals = m
            .totals
            .iter()
            .map(|(v, n)| (v.as_str(), crate::render::thousands(n)))
            .collect();
        HomeView {
            l,
            origin,
            m,
            vendors: vendor_names(),
            vendor_totals,
            color: crate::render::threat::MatrixColor::Rules,
            scores: HashMap::new(),
            unknown: Vec::new(),
            attack_version: String::new(),
            subs: HashMap::new(),
        }
    }
}

/// What a technique ATT&CK does not know shows: nothing.
static NO_DATA: TechniqueData = TechniqueData {
    description: String::new(),
    references: Vec::new(),
    detection: detcat_catalog::views::DetectionGuide {
        legacy: None,
        legacy_references: Vec::new(),
        strategies: Vec::new(),
        data_sources: Vec::new(),
        data_components: Vec::new(),
    },
    mitigations: Vec::new(),
    groups_count: 0,
    software_count: 0,
    campaigns_count: 0,
    version: None,
    created: None,
    modified: None,
    stix_id: String::new(),
    is_subtechnique: false,
};

/// A numbered reference under a description.
pub struct RefView {
    pub number: u64,
    pub source_name: String,
    pub url: Option<String>,
    pub description: Option<String>,
}

pub struct FieldView<'a> {
    pub row: &'a FieldRow,
    /// (operator, count, bar class) for the How column.
    pub ops: Vec<(String, u64, String)>,
    /// Sample values: the row's own, or for a field only excluded, its excluded values.
    pub samples: Vec<String>,
}

/// A field the technique's rules filter out under a top-level NOT.
pub struct ExcludedFieldView {
    pub field: String,
    pub rules: u64,
    pub samples: Vec<String>,
}

/// An indicator row with the vendors whose rules use it and the search behind its reach.
pub struct IndicatorView<'a> {
    pub row: &'a detcat_catalog::views::IndicatorRow,
    pub vendors: Vec<&'static str>,
    pub reach_href: String,
}

/// Exclusions of one (field, operator), values folded: "destination.ip cidr — 16 values
/// from 1 rule".
pub struct ExclusionGroup<'a> {
    pub field: String,
    pub operator: String,
    pub rows: Vec<&'a detcat_catalog::views::ExclusionRow>,
    /// Distinct rules over the group's values, and their ids.
    pub rules: u64,
    pub rule_ids: Vec<String>,
    pub vendors: Vec<&'static str>,
}

pub struct VendorGroup<'a> {
    pub vendor: &'static str,
    /// The first [`RULES_PER_VENDOR`] rules on the live site (all of them in the export).
    pub rules: Vec<&'a RuleRef>,
    pub total: usize,
    /// A paged search for all of them, when the list is cut.
    pub all_href: Option<String>,
}

/// Rules listed per vendor on a technique page; the rest are one paged search away
/// (T1059.001 has 481 rules).
pub const RULES_PER_VENDOR: usize = 100;

#[derive(Template)]
#[template(path = "technique.html")]
pub struct TechniqueView<'a> {
    pub l: &'a Links,
    pub origin: &'a str,
    pub p: &'a TechniquePage,
    pub api_href: String,
    pub attack_url: Option<String>,
    pub attack_version: Option<String>,
    pub description: Vec<Vec<Seg>>,
    pub references: Vec<RefView>,
    pub legacy: Vec<Vec<Seg>>,
    pub legacy_refs: Vec<RefView>,
    /// ATT&CK v18 detection strategies with their analytics, as the catalog stores them.
    pub strategies: &'a [StrategyData],
    pub data_components: Vec<String>,
    /// For a technique without rules: every log source ATT&CK's analytics name.
    pub collect: Vec<(String, String, String)>,
    pub fields: Vec<FieldView<'a>>,
    pub excluded_fields: Vec<ExcludedFieldView>,
    pub indicators: Vec<IndicatorView<'a>>,
    pub exclusion_groups: Vec<ExclusionGroup<'a>>,
    /// The first paragraph of the description (the header shows it; the rest is below).
    pub lede: Vec<Vec<Seg>>,
    pub groups: Vec<VendorGroup<'a>>,
    /// The listed rules by id, looked up for every rule of every guide row (T1059: ~3,000):
    /// hashed with foldhash, not SipHash.
    pub rule_index: HashMap<&'a str, &'a RuleRef, Fast>,
    pub rule_total: u64,
    /// The catalog's ATT&CK release (`18.1`): a technique it lacks says which release.
    pub attack_release: String,
}

fn refs(refs: &[NumberedReference]) -> Vec<RefView> {
    refs.iter()
        .map(|r| RefView {
            number: r.number as u64,
            source_name: r.source_name.clone(),
            url: r.url.as_deref().and_then(external_url).map(str::to_owned),
            description: r.description.clone().filter(|d| !d.is_empty()),
        })
        .collect()
}

/// `url` when it is a link a page may show (http/https).
pub fn external(url: &Option<String>) -> Option<&str> {
    url.as_deref().and_then(external_url)
}

impl<'a> TechniqueView<'a> {
    pub fn new(l: &'a Links, origin: &'a str, p: &'a TechniquePage) -> Self {
        let data = p.technique.data.as_ref().unwrap_or(&NO_DATA);
        let detection = &data.detection;
        let strategies = detection.strategies.as_slice();
        let data_components: Vec<String> = detection
            .data_components
            .iter()
            .map(|dc| dc.label().to_owned())
            .chain(detection.data_sources.iter().cloned())
            .filter(|x| !x.is_empty())
            .collect();
        let mut collect: Vec<(String, String, String)> = strategies
            .iter()
            .flat_map(|st| st.analytics.iter().flat_map(|a| a.log_sources.iter()))
            .map(|ls| {
                (
                    ls.component().to_owned(),
                    ls.name.clone(),
                    ls.channel.clone(),
                )
            })
            .collect();
        collect.sort();
        collect.dedup();
        let rule_total = p.rules.len() as u64;
        let fields = field_views(p);
        let rule_index: HashMap<&'a str, &'a RuleRef, Fast> =
            p.rules.iter().map(|r| (r.id.as_str(), r)).collect();
        // The vendors of a row's rules in registry order, each rule looked up once (not once
        // per vendor: T1059's rows name thousands of rules).
        let vendors_of = |ids: &[String]| -> Vec<&'static str> {
            let mut present: Vec<Vendor> = Vec::with_capacity(Vendor::ALL.len());
            for id in ids {
                if let Some(r) = rule_index.get(id.as_str())
                    && !present.contains(&r.vendor)
                {
                    present.push(r.vendor);
                    if present.len() == Vendor::ALL.len() {
                        break;
                    }
                }
            }
            Vendor::ALL
                .into_iter()
                .filter(|v| present.contains(v))
                .map(Vendor::as_str)
                .collect()
        };
        let indicators = p
            .indicators
            .iter()
            .map(|row| IndicatorView {
                row,
                vendors: vendors_of(&row.rule_ids),
                reach_href: l.search_triple(&row.field, &row.operator, &row.value),
            })
            .collect();
        let exclusion_groups = exclusion_groups(p, &vendors_of);
        let looked_for: std::collections::HashSet<&str, Fast> = p
            .indicators
            .iter()
            .map(|i| i.field.as_str())
            .chain(p.scope.iter().map(|s| s.field.as_str()))
            .collect();
        // "Looked for": fields the rules select or match on; a field only ever excluded is
        // in the excluded table instead.
        let fields: Vec<FieldView<'a>> = fields
            .into_iter()
            .filter(|f| {
                looked_for.contains(f.row.field.as_str())
                    || !p.exclusions.iter().any(|x| x.field == f.row.field)
            })
            .collect();
        let excluded_fields = excluded_fields(p);
        let groups = vendor_groups(l, p);
        let description = rich(&data.description);
        TechniqueView {
            l,
            origin,
            p,
            api_href: l.api_twin(&Target::Technique(p.technique.id.clone())),
            attack_url: p
                .technique
                .url
                .as_deref()
                .and_then(external_url)
                .map(str::to_owned),
            attack_version: data.version.clone().filter(|v| !v.is_empty()),
            lede: description.first().cloned().into_iter().collect(),
            description,
            references: refs(&data.references),
            legacy: rich(detection.legacy.as_deref().unwrap_or("")),
            legacy_refs: refs(&detection.legacy_references),
            strategies,
            data_components,
            collect,
            fields,
            excluded_fields,
            indicators,
            exclusion_groups,
            groups,
            rule_index,
            rule_total,
            attack_release: String::new(),
        }
    }

    /// The catalog's ATT&CK release (`meta.attack_version`), named when the technique is not in it.
    pub fn with_attack_release(mut self, release: Option<String>) -> Self {
        self.attack_release = release.unwrap_or_default();
        self
    }
}

/// The "Fields filtered most" rows with their How column and samples.
fn field_views(p: &TechniquePage) -> Vec<FieldView<'_>> {
    p.fields
        .iter()
        .map(|row| {
            let mut ops: Vec<(String, u64, String)> = row
                .operators
                .iter()
                .map(|(op, n)| (op.clone(), *n, crate::render::bar(*n, row.rules)))
                .collect();
            ops.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let samples = if row.samples.is_empty() {
                excluded_samples(p, &row.field)
            } else {
                row.samples.clone()
            };
            FieldView { row, ops, samples }
        })
        .collect()
}

/// The technique's rules by vendor: the first [`RULES_PER_VENDOR`] of each with a paged
/// search for all of them (the export lists every rule).
fn vendor_groups<'a>(l: &Links, p: &'a TechniquePage) -> Vec<VendorGroup<'a>> {
    Vendor::ALL
        .into_iter()
        .map(|v| {
            let mut rules: Vec<&RuleRef> = p.rules.iter().filter(|r| r.vendor == v).collect();
            let total = rules.len();
            // The static export has no search to page through: it lists every rule.
            let all_href = (total > RULES_PER_VENDOR && !l.is_export()).then(|| {
                rules.truncate(RULES_PER_VENDOR);
                l.search(&format!("technique:{} vendor:{v}", p.technique.id))
            });
            VendorGroup {
                vendor: v.as_str(),
                rules,
                total,
                all_href,
            }
        })
        .filter(|g| !g.rules.is_empty())
        .collect()
}

/// Excluded values of `field`, most used first (samples for a field only excluded).
fn excluded_samples(p: &TechniquePage, field: &str) -> Vec<String> {
    p.exclusions
        .iter()
        .filter(|x| x.field == field)
        .take(3)
        .map(|x| x.value.clone())
        .collect()
}

/// The fields the rules exclude on, by distinct rules.
fn excluded_fields(p: &TechniquePage) -> Vec<ExcludedFieldView> {
    let mut by_field: BTreeMap<&str, (std::collections::BTreeSet<&str>, Vec<String>)> =
        BTreeMap::new();
    for x in &p.exclusions {
        let e = by_field.entry(x.field.as_str()).or_default();
        e.0.extend(x.rule_ids.iter().map(String::as_str));
        if e.1.len() < 3 {
            e.1.push(x.value.clone());
        }
    }
    let mut out: Vec<ExcludedFieldView> = by_field
        .into_iter()
        .map(|(field, (rules, samples))| ExcludedFieldView {
            field: field.to_owned(),
            rules: rules.len() as u64,
            samples,
        })
        .collect();
    out.sort_by(|a, b| b.rules.cmp(&a.rules).then_with(|| a.field.cmp(&b.field)));
    out
}

/// Exclusion rows grouped by (field, operator), in the order of their first row.
fn exclusion_groups<'a>(
    p: &'a TechniquePage,
    vendors_of: &dyn Fn(&[String]) -> Vec<&'static str>,
) -> Vec<ExclusionGroup<'a>> {
    let mut groups: Vec<ExclusionGroup<'a>> = Vec::new();
    for x in &p.exclusions {
        match groups
            .iter_mut()
            .find(|g| g.field == x.field && g.operator == x.operator)
        {
            Some(g) => g.rows.push(x),
            None => groups.push(ExclusionGroup {
                field: x.field.clone(),
                operator: x.operator.clone(),
                rows: vec![x],
                rules: 0,
                rule_ids: Vec::new(),
                vendors: Vec::new(),
            }),
        }
    }
    for g in &mut groups {
        let mut ids: Vec<String> = g.rows.iter().flat_map(|x| x.rule_ids.clone()).collect();
        ids.sort();
        ids.dedup();
        g.rules = ids.len() as u64;
        g.vendors = vendors_of(&ids);
        g.rule_ids = ids;
    }
    groups
}

#[derive(Template)]
#[template(path = "rule.html")]
pub struct RuleView<'a> {
    pub l: &'a Links,
    pub origin: &'a str,
    pub r: &'a RulePage,
    pub api_href: String,
    pub upstream: Option<&'a str>,
    pub references: Vec<(&'a str, Option<&'a str>)>,
    pub tree: Vec<TreeItem>,
    pub source: Vec<Vec<Span>>,
    pub source_cut: bool,
    /// Each diagnostic as `detcat_model::render` writes it (source line and caret).
    pub diagnostics: Vec<String>,
}

impl<'a> RuleView<'a> {
    pub fn new(l: &'a Links, origin: &'a str, r: &'a RulePage) -> Self {
        let source = r.source.as_deref().unwrap_or("");
        RuleView {
            l,
            origin,
            r,
            api_href: l.api_twin(&Target::Rule(r.vendor.to_string(), r.id.clone())),
            upstream: r.url.as_deref().and_then(external_url),
            references: r
                .references
                .iter()
                .map(|x| (x.as_str(), external_url(x)))
                .collect(),
            tree: tree::flatten(&r.expr),
            source: highlight::highlight(&r.path, source),
            source_cut: source.lines().nth(highlight::MAX_LINES).is_some(),
            diagnostics: r
                .diagnostics
                .iter()
                .map(|d| d.rendered(r.source.as_deref()))
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "field.html")]
pub struct FieldPageView<'a> {
    pub l: &'a Links,
    pub origin: &'a str,
    pub f: &'a FieldPage,
    pub api_href: String,
    /// Taxonomy names by vendor (`sigma: [Image]`).
    pub names: BTreeMap<String, Vec<String>>,
    /// The first [`LISTED_RULES`] rules; the rest are a paged search away.
    pub shown: &'a [RuleRef],
    /// (vendor, rules, paged search) per vendor with rules, and the paged search of all.
    pub pager: ListPager,
}

/// Rules a field or event page lists itself; past this, a paged search lists them all.
pub const LISTED_RULES: usize = 100;

/// Where to page through every rule of a field or event page: a search for it, all vendors
/// and per vendor.
pub struct ListPager {
    pub all: String,
    pub by_vendor: Vec<(&'static str, u64, String)>,
}

impl ListPager {
    pub fn new(l: &Links, term: &str, counts: &detcat_catalog::views::VendorCounts) -> ListPager {
        ListPager {
            all: l.search(term),
            by_vendor: counts
                .iter()
                .map(|(v, n)| (v.as_str(), n))
                .filter(|(_, n)| *n > 0)
                .map(|(v, n)| (v, n, l.search(&format!("{term} vendor:{v}"))))
                .collect(),
        }
    }
}

fn first_rules(rules: &[RuleRef]) -> &[RuleRef] {
    rules.get(..LISTED_RULES).unwrap_or(rules)
}

impl<'a> FieldPageView<'a> {
    pub fn new(l: &'a Links, origin: &'a str, f: &'a FieldPage) -> Self {
        let names = f
            .names
            .iter()
            .flat_map(|n| n.by_system())
            .map(|(system, names)| (system.to_owned(), names.to_vec()))
            .collect();
        FieldPageView {
            l,
            origin,
            f,
            api_href: l.api_twin(&Target::Field(f.field.clone())),
            names,
            shown: first_rules(&f.rules),
            pager: ListPager::new(l, &format!("field:{}", f.field), &f.rules_by_vendor),
        }
    }
}

#[derive(Template)]
#[template(path = "event.html")]
pub struct EventView<'a> {
    pub l: &'a Links,
    pub origin: &'a str,
    pub e: &'a EventPage,
    pub api_href: String,
    pub shown: &'a [RuleRef],
    pub pager: ListPager,
}

impl<'a> EventView<'a> {
    pub fn new(l: &'a Links, origin: &'a str, e: &'a EventPage) -> Self {
        let key = format!("{}:{}", e.provider, e.event_id);
        EventView {
            l,
            origin,
            e,
            shown: first_rules(&e.rules),
            pager: ListPager::new(l, &format!("event:{key}"), &e.rules_by_vendor),
            api_href: l.api_twin(&Target::Event(key)),
        }
    }
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchView<'a> {
    pub l: &'a Links,
    pub origin: &'a str,
    pub q: &'a str,
    pub page: Option<&'a SearchPage>,
    pub prev: Option<String>,
    pub next: Option<String>,
    /// Filter groups (label, [(value, href, on)]): a filter link adds or removes one term.
    pub filters: Vec<FilterGroup>,
}

/// The filter links of the search page: each toggles one `key:value` term of `q`.
/// One filter group of the search page: its label and (value, href, on) links.
pub type FilterGroup = (&'static str, Vec<(String, String, bool)>);

pub fn search_filters(l: &Links, q: &str) -> Vec<FilterGroup> {
    let vendors = vendor_names();
    let groups: [(&'static str, &str, &[&str]); 4] = [
        ("Vendor", "vendor", &vendors),
        (
            "Status",
            "status",
            &["stable", "test", "experimental", "production", "partial"],
        ),
        (
            "Severity",
            "severity",
            &["critical", "high", "medium", "low", "informational"],
        ),
        ("Platform", "platform", &["windows", "linux", "macos"]),
    ];
    let terms: Vec<&str> = q.split_whitespace().collect();
    groups
        .iter()
        .map(|(label, key, values)| {
            let links = values
                .iter()
                .map(|v| {
                    let term = format!("{key}:{v}");
                    let on = terms.iter().any(|t| t.eq_ignore_ascii_case(&term));
                    let next: Vec<&str> = if on {
                        terms
                            .iter()
                            .copied()
                            .filter(|t| !t.eq_ignore_ascii_case(&term))
                            .collect()
                    } else {
                        terms.iter().copied().chain([term.as_str()]).collect()
                    };
                    ((*v).to_owned(), l.search(&next.join(" ")), on)
                })
                .collect();
            (*label, links)
        })
        .collect()
}

#[derive(Template)]
#[template(path = "not_found.html")]
pub struct NotFoundView<'a> {
    pub l: &'a Links,
    pub origin: &'a str,
    /// `technique`, `rule`, `field`, `event`, `page`.
    pub what: &'a str,
    pub wanted: &'a str,
    pub suggestion: Option<Suggestion>,
}

/// A page the 404 page proposes instead.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Suggestion {
    pub id: String,
    pub name: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorView<'a> {
    pub l: &'a Links,
    pub origin: &'a str,
    pub status: &'a str,
    pub message: &'a str,
}

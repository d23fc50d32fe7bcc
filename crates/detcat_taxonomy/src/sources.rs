//! Rule → events: how telemetry hints (`data/event_sources.toml`) select cataloged events.

use std::collections::{BTreeMap, HashMap};

use detcat_model::{Operator, Rule, TelemetryHint, Value, wildcard};
use serde::{Deserialize, Serialize};

use crate::TaxonomyError;
use crate::branches::Branch;
use crate::context::LogContext;
use crate::events::{EventRef, EventTable};
use crate::fields::FieldTable;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourcesFile {
    sigma: Vec<SigmaEntry>,
    sigma_windows_channels: Vec<WindowsChannels>,
    elastic: Vec<ElasticSource>,
    splunk: Vec<SplunkDataSource>,
    splunk_datamodel: Vec<SplunkDatamodel>,
    #[serde(default)]
    splunk_sourcetype: Vec<SplunkSourcetype>,
    #[serde(default)]
    log_category: Vec<LogCategory>,
}

/// A Splunk sourcetype prefix and the events it carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplunkSourcetype {
    pub prefix: String,
    pub events: Vec<String>,
    pub source: String,
}

/// A cloud log category (`SignInLogs`) and the events it names; they replace the events of
/// the same providers that the data source guessed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogCategory {
    pub value: String,
    pub events: Vec<String>,
    pub source: String,
}

/// A Sigma logsource pattern and the events it stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigmaEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    pub events: Vec<String>,
    /// Providers an `EventID` equality refers to (default: the providers of `events`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eventid: Vec<String>,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowsChannels {
    services: Vec<String>,
    source: String,
}

/// An Elastic data source, found by `Data Source:` tag or index pattern.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElasticSource {
    pub source: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indices: Vec<String>,
    /// Index prefixes that name an event category (`logs-endpoint.events.process` → `process`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub indices_categories: BTreeMap<String, String>,
    /// Counts only when no other source is found.
    #[serde(default)]
    pub weak: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eventid: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default: Vec<String>,
    /// `category` or `category/type` → events.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub categories: BTreeMap<String, Vec<String>>,
    /// `event.action` prefix → events, before categories (`image loaded` → `sysmon:7`: the
    /// winlogbeat Sysmon 7 is `event.category: process` with that action). An empty list: the
    /// source has no such events.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub actions: BTreeMap<String, Vec<String>>,
    /// `event.kind` → events, before everything else (`alert` → `endpoint:alert`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kinds: BTreeMap<String, Vec<String>>,
    pub doc: String,
}

/// A Splunk `data_source` name prefix and its event template (`{id}` = the numbers after it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplunkDataSource {
    pub prefix: String,
    pub event: String,
}

/// A Splunk datamodel and the events that feed it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplunkDatamodel {
    pub name: String,
    pub events: Vec<String>,
}

/// The hint tables, validated against the event catalog.
#[derive(Debug, Serialize)]
pub struct SourceTables {
    pub sigma: Vec<SigmaEntry>,
    pub elastic: Vec<ElasticSource>,
    pub splunk: Vec<SplunkDataSource>,
    pub splunk_datamodel: Vec<SplunkDatamodel>,
    pub splunk_sourcetype: Vec<SplunkSourcetype>,
    pub log_category: Vec<LogCategory>,
    /// Positions in `sigma` by the entry's keys, lowercased (open where the entry leaves a
    /// key open; see [`push_sigma_keys`]): a logsource's candidates are the entries whose
    /// keys are each its own or open, found by at most seven lookups. Scanning every entry for
    /// every rule was 2% of a Sigma-only build.
    #[serde(skip)]
    sigma_by_keys: HashMap<String, Vec<usize>, foldhash::fast::RandomState>,
}

/// Appends a Sigma entry's or logsource's product, category and service to `key`, each
/// lowercased and prefixed with its length (`+7:windows;`), or `-;` when open: one string a
/// lookup builds in a buffer it reuses. Keyed by a tuple of three `Option<String>`, each of
/// a rule's seven lookups copied the logsource's keys (~31k strings in a Sigma-only build).
fn push_sigma_keys(key: &mut String, keys: [Option<&str>; 3]) {
    use std::fmt::Write;
    for k in keys {
        match k {
            None => key.push_str("-;"),
            Some(v) => {
                let _ = write!(key, "+{}:", v.len());
                let start = key.len();
                key.push_str(v);
                if let Some(added) = key.get_mut(start..) {
                    added.make_ascii_lowercase();
                }
                key.push(';');
            }
        }
    }
}

fn trim_index(pattern: &str) -> &str {
    pattern.trim_end_matches(['*', '-', '.'])
}

impl SourceTables {
    pub(crate) fn build(file: SourcesFile, events: &EventTable) -> Result<Self, TaxonomyError> {
        let mut sigma = file.sigma;
        for group in &file.sigma_windows_channels {
            for service in &group.services {
                sigma.push(SigmaEntry {
                    product: Some("windows".into()),
                    category: None,
                    service: Some(service.clone()),
                    events: vec![format!("windows:{service}")],
                    eventid: Vec::new(),
                    source: group.source.clone(),
                });
            }
        }
        let mut sigma_by_keys: HashMap<String, Vec<usize>, _> = HashMap::default();
        for (i, e) in sigma.iter().enumerate() {
            let mut keys = String::new();
            push_sigma_keys(
                &mut keys,
                [
                    e.product.as_deref(),
                    e.category.as_deref(),
                    e.service.as_deref(),
                ],
            );
            sigma_by_keys.entry(keys).or_default().push(i);
        }
        let tables = Self {
            sigma,
            sigma_by_keys,
            elastic: file.elastic,
            splunk: file.splunk,
            splunk_datamodel: file.splunk_datamodel,
            splunk_sourcetype: file.splunk_sourcetype,
            log_category: file.log_category,
        };
        tables.validate(events)?;
        Ok(tables)
    }

    fn validate(&self, events: &EventTable) -> Result<(), TaxonomyError> {
        let check = |context: &str, key: &str| -> Result<(), TaxonomyError> {
            let known = match key.split_once(":{id}") {
                Some((provider, _)) => events
                    .provider(provider.split(':').next().unwrap_or(provider))
                    .is_some(),
                None => events.get_key(key).is_some(),
            };
            if known {
                Ok(())
            } else {
                Err(TaxonomyError::UnknownEvent {
                    context: context.to_owned(),
                    event: key.to_owned(),
                })
            }
        };
        for e in &self.sigma {
            for k in &e.events {
                check(
                    &format!("sigma {:?}/{:?}/{:?}", e.product, e.category, e.service),
                    k,
                )?;
            }
        }
        for s in &self.elastic {
            let keyed = s
                .categories
                .values()
                .chain(s.actions.values())
                .chain(s.kinds.values());
            for k in s.default.iter().chain(keyed.flatten()) {
                check(&format!("elastic {}", s.source), k)?;
            }
        }
        for s in &self.splunk {
            check(&format!("splunk {}", s.prefix), &s.event)?;
        }
        for d in &self.splunk_datamodel {
            for k in &d.events {
                check(&format!("splunk datamodel {}", d.name), k)?;
            }
        }
        for st in &self.splunk_sourcetype {
            for k in &st.events {
                check(&format!("splunk sourcetype {}", st.prefix), k)?;
            }
        }
        for c in &self.log_category {
            for k in &c.events {
                check(&format!("log category {}", c.value), k)?;
            }
        }
        Ok(())
    }

    /// The best-matching Sigma entries for a logsource (most keys matched; ties are all kept).
    pub fn sigma_entries(
        &self,
        product: Option<&str>,
        category: Option<&str>,
        service: Option<&str>,
    ) -> Vec<&SigmaEntry> {
        let logsource = [product, category, service];
        // Each subset of the logsource's keys (the empty one aside: an entry must match at
        // least one key) names the entries that constrain exactly those keys; the score is
        // the subset's size.
        let mut scored: Vec<(u32, usize)> = Vec::new();
        let mut key = String::new();
        for subset in 1..8u8 {
            let mut keys = [None; 3];
            let mut missing = false;
            for ((slot, value), bit) in keys.iter_mut().zip(logsource).zip([1u8, 2, 4]) {
                if subset & bit != 0 {
                    *slot = value;
                    missing |= value.is_none();
                }
            }
            if missing {
                continue; // a key the logsource does not have: no entry can match it
            }
            key.clear();
            push_sigma_keys(&mut key, keys);
            if let Some(positions) = self.sigma_by_keys.get(key.as_str()) {
                scored.extend(positions.iter().map(|&i| (subset.count_ones(), i)));
            }
        }
        let best = scored.iter().map(|(s, _)| *s).max().unwrap_or(0);
        scored.retain(|(s, _)| *s == best);
        // In the table's order, as a scan of it gives them.
        scored.sort_unstable_by_key(|(_, i)| *i);
        scored
            .into_iter()
            .filter_map(|(_, i)| self.sigma.get(i))
            .collect()
    }

    fn index_matches(entry: &str, hint: &str) -> bool {
        let (entry, hint) = (trim_index(entry), trim_index(hint));
        let boundary = |rest: &str| rest.is_empty() || rest.starts_with(['.', '-']);
        match (hint.strip_prefix(entry), entry.strip_prefix(hint)) {
            (Some(rest), _) => boundary(rest),
            // A broader hint (`logs-endpoint.*`) covers the data streams under it.
            (None, Some(rest)) => rest.starts_with('.'),
            (None, None) => false,
        }
    }

    /// The Splunk entry with the longest prefix of `name`.
    pub fn splunk_entry<'a>(&'a self, name: &'a str) -> Option<(&'a SplunkDataSource, &'a str)> {
        let name = name.trim();
        self.splunk
            .iter()
            .filter_map(|s| {
                let head = name.get(..s.prefix.len())?;
                head.eq_ignore_ascii_case(&s.prefix)
                    .then(|| (s, name.get(s.prefix.len()..).unwrap_or("")))
            })
            .max_by_key(|(s, _)| s.prefix.len())
    }
}

/// What the rule's positive predicates say about its events.
#[derive(Debug, Default)]
struct PredFacts {
    codes: Vec<String>,
    /// Splunk `source=` values (event log channels such as
    /// `XmlWinEventLog:Microsoft-Windows-Sysmon/Operational`).
    log_sources: Vec<String>,
    /// Splunk `sourcetype=` values, lowercased.
    sourcetypes: Vec<String>,
    /// `cloud.log_category` values, lowercased.
    log_categories: Vec<String>,
    /// The rule's selector alternatives (Elastic rules only).
    branches: Vec<Branch>,
    categories: Vec<String>,
    types: Vec<String>,
    dns: bool,
}

fn literal_values(op: Operator, values: &[Value]) -> Vec<String> {
    values
        .iter()
        .filter_map(|v| match (op, v) {
            (Operator::Eq | Operator::Match, v) => Some(v.to_text()),
            (Operator::Wildcard, Value::Str(s)) => wildcard::as_literal(s),
            _ => None,
        })
        .collect()
}

fn pred_facts(rule: &Rule, fields: &FieldTable, ctx: &LogContext) -> PredFacts {
    let mut facts = PredFacts::default();
    for p in rule.expr.indicators() {
        let canonical = fields
            .lookup_in(rule.vendor, &p.field, ctx)
            .and_then(|h| fields.field(h));
        let id = canonical.map(|f| f.id.as_str());
        // Compared without case, not lowercased: one allocation less per indicator.
        let field = p.field.as_str();
        if id == Some("event.code") {
            facts.codes.extend(literal_values(p.op, &p.values));
        } else if id == Some("log.source") {
            // Patterns too: `source=*WinEventLog:Security` names its channel just as well.
            facts
                .log_sources
                .extend(p.values.iter().map(|v| v.to_text().to_ascii_lowercase()));
        } else if id == Some("log.sourcetype") {
            facts
                .sourcetypes
                .extend(p.values.iter().map(|v| v.to_text().to_ascii_lowercase()));
        } else if id == Some("cloud.log_category") {
            facts.log_categories.extend(
                literal_values(p.op, &p.values)
                    .into_iter()
                    .map(|s| s.to_ascii_lowercase()),
            );
        } else if field.eq_ignore_ascii_case("event.category") {
            facts.categories.extend(
                literal_values(p.op, &p.values)
                    .into_iter()
                    .map(|s| s.to_ascii_lowercase()),
            );
        } else if field.eq_ignore_ascii_case("event.type") {
            facts.types.extend(
                literal_values(p.op, &p.values)
                    .into_iter()
                    .map(|s| s.to_ascii_lowercase()),
            );
        }
        let dns_prefix = field
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("dns."));
        if dns_prefix || canonical.is_some_and(|f| f.group == "dns") {
            facts.dns = true;
        }
    }
    facts
}

/// Splits `provider:id` (the provider never holds a colon; the id may: `linux:sysmon:1`).
fn split_key(key: &str) -> (&str, &str) {
    key.split_once(':').unwrap_or((key, "*"))
}

fn push_keys(events: &EventTable, keys: &[String], out: &mut Vec<EventRef>) {
    for k in keys {
        let (p, id) = split_key(k);
        out.push(events.reference(p, id));
    }
}

/// Events named by event-id predicates on `providers`; `generic` allows uncataloged ids.
fn push_codes(
    events: &EventTable,
    providers: &[String],
    codes: &[String],
    generic: bool,
    out: &mut Vec<EventRef>,
) -> bool {
    let mut any = false;
    for code in codes {
        let code = code.trim();
        let found: Vec<_> = providers
            .iter()
            .filter(|p| events.get(p, code).is_some())
            .collect();
        if found.is_empty()
            && let (true, Some(first)) = (generic, providers.first())
        {
            out.push(events.reference(first, code));
            any = true;
        }
        for p in found {
            out.push(events.reference(p, code));
            any = true;
        }
    }
    any
}

pub(crate) fn events_for(
    tables: &SourceTables,
    events: &EventTable,
    fields: &FieldTable,
    rule: &Rule,
    ctx: &LogContext,
) -> Vec<EventRef> {
    let mut facts = pred_facts(rule, fields, ctx);
    let mut out = Vec::new();
    let mut hint_categories = Vec::new();
    let mut elastic_tags = Vec::new();
    let mut elastic_indices = Vec::new();
    let mut splunk_sources = Vec::new();
    let mut datamodels = Vec::new();
    for hint in &rule.telemetry {
        match hint {
            TelemetryHint::SigmaLogsource {
                product,
                category,
                service,
            } => {
                for entry in tables.sigma_entries(
                    product.as_deref(),
                    category.as_deref(),
                    service.as_deref(),
                ) {
                    sigma_events(entry, events, &facts.codes, &mut out);
                }
            }
            TelemetryHint::EventCategory { name } => {
                hint_categories.push(name.to_ascii_lowercase())
            }
            TelemetryHint::Index { pattern } => elastic_indices.push(pattern.as_str()),
            TelemetryHint::DataSourceTag { name } => elastic_tags.push(name.as_str()),
            TelemetryHint::DataSource { name } => splunk_sources.push(name.as_str()),
            TelemetryHint::Datamodel { name } => datamodels.push(name.as_str()),
        }
    }
    if !elastic_tags.is_empty() || !elastic_indices.is_empty() || !hint_categories.is_empty() {
        facts.branches = crate::branches::branches(rule, fields);
        elastic_events(
            tables,
            events,
            &facts,
            &hint_categories,
            &elastic_tags,
            &elastic_indices,
            &mut out,
        );
    }
    let before = out.len();
    for name in splunk_sources {
        for part in name.split(" AND ") {
            if let Some((entry, rest)) = tables.splunk_entry(part) {
                match entry.event.split_once("{id}") {
                    Some((head, _)) => {
                        let (provider, prefix) = split_key(head.trim_end_matches(':'));
                        let prefix = if prefix == "*" {
                            String::new()
                        } else {
                            format!("{prefix}:")
                        };
                        let ids: Vec<&str> = rest
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .collect();
                        for id in ids {
                            out.push(events.reference(provider, &format!("{prefix}{id}")));
                        }
                    }
                    None => push_keys(events, std::slice::from_ref(&entry.event), &mut out),
                }
            }
        }
    }
    if out.len() == before {
        for dm in datamodels {
            for entry in &tables.splunk_datamodel {
                let hit = dm.eq_ignore_ascii_case(&entry.name)
                    || dm
                        .get(..entry.name.len())
                        .is_some_and(|h| h.eq_ignore_ascii_case(&entry.name))
                        && dm
                            .get(entry.name.len()..)
                            .is_some_and(|r| r.starts_with('.'));
                if hit {
                    push_keys(events, &entry.events, &mut out);
                }
            }
        }
    }
    if out.is_empty() {
        log_source_events(events, &facts, &mut out);
        sourcetype_events(tables, events, &facts, &mut out);
    }
    log_category_events(tables, events, &facts, &mut out);
    events.sort(&mut out);
    out
}

/// Splunk rules without a data source that still name a `sourcetype=` (as well as `source=`).
fn sourcetype_events(
    tables: &SourceTables,
    events: &EventTable,
    facts: &PredFacts,
    out: &mut Vec<EventRef>,
) {
    for st in &facts.sourcetypes {
        let st = st.trim_start_matches('*');
        for entry in &tables.splunk_sourcetype {
            if st.starts_with(&entry.prefix.to_ascii_lowercase()) {
                push_keys(events, &entry.events, out);
            }
        }
    }
}

/// A selected cloud log category replaces the guessed events of its providers.
fn log_category_events(
    tables: &SourceTables,
    events: &EventTable,
    facts: &PredFacts,
    out: &mut Vec<EventRef>,
) {
    let named: Vec<&LogCategory> = tables
        .log_category
        .iter()
        .filter(|c| facts.log_categories.contains(&c.value))
        .collect();
    if named.is_empty() {
        return;
    }
    let providers: Vec<&str> = named
        .iter()
        .flat_map(|c| c.events.iter().map(|k| split_key(k).0))
        .collect();
    out.retain(|e| !providers.contains(&e.provider.as_str()));
    for c in named {
        push_keys(events, &c.events, out);
    }
}

/// Windows event log channels a Splunk `source=` names, and their providers.
const CHANNEL_PROVIDERS: &[(&str, &str)] = &[
    ("microsoft-windows-sysmon/operational", "sysmon"),
    ("microsoft-windows-powershell/operational", "powershell"),
    ("windows powershell", "powershell"),
    ("wineventlog:security", "security"),
    ("wineventlog:system", "system"),
];

/// Last resort for rules with no telemetry hint that still say which log they read (Splunk
/// searches whose `data_source` is empty but whose macros expand to `source=…`): the channel's
/// provider, narrowed by any event-id predicate, else "any event" of that provider.
fn log_source_events(events: &EventTable, facts: &PredFacts, out: &mut Vec<EventRef>) {
    for source in &facts.log_sources {
        let Some((_, provider)) = CHANNEL_PROVIDERS
            .iter()
            .find(|(channel, _)| source.contains(channel))
        else {
            continue;
        };
        if facts.codes.is_empty() {
            out.push(events.reference(provider, "*"));
        } else {
            out.extend(
                facts
                    .codes
                    .iter()
                    .map(|code| events.reference(provider, code)),
            );
        }
    }
    out.dedup_by(|a, b| a.provider == b.provider && a.event_id == b.event_id);
}

fn sigma_events(
    entry: &SigmaEntry,
    events: &EventTable,
    codes: &[String],
    out: &mut Vec<EventRef>,
) {
    if !codes.is_empty() {
        if !entry.eventid.is_empty() {
            if push_codes(events, &entry.eventid, codes, true, out) {
                return;
            }
        } else {
            let mut providers: Vec<String> = entry
                .events
                .iter()
                .map(|k| split_key(k).0.to_owned())
                .collect();
            providers.dedup();
            if push_codes(events, &providers, codes, false, out) {
                return;
            }
        }
    }
    push_keys(events, &entry.events, out);
}

fn elastic_events(
    tables: &SourceTables,
    events: &EventTable,
    facts: &PredFacts,
    hint_categories: &[String],
    tags: &[&str],
    indices: &[&str],
    out: &mut Vec<EventRef>,
) {
    // Trimmed once here, not once per source and table entry (both trims are idempotent).
    let indices: Vec<&str> = indices.iter().map(|i| trim_index(i)).collect();
    let tags: Vec<&str> = tags.iter().map(|t| t.trim()).collect();
    let mut shared: Vec<String> = hint_categories
        .iter()
        .filter(|c| *c != "any")
        .cloned()
        .collect();
    let mut strong = Vec::new();
    let mut weak = Vec::new();
    for source in &tables.elastic {
        for (prefix, category) in &source.indices_categories {
            if indices.iter().any(|i| i.starts_with(trim_index(prefix)))
                && !shared.contains(category)
            {
                shared.push(category.clone());
            }
        }
        if source.default.is_empty() && source.categories.is_empty() {
            continue;
        }
        let tagged = source
            .tags
            .iter()
            .any(|t| tags.iter().any(|h| h.eq_ignore_ascii_case(t)));
        let indexed = source
            .indices
            .iter()
            .any(|e| indices.iter().any(|h| SourceTables::index_matches(e, h)));
        if tagged || indexed {
            if source.weak {
                weak.push(source)
            } else {
                strong.push(source)
            }
        }
    }
    let sources = if strong.is_empty() { weak } else { strong };
    for source in sources {
        if !facts.codes.is_empty()
            && !source.eventid.is_empty()
            && push_codes(events, &source.eventid, &facts.codes, true, out)
        {
            continue;
        }
        for branch in &facts.branches {
            branch_events(source, events, facts, branch, &shared, out);
        }
    }
}

/// The events one alternative of a rule reads from one source: by `event.kind`, else by
/// `event.action`, else by category (and type), else the source's default.
fn branch_events(
    source: &ElasticSource,
    events: &EventTable,
    facts: &PredFacts,
    branch: &Branch,
    shared: &[String],
    out: &mut Vec<EventRef>,
) {
    if let Some(keys) = branch.kinds.iter().find_map(|k| source.kinds.get(k)) {
        return push_keys(events, keys, out);
    }
    let by_action = branch.actions.iter().find_map(|a| {
        source
            .actions
            .iter()
            .find(|(prefix, _)| a.starts_with(prefix.as_str()))
            .map(|(_, keys)| keys)
    });
    if let Some(keys) = by_action {
        return push_keys(events, keys, out);
    }
    // A branch that names its categories reads those; the rule-wide hints (EQL `process
    // where`, the categories a parser saw anywhere in the query, the index) fill in for
    // branches that name none.
    let categories = if branch.categories.is_empty() {
        shared.to_vec()
    } else {
        branch.categories.clone()
    };
    if source.categories.is_empty() || categories.is_empty() {
        return push_keys(events, &source.default, out);
    }
    let before = out.len();
    for category in &categories {
        let category =
            if category == "network" && facts.dns && source.categories.contains_key("dns") {
                "dns"
            } else {
                category.as_str()
            };
        let typed: Vec<&Vec<String>> = branch
            .types
            .iter()
            .filter_map(|t| source.categories.get(&format!("{category}/{t}")))
            .collect();
        if typed.is_empty() {
            if let Some(keys) = source.categories.get(category) {
                push_keys(events, keys, out);
            }
        } else {
            typed
                .into_iter()
                .for_each(|keys| push_keys(events, keys, out));
        }
    }
    // A category the source does not list (Windows Security + `iam`) still reads that
    // source: its default events, rather than none.
    if out.len() == before {
        push_keys(events, &source.default, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Taxonomy;

    fn eq_ci(a: Option<&str>, b: Option<&String>) -> bool {
        match (a, b) {
            (_, None) => true,
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, Some(_)) => false,
        }
    }

    /// The definition: every entry whose keys each match or are open, the most keys matched.
    fn by_scan<'t>(
        tables: &'t SourceTables,
        product: Option<&str>,
        category: Option<&str>,
        service: Option<&str>,
    ) -> Vec<&'t SigmaEntry> {
        let scored: Vec<(usize, &SigmaEntry)> = tables
            .sigma
            .iter()
            .filter_map(|e| {
                let matches = eq_ci(product, e.product.as_ref())
                    && eq_ci(category, e.category.as_ref())
                    && eq_ci(service, e.service.as_ref());
                let score = usize::from(e.product.is_some())
                    + usize::from(e.category.is_some())
                    + usize::from(e.service.is_some());
                (matches && score > 0).then_some((score, e))
            })
            .collect();
        let best = scored.iter().map(|(s, _)| *s).max().unwrap_or(0);
        scored
            .into_iter()
            .filter(|(s, _)| *s == best)
            .map(|(_, e)| e)
            .collect()
    }

    #[test]
    fn sigma_entries_are_the_best_matches_of_a_scan_of_the_table() {
        let tables = &Taxonomy::get().sources;
        // For every entry, each of its keys as written, in capitals, unknown, and absent.
        let variants = |key: Option<&String>| -> Vec<Option<String>> {
            let mut v = vec![None, Some("no-such-key".to_owned())];
            if let Some(k) = key {
                v.push(Some(k.clone()));
                v.push(Some(k.to_ascii_uppercase()));
            }
            v
        };
        let mut found = 0;
        for e in &tables.sigma {
            for p in &variants(e.product.as_ref()) {
                for c in &variants(e.category.as_ref()) {
                    for s in &variants(e.service.as_ref()) {
                        let (p, c, s) = (p.as_deref(), c.as_deref(), s.as_deref());
                        let by_index = tables.sigma_entries(p, c, s);
                        let expected = by_scan(tables, p, c, s);
                        assert!(
                            by_index.len() == expected.len()
                                && by_index
                                    .iter()
                                    .zip(&expected)
                                    .all(|(a, b)| std::ptr::eq(*a, *b)),
                            "{p:?}/{c:?}/{s:?}"
                        );
                        found += usize::from(!expected.is_empty());
                    }
                }
            }
        }
        assert!(found > 100, "only {found} logsources matched an entry");
    }
}

//! The cross-vendor taxonomy: canonical fields, canonical values and telemetry events.
//!
//! Three mapping tables are **data**, reviewed like code, each fact with its source, embedded in
//! the binary and parsed once:
//!
//! - `data/fields.toml` — canonical fields (`process.image`, `process.name`,
//!   `process.command_line`, `registry.path`, `dns.question.name`, …), each with its Sigma,
//!   ECS and Splunk CIM names;
//! - `data/events.toml` — the event catalog, `provider:id` (`sysmon:1`, `security:4688`,
//!   `powershell:4104`, `endpoint:process`, `aws:cloudtrail`);
//! - `data/event_sources.toml` — how telemetry hints (Sigma logsource, Elastic categories,
//!   tags and indices, Splunk data sources and datamodels) select events.
//!
//! ```
//! use detcat_model::{Operator, Predicate, Value, Vendor};
//! use detcat_taxonomy::Taxonomy;
//!
//! let tax = Taxonomy::get();
//! assert_eq!(tax.canonical_field(Vendor::Splunk, "Processes.process_name").map(|f| f.id.as_str()), Some("process.name"));
//!
//! // Sigma `Image|endswith: '\regsvr32.exe'` is ECS `process.name == "regsvr32.exe"`.
//! let sigma = Predicate::new("Image", Operator::Wildcard, vec![Value::from(r"*\\RegSvr32.exe")]);
//! let ind = &tax.canonicalize(Vendor::Sigma, &sigma)[0];
//! assert_eq!((ind.field.as_str(), ind.op, ind.value.as_str()), ("process.name", Operator::Eq, "regsvr32.exe"));
//! assert_eq!(ind.original, r"*\RegSvr32.exe", "display form: single backslashes");
//! ```
//!
//! # Field names
//!
//! [`Taxonomy::canonical_field`] looks a vendor name up in one hash map per vendor:
//! - Sigma names match case-insensitively (Windows event data names are case-insensitive and
//!   the corpus spells e.g. `ProcessPath` and `processPath`); ECS and CIM names match exactly.
//! - Elastic: the multi-field suffixes `.caseless`, `.text`, `.keyword` are stripped
//!   (`.caseless` also makes the comparison case-insensitive), and `winlog.event_data.X` is the
//!   Windows event data name `X`, looked up as Sigma.
//! - Splunk: any `<Datamodel>.` prefix of a CIM node (`Processes.`, `Filesystem.`, `Registry.`,
//!   `All_Traffic.`, `DNS.`, `Authentication.`, …) is optional: `process_name` and
//!   `Processes.process_name` are the same field. A bare name that two fields claim (`dest`:
//!   a host in `Processes`, a destination in `All_Traffic`) maps only with its prefix (see
//!   [`Taxonomy::ambiguous_cim_names`]). Names not found fall back to the Windows event data
//!   (Sigma) names, which Splunk searches over raw Sysmon / Windows sourcetypes use.
//!
//! Unknown names give `None`; callers keep the raw name and count it as unmapped.
//!
//! # Value canonicalization
//!
//! [`Taxonomy::canonicalize`] turns a predicate into one [`CanonicalIndicator`] per value:
//! 1. **Field**: the canonical id, or the raw name (`mapped: false`).
//! 2. **Case**: values are lowercased when the predicate is case-insensitive (or the field
//!    name implies it, ECS `.caseless`) — except regular expressions, which are never folded,
//!    and field references.
//! 3. **Wildcards** are rendered in display form — the text an author types: `*`/`?` bare,
//!    single backslashes, a literal `*`/`?` as `[*]`/`[?]` — with runs of `*` collapsed; a
//!    pattern without any wildcard becomes `eq` with its literal.
//! 4. **Path vs basename**: `*\name` or `*/name` (a single path component) on a field with a
//!    `basename` (process image → process name, file path → file name, loaded image → dll name)
//!    becomes `eq name` on the basename field. So Sigma `Image|endswith: '\regsvr32.exe'`,
//!    ECS `process.name == "regsvr32.exe"` and CIM `process_name=regsvr32.exe` all become
//!    (`process.name`, `eq`, `regsvr32.exe`). `*x*` and `*x` without a separator stay wildcards.
//!    On those path fields a full path with any drive spelling (`C:\`, `?:\`, `*:\`,
//!    `\\?\C:\`, `\??\C:\`) becomes one `wildcard` pattern starting `?:\`.
//!    (Field names are looked up in the rule's log context, [`LogContext`]: a `[[context]]`
//!    row of `fields.toml` can give a name another meaning there — Sigma `OriginalFileName`
//!    in `image_load` rules is `dll.pe.original_file_name`.)
//! 5. **Quoting and escapes** are the vendor parser's job (the model holds unquoted values);
//!    here numbers, booleans and `null` are written as text (`4688`, `true`, `null`), CIDR
//!    blocks are lowercased, and a `field_ref` value is mapped to its canonical field.
//! 6. `exists` yields one indicator with an empty value.
//!
//! The original value is always kept beside the canonical one.
//!
//! # Events
//!
//! [`Taxonomy::events_for`] reads a rule's [`detcat_model::TelemetryHint`]s: the Sigma
//! logsource (most specific entry; an `EventID` equality in the detection narrows to those
//! ids), Elastic `Data Source:` tags and index patterns (which pick sources) with the EQL
//! category / `event.category` / `event.type` / `event.code` (which pick events of each
//! source), Splunk `data_source` names (`Sysmon EventID 1 AND Sysmon EventID 11`) and, when
//! those give nothing, the datamodel (`Endpoint.Processes`).

mod attack_mutable;
mod attack_sources;
mod branches;
mod context;
mod error;
mod events;
mod fields;
mod ingest_paths;
mod needs;
mod presets;
mod sources;
mod values;

use std::sync::LazyLock;

use detcat_model::{Predicate, Rule, Vendor};

pub use context::LogContext;
pub use error::TaxonomyError;
pub use events::{Event, EventRef, Provider, Sensor};
pub use fields::CanonicalField;
pub use ingest_paths::{Channel, EventCategories, IngestPaths};
pub use needs::EventBranch;
pub use presets::Preset;
pub use sources::{
    ElasticSource, LogCategory, SigmaEntry, SourceTables, SplunkDataSource, SplunkDatamodel,
    SplunkSourcetype,
};
pub use values::CanonicalIndicator;

const FIELDS_TOML: &str = include_str!("../data/fields.toml");
const EVENTS_TOML: &str = include_str!("../data/events.toml");
const SOURCES_TOML: &str = include_str!("../data/event_sources.toml");
const PRESETS_TOML: &str = include_str!("../data/presets.toml");
const ATTACK_SOURCES_TOML: &str = include_str!("../data/attack_log_sources.toml");
const ATTACK_MUTABLE_TOML: &str = include_str!("../data/attack_mutable_elements.toml");
const INGEST_PATHS_TOML: &str = include_str!("../data/ingest_paths.toml");

/// The loaded taxonomy: fields, events and hint tables.
#[derive(Debug)]
pub struct Taxonomy {
    fields: fields::FieldTable,
    events: events::EventTable,
    sources: SourceTables,
    presets: Vec<Preset>,
    attack_sources: Vec<attack_sources::AttackLogSource>,
    attack_mutable: attack_mutable::MutableTable,
    ingest_paths: IngestPaths,
}

static TAXONOMY: LazyLock<Taxonomy> = LazyLock::new(|| match Taxonomy::load() {
    Ok(t) => t,
    // The data is embedded and checked by this crate's tests; a failure here is a build bug.
    Err(e) => panic!("detcat_taxonomy: embedded data is invalid: {e}"),
});

impl Taxonomy {
    /// The embedded taxonomy, parsed on first use.
    pub fn get() -> &'static Taxonomy {
        &TAXONOMY
    }

    /// Parses and validates the embedded data files.
    pub fn load() -> Result<Taxonomy, TaxonomyError> {
        let fields_file = toml::from_str(FIELDS_TOML).map_err(|source| TaxonomyError::Toml {
            file: "fields.toml",
            source,
        })?;
        let events_file = toml::from_str(EVENTS_TOML).map_err(|source| TaxonomyError::Toml {
            file: "events.toml",
            source,
        })?;
        let sources_file = toml::from_str(SOURCES_TOML).map_err(|source| TaxonomyError::Toml {
            file: "event_sources.toml",
            source,
        })?;
        let fields = fields::FieldTable::build(fields_file)?;
        let events = events::EventTable::build(events_file)?;
        let sources = SourceTables::build(sources_file, &events)?;
        let presets_file = toml::from_str(PRESETS_TOML).map_err(|source| TaxonomyError::Toml {
            file: "presets.toml",
            source,
        })?;
        let presets = presets::build(presets_file, &events)?;
        let attack_file =
            toml::from_str(ATTACK_SOURCES_TOML).map_err(|source| TaxonomyError::Toml {
                file: "attack_log_sources.toml",
                source,
            })?;
        let attack_sources = attack_sources::build(attack_file, &events)?;
        let mutable_file =
            toml::from_str(ATTACK_MUTABLE_TOML).map_err(|source| TaxonomyError::Toml {
                file: "attack_mutable_elements.toml",
                source,
            })?;
        let attack_mutable = attack_mutable::build(mutable_file, &fields)?;
        let ingest_file =
            toml::from_str(INGEST_PATHS_TOML).map_err(|source| TaxonomyError::Toml {
                file: "ingest_paths.toml",
                source,
            })?;
        let ingest_paths = ingest_paths::build(ingest_file, &events)?;
        Ok(Taxonomy {
            fields,
            events,
            sources,
            presets,
            attack_sources,
            attack_mutable,
            ingest_paths,
        })
    }

    /// How the vendors' ingest paths present a Windows event recorded without them
    /// (`data/ingest_paths.toml`).
    pub fn ingest_paths(&self) -> &IngestPaths {
        &self.ingest_paths
    }

    /// Every canonical field, in data-file order.
    pub fn fields(&self) -> &[CanonicalField] {
        &self.fields.fields
    }

    /// A canonical field by id (`process.name`).
    pub fn field(&self, id: &str) -> Option<&CanonicalField> {
        self.fields.by_id(id)
    }

    /// The vendor whose field names an event's raw fields in `naming` are (`windows`, `ecs`,
    /// `flat`: `naming` in the `[vendors.*]` tables of `fields.toml`).
    pub fn vendor_of_naming(&self, naming: &str) -> Option<Vendor> {
        self.fields.vendor_of_naming(naming)
    }

    /// The canonical field a vendor's field name means, or `None` when unknown.
    pub fn canonical_field(&self, vendor: Vendor, raw_name: &str) -> Option<&CanonicalField> {
        self.fields
            .lookup(vendor, raw_name)
            .and_then(|h| self.fields.field(h))
    }

    /// The canonical field a vendor's field name means in a rule's log context (`OriginalFileName`
    /// in an image-load rule is the loaded module's), or `None` when unknown.
    pub fn canonical_field_in(
        &self,
        vendor: Vendor,
        ctx: &LogContext,
        raw_name: &str,
    ) -> Option<&CanonicalField> {
        self.fields
            .lookup_in(vendor, raw_name, ctx)
            .and_then(|h| self.fields.field(h))
    }

    /// Does this predicate choose the event stream (its canonical field is a `selector` in
    /// `fields.toml`) rather than describe activity?
    pub fn is_selector(&self, vendor: Vendor, ctx: &LogContext, pred: &Predicate) -> bool {
        self.canonical_field_in(vendor, ctx, &pred.field)
            .is_some_and(|f| f.selector)
    }

    /// Bare CIM names that several fields claim, mapped only with their datamodel prefix.
    pub fn ambiguous_cim_names(&self) -> &[String] {
        &self.fields.ambiguous_cim
    }

    /// One canonical indicator per value of `pred` (see the rules in the crate docs).
    pub fn canonicalize(&self, vendor: Vendor, pred: &Predicate) -> Vec<CanonicalIndicator> {
        values::canonicalize(&self.fields, vendor, &LogContext::none(), pred)
    }

    /// [`Taxonomy::canonicalize`] in a rule's log context ([`LogContext::of`]).
    pub fn canonicalize_in(
        &self,
        vendor: Vendor,
        ctx: &LogContext,
        pred: &Predicate,
    ) -> Vec<CanonicalIndicator> {
        values::canonicalize(&self.fields, vendor, ctx, pred)
    }

    /// [`Taxonomy::canonicalize_in`] for a caller that holds `pred`'s values in display form
    /// already (`displayed`, in order, as [`detcat_model::wildcard::display`] gives a pattern
    /// and [`detcat_model::Value::to_text`] any other value): the originals are their copies.
    pub fn canonicalize_displayed_in(
        &self,
        vendor: Vendor,
        ctx: &LogContext,
        pred: &Predicate,
        displayed: &[String],
    ) -> Vec<CanonicalIndicator> {
        values::canonicalize_displayed(&self.fields, vendor, ctx, pred, displayed)
    }

    /// Every provider.
    pub fn providers(&self) -> &[Provider] {
        &self.events.providers
    }

    /// Every cataloged event, grouped by provider.
    pub fn events(&self) -> &[Event] {
        &self.events.events
    }

    /// A cataloged event (`event("sysmon", "1")`).
    pub fn event(&self, provider: &str, id: &str) -> Option<&Event> {
        self.events.get(provider, id)
    }

    /// Sensor event kinds and the native events each corresponds to (`events.toml`).
    pub fn sensors(&self) -> &[Sensor] {
        &self.events.sensors
    }

    /// The sensor entry of an event, or `None` when it is a native log event.
    pub fn sensor(&self, provider: &str, id: &str) -> Option<&Sensor> {
        self.events.sensor(provider, id)
    }

    /// Named telemetry sets (`data/presets.toml`) for coverage questions.
    pub fn presets(&self) -> &[Preset] {
        &self.presets
    }

    /// The events an ATT&CK analytic's log source row (`WinEventLog:Sysmon`, `EventCode=1, 7`)
    /// carries, as `provider:event_id` keys (`provider:*`: any event of it); empty when the
    /// log is not mapped (`data/attack_log_sources.toml`).
    pub fn attack_log_source_events(&self, name: &str, channel: &str) -> Vec<String> {
        attack_sources::events_of(&self.attack_sources, name, channel)
    }

    /// The hint → event tables.
    /// The canonical fields an ATT&CK analytic's mutable element is about
    /// (`ParentProcessExclusions` → `process.parent.name`, `process.parent.image`); empty for
    /// a name about no field (`TimeWindow`) or one the table does not know.
    pub fn attack_mutable_element_fields(&self, name: &str) -> &[String] {
        self.attack_mutable.fields(name)
    }

    pub fn sources(&self) -> &SourceTables {
        &self.sources
    }

    /// The events a rule needs, from its telemetry hints and event-id predicates, in catalog
    /// order without duplicates.
    pub fn events_for(&self, rule: &Rule) -> Vec<EventRef> {
        self.events_for_in(rule, &LogContext::of(rule))
    }

    /// [`Taxonomy::events_for`] with the rule's [`LogContext::of`] already found (the build
    /// needs it for the rule's predicates too).
    pub fn events_for_in(&self, rule: &Rule, ctx: &LogContext) -> Vec<EventRef> {
        sources::events_for(&self.sources, &self.events, &self.fields, rule, ctx)
    }

    /// The branches a rule can run by: alternatives of steps, each step needing one of its events
    /// (sequences and Splunk `AND` data sources need several at once; see `needs.rs`). Empty
    /// when [`Taxonomy::events_for`] finds no event.
    pub fn event_branches(&self, rule: &Rule) -> Vec<EventBranch> {
        needs::event_branches(self, rule, self.events_for(rule))
    }

    /// [`Taxonomy::event_branches`] of a rule whose [`Taxonomy::events_for`] the caller has
    /// (the build needs both, and finding a rule's events is the costly part).
    pub fn event_branches_of(&self, rule: &Rule, events: Vec<EventRef>) -> Vec<EventBranch> {
        needs::event_branches(self, rule, events)
    }
}

/// [`Taxonomy::events_for`] on the embedded taxonomy.
pub fn events_for(rule: &Rule) -> Vec<EventRef> {
    Taxonomy::get().events_for(rule)
}

/// [`Taxonomy::canonical_field`] on the embedded taxonomy.
pub fn canonical_field(vendor: Vendor, raw_name: &str) -> Option<&'static CanonicalField> {
    Taxonomy::get().canonical_field(vendor, raw_name)
}

/// [`Taxonomy::canonicalize`] on the embedded taxonomy.
pub fn canonicalize(vendor: Vendor, pred: &Predicate) -> Vec<CanonicalIndicator> {
    Taxonomy::get().canonicalize(vendor, pred)
}

#[cfg(test)]
mod meaning_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod values_tests;

//! Errors in the embedded mapping tables (caught by the crate's tests, never by users).

/// A fact in one of the data files is malformed or contradicts another.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaxonomyError {
    #[error("data/{file}: {source}")]
    Toml {
        file: &'static str,
        source: toml::de::Error,
    },
    #[error("data/fields.toml: {vendor} name `{name}` is claimed by both `{first}` and `{second}`")]
    DuplicateName {
        vendor: &'static str,
        name: String,
        first: String,
        second: String,
    },
    #[error("data/fields.toml: field id `{0}` is defined twice")]
    DuplicateField(String),
    #[error("data/fields.toml: field `{field}` names basename `{basename}`, which is no field")]
    UnknownBasename { field: String, basename: String },
    #[error("data/fields.toml: context row for `{name}` names `{field}`, which is no field")]
    UnknownContextField { name: String, field: String },
    #[error("data/events.toml: event `{0}` is defined twice")]
    DuplicateEvent(String),
    #[error("data/events.toml: event `{0}` names an unknown provider")]
    UnknownProvider(String),
    #[error(
        "data/event_sources.toml: `{context}` refers to `{event}`, which is no cataloged event"
    )]
    UnknownEvent { context: String, event: String },
    #[error(
        "data/attack_mutable_elements.toml: phrase `{phrase}` names `{field}`, which is no field"
    )]
    UnknownMutableField { phrase: String, field: String },
}

//! The stages of a build, as [`super::Progress`] reports them.

/// A stage of a build, in the order a build runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// Parsing every vendor's rule files (in parallel).
    Parse,
    /// Loading ATT&CK.
    Attack,
    /// Mapping fields, values and events.
    Map,
    /// Writing the SQLite catalog.
    Write,
}

impl Stage {
    /// What the stage does, for a progress line.
    pub fn describe(self) -> &'static str {
        match self {
            Stage::Parse => "parsing rules (all vendors, in parallel)",
            Stage::Attack => "loading ATT&CK",
            Stage::Map => "mapping fields, values and events",
            Stage::Write => "writing the SQLite catalog",
        }
    }
}

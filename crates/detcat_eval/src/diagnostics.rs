//! Typed errors of the evaluator. Per-record problems are no errors: they are
//! [`crate::ReadDiagnostic`]s and reading goes on.

use thiserror::Error;

/// An input that could not be read at all.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// A regression directory that cannot be walked.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RegressError {
    #[error("regression directory {path} does not exist or is no directory")]
    NoDirectory { path: String },
}

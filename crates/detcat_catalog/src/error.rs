//! The catalog's typed errors.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    #[error("corpus directory {0} does not exist")]
    CorpusMissing(PathBuf),
    #[error(
        "{0} holds none of {folders} or attack/: is it a corpus directory?",
        folders = crate::vendors::folder_list()
    )]
    CorpusEmpty(PathBuf),
    #[error("catalog {0} does not exist (build one with `detcat build --out {0}`)")]
    CatalogMissing(PathBuf),
    #[error("{path} is not a detcat catalog ({reason})")]
    NotACatalog { path: PathBuf, reason: String },
    #[error(
        "{path} was built with catalog schema v{found}, this detcat reads v{expected}: rebuild it with `detcat build`"
    )]
    SchemaVersion {
        path: PathBuf,
        found: i64,
        expected: i64,
    },
    #[error("cannot write the catalog to {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is a directory: name the catalog file to write, e.g. {0}/detcat.db")]
    OutIsDirectory(PathBuf),
    #[error("catalog database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("catalog data error: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0}")]
    Query(String),
}

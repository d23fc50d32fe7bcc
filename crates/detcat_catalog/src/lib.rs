//! The detcat catalog: builds an SQLite catalog from a corpus and answers queries over it.
//!
//! Pipeline (see ARCHITECTURE.md): [`Corpus`] (read) → vendor parsers (parallel) → ATT&CK
//! link → taxonomy map → SQLite (atomic write) → [`Catalog`] queries → JSON views.
//!
//! ```no_run
//! use detcat_catalog::{Catalog, QueryOptions};
//!
//! let catalog = Catalog::demo()?;
//! let page = catalog.technique("T1559.001", QueryOptions::default())?.expect("demo technique");
//! println!("{} rules", page.rules.len());
//! # Ok::<(), detcat_catalog::CatalogError>(())
//! ```

pub mod analytics;
mod attack_data;
pub mod corpus;
pub mod coverage;
pub mod diff;
mod error;
pub mod ingest;
mod query;
pub mod review;
pub mod schema;
pub mod scoring;
pub mod similar;
pub mod sync;
mod threat_views;
pub mod vendors;
pub mod views;

pub use corpus::Corpus;
pub use coverage::{CoverageIndex, CoverageRequest, CoverageView, PlanUnit};
pub use diff::{DiffView, diff};
pub use error::CatalogError;
pub use ingest::{
    BuildOptions, BuildReport, Progress, Quiet, Stage, build_in_memory, build_to_file,
    name_worker_threads,
};
pub use query::{
    Catalog, MAX_ID_CHARS, MAX_LISTED_TITLE_CHARS, MAX_QUERY_CHARS, MAX_QUERY_TERMS,
    MAX_SEARCH_OFFSET, QueryOptions, TechniqueVendorCount, TopFilter, truncate_text,
};

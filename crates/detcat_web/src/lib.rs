//! The detcat web catalog: HTML pages, JSON API and static export.

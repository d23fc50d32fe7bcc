//! Builds the detcat SQLite catalog from a corpus and answers queries over it.

//! Elastic detection rules (TOML; KQL, EQL, ES|QL, Lucene queries) into the detcat model.

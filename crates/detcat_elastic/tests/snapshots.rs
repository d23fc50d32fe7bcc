//! Snapshot tests: each fixture rule (written for these tests, imitating corpus constructs)
//! normalized into the model and stored as JSON under `tests/snapshots/`.

use detcat_model::SourceFile;

fn normalize(name: &str) -> detcat_model::Rule {
    let path = format!("{}/tests/fixtures/{name}.toml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let out = detcat_elastic::parse_files(&[SourceFile::new(
        format!("elastic/rules/fixtures/{name}.toml"),
        text,
    )]);
    let mut rules = out.into_iter().flat_map(|o| o.rules);
    rules.next().unwrap_or_else(|| panic!("{name}: no rule"))
}

macro_rules! snapshot_tests {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            let rule = normalize(stringify!($name));
            insta::assert_json_snapshot!(stringify!($name), rule);
        }
    )*};
}

snapshot_tests!(
    eql_exclusions,
    eql_sequence_runs_until,
    eql_missing_event,
    eql_sample,
    eql_functions,
    kql_lists,
    kql_threshold,
    kql_new_terms,
    esql_pipeline,
    ml_job,
    lucene_query,
);

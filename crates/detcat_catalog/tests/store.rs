#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Catalog files: atomic writes, read-only opening, schema versions, corrupt files.

use detcat_catalog::{BuildOptions, Catalog, CatalogError, Corpus, Quiet, build_to_file};

#[test]
fn build_writes_a_catalog_that_opens_and_replaces_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("detcat.db");
    let report = build_to_file(&Corpus::demo(), &out, &BuildOptions::default(), &Quiet).unwrap();
    assert!(report.vendors.values().map(|v| v.rules).sum::<usize>() > 0);
    let catalog = Catalog::open(&out).unwrap();
    assert!(
        catalog
            .technique("T1559.001", Default::default())
            .unwrap()
            .is_some()
    );
    drop(catalog);
    // A second build replaces it; no temporary file stays behind.
    build_to_file(&Corpus::demo(), &out, &BuildOptions::default(), &Quiet).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["detcat.db"]);
}

#[test]
fn a_failed_build_leaves_the_previous_catalog_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("detcat.db");
    build_to_file(&Corpus::demo(), &out, &BuildOptions::default(), &Quiet).unwrap();
    let before = std::fs::read(&out).unwrap();
    let bad = BuildOptions {
        attack_files: vec![dir.path().join("missing-attack.json")],
        ..BuildOptions::default()
    };
    assert!(build_to_file(&Corpus::demo(), &out, &bad, &Quiet).is_err());
    assert_eq!(
        std::fs::read(&out).unwrap(),
        before,
        "the old catalog is untouched"
    );
    assert!(Catalog::open(&out).is_ok());
}

#[test]
fn corrupt_and_foreign_files_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, b"this is not sqlite at all, just text").unwrap();
    let err = Catalog::open(&garbage)
        .err()
        .expect("garbage is no catalog");
    assert!(matches!(err, CatalogError::NotACatalog { .. }), "{err}");

    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); PRAGMA user_version = 7;")
        .unwrap();
    assert!(matches!(
        Catalog::open(&foreign),
        Err(CatalogError::NotACatalog { .. })
    ));

    let old = dir.path().join("old.db");
    rusqlite::Connection::open(&old)
        .unwrap()
        .execute_batch("CREATE TABLE meta (key, value); PRAGMA user_version = 999;")
        .unwrap();
    let err = Catalog::open(&old).err().unwrap();
    assert!(
        matches!(err, CatalogError::SchemaVersion { found: 999, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("rebuild"), "{err}");

    assert!(matches!(
        Catalog::open(&dir.path().join("absent.db")),
        Err(CatalogError::CatalogMissing(_))
    ));
}

#[test]
fn the_attack_release_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("detcat.db");
    build_to_file(&Corpus::demo(), &out, &BuildOptions::default(), &Quiet).unwrap();
    let version = Catalog::open(&out).unwrap().meta("attack_version").unwrap();
    assert!(
        version
            .as_deref()
            .is_some_and(|v| v.starts_with(char::is_numeric)),
        "{version:?}"
    );
}

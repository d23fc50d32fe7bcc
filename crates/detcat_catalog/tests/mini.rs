#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A hand-built mini corpus where every statistic is known in advance.

use std::path::Path;

use detcat_catalog::{BuildOptions, Catalog, Corpus, QueryOptions, build_in_memory};

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn sigma_rule(
    id: &str,
    title: &str,
    technique: &str,
    filter: Option<&str>,
    status: &str,
) -> String {
    let (filter_block, condition) = match filter {
        Some(parent) => (
            format!("    filter_parent:\n        ParentImage: '{parent}'\n"),
            "selection and not filter_parent",
        ),
        None => (String::new(), "selection"),
    };
    format!(
        "title: {title}\nid: {id}\nstatus: {status}\ndescription: mini corpus rule\nauthor: detcat tests\ndate: 2024-01-01\n\
         tags:\n    - attack.execution\n    - attack.{technique}\nlogsource:\n    category: process_creation\n    product: windows\n\
         detection:\n    selection:\n        Image|endswith: '\\regsvr32.exe'\n        CommandLine|contains: 'scrobj'\n{filter_block}\
         \x20   condition: {condition}\nlevel: high\n"
    )
}

fn mini_corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "sigma/rules/a.yml",
        &sigma_rule(
            "00000000-0000-0000-0000-00000000000a",
            "Rule A",
            "t1559.001",
            Some("C:\\Windows\\explorer.exe"),
            "test",
        ),
    );
    write(
        root,
        "sigma/rules/b.yml",
        &sigma_rule(
            "00000000-0000-0000-0000-00000000000b",
            "Rule B",
            "t1559.001",
            Some("C:\\Windows\\explorer.exe"),
            "stable",
        ),
    );
    write(
        root,
        "sigma/rules/c.yml",
        &sigma_rule(
            "00000000-0000-0000-0000-00000000000c",
            "Rule C",
            "t1218.010",
            None,
            "stable",
        ),
    );
    write(
        root,
        "sigma/deprecated/d.yml",
        &sigma_rule(
            "00000000-0000-0000-0000-00000000000d",
            "Rule D",
            "t1559.001",
            None,
            "deprecated",
        ),
    );
    write(root, "sigma/rules/README.md", "not a rule");
    dir
}

fn catalog(root: &Path) -> Catalog {
    let corpus = Corpus::read_dir(root).unwrap();
    let (conn, report) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
    let sigma = &report.vendors["sigma"];
    assert_eq!(sigma.files, 5, "every file is counted");
    assert_eq!(sigma.rules, 4);
    assert_eq!(sigma.non_rule_files, 1);
    assert_eq!(sigma.normalized + sigma.partial + sigma.failed, sigma.rules);
    Catalog::from_connection(conn, "mini").unwrap()
}

#[test]
fn corpus_reach_counts_rules_of_any_technique_and_skips_deprecated() {
    let dir = mini_corpus();
    let catalog = catalog(dir.path());
    let page = catalog
        .technique("T1559.001", QueryOptions::default())
        .unwrap()
        .expect("tagged technique has a page");
    assert_eq!(
        page.rules_by_vendor.get(detcat_model::Vendor::Sigma),
        2,
        "the deprecated rule D is left out by default"
    );
    let regsvr = page
        .indicators
        .iter()
        .find(|i| i.field == "process.name" && i.value == "regsvr32.exe")
        .unwrap_or_else(|| {
            panic!(
                "indicator process.name eq regsvr32.exe in {:#?}",
                page.indicators
            )
        });
    assert_eq!(regsvr.operator, "eq");
    assert_eq!(regsvr.rules, 2, "rules A and B of this technique");
    assert_eq!(
        regsvr.corpus_reach, 3,
        "A, B and C (another technique); D is deprecated"
    );
    assert_eq!(regsvr.rule_ids.len(), 2);

    assert_eq!(page.exclusions_distinct, 1);
    let excl = &page.exclusions[0];
    assert_eq!(excl.rules, 2);
    assert_eq!(
        excl.value, "?:\\windows\\explorer.exe",
        "case-insensitive values are folded, the drive is the one canonical `?:`"
    );

    let with_deprecated = catalog
        .technique(
            "T1559.001",
            QueryOptions {
                include_deprecated: true,
            },
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        with_deprecated
            .rules_by_vendor
            .get(detcat_model::Vendor::Sigma),
        3
    );
    let regsvr = with_deprecated
        .indicators
        .iter()
        .find(|i| i.value == "regsvr32.exe")
        .unwrap();
    assert_eq!(regsvr.corpus_reach, 4);
}

#[test]
fn field_event_and_search_reverse_indexes() {
    let dir = mini_corpus();
    let catalog = catalog(dir.path());
    let field = catalog
        .field("Image", QueryOptions::default())
        .unwrap()
        .expect("Image maps to a canonical field");
    assert_eq!(field.rules_by_vendor.get(detcat_model::Vendor::Sigma), 3);
    let event = catalog
        .event("sysmon:1", QueryOptions::default())
        .unwrap()
        .expect("process_creation needs Sysmon 1");
    assert_eq!(event.rules_by_vendor.get(detcat_model::Vendor::Sigma), 3);
    let hits = catalog
        .search(
            "vendor:sigma value:regsvr32.exe technique:T1559",
            0,
            10,
            QueryOptions::default(),
        )
        .unwrap();
    assert_eq!(hits.total, 2, "{hits:#?}");
    let none = catalog
        .search("\"unbalanced * OR (", 0, 10, QueryOptions::default())
        .unwrap();
    assert_eq!(none.total, 0, "user text is never FTS syntax");
}

#[test]
fn rule_page_marks_exclusions_and_reach() {
    let dir = mini_corpus();
    let catalog = catalog(dir.path());
    let rule = catalog
        .rule("sigma/00000000-0000-0000-0000-00000000000a")
        .unwrap()
        .expect("rule A");
    assert_eq!(rule.title, "Rule A");
    assert!(
        rule.predicates
            .iter()
            .any(|p| p.role == detcat_model::Role::Exclusion && p.field == "ParentImage")
    );
    assert!(
        rule.indicators
            .iter()
            .any(|i| i.value == "regsvr32.exe" && i.corpus_reach == 3)
    );
    assert!(rule.source.as_deref().unwrap_or("").contains("Rule A"));
    assert!(catalog.rule("no-such-rule").unwrap().is_none());
}

#[test]
fn keyword_searches_count_as_indicators_and_exclusions() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "sigma/rules/k.yml",
        "title: Keyword Rule\nid: 00000000-0000-0000-0000-0000000000aa\nstatus: test\ntags:\n    - attack.t1059.004\n\
         logsource:\n    product: linux\n    service: auditd\ndetection:\n    keywords:\n        - 'Dd If=/dev/sda'\n\
         \x20   filter:\n        - 'of=/dev/null'\n    condition: keywords and not filter\nlevel: low\n",
    );
    let corpus = Corpus::read_dir(dir.path()).unwrap();
    let (conn, _) = build_in_memory(&corpus, &BuildOptions::default()).unwrap();
    let catalog = Catalog::from_connection(conn, "kw").unwrap();
    let page = catalog
        .technique("T1059.004", QueryOptions::default())
        .unwrap()
        .unwrap();
    let ind = page
        .indicators
        .iter()
        .find(|i| i.field == "keyword")
        .expect("keyword indicator");
    assert_eq!(
        ind.value, "dd if=/dev/sda",
        "case-insensitive keywords are folded"
    );
    assert_eq!(
        page.exclusions
            .iter()
            .filter(|e| e.field == "keyword")
            .count(),
        1
    );
}

//! Coverage of the taxonomy on the real corpora (`DETCAT_CORPUS=/work/shared/corpus`).
//!
//! Until every vendor parser is wired in, this reads the raw files with simple text scanning —
//! enough to count field-name occurrences and hint names, not to parse rules.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use detcat_model::{
    Expr, Language, Lifecycle, Operator, Predicate, Rule, TelemetryHint, Value, Vendor,
};
use detcat_taxonomy::Taxonomy;

fn corpus() -> Option<PathBuf> {
    match std::env::var_os("DETCAT_CORPUS") {
        None => {
            eprintln!("note: DETCAT_CORPUS is not set; skipping the corpus test");
            None
        }
        Some(p) => {
            let p = PathBuf::from(p);
            assert!(p.is_dir(), "DETCAT_CORPUS={} does not exist", p.display());
            Some(p)
        }
    }
}

fn files(root: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == ext))
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

fn rule(vendor: Vendor, telemetry: Vec<TelemetryHint>, preds: Vec<Predicate>) -> Rule {
    Rule {
        vendor,
        id: "t".into(),
        title: "t".into(),
        description: String::new(),
        authors: vec![],
        created: None,
        modified: None,
        status: None,
        severity: None,
        rule_type: "detection".into(),
        language: Language::Sigma,
        lifecycle: Lifecycle::Active,
        path: "t".into(),
        document: 0,
        url: None,
        references: vec![],
        false_positives: vec![],
        tags: vec![],
        attack: Default::default(),
        telemetry,
        query: String::new(),
        expr: Expr::and(preds.into_iter().map(Expr::Pred).collect()),
        diagnostics: vec![],
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches(|c| c == '\'' || c == '"')
}

/// One Sigma document, scanned: logsource and the field names of its detection.
#[derive(Default)]
struct SigmaDoc {
    product: Option<String>,
    category: Option<String>,
    service: Option<String>,
    fields: Vec<String>,
    event_ids: Vec<String>,
}

/// `key: value` (key optionally quoted), but not a scalar that merely holds a colon
/// (`'C:\\x'`, `https://…`).
fn mapping_key(item: &str) -> Option<(&str, &str)> {
    let (key, rest) = match item.chars().next()? {
        q @ ('\'' | '"') => {
            let body = item.get(1..)?;
            let end = body.find(q)?;
            (body.get(..end)?, body.get(end + 1..)?)
        }
        _ => {
            let end = item.find(':')?;
            (item.get(..end)?, item.get(end..)?)
        }
    };
    let value = rest.strip_prefix(':')?;
    let key_ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.|-@".contains(c));
    (key_ok && (value.is_empty() || value.starts_with(' '))).then_some((key, value))
}

fn scan_sigma(text: &str) -> Vec<SigmaDoc> {
    text.split("\n---").map(scan_sigma_doc).collect()
}

fn scan_sigma_doc(text: &str) -> SigmaDoc {
    let mut doc = SigmaDoc::default();
    let mut section = "";
    let mut selection_indent = None;
    let mut in_event_id_list = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let ind = indent(line);
        if ind == 0 {
            section = trimmed.split(':').next().unwrap_or("");
            selection_indent = None;
            continue;
        }
        match section {
            "logsource" => {
                if let Some((k, v)) = trimmed.split_once(':') {
                    let v = Some(unquote(v.split('#').next().unwrap_or("")).to_owned());
                    match k.trim() {
                        "product" => doc.product = v,
                        "category" => doc.category = v,
                        "service" => doc.service = v,
                        _ => {}
                    }
                }
            }
            "detection" => {
                let sel = *selection_indent.get_or_insert(ind);
                if let Some(list_indent) = in_event_id_list {
                    if ind >= list_indent && trimmed.starts_with("- ") {
                        doc.event_ids.push(unquote(&trimmed[2..]).to_owned());
                        continue;
                    }
                    in_event_id_list = None;
                }
                if ind <= sel {
                    continue; // a selection name, `condition`, `timeframe`
                }
                let item = trimmed.strip_prefix("- ").unwrap_or(trimmed);
                let Some((key, value)) = mapping_key(item) else {
                    continue;
                };
                let field = key.split('|').next().unwrap_or("").to_owned();
                if field == "EventID" {
                    let v = unquote(value);
                    if v.is_empty() {
                        in_event_id_list = Some(ind);
                    } else {
                        doc.event_ids.extend(
                            v.trim_matches(['[', ']'])
                                .split(',')
                                .map(|s| unquote(s).to_owned()),
                        );
                    }
                }
                doc.fields.push(field);
            }
            _ => {}
        }
    }
    doc
}

#[test]
fn sigma_windows_field_and_event_coverage() {
    let Some(root) = corpus() else { return };
    let tax = Taxonomy::get();
    let mut total = 0usize;
    let mut mapped = 0usize;
    let mut unmapped: BTreeMap<String, usize> = BTreeMap::new();
    let mut logsources: BTreeMap<(String, String, String), (usize, usize)> = BTreeMap::new();
    let mut rules = 0usize;
    let mut rules_with_events = 0usize;
    let mut all_fields = (0usize, 0usize);
    for path in files(&root.join("sigma"), "yml") {
        let rel = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        if !rel.starts_with("sigma/rules") {
            continue; // deprecated/, unsupported/, regression_data/ are out of statistics
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for doc in scan_sigma(&text) {
            for f in doc.fields.iter().filter(|f| !f.is_empty()) {
                all_fields.0 += 1;
                all_fields.1 += usize::from(tax.canonical_field(Vendor::Sigma, f).is_some());
            }
            if doc.product.as_deref() != Some("windows") {
                continue;
            }
            rules += 1;
            for f in doc.fields.iter().filter(|f| !f.is_empty()) {
                total += 1;
                if tax.canonical_field(Vendor::Sigma, f).is_some() {
                    mapped += 1;
                } else {
                    *unmapped.entry(f.clone()).or_default() += 1;
                }
            }
            let hint = TelemetryHint::SigmaLogsource {
                product: doc.product.clone(),
                category: doc.category.clone(),
                service: doc.service.clone(),
            };
            let preds: Vec<Predicate> = doc
                .event_ids
                .iter()
                .filter_map(|id| id.parse::<i64>().ok())
                .map(|id| Predicate::new("EventID", Operator::Eq, vec![Value::Int(id)]))
                .collect();
            let has_events = !tax
                .events_for(&rule(Vendor::Sigma, vec![hint.clone()], vec![]))
                .is_empty();
            let with_ids = !tax
                .events_for(&rule(Vendor::Sigma, vec![hint], preds))
                .is_empty();
            rules_with_events += usize::from(with_ids);
            let key = (
                doc.product.unwrap_or_default(),
                doc.category.unwrap_or_default(),
                doc.service.unwrap_or_default(),
            );
            let slot = logsources.entry(key).or_default();
            slot.0 += 1;
            slot.1 += usize::from(has_events);
        }
    }
    let ratio = mapped as f64 / total.max(1) as f64;
    let mut unmapped: Vec<_> = unmapped.into_iter().collect();
    unmapped.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    println!(
        "sigma product:windows field occurrences mapped: {mapped}/{total} = {:.2}%",
        ratio * 100.0
    );
    println!(
        "sigma all rules field occurrences mapped: {}/{} = {:.2}%",
        all_fields.1,
        all_fields.0,
        all_fields.1 as f64 * 100.0 / all_fields.0.max(1) as f64
    );
    println!(
        "unmapped windows field names ({}): {unmapped:?}",
        unmapped.len()
    );
    println!("sigma product:windows rules with >=1 event: {rules_with_events}/{rules}");
    let unmapped_ls: Vec<_> = logsources.iter().filter(|(_, (_, ok))| *ok == 0).collect();
    println!(
        "windows logsources: {} combinations, unmapped: {unmapped_ls:?}",
        logsources.len()
    );
    assert!(
        total > 5000,
        "too few windows field occurrences scanned ({total}); scanner broken?"
    );
    assert!(
        ratio >= 0.97,
        "windows field coverage {:.2}% < 97%",
        ratio * 100.0
    );
    assert!(
        unmapped_ls.is_empty(),
        "windows logsources without events: {unmapped_ls:?}"
    );
    assert_eq!(
        rules_with_events, rules,
        "every windows rule maps to an event"
    );
}

/// Sigma logsources of every product, Elastic tags and indices, Splunk data sources: which map.
#[test]
fn hint_names_of_every_vendor_map() {
    let Some(root) = corpus() else { return };
    let tax = Taxonomy::get();
    let maps =
        |vendor, hint: TelemetryHint| !tax.events_for(&rule(vendor, vec![hint], vec![])).is_empty();

    let mut sigma_unmapped = BTreeMap::<String, usize>::new();
    let mut sigma_total = 0;
    for path in files(&root.join("sigma"), "yml") {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for doc in scan_sigma(&text) {
            if doc.product.is_none() && doc.category.is_none() && doc.service.is_none() {
                continue; // correlation / filter documents
            }
            sigma_total += 1;
            let hint = TelemetryHint::SigmaLogsource {
                product: doc.product.clone(),
                category: doc.category.clone(),
                service: doc.service.clone(),
            };
            if !maps(Vendor::Sigma, hint) {
                *sigma_unmapped
                    .entry(format!(
                        "{:?}/{:?}/{:?}",
                        doc.product, doc.category, doc.service
                    ))
                    .or_default() += 1;
            }
        }
    }
    println!("sigma logsources: {sigma_total} documents; unmapped: {sigma_unmapped:?}");

    let mut tags = BTreeMap::<String, (usize, bool)>::new();
    let mut indices = BTreeMap::<String, (usize, bool)>::new();
    for path in files(&root.join("elastic"), "toml") {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for piece in text.split("\"Data Source: ").skip(1) {
            let name = piece.split('"').next().unwrap_or("").to_owned();
            let ok = maps(
                Vendor::Elastic,
                TelemetryHint::DataSourceTag { name: name.clone() },
            );
            let slot = tags.entry(name).or_insert((0, ok));
            slot.0 += 1;
        }
        if let Some(list) = text
            .split("\nindex = [")
            .nth(1)
            .and_then(|s| s.split(']').next())
        {
            for item in list.split(',').map(unquote).filter(|s| !s.is_empty()) {
                let ok = maps(
                    Vendor::Elastic,
                    TelemetryHint::Index {
                        pattern: item.to_owned(),
                    },
                );
                let slot = indices.entry(item.to_owned()).or_insert((0, ok));
                slot.0 += 1;
            }
        }
    }
    let unmapped_tags: Vec<_> = tags
        .iter()
        .filter(|(_, (_, ok))| !ok)
        .map(|(k, (n, _))| (k, n))
        .collect();
    let unmapped_idx: Vec<_> = indices
        .iter()
        .filter(|(_, (_, ok))| !ok)
        .map(|(k, (n, _))| (k, n))
        .collect();
    println!(
        "elastic Data Source tags: {} distinct; unmapped: {unmapped_tags:?}",
        tags.len()
    );
    println!(
        "elastic index patterns: {} distinct; unmapped: {unmapped_idx:?}",
        indices.len()
    );

    let mut sources = BTreeMap::<String, (usize, bool)>::new();
    for path in files(&root.join("splunk").join("detections"), "yml") {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let mut in_list = false;
        for line in text.lines() {
            if line.starts_with("data_source:") {
                in_list = true;
                continue;
            }
            if in_list {
                match line.trim_start().strip_prefix("- ") {
                    Some(name) if line.starts_with(' ') || line.starts_with('-') => {
                        let name = unquote(name).to_owned();
                        let ok = maps(
                            Vendor::Splunk,
                            TelemetryHint::DataSource { name: name.clone() },
                        );
                        sources.entry(name).or_insert((0, ok)).0 += 1;
                    }
                    _ => in_list = false,
                }
            }
        }
    }
    let unmapped_ds: Vec<_> = sources
        .iter()
        .filter(|(_, (_, ok))| !ok)
        .map(|(k, (n, _))| (k, n))
        .collect();
    println!(
        "splunk data_source names: {} distinct; unmapped: {unmapped_ds:?}",
        sources.len()
    );
    assert!(
        tags.len() > 20 && indices.len() > 20 && sources.len() > 20,
        "scanners found too little"
    );
    // What stays unmapped is listed above; it must remain the long tail.
    assert!(unmapped_tags.len() <= 3, "unmapped tags: {unmapped_tags:?}");
    assert!(
        unmapped_ds.len() <= 3,
        "unmapped splunk data sources: {unmapped_ds:?}"
    );
}

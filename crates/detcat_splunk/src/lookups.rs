//! Lookup tables of the corpus' `splunk/lookups/` folder: each YAML definition (`name`,
//! `filename`, `match_type`, `case_sensitive_match`) with the rows of its CSV file.
//!
//! Detections `lookup` a table and then filter on its output (`| lookup remote_access_software
//! remote_domain AS query OUTPUT isutility | search isutility=True`). With the table at hand, that
//! pair is an "in lookup" predicate on the input field whose values are the CSV rows that pass
//! the filter (see `lower::lookup`). Definitions without a CSV (KV-store collections, baselines
//! filled by support searches) stay known by name, so the reason they cannot be resolved can
//! be told.

use std::collections::HashMap;

use detcat_model::{Diagnostic, SourceFile};
use detcat_yaml::{Checked, Limits, from_node, parse_documents};
use serde::Deserialize;

use crate::diagnostics as diag;
use crate::yaml_map::Reader;

/// How a lookup column matches an event value (`match_type: WILDCARD(col), CIDR(col)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    Exact,
    Wildcard,
    Cidr,
}

/// One lookup definition and, when it has a CSV file in the corpus, its rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LookupTable {
    pub name: String,
    /// The CSV file name (`filename:`); `None` for a KV-store `collection`.
    pub filename: Option<String>,
    /// Column names of the CSV header.
    pub columns: Vec<String>,
    /// The CSV text, kept to read the rows on first use (one real table holds 90,000 rows
    /// that no detection resolves: parsing every table up front doubled the Splunk parse).
    csv: Option<(String, String)>,
    /// The rows, parsed once on first use, or why they cannot be read.
    rows: std::sync::OnceLock<Result<Vec<Vec<String>>, String>>,
    /// Whether the CSV was found and its header read.
    pub loaded: bool,
    /// Columns with a `WILDCARD(…)` or `CIDR(…)` match type.
    pub match_types: HashMap<String, MatchKind>,
    /// `case_sensitive_match` (Splunk's default is `true`).
    pub case_sensitive: bool,
    /// `default_match`: the output value of an event no row matches (absent when unset).
    pub default_match: Option<String>,
    /// The definition file.
    pub path: String,
}

impl LookupTable {
    /// Index of a column by name (Splunk column names are case-sensitive).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The rows, each as long as `columns` (short rows padded with empty cells); read on first
    /// use. An error names the malformed record.
    pub fn rows(&self) -> Result<&[Vec<String>], String> {
        let rows = self.rows.get_or_init(|| match &self.csv {
            Some((_, text)) => read_rows(text, self.columns.len()),
            None => Ok(Vec::new()),
        });
        rows.as_deref().map_err(Clone::clone)
    }

    pub fn match_kind(&self, column: &str) -> MatchKind {
        self.match_types
            .get(column)
            .copied()
            .unwrap_or(MatchKind::Exact)
    }
}

/// Every lookup of the corpus, by definition name and by CSV file name.
#[derive(Debug, Clone, Default)]
pub struct LookupTables {
    tables: Vec<LookupTable>,
    by_name: HashMap<String, usize>,
}

impl LookupTables {
    /// The table a `lookup <name>` command names (definition name or CSV file name).
    pub fn get(&self, name: &str) -> Option<&LookupTable> {
        self.by_name.get(name).and_then(|&i| self.tables.get(i))
    }

    pub fn len(&self) -> usize {
        self.tables.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    fn insert(&mut self, table: LookupTable) {
        let i = self.tables.len();
        self.by_name.insert(table.name.clone(), i);
        if let Some(f) = &table.filename {
            self.by_name.entry(f.clone()).or_insert(i);
        }
        self.tables.push(table);
    }
}

/// Is this a lookup definition (`splunk/lookups/*.yml`)?
pub fn is_definition(path: &str) -> bool {
    let rel = path.strip_prefix("splunk/").unwrap_or(path);
    rel.starts_with("lookups/") && (rel.ends_with(".yml") || rel.ends_with(".yaml"))
}

/// Is this a lookup table (`splunk/lookups/*.csv`)?
pub fn is_table(path: &str) -> bool {
    let rel = path.strip_prefix("splunk/").unwrap_or(path);
    rel.starts_with("lookups/") && rel.to_ascii_lowercase().ends_with(".csv")
}

/// Reads every lookup definition and its CSV; diagnostics per file, by index into `files`.
pub fn load_lookups(files: &[SourceFile]) -> (LookupTables, Vec<(usize, Vec<Diagnostic>)>) {
    let csvs: HashMap<&str, (usize, &SourceFile)> = files
        .iter()
        .enumerate()
        .filter(|(_, f)| is_table(&f.path))
        .map(|(i, f)| (f.path.rsplit('/').next().unwrap_or(&f.path), (i, f)))
        .collect();
    let mut tables = LookupTables::default();
    let mut per_file: HashMap<usize, Vec<Diagnostic>> = HashMap::new();
    for (i, file) in files
        .iter()
        .enumerate()
        .filter(|(_, f)| is_definition(&f.path))
    {
        let (table, diags) = definition(file);
        if !diags.is_empty() {
            per_file.entry(i).or_default().extend(diags);
        }
        let Some(mut table) = table else { continue };
        if let Some(name) = table.filename.clone() {
            match csvs.get(name.as_str()) {
                Some((ci, csv)) => {
                    if let Err(d) = read_csv(&mut table, csv) {
                        per_file.entry(*ci).or_default().push(d);
                    }
                }
                None => per_file
                    .entry(i)
                    .or_default()
                    .push(diag::lookup_file_missing(&file.path, &table.name, &name)),
            }
        }
        tables.insert(table);
    }
    let mut per_file: Vec<(usize, Vec<Diagnostic>)> = per_file.into_iter().collect();
    per_file.sort_by_key(|(i, _)| *i);
    (tables, per_file)
}

/// A lookup definition (`lookups/*.yml`) as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawLookup {
    name: Option<Checked<String>>,
    filename: Option<Checked<String>>,
    match_type: Option<Checked<String>>,
    case_sensitive_match: Option<Checked<String>>,
    default_match: Option<Checked<String>>,
}

/// One definition file into a table without rows.
fn definition(file: &SourceFile) -> (Option<LookupTable>, Vec<Diagnostic>) {
    let docs = match parse_documents(&file.text, &Limits::default()) {
        Ok(docs) => docs,
        Err(e) => return (None, vec![diag::yaml_error(&file.path, &e.message, e.span)]),
    };
    let Some(doc) = docs.first().filter(|d| d.as_map().is_some()) else {
        return (None, vec![diag::not_a_mapping(&file.path, "lookup")]);
    };
    let raw: RawLookup = from_node(doc).unwrap_or_default();
    let mut r = Reader::new(&file.path);
    let Some(name) = r.string("name", raw.name).map(|n| n.trim().to_owned()) else {
        r.diags
            .push(diag::missing_key(&file.path, "name", "lookup definition"));
        return (None, r.diags);
    };
    let filename = r
        .string("filename", raw.filename)
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty());
    let match_types = r
        .string("match_type", raw.match_type)
        .map(|m| parse_match_types(&m))
        .unwrap_or_default();
    let case_sensitive = r
        .string("case_sensitive_match", raw.case_sensitive_match)
        .is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"));
    let default_match = r
        .string("default_match", raw.default_match)
        .map(|v| v.trim().to_owned());
    let table = LookupTable {
        name,
        filename,
        match_types,
        case_sensitive,
        default_match,
        path: file.path.clone(),
        ..LookupTable::default()
    };
    (Some(table), r.diags)
}

/// `WILDCARD(a), CIDR(b)` into a column → kind map.
fn parse_match_types(text: &str) -> HashMap<String, MatchKind> {
    let mut out = HashMap::new();
    for item in text.split(',') {
        let Some((kind, rest)) = item.trim().split_once('(') else {
            continue;
        };
        let column = rest.trim_end_matches(')').trim().to_owned();
        let kind = match kind.trim().to_ascii_uppercase().as_str() {
            "WILDCARD" => MatchKind::Wildcard,
            "CIDR" => MatchKind::Cidr,
            _ => continue,
        };
        if !column.is_empty() {
            out.insert(column, kind);
        }
    }
    out
}

/// Reads the CSV header into `table` and keeps the text for [`LookupTable::rows`]; an
/// unreadable header is an error diagnostic on the CSV file.
fn read_csv(table: &mut LookupTable, csv: &SourceFile) -> Result<(), Diagnostic> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(csv.text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| diag::lookup_csv_error(&csv.path, &e.to_string()))?;
    table.columns = headers.iter().map(|h| h.trim().to_owned()).collect();
    table.csv = Some((csv.path.clone(), csv.text.clone()));
    table.loaded = true;
    Ok(())
}

fn read_rows(text: &str, width: usize) -> Result<Vec<Vec<String>>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("its CSV cannot be read: {e}"))?;
        let mut row: Vec<String> = record.iter().map(|c| c.trim().to_owned()).collect();
        row.resize(width, String::new());
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables() -> (LookupTables, Vec<(usize, Vec<Diagnostic>)>) {
        load_lookups(&[
            SourceFile::new(
                "splunk/lookups/tools.yml",
                "name: tools\nfilename: tools_v2.csv\nmatch_type: WILDCARD(tool)\ncase_sensitive_match: 'false'\ndefault_match: 'false'\n",
            ),
            SourceFile::new(
                "splunk/lookups/tools_v2.csv",
                "tool,is_bad,\"note, with comma\"\n*mimi*.exe,true,x\nshort\n",
            ),
            SourceFile::new("splunk/lookups/seen.yml", "name: seen\ncollection: seen\n"),
            SourceFile::new(
                "splunk/lookups/gone.yml",
                "name: gone\nfilename: gone.csv\n",
            ),
        ])
    }

    #[test]
    fn definitions_join_their_csv_rows() {
        let (t, diags) = tables();
        let tools = t.get("tools").expect("tools");
        assert!(tools.loaded && !tools.case_sensitive);
        assert_eq!(tools.default_match.as_deref(), Some("false"));
        assert_eq!(tools.columns, ["tool", "is_bad", "note, with comma"]);
        let rows = tools.rows().expect("rows");
        assert_eq!(rows[0], ["*mimi*.exe", "true", "x"]);
        assert_eq!(rows[1], ["short", "", ""], "short rows are padded");
        assert_eq!(tools.match_kind("tool"), MatchKind::Wildcard);
        assert_eq!(tools.match_kind("is_bad"), MatchKind::Exact);
        assert_eq!(t.get("tools_v2.csv").map(|x| &x.name), Some(&tools.name));
        assert!(!t.get("seen").expect("seen").loaded);
        // The definition whose CSV is missing says so.
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].0, 3);
        assert_eq!(diags[0].1[0].code, "splunk::lookup-file-missing");
    }

    #[test]
    fn match_types_parse_several_columns() {
        let m = parse_match_types("WILDCARD(a),CIDR(b), WILDCARD( c ), EXACT(d)");
        assert_eq!(m.get("a"), Some(&MatchKind::Wildcard));
        assert_eq!(m.get("b"), Some(&MatchKind::Cidr));
        assert_eq!(m.get("c"), Some(&MatchKind::Wildcard));
        assert_eq!(m.get("d"), None);
    }
}

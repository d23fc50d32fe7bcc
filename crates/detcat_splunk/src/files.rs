//! The corpus' `splunk/` folder: which file is what, macros first, detections in parallel.

use detcat_model::{Diagnostic, FileOutcome, SourceFile, Vendor, VendorParser};
use detcat_yaml::{Limits, parse_documents};
use rayon::prelude::*;

use crate::detection::macro_from_node;
use crate::diagnostics as diag;
use crate::lookups::{LookupTables, load_lookups};
use crate::macros::MacroTable;
use crate::rule::parse_detection;

/// What a file of the `splunk/` folder holds, by its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Detection,
    Macro,
    DataSource,
    Story,
    /// `lookups/*.yml`: a lookup definition.
    LookupDefinition,
    /// `lookups/*.csv`: a lookup's rows.
    LookupTable,
    Other,
}

impl FileKind {
    /// Classifies a corpus-relative path (`splunk/detections/endpoint/x.yml`, …).
    pub fn of(path: &str) -> FileKind {
        let rel = path.strip_prefix("splunk/").unwrap_or(path);
        let yaml = rel.ends_with(".yml") || rel.ends_with(".yaml");
        match rel.split('/').next() {
            Some("detections") if yaml => FileKind::Detection,
            Some("macros") if yaml => FileKind::Macro,
            Some("data_sources") if yaml => FileKind::DataSource,
            Some("stories") if yaml => FileKind::Story,
            Some("lookups") if yaml => FileKind::LookupDefinition,
            Some("lookups") if crate::lookups::is_table(rel) => FileKind::LookupTable,
            _ => FileKind::Other,
        }
    }

    /// The `non_rule` reason of a file that holds no detection.
    pub fn non_rule_reason(self) -> Option<&'static str> {
        match self {
            FileKind::Detection => None,
            FileKind::Macro => Some("macro definition"),
            FileKind::DataSource => Some("data source definition"),
            FileKind::Story => Some("analytic story"),
            FileKind::LookupDefinition => Some("lookup definition"),
            FileKind::LookupTable => Some("lookup table"),
            FileKind::Other => Some("not a detection file"),
        }
    }
}

/// Reads every `macros/` file into a table; diagnostics per file, by index into `files`.
pub fn load_macros(files: &[SourceFile]) -> (MacroTable, Vec<(usize, Vec<Diagnostic>)>) {
    let mut table = MacroTable::default();
    let mut per_file = Vec::new();
    for (i, file) in files
        .iter()
        .enumerate()
        .filter(|(_, f)| FileKind::of(&f.path) == FileKind::Macro)
    {
        let mut diags = Vec::new();
        match parse_documents(&file.text, &Limits::default()) {
            Err(e) => diags.push(diag::yaml_error(&file.path, &e.message, e.span)),
            Ok(docs) => match docs.first().filter(|d| d.as_map().is_some()) {
                None => diags.push(diag::not_a_mapping(&file.path, "macro")),
                Some(doc) => {
                    let (def, mut d) = macro_from_node(doc, &file.path);
                    diags.append(&mut d);
                    if let Some(def) = def {
                        let (name, span) = (def.name.clone(), doc.get("name").map(|n| n.span));
                        if table.insert(def).is_some() {
                            diags.push(diag::duplicate_macro(
                                &file.path,
                                &name,
                                span.unwrap_or_default(),
                            ));
                        }
                    }
                }
            },
        }
        if !diags.is_empty() {
            per_file.push((i, diags));
        }
    }
    (table, per_file)
}

/// What detections are parsed against: the corpus' macros and lookup tables.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub macros: MacroTable,
    pub lookups: LookupTables,
}

impl From<MacroTable> for Context {
    fn from(macros: MacroTable) -> Self {
        Context {
            macros,
            lookups: LookupTables::default(),
        }
    }
}

/// Reads the macros and lookups among `files`; diagnostics per file, by index into `files`.
pub fn load_context_with_diagnostics(
    files: &[SourceFile],
) -> (Context, Vec<(usize, Vec<Diagnostic>)>) {
    let (macros, mut diags) = load_macros(files);
    let (lookups, lookup_diags) = load_lookups(files);
    diags.extend(lookup_diags);
    (Context { macros, lookups }, diags)
}

/// Reads the macros and lookups among `files` (their diagnostics are dropped).
pub fn load_context(files: &[SourceFile]) -> Context {
    load_context_with_diagnostics(files).0
}

/// One outcome per input file, in the same order; detections are parsed in parallel.
///
/// `files` are all files under the corpus `splunk/` folder. Macros and lookups are loaded
/// first from the `macros/` and `lookups/` files; macro, lookup, data source and story files
/// (and anything else that is no detection) are `non_rule` outcomes.
pub fn parse_files(files: &[SourceFile]) -> Vec<FileOutcome> {
    let (context, macro_diags) = load_context_with_diagnostics(files);
    let mut outcomes: Vec<FileOutcome> = files
        .par_iter()
        .map(|file| {
            let kind = FileKind::of(&file.path);
            match kind.non_rule_reason() {
                Some(reason) => FileOutcome {
                    rules: Vec::new(),
                    non_rule: Some(reason.to_owned()),
                    diagnostics: Vec::new(),
                },
                None => FileOutcome {
                    rules: vec![parse_detection(file, &context)],
                    non_rule: None,
                    diagnostics: Vec::new(),
                },
            }
        })
        .collect();
    for (i, diags) in macro_diags {
        if let Some(o) = outcomes.get_mut(i) {
            o.diagnostics.extend(diags);
        }
    }
    outcomes
}

/// The Splunk entry of the vendor registry: [`parse_files`] behind [`VendorParser`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Parser;

impl VendorParser for Parser {
    fn vendor(&self) -> Vendor {
        Vendor::Splunk
    }

    fn parse_files(&self, files: &[SourceFile]) -> Vec<FileOutcome> {
        parse_files(files)
    }

    fn is_rule_file(&self, text: &str) -> bool {
        crate::draft::is_rule_file(text)
    }

    fn rule_file_format(&self) -> &'static str {
        "yaml"
    }

    fn draft_companions(&self) -> &'static [&'static str] {
        crate::draft::COMPANIONS
    }

    fn draft_reader(&self, companions: &[SourceFile]) -> Box<dyn detcat_model::DraftReader> {
        Box::new(crate::draft::Reader::new(companions))
    }
}

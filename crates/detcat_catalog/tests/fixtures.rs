#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The shared fixture harness (ruff/oxc style): every vendor of the registry, every file under
//! `tests/fixtures/{valid,invalid}/<vendor>/` (small rules written for detcat, never copied
//! from a corpus), parsed together per vendor and class by the vendor's registered parser
//! (so a fixture's macros and lookups are read like a corpus'), snapshotted as the rule's
//! `Expr::outline()` plus every diagnostic rendered by `detcat_model::render` (source line
//! and caret). A valid fixture yields no error diagnostic, an invalid one at least one; every
//! diagnostic span lies inside its file on character boundaries.
//!
//! Adding a fixture: drop the file in, run `cargo insta test -p detcat_catalog --test
//! fixtures` (or `INSTA_UPDATE=always`) and review the new snapshot.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use detcat_catalog::vendors;
use detcat_model::{
    Diagnostic, Expr, FileOutcome, OutlineItem, Severity, SourceFile, Value, Vendor, render,
};

const CLASSES: [&str; 2] = ["valid", "invalid"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The fixture files of one vendor and class, as corpus files (`<vendor folder>/<path below
/// the vendor's fixture folder>`), in path order.
fn fixture_files(class: &str, vendor: Vendor) -> Vec<SourceFile> {
    let info = vendor.info();
    let dir = root().join(class).join(info.name);
    let mut files: Vec<SourceFile> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(&dir).unwrap();
            let path = format!(
                "{}/{}",
                info.discovery.folder,
                rel.to_string_lossy().replace('\\', "/")
            );
            SourceFile::new(path, std::fs::read_to_string(e.path()).unwrap())
        })
        .filter(|f| info.discovery.wants(&f.path))
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

fn values(values: &[Value]) -> String {
    values
        .iter()
        .map(|v| format!("{:?}", v.to_text()))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The outline, one item a line, indented by depth.
fn outline(expr: &Expr) -> String {
    let mut out = String::new();
    let mut depth = 1usize;
    for item in expr.outline() {
        let pad = "  ".repeat(depth);
        let notes = |n: &[String]| {
            if n.is_empty() {
                String::new()
            } else {
                format!("  ({})", n.join("; "))
            }
        };
        match item {
            OutlineItem::Open {
                label,
                detail,
                exclusion,
            } => {
                let ex = if exclusion { " [exclusion]" } else { "" };
                let detail = if detail.is_empty() {
                    String::new()
                } else {
                    format!(" — {detail}")
                };
                writeln!(out, "{pad}{label}{ex}{detail}").unwrap();
                depth += 1;
            }
            OutlineItem::Close => depth = depth.saturating_sub(1).max(1),
            OutlineItem::Pred {
                predicate,
                notes: n,
            } => writeln!(
                out,
                "{pad}{} {} {}{}",
                predicate.field,
                predicate.op,
                values(&predicate.values),
                notes(&n)
            )
            .unwrap(),
            OutlineItem::Keyword { keyword, notes: n } => writeln!(
                out,
                "{pad}keyword {} {}{}",
                keyword.op,
                values(&keyword.values),
                notes(&n)
            )
            .unwrap(),
            OutlineItem::Code { label, note, text } => {
                writeln!(out, "{pad}{label} {note}: {:?}", text.trim()).unwrap();
            }
            OutlineItem::Const { value } => writeln!(out, "{pad}{value}").unwrap(),
        }
    }
    out
}

/// Inside `text`, start before end, both on character boundaries.
fn span_fits(d: &Diagnostic, text: &str) -> bool {
    d.span.is_none_or(|s| {
        s.start <= s.end
            && (s.end as usize) <= text.len()
            && text.is_char_boundary(s.start as usize)
            && text.is_char_boundary(s.end as usize)
    })
}

/// The snapshot text of one file's outcome; the number of error diagnostics.
fn describe(file: &SourceFile, outcome: &FileOutcome) -> (String, usize) {
    let mut s = format!("file: {}\n", file.path);
    if let Some(reason) = &outcome.non_rule {
        writeln!(s, "non-rule: {reason}").unwrap();
    }
    let mut diagnostics: Vec<&Diagnostic> = outcome.diagnostics.iter().collect();
    for rule in &outcome.rules {
        writeln!(
            s,
            "\nrule {} ({:?}, {:?}): {}",
            rule.id,
            rule.language,
            rule.status(),
            rule.title
        )
        .unwrap();
        s.push_str(&outline(&rule.expr));
        diagnostics.extend(&rule.diagnostics);
    }
    if !diagnostics.is_empty() {
        s.push_str("\ndiagnostics:\n");
    }
    for d in &diagnostics {
        assert!(
            span_fits(d, &file.text),
            "{}: the span {:?} of {} does not fit the file",
            file.path,
            d.span,
            d.code
        );
        s.push_str(&render::diagnostic(d, Some(&file.text)));
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (s, errors)
}

#[test]
fn fixtures_of_every_vendor() {
    let mut seen = 0;
    for class in CLASSES {
        for vendor in Vendor::ALL {
            let files = fixture_files(class, vendor);
            let outcomes = vendors::parser(vendor).parse_files(&files);
            assert_eq!(outcomes.len(), files.len());
            let mut rule_files = 0;
            for (file, outcome) in files.iter().zip(&outcomes) {
                let (text, errors) = describe(file, outcome);
                if outcome.non_rule.is_some() && outcome.rules.is_empty() {
                    assert_eq!(errors, 0, "{text}");
                    continue;
                }
                rule_files += 1;
                seen += 1;
                match class {
                    "valid" => assert_eq!(errors, 0, "a valid fixture has errors:\n{text}"),
                    _ => assert!(errors > 0, "an invalid fixture has no error:\n{text}"),
                }
                let name = format!(
                    "{class}__{}",
                    file.path
                        .trim_end_matches(|c: char| c != '.')
                        .trim_end_matches('.')
                        .replace('/', "__")
                );
                insta::assert_snapshot!(name, text);
            }
            assert!(
                rule_files > 0,
                "no {class} fixture for {vendor}: add one under tests/fixtures/{class}/{}",
                vendor.info().name
            );
        }
    }
    assert!(seen >= 6);
}

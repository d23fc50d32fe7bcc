//! Prints, for every rule of a corpus `sigma/` folder, one JSON line
//! `{"path", "document", "status", "items": [[field, [modifiers], value], …]}` — the detection
//! items as tools/sigma_diff.py compares them with pySigma.
//!
//! `cargo run --release -p detcat_sigma --example dump_items -- /work/shared/corpus/sigma`

use std::io::Write;
use std::path::PathBuf;

use detcat_model::{Expr, Predicate, Value};

mod common;

fn value_text(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        other => other.to_text(),
    }
}

fn items_of(expr: &Expr, out: &mut Vec<serde_json::Value>) {
    for e in expr.walk() {
        match e {
            Expr::Pred(Predicate {
                field,
                values,
                modifiers,
                op,
                ..
            }) => {
                if values.is_empty() {
                    out.push(serde_json::json!([field, modifiers, op.as_str()]));
                }
                for v in values {
                    out.push(serde_json::json!([field, modifiers, value_text(v)]));
                }
            }
            Expr::Keyword(k) => {
                for v in &k.values {
                    out.push(serde_json::json!([null, k.modifiers, value_text(v)]));
                }
            }
            _ => {}
        }
    }
}

fn main() {
    let Some(root) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: dump_items <corpus>/sigma");
        std::process::exit(2);
    };
    let files = common::read_corpus(&root);
    let outcomes = detcat_sigma::parse_files(&files);
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    for rule in outcomes.iter().flat_map(|o| &o.rules) {
        let mut items = Vec::new();
        items_of(&rule.expr, &mut items);
        let line = serde_json::json!({
            "path": rule.path, "document": rule.document, "id": rule.id,
            "status": rule.status().as_str(), "items": items,
            "diagnostics": rule.diagnostics.iter().map(|d| &d.code).collect::<Vec<_>>(),
        });
        if writeln!(w, "{line}").is_err() {
            return; // broken pipe: the reader stopped
        }
    }
}

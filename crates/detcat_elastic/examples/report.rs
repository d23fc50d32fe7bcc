//! Lists every rule that is not fully normalized, with its causes, and the ES|QL figure.
//!
//! `cargo run -p detcat_elastic --example report -- /work/shared/corpus/elastic [--all-esql]`

#[path = "common/corpus_util.rs"]
mod corpus_util;

use detcat_model::{Expr, Language, ParseStatus};

fn main() {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: report <corpus>/elastic");
        std::process::exit(2);
    };
    let all_esql = std::env::args().any(|a| a == "--all-esql");
    let files = corpus_util::read_corpus(std::path::Path::new(&root));
    let outcomes = detcat_elastic::parse_files(&files);
    let (mut esql, mut esql_with_preds) = (0, 0);
    for r in outcomes.iter().flat_map(|o| &o.rules) {
        if r.language == Language::Esql {
            esql += 1;
            if r.expr.predicates().is_empty() {
                println!("esql-no-predicates {}", r.path);
            } else {
                esql_with_preds += 1;
            }
            if !all_esql {
                continue;
            }
        }
        if r.status() == ParseStatus::Normalized {
            continue;
        }
        let reasons: Vec<String> = r
            .expr
            .walk()
            .filter_map(|e| {
                if let Expr::Opaque(o) = e {
                    Some(o.reason.clone())
                } else {
                    None
                }
            })
            .collect();
        println!(
            "{} {} [{}] {:?}",
            r.status().as_str(),
            r.path,
            r.rule_type,
            reasons
        );
        for d in r
            .diagnostics
            .iter()
            .filter(|d| d.severity == detcat_model::Severity::Error)
        {
            println!("    {} {} {:?}", d.code, d.message, d.span);
        }
    }
    println!("esql rules with event predicates: {esql_with_preds}/{esql}");
    let warnings: Vec<_> = outcomes
        .iter()
        .flat_map(|o| &o.rules)
        .flat_map(|r| r.diagnostics.iter().map(move |d| (r, d)))
        .filter(|(_, d)| d.severity != detcat_model::Severity::Error)
        .collect();
    for (r, d) in warnings {
        println!("note {} {} {}", r.path, d.code, d.message);
    }
}

//! Micro-benchmark: `canonical_field` and `canonicalize` over ~1M lookups.
//!
//! `cargo run --release -p detcat_taxonomy --example bench_taxonomy`

use std::hint::black_box;
use std::time::Instant;

use detcat_model::{Operator, Predicate, Value, Vendor};
use detcat_taxonomy::Taxonomy;

const NAMES: &[(Vendor, &str)] = &[
    (Vendor::Sigma, "Image"),
    (Vendor::Sigma, "CommandLine"),
    (Vendor::Sigma, "parentimage"),
    (Vendor::Sigma, "TargetObject"),
    (Vendor::Sigma, "NotAField"),
    (Vendor::Elastic, "process.name"),
    (Vendor::Elastic, "process.name.caseless"),
    (Vendor::Elastic, "winlog.event_data.TargetUserName"),
    (Vendor::Splunk, "Processes.process_name"),
    (Vendor::Splunk, "Filesystem.process_guid"),
];

fn main() {
    let started = Instant::now();
    let tax = Taxonomy::get();
    println!(
        "load: {:?} ({} fields, {} events)",
        started.elapsed(),
        tax.fields().len(),
        tax.events().len()
    );

    let n = 1_000_000usize;
    let t = Instant::now();
    let mut hits = 0usize;
    for i in 0..n {
        let (vendor, name) = NAMES[i % NAMES.len()];
        hits += usize::from(tax.canonical_field(vendor, black_box(name)).is_some());
    }
    let ns = t.elapsed().as_nanos() as f64 / n as f64;
    println!("canonical_field: {n} lookups, {hits} hits, {ns:.1} ns/lookup");

    let preds = [
        (
            Vendor::Sigma,
            Predicate::new(
                "Image",
                Operator::Wildcard,
                vec![Value::from(r"*\\regsvr32.exe")],
            ),
        ),
        (
            Vendor::Sigma,
            Predicate::new(
                "CommandLine",
                Operator::Wildcard,
                vec![Value::from("*-EncodedCommand*")],
            ),
        ),
        (
            Vendor::Elastic,
            Predicate::new(
                "process.name",
                Operator::Eq,
                vec![Value::from("rundll32.exe")],
            ),
        ),
        (
            Vendor::Splunk,
            Predicate::new(
                "Processes.process_name",
                Operator::Eq,
                vec![Value::from("cmd.exe")],
            ),
        ),
    ];
    let t = Instant::now();
    let mut out = 0usize;
    for i in 0..n {
        let (vendor, pred) = &preds[i % preds.len()];
        out += tax.canonicalize(*vendor, black_box(pred)).len();
    }
    let ns = t.elapsed().as_nanos() as f64 / n as f64;
    println!("canonicalize: {n} predicates, {out} indicators, {ns:.1} ns/predicate");
}

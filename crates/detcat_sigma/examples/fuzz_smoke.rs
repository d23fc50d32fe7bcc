//! A fuzzing stand-in where cargo-fuzz cannot run: mutates seed inputs (the fixtures and, when
//! given, a corpus folder) for a number of seconds and runs the same functions as the
//! `fuzz/fuzz_targets/{yaml,sigma_rule,sigma_condition}.rs` targets. Any panic aborts.
//!
//! `cargo run --release -p detcat_sigma --example fuzz_smoke -- 120 [/work/shared/corpus/sigma]`

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;

/// xorshift: deterministic, dependency-free randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "|",
    ":",
    "- ",
    "'",
    "\"",
    "\\",
    "*",
    "?",
    "&a ",
    "*a",
    "{",
    "}",
    "[",
    "]",
    "\n",
    "  ",
    "---\n",
    "condition: ",
    " and ",
    " or ",
    " not ",
    "(",
    ")",
    "1 of ",
    "all of them",
    "|contains",
    "|all",
    "|base64offset",
    "|windash",
    "|re|i",
    "|exists",
    "|fieldref",
    "action: global\n",
    "\u{0}",
    "é",
    "%x%",
];

fn mutate(rng: &mut Rng, seed: &str) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for _ in 0..=rng.below(8) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(4) {
            0 => {
                let tok = TOKENS[rng.below(TOKENS.len())].as_bytes();
                bytes.splice(at..at, tok.iter().copied());
            }
            1 if at < bytes.len() => {
                let end = (at + rng.below(16)).min(bytes.len());
                bytes.drain(at..end);
            }
            2 if at < bytes.len() => bytes[at] = rng.next() as u8,
            _ => {
                let from = rng.below(bytes.len());
                let end = (from + rng.below(64)).min(bytes.len());
                let chunk = bytes[from..end].to_vec();
                bytes.splice(at..at, chunk);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut seeds: Vec<String> = common::read_corpus(&fixtures)
        .into_iter()
        .map(|f| f.text)
        .collect();
    if let Some(corpus) = std::env::args().nth(2).map(PathBuf::from) {
        seeds.extend(
            common::read_corpus(&corpus)
                .into_iter()
                .filter(|f| f.path.ends_with(".yml") && !f.path.contains("regression_data"))
                .map(|f| f.text),
        );
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut runs = 0u64;
    while Instant::now() < deadline {
        let seed = &seeds[rng.below(seeds.len())];
        let input = mutate(&mut rng, seed);
        let _ = detcat_yaml::parse_documents(&input, &detcat_yaml::Limits::default());
        let out = detcat_sigma::parse_file(&detcat_model::SourceFile::new(
            "sigma/rules/fuzz/x.yml",
            input.clone(),
        ));
        assert!(out.non_rule.is_some() || !out.rules.is_empty());
        let line = input.lines().nth(rng.below(40)).unwrap_or_default();
        let (_, errors) = detcat_sigma::parse_condition(line);
        assert!(errors.iter().all(|e| e.span.end as usize <= line.len()));
        runs += 1;
    }
    println!("{runs} mutated inputs in {secs} s, no panic");
}

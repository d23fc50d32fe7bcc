//! A deterministic stand-in for `cargo fuzz` that runs in `cargo test`: the four query
//! parsers over many mutations (byte flips, splices, truncations, repetitions) of seed
//! queries written for these tests. Each must return without panicking, with spans inside
//! the input. `DETCAT_FUZZ_ITERS` raises the iteration count for a longer run.

const SEEDS: &[&str] = &[
    r#"sequence by host.id with maxspan=1m [process where process.name : ("a*", "b") and not ?x == "y*"] with runs=3 ![file where true] until [any where endswith~(substring(a.b, 0, length(a.b) - 1), "\\x")]"#,
    r#"sample by host.id [network where cidrMatch(destination.ip, "10.0.0.0/8")] [file where file.path : """C:\x\*""" and t.`0`.n : "*\u{202E}*"] | head 1"#,
    r#"event.category:process and process.name:(cmd.exe or "power shell" or pwsh*) and not user:{ name:x } and a >= 5 and b:(* and not (GET or HEAD))"#,
    r#"FROM logs-* METADATA _id | WHERE a LIKE "x*" AND b RLIKE ".*" AND c IN (1, 2) AND d IS NOT NULL AND KQL("e:f") | EVAL g = TO_LOWER(h) | STATS n = COUNT(*) BY g | WHERE n > 3 | KEEP g"#,
    r#"a:x AND b:(y OR /z[0-9]+/) AND NOT c:[1 TO 5] _exists_:d +e:f -g:h"#,
    r#"FROM x | GROK m "%{IP:i} %{WORD:v}" | DISSECT u "%{a}/%{b}" | ENRICH p ON h WITH o = w | RENAME h AS k | EVAL t = TO_LOWER(COALESCE(a, b)), z = CASE(t == "x", 1, 0) | WHERE t IN ("a", "b") AND z > 0 AND o IS NOT NULL | INLINE STATS c = COUNT(*) BY k | STATS n = COUNT_DISTINCT(i), m = MAX(c) WHERE v == "GET" BY k | WHERE n >= 2 AND k != "y" OR m < 1 | COMPLETION r = k WITH {"inference_id": "x"} | WHERE r LIKE "*y*""#,
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const ALPHABET: &[u8] = b"()[]{}\"'`\\|:~!=<>*?,.-+/ \n\tandornotwhereby?%";

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(5) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = ALPHABET[rng.below(ALPHABET.len())];
            }
            1 => {
                let i = rng.below(v.len() + 1);
                v.insert(i, ALPHABET[rng.below(ALPHABET.len())]);
            }
            2 => v.truncate(rng.below(v.len() + 1)),
            3 => {
                let other = SEEDS[rng.below(SEEDS.len())].as_bytes();
                let a = rng.below(other.len());
                let i = rng.below(v.len() + 1);
                let piece = other[a..].to_vec();
                v.splice(i..i, piece);
            }
            _ => {
                let i = rng.below(v.len() + 1);
                let piece = b"((((".repeat(rng.below(300));
                v.splice(i..i, piece);
            }
        }
    }
    v
}

type QueryParser = fn(&str) -> detcat_elastic::ParsedQuery;

#[test]
fn parsers_survive_mutated_input() {
    let iters: usize = std::env::var("DETCAT_FUZZ_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3_000);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let parsers: [(&str, QueryParser); 4] = [
        ("kql", detcat_elastic::kql::parse),
        ("eql", detcat_elastic::eql::parse),
        ("esql", detcat_elastic::esql::parse),
        ("lucene", detcat_elastic::lucene::parse),
    ];
    for i in 0..iters {
        let seed = SEEDS[i % SEEDS.len()].as_bytes();
        let input = mutate(&mut rng, seed);
        let src = String::from_utf8_lossy(&input);
        for (name, parse) in parsers {
            let q = parse(&src);
            for d in &q.diagnostics {
                assert!(
                    d.span.end as usize <= src.len(),
                    "{name}: span past end for {src:?}"
                );
            }
            let _ = detcat_elastic::fields_of(&q.expr);
        }
    }
}

#[test]
fn hostile_nesting_and_huge_input_are_bounded() {
    let deep = format!(
        "process where {}a == 1{}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert!(detcat_elastic::eql::parse(&deep).has_errors());
    let deep_kql = "not ".repeat(100_000) + "a:b";
    assert!(detcat_elastic::kql::parse(&deep_kql).has_errors());
    let deep_neg = format!("any where a == {}1", "-".repeat(100_000));
    assert!(detcat_elastic::eql::parse(&deep_neg).has_errors());
    let long = "process where ".to_owned() + &"a == 1 and ".repeat(50_000) + "b == 2";
    assert!(!detcat_elastic::eql::parse(&long).has_errors());
}

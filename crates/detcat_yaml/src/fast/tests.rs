//! The direct reader against the full loader: equal trees (spans included) where it reads a
//! text, and a refusal where it must leave the text to the full loader.

use crate::{Limits, Node, NodeValue, loader};

use super::load;

/// One line per node: kind, value, flags, span and the spanned text — a readable diff, and
/// `.nan` equal to itself.
fn render(text: &str, docs: &[Node]) -> String {
    fn walk(text: &str, node: &Node, depth: usize, out: &mut String) {
        let spanned = text.get(node.span.start as usize..node.span.end as usize);
        let head = match &node.value {
            NodeValue::Map(_) => "map".to_owned(),
            NodeValue::Seq(_) => "seq".to_owned(),
            value => format!("{value:?} quoted={} raw={:?}", node.quoted, node.raw),
        };
        let indent = "  ".repeat(depth);
        out.push_str(&format!(
            "{indent}{head} {}..{} {spanned:?}\n",
            node.span.start, node.span.end
        ));
        match &node.value {
            NodeValue::Map(entries) => {
                for (k, v) in entries {
                    walk(text, k, depth + 1, out);
                    walk(text, v, depth + 2, out);
                }
            }
            NodeValue::Seq(items) => items.iter().for_each(|i| walk(text, i, depth + 1, out)),
            _ => {}
        }
    }
    let mut out = String::new();
    for doc in docs {
        out.push_str("---\n");
        walk(text, doc, 0, &mut out);
    }
    out
}

/// The direct reader reads `text`, exactly as the full loader does.
#[track_caller]
fn same(text: &str) {
    let full = loader::load(text, &Limits::default())
        .unwrap_or_else(|e| panic!("the full loader fails on {text:?}: {e}"));
    let fast = load(text, &Limits::default())
        .unwrap_or_else(|| panic!("the direct reader gives up on {text:?}"));
    assert_eq!(render(text, &fast), render(text, &full), "{text:?}");
}

/// The direct reader leaves `text` to the full loader.
#[track_caller]
fn declined(text: &str) {
    assert!(
        load(text, &Limits::default()).is_none(),
        "the direct reader should leave {text:?} to the full loader"
    );
}

#[test]
fn mappings_and_plain_scalars() {
    same("a: b\n");
    same("a: b");
    same("title: a b  # c\nempty:\nnum: 0x10\nf: 1.50\nt: True\nn: ~\nnan: .nan\n");
    same("a:   # comment\nb: \nc:\n");
    same("a : b\nkey with spaces : value with spaces\n");
    same("url: https://example.com/a#b\nx: a#b\ny: -flag\nz: :x\nw: ?q\n");
    same("4688: event\ntrue: yes\n");
    same("a: é – ü\nclé: x\n");
}

#[test]
fn nested_collections_and_their_spans() {
    same("a:\n  b: c\n  d:\n    e: f\ng: h\n");
    same("a:\n  b: c\n  # trailing comment\ng: h\n");
    same("a:\n  b:\n    c: d\n# comment at column 0\n\ne: f\n# last\n");
    same("list:\n- x\n- y\nnext: z\n");
    same("list:\n  - x\n  - y\nnext: z\n");
    same("list:\n  -\n  - \n  - # c\n  - x\n");
    same("g:\n- a: \n- b\n");
    same("s:\n  - k: v\n    k2: v2\n  - k: w\n");
    same("s:\n  -   k: v\n      k2: v2\n");
    same("s:\n  -\n    k: v\n  - x\n");
    same("s:\n  - a\n  -\n    - b\n");
    same("m:\n  a:\n  - x\n  b: y\n");
    // Indentless sequences whose first entry is below its dash start at the dash's line end.
    for text in [
        "a:\n-\n    - y\n",
        "a:\n-   \n    - y\n",
        "a:\n- # c\n    - y\n",
        "a:\n-\n    k: v\n",
        "a:\n-\n    plain\n",
        "a:\n-\n  - y\n- z\n",
        "a:\n  -\n    - y\n",
        "a:\n- > # c\n  folded\n",
        "a:\n- |-\n  literal\n- x\n",
    ] {
        same(text);
    }
}

#[test]
fn multi_line_plain_scalars() {
    same("a: plain\n  continued here\n\n  after a blank\nb: c\n");
    same("s:\n- one\n  two\n- three\n");
    same("a:\n  on its own line\n  and the next\nb: c\n");
    same("a: x # comment ends it\nb: y\n");
    same("a: x - y\n  - z\n");
}

#[test]
fn quoted_scalars() {
    same("a: 'single ''q'''\nb: \"dq \\\\ \\t x \\\" \\/ \\u00e9 \\x41 \\U0001F600 \\N\\_\"\n");
    same("a: ''\nb: \"\"\nc: '4688'\nd: 'x' # c\n");
    same("a: 'multi\n  line\n\n  text  '\nb: c\n");
    same("a: \"multi\n  line \\\n  joined\"\nb: c\n");
    same("s:\n  - 'x'\n  - \"y\"  # c\n");
}

#[test]
fn quoted_keys() {
    same("'quoted key': 1\n\"dq key\" : 2\na:\n  '|all':\n    - x\n  '': empty\n");
    same("s:\n  - 'k': v\n    \"k2\":\n      - x\n");
}

#[test]
fn block_scalars() {
    same("k2: |\n    line1\n\n    line2\nk3: >-\n     folded\n     text\n\n     para\n# c\nz: 1\n");
    same("a: |-\n  x\n  y\n\n\nb: |+\n  x\n\n\nc: >\n  a\n    more\n  b\n\n  c\n");
    same("a: | # comment\n  # not a comment\n  ---\nb: x");
    same("a: |\n  x\n     \n  y\n");
    same("a: >\n  x\n   \n  y\n");
    same("a: |\n  no newline at the end");
    same("s:\n  - |\n    x\n  - y\n");
    same("a:\n  b: |\n    x\n  c: d\n");
    same("a: |\n  x\n\n\n");
}

#[test]
fn flow_sequences() {
    same("a: [a, 'b', c d, \"e\"]\nb: []\nc: [ x ]  # c\nd: [1, 2.5, true]\n");
    same("s:\n  - [a, b]\n");
    same("a: [1, 2 ] ");
    same("a: [1, 2 ]   \nb: ['x' ]  # c  \n");
}

#[test]
fn documents() {
    same("a: 1\n---\nb: 2\n");
    same("---\na: 1\n---\n# comment\nb: 2\n");
    same("# header\n\na: 1\n\n# footer\n");
    same("a: 1\n# c\n---\nb: |\n  x\n---\nc: 3");
}

#[test]
fn what_it_leaves_to_the_full_loader() {
    for text in [
        "",
        "# only a comment\n",
        "---\n",
        "a: 1\n---\n",
        "a: 1\n...\n",
        "a: 1\n... b: 2\n",
        "... b: 2\n",
        "a:\n- x\n... b: 2\n",
        "a: 1\n--- b: 2\n",
        "%YAML 1.2\n---\na: 1\n",
        "- root sequence\n",
        "plain root\n",
        "  a: indented root\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: {b: c}\n",
        "'key\n  on two lines': 1\n",
        "'quoted key' x: 1\n",
        "a:\tb\n",
        "a: b\r\n",
        "a: b: c\n",
        "a: b\n  c: d\n",
        "a:\n  b: 1\n c: 2\n",
        "a: 1\n  b: 2\n",
        "a: |2\n  x\n",
        "a: |\n\n  x\n",
        "a: >+\n  x\n  y\n ",
        "a: |+\n  x\n\n  ",
        "a: |\nb: 1\n",
        "a: [b, [c]]\n",
        "a: [b,\n  c]\n",
        "a: [b, ]\n",
        "a: [-, b]\n",
        "a: [x -, b]\n",
        "a: [(   -]\n",
        "a: 'unterminated\n",
        "a: \"bad \\q escape\"\n",
        "a: 'x' y\n",
        "a: x # c\n  continued\n",
        "s:\n  - - nested\n",
        "a: - b\n",
        "a: \u{feff}b\n",
        "a: b\0\n",
    ] {
        declined(text);
    }
}

#[test]
fn limits_are_left_to_the_full_loader() {
    let deep = (0..10).fold(String::from("x: 1"), |inner, _| {
        format!(
            "a:\n{}",
            inner
                .lines()
                .map(|l| format!("  {l}\n"))
                .collect::<String>()
        )
    });
    same(&deep);
    let tight = Limits {
        max_depth: 5,
        ..Limits::default()
    };
    assert!(load(&deep, &tight).is_none());
    let few = Limits {
        max_nodes: 3,
        ..Limits::default()
    };
    assert!(load("a: 1\nb: 2\n", &few).is_none());
    assert!(load("a: 1\n", &few).is_some());
    let small = Limits {
        max_bytes: 4,
        ..Limits::default()
    };
    assert!(load("a: 1\n", &small).is_none());
}

/// Every YAML file of the corpus: read as the full loader reads it, and most read at all.
#[test]
fn corpus_files_read_as_the_full_loader_reads_them() {
    let Ok(root) = std::env::var("DETCAT_CORPUS") else {
        eprintln!("DETCAT_CORPUS is not set; skipping the corpus YAML files");
        return;
    };
    let root = std::path::PathBuf::from(root);
    assert!(
        root.is_dir(),
        "DETCAT_CORPUS={} is not a directory",
        root.display()
    );
    let mut stack = vec![root];
    let (mut files, mut read) = (0usize, 0usize);
    let mut declined = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yml" | "yaml")
            ) {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            files += 1;
            let Some(fast) = load(&text, &Limits::default()) else {
                declined.push(path);
                continue;
            };
            read += 1;
            let full = loader::load(&text, &Limits::default()).unwrap_or_else(|e| {
                panic!(
                    "{}: read directly, but the full loader fails: {e}",
                    path.display()
                )
            });
            assert_eq!(
                render(&text, &fast),
                render(&text, &full),
                "{}",
                path.display()
            );
        }
    }
    eprintln!(
        "{read} of {files} YAML files read directly; declined: {:#?}",
        declined.iter().take(20).collect::<Vec<_>>()
    );
    assert!(files > 6_000, "only {files} YAML files under DETCAT_CORPUS");
    assert!(
        read * 100 >= files * 99,
        "only {read} of {files} YAML files read directly"
    );
}

/// A small deterministic generator of block-style YAML, so the comparison covers many more
/// shapes than the hand-written cases: nested mappings and sequences (indented or not),
/// every scalar style, comments and blank lines in odd places, multi-line scalars.
struct Generator(u64);

impl Generator {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn plain(&mut self) -> String {
        let words = [
            "a",
            "value",
            "x-y",
            "C:\\Windows",
            "4688",
            "0x10",
            "1.5",
            "true",
            "~",
            "null",
            "a#b",
            "a:b",
            "http://x.y/z",
            "é",
            "'q'",
            "\"d\"",
            "-n",
            "?q",
            "a  b",
            "*.exe",
            ".inf",
            "12:30",
            "x]",
            "y}",
            "-",
        ];
        // Not `-` first: `- -` is a nested sequence, which the reader leaves to saphyr.
        let mut s = self.pick(&words[..words.len() - 1]).to_owned();
        for _ in 0..self.below(3) {
            s.push(' ');
            s.push_str(self.pick(&words));
        }
        s
    }

    fn scalar(&mut self, indent: usize) -> String {
        let pad = " ".repeat(indent + 2);
        match self.below(12) {
            0 => format!("'{}'", self.plain().replace('\'', "''")),
            1 => format!(
                "\"{}\"",
                self.pick(&["x", "a\\\\b", "\\t", "\\u00e9", "q\\\"", "", "\\x41 \\/"])
            ),
            2 => format!("{}\n{pad}{}", self.plain(), self.plain()),
            3 => format!(
                "'{}\n{pad}\n{pad}{}'",
                self.plain().replace('\'', ""),
                self.plain().replace('\'', "")
            ),
            4 => {
                let header = self.pick(&["|", "|-", "|+", ">", ">-", ">+", "| # c"]);
                let mut body = String::new();
                for _ in 0..=self.below(3) {
                    let extra = if self.below(4) == 0 { "  " } else { "" };
                    body.push_str(&format!("\n{pad}{extra}{}", self.plain()));
                    if self.below(4) == 0 {
                        body.push('\n');
                    }
                }
                format!("{header}{body}")
            }
            5 => format!(
                "[{}, '{}']",
                self.plain()
                    .replace([',', '[', ']', '{', '}', ':', '#'], ""),
                "b"
            ),
            6 => String::new(),
            7 => format!("{} # comment", self.plain()),
            _ => self.plain(),
        }
    }

    fn block(&mut self, indent: usize, depth: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        let seq = self.below(3) == 0;
        for i in 0..=self.below(4) {
            if self.below(6) == 0 {
                out.push_str(&format!("{pad}# a comment\n"));
            }
            if self.below(8) == 0 {
                out.push('\n');
            }
            let head = if seq {
                format!("{pad}-")
            } else {
                let key = match self.below(6) {
                    0 => format!("'k {i}'"),
                    1 => format!("{i}"),
                    _ => format!("key{i}|contains"),
                };
                format!("{pad}{key}:")
            };
            if depth < 4 && self.below(3) == 0 {
                out.push_str(&head);
                out.push('\n');
                let inner = if !seq && self.below(3) == 0 {
                    indent
                } else {
                    indent + 2 + self.below(2) * 2
                };
                if inner == indent {
                    // An indentless sequence under a key.
                    for _ in 0..=self.below(3) {
                        out.push_str(&format!(
                            "{pad}- {}\n",
                            self.scalar(indent).replace('\n', "\n  ")
                        ));
                    }
                } else {
                    self.block(inner, depth + 1, out);
                }
            } else if seq && depth < 4 && self.below(4) == 0 {
                // A compact mapping in a sequence entry.
                out.push_str(&format!(
                    "{head} k: {}\n{pad}  k2: {}\n",
                    self.plain(),
                    self.plain()
                ));
            } else {
                let value = self.scalar(indent);
                out.push_str(&head);
                if !value.is_empty() {
                    out.push(' ');
                }
                out.push_str(&value);
                out.push('\n');
            }
        }
    }
}

#[test]
fn generated_documents_read_as_the_full_loader_reads_them() {
    let mut generator = Generator(0x9e37_79b9_7f4a_7c15);
    let (mut read, mut declined_valid, total) = (0, 0, 20_000);
    for n in 0..total {
        let mut text = String::new();
        for doc in 0..=generator.below(2) {
            if doc > 0 || generator.below(4) == 0 {
                text.push_str("---\n");
            }
            // Documents are mappings at the root.
            let mut body = String::new();
            while !body.starts_with(|c: char| c.is_alphanumeric() || c == '\'') {
                body.clear();
                generator.block(0, 0, &mut body);
            }
            text.push_str(&body);
        }
        if generator.below(5) == 0 {
            text.pop();
        }
        let fast = load(&text, &Limits::default());
        let full = loader::load(&text, &Limits::default());
        match (&fast, &full) {
            (Some(fast), Ok(full)) => {
                read += 1;
                assert_eq!(
                    render(&text, fast),
                    render(&text, full),
                    "document {n}: {text:?}"
                );
            }
            (Some(_), Err(e)) => {
                panic!("document {n} read directly, but the full loader fails ({e}): {text:?}")
            }
            (None, Ok(_)) => declined_valid += 1,
            (None, _) => {}
        }
    }
    eprintln!(
        "{read} of {total} generated documents read directly, {declined_valid} valid ones left to saphyr"
    );
    // The generator writes invalid YAML too (a quoted scalar continued too little, `a:b c`
    // words after a key…), which both readers must refuse; of the valid documents, the
    // direct reader leaves almost none to saphyr.
    assert!(
        read * 10 > total * 6,
        "only {read} of {total} generated documents read directly"
    );
    assert!(
        declined_valid * 100 < total,
        "{declined_valid} valid documents declined"
    );
}

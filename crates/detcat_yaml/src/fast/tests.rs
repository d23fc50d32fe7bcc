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
        read * 100 >= files * 98,
        "only {read} of {files} YAML files read directly"
    );
}

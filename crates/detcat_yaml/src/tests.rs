//! Behaviour tests of [`crate::parse_documents`] on well-formed and hostile input.

use crate::{Limits, Node, NodeValue, parse_documents};

fn one(text: &str) -> Node {
    match parse_documents(text, &Limits::default()) {
        Ok(mut docs) if docs.len() == 1 => docs.remove(0),
        other => panic!("expected one document, got {other:?}"),
    }
}

fn slice<'a>(text: &'a str, node: &Node) -> &'a str {
    &text[node.span.start as usize..node.span.end as usize]
}

#[test]
fn scalars_resolve_but_keep_their_text() {
    let doc = one("a: 0x10\nb: '4688'\nc: 4688\nd: ~\ne:\nf: \"\"\ng: true\nh: 1.50\n");
    let get = |k: &str| doc.get(k).unwrap_or_else(|| panic!("missing {k}"));
    assert_eq!(get("a").value, NodeValue::Int(16));
    assert_eq!(get("a").scalar_text().as_deref(), Some("0x10"));
    assert_eq!(get("b").value, NodeValue::Str("4688".into()));
    assert!(get("b").quoted);
    assert_eq!(get("c").value, NodeValue::Int(4688));
    assert!(!get("c").quoted);
    assert!(get("d").is_null());
    assert!(get("e").is_null());
    assert_eq!(
        get("f").as_str(),
        Some(""),
        "an empty quoted string is not null"
    );
    assert_eq!(get("g").value, NodeValue::Bool(true));
    assert_eq!(get("h").scalar_text().as_deref(), Some("1.50"));
}

#[test]
fn block_scalars_are_never_resolved() {
    let doc = one("a: |\n  123\n");
    assert_eq!(doc.get("a").and_then(Node::as_str), Some("123\n"));
    assert!(doc.get("a").is_some_and(|n| n.quoted));
}

#[test]
fn spans_are_byte_ranges_even_after_non_ascii_text() {
    let text = "title: Détection – test\nkey: 'vålue'\nlist:\n  - x\n  - yz\n";
    let doc = one(text);
    let (k, v) = doc
        .as_map()
        .and_then(|m| m.get(1))
        .cloned()
        .unwrap_or_else(|| panic!("no entry"));
    assert_eq!(slice(text, &k), "key");
    assert_eq!(slice(text, &v), "'vålue'");
    let list = doc.get("list").unwrap_or_else(|| panic!("no list"));
    assert_eq!(slice(text, list), "- x\n  - yz");
    assert_eq!(list.as_seq().map(|s| slice(text, &s[1])), Some("yz"));
}

#[test]
fn multi_document_streams() {
    let docs =
        parse_documents("a: 1\n---\nb: 2\n---\n- x\n", &Limits::default()).unwrap_or_default();
    assert_eq!(docs.len(), 3);
    assert!(docs[1].get("b").is_some());
    assert!(docs[2].as_seq().is_some());
}

#[test]
fn anchors_and_aliases_expand() {
    let doc = one("base: &b\n  x: 1\nuse: *b\n");
    assert_eq!(
        doc.get("use")
            .and_then(|n| n.get("x"))
            .map(|n| n.value.clone()),
        Some(NodeValue::Int(1))
    );
}

#[test]
fn duplicate_keys_are_kept_and_reported() {
    let doc = one("a: 1\nb: 2\na: 3\n");
    assert_eq!(doc.as_map().map(<[_]>::len), Some(3));
    assert_eq!(
        doc.get("a").map(|n| n.value.clone()),
        Some(NodeValue::Int(3))
    );
    assert_eq!(doc.duplicate_keys().len(), 1);
}

#[test]
fn alias_bomb_stops_at_the_node_cap() {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    for pair in names.windows(2) {
        let refs = vec![format!("*{}", pair[0]); 9].join(",");
        text.push_str(&format!("{}: &{} [{}]\n", pair[1], pair[1], refs));
    }
    // Bounded work is the node cap refusing the expansion (10^9 nodes), not a wall-time
    // bound: tests never assert on time.
    let err = parse_documents(&text, &Limits::default()).err();
    assert!(err.is_some_and(|e| e.message.contains("nodes")));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for text in [
        "[".repeat(100_000),
        "a:\n".to_owned() + &"- ".repeat(100_000),
        "{a: ".repeat(100_000),
    ] {
        let result = parse_documents(&text, &Limits::default());
        assert!(result.is_err(), "nesting of {} bytes", text.len());
    }
    let nested_maps: String = (0..200)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    assert!(
        parse_documents(&nested_maps, &Limits::default())
            .is_err_and(|e| e.message.contains("nesting"))
    );
}

#[test]
fn garbage_text_gives_an_error_with_a_position() {
    let text = "title: ok\ndetection: [a, b\n  c: {\n\u{0}\u{1}\u{7f}";
    let err = parse_documents(text, &Limits::default()).err();
    assert!(err.is_some_and(|e| e.span.start > 0 && (e.span.start as usize) <= text.len()));
    let err = parse_documents("a: 'unterminated\n", &Limits::default()).err();
    assert!(err.is_some());
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let limits = Limits {
        max_bytes: 10,
        ..Limits::default()
    };
    assert!(
        parse_documents("a: 1234567890\n", &limits).is_err_and(|e| e.message.contains("limit"))
    );
}

#[test]
fn error_positions_are_bytes_after_non_ascii_text() {
    let text = "t: ééé\nb: 'x\n";
    let err = parse_documents(text, &Limits::default()).err();
    assert!(
        err.is_some_and(|e| (e.span.start as usize) <= text.len()
            && text.is_char_boundary(e.span.start as usize))
    );
}

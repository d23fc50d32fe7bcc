//! A rule's expression as the JSON of `rules.expr`, and lists of strings (`rules.tags`,
//! `predicates.vals`, …), byte for byte what `serde_json` writes.
//!
//! `and`, `or`, `not` and predicates make up nearly every node of the corpus; they are written
//! here straight into one string. Through serde each of their keys (`"node"`, `"field"`,
//! `"op"`, …) went through its map serializer and string escaper: written here, a Sigma-only
//! build runs 0.4% fewer instructions (11.6 M of 2,682 M, `tools/instructions.sh`). Every
//! other node (keywords, sequences, aggregations, opaque text, a predicate with regex flags)
//! and every non-string value still goes through serde, as do strings that need escapes.
//! `tests/store.rs` checks every stored expression of the demo and full catalogs against
//! serde_json's own output.
//!

use detcat_model::{Expr, Predicate, Value};

/// `serde_json::to_string(items)` of a list of strings (a rule's authors, references, tags; a
/// predicate's values and modifiers: ~40,000 lists in a Sigma-only build, 1.3% of its
/// instructions through serde).
pub fn strings_json(items: &[String]) -> String {
    let len: usize = items.iter().map(|s| s.len() + 3).sum();
    let mut out = String::with_capacity(len + 2);
    write_strings(&mut out, items);
    out
}

/// `[item,item,…]`, each item written by `item`.
pub(super) fn write_list<T>(out: &mut String, items: &[T], mut item: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        item(out, x);
    }
    out.push(']');
}

/// `n` in decimal (`write!`'s formatting machinery cost more than the digits).
pub(super) fn write_number(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        start -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let (_, text) = digits.split_at(start);
    out.push_str(std::str::from_utf8(text).unwrap_or("0"));
}

/// A JSON array of strings.
pub(super) fn write_strings(out: &mut String, items: &[String]) {
    write_list(out, items, |out, s| write_str(out, s));
}

/// `serde_json::to_string(expr)`.
pub fn expr_json(expr: &Expr) -> String {
    let mut out = String::with_capacity(256);
    write_expr(&mut out, expr);
    out
}

fn write_expr(out: &mut String, expr: &Expr) {
    match expr {
        Expr::And { items } => write_items(out, "and", items),
        Expr::Or { items } => write_items(out, "or", items),
        Expr::Not { item } => {
            out.push_str(r#"{"node":"not","item":"#);
            write_expr(out, item);
            out.push('}');
        }
        Expr::Pred(p) if p.regex_flags.is_empty() => write_predicate(out, p),
        other => write_serde(out, other),
    }
}

fn write_items(out: &mut String, node: &str, items: &[Expr]) {
    out.push_str(r#"{"node":""#);
    out.push_str(node);
    out.push_str(r#"","items":"#);
    write_list(out, items, write_expr);
    out.push('}');
}

/// The fields in `Predicate`'s declared order, the optional ones only when serde writes them.
fn write_predicate(out: &mut String, p: &Predicate) {
    out.push_str(r#"{"node":"pred","field":"#);
    write_str(out, &p.field);
    out.push_str(r#","op":""#);
    out.push_str(p.op.as_str());
    out.push_str(r#"","values":"#);
    write_list(out, &p.values, |out, v| match v {
        Value::Str(s) => write_str(out, s),
        other => write_serde(out, other),
    });
    if p.match_all {
        out.push_str(r#","match_all":true"#);
    }
    if p.case_sensitive {
        out.push_str(r#","case_sensitive":true"#);
    }
    if !p.modifiers.is_empty() {
        out.push_str(r#","modifiers":"#);
        write_strings(out, &p.modifiers);
    }
    if let Some(span) = p.span {
        out.push_str(r#","span":{"start":"#);
        write_number(out, span.start.into());
        out.push_str(r#","end":"#);
        write_number(out, span.end.into());
        out.push('}');
    }
    out.push('}');
}

/// A JSON string, escaped as serde_json escapes it: `"` and `\` behind a backslash, the
/// control characters below U+0020 as `\b \t \n \f \r` or `\u00XX`, nothing else; the runs
/// between escapes copied whole. Every Windows path holds a `\`, and each such string went
/// through `serde_json::to_string` (a string of its own) after a byte-by-byte check: ~2% of a
/// Sigma-only build's instructions. The next byte to escape is found eight bytes at a time.
pub(super) fn write_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut run = 0;
    while let Some(at) = next_escape(bytes, run) {
        // Every byte with an escape is ASCII: `at` and `at + 1` are character boundaries.
        let (Some(text), Some(&b)) = (s.get(run..at), bytes.get(at)) else {
            break;
        };
        out.push_str(text);
        out.push('\\');
        let escape = ESCAPE[usize::from(b)];
        out.push(char::from(escape));
        if escape == b'u' {
            out.push_str("00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        run = at + 1;
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push('"');
}

/// serde_json's escape of each byte: 0 for none, else the letter after the backslash (`u`
/// for `\u00XX`).
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// The position of the first byte at or after `from` that [`ESCAPE`] escapes. Eight bytes
/// at a time: a word's bytes below 0x20, equal to `"` or equal to `\` flagged by the
/// classic zero-byte tests; the lowest flag is exact (a borrow can only flag bytes above a
/// true one), the rest one by one.
fn next_escape(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS;
    let rest = bytes.get(from..)?;
    let mut words = rest.chunks_exact(8);
    let mut at = from;
    for word in words.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        let flags = (w.wrapping_sub(0x20 * ONES) & !w & HIGHS)
            | zero(w ^ (u64::from(b'"') * ONES))
            | zero(w ^ (u64::from(b'\\') * ONES));
        if flags != 0 {
            return Some(at + (flags.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| ESCAPE[usize::from(b)] != 0)
        .map(|i| at + i)
}

/// Serializing model data cannot fail (string keys only; non-finite numbers become `null`), so
/// a failure would be a bug: written as `null`, as `analyze::json` does, not aborting a build.
fn write_serde<T: serde::Serialize + ?Sized>(out: &mut String, value: &T) {
    match serde_json::to_string(value) {
        Ok(json) => out.push_str(&json),
        Err(_) => out.push_str("null"),
    }
}

#[cfg(test)]
mod tests {
    use detcat_model::{Keyword, Operator, RegexFlags, SourceFile, Span};

    use super::*;

    fn pred(field: &str, op: Operator, values: Vec<Value>) -> Predicate {
        Predicate::new(field, op, values)
    }

    fn same_as_serde(e: &Expr) {
        let serde = serde_json::to_string(e).expect("serializes");
        assert_eq!(expr_json(e), serde);
    }

    #[test]
    fn string_lists_are_written_as_serde_writes_them() {
        let lists: [&[&str]; 5] = [
            &[],
            &[""],
            &["plain", "two words", "ünïcödé €"],
            &[
                r"C:\Windows",
                "say \"hi\"",
                "tab\there",
                "line\nbreak",
                "\u{1}",
            ],
            &["\u{7f}", "\u{2028}", "/slash/"],
        ];
        for list in lists {
            let owned: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
            let serde = serde_json::to_string(&owned).expect("serializes");
            assert_eq!(strings_json(&owned), serde, "{list:?}");
        }
    }

    #[test]
    fn every_short_string_is_escaped_as_serde_escapes_it() {
        // Every string of up to five characters over the bytes that need an escape (each
        // control character kind, `"`, `\`), their neighbours that do not (DEL, `/`, space)
        // and multibyte characters: the runs, the control-character path and their borders.
        let alphabet = [
            'a', '"', '\\', '\n', '\u{1}', '\u{1f}', '\u{7f}', ' ', 'é', '\u{2028}',
        ];
        for s in detcat_model::exhaustive::strings(&alphabet, 5) {
            let mut out = String::from("[");
            write_str(&mut out, &s);
            let serde = serde_json::to_string(&s).expect("serializes");
            assert_eq!(out.get(1..), Some(serde.as_str()), "{s:?}");
        }
        // Longer strings, so the escapes fall at every position of the eight-byte words and
        // beside multibyte characters (whose bytes are all 0x80 and above).
        let short = detcat_model::exhaustive::strings(&alphabet, 3);
        for pad in 0..=9 {
            let before: String = "aéé€aaaaaé".chars().take(pad).collect();
            for s in &short {
                let long = format!("{before}{s}ÿ0123456789{s}");
                let mut out = String::new();
                write_str(&mut out, &long);
                let serde = serde_json::to_string(&long).expect("serializes");
                assert_eq!(out, serde, "{long:?}");
            }
        }
        let every_control: String = (0u8..0x20).map(char::from).collect();
        let mut out = String::new();
        write_str(&mut out, &every_control);
        assert_eq!(
            out,
            serde_json::to_string(&every_control).expect("serializes")
        );
    }

    #[test]
    fn every_operator_is_written_by_its_serde_name() {
        for op in Operator::ALL {
            same_as_serde(&Expr::Pred(pred("f", op, vec![Value::from("v")])));
        }
    }

    #[test]
    fn predicates_with_every_optional_field_and_awkward_text_match_serde() {
        let mut full = pred(
            "Command\"Line\\x",
            Operator::Wildcard,
            vec![
                Value::from(r"*\\dllhost.exe"),
                Value::from("tab\there\nnew\u{1}\u{7f}ünï"),
                Value::Int(-4688),
                Value::Float(1.5),
                Value::Float(f64::NAN),
                Value::Bool(true),
                Value::Null,
            ],
        );
        full.match_all = true;
        full.case_sensitive = true;
        full.modifiers = vec!["contains".to_owned(), "all\"".to_owned()];
        full.span = Some(Span::new(568, 593));
        same_as_serde(&Expr::Pred(full.clone()));
        let mut flagged = full;
        flagged.regex_flags = RegexFlags {
            ignore_case: true,
            multiline: false,
            dot_all: true,
        };
        same_as_serde(&Expr::Pred(flagged));
        same_as_serde(&Expr::Pred(pred("f", Operator::Exists, Vec::new())));
    }

    #[test]
    fn nested_nodes_and_the_ones_left_to_serde_match_serde() {
        let a = Expr::Pred(pred("a", Operator::Eq, vec![Value::from("1")]));
        let keyword = Expr::Keyword(Keyword {
            op: Operator::Wildcard,
            values: vec![Value::from("*mimikatz*")],
            match_all: false,
            case_sensitive: false,
            modifiers: Vec::new(),
            span: None,
        });
        let tree = Expr::Or {
            items: vec![
                Expr::And {
                    items: vec![a.clone(), Expr::not(keyword)],
                },
                Expr::Not {
                    item: Box::new(Expr::Const { value: false }),
                },
                Expr::And { items: Vec::new() },
                a,
            ],
        };
        same_as_serde(&tree);
    }

    #[test]
    fn every_rule_of_the_demo_corpus_matches_serde() {
        let corpus = crate::Corpus::demo();
        let mut checked = 0;
        for vendor in detcat_model::Vendor::ALL {
            let files: Vec<SourceFile> = corpus.files(vendor).to_vec();
            for outcome in crate::vendors::parser(vendor).parse_files(&files) {
                for rule in outcome.rules {
                    same_as_serde(&rule.expr);
                    checked += 1;
                }
            }
        }
        assert!(checked >= 14, "{checked} rules");
    }
}

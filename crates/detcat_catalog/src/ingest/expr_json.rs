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
//! Its list, string and number writers serve the technique pages too (`page_json.rs`).

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

/// A JSON string: as it is when nothing in it needs an escape (`"`, `\`, a control
/// character: serde_json escapes nothing else), else as serde_json escapes it.
pub(super) fn write_str(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        write_serde(out, s);
    }
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

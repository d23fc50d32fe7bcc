//! Multi-document rule files: `action: global` documents hold keys shared by the following
//! documents, `action: reset` clears them, `action: repeat` re-uses the previous rule with
//! changes.

use detcat_model::Diagnostic;
use detcat_yaml::{Node, NodeValue};

use crate::diagnostics as diag;

/// The rule documents of a stream, each with its index in the file, after applying actions.
pub(crate) fn rule_documents(
    docs: Vec<Node>,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Vec<(u32, Node)> {
    let mut global: Option<Node> = None;
    // The previous rule, by its place in `out` (not a copy of every rule for the rare
    // `action: repeat`: the copies were ~1.4% of a Sigma build's instructions).
    let mut previous: Option<usize> = None;
    let mut out: Vec<(u32, Node)> = Vec::new();
    for (index, doc) in docs.into_iter().enumerate() {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        if doc.is_null() {
            continue; // an empty document (a trailing `---`)
        }
        let action = doc.get("action").and_then(Node::scalar_text);
        match action.as_deref() {
            Some("global") => {
                let doc = without_action(doc);
                global = Some(match global.take() {
                    Some(g) => merge(&g, &doc),
                    None => doc,
                });
            }
            Some("reset") => global = None,
            Some("repeat") => {
                let Some((_, prev)) = previous.and_then(|i| out.get(i)) else {
                    diags.push(diag::invalid_detection(
                        path,
                        "`action: repeat` with no previous rule",
                        doc.span,
                    ));
                    continue;
                };
                let rule = merge(prev, &without_action(doc));
                previous = Some(out.len());
                out.push((index, rule));
            }
            Some(other) => {
                if let Some(key) = doc
                    .as_map()
                    .and_then(|m| m.iter().find(|(k, _)| k.as_str() == Some("action")))
                {
                    diags.push(diag::unknown_action(path, other, key.1.span));
                }
            }
            None => {
                let rule = match &global {
                    Some(g) => merge(g, &doc),
                    None => doc,
                };
                previous = Some(out.len());
                out.push((index, rule));
            }
        }
    }
    out
}

fn without_action(mut doc: Node) -> Node {
    if let NodeValue::Map(entries) = &mut doc.value {
        entries.retain(|(k, _)| k.as_str() != Some("action"));
    }
    doc
}

/// Deep merge of mappings: `overlay` wins, nested mappings merge key by key. Recursion is
/// bounded by the YAML depth limit.
pub(crate) fn merge(base: &Node, overlay: &Node) -> Node {
    let (Some(b), Some(o)) = (base.as_map(), overlay.as_map()) else {
        return overlay.clone();
    };
    let mut entries: Vec<(Node, Node)> = b.to_vec();
    for (k, v) in o {
        let key = k.scalar_text();
        match entries
            .iter_mut()
            .find(|(bk, _)| key.is_some() && bk.scalar_text() == key)
        {
            Some((_, bv)) => *bv = merge(bv, v),
            None => entries.push((k.clone(), v.clone())),
        }
    }
    Node {
        value: NodeValue::Map(entries),
        span: overlay.span,
        quoted: false,
        raw: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use detcat_yaml::{Limits, parse_documents};

    fn docs(text: &str) -> Vec<(u32, Node)> {
        let mut diags = Vec::new();
        rule_documents(
            parse_documents(text, &Limits::default()).unwrap_or_default(),
            "p",
            &mut diags,
        )
    }

    #[test]
    fn global_reset_repeat() {
        let text = "action: global\ntitle: T\ndetection:\n  condition: sel\n---\nlogsource: {product: a}\ndetection:\n  sel: {x: 1}\n---\naction: repeat\nlogsource: {product: b}\n---\naction: reset\n---\ntitle: U\n";
        let rules = docs(text);
        assert_eq!(rules.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [1, 2, 4]);
        let first = &rules[0].1;
        assert_eq!(first.get("title").and_then(Node::as_str), Some("T"));
        assert!(
            first
                .get("detection")
                .and_then(|d| d.get("condition"))
                .is_some()
        );
        assert!(first.get("detection").and_then(|d| d.get("sel")).is_some());
        let repeated = &rules[1].1;
        assert_eq!(
            repeated
                .get("logsource")
                .and_then(|l| l.get("product"))
                .and_then(Node::as_str),
            Some("b")
        );
        assert!(
            repeated
                .get("detection")
                .and_then(|d| d.get("sel"))
                .is_some()
        );
        assert!(repeated.get("action").is_none());
        assert!(
            rules[2].1.get("detection").is_none(),
            "reset drops the global part"
        );
    }
}

//! The predicate tree of a rule for its page: the model's outline ([`Expr::outline`]) as
//! owned items a template turns into nested lists. What is an exclusion, what a group says,
//! how deep the tree goes — all of that is the model's; this only turns it into text.

use detcat_model::{Expr, OutlineItem, Value};

/// One item of a flattened tree.
#[derive(Debug, Clone, PartialEq)]
pub enum TreeItem {
    /// Opens a group: `label` (ALL OF, ANY OF, NOT, SEQUENCE, …), an optional detail line,
    /// and whether the group is an exclusion of the rule.
    Open {
        label: &'static str,
        detail: String,
        exclusion: bool,
    },
    Close,
    /// `field op values`.
    Pred {
        field: String,
        op: String,
        values: Vec<String>,
        notes: Vec<String>,
    },
    /// A field-less keyword search.
    Keyword {
        op: String,
        values: Vec<String>,
        notes: Vec<String>,
    },
    /// Text shown as code with a label (computed conditions, opaque parts, a cut tree).
    Code {
        label: &'static str,
        note: String,
        text: String,
    },
    /// A constant.
    Const {
        value: bool,
    },
}

/// The rule's tree as page items.
pub fn flatten(expr: &Expr) -> Vec<TreeItem> {
    expr.outline().into_iter().map(item).collect()
}

fn values(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|v| match v {
            // As the model's JSON writes it (`5.0`), not as Display would (`5`).
            Value::Float(f) => format!("{f:?}"),
            other => other.to_text(),
        })
        .collect()
}

fn item(i: OutlineItem<'_>) -> TreeItem {
    match i {
        OutlineItem::Open {
            label,
            detail,
            exclusion,
        } => TreeItem::Open {
            label,
            detail,
            exclusion,
        },
        OutlineItem::Close => TreeItem::Close,
        OutlineItem::Pred { predicate, notes } => TreeItem::Pred {
            field: predicate.field.clone(),
            op: predicate.op.as_str().to_owned(),
            values: values(&predicate.values),
            notes,
        },
        OutlineItem::Keyword { keyword, notes } => TreeItem::Keyword {
            op: keyword.op.as_str().to_owned(),
            values: values(&keyword.values),
            notes,
        },
        OutlineItem::Code { label, note, text } => TreeItem::Code { label, note, text },
        OutlineItem::Const { value } => TreeItem::Const { value },
    }
}

#[cfg(test)]
mod tests {
    use detcat_model::{Operator, Predicate};

    use super::*;

    #[test]
    fn predicates_keep_their_field_operator_values_and_notes() {
        let mut p = Predicate::new("Image", Operator::Wildcard, vec!["*\\x.exe".into()]);
        p.modifiers = vec!["endswith".into()];
        let e = Expr::and(vec![
            Expr::Pred(p),
            Expr::not(Expr::Pred(Predicate::new(
                "Count",
                Operator::Gt,
                vec![Value::Float(5.0)],
            ))),
        ]);
        let items = flatten(&e);
        assert!(matches!(
            &items[1],
            TreeItem::Pred { field, op, values, notes }
                if field == "Image" && op == "wildcard" && values == &["*\\x.exe"] && notes == &["modifiers: endswith"]
        ));
        assert!(matches!(
            &items[2],
            TreeItem::Open {
                label: "NOT",
                exclusion: true,
                ..
            }
        ));
        assert!(matches!(&items[3], TreeItem::Pred { values, .. } if values == &["5.0"]));
        assert_eq!(items.iter().filter(|i| **i == TreeItem::Close).count(), 2);
    }
}

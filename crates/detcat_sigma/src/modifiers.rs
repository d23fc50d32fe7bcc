//! Sigma value modifiers (`Field|mod1|mod2`) and their application to values, in order.

use std::borrow::Cow;

use detcat_model::{Operator, RegexFlags, Value};
use detcat_yaml::{Node, NodeValue};

use crate::encode::{self, Utf16};
use crate::value::{Part, SigmaString};

/// Most alternatives one value may expand into (`windash` is a cartesian product).
pub(crate) const MAX_EXPANSION: usize = 4096;

/// A value modifier of the Sigma specification v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Modifier {
    Contains,
    StartsWith,
    EndsWith,
    All,
    Base64,
    Base64Offset,
    Utf16(Utf16),
    Windash,
    Re,
    IgnoreCase,
    Multiline,
    DotAll,
    Cidr,
    Exists,
    FieldRef,
    Compare(Operator),
    Expand,
    Cased,
    /// `neq`: the whole item is negated.
    Neq,
}

impl Modifier {
    pub(crate) fn parse(name: &str) -> Option<Modifier> {
        Some(match name {
            "contains" => Modifier::Contains,
            "startswith" => Modifier::StartsWith,
            "endswith" => Modifier::EndsWith,
            "all" => Modifier::All,
            "base64" => Modifier::Base64,
            "base64offset" => Modifier::Base64Offset,
            "wide" | "utf16le" => Modifier::Utf16(Utf16::Le),
            "utf16be" => Modifier::Utf16(Utf16::Be),
            "utf16" => Modifier::Utf16(Utf16::LeBom),
            "windash" => Modifier::Windash,
            "re" => Modifier::Re,
            "i" | "ignorecase" => Modifier::IgnoreCase,
            "m" | "multiline" => Modifier::Multiline,
            "s" | "dotall" => Modifier::DotAll,
            "cidr" => Modifier::Cidr,
            "exists" => Modifier::Exists,
            "fieldref" => Modifier::FieldRef,
            "gt" => Modifier::Compare(Operator::Gt),
            "gte" => Modifier::Compare(Operator::Gte),
            "lt" => Modifier::Compare(Operator::Lt),
            "lte" => Modifier::Compare(Operator::Lte),
            "expand" => Modifier::Expand,
            "cased" => Modifier::Cased,
            "neq" => Modifier::Neq,
            _ => return None,
        })
    }
}

/// One value after modifiers: what it compares with and how.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// A string not yet read as a Sigma pattern (regex/cidr/fieldref read it raw).
    Raw(String),
    /// A Sigma pattern; `bytes` when its chars stand for bytes after a UTF-16 step.
    Str {
        s: SigmaString,
        bytes: bool,
    },
    /// Number, boolean or null compared for equality.
    Plain(Value),
    Regex(String),
    Cidr(String),
    Compare(Operator, Value),
    Exists(bool),
    FieldRef(String),
}

impl Item {
    /// The operator and model value of this item.
    pub(crate) fn to_model(&self) -> (Operator, Option<Value>) {
        match self {
            Item::Raw(raw) => {
                let (op, v) = SigmaString::parse(raw).to_model();
                (op, Some(v))
            }
            Item::Str { s, .. } => {
                let (op, v) = s.to_model();
                (op, Some(v))
            }
            Item::Plain(v) => (Operator::Eq, Some(v.clone())),
            Item::Regex(r) => (Operator::RegexMatch, Some(Value::Str(r.clone()))),
            Item::Cidr(c) => (Operator::Cidr, Some(Value::Str(c.clone()))),
            Item::Compare(op, v) => (*op, Some(v.clone())),
            Item::Exists(_) => (Operator::Exists, None),
            Item::FieldRef(f) => (Operator::FieldRef, Some(Value::Str(f.clone()))),
        }
    }
}

/// Modifiers applied to all values of one detection item.
#[derive(Debug, Clone, Default)]
pub(crate) struct Applied {
    /// Per original value, its alternatives (OR).
    pub(crate) values: Vec<Vec<Item>>,
    pub(crate) match_all: bool,
    pub(crate) case_sensitive: bool,
    pub(crate) regex_flags: RegexFlags,
    pub(crate) negate: bool,
}

/// The starting item for a YAML value node.
pub(crate) fn initial_item(node: &Node) -> Option<Item> {
    Some(match &node.value {
        NodeValue::Str(s) => Item::Raw(s.clone()),
        NodeValue::Int(i) => Item::Plain(Value::Int(*i)),
        NodeValue::Float(f) => Item::Plain(Value::Float(*f)),
        NodeValue::Bool(b) => Item::Plain(Value::Bool(*b)),
        NodeValue::Null => Item::Plain(Value::Null),
        NodeValue::Seq(_) | NodeValue::Map(_) => return None,
    })
}

/// Applies `mods` in source order to every value.
///
/// # Errors
/// A message when a modifier does not fit its value (base64 of a wildcard, `gt` of text…).
/// `values` are the initial items, each with its text as written (borrowed from the YAML
/// node: only numbers under a string modifier read it).
pub(crate) fn apply(
    mods: &[Modifier],
    values: Vec<(Item, Option<Cow<'_, str>>)>,
) -> Result<Applied, String> {
    let mut out = Applied::default();
    for m in mods {
        match m {
            Modifier::All => out.match_all = true,
            Modifier::Cased => out.case_sensitive = true,
            Modifier::IgnoreCase => out.regex_flags.ignore_case = true,
            Modifier::Multiline => out.regex_flags.multiline = true,
            Modifier::DotAll => out.regex_flags.dot_all = true,
            Modifier::Neq => out.negate = true,
            _ => {}
        }
    }
    for (item, written) in values {
        let mut alts = vec![item];
        for m in mods {
            let mut next = Vec::with_capacity(alts.len());
            for alt in alts {
                next.extend(apply_one(*m, alt, written.as_deref())?);
            }
            if next.len() > MAX_EXPANSION {
                return Err(format!(
                    "the modifiers expand one value into more than {MAX_EXPANSION} values"
                ));
            }
            alts = next;
        }
        out.values.push(alts.into_iter().map(finish).collect());
    }
    Ok(out)
}

fn finish(item: Item) -> Item {
    match item {
        Item::Raw(raw) => Item::Str {
            s: SigmaString::parse(&raw),
            bytes: false,
        },
        other => other,
    }
}

/// Turns raw text and numbers into a Sigma pattern for the string modifiers.
fn as_pattern(
    item: Item,
    written: Option<&str>,
    name: &str,
) -> Result<(SigmaString, bool), String> {
    match item {
        Item::Raw(raw) => Ok((SigmaString::parse(&raw), false)),
        Item::Str { s, bytes } => Ok((s, bytes)),
        // `EventID|contains: 10` compares the number's text, as written.
        Item::Plain(Value::Int(_) | Value::Float(_)) => {
            Ok((SigmaString::literal(written.unwrap_or_default()), false))
        }
        other => Err(format!("modifier '{name}' cannot apply to {other:?}")),
    }
}

fn raw_text(item: Item, written: Option<&str>, name: &str) -> Result<String, String> {
    match item {
        Item::Raw(raw) => Ok(raw),
        Item::Plain(Value::Int(_) | Value::Float(_) | Value::Bool(_)) => {
            Ok(written.unwrap_or_default().to_owned())
        }
        other => Err(format!("modifier '{name}' cannot apply to {other:?}")),
    }
}

fn apply_one(m: Modifier, item: Item, written: Option<&str>) -> Result<Vec<Item>, String> {
    let one = |item| Ok(vec![item]);
    match m {
        Modifier::All | Modifier::Cased | Modifier::Neq | Modifier::Expand => one(item),
        Modifier::IgnoreCase | Modifier::Multiline | Modifier::DotAll => match item {
            Item::Regex(_) => one(item),
            _ => Err("regular-expression flags need the 're' modifier first".to_owned()),
        },
        Modifier::Contains | Modifier::StartsWith | Modifier::EndsWith => match item {
            // A field reference keeps its name; the modifier is recorded on the predicate.
            Item::FieldRef(_) | Item::Regex(_) => one(item),
            other => {
                let (mut s, bytes) = as_pattern(other, written, "contains")?;
                if m != Modifier::EndsWith && !s.ends_with_any() {
                    s.parts.push(Part::AnyRun);
                }
                if m != Modifier::StartsWith && !s.starts_with_any() {
                    s.parts.insert(0, Part::AnyRun);
                }
                one(Item::Str { s, bytes })
            }
        },
        Modifier::Utf16(enc) => {
            let (s, _) = as_pattern(item, written, "wide")?;
            one(Item::Str {
                s: encode::utf16(&s, enc),
                bytes: true,
            })
        }
        Modifier::Base64 | Modifier::Base64Offset => {
            let (s, bytes) = as_pattern(item, written, "base64")?;
            if s.has_wildcards() {
                return Err("base64 encoding of a value with wildcards is not allowed".to_owned());
            }
            let raw = encode::to_bytes(&s.literal_text(), bytes);
            let encoded = if m == Modifier::Base64 {
                vec![encode::base64(&raw)]
            } else {
                encode::base64_offsets(&raw)
            };
            Ok(encoded
                .iter()
                .map(|e| Item::Str {
                    s: SigmaString::literal(e),
                    bytes: false,
                })
                .collect())
        }
        Modifier::Windash => {
            let (s, bytes) = as_pattern(item, written, "windash")?;
            let variants = encode::windash(&s, MAX_EXPANSION).ok_or_else(|| {
                format!("'windash' expands the value into more than {MAX_EXPANSION} values")
            })?;
            Ok(variants
                .into_iter()
                .map(|s| Item::Str { s, bytes })
                .collect())
        }
        Modifier::Re => one(Item::Regex(raw_text(item, written, "re")?)),
        Modifier::Cidr => one(Item::Cidr(raw_text(item, written, "cidr")?)),
        Modifier::FieldRef => one(Item::FieldRef(raw_text(item, written, "fieldref")?)),
        Modifier::Exists => match item {
            Item::Plain(Value::Bool(b)) => one(Item::Exists(b)),
            Item::Raw(r) if r.eq_ignore_ascii_case("true") || r.eq_ignore_ascii_case("false") => {
                one(Item::Exists(r.eq_ignore_ascii_case("true")))
            }
            other => Err(format!("'exists' needs true or false, not {other:?}")),
        },
        Modifier::Compare(op) => match item {
            Item::Plain(v @ (Value::Int(_) | Value::Float(_))) => one(Item::Compare(op, v)),
            Item::Raw(r) => match (r.trim().parse::<i64>(), r.trim().parse::<f64>()) {
                (Ok(i), _) => one(Item::Compare(op, Value::Int(i))),
                (_, Ok(f)) => one(Item::Compare(op, Value::Float(f))),
                _ => Err(format!("'{op}' needs a number, not '{r}'")),
            },
            other => Err(format!("'{op}' needs a number, not {other:?}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mods: &[&str], value: &str) -> Result<Vec<(Operator, Option<Value>)>, String> {
        let mods: Vec<Modifier> = mods.iter().filter_map(|m| Modifier::parse(m)).collect();
        let applied = apply(
            &mods,
            vec![(Item::Raw(value.to_owned()), Some(Cow::Borrowed(value)))],
        )?;
        Ok(applied
            .values
            .into_iter()
            .flatten()
            .map(|i| i.to_model())
            .collect())
    }

    fn s(op: Operator, v: &str) -> (Operator, Option<Value>) {
        (op, Some(Value::from(v)))
    }

    #[test]
    fn contains_startswith_endswith_make_patterns() -> Result<(), String> {
        assert_eq!(
            run(&["contains"], r"\x")?,
            [s(Operator::Wildcard, r"*\\x*")]
        );
        assert_eq!(run(&["startswith"], "x")?, [s(Operator::Wildcard, "x*")]);
        assert_eq!(
            run(&["endswith"], r"\x.exe")?,
            [s(Operator::Wildcard, r"*\\x.exe")]
        );
        assert_eq!(
            run(&["contains"], "*x")?,
            [s(Operator::Wildcard, "*x*")],
            "no doubled star"
        );
        Ok(())
    }

    #[test]
    fn stacked_wide_base64offset_contains() -> Result<(), String> {
        let got = run(&["wide", "base64offset", "contains"], "ab")?;
        // "a\0b\0" at offsets 0,1,2, each wrapped in stars.
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], s(Operator::Wildcard, "*YQBiA*"));
        Ok(())
    }

    #[test]
    fn base64_refuses_wildcards() {
        assert!(run(&["base64"], "a*").is_err());
        assert_eq!(run(&["base64"], "ab"), Ok(vec![s(Operator::Eq, "YWI=")]));
    }

    #[test]
    fn re_keeps_the_raw_text_and_flags_need_re() -> Result<(), String> {
        assert_eq!(
            run(&["re", "i"], r"^C:\\x\.exe$")?,
            [s(Operator::RegexMatch, r"^C:\\x\.exe$")]
        );
        assert!(run(&["i"], "x").is_err());
        Ok(())
    }

    #[test]
    fn other_operators() -> Result<(), String> {
        assert_eq!(
            run(&["cidr"], "10.0.0.0/8")?,
            [s(Operator::Cidr, "10.0.0.0/8")]
        );
        assert_eq!(
            run(&["fieldref"], "ParentUser")?,
            [s(Operator::FieldRef, "ParentUser")]
        );
        assert_eq!(run(&["gte"], "5")?, [(Operator::Gte, Some(Value::Int(5)))]);
        assert!(run(&["gt"], "five").is_err());
        assert_eq!(run(&["exists"], "true")?, [(Operator::Exists, None)]);
        assert_eq!(run(&["expand"], "%Admins%")?, [s(Operator::Eq, "%Admins%")]);
        assert_eq!(run(&["windash", "contains"], " -x")?.len(), 5);
        Ok(())
    }

    #[test]
    fn unknown_names_are_none() {
        assert_eq!(Modifier::parse("containz"), None);
        assert_eq!(Modifier::parse("utf16le"), Some(Modifier::Utf16(Utf16::Le)));
    }
}

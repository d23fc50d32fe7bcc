//! YAML 1.2 core-schema resolution of plain scalars.

use crate::NodeValue;

/// Resolves a plain (unquoted, non-block) scalar: null, booleans, integers (decimal, `0x`,
/// `0o`) and floats (including `.inf`/`.nan`). Anything else, and integers that do not fit an
/// `i64`, stay strings.
pub(crate) fn resolve_plain(text: &str) -> NodeValue {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return NodeValue::Null,
        "true" | "True" | "TRUE" => return NodeValue::Bool(true),
        "false" | "False" | "FALSE" => return NodeValue::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return NodeValue::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return NodeValue::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return NodeValue::Float(f64::NAN),
        _ => {}
    }
    if let Some(v) = resolve_int(text) {
        return v;
    }
    if is_core_float(text)
        && let Ok(f) = text.parse::<f64>()
    {
        return NodeValue::Float(f);
    }
    NodeValue::Str(text.to_owned())
}

fn resolve_int(text: &str) -> Option<NodeValue> {
    let radix_digits = |prefix: &str, radix: u32| {
        text.strip_prefix(prefix)
            .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_digit(radix)))
            .map(|d| i64::from_str_radix(d, radix).ok())
    };
    if let Some(parsed) = radix_digits("0x", 16).or_else(|| radix_digits("0o", 8)) {
        return Some(parsed.map_or_else(|| NodeValue::Str(text.to_owned()), NodeValue::Int));
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(
            text.parse::<i64>()
                .map_or_else(|_| NodeValue::Str(text.to_owned()), NodeValue::Int),
        );
    }
    None
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_core_float(text: &str) -> bool {
    let b = text.strip_prefix(['-', '+']).unwrap_or(text).as_bytes();
    let digits = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
    let int_len = digits(b);
    let mut i = int_len;
    let mut frac_len = 0;
    if b.get(i) == Some(&b'.') {
        frac_len = digits(b.get(i + 1..).unwrap_or_default());
        i += 1 + frac_len;
    }
    if int_len == 0 && frac_len == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let exp = digits(b.get(i..).unwrap_or_default());
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_schema_values() {
        assert_eq!(resolve_plain("~"), NodeValue::Null);
        assert_eq!(resolve_plain(""), NodeValue::Null);
        assert_eq!(resolve_plain("True"), NodeValue::Bool(true));
        assert_eq!(resolve_plain("4688"), NodeValue::Int(4688));
        assert_eq!(resolve_plain("-12"), NodeValue::Int(-12));
        assert_eq!(resolve_plain("0x10"), NodeValue::Int(16));
        assert_eq!(resolve_plain("0o17"), NodeValue::Int(15));
        assert_eq!(resolve_plain("1.5"), NodeValue::Float(1.5));
        assert_eq!(resolve_plain("1e3"), NodeValue::Float(1000.0));
        assert_eq!(resolve_plain(".5"), NodeValue::Float(0.5));
    }

    #[test]
    fn yaml_1_1_forms_stay_strings() {
        for s in [
            "yes", "no", "on", "0x", "1.2.3", "0b101", "1_000", "e5", ".", "12:30",
        ] {
            assert_eq!(resolve_plain(s), NodeValue::Str(s.to_owned()), "{s}");
        }
    }

    #[test]
    fn overflowing_integers_stay_strings() {
        let big = "99999999999999999999999";
        assert_eq!(resolve_plain(big), NodeValue::Str(big.to_owned()));
    }
}

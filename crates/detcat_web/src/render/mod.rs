//! Rendering helpers shared by the page templates: the predicate tree, ATT&CK rich text,
//! source highlighting, and the small numeric helpers behind shades and bars.

use std::borrow::Borrow;

pub mod highlight;
pub mod text;
pub mod threat;
pub mod tree;

/// The shade class (`shade-0` … `shade-4`) of a matrix cell with `n` rules.
pub fn shade(n: u64) -> &'static str {
    match n {
        0 => "shade-0",
        1..=2 => "shade-1",
        3..=9 => "shade-2",
        10..=29 => "shade-3",
        _ => "shade-4",
    }
}

/// A width class `w-0` … `w-20` (5% steps) for an inline bar of `part` out of `whole`: the CSP
/// forbids `style` attributes, so widths are classes of the stylesheet.
pub fn bar(part: impl Borrow<u64>, whole: impl Borrow<u64>) -> String {
    let (part, whole) = (*part.borrow(), *whole.borrow());
    if whole == 0 {
        return "w-0".to_owned();
    }
    let steps = (part.saturating_mul(20) + whole / 2) / whole;
    let steps = if part > 0 { steps.clamp(1, 20) } else { 0 };
    format!("w-{steps}")
}

/// `1234` → `1,234`.
pub fn thousands(n: impl Borrow<u64>) -> String {
    let s = n.borrow().to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `Sigma` for `sigma`.
pub fn vendor_name<V: AsRef<str> + ?Sized>(v: &V) -> &str {
    let v = v.as_ref();
    match detcat_model::Vendor::parse(v) {
        Some(vendor) => vendor.title(),
        None => v,
    }
}

/// `1 rule`, `4 rules`.
pub fn rules_word(n: impl Borrow<u64>) -> String {
    let n = *n.borrow();
    if n == 1 {
        "1 rule".to_owned()
    } else {
        format!("{} rules", thousands(n))
    }
}

/// At most `max` bytes of `s`, cut at a character boundary (long queries on rule pages).
pub fn clip(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A value as people read it: `None` for an ordinary value (shown as code), or the words
/// for what an empty value means under its operator (`exists` has no value to show).
pub fn value_word(operator: &str, value: &str) -> Option<&'static str> {
    match (operator, value) {
        ("exists", "") => Some("field present (any value)"),
        ("not exists", "") => Some("field absent"),
        (_, "") => Some("empty string"),
        (_, "null") => Some("null (no value)"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_cuts_at_char_boundaries() {
        assert_eq!(clip("abc", 10), "abc");
        assert_eq!(clip("aé", 2), "a");
    }

    #[test]
    fn empty_values_read_as_words() {
        assert_eq!(value_word("exists", ""), Some("field present (any value)"));
        assert_eq!(value_word("not exists", ""), Some("field absent"));
        assert_eq!(value_word("eq", ""), Some("empty string"));
        assert_eq!(value_word("eq", "regsvr32.exe"), None);
    }

    #[test]
    fn shades_and_bars() {
        assert_eq!(shade(0), "shade-0");
        assert_eq!(shade(2), "shade-1");
        assert_eq!(shade(30), "shade-4");
        assert_eq!(bar(0, 10), "w-0");
        assert_eq!(bar(1, 1000), "w-1");
        assert_eq!(bar(5, 10), "w-10");
        assert_eq!(bar(10, 10), "w-20");
        assert_eq!(bar(3, 0), "w-0");
    }

    #[test]
    fn numbers_and_words() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(rules_word(1), "1 rule");
        assert_eq!(rules_word(1200), "1,200 rules");
        assert_eq!(vendor_name("elastic"), "Elastic");
    }
}

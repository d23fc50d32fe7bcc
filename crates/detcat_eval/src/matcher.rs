//! Value matchers compiled once per predicate: literals pre-lowered, `*x*` patterns as
//! substring finders, other globs as anchored segments, the rest as regular expressions.

use std::net::IpAddr;

use detcat_model::wildcard::{self, Piece};
use memchr::memmem::Finder;
use regex::{Regex, RegexSet, RegexSetBuilder};

use crate::event::FieldValues;

/// One compiled string pattern (already lower-cased when the comparison ignores case).
#[derive(Debug, Clone)]
pub(crate) enum Pat {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(Box<Finder<'static>>),
    /// `*` alone: any value, even empty.
    Any,
    /// `a*b*c`: anchored first / last segments, middle ones found in order.
    Segments {
        first: String,
        middle: Vec<Finder<'static>>,
        last: String,
    },
    Regex(Regex),
    /// Several regular expressions of one field, any of which may match: one pass over the
    /// value instead of one per expression (see [`PatSet::new`]).
    RegexSet(Box<RegexSet>),
}

/// Longest regular expression compiled (bytes of the compiled program).
const REGEX_SIZE_LIMIT: usize = 1 << 22;

/// Compiles a regular expression with the given flags; `anchored` wraps it as a full match
/// (Lucene / EQL `regex` semantics). The flags are written into the pattern (`(?is)…`), so
/// its text alone means the same thing inside a [`RegexSet`].
pub(crate) fn regex(
    pattern: &str,
    ignore_case: bool,
    multiline: bool,
    dot_all: bool,
    anchored: bool,
) -> Result<Regex, String> {
    let flags: String = [(ignore_case, 'i'), (multiline, 'm'), (dot_all, 's')]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, f)| *f)
        .collect();
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!("(?{flags})")
    };
    let body = if anchored {
        format!("{flags}^(?:{pattern})$")
    } else {
        format!("{flags}{pattern}")
    };
    regex::RegexBuilder::new(&body)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("regular expression not supported: {e}"))
}

impl Pat {
    /// A literal compared whole.
    pub(crate) fn literal(text: &str, fold: bool) -> Pat {
        Pat::Exact(fold_case(text, fold))
    }

    /// A literal searched anywhere in the value.
    pub(crate) fn contains(text: &str, fold: bool) -> Pat {
        Pat::Contains(Box::new(
            Finder::new(fold_case(text, fold).as_bytes()).into_owned(),
        ))
    }

    /// A pattern in the model's wildcard syntax, matched against the whole value.
    pub(crate) fn glob(pattern: &str, fold: bool) -> Result<Pat, String> {
        let pieces = wildcard::pieces(pattern);
        let lit = |s: &String| fold_case(s, fold);
        Ok(match pieces.as_slice() {
            [] => Pat::Exact(String::new()),
            [Piece::Literal(a)] => Pat::Exact(lit(a)),
            [Piece::AnyRun] => Pat::Any,
            [Piece::Literal(a), Piece::AnyRun] => Pat::Prefix(lit(a)),
            [Piece::AnyRun, Piece::Literal(a)] => Pat::Suffix(lit(a)),
            [Piece::AnyRun, Piece::Literal(a), Piece::AnyRun] => Pat::contains(a, fold),
            _ if pieces.iter().any(|p| matches!(p, Piece::AnyChar)) => {
                Pat::Regex(regex(&glob_regex(&pieces), fold, false, true, true)?)
            }
            _ => segments(&pieces, fold),
        })
    }

    /// Does `value` (lower-cased when the pattern was) match?
    pub(crate) fn is_match(&self, value: &str) -> bool {
        match self {
            Pat::Exact(s) => value == s,
            Pat::Prefix(s) => value.starts_with(s.as_str()),
            Pat::Suffix(s) => value.ends_with(s.as_str()),
            Pat::Contains(f) => f.find(value.as_bytes()).is_some(),
            Pat::Any => true,
            Pat::Segments {
                first,
                middle,
                last,
            } => {
                if value.len() < first.len() + last.len()
                    || !value.starts_with(first.as_str())
                    || !value.ends_with(last.as_str())
                {
                    return false;
                }
                let mut rest = &value.as_bytes()[first.len()..value.len() - last.len()];
                for f in middle {
                    match f.find(rest) {
                        Some(at) => rest = &rest[at + f.needle().len()..],
                        None => return false,
                    }
                }
                true
            }
            Pat::Regex(r) => r.is_match(value),
            Pat::RegexSet(r) => r.is_match(value),
        }
    }
}

fn fold_case(s: &str, fold: bool) -> String {
    if fold { s.to_lowercase() } else { s.to_owned() }
}

/// `a*b*c` (no `?`): anchored head and tail, ordered middle parts.
fn segments(pieces: &[Piece], fold: bool) -> Pat {
    let mut parts: Vec<String> = vec![String::new()];
    for p in pieces {
        match p {
            Piece::Literal(s) => {
                if let Some(last) = parts.last_mut() {
                    last.push_str(&fold_case(s, fold));
                }
            }
            Piece::AnyRun | Piece::AnyChar => parts.push(String::new()),
        }
    }
    let last = if parts.len() > 1 {
        parts.pop().unwrap_or_default()
    } else {
        String::new()
    };
    let mut it = parts.into_iter();
    let first = it.next().unwrap_or_default();
    let middle = it
        .filter(|s| !s.is_empty())
        .map(|s| Finder::new(s.as_bytes()).into_owned())
        .collect();
    Pat::Segments {
        first,
        middle,
        last,
    }
}

fn glob_regex(pieces: &[Piece]) -> String {
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Literal(s) => out.push_str(&regex::escape(s)),
            Piece::AnyRun => out.push_str(".*"),
            Piece::AnyChar => out.push('.'),
        }
    }
    out
}

/// A set of patterns over one field, any (or with `all`, every) of which must match a value.
#[derive(Debug, Clone)]
pub(crate) struct PatSet {
    pub(crate) pats: Vec<Pat>,
    pub(crate) all: bool,
    /// Compare against the lower-cased values.
    pub(crate) fold: bool,
    /// A `null` value is among the alternatives: an absent or empty field matches.
    pub(crate) null: bool,
}

impl PatSet {
    /// A set over one field. With `any` semantics, its regular expressions (and globs that
    /// became ones) are compiled into one [`RegexSet`] when there are two or more: a value is
    /// then scanned once, not once per expression. A set too large to compile together keeps
    /// its expressions apart.
    pub(crate) fn new(pats: Vec<Pat>, all: bool, fold: bool, null: bool) -> PatSet {
        let regexes = pats.iter().filter(|p| matches!(p, Pat::Regex(_))).count();
        let pats = if all || regexes < 2 {
            pats
        } else {
            let sources = pats.iter().filter_map(|p| match p {
                Pat::Regex(r) => Some(r.as_str()),
                _ => None,
            });
            match RegexSetBuilder::new(sources)
                .size_limit(REGEX_SIZE_LIMIT * 4)
                .build()
            {
                Ok(set) => {
                    let mut rest: Vec<Pat> = pats
                        .into_iter()
                        .filter(|p| !matches!(p, Pat::Regex(_)))
                        .collect();
                    rest.push(Pat::RegexSet(Box::new(set)));
                    rest
                }
                Err(_) => pats,
            }
        };
        PatSet {
            pats,
            all,
            fold,
            null,
        }
    }

    pub(crate) fn matches(&self, vals: Option<&FieldValues>) -> bool {
        let Some(vals) = vals else {
            return self.null && (!self.all || self.pats.is_empty());
        };
        if self.null && vals.is_empty() && (!self.all || self.pats.is_empty()) {
            return true;
        }
        let values: &[String] = if self.fold {
            vals.lower()
        } else {
            &vals.values
        };
        let hit = |p: &Pat| values.iter().any(|v| p.is_match(v));
        if self.all {
            !self.pats.is_empty() && self.pats.iter().all(hit)
        } else {
            self.pats.iter().any(hit)
        }
    }
}

/// An IPv4 or IPv6 block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cidr {
    net: IpAddr,
    bits: u8,
}

impl Cidr {
    pub(crate) fn parse(text: &str) -> Option<Cidr> {
        let (addr, bits) = match text.trim().split_once('/') {
            Some((a, b)) => (a, b.parse::<u8>().ok()?),
            None => (text.trim(), 128),
        };
        let net: IpAddr = addr.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        Some(Cidr {
            net,
            bits: bits.min(max),
        })
    }

    pub(crate) fn contains(&self, value: &str) -> bool {
        let Ok(ip) = value.trim().parse::<IpAddr>() else {
            return false;
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => prefix_eq(
                u128::from(n.to_bits()),
                u128::from(i.to_bits()),
                32,
                self.bits,
            ),
            (IpAddr::V6(n), IpAddr::V6(i)) => prefix_eq(n.to_bits(), i.to_bits(), 128, self.bits),
            _ => false,
        }
    }
}

fn prefix_eq(a: u128, b: u128, width: u32, bits: u8) -> bool {
    let bits = u32::from(bits);
    if bits == 0 {
        return true;
    }
    let shift = width - bits.min(width);
    (a >> shift) == (b >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, value: &str) -> bool {
        Pat::glob(pattern, true)
            .map(|p| p.is_match(&value.to_lowercase()))
            .unwrap_or(false)
    }

    #[test]
    fn globs_of_every_shape() {
        assert!(m(r"*\\cmd.exe", r"C:\Windows\CMD.EXE"));
        assert!(m("*whoami*", "x WhoAmI /all"));
        assert!(m("net*user*add", "net.exe user bob /add"));
        assert!(!m("net*user*add", "net.exe user bob /add x"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "abbc"));
        assert!(m("*", ""));
        assert!(!m("ab*ba", "aba"), "head and tail may not overlap");
        assert!(m(r"a\*b", "a*b"));
        assert!(!m(r"a\*b", "axb"));
    }

    #[test]
    fn case_is_kept_when_sensitive() -> Result<(), String> {
        let p = Pat::glob("*Foo*", false)?;
        assert!(p.is_match("xFoo"));
        assert!(!p.is_match("xfoo"));
        Ok(())
    }

    #[test]
    fn cidr_blocks() {
        let c = Cidr::parse("10.0.0.0/8");
        assert!(c.is_some_and(|c| c.contains("10.1.2.3")));
        assert!(!Cidr::parse("10.0.0.0/8").is_some_and(|c| c.contains("11.0.0.1")));
        assert!(Cidr::parse("fe80::/10").is_some_and(|c| c.contains("fe80::1")));
        assert!(!Cidr::parse("fe80::/10").is_some_and(|c| c.contains("10.0.0.1")));
        assert!(Cidr::parse("0.0.0.0/0").is_some_and(|c| c.contains("1.2.3.4")));
        assert!(Cidr::parse("nonsense").is_none());
    }

    #[test]
    fn regexes_of_one_field_share_a_set_with_their_own_flags() -> Result<(), String> {
        let pats = vec![
            Pat::Regex(regex("ab+c", true, false, false, true)?),
            Pat::Regex(regex("^x.y$", false, false, true, false)?),
            Pat::glob("q?z", false)?,
            Pat::literal("plain", false),
        ];
        let set = PatSet::new(pats, false, false, false);
        assert_eq!(
            set.pats.len(),
            2,
            "three expressions in one set, the literal apart"
        );
        assert!(matches!(set.pats.last(), Some(Pat::RegexSet(_))));
        let m = |v: &str| {
            let vals = FieldValues::new(vec![v.to_owned()]);
            set.matches(Some(&vals))
        };
        assert!(m("ABBC"), "case-insensitive and anchored");
        assert!(!m("xABBC"), "anchored");
        assert!(m("x\ny"), "dot matches a line break");
        assert!(!m("X\ny"), "case kept");
        assert!(m("qAz"));
        assert!(m("plain"));
        assert!(!m("other"));
        // Every pattern must match: kept apart.
        let all = PatSet::new(
            vec![
                Pat::Regex(regex("a", false, false, false, false)?),
                Pat::Regex(regex("b", false, false, false, false)?),
            ],
            true,
            false,
            false,
        );
        assert_eq!(all.pats.len(), 2);
        Ok(())
    }

    #[test]
    fn anchored_regex_is_a_full_match() -> Result<(), String> {
        let r = regex("ab+", false, false, false, true)?;
        assert!(r.is_match("abb"));
        assert!(!r.is_match("xabb"));
        let r = regex("ab+", true, false, false, false)?;
        assert!(r.is_match("xABB"));
        assert!(regex("(?<=a)b", false, false, false, false).is_err());
        Ok(())
    }
}

//! The literal prefilter: which rules can possibly fire on an event, decided from the literals
//! their patterns require, with one Aho-Corasick pass over the event's values.
//!
//! For every rule a *need* is computed from its compiled tree: a set of literals at least one
//! of which occurs (lower-cased) in some value of any event on which the rule does not
//! evaluate to `false` — neither fires nor is undetermined. A rule without such a set
//! ([`Need::Always`]) is always tried. The literals of all rules go into one automaton; per
//! event it runs once over the lower-cased values of every raw and canonical field, and only
//! the rules whose need was met are evaluated. Skipping the others changes no verdict, so
//! results are the same as trying every rule on every event.
//!
//! Why the need is sound, node by node (`N ≠ false ⇒ a literal of need(N) occurs`):
//!
//! - a predicate's pattern set (any of): every pattern must carry a literal it requires
//!   (an exact value, a prefix, a suffix, a contained part, a glob segment), else no need;
//!   with `all`, the literal of any one pattern; a set that matches a `null` has no need;
//! - `and`: the need of any one item (every item is not `false` when the `and` is not);
//! - `or`: the union of its items' needs, none when one item has none;
//! - `not`, unknowns, computed and constant `true` parts: no need; constant `false`: the
//!   empty need (never).
//!
//! Case: patterns that fold case hold lower-cased literals and are compared with the
//! lower-cased values the automaton reads. A case-sensitive pattern's literal is used only
//! when it is ASCII, lower-cased: `to_lowercase` maps each ASCII character on its own, so a
//! value containing the literal lower-cases to one containing the lower-cased literal.
//! Regular expressions give no literal.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use std::collections::HashMap;

use crate::compile::{CPred, Node, Tables, Test};
use crate::event::Event;
use crate::matcher::{Pat, PatSet};

/// What an event must contain for a rule to be worth evaluating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Need {
    /// Nothing known: always evaluate.
    Always,
    /// At least one of these literals (ids into [`Prefilter`]); empty: the rule is never true.
    AnyOf(Vec<u32>),
}

/// Literals shorter than this are not worth a prefilter (`\`, `.`, `-` occur in most events).
const MIN_LITERAL: usize = 3;

/// The automaton over every rule's literals and each rule's need.
#[derive(Debug, Default)]
pub(crate) struct Prefilter {
    automaton: Option<AhoCorasick>,
    literals: usize,
}

/// Per-thread scratch: which literals the current event contains.
#[derive(Debug, Default)]
pub(crate) struct Hits {
    words: Vec<u64>,
    touched: Vec<usize>,
}

impl Hits {
    fn clear(&mut self) {
        for w in self.touched.drain(..) {
            if let Some(x) = self.words.get_mut(w) {
                *x = 0;
            }
        }
    }

    fn set(&mut self, id: usize) {
        let w = id / 64;
        if let Some(x) = self.words.get_mut(w) {
            if *x == 0 {
                self.touched.push(w);
            }
            *x |= 1 << (id % 64);
        }
    }

    fn get(&self, id: u32) -> bool {
        let id = id as usize;
        self.words
            .get(id / 64)
            .is_some_and(|x| x & (1 << (id % 64)) != 0)
    }

    /// Is `need` met by the event last scanned?
    pub(crate) fn meets(&self, need: &Need) -> bool {
        match need {
            Need::Always => true,
            Need::AnyOf(ids) => ids.iter().any(|i| self.get(*i)),
        }
    }
}

impl Prefilter {
    /// Builds the automaton over the needs of `trees`; returns it with each tree's need.
    pub(crate) fn build<'a>(
        trees: impl IntoIterator<Item = Option<(&'a Node, &'a Tables)>>,
    ) -> (Prefilter, Vec<Need>) {
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut needs = Vec::new();
        for tree in trees {
            let need = match tree.and_then(|(node, tables)| need(node, tables)) {
                None => Need::Always,
                Some(lits) => Need::AnyOf(
                    lits.into_iter()
                        .map(|l| {
                            *ids.entry(l).or_insert_with_key(|l| {
                                order.push(l.clone());
                                u32::try_from(order.len() - 1).unwrap_or(u32::MAX)
                            })
                        })
                        .collect(),
                ),
            };
            needs.push(need);
        }
        // An automaton that cannot be built (far beyond any corpus) means no prefilter.
        let automaton = (!order.is_empty())
            .then(|| {
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::Standard)
                    .build(&order)
                    .ok()
            })
            .flatten();
        if automaton.is_none() {
            needs.iter_mut().for_each(|n| *n = Need::Always);
        }
        let pf = Prefilter {
            automaton,
            literals: order.len(),
        };
        (pf, needs)
    }

    /// How many distinct literals the automaton holds.
    pub(crate) fn literals(&self) -> usize {
        self.literals
    }

    /// Scratch sized for this prefilter.
    pub(crate) fn hits(&self) -> Hits {
        Hits {
            words: vec![0; self.literals.div_ceil(64)],
            touched: Vec::new(),
        }
    }

    /// Records in `hits` the literals `event` contains.
    pub(crate) fn scan(&self, event: &Event, hits: &mut Hits) {
        hits.clear();
        let Some(ac) = &self.automaton else {
            return;
        };
        for value in event.lower_values() {
            for m in ac.find_overlapping_iter(value) {
                hits.set(m.pattern().as_usize());
            }
        }
    }
}

/// The literals one of which `node` needs to be other than `false`; `None`: no need known.
fn need(node: &Node, t: &Tables) -> Option<Vec<String>> {
    match node {
        Node::Pred(i) => t.preds.get(*i).and_then(pred_need),
        Node::Keyword(i) => t.keywords.get(*i).and_then(|k| set_need(&k.pats)),
        Node::And(items) => items
            .iter()
            .filter_map(|i| need(i, t))
            .min_by_key(|lits| rank(lits)),
        Node::Or(items) => {
            let mut out = Vec::new();
            for i in items {
                out.extend(need(i, t)?);
            }
            out.sort_unstable();
            out.dedup();
            Some(out)
        }
        Node::Const(false) => Some(Vec::new()),
        Node::Not(_) | Node::Const(true) | Node::Unknown(_) => None,
    }
}

/// Smaller is a more selective need: none at all first, then longer shortest literals, then
/// fewer literals.
fn rank(lits: &[String]) -> (usize, usize) {
    let shortest = lits.iter().map(String::len).min().unwrap_or(usize::MAX);
    (usize::MAX - shortest, lits.len())
}

fn pred_need(p: &CPred) -> Option<Vec<String>> {
    match &p.test {
        // A selector's values (`process`, `windows`) are in most events of its kind.
        Test::Pats(set) if !p.field.is_selector() => set_need(set),
        _ => None,
    }
}

fn set_need(set: &PatSet) -> Option<Vec<String>> {
    if set.null {
        return None;
    }
    let lits = set.pats.iter().map(|p| pat_literal(p, set.fold));
    if set.all {
        if set.pats.is_empty() {
            return Some(Vec::new());
        }
        lits.flatten().max_by_key(String::len).map(|l| vec![l])
    } else {
        lits.collect()
    }
}

/// A literal every value matching `pat` contains, lower-cased.
fn pat_literal(pat: &Pat, folded: bool) -> Option<String> {
    let lit: &str = match pat {
        Pat::Exact(s) | Pat::Prefix(s) | Pat::Suffix(s) => s,
        Pat::Contains(f) => std::str::from_utf8(f.needle()).ok()?,
        Pat::Segments {
            first,
            middle,
            last,
        } => middle
            .iter()
            .filter_map(|f| std::str::from_utf8(f.needle()).ok())
            .chain([first.as_str(), last.as_str()])
            .max_by_key(|s| s.len())?,
        Pat::Any | Pat::Regex(_) | Pat::RegexSet(_) => return None,
    };
    if lit.len() < MIN_LITERAL {
        return None;
    }
    if folded {
        Some(lit.to_owned())
    } else if lit.is_ascii() {
        Some(lit.to_ascii_lowercase())
    } else {
        None
    }
}

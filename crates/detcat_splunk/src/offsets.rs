//! Where each byte of a YAML string value sits in the file.
//!
//! A `search:` value may be single-quoted (`''` for `'`), double-quoted (`\"` escapes), plain
//! or folded over several lines (a newline and indentation read as one space). Greedy
//! alignment of the value against the raw scalar text recovers file offsets for every value
//! byte, so diagnostics point at the right line and column.

use detcat_model::Span;

/// File offsets of a scalar value's bytes.
#[derive(Debug, Clone)]
pub struct ValueOffsets {
    /// `positions[i]` is the file offset of value byte `i`; one extra entry for the end.
    positions: Vec<u32>,
}

/// How far the alignment may skip over quoting and folding before giving up.
const MAX_SKIP: usize = 256;

impl ValueOffsets {
    /// Aligns `value` with `file[scalar]`.
    pub fn new(file: &str, scalar: Span, value: &str) -> Self {
        let raw = file.as_bytes();
        let end = (scalar.end as usize).min(raw.len());
        let mut r = scalar.start as usize;
        // Block scalars: the content starts after the `|`/`>` header line.
        if matches!(raw.get(r), Some(b'|' | b'>')) {
            r = raw
                .get(r..end)
                .and_then(|s| s.iter().position(|b| *b == b'\n'))
                .map_or(r, |p| r + p + 1);
        }
        let mut positions = Vec::with_capacity(value.len() + 1);
        let mut lost = false;
        for &c in value.as_bytes() {
            if !lost {
                let found = (r..end.min(r + MAX_SKIP)).find(|&i| raw.get(i) == Some(&c));
                match found {
                    Some(i)
                        if raw.get(r..i).is_some_and(|skipped| {
                            skipped.iter().all(|b| b" \t\r\n'\"\\".contains(b))
                        }) =>
                    {
                        r = i
                    }
                    _ => lost = true,
                }
            }
            positions.push(u32::try_from(r).unwrap_or(u32::MAX));
            r += 1;
        }
        positions.push(u32::try_from(r.min(end.max(r))).unwrap_or(u32::MAX));
        Self { positions }
    }

    /// The file span of a value span.
    pub fn span(&self, span: Span) -> Span {
        let at = |i: usize| {
            self.positions
                .get(i)
                .or(self.positions.last())
                .copied()
                .unwrap_or(0) as usize
        };
        if span.is_empty() {
            let p = at(span.start as usize);
            return Span::new(p, p);
        }
        Span::new(at(span.start as usize), at(span.end as usize - 1) + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(file: &str, value: &str, needle: &str) {
        let start = file.find(": ").map_or(0, |i| i + 2);
        let offsets = ValueOffsets::new(file, Span::new(start, file.len()), value);
        let at = value.find(needle).unwrap_or(0);
        let span = offsets.span(Span::new(at, at + needle.len()));
        assert_eq!(
            &file[span.start as usize..span.end as usize],
            needle,
            "in {file:?}"
        );
    }

    #[test]
    fn aligns_quoted_plain_folded_and_block_scalars() {
        check(
            "search: 'a=1 | where b=''x'' | c=2'",
            "a=1 | where b='x' | c=2",
            "c=2",
        );
        check("search: \"a=\\\"q\\\" d=4\"", "a=\"q\" d=4", "d=4");
        check(
            "search: a=1\n  | where b=2\n  | c=3",
            "a=1 | where b=2 | c=3",
            "c=3",
        );
        check("search: |\n  a=1\n  | c=3\n", "a=1\n| c=3\n", "c=3");
    }

    #[test]
    fn out_of_range_is_clamped() {
        let o = ValueOffsets::new("x: y", Span::new(3, 4), "y");
        assert_eq!(o.span(Span::new(5, 9)), Span::new(4, 5));
    }
}

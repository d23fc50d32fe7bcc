//! Source files, byte spans and line/column lookup.

use serde::{Deserialize, Serialize};

/// One input file of a corpus, already read into memory.
///
/// `path` is relative to the corpus root and always uses `/` (e.g. `sigma/rules/windows/x.yml`),
/// so the same rule has the same path whether it came from disk or from the embedded demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
        }
    }
}

/// A byte range `start..end` in a rule's source file.
///
/// Spans are always relative to the whole file (not to an embedded query string), so a
/// diagnostic can be rendered with the file's [`LineIndex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        // Files are capped far below 4 GiB by the loaders; saturate rather than wrap.
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }

    /// The same span moved right by `base` bytes: for a query embedded at `base` in its file.
    pub fn offset(self, base: usize) -> Self {
        Self::new(self.start as usize + base, self.end as usize + base)
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The bytes `start..end` as a `usize` range.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The text under this span in `text`: empty when the span lies outside it or does not
    /// fall on character boundaries (spans of untrusted input are never trusted blindly).
    pub fn slice(self, text: &str) -> &str {
        text.get(self.range()).unwrap_or_default()
    }
}

/// A 1-based line and column (columns count Unicode scalar values, as editors do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// Byte offset → line/column for one text, computed once per file.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Self { line_starts }
    }

    /// Line and column of `offset` in `text` (the text this index was built from).
    /// Offsets past the end or inside a UTF-8 sequence are clamped, never a panic.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let offset = offset.min(text.len());
        let line = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let line_start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = text
            .get(line_start..offset)
            .map(|s| s.chars().count())
            .unwrap_or_else(|| offset.saturating_sub(line_start));
        LineCol {
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column + 1).unwrap_or(u32::MAX),
        }
    }
}

/// [`str::trim`] in `s`'s own buffer: most text read from rules has nothing to lose, and a
/// trimmed copy of each was an allocation per value.
pub fn trim_in_place(s: &mut String) {
    let end = s.trim_end().len();
    s.truncate(end);
    let start = s.len() - s.trim_start().len();
    if start > 0 {
        s.drain(..start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_in_place_as_str_trim_does() {
        for s in [
            "",
            " ",
            "plain",
            "  both  ",
            "\tlead",
            "trail\n",
            " ü ",
            "\u{3000}ideo\u{3000}",
        ] {
            let mut owned = s.to_owned();
            trim_in_place(&mut owned);
            assert_eq!(owned, s.trim(), "{s:?}");
        }
    }

    #[test]
    fn line_col_counts_from_one() {
        let text = "ab\ncd\n\nef";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(index.line_col(text, 4), LineCol { line: 2, column: 2 });
        assert_eq!(index.line_col(text, 6), LineCol { line: 3, column: 1 });
        assert_eq!(index.line_col(text, 8), LineCol { line: 4, column: 2 });
    }

    #[test]
    fn line_col_clamps_out_of_range_and_mid_char_offsets() {
        let text = "é\nx";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 1000), LineCol { line: 2, column: 2 });
        // Offset 1 is inside the two-byte 'é': no panic, a sensible column.
        assert_eq!(index.line_col(text, 1).line, 1);
    }

    #[test]
    fn span_offset_moves_both_ends() {
        assert_eq!(Span::new(2, 5).offset(10), Span::new(12, 15));
        assert_eq!(Span::new(5, 2), Span::new(5, 5));
    }
}

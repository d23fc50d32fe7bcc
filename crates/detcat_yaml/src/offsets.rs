//! Character index → byte offset conversion.
//!
//! saphyr markers count characters, detcat spans count bytes. Pure-ASCII text (almost every rule)
//! needs no table; otherwise a checkpoint every [`STRIDE`] characters bounds each lookup to a
//! short forward walk without storing one entry per character.

const STRIDE: usize = 64;

/// Converts saphyr character indexes into byte offsets of one text.
#[derive(Debug)]
pub(crate) struct CharToByte<'a> {
    text: &'a str,
    /// Byte offset of every `STRIDE`-th character; empty when the text is ASCII.
    checkpoints: Vec<usize>,
}

impl<'a> CharToByte<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let checkpoints = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices()
                .step_by(STRIDE)
                .map(|(b, _)| b)
                .collect()
        };
        Self { text, checkpoints }
    }

    /// Byte offset of character `index`; indexes past the end clamp to the text length.
    pub(crate) fn byte(&self, index: usize) -> usize {
        if self.checkpoints.is_empty() {
            return index.min(self.text.len());
        }
        let Some(&start) = self.checkpoints.get(index / STRIDE) else {
            return self.text.len();
        };
        let rest = index % STRIDE;
        self.text
            .get(start..)
            .and_then(|tail| tail.char_indices().nth(rest).map(|(b, _)| start + b))
            .unwrap_or(self.text.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_identity_and_clamps() {
        let c = CharToByte::new("abc");
        assert_eq!(c.byte(2), 2);
        assert_eq!(c.byte(99), 3);
    }

    #[test]
    fn multibyte_characters_shift_offsets() {
        let text = format!("{}é–x", "a".repeat(130));
        let c = CharToByte::new(&text);
        assert_eq!(c.byte(130), 130);
        assert_eq!(c.byte(131), 132, "é is two bytes");
        assert_eq!(c.byte(132), 135, "– is three bytes");
        assert_eq!(c.byte(133), text.len());
        assert_eq!(c.byte(1000), text.len());
    }
}

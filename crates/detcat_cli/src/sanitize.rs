//! A writer that shows control characters instead of sending them to the terminal.
//!
//! Rule text is untrusted: a title such as `"\e]0;pwned\a\e[2J"` printed raw retitles the
//! window and clears the screen (worse escapes exist). Every text the CLI prints goes through
//! [`Sanitized`], which writes each C0 control (but newline and tab), DEL and each C1 control
//! as a visible `\x..` escape. JSON output needs no such care: serde escapes controls.

use std::io::{self, Write};

/// Wraps a writer; see the module docs.
pub struct Sanitized<W: Write> {
    inner: W,
    /// The last byte written was 0xC2, the lead byte of a C1 control's UTF-8 encoding.
    pending_c2: bool,
}

impl<W: Write> Sanitized<W> {
    pub fn new(inner: W) -> Self {
        Sanitized {
            inner,
            pending_c2: false,
        }
    }
}

impl<W: Write> Write for Sanitized<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut out = Vec::with_capacity(buf.len());
        for &b in buf {
            if self.pending_c2 {
                self.pending_c2 = false;
                if (0x80..=0x9f).contains(&b) {
                    out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
                    continue;
                }
                out.push(0xc2);
            }
            match b {
                b'\n' | b'\t' => out.push(b),
                0x00..=0x1f | 0x7f => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
                0xc2 => self.pending_c2 = true,
                _ => out.push(b),
            }
        }
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.pending_c2) {
            self.inner.write_all(&[0xc2])?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Sanitized<W> {
    fn drop(&mut self) {
        // A broken pipe at exit is not worth reporting.
        let _ = self.flush();
    }
}

/// `text` with its control characters shown as escapes (for messages built as strings).
pub fn clean(text: &str) -> String {
    let mut out = Sanitized::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    String::from_utf8_lossy(&std::mem::take(&mut out.inner)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_are_shown_not_sent() {
        assert_eq!(
            clean("a\x1b]0;pwned\x07\x1b[2Jb"),
            "a\\x1b]0;pwned\\x07\\x1b[2Jb"
        );
    }

    #[test]
    fn c1_controls_are_escaped_and_other_text_kept() {
        assert_eq!(clean("x\u{9b}2Jy"), "x\\x9b2Jy");
        assert_eq!(clean("é – ü\n\tok"), "é – ü\n\tok");
        assert_eq!(clean("\u{7f}"), "\\x7f");
    }

    #[test]
    fn a_c1_lead_byte_split_across_writes_is_still_caught() {
        let mut s = Sanitized::new(Vec::new());
        s.write_all(&[b'a', 0xc2]).unwrap();
        s.write_all(&[0x9b, b'b']).unwrap();
        s.flush().unwrap();
        assert_eq!(std::mem::take(&mut s.inner), b"a\\x9bb");
    }
}

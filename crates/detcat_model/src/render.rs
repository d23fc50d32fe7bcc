//! The one diagnostic renderer: `severity[code]: message`, `--> path:line:col`, the source
//! line and carets under the span. The CLI, the rule page and the fixture snapshots use it.
//!
//! ```
//! use detcat_model::{Diagnostic, Span, render};
//!
//! let text = "title: x\nlevel: [high]\n";
//! let d = Diagnostic::warning("sigma::wrong-type", "`level` must be a string", "r.yml", Some(Span::new(16, 22)));
//! assert_eq!(
//!     render::diagnostic(&d, Some(text)),
//!     "  warning[sigma::wrong-type]: `level` must be a string\n    --> r.yml:2:8\n     | level: [high]\n     |        ^^^^^^\n"
//! );
//! ```

use std::fmt::Write;

use crate::{Diagnostic, LineIndex, Span};

/// Where a diagnostic points: 1-based line and column, and how many characters to underline
/// (at least one, at most to the end of the line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caret {
    pub line: u32,
    pub column: u32,
    pub width: u32,
}

impl Caret {
    /// The caret of `span` in `text`; `index` is `text`'s line index.
    pub fn of(span: Span, text: &str, index: &LineIndex) -> Caret {
        let start = index.line_col(text, span.start as usize);
        let end = index.line_col(text, span.end as usize);
        let width = if end.line == start.line {
            end.column.saturating_sub(start.column)
        } else {
            // A span over several lines is underlined to the end of its first line.
            line_of(text, start.line).map_or(1, |l| {
                (l.chars().count() as u32 + 1).saturating_sub(start.column)
            })
        };
        Caret {
            line: start.line,
            column: start.column,
            width: width.max(1),
        }
    }
}

fn line_of(text: &str, line: u32) -> Option<&str> {
    text.lines().nth(line.saturating_sub(1) as usize)
}

/// Renders one diagnostic from its parts (a stored diagnostic has line and column but no
/// span: pass `width` 1). Without `source`, or when the line is not in it, only the header
/// and the location are written.
pub fn parts(
    severity: &str,
    code: &str,
    message: &str,
    path: &str,
    at: Option<Caret>,
    source: Option<&str>,
) -> String {
    let mut s = format!("  {severity}[{code}]: {message}\n");
    let Some(at) = at else {
        let _ = writeln!(s, "    --> {path}");
        return s;
    };
    let _ = writeln!(s, "    --> {path}:{}:{}", at.line, at.column);
    if let Some(line) = source.and_then(|src| line_of(src, at.line)) {
        let _ = writeln!(s, "     | {line}");
        let _ = writeln!(
            s,
            "     | {}{}",
            " ".repeat(at.column.saturating_sub(1) as usize),
            "^".repeat(at.width.max(1) as usize)
        );
    }
    s
}

/// Renders a model diagnostic against the text of its file.
pub fn diagnostic(d: &Diagnostic, source: Option<&str>) -> String {
    let at = match (d.span, source) {
        (Some(span), Some(text)) => Some(Caret::of(span, text, &LineIndex::new(text))),
        _ => None,
    };
    let severity = match d.severity {
        crate::Severity::Error => "error",
        crate::Severity::Warning => "warning",
        crate::Severity::Info => "info",
    };
    parts(severity, &d.code, &d.message, &d.path, at, source)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carets_count_characters_and_stop_at_the_line_end() {
        let text = "é: x\nkey: [a,\n  b]\n";
        let index = LineIndex::new(text);
        // `x` after a two-byte character is column 4.
        let x = text.find('x').unwrap_or_default();
        assert_eq!(
            Caret::of(Span::new(x, x + 1), text, &index),
            Caret {
                line: 1,
                column: 4,
                width: 1
            }
        );
        let open = text.find('[').unwrap_or_default();
        let close = text.find(']').unwrap_or_default() + 1;
        let c = Caret::of(Span::new(open, close), text, &index);
        assert_eq!(
            (c.line, c.column, c.width),
            (2, 6, 3),
            "`[a,` to the line end"
        );
    }

    #[test]
    fn out_of_range_spans_and_missing_lines_never_panic() {
        let d = Diagnostic::error("x::y", "m", "p", Some(Span::new(90, 99)));
        let out = diagnostic(&d, Some("short"));
        assert!(out.starts_with("  error[x::y]: m\n    --> p:1:"));
        assert_eq!(
            parts(
                "error",
                "c",
                "m",
                "p",
                Some(Caret {
                    line: 7,
                    column: 1,
                    width: 1
                }),
                Some("a")
            ),
            "  error[c]: m\n    --> p:7:1\n"
        );
        assert_eq!(diagnostic(&d, None), "  error[x::y]: m\n    --> p\n");
    }
}

//! Simple, safe syntax highlighting of rule source files (YAML, TOML), done on the server.
//!
//! Each line becomes spans of a fixed set of classes; the text of every span is escaped by the
//! template. The highlighter only has to be pleasant, not exact: it never drops or reorders
//! text (the spans of a line concatenate to the line).

/// The style of a span; `class()` names the CSS class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Key,
    Str,
    Comment,
    Punct,
    Section,
}

impl Style {
    pub fn class(self) -> &'static str {
        match self {
            Style::Plain => "",
            Style::Key => "k",
            Style::Str => "s",
            Style::Comment => "c",
            Style::Punct => "p",
            Style::Section => "h",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub style: Style,
    pub text: String,
}

/// Highlighted lines (files with more lines are cut; the page says so).
pub const MAX_LINES: usize = 1_500;

/// Highlights `source`, choosing TOML rules for `.toml` paths and YAML rules otherwise.
pub fn highlight(path: &str, source: &str) -> Vec<Vec<Span>> {
    let toml = path.to_ascii_lowercase().ends_with(".toml");
    let mut in_multiline = false;
    source
        .lines()
        .take(MAX_LINES)
        .map(|line| {
            if toml {
                toml_line(line, &mut in_multiline)
            } else {
                yaml_line(line)
            }
        })
        .collect()
}

fn span(style: Style, text: &str) -> Span {
    Span {
        style,
        text: text.to_owned(),
    }
}

/// Byte index of a `#` comment start outside quotes (`#` must follow white space or begin
/// the text).
fn comment_start(s: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut prev_space = true;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if prev_space => return Some(i),
            _ => {}
        }
        prev_space = c.is_whitespace();
    }
    None
}

fn value_spans(v: &str, out: &mut Vec<Span>) {
    if v.is_empty() {
        return;
    }
    let (body, comment) = match comment_start(v) {
        Some(i) => (v.get(..i).unwrap_or(v), v.get(i..).unwrap_or("")),
        None => (v, ""),
    };
    let trimmed = body.trim_start();
    let style =
        if trimmed.starts_with('"') || trimmed.starts_with('\'') || trimmed.starts_with("\"\"\"") {
            Style::Str
        } else if trimmed.starts_with('|')
            || trimmed.starts_with('>')
            || trimmed.starts_with('[')
            || trimmed.starts_with('{')
        {
            Style::Punct
        } else {
            Style::Str
        };
    if !body.is_empty() {
        out.push(span(style, body));
    }
    if !comment.is_empty() {
        out.push(span(Style::Comment, comment));
    }
}

fn yaml_line(line: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let indent_len = line.len() - line.trim_start().len();
    let (indent, rest) = line.split_at(indent_len);
    if !indent.is_empty() {
        out.push(span(Style::Plain, indent));
    }
    if rest.starts_with('#') {
        out.push(span(Style::Comment, rest));
        return out;
    }
    let mut rest = rest;
    if let Some(after) = rest
        .strip_prefix("- ")
        .or_else(|| (rest == "-").then_some(""))
    {
        out.push(span(
            Style::Punct,
            rest.get(..rest.len() - after.len()).unwrap_or("-"),
        ));
        rest = after;
    }
    // A key is text up to `: ` (or a final `:`) that does not start with a quote or bracket.
    let key_end = if rest.starts_with(['"', '\'', '[', '{', '|', '>']) {
        None
    } else {
        rest.find(": ")
            .or_else(|| rest.strip_suffix(':').map(str::len))
    };
    match key_end {
        Some(k) => {
            out.push(span(Style::Key, rest.get(..k).unwrap_or("")));
            out.push(span(Style::Punct, ":"));
            value_spans(rest.get(k + 1..).unwrap_or(""), &mut out);
        }
        None => value_spans(rest, &mut out),
    }
    out
}

fn toml_line(line: &str, in_multiline: &mut bool) -> Vec<Span> {
    if *in_multiline {
        if line.contains("\"\"\"") || line.contains("'''") {
            *in_multiline = false;
        }
        return vec![span(Style::Str, line)];
    }
    let t = line.trim_start();
    if t.starts_with('#') {
        return vec![span(Style::Comment, line)];
    }
    if t.starts_with('[') {
        return vec![span(Style::Section, line)];
    }
    let mut out = Vec::new();
    match line.find('=') {
        Some(eq) if !line.get(..eq).unwrap_or("").contains('"') => {
            out.push(span(Style::Key, line.get(..eq).unwrap_or("")));
            out.push(span(Style::Punct, "="));
            let value = line.get(eq + 1..).unwrap_or("");
            let opens = value.matches("\"\"\"").count() + value.matches("'''").count();
            if opens % 2 == 1 {
                *in_multiline = true;
            }
            value_spans(value, &mut out);
        }
        _ => value_spans(line, &mut out),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(lines: &[Vec<Span>]) -> String {
        lines
            .iter()
            .map(|l| l.iter().map(|s| s.text.as_str()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn yaml_keys_values_comments_and_lists() {
        let src = "title: Evil <b>\ndetection:\n  selection:\n    - 'a: b' # note\n  # whole\n  x: \"#not comment\"";
        let lines = highlight("rules/x.yml", src);
        assert_eq!(joined(&lines), src, "no text is lost");
        assert_eq!(lines[0][0], span(Style::Key, "title"));
        assert_eq!(lines[0][2], span(Style::Str, " Evil <b>"));
        assert!(
            lines[3]
                .iter()
                .any(|s| s.style == Style::Comment && s.text == "# note")
        );
        assert!(
            lines[3].iter().all(|s| s.style != Style::Key),
            "a quoted list item holds no key"
        );
        assert_eq!(lines[4][1].style, Style::Comment);
        assert!(lines[5].iter().all(|s| s.style != Style::Comment));
    }

    #[test]
    fn toml_sections_keys_and_multiline_strings() {
        let src = "[rule]\nname = \"x\"\nquery = '''\nprocess where a == \"b\" # c\n'''\nrisk = 21";
        let lines = highlight("rules/x.toml", src);
        assert_eq!(joined(&lines), src);
        assert_eq!(lines[0][0].style, Style::Section);
        assert_eq!(lines[1][0], span(Style::Key, "name "));
        assert_eq!(
            lines[3],
            vec![span(Style::Str, "process where a == \"b\" # c")]
        );
        assert_eq!(lines[5][0], span(Style::Key, "risk "));
    }
}

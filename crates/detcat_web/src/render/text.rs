//! ATT&CK descriptions as safe rich text: paragraphs of plain text, `[n]` citation markers,
//! `<code>…</code>` and Markdown backtick spans and Markdown `[text](url)` links. Everything else stays text; the
//! template escapes every piece, so no markup from the data ever reaches the page as markup.

use crate::links::external_url;

/// One piece of a paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Text(String),
    /// A citation number, linking to the numbered reference list.
    Cite(u32),
    Code(String),
    Link {
        text: String,
        url: String,
    },
}

/// Paragraphs of segments.
pub fn rich(text: &str) -> Vec<Vec<Seg>> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| segments(&p.replace('\n', " ")))
        .collect()
}

fn segments(p: &str) -> Vec<Seg> {
    segments_by(p, text_run)
}

/// The length of the text at the start of `rest`, which `special` found no construct at: up
/// to the next byte that can start one (`special` starts only at `<`, a backtick or `[`, all
/// ASCII, so the run ends on a character boundary).
fn text_run(rest: &str, first: char) -> usize {
    let first = first.len_utf8();
    rest.get(first..)
        .and_then(|r| r.find(['<', '`', '[']))
        .map_or(rest.len(), |i| first + i)
}

/// The segments of `p`, its text taken `run` bytes at a time where no construct starts.
fn segments_by(p: &str, run: fn(&str, char) -> usize) -> Vec<Seg> {
    let mut out: Vec<Seg> = Vec::new();
    let mut text = String::new();
    let mut rest = p;
    while let Some(c) = rest.chars().next() {
        if let Some((seg, len)) = special(rest) {
            if !text.is_empty() {
                out.push(Seg::Text(std::mem::take(&mut text)));
            }
            out.push(seg);
            rest = rest.get(len..).unwrap_or("");
        } else {
            let end = run(rest, c);
            text.push_str(rest.get(..end).unwrap_or(rest));
            rest = rest.get(end..).unwrap_or("");
        }
    }
    if !text.is_empty() {
        out.push(Seg::Text(text));
    }
    out
}

/// A special construct at the start of `s`, with its byte length.
fn special(s: &str) -> Option<(Seg, usize)> {
    if let Some(body) = s.strip_prefix("<code>") {
        let end = body.find("</code>")?;
        return Some((
            Seg::Code(body.get(..end)?.to_owned()),
            "<code>".len() + end + "</code>".len(),
        ));
    }
    if let Some(body) = s.strip_prefix('`') {
        let end = body.find('`').filter(|e| *e > 0)?;
        return Some((Seg::Code(body.get(..end)?.to_owned()), end + 2));
    }
    let body = s.strip_prefix('[')?;
    let close = body.find(']')?;
    let inner = body.get(..close)?;
    let after = body.get(close + 1..)?;
    if let Some(url_part) = after.strip_prefix('(') {
        let end = url_part.find(')')?;
        let url = url_part.get(..end)?;
        let len = 1 + close + 1 + 1 + end + 1;
        return Some(match external_url(url) {
            Some(u) => (
                Seg::Link {
                    text: inner.to_owned(),
                    url: u.to_owned(),
                },
                len,
            ),
            None => (Seg::Text(inner.to_owned()), len),
        });
    }
    if !inner.is_empty() && inner.len() <= 4 && inner.bytes().all(|b| b.is_ascii_digit()) {
        return Some((Seg::Cite(inner.parse().ok()?), 1 + close + 1));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_code_and_links() {
        let p = rich(
            "Use <code>regsvr32</code> to load COM.[1][2] See [docs](https://x.test/a).\n\nSecond [x](javascript:alert(1)) [note]",
        );
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0],
            vec![
                Seg::Text("Use ".into()),
                Seg::Code("regsvr32".into()),
                Seg::Text(" to load COM.".into()),
                Seg::Cite(1),
                Seg::Cite(2),
                Seg::Text(" See ".into()),
                Seg::Link {
                    text: "docs".into(),
                    url: "https://x.test/a".into()
                },
                Seg::Text(".".into()),
            ]
        );
        assert_eq!(p[1][1], Seg::Text("x".into()));
        assert!(matches!(p[1].last(), Some(Seg::Text(t)) if t.ends_with("[note]")));
    }

    #[test]
    fn backtick_spans_are_code() {
        assert_eq!(
            rich("run `dllhost.exe` now"),
            vec![vec![
                Seg::Text("run ".into()),
                Seg::Code("dllhost.exe".into()),
                Seg::Text(" now".into())
            ]]
        );
        assert_eq!(rich("a `` b"), vec![vec![Seg::Text("a `` b".into())]]);
    }

    /// Text is taken a run at a time up to the next `<`, backtick or `[`: the same segments
    /// as trying a construct at every character.
    #[test]
    fn runs_of_text_split_as_character_by_character() {
        let one_at_a_time = |p: &str| segments_by(p, |_, c| c.len_utf8());
        let pieces = [
            "é",
            "a",
            " ",
            "[1]",
            "[",
            "]",
            "<code>x</code>",
            "<code>",
            "<",
            "`",
            "`y`",
            "[t](https://x.test)",
            "(",
            ")",
            "日本",
            "[12345]",
            "[é](",
            "``",
        ];
        // Every string of three pieces.
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let p = format!("{a}{b}{c}");
                    assert_eq!(segments(&p), one_at_a_time(&p), "{p:?}");
                }
            }
        }
    }

    #[test]
    fn unclosed_constructs_stay_text() {
        let p = rich("a <code>b [1 [é](");
        assert_eq!(p, vec![vec![Seg::Text("a <code>b [1 [é](".into())]]);
    }
}

//! String literals over the real Elastic corpus (`DETCAT_CORPUS=/work/shared/corpus`): every
//! string value the parser puts into a predicate of an active KQL or EQL rule must be a
//! literal of the query as an independent decoder, written here from the grammars, reads it.
//!
//! - KQL quoted strings (Kibana's kuery.peg `QuotedCharacter`, detection-rules' kql.g):
//!   `\t` `\r` `\n` `\uXXXX` `\\` `\"` are escapes; any other backslash is kept.
//! - KQL unquoted terms: `\` escapes whitespace letters, specials `\():<>"*{}` and keywords.
//! - EQL (python `eql` grammar, Elasticsearch syntax): `"…"` with `\b \t \n \f \r \" \' \\`
//!   and `\u{hex}`; `"""…"""` raw; legacy `?"…"` unescapes only `\"`.
//!
//! A value that lost a backslash (`C:WindowsSystem32…` for `"C:\Windows\System32…"`) is no
//! decoded literal and no text of the query, so the test names the rule.

#[path = "common/corpus_env.rs"]
mod corpus_env;
#[path = "../examples/common/corpus_util.rs"]
mod corpus_util;

use detcat_model::{Expr, Language, Lifecycle, Operator, Value, wildcard};

/// Kibana's quoted-string decoding, from the grammar.
fn kql_quoted(body: &[char]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = body.get(i) {
        i += 1;
        if c != '\\' {
            out.push(c);
            continue;
        }
        match body.get(i) {
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some(&e @ ('\\' | '"')) => out.push(e),
            Some('u') => {
                let hex: String = body.iter().skip(i + 1).take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) if hex.len() == 4 => {
                        out.push(ch);
                        i += 4;
                    }
                    _ => {
                        out.push('\\');
                        continue;
                    }
                }
            }
            _ => {
                out.push('\\');
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Every quoted string of a KQL query, decoded.
fn kql_literals(query: &str) -> Vec<String> {
    let chars: Vec<char> = query.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '\\' => i += 2,
            '"' => {
                let start = i + 1;
                let mut j = start;
                while let Some(&d) = chars.get(j) {
                    match d {
                        '\\' => j += 2,
                        '"' => break,
                        _ => j += 1,
                    }
                }
                let end = j.min(chars.len());
                out.push(kql_quoted(chars.get(start..end).unwrap_or(&[])));
                i = j + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// The query with KQL's unquoted escapes resolved (where unquoted terms are read from).
fn kql_unquoted_text(query: &str) -> String {
    let mut out = String::new();
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some(&n)) if "\\():<>\"*{}".contains(n) => {
                out.push(n);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    squash(&out)
}

/// Every string literal of an EQL query, decoded (comments skipped).
fn eql_literals(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = query;
    while let Some(c) = rest.chars().next() {
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.find('\n').and_then(|i| r.get(i..)).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").and_then(|i| r.get(i + 2..)).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix("\"\"\"") {
            let end = r.find("\"\"\"").unwrap_or(r.len());
            let mut close = end;
            while r.get(close + 3..close + 4) == Some("\"") {
                close += 1;
            }
            out.push(r.get(..close).unwrap_or("").to_owned());
            rest = r.get(close + 3..).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix("?\"") {
            let (lit, after) = eql_quoted(r, true);
            out.push(lit);
            rest = after;
        } else if let Some(r) = rest.strip_prefix('"') {
            let (lit, after) = eql_quoted(r, false);
            out.push(lit);
            rest = after;
        } else {
            rest = rest.get(c.len_utf8()..).unwrap_or("");
        }
    }
    out
}

/// One `"…"` body (after the quote): decoded value and the text after the closing quote.
fn eql_quoted(body: &str, legacy_raw: bool) -> (String, &str) {
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, body.get(i + 1..).unwrap_or("")),
            '\\' if legacy_raw => match body.get(i + 1..i + 2) {
                Some("\"") => {
                    chars.next();
                    out.push('"');
                }
                _ => out.push('\\'),
            },
            '\\' => match chars.next().map(|(_, n)| n) {
                Some('b') => out.push('\u{8}'),
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('f') => out.push('\u{c}'),
                Some('r') => out.push('\r'),
                Some(e @ ('"' | '\'' | '\\')) => out.push(e),
                Some('u') => {
                    let hex: String = chars
                        .by_ref()
                        .map(|(_, h)| h)
                        .skip(1)
                        .take_while(|h| *h != '}')
                        .collect();
                    let ch = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                    out.push(ch.unwrap_or('\u{fffd}'));
                }
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            other => out.push(other),
        }
    }
    (out, "")
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A model value as the rule author wrote its characters: wildcards as `*` / `?`.
fn rendered(op: Operator, value: &str) -> String {
    if op != Operator::Wildcard {
        return value.to_owned();
    }
    wildcard::pieces(value)
        .into_iter()
        .map(|p| match p {
            wildcard::Piece::Literal(s) => s,
            wildcard::Piece::AnyRun => "*".into(),
            wildcard::Piece::AnyChar => "?".into(),
        })
        .collect()
}

/// Is `v` one of the literals, possibly shaped by `startsWith`/`endsWith`/`stringContains`?
fn backed(v: &str, literals: &[String]) -> bool {
    literals.iter().any(|d| {
        v == d
            || v.strip_suffix('*') == Some(d)
            || v.strip_prefix('*') == Some(d)
            || v.strip_prefix('*').and_then(|x| x.strip_suffix('*')) == Some(d)
    })
}

/// The string values of the predicates and keyword searches that come from the query.
fn query_values(expr: &Expr, range: &std::ops::Range<usize>) -> Vec<String> {
    let mut out = Vec::new();
    let inside = |s: Option<detcat_model::Span>| {
        s.is_some_and(|s| range.contains(&(s.start as usize)) && s.end as usize <= range.end)
    };
    for e in expr.walk() {
        let (op, values, span) = match e {
            Expr::Pred(p) if p.op != Operator::FieldRef => (p.op, &p.values, p.span),
            Expr::Keyword(k) => (k.op, &k.values, k.span),
            _ => continue,
        };
        if !inside(span) {
            continue;
        }
        for v in values {
            if let Value::Str(s) = v {
                out.push(rendered(op, s));
            }
        }
    }
    out
}

#[test]
fn every_kql_and_eql_string_value_is_a_decoded_literal() {
    let Some(dir) = corpus_env::elastic_dir() else {
        return;
    };
    let files = corpus_util::read_corpus(&dir);
    let outcomes = detcat_elastic::parse_files(&files);
    let (mut checked, mut rules) = (0usize, 0usize);
    let mut lost = Vec::new();
    for (file, o) in files.iter().zip(&outcomes) {
        for r in &o.rules {
            if r.lifecycle != Lifecycle::Active
                || !matches!(r.language, Language::Kuery | Language::Eql)
            {
                continue;
            }
            let Some(loc) = detcat_elastic::locate::locate(&file.text, "query", &r.query) else {
                lost.push(format!("{}: query not located", r.path));
                continue;
            };
            let range = loc.to_file(0)..loc.to_file(r.query.len()).max(loc.to_file(0) + 1);
            let (literals, unquoted) = match r.language {
                Language::Eql => (eql_literals(&r.query), String::new()),
                _ => (kql_literals(&r.query), kql_unquoted_text(&r.query)),
            };
            rules += 1;
            for v in query_values(&r.expr, &range) {
                checked += 1;
                // KQL unquoted terms are read from the query text itself.
                let term = r.language == Language::Kuery && unquoted.contains(&squash(&v));
                if !backed(&v, &literals) && !term {
                    lost.push(format!("{} ({}): {v:?}", r.path, r.id));
                }
            }
        }
    }
    println!("{checked} string values of {rules} active KQL/EQL rules checked");
    assert!(checked > 10_000, "too few values checked: {checked}");
    assert!(
        lost.is_empty(),
        "{} values are no decoded literal of their query:\n{}",
        lost.len(),
        lost.join("\n")
    );
}

#[test]
fn regression_rule_208dbe77_keeps_its_backslashes() {
    let Some(dir) = corpus_env::elastic_dir() else {
        return;
    };
    let files = corpus_util::read_corpus(&dir);
    let rules: Vec<_> = detcat_elastic::parse_files(&files)
        .into_iter()
        .flat_map(|o| o.rules)
        .collect();
    let values = |id: &str| -> Vec<String> {
        let r = rules
            .iter()
            .find(|r| r.id.starts_with(id))
            .unwrap_or_else(|| panic!("rule {id} is in the corpus"));
        r.expr
            .predicates()
            .into_iter()
            .flat_map(|(p, _)| p.values.iter().map(Value::to_text))
            .collect()
    };
    assert!(
        values("208dbe77").contains(&r"C:\Windows\System32\wbem\WmiPrvSE.exe".to_owned()),
        "{:?}",
        values("208dbe77")
    );
    assert!(
        values("1e0a3f7c")
            .iter()
            .any(|v| v.contains(r"\Control\SecurityProviders\WDigest")),
        "{:?}",
        values("1e0a3f7c")
    );
}

#[test]
fn the_independent_decoders_follow_their_grammars() {
    assert_eq!(
        kql_literals(r#"a:"C:\Windows\x" and b:"q\"\\\u0041\n" and c:d\"e"#),
        [r"C:\Windows\x", "q\"\\A\n"]
    );
    assert_eq!(
        eql_literals(
            r#"a : "x\\y\"" and b : """C:\z""" // "comment"
            and c : ?"r\"\d" and d : "\u{41}""#
        ),
        ["x\\y\"", r"C:\z", r#"r"\d"#, "A"]
    );
    assert_eq!(rendered(Operator::Wildcard, r"C:\\x\*y*"), r"C:\x*y*");
}

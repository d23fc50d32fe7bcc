//! Derived canonical fields: what one vendor reads directly and another must compute.
//!
//! A Sysmon event has `Image` (a path); ECS rules ask `process.name` (its last component) and
//! `process.args` (the command line split into argv). The taxonomy's `basename` links say
//! which path field has which name field.

use detcat_taxonomy::Taxonomy;

use crate::event::Event;

/// `(command line field, argv field)` pairs.
const ARGV: [(&str, &str); 2] = [
    ("process.command_line", "process.args"),
    ("process.parent.command_line", "process.parent.args"),
];

pub(crate) fn derive(event: &mut Event, tax: &Taxonomy) {
    let mut adds: Vec<(String, String)> = Vec::new();
    for field in tax.fields() {
        let Some(base) = &field.basename else {
            continue;
        };
        if event.canonical(base).is_some() {
            continue;
        }
        if let Some(vals) = event.canonical(&field.id) {
            for v in &vals.values {
                adds.push((base.clone(), basename(v).to_owned()));
            }
        }
    }
    for (line, argv) in ARGV {
        if event.canonical(argv).is_some() {
            continue;
        }
        if let Some(vals) = event.canonical(line) {
            for v in &vals.values {
                adds.extend(split_args(v).into_iter().map(|a| (argv.to_owned(), a)));
            }
        }
    }
    for (f, v) in adds {
        event.add_canonical(&f, v);
    }
}

/// The last component of a Windows or POSIX path.
pub fn basename(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// Splits a command line as `CommandLineToArgvW` does for the common cases: whitespace
/// separates, double quotes group (and are removed), `\"` is a literal quote.
pub fn split_args(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut started = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
                started = true;
            }
            '"' => {
                in_quotes = !in_quotes;
                started = true;
            }
            c if c.is_whitespace() && !in_quotes => {
                if started {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            c => {
                cur.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basenames_of_both_separators() {
        assert_eq!(basename(r"C:\Windows\System32\cmd.exe"), "cmd.exe");
        assert_eq!(basename("/usr/bin/curl"), "curl");
        assert_eq!(basename("plain"), "plain");
    }

    #[test]
    fn args_split_like_windows() {
        assert_eq!(
            split_args(r#""C:\Program Files\x.exe" -a  "b c" d\"e"#),
            [r"C:\Program Files\x.exe", "-a", "b c", "d\"e"]
        );
        assert_eq!(split_args(r#"x """#), ["x", ""]);
        assert!(split_args("   ").is_empty());
    }
}

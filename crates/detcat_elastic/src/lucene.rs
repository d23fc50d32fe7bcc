//! Lucene query strings (`language = "lucene"`), as the corpus uses them.
//!
//! ```
//! let q = detcat_elastic::lucene::parse("process.name:chmod AND process.args:(g+s OR /2[0-9]{3}/) AND NOT user.name:root");
//! assert!(q.diagnostics.is_empty());
//! assert_eq!(q.expr.exclusions().count(), 1);
//! ```
//!
//! Shares the KQL parser with Lucene's lexical rules: terms end at whitespace, clauses side by
//! side are `OR`ed (the default operator), `/…/` is a regular expression, `?` is a wildcard,
//! `[a TO b]` / `{a TO b}` are ranges, `+`/`-`/`!` mark required/prohibited clauses,
//! `_exists_:f` is `exists`. Lower-case `and`/`or`/`not` are read as operators too (the corpus
//! writes `(start or process_started)` and means the alternatives either way).

use crate::diagnostics::Lang;
use crate::query::ParsedQuery;

/// Parses one Lucene query string. Never panics.
pub fn parse(src: &str) -> ParsedQuery {
    crate::kql::parse_dialect(src, Lang::Lucene)
}

#[cfg(test)]
mod tests {
    use detcat_model::{Expr, Operator};

    use super::parse;

    #[test]
    fn regex_terms_and_uppercase_operators() {
        let q = parse("a:x AND b:(y OR /z[0-9]+/) AND NOT c:root");
        assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
        let Expr::And { items } = &q.expr else {
            panic!("and")
        };
        let Expr::Or { items: alts } = &items[1] else {
            panic!("or")
        };
        assert!(
            alts.iter()
                .any(|a| matches!(a, Expr::Pred(p) if p.op == Operator::RegexMatch))
        );
        assert!(matches!(items[2], Expr::Not { .. }));
    }

    #[test]
    fn ranges_and_exists() {
        let q = parse("port:[1 TO 1024] _exists_:user.name");
        assert!(q.diagnostics.is_empty(), "{:?}", q.diagnostics);
        let preds = q.expr.predicates();
        assert_eq!(preds.len(), 3);
        assert_eq!(preds[2].0.op, Operator::Exists);
    }

    #[test]
    fn question_mark_is_a_wildcard() {
        let q = parse("file.name:a?c.exe");
        assert!(matches!(&q.expr, Expr::Pred(p) if p.op == Operator::Wildcard));
    }
}

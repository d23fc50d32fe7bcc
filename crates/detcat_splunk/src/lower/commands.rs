//! What each SPL command means for *which events match* — decided once, per command.

/// How a command is treated when a query becomes a model expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Disposition {
    /// Filters events: its condition joins the expression (`search`, `where`, `regex`).
    Filter,
    /// Generates events from a dataset with an optional filter (`tstats`, `mstats`,
    /// `from datamodel`): datamodel hint + its `where` as a filter.
    Source,
    /// Computes statistics; a later threshold on its output becomes an `Aggregation`.
    Stats,
    /// Creates fields from others (`eval`, `rex`, `spath`, …): no filter itself; conditions
    /// on the fields it creates become `Computed` nodes.
    Enrichment,
    /// Adds fields from outside the event (`lookup`): an `Opaque` node when a later condition
    /// reads one of its fields.
    External,
    /// Only formats or reshapes results; dropped from the expression (the text is kept).
    Shaping,
    /// Joins or appends a subsearch, whose own expression joins the tree.
    Subsearch,
    /// Not normalized: kept as an `Opaque` node with its text and the fields it mentions.
    Opaque,
}

impl Disposition {
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Filter => "filter",
            Disposition::Source => "source",
            Disposition::Stats => "stats",
            Disposition::Enrichment => "enrichment",
            Disposition::External => "external",
            Disposition::Shaping => "shaping",
            Disposition::Subsearch => "subsearch",
            Disposition::Opaque => "opaque",
        }
    }
}

/// Commands that do not change which events match. `dedup`, `head` and `tail` reduce result
/// rows but not the kind of event a rule looks for; `outputlookup`/`collect` write results
/// elsewhere; `appendpipe` adds summary rows. The macros `security_content_ctime(x)` (a
/// `convert`) and `drop_dm_object_name(X)` (a `rename`) expand into members of this list; an
/// empty `*_filter` macro expands to nothing.
pub const SHAPING: &[&str] = &[
    "table",
    "fields",
    "rename",
    "sort",
    "dedup",
    "convert",
    "head",
    "tail",
    "fillnull",
    "reverse",
    "bucket",
    "bin",
    "addinfo",
    "makemv",
    "mvexpand",
    "mvcombine",
    "nomv",
    "outputlookup",
    "collect",
    "sendalert",
    "fieldformat",
    "addtotals",
    "appendpipe",
    "format",
    "localize",
    "typer",
    "tags",
    "return",
    "untable",
    "xyseries",
    "delta",
    "accum",
    "autoregress",
    "highlight",
    "abstract",
    "sichart",
    "sitimechart",
    "noop",
];

/// Commands that derive fields from the event's own fields.
pub const ENRICHMENT: &[&str] = &[
    "eval",
    "rex",
    "spath",
    "xmlkv",
    "kvform",
    "extract",
    "fromjson",
    "foreach",
    "strcat",
    "replace",
    "iplocation",
    "makejson",
    "tojson",
    "xpath",
];

/// The disposition of a command (lower-case name; `` `macro` `` for a leftover macro).
pub fn disposition(name: &str) -> Disposition {
    match name {
        "search" | "where" | "regex" => Disposition::Filter,
        "tstats" | "mstats" | "from" => Disposition::Source,
        "stats" | "eventstats" | "streamstats" | "transaction" | "rare" | "top" => {
            Disposition::Stats
        }
        "lookup" => Disposition::External,
        "join" | "append" | "appendcols" => Disposition::Subsearch,
        _ if SHAPING.contains(&name) => Disposition::Shaping,
        _ if ENRICHMENT.contains(&name) => Disposition::Enrichment,
        _ => Disposition::Opaque,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions() {
        assert_eq!(disposition("table"), Disposition::Shaping);
        assert_eq!(disposition("eval"), Disposition::Enrichment);
        assert_eq!(disposition("lookup"), Disposition::External);
        assert_eq!(disposition("apply"), Disposition::Opaque);
        assert_eq!(disposition("`macro`"), Disposition::Opaque);
        assert_eq!(disposition("tstats"), Disposition::Source);
    }
}

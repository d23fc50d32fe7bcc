//! The typed SPL syntax tree. Spans are byte ranges into the text given to [`super::parse`].

use detcat_model::Span;

/// A whole search: commands separated by top-level pipes.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub commands: Vec<Command>,
    pub span: Span,
}

/// One pipeline stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// The command name in lower case (`search` for the implicit first command).
    pub name: String,
    pub kind: CommandKind,
    /// The whole stage, command name included.
    pub span: Span,
}

/// What a command is, as far as detection matching cares.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandKind {
    /// `search …`, the implicit first command, `| search …`. `None` when it has no terms.
    Search(Option<SearchExpr>),
    /// `| where <eval expression>`.
    Where(EvalExpr),
    /// `tstats`, `mstats`, `stats`, `eventstats`, `streamstats`.
    Stats(Stats),
    /// `| from datamodel X.Y` / `| from datamodel:"X.Y"`.
    From { dataset: String },
    /// `| eval a=…, b=…`.
    Eval(Vec<Assignment>),
    /// `| rex [field=f] "(?<name>…)"` (extraction, or `mode=sed` rewriting).
    Rex {
        field: Option<String>,
        pattern: String,
        groups: Vec<String>,
        sed: bool,
    },
    /// `| regex field="re"` / `field!="re"` — a filter.
    Regex {
        field: String,
        negated: bool,
        pattern: String,
        span: Span,
    },
    /// `| lookup table in [as x] … OUTPUT[NEW] out [as y] …`. `outputs` is empty when the
    /// command names none (then every other column of the table is an output).
    Lookup {
        table: String,
        inputs: Vec<LookupField>,
        outputs: Vec<LookupField>,
    },
    /// `| join [type=…] fields [ subsearch ]`.
    Join {
        join_type: String,
        fields: Vec<String>,
        sub: Option<Box<Query>>,
    },
    /// `| append [ subsearch ]` and `appendpipe`.
    Append { sub: Option<Box<Query>> },
    /// `| rename a AS b, …`.
    Rename(Vec<(String, String)>),
    /// `| bucket|bin span=… field`.
    Bucket { span: Option<String> },
    /// `| transaction f1 f2 [maxspan=…] [maxpause=…] [startswith=(…)] [endswith=(…)]`.
    Transaction(Transaction),
    /// `| rare|top [limit=N] f1 f2 [by g]`.
    Rare {
        fields: Vec<String>,
        by: Vec<String>,
    },
    /// A macro the expander left in place (unknown), alone as a command.
    Macro { name: String },
    /// Any other command: its positional words (not `key=value` options) and the subsearches
    /// inside it.
    Other {
        words: Vec<String>,
        subsearches: Vec<Query>,
    },
}

/// One `column [AS field]` of a `lookup`: the table's column and the event's field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupField {
    pub column: String,
    pub field: String,
}

/// `transaction`: events grouped by fields, optionally between a start and an end event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transaction {
    pub fields: Vec<String>,
    /// `maxspan=`, else `maxpause=`.
    pub maxspan: Option<String>,
    pub start: Option<SearchExpr>,
    pub end: Option<SearchExpr>,
    /// `startswith`/`endswith` written in a form this parser does not read (`"…"`, `eval(…)`).
    pub unparsed_bounds: bool,
}

/// `stats`-family command.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stats {
    pub functions: Vec<StatFn>,
    /// `from datamodel=X.Y` (tstats) — the dataset name as written.
    pub datamodel: Option<String>,
    /// The `where` clause of `tstats`/`mstats` (search syntax).
    pub filter: Option<SearchExpr>,
    pub by: Vec<String>,
    /// `key=value` options (`summariesonly=true`, `span=1h`, `prestats=t`).
    pub options: Vec<(String, String)>,
}

/// `count`, `dc(user) as users`, `values(x)`.
#[derive(Debug, Clone, PartialEq)]
pub struct StatFn {
    /// Lower-cased function name.
    pub function: String,
    pub field: Option<String>,
    /// The output name: the `as` alias, else Splunk's default (`count`, `dc(user)`).
    pub output: String,
}

/// `field = expr` of an `eval`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub field: String,
    pub expr: EvalExpr,
}

/// Comparison operators of search syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A search-syntax value: `foo`, `"C:\\x\\*"`, `*.exe`.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchValue {
    /// The value in the model's wildcard syntax (`*` wildcards, `\` escapes).
    pub pattern: String,
    /// The value had a `*` wildcard.
    pub wildcard: bool,
    pub quoted: bool,
    pub span: Span,
}

/// A boolean expression in search syntax.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchExpr {
    And(Vec<SearchExpr>),
    Or(Vec<SearchExpr>),
    Not(Box<SearchExpr>),
    /// `field=value`, `field!=value`, `field>5`.
    Compare {
        field: String,
        op: CmpOp,
        value: SearchValue,
        span: Span,
    },
    /// `field IN (a, b, …)`.
    In {
        field: String,
        values: Vec<SearchValue>,
        span: Span,
    },
    /// A bare term or quoted phrase; `directive` is `TERM`/`CASE` when wrapped so.
    Term {
        value: SearchValue,
        directive: Option<String>,
    },
    /// `earliest=-24h`, `latest=now`: time bounds, no event filter.
    TimeBound {
        text: String,
        span: Span,
    },
    /// `[ … ]` inside search terms.
    Subsearch {
        query: Box<Query>,
        span: Span,
    },
    /// An unknown `` `macro` `` inside search terms.
    Macro {
        name: String,
        span: Span,
    },
    /// Something that did not parse, kept by span.
    Error {
        span: Span,
    },
}

/// An eval-syntax expression (`where`, `eval`).
#[derive(Debug, Clone, PartialEq)]
pub enum EvalExpr {
    Field {
        name: String,
        span: Span,
    },
    Str {
        value: String,
        span: Span,
    },
    Num {
        text: String,
        span: Span,
    },
    Call {
        name: String,
        args: Vec<EvalExpr>,
        span: Span,
    },
    Not {
        expr: Box<EvalExpr>,
        span: Span,
    },
    Neg {
        expr: Box<EvalExpr>,
        span: Span,
    },
    Binary {
        op: BinOp,
        lhs: Box<EvalExpr>,
        rhs: Box<EvalExpr>,
        span: Span,
    },
    /// `x IN ("a", "b")`.
    In {
        expr: Box<EvalExpr>,
        list: Vec<EvalExpr>,
        span: Span,
    },
    /// An unknown `` `macro` ``.
    Macro {
        name: String,
        span: Span,
    },
    Error {
        span: Span,
    },
}

/// Binary eval operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    And,
    Or,
    Xor,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Concat,
}

impl EvalExpr {
    pub fn span(&self) -> Span {
        match self {
            EvalExpr::Field { span, .. }
            | EvalExpr::Str { span, .. }
            | EvalExpr::Num { span, .. }
            | EvalExpr::Call { span, .. }
            | EvalExpr::Not { span, .. }
            | EvalExpr::Neg { span, .. }
            | EvalExpr::Binary { span, .. }
            | EvalExpr::In { span, .. }
            | EvalExpr::Macro { span, .. }
            | EvalExpr::Error { span } => *span,
        }
    }

    /// Every field the expression reads, in order, without repeats.
    pub fn fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_fields(&mut out);
        out
    }

    fn collect_fields(&self, out: &mut Vec<String>) {
        match self {
            EvalExpr::Field { name, .. } => {
                if !out.contains(name) {
                    out.push(name.clone());
                }
            }
            EvalExpr::Call { args, .. } => args.iter().for_each(|a| a.collect_fields(out)),
            EvalExpr::Not { expr, .. } | EvalExpr::Neg { expr, .. } => expr.collect_fields(out),
            EvalExpr::Binary { lhs, rhs, .. } => {
                lhs.collect_fields(out);
                rhs.collect_fields(out);
            }
            EvalExpr::In { expr, list, .. } => {
                expr.collect_fields(out);
                list.iter().for_each(|a| a.collect_fields(out));
            }
            EvalExpr::Str { .. }
            | EvalExpr::Num { .. }
            | EvalExpr::Macro { .. }
            | EvalExpr::Error { .. } => {}
        }
    }
}

impl SearchExpr {
    /// Every field the expression names.
    pub fn fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_fields(&mut out);
        out
    }

    fn collect_fields(&self, out: &mut Vec<String>) {
        match self {
            SearchExpr::And(items) | SearchExpr::Or(items) => {
                items.iter().for_each(|i| i.collect_fields(out))
            }
            SearchExpr::Not(item) => item.collect_fields(out),
            SearchExpr::Compare { field, .. } | SearchExpr::In { field, .. }
                if !out.contains(field) =>
            {
                out.push(field.clone());
            }
            _ => {}
        }
    }
}

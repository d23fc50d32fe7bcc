//! The SQLite schema of a catalog file. Documented in ARCHITECTURE.md; bump
//! [`SCHEMA_VERSION`] on every change so old catalogs give a clear message.

/// Stored in `PRAGMA user_version` and in `meta.schema_version`.
pub const SCHEMA_VERSION: i64 = 8;

/// The tables a second writer thread fills in a side database while the main writer stores
/// the rules (`ingest/side.rs`), with their indexes. The build then copies each table into the
/// catalog with one `INSERT INTO main.t SELECT * FROM side.t`, which SQLite turns into a copy
/// of whole records and index entries — the "transfer optimization" — only when both sides
/// have the same columns, constraints and indexes: so both are created from this text, and
/// the side database builds [`PREDICATE_INDEXES`] after its load (the catalog's stay empty
/// until the copy). `triples` has no index: its rows are read by rule as rowid ranges and by
/// field through `triple_fields`.
pub const SIDE_DDL: &str = r#"
-- One row per predicate of the expression tree. Appended in rid order like `triples`: a
-- rule's predicates are the rowids `rules.first_predicate` … `last_predicate`, read as that
-- range (an index on `rid` was 1% of a Sigma-only build's instructions).
CREATE TABLE predicates (
    rid            INTEGER NOT NULL REFERENCES rules(rid),
    ord            INTEGER NOT NULL,
    field          TEXT NOT NULL,      -- as the vendor wrote it
    canonical      TEXT NOT NULL,      -- canonical field id, or the raw name when unmapped
    mapped         INTEGER NOT NULL,
    operator       TEXT NOT NULL,
    vals           TEXT NOT NULL,      -- JSON array of values as written
    negated        INTEGER NOT NULL,   -- under an odd number of `not`
    role           TEXT NOT NULL CHECK (role = 'selector' OR role = 'indicator'
                                        OR role = 'exclusion' OR role = 'other'),
    case_sensitive INTEGER NOT NULL,
    modifiers      TEXT NOT NULL       -- JSON array
);

-- Canonical (field, operator, value) triples: one row per value of a selector, indicator or
-- exclusion predicate, unique per rule and (role, field, operator, value). An indicator row
-- carries its corpus reach: how many rules of the whole corpus (any technique) use the same
-- indicator triple.
-- The rows are appended in rid order, their rowids 1, 2, …, so a rule's triples are the rows
-- whose rowid is from its `rules.first_triple` to `rules.last_triple`: read by that range of
-- the table's own key (`t.rowid BETWEEN r.first_triple AND r.last_triple`) rather than through
-- an index on `rid`, whose build was 3% of a Sigma-only build's instructions, on its
-- single-threaded tail. (No INTEGER PRIMARY KEY names the rowid: the copy from the side
-- database would then search the table for each row, to rule out a duplicate key. A VACUUM
-- keeps the rowids: the table has an index.)
CREATE TABLE triples (
    rid       INTEGER NOT NULL REFERENCES rules(rid),
    role      TEXT NOT NULL,          -- selector | indicator | exclusion
    field     TEXT NOT NULL,
    operator  TEXT NOT NULL,
    value     TEXT NOT NULL,          -- canonical value
    original  TEXT NOT NULL,          -- the value as the rule wrote it (first seen)
    raw_field TEXT NOT NULL,
    reach     INTEGER,                -- indicators: active rules using this triple
    reach_all INTEGER                 -- indicators: including deprecated and unsupported
);

-- Which rules have triples on a field: each distinct (triples.field, rid) once, keyed by field
-- (`field:` searches, the `keyword` pseudo-field). Built in Rust by the side writer from the
-- triples it holds, in key order: an index `triples(field)` over every triple row cost 4% of
-- a Sigma-only build's instructions (text keys sorted by SQLite on the build's serial tail),
-- these ~9,000 rows (Sigma alone) a third of that.
CREATE TABLE triple_fields (
    field TEXT NOT NULL,
    rid   INTEGER NOT NULL REFERENCES rules(rid),
    PRIMARY KEY (field, rid)
) WITHOUT ROWID;
"#;

/// The indexes of `predicates` (by field, as written and canonical; by rule it is read as a
/// rowid range): the side writer builds them as soon as the last predicate row is in, while
/// the triples (which wait for every rule) are still coming.
pub const PREDICATE_INDEXES: &str = r#"
CREATE INDEX predicates_canonical ON predicates(canonical);
CREATE INDEX predicates_field ON predicates(field);
"#;

/// The full-text index, filled in a database of its own by the search writer
/// (`ingest/search_index.rs`) and copied into the catalog's (empty) one.
pub const SEARCH_DDL: &str = r#"
-- Full-text search over rules. `fields` and `vals` are the rule's field names (raw and
-- canonical) and predicate values, space separated. Contentless: search only needs the
-- matching rowids (= rid) and their ranking, and the text itself lives in `rules`.
-- Plain unicode61 words: `C:\Windows\regsvr32.exe` indexes as c, windows, regsvr32, exe, so
-- `regsvr32` finds it and the phrase "scrobj dll" finds scrobj.dll (issue 14).
CREATE VIRTUAL TABLE rules_fts USING fts5(
    title, description, fields, vals,
    content = '',
    tokenize = "unicode61"
);
"#;

/// The other tables ([`SIDE_DDL`] comes first: the `reach` view reads `triples`). Indexes
/// come in [`INDEXES`], created after the bulk insert (faster than keeping them up to date
/// row by row).
pub const DDL: &str = r#"
-- Every input file of the corpus: rule files (with their text, shown on rule pages) and the
-- files that hold no rule, with the reason.
-- The CHECKs here and in `predicates` compare with `=` … `OR`, not `IN (…)`: SQLite
-- evaluates an IN list of more than two constants through a temporary b-tree, which an
-- INSERT statement builds again on every execution (~5 µs a row).
CREATE TABLE files (
    path     TEXT PRIMARY KEY,
    vendor   TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind = 'rules' OR kind = 'non_rule' OR kind = 'unreadable'
                                  OR kind = 'skipped'),
    reason   TEXT,
    text     TEXT
);

CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- Short columns first: a row bigger than a page keeps only its first bytes in the table page
-- and the rest in a chain of overflow pages, so a column after `description` or `expr` costs
-- a walk along that chain in every scan that reads it (lifecycle, parse_status, title are
-- read for every rule of a technique page).
CREATE TABLE rules (
    rid             INTEGER PRIMARY KEY,
    vendor          TEXT NOT NULL,
    id              TEXT NOT NULL,
    lifecycle       TEXT NOT NULL,      -- active | deprecated | unsupported
    parse_status    TEXT NOT NULL,      -- normalized | partial | failed
    first_triple    INTEGER NOT NULL,   -- its triples: the `triples` rowids from this …
    last_triple     INTEGER NOT NULL,   -- … to this (first_triple - 1 when it has none)
    first_predicate INTEGER NOT NULL,   -- its predicates: the `predicates` rowids, the same way
    last_predicate  INTEGER NOT NULL,
    status          TEXT,
    severity        TEXT,
    created         TEXT,
    modified        TEXT,
    rule_type       TEXT NOT NULL,
    language        TEXT NOT NULL,
    document        INTEGER NOT NULL,
    path            TEXT NOT NULL REFERENCES files(path),
    title           TEXT NOT NULL,
    url             TEXT,
    description     TEXT NOT NULL,
    authors         TEXT NOT NULL,      -- JSON array
    refs            TEXT NOT NULL,      -- JSON array of reference URLs
    false_positives TEXT NOT NULL,      -- JSON array
    tags            TEXT NOT NULL,      -- JSON array
    telemetry       TEXT NOT NULL,      -- JSON array of TelemetryHint
    query           TEXT NOT NULL,
    expr            TEXT NOT NULL,      -- JSON of the normalized Expr
    UNIQUE (vendor, id)
);

-- ATT&CK techniques a rule is tagged with (after revoked ids are redirected). Link tables
-- are plain rowid tables filled in rid order (a bulk append); the build makes their rows
-- unique per rule, and the indexes come after the load.
CREATE TABLE rule_techniques (
    rid          INTEGER NOT NULL REFERENCES rules(rid),
    technique_id TEXT NOT NULL,
    tagged_as    TEXT NOT NULL          -- the id as the rule wrote it
);

CREATE TABLE rule_tactics (
    rid       INTEGER NOT NULL REFERENCES rules(rid),
    tactic_id TEXT NOT NULL
);

-- Corpus reach per indicator triple, as a table: one row per distinct indicator.
CREATE VIEW reach AS
    SELECT field, operator, value, MAX(reach) AS rules, MAX(reach_all) AS rules_all
    FROM triples WHERE role = 'indicator'
    GROUP BY field, operator, value;

CREATE TABLE events (
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    title    TEXT NOT NULL,
    sensor   TEXT,                     -- product name when a sensor recorded it (NULL: native log)
    native   TEXT NOT NULL DEFAULT '[]', -- JSON: native events a sensor event corresponds to
    PRIMARY KEY (provider, event_id)
) WITHOUT ROWID;

CREATE TABLE rule_events (
    rid      INTEGER NOT NULL REFERENCES rules(rid),
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL
);

CREATE TABLE diagnostics (
    rid      INTEGER REFERENCES rules(rid),   -- NULL for file-level diagnostics
    path     TEXT NOT NULL,
    code     TEXT NOT NULL,
    severity TEXT NOT NULL,
    message  TEXT NOT NULL,
    line     INTEGER,
    col      INTEGER,
    span_start INTEGER,
    span_end   INTEGER
);

CREATE TABLE canonical_fields (
    id     TEXT PRIMARY KEY,
    title  TEXT NOT NULL,
    grp    TEXT NOT NULL,
    names  TEXT NOT NULL              -- JSON {sigma:[], ecs:[], cim:[]}
);

CREATE TABLE tactics (
    id        TEXT PRIMARY KEY,
    shortname TEXT NOT NULL,
    name      TEXT NOT NULL,
    domain    TEXT NOT NULL,
    ord       INTEGER NOT NULL,
    description TEXT NOT NULL
);

CREATE TABLE techniques (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    parent      TEXT,
    domain      TEXT NOT NULL,
    tactics     TEXT NOT NULL,        -- JSON array of tactic ids, matrix order
    platforms   TEXT NOT NULL,        -- JSON array
    deprecated  INTEGER NOT NULL,
    revoked     INTEGER NOT NULL,
    revoked_by  TEXT,
    url         TEXT,
    data        TEXT NOT NULL         -- JSON: description, references, detection guidance, …
);

CREATE TABLE technique_tactics (
    technique_id TEXT NOT NULL,
    tactic_id    TEXT NOT NULL,
    PRIMARY KEY (technique_id, tactic_id)
) WITHOUT ROWID;

-- Threat data per technique: ATT&CK usage counts, the actors by prominence (JSON
-- {groups, software, campaigns: [{id, name, url}]}), and the CTID Top ATT&CK Techniques score
-- mapped onto this release (JSON of detcat_attack::CtidScore; NULL = not scored, never 0).
CREATE TABLE technique_threat (
    technique_id TEXT PRIMARY KEY,
    groups       INTEGER NOT NULL,
    software     INTEGER NOT NULL,
    campaigns    INTEGER NOT NULL,
    actors       TEXT NOT NULL,
    ctid         TEXT
);
-- Sigma regression recordings run at build time (detcat_eval): the tested rule's verdict,
-- and every rule of any vendor that fires on the recording.
CREATE TABLE recordings (
    rec      INTEGER PRIMARY KEY,
    path     TEXT NOT NULL,         -- test directory, relative to sigma/regression_data
    rule_id  TEXT NOT NULL,         -- the Sigma rule the recording tests
    title    TEXT NOT NULL,
    expected INTEGER,               -- match_count; NULL = at least one
    got      INTEGER,
    status   TEXT NOT NULL,         -- passed | failed | error
    cause    TEXT,
    events   INTEGER NOT NULL
);
CREATE TABLE recording_hits (
    rec    INTEGER NOT NULL REFERENCES recordings(rec),
    rid    INTEGER NOT NULL REFERENCES rules(rid),
    events INTEGER NOT NULL,        -- events (alerts) it fired on
    PRIMARY KEY (rec, rid)
) WITHOUT ROWID;

-- The branches a rule can run by (coverage from telemetry): in branch `branch`, step `step`
-- needs one of its events; a rule runs when every step of one branch has one. A plain query
-- is one branch of one step; sequences and data sources joined with `AND` have more.
CREATE TABLE rule_branch_events (
    rid      INTEGER NOT NULL REFERENCES rules(rid),
    branch   INTEGER NOT NULL,
    step     INTEGER NOT NULL,
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (rid, branch, step, provider, event_id)
) WITHOUT ROWID;

-- What lists show of each rule, narrow: reading titles from `rules` walked every page of that
-- wide table (`detcat coverage`: 41 ms of a 100 ms budget on the full corpus; a technique page
-- of 373 rules read ~290 of its 16 KiB pages).
CREATE TABLE rule_heads (
    rid          INTEGER PRIMARY KEY REFERENCES rules(rid),
    vendor       TEXT NOT NULL,
    id           TEXT NOT NULL,
    title        TEXT NOT NULL,
    lifecycle    TEXT NOT NULL,
    path         TEXT NOT NULL,
    parse_status TEXT NOT NULL
);
"#;

pub const INDEXES: &str = r#"
CREATE INDEX techniques_parent ON techniques(parent);
CREATE INDEX rule_techniques_rid ON rule_techniques(rid);
CREATE INDEX rule_techniques_t ON rule_techniques(technique_id, rid);
CREATE INDEX rule_tactics_rid ON rule_tactics(rid);
CREATE INDEX rule_events_rid ON rule_events(rid);
CREATE INDEX rule_events_e ON rule_events(provider, event_id);
CREATE INDEX diagnostics_rid ON diagnostics(rid);
CREATE INDEX recording_hits_rid ON recording_hits(rid);
CREATE INDEX recordings_rule ON recordings(rule_id);
"#;

/// Each technique's coverage by the catalog's rules, counted at build time
/// (`ingest/technique_coverage.rs`, created and filled at the end of the main writer): the
/// figures of the priority ("gap") score, read by `detcat top`, the matrix coloured by gap and
/// the technique page. A parent technique's rows count its sub-techniques' rules too, each
/// rule once. Two rows per technique with rules: active rules only (`deprecated = 0`) and all
/// rules (`deprecated = 1`, `--include-deprecated`); none for a scope without rules.
pub const TECHNIQUE_COVERAGE_DDL: &str = r#"
CREATE TABLE technique_coverage (
    technique_id TEXT NOT NULL,
    deprecated   INTEGER NOT NULL,     -- 1: deprecated and unsupported rules counted too
    rules        INTEGER NOT NULL,     -- distinct rules
    by_vendor    TEXT NOT NULL,        -- JSON object: rules per vendor of the registry
    normalized   INTEGER NOT NULL,     -- rules whose whole expression normalized
    indicators   INTEGER NOT NULL,     -- distinct indicator (field, operator, value) triples
    events       INTEGER NOT NULL,     -- distinct events the rules need
    PRIMARY KEY (technique_id, deprecated)
) WITHOUT ROWID;
"#;

/// Each field's page counted at build time (`ingest/field_summary.rs`, stored by the main
/// writer once the analysis has seen every rule): the rules of the field in list order (rids),
/// rules per vendor, vendor names seen, operators, the top values and techniques, as the JSON
/// of `FieldData`. Two rows per field with rules: active rules (`deprecated = 0`) and all
/// rules (`deprecated = 1`). `Catalog::field` reads it (and falls back to the per-rule tables
/// in a catalog without it).
pub const FIELD_SUMMARY_DDL: &str = r#"
CREATE TABLE field_summary (
    field      TEXT NOT NULL,          -- canonical field id, raw name when unmapped, or `keyword`
    deprecated INTEGER NOT NULL,       -- 1: deprecated and unsupported rules counted too
    data       TEXT NOT NULL,          -- JSON: rules, by_vendor, vendor_names_seen, operators, values, techniques
    PRIMARY KEY (field, deprecated)
) WITHOUT ROWID;
"#;

/// The rule-derived part of each technique's page over its active rules, counted at build
/// time (`ingest/technique_pages.rs`: counted beside the side writer, stored by the main
/// writer; issue 19): one row per technique with active rules, the `postcard` encoding of
/// `ingest::technique_pages::StoredPage` (rules by rid, events covered, the authoring guide
/// with corpus reach and its rows' rules as positions in the list, the analytics' inputs).
/// Binary, not JSON: decoding the page's JSON was ~40% of an uncached technique view's
/// instructions (the largest pages are ~170 kB); a read-only cache of the build, which the
/// catalog's other tables hold in readable form.
/// The page of a technique without a row has no active rules; `--include-deprecated` counts
/// with SQL. A catalog without the table (built before it) is read with SQL as well.
pub const TECHNIQUE_PAGES_DDL: &str = r#"
CREATE TABLE technique_pages (
    technique_id TEXT PRIMARY KEY,
    page         BLOB NOT NULL         -- postcard of StoredPage
);
"#;

/// The taxonomy's answers for every analytic of the loaded ATT&CK release (issue 19): the
/// events of each log source (`WinEventLog:Sysmon` / `EventCode=1` → `sysmon:1`) and the
/// canonical fields of each mutable element, as JSON arrays. Written by the main writer
/// once ATT&CK is loaded; a technique page matches its analytics with these rows instead
/// of loading the taxonomy (`query/analytic_taxonomy.rs`).
pub const ANALYTIC_TAXONOMY_DDL: &str = r#"
CREATE TABLE analytic_taxonomy (
    kind    TEXT NOT NULL,                 -- log_source | mutable_element
    name    TEXT NOT NULL,                 -- log source name, or the element's name
    channel TEXT NOT NULL,                 -- log source channel; '' for an element
    vals    TEXT NOT NULL,                 -- JSON array: events, or canonical fields
    PRIMARY KEY (kind, name, channel)
) WITHOUT ROWID;
"#;

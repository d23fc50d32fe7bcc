//! The value canonicalization rules, one test each.

use detcat_model::{Operator, Predicate, RegexFlags, Value, Vendor};

use crate::{CanonicalIndicator, Taxonomy};

fn canon(
    vendor: Vendor,
    field: &str,
    op: Operator,
    values: &[&str],
    case_sensitive: bool,
) -> Vec<CanonicalIndicator> {
    let mut p = Predicate::new(field, op, values.iter().map(|v| Value::from(*v)).collect());
    p.case_sensitive = case_sensitive;
    Taxonomy::get().canonicalize(vendor, &p)
}

fn triple(i: &CanonicalIndicator) -> (&str, Operator, &str) {
    (i.field.as_str(), i.op, i.value.as_str())
}

#[test]
fn the_same_indicator_three_ways_counts_once() {
    let sigma = canon(
        Vendor::Sigma,
        "Image",
        Operator::Wildcard,
        &[r"*\\regsvr32.exe"],
        false,
    );
    let ecs = canon(
        Vendor::Elastic,
        "process.name",
        Operator::Eq,
        &["regsvr32.exe"],
        true,
    );
    let cim = canon(
        Vendor::Splunk,
        "process_name",
        Operator::Eq,
        &["RegSvr32.exe"],
        false,
    );
    let want = ("process.name", Operator::Eq, "regsvr32.exe");
    assert_eq!(triple(&sigma[0]), want);
    assert_eq!(triple(&ecs[0]), want);
    assert_eq!(triple(&cim[0]), want);
    assert_eq!(sigma[0].original, r"*\regsvr32.exe", "display form");
    assert_eq!(cim[0].original, "RegSvr32.exe");
}

#[test]
fn case_folds_only_when_case_insensitive() {
    assert_eq!(
        canon(
            Vendor::Sigma,
            "CommandLine",
            Operator::Wildcard,
            &["*-EncodedCommand*"],
            false
        )[0]
        .value,
        "*-encodedcommand*"
    );
    assert_eq!(
        canon(
            Vendor::Sigma,
            "CommandLine",
            Operator::Wildcard,
            &["*-EncodedCommand*"],
            true
        )[0]
        .value,
        "*-EncodedCommand*"
    );
    // `.caseless` multi-fields compare case-insensitively whatever the operator says.
    assert_eq!(
        triple(
            &canon(
                Vendor::Elastic,
                "process.name.caseless",
                Operator::Eq,
                &["CMD.EXE"],
                true
            )[0]
        ),
        ("process.name", Operator::Eq, "cmd.exe")
    );
}

#[test]
fn regexes_are_never_folded() {
    let mut p = Predicate::new(
        "CommandLine",
        Operator::RegexMatch,
        vec![Value::from(r"\S+\.EXE")],
    );
    p.regex_flags = RegexFlags {
        ignore_case: true,
        ..RegexFlags::default()
    };
    assert_eq!(
        Taxonomy::get().canonicalize(Vendor::Sigma, &p)[0].value,
        r"\S+\.EXE"
    );
}

#[test]
fn contains_stays_wildcard_and_paths_with_directories_stay_paths() {
    assert_eq!(
        triple(
            &canon(
                Vendor::Sigma,
                "Image",
                Operator::Wildcard,
                &[r"*\\Temp\\*"],
                false
            )[0]
        ),
        ("process.image", Operator::Wildcard, r"*\temp\*")
    );
    assert_eq!(
        triple(
            &canon(
                Vendor::Sigma,
                "Image",
                Operator::Wildcard,
                &[r"*\\System32\\cmd.exe"],
                false
            )[0]
        ),
        ("process.image", Operator::Wildcard, r"*\system32\cmd.exe")
    );
    // No separator: `*regsvr32.exe` also matches `xregsvr32.exe`, so it is no basename.
    assert_eq!(
        triple(
            &canon(
                Vendor::Sigma,
                "Image",
                Operator::Wildcard,
                &["*regsvr32.exe"],
                false
            )[0]
        ),
        ("process.image", Operator::Wildcard, "*regsvr32.exe")
    );
    assert_eq!(
        triple(
            &canon(
                Vendor::Sigma,
                "ParentImage",
                Operator::Wildcard,
                &["*/bash"],
                false
            )[0]
        ),
        ("process.parent.name", Operator::Eq, "bash")
    );
    assert_eq!(
        triple(
            &canon(
                Vendor::Sigma,
                "TargetFilename",
                Operator::Wildcard,
                &[r"*\\x.dll"],
                false
            )[0]
        ),
        ("file.name", Operator::Eq, "x.dll")
    );
    assert_eq!(
        triple(
            &canon(
                Vendor::Sigma,
                "ImageLoaded",
                Operator::Wildcard,
                &[r"*\\dbghelp.dll"],
                false
            )[0]
        ),
        ("dll.name", Operator::Eq, "dbghelp.dll")
    );
    // A full path equality is kept (more specific than the name), its drive spelled `?:\`.
    assert_eq!(
        triple(
            &canon(
                Vendor::Sigma,
                "Image",
                Operator::Eq,
                &[r"C:\Windows\System32\cmd.exe"],
                false
            )[0]
        ),
        (
            "process.image",
            Operator::Wildcard,
            r"?:\windows\system32\cmd.exe"
        )
    );
}

#[test]
fn escapes_and_star_runs_are_normalized() {
    // `\r` escapes a plain `r`: the same pattern as `r`.
    assert_eq!(
        canon(
            Vendor::Sigma,
            "CommandLine",
            Operator::Wildcard,
            &[r"*\run**"],
            false
        )[0]
        .value,
        "*run*"
    );
    // A pattern without wildcards is an equality on its literal.
    assert_eq!(
        triple(
            &canon(
                Vendor::Sigma,
                "CommandLine",
                Operator::Wildcard,
                &[r"a\*b"],
                false
            )[0]
        ),
        ("process.command_line", Operator::Eq, "a*b")
    );
}

#[test]
fn one_indicator_per_value_and_unknown_fields_keep_their_name() {
    let out = canon(
        Vendor::Sigma,
        "FancyField",
        Operator::Eq,
        &["A", "B"],
        false,
    );
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|i| i.field == "FancyField" && !i.mapped));
    assert_eq!(out[1].value, "b");
}

#[test]
fn numbers_exists_cidr_and_field_refs() {
    let t = Taxonomy::get();
    let code = t.canonicalize(
        Vendor::Sigma,
        &Predicate::new("EventID", Operator::Eq, vec![Value::Int(4688)]),
    );
    assert_eq!(triple(&code[0]), ("event.code", Operator::Eq, "4688"));
    let exists = t.canonicalize(
        Vendor::Elastic,
        &Predicate::new("process.parent.name", Operator::Exists, vec![]),
    );
    assert_eq!(
        triple(&exists[0]),
        ("process.parent.name", Operator::Exists, "")
    );
    let cidr = t.canonicalize(
        Vendor::Elastic,
        &Predicate::new(
            "destination.ip",
            Operator::Cidr,
            vec![Value::from("FE80::/10")],
        ),
    );
    assert_eq!(cidr[0].value, "fe80::/10");
    let fref = t.canonicalize(
        Vendor::Sigma,
        &Predicate::new(
            "ParentImage",
            Operator::FieldRef,
            vec![Value::from("Image")],
        ),
    );
    assert_eq!(
        triple(&fref[0]),
        ("process.parent.image", Operator::FieldRef, "process.image")
    );
}

/// Issue 11: values were shown escaped (`*\\dllhost.exe`), and users pasted the doubled
/// backslashes into new rules.
#[test]
fn regression_values_are_shown_with_single_backslashes() {
    let c = &canon(
        Vendor::Sigma,
        "CommandLine",
        Operator::Wildcard,
        &[r"*\\AppData\\*"],
        false,
    )[0];
    assert_eq!(
        (c.value.as_str(), c.original.as_str()),
        (r"*\appdata\*", r"*\AppData\*")
    );
    // A literal star stays distinguishable from the wildcard.
    let c = &canon(
        Vendor::Sigma,
        "CommandLine",
        Operator::Wildcard,
        &[r"*a\*b*"],
        false,
    )[0];
    assert_eq!(c.value, "*a[*]b*");
}

/// Issue 11: a full path with a drive letter was one row per spelling.
#[test]
fn regression_full_paths_with_any_drive_spelling_are_one_row() {
    let want = (
        "process.image",
        Operator::Wildcard,
        r"?:\windows\system32\regsvr32.exe",
    );
    let eq = canon(
        Vendor::Sigma,
        "Image",
        Operator::Eq,
        &[r"C:\Windows\System32\regsvr32.exe"],
        false,
    );
    let star = canon(
        Vendor::Sigma,
        "Image",
        Operator::Wildcard,
        &[r"*:\\Windows\\System32\\regsvr32.exe"],
        false,
    );
    let q = canon(
        Vendor::Elastic,
        "process.executable",
        Operator::Wildcard,
        &[r"?:\\Windows\\System32\\regsvr32.exe"],
        false,
    );
    let device = canon(
        Vendor::Sigma,
        "Image",
        Operator::Eq,
        &[r"\\?\C:\Windows\System32\regsvr32.exe"],
        false,
    );
    for c in [&eq, &star, &q, &device] {
        assert_eq!(triple(&c[0]), want, "{c:?}");
    }
    assert_eq!(eq[0].original, r"C:\Windows\System32\regsvr32.exe");
    // Not on non-path fields: a command line starting `C:\` keeps its drive.
    let cmd = canon(
        Vendor::Sigma,
        "CommandLine",
        Operator::Wildcard,
        &[r"C:\\x.exe *"],
        false,
    );
    assert_eq!(cmd[0].value, r"c:\x.exe *");
}

/// Issue 11: Sysmon 10 / 8 `SourceImage` kept a wildcard on its own field instead of being the
/// acting process.
#[test]
fn regression_source_image_is_the_acting_process() {
    let c = canon(
        Vendor::Sigma,
        "SourceImage",
        Operator::Wildcard,
        &[r"*\\rundll32.exe"],
        false,
    );
    assert_eq!(
        triple(&c[0]),
        ("process.name", Operator::Eq, "rundll32.exe")
    );
}

#[test]
fn displayed_values_given_by_the_caller_canonicalize_as_the_values_themselves() {
    use crate::context::LogContext;
    use detcat_model::wildcard;
    let patterns = [
        r"*\\regsvr32.exe",
        r"C:\\Windows\\*",
        r"*lit[*]eral?*",
        r"\\\\?\\C:\\x\\*",
        r"trailing\\",
        "no wildcard",
    ];
    for (field, op) in [
        ("Image", Operator::Wildcard),
        ("CommandLine", Operator::Wildcard),
        ("Image", Operator::Eq),
    ] {
        let p = Predicate::new(
            field,
            op,
            patterns.iter().map(|v| Value::from(*v)).collect(),
        );
        let displayed: Vec<String> = p
            .values
            .iter()
            .map(|v| match (op, v) {
                (Operator::Wildcard, Value::Str(s)) => wildcard::display(s),
                _ => v.to_text(),
            })
            .collect();
        let taxonomy = Taxonomy::get();
        let ctx = LogContext::none();
        let own = taxonomy.canonicalize_in(Vendor::Sigma, &ctx, &p);
        let given = taxonomy.canonicalize_displayed_in(Vendor::Sigma, &ctx, &p, &displayed);
        assert_eq!(own, given, "{field} {op:?}");
        assert_eq!(own.len(), patterns.len());
    }
}

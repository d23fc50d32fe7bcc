//! The macro and lookup context that the `spl` fuzz target (`fuzz/fuzz_targets/spl.rs`) and
//! the CI fuzz smoke test (`detcat_catalog/tests/fuzz_smoke.rs`) run queries in: written to
//! reach every expansion path (arguments, nesting, self-recursion, fan-out) and wildcard
//! lookup resolution. Not a corpus context; nothing else uses it.

use detcat_model::{Diagnostic, SourceFile};

use crate::Context;
use crate::lookups::load_lookups;
use crate::macros::{MacroDef, MacroTable};

/// The fuzzing context, and the diagnostics of loading its lookup table (none expected).
pub fn fuzz_context() -> (Context, Vec<Diagnostic>) {
    let mut macros = MacroTable::default();
    macros.insert(MacroDef::new(
        "sysmon",
        &[],
        "sourcetype=sysmon OR source=sysmon",
    ));
    macros.insert(MacroDef::new(
        "process_cmd",
        &[],
        "(Processes.process_name=cmd.exe OR Processes.original_file_name=Cmd.Exe)",
    ));
    macros.insert(MacroDef::new("ctime", &["field"], "convert ctime($field$)"));
    macros.insert(MacroDef::new(
        "pair",
        &["a", "b"],
        "`ctime($a$)` | where $a$=$b$",
    ));
    macros.insert(MacroDef::new("loop", &[], "x | `loop`"));
    macros.insert(MacroDef::new(
        "fan",
        &[],
        "`sysmon` `sysmon` `sysmon` `fan`",
    ));
    let (lookups, diagnostics) = load_lookups(&[
        SourceFile::new(
            "splunk/lookups/fuzz_dlls.yml",
            "name: fuzz_dlls\nfilename: fuzz_dlls.csv\nmatch_type: WILDCARD(dll)\n\
             case_sensitive_match: 'false'\ndefault_match: 'false'\n",
        ),
        SourceFile::new(
            "splunk/lookups/fuzz_dlls.csv",
            "dll,hit,note\nscrobj.dll,true,a\njscript*.dll,true,b\n10.0.0.0/8,false,c\n",
        ),
    ]);
    let diagnostics = diagnostics.into_iter().flat_map(|(_, d)| d).collect();
    (Context { macros, lookups }, diagnostics)
}

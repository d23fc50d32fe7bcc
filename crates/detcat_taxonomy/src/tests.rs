//! Pins every mapping table: a wrong edit of the data files fails here.

use detcat_model::{
    Expr, Language, Lifecycle, Operator, Predicate, Rule, TelemetryHint, Value, Vendor,
};

use super::*;

fn tax() -> &'static Taxonomy {
    Taxonomy::get()
}

#[test]
fn embedded_data_loads() {
    if let Err(e) = Taxonomy::load() {
        panic!("{e}");
    }
}

#[test]
fn vendor_names_map_to_canonical_fields() {
    use Vendor::{Elastic as E, Sigma as S, Splunk as K};
    let table: &[(Vendor, &str, Option<&str>)] = &[
        (S, "Image", Some("process.image")),
        (S, "image", Some("process.image")),
        (S, "NewProcessName", Some("process.image")),
        (S, "CommandLine", Some("process.command_line")),
        (S, "OriginalFileName", Some("process.pe.original_file_name")),
        (S, "ParentImage", Some("process.parent.image")),
        (S, "ParentCommandLine", Some("process.parent.command_line")),
        (S, "GrandParentImage", Some("process.grandparent.image")),
        (S, "User", Some("user.name")),
        (S, "IntegrityLevel", Some("process.integrity_level")),
        (S, "CurrentDirectory", Some("process.current_directory")),
        (S, "Hashes", Some("hash.any")),
        (S, "TargetFilename", Some("file.path")),
        (S, "TargetObject", Some("registry.path")),
        (S, "Details", Some("registry.data")),
        (S, "DestinationIp", Some("destination.ip")),
        (S, "DestinationPort", Some("destination.port")),
        (S, "DestinationHostname", Some("destination.hostname")),
        (S, "Initiated", Some("network.initiated")),
        (S, "QueryName", Some("dns.question.name")),
        (S, "QueryResults", Some("dns.answers")),
        (S, "ImageLoaded", Some("dll.path")),
        (S, "Signed", Some("dll.signed")),
        (S, "SourceImage", Some("process.image")),
        (S, "TargetImage", Some("process_access.target_image")),
        (S, "GrantedAccess", Some("process_access.granted_access")),
        (S, "CallTrace", Some("process_access.call_trace")),
        (S, "PipeName", Some("pipe.name")),
        (S, "ServiceName", Some("service.name")),
        (S, "ImagePath", Some("service.image_path")),
        (S, "TaskName", Some("task.name")),
        (S, "ScriptBlockText", Some("powershell.script_block_text")),
        (S, "LogonType", Some("logon.type")),
        (S, "TargetUserName", Some("logon.target_user")),
        (S, "WorkstationName", Some("logon.workstation")),
        (S, "IpAddress", Some("source.ip")),
        (S, "EventID", Some("event.code")),
        (S, "eventName", Some("cloud.operation")),
        (S, "NoSuchField", None),
        (E, "process.name", Some("process.name")),
        (E, "process.name.caseless", Some("process.name")),
        (E, "process.executable", Some("process.image")),
        (E, "process.args", Some("process.args")),
        (E, "process.command_line", Some("process.command_line")),
        (E, "process.parent.name", Some("process.parent.name")),
        (
            E,
            "process.pe.original_file_name",
            Some("process.pe.original_file_name"),
        ),
        (E, "dll.name", Some("dll.name")),
        (E, "file.path", Some("file.path")),
        (E, "destination.ip", Some("destination.ip")),
        (E, "dns.question.name", Some("dns.question.name")),
        (E, "registry.data.strings", Some("registry.data")),
        (
            E,
            "winlog.event_data.TargetUserName",
            Some("logon.target_user"),
        ),
        (
            E,
            "winlog.event_data.AttributeLDAPDisplayName",
            Some("ds.attribute"),
        ),
        (E, "Process.Name", None),
        (K, "Processes.process_name", Some("process.name")),
        (K, "sourcetype", Some("log.sourcetype")),
        (K, "source", Some("log.source")),
        (K, "index", Some("log.index")),
        (K, "process_name", Some("process.name")),
        (K, "Processes.process", Some("process.command_line")),
        (
            K,
            "Processes.parent_process_name",
            Some("process.parent.name"),
        ),
        (K, "Filesystem.file_path", Some("file.path")),
        (K, "file_name", Some("file.name")),
        (K, "Registry.registry_path", Some("registry.path")),
        (K, "Registry.registry_value_data", Some("registry.data")),
        (K, "All_Traffic.dest_port", Some("destination.port")),
        (K, "DNS.query", Some("dns.question.name")),
        (K, "Endpoint.Processes.process_name", Some("process.name")),
        (K, "Processes.dest", Some("host.name")),
        (K, "All_Traffic.dest", Some("destination.hostname")),
        (K, "dest", None),
        (K, "EventCode", Some("event.code")),
        (K, "TargetFilename", Some("file.path")),
    ];
    let mut wrong = Vec::new();
    for &(vendor, name, want) in table {
        let got = tax().canonical_field(vendor, name).map(|f| f.id.as_str());
        if got != want {
            wrong.push(format!("{vendor} {name}: got {got:?}, want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

pub(crate) fn rule(vendor: Vendor, telemetry: Vec<TelemetryHint>, preds: Vec<Predicate>) -> Rule {
    Rule {
        vendor,
        id: "r".into(),
        title: "r".into(),
        description: String::new(),
        authors: vec![],
        created: None,
        modified: None,
        status: None,
        severity: None,
        rule_type: "detection".into(),
        language: Language::Sigma,
        lifecycle: Lifecycle::Active,
        path: "r".into(),
        document: 0,
        url: None,
        references: vec![],
        false_positives: vec![],
        tags: vec![],
        attack: Default::default(),
        telemetry,
        query: String::new(),
        expr: Expr::and(preds.into_iter().map(Expr::Pred).collect()),
        diagnostics: vec![],
    }
}

fn logsource(product: &str, category: &str, service: &str) -> TelemetryHint {
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    TelemetryHint::SigmaLogsource {
        product: opt(product),
        category: opt(category),
        service: opt(service),
    }
}

pub(crate) fn eq(field: &str, value: impl Into<Value>) -> Predicate {
    Predicate::new(field, Operator::Eq, vec![value.into()])
}

pub(crate) fn keys(rule: &Rule) -> Vec<String> {
    tax()
        .events_for(rule)
        .iter()
        .map(|e| format!("{}:{}", e.provider, e.event_id))
        .collect()
}

#[test]
fn hints_map_to_events() {
    use TelemetryHint::{DataSource, DataSourceTag, Datamodel, EventCategory, Index};
    let tag = |s: &str| DataSourceTag { name: s.into() };
    let cat = |s: &str| EventCategory { name: s.into() };
    let idx = |s: &str| Index { pattern: s.into() };
    let start = || eq("event.type", "start");
    let cases: Vec<(Rule, &[&str])> = vec![
        (
            rule(
                Vendor::Sigma,
                vec![logsource("windows", "process_creation", "")],
                vec![],
            ),
            &["sysmon:1", "security:4688"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("windows", "process_access", "")],
                vec![],
            ),
            &["sysmon:10"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("windows", "image_load", "")],
                vec![],
            ),
            &["sysmon:7"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("windows", "dns_query", "")],
                vec![],
            ),
            &["sysmon:22"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("windows", "network_connection", "")],
                vec![],
            ),
            &["sysmon:3"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("windows", "file_event", "")],
                vec![],
            ),
            &["sysmon:11"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("windows", "registry_set", "")],
                vec![],
            ),
            &["sysmon:13"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("windows", "ps_script", "")],
                vec![],
            ),
            &["powershell:4104"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("windows", "", "security")],
                vec![eq("EventID", 4624i64)],
            ),
            &["security:4624"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("windows", "", "security")],
                vec![eq("EventID", 4781i64)],
            ),
            &["security:4781"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("windows", "", "security")],
                vec![],
            ),
            &["security:*"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("windows", "", "system")],
                vec![eq("EventID", 7045i64)],
            ),
            &["system:7045"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("windows", "", "bits-client")],
                vec![eq("EventID", 16403i64)],
            ),
            &["windows:bits-client"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("windows", "process_creation", "")],
                vec![eq("EventID", 4688i64)],
            ),
            &["security:4688"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("aws", "", "cloudtrail")],
                vec![],
            ),
            &["aws:cloudtrail"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("linux", "process_creation", "")],
                vec![],
            ),
            &["linux:process_creation"],
        ),
        (
            rule(
                Vendor::Sigma,
                vec![logsource("azure", "", "signinlogs")],
                vec![],
            ),
            &["azure:signinlogs"],
        ),
        (
            rule(
                Vendor::Elastic,
                vec![cat("process"), tag("Sysmon")],
                vec![start()],
            ),
            &["sysmon:1"],
        ),
        (
            rule(
                Vendor::Elastic,
                vec![cat("process"), idx("logs-windows.sysmon_operational-*")],
                vec![start()],
            ),
            &["sysmon:1"],
        ),
        (
            rule(
                Vendor::Elastic,
                vec![cat("process"), tag("Windows Security Event Logs")],
                vec![start()],
            ),
            &["security:4688"],
        ),
        (
            rule(
                Vendor::Elastic,
                vec![cat("process"), tag("Elastic Defend")],
                vec![start()],
            ),
            &["endpoint:process"],
        ),
        (
            rule(
                Vendor::Elastic,
                vec![idx("logs-endpoint.events.process-*")],
                vec![],
            ),
            &["endpoint:process"],
        ),
        (
            rule(
                Vendor::Elastic,
                vec![cat("network"), tag("Sysmon")],
                vec![eq("dns.question.name", "x")],
            ),
            &["sysmon:22"],
        ),
        (
            rule(
                Vendor::Elastic,
                vec![cat("library"), tag("Sysmon"), tag("Elastic Defend")],
                vec![],
            ),
            &["sysmon:7", "endpoint:library"],
        ),
        (
            rule(
                Vendor::Elastic,
                vec![idx("winlogbeat-*"), idx("logs-system.security*")],
                vec![eq("event.code", "4624")],
            ),
            &["security:4624"],
        ),
        (
            rule(
                Vendor::Elastic,
                vec![cat("process"), idx("winlogbeat-*")],
                vec![],
            ),
            &["sysmon:1", "security:4688"],
        ),
        (
            rule(Vendor::Elastic, vec![tag("AWS"), idx("filebeat-*")], vec![]),
            &["aws:cloudtrail"],
        ),
        // `iam where …` over Windows Security: no category row, so the source's default.
        (
            rule(
                Vendor::Elastic,
                vec![cat("iam"), tag("Windows Security Event Logs")],
                vec![],
            ),
            &["security:*"],
        ),
        (
            rule(Vendor::Elastic, vec![tag("PowerShell Logs")], vec![]),
            &["powershell:4104"],
        ),
        (
            rule(
                Vendor::Splunk,
                vec![DataSource {
                    name: "Sysmon EventID 1".into(),
                }],
                vec![],
            ),
            &["sysmon:1"],
        ),
        // No data_source, but the `sysmon` macro's `source=` and an EventCode say it all.
        (
            rule(
                Vendor::Splunk,
                vec![],
                vec![
                    Predicate::new(
                        "source",
                        Operator::Eq,
                        vec!["XmlWinEventLog:Microsoft-Windows-Sysmon/Operational".into()],
                    ),
                    Predicate::new("EventCode", Operator::Eq, vec![Value::Int(10)]),
                ],
            ),
            &["sysmon:10"],
        ),
        (
            rule(
                Vendor::Splunk,
                vec![],
                vec![Predicate::new(
                    "source",
                    Operator::Wildcard,
                    vec!["*WinEventLog:Security".into()],
                )],
            ),
            &["security:*"],
        ),
        (
            rule(
                Vendor::Splunk,
                vec![DataSource {
                    name: "Windows Event Log Security 4688".into(),
                }],
                vec![],
            ),
            &["security:4688"],
        ),
        (
            rule(
                Vendor::Splunk,
                vec![DataSource {
                    name: "Sysmon EventID 1 AND Sysmon EventID 11".into(),
                }],
                vec![],
            ),
            &["sysmon:1", "sysmon:11"],
        ),
        (
            rule(
                Vendor::Splunk,
                vec![DataSource {
                    name: "Sysmon for Linux EventID 1".into(),
                }],
                vec![],
            ),
            &["linux:sysmon:1"],
        ),
        (
            rule(
                Vendor::Splunk,
                vec![DataSource {
                    name: "AWS CloudTrail ConsoleLogin".into(),
                }],
                vec![],
            ),
            &["aws:cloudtrail"],
        ),
        (
            rule(
                Vendor::Splunk,
                vec![DataSource {
                    name: "Azure Active Directory Sign-in activity".into(),
                }],
                vec![],
            ),
            &["azure:signinlogs"],
        ),
        (
            rule(
                Vendor::Splunk,
                vec![DataSource {
                    name: "CrowdStrike ProcessRollup2".into(),
                }],
                vec![],
            ),
            &["edr:crowdstrike:ProcessRollup2"],
        ),
        (
            rule(
                Vendor::Splunk,
                vec![Datamodel {
                    name: "Endpoint.Processes".into(),
                }],
                vec![],
            ),
            &["sysmon:1", "security:4688"],
        ),
        (
            rule(
                Vendor::Splunk,
                vec![Datamodel {
                    name: "Network_Traffic.All_Traffic".into(),
                }],
                vec![],
            ),
            &["sysmon:3", "network:firewall"],
        ),
        (
            rule(
                Vendor::Splunk,
                vec![
                    Datamodel {
                        name: "Endpoint.Processes".into(),
                    },
                    DataSource {
                        name: "Sysmon EventID 1".into(),
                    },
                ],
                vec![],
            ),
            &["sysmon:1"],
        ),
    ];
    let mut wrong = Vec::new();
    for (rule, want) in &cases {
        let got = keys(rule);
        if got != *want {
            wrong.push(format!("{:?}: got {got:?}, want {want:?}", rule.telemetry));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn uncataloged_event_ids_get_a_generic_title() {
    let r = rule(
        Vendor::Sigma,
        vec![logsource("windows", "", "security")],
        vec![eq("EventID", 4999i64)],
    );
    let refs = tax().events_for(&r);
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].title, "Windows Security event 4999");
    assert!(!refs[0].cataloged);
    assert!(
        tax().events_for(&rule(
            Vendor::Sigma,
            vec![logsource("windows", "process_creation", "")],
            vec![]
        ))[0]
            .cataloged
    );
}

#[test]
fn exclusion_event_ids_do_not_narrow_events() {
    let mut r = rule(
        Vendor::Sigma,
        vec![logsource("windows", "", "security")],
        vec![eq("EventID", 4624i64)],
    );
    r.expr = Expr::and(vec![
        Expr::Pred(eq("EventID", 4624i64)),
        Expr::not(Expr::Pred(eq("EventID", 4625i64))),
    ]);
    assert_eq!(keys(&r), ["security:4624"]);
}

#[test]
fn event_catalog_lookups() {
    assert_eq!(
        tax().event("sysmon", "1").map(|e| e.title.as_str()),
        Some("Process creation")
    );
    assert_eq!(
        tax().event("security", "4688").map(|e| e.title.as_str()),
        Some("A new process has been created")
    );
    assert_eq!(
        tax().event("powershell", "4104").map(|e| e.title.as_str()),
        Some("Script block logging")
    );
    for id in 1..=29 {
        assert!(
            tax().event("sysmon", &id.to_string()).is_some(),
            "sysmon:{id} missing"
        );
    }
    assert!(tax().event("sysmon", "30").is_none());
}

#[test]
fn field_and_event_lists_snapshot() {
    insta::assert_yaml_snapshot!("fields", tax().fields());
    insta::assert_yaml_snapshot!("events", tax().events());
    insta::assert_yaml_snapshot!("ambiguous_cim_names", tax().ambiguous_cim_names());
}

#[test]
fn source_tables_snapshot() {
    insta::assert_yaml_snapshot!("sources", tax().sources());
}

//! Issue 11's mapping errors, one regression test each: names that meant something else in
//! their log, or two meanings merged in one row.

use detcat_model::{Operator, Predicate, Value, Vendor};

use crate::{LogContext, Taxonomy};

fn field_in(vendor: Vendor, ctx: &[&str], name: &str) -> Option<&'static str> {
    Taxonomy::get()
        .canonical_field_in(vendor, &LogContext::from_tags(ctx), name)
        .map(|f| f.id.as_str())
}

fn selector(vendor: Vendor, ctx: &[&str], name: &str) -> bool {
    let p = Predicate::new(name, Operator::Eq, vec![Value::from("x")]);
    Taxonomy::get().is_selector(vendor, &LogContext::from_tags(ctx), &p)
}

#[test]
fn regression_original_file_name_in_image_loads_is_the_modules() {
    let sigma = ["product:windows", "category:image_load"];
    assert_eq!(
        field_in(Vendor::Sigma, &sigma, "OriginalFileName"),
        Some("dll.pe.original_file_name")
    );
    assert_eq!(
        field_in(
            Vendor::Splunk,
            &["data_source:Sysmon EventID 7"],
            "OriginalFileName"
        ),
        Some("dll.pe.original_file_name")
    );
    assert_eq!(
        field_in(Vendor::Elastic, &[], "dll.pe.original_file_name"),
        Some("dll.pe.original_file_name")
    );
    let creation = ["product:windows", "category:process_creation"];
    assert_eq!(
        field_in(Vendor::Sigma, &creation, "OriginalFileName"),
        Some("process.pe.original_file_name")
    );
}

#[test]
fn regression_splunk_eventtype_is_no_event_action() {
    assert_eq!(
        field_in(Vendor::Splunk, &[], "eventtype"),
        Some("log.eventtype")
    );
    assert!(selector(Vendor::Splunk, &[], "eventtype"));
}

#[test]
fn regression_azure_category_is_the_log_category() {
    let azure = ["product:azure", "service:auditlogs"];
    assert_eq!(
        field_in(Vendor::Sigma, &azure, "Category"),
        Some("cloud.log_category")
    );
    assert_eq!(
        field_in(
            Vendor::Splunk,
            &["data_source:Azure Active Directory"],
            "category"
        ),
        Some("cloud.log_category")
    );
}

#[test]
fn regression_channel_is_no_provider() {
    assert_eq!(field_in(Vendor::Sigma, &[], "Channel"), Some("log.channel"));
    assert_eq!(
        field_in(Vendor::Splunk, &[], "Channel"),
        Some("log.channel")
    );
    assert_eq!(
        field_in(Vendor::Elastic, &[], "winlog.channel"),
        Some("log.channel")
    );
}

#[test]
fn regression_auditd_type_is_the_record_type() {
    let auditd = ["product:linux", "service:auditd"];
    assert_eq!(
        field_in(Vendor::Sigma, &auditd, "type"),
        Some("auditd.type")
    );
    assert_eq!(
        field_in(Vendor::Splunk, &["data_source:Linux Auditd Execve"], "type"),
        Some("auditd.type")
    );
}

#[test]
fn regression_event_module_and_namespace_are_no_data_set() {
    assert_eq!(
        field_in(Vendor::Elastic, &[], "event.module"),
        Some("event.module")
    );
    assert_eq!(
        field_in(Vendor::Elastic, &[], "data_stream.namespace"),
        Some("data_stream.namespace")
    );
    assert_eq!(
        field_in(Vendor::Elastic, &[], "data_stream.dataset"),
        Some("event.dataset")
    );
}

#[test]
fn regression_direction_and_initiated_are_two_fields() {
    assert_eq!(
        field_in(Vendor::Elastic, &[], "network.direction"),
        Some("network.direction")
    );
    assert_eq!(
        field_in(Vendor::Sigma, &[], "Initiated"),
        Some("network.initiated")
    );
}

#[test]
fn regression_protocol_and_transport_are_two_fields() {
    assert_eq!(
        field_in(Vendor::Elastic, &[], "network.protocol"),
        Some("network.protocol")
    );
    assert_eq!(
        field_in(Vendor::Elastic, &[], "network.transport"),
        Some("network.transport")
    );
}

#[test]
fn regression_code_signature_exists_is_no_status() {
    assert_eq!(
        field_in(Vendor::Elastic, &[], "process.code_signature.exists"),
        Some("process.code_signature.exists")
    );
}

#[test]
fn regression_m365_and_azure_status_is_the_outcome() {
    let m365 = ["product:m365", "service:threat_management"];
    assert_eq!(
        field_in(Vendor::Sigma, &m365, "status"),
        Some("event.outcome")
    );
    let windows = ["product:windows", "service:security"];
    assert_eq!(
        field_in(Vendor::Sigma, &windows, "Status"),
        Some("logon.status")
    );
}

#[test]
fn regression_kubernetes_object_ref_fields_are_distinct() {
    let ids: Vec<_> = ["resource", "namespace", "name", "subresource"]
        .iter()
        .map(|k| {
            field_in(
                Vendor::Elastic,
                &[],
                &format!("kubernetes.audit.objectRef.{k}"),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            Some("kubernetes.resource"),
            Some("kubernetes.namespace"),
            Some("kubernetes.object_name"),
            Some("kubernetes.subresource")
        ]
    );
}

#[test]
fn regression_zeek_connection_ids_are_mapped() {
    assert_eq!(
        field_in(Vendor::Sigma, &[], "id.resp_h"),
        Some("destination.ip")
    );
    assert_eq!(field_in(Vendor::Sigma, &[], "id.orig_h"), Some("source.ip"));
    assert_eq!(
        field_in(Vendor::Sigma, &[], "id.resp_p"),
        Some("destination.port")
    );
}

#[test]
fn selectors_are_data_and_cover_the_event_stream_fields() {
    let elastic = [
        "event.kind",
        "event.category",
        "event.type",
        "event.action",
        "event.code",
        "event.outcome",
        "event.dataset",
        "event.module",
        "event.provider",
        "host.os.type",
        "data_stream.dataset",
        "data_stream.namespace",
        "winlog.channel",
    ];
    for name in elastic {
        assert!(selector(Vendor::Elastic, &[], name), "{name}");
    }
    for name in ["index", "source", "sourcetype", "eventtype", "EventCode"] {
        assert!(selector(Vendor::Splunk, &[], name), "{name}");
    }
    for name in ["EventID", "Channel"] {
        assert!(selector(Vendor::Sigma, &[], name), "{name}");
    }
    for name in [
        "process.name",
        "process.executable",
        "user.name",
        "registry.path",
    ] {
        assert!(!selector(Vendor::Elastic, &[], name), "{name}");
    }
}

#[test]
fn every_endpoint_and_edr_event_is_a_sensor_and_native_logs_are_not() {
    let tax = Taxonomy::get();
    for e in tax.events() {
        let sensor = tax.sensor(&e.provider, &e.event_id);
        let is_product = matches!(e.provider.as_str(), "endpoint" | "edr");
        assert_eq!(sensor.is_some(), is_product, "{}", e.key());
    }
    let process = tax.sensor("endpoint", "process").map(|s| s.native.clone());
    assert_eq!(
        process.as_deref().map(|n| &n[..2]),
        Some(&["sysmon:1".to_owned(), "security:4688".to_owned()][..])
    );
    assert_eq!(tax.sensor("sysmon", "1"), None);
}

mod events_per_branch {
    use detcat_model::{Expr, Operator, Predicate, TelemetryHint, Value, Vendor};

    use crate::tests::{eq, keys, rule};

    fn tags(names: &[&str]) -> Vec<TelemetryHint> {
        let mut t: Vec<TelemetryHint> = names
            .iter()
            .map(|n| TelemetryHint::DataSourceTag {
                name: (*n).to_owned(),
            })
            .collect();
        t.push(TelemetryHint::EventCategory { name: "any".into() });
        t
    }

    /// Issue 11: the 11 Elastic rules with `event.category == "process" and event.action :
    /// "Image loaded*"` (winlogbeat's Sysmon 7) also got Sysmon 1 and `endpoint:process`.
    #[test]
    fn regression_image_loaded_action_is_sysmon_7_not_process_creation() {
        // The Elastic parser also reports every `event.category` value it saw as a hint.
        let mut hints = tags(&["Elastic Defend", "Sysmon", "Elastic Endgame"]);
        for c in ["library", "driver", "process"] {
            hints.push(TelemetryHint::EventCategory { name: c.into() });
        }
        let mut r = rule(Vendor::Elastic, hints, vec![]);
        let action = Predicate::new(
            "event.action",
            Operator::Wildcard,
            vec![Value::from("Image loaded*")],
        );
        r.expr = Expr::and(vec![
            Expr::Pred(eq("host.os.type", "windows")),
            Expr::or(vec![
                Expr::Pred(Predicate::new(
                    "event.category",
                    Operator::Eq,
                    vec![Value::from("library"), Value::from("driver")],
                )),
                Expr::and(vec![
                    Expr::Pred(eq("event.category", "process")),
                    Expr::Pred(action),
                ]),
            ]),
            Expr::Pred(eq("process.name", "WINWORD.EXE")),
        ]);
        let got = keys(&r);
        for want in ["sysmon:7", "endpoint:library", "edr:endgame"] {
            assert!(got.iter().any(|k| k == want), "{want} missing: {got:?}");
        }
        for wrong in ["sysmon:1", "endpoint:process"] {
            assert!(!got.iter().any(|k| k == wrong), "{wrong} in {got:?}");
        }
    }

    /// Issue 11: 17 Elastic Defend alert rules got a spurious `endpoint:process`.
    #[test]
    fn regression_defend_alert_rules_read_alerts_not_process_events() {
        let mut r = rule(Vendor::Elastic, tags(&["Elastic Defend"]), vec![]);
        r.expr = Expr::and(vec![
            Expr::Pred(eq("event.kind", "alert")),
            Expr::Pred(eq("event.module", "endpoint")),
            Expr::Pred(eq("rule.name", "x")),
        ]);
        assert_eq!(keys(&r), ["endpoint:alert"]);
    }

    /// Each branch reads its own category: a process branch and a network branch give process
    /// and network events, and a negated selector picks nothing.
    #[test]
    fn each_branch_picks_its_own_events() {
        let mut r = rule(Vendor::Elastic, tags(&["Sysmon"]), vec![]);
        r.expr = Expr::and(vec![
            Expr::or(vec![
                Expr::and(vec![
                    Expr::Pred(eq("event.category", "process")),
                    Expr::Pred(eq("event.type", "start")),
                ]),
                Expr::Pred(eq("event.category", "network")),
            ]),
            Expr::not(Expr::Pred(eq("event.type", "deletion"))),
        ]);
        assert_eq!(keys(&r), ["sysmon:1", "sysmon:3"]);
    }
}

mod splunk_events {
    use detcat_model::{TelemetryHint, Vendor};

    use crate::tests::{eq, keys, rule};

    /// Issue 11: 114 active Splunk rules had no event although they name a usable sourcetype.
    #[test]
    fn regression_sourcetype_gives_events_without_data_source() {
        let r = rule(
            Vendor::Splunk,
            vec![],
            vec![
                eq("sourcetype", "aws:cloudtrail:lake"),
                eq("eventName", "x"),
            ],
        );
        assert_eq!(keys(&r), ["aws:cloudtrail"]);
        let r = rule(
            Vendor::Splunk,
            vec![],
            vec![eq("sourcetype", "o365:management:activity")],
        );
        assert_eq!(keys(&r), ["m365:audit"]);
        let r = rule(
            Vendor::Splunk,
            vec![],
            vec![eq("sourcetype", "zscalernss-web")],
        );
        assert_eq!(keys(&r), ["network:proxy"]);
    }

    /// Issue 11: Splunk `category=SignInLogs` got `azure:auditlogs`.
    #[test]
    fn regression_signin_category_is_the_signin_log() {
        let ds = TelemetryHint::DataSource {
            name: "Azure Active Directory".into(),
        };
        let r = rule(Vendor::Splunk, vec![ds], vec![eq("category", "SignInLogs")]);
        assert_eq!(keys(&r), ["azure:signinlogs"]);
    }
}

/// Issue 11: `logs-system.auth-*` (the Linux auth log) got the Windows `system:*` log or
/// `endpoint:security`, and its 11 rules landed on five different event sets.
#[test]
fn regression_linux_auth_index_is_the_linux_auth_log() {
    use detcat_model::{TelemetryHint, Vendor};

    use crate::tests::{eq, keys, rule};
    let index = |p: &str| TelemetryHint::Index {
        pattern: p.to_owned(),
    };
    let cat = |c: &str| TelemetryHint::EventCategory { name: c.to_owned() };
    let tag = |t: &str| TelemetryHint::DataSourceTag { name: t.to_owned() };
    let sets = [
        vec![
            index("filebeat-*"),
            index("logs-system.auth-*"),
            cat("authentication"),
        ],
        vec![index("filebeat-*"), index("logs-system.auth-*"), cat("iam")],
        vec![
            tag("System"),
            index("filebeat-*"),
            index("logs-system.auth-*"),
            cat("authentication"),
        ],
    ];
    for hints in sets {
        let r = rule(
            Vendor::Elastic,
            hints.clone(),
            vec![eq("process.name", "sshd")],
        );
        assert_eq!(keys(&r), ["linux:auth"], "{hints:?}");
    }
    let defend = rule(
        Vendor::Elastic,
        vec![
            tag("Elastic Defend"),
            index("logs-system.auth-*"),
            cat("authentication"),
        ],
        vec![],
    );
    assert!(keys(&defend).contains(&"linux:auth".to_owned()));
}

/// Cloud API calls (`eventName: CreateAccessKey`) are what cloud rules look for: indicators on
/// `cloud.operation`, not `event.action` selectors — also ECS `event.action` in cloud logs.
#[test]
fn cloud_operations_are_indicators_not_selectors() {
    assert_eq!(
        field_in(Vendor::Sigma, &[], "eventName"),
        Some("cloud.operation")
    );
    assert!(!selector(Vendor::Sigma, &[], "eventName"));
    let aws = ["data_source:AWS CloudTrail", "index:logs-aws.cloudtrail-*"];
    assert_eq!(
        field_in(Vendor::Elastic, &aws, "event.action"),
        Some("cloud.operation")
    );
    assert!(!selector(Vendor::Elastic, &aws, "event.action"));
    let endpoint = [
        "data_source:Elastic Defend",
        "index:logs-endpoint.events.process-*",
    ];
    assert!(selector(Vendor::Elastic, &endpoint, "event.action"));
}

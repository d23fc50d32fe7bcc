//! JSON shapes users have, turned into events:
//!
//! - the Windows event rendering of `evtx` and the Sigma regression data:
//!   `{"Event": {"System": {…}, "EventData": {…} | "UserData": {…}}}`;
//! - ECS / winlogbeat documents (`process.executable`, `winlog.event_data.Image`), nested or
//!   with dotted keys;
//! - flat documents (`key: value` with CIM-style names, flat Sysmon exports).

use serde_json::{Map, Value};

use crate::event::{Event, Naming};
use crate::provenance::Provenance;

/// Keys that mark an ECS / winlogbeat document.
const ECS_MARKERS: [&str; 5] = ["@timestamp", "ecs", "winlog", "event.category", "agent"];

/// Deepest nesting flattened; deeper parts are kept as their JSON text.
const MAX_DEPTH: usize = 32;

/// Turns one JSON document into an event.
///
/// # Errors
/// A message when the document is no JSON object.
pub fn event_from_json(value: Value, mut prov: Provenance) -> Result<Event, String> {
    let Value::Object(mut map) = value else {
        return Err(format!(
            "a JSON event must be an object, not {}",
            kind(&value)
        ));
    };
    if let Some(Value::Object(event)) = map.get_mut("Event")
        && event.contains_key("System")
    {
        let mut fields = Vec::new();
        windows(std::mem::take(event), &mut fields, &mut prov);
        return Ok(Event::from_fields(Naming::Windows, fields, prov));
    }
    let naming = if ECS_MARKERS.iter().any(|k| map.contains_key(*k)) {
        Naming::Ecs
    } else {
        Naming::Flat
    };
    let mut fields = Vec::new();
    for (k, v) in map {
        flatten(k, v, 0, &mut fields);
    }
    Ok(Event::from_fields(naming, fields, prov))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

type Fields = Vec<(String, Option<String>)>;

/// Scalar text; `#text` of an attributed element; JSON text of anything else.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => match o.get("#text") {
            Some(t) => text(t),
            None => Some(Value::Object(o.clone()).to_string()),
        },
        Value::Array(_) => Some(v.to_string()),
    }
}

fn attr<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.get("#attributes").and_then(|a| a.get(name))
}

/// `System` fields under the names Sigma rules use; the rest of the event data as is.
fn windows(mut event: Map<String, Value>, out: &mut Fields, prov: &mut Provenance) {
    if let Some(system) = event.remove("System") {
        if let Some(p) = system.get("Provider") {
            out.push(("Provider_Name".into(), attr(p, "Name").and_then(text)));
            if let Some(g) = attr(p, "Guid") {
                out.push(("Provider_Guid".into(), text(g)));
            }
        }
        for name in [
            "EventID",
            "Version",
            "Level",
            "Task",
            "Opcode",
            "Keywords",
            "EventRecordID",
            "Channel",
            "Computer",
        ] {
            if let Some(v) = system.get(name) {
                out.push((name.to_owned(), text(v)));
            }
        }
        if let Some(t) = system
            .get("TimeCreated")
            .and_then(|t| attr(t, "SystemTime"))
        {
            prov.timestamp = text(t);
        }
        if let Some(u) = system.get("Security").and_then(|s| attr(s, "UserID")) {
            out.push(("UserID".into(), text(u)));
        }
        if let Some(x) = system.get("Execution") {
            for (a, name) in [
                ("ProcessID", "ExecutionProcessID"),
                ("ThreadID", "ExecutionThreadID"),
            ] {
                if let Some(v) = attr(x, a) {
                    out.push((name.to_owned(), text(v)));
                }
            }
        }
    }
    for (section, value) in event {
        if section == "#attributes" {
            continue;
        }
        event_data(value, 0, out);
    }
}

/// `EventData` / `UserData` / `System`-less sections: named values as fields, unnamed `Data`
/// as the `Data` field, nested elements by their own names.
fn event_data(value: Value, depth: usize, out: &mut Fields) {
    let Value::Object(map) = value else {
        if let Some(t) = text(&value) {
            out.push(("Data".into(), Some(t)));
        }
        return;
    };
    for (k, v) in map {
        if k == "#attributes" {
            continue;
        }
        match v {
            Value::Object(ref o) if !o.contains_key("#text") && depth < MAX_DEPTH => {
                event_data(v, depth + 1, out)
            }
            Value::Array(items) => {
                for item in items {
                    let name = attr(&item, "Name")
                        .and_then(text)
                        .unwrap_or_else(|| k.clone());
                    out.push((name, text(&item)));
                }
            }
            other => out.push((k, text(&other))),
        }
    }
}

/// Nested objects become dotted names; arrays become several values of one field.
fn flatten(prefix: String, v: Value, depth: usize, out: &mut Fields) {
    match v {
        Value::Object(map) if depth < MAX_DEPTH => {
            for (k, v) in map {
                flatten(format!("{prefix}.{k}"), v, depth + 1, out);
            }
        }
        Value::Array(items) if depth < MAX_DEPTH => {
            if items.is_empty() {
                out.push((prefix.clone(), None));
            }
            for item in items {
                flatten(prefix.clone(), item, depth + 1, out);
            }
        }
        other => {
            let t = text(&other);
            out.push((prefix, t));
        }
    }
}

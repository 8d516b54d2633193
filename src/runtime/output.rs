//! Actions as JSON lines: the shape downstream senders read. Fields are only ever added.
//!
//! `{"at": RFC 3339, "lead": id, "action": kind, …its arguments, "workflow"/"step" or
//! "trigger", "id": 16 hex digits}`.

use super::format;
use crate::vm::action::{Action, ActionKind, Source};
use serde_json::{json, Map, Value};

pub fn to_json(a: &Action) -> Value {
    let mut o = Map::new();
    o.insert("at".into(), json!(format::instant(a.at)));
    o.insert("lead".into(), json!(a.lead));
    o.insert("action".into(), json!(a.kind.name()));
    match &a.kind {
        ActionKind::Send { channel, template } => {
            o.insert("channel".into(), json!(channel.name()));
            o.insert("template".into(), json!(template));
        }
        ActionKind::Suppressed {
            channel,
            template,
            rule,
        } => {
            o.insert("channel".into(), json!(channel.name()));
            o.insert("template".into(), json!(template));
            o.insert("rule".into(), json!(rule));
        }
        ActionKind::Notify { audience, message } => {
            o.insert("audience".into(), json!(audience.name()));
            o.insert("message".into(), json!(message));
        }
        ActionKind::Retarget { add, audience } => {
            o.insert("audience".into(), json!(audience));
            o.insert("change".into(), json!(if *add { "add" } else { "remove" }));
        }
        ActionKind::Webhook { name, fields } => {
            o.insert("name".into(), json!(name));
            let payload: Map<String, Value> = fields.iter().cloned().collect();
            o.insert("payload".into(), Value::Object(payload));
        }
        ActionKind::Set { attr, value } => {
            o.insert("attribute".into(), json!(attr));
            o.insert("value".into(), value.clone());
        }
        ActionKind::Tag { tag, .. } => {
            o.insert("tag".into(), json!(tag));
        }
        ActionKind::Converted { workflow } => {
            o.insert("workflow".into(), json!(workflow));
        }
        ActionKind::Entered { list } | ActionKind::Exited { list } => {
            o.insert("list".into(), json!(list));
        }
        ActionKind::CascadeLimit { depth } => {
            o.insert(
                "message".into(),
                json!(format!(
                    "triggers and `set`s set each other off {depth} times in one instant; stopped"
                )),
            );
        }
    }
    match &a.source {
        Source::Workflow { workflow, step } => {
            o.insert("workflow".into(), json!(workflow));
            o.insert("step".into(), json!(step));
        }
        Source::Trigger { index } => {
            o.insert("trigger".into(), json!(index + 1));
        }
        Source::Engine => {}
    }
    o.insert("id".into(), json!(format!("{:016x}", a.id)));
    Value::Object(o)
}

/// One action as a line of JSON, with its newline.
pub fn line(a: &Action) -> String {
    let mut s = serde_json::to_string(&to_json(a)).expect("actions serialise");
    s.push('\n');
    s
}

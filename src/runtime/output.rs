//! Actions as JSON lines: the shape downstream senders read.
//!
//! `{"at": RFC 3339, "lead": id, "action": kind, …its arguments, "workflow"/"step" (and
//! "variant") or "trigger"/"line", "id": 16 hex digits}` (docs/language.md, "Output records"). Serialised straight from borrowed fields, with no
//! intermediate JSON tree.

use crate::lang::format;
use crate::vm::action::{Action, ActionKind, Source};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;

#[derive(Serialize, Default)]
struct Line<'a> {
    at: String,
    lead: &'a str,
    action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a str>,
    /// For `send … decide(name)`: the decision and the row that chose the template.
    #[serde(skip_serializing_if = "Option::is_none")]
    decision: Option<DecisionField<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audience: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<Payload<'a>>,
    /// `with { … }`: the action's data for its template or integration.
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<Payload<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attribute: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    list: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    workflow: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    step: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    variant: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    holdout: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trigger: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    id: String,
}

/// `"decision": {"name": "next_offer", "row": 2, "else": false}`.
#[derive(Serialize)]
struct DecisionField<'a> {
    name: &'a str,
    row: u32,
    #[serde(rename = "else")]
    otherwise: bool,
}

/// A webhook's fields or an action's data, in the order written.
struct Payload<'a>(&'a [(String, Value)]);

impl Serialize for Payload<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

fn fields(a: &Action) -> Line<'_> {
    let mut l = Line {
        at: format::instant(a.at),
        lead: &a.lead,
        action: a.kind.name(),
        id: format!("{:016x}", a.id),
        data: (!a.data.is_empty()).then_some(Payload(&a.data)),
        decision: a.decision.as_ref().map(|d| DecisionField {
            name: &d.name,
            row: d.row,
            otherwise: d.otherwise,
        }),
        ..Line::default()
    };
    match &a.kind {
        ActionKind::Send { channel, template } => {
            l.channel = Some(channel.name());
            l.template = Some(template);
        }
        ActionKind::Suppressed {
            channel,
            template,
            rule,
        } => {
            l.channel = Some(channel.name());
            l.template = Some(template);
            l.rule = Some(rule);
        }
        ActionKind::Notify { audience, message } => {
            l.audience = Some(audience.name());
            l.message = Some(Cow::Borrowed(message));
        }
        ActionKind::Retarget { add, audience } => {
            l.audience = Some(audience);
            l.change = Some(if *add { "add" } else { "remove" });
        }
        ActionKind::Webhook { name, fields } => {
            l.name = Some(name);
            l.payload = Some(Payload(fields));
        }
        ActionKind::Set { attr, value } => {
            l.attribute = Some(attr);
            l.value = Some(value);
        }
        ActionKind::Tag { tag, .. } => l.tag = Some(tag),
        ActionKind::Converted {
            workflow,
            variant,
            holdout,
        } => {
            l.workflow = Some(workflow);
            l.variant = variant.as_deref();
            l.holdout = *holdout;
        }
        ActionKind::HeldOut { workflow } => l.workflow = Some(workflow),
        ActionKind::Assigned => {}
        ActionKind::Entered { list } | ActionKind::Exited { list } => l.list = Some(list),
        ActionKind::CascadeLimit { depth } => {
            l.message = Some(Cow::Owned(format!(
                "triggers and `set`s set each other off {depth} times in one instant; stopped"
            )));
        }
    }
    match &a.source {
        Source::Workflow {
            workflow,
            step,
            variant,
        } => {
            l.workflow = Some(workflow);
            l.step = Some(step);
            l.variant = variant.as_deref();
        }
        Source::Trigger { name, line, .. } => {
            l.trigger = Some(name);
            l.line = Some(*line);
        }
        Source::Engine => {}
    }
    l
}

/// One action as a JSON value (tests, the REPL).
pub fn to_json(a: &Action) -> Value {
    serde_json::to_value(fields(a)).expect("actions serialise")
}

/// Appends one action as a line of JSON, with its newline.
pub fn write_line(a: &Action, out: &mut Vec<u8>) {
    serde_json::to_writer(&mut *out, &fields(a)).expect("writing to a Vec cannot fail");
    out.push(b'\n');
}

/// One action as a line of JSON, with its newline.
pub fn line(a: &Action) -> String {
    let mut out = Vec::with_capacity(160);
    write_line(a, &mut out);
    String::from_utf8(out).expect("JSON is UTF-8")
}

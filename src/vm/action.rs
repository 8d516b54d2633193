//! What the VM emits: actions for downstream systems, and records of what it decided.

use crate::compile::Compiled;
use crate::lang::modes::{Audience, Channel};
use compact_str::CompactString;

#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    /// Inline for ids of up to 24 bytes (most), so emitting an action allocates nothing.
    pub lead: CompactString,
    pub kind: ActionKind,
    pub source: Source,
    /// `with { … }`: the data a send, notification or webhook carries to its template or
    /// integration, each field by name, in the order written (empty without `with`).
    pub data: Vec<(String, serde_json::Value)>,
    /// For `send … decide(name)`: the decision that chose the template, and its row.
    pub decision: Option<Decided>,
    /// Stable across runs of the same input: downstream senders drop duplicates by it.
    pub id: u64,
}

/// The decision and row that chose a send's template (`send email decide(next_offer)`).
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    pub name: String,
    /// Counted from 1, as `GET /v1/leads/{id}/decide/{name}` counts them: `else` is one past
    /// the last row.
    pub row: u32,
    /// Whether no row held and `else` chose.
    pub otherwise: bool,
}

impl Action {
    /// Where the action came from, as the REPL and test traces print it:
    /// `[welcome: send email "offer-b", variant "B"]`, `[on enter hot, line 12]`; `None` for
    /// the engine's own records. An assignment names its variant already.
    pub fn origin(&self) -> Option<String> {
        match &self.source {
            Source::Workflow { workflow, step, .. } if self.kind == ActionKind::Assigned => {
                Some(format!("[{workflow}: {step}]"))
            }
            Source::Workflow {
                workflow,
                step,
                variant,
            } => Some(format!(
                "[{workflow}: {step}{}]",
                variant_note(variant.as_deref())
            )),
            Source::Trigger { name, line, .. } => Some(format!("[{name}, line {line}]")),
            Source::Engine => None,
        }
    }
}

/// What produced an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A step of a workflow; `variant` is the label of the split arm the step lies in.
    Workflow {
        workflow: String,
        step: String,
        variant: Option<String>,
    },
    /// A trigger: its index in source order, what sets it off as written (`on enter hot`)
    /// and its line in the campaign.
    Trigger {
        index: u16,
        name: String,
        line: u32,
    },
    Engine,
}

/// `, variant "B"`, after a step or a conversion in the REPL and test traces; empty with no
/// variant.
pub fn variant_note(variant: Option<&str>) -> String {
    variant.map_or(String::new(), |v| {
        format!(", variant \"{}\"", crate::lang::format::escaped(v))
    })
}

/// `converted in welcome, variant "B"` or `converted in welcome, held out`, as the REPL and
/// test traces print a conversion.
pub fn converted_text(workflow: &str, variant: Option<&str>, holdout: Option<bool>) -> String {
    let held = if holdout == Some(true) {
        ", held out"
    } else {
        ""
    };
    format!("converted in {workflow}{}{held}", variant_note(variant))
}

impl Source {
    /// The variant of the split arm a workflow's step lies in.
    pub fn variant(&self) -> Option<&str> {
        match self {
            Source::Workflow { variant, .. } => variant.as_deref(),
            _ => None,
        }
    }

    /// The trigger `t` of a program, as its actions name it.
    pub fn trigger(c: &Compiled, t: u16) -> Source {
        let trigger = &c.triggers[t as usize];
        Source::Trigger {
            index: t,
            name: trigger.name.clone(),
            line: trigger.line,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ActionKind {
    Send {
        channel: Channel,
        template: String,
    },
    /// A send that did not go out, and the rule that stopped it.
    Suppressed {
        channel: Channel,
        template: String,
        rule: String,
    },
    Notify {
        audience: Audience,
        message: String,
    },
    Retarget {
        add: bool,
        audience: String,
    },
    Webhook {
        name: String,
        fields: Vec<(String, serde_json::Value)>,
    },
    Set {
        attr: String,
        value: serde_json::Value,
    },
    Tag {
        tag: String,
        add: bool,
    },
    /// A goal met; `variant` is the arm the run took at the last split it passed; `holdout`,
    /// in a workflow with a holdout (or a run held out of one), whether the run was held out.
    Converted {
        workflow: String,
        variant: Option<String>,
        holdout: Option<bool>,
    },
    /// A lead enrolled in a workflow and held out of its steps (`holdout P%`): the record a
    /// holdout's size is measured by, as `assigned` is for a split.
    HeldOut {
        workflow: String,
    },
    /// A run passed a split and took an arm, the variant its source names, whether or not
    /// the arm has steps (a control arm has none): the record results are measured by.
    Assigned,
    Entered {
        list: CompactString,
    },
    Exited {
        list: CompactString,
    },
    /// A cascade of triggers and `set`s stopped at the depth limit.
    CascadeLimit {
        depth: u32,
    },
}

impl ActionKind {
    pub fn name(&self) -> &'static str {
        match self {
            ActionKind::Send { .. } => "send",
            ActionKind::Suppressed { .. } => "suppressed",
            ActionKind::Notify { .. } => "notify",
            ActionKind::Retarget { .. } => "retarget",
            ActionKind::Webhook { .. } => "webhook",
            ActionKind::Set { .. } => "set",
            ActionKind::Tag { add: true, .. } => "tag",
            ActionKind::Tag { add: false, .. } => "untag",
            ActionKind::Converted { .. } => "converted",
            ActionKind::Assigned => "assigned",
            ActionKind::HeldOut { .. } => "holdout",
            ActionKind::Entered { .. } => "enter",
            ActionKind::Exited { .. } => "exit",
            ActionKind::CascadeLimit { .. } => "error",
        }
    }

    /// Membership records are written only when asked for (`--memberships`).
    pub fn is_membership(&self) -> bool {
        matches!(self, ActionKind::Entered { .. } | ActionKind::Exited { .. })
    }
}

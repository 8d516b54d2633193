//! The compiled program: what the VM runs. Names survive only where output needs them.

use super::bytecode::Chunk;
use super::expr::Pools;
use super::layout::{Layout, Ring, TimeSlot};
use crate::lang::format;
use crate::lang::modes::{Audience, Channel, Enroll};
use crate::lang::ops::EffectKind;
use crate::lang::span::Span;
use crate::lang::types::Ty;
use crate::lang::value::Val;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Compiled {
    pub campaign: Option<String>,
    pub pools: Pools,
    pub attrs: Vec<AttrInfo>,
    /// The attribute holding the lead's time zone, if the schema has one.
    pub timezone_attr: Option<u16>,
    pub tags_attr: u16,
    pub enums: Vec<Vec<String>>,
    pub events: Vec<EventInfo>,
    pub scores: Vec<Score>,
    pub lists: Vec<List>,
    /// Scores and lists in an order where each comes after everything it reads.
    pub derive_order: Vec<Derived>,
    pub triggers: Vec<Trigger>,
    pub workflows: Vec<Workflow>,
    pub policy: Policy,
    /// For each event: exactly what can react to it.
    pub dispatch: Vec<Dispatch>,
    pub layout: Layout,
    /// Derived from the rest on compile and on load; not stored in `.nbc` files.
    #[serde(skip)]
    pub reactions: super::reactions::Reactions,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttrInfo {
    pub name: String,
    pub ty: Ty,
    pub default: Val,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventInfo {
    pub name: String,
    pub segment_name: String,
    pub props: Vec<(String, Ty)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Derived {
    Score(u16),
    List(u16),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Score {
    pub name: String,
    pub kind: ScoreKind,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ScoreKind {
    Derived(Chunk),
    Rules {
        /// Fraction kept after `every` milliseconds.
        decay: Option<(f64, i64)>,
        when: Vec<WhenRule>,
        on: Vec<OnRule>,
        /// Slab offset of the accumulated value (an `f64` in two words, `SCORE_WORDS`);
        /// `None` for a score with no `on` rules, whose accumulated part is always 0.
        slot: Option<u32>,
        /// When every `when` condition reads only attributes, the slab offset where the
        /// lead's `when` total is kept (an `f64` in two words), refreshed when attributes
        /// change.
        when_cache: Option<u32>,
        /// When the score decays: where the time of its last update is kept, from which
        /// decay applies (a migration may write the clock, which can be past the last
        /// record).
        updated: Option<TimeSlot>,
    },
}

/// Words of a score's value in the slab: an `f64`, the `number` every score is.
pub const SCORE_WORDS: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WhenRule {
    pub cond: Chunk,
    pub effect: EffectKind,
    pub amount: f64,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OnRule {
    pub event: u16,
    pub filter: Option<Chunk>,
    pub effect: EffectKind,
    pub amount: f64,
    /// (per D milliseconds, the ring of the last N times the rule counted: at most N per D)
    pub cap: Option<(i64, Ring)>,
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct List {
    pub name: String,
    pub cond: Chunk,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trigger {
    pub source: TriggerSource,
    pub action: Vec<WOp>,
    pub span: Span,
    /// What sets it off, as written, which its actions name: `on enter hot`,
    /// `on cart.abandoned where cart_value > 50`.
    pub name: String,
    /// The line of the campaign it is on, which its actions name too.
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum TriggerSource {
    Event { event: u16, filter: Option<Chunk> },
    Enter(u16),
    Exit(u16),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Workflow {
    pub name: String,
    pub enroll: Enroll,
    pub only_if: Option<Chunk>,
    pub exit_when: Option<Chunk>,
    pub goal: Option<Chunk>,
    /// The goal's `within` window, if its condition is a `did … within D`: after the last step
    /// the run keeps watching its goal this long.
    pub goal_window: Option<i64>,
    /// `holdout P%`: the percent of enrolled leads who run no step (`vm::holdout`).
    pub holdout: Option<u8>,
    pub ops: Vec<WOp>,
    pub span: Span,
}

/// A workflow instruction. `pc` indexes these; a run ends when `pc` reaches the end.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WOp {
    Send {
        channel: Channel,
        template: u32,
        span: Span,
    },
    Notify {
        audience: Audience,
        message: Template,
        span: Span,
    },
    Retarget {
        add: bool,
        audience: u32,
        span: Span,
    },
    Webhook {
        name: u32,
        /// Each field: its name, its value, and the value's type, which says how it is
        /// written (an enum constant by its name).
        fields: Vec<(String, Chunk, Ty)>,
        span: Span,
    },
    Set {
        attr: u16,
        value: Chunk,
        span: Span,
    },
    Tag {
        tag: u32,
        add: bool,
        span: Span,
    },
    Start {
        workflow: u16,
        span: Span,
    },
    Stop {
        workflow: u16,
        span: Span,
    },
    /// Rest for this many milliseconds.
    WaitFor {
        ms: i64,
        span: Span,
    },
    WaitUntil {
        weekday: bool,
        minutes: u32,
        span: Span,
    },
    /// Rest until the event, or for `timeout` milliseconds.
    WaitUpTo {
        timeout: i64,
        event: u16,
        filter: Option<Chunk>,
        span: Span,
    },
    /// Go to `target` unless the condition holds.
    JumpUnless {
        cond: Chunk,
        target: u32,
        span: Span,
    },
    Jump {
        target: u32,
    },
    /// Arms as (cumulative share in percent, first instruction, label); an arm runs to the
    /// next arm's first instruction, the last to `end`, the instruction after the split.
    Split {
        arms: Vec<(f64, u32, String)>,
        end: u32,
        span: Span,
    },
}

impl WOp {
    /// Whether a run rests at this instruction.
    pub fn is_wait(&self) -> bool {
        matches!(
            self,
            WOp::WaitFor { .. } | WOp::WaitUntil { .. } | WOp::WaitUpTo { .. }
        )
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum TemplatePart {
    Text(String),
    Value(Chunk, Ty),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Policy {
    pub frequency: Vec<Frequency>,
    /// (from, to) in minutes after midnight, lead's zone.
    pub quiet_hours: Option<(u32, u32)>,
    pub suppress: Vec<Suppress>,
}

/// A `suppress when` rule: its condition, and the rule as written, which a suppressed send
/// names.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Suppress {
    pub cond: Chunk,
    /// `suppress when not lead.consent_email`.
    pub rule: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Frequency {
    pub channel: Channel,
    pub per: i64,
    /// The last N sends on the channel: at most N per `per` milliseconds.
    pub ring: Ring,
    pub rule: String,
}

/// What one event type can set in motion.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Dispatch {
    /// The history aggregates (`layout.aggregates`) this event can update.
    pub history: Vec<u16>,
    /// (score, rule index) of `on` rules for this event.
    pub on_rules: Vec<(u16, u16)>,
    /// Triggers on this event, in source order.
    pub triggers: Vec<u16>,
    /// Workflows that have a `wait up to … for` this event.
    pub waits: Vec<u16>,
}

/// A label for an instruction: what a marketer would call the step.
pub fn op_label(c: &super::Compiled, op: &WOp) -> String {
    let text = |s: &u32| c.pools.texts.get(*s).to_string();
    match op {
        WOp::Send {
            channel, template, ..
        } => format!("send {} \"{}\"", channel.name(), text(template)),
        WOp::Notify { audience, .. } => format!("notify {}", audience.name()),
        WOp::Retarget { add, audience, .. } => format!(
            "retarget {} \"{}\"",
            if *add { "add" } else { "remove" },
            text(audience)
        ),
        WOp::Webhook { name, .. } => format!("webhook \"{}\"", text(name)),
        WOp::Set { attr, .. } => format!("set lead.{}", c.attrs[*attr as usize].name),
        WOp::Tag { tag, add, .. } => {
            format!("{} \"{}\"", if *add { "tag" } else { "untag" }, text(tag))
        }
        WOp::Start { workflow, .. } => format!(
            "start {}",
            c.workflows.get(*workflow as usize).map_or("?", |w| &w.name)
        ),
        WOp::Stop { workflow, .. } => format!(
            "stop {}",
            c.workflows.get(*workflow as usize).map_or("?", |w| &w.name)
        ),
        WOp::WaitFor { ms, .. } => format!("wait {}", format::duration(*ms)),
        WOp::WaitUntil {
            weekday, minutes, ..
        } => {
            format!(
                "wait until {}{}",
                if *weekday { "weekday " } else { "" },
                format::time_of_day(*minutes)
            )
        }
        WOp::WaitUpTo { timeout, event, .. } => format!(
            "wait up to {} for {}",
            format::duration(*timeout),
            c.events[*event as usize].name
        ),
        WOp::JumpUnless { .. } => "if".into(),
        WOp::Jump { .. } => "jump".into(),
        WOp::Split { .. } => "split".into(),
    }
}

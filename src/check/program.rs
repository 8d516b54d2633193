//! The checked program: every name resolved to an index, every expression typed. This is what
//! the compiler consumes; it never sees the AST.

use crate::lang::modes::{Audience, Channel, Enroll};
use crate::lang::ops::{BinOp, EffectKind, HistoryKind};
use crate::lang::span::Span;
use crate::lang::types::{Ty, Value};

pub type AttrId = u32;
pub type EventId = u32;
pub type PropId = u32;
pub type ScoreId = u32;
pub type ListId = u32;
pub type WorkflowId = u32;
pub type TestLeadId = u32;

#[derive(Debug, Clone, Default)]
pub struct Program {
    pub campaign: Option<String>,
    /// The campaign's text, which the spans of its declarations point into (the prelude's
    /// events point into the prelude), so that output can quote a rule as it is written.
    pub source: String,
    /// The lead schema. The built-in `tags: list<string>` is always last.
    pub attrs: Vec<Attr>,
    pub enums: Vec<EnumDef>,
    /// Prelude events first, then the campaign's own.
    pub events: Vec<EventDef>,
    pub scores: Vec<Score>,
    pub lists: Vec<List>,
    pub triggers: Vec<Trigger>,
    pub workflows: Vec<Workflow>,
    pub policy: Policy,
    pub tests: Vec<Test>,
}

impl Program {
    pub fn enum_names(&self) -> Vec<String> {
        self.enums.iter().map(|e| e.name.clone()).collect()
    }

    pub fn describe(&self, ty: &Ty) -> String {
        ty.describe(&self.enum_names())
    }

    pub fn attr(&self, name: &str) -> Option<AttrId> {
        self.attrs
            .iter()
            .position(|a| a.name == name)
            .map(|i| i as AttrId)
    }

    pub fn event(&self, name: &str) -> Option<EventId> {
        self.events
            .iter()
            .position(|e| e.name == name)
            .map(|i| i as EventId)
    }

    pub fn score(&self, name: &str) -> Option<ScoreId> {
        self.scores
            .iter()
            .position(|s| s.name == name)
            .map(|i| i as ScoreId)
    }

    pub fn list(&self, name: &str) -> Option<ListId> {
        self.lists
            .iter()
            .position(|l| l.name == name)
            .map(|i| i as ListId)
    }

    pub fn workflow(&self, name: &str) -> Option<WorkflowId> {
        self.workflows
            .iter()
            .position(|w| w.name == name)
            .map(|i| i as WorkflowId)
    }
}

#[derive(Debug, Clone)]
pub struct Attr {
    pub name: String,
    pub ty: Ty,
    /// `Value::Missing` when there is no default.
    pub default: Value,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct EnumDef {
    pub name: String,
    pub variants: Vec<String>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct EventDef {
    pub name: String,
    /// The name the event has in a Segment stream.
    pub segment_name: String,
    pub props: Vec<Prop>,
    /// Declared by the prelude rather than the campaign.
    pub builtin: bool,
    pub span: Span,
}

impl EventDef {
    pub fn prop(&self, name: &str) -> Option<PropId> {
        self.props
            .iter()
            .position(|p| p.name == name)
            .map(|i| i as PropId)
    }
}

#[derive(Debug, Clone)]
pub struct Prop {
    pub name: String,
    pub ty: Ty,
}

#[derive(Debug, Clone)]
pub struct Score {
    pub name: String,
    pub description: Option<String>,
    pub kind: ScoreKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ScoreKind {
    Derived(Expr),
    Rules {
        /// `decay P% every D`: the fraction kept after `every` seconds.
        decay: Option<Decay>,
        when: Vec<WhenRule>,
        on: Vec<OnRule>,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct Decay {
    pub percent: f64,
    pub every: i64,
}

#[derive(Debug, Clone)]
pub struct WhenRule {
    pub cond: Expr,
    pub effect: EffectKind,
    pub amount: f64,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct OnRule {
    pub event: EventId,
    pub filter: Option<Expr>,
    pub effect: EffectKind,
    pub amount: f64,
    /// `at most N times per D`: (N, D seconds).
    pub cap: Option<(u32, i64)>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct List {
    pub name: String,
    pub description: Option<String>,
    pub cond: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Trigger {
    pub source: TriggerSource,
    pub action: Step,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum TriggerSource {
    Event {
        event: EventId,
        filter: Option<Expr>,
    },
    Enter(ListId),
    Exit(ListId),
}

#[derive(Debug, Clone)]
pub struct Workflow {
    pub name: String,
    pub description: Option<String>,
    pub enroll: Enroll,
    pub only_if: Option<Expr>,
    pub exit_when: Option<Expr>,
    pub goal: Option<Expr>,
    /// `holdout P%`: the share of enrolled leads kept from every step, and where it is written.
    pub holdout: Option<(u8, Span)>,
    pub steps: Vec<Step>,
    pub span: Span,
}

impl Workflow {
    /// The goal's `within` window in seconds, if the goal is a `did … within D`: how long a
    /// run watches its goal after its last step (or, held out, after its enrollment).
    pub fn goal_window(&self) -> Option<i64> {
        match &self.goal.as_ref()?.kind {
            ExprKind::History(h) if h.kind == HistoryKind::Did => h.within,
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Step {
    pub kind: StepKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum StepKind {
    Send {
        channel: Channel,
        template: Template,
    },
    Notify {
        audience: Audience,
        message: Template,
    },
    Retarget {
        add: bool,
        audience: Template,
    },
    Webhook {
        name: Template,
        fields: Vec<(String, Expr)>,
    },
    Set {
        attr: AttrId,
        value: Expr,
    },
    Tag(Template),
    Untag(Template),
    Start(WorkflowId),
    Stop(WorkflowId),
    WaitFor(i64),
    /// Minutes after midnight in the lead's zone; `weekday` skips Saturday and Sunday.
    WaitUntil {
        weekday: bool,
        minutes: u32,
    },
    WaitUpTo {
        timeout: i64,
        event: EventId,
        filter: Option<Expr>,
    },
    If {
        cond: Expr,
        then: Vec<Step>,
        otherwise: Vec<Step>,
    },
    Split {
        arms: Vec<SplitArm>,
    },
}

#[derive(Debug, Clone)]
pub struct SplitArm {
    /// Percent, 0 to 100.
    pub share: f64,
    pub label: String,
    pub steps: Vec<Step>,
    pub span: Span,
}

/// An interpolating string.
#[derive(Debug, Clone)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    pub span: Span,
}

impl Template {
    /// The text when nothing is interpolated.
    pub fn as_plain(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [TemplatePart::Text(t)] => Some(t),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum TemplatePart {
    Text(String),
    Expr(Expr),
}

#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// (channel, at most N, per D seconds, span)
    pub frequency: Vec<Frequency>,
    pub quiet_hours: Option<QuietHours>,
    pub suppress: Vec<Expr>,
}

#[derive(Debug, Clone)]
pub struct Frequency {
    pub channel: Channel,
    pub times: u32,
    pub per: i64,
    pub span: Span,
}

#[derive(Debug, Clone, Copy)]
pub struct QuietHours {
    /// Minutes after midnight, lead's zone; `from > to` wraps past midnight.
    pub from: u32,
    pub to: u32,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Test {
    pub name: String,
    /// The leads the test names, in order of first appearance.
    pub leads: Vec<String>,
    pub stmts: Vec<TestStmt>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum TestStmt {
    /// Sets attributes (creating the lead if new), like an `identify`.
    Lead {
        lead: TestLeadId,
        attrs: Vec<(AttrId, Value)>,
        span: Span,
    },
    /// Moves the clock to an instant (milliseconds since the Unix epoch), then optionally
    /// delivers an event.
    At {
        time: i64,
        event: Option<TestEvent>,
        span: Span,
    },
    /// Moves the clock forward, then optionally delivers an event.
    After {
        seconds: i64,
        event: Option<TestEvent>,
        span: Span,
    },
    Expect {
        expectation: Expectation,
        span: Span,
    },
}

#[derive(Debug, Clone)]
pub struct TestEvent {
    pub lead: TestLeadId,
    pub event: EventId,
    /// One value per declared property, `Missing` where not given.
    pub props: Vec<Value>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum Expectation {
    Sent {
        lead: TestLeadId,
        negated: bool,
        action: ExpectedAction,
    },
    InWorkflow {
        lead: TestLeadId,
        negated: bool,
        workflow: WorkflowId,
        step: Option<String>,
    },
    Converted {
        lead: TestLeadId,
        negated: bool,
        workflow: WorkflowId,
    },
    /// A boolean expression over `NAME of LEAD` and `LEAD in LIST`.
    Holds(Expr),
}

#[derive(Debug, Clone)]
pub enum ExpectedAction {
    Send {
        channel: Channel,
        template: Option<String>,
    },
    Notify {
        audience: Audience,
        message: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    Const(Value),
    Template(Template),
    List(Vec<Expr>),
    Attr(AttrId),
    /// A property of the event in scope (a `where` filter's event).
    Prop(PropId),
    Score(ScoreId),
    InList(ListId),
    Now,
    /// After `wait up to … for E`: whether E arrived.
    Received,
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Is {
        expr: Box<Expr>,
        set: bool,
    },
    Matches {
        expr: Box<Expr>,
        regex: String,
    },
    In {
        expr: Box<Expr>,
        negated: bool,
        set: Box<Expr>,
    },
    History(Box<History>),
    /// Tests and REPL: evaluate `expr` for a named lead.
    Of {
        expr: Box<Expr>,
        lead: TestLeadId,
    },
    /// Tests and REPL: whether a named lead is in a list.
    LeadInList {
        lead: TestLeadId,
        list: ListId,
        negated: bool,
    },
}

#[derive(Debug, Clone)]
pub struct History {
    pub kind: HistoryKind,
    pub event: EventId,
    pub filter: Option<Expr>,
    pub within: Option<i64>,
    pub since_enrolled: bool,
}

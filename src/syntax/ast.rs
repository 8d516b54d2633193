//! The syntax tree of a campaign file. Every node carries its span.

use crate::lang::ops::{BinOp, EffectKind, HistoryKind};
use crate::lang::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A dotted event name such as `email.opened`. Where an event is used, a name written by
/// mistake as it arrives from Segment, in quotes (`"Webinar Attended"`), keeps its quotes, so
/// the checker can tell it apart and say which name to write.
pub type EventName = Ident;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Campaign(StrLit),
    Lead(LeadDecl),
    Enum(EnumDecl),
    Event(EventDecl),
    Score(ScoreDecl),
    List(ListDecl),
    Trigger(Trigger),
    Workflow(Workflow),
    Policy(Policy),
    Test(TestDecl),
    Decide(DecideDecl),
}

#[derive(Debug, Clone, PartialEq)]
pub struct LeadDecl {
    pub attrs: Vec<AttrDecl>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttrDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub optional: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeExprKind {
    Named(Ident),
    List(Box<TypeExpr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnumDecl {
    pub name: Ident,
    pub variants: Vec<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventDecl {
    pub name: EventName,
    /// The event's name in a Segment stream, when it differs (`as "Ebook Downloaded"`).
    pub segment_name: Option<StrLit>,
    pub props: Vec<PropDecl>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PropDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScoreDecl {
    pub name: Ident,
    pub description: Option<StrLit>,
    pub body: ScoreBody,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ScoreBody {
    Derived(Expr),
    Rules(Vec<ScoreRule>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ScoreRule {
    Decay {
        percent: Number,
        every: Duration,
        span: Span,
    },
    When {
        cond: Expr,
        effect: Effect,
        span: Span,
    },
    On {
        event: EventName,
        filter: Option<Expr>,
        effect: Effect,
        cap: Option<Cap>,
        span: Span,
    },
}

impl ScoreRule {
    pub fn span(&self) -> Span {
        match self {
            ScoreRule::Decay { span, .. }
            | ScoreRule::When { span, .. }
            | ScoreRule::On { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub kind: EffectKind,
    pub amount: Number,
    pub span: Span,
}

/// `at most N times per D`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cap {
    pub times: u32,
    pub per: Duration,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number {
    pub value: f64,
    pub span: Span,
}

/// A duration literal, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duration {
    pub seconds: i64,
    pub span: Span,
}

/// A time of day, in minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeOfDay {
    pub minutes: u32,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListDecl {
    pub name: Ident,
    pub description: Option<StrLit>,
    pub cond: Expr,
    pub span: Span,
}

/// `decide NAME { when COND -> VALUE … else -> VALUE }`: the first row that holds gives the
/// value. `otherwise` is `None` when `else` was left out, which the checker refuses.
#[derive(Debug, Clone, PartialEq)]
pub struct DecideDecl {
    pub name: Ident,
    pub description: Option<StrLit>,
    pub rows: Vec<DecideRow>,
    pub otherwise: Option<DecideValue>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecideRow {
    pub cond: Expr,
    pub value: DecideValue,
    pub span: Span,
}

/// What a row gives: a text (any expression, which the checker requires to be fixed text) or
/// a record of fields.
#[derive(Debug, Clone, PartialEq)]
pub enum DecideValue {
    Expr(Expr),
    Record { fields: Vec<Field>, span: Span },
}

impl DecideValue {
    pub fn span(&self) -> Span {
        match self {
            DecideValue::Expr(e) => e.span,
            DecideValue::Record { span, .. } => *span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub source: TriggerSource,
    pub action: Step,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TriggerSource {
    Event {
        event: EventName,
        filter: Option<Expr>,
    },
    Enter(Ident),
    Exit(Ident),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    pub name: Ident,
    pub description: Option<StrLit>,
    pub settings: Vec<WorkflowSetting>,
    pub steps: Vec<Step>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum WorkflowSetting {
    Enroll(Enroll, Span),
    OnlyIf(Expr, Span),
    ExitWhen(Expr, Span),
    Goal(Expr, Span),
    /// `holdout P%`: the share of leads enrolled but kept from every step.
    Holdout(Number, Span),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Enroll {
    Once,
    OncePer(Duration),
    EveryTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    Send {
        channel: Ident,
        template: StrLit,
        /// `with { name: value, … }`: the template's data.
        data: Vec<Field>,
    },
    /// `send email decide(next_offer)`: the template is the decision's text.
    SendDecided {
        channel: Ident,
        decision: Ident,
        data: Vec<Field>,
    },
    Notify {
        audience: Ident,
        message: StrLit,
        data: Vec<Field>,
    },
    Retarget {
        add: bool,
        audience: StrLit,
    },
    Webhook {
        name: StrLit,
        fields: Vec<Field>,
        data: Vec<Field>,
    },
    Set {
        attr: Ident,
        value: Expr,
    },
    Tag(StrLit),
    Untag(StrLit),
    Start(Ident),
    Stop(Ident),
    Wait(Wait),
    If {
        cond: Expr,
        then: Vec<Step>,
        otherwise: Vec<Step>,
    },
    Split {
        arms: Vec<SplitArm>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Wait {
    For(Duration),
    Until {
        weekday: bool,
        time: TimeOfDay,
    },
    UpTo {
        timeout: Duration,
        event: EventName,
        filter: Option<Expr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SplitArm {
    pub share: Number,
    pub label: StrLit,
    pub steps: Vec<Step>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub items: Vec<PolicyItem>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PolicyItem {
    Frequency {
        channel: Ident,
        times: u32,
        per: Duration,
        span: Span,
    },
    QuietHours {
        from: TimeOfDay,
        to: TimeOfDay,
        span: Span,
    },
    Suppress {
        cond: Expr,
        span: Span,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    pub name: StrLit,
    pub stmts: Vec<TestStmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TestStmt {
    Lead {
        name: Ident,
        fields: Vec<Field>,
        span: Span,
    },
    At {
        time: Expr,
        event: Option<TestEvent>,
        span: Span,
    },
    After {
        duration: Duration,
        event: Option<TestEvent>,
        span: Span,
    },
    Expect(Expectation),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestEvent {
    pub lead: Ident,
    pub event: EventName,
    pub props: Vec<Field>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expectation {
    Sent {
        lead: Ident,
        negated: bool,
        channel: Ident,
        template: Option<StrLit>,
        span: Span,
    },
    InWorkflow {
        lead: Ident,
        negated: bool,
        workflow: Ident,
        step: Option<StrLit>,
        span: Span,
    },
    Converted {
        lead: Ident,
        negated: bool,
        workflow: Ident,
        span: Span,
    },
    Holds(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: Ident,
    pub value: Expr,
}

/// A string literal: text with `{expr}` interpolations.
#[derive(Debug, Clone, PartialEq)]
pub struct StrLit {
    pub parts: Vec<StrPart>,
    pub span: Span,
}

impl StrLit {
    /// The text when the string has no interpolation.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                StrPart::Text(t) => out.push_str(t),
                StrPart::Interp(_) => return None,
            }
        }
        Some(out)
    }

    /// The text with interpolations shown as `{…}`; for messages and labels.
    pub fn display(&self) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                StrPart::Text(t) => t.clone(),
                StrPart::Interp(_) => "{…}".to_string(),
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum StrPart {
    Text(String),
    Interp(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Bool(bool),
    Int(i64),
    Number(f64),
    Str(StrLit),
    Duration(i64),
    Percent(f64),
    TimeOfDay(u32),
    /// Milliseconds since the Unix epoch.
    Instant(i64),
    List(Vec<Expr>),
    Now,
    Received,
    /// `event.PROP` (the event that started the run) or, with `received`, `received.PROP`
    /// (the event a `wait up to … for` received).
    EventRead {
        received: bool,
        prop: Ident,
    },
    /// A bare or dotted name: a score, a list, an event property, an enum value (`Stage.customer`),
    /// or in tests a lead.
    Path(Vec<Ident>),
    /// `lead.x`
    LeadAttr(Ident),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary {
        op: BinOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `x is set` (`set: true`) or `x is missing`.
    Is {
        expr: Box<Expr>,
        set: bool,
    },
    Matches {
        expr: Box<Expr>,
        regex: String,
        regex_span: Span,
    },
    In {
        expr: Box<Expr>,
        negated: bool,
        set: Box<Expr>,
    },
    History(Box<History>),
    /// `NAME of LEAD`, in tests and the REPL.
    Of {
        expr: Box<Expr>,
        lead: Ident,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct History {
    pub kind: HistoryKind,
    pub event: EventName,
    pub filter: Option<Expr>,
    pub within: Option<Duration>,
    pub since_enrolled: Option<Span>,
}

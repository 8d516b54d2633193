//! Moving a syntax tree along its text: every span of a declaration, and of the diagnostics
//! building it gave, moved by the same number of bytes. An edit before a declaration moves it
//! without changing it, so the incremental parse (`parser::reparse`) keeps its tree and moves
//! it instead of parsing it again.
//!
//! The patterns are exhaustive (no `..`): a field added to the tree does not compile here
//! until it is moved too.

use super::ast::*;
use crate::diag::Diagnostic;
use crate::lang::span::Span;

/// Something with spans in it.
pub trait Shift {
    /// Moves every span by `by` bytes (negative: towards the start).
    fn shift(&mut self, by: i64);
}

impl Shift for Span {
    fn shift(&mut self, by: i64) {
        self.start = (i64::from(self.start) + by) as u32;
        self.end = (i64::from(self.end) + by) as u32;
    }
}

impl<T: Shift> Shift for Vec<T> {
    fn shift(&mut self, by: i64) {
        for x in self {
            x.shift(by);
        }
    }
}

impl<T: Shift> Shift for Option<T> {
    fn shift(&mut self, by: i64) {
        if let Some(x) = self {
            x.shift(by);
        }
    }
}

impl<T: Shift> Shift for Box<T> {
    fn shift(&mut self, by: i64) {
        (**self).shift(by);
    }
}

impl Shift for Diagnostic {
    fn shift(&mut self, by: i64) {
        self.span.shift(by);
        for l in &mut self.labels {
            l.span.shift(by);
        }
    }
}

/// `Shift` for structs whose fields all shift (or are listed as plain data).
macro_rules! shift_struct {
    ($t:ident { $($f:ident),* } plain { $($p:ident),* }) => {
        impl Shift for $t {
            fn shift(&mut self, by: i64) {
                let $t { $($f,)* $($p: _,)* } = self;
                $($f.shift(by);)*
            }
        }
    };
}

shift_struct!(Ident { span } plain { name });
shift_struct!(LeadDecl { attrs, span } plain {});
shift_struct!(AttrDecl { name, ty, default, span } plain {});
shift_struct!(TypeExpr { kind, span } plain { optional });
shift_struct!(EnumDecl { name, variants, span } plain {});
shift_struct!(EventDecl { name, segment_name, props, span } plain {});
shift_struct!(PropDecl { name, ty, span } plain {});
shift_struct!(ScoreDecl { name, description, body, span } plain {});
shift_struct!(Effect { amount, span } plain { kind });
shift_struct!(Cap { per, span } plain { times });
shift_struct!(Number { span } plain { value });
shift_struct!(Duration { span } plain { seconds });
shift_struct!(TimeOfDay { span } plain { minutes });
shift_struct!(ListDecl { name, description, cond, span } plain {});
shift_struct!(DecideDecl { name, description, rows, otherwise, span } plain {});
shift_struct!(DecideRow { cond, value, span } plain {});
shift_struct!(Trigger { source, action, span } plain {});
shift_struct!(Workflow { name, description, settings, steps, span } plain {});
shift_struct!(Step { kind, span } plain {});
shift_struct!(SplitArm { share, label, steps, span } plain {});
shift_struct!(Policy { items, span } plain {});
shift_struct!(TestDecl { name, stmts, span } plain {});
shift_struct!(TestEvent { lead, event, props, span } plain {});
shift_struct!(Field { name, value } plain {});
shift_struct!(StrLit { parts, span } plain {});
shift_struct!(Expr { kind, span } plain {});
shift_struct!(History { event, filter, within, since_enrolled } plain { kind });

impl Shift for Item {
    fn shift(&mut self, by: i64) {
        match self {
            Item::Campaign(x) => x.shift(by),
            Item::Lead(x) => x.shift(by),
            Item::Enum(x) => x.shift(by),
            Item::Event(x) => x.shift(by),
            Item::Score(x) => x.shift(by),
            Item::List(x) => x.shift(by),
            Item::Trigger(x) => x.shift(by),
            Item::Workflow(x) => x.shift(by),
            Item::Policy(x) => x.shift(by),
            Item::Test(x) => x.shift(by),
            Item::Decide(x) => x.shift(by),
        }
    }
}

impl Shift for TypeExprKind {
    fn shift(&mut self, by: i64) {
        match self {
            TypeExprKind::Named(x) => x.shift(by),
            TypeExprKind::List(x) => x.shift(by),
        }
    }
}

impl Shift for ScoreBody {
    fn shift(&mut self, by: i64) {
        match self {
            ScoreBody::Derived(x) => x.shift(by),
            ScoreBody::Rules(x) => x.shift(by),
        }
    }
}

impl Shift for ScoreRule {
    fn shift(&mut self, by: i64) {
        match self {
            ScoreRule::Decay {
                percent,
                every,
                span,
            } => {
                percent.shift(by);
                every.shift(by);
                span.shift(by);
            }
            ScoreRule::When { cond, effect, span } => {
                cond.shift(by);
                effect.shift(by);
                span.shift(by);
            }
            ScoreRule::On {
                event,
                filter,
                effect,
                cap,
                span,
            } => {
                event.shift(by);
                filter.shift(by);
                effect.shift(by);
                cap.shift(by);
                span.shift(by);
            }
        }
    }
}

impl Shift for DecideValue {
    fn shift(&mut self, by: i64) {
        match self {
            DecideValue::Expr(x) => x.shift(by),
            DecideValue::Record { fields, span } => {
                fields.shift(by);
                span.shift(by);
            }
        }
    }
}

impl Shift for TriggerSource {
    fn shift(&mut self, by: i64) {
        match self {
            TriggerSource::Event { event, filter } => {
                event.shift(by);
                filter.shift(by);
            }
            TriggerSource::Enter(x) | TriggerSource::Exit(x) => x.shift(by),
        }
    }
}

impl Shift for WorkflowSetting {
    fn shift(&mut self, by: i64) {
        match self {
            WorkflowSetting::Enroll(e, span) => {
                e.shift(by);
                span.shift(by);
            }
            WorkflowSetting::OnlyIf(x, span)
            | WorkflowSetting::ExitWhen(x, span)
            | WorkflowSetting::Goal(x, span) => {
                x.shift(by);
                span.shift(by);
            }
            WorkflowSetting::Holdout(x, span) => {
                x.shift(by);
                span.shift(by);
            }
        }
    }
}

impl Shift for Enroll {
    fn shift(&mut self, by: i64) {
        match self {
            Enroll::Once | Enroll::EveryTime => {}
            Enroll::OncePer(d) => d.shift(by),
        }
    }
}

impl Shift for StepKind {
    fn shift(&mut self, by: i64) {
        match self {
            StepKind::Send {
                channel,
                template,
                data,
            } => {
                channel.shift(by);
                template.shift(by);
                data.shift(by);
            }
            StepKind::SendDecided {
                channel,
                decision,
                data,
            } => {
                channel.shift(by);
                decision.shift(by);
                data.shift(by);
            }
            StepKind::Notify {
                audience,
                message,
                data,
            } => {
                audience.shift(by);
                message.shift(by);
                data.shift(by);
            }
            StepKind::Retarget { add: _, audience } => audience.shift(by),
            StepKind::Webhook { name, fields, data } => {
                name.shift(by);
                fields.shift(by);
                data.shift(by);
            }
            StepKind::Set { attr, value } => {
                attr.shift(by);
                value.shift(by);
            }
            StepKind::Tag(x) | StepKind::Untag(x) => x.shift(by),
            StepKind::Start(x) | StepKind::Stop(x) => x.shift(by),
            StepKind::Wait(w) => w.shift(by),
            StepKind::If {
                cond,
                then,
                otherwise,
            } => {
                cond.shift(by);
                then.shift(by);
                otherwise.shift(by);
            }
            StepKind::Split { arms } => arms.shift(by),
        }
    }
}

impl Shift for Wait {
    fn shift(&mut self, by: i64) {
        match self {
            Wait::For(d) => d.shift(by),
            Wait::Until { weekday: _, time } => time.shift(by),
            Wait::UpTo {
                timeout,
                event,
                filter,
            } => {
                timeout.shift(by);
                event.shift(by);
                filter.shift(by);
            }
        }
    }
}

impl Shift for PolicyItem {
    fn shift(&mut self, by: i64) {
        match self {
            PolicyItem::Frequency {
                channel,
                times: _,
                per,
                span,
            } => {
                channel.shift(by);
                per.shift(by);
                span.shift(by);
            }
            PolicyItem::QuietHours { from, to, span } => {
                from.shift(by);
                to.shift(by);
                span.shift(by);
            }
            PolicyItem::Suppress { cond, span } => {
                cond.shift(by);
                span.shift(by);
            }
        }
    }
}

impl Shift for TestStmt {
    fn shift(&mut self, by: i64) {
        match self {
            TestStmt::Lead { name, fields, span } => {
                name.shift(by);
                fields.shift(by);
                span.shift(by);
            }
            TestStmt::At { time, event, span } => {
                time.shift(by);
                event.shift(by);
                span.shift(by);
            }
            TestStmt::After {
                duration,
                event,
                span,
            } => {
                duration.shift(by);
                event.shift(by);
                span.shift(by);
            }
            TestStmt::Expect(x) => x.shift(by),
        }
    }
}

impl Shift for Expectation {
    fn shift(&mut self, by: i64) {
        match self {
            Expectation::Sent {
                lead,
                negated: _,
                channel,
                template,
                span,
            } => {
                lead.shift(by);
                channel.shift(by);
                template.shift(by);
                span.shift(by);
            }
            Expectation::InWorkflow {
                lead,
                negated: _,
                workflow,
                step,
                span,
            } => {
                lead.shift(by);
                workflow.shift(by);
                step.shift(by);
                span.shift(by);
            }
            Expectation::Converted {
                lead,
                negated: _,
                workflow,
                span,
            } => {
                lead.shift(by);
                workflow.shift(by);
                span.shift(by);
            }
            Expectation::Holds(x) => x.shift(by),
        }
    }
}

impl Shift for StrPart {
    fn shift(&mut self, by: i64) {
        match self {
            StrPart::Text(_) => {}
            StrPart::Interp(x) => x.shift(by),
        }
    }
}

impl Shift for ExprKind {
    fn shift(&mut self, by: i64) {
        match self {
            ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Number(_)
            | ExprKind::Duration(_)
            | ExprKind::Percent(_)
            | ExprKind::TimeOfDay(_)
            | ExprKind::Instant(_)
            | ExprKind::Now
            | ExprKind::Received => {}
            ExprKind::Str(s) => s.shift(by),
            ExprKind::List(xs) => xs.shift(by),
            ExprKind::EventRead { received: _, prop } => prop.shift(by),
            ExprKind::Path(xs) => xs.shift(by),
            ExprKind::LeadAttr(x) => x.shift(by),
            ExprKind::Neg(x) | ExprKind::Not(x) => x.shift(by),
            ExprKind::Binary {
                op: _,
                op_span,
                lhs,
                rhs,
            } => {
                op_span.shift(by);
                lhs.shift(by);
                rhs.shift(by);
            }
            ExprKind::Is { expr, set: _ } => expr.shift(by),
            ExprKind::Matches {
                expr,
                regex: _,
                regex_span,
            } => {
                expr.shift(by);
                regex_span.shift(by);
            }
            ExprKind::In {
                expr,
                negated: _,
                set,
            } => {
                expr.shift(by);
                set.shift(by);
            }
            ExprKind::History(h) => h.shift(by),
            ExprKind::Of { expr, lead } => {
                expr.shift(by);
                lead.shift(by);
            }
        }
    }
}

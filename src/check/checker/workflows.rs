//! Workflows: their settings (`enroll`, `only if`, `exit when`, `goal`) and their steps, with
//! the texts that steps send.

use super::{Checker, Scope};
use crate::check::hints;
use crate::check::program::*;
use crate::check::suggest;
use crate::diag::Code;
use crate::lang::modes::{Audience, Channel, Enroll};
use crate::lang::span::Span;
use crate::lang::types::{Ty, Value};
use crate::syntax::ast;

impl Checker<'_> {
    pub(super) fn workflow(&mut self, index: usize, w: &ast::Workflow) {
        let scope = Scope {
            workflow: true,
            ..Scope::default()
        };
        let mut enroll_seen = false;
        for s in &w.settings {
            match s {
                ast::WorkflowSetting::Enroll(e, span) => {
                    if enroll_seen {
                        self.error(Code::Misplaced, *span, "`enroll` is given twice")
                            .with_help("keep one `enroll` line");
                    }
                    enroll_seen = true;
                    self.program.workflows[index].enroll = match e {
                        ast::Enroll::Once => Enroll::Once,
                        ast::Enroll::EveryTime => Enroll::EveryTime,
                        ast::Enroll::OncePer(d) => Enroll::OncePer(d.seconds),
                    };
                }
                ast::WorkflowSetting::OnlyIf(e, span)
                | ast::WorkflowSetting::ExitWhen(e, span)
                | ast::WorkflowSetting::Goal(e, span) => {
                    let cond = self.cond(e, scope);
                    let (slot, what) = match s {
                        ast::WorkflowSetting::OnlyIf(..) => {
                            (&mut self.program.workflows[index].only_if, "only if")
                        }
                        ast::WorkflowSetting::ExitWhen(..) => {
                            (&mut self.program.workflows[index].exit_when, "exit when")
                        }
                        _ => (&mut self.program.workflows[index].goal, "goal"),
                    };
                    if slot.is_some() {
                        let msg = format!("`{what}` is given twice");
                        self.error(Code::Misplaced, *span, msg)
                            .with_help("combine the conditions with `or` (or `and`) in one line");
                    } else {
                        *slot = Some(cond);
                    }
                }
                ast::WorkflowSetting::Holdout(share, span) => self.holdout(index, share, *span),
            }
        }
        self.holdout_has_goal(index);
        let mut scope = scope;
        let steps = self.steps(&w.steps, &mut scope);
        self.program.workflows[index].steps = steps;
    }

    /// `holdout P%`: a whole percent from 1 to 99 (E0321), given once.
    fn holdout(&mut self, index: usize, share: &ast::Number, span: Span) {
        if self.program.workflows[index].holdout.is_some() {
            self.error(Code::Misplaced, span, "`holdout` is given twice")
                .with_help("keep one `holdout` line");
            return;
        }
        let p = share.value;
        if p.fract() != 0.0 || !(1.0..=99.0).contains(&p) {
            self.error(
                Code::BadHoldout,
                share.span,
                format!(
                    "a holdout of {p}% cannot be drawn: it must be a whole percent from 1% to 99%"
                ),
            )
            .with_label("not a whole percent from 1 to 99")
            .with_help("hold out a whole percent of the leads, as in `holdout 10%`");
            return;
        }
        self.program.workflows[index].holdout = Some((p as u8, span));
    }

    /// E0320: a holdout is compared with the treated leads on the goal, watched for its
    /// `within` window; without one there is nothing to compare.
    fn holdout_has_goal(&mut self, index: usize) {
        let w = &self.program.workflows[index];
        let (Some((_, span)), None) = (w.holdout, w.goal_window()) else {
            return;
        };
        let name = w.name.clone();
        let message = match w.goal {
            None => format!("workflow `{name}` holds leads out but has no `goal` to measure them by"),
            Some(_) => format!(
                "workflow `{name}` holds leads out, but its `goal` has no `within` window to measure them over"
            ),
        };
        self.error(Code::HoldoutWithoutGoal, span, message)
            .with_label("held out, but measured by nothing")
            .with_help("give the workflow a goal with a window, as in `goal did order.placed within 30d since enrolled`");
    }

    fn steps(&mut self, steps: &[ast::Step], scope: &mut Scope<'_>) -> Vec<Step> {
        steps.iter().filter_map(|s| self.step(s, scope)).collect()
    }

    pub(super) fn template(&mut self, s: &ast::StrLit, scope: Scope<'_>) -> Template {
        let mut parts = Vec::new();
        for p in &s.parts {
            match p {
                ast::StrPart::Text(t) => parts.push(TemplatePart::Text(t.clone())),
                ast::StrPart::Interp(e) => {
                    let x = self.expr(e, scope, None);
                    if x.ty.is_optional() {
                        self.error(
                            Code::OptionalInString,
                            e.span,
                            "this value may be missing, so it cannot go into the text as it is",
                        )
                        .with_label("may be missing")
                        .with_help(
                            "give a fallback with `??`, as in `{lead.first_name ?? \"there\"}`",
                        );
                    }
                    parts.push(TemplatePart::Expr(x));
                }
            }
        }
        Template {
            parts,
            span: s.span,
        }
    }

    /// A string that must be fixed text (a template name, an audience): no interpolation.
    fn plain(&mut self, s: &ast::StrLit, what: &str) -> Template {
        if s.as_plain().is_none() {
            self.error(
                Code::Misplaced,
                s.span,
                format!("{what} must be fixed text, without `{{…}}`"),
            )
            .with_help("write `{{` for a literal brace");
        }
        self.template(s, Scope::default())
    }

    /// It stays whole: one arm per kind of workflow step.
    pub(super) fn step(&mut self, s: &ast::Step, scope: &mut Scope<'_>) -> Option<Step> {
        let kind = match &s.kind {
            ast::StepKind::Send { channel, template } => {
                let ch = match Channel::parse(&channel.name) {
                    Some(c) => c,
                    None => {
                        let help = suggest::help(
                            &mut self.suggestions,
                            &channel.name,
                            "channels",
                            Channel::ALL.iter().map(|c| c.name()),
                        );
                        self.error(
                            Code::UnknownChannel,
                            channel.span,
                            format!("Nurture cannot send by `{}`", channel.name),
                        )
                        .with_help_opt(help.or(Some("send by `email`, `sms` or `push`".into())));
                        return None;
                    }
                };
                StepKind::Send {
                    channel: ch,
                    template: self.plain(template, "a template name"),
                }
            }
            ast::StepKind::Notify { audience, message } => {
                let a = match Audience::parse(&audience.name) {
                    Some(a) => a,
                    None => {
                        self.error(
                            Code::UnknownChannel,
                            audience.span,
                            format!("Nurture cannot notify `{}`", audience.name),
                        )
                        .with_help_opt(Some("notify `sales` or `owner` (the lead's owner)".into()));
                        return None;
                    }
                };
                StepKind::Notify {
                    audience: a,
                    message: self.template(message, *scope),
                }
            }
            ast::StepKind::Retarget { add, audience } => StepKind::Retarget {
                add: *add,
                audience: self.plain(audience, "an audience name"),
            },
            ast::StepKind::Webhook { name, fields } => StepKind::Webhook {
                name: self.plain(name, "a webhook name"),
                fields: fields
                    .iter()
                    .map(|f| {
                        let x = self.expr(&f.value, *scope, None);
                        (f.name.name.clone(), x)
                    })
                    .collect(),
            },
            ast::StepKind::Set { attr, value } => {
                if attr.name == "tags" {
                    self.error(
                        Code::BadAssignment,
                        attr.span,
                        "`lead.tags` cannot be set as a whole",
                    )
                    .with_help("use `tag \"x\"` and `untag \"x\"`");
                    return None;
                }
                let Some(id) = self.ids.attr(&attr.name) else {
                    let help = suggest::help(
                        &mut self.suggestions,
                        &attr.name,
                        "attributes a `set` can write",
                        self.program
                            .attrs
                            .iter()
                            .map(|a| a.name.as_str())
                            .filter(|n| *n != "tags"),
                    )
                    .unwrap_or_else(|| {
                        format!(
                            "declare it in the `lead {{ … }}` schema, as in `{}: string?`",
                            attr.name
                        )
                    });
                    self.error(
                        Code::BadAssignment,
                        attr.span,
                        format!("the lead has no attribute `{}` to set", attr.name),
                    )
                    .with_help(help);
                    return None;
                };
                let want = self.program.attrs[id as usize].ty.clone();
                let x = self.expr(value, *scope, Some(&want));
                if !x.ty.fits(&want) {
                    let (w, g) = (self.describe_a(&want), self.describe_a(&x.ty));
                    let help = hints::unquote(&want, &x);
                    self.error(
                        Code::TypeMismatch,
                        value.span,
                        format!("`lead.{}` is {w}, but this is {g}", attr.name),
                    )
                    .with_label(format!("this is {g}"))
                    .with_help_opt(help);
                }
                if let (Ty::Timezone, ExprKind::Const(Value::Str(name))) = (want.base(), &x.kind) {
                    let name = name.clone();
                    self.timezone(&name, value.span);
                }
                StepKind::Set { attr: id, value: x }
            }
            ast::StepKind::Tag(t) => StepKind::Tag(self.plain(t, "a tag")),
            ast::StepKind::Untag(t) => StepKind::Untag(self.plain(t, "a tag")),
            ast::StepKind::Start(w) => {
                let id = self.workflow_ref(w)?;
                self.uses.start(id);
                StepKind::Start(id)
            }
            ast::StepKind::Stop(w) => StepKind::Stop(self.workflow_ref(w)?),
            ast::StepKind::Wait(ast::Wait::For(d)) => {
                scope.received = false;
                StepKind::WaitFor(d.seconds)
            }
            ast::StepKind::Wait(ast::Wait::Until { weekday, time }) => {
                scope.received = false;
                StepKind::WaitUntil {
                    weekday: *weekday,
                    minutes: time.minutes,
                }
            }
            ast::StepKind::Wait(ast::Wait::UpTo {
                timeout,
                event,
                filter,
            }) => {
                let ev = self.event_ref(event)?;
                let filter = filter.as_ref().map(|f| self.filter(f, ev, true));
                scope.received = true;
                StepKind::WaitUpTo {
                    timeout: timeout.seconds,
                    event: ev,
                    filter,
                }
            }
            ast::StepKind::If {
                cond,
                then,
                otherwise,
            } => {
                let c = self.cond(cond, *scope);
                let mut a = *scope;
                let mut b = *scope;
                let then = self.steps(then, &mut a);
                let otherwise = self.steps(otherwise, &mut b);
                scope.received = a.received && b.received;
                StepKind::If {
                    cond: c,
                    then,
                    otherwise,
                }
            }
            ast::StepKind::Split { arms } => {
                let total: f64 = arms.iter().map(|a| a.share.value).sum();
                if (total - 100.0).abs() > 1e-9 {
                    self.error(
                        Code::SplitShares,
                        s.span,
                        format!("the split's shares add up to {total}%, not 100%"),
                    )
                    .with_label(format!("{total}% in all"))
                    .with_help(
                        "make the shares add up to exactly 100%, so every lead gets a variant",
                    );
                }
                let mut out = Vec::new();
                let mut received = true;
                for arm in arms {
                    if arm.share.value > 100.0 {
                        self.error(
                            Code::BadPercent,
                            arm.share.span,
                            format!("a share of {}% is more than everyone", arm.share.value),
                        );
                    }
                    let mut sc = *scope;
                    let steps = self.steps(&arm.steps, &mut sc);
                    received &= sc.received;
                    // The label names the variant in output: fixed text, as a tag is.
                    self.plain(&arm.label, "a split label");
                    out.push(SplitArm {
                        share: arm.share.value,
                        label: arm.label.display(),
                        steps,
                        span: arm.span,
                    });
                }
                scope.received = received && !arms.is_empty();
                StepKind::Split { arms: out }
            }
        };
        Some(Step { kind, span: s.span })
    }
}

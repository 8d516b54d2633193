//! Personalisation: the event a step reads (`event.total`, `order.placed.total`,
//! `received.rep`), each property kept for the run or trigger that reads it
//! (`Program::kept`), and the typed data of `with { … }` and webhook fields.

use super::{Checker, RunCtx, Scope};
use crate::check::program::*;
use crate::check::suggest;
use crate::diag::Code;
use crate::lang::span::Span;
use crate::lang::types::{Ty, Value};
use crate::syntax::ast;

/// How a workflow's runs begin, as far as `event.PROP` is concerned.
#[derive(Debug, Clone)]
pub(super) enum Start {
    /// Nothing starts it.
    Nothing,
    /// Every start is an `on EVENT … start W` of this one event.
    Event(EventId),
    /// A start that brings no event, or another event than the first: where, and why.
    Refused { span: Span, why: String },
}

impl Checker<'_> {
    /// How each workflow is started (`Start`), from the triggers and `start` steps that name
    /// it; names that do not resolve are left to the checks that report them.
    pub(super) fn workflow_starts(&mut self, file: &ast::File) {
        let mut starts = vec![Start::Nothing; self.program.workflows.len()];
        let mut add = |c: &Self, w: &ast::Ident, s: Start| {
            let Some(id) = c.ids.workflow(&w.name) else {
                return;
            };
            let slot = &mut starts[id as usize];
            *slot = match (std::mem::replace(slot, Start::Nothing), s) {
                (Start::Nothing, s) => s,
                (r @ Start::Refused { .. }, _) => r,
                (Start::Event(a), Start::Event(b)) if a == b => Start::Event(a),
                (Start::Event(_), Start::Event(b)) => Start::Refused {
                    span: w.span,
                    why: format!(
                        "`{}` is also started by `{}`, so its runs do not all have the same event",
                        w.name, c.program.events[b as usize].name
                    ),
                },
                (Start::Event(_), r) => r,
            };
        };
        for item in &file.items {
            match item {
                ast::Item::Trigger(t) => {
                    let ast::StepKind::Start(w) = &t.action.kind else {
                        continue;
                    };
                    let start = match &t.source {
                        ast::TriggerSource::Event { event, .. } => {
                            match self.ids.event(&event.name) {
                                Some(ev) => Start::Event(ev),
                                None => continue,
                            }
                        }
                        ast::TriggerSource::Enter(l) | ast::TriggerSource::Exit(l) => {
                            let how = match t.source {
                                ast::TriggerSource::Enter(_) => "enter",
                                _ => "exit",
                            };
                            Start::Refused {
                                span: t.span,
                                why: format!(
                                    "`on {how} {}` starts `{}`, and a list change has no event",
                                    l.name, w.name
                                ),
                            }
                        }
                    };
                    add(self, w, start);
                }
                ast::Item::Workflow(wf) => {
                    let mut found = Vec::new();
                    each_start(&wf.steps, &mut found);
                    for (w, span) in found {
                        let why = format!(
                            "`start {}` in workflow `{}` starts it with no event",
                            w.name, wf.name.name
                        );
                        add(self, w, Start::Refused { span, why });
                    }
                }
                _ => {}
            }
        }
        self.starts = starts;
    }

    /// `event.PROP` (`named`: `order.placed.PROP`, naming the event) in a step: the event
    /// that started the run or set the trigger off.
    pub(super) fn start_read(
        &mut self,
        prop: &ast::Ident,
        span: Span,
        scope: Scope<'_>,
        named: Option<EventId>,
    ) -> Expr {
        let written = self.written(prop, named);
        let (owner, event) = match scope.run {
            Some(RunCtx::Trigger {
                index,
                event: Some(ev),
                ..
            }) => (KeptOwner::Trigger(index), ev),
            Some(RunCtx::Trigger { event: None, .. }) => {
                return self.no_event(span, &written, "a list change has no event".into(), None)
            }
            Some(RunCtx::Workflow(w)) => match self.starts[w as usize].clone() {
                Start::Event(ev) => (KeptOwner::Start(w), ev),
                Start::Nothing => {
                    let why = format!(
                        "nothing starts workflow `{}`, so no event starts its runs",
                        self.program.workflows[w as usize].name
                    );
                    return self.no_event(span, &written, why, None);
                }
                Start::Refused { span: at, why } => {
                    return self.no_event(span, &written, why, Some(at));
                }
            },
            None if scope.in_where => {
                let why = "a `where` filter reads its own event's properties by their names".into();
                return self.no_event(span, &written, why, None);
            }
            None => {
                let why = "only the steps of a trigger, or of a workflow an event starts, have an event to read".into();
                return self.no_event(span, &written, why, None);
            }
        };
        if let Some(n) = named.filter(|n| *n != event) {
            let why = format!(
                "this run was started by `{}`, not `{}`",
                self.program.events[event as usize].name, self.program.events[n as usize].name
            );
            return self.no_event(span, &written, why, None);
        }
        self.kept(owner, event, prop, false, span)
    }

    /// `received.PROP` (or the waited event's name, `meeting.booked.PROP`) after a
    /// `wait up to … for`: missing where the wait timed out, unless inside `if received`.
    pub(super) fn received_read(
        &mut self,
        prop: &ast::Ident,
        span: Span,
        scope: Scope<'_>,
    ) -> Expr {
        let written = format!("received.{}", prop.name);
        let w = match scope.run {
            Some(RunCtx::Workflow(w)) if scope.received => w,
            _ => {
                self.error(
                    Code::MisplacedReceived,
                    span,
                    format!("`{written}` only means something right after `wait up to … for EVENT`"),
                )
                .with_help("`received.PROP` reads the event the last `wait up to … for EVENT` received; it can only follow such a wait in a workflow");
                return error_expr(span);
            }
        };
        let Some(event) = scope.waited else {
            let why = "the waits on the paths to this step wait for different events".into();
            return self.no_event(span, &written, why, None);
        };
        self.kept(
            KeptOwner::Received(w),
            event,
            prop,
            !scope.received_known,
            span,
        )
    }

    /// `event.PROP`, or `order.placed.PROP` when named, as written.
    fn written(&self, prop: &ast::Ident, named: Option<EventId>) -> String {
        let ev = named.map_or("event", |n| self.program.events[n as usize].name.as_str());
        format!("{ev}.{}", prop.name)
    }

    /// E0313: a read of an event this path cannot have.
    fn no_event(&mut self, span: Span, written: &str, why: String, at: Option<Span>) -> Expr {
        let mut d = self
            .error(
                Code::EventNotInRun,
                span,
                format!("`{written}` has no event to read here: {why}"),
            )
            .with_label("no such event on this path")
            .with_help("read the event only where every run has it: in a trigger on that event, in a workflow only event triggers start, or after `wait up to … for EVENT` with `received.PROP`");
        if let Some(at) = at {
            d = d.with_secondary(at, "starts the workflow without that event");
        }
        let _ = d;
        error_expr(span)
    }

    /// The property kept for `owner`, found once per owner, event and property.
    fn kept(
        &mut self,
        owner: KeptOwner,
        event: EventId,
        prop: &ast::Ident,
        maybe_missing: bool,
        span: Span,
    ) -> Expr {
        let def = &self.program.events[event as usize];
        let Some(p) = def.prop(&prop.name) else {
            let help = suggest::help(
                &mut self.suggestions,
                &prop.name,
                "properties",
                self.program.events[event as usize]
                    .props
                    .iter()
                    .map(|p| p.name.as_str()),
            );
            let msg = format!(
                "event `{}` has no property `{}`",
                self.program.events[event as usize].name, prop.name
            );
            self.error(Code::UnknownName, prop.span, msg)
                .with_help_opt(help);
            return error_expr(span);
        };
        let ty = def.props[p as usize].ty.clone();
        let kept = KeptProp {
            owner,
            event,
            prop: p,
            ty: ty.clone(),
        };
        let i = match self.program.kept.iter().position(|k| *k == kept) {
            Some(i) => i,
            None => {
                self.program.kept.push(kept);
                self.program.kept.len() - 1
            }
        };
        let ty = if maybe_missing { ty.optional() } else { ty };
        Expr {
            kind: ExprKind::Kept(i as u32),
            ty,
            span,
        }
    }

    /// The fields of `with { … }` or of a webhook: typed values, text built with `{…}`
    /// included. `lint`: warn (W0113) of a value that may be missing.
    pub(super) fn data(
        &mut self,
        fields: &[ast::Field],
        scope: Scope<'_>,
        lint: bool,
    ) -> Vec<(String, Expr)> {
        let mut out: Vec<(String, Expr)> = Vec::new();
        for f in fields {
            let x = match &f.value.kind {
                ast::ExprKind::Str(s) if s.as_plain().is_none() => Expr {
                    kind: ExprKind::Template(self.template(s, scope)),
                    ty: Ty::Str,
                    span: f.value.span,
                },
                _ => self.expr(&f.value, scope, None),
            };
            if out.iter().any(|(n, _)| *n == f.name.name) {
                self.error(
                    Code::Duplicate,
                    f.name.span,
                    format!("`{}` is given twice", f.name.name),
                )
                .with_help("keep one field of each name");
                continue;
            }
            if lint && x.ty.is_optional() {
                self.error(
                    Code::MaybeMissingData,
                    f.value.span,
                    format!(
                        "`{}` may be missing, and would reach the template as `null`",
                        f.name.name
                    ),
                )
                .with_label("may be missing")
                .with_help(
                    "give a fallback with `??`, as in `first_name: lead.first_name ?? \"there\"`; \
                     a received event's properties are there inside `if received { … }`",
                );
            }
            out.push((f.name.name.clone(), x));
        }
        out
    }
}

/// Whether a condition holds only when the wait's event arrived: `received`, or `received
/// and …`.
pub(super) fn asserts_received(cond: &ast::Expr) -> bool {
    match &cond.kind {
        ast::ExprKind::Received => true,
        ast::ExprKind::Binary {
            op: crate::lang::ops::BinOp::And,
            lhs,
            rhs,
            ..
        } => asserts_received(lhs) || asserts_received(rhs),
        _ => false,
    }
}

/// Every `start W` step among these steps, nested ones included.
fn each_start<'a>(steps: &'a [ast::Step], out: &mut Vec<(&'a ast::Ident, Span)>) {
    for s in steps {
        match &s.kind {
            ast::StepKind::Start(w) => out.push((w, s.span)),
            ast::StepKind::If {
                then, otherwise, ..
            } => {
                each_start(then, out);
                each_start(otherwise, out);
            }
            ast::StepKind::Split { arms } => arms.iter().for_each(|a| each_start(&a.steps, out)),
            _ => {}
        }
    }
}

fn error_expr(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Const(Value::Missing),
        ty: Ty::Error,
        span,
    }
}

//! Name resolution: events, lists and workflows named by a rule or a step, and the bare and
//! dotted names of expressions (properties, scores, lists, enum values), with "did you mean".

use super::{Checker, Scope};
use crate::check::hints;
use crate::check::program::*;
use crate::check::suggest;
use crate::diag::{Code, Diagnostic};
use crate::lang::span::Span;
use crate::lang::types::{Ty, Value};
use crate::syntax::ast;

impl Checker<'_> {
    pub(super) fn event_ref(&mut self, name: &ast::Ident) -> Option<EventId> {
        if let Some(id) = self.ids.event(&name.name) {
            if !self.in_test {
                self.uses.event(id);
            }
            return Some(id);
        }
        if let Some(d) = hints::quoted_event(&self.program, &name.name, name.span) {
            self.diags.push(d);
            return None;
        }
        let help = hints::event_case(&self.program, &name.name)
            .or_else(|| {
                suggest::help(
                    &mut self.suggestions,
                    &name.name,
                    "declared events",
                    self.program.events.iter().map(|e| e.name.as_str()),
                )
            })
            .unwrap_or_else(|| format!("declare it: `event {} {{ … }}`", name.name));
        self.error(
            Code::UnknownEvent,
            name.span,
            format!("there is no event `{}`", name.name),
        )
        .with_label("not declared")
        .with_help(help);
        None
    }

    pub(super) fn list_ref(&mut self, name: &ast::Ident) -> Option<ListId> {
        if let Some(id) = self.ids.list(&name.name) {
            return Some(id);
        }
        if let Some(d) = hints::not_a_list(&self.program, &name.name, name.span) {
            self.diags.push(d);
            return None;
        }
        let help = suggest::help(
            &mut self.suggestions,
            &name.name,
            "declared lists",
            self.program.lists.iter().map(|l| l.name.as_str()),
        );
        self.error(
            Code::UnknownList,
            name.span,
            format!("there is no list `{}`", name.name),
        )
        .with_help_opt(help);
        None
    }

    pub(super) fn workflow_ref(&mut self, name: &ast::Ident) -> Option<WorkflowId> {
        if let Some(id) = self.ids.workflow(&name.name) {
            return Some(id);
        }
        let help = suggest::help(
            &mut self.suggestions,
            &name.name,
            "declared workflows",
            self.program.workflows.iter().map(|w| w.name.as_str()),
        );
        self.error(
            Code::UnknownWorkflow,
            name.span,
            format!("there is no workflow `{}`", name.name),
        )
        .with_help_opt(help);
        None
    }

    /// It stays whole: one arm per kind of dotted name (`lead.`, `event.`, scores, lists, enum values).
    pub(super) fn path(
        &mut self,
        path: &[ast::Ident],
        span: Span,
        scope: Scope<'_>,
        expect: Option<&Ty>,
    ) -> Expr {
        let typed = |kind: ExprKind, ty: Ty| Expr { kind, ty, span };
        let error = || Expr {
            kind: ExprKind::Const(Value::Missing),
            ty: Ty::Error,
            span,
        };
        if let [name] = path {
            let n = name.name.as_str();
            if let Some(ev) = scope.event {
                let def = &self.program.events[ev as usize];
                if let Some(p) = def.prop(n) {
                    let ty = def.props[p as usize].ty.clone();
                    self.warn_shadow(name, &def.name.clone());
                    return typed(ExprKind::Prop(p), ty);
                }
            }
            if let Some(id) = self.ids.score(n) {
                return typed(ExprKind::Score(id), Ty::Number);
            }
            if let Some(id) = self.ids.list(n) {
                return typed(ExprKind::InList(id), Ty::Bool);
            }
            if let Some(Ty::Enum(id)) = expect.map(|t| t.base()) {
                if let Some(v) = self.program.enums[*id as usize]
                    .variants
                    .iter()
                    .position(|v| v == n)
                {
                    return typed(ExprKind::Const(Value::Enum(*id, v as u32)), Ty::Enum(*id));
                }
            }
            let owners: Vec<(usize, usize)> = self
                .program
                .enums
                .iter()
                .enumerate()
                .filter_map(|(i, e)| e.variants.iter().position(|v| v == n).map(|v| (i, v)))
                .collect();
            if let [(e, v)] = owners.as_slice() {
                return typed(
                    ExprKind::Const(Value::Enum(*e as u32, *v as u32)),
                    Ty::Enum(*e as u32),
                );
            }
            if scope
                .test_leads
                .is_some_and(|leads| leads.iter().any(|l| l == n))
            {
                self.error(
                    Code::Misplaced,
                    span,
                    format!("`{n}` is a lead; ask about it with `NAME of {n}` or `{n} in LIST`"),
                );
                return error();
            }
            self.unknown_name(name, scope);
            return error();
        }
        // `Stage.customer`
        if let [e, v] = path {
            if let Some(id) = self.program.enums.iter().position(|x| x.name == e.name) {
                return match self.variant(id as u32, v) {
                    Some(val) => typed(ExprKind::Const(val), Ty::Enum(id as u32)),
                    None => error(),
                };
            }
        }
        // `order.placed.total`: a property of the event in scope, named with its event.
        if let Some(ev) = scope.event {
            let def = &self.program.events[ev as usize];
            let (last, prefix) = path.split_last().unwrap();
            let prefix: Vec<&str> = prefix.iter().map(|p| p.name.as_str()).collect();
            if prefix.join(".") == def.name {
                if let Some(p) = def.prop(&last.name) {
                    let ty = def.props[p as usize].ty.clone();
                    return typed(ExprKind::Prop(p), ty);
                }
                let help = suggest::help(
                    &mut self.suggestions,
                    &last.name,
                    "properties",
                    def.props.iter().map(|p| p.name.as_str()),
                );
                let msg = format!("event `{}` has no property `{}`", def.name, last.name);
                self.error(Code::UnknownName, last.span, msg)
                    .with_help_opt(help);
                return error();
            }
        }
        // `order.placed.total` in a step: the run's event, or the event a wait received.
        let (last, prefix) = path.split_last().unwrap();
        let prefix: Vec<&str> = prefix.iter().map(|p| p.name.as_str()).collect();
        if let Some(ev) = self.ids.event(&prefix.join(".")) {
            if scope.received && scope.waited == Some(ev) && scope.run.is_some() {
                return self.received_read(last, span, scope);
            }
            return self.start_read(last, span, scope, Some(ev));
        }
        let full: Vec<&str> = path.iter().map(|p| p.name.as_str()).collect();
        let full = full.join(".");
        let help = if self.ids.event(&full).is_some() {
            Some(format!(
                "`{full}` is an event: ask whether it happened with `did {full}`"
            ))
        } else {
            None
        };
        self.error(
            Code::UnknownName,
            span,
            format!("there is nothing named `{full}`"),
        )
        .with_help_opt(help);
        error()
    }

    fn unknown_name(&mut self, name: &ast::Ident, scope: Scope<'_>) {
        let props = scope
            .event
            .map(|ev| self.program.events[ev as usize].props.as_slice())
            .unwrap_or_default();
        let candidates = (props.iter().map(|p| p.name.as_str()))
            .chain(self.program.scores.iter().map(|s| s.name.as_str()))
            .chain(self.program.lists.iter().map(|l| l.name.as_str()))
            .chain(
                self.program
                    .enums
                    .iter()
                    .flat_map(|e| e.variants.iter().map(|v| v.as_str())),
            )
            .chain(
                scope
                    .test_leads
                    .unwrap_or_default()
                    .iter()
                    .map(|l| l.as_str()),
            );
        let mut help = suggest::closest(&mut self.suggestions, &name.name, candidates)
            .map(|c| format!("did you mean `{c}`?"));
        if help.is_none() && self.ids.attr(&name.name).is_some() {
            help = Some(format!(
                "lead attributes are written with `lead.`: `lead.{}`",
                name.name
            ));
        }
        if help.is_none() && scope.event.is_none() && self.ids.props.contains(&name.name) {
            help = Some(format!(
                "`{}` is an event property; properties can only be used in that event's `where`",
                name.name
            ));
        }
        self.error(
            Code::UnknownName,
            name.span,
            format!("there is no score, list or value named `{}`", name.name),
        )
        .with_label("not declared")
        .with_help_opt(help);
    }

    fn warn_shadow(&mut self, name: &ast::Ident, event: &str) {
        let n = name.name.as_str();
        let what = if self.ids.score(n).is_some() {
            "score"
        } else if self.ids.list(n).is_some() {
            "list"
        } else if self.ids.attr(n).is_some() {
            "lead attribute"
        } else {
            return;
        };
        self.diags.push(
            Diagnostic::new(
                Code::ShadowedName,
                name.span,
                format!("`{n}` here is the property of `{event}`, not the {what} of the same name"),
            )
            .with_help(format!(
                "rename one of them; to mean the property explicitly, write `{event}.{n}`"
            )),
        );
    }
}

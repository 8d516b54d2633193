//! Declarations: every name and shape recorded before any body is checked, so bodies may
//! refer to anything in any order; duplicates reported where they are declared again.

use super::{with_article, Checker};
use crate::check::program::*;
use crate::diag::{Code, Diagnostic};
use crate::lang::modes::Enroll;
use crate::lang::seq;
use crate::lang::span::Span;
use crate::lang::types::{Ty, Value};
use crate::syntax::ast;

impl<'a> Checker<'a> {
    /// Records every declaration's name and shape, so bodies can refer to anything in any order.
    pub(super) fn declare(&mut self, file: &'a ast::File, builtin: bool) {
        // Enums first: attribute and property types refer to them.
        for item in &file.items {
            if let ast::Item::Enum(e) = item {
                self.declare_enum(e);
            }
        }
        for item in &file.items {
            match item {
                ast::Item::Campaign(name) => {
                    if self.program.campaign.is_some() {
                        self.error(Code::Misplaced, name.span, "the campaign is named twice")
                            .with_help("keep one `campaign \"…\"` line");
                    }
                    self.program.campaign = Some(name.as_plain().unwrap_or_else(|| name.display()));
                }
                ast::Item::Lead(lead) => {
                    for a in &lead.attrs {
                        self.declare_attr(a);
                    }
                }
                ast::Item::Event(e) => self.declare_event(e, builtin),
                ast::Item::Score(s) if self.claim_name(&s.name, "score") => {
                    self.ids
                        .scores
                        .insert(s.name.name.clone(), self.program.scores.len() as u32);
                    self.program.scores.push(Score {
                        name: s.name.name.clone(),
                        description: s.description.as_ref().map(|d| d.display()),
                        kind: ScoreKind::Rules {
                            decay: None,
                            when: Vec::new(),
                            on: Vec::new(),
                        },
                        span: s.name.span,
                    });
                    self.scores.push(s);
                }
                ast::Item::List(l) if self.claim_name(&l.name, "list") => {
                    self.ids
                        .lists
                        .insert(l.name.name.clone(), self.program.lists.len() as u32);
                    self.program.lists.push(List {
                        name: l.name.name.clone(),
                        description: l.description.as_ref().map(|d| d.display()),
                        cond: const_expr(Value::Bool(false), Ty::Bool, l.cond.span),
                        span: l.name.span,
                    });
                    self.lists.push(l);
                }
                ast::Item::Decide(d) => self.declare_decision(d),
                ast::Item::Workflow(w) => {
                    if let Some(i) = self.ids.workflow(&w.name.name) {
                        let first = self.program.workflows[i as usize].span;
                        self.duplicate(&w.name, first, "workflow");
                    } else {
                        let id = self.program.workflows.len() as u32;
                        self.ids.workflows.insert(w.name.name.clone(), id);
                        self.program.workflows.push(Workflow {
                            name: w.name.name.clone(),
                            description: w.description.as_ref().map(|d| d.display()),
                            enroll: Enroll::Once,
                            only_if: None,
                            exit_when: None,
                            goal: None,
                            holdout: None,
                            steps: Vec::new(),
                            span: w.name.span,
                        });
                        self.workflows.push(w);
                    }
                }
                _ => {}
            }
        }
        if !builtin {
            // The built-in tag list comes last so campaign attributes keep their order.
            let id = self.program.attrs.len() as u32;
            self.ids.attrs.insert("tags".into(), id);
            self.program.attrs.push(Attr {
                name: "tags".into(),
                ty: Ty::List(Box::new(Ty::Str)),
                default: Value::List(Vec::new()),
                span: Span::default(),
            });
        }
    }

    pub(super) fn duplicate(&mut self, name: &ast::Ident, first: Span, what: &str) {
        let d = Diagnostic::new(
            Code::Duplicate,
            name.span,
            format!(
                "there is already {} named `{}`",
                with_article(what),
                name.name
            ),
        )
        .with_label("declared again here")
        .with_help("rename one of them");
        let d = if first != Span::default() {
            d.with_secondary(first, "first declared here")
        } else {
            d
        };
        self.diags.push(d);
    }

    /// Scores and lists share one namespace: both are bare names in conditions.
    fn claim_name(&mut self, name: &ast::Ident, what: &str) -> bool {
        if let Some(first) = self.names.get(&name.name).copied() {
            let kind = if self.ids.score(&name.name).is_some() {
                "score"
            } else {
                "list"
            };
            let _ = what;
            self.duplicate(name, first, kind);
            return false;
        }
        self.names.insert(name.name.clone(), name.span);
        true
    }

    fn declare_enum(&mut self, e: &ast::EnumDecl) {
        if let Some(first) = self
            .program
            .enums
            .iter()
            .find(|x| x.name == e.name.name)
            .map(|x| x.span)
        {
            self.duplicate(&e.name, first, "enum");
            return;
        }
        let mut variants: Vec<String> = Vec::new();
        for v in &e.variants {
            if variants.contains(&v.name) {
                self.error(
                    Code::Duplicate,
                    v.span,
                    format!("`{}` is listed twice in enum `{}`", v.name, e.name.name),
                )
                .with_help("remove one of them");
            } else {
                variants.push(v.name.clone());
            }
        }
        if variants.is_empty() {
            self.error(
                Code::Misplaced,
                e.name.span,
                format!("enum `{}` has no values", e.name.name),
            )
            .with_help("list its values in the braces: `enum Stage { awareness, decision }`");
        }
        self.program.enums.push(EnumDef {
            name: e.name.name.clone(),
            variants,
            span: e.name.span,
        });
    }

    fn declare_attr(&mut self, a: &ast::AttrDecl) {
        if a.name.name == "tags" {
            self.error(
                Code::Duplicate,
                a.name.span,
                "`tags` is built in: every lead has `tags: list<string>`",
            )
            .with_help("use `tag \"x\"` and `untag \"x\"` steps, and `lead.tags contains \"x\"`");
            return;
        }
        if let Some(i) = self.ids.attr(&a.name.name) {
            let first = self.program.attrs[i as usize].span;
            self.duplicate(&a.name, first, "lead attribute");
            return;
        }
        let ty = self.resolve_type(&a.ty);
        let default = match &a.default {
            None => Value::Missing,
            Some(e) => self.constant(e, &ty),
        };
        let id = self.program.attrs.len() as u32;
        self.ids.attrs.insert(a.name.name.clone(), id);
        self.program.attrs.push(Attr {
            name: a.name.name.clone(),
            ty,
            default,
            span: a.name.span,
        });
    }

    fn declare_event(&mut self, e: &ast::EventDecl, builtin: bool) {
        if let Some(i) = self.ids.event(&e.name.name) {
            let first = &self.program.events[i as usize];
            if first.builtin {
                self.error(Code::Duplicate, e.name.span, format!("the standard library already declares `{}`", e.name.name))
                    .with_label("declared again here")
                    .with_help("remove this declaration; the prelude's event has the properties listed in docs/language.md");
            } else {
                let first = first.span;
                self.duplicate(&e.name, first, "event");
            }
            return;
        }
        let mut props: Vec<Prop> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for p in &e.props {
            if !seen.insert(p.name.name.as_str()) {
                self.error(
                    Code::Duplicate,
                    p.name.span,
                    format!(
                        "event `{}` lists property `{}` twice",
                        e.name.name, p.name.name
                    ),
                )
                .with_help("remove one of them");
                continue;
            }
            let ty = self.resolve_type(&p.ty);
            if matches!(ty.base(), Ty::List(item) if !item.is_error()) && !seq::carried(&ty) {
                self.diags.push(
                    Diagnostic::new(
                        Code::UnreadList,
                        p.ty.span,
                        format!(
                            "`{}` is {}: input carries only lists of strings, whole numbers \
                             and numbers, so this property is always missing",
                            p.name.name,
                            self.describe_a(&ty),
                        ),
                    )
                    .with_label("never read from input")
                    .with_help("declare it as a `list<string>` (an enum value or a time as its text), or send each item as an event of its own"),
                );
            }
            props.push(Prop {
                name: p.name.name.clone(),
                ty,
            });
        }
        let segment_name = e
            .segment_name
            .as_ref()
            .map(|s| s.as_plain().unwrap_or_else(|| s.display()))
            .unwrap_or_else(|| e.name.name.clone());
        let id = self.program.events.len() as u32;
        self.ids.events.insert(e.name.name.clone(), id);
        (self.ids.props).extend(props.iter().map(|p| p.name.clone()));
        self.program.events.push(EventDef {
            name: e.name.name.clone(),
            segment_name,
            props,
            builtin,
            span: if builtin {
                Span::default()
            } else {
                e.name.span
            },
        });
    }
}

fn const_expr(v: Value, ty: Ty, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Const(v),
        ty,
        span,
    }
}

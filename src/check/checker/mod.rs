//! Name resolution and types: the AST becomes a `Program` with every name an index and every
//! expression typed. Problems become diagnostics; checking goes on past each one.

use super::hints;
use super::lints::Uses;
use super::program::*;
use super::suggest;
use crate::diag::{Code, Diagnostic};
use crate::lang::modes::{Audience, Channel, Enroll};
use crate::lang::ops::{BinOp, EffectKind, HistoryKind};
use crate::lang::span::Span;
use crate::lang::types::{Ty, Value};
use crate::syntax::ast::{self, ExprKind as A};
use std::collections::HashMap;
use std::str::FromStr;

/// The regex size limit: a campaign's regex may not make the engine slow or large.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// The most scores, lists, lead attributes, events (the prelude's included), workflows or
/// triggers one campaign may have: a compiled program numbers each kind in 16 bits.
pub const MAX_OF_A_KIND: usize = u16::MAX as usize + 1;

/// The help of a test's time out of range (`crate::lang::time`).
const TIME_RANGE_HELP: &str = "leads and events in a test go from 1970-01-01 to 2100-01-01, \
     as input records do; the clock may go on to 2201-01-01 for waits to fire";

/// The checked program, its diagnostics, and what it uses (for the lints).
pub fn check(prelude: &ast::File, file: &ast::File) -> (Program, Vec<Diagnostic>, Uses) {
    let mut c = Checker::default();
    c.declare(prelude, true);
    c.declare(file, false);
    c.define(file);
    c.within_numbering();
    super::cycles::check(&c.program, &mut c.diags);
    (c.program, c.diags, c.uses)
}

#[derive(Default)]
struct Checker<'a> {
    program: Program,
    diags: Vec<Diagnostic>,
    /// Declarations with bodies still to check, in program order.
    scores: Vec<&'a ast::ScoreDecl>,
    lists: Vec<&'a ast::ListDecl>,
    workflows: Vec<&'a ast::Workflow>,
    /// Where each bare name was first declared, for duplicate reports.
    names: HashMap<String, Span>,
    /// Every declaration's index by name, so that resolving a name costs the same however
    /// many declarations there are.
    ids: Ids,
    /// What is left of the comparisons "did you mean" may make.
    suggestions: suggest::Budget,
    /// Attributes and properties proven set by an enclosing `x is set and …`.
    guarded: Vec<Guarded>,
    /// The events and workflows used, as they are resolved.
    uses: Uses,
    /// Checking a test: its events are no use of an event.
    in_test: bool,
}

/// The index of each declaration by its name: what `Program::score` and its kin find by a
/// scan, in constant time.
#[derive(Default)]
struct Ids {
    scores: HashMap<String, ScoreId>,
    lists: HashMap<String, ListId>,
    workflows: HashMap<String, WorkflowId>,
    events: HashMap<String, EventId>,
    attrs: HashMap<String, AttrId>,
    /// The names of every event's properties.
    props: std::collections::HashSet<String>,
}

impl Ids {
    /// The index of a program checked before.
    fn of(program: &Program) -> Ids {
        fn index<T>(items: &[T], name: impl Fn(&T) -> &str) -> HashMap<String, u32> {
            let mut ids = HashMap::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                ids.entry(name(item).to_string()).or_insert(i as u32);
            }
            ids
        }
        Ids {
            scores: index(&program.scores, |s| &s.name),
            lists: index(&program.lists, |l| &l.name),
            workflows: index(&program.workflows, |w| &w.name),
            events: index(&program.events, |e| &e.name),
            attrs: index(&program.attrs, |a| &a.name),
            props: (program.events.iter())
                .flat_map(|e| e.props.iter().map(|p| p.name.clone()))
                .collect(),
        }
    }

    fn score(&self, name: &str) -> Option<ScoreId> {
        self.scores.get(name).copied()
    }

    fn list(&self, name: &str) -> Option<ListId> {
        self.lists.get(name).copied()
    }

    fn workflow(&self, name: &str) -> Option<WorkflowId> {
        self.workflows.get(name).copied()
    }

    fn event(&self, name: &str) -> Option<EventId> {
        self.events.get(name).copied()
    }

    fn attr(&self, name: &str) -> Option<AttrId> {
        self.attrs.get(name).copied()
    }
}

/// What an expression may refer to where it stands.
#[derive(Clone, Copy, Default)]
struct Scope<'s> {
    /// The event whose properties are in scope (a `where` filter, an `on` rule).
    event: Option<EventId>,
    /// Inside a `where` filter: history predicates are not allowed.
    in_where: bool,
    /// Inside a workflow: `since enrolled` means something.
    workflow: bool,
    /// After a `wait up to … for`: `received` means something.
    received: bool,
    /// In a test: the leads named so far.
    test_leads: Option<&'s [String]>,
}

impl<'a> Checker<'a> {
    /// Records a diagnostic; the returned handle adds labels and help to it.
    fn error(&mut self, code: Code, span: Span, message: impl Into<String>) -> Pending<'_> {
        self.diags.push(Diagnostic::new(code, span, message));
        Pending(self.diags.last_mut().unwrap())
    }

    /// The type's name with its article: "an int", "a string".
    fn describe_a(&self, ty: &Ty) -> String {
        with_article(&self.program.describe(ty))
    }

    // ---- declarations ------------------------------------------------------------------

    /// Records every declaration's name and shape, so bodies can refer to anything in any order.
    fn declare(&mut self, file: &'a ast::File, builtin: bool) {
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

    fn duplicate(&mut self, name: &ast::Ident, first: Span, what: &str) {
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

    fn resolve_type(&mut self, t: &ast::TypeExpr) -> Ty {
        let base = match &t.kind {
            ast::TypeExprKind::List(inner) => Ty::List(Box::new(self.resolve_type(inner))),
            ast::TypeExprKind::Named(name) => match name.name.as_str() {
                "bool" => Ty::Bool,
                "int" => Ty::Int,
                "number" => Ty::Number,
                "string" => Ty::Str,
                "duration" => Ty::Duration,
                "time" => Ty::Time,
                "timezone" => Ty::Timezone,
                other => match self.program.enums.iter().position(|e| e.name == other) {
                    Some(i) => Ty::Enum(i as u32),
                    None => {
                        let mut known: Vec<&str> = vec![
                            "bool", "int", "number", "string", "duration", "time", "timezone",
                        ];
                        known.extend(self.program.enums.iter().map(|e| e.name.as_str()));
                        let help = suggest::help(
                            &mut self.suggestions,
                            other,
                            "types Nurture knows",
                            known.iter().copied(),
                        );
                        self.error(
                            Code::UnknownType,
                            name.span,
                            format!("there is no type `{other}`"),
                        )
                        .with_help_opt(help);
                        Ty::Error
                    }
                },
            },
        };
        if t.optional {
            base.optional()
        } else {
            base
        }
    }

    /// A constant value of the expected type: defaults, test attributes and event properties.
    fn constant(&mut self, e: &ast::Expr, want: &Ty) -> Value {
        let value = match (&e.kind, want.base()) {
            (A::Path(p), Ty::Enum(id)) if p.len() == 1 => match self.variant(*id, &p[0]) {
                Some(v) => v,
                None => return Value::Missing,
            },
            (A::List(items), Ty::List(elem)) => {
                let elem = (**elem).clone();
                Value::List(items.iter().map(|i| self.constant(i, &elem)).collect())
            }
            _ => {
                let checked = self.expr(e, Scope::default(), Some(want));
                match &checked.kind {
                    ExprKind::Const(v) => {
                        if !checked.ty.fits(want) {
                            self.mismatch(e.span, want, &checked);
                        }
                        v.clone()
                    }
                    _ => {
                        self.error(
                            Code::TypeMismatch,
                            e.span,
                            "this must be a plain value, such as `42`, `\"text\"` or `true`",
                        )
                        .with_help(
                            "defaults and test values cannot depend on scores, lists or history",
                        );
                        Value::Missing
                    }
                }
            }
        };
        if let (Ty::Timezone, Value::Str(name)) = (want.base(), &value) {
            self.timezone(name, e.span);
        }
        value
    }

    fn timezone(&mut self, name: &str, span: Span) {
        if chrono_tz::Tz::from_str(name).is_err() {
            let help = suggest::closest(
                &mut self.suggestions,
                name,
                chrono_tz::TZ_VARIANTS.iter().map(|t| t.name()),
            )
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| {
                "use an IANA time zone name such as `Europe/Paris` or `America/New_York`".into()
            });
            self.error(
                Code::BadTimezone,
                span,
                format!("`{name}` is not a time zone Nurture knows"),
            )
            .with_help(help);
        }
    }

    fn variant(&mut self, id: u32, name: &ast::Ident) -> Option<Value> {
        let def = &self.program.enums[id as usize];
        match def.variants.iter().position(|v| *v == name.name) {
            Some(i) => Some(Value::Enum(id, i as u32)),
            None => {
                let help = suggest::help(
                    &mut self.suggestions,
                    &name.name,
                    "values",
                    def.variants.iter().map(|s| s.as_str()),
                );
                let msg = format!("enum `{}` has no value `{}`", def.name, name.name);
                self.error(Code::UnknownVariant, name.span, msg)
                    .with_help_opt(help);
                None
            }
        }
    }

    fn mismatch(&mut self, span: Span, want: &Ty, got: &Expr) {
        let (w, g) = (self.describe_a(want), self.describe_a(&got.ty));
        let help = hints::unquote(want, got);
        self.error(Code::TypeMismatch, span, format!("expected {w}, found {g}"))
            .with_label(format!("this is {g}"))
            .with_help_opt(help);
    }

    // ---- bodies ------------------------------------------------------------------------

    /// E0006 for a campaign that declares more of a kind than a compiled program can number
    /// (`MAX_OF_A_KIND`), at the first one too many.
    fn within_numbering(&mut self) {
        let p = &self.program;
        let over = [
            (
                p.scores.get(MAX_OF_A_KIND).map(|x| x.span),
                p.scores.len(),
                "scores",
            ),
            (
                p.lists.get(MAX_OF_A_KIND).map(|x| x.span),
                p.lists.len(),
                "lists",
            ),
            (
                p.attrs.get(MAX_OF_A_KIND).map(|x| x.span),
                p.attrs.len(),
                "lead attributes",
            ),
            (
                p.events.get(MAX_OF_A_KIND).map(|x| x.span),
                p.events.len(),
                "events",
            ),
            (
                p.workflows.get(MAX_OF_A_KIND).map(|x| x.span),
                p.workflows.len(),
                "workflows",
            ),
            (
                p.triggers.get(MAX_OF_A_KIND).map(|x| x.span),
                p.triggers.len(),
                "triggers",
            ),
        ];
        for (span, n, what) in over {
            if let Some(span) = span {
                self.error(
                    Code::TooLarge,
                    span,
                    format!("this campaign has {n} {what}; Nurture accepts at most {MAX_OF_A_KIND}"),
                )
                .with_label("one too many")
                .with_help("split the campaign, or check that a tool did not generate this file by mistake");
            }
        }
    }

    fn define(&mut self, file: &'a ast::File) {
        for (i, s) in self.scores.clone().into_iter().enumerate() {
            let kind = self.score_body(s);
            self.program.scores[i].kind = kind;
        }
        for (i, l) in self.lists.clone().into_iter().enumerate() {
            let cond = self.cond(&l.cond, Scope::default());
            self.program.lists[i].cond = cond;
        }
        for (i, w) in self.workflows.clone().into_iter().enumerate() {
            self.workflow(i, w);
        }
        let mut policy_seen = false;
        for item in &file.items {
            match item {
                ast::Item::Trigger(t) => {
                    if let Some(t) = self.trigger(t) {
                        self.program.triggers.push(t);
                    }
                }
                ast::Item::Policy(p) => {
                    let _ = policy_seen;
                    policy_seen = true;
                    self.policy(p);
                }
                ast::Item::Test(t) => {
                    let t = self.test(t);
                    self.program.tests.push(t);
                }
                _ => {}
            }
        }
    }

    fn score_body(&mut self, s: &ast::ScoreDecl) -> ScoreKind {
        match &s.body {
            ast::ScoreBody::Derived(e) => {
                let x = self.expr(e, Scope::default(), Some(&Ty::Number));
                if !x.ty.base().is_numeric() {
                    let g = self.describe_a(&x.ty);
                    self.error(
                        Code::TypeMismatch,
                        e.span,
                        format!("a score is a number, but this is {g}"),
                    )
                    .with_label(format!("this is {g}"));
                } else if x.ty.is_optional() {
                    self.error(
                        Code::TypeMismatch,
                        e.span,
                        "a score is always a number, but this may be missing",
                    )
                    .with_help(
                        "supply a value for when it is missing with `??`, as in `lead.size ?? 0`",
                    );
                }
                ScoreKind::Derived(x)
            }
            ast::ScoreBody::Rules(rules) => {
                let mut decay = None;
                let mut when = Vec::new();
                let mut on = Vec::new();
                for r in rules {
                    match r {
                        ast::ScoreRule::Decay {
                            percent,
                            every,
                            span,
                        } => {
                            if decay.is_some() {
                                self.error(
                                    Code::Misplaced,
                                    *span,
                                    format!("score `{}` decays twice", s.name.name),
                                )
                                .with_help("keep one `decay` rule");
                                continue;
                            }
                            if !(percent.value > 0.0 && percent.value <= 100.0) {
                                self.error(
                                    Code::BadPercent,
                                    percent.span,
                                    format!("a score cannot decay by {}%", percent.value),
                                )
                                .with_help("decay by more than 0% and at most 100%");
                            }
                            if every.seconds == 0 {
                                self.error(
                                    Code::BadLiteral,
                                    every.span,
                                    "a decay period must be longer than zero",
                                );
                            }
                            decay = Some(Decay {
                                percent: percent.value,
                                every: every.seconds.max(1),
                            });
                        }
                        ast::ScoreRule::When { effect, .. } if effect.kind == EffectKind::Set => {
                            self.error(Code::Misplaced, effect.span, "`set` has no meaning in a `when` rule")
                                .with_label("`when` rules add up")
                                .with_help("a `when` rule adds or subtracts while its condition holds; `set` belongs to `on` rules, as in `on email.unsubscribed set 0`");
                        }
                        ast::ScoreRule::When { cond, effect, span } => when.push(WhenRule {
                            cond: self.cond(cond, Scope::default()),
                            effect: effect.kind,
                            amount: effect.amount.value,
                            span: *span,
                        }),
                        ast::ScoreRule::On {
                            event,
                            filter,
                            effect,
                            cap,
                            span,
                        } => {
                            let Some(ev) = self.event_ref(event) else {
                                continue;
                            };
                            let filter = filter.as_ref().map(|f| self.filter(f, ev, false));
                            let cap = cap.as_ref().map(|c| {
                                if c.times == 0 || c.per.seconds == 0 {
                                    self.error(Code::BadLiteral, c.span, "a cap needs at least one time per a period longer than zero");
                                }
                                (c.times, c.per.seconds.max(1))
                            });
                            on.push(OnRule {
                                event: ev,
                                filter,
                                effect: effect.kind,
                                amount: effect.amount.value,
                                cap,
                                span: *span,
                            })
                        }
                    }
                }
                ScoreKind::Rules { decay, when, on }
            }
        }
    }

    fn event_ref(&mut self, name: &ast::Ident) -> Option<EventId> {
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

    fn list_ref(&mut self, name: &ast::Ident) -> Option<ListId> {
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

    fn workflow_ref(&mut self, name: &ast::Ident) -> Option<WorkflowId> {
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

    /// A `where` filter over one event's properties.
    fn filter(&mut self, e: &ast::Expr, event: EventId, workflow: bool) -> Expr {
        self.cond(
            e,
            Scope {
                event: Some(event),
                in_where: true,
                workflow,
                ..Scope::default()
            },
        )
    }

    fn trigger(&mut self, t: &ast::Trigger) -> Option<Trigger> {
        // Both halves are checked even when one is wrong, so every mistake shows at once.
        let source = match &t.source {
            ast::TriggerSource::Event { event, filter } => {
                self.event_ref(event).map(|ev| TriggerSource::Event {
                    event: ev,
                    filter: filter.as_ref().map(|f| self.filter(f, ev, false)),
                })
            }
            ast::TriggerSource::Enter(l) => self.list_ref(l).map(TriggerSource::Enter),
            ast::TriggerSource::Exit(l) => self.list_ref(l).map(TriggerSource::Exit),
        };
        let action = self.step(&t.action, &mut Scope::default());
        Some(Trigger {
            source: source?,
            action: action?,
            span: t.span,
        })
    }

    fn workflow(&mut self, index: usize, w: &ast::Workflow) {
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
            }
        }
        let mut scope = scope;
        let steps = self.steps(&w.steps, &mut scope);
        self.program.workflows[index].steps = steps;
    }

    fn steps(&mut self, steps: &[ast::Step], scope: &mut Scope<'_>) -> Vec<Step> {
        steps.iter().filter_map(|s| self.step(s, scope)).collect()
    }

    fn template(&mut self, s: &ast::StrLit, scope: Scope<'_>) -> Template {
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
    fn step(&mut self, s: &ast::Step, scope: &mut Scope<'_>) -> Option<Step> {
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

    fn policy(&mut self, p: &ast::Policy) {
        for item in &p.items {
            match item {
                ast::PolicyItem::Frequency {
                    channel,
                    times,
                    per,
                    span,
                } => {
                    let Some(ch) = Channel::parse(&channel.name) else {
                        self.error(
                            Code::UnknownChannel,
                            channel.span,
                            format!("Nurture does not send by `{}`", channel.name),
                        )
                        .with_help("cap `email`, `sms` or `push`");
                        continue;
                    };
                    if self
                        .program
                        .policy
                        .frequency
                        .iter()
                        .any(|f| f.channel == ch)
                    {
                        self.error(
                            Code::Misplaced,
                            *span,
                            format!("`{}` is capped twice", ch.name()),
                        )
                        .with_help("keep one frequency cap per channel");
                        continue;
                    }
                    if *times == 0 || per.seconds == 0 {
                        self.error(
                            Code::BadLiteral,
                            *span,
                            "a frequency cap needs at least one send per a period longer than zero",
                        );
                    }
                    self.program.policy.frequency.push(Frequency {
                        channel: ch,
                        times: *times,
                        per: per.seconds.max(1),
                        span: *span,
                    });
                }
                ast::PolicyItem::QuietHours { from, to, span } => {
                    if self.program.policy.quiet_hours.is_some() {
                        self.error(Code::Misplaced, *span, "quiet hours are given twice")
                            .with_help("keep one `quiet hours` line");
                    }
                    if from.minutes == to.minutes {
                        self.error(
                            Code::BadLiteral,
                            *span,
                            "quiet hours must start and end at different times",
                        );
                    }
                    self.program.policy.quiet_hours = Some(QuietHours {
                        from: from.minutes,
                        to: to.minutes,
                        span: *span,
                    });
                }
                ast::PolicyItem::Suppress { cond, .. } => {
                    let c = self.cond(cond, Scope::default());
                    self.program.policy.suppress.push(c);
                }
            }
        }
    }

    fn test(&mut self, t: &ast::TestDecl) -> Test {
        // A test's events are no use of an event (W0103).
        self.in_test = true;
        let mut leads: Vec<String> = Vec::new();
        let mut stmts = Vec::new();
        // The test's clock, as the runner moves it (`testing::run`): leads and events only
        // within the range of record times, the clock no further than `--until` may take it.
        let mut clock = t
            .stmts
            .iter()
            .find_map(|s| match s {
                ast::TestStmt::At { time, .. } => match time.kind {
                    A::Instant(t) => Some(t),
                    _ => None,
                },
                _ => None,
            })
            .unwrap_or(crate::lang::time::DEFAULT_START);
        for s in &t.stmts {
            match s {
                ast::TestStmt::At { time, .. } => {
                    let at = match time.kind {
                        A::Instant(t) => t,
                        _ => clock,
                    };
                    self.test_clock(at, time.span, "`at`");
                    clock = clock.max(at);
                }
                ast::TestStmt::After { duration, span, .. } => {
                    clock = clock.saturating_add(crate::lang::time::from_seconds(duration.seconds));
                    self.test_clock(clock, *span, "the clock at");
                }
                _ => {}
            }
            match s {
                ast::TestStmt::Lead { span, .. } => self.test_time(clock, *span, "a lead at"),
                ast::TestStmt::At {
                    event: Some(_),
                    span,
                    ..
                }
                | ast::TestStmt::After {
                    event: Some(_),
                    span,
                    ..
                } => self.test_time(clock, *span, "an event at"),
                _ => {}
            }
            let stmt = match s {
                ast::TestStmt::Lead { name, fields, span } => {
                    let lead = lead_id(&mut leads, &name.name);
                    let mut attrs = Vec::new();
                    for f in fields {
                        let Some(id) = self.ids.attr(&f.name.name) else {
                            let help = suggest::help(
                                &mut self.suggestions,
                                &f.name.name,
                                "declared attributes",
                                self.program.attrs.iter().map(|a| a.name.as_str()),
                            );
                            self.error(
                                Code::UnknownAttribute,
                                f.name.span,
                                format!("the lead has no attribute `{}`", f.name.name),
                            )
                            .with_help_opt(help);
                            continue;
                        };
                        let ty = self.program.attrs[id as usize].ty.clone();
                        let v = self.constant(&f.value, &ty);
                        attrs.push((id, v));
                    }
                    Some(TestStmt::Lead {
                        lead,
                        attrs,
                        span: *span,
                    })
                }
                ast::TestStmt::At { time, event, span } => {
                    let at = match time.kind {
                        A::Instant(t) => t,
                        _ => 0,
                    };
                    let event = event.as_ref().and_then(|e| self.test_event(e, &mut leads));
                    Some(TestStmt::At {
                        time: at,
                        event,
                        span: *span,
                    })
                }
                ast::TestStmt::After {
                    duration,
                    event,
                    span,
                } => {
                    let event = event.as_ref().and_then(|e| self.test_event(e, &mut leads));
                    Some(TestStmt::After {
                        seconds: duration.seconds,
                        event,
                        span: *span,
                    })
                }
                ast::TestStmt::Expect(x) => self.expectation(x, &leads),
            };
            stmts.extend(stmt);
        }
        self.in_test = false;
        Test {
            name: t.name.display(),
            leads,
            stmts,
            span: t.name.span,
        }
    }

    /// A test's clock moved to `t` must stay where `--until` may take it (E0005).
    fn test_clock(&mut self, t: i64, span: Span, what: &str) {
        if !crate::lang::time::clock_in_range(t) {
            let message = crate::lang::time::out_of_range(what, t, crate::lang::time::LAST_CLOCK);
            self.error(Code::BadLiteral, span, message)
                .with_label("out of range")
                .with_help(TIME_RANGE_HELP);
        }
    }

    /// A test's lead or event at `t` must be at a time a record may carry (E0005).
    fn test_time(&mut self, t: i64, span: Span, what: &str) {
        if crate::lang::time::clock_in_range(t) && !crate::lang::time::event_in_range(t) {
            let message = crate::lang::time::out_of_range(what, t, crate::lang::time::LAST_EVENT);
            self.error(Code::BadLiteral, span, message)
                .with_label("out of range")
                .with_help(TIME_RANGE_HELP);
        }
    }

    fn test_event(&mut self, e: &ast::TestEvent, leads: &mut Vec<String>) -> Option<TestEvent> {
        if !leads.contains(&e.lead.name) {
            self.undeclared_lead(&e.lead, leads);
        }
        let lead = lead_id(leads, &e.lead.name);
        let ev = self.event_ref(&e.event)?;
        let def = self.program.events[ev as usize].clone();
        let mut props = vec![Value::Missing; def.props.len()];
        for f in &e.props {
            match def.prop(&f.name.name) {
                Some(p) => props[p as usize] = self.constant(&f.value, &def.props[p as usize].ty),
                None => {
                    let help = suggest::help(
                        &mut self.suggestions,
                        &f.name.name,
                        "properties",
                        def.props.iter().map(|p| p.name.as_str()),
                    );
                    self.error(
                        Code::UnknownName,
                        f.name.span,
                        format!("event `{}` has no property `{}`", def.name, f.name.name),
                    )
                    .with_help_opt(help);
                }
            }
        }
        for (i, p) in def.props.iter().enumerate() {
            if props[i] == Value::Missing && !p.ty.is_optional() {
                self.error(
                    Code::TypeMismatch,
                    e.span,
                    format!("`{}` needs its `{}` property", def.name, p.name),
                )
                .with_help(format!("add `{}: …` in the braces", p.name));
            }
        }
        Some(TestEvent {
            lead,
            event: ev,
            props,
            span: e.span,
        })
    }

    /// W0112: an event for a lead the test has not declared creates that lead, which is
    /// seldom meant (`after 1h caat …` for `cat`).
    fn undeclared_lead(&mut self, name: &ast::Ident, leads: &[String]) {
        let near = suggest::closest(
            &mut self.suggestions,
            &name.name,
            leads.iter().map(|l| l.as_str()),
        );
        let help = match near {
            Some(l) => format!("did you mean `{l}`?"),
            None => format!(
                "declare the lead first, as in `lead {} {{ email: \"…\" }}`",
                name.name
            ),
        };
        self.diags.push(
            Diagnostic::new(
                Code::UndeclaredLead,
                name.span,
                format!(
                    "this test has not declared a lead `{}`: the event creates a new one",
                    name.name
                ),
            )
            .with_label("a new lead")
            .with_help(help),
        );
    }

    fn test_lead(&mut self, name: &ast::Ident, leads: &[String]) -> Option<TestLeadId> {
        if let Some(i) = leads.iter().position(|l| *l == name.name) {
            return Some(i as TestLeadId);
        }
        let help = suggest::help(
            &mut self.suggestions,
            &name.name,
            "leads in this test",
            leads.iter().map(|s| s.as_str()),
        )
        .unwrap_or_else(|| {
            format!(
                "create the lead first: `lead {} {{ email: \"…\" }}`",
                name.name
            )
        });
        self.error(
            Code::UnknownName,
            name.span,
            format!("this test has no lead `{}` yet", name.name),
        )
        .with_help(help);
        None
    }

    fn expectation(&mut self, x: &ast::Expectation, leads: &[String]) -> Option<TestStmt> {
        let (expectation, span) = match x {
            ast::Expectation::Sent {
                lead,
                negated,
                channel,
                template,
                span,
            } => {
                let l = self.test_lead(lead, leads);
                let text = template
                    .as_ref()
                    .map(|t| t.as_plain().unwrap_or_else(|| t.display()));
                let action = if let Some(c) = Channel::parse(&channel.name) {
                    ExpectedAction::Send {
                        channel: c,
                        template: text,
                    }
                } else if let Some(a) = Audience::parse(&channel.name) {
                    ExpectedAction::Notify {
                        audience: a,
                        message: text,
                    }
                } else {
                    self.error(Code::UnknownChannel, channel.span, format!("nothing is sent by `{}`", channel.name))
                        .with_help("expect a send by `email`, `sms` or `push`, or a notification to `sales` or `owner`");
                    return None;
                };
                (
                    Expectation::Sent {
                        lead: l?,
                        negated: *negated,
                        action,
                    },
                    *span,
                )
            }
            ast::Expectation::InWorkflow {
                lead,
                negated,
                workflow,
                step,
                span,
            } => {
                let l = self.test_lead(lead, leads);
                let w = self.workflow_ref(workflow);
                (
                    Expectation::InWorkflow {
                        lead: l?,
                        negated: *negated,
                        workflow: w?,
                        step: step.as_ref().map(|s| s.display()),
                    },
                    *span,
                )
            }
            ast::Expectation::Converted {
                lead,
                negated,
                workflow,
                span,
            } => {
                let l = self.test_lead(lead, leads);
                let w = self.workflow_ref(workflow);
                (
                    Expectation::Converted {
                        lead: l?,
                        negated: *negated,
                        workflow: w?,
                    },
                    *span,
                )
            }
            ast::Expectation::Holds(e) => {
                let scope = Scope {
                    test_leads: Some(leads),
                    ..Scope::default()
                };
                (Expectation::Holds(self.cond(e, scope)), e.span)
            }
        };
        Some(TestStmt::Expect { expectation, span })
    }

    // ---- expressions -------------------------------------------------------------------

    /// An expression that must be true or false.
    fn cond(&mut self, e: &ast::Expr, scope: Scope<'_>) -> Expr {
        let x = self.expr(e, scope, Some(&Ty::Bool));
        if !matches!(x.ty.base(), Ty::Bool | Ty::Error) {
            let g = self.describe_a(&x.ty);
            let help = match x.ty.base() {
                Ty::Int | Ty::Number => "compare it with a number, as in `total >= 60`",
                Ty::Str => "compare it with a text, as in `lead.country == \"US\"`",
                _ => "write a condition, such as a comparison or `did EVENT`",
            };
            self.error(
                Code::NotACondition,
                e.span,
                format!("expected a condition (true or false), found {g}"),
            )
            .with_label(format!("this is {g}"))
            .with_help(help);
        }
        x
    }

    /// It stays whole: one arm per kind of expression.
    fn expr(&mut self, e: &ast::Expr, scope: Scope<'_>, expect: Option<&Ty>) -> Expr {
        let span = e.span;
        let typed = |kind: ExprKind, ty: Ty| Expr { kind, ty, span };
        match &e.kind {
            A::Bool(b) => typed(ExprKind::Const(Value::Bool(*b)), Ty::Bool),
            A::Int(i) => typed(ExprKind::Const(Value::Int(*i)), Ty::Int),
            A::Number(n) => typed(ExprKind::Const(Value::Number(*n)), Ty::Number),
            A::Percent(p) => typed(ExprKind::Const(Value::Number(p / 100.0)), Ty::Number),
            A::Duration(d) => typed(
                ExprKind::Const(Value::Duration(crate::lang::time::from_seconds(*d))),
                Ty::Duration,
            ),
            A::TimeOfDay(m) => typed(ExprKind::Const(Value::TimeOfDay(*m)), Ty::TimeOfDay),
            A::Instant(t) => typed(ExprKind::Const(Value::Time(*t)), Ty::Time),
            A::Str(s) => {
                let t = self.template(s, scope);
                match t.as_plain() {
                    Some(text) => typed(ExprKind::Const(Value::Str(text.to_string())), Ty::Str),
                    None => {
                        // Only messages are built from text with values in it; the VM has
                        // no instruction to build text inside a condition or a value.
                        self.error(
                            Code::Misplaced,
                            span,
                            "text with `{…}` in it can only be a `notify` message",
                        )
                        .with_label("built text")
                        .with_help(
                            "compare or store the value itself, or write `{{` for a literal brace",
                        );
                        typed(ExprKind::Template(t), Ty::Error)
                    }
                }
            }
            A::List(items) => {
                let want = expect.and_then(|t| match t.base() {
                    Ty::List(e) => Some((**e).clone()),
                    _ => None,
                });
                let xs: Vec<Expr> = items
                    .iter()
                    .map(|i| self.expr(i, scope, want.as_ref()))
                    .collect();
                let elem = xs
                    .iter()
                    .map(|x| x.ty.base().clone())
                    .find(|t| !t.is_error())
                    .unwrap_or(Ty::Error);
                for x in &xs {
                    if !(x.ty.fits(&elem) || elem == Ty::Int && x.ty.base() == &Ty::Number) {
                        self.mismatch(x.span, &elem, x);
                    }
                }
                let all_const = xs.iter().all(|x| matches!(x.kind, ExprKind::Const(_)));
                let ty = Ty::List(Box::new(elem));
                if all_const {
                    let vals = xs
                        .into_iter()
                        .map(|x| match x.kind {
                            ExprKind::Const(v) => v,
                            _ => Value::Missing,
                        })
                        .collect();
                    typed(ExprKind::Const(Value::List(vals)), ty)
                } else {
                    typed(ExprKind::List(xs), ty)
                }
            }
            A::Now => typed(ExprKind::Now, Ty::Time),
            A::Received => {
                if !scope.received {
                    self.error(
                        Code::MisplacedReceived,
                        span,
                        "`received` only means something right after `wait up to … for EVENT`",
                    )
                    .with_help(
                        "`received` tells whether the event of the last `wait up to … for EVENT` arrived; it can only follow such a wait in a workflow",
                    );
                }
                typed(ExprKind::Received, Ty::Bool)
            }
            A::LeadAttr(name) => match self.ids.attr(&name.name) {
                Some(id) => {
                    let attr = &self.program.attrs[id as usize];
                    // An attribute without a default is missing until an `identify` sets it.
                    let ty = attr.ty.clone();
                    typed(ExprKind::Attr(id), ty)
                }
                None => {
                    let help = suggest::help(
                        &mut self.suggestions,
                        &name.name,
                        "declared attributes",
                        self.program.attrs.iter().map(|a| a.name.as_str()),
                    )
                    .unwrap_or_else(|| {
                        format!(
                            "declare it in the `lead {{ … }}` schema, as in `{}: string?`",
                            name.name
                        )
                    });
                    self.error(
                        Code::UnknownAttribute,
                        name.span,
                        format!("the lead has no attribute `{}`", name.name),
                    )
                    .with_label("not in the schema")
                    .with_help(help);
                    typed(ExprKind::Const(Value::Missing), Ty::Error)
                }
            },
            A::Path(path) => self.path(path, span, scope, expect),
            A::Neg(inner) => {
                let x = self.expr(inner, scope, expect);
                if !(x.ty.is_numeric() || x.ty.base() == &Ty::Duration) {
                    let g = self.describe_a(&x.ty);
                    self.error(
                        Code::BadOperands,
                        span,
                        format!("`-` needs a number, not {g}"),
                    );
                }
                let ty = x.ty.clone();
                typed(ExprKind::Neg(Box::new(x)), ty)
            }
            A::Not(inner) => {
                let x = self.cond(inner, scope);
                typed(ExprKind::Not(Box::new(x)), Ty::Bool)
            }
            A::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => self.binary(*op, *op_span, lhs, rhs, span, scope),
            A::Is { expr, set } => {
                let x = self.expr(expr, scope, None);
                typed(
                    ExprKind::Is {
                        expr: Box::new(x),
                        set: *set,
                    },
                    Ty::Bool,
                )
            }
            A::Matches {
                expr,
                regex,
                regex_span,
            } => {
                let x = self.expr(expr, scope, Some(&Ty::Str));
                if !matches!(x.ty.base(), Ty::Str | Ty::Error) {
                    let g = self.describe_a(&x.ty);
                    self.error(
                        Code::BadOperands,
                        x.span,
                        format!("`matches` needs a text, not {g}"),
                    );
                }
                self.bare_optional(&x, "matches", scope);
                if let Err(err) = regex::RegexBuilder::new(regex)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                {
                    let detail = err.to_string();
                    let reason = detail
                        .lines()
                        .last()
                        .unwrap_or("")
                        .trim()
                        .trim_start_matches("error: ")
                        .to_string();
                    self.error(Code::BadRegex, *regex_span, format!("this regex does not compile: {reason}"))
                        .with_label("invalid regex")
                        .with_help("Nurture uses Rust `regex` syntax; escape special characters such as `(` with `\\`");
                }
                typed(
                    ExprKind::Matches {
                        expr: Box::new(x),
                        regex: regex.clone(),
                    },
                    Ty::Bool,
                )
            }
            A::In { expr, negated, set } => self.in_test(expr, *negated, set, span, scope),
            A::History(h) => self.history(h, span, scope),
            A::Of { expr, lead } => {
                let Some(leads) = scope.test_leads else {
                    self.error(Code::TestOnly, span, "`NAME of LEAD` only works in tests and the REPL")
                        .with_help("in a campaign, conditions are about the lead being processed: write the name alone");
                    return typed(ExprKind::Const(Value::Missing), Ty::Error);
                };
                let l = self.test_lead(lead, leads);
                let inner = self.expr(expr, Scope::default(), expect);
                let ty = inner.ty.clone();
                match l {
                    Some(l) => typed(
                        ExprKind::Of {
                            expr: Box::new(inner),
                            lead: l,
                        },
                        ty,
                    ),
                    None => typed(ExprKind::Const(Value::Missing), Ty::Error),
                }
            }
        }
    }

    /// It stays whole: one arm per kind of dotted name (`lead.`, `event.`, scores, lists, enum values).
    fn path(
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

    /// W0101: a comparison on a value that may be missing, without `is set` or `??`.
    fn bare_optional(&mut self, x: &Expr, op: &str, scope: Scope<'_>) {
        if !x.ty.is_optional() {
            return;
        }
        if Guarded::of(x, scope.event).is_some_and(|g| self.guarded.contains(&g)) {
            return;
        }
        let what = match (&x.kind, scope.event) {
            (ExprKind::Attr(id), _) => format!("`lead.{}`", self.program.attrs[*id as usize].name),
            (ExprKind::Prop(p), Some(ev)) => {
                let name = &self.program.events[ev as usize].props[*p as usize].name;
                format!("`{name}`")
            }
            _ => "this value".to_string(),
        };
        self.diags.push(
            Diagnostic::new(
                Code::BareOptional,
                x.span,
                format!("{what} may be missing, and then `{op}` is false"),
            )
            .with_label("may be missing")
            .with_help(
                "say what a missing value means: add `is set and …`, or give a fallback with `??`",
            ),
        );
    }

    fn binary(
        &mut self,
        op: BinOp,
        op_span: Span,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
        scope: Scope<'_>,
    ) -> Expr {
        let typed = |kind: ExprKind, ty: Ty| Expr { kind, ty, span };
        match op {
            BinOp::And | BinOp::Or => {
                self.mixed_and_or(op, lhs);
                self.mixed_and_or(op, rhs);
                let l = self.cond(lhs, scope);
                let guards = self.guarded.len();
                if op == BinOp::And {
                    collect_set_guards(&l, scope.event, &mut self.guarded);
                }
                let r = self.cond(rhs, scope);
                self.guarded.truncate(guards);
                typed(
                    ExprKind::Binary {
                        op,
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                    },
                    Ty::Bool,
                )
            }
            _ => {
                // Check the side that is not a bare name first, so `stage == customer` and
                // `customer == stage` both know `customer` is a Stage value.
                let rhs_first = is_bare_name(lhs) && !is_bare_name(rhs);
                let (l, r) = if rhs_first {
                    let r = self.expr(rhs, scope, None);
                    let l = self.expr(lhs, scope, Some(&r.ty.clone()));
                    (l, r)
                } else {
                    let l = self.expr(lhs, scope, None);
                    let want = match op {
                        BinOp::Coalesce => l.ty.base().clone(),
                        _ => l.ty.clone(),
                    };
                    let r = self.expr(rhs, scope, Some(&want));
                    (l, r)
                };
                let ty = self.binary_type(op, op_span, &l, &r);
                if op.is_comparison() {
                    self.bare_optional(&l, op.symbol(), scope);
                    self.bare_optional(&r, op.symbol(), scope);
                }
                typed(
                    ExprKind::Binary {
                        op,
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                    },
                    ty,
                )
            }
        }
    }

    /// W0109: `a and b or c` reads differently to different people; ask for parentheses.
    fn mixed_and_or(&mut self, parent: BinOp, child: &ast::Expr) {
        if let A::Binary {
            op, lhs, op_span, ..
        } = &child.kind
        {
            let parenthesised = child.span.start < lhs.span.start;
            if matches!(op, BinOp::And | BinOp::Or) && *op != parent && !parenthesised {
                self.diags.push(
                    Diagnostic::new(Code::MixedAndOr, *op_span, "`and` and `or` are mixed here without parentheses")
                        .with_label(format!("this `{}` binds first", op.symbol()))
                        .with_help("add parentheses to say which you mean: `(a and b) or c` or `a and (b or c)`"),
                );
            }
        }
    }

    fn binary_type(&mut self, op: BinOp, op_span: Span, l: &Expr, r: &Expr) -> Ty {
        let (lt, rt) = (l.ty.base().clone(), r.ty.base().clone());
        if lt.is_error() || rt.is_error() {
            return if op.is_comparison() {
                Ty::Bool
            } else {
                Ty::Error
            };
        }
        let optional = l.ty.is_optional() || r.ty.is_optional();
        let numeric = lt.is_numeric() && rt.is_numeric();
        let result = match op {
            BinOp::Eq | BinOp::Ne => (lt.fits(&rt) || rt.fits(&lt) || numeric).then_some(Ty::Bool),
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ordered =
                    numeric || (lt == rt && matches!(lt, Ty::Duration | Ty::Time | Ty::TimeOfDay));
                ordered.then_some(Ty::Bool)
            }
            BinOp::Contains => match (&lt, &rt) {
                (Ty::Str, Ty::Str) => Some(Ty::Bool),
                (Ty::List(e), t) if t.fits(e) => Some(Ty::Bool),
                _ => None,
            },
            BinOp::StartsWith | BinOp::EndsWith => {
                (lt == Ty::Str && rt == Ty::Str).then_some(Ty::Bool)
            }
            BinOp::Coalesce => {
                if rt.fits(&lt) || (numeric && lt == Ty::Number) {
                    return if r.ty.is_optional() {
                        lt.optional()
                    } else {
                        lt
                    };
                }
                None
            }
            BinOp::Add | BinOp::Sub => match (&lt, &rt) {
                _ if numeric => Some(if lt == Ty::Int && rt == Ty::Int {
                    Ty::Int
                } else {
                    Ty::Number
                }),
                (Ty::Duration, Ty::Duration) => Some(Ty::Duration),
                (Ty::Time, Ty::Duration) => Some(Ty::Time),
                (Ty::Time, Ty::Time) if op == BinOp::Sub => Some(Ty::Duration),
                _ => None,
            },
            BinOp::Mul => numeric.then(|| {
                if lt == Ty::Int && rt == Ty::Int {
                    Ty::Int
                } else {
                    Ty::Number
                }
            }),
            BinOp::Div => numeric.then_some(Ty::Number),
            BinOp::And | BinOp::Or => Some(Ty::Bool),
        };
        match result {
            Some(t) if optional && !op.is_comparison() => t.optional(),
            Some(t) => t,
            None => {
                let (a, b) = (self.describe_a(&l.ty), self.describe_a(&r.ty));
                let unquoted = (hints::unquote(&l.ty, r)).or_else(|| hints::unquote(&r.ty, l));
                let help = match op {
                    _ if op.is_comparison() && unquoted.is_some() => unquoted.unwrap_or_default(),
                    BinOp::Coalesce => "the fallback after `??` must have the same type as the value before it".to_string(),
                    BinOp::Contains => {
                        "`contains` looks for a text inside a text, or a value in a list such as `lead.tags`".to_string()
                    }
                    BinOp::StartsWith | BinOp::EndsWith => format!("`{}` works on texts only", op.symbol()),
                    _ if lt == Ty::Str || rt == Ty::Str => {
                        "texts compare with `==`, `!=`, `contains`, `starts_with`, `ends_with`, `matches` and `in`".to_string()
                    }
                    _ => format!("both sides of `{}` must be numbers, durations or times of the same kind", op.symbol()),
                };
                self.error(
                    Code::BadOperands,
                    op_span,
                    format!("`{}` does not work on {a} and {b}", op.symbol()),
                )
                .with_secondary(l.span, format!("this is {a}"))
                .with_secondary(r.span, format!("this is {b}"))
                .with_help(help);
                if op.is_comparison() {
                    Ty::Bool
                } else {
                    Ty::Error
                }
            }
        }
    }

    fn in_test(
        &mut self,
        lhs: &ast::Expr,
        negated: bool,
        set: &ast::Expr,
        span: Span,
        scope: Scope<'_>,
    ) -> Expr {
        // Tests and the REPL: `ann in hot`.
        if let (Some(leads), A::Path(l), A::Path(s)) = (scope.test_leads, &lhs.kind, &set.kind) {
            if let ([lead], [list]) = (l.as_slice(), s.as_slice()) {
                if leads.contains(&lead.name) || self.ids.list(&list.name).is_some() {
                    let lead = self.test_lead(lead, leads);
                    let list = self.list_ref(list);
                    if let (Some(lead), Some(list)) = (lead, list) {
                        return Expr {
                            kind: ExprKind::LeadInList {
                                lead,
                                list,
                                negated,
                            },
                            ty: Ty::Bool,
                            span,
                        };
                    }
                    return Expr {
                        kind: ExprKind::Const(Value::Bool(false)),
                        ty: Ty::Error,
                        span,
                    };
                }
            }
        }
        let x = self.expr(lhs, scope, None);
        let want = Ty::List(Box::new(x.ty.base().clone()));
        let s = self.expr(set, scope, Some(&want));
        match s.ty.base() {
            Ty::List(elem) => {
                let numeric = x.ty.is_numeric() && elem.is_numeric();
                if !(x.ty.base().fits(elem) || elem.fits(x.ty.base()) || numeric) {
                    let (a, b) = (self.describe_a(&x.ty), self.describe_a(&s.ty));
                    self.error(
                        Code::BadOperands,
                        span,
                        format!("cannot look for {a} in {b}"),
                    )
                    .with_secondary(x.span, format!("this is {a}"));
                }
            }
            Ty::Error => {}
            other => {
                let b = self.describe_a(&other.clone());
                self.error(
                    Code::BadOperands,
                    s.span,
                    format!("`in` needs a list, such as `[\"US\", \"GB\"]`, not {b}"),
                );
            }
        }
        self.bare_optional(&x, if negated { "not in" } else { "in" }, scope);
        Expr {
            kind: ExprKind::In {
                expr: Box::new(x),
                negated,
                set: Box::new(s),
            },
            ty: Ty::Bool,
            span,
        }
    }

    fn history(&mut self, h: &ast::History, span: Span, scope: Scope<'_>) -> Expr {
        let word = match h.kind {
            HistoryKind::Did => "did",
            HistoryKind::Count => "count",
            HistoryKind::Last => "last",
        };
        if scope.in_where {
            self.error(Code::HistoryInWhere, span, format!("`{word}` cannot be used inside a `where` filter"))
                .with_help("a `where` tests the event's own properties; combine history outside it: `(did A where …) and did B`");
        }
        if let Some(s) = h.since_enrolled {
            if !scope.workflow {
                self.error(
                    Code::MisplacedSince,
                    s,
                    "`since enrolled` only means something inside a workflow",
                )
                .with_help("use `within D` to limit history to a recent window");
            }
        }
        let ev = self.event_ref(&h.event);
        let filter = match (ev, &h.filter) {
            (Some(ev), Some(f)) => Some(self.filter(f, ev, scope.workflow)),
            _ => None,
        };
        if let Some(w) = h.within {
            if w.seconds == 0 {
                self.error(
                    Code::BadLiteral,
                    w.span,
                    "a `within` window must be longer than zero",
                );
            }
        }
        let ty = match h.kind {
            HistoryKind::Did => Ty::Bool,
            HistoryKind::Count => Ty::Int,
            HistoryKind::Last => Ty::Time.optional(),
        };
        let Some(event) = ev else {
            return Expr {
                kind: ExprKind::Const(Value::Missing),
                ty: Ty::Error,
                span,
            };
        };
        Expr {
            kind: ExprKind::History(Box::new(History {
                kind: h.kind,
                event,
                filter,
                within: h.within.map(|w| w.seconds),
                since_enrolled: h.since_enrolled.is_some(),
            })),
            ty,
            span,
        }
    }
}

fn with_article(noun: &str) -> String {
    let vowel = noun.starts_with(|c: char| "aeiouAEIOU".contains(c));
    format!("{} {noun}", if vowel { "an" } else { "a" })
}

fn lead_id(leads: &mut Vec<String>, name: &str) -> TestLeadId {
    match leads.iter().position(|l| l == name) {
        Some(i) => i as TestLeadId,
        None => {
            leads.push(name.to_string());
            (leads.len() - 1) as TestLeadId
        }
    }
}

fn const_expr(v: Value, ty: Ty, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Const(v),
        ty,
        span,
    }
}

fn is_bare_name(e: &ast::Expr) -> bool {
    matches!(&e.kind, A::Path(p) if p.len() == 1)
}

/// A value `x is set` proves present for the rest of an `and` chain: an attribute, or a
/// property of the event in scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guarded {
    Attr(AttrId),
    Prop(EventId, PropId),
}

impl Guarded {
    fn of(x: &Expr, event: Option<EventId>) -> Option<Guarded> {
        match x.kind {
            ExprKind::Attr(id) => Some(Guarded::Attr(id)),
            ExprKind::Prop(p) => Some(Guarded::Prop(event?, p)),
            _ => None,
        }
    }
}

/// The attributes and properties that `x is set` conjuncts prove present.
fn collect_set_guards(e: &Expr, event: Option<EventId>, out: &mut Vec<Guarded>) {
    match &e.kind {
        ExprKind::Is { expr, set: true } => out.extend(Guarded::of(expr, event)),
        ExprKind::Binary {
            op: BinOp::And,
            lhs,
            rhs,
        } => {
            collect_set_guards(lhs, event, out);
            collect_set_guards(rhs, event, out);
        }
        _ => {}
    }
}

/// A diagnostic just recorded, still open for labels and help.
struct Pending<'d>(&'d mut Diagnostic);

impl Pending<'_> {
    fn with_label(self, text: impl Into<String>) -> Self {
        self.0.label = Some(text.into());
        self
    }

    fn with_secondary(self, span: Span, text: impl Into<String>) -> Self {
        self.0.labels.push(crate::diag::Label {
            span,
            message: text.into(),
        });
        self
    }

    fn with_help(self, text: impl Into<String>) -> Self {
        self.0.help = Some(text.into());
        self
    }

    fn with_help_opt(self, text: Option<String>) -> Self {
        self.0.help = text;
        self
    }
}

/// REPL input (`check::repl`): an expression that may name the session's leads, checked
/// against a program already checked.
pub(crate) fn repl_expr(
    program: Program,
    e: &ast::Expr,
    leads: &[String],
) -> (Expr, Vec<Diagnostic>) {
    let mut c = Checker {
        ids: Ids::of(&program),
        program,
        ..Checker::default()
    };
    let scope = Scope {
        test_leads: Some(leads),
        ..Scope::default()
    };
    let x = c.expr(e, scope, None);
    (x, c.diags)
}

/// REPL input (`check::repl`): test statements, checked as a test of their own.
pub(crate) fn repl_test(program: Program, t: &ast::TestDecl) -> (Test, Vec<Diagnostic>) {
    let mut c = Checker {
        ids: Ids::of(&program),
        program,
        ..Checker::default()
    };
    let t = c.test(t);
    (t, c.diags)
}

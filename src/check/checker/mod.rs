//! Name resolution and types: the AST becomes a `Program` with every name an index and every
//! expression typed. Problems become diagnostics; checking goes on past each one.
//!
//! Here: the `Checker`, its indexes and scopes, and its two passes: `declare` records every
//! name first (`declarations`, with `types` for the types they name), then `define` checks
//! each body (`scores`, `workflows`, `triggers`, `policy`, `test_blocks`), over the
//! expressions of `expressions` and `operators` and the names `names` resolves.

mod decisions;
mod declarations;
mod expressions;
mod names;
mod operators;
mod personal;
mod policy;
mod scores;
mod test_blocks;
mod triggers;
mod types;
mod workflows;

use operators::Guarded;

use super::lints::Uses;
use super::program::*;
use super::suggest;
use crate::diag::{Code, Diagnostic};
use crate::lang::span::Span;
use crate::lang::types::Ty;
use crate::syntax::ast;
use std::collections::HashMap;

/// The regex size limit: a campaign's regex may not make the engine slow or large.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// The most scores, lists, lead attributes, events (the prelude's included), workflows or
/// triggers one campaign may have: a compiled program numbers each kind in 16 bits.
pub const MAX_OF_A_KIND: usize = u16::MAX as usize + 1;

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
    decisions: Vec<&'a ast::DecideDecl>,
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
    /// By workflow: how its runs begin, for `event.PROP` (`personal`).
    starts: Vec<personal::Start>,
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

    pub(super) fn workflow(&self, name: &str) -> Option<WorkflowId> {
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
    /// In a step: whose event `event.PROP` reads.
    run: Option<RunCtx>,
    /// After `wait up to … for E` on every path: E (`None` where the paths wait for
    /// different events), whose properties `received.PROP` reads.
    waited: Option<EventId>,
    /// Inside `if received { … }`: the received event's properties are there.
    received_known: bool,
}

/// The steps being checked: a trigger's (its index, and its event, none for a list change)
/// or a workflow's.
#[derive(Clone, Copy)]
enum RunCtx {
    Trigger { index: u32, event: Option<EventId> },
    Workflow(WorkflowId),
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

    /// Checks every body: scores, lists and workflows in program order, then triggers, the
    /// policy and tests as the file has them.
    fn define(&mut self, file: &'a ast::File) {
        for (i, s) in self.scores.clone().into_iter().enumerate() {
            let kind = self.score_body(s);
            self.program.scores[i].kind = kind;
        }
        for (i, l) in self.lists.clone().into_iter().enumerate() {
            let cond = self.cond(&l.cond, Scope::default());
            self.program.lists[i].cond = cond;
        }
        self.workflow_starts(file);
        self.define_decisions();
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
}

fn with_article(noun: &str) -> String {
    let vowel = noun.starts_with(|c: char| "aeiouAEIOU".contains(c));
    format!("{} {noun}", if vowel { "an" } else { "a" })
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

//! `test` blocks: their leads, events, clock moves and expectations.

use super::{Checker, Scope};
use crate::check::program::*;
use crate::check::suggest;
use crate::diag::{Code, Diagnostic};
use crate::lang::modes::{Audience, Channel};
use crate::lang::span::Span;
use crate::lang::types::Value;
use crate::syntax::ast::{self, ExprKind as A};

impl Checker<'_> {
    pub(super) fn test(&mut self, t: &ast::TestDecl) -> Test {
        // A test's events are no use of an event (W0103).
        self.in_test = true;
        let mut leads: Vec<String> = Vec::new();
        let mut stmts = Vec::new();
        // The test's clock, as the runner moves it (`testing::run`): leads and events only
        // within the range of record times, the clock no further than `--until` may take it.
        let mut clock = test_start(t);
        for s in &t.stmts {
            clock = self.move_test_clock(s, clock);
            self.test_stmt_time(s, clock);
            stmts.extend(self.test_stmt(s, &mut leads));
        }
        self.in_test = false;
        Test {
            name: t.name.display(),
            leads,
            stmts,
            span: t.name.span,
        }
    }

    /// The test's clock after statement `s`: an `at` moves it forward (never back), an
    /// `after` by its duration; each move must stay in range.
    fn move_test_clock(&mut self, s: &ast::TestStmt, clock: i64) -> i64 {
        match s {
            ast::TestStmt::At { time, .. } => {
                let at = match time.kind {
                    A::Instant(t) => t,
                    _ => clock,
                };
                self.test_clock(at, time.span, "`at`");
                clock.max(at)
            }
            ast::TestStmt::After { duration, span, .. } => {
                let clock = clock.saturating_add(crate::lang::time::from_seconds(duration.seconds));
                self.test_clock(clock, *span, "the clock at");
                clock
            }
            _ => clock,
        }
    }

    /// A lead, or an event, made at `clock` must be at a time a record may carry.
    fn test_stmt_time(&mut self, s: &ast::TestStmt, clock: i64) {
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
    }

    /// One statement of a test, its leads numbered in order of first mention; `None` when
    /// it names what does not exist.
    fn test_stmt(&mut self, s: &ast::TestStmt, leads: &mut Vec<String>) -> Option<TestStmt> {
        match s {
            ast::TestStmt::Lead { name, fields, span } => {
                let lead = lead_id(leads, &name.name);
                Some(TestStmt::Lead {
                    lead,
                    attrs: self.test_lead_attrs(fields),
                    span: *span,
                })
            }
            ast::TestStmt::At { time, event, span } => {
                let at = match time.kind {
                    A::Instant(t) => t,
                    _ => 0,
                };
                let event = event.as_ref().and_then(|e| self.test_event(e, leads));
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
                let event = event.as_ref().and_then(|e| self.test_event(e, leads));
                Some(TestStmt::After {
                    seconds: duration.seconds,
                    event,
                    span: *span,
                })
            }
            ast::TestStmt::Expect(x) => self.expectation(x, leads),
        }
    }

    /// A test lead's attributes, each a constant of its declared type; unknown ones are
    /// reported and left out.
    fn test_lead_attrs(&mut self, fields: &[ast::Field]) -> Vec<(AttrId, Value)> {
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
        attrs
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

    pub(super) fn test_lead(&mut self, name: &ast::Ident, leads: &[String]) -> Option<TestLeadId> {
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
                        .with_help("expect a send by `email`, `sms`, `push` or `chat`, or a notification to `sales` or `owner`");
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
}

/// The help of a test's time out of range (`crate::lang::time`).
const TIME_RANGE_HELP: &str = "leads and events in a test go from 1970-01-01 to 2100-01-01, \
     as input records do; the clock may go on to 2201-01-01 for waits to fire";

fn lead_id(leads: &mut Vec<String>, name: &str) -> TestLeadId {
    match leads.iter().position(|l| l == name) {
        Some(i) => i as TestLeadId,
        None => {
            leads.push(name.to_string());
            (leads.len() - 1) as TestLeadId
        }
    }
}

/// Where a test's clock starts: at its first `at`, or at the runner's default start.
fn test_start(t: &ast::TestDecl) -> i64 {
    t.stmts
        .iter()
        .find_map(|s| match s {
            ast::TestStmt::At { time, .. } => match time.kind {
                A::Instant(t) => Some(t),
                _ => None,
            },
            _ => None,
        })
        .unwrap_or(crate::lang::time::DEFAULT_START)
}

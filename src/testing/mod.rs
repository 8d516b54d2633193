//! The runner for `test` blocks: each test gets a fresh engine with a virtual clock, plays its
//! leads and events, and checks its expectations against what the engine did.

use crate::check::program::{self as p, Expectation, ExpectedAction, Program, TestStmt};
use crate::compile::expr::CompileError;
use crate::compile::{compile, Compiled};
use crate::diag::{Code, Diagnostic};
use crate::lang::format;
use crate::lang::modes::Channel;
use crate::lang::ops::BinOp;
use crate::lang::seq;
use crate::lang::span::Span;
use crate::lang::types::{Ty, Value};
use crate::lang::value::Val;
use crate::vm::action::{converted_text, variant_note, Action, ActionKind};
use crate::vm::machine::{EventRef, Machine};
use crate::vm::render;

pub use crate::lang::time::DEFAULT_START;

/// Numbers in expectations match to two decimals, so decayed scores can be written plainly.
pub const TOLERANCE: f64 = 0.005;

#[derive(Debug, Clone, PartialEq)]
pub struct TestReport {
    pub name: String,
    pub span: Span,
    pub failures: Vec<Failure>,
}

impl TestReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// An expectation that did not hold: where it is, what it wanted, and what happened instead.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub span: Span,
    pub message: String,
    /// What the engine did for the lead concerned, one line per action, and the values the
    /// expectation looked at.
    pub happened: Vec<String>,
}

/// The diagnostics (E0401) for a test's failed expectations, ready to render.
pub fn failure_diagnostics(r: &TestReport) -> Vec<Diagnostic> {
    r.failures
        .iter()
        .map(|f| {
            let mut help = String::from("what happened instead:");
            for line in &f.happened {
                help.push_str("\n  ");
                help.push_str(line);
            }
            Diagnostic::new(
                Code::TestFailed,
                f.span,
                format!("test \"{}\": {}", r.name, f.message),
            )
            .with_label("this expectation")
            .with_help(help)
        })
        .collect()
}

/// How many `test` blocks a campaign's text declares, read from its words alone: a file that
/// does not check cannot run its tests, and can still say how many did not run.
pub fn test_blocks(source: &str) -> usize {
    use crate::syntax::lexer::{tokens, Token};
    let (mut count, mut after_test, mut after_dot) = (0, false, false);
    for (token, range) in tokens(source) {
        if matches!(token, Some(Token::Whitespace | Token::Comment)) {
            continue;
        }
        if after_test && matches!(token, Some(Token::String(text)) if text.closed) {
            count += 1;
        }
        // `test` is reserved: outside a dotted name, a string after it names a test.
        after_test = token == Some(Token::Word) && &source[range] == "test" && !after_dot;
        after_dot = token == Some(Token::Dot);
    }
    count
}

/// Runs every test in the program, in order.
pub fn run(program: &Program) -> Result<Vec<TestReport>, CompileError> {
    program.tests.iter().map(|t| run_one(program, t)).collect()
}

fn run_one(program: &Program, test: &p::Test) -> Result<TestReport, CompileError> {
    let mut m = Machine::new(compile(program)?);
    m.now = test
        .stmts
        .iter()
        .find_map(|s| match s {
            TestStmt::At { time, .. } => Some(*time),
            _ => None,
        })
        .unwrap_or(DEFAULT_START);
    let mut actions: Vec<Action> = Vec::new();
    let mut failures = Vec::new();
    for stmt in &test.stmts {
        match stmt {
            TestStmt::Lead { lead, attrs, .. } => {
                let traits: Vec<(u32, Val)> =
                    attrs.iter().map(|(a, v)| (*a, m.c.pools.val(v))).collect();
                let now = m.now;
                m.identify(&test.leads[*lead as usize], now, &traits, &[], &mut actions);
            }
            TestStmt::At { time, event, .. } => {
                m.advance_to(*time, &mut actions);
                if let Some(e) = event {
                    deliver(&mut m, test, e, &mut actions);
                }
            }
            TestStmt::After { seconds, event, .. } => {
                let to = m.now + crate::lang::time::from_seconds(*seconds);
                m.advance_to(to, &mut actions);
                if let Some(e) = event {
                    deliver(&mut m, test, e, &mut actions);
                }
            }
            TestStmt::Expect { expectation, span } => {
                if let Some(f) = expect(&mut m, test, expectation, *span, &actions)? {
                    failures.push(f);
                }
            }
        }
    }
    Ok(TestReport {
        name: test.name.clone(),
        span: test.span,
        failures,
    })
}

fn deliver(m: &mut Machine, test: &p::Test, e: &p::TestEvent, actions: &mut Vec<Action>) {
    let mut texts = Vec::new();
    let types = &m.c.events[e.event as usize].props;
    let props: Vec<Val> = (e.props.iter().enumerate())
        .map(|(i, v)| match v {
            Value::Str(s) => {
                texts.push(s.clone());
                Val::PropText(texts.len() as u16 - 1)
            }
            // A list rides in the texts as its encoding, as the intake hands it over.
            Value::List(items) => {
                let mut enc = String::new();
                seq::push_values(&mut enc, items, types.get(i).map_or(&Ty::Error, |p| &p.1));
                texts.push(enc);
                Val::PropSeq(texts.len() as u16 - 1)
            }
            v => m.c.pools.val(v),
        })
        .collect();
    let now = m.now;
    let ev = EventRef {
        event: e.event as u16,
        props: &props,
        texts: &texts,
    };
    m.track(&test.leads[e.lead as usize], now, ev, actions);
}

/// One line describing an action, for failure reports and traces; `c` is the program that
/// emitted it (a `set` of an enum attribute names the constant as the language writes it).
pub fn describe_action(c: &Compiled, a: &Action) -> String {
    let what = match &a.kind {
        ActionKind::Send { channel, template } => format!("sent {} \"{template}\"", channel.name()),
        ActionKind::Suppressed {
            channel,
            template,
            rule,
        } => {
            format!("suppressed {} \"{template}\" ({rule})", channel.name())
        }
        ActionKind::Notify { audience, message } => {
            format!("notified {}: \"{message}\"", audience.name())
        }
        ActionKind::Retarget { add, audience } => {
            format!(
                "retarget {} \"{audience}\"",
                if *add { "add" } else { "remove" }
            )
        }
        ActionKind::Webhook { name, .. } => format!("webhook \"{name}\""),
        ActionKind::Set { attr, value } => {
            format!("set lead.{attr} = {}", render::set_value(c, attr, value))
        }
        ActionKind::Tag { tag, add } => format!("{} \"{tag}\"", if *add { "tag" } else { "untag" }),
        ActionKind::Converted {
            workflow,
            variant,
            holdout,
        } => converted_text(workflow, variant.as_deref(), *holdout),
        ActionKind::HeldOut { workflow } => format!("held out of {workflow}"),
        ActionKind::Assigned => format!("assigned{}", variant_note(a.source.variant())),
        ActionKind::Entered { list } => format!("entered {list}"),
        ActionKind::Exited { list } => format!("left {list}"),
        ActionKind::CascadeLimit { depth } => format!("stopped a cascade at depth {depth}"),
    };
    let from = a.origin().map_or(String::new(), |o| format!(" {o}"));
    format!("{} {what}{from}", format::instant(a.at))
}

fn trace(c: &Compiled, actions: &[Action], lead: &str) -> Vec<String> {
    let lines: Vec<String> = actions
        .iter()
        .filter(|a| a.lead == lead)
        .map(|a| describe_action(c, a))
        .collect();
    if lines.is_empty() {
        vec![format!("nothing happened to {lead}")]
    } else {
        lines
    }
}

/// It stays whole: one arm per kind of `expect`.
fn expect(
    m: &mut Machine,
    test: &p::Test,
    x: &Expectation,
    span: Span,
    actions: &[Action],
) -> Result<Option<Failure>, CompileError> {
    let name = |l: &u32| test.leads[*l as usize].clone();
    let fail = |message: String, happened: Vec<String>| {
        Some(Failure {
            span,
            message,
            happened,
        })
    };
    Ok(match x {
        Expectation::Sent {
            lead,
            negated,
            action,
        } => {
            let lead = name(lead);
            let found = actions
                .iter()
                .any(|a| a.lead == lead && matches_action(&a.kind, action));
            let (missed, unwanted) = sent_words(&lead, action);
            match (found, negated) {
                (false, false) => fail(missed, trace(&m.c, actions, &lead)),
                (true, true) => fail(unwanted, trace(&m.c, actions, &lead)),
                _ => None,
            }
        }
        Expectation::InWorkflow {
            lead,
            negated,
            workflow,
            step,
        } => {
            let id = name(lead);
            let wname = &m.c.workflows[*workflow as usize].name.clone();
            // A run past its last step, watching only its goal, is done with the workflow.
            let lead_at = m.find_lead(&id);
            let watching = lead_at.is_some_and(|l| m.watching_goal(l, *workflow as u16));
            let at = lead_at
                .filter(|_| !watching)
                .and_then(|l| m.run_step(l, *workflow as u16));
            let holds = match (&at, step) {
                (None, _) => false,
                (Some(_), None) => true,
                (Some(s), Some(want)) => s == want,
            };
            let now = match &at {
                Some(s) => format!("{id} is in {wname} at step \"{s}\""),
                None if watching => {
                    format!("{id} is past the last step of {wname}, watching its goal")
                }
                None => format!("{id} is not in {wname}"),
            };
            let mut happened = vec![now];
            happened.extend(trace(&m.c, actions, &id));
            match (holds, negated) {
                (false, false) => fail(
                    format!(
                        "{id} was expected to be in workflow {wname}{}",
                        step.as_ref()
                            .map_or(String::new(), |s| format!(" at step \"{s}\""))
                    ),
                    happened,
                ),
                (true, true) => fail(
                    format!("{id} was expected not to be in workflow {wname}"),
                    happened,
                ),
                _ => None,
            }
        }
        Expectation::Converted {
            lead,
            negated,
            workflow,
        } => {
            let id = name(lead);
            let wname = m.c.workflows[*workflow as usize].name.clone();
            let converted = actions.iter().any(|a| {
                a.lead == id
                    && matches!(&a.kind, ActionKind::Converted { workflow, .. } if *workflow == wname)
            });
            match (converted, negated) {
                (false, false) => fail(
                    format!("{id} was expected to convert in {wname}"),
                    trace(&m.c, actions, &id),
                ),
                (true, true) => fail(
                    format!("{id} converted in {wname}, which the test says must not happen"),
                    trace(&m.c, actions, &id),
                ),
                _ => None,
            }
        }
        Expectation::Holds(e) => {
            let mut seen = Vec::new();
            let holds = truth(m, test, e, &mut seen)?;
            if holds {
                None
            } else {
                let mut happened = seen;
                for l in leads_in(e) {
                    happened.extend(trace(&m.c, actions, &test.leads[l as usize]));
                }
                fail("this expectation does not hold".to_string(), happened)
            }
        }
    })
}

/// What a failed `expect LEAD sent …` says: when the send or notification did not come, and
/// when it came although the test said `not`.
fn sent_words(lead: &str, action: &ExpectedAction) -> (String, String) {
    match action {
        ExpectedAction::Send { channel, template } => {
            let what = match template {
                Some(t) => format!("{} \"{t}\"", channel.name()),
                None => match channel {
                    Channel::Email => "an email".to_string(),
                    Channel::Sms => "an SMS".to_string(),
                    Channel::Push => "a push notification".to_string(),
                    Channel::Chat => "a chat message".to_string(),
                },
            };
            (
                format!("{lead} was expected to be sent {what}, and was not"),
                format!("{lead} was sent {what}, which the test says must not happen"),
            )
        }
        ExpectedAction::Notify { audience, message } => {
            let who = audience.name();
            let with = message
                .as_ref()
                .map_or(String::new(), |m| format!(" with \"{m}\""));
            (
                format!("{who} was expected to be notified about {lead}{with}, and was not"),
                format!(
                    "{who} was notified about {lead}{with}, which the test says must not happen"
                ),
            )
        }
    }
}

fn matches_action(kind: &ActionKind, want: &ExpectedAction) -> bool {
    match (kind, want) {
        (
            ActionKind::Send { channel, template },
            ExpectedAction::Send {
                channel: c,
                template: t,
            },
        ) => channel == c && t.as_ref().is_none_or(|t| t == template),
        (
            ActionKind::Notify { audience, message },
            ExpectedAction::Notify {
                audience: a,
                message: m,
            },
        ) => audience == a && m.as_ref().is_none_or(|m| m == message),
        _ => false,
    }
}

fn leads_in(e: &p::Expr) -> Vec<u32> {
    let mut out = Vec::new();
    crate::check::visit::each_subexpr(e, &mut |x| match &x.kind {
        p::ExprKind::Of { lead, .. } | p::ExprKind::LeadInList { lead, .. }
            if !out.contains(lead) =>
        {
            out.push(*lead)
        }
        _ => {}
    });
    out
}

/// Whether a test's boolean expression holds. `seen` collects the values it looked at.
fn truth(
    m: &mut Machine,
    test: &p::Test,
    e: &p::Expr,
    seen: &mut Vec<String>,
) -> Result<bool, CompileError> {
    Ok(match &e.kind {
        p::ExprKind::Not(x) => !truth(m, test, x, seen)?,
        p::ExprKind::Binary {
            op: BinOp::And,
            lhs,
            rhs,
        } => truth(m, test, lhs, seen)? && truth(m, test, rhs, seen)?,
        p::ExprKind::Binary {
            op: BinOp::Or,
            lhs,
            rhs,
        } => truth(m, test, lhs, seen)? || truth(m, test, rhs, seen)?,
        p::ExprKind::LeadInList {
            lead,
            list,
            negated,
        } => {
            let id = &test.leads[*lead as usize];
            let member = m
                .find_lead(id)
                .is_some_and(|l| m.leads[l as usize].in_list(&m.c, *list as u16));
            let lname = &m.c.lists[*list as usize].name;
            seen.push(format!(
                "{id} is {}in {lname}",
                if member { "" } else { "not " }
            ));
            member != *negated
        }
        p::ExprKind::Binary { op, lhs, rhs } if op.is_comparison() => {
            let a = value(m, test, lhs, seen)?;
            let b = value(m, test, rhs, seen)?;
            // Numbers compare with a tolerance; anything else about one lead (its tags, a
            // text) is asked of the engine whole, as the campaign would ask it.
            let numbers = a.as_f64().is_some() && b.as_f64().is_some();
            match for_one_lead(e, &mut None) {
                Some(plain) if !numbers => {
                    let mut lead = None;
                    for_one_lead(e, &mut lead);
                    let l = m.lead(&test.leads[lead.unwrap_or(0) as usize]);
                    eval_expr(m, l, &plain)?.truthy()
                }
                _ => compare(&m.c, *op, a, b),
            }
        }
        _ => value(m, test, e, seen)?.truthy(),
    })
}

fn value(
    m: &mut Machine,
    test: &p::Test,
    e: &p::Expr,
    seen: &mut Vec<String>,
) -> Result<Val, CompileError> {
    if let p::ExprKind::Const(v) = &e.kind {
        return Ok(m.c.pools.val(v));
    }
    let mut lead = None;
    match for_one_lead(e, &mut lead) {
        Some(plain) => {
            let id = &test.leads[lead.unwrap_or(0) as usize];
            let l = m.lead(id);
            let v = eval_expr(m, l, &plain)?;
            let shown = match v {
                Val::List(list) if list == m.tags_list => {
                    let tags: Vec<String> = m
                        .leads
                        .tags(l)
                        .iter()
                        .map(|t| format!("\"{}\"", m.c.pools.texts.get(*t)))
                        .collect();
                    format!("[{}]", tags.join(", "))
                }
                v => show(m, v, &plain.ty),
            };
            seen.push(format!(
                "{} of {id} is {shown}",
                describe_expr(&m.c, &plain)
            ));
            Ok(v)
        }
        None => {
            seen.push("an expectation may combine several leads only with `and`, `or`, `not` and comparisons".into());
            Ok(Val::Missing)
        }
    }
}

/// The expression with `NAME of LEAD` and `LEAD in LIST` turned into plain campaign
/// expressions about that one lead; `None` when it mentions several leads.
fn for_one_lead(e: &p::Expr, lead: &mut Option<u32>) -> Option<p::Expr> {
    let claim = |l: u32, lead: &mut Option<u32>| match lead {
        Some(x) if *x != l => None,
        _ => {
            *lead = Some(l);
            Some(())
        }
    };
    let kind = match &e.kind {
        p::ExprKind::Of { expr, lead: l } => {
            claim(*l, lead)?;
            return for_one_lead(expr, lead);
        }
        p::ExprKind::LeadInList {
            lead: l,
            list,
            negated,
        } => {
            claim(*l, lead)?;
            let member = p::Expr {
                kind: p::ExprKind::InList(*list),
                ty: e.ty.clone(),
                span: e.span,
            };
            if *negated {
                p::ExprKind::Not(Box::new(member))
            } else {
                return Some(member);
            }
        }
        p::ExprKind::Not(x) => p::ExprKind::Not(Box::new(for_one_lead(x, lead)?)),
        p::ExprKind::Neg(x) => p::ExprKind::Neg(Box::new(for_one_lead(x, lead)?)),
        p::ExprKind::Binary { op, lhs, rhs } => p::ExprKind::Binary {
            op: *op,
            lhs: Box::new(for_one_lead(lhs, lead)?),
            rhs: Box::new(for_one_lead(rhs, lead)?),
        },
        p::ExprKind::Is { expr, set } => p::ExprKind::Is {
            expr: Box::new(for_one_lead(expr, lead)?),
            set: *set,
        },
        p::ExprKind::Matches { expr, regex } => p::ExprKind::Matches {
            expr: Box::new(for_one_lead(expr, lead)?),
            regex: regex.clone(),
        },
        p::ExprKind::In { expr, negated, set } => p::ExprKind::In {
            expr: Box::new(for_one_lead(expr, lead)?),
            negated: *negated,
            set: Box::new(for_one_lead(set, lead)?),
        },
        p::ExprKind::List(items) => p::ExprKind::List(
            items
                .iter()
                .map(|i| for_one_lead(i, lead))
                .collect::<Option<_>>()?,
        ),
        other => other.clone(),
    };
    Some(p::Expr {
        kind,
        ty: e.ty.clone(),
        span: e.span,
    })
}

fn describe_expr(c: &Compiled, e: &p::Expr) -> String {
    match &e.kind {
        p::ExprKind::Score(s) => c.scores[*s as usize].name.clone(),
        p::ExprKind::Attr(a) => format!("lead.{}", c.attrs[*a as usize].name),
        p::ExprKind::InList(l) => c.lists[*l as usize].name.clone(),
        _ => "the value".into(),
    }
}

fn show(m: &Machine, v: Val, ty: &crate::lang::types::Ty) -> String {
    match v {
        Val::Missing => "missing".into(),
        Val::Sym(_) => format!("\"{}\"", m.text_of(v, ty)),
        v => m.text_of(v, ty),
    }
}

fn compare(c: &Compiled, op: BinOp, a: Val, b: Val) -> bool {
    if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
        let eq = (x - y).abs() <= TOLERANCE;
        return match op {
            BinOp::Eq => eq,
            BinOp::Ne => !eq,
            BinOp::Lt => x < y && !eq,
            BinOp::Le => x < y || eq,
            BinOp::Gt => x > y && !eq,
            BinOp::Ge => x > y || eq,
            _ => false,
        };
    }
    if a.is_missing() || b.is_missing() {
        return false;
    }
    let text = |v: Val| match v {
        Val::Sym(s) => Some(c.pools.texts.get(s)),
        _ => None,
    };
    match op {
        BinOp::Eq => a == b,
        BinOp::Ne => a != b,
        BinOp::Contains => matches!((text(a), text(b)), (Some(x), Some(y)) if x.contains(y)),
        BinOp::StartsWith => matches!((text(a), text(b)), (Some(x), Some(y)) if x.starts_with(y)),
        BinOp::EndsWith => matches!((text(a), text(b)), (Some(x), Some(y)) if x.ends_with(y)),
        _ => match (a, b) {
            (Val::Time(x), Val::Time(y)) | (Val::Dur(x), Val::Dur(y)) => match op {
                BinOp::Lt => x < y,
                BinOp::Le => x <= y,
                BinOp::Gt => x > y,
                _ => x >= y,
            },
            _ => false,
        },
    }
}

/// Evaluates a checked expression for a lead now, compiled against the machine's pools.
fn eval_expr(m: &mut Machine, lead: u32, e: &p::Expr) -> Result<Val, CompileError> {
    // A history predicate that nothing in the campaign uses has no aggregate in lead state:
    // say so rather than read past the layout.
    let kept = m.c.pools.history.len();
    let chunk = m.c.pools.compile(e)?;
    if m.c.pools.history.len() > kept {
        m.c.pools.history.truncate(kept);
        m.c.pools.count_bounds.truncate(kept);
        return Err(CompileError::NotCompilable(
            e.span,
            "a history predicate that no part of the campaign keeps",
        ));
    }
    Ok(m.eval_compiled(lead, &chunk, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failures(src: &str) -> Vec<String> {
        let (diags, program) = crate::check::check_text(src);
        let program = program.unwrap_or_else(|| panic!("{diags:#?}"));
        let reports = run(&program).expect("compiles");
        reports[0]
            .failures
            .iter()
            .map(|f| f.message.clone())
            .collect()
    }

    /// Issue 11, item 17: a notification expected with no message read "expected to be sent
    /// sales , and was not".
    #[test]
    fn failed_sends_and_notifications_read_as_sentences() {
        let src = "lead { email: string }\non form.submitted tag \"x\"\n\
            test \"t\" {\n lead ann { email: \"a@b.c\" }\n\
            expect ann sent sales\n expect ann sent owner \"Call her\"\n\
            expect ann sent email\n expect ann sent sms\n expect ann sent push \"hi\"\n}\n";
        assert_eq!(
            failures(src),
            vec![
                "sales was expected to be notified about ann, and was not",
                "owner was expected to be notified about ann with \"Call her\", and was not",
                "ann was expected to be sent an email, and was not",
                "ann was expected to be sent an SMS, and was not",
                "ann was expected to be sent push \"hi\", and was not",
            ]
        );
        let src = "lead { email: string }\non form.submitted notify sales \"New form\"\n\
            test \"t\" {\n lead ann { email: \"a@b.c\" }\n\
            at 2026-03-02T09:00:00Z ann form.submitted { form: \"f\" }\n\
            expect ann not sent sales\n}\n";
        assert_eq!(
            failures(src),
            vec!["sales was notified about ann, which the test says must not happen"]
        );
    }

    #[test]
    fn test_blocks_are_counted_from_the_words() {
        let src = "test \"a\" { }\n// test \"not this\"\nevent x.y { test: string }\n\
            test \"b\" {\n at 2026-01-01T00:00:00Z ann x.y { test: \"no\" }\n}\ntest broken {\n";
        assert_eq!(test_blocks(src), 2);
        assert_eq!(test_blocks(""), 0);
    }
}

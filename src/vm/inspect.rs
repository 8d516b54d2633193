//! Rule-by-rule explanations of one lead, for the REPL's `:show` and `:why`: each score with
//! what every rule adds now, each list condition broken into the parts that held or did not,
//! each workflow run with its step, wake time and what governs entry.
//!
//! Values come from the machine: its lead state and the compiled chunks, evaluated now. The
//! checked program gives the structure and the source spans, so every line quotes the campaign
//! as the marketer wrote it. A part of a condition is evaluated by cutting its instructions out
//! of the compiled chunk (every sub-expression compiles to a contiguous run of instructions
//! carrying spans inside its own), so nothing is compiled again and the lead state layout
//! stays exactly what the machine uses.
//!
//! What `on` rules added is not kept by the machine, which stores one accumulated value per
//! score. A [`Ledger`] watches each event go in: before, which rules will count (filter and
//! cap, judged on the lead's state); after, whether the machine's value agrees. Each entry
//! then decays with the score, so the parts add up to the score at any later time.

use super::machine::{EventRef, Machine};
use super::ring;
use crate::check::program::{self as p, Program};
use crate::compile::bytecode::{Chunk, Op};
use crate::compile::layout::Kept;
use crate::compile::program::op_label;
use crate::compile::program::{ScoreKind, TriggerSource, WOp};
use crate::lang::format;
use crate::lang::modes::Enroll;
use crate::lang::ops::{BinOp, EffectKind, HistoryKind};
use crate::lang::span::Span;
use crate::lang::types::Ty;
use crate::lang::value::Val;
use std::collections::HashMap;

/// Two values closer than this are the same score.
const EPSILON: f64 = 0.005;

/// One application of an `on` rule to a lead, or a change the ledger could not attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub score: u16,
    /// The rule's index among the score's `on` rules; `None` for an unattributed change, which
    /// is recorded as a `set` to the value the machine reached.
    pub rule: Option<u16>,
    pub at: i64,
    pub effect: EffectKind,
    pub amount: f64,
    /// False when the rule matched but its `at most N times per D` cap stopped it.
    pub counted: bool,
}

/// What each lead's `on` rules added, event by event.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    entries: HashMap<u32, Vec<Entry>>,
}

/// What the ledger expects an event to do, taken before the machine sees it.
#[derive(Debug, Clone)]
pub struct Plan {
    lead: u32,
    at: i64,
    /// Each score the event's rules touch, with its accumulated value before.
    before: Vec<(u16, f64)>,
    steps: Vec<Entry>,
}

impl Ledger {
    /// Before `ev` reaches the machine for `lead` (which must exist) at the machine's clock:
    /// which `on` rules will count.
    pub fn plan(m: &Machine, lead: u32, ev: EventRef<'_>) -> Plan {
        let mut steps = Vec::new();
        let mut before: Vec<(u16, f64)> = Vec::new();
        let state = &m.leads[lead as usize];
        for &(s, r) in &m.c.dispatch[ev.event as usize].on_rules {
            let ScoreKind::Rules { on, .. } = &m.c.scores[s as usize].kind else {
                continue;
            };
            let rule = &on[r as usize];
            if let Some(f) = &rule.filter {
                if !m.filter_holds(lead, f, ev) {
                    continue;
                }
            }
            let counted = rule
                .cap
                .is_none_or(|(per, r)| ring::count(state, r, m.now, Some(per), None) < r.cap);
            if !before.iter().any(|(x, _)| *x == s) {
                before.push((s, m.accumulated_now(lead, s)));
            }
            steps.push(Entry {
                score: s,
                rule: Some(r),
                at: m.now,
                effect: rule.effect,
                amount: rule.amount,
                counted,
            });
        }
        Plan {
            lead,
            at: m.now,
            before,
            steps,
        }
    }

    /// After the machine processed the planned event: records the plan where the machine's
    /// values agree with it, and an unattributed change where they do not.
    pub fn record(&mut self, m: &Machine, plan: Plan) {
        let entries = self.entries.entry(plan.lead).or_default();
        for (s, before) in plan.before {
            let steps: Vec<&Entry> = plan.steps.iter().filter(|e| e.score == s).collect();
            let expected = steps
                .iter()
                .filter(|e| e.counted)
                .fold(before, |v, e| apply(v, e.effect, e.amount));
            let actual = m.accumulated_now(plan.lead, s);
            if (expected - actual).abs() <= 1e-9 * actual.abs().max(1.0) {
                entries.extend(steps.into_iter().cloned());
            } else {
                entries.push(Entry {
                    score: s,
                    rule: None,
                    at: plan.at,
                    effect: EffectKind::Set,
                    amount: actual,
                    counted: true,
                });
            }
        }
    }

    pub fn entries(&self, lead: u32) -> &[Entry] {
        self.entries.get(&lead).map_or(&[], |v| v.as_slice())
    }
}

fn apply(v: f64, effect: EffectKind, amount: f64) -> f64 {
    match effect {
        EffectKind::Add => v + amount,
        EffectKind::Subtract => v - amount,
        EffectKind::Set => amount,
    }
}

/// A score of one lead, rule by rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreView {
    pub name: String,
    pub description: Option<String>,
    pub value: f64,
    pub parts: Parts,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Parts {
    /// `score total = fit + engagement`: the formula and the scores it reads.
    Derived {
        formula: String,
        inputs: Vec<(String, f64)>,
    },
    Rules {
        /// `decay 50% every 30d`, as written.
        decay: Option<String>,
        rules: Vec<RuleView>,
        /// What the ledger cannot attribute to a rule (0 when it accounts for everything).
        other: f64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleView {
    /// The rule as written.
    pub text: String,
    /// What the rule adds to the score now (negative for `subtract`).
    pub points: f64,
    pub kind: RuleKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    /// A `when` rule: whether its condition holds now, and the condition explained.
    When { holds: bool, cond: Cond },
    /// An `on` rule: how many events counted, how many its cap stopped, and the last time
    /// it counted.
    On {
        counted: u32,
        capped: u32,
        last: Option<i64>,
    },
}

/// A condition, explained: its value now and, for `and`, `or` and `not`, its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Cond {
    /// The condition as written.
    pub text: String,
    /// Whether it holds now; `None` when it could not be evaluated on its own.
    pub holds: Option<bool>,
    pub join: Join,
    pub parts: Vec<Cond>,
    /// The values the condition reads: `lead.company_size is 200`, `total is 42`.
    pub facts: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// A comparison, a history predicate, a membership: no parts.
    Leaf,
    /// `a and b and …`: holds when every part holds.
    All,
    /// `a or b or …`: holds when any part holds.
    Any,
    /// `not a`.
    Not,
}

/// A workflow run of one lead.
#[derive(Debug, Clone, PartialEq)]
pub struct RunView {
    pub workflow: String,
    /// The step the run rests at, while a run is open.
    pub step: Option<String>,
    /// When the run wakes next: a wait's end, a timeout, the end of quiet hours, the end of
    /// the goal's window.
    pub wake: Option<i64>,
    pub enrolled: Option<i64>,
    pub last_enrolled: Option<i64>,
    /// Whether lead state keeps the workflow's enrollment time at all: a workflow that
    /// nothing reads it for keeps none, and both times above are then unknown.
    pub enrollment_kept: bool,
    /// The open run's start as `since enrolled` reads it (`Machine::run_since`).
    pub since: Option<i64>,
}

/// Why a lead is or is not in a workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowWhy {
    pub run: RunView,
    /// `enroll once`, `enroll once per 90d`, `enroll every time`.
    pub enroll: String,
    /// Whether a start now would be allowed by the enrollment rule.
    pub may_enroll: bool,
    /// What starts the workflow: triggers and `start` steps, as written.
    pub starts: Vec<Start>,
    pub only_if: Option<Cond>,
    pub exit_when: Option<Cond>,
    pub goal: Option<Cond>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Start {
    pub text: String,
    pub source: StartSource,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StartSource {
    /// A trigger on an event (its index in the program's events).
    Event(u32),
    /// `on enter LIST` / `on exit LIST`, with whether the lead is in the list now.
    Membership {
        enter: bool,
        list: String,
        member: bool,
    },
    /// A `start` step in another workflow.
    Workflow(String),
}

/// Explains one lead against the campaign: the machine, the checked program it was compiled
/// from, and the campaign's source text (for quoting rules as written).
pub struct Explainer<'a> {
    pub m: &'a Machine,
    pub program: &'a Program,
    pub source: &'a str,
    pub ledger: &'a Ledger,
}

impl Explainer<'_> {
    fn text(&self, span: Span) -> String {
        let r = span.range();
        let raw = self.source.get(r).unwrap_or("");
        // One line, single spaces: rules are quoted inline.
        raw.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// A value as the REPL shows it: texts quoted, missing as `missing`.
    pub fn show(&self, v: Val, ty: &Ty) -> String {
        show_val(self.m, v, ty)
    }

    pub fn attributes(&self, lead: u32) -> Vec<(String, String)> {
        let c = &self.m.c;
        let l = &self.m.leads[lead as usize];
        c.attrs
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let text = if i as u16 == c.tags_attr {
                    let tags: Vec<String> = self
                        .m
                        .leads
                        .tags(lead)
                        .iter()
                        .map(|t| format!("\"{}\"", format::escaped(c.pools.texts.get(*t))))
                        .collect();
                    format!("[{}]", tags.join(", "))
                } else {
                    self.show(l.attr(c, i as u16), &a.ty)
                };
                (a.name.clone(), text)
            })
            .collect()
    }

    pub fn lists(&self, lead: u32) -> Vec<(String, bool)> {
        let c = &self.m.c;
        let l = &self.m.leads[lead as usize];
        c.lists
            .iter()
            .enumerate()
            .map(|(i, x)| (x.name.clone(), l.in_list(c, i as u16)))
            .collect()
    }

    pub fn runs(&self, lead: u32) -> Vec<RunView> {
        (0..self.m.c.workflows.len() as u16)
            .map(|w| self.run(lead, w))
            .collect()
    }

    pub fn run(&self, lead: u32, w: u16) -> RunView {
        run_view(self.m, lead, w)
    }

    pub fn scores(&self, lead: u32) -> Vec<ScoreView> {
        (0..self.m.c.scores.len() as u16)
            .map(|s| self.score(lead, s))
            .collect()
    }

    pub fn score(&self, lead: u32, s: u16) -> ScoreView {
        let m = self.m;
        let ps = &self.program.scores[s as usize];
        let value = m.score(lead, s);
        let parts = match (&m.c.scores[s as usize].kind, &ps.kind) {
            (ScoreKind::Derived(_), p::ScoreKind::Derived(e)) => {
                let mut inputs: Vec<(String, f64)> = Vec::new();
                crate::check::visit::each_subexpr(e, &mut |x| {
                    if let p::ExprKind::Score(i) = x.kind {
                        let name = m.c.scores[i as usize].name.clone();
                        if !inputs.iter().any(|(n, _)| *n == name) {
                            inputs.push((name, m.score(lead, i as u16)));
                        }
                    }
                });
                Parts::Derived {
                    formula: self.text(e.span),
                    inputs,
                }
            }
            (
                ScoreKind::Rules {
                    when, on, decay, ..
                },
                p::ScoreKind::Rules {
                    when: pwhen,
                    on: pon,
                    decay: pdecay,
                },
            ) => {
                let mut rules = Vec::new();
                for (w, pw) in when.iter().zip(pwhen) {
                    let cond = self.cond(lead, &pw.cond, &w.cond, None);
                    let holds = m.eval_compiled(lead, &w.cond, None).truthy();
                    let points = match (holds, w.effect) {
                        (false, _) => 0.0,
                        (true, EffectKind::Add) => w.amount,
                        (true, EffectKind::Subtract) => -w.amount,
                        // A `set` in a `when` rule is refused by the checker.
                        (true, EffectKind::Set) => w.amount,
                    };
                    rules.push(RuleView {
                        text: self.text(pw.span),
                        points,
                        kind: RuleKind::When { holds, cond },
                    });
                }
                let on_points = self.on_points(lead, s, *decay, on.len());
                let mut attributed = 0.0;
                for (r, pr) in pon.iter().enumerate() {
                    let (points, counted, capped, last) = on_points.rules[r];
                    attributed += points;
                    rules.push(RuleView {
                        text: self.text(pr.span),
                        points,
                        kind: RuleKind::On {
                            counted,
                            capped,
                            last,
                        },
                    });
                }
                let accumulated = m.accumulated_now(lead, s);
                let mut other = on_points.other;
                if (attributed + other - accumulated).abs() > EPSILON {
                    other = accumulated - attributed;
                }
                let decay = pdecay.map(|d| {
                    format!(
                        "decay {}% every {}",
                        format::number(d.percent),
                        format::duration(crate::lang::time::from_seconds(d.every))
                    )
                });
                Parts::Rules {
                    decay,
                    rules,
                    other: if other.abs() > EPSILON { other } else { 0.0 },
                }
            }
            // The compiled program comes from this checked program: the kinds agree.
            _ => Parts::Derived {
                formula: String::new(),
                inputs: Vec::new(),
            },
        };
        ScoreView {
            name: ps.name.clone(),
            description: ps.description.clone(),
            value,
            parts,
        }
    }

    /// What each `on` rule of a score adds now, from the ledger.
    fn on_points(&self, lead: u32, s: u16, decay: Option<(f64, i64)>, rules: usize) -> OnPoints {
        let now = self.m.now;
        let decayed = |amount: f64, at: i64| match decay {
            Some((keep, every)) if now > at => amount * keep.powf((now - at) as f64 / every as f64),
            _ => amount,
        };
        let mut out = OnPoints {
            rules: vec![(0.0, 0, 0, None); rules],
            other: 0.0,
        };
        // The contributions still alive: a counted `set` wipes what came before it.
        let mut alive: Vec<(Option<u16>, f64)> = Vec::new();
        for e in self.ledger.entries(lead).iter().filter(|e| e.score == s) {
            if let Some(r) = e.rule {
                let slot = &mut out.rules[r as usize];
                if e.counted {
                    slot.1 += 1;
                    slot.3 = Some(e.at);
                } else {
                    slot.2 += 1;
                }
            }
            if !e.counted {
                continue;
            }
            let v = decayed(e.amount, e.at);
            match e.effect {
                EffectKind::Set => {
                    alive.clear();
                    alive.push((e.rule, v));
                }
                EffectKind::Add => alive.push((e.rule, v)),
                EffectKind::Subtract => alive.push((e.rule, -v)),
            }
        }
        for (rule, v) in alive {
            match rule {
                Some(r) => out.rules[r as usize].0 += v,
                None => out.other += v,
            }
        }
        out
    }

    /// A condition explained against its compiled chunk.
    pub fn cond(&self, lead: u32, e: &p::Expr, chunk: &Chunk, enrolled: Option<i64>) -> Cond {
        let holds = sub_chunk(chunk, e.span).map(|c| self.m.eval_compiled(lead, &c, enrolled));
        let holds = holds.map(|v| v.truthy());
        let text = self.text(e.span);
        match &e.kind {
            p::ExprKind::Binary { op, .. } if matches!(op, BinOp::And | BinOp::Or) => {
                let mut items = Vec::new();
                flatten(e, *op, &mut items);
                Cond {
                    text,
                    holds,
                    join: if *op == BinOp::And {
                        Join::All
                    } else {
                        Join::Any
                    },
                    parts: items
                        .into_iter()
                        .map(|x| self.cond(lead, x, chunk, enrolled))
                        .collect(),
                    facts: Vec::new(),
                }
            }
            p::ExprKind::Not(x) => Cond {
                text,
                holds,
                join: Join::Not,
                parts: vec![self.cond(lead, x, chunk, enrolled)],
                facts: Vec::new(),
            },
            _ => {
                let mut atoms = Vec::new();
                atoms_of(e, &mut atoms);
                let mut facts: Vec<String> = Vec::new();
                for a in atoms {
                    if a.span == e.span {
                        continue;
                    }
                    let Some(c) = sub_chunk(chunk, a.span) else {
                        continue;
                    };
                    let v = self.m.eval_compiled(lead, &c, enrolled);
                    let shown = match count_kept(self.m, &c) {
                        Some(kept) if v == Val::Int(kept as i64) => format!("at least {kept}"),
                        _ => self.show(v, &a.ty),
                    };
                    let fact = format!("{} is {shown}", self.text(a.span));
                    if !facts.contains(&fact) {
                        facts.push(fact);
                    }
                }
                Cond {
                    text,
                    holds,
                    join: Join::Leaf,
                    parts: Vec::new(),
                    facts,
                }
            }
        }
    }

    /// A list's condition for a lead, and whether the lead is in the list.
    pub fn list(&self, lead: u32, l: u16) -> (bool, Cond) {
        let c = &self.m.c;
        let member = self.m.leads[lead as usize].in_list(c, l);
        let cond = self.cond(
            lead,
            &self.program.lists[l as usize].cond,
            &c.lists[l as usize].cond,
            None,
        );
        (member, cond)
    }

    /// Why a lead is or is not in a workflow.
    pub fn workflow(&self, lead: u32, w: u16) -> WorkflowWhy {
        let c = &self.m.c;
        let run = self.run(lead, w);
        let cw = &c.workflows[w as usize];
        let pw = &self.program.workflows[w as usize];
        let enroll = match cw.enroll {
            Enroll::Once => "enroll once".to_string(),
            Enroll::OncePer(d) => format!("enroll once per {}", format::duration(d)),
            Enroll::EveryTime => "enroll every time".to_string(),
        };
        let open = run.step.is_some();
        let may_enroll = match cw.enroll {
            Enroll::EveryTime => true,
            _ if open => false,
            Enroll::Once => run.last_enrolled.is_none(),
            Enroll::OncePer(d) => run.last_enrolled.is_none_or(|t| self.m.now - t >= d),
        };
        let mut starts = Vec::new();
        for t in &c.triggers {
            let starts_it = t
                .action
                .iter()
                .any(|op| matches!(op, WOp::Start { workflow, .. } if *workflow == w));
            if !starts_it {
                continue;
            }
            let source = match t.source {
                TriggerSource::Event { event, .. } => StartSource::Event(event as u32),
                TriggerSource::Enter(l) | TriggerSource::Exit(l) => StartSource::Membership {
                    enter: matches!(t.source, TriggerSource::Enter(_)),
                    list: c.lists[l as usize].name.clone(),
                    member: self.m.leads[lead as usize].in_list(c, l),
                },
            };
            starts.push(Start {
                text: self.text(t.span),
                source,
            });
        }
        for other in &c.workflows {
            for op in &other.ops {
                if let WOp::Start { workflow, .. } = op {
                    if *workflow == w {
                        starts.push(Start {
                            text: format!("{} (step of {})", op_label(c, op), other.name),
                            source: StartSource::Workflow(other.name.clone()),
                        });
                    }
                }
            }
        }
        let explain =
            |pe: &Option<p::Expr>, ce: &Option<Chunk>, enrolled: Option<i64>| match (pe, ce) {
                (Some(pe), Some(ce)) => Some(self.cond(lead, pe, ce, enrolled)),
                _ => None,
            };
        // `only if` is judged at the moment of a start, when the run begins now.
        let only_if = explain(&pw.only_if, &cw.only_if, Some(self.m.now));
        let exit_when = explain(&pw.exit_when, &cw.exit_when, run.since);
        let goal = explain(&pw.goal, &cw.goal, run.since);
        WorkflowWhy {
            run,
            enroll,
            may_enroll,
            starts,
            only_if,
            exit_when,
            goal,
        }
    }
}

struct OnPoints {
    /// Per rule: (points now, times counted, times capped, last counted).
    rules: Vec<(f64, u32, u32, Option<i64>)>,
    /// Changes the ledger could not attribute, still alive.
    other: f64,
}

/// A value as the REPL shows it: texts quoted, missing as `missing`, lists in brackets.
pub fn show_val(m: &Machine, v: Val, ty: &Ty) -> String {
    match v {
        Val::Missing => "missing".into(),
        // Texts come from outside (identify traits, event properties): nothing in them may
        // reach the terminal as a control sequence or break the line.
        Val::Sym(_) => format!("\"{}\"", format::escaped(&m.text_of(v, ty))),
        Val::Enum(_) => m.text_of(v, ty),
        Val::List(l) => {
            let elem = match ty.base() {
                Ty::List(e) => (**e).clone(),
                _ => Ty::Error,
            };
            let items: Vec<String> = m.c.pools.lists[l as usize]
                .iter()
                .map(|x| show_val(m, *x, &elem))
                .collect();
            format!("[{}]", items.join(", "))
        }
        v => m.text_of(v, ty),
    }
}

/// A lead's run of a workflow: its step, wake and enrollment times.
pub fn run_view(m: &Machine, lead: u32, w: u16) -> RunView {
    let (wake, enrolled, last_enrolled) = m.run_times(lead, w);
    RunView {
        workflow: m.c.workflows[w as usize].name.clone(),
        step: m.run_step(lead, w),
        wake,
        enrolled,
        last_enrolled,
        enrollment_kept: m.c.layout.run(w).enrolled.is_some(),
        since: m.run_since(lead, w),
    }
}

/// What `:show` tells of a lead, as one JSON object (`nurture state --lead ID --format
/// json`): its id and the clock; its attributes (the tags among them) as JSON values, texts
/// and enum variants by name; each score's value now, to two decimals as `:show` prints it;
/// each list's membership; each workflow's run (`step` is null when none is open, and a
/// time is null when it is not kept). Keys come in the campaign's order.
pub fn lead_json(m: &Machine, lead: u32, id: &str) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let c = &m.c;
    let l = &m.leads[lead as usize];
    let time = |t: Option<i64>| t.map_or(Value::Null, |t| Value::String(format::instant(t)));
    let mut attributes = Map::new();
    for (i, a) in c.attrs.iter().enumerate() {
        let v = if i as u16 == c.tags_attr {
            Val::List(m.tags_list)
        } else {
            l.attr(c, i as u16)
        };
        attributes.insert(a.name.clone(), m.json(lead, v, Some(&a.ty)));
    }
    let mut scores = Map::new();
    for (s, score) in c.scores.iter().enumerate() {
        // As `:show` prints it: an integer when it is whole.
        let shown = format::number(m.score(lead, s as u16));
        let value = match shown.parse::<i64>() {
            Ok(n) => Value::from(n),
            Err(_) => shown
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number),
        };
        scores.insert(score.name.clone(), value);
    }
    let mut lists = Map::new();
    for (i, list) in c.lists.iter().enumerate() {
        lists.insert(list.name.clone(), Value::Bool(l.in_list(c, i as u16)));
    }
    let mut workflows = Map::new();
    for w in 0..c.workflows.len() as u16 {
        let r = run_view(m, lead, w);
        workflows.insert(
            r.workflow,
            json!({
                "step": r.step,
                "wake": time(r.wake),
                "enrolled": time(r.enrolled),
                "last_enrolled": time(r.last_enrolled),
            }),
        );
    }
    json!({
        "id": id,
        "clock": time((m.now > 0).then_some(m.now)),
        "attributes": attributes,
        "scores": scores,
        "lists": lists,
        "workflows": workflows,
    })
}

/// For a chunk that is one windowed `count`: how many recent events lead state keeps for it.
/// The campaign's comparisons bound it (`count … >= 3` needs 3), so a count that reaches it
/// means "at least that many".
pub fn count_kept(m: &Machine, chunk: &Chunk) -> Option<u32> {
    let [Op::History(slot)] = chunk.ops.as_slice() else {
        return None;
    };
    let pred = m.c.pools.history.get(*slot as usize)?;
    match m.c.layout.history.get(*slot as usize)? {
        Kept::Ring(r) if pred.kind == HistoryKind::Count => Some(r.cap),
        _ => None,
    }
}

/// `a and b and c` as [a, b, c] (for one operator; parentheses of the other kind stay whole).
fn flatten<'e>(e: &'e p::Expr, op: BinOp, out: &mut Vec<&'e p::Expr>) {
    match &e.kind {
        p::ExprKind::Binary { op: o, lhs, rhs } if *o == op => {
            flatten(lhs, op, out);
            flatten(rhs, op, out);
        }
        _ => out.push(e),
    }
}

/// The values a condition reads: attributes, scores, lists, `count` and `last` (not inside
/// `where` filters, which read the event's properties).
fn atoms_of<'e>(e: &'e p::Expr, out: &mut Vec<&'e p::Expr>) {
    match &e.kind {
        p::ExprKind::Attr(_) | p::ExprKind::Score(_) | p::ExprKind::InList(_) => out.push(e),
        p::ExprKind::History(h) if h.kind != HistoryKind::Did => out.push(e),
        p::ExprKind::Not(x) | p::ExprKind::Neg(x) => atoms_of(x, out),
        p::ExprKind::Is { expr, .. } | p::ExprKind::Matches { expr, .. } => atoms_of(expr, out),
        p::ExprKind::Binary { lhs, rhs, .. } => {
            atoms_of(lhs, out);
            atoms_of(rhs, out);
        }
        p::ExprKind::In { expr, set, .. } => {
            atoms_of(expr, out);
            atoms_of(set, out);
        }
        p::ExprKind::List(xs) => xs.iter().for_each(|x| atoms_of(x, out)),
        _ => {}
    }
}

/// The instructions of the sub-expression at `span`, cut out of a chunk compiled from an
/// expression containing it. Every sub-expression compiles to a contiguous run of
/// instructions whose spans lie inside its own, and jumps are relative and stay inside it.
pub fn sub_chunk(chunk: &Chunk, span: Span) -> Option<Chunk> {
    let inside = |s: &Span| s.start >= span.start && s.end <= span.end;
    let first = chunk.spans.iter().position(inside)?;
    let len = chunk.spans[first..]
        .iter()
        .position(|s| !inside(s))
        .unwrap_or(chunk.spans.len() - first);
    // Anything inside the span after a gap would mean the span is not one sub-expression.
    if chunk.spans[first + len..].iter().any(inside) {
        return None;
    }
    Some(Chunk {
        ops: chunk.ops[first..first + len].to_vec(),
        spans: chunk.spans[first..first + len].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check_text;
    use crate::compile::compile;

    const CAMPAIGN: &str = r#"
lead { email: string }
event ping { n: int }
score s {
  decay 50% every 1d
  on ping                 add 10  at most 2 times per 7d
  on ping where n > 5     add 1
  on email.unsubscribed   set 0
}
list big = s >= 15
"#;

    /// Sends `ev` with one int property (or one text) through the ledger and the machine.
    fn send(m: &mut Machine, ledger: &mut Ledger, at: i64, event: &str, n: Val) {
        let e = m.c.events.iter().position(|x| x.name == event).unwrap() as u16;
        let texts = vec!["t".to_string()];
        let props = [n];
        let ev = EventRef {
            event: e,
            props: &props,
            texts: &texts,
        };
        let mut sink = Vec::new();
        m.advance_to(at, &mut sink);
        let lead = m.lead("a");
        let plan = Ledger::plan(m, lead, ev);
        m.track("a", at, ev, &mut sink);
        ledger.record(m, plan);
    }

    fn rules(ex: &Explainer<'_>) -> Vec<(f64, RuleKind)> {
        match ex.score(0, 0).parts {
            Parts::Rules { rules, other, .. } => {
                assert_eq!(other, 0.0, "the ledger accounts for everything");
                rules
                    .into_iter()
                    .map(|r| ((r.points * 100.0).round() / 100.0, r.kind))
                    .collect()
            }
            p => panic!("{p:?}"),
        }
    }

    #[test]
    fn the_ledger_attributes_on_rules_through_caps_decay_and_resets() {
        let (diags, program) = check_text(CAMPAIGN);
        let program = program.unwrap_or_else(|| panic!("{diags:?}"));
        let mut m = Machine::new(compile(&program).unwrap());
        let mut ledger = Ledger::default();
        let t0 = 1_767_225_600_000;
        let day = 86_400_000;
        send(&mut m, &mut ledger, t0, "ping", Val::Int(1));
        send(&mut m, &mut ledger, t0 + day, "ping", Val::Int(9));
        send(&mut m, &mut ledger, t0 + day, "ping", Val::Int(1));
        let ex = Explainer {
            m: &m,
            program: &program,
            source: CAMPAIGN,
            ledger: &ledger,
        };
        assert_eq!(m.score(0, 0), 16.0);
        let on = |counted, capped, last| RuleKind::On {
            counted,
            capped,
            last,
        };
        assert_eq!(
            rules(&ex),
            vec![
                (15.0, on(2, 1, Some(t0 + day))),
                (1.0, on(1, 0, Some(t0 + day))),
                (0.0, on(0, 0, None)),
            ]
        );
        let view = ex.score(0, 0);
        assert_eq!(
            ex.score(0, 0).parts,
            view.parts,
            "explaining does not change the machine"
        );
        let (member, cond) = ex.list(0, 0);
        assert!(member);
        assert_eq!(cond.facts, vec!["s is 16".to_string()]);

        send(
            &mut m,
            &mut ledger,
            t0 + 2 * day,
            "email.unsubscribed",
            Val::PropText(0),
        );
        let ex = Explainer {
            m: &m,
            program: &program,
            source: CAMPAIGN,
            ledger: &ledger,
        };
        assert_eq!(
            rules(&ex),
            vec![
                (0.0, on(2, 1, Some(t0 + day))),
                (0.0, on(1, 0, Some(t0 + day))),
                (0.0, on(1, 0, Some(t0 + 2 * day))),
            ]
        );
    }

    #[test]
    fn a_sub_chunk_is_the_run_of_instructions_inside_the_span() {
        // `a >= 1 and b`: Attr(0) Const(0) Ge JumpUnlessTrue Attr(1)
        let chunk = Chunk {
            ops: vec![
                Op::Attr(0),
                Op::Const(0),
                Op::Ge,
                Op::JumpUnlessTrue(1),
                Op::Attr(1),
            ],
            spans: vec![
                Span::new(0, 1),
                Span::new(5, 6),
                Span::new(0, 6),
                Span::new(0, 12),
                Span::new(11, 12),
            ],
        };
        let left = sub_chunk(&chunk, Span::new(0, 6)).unwrap();
        assert_eq!(left.ops, vec![Op::Attr(0), Op::Const(0), Op::Ge]);
        let right = sub_chunk(&chunk, Span::new(11, 12)).unwrap();
        assert_eq!(right.ops, vec![Op::Attr(1)]);
        assert_eq!(sub_chunk(&chunk, Span::new(20, 30)), None);
    }
}

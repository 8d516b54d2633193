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
//! What each `on` rule added comes from the machine's tallies (`vm::tally`): the REPL and
//! `--state` runs keep them, so `:show` and `nurture state --lead` break a score down from the
//! same record. Points a tally cannot account for (a state carried over by `--migrate` starts
//! its tallies anew) are shown as such, so the parts always add up to the score.

pub mod decide;

use crate::check::program::{self as p, Program};
use crate::compile::bytecode::{Chunk, Op};
use crate::compile::layout::Kept;
use crate::compile::program::op_label;
use crate::compile::program::{ScoreKind, TriggerSource, WOp};
use crate::lang::format;
use crate::lang::modes::Enroll;
use crate::lang::ops::{BinOp, EffectKind, HistoryKind};
use crate::lang::seq;
use crate::lang::span::Span;
use crate::lang::types::Ty;
use crate::lang::value::Val;
use crate::vm::machine::Machine;

/// Two values closer than this are the same score.
const EPSILON: f64 = 0.005;

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
    /// `score total = fit + engagement`: the formula and the scores it reads, and the other
    /// values it reads (`lead.company_size is 200`).
    Derived {
        formula: String,
        inputs: Vec<(String, f64)>,
        facts: Vec<String>,
    },
    Rules {
        /// `decay 50% every 30d`, as written.
        decay: Option<String>,
        rules: Vec<RuleView>,
        /// What the rules' tallies do not account for (0 when they account for everything).
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
    /// The open run's variant: the arm it took at the last split it passed.
    pub variant: Option<String>,
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
            (ScoreKind::Derived(chunk), p::ScoreKind::Derived(e)) => {
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
                    facts: self.facts(lead, e, chunk, None, false),
                }
            }
            (
                ScoreKind::Rules { when, decay, .. },
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
                let on_points = self.on_points(lead, s, *decay);
                let mut attributed = 0.0;
                for (pr, p) in pon.iter().zip(on_points) {
                    attributed += p.points;
                    rules.push(RuleView {
                        text: self.text(pr.span),
                        points: p.points,
                        kind: RuleKind::On {
                            counted: p.counted,
                            capped: p.capped,
                            last: p.last,
                        },
                    });
                }
                let accumulated = m.accumulated_now(lead, s);
                let other = accumulated - attributed;
                // Lead state keeps the accumulated value in 32 bits: a difference that small
                // is rounding, not points a tally missed.
                let rounding = EPSILON.max(accumulated.abs() * 1e-5);
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
                    other: if other.abs() > rounding { other } else { 0.0 },
                }
            }
            // The compiled program comes from this checked program: the kinds agree.
            _ => Parts::Derived {
                formula: String::new(),
                inputs: Vec::new(),
                facts: Vec::new(),
            },
        };
        ScoreView {
            name: ps.name.clone(),
            description: ps.description.clone(),
            value,
            parts,
        }
    }

    /// What each `on` rule of a score adds now, from the machine's tallies.
    fn on_points(&self, lead: u32, s: u16, decay: Option<(f64, i64)>) -> Vec<OnPoints> {
        let now = self.m.now;
        self.m
            .tallies
            .of(lead, s)
            .iter()
            .map(|t| OnPoints {
                points: t.points_at(now, decay),
                counted: t.counted,
                capped: t.capped,
                last: t.last_counted(),
            })
            .collect()
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
            _ => Cond {
                text,
                holds,
                join: Join::Leaf,
                parts: Vec::new(),
                facts: self.facts(lead, e, chunk, enrolled, true),
            },
        }
    }

    /// The values an expression reads, each once: `lead.company_size is 200`, `total is 42`
    /// (not the expression itself, when it is one such value). `scores`: whether the scores
    /// it reads are among them.
    fn facts(
        &self,
        lead: u32,
        e: &p::Expr,
        chunk: &Chunk,
        enrolled: Option<i64>,
        scores: bool,
    ) -> Vec<String> {
        let mut atoms = Vec::new();
        atoms_of(e, &mut atoms);
        let mut facts: Vec<String> = Vec::new();
        for a in atoms {
            if a.span == e.span || (!scores && matches!(a.kind, p::ExprKind::Score(_))) {
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
        facts
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

/// What an `on` rule adds now, how often it counted and was capped, and when it last counted.
struct OnPoints {
    points: f64,
    counted: u32,
    capped: u32,
    last: Option<i64>,
}

/// A value as the REPL shows it: texts quoted, missing as `missing`, lists in brackets.
pub fn show_val(m: &Machine, v: Val, ty: &Ty) -> String {
    match v {
        Val::Missing => "missing".into(),
        // Texts come from outside (identify traits, event properties): nothing in them may
        // reach the terminal as a control sequence or break the line.
        Val::Sym(_) => format!("\"{}\"", format::escaped(&m.text_of(v, ty))),
        // A list an event brought: its items as the language writes them, texts escaped.
        Val::Seq(s) => {
            let items: Vec<String> = seq::items(m.c.pools.texts.get(s))
                .map(|item| match item {
                    seq::Item::Text(t) => format!("\"{}\"", format::escaped(t)),
                    seq::Item::Int(i) => i.to_string(),
                    seq::Item::Num(n) => format::number(n),
                })
                .collect();
            format!("[{}]", items.join(", "))
        }
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
    let step = m.run_step(lead, w);
    RunView {
        workflow: m.c.workflows[w as usize].name.clone(),
        variant: step.as_ref().and_then(|_| m.run_variant(lead, w)),
        step,
        wake,
        enrolled,
        last_enrolled,
        enrollment_kept: m.c.layout.run(w).enrolled.is_some(),
        since: m.run_since(lead, w),
    }
}

/// A number as `:show` prints it (two decimals at most), in JSON: an integer when whole.
fn shown_number(n: f64) -> serde_json::Value {
    let shown = format::number(n);
    match shown.parse::<i64>() {
        Ok(n) => serde_json::Value::from(n),
        Err(_) => shown
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
    }
}

/// A lead as [`lead_json`] gives it, with each score's `breakdown` rule by rule, as `:show`
/// explains it: what reads the score for a CRM (`GET /v1/leads/{id}`, `nurture state
/// --lead`).
pub fn lead_json_explained(ex: &Explainer, lead: u32, id: &str) -> serde_json::Value {
    let mut v = lead_json(ex.m, lead, id);
    let breakdown: serde_json::Map<String, serde_json::Value> = ex
        .scores(lead)
        .into_iter()
        .map(|s| (s.name.clone(), score_json(&s)))
        .collect();
    if let Some(map) = v.as_object_mut() {
        map.insert("breakdown".into(), breakdown.into());
    }
    v
}

/// What makes up one score: its rules and what each adds now, or its formula and inputs.
fn score_json(s: &ScoreView) -> serde_json::Value {
    use serde_json::{json, Value};
    match &s.parts {
        Parts::Derived {
            formula, inputs, ..
        } => json!({
            "value": shown_number(s.value),
            "formula": formula,
            "inputs": inputs
                .iter()
                .map(|(name, v)| (name.clone(), shown_number(*v)))
                .collect::<serde_json::Map<_, _>>(),
        }),
        Parts::Rules {
            decay,
            rules,
            other,
        } => {
            let rules: Vec<Value> = rules
                .iter()
                .map(|r| {
                    let mut v = json!({ "rule": r.text, "points": shown_number(r.points) });
                    match &r.kind {
                        RuleKind::When { holds, .. } => v["holds"] = Value::Bool(*holds),
                        RuleKind::On {
                            counted,
                            capped,
                            last,
                        } => {
                            v["counted"] = Value::from(*counted);
                            v["capped"] = Value::from(*capped);
                            v["last"] = last.map_or(Value::Null, |t| format::instant(t).into());
                        }
                    }
                    v
                })
                .collect();
            let mut v = json!({ "value": shown_number(s.value), "rules": rules });
            if let Some(d) = decay {
                v["decay"] = Value::from(d.as_str());
            }
            if *other != 0.0 {
                // Points no tally accounts for (a state carried over by `--migrate`).
                v["other"] = shown_number(*other);
            }
            v
        }
    }
}

/// What `:show` tells of a lead, as one JSON object (`nurture state --lead ID --format
/// json`): its id and the clock; its attributes (the tags among them) as JSON values, texts
/// and enum variants by name; each score's value now, to two decimals as `:show` prints it;
/// each list's membership; each workflow's run (`step` is null when none is open, `variant`
/// when it passed no split, and a time when it is not kept). Keys come in the campaign's order.
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
        scores.insert(score.name.clone(), shown_number(m.score(lead, s as u16)));
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
                "variant": r.variant,
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
    use crate::vm::machine::EventRef;

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

    /// Sends `ev` with one int property (or one text) to lead `a`.
    fn send(m: &mut Machine, at: i64, event: &str, n: Val) {
        let e = m.c.events.iter().position(|x| x.name == event).unwrap() as u16;
        let texts = vec!["t".to_string()];
        let props = [n];
        let ev = EventRef {
            event: e,
            props: &props,
            texts: &texts,
        };
        let mut sink = Vec::new();
        m.track("a", at, ev, &mut sink);
    }

    fn rules(ex: &Explainer<'_>) -> Vec<(f64, RuleKind)> {
        match ex.score(0, 0).parts {
            Parts::Rules { rules, other, .. } => {
                assert_eq!(other, 0.0, "the tallies account for everything");
                rules
                    .into_iter()
                    .map(|r| ((r.points * 100.0).round() / 100.0, r.kind))
                    .collect()
            }
            p => panic!("{p:?}"),
        }
    }

    #[test]
    fn tallies_attribute_on_rules_through_caps_decay_and_resets() {
        let (diags, program) = check_text(CAMPAIGN);
        let program = program.unwrap_or_else(|| panic!("{diags:?}"));
        let mut m = Machine::new(compile(&program).unwrap());
        m.keep_tallies();
        let t0 = 1_767_225_600_000;
        let day = 86_400_000;
        send(&mut m, t0, "ping", Val::Int(1));
        send(&mut m, t0 + day, "ping", Val::Int(9));
        send(&mut m, t0 + day, "ping", Val::Int(1));
        let ex = Explainer {
            m: &m,
            program: &program,
            source: CAMPAIGN,
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

        send(&mut m, t0 + 2 * day, "email.unsubscribed", Val::PropText(0));
        let ex = Explainer {
            m: &m,
            program: &program,
            source: CAMPAIGN,
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

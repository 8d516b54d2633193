//! Lints: warnings about campaigns that are valid but probably not what the marketer meant.
//! They run on the checked program; each has its own code and can be silenced in the file.
//! (W0101 bare optionals, W0108 shadowed names and W0109 mixed `and`/`or` are found while
//! checking expressions, where the needed context is at hand.)

use super::program::*;
use super::visit::{each_campaign_expr, each_step, each_step_list, each_subexpr};
use crate::diag::{Code, Diagnostic};
use crate::lang::modes::Channel;
use crate::lang::ops::BinOp;
use crate::lang::span::Span;
use crate::lang::types::Value;

/// Runs every lint. They run whether or not there are errors, so that every problem shows at
/// once; a lint an error could set off is held back while that error remains: a misspelled
/// workflow in a `start` (E0103) would make its workflow look unstarted, a misspelled event
/// (E0102) an event unused, a misspelled channel (E0109) a channel uncapped.
pub fn run(program: &Program, uses: &Uses, diags: &mut Vec<Diagnostic>) {
    let errors: Vec<Code> = (diags.iter())
        .filter(|d| d.is_error())
        .map(|d| d.code)
        .collect();
    if !errors.contains(&Code::UnknownWorkflow) {
        unstarted_workflows(program, uses, diags);
    }
    if !errors.contains(&Code::UnknownEvent) {
        unused_events(program, uses, diags);
    }
    workflows_without_exit(program, diags);
    holdout_shares(program, diags);
    if !errors.contains(&Code::UnknownChannel) {
        uncapped_channels(program, diags);
    }
    never_holds(program, diags);
    unreachable_steps(program, diags);
}

/// What the checker saw used, declarations an error kept out of the program included: a
/// trigger whose action has a mistake still uses its event.
#[derive(Debug, Default)]
pub struct Uses {
    /// By event: used by a score, list, trigger or workflow (a test's events do not count).
    pub events: Vec<bool>,
    /// By workflow: named by a `start` step.
    pub started: Vec<bool>,
}

impl Uses {
    pub fn event(&mut self, id: EventId) {
        mark(&mut self.events, id);
    }

    pub fn start(&mut self, id: WorkflowId) {
        mark(&mut self.started, id);
    }
}

fn mark(seen: &mut Vec<bool>, id: u32) {
    let i = id as usize;
    if seen.len() <= i {
        seen.resize(i + 1, false);
    }
    seen[i] = true;
}

fn seen(marks: &[bool], i: usize) -> bool {
    marks.get(i).copied().unwrap_or(false)
}

fn all_steps(program: &Program, f: &mut dyn FnMut(&Step)) {
    for t in &program.triggers {
        each_step(std::slice::from_ref(&t.action), f);
    }
    for w in &program.workflows {
        each_step(&w.steps, f);
    }
}

fn unstarted_workflows(program: &Program, uses: &Uses, diags: &mut Vec<Diagnostic>) {
    let mut started: Vec<bool> = (0..program.workflows.len())
        .map(|w| seen(&uses.started, w))
        .collect();
    all_steps(program, &mut |s| {
        if let StepKind::Start(w) = s.kind {
            started[w as usize] = true;
        }
    });
    for (w, started) in program.workflows.iter().zip(started) {
        if !started {
            diags.push(
                Diagnostic::new(
                    Code::UnstartedWorkflow,
                    w.span,
                    format!("nothing starts workflow `{}`", w.name),
                )
                .with_label("never started")
                .with_help(format!(
                    "start it from a trigger, as in `on form.submitted start {}`",
                    w.name
                )),
            );
        }
    }
}

fn unused_events(program: &Program, uses: &Uses, diags: &mut Vec<Diagnostic>) {
    let mut used: Vec<bool> = (0..program.events.len())
        .map(|e| seen(&uses.events, e))
        .collect();
    for t in &program.triggers {
        if let TriggerSource::Event { event, .. } = t.source {
            used[event as usize] = true;
        }
    }
    for s in &program.scores {
        if let ScoreKind::Rules { on, .. } = &s.kind {
            on.iter().for_each(|o| used[o.event as usize] = true);
        }
    }
    all_steps(program, &mut |s| {
        if let StepKind::WaitUpTo { event, .. } = s.kind {
            used[event as usize] = true;
        }
    });
    each_campaign_expr(program, &mut |e| {
        each_subexpr(e, &mut |x| {
            if let ExprKind::History(h) = &x.kind {
                used[h.event as usize] = true;
            }
        })
    });
    for (e, used) in program.events.iter().zip(used) {
        if !used && !e.builtin {
            diags.push(
                Diagnostic::new(
                    Code::UnusedEvent,
                    e.span,
                    format!("event `{}` is declared but nothing uses it", e.name),
                )
                .with_label("never used")
                .with_help("use it in a score, list, trigger or workflow, or remove it"),
            );
        }
    }
}

fn sends(steps: &[Step]) -> Vec<(Channel, Span)> {
    let mut out = Vec::new();
    each_step(steps, &mut |s| {
        if let StepKind::Send { channel, .. } = s.kind {
            out.push((channel, s.span));
        }
    });
    out
}

fn workflows_without_exit(program: &Program, diags: &mut Vec<Diagnostic>) {
    for w in &program.workflows {
        if w.exit_when.is_none() && w.goal.is_none() && !sends(&w.steps).is_empty() {
            diags.push(
                Diagnostic::new(
                    Code::NoExit,
                    w.span,
                    format!("workflow `{}` sends to leads but never lets them out early", w.name),
                )
                .with_label("no `exit when` and no `goal`")
                .with_help("add `exit when did order.placed` or a `goal`, so a lead who already converted stops getting these messages"),
            );
        }
    }
}

/// W0117, W0118: a holdout too small to measure a lift, or so large that most leads miss
/// the workflow.
fn holdout_shares(program: &Program, diags: &mut Vec<Diagnostic>) {
    for w in &program.workflows {
        let Some((share, span)) = w.holdout else {
            continue;
        };
        let d = if share < 5 {
            Diagnostic::new(
                Code::SmallHoldout,
                span,
                format!("a holdout of {share}% is too small to measure `{}` by", w.name),
            )
            .with_label("few leads held out")
            .with_help("hold out 5% to 20% of the leads, as in `holdout 10%`, unless the workflow enrolls very many")
        } else if share > 50 {
            Diagnostic::new(
                Code::LargeHoldout,
                span,
                format!("a holdout of {share}% keeps most leads from `{}`", w.name),
            )
            .with_label("more held out than treated")
            .with_help("hold out 5% to 20% of the leads, as in `holdout 10%`: a smaller holdout measures as well and costs fewer conversions")
        } else {
            continue;
        };
        diags.push(d);
    }
}

fn uncapped_channels(program: &Program, diags: &mut Vec<Diagnostic>) {
    let mut all = Vec::new();
    for t in &program.triggers {
        all.extend(sends(std::slice::from_ref(&t.action)));
    }
    for w in &program.workflows {
        all.extend(sends(&w.steps));
    }
    all.sort_by_key(|(_, span)| span.start);
    for ch in Channel::ALL {
        let capped = program.policy.frequency.iter().any(|f| f.channel == ch);
        if let Some((_, span)) = all.iter().find(|(c, _)| *c == ch).filter(|_| !capped) {
            diags.push(
                Diagnostic::new(
                    Code::NoFrequencyCap,
                    *span,
                    format!("this campaign sends {} with no frequency cap", ch.name()),
                )
                .with_label("first send here")
                .with_help(format!(
                    "add a cap to the policy, as in `policy {{ frequency {} at most 3 per 7d }}`",
                    ch.name()
                )),
            );
        }
    }
}

// ---- conditions that can never hold ------------------------------------------------------

/// What a conjunct says about one subject: a number range, an exact value, set or missing.
#[derive(Debug, Clone, PartialEq)]
enum Fact {
    Above(f64, bool),
    Below(f64, bool),
    Equals(Value),
    Set(bool),
}

fn subject(e: &Expr) -> Option<String> {
    match &e.kind {
        ExprKind::Attr(a) => Some(format!("attr {a}")),
        ExprKind::Score(s) => Some(format!("score {s}")),
        ExprKind::Prop(p) => Some(format!("prop {p}")),
        _ => None,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

fn fact(e: &Expr) -> Option<(String, Fact)> {
    match &e.kind {
        ExprKind::Is { expr, set } => Some((subject(expr)?, Fact::Set(*set))),
        ExprKind::Binary { op, lhs, rhs } => {
            let (subj, value, flipped) = match (&lhs.kind, &rhs.kind) {
                (_, ExprKind::Const(v)) => (subject(lhs)?, v, false),
                (ExprKind::Const(v), _) => (subject(rhs)?, v, true),
                _ => return None,
            };
            let op = if flipped {
                match op {
                    BinOp::Lt => BinOp::Gt,
                    BinOp::Le => BinOp::Ge,
                    BinOp::Gt => BinOp::Lt,
                    BinOp::Ge => BinOp::Le,
                    o => *o,
                }
            } else {
                *op
            };
            let f = match op {
                BinOp::Eq => Fact::Equals(value.clone()),
                BinOp::Gt => Fact::Above(number(value)?, false),
                BinOp::Ge => Fact::Above(number(value)?, true),
                BinOp::Lt => Fact::Below(number(value)?, false),
                BinOp::Le => Fact::Below(number(value)?, true),
                _ => return None,
            };
            Some((subj, f))
        }
        _ => None,
    }
}

fn conjuncts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Binary {
            op: BinOp::And,
            lhs,
            rhs,
        } => {
            conjuncts(lhs, out);
            conjuncts(rhs, out);
        }
        _ => out.push(e),
    }
}

/// Whether the facts about one subject contradict each other.
fn contradictory(facts: &[&Fact]) -> bool {
    let mut low = f64::NEG_INFINITY;
    let mut low_incl = true;
    let mut high = f64::INFINITY;
    let mut high_incl = true;
    let mut equals: Option<&Value> = None;
    let mut set: Option<bool> = None;
    for f in facts {
        match f {
            Fact::Above(v, incl) => {
                if *v > low || (*v == low && !incl) {
                    low = *v;
                    low_incl = *incl;
                }
            }
            Fact::Below(v, incl) => {
                if *v < high || (*v == high && !incl) {
                    high = *v;
                    high_incl = *incl;
                }
            }
            Fact::Equals(v) => {
                if let Some(n) = number(v) {
                    if n > low || (n == low && low_incl) {
                        low = n;
                        low_incl = true;
                    }
                    if n < high || (n == high && high_incl) {
                        high = n;
                        high_incl = true;
                    }
                }
                if equals.is_some_and(|prev| {
                    prev != v && !(number(prev).is_some() && number(prev) == number(v))
                }) {
                    return true;
                }
                equals = Some(v);
            }
            Fact::Set(s) => {
                if set.is_some_and(|prev| prev != *s) {
                    return true;
                }
                set = Some(*s);
            }
        }
    }
    low > high || (low == high && !(low_incl && high_incl))
}

/// A condition that is `false` as written, or whose `and` parts contradict each other.
pub fn never_true(e: &Expr) -> bool {
    if matches!(e.kind, ExprKind::Const(Value::Bool(false))) {
        return true;
    }
    let mut parts = Vec::new();
    conjuncts(e, &mut parts);
    let facts: Vec<(String, Fact)> = parts.iter().filter_map(|p| fact(p)).collect();
    let mut subjects: Vec<&String> = facts.iter().map(|(s, _)| s).collect();
    subjects.dedup();
    subjects.iter().any(|s| {
        let mine: Vec<&Fact> = facts
            .iter()
            .filter(|(x, _)| x == *s)
            .map(|(_, f)| f)
            .collect();
        contradictory(&mine)
    })
}

fn never_holds(program: &Program, diags: &mut Vec<Diagnostic>) {
    let mut reported: Vec<Span> = Vec::new();
    each_campaign_expr(program, &mut |e| {
        each_subexpr(e, &mut |x| {
            let is_and = matches!(x.kind, ExprKind::Binary { op: BinOp::And, .. });
            let inside = reported
                .iter()
                .any(|r| r.start <= x.span.start && x.span.end <= r.end);
            if is_and && !inside && never_true(x) {
                reported.push(x.span);
                diags.push(
                    Diagnostic::new(Code::NeverHolds, x.span, "this condition can never hold")
                        .with_label("its parts contradict each other")
                        .with_help(
                            "check the numbers and the comparison signs; did you mean `or`?",
                        ),
                );
            }
        })
    });
}

fn unreachable_steps(program: &Program, diags: &mut Vec<Diagnostic>) {
    let mut report = |span: Span, why: &str, help: &str| {
        diags.push(
            Diagnostic::new(Code::UnreachableStep, span, "these steps can never run")
                .with_label(why.to_string())
                .with_help(help.to_string()),
        );
    };
    const FIX_CONDITION: &str = "remove them, or fix the condition that keeps them from running";
    each_step_list(program, &mut |steps| {
        for s in steps {
            match &s.kind {
                StepKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    if let (true, Some(first)) = (never_true(cond), then.first()) {
                        report(first.span, "the `if` condition never holds", FIX_CONDITION);
                    }
                    if let (ExprKind::Const(Value::Bool(true)), Some(first)) =
                        (&cond.kind, otherwise.first())
                    {
                        report(first.span, "the `if` condition always holds", FIX_CONDITION);
                    }
                }
                StepKind::Split { arms } => {
                    for arm in arms {
                        if arm.share == 0.0 {
                            if let Some(first) = arm.steps.first() {
                                report(
                                    first.span,
                                    "this variant gets 0% of leads",
                                    "give the variant a share above 0%, or remove it",
                                );
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    });
    for (id, w) in program.workflows.iter().enumerate() {
        let stop = w
            .steps
            .iter()
            .position(|s| matches!(s.kind, StepKind::Stop(x) if x as usize == id));
        if let Some(after) = stop.and_then(|i| w.steps.get(i + 1)) {
            report(
                after.span,
                "the workflow stops itself just before",
                "remove the `stop`, or move these steps before it",
            );
        }
    }
}

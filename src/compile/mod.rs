//! From a checked `Program` to the compiled program the VM runs: bytecode for every condition,
//! instructions for every workflow, dispatch tables per event, and the lead-state layout.

pub mod bytecode;
pub mod compare;
pub mod disasm;
pub mod expr;
pub mod file;
pub mod history;
pub mod layout;
pub mod program;
pub mod reactions;
pub mod regions;

use crate::check::program as p;
use crate::lang::modes::Enroll;
use crate::lang::span::{line_col, Span};
use crate::lang::time::{from_seconds, RECORD_TIME_BITS, TIME_BITS};
use crate::lang::types::Ty;
use crate::lang::written::source_text;
use expr::{CompileError, Pools};
use layout::{AttrSlot, Layout, Planner, RunSlots, ENROLLED_BITS};
pub use program::Compiled;
use program::*;

/// Ring capacity for `count … within D` when no comparison bounds what is needed.
pub const DEFAULT_COUNT_WINDOW: u32 = 64;

pub fn compile(program: &p::Program) -> Result<Compiled, CompileError> {
    within_numbering(program)?;
    let mut c = Compiled {
        campaign: program.campaign.clone(),
        ..Compiled::default()
    };
    let mut layout = Layout::default();
    let mut plan = Planner::default();
    // The rings of `on` rule and frequency caps, placed after every other bit field.
    let mut rings = Planner::default();
    let attrs = declarations(program, &mut c, &mut plan);
    scores(program, &mut c, &mut plan, &mut rings)?;
    for l in &program.lists {
        c.lists.push(List {
            name: l.name.clone(),
            cond: c.pools.compile(&l.cond)?,
        });
    }
    c.derive_order = derive_order(program);
    workflows(program, &mut c)?;
    triggers(program, &mut c)?;
    policy(program, &mut c, &mut rings)?;
    layout.sequence = plan.words(1);
    bit_fields(&mut c, &mut layout, &mut plan, attrs);
    // Then history: every predicate is known now. The rings of caps, each read only by the
    // events of its rule or the sends of its channel, come last (`rings`).
    history::lay_out(&c.pools, &mut layout, &mut plan, &mut c.dispatch);
    c.layout = layout;
    place_bits(&mut c, &plan, &rings);
    c.reactions = reactions::derive(&c);
    Ok(c)
}

/// The attributes (their defaults in the pools), enums and events, and an empty dispatch
/// entry per event. Attributes take their words from `plan`; the answer has, per attribute,
/// its words, or the width it packs into, for the bit fields laid out last.
fn declarations(
    program: &p::Program,
    c: &mut Compiled,
    plan: &mut Planner,
) -> Vec<Result<AttrSlot, u32>> {
    // Attributes in words; those that pack into a few bits go with the bit fields, last.
    let enums: Vec<Vec<String>> = program.enums.iter().map(|e| e.variants.clone()).collect();
    let tags = program.attrs.len() - 1;
    let mut attrs: Vec<Result<AttrSlot, u32>> = Vec::new();
    for (i, a) in program.attrs.iter().enumerate() {
        let slot = match layout::packed_width(&a.ty, &enums) {
            _ if i == tags => Ok(AttrSlot::Words(plan.words(0))),
            Some(width) => Err(width),
            None if crate::lang::types::wide(&a.ty) => Ok(AttrSlot::Words(plan.words(2))),
            None => Ok(AttrSlot::Words(plan.words(1))),
        };
        attrs.push(slot);
    }
    for a in &program.attrs {
        let default = c.pools.val(&a.default);
        c.attrs.push(AttrInfo {
            name: a.name.clone(),
            ty: a.ty.clone(),
            default,
        });
    }
    c.timezone_attr = program
        .attrs
        .iter()
        .position(|a| a.ty.base() == &Ty::Timezone)
        .map(|i| i as u16);
    c.tags_attr = (program.attrs.len() - 1) as u16;
    c.enums = enums;
    c.events = program
        .events
        .iter()
        .map(|e| EventInfo {
            name: e.name.clone(),
            segment_name: e.segment_name.clone(),
            props: e
                .props
                .iter()
                .map(|p| (p.name.clone(), p.ty.clone()))
                .collect(),
        })
        .collect();
    c.dispatch = vec![Dispatch::default(); program.events.len()];
    attrs
}

/// The scores: derived ones as code, those with rules with their accumulators' words from
/// `plan` and their caps' rings from `rings`.
fn scores(
    program: &p::Program,
    c: &mut Compiled,
    plan: &mut Planner,
    rings: &mut Planner,
) -> Result<(), CompileError> {
    for (si, s) in program.scores.iter().enumerate() {
        let kind = match &s.kind {
            p::ScoreKind::Derived(e) => ScoreKind::Derived(c.pools.compile(e)?),
            p::ScoreKind::Rules { decay, when, on } => {
                let rules = ScoreRules { decay, when, on };
                score_rules(c, si as u16, rules, plan, rings)?
            }
        };
        c.scores.push(Score {
            name: s.name.clone(),
            kind,
        });
    }
    Ok(())
}

/// A checked score's rules, as `p::ScoreKind::Rules` holds them.
struct ScoreRules<'p> {
    decay: &'p Option<p::Decay>,
    when: &'p [p::WhenRule],
    on: &'p [p::OnRule],
}

/// A score with rules: its `on` rules in the dispatch of their events, an accumulator when it
/// has any, and a cache of its `when` total when that reads attributes alone.
fn score_rules(
    c: &mut Compiled,
    si: u16,
    ScoreRules { decay, when, on }: ScoreRules<'_>,
    plan: &mut Planner,
    rings: &mut Planner,
) -> Result<ScoreKind, CompileError> {
    // A score with no `on` rules accumulates nothing and keeps no words.
    let decay = decay.map(|d| ((100.0 - d.percent) / 100.0, from_seconds(d.every)));
    let slot = (!on.is_empty()).then(|| plan.words(SCORE_WORDS));
    let when_cache = (reads_attrs_only(when) && !when.is_empty()).then(|| plan.words(SCORE_WORDS));
    let mut rules = Vec::new();
    for (ri, r) in on.iter().enumerate() {
        // An `on` rule counts at a record's time, at most 2100.
        let cap = r.cap.map(|(n, per)| {
            let per = from_seconds(per);
            (per, rings.ring(n, Some(per), RECORD_TIME_BITS))
        });
        c.dispatch[r.event as usize].on_rules.push((si, ri as u16));
        rules.push(OnRule {
            event: r.event as u16,
            filter: r.filter.as_ref().map(|f| c.pools.compile(f)).transpose()?,
            effect: r.effect,
            amount: r.amount,
            cap,
            span: r.span,
        });
    }
    Ok(ScoreKind::Rules {
        decay,
        when: when
            .iter()
            .map(|w| {
                Ok(WhenRule {
                    cond: c.pools.compile(&w.cond)?,
                    effect: w.effect,
                    amount: w.amount,
                    span: w.span,
                })
            })
            .collect::<Result<_, CompileError>>()?,
        on: rules,
        slot,
        when_cache,
        // Its bits are laid out with the other bit fields (`bit_fields`).
        updated: None,
    })
}

/// Whether `when` conditions read attributes alone (no score, list, history or clock), so
/// that their total changes only with an attribute and can be kept.
fn reads_attrs_only(when: &[p::WhenRule]) -> bool {
    when.iter().all(|w| {
        let mut pure = true;
        crate::check::visit::each_subexpr(&w.cond, &mut |x| {
            pure &= !matches!(
                x.kind,
                p::ExprKind::Score(_)
                    | p::ExprKind::InList(_)
                    | p::ExprKind::History(_)
                    | p::ExprKind::Now
            );
        });
        pure
    })
}

/// The workflows, their steps lowered, each in the dispatch of the events it waits for.
fn workflows(program: &p::Program, c: &mut Compiled) -> Result<(), CompileError> {
    for (wi, w) in program.workflows.iter().enumerate() {
        let mut ops = Vec::new();
        lower_steps(&mut c.pools, &w.steps, &mut ops)?;
        for op in &ops {
            if let WOp::WaitUpTo { event, .. } = op {
                let waits = &mut c.dispatch[*event as usize].waits;
                if !waits.contains(&(wi as u16)) {
                    waits.push(wi as u16);
                }
            }
        }
        let pools = &mut c.pools;
        c.workflows.push(Workflow {
            name: w.name.clone(),
            enroll: match w.enroll {
                Enroll::OncePer(d) => Enroll::OncePer(from_seconds(d)),
                e => e,
            },
            only_if: w.only_if.as_ref().map(|e| pools.compile(e)).transpose()?,
            exit_when: w.exit_when.as_ref().map(|e| pools.compile(e)).transpose()?,
            goal: w.goal.as_ref().map(|e| pools.compile(e)).transpose()?,
            goal_window: w.goal_window().map(from_seconds),
            holdout: w.holdout.map(|(share, _)| share),
            ops,
            span: w.span,
        });
    }
    Ok(())
}

/// The triggers, each on an event in that event's dispatch, with its action lowered.
fn triggers(program: &p::Program, c: &mut Compiled) -> Result<(), CompileError> {
    for (ti, t) in program.triggers.iter().enumerate() {
        let source = match &t.source {
            p::TriggerSource::Event { event, filter } => {
                c.dispatch[*event as usize].triggers.push(ti as u16);
                TriggerSource::Event {
                    event: *event as u16,
                    filter: filter.as_ref().map(|f| c.pools.compile(f)).transpose()?,
                }
            }
            p::TriggerSource::Enter(l) => TriggerSource::Enter(*l as u16),
            p::TriggerSource::Exit(l) => TriggerSource::Exit(*l as u16),
        };
        let mut action = Vec::new();
        lower_steps(&mut c.pools, std::slice::from_ref(&t.action), &mut action)?;
        c.triggers.push(Trigger {
            source,
            action,
            span: t.span,
            name: trigger_name(program, t),
            line: line_col(&program.source, t.span.start).0 as u32,
        });
    }
    Ok(())
}

/// The policy: frequency caps with their rings from `rings`, quiet hours, `suppress when`
/// rules.
fn policy(program: &p::Program, c: &mut Compiled, rings: &mut Planner) -> Result<(), CompileError> {
    for f in &program.policy.frequency {
        let per = from_seconds(f.per);
        c.policy.frequency.push(Frequency {
            channel: f.channel,
            per,
            // Sends go on while timers fire after the last record.
            ring: rings.ring(f.times, Some(per), TIME_BITS),
            rule: format!(
                "frequency {} at most {} per {}",
                f.channel.name(),
                f.times,
                crate::lang::format::duration(per)
            ),
        });
    }
    c.policy.quiet_hours = program.policy.quiet_hours.map(|q| (q.from, q.to));
    let pools = &mut c.pools;
    c.policy.suppress = program
        .policy
        .suppress
        .iter()
        .map(|e| {
            Ok(Suppress {
                cond: pools.compile(e)?,
                rule: format!(
                    "suppress when {}",
                    source_text(&program.source, e.span.range())
                ),
            })
        })
        .collect::<Result<_, CompileError>>()?;
    Ok(())
}

/// The bit fields read on almost every event first, next to the words: the missing-attribute
/// bits, the list bits, the attributes that pack (`attrs`: per attribute, its words or the
/// width it packs into), the runs' states and variants, then the times (`TimeSlot`): the
/// runs' wakes and enrollments, the recheck and decay crossing, decaying scores' last
/// updates. The widths are listed first, in that order, then taken in the same order.
fn bit_fields(
    c: &mut Compiled,
    layout: &mut Layout,
    plan: &mut Planner,
    attrs: Vec<Result<AttrSlot, u32>>,
) {
    let (n_attrs, n_lists) = (c.attrs.len() as u32, c.lists.len() as u32);
    let enrolled: Vec<bool> = c
        .workflows
        .iter()
        .map(|w| reads_enrolled(&c.pools, w))
        .collect();
    let decaying: Vec<usize> = c
        .scores
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            matches!(
                s.kind,
                ScoreKind::Rules {
                    decay: Some(_),
                    slot: Some(_),
                    ..
                }
            )
        })
        .map(|(i, _)| i)
        .collect();
    let mut widths = vec![n_attrs, n_lists];
    widths.extend(attrs.iter().filter_map(|slot| slot.err()));
    widths.extend(
        c.workflows
            .iter()
            .map(|w| layout::run_state_width(w.ops.len())),
    );
    let variant_widths: Vec<u32> = c
        .workflows
        .iter()
        .map(|w| layout::run_variant_width(&w.ops))
        .collect();
    widths.extend(variant_widths.iter().copied().filter(|&w| w > 0));
    for &e in &enrolled {
        widths.push(TIME_BITS);
        if e {
            widths.push(ENROLLED_BITS);
        }
    }
    widths.extend([TIME_BITS, TIME_BITS]);
    widths.extend(decaying.iter().map(|_| TIME_BITS));
    let mut fields = widths.into_iter().map(|w| plan.field(w));
    let mut take = || fields.next().expect("a field for each width");
    layout.missing = take().at;
    layout.lists = take().at;
    layout.attrs = attrs
        .into_iter()
        .map(|slot| slot.unwrap_or_else(|_| AttrSlot::Bits(take())))
        .collect();
    let states: Vec<_> = c.workflows.iter().map(|_| take()).collect();
    let variants: Vec<Option<layout::Bits>> = variant_widths
        .iter()
        .map(|&width| (width > 0).then(&mut take))
        .collect();
    let mut time = || layout::TimeSlot { bits: take() };
    layout.runs = states
        .into_iter()
        .zip(enrolled.iter().zip(variants))
        .map(|(state, (&e, variant))| RunSlots {
            state,
            wake: time(),
            enrolled: e.then(&mut time),
            variant,
        })
        .collect();
    layout.recheck = time();
    layout.decay_due = time();
    for &s in &decaying {
        if let ScoreKind::Rules { updated, .. } = &mut c.scores[s].kind {
            *updated = Some(time());
        }
    }
}

/// What sets a trigger off, as written: `on enter hot`, `on cart.abandoned where cart_value >
/// 50` (the event by its Nurture name, the filter quoted from the source).
fn trigger_name(program: &p::Program, t: &p::Trigger) -> String {
    match &t.source {
        p::TriggerSource::Event { event, filter } => {
            let name = &program.events[*event as usize].name;
            match filter {
                Some(f) => format!(
                    "on {name} where {}",
                    source_text(&program.source, f.span.range())
                ),
                None => format!("on {name}"),
            }
        }
        p::TriggerSource::Enter(l) => format!("on enter {}", program.lists[*l as usize].name),
        p::TriggerSource::Exit(l) => format!("on exit {}", program.lists[*l as usize].name),
    }
}

/// Moves every bit field from its place in its planner's bit region to the slab: `plan`'s
/// after every word (`Planner`), then the caps' `rings`; and sizes the slab.
fn place_bits(c: &mut Compiled, plan: &Planner, rings: &Planner) {
    let base = plan.bit_base();
    let rings_base = plan.bit_end();
    c.layout.place_bits(base);
    c.layout.size = plan.size_with(rings);
    for s in &mut c.scores {
        if let ScoreKind::Rules { on, updated, .. } = &mut s.kind {
            for (_, ring) in on.iter_mut().filter_map(|r| r.cap.as_mut()) {
                ring.at += rings_base;
            }
            if let Some(t) = updated {
                t.bits.at += base;
            }
        }
    }
    for f in &mut c.policy.frequency {
        f.ring.at += rings_base;
    }
}

/// Whether a workflow reads its enrollment time: its enrollment rule (`once`, `once per D`),
/// or a `since enrolled` in a condition or a value of its run.
fn reads_enrolled(pools: &Pools, w: &Workflow) -> bool {
    w.enroll != Enroll::EveryTime || reads_since_enrolled(pools, w)
}

/// Whether a `since enrolled` in a condition or a value of a workflow's run reads when the
/// run began (the VM then orders the run's start among the events of its instant).
pub fn reads_since_enrolled(pools: &Pools, w: &Workflow) -> bool {
    let since = |c: &bytecode::Chunk| {
        c.ops.iter().any(|op| {
            matches!(op, bytecode::Op::History(h)
                if pools.history.get(*h as usize).is_some_and(|h| h.since_enrolled))
        })
    };
    [&w.exit_when, &w.goal].into_iter().flatten().any(since)
        || w.ops.iter().any(|op| match op {
            WOp::JumpUnless { cond, .. } => since(cond),
            WOp::WaitUpTo { filter, .. } => filter.as_ref().is_some_and(since),
            WOp::Notify { message, .. } => message.parts.iter().any(|p| match p {
                TemplatePart::Value(chunk, _) => since(chunk),
                TemplatePart::Text(_) => false,
            }),
            WOp::Webhook { fields, .. } => fields.iter().any(|(_, chunk, _)| since(chunk)),
            WOp::Set { value, .. } => since(value),
            WOp::WaitFor { .. }
            | WOp::WaitUntil { .. }
            | WOp::Jump { .. }
            | WOp::Split { .. }
            | WOp::Start { .. }
            | WOp::Stop { .. }
            | WOp::Send { .. }
            | WOp::Retarget { .. }
            | WOp::Tag { .. } => false,
        })
}

/// Steps as workflow instructions, appended to `ops`; an `if` and a split as jumps around
/// their branches (`lower_if`, `lower_split`).
fn lower_steps(
    pools: &mut Pools,
    steps: &[p::Step],
    ops: &mut Vec<WOp>,
) -> Result<(), CompileError> {
    for s in steps {
        let span = s.span;
        match &s.kind {
            p::StepKind::Send { channel, template } => {
                let template = pools.texts.intern(template.as_plain().unwrap_or_default());
                ops.push(WOp::Send {
                    channel: *channel,
                    template,
                    span,
                });
            }
            p::StepKind::Notify { audience, message } => ops.push(WOp::Notify {
                audience: *audience,
                message: template(pools, message)?,
                span,
            }),
            p::StepKind::Retarget { add, audience } => {
                let audience = pools.texts.intern(audience.as_plain().unwrap_or_default());
                ops.push(WOp::Retarget {
                    add: *add,
                    audience,
                    span,
                });
            }
            p::StepKind::Webhook { name, fields } => {
                let name = pools.texts.intern(name.as_plain().unwrap_or_default());
                let fields = fields
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), pools.compile(v)?, v.ty.clone())))
                    .collect::<Result<_, CompileError>>()?;
                ops.push(WOp::Webhook { name, fields, span });
            }
            p::StepKind::Set { attr, value } => ops.push(WOp::Set {
                attr: *attr as u16,
                value: pools.compile(value)?,
                span,
            }),
            p::StepKind::Tag(t) | p::StepKind::Untag(t) => {
                let tag = pools.texts.intern(t.as_plain().unwrap_or_default());
                let add = matches!(s.kind, p::StepKind::Tag(_));
                ops.push(WOp::Tag { tag, add, span });
            }
            p::StepKind::Start(w) => ops.push(WOp::Start {
                workflow: *w as u16,
                span,
            }),
            p::StepKind::Stop(w) => ops.push(WOp::Stop {
                workflow: *w as u16,
                span,
            }),
            p::StepKind::WaitFor(seconds) => ops.push(WOp::WaitFor {
                ms: from_seconds(*seconds),
                span,
            }),
            p::StepKind::WaitUntil { weekday, minutes } => ops.push(WOp::WaitUntil {
                weekday: *weekday,
                minutes: *minutes,
                span,
            }),
            p::StepKind::WaitUpTo {
                timeout,
                event,
                filter,
            } => ops.push(WOp::WaitUpTo {
                timeout: from_seconds(*timeout),
                event: *event as u16,
                filter: filter.as_ref().map(|f| pools.compile(f)).transpose()?,
                span,
            }),
            p::StepKind::If {
                cond,
                then,
                otherwise,
            } => lower_if(pools, cond, then, otherwise, span, ops)?,
            p::StepKind::Split { arms } => lower_split(pools, arms, span, ops)?,
        }
    }
    Ok(())
}

/// `if cond { then } else { otherwise }`: a `JumpUnless` past `then` (to `otherwise`, which
/// a `Jump` after `then` skips).
fn lower_if(
    pools: &mut Pools,
    cond: &p::Expr,
    then: &[p::Step],
    otherwise: &[p::Step],
    span: Span,
    ops: &mut Vec<WOp>,
) -> Result<(), CompileError> {
    let at = ops.len();
    ops.push(WOp::Jump { target: 0 });
    lower_steps(pools, then, ops)?;
    let cond = pools.compile(cond)?;
    if otherwise.is_empty() {
        let end = ops.len() as u32;
        ops[at] = WOp::JumpUnless {
            cond,
            target: end,
            span,
        };
    } else {
        let skip = ops.len();
        ops.push(WOp::Jump { target: 0 });
        let else_start = ops.len() as u32;
        lower_steps(pools, otherwise, ops)?;
        let end = ops.len() as u32;
        ops[at] = WOp::JumpUnless {
            cond,
            target: else_start,
            span,
        };
        ops[skip] = WOp::Jump { target: end };
    }
    Ok(())
}

/// A split: a `Split` with each arm's cumulative share and first step, the arms one after
/// another, each ending in a `Jump` to the split's end.
fn lower_split(
    pools: &mut Pools,
    arms: &[p::SplitArm],
    span: Span,
    ops: &mut Vec<WOp>,
) -> Result<(), CompileError> {
    let at = ops.len();
    ops.push(WOp::Jump { target: 0 });
    let mut entries = Vec::new();
    let mut jumps = Vec::new();
    let mut cumulative = 0.0;
    for arm in arms {
        cumulative += arm.share;
        entries.push((cumulative, ops.len() as u32, arm.label.clone()));
        lower_steps(pools, &arm.steps, ops)?;
        jumps.push(ops.len());
        ops.push(WOp::Jump { target: 0 });
    }
    let end = ops.len() as u32;
    for j in jumps {
        ops[j] = WOp::Jump { target: end };
    }
    ops[at] = WOp::Split {
        arms: entries,
        end,
        span,
    };
    Ok(())
}

fn template(pools: &mut Pools, t: &p::Template) -> Result<Template, CompileError> {
    let parts = t
        .parts
        .iter()
        .map(|part| match part {
            p::TemplatePart::Text(s) => Ok(TemplatePart::Text(s.clone())),
            p::TemplatePart::Expr(e) => Ok(TemplatePart::Value(pools.compile(e)?, e.ty.clone())),
        })
        .collect::<Result<_, CompileError>>()?;
    Ok(Template { parts })
}

/// Refuses a program with more of a kind than 16 bits can number, rather than let two share
/// a number. The checker refuses such a campaign first (E0006), so a checked program always
/// passes; this guards programs built some other way.
fn within_numbering(program: &p::Program) -> Result<(), CompileError> {
    use crate::check::MAX_OF_A_KIND as MAX;
    let over = [
        program
            .scores
            .get(MAX)
            .map(|x| (x.span, "more than 65,536 scores")),
        program
            .lists
            .get(MAX)
            .map(|x| (x.span, "more than 65,536 lists")),
        program
            .attrs
            .get(MAX)
            .map(|x| (x.span, "more than 65,536 lead attributes")),
        program
            .events
            .get(MAX)
            .map(|x| (x.span, "more than 65,536 events")),
        program
            .workflows
            .get(MAX)
            .map(|x| (x.span, "more than 65,536 workflows")),
        program
            .triggers
            .get(MAX)
            .map(|x| (x.span, "more than 65,536 triggers")),
    ];
    match over.into_iter().flatten().next() {
        Some((span, what)) => Err(CompileError::NotCompilable(span, what)),
        None => Ok(()),
    }
}

/// Scores and lists ordered so each comes after what it reads. The checker has rejected
/// cycles, so a depth-first post-order is a valid order.
fn derive_order(program: &p::Program) -> Vec<Derived> {
    use crate::check::visit::each_subexpr;
    let scores = program.scores.len();
    let node = |i: usize| match i.checked_sub(scores) {
        None => Derived::Score(i as u16),
        Some(l) => Derived::List(l as u16),
    };
    // What each score and list reads, as indices (scores, then lists), in one flat array.
    let mut start = Vec::with_capacity(scores + program.lists.len() + 1);
    let mut reads: Vec<u32> = Vec::new();
    for i in 0..scores + program.lists.len() {
        start.push(reads.len());
        let mut visit = |e: &p::Expr| {
            each_subexpr(e, &mut |x| match x.kind {
                p::ExprKind::Score(s) => reads.push(s),
                p::ExprKind::InList(l) => reads.push(scores as u32 + l),
                _ => {}
            })
        };
        match i.checked_sub(scores) {
            None => match &program.scores[i].kind {
                p::ScoreKind::Derived(e) => visit(e),
                p::ScoreKind::Rules { when, .. } => when.iter().for_each(|w| visit(&w.cond)),
            },
            Some(l) => visit(&program.lists[l].cond),
        }
    }
    start.push(reads.len());
    // Depth-first post-order with an explicit stack, so a chain of any length neither
    // overflows the stack nor is cut short; `seen` keeps it linear in the program. (The
    // checker has refused cycles, so the order puts every node after what it reads.)
    let mut done = Vec::with_capacity(start.len() - 1);
    let mut seen = vec![false; start.len() - 1];
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in 0..seen.len() {
        if seen[root] {
            continue;
        }
        seen[root] = true;
        stack.push((root, start[root]));
        while let Some((i, next)) = stack.last_mut() {
            let i = *i;
            if *next == start[i + 1] {
                stack.pop();
                done.push(node(i));
                continue;
            }
            let m = reads[*next] as usize;
            *next += 1;
            if !seen[m] {
                seen[m] = true;
                stack.push((m, start[m]));
            }
        }
    }
    done
}

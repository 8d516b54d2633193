//! The workflow interpreter: triggers' actions, runs started, resumed step by step, held,
//! waiting, and ended by their exit or goal.

use super::cycle::{Cause, Cycle};
use super::timers::TimerKind;
use super::{EventRef, Machine, MAX_CASCADE};
use crate::compile::layout::KeptBy;
use crate::compile::program::WOp;
use crate::lang::modes::Enroll;
use crate::lang::value::Val;
use crate::vm::action::{ActionKind, Source};
use crate::vm::local_time::next_local_time;
use crate::vm::{holdout, variant};

/// Where a lead's run of a workflow stands, kept in bits 16 to 23 of the run's state word
/// (`Lead::run_state`), beside its `pc` (bits 0 to 15) and the `received` bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    /// No run.
    None = 0,
    /// Resting at a `wait` until its wake.
    Waiting = 1,
    /// Resting at a `wait up to … for`, until the event or the wake.
    WaitingForEvent = 2,
    /// Held at a send by quiet hours, until they end.
    Held = 3,
    /// Past its last step, watching its goal for the goal's window.
    WatchingGoal = 4,
    /// Between steps, within one cycle.
    Running = 5,
    /// Held out (`holdout P%`): enrolled, running no step, watching its exit and goal for the
    /// goal's window from its enrollment.
    HeldOut = 6,
}

impl Status {
    /// The status in a run's state word.
    pub(super) fn of(state: u32) -> Status {
        match state >> 16 & 0xff {
            1 => Status::Waiting,
            2 => Status::WaitingForEvent,
            3 => Status::Held,
            4 => Status::WatchingGoal,
            5 => Status::Running,
            6 => Status::HeldOut,
            _ => Status::None,
        }
    }

    /// A state word: this status at `pc`.
    pub(super) fn at(self, pc: u32) -> u32 {
        pc | (self as u32) << 16
    }
}

/// The bit of a run's state word set once its `wait up to … for` received the event
/// (`received` reads it).
const RECEIVED: u32 = 1 << 24;

impl Machine {
    pub(super) fn run_trigger(
        &mut self,
        cy: &mut Cycle<'_>,
        t: u16,
        ev: Option<EventRef<'_>>,
        depth: u32,
    ) {
        self.keep(cy.lead, KeptBy::Trigger(t), ev);
        let ops = self.c.triggers[t as usize].action.clone();
        for op in &ops {
            match op {
                WOp::Start { workflow, .. } => self.start(cy, *workflow, ev, depth),
                WOp::Stop { workflow, .. } => self.end_run(cy.lead, *workflow),
                WOp::Send { .. } if self.c.policy.quiet_hours.is_some() => {
                    match self.quiet_until(cy.lead) {
                        Some(release) => self.schedule(release, cy.lead, TimerKind::HeldSend(t)),
                        None => self.act(cy, op, Source::trigger(&self.c, t), None, t as u64),
                    }
                }
                op => {
                    let source = Source::trigger(&self.c, t);
                    self.act(cy, op, source, None, t as u64);
                }
            }
        }
    }

    /// Enrolls the lead in a workflow if its enrollment rule and `only if` allow; `ev` is
    /// the event that starts the run, if an event does.
    fn start(&mut self, cy: &mut Cycle<'_>, w: u16, ev: Option<EventRef<'_>>, depth: u32) {
        if depth >= MAX_CASCADE {
            return;
        }
        let run = self.c.layout.run(w);
        let enroll = self.c.workflows[w as usize].enroll;
        let l = &self.leads[cy.lead as usize];
        let active = Status::of(l.run_state(run)) != Status::None;
        let last = l.enrolled(run);
        let allowed = match enroll {
            Enroll::EveryTime => true,
            _ if active => false,
            Enroll::Once => last.is_none(),
            Enroll::OncePer(d) => last.is_none_or(|t| self.now - t >= d),
        };
        if !allowed {
            return;
        }
        // The run begins after what the lead did so far in this instant.
        let begins = self.order_key(cy.lead);
        if let Some(cond) = &self.c.workflows[w as usize].only_if {
            if !self.test(cy.lead, cond, None, Some(begins), false) {
                return;
            }
        }
        let l = &mut self.leads[cy.lead as usize];
        l.set_run_state(run, Status::Running.at(0));
        l.set_time(run.wake, None);
        variant::clear(&self.c, l, w);
        if let Some(at) = run.enrolled {
            l.set_time(at, Some(begins));
        }
        if self.hold_out(cy, w) {
            self.exit_or_goal(cy, w);
            return;
        }
        self.keep(cy.lead, KeptBy::Start(w), ev);
        self.keep(cy.lead, KeptBy::Received(w), None);
        if self.exit_or_goal(cy, w) {
            return;
        }
        self.resume(cy, w, depth);
    }

    /// Holds a just-enrolled run out of its workflow's steps if the lead falls in the
    /// workflow's holdout (`vm::holdout`), with its record; true when it did. The run then
    /// watches its exit and goal for the goal's window, and ends.
    fn hold_out(&mut self, cy: &mut Cycle<'_>, w: u16) -> bool {
        let wf = &self.c.workflows[w as usize];
        let Some(share) = wf.holdout else {
            return false;
        };
        if !holdout::held_out(share, &wf.name, &self.lead_ids[cy.lead as usize]) {
            return false;
        }
        let (workflow, window) = (wf.name.clone(), wf.goal_window);
        let run = self.c.layout.run(w);
        // The checker asks a holdout for a goal with a window; without one the run ends at
        // once, as a treated run past its last step would.
        let due = window.map(|d| self.now + d);
        let l = &mut self.leads[cy.lead as usize];
        l.set_run_state(run, Status::HeldOut.at(0));
        l.set_time(run.wake, due);
        if let Some(due) = due {
            self.schedule(due, cy.lead, TimerKind::Run(w));
        }
        self.emit(
            cy,
            ActionKind::HeldOut { workflow },
            Source::Engine,
            w as u64,
        );
        if due.is_none() {
            self.end_run(cy.lead, w);
        }
        true
    }

    /// Ends a run if its goal or exit condition holds; true when it ended.
    fn exit_or_goal(&mut self, cy: &mut Cycle<'_>, w: u16) -> bool {
        let run = self.c.layout.run(w);
        let enrolled = self.leads[cy.lead as usize].enrolled_key(run);
        let wf = &self.c.workflows[w as usize];
        // After its last step a run watches its goal only.
        let watching =
            Status::of(self.leads[cy.lead as usize].run_state(run)) == Status::WatchingGoal;
        let (goal, exit) = (wf.goal.clone(), wf.exit_when.clone().filter(|_| !watching));
        if let Some(g) = goal {
            if self.test(cy.lead, &g, None, enrolled, false) {
                self.stats.conversions += 1;
                let wf = &self.c.workflows[w as usize];
                let name = wf.name.clone();
                // Told apart wherever there is a holdout to compare with (a run held out
                // before a change that dropped the holdout is still held out).
                let status = Status::of(self.leads[cy.lead as usize].run_state(run));
                let holdout = match status {
                    Status::HeldOut => Some(true),
                    _ => wf.holdout.map(|_| false),
                };
                let variant = self.run_variant(cy.lead, w);
                self.emit(
                    cy,
                    ActionKind::Converted {
                        workflow: name.clone(),
                        variant,
                        holdout,
                    },
                    Source::Engine,
                    w as u64,
                );
                self.end_run(cy.lead, w);
                return true;
            }
        }
        if let Some(x) = exit {
            if self.test(cy.lead, &x, None, enrolled, false) {
                self.end_run(cy.lead, w);
                return true;
            }
        }
        false
    }

    pub(super) fn check_exits(&mut self, cy: &mut Cycle<'_>) {
        for w in 0..self.c.workflows.len() as u16 {
            let run = self.c.layout.run(w);
            if Status::of(self.leads[cy.lead as usize].run_state(run)) != Status::None {
                self.exit_or_goal(cy, w);
            }
        }
    }

    pub(super) fn end_run(&mut self, lead: u32, w: u16) {
        let run = self.c.layout.run(w);
        let l = &mut self.leads[lead as usize];
        l.set_run_state(run, Status::None.at(0));
        l.set_time(run.wake, None);
    }

    /// Which of the workflows with a `wait up to … for` this event (by position in the
    /// event's dispatch list, as bits) have a run waiting for it now. Positions past 63 are
    /// always taken as waiting.
    pub(super) fn armed_waits(&self, lead: u32, event: u16) -> u64 {
        let mut armed = 0u64;
        let waits = &self.c.dispatch[event as usize].waits;
        for (i, w) in waits.iter().enumerate().take(64) {
            let state = self.leads[lead as usize].run_state(self.c.layout.run(*w));
            if Status::of(state) == Status::WaitingForEvent {
                armed |= 1 << i;
            }
        }
        armed
    }

    pub(super) fn resume_waits(
        &mut self,
        cy: &mut Cycle<'_>,
        ev: EventRef<'_>,
        depth: u32,
        armed: u64,
    ) {
        for i in 0..self.c.dispatch[ev.event as usize].waits.len() {
            if i < 64 && armed & (1 << i) == 0 {
                continue;
            }
            let w = self.c.dispatch[ev.event as usize].waits[i];
            let run = self.c.layout.run(w);
            let state = self.leads[cy.lead as usize].run_state(run);
            if Status::of(state) != Status::WaitingForEvent {
                continue;
            }
            let pc = state & 0xffff;
            let WOp::WaitUpTo { event, filter, .. } =
                &self.c.workflows[w as usize].ops[pc as usize]
            else {
                continue;
            };
            if *event != ev.event {
                continue;
            }
            let enrolled = self.leads[cy.lead as usize].enrolled_key(run);
            if let Some(f) = filter.clone() {
                if !self.test(cy.lead, &f, Some(ev), enrolled, false) {
                    continue;
                }
            }
            // The event may meet the run's exit or goal: then it ends, and resumes nothing.
            if self.exit_or_goal(cy, w) {
                continue;
            }
            self.keep(cy.lead, KeptBy::Received(w), Some(ev));
            let l = &mut self.leads[cy.lead as usize];
            l.set_run_state(run, Status::Running.at(pc + 1) | RECEIVED);
            l.set_time(run.wake, None);
            self.resume(cy, w, depth);
        }
    }

    /// Runs a workflow from its stored pc until it waits or ends.
    /// It stays whole: the workflow interpreter, one arm per instruction, as `eval` is for conditions.
    pub(super) fn resume(&mut self, cy: &mut Cycle<'_>, w: u16, depth: u32) {
        let run = self.c.layout.run(w);
        let mut steps = 0u32;
        // Exit and goal were checked before the run resumed; a step that changes the lead
        // (or starts a workflow that does) can make them hold before the next step.
        let mut checked = self.lead_changes;
        loop {
            if self.lead_changes != checked {
                checked = self.lead_changes;
                if self.exit_or_goal(cy, w) {
                    return;
                }
            }
            let l = &self.leads[cy.lead as usize];
            let state = l.run_state(run);
            if Status::of(state) == Status::None {
                return;
            }
            let pc = state & 0xffff;
            let flags = state & RECEIVED;
            let enrolled = l.enrolled_key(run);
            let ops_len = self.c.workflows[w as usize].ops.len() as u32;
            if pc >= ops_len {
                // The last step is done: watch the goal for its window, or end.
                match self.c.workflows[w as usize].goal_window {
                    Some(window) => {
                        let due = self.now + window;
                        let l = &mut self.leads[cy.lead as usize];
                        l.set_run_state(run, Status::WatchingGoal.at(pc));
                        l.set_time(run.wake, Some(due));
                        self.schedule(due, cy.lead, TimerKind::Run(w));
                    }
                    None => self.end_run(cy.lead, w),
                }
                return;
            }
            steps += 1;
            if steps > 10_000 {
                // Workflows have no loops; this only guards against a compiler bug.
                self.end_run(cy.lead, w);
                return;
            }
            let op = self.c.workflows[w as usize].ops[pc as usize].clone();
            let mut next = pc + 1;
            let lead = cy.lead;
            let set_state = move |m: &mut Machine, pc: u32, st: Status, wake: Option<i64>| {
                let l = &mut m.leads[lead as usize];
                l.set_run_state(run, st.at(pc) | flags);
                l.set_time(run.wake, wake);
            };
            match &op {
                WOp::WaitFor { ms, .. } => {
                    let due = self.now + ms;
                    set_state(self, next, Status::Waiting, Some(due));
                    self.schedule(due, cy.lead, TimerKind::Run(w));
                    return;
                }
                WOp::WaitUntil {
                    weekday, minutes, ..
                } => {
                    let tz = self.zone(cy.lead);
                    let due = next_local_time(tz, self.now, *minutes, *weekday);
                    if due > self.now {
                        set_state(self, next, Status::Waiting, Some(due));
                        self.schedule(due, cy.lead, TimerKind::Run(w));
                        return;
                    }
                }
                WOp::WaitUpTo { timeout, .. } => {
                    let due = self.now + timeout;
                    let l = &mut self.leads[cy.lead as usize];
                    l.set_run_state(run, Status::WaitingForEvent.at(pc));
                    l.set_time(run.wake, Some(due));
                    self.schedule(due, cy.lead, TimerKind::Run(w));
                    return;
                }
                WOp::JumpUnless { cond, target, .. } => {
                    if !self.test(cy.lead, cond, None, enrolled, flags != 0) {
                        next = *target;
                    }
                }
                WOp::Jump { target } => next = *target,
                WOp::Split { arms, .. } => {
                    let name = &self.c.workflows[w as usize].name;
                    if let Some(k) = variant::arm(arms, name, &self.lead_ids[cy.lead as usize]) {
                        next = arms[k].1;
                        let l = &mut self.leads[cy.lead as usize];
                        self.variants.pass(&self.c, l, w, pc);
                        let source = Source::Workflow {
                            workflow: name.clone(),
                            step: self.step_label(w, pc),
                            variant: Some(arms[k].2.clone()),
                        };
                        let salt =
                            (w as u64) << 32 | pc as u64 | (enrolled.unwrap_or(0) as u64) << 40;
                        self.emit(cy, ActionKind::Assigned, source, salt);
                    }
                }
                WOp::Start { workflow, .. } => {
                    set_state(self, next, Status::Running, None);
                    self.start(cy, *workflow, None, depth + 1);
                    continue;
                }
                WOp::Stop { workflow, .. } => {
                    set_state(self, next, Status::Running, None);
                    self.end_run(cy.lead, *workflow);
                    continue;
                }
                WOp::Send { .. } => {
                    if let Some(release) = self.quiet_until(cy.lead) {
                        set_state(self, pc, Status::Held, Some(release));
                        self.schedule(release, cy.lead, TimerKind::Run(w));
                        return;
                    }
                    let source = self.step_source(w, pc);
                    let salt = (w as u64) << 32 | pc as u64;
                    self.act(cy, &op, source, enrolled, salt);
                }
                op => {
                    let source = self.step_source(w, pc);
                    let salt = (w as u64) << 32 | pc as u64;
                    self.act(cy, op, source, enrolled, salt);
                }
            }
            set_state(self, next, Status::Running, None);
        }
    }

    /// What the actions of a step name as their source: its workflow, its label, and the
    /// variant of the split arm it lies in.
    fn step_source(&self, w: u16, pc: u32) -> Source {
        Source::Workflow {
            workflow: self.c.workflows[w as usize].name.clone(),
            step: self.step_label(w, pc),
            variant: self.variants.at(&self.c, w, pc).map(str::to_string),
        }
    }

    /// Performs one action instruction.
    pub(super) fn act(
        &mut self,
        cy: &mut Cycle<'_>,
        op: &WOp,
        source: Source,
        enrolled: Option<i64>,
        salt: u64,
    ) {
        let mut decided = None;
        let kind = match op {
            WOp::Send {
                channel,
                template,
                decision,
                ..
            } => {
                let template = match decision {
                    Some(d) => {
                        let (template, why) = self.decided_template(cy.lead, *d);
                        decided = Some(why);
                        template
                    }
                    None => *template,
                };
                self.send(cy.lead, *channel, template, enrolled)
            }
            WOp::Notify {
                audience, message, ..
            } => ActionKind::Notify {
                audience: *audience,
                message: self.render(cy.lead, message, enrolled),
            },
            WOp::Retarget { add, audience, .. } => ActionKind::Retarget {
                add: *add,
                audience: self.c.pools.texts.get(*audience).to_string(),
            },
            WOp::Webhook { name, fields, .. } => ActionKind::Webhook {
                name: self.c.pools.texts.get(*name).to_string(),
                fields: self.data(cy.lead, fields, enrolled),
            },
            WOp::Set { attr, value, .. } => {
                let v = self.eval_chunk(cy.lead, value, None, enrolled, false);
                let v = match v {
                    Val::PropText(_) | Val::PropSeq(_) => Val::Missing,
                    v => v,
                };
                let before = self.leads[cy.lead as usize].attr(&self.c, *attr);
                if before == v {
                    return;
                }
                self.leads[cy.lead as usize].set_attr(&self.c, *attr, v);
                cy.dirty = true;
                self.refresh_after_set(cy.lead);
                let ty = self.c.attrs[*attr as usize].ty.clone();
                ActionKind::Set {
                    attr: self.c.attrs[*attr as usize].name.clone(),
                    value: self.json(cy.lead, v, Some(&ty)),
                }
            }
            WOp::Tag { tag, add, .. } => {
                if !self.leads.tag(cy.lead, *tag, *add) {
                    return;
                }
                cy.dirty = true;
                self.refresh_after_set(cy.lead);
                ActionKind::Tag {
                    tag: self.c.pools.texts.get(*tag).to_string(),
                    add: *add,
                }
            }
            _ => return,
        };
        let data = match op {
            WOp::Send { data, .. } | WOp::Notify { data, .. } | WOp::Webhook { data, .. } => {
                self.data(cy.lead, data, enrolled)
            }
            _ => Vec::new(),
        };
        self.emit_with(cy, kind, source, salt, data, decided);
    }

    /// After a `set` or `tag` inside a run: scores and lists catch up at once, so the run's
    /// next steps read them as they now are. The lists it moved are reported (and their
    /// triggers run) by the cycle, which goes round again because the lead changed.
    fn refresh_after_set(&mut self, lead: u32) {
        self.lead_changes += 1;
        let mut changes = Vec::new();
        self.settle(lead, Cause::Attrs, false, &mut changes);
        self.pending_changes.extend(changes);
    }
}

//! The VM proper: leads, the timer queue and the event-time cycle of language.md §8–9.
//!
//! For each record: timers due at or before its time fire first, oldest first; then the event
//! updates history, then scores, then list membership, then triggers run in source order, then
//! waiting workflows resume; exit and goal conditions are checked after every event and timer.

use super::action::{Action, ActionKind, Source};
use super::decay::{accumulated, reads_scores, solve_decay, sum_of_scores};
use super::eval::{eval, Env};
use super::leads::Leads;
use super::local_time::next_local_time;
use super::order::next_key;
use super::render;
use super::ring;
use super::state::Lead;
use super::tally::Tallies;
use super::variant::{self, Variants};
use super::windows::Windows;
use crate::compile::bytecode::Chunk;
use crate::compile::layout::{key_last, key_time, key_window, Kept, TimeSlot};
use crate::compile::program::op_label;
use crate::compile::program::{Derived, ScoreKind, Template, TemplatePart, TriggerSource, WOp};
use crate::compile::Compiled;
use crate::intern::Interner;
use crate::lang::hash::{fnv1a, Fnv1a};
use crate::lang::modes::{Channel, Enroll};
use crate::lang::ops::{EffectKind, HistoryKind};
use crate::lang::types::Ty;
use crate::lang::value::Val;
use chrono::{TimeZone, Timelike};
use chrono_tz::Tz;
use dary_heap::QuaternaryHeap;
use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::HashMap;

/// How deep triggers and `set`s may set each other off within one instant.
pub const MAX_CASCADE: u32 = 16;

/// Where a lead's run of a workflow stands, kept in bits 16 to 23 of the run's state word
/// (`Lead::run_state`), beside its `pc` (bits 0 to 15) and the `received` bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
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
}

impl Status {
    /// The status in a run's state word.
    fn of(state: u32) -> Status {
        match state >> 16 & 0xff {
            1 => Status::Waiting,
            2 => Status::WaitingForEvent,
            3 => Status::Held,
            4 => Status::WatchingGoal,
            5 => Status::Running,
            _ => Status::None,
        }
    }

    /// A state word: this status at `pc`.
    fn at(self, pc: u32) -> u32 {
        pc | (self as u32) << 16
    }
}
const RECEIVED: u32 = 1 << 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TimerKind {
    Run(u16),
    Recheck,
    /// A trigger's `send` held by quiet hours, by trigger index.
    HeldSend(u16),
}

/// What changed for a lead, so the cycle re-evaluates just the lists that can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// An event of this type arrived.
    Event(u16),
    /// Attributes or tags changed (`identify`, `set`, `tag`).
    Attrs,
    /// Only the clock moved (a workflow timer).
    Clock,
    /// A lead seen for the first time: everything is new.
    New,
    /// Any list may have changed, attributes have not (a recheck).
    All,
}

/// Where emitted actions go.
pub trait Sink {
    fn action(&mut self, action: Action);
}

impl Sink for Vec<Action> {
    fn action(&mut self, action: Action) {
        self.push(action);
    }
}

/// The event being processed: its type, property values and the texts they point into.
#[derive(Clone, Copy)]
pub struct EventRef<'a> {
    pub event: u16,
    pub props: &'a [Val],
    pub texts: &'a [String],
}

/// Counters for the run summary.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    pub events: u64,
    pub identifies: u64,
    pub actions: u64,
    pub suppressed: u64,
    pub conversions: u64,
    pub cascade_errors: u64,
}

pub struct Machine {
    pub c: Compiled,
    pub leads: Leads,
    /// Each lead's id, numbered by lead index.
    pub lead_ids: Interner,
    // Four children a node: half the levels of a binary heap to walk on each pop.
    timers: QuaternaryHeap<Reverse<(i64, u64, u32, TimerKind)>>,
    timer_seq: u64,
    /// The clock: the time of the record or timer being processed.
    pub now: i64,
    pub stats: Stats,
    zones: HashMap<u32, Tz, foldhash::fast::RandomState>,
    /// Scratch space for the evaluator, reused so evaluating allocates nothing.
    stack: RefCell<Vec<Val>>,
    /// The scores of the lead being processed, at the time being looked at (NaN: missing).
    scores: Vec<Cell<f64>>,
    /// Per derived score that only adds and subtracts scores left to right (`fit +
    /// engagement + intent`): its terms, each with whether it is subtracted. Summed directly,
    /// in the evaluator's order, so the value is the same to the bit.
    sums: Vec<Option<Vec<(u16, bool)>>>,
    /// Where each workflow's splits and their arms are.
    variants: Variants,
    /// What each `on` rule did for each lead, when kept (`keep_tallies`).
    pub tallies: Tallies,
    /// Scratch lists reused by every cycle, so processing an event allocates nothing.
    scratch_lists: Vec<u16>,
    scratch_changes: Vec<(u16, bool)>,
    scratch_fired: Vec<u16>,
    /// Lists moved by a `set` in the middle of a run, not yet reported by the cycle.
    pending_changes: Vec<(u16, bool)>,
    /// Bumped each time a step changes the lead (`set`, `tag`): a run whose next step comes
    /// after such a change checks its exit and goal first (`resume`).
    lead_changes: u64,
    /// Where the workflows whose runs read `since enrolled` keep their enrollment: what
    /// orders the events of an instant around the runs begun in it (`order_key`).
    since_runs: Vec<TimeSlot>,
    /// The `within` windows of history, by the stamps they close over (`next_recheck`).
    windows: Windows,
    /// A hash of the campaign's name, part of each action's id.
    campaign_hash: u64,
    /// The list number `lead.tags` evaluates to (`Val::List`): an empty list in the pool,
    /// so code that reads it as a constant list sees no items rather than a bad index;
    /// the evaluator reads the lead's own tags for it.
    pub tags_list: u32,
    /// Persistence (`--state`): when on, the leads touched since the last `take_changes`
    /// are kept, so a commit writes only those (with their timers: a timer is scheduled or
    /// fired only while its lead is being processed, so only touched leads' timers change).
    journal: bool,
    dirty: Vec<u32>,
    dirty_bits: Vec<u64>,
}

/// A pending timer as persisted: due time, sequence (unique, orders timers due together),
/// lead, and what it does (`kind`: 0 a run's wake for workflow `arg`, 1 a recheck, 2 a
/// trigger's held send for trigger `arg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerRow {
    pub due: i64,
    pub seq: u64,
    pub lead: u32,
    pub kind: u8,
    pub arg: u16,
}

impl TimerRow {
    fn of(due: i64, seq: u64, lead: u32, kind: TimerKind) -> TimerRow {
        let (kind, arg) = match kind {
            TimerKind::Run(w) => (0, w),
            TimerKind::Recheck => (1, 0),
            TimerKind::HeldSend(t) => (2, t),
        };
        TimerRow {
            due,
            seq,
            lead,
            kind,
            arg,
        }
    }

    /// What the timer does, in words (`nurture state`).
    pub fn describe(&self, c: &Compiled) -> String {
        match self.kind {
            0 => format!(
                "wake of {}",
                c.workflows.get(self.arg as usize).map_or("?", |w| &w.name)
            ),
            1 => "list recheck".into(),
            _ => match c.triggers.get(self.arg as usize) {
                Some(t) => format!("held send of {} (line {})", t.name, t.line),
                None => "held send of a trigger".into(),
            },
        }
    }
}

/// The machine's counters, persisted with its leads and timers.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Counters {
    pub now: i64,
    pub timer_seq: u64,
    pub stats: Stats,
}

/// What changed since the last commit.
#[derive(Debug, Default)]
pub struct Changes {
    /// Leads whose slab, tags or timers may have changed, in increasing order.
    pub leads: Vec<u32>,
    /// The pending timers of those leads, by lead.
    pub timers: Vec<TimerRow>,
}

/// Per-call context of a lead's cycle.
struct Cycle<'s> {
    lead: u32,
    sink: &'s mut dyn Sink,
    /// Attributes changed by `set` since the last settle.
    dirty: bool,
}

impl Machine {
    pub fn new(mut c: Compiled) -> Machine {
        let n_scores = c.scores.len();
        let tags_list = c.pools.lists.len() as u32;
        c.pools.lists.push(Vec::new());
        let campaign_hash = fnv1a(c.campaign.as_deref().unwrap_or("").as_bytes());
        let sums = c
            .scores
            .iter()
            .map(|s| match &s.kind {
                ScoreKind::Derived(chunk) => sum_of_scores(chunk),
                ScoreKind::Rules { .. } => None,
            })
            .collect();
        let leads = Leads::new(&c);
        let since_runs = (c.workflows.iter().enumerate())
            .filter(|(_, w)| crate::compile::reads_since_enrolled(&c.pools, w))
            .filter_map(|(i, _)| c.layout.run(i as u16).enrolled)
            .collect();
        let windows = Windows::new(&c);
        let variants = Variants::of(&c);
        let tallies = Tallies::new(&c);
        Machine {
            windows,
            variants,
            tallies,
            tags_list,
            c,
            leads,
            lead_ids: Interner::default(),
            timers: QuaternaryHeap::new(),
            timer_seq: 0,
            now: 0,
            stats: Stats::default(),
            zones: HashMap::default(),
            stack: RefCell::new(Vec::with_capacity(64)),
            scores: vec![Cell::new(0.0); n_scores],
            sums,
            scratch_lists: Vec::new(),
            scratch_changes: Vec::new(),
            scratch_fired: Vec::new(),
            pending_changes: Vec::new(),
            lead_changes: 0,
            since_runs,
            campaign_hash,
            journal: false,
            dirty: Vec::new(),
            dirty_bits: Vec::new(),
        }
    }

    /// Keeps track of what changes from now on, for `take_changes` (`--state`).
    pub fn set_journal(&mut self, on: bool) {
        self.journal = on;
    }

    /// Keeps, from now on, what each `on` rule does for each lead (`vm::tally`), so a score
    /// can be explained rule by rule (the REPL, `--state`).
    pub fn keep_tallies(&mut self) {
        self.tallies.keep();
    }

    fn touch(&mut self, lead: u32) {
        if !self.journal {
            return;
        }
        let (w, b) = ((lead / 64) as usize, lead % 64);
        if w >= self.dirty_bits.len() {
            self.dirty_bits.resize(w + 1, 0);
        }
        if self.dirty_bits[w] & (1 << b) == 0 {
            self.dirty_bits[w] |= 1 << b;
            self.dirty.push(lead);
        }
    }

    /// The leads touched since the last call, and their pending timers.
    pub fn take_changes(&mut self) -> Changes {
        let bits = &self.dirty_bits;
        let dirty = |l: u32| {
            bits.get((l / 64) as usize)
                .is_some_and(|w| w & (1 << (l % 64)) != 0)
        };
        let mut timers: Vec<TimerRow> = self
            .timers
            .iter()
            .filter(|Reverse((_, _, lead, _))| dirty(*lead))
            .map(|Reverse((due, seq, lead, kind))| TimerRow::of(*due, *seq, *lead, *kind))
            .collect();
        timers.sort_unstable_by_key(|t| (t.lead, t.seq));
        for &l in &self.dirty {
            self.dirty_bits[(l / 64) as usize] &= !(1 << (l % 64));
        }
        let mut leads = std::mem::take(&mut self.dirty);
        leads.sort_unstable();
        Changes { leads, timers }
    }

    pub fn counters(&self) -> Counters {
        Counters {
            now: self.now,
            timer_seq: self.timer_seq,
            stats: self.stats.clone(),
        }
    }

    pub fn restore_counters(&mut self, c: Counters) {
        self.now = c.now;
        self.timer_seq = c.timer_seq;
        self.stats = c.stats;
    }

    /// Adds a lead as it was persisted (its slab and tags); leads must come back in index
    /// order.
    pub fn restore_lead(&mut self, id: &str, slab: &[u32], tags: Vec<u32>) -> u32 {
        self.leads.push(slab, tags);
        self.lead_ids.intern(id).0
    }

    /// Puts back a persisted timer; refused when it names a lead, workflow or trigger the
    /// program does not have.
    pub fn restore_timer(&mut self, t: TimerRow) -> Result<(), String> {
        let kind = match t.kind {
            0 if (t.arg as usize) < self.c.workflows.len() => TimerKind::Run(t.arg),
            1 => TimerKind::Recheck,
            2 if (t.arg as usize) < self.c.triggers.len() => TimerKind::HeldSend(t.arg),
            _ => return Err(format!("timer {} has an unknown kind", t.seq)),
        };
        if t.lead as usize >= self.leads.len() {
            return Err(format!(
                "timer {} names lead {} of {}",
                t.seq,
                t.lead,
                self.leads.len()
            ));
        }
        self.timers.push(Reverse((t.due, t.seq, t.lead, kind)));
        Ok(())
    }

    /// Carries this machine's run of workflow `w` for `lead` over to workflow `to_w` of
    /// another program, into `into` (a lead laid out for `to`): the step is found by its
    /// label (`op_label`), the n-th step so labelled if several are; the wake and enrollment
    /// times come along. `Ok(false)` when no run was open (only the last enrollment is
    /// carried); `Err` names the step that has no place in the new workflow.
    pub fn carry_run(
        &self,
        lead: u32,
        w: u16,
        to: &Compiled,
        to_w: u16,
        into: &mut Lead,
    ) -> Result<bool, String> {
        let (from, to_run) = (self.c.layout.run(w), to.layout.run(to_w));
        let l = &self.leads[lead as usize];
        if let (Some(f), Some(t)) = (from.enrolled, to_run.enrolled) {
            into.set_time(t, l.time(f));
        }
        let state = l.run_state(from);
        let st = Status::of(state);
        if st == Status::None {
            return Ok(false);
        }
        let ops = &self.c.workflows[w as usize].ops;
        let new_ops = &to.workflows[to_w as usize].ops;
        let pc = state & 0xffff;
        let new_pc = if st == Status::WatchingGoal {
            if to.workflows[to_w as usize].goal.is_none() {
                return Err("watching its goal, and the workflow has no goal now".into());
            }
            new_ops.len() as u32
        } else {
            let at = if st == Status::Waiting {
                pc.checked_sub(1)
            } else {
                Some(pc)
            };
            let Some(op) = at.and_then(|a| ops.get(a as usize)) else {
                return Err(format!("at instruction {pc}, which is not a step"));
            };
            let label = op_label(&self.c, op);
            let nth = ops[..at.unwrap_or(0) as usize]
                .iter()
                .filter(|o| op_label(&self.c, o) == label)
                .count();
            let Some(found) = new_ops
                .iter()
                .enumerate()
                .filter(|(_, o)| op_label(to, o) == label)
                .nth(nth)
                .map(|(i, _)| i as u32)
            else {
                return Err(format!("at step {label}, which the workflow no longer has"));
            };
            if st == Status::Waiting {
                found + 1
            } else {
                found
            }
        };
        into.set_run_state(to_run, new_pc | (state & !0xffff));
        into.set_time(to_run.wake, l.time(from.wake));
        variant::carry(&self.c, l, w, to, into, to_w);
        Ok(true)
    }

    /// Whether a timer due at `due` still does something when it fires (`fire` skips it
    /// otherwise). A run's wake counts while the run still waits for that moment: a run
    /// that ended has no wake, and one that moved on waits for another. Only the latest
    /// queued recheck counts: it is the one the lead's `recheck` word holds, and earlier ones
    /// were superseded. A held send always goes out.
    fn timer_live(&self, lead: u32, kind: TimerKind, due: i64) -> bool {
        let l = &self.leads[lead as usize];
        match kind {
            TimerKind::Recheck => l.time(self.c.layout.recheck) == Some(due),
            TimerKind::Run(w) => l.time(self.c.layout.run(w).wake) == Some(due),
            TimerKind::HeldSend(_) => true,
        }
    }

    /// The pending timers that will do something when they fire (`nurture state`), in no
    /// particular order: `timer_rows` without those already stale (`timer_live`), which stay
    /// queued until they come due and are skipped.
    pub fn live_timer_rows(&self) -> Vec<TimerRow> {
        self.timers
            .iter()
            .filter(|Reverse((due, _, lead, kind))| self.timer_live(*lead, *kind, *due))
            .map(|Reverse((due, seq, lead, kind))| TimerRow::of(*due, *seq, *lead, *kind))
            .collect()
    }

    /// Every pending timer, stale ones included, in no particular order.
    pub fn timer_rows(&self) -> Vec<TimerRow> {
        self.timers
            .iter()
            .map(|Reverse((due, seq, lead, kind))| TimerRow::of(*due, *seq, *lead, *kind))
            .collect()
    }

    /// Schedules a lead's timers again from its slab: the wake of every open run that has
    /// one, and its next list recheck (after a migration, which drops the old timers).
    pub fn rearm(&mut self, lead: u32) {
        for w in 0..self.c.workflows.len() as u16 {
            let run = self.c.layout.run(w);
            let l = &self.leads[lead as usize];
            if Status::of(l.run_state(run)) != Status::None {
                if let Some(due) = l.time(run.wake) {
                    self.schedule(due, lead, TimerKind::Run(w));
                }
            }
        }
        self.refresh_when_caches(lead);
        self.leads[lead as usize].set_time(self.c.layout.recheck, None);
        // The lead's list memberships come from before the migration: evaluate them.
        if !self.c.reactions.decay_lists.is_empty() {
            let t = self.decay_crossing(lead, false);
            let due_at = self.c.layout.decay_due;
            self.leads[lead as usize].set_time(due_at, t);
        }
        self.schedule_recheck(lead, false);
        self.touch(lead);
    }

    /// The lead's index, created from the schema's defaults when first seen.
    pub fn lead(&mut self, id: &str) -> u32 {
        self.lead_seen(id).0
    }

    /// The lead's index, and whether it was created just now.
    fn lead_seen(&mut self, id: &str) -> (u32, bool) {
        let (i, new) = self.lead_ids.intern(id);
        if new {
            self.leads.push_new();
        }
        self.touch(i);
        (i, new)
    }

    /// Every lead's id, in index order.
    pub fn lead_id_list(&self) -> Vec<String> {
        self.lead_ids.iter().map(|id| id.to_string()).collect()
    }

    pub fn find_lead(&self, id: &str) -> Option<u32> {
        self.lead_ids.get(id)
    }

    /// Fires every timer due at or before `to`, in order, then sets the clock to `to`.
    pub fn advance(&mut self, to: i64, sink: &mut dyn Sink) {
        while let Some(Reverse((due, _, lead, kind))) = self.timers.peek().copied() {
            if due > to {
                break;
            }
            self.timers.pop();
            self.now = self.now.max(due);
            self.fire(lead, kind, due, sink);
        }
        self.now = self.now.max(to);
    }

    /// The time of the next pending timer.
    pub fn next_timer(&self) -> Option<i64> {
        self.timers.peek().map(|Reverse((due, ..))| *due)
    }

    /// How many timers are scheduled (a live service's gauge).
    pub fn pending_timers(&self) -> usize {
        self.timers.len()
    }

    fn schedule(&mut self, due: i64, lead: u32, kind: TimerKind) {
        self.timer_seq += 1;
        self.timers.push(Reverse((due, self.timer_seq, lead, kind)));
    }

    fn fire(&mut self, lead: u32, kind: TimerKind, due: i64, sink: &mut dyn Sink) {
        // The lead's row is rewritten at the next commit even for a stale timer: it drops out
        // of the row's pending timers.
        self.touch(lead);
        if !self.timer_live(lead, kind, due) {
            return;
        }
        let mut cy = Cycle {
            lead,
            sink,
            dirty: false,
        };
        // Lists change with no event only at the lead's recheck time; a timer at or after it
        // must see them as they are now.
        let cause = match kind {
            TimerKind::Recheck => Cause::All,
            _ if self.recheck_due(lead, due) => Cause::All,
            TimerKind::Run(_) | TimerKind::HeldSend(_) => Cause::Clock,
        };
        // Whether a decay crossing moves: when this is the crossing (a list flipped, the next
        // flip is to be found), or a window closing can move it, or a `set` in the cycles
        // below changes the lead.
        let mut moved = self.leads[lead as usize]
            .time(self.c.layout.decay_due)
            .is_some_and(|d| d <= due)
            || self.c.reactions.decay_reads_history;
        match kind {
            TimerKind::Recheck => {
                let recheck = self.c.layout.recheck;
                match self.next_recheck(lead, due - 1) {
                    Some(next) if next == due => self.leads[lead as usize].set_time(recheck, None),
                    // Queued early (the window moved on since): wait for the new time.
                    Some(next) => {
                        self.leads[lead as usize].set_time(recheck, Some(next));
                        self.schedule(next, lead, TimerKind::Recheck);
                        return;
                    }
                    None => {
                        self.leads[lead as usize].set_time(recheck, None);
                        return;
                    }
                }
            }
            TimerKind::Run(w) => {
                let run = self.c.layout.run(w);
                // Bring the lead's scores and lists to this moment before its steps read
                // them (the score cache may hold another lead's values), and end the run
                // if its goal or exit holds now.
                moved |= self.cycle(&mut cy, None, cause, 0, false);
                let l = &self.leads[lead as usize];
                if l.time(run.wake) != Some(due) {
                    self.schedule_recheck(lead, moved);
                    return;
                }
                let state = l.run_state(run);
                match Status::of(state) {
                    Status::Waiting | Status::Held => self.resume(&mut cy, w, 0),
                    Status::WaitingForEvent => {
                        // Timed out: `received` is false.
                        let l = &mut self.leads[lead as usize];
                        l.set_run_state(run, Status::Running.at((state & 0xffff) + 1));
                        self.resume(&mut cy, w, 0);
                    }
                    Status::WatchingGoal => self.end_run(lead, w),
                    _ => {}
                }
            }
            TimerKind::HeldSend(t) => {
                // The send goes out now: the policy reads the lead as it is at this moment.
                moved |= self.cycle(&mut cy, None, cause, 0, false);
                for i in 0..self.c.triggers[t as usize].action.len() {
                    let op = self.c.triggers[t as usize].action[i].clone();
                    if let WOp::Send { .. } = op {
                        self.act(&mut cy, &op, Source::trigger(&self.c, t), None, t as u64);
                    }
                }
            }
        }
        if matches!(kind, TimerKind::Recheck) || cy.dirty || !self.pending_changes.is_empty() {
            self.after(&mut cy, None, cause, moved);
        } else {
            // The cycle before the steps brought the lead to this moment, and steps that
            // changed no attribute leave nothing for another cycle to find (a run they start
            // checks its exit and goal as it starts).
            self.schedule_recheck(lead, moved);
        }
    }

    /// An `identify`: sets attributes (texts interned), then runs the cycle.
    pub fn identify(
        &mut self,
        lead_id: &str,
        at: i64,
        traits: &[(u32, Val)],
        texts: &[String],
        sink: &mut dyn Sink,
    ) {
        self.advance(at, sink);
        let (lead, new) = self.lead_seen(lead_id);
        self.stats.identifies += 1;
        for (attr, v) in traits {
            let v = match v {
                Val::PropText(i) => Val::Sym(self.c.pools.texts.intern(&texts[*i as usize])),
                v => *v,
            };
            self.leads[lead as usize].set_attr(&self.c, *attr as u16, v);
        }
        let mut cy = Cycle {
            lead,
            sink,
            dirty: false,
        };
        let cause = if new { Cause::New } else { Cause::Attrs };
        self.after(&mut cy, None, cause, false);
    }

    /// A `track`: the event goes through history, scores, lists, triggers and waits.
    pub fn track(&mut self, lead_id: &str, at: i64, ev: EventRef<'_>, sink: &mut dyn Sink) {
        self.advance(at, sink);
        let (lead, new) = self.lead_seen(lead_id);
        self.stats.events += 1;
        let e = ev.event as usize;
        // What history keeps: the event's key, after the runs begun in this instant.
        let stamp = self.order_key(lead);
        // A filter may read a score: the cache must hold this lead's, before this event.
        let mut scored = false;
        // History.
        let mut recorded = false;
        for i in 0..self.c.dispatch[e].history.len() {
            let a = &self.c.layout.aggregates[self.c.dispatch[e].history[i] as usize];
            if let Some(f) = &a.filter {
                if !scored && reads_scores(f) {
                    self.compute_scores(lead, at);
                    scored = true;
                }
                let a = &self.c.layout.aggregates[self.c.dispatch[e].history[i] as usize];
                let f = a.filter.as_ref().expect("checked above");
                if !self.test(lead, f, Some(ev), None, false) {
                    continue;
                }
            }
            let kept = a.kept;
            recorded = true;
            let l = &mut self.leads[lead as usize];
            match kept {
                Kept::Ring(r) => ring::push(l, r, stamp),
                Kept::Counter(off) => l.set_word(off, l.word(off).saturating_add(1)),
                Kept::Last(at) => l.set_time(at, Some(stamp)),
            }
        }
        // Scores with `on` rules.
        let mut applied = false;
        for i in 0..self.c.dispatch[e].on_rules.len() {
            let (s, r) = self.c.dispatch[e].on_rules[i];
            if !scored {
                if let ScoreKind::Rules { on, .. } = &self.c.scores[s as usize].kind {
                    if on[r as usize].filter.as_ref().is_some_and(reads_scores) {
                        self.compute_scores(lead, at);
                        scored = true;
                    }
                }
            }
            applied |= self.apply_on_rule(lead, s, r, ev);
        }
        let mut cy = Cycle {
            lead,
            sink,
            dirty: false,
        };
        let cause = if new {
            Cause::New
        } else if recorded || applied {
            Cause::Event(ev.event)
        } else {
            // The event changed no history and no score: no list reads anything new (what
            // time alone changes, rechecks cover). Its triggers and waits still see it.
            Cause::Clock
        };
        // A decay crossing moves only if a score rule applied or a list that reads decaying
        // scores reads this event's history.
        let decay_moved = new || applied || self.c.reactions.event_history_decays[e];
        let moved = self.cycle(&mut cy, Some(ev), cause, 0, decay_moved);
        self.schedule_recheck(lead, moved);
    }

    /// Applies a score's `on` rule to the event; whether it applied (filter and cap passed).
    fn apply_on_rule(&mut self, lead: u32, s: u16, r: u16, ev: EventRef<'_>) -> bool {
        let ScoreKind::Rules {
            on,
            slot,
            decay,
            updated,
            ..
        } = &self.c.scores[s as usize].kind
        else {
            return false;
        };
        let rule = &on[r as usize];
        let rule_index = r;
        // Every score with `on` rules has an accumulator (`file::validate` checks it).
        let Some(slot) = *slot else { return false };
        let (decay, updated) = (*decay, *updated);
        let (effect, amount, cap) = (rule.effect, rule.amount, rule.cap);
        if let Some(f) = &rule.filter {
            // A filter may read a score: the cache must hold this lead's.
            if reads_scores(f) {
                self.compute_scores(lead, self.now);
            }
            if !self.test(lead, f, Some(ev), None, false) {
                return false;
            }
        }
        let now = self.now;
        let l = &mut self.leads[lead as usize];
        if let Some((per, r)) = cap {
            if ring::count(l, r, now, Some(per), None) >= r.cap {
                self.tallies.capped(lead, s, rule_index);
                return false;
            }
            ring::push(l, r, now);
        }
        let current = accumulated(l, Some(slot), decay.zip(updated), now);
        let next = match effect {
            EffectKind::Add => current + amount,
            EffectKind::Subtract => current - amount,
            EffectKind::Set => amount,
        };
        l.set_f64(slot, next);
        if let Some(at) = updated {
            l.set_time(at, Some(now));
        }
        let tally = &mut self.tallies;
        tally.counted(lead, (s, rule_index), effect, amount, now, decay);
        true
    }

    /// After an event or timer: settle lists, run triggers, resume waits, check exits and
    /// goals, and schedule the next recheck. Repeats while `set`s change the lead.
    /// `moved`: a decay crossing already moved before this cycle.
    fn after(&mut self, cy: &mut Cycle<'_>, ev: Option<EventRef<'_>>, cause: Cause, moved: bool) {
        let decay_moved = moved
            || match cause {
                Cause::New | Cause::Attrs => true,
                Cause::Event(e) => self.c.reactions.event_decays[e as usize],
                // Timers say themselves whether they move it.
                Cause::All | Cause::Clock => false,
            };
        let decay_moved = self.cycle(cy, ev, cause, 0, decay_moved);
        self.schedule_recheck(cy.lead, decay_moved);
    }

    /// The cycle of `after`, without scheduling the next recheck. Returns whether anything
    /// that moves a decay crossing changed (`decay_moved`: it had before the cycle).
    fn cycle(
        &mut self,
        cy: &mut Cycle<'_>,
        ev: Option<EventRef<'_>>,
        cause: Cause,
        depth: u32,
        decay_moved: bool,
    ) -> bool {
        let mut ev = ev;
        let mut cause = cause;
        let mut depth = depth;
        let mut decay_moved = decay_moved;
        // The runs already waiting for this event when it arrived: a wait that this event's
        // own triggers lead to waits for a later one.
        let armed = ev.map_or(0, |e| self.armed_waits(cy.lead, e.event));
        loop {
            let attrs = std::mem::take(&mut cy.dirty);
            decay_moved |= attrs;
            let mut changes = std::mem::take(&mut self.scratch_changes);
            self.settle(cy.lead, cause, attrs, &mut changes);
            if !self.pending_changes.is_empty() {
                // Moved earlier in this cycle by a run's `set`: they come first.
                changes.splice(0..0, self.pending_changes.drain(..));
            }
            let mut fired = std::mem::take(&mut self.scratch_fired);
            fired.clear();
            if let Some(e) = ev {
                fired.extend_from_slice(&self.c.dispatch[e.event as usize].triggers);
            }
            for &(list, entered) in &changes {
                let r = &self.c.reactions;
                let on = if entered {
                    &r.enter_triggers
                } else {
                    &r.exit_triggers
                };
                fired.extend_from_slice(&on[list as usize]);
                let name = self.c.lists[list as usize].name.as_str().into();
                let kind = if entered {
                    ActionKind::Entered { list: name }
                } else {
                    ActionKind::Exited { list: name }
                };
                self.emit(cy, kind, Source::Engine, 0);
            }
            self.scratch_changes = changes;
            // Triggers run in source order, whatever set them off.
            fired.sort_unstable();
            fired.dedup();
            for &t in &fired {
                let holds = match &self.c.triggers[t as usize].source {
                    TriggerSource::Event {
                        filter: Some(f), ..
                    } => self.test(cy.lead, f, ev, None, false),
                    _ => true,
                };
                if holds {
                    self.run_trigger(cy, t, depth);
                }
            }
            self.scratch_fired = fired;
            if let Some(e) = ev {
                self.resume_waits(cy, e, depth, armed);
            }
            self.check_exits(cy);
            if !cy.dirty {
                break;
            }
            depth += 1;
            if depth >= MAX_CASCADE {
                self.stats.cascade_errors += 1;
                self.emit(cy, ActionKind::CascadeLimit { depth }, Source::Engine, 0);
                break;
            }
            ev = None;
            cause = Cause::Attrs;
        }
        decay_moved
    }

    /// Recomputes scores, and the lists that `cause` (and changed attributes) can move, at
    /// the clock. Fills `changes` with the lists entered (true) or left.
    fn settle(&mut self, lead: u32, cause: Cause, attrs: bool, changes: &mut Vec<(u16, bool)>) {
        changes.clear();
        // `when` totals read only attributes: a recheck leaves them as they are.
        if attrs || matches!(cause, Cause::Attrs | Cause::New) {
            self.refresh_when_caches(lead);
        }
        self.compute_scores(lead, self.now);
        let mut lists = std::mem::take(&mut self.scratch_lists);
        lists.clear();
        let r = &self.c.reactions;
        match cause {
            Cause::New => lists.extend_from_slice(&r.all_lists),
            // Only time has passed: a window closed or a decaying score moved.
            Cause::All => lists.extend_from_slice(&r.timed_lists),
            Cause::Event(e) => lists.extend_from_slice(&r.event_lists[e as usize]),
            Cause::Attrs => lists.extend_from_slice(&r.attr_lists),
            Cause::Clock => {}
        }
        if attrs && cause != Cause::Attrs {
            lists.extend_from_slice(&r.attr_lists);
        }
        lists.extend_from_slice(&r.clock_lists);
        // Each list after the lists it reads: `all_lists` is in that order.
        if lists.len() > 1 {
            let rank = &r.list_rank;
            lists.sort_unstable_by_key(|l| rank[*l as usize]);
            lists.dedup();
        }
        for &l in &lists {
            let member = self.test(lead, &self.c.lists[l as usize].cond, None, None, false);
            let lead_state = &mut self.leads[lead as usize];
            if lead_state.in_list(&self.c, l) != member {
                lead_state.set_in_list(&self.c, l, member);
                changes.push((l, member));
            }
        }
        self.scratch_lists = lists;
    }

    /// Recomputes the cached `when` totals of scores whose conditions read only attributes.
    fn refresh_when_caches(&mut self, lead: u32) {
        for s in 0..self.c.scores.len() {
            let ScoreKind::Rules {
                when,
                when_cache: Some(at),
                ..
            } = &self.c.scores[s].kind
            else {
                continue;
            };
            let total = self.when_total(lead, when, 0.0, self.now);
            let at = *at;
            self.leads[lead as usize].set_f64(at, total);
        }
    }

    fn when_total(
        &self,
        lead: u32,
        when: &[crate::compile::program::WhenRule],
        start: f64,
        t: i64,
    ) -> f64 {
        let mut total = start;
        for w in when {
            if self.value_at(lead, &w.cond, t).truthy() {
                total = match w.effect {
                    EffectKind::Add => total + w.amount,
                    EffectKind::Subtract => total - w.amount,
                    EffectKind::Set => w.amount,
                };
            }
        }
        total
    }

    /// Fills the score cache for a lead at time `t`, in dependency order.
    fn compute_scores(&self, lead: u32, t: i64) {
        for d in &self.c.derive_order {
            let Derived::Score(s) = *d else { continue };
            let value = match &self.c.scores[s as usize].kind {
                ScoreKind::Derived(chunk) => match &self.sums[s as usize] {
                    Some(terms) => {
                        let first = self.scores[terms[0].0 as usize].get();
                        terms[1..].iter().fold(first, |acc, &(term, minus)| {
                            let v = self.scores[term as usize].get();
                            if minus {
                                acc - v
                            } else {
                                acc + v
                            }
                        })
                    }
                    // Missing (NaN) stays missing through the sums and chunks above.
                    None => self.value_at(lead, chunk, t).as_f64().unwrap_or(f64::NAN),
                },
                ScoreKind::Rules {
                    decay,
                    when,
                    slot,
                    when_cache,
                    updated,
                    ..
                } => {
                    let l = &self.leads[lead as usize];
                    let acc = accumulated(l, *slot, decay.zip(*updated), t);
                    match when_cache {
                        Some(at) => acc + l.f64(*at),
                        None => self.when_total(lead, when, acc, t),
                    }
                }
            };
            self.scores[s as usize].set(value);
        }
    }

    fn value_at(&self, lead: u32, chunk: &Chunk, t: i64) -> Val {
        self.eval_at(lead, chunk, None, None, false, t)
    }

    /// Evaluates a condition for a lead; `enrolled` is the run's start for `since enrolled`.
    fn test(
        &self,
        lead: u32,
        chunk: &Chunk,
        ev: Option<EventRef<'_>>,
        enrolled: Option<i64>,
        received: bool,
    ) -> bool {
        self.eval_chunk(lead, chunk, ev, enrolled, received)
            .truthy()
    }

    fn eval_chunk(
        &self,
        lead: u32,
        chunk: &Chunk,
        ev: Option<EventRef<'_>>,
        enrolled: Option<i64>,
        received: bool,
    ) -> Val {
        self.eval_at(lead, chunk, ev, enrolled, received, self.now)
    }

    fn eval_at(
        &self,
        lead: u32,
        chunk: &Chunk,
        ev: Option<EventRef<'_>>,
        enrolled: Option<i64>,
        received: bool,
        now: i64,
    ) -> Val {
        let env = LeadEnv {
            m: self,
            lead: &self.leads[lead as usize],
            at: lead,
            ev,
            enrolled,
            received,
            now,
        };
        eval(chunk, &self.c.pools, &env, &mut self.stack.borrow_mut())
    }

    // ---- triggers and workflows ------------------------------------------------------

    fn run_trigger(&mut self, cy: &mut Cycle<'_>, t: u16, depth: u32) {
        let ops = self.c.triggers[t as usize].action.clone();
        for op in &ops {
            match op {
                WOp::Start { workflow, .. } => self.start(cy, *workflow, depth),
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

    /// Enrolls the lead in a workflow if its enrollment rule and `only if` allow.
    fn start(&mut self, cy: &mut Cycle<'_>, w: u16, depth: u32) {
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
        if self.exit_or_goal(cy, w) {
            return;
        }
        self.resume(cy, w, depth);
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
                let name = self.c.workflows[w as usize].name.clone();
                let variant = self.run_variant(cy.lead, w);
                self.emit(
                    cy,
                    ActionKind::Converted {
                        workflow: name.clone(),
                        variant,
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

    fn check_exits(&mut self, cy: &mut Cycle<'_>) {
        for w in 0..self.c.workflows.len() as u16 {
            let run = self.c.layout.run(w);
            if Status::of(self.leads[cy.lead as usize].run_state(run)) != Status::None {
                self.exit_or_goal(cy, w);
            }
        }
    }

    fn end_run(&mut self, lead: u32, w: u16) {
        let run = self.c.layout.run(w);
        let l = &mut self.leads[lead as usize];
        l.set_run_state(run, Status::None.at(0));
        l.set_time(run.wake, None);
    }

    /// Which of the workflows with a `wait up to … for` this event (by position in the
    /// event's dispatch list, as bits) have a run waiting for it now. Positions past 63 are
    /// always taken as waiting.
    fn armed_waits(&self, lead: u32, event: u16) -> u64 {
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

    fn resume_waits(&mut self, cy: &mut Cycle<'_>, ev: EventRef<'_>, depth: u32, armed: u64) {
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
            let l = &mut self.leads[cy.lead as usize];
            l.set_run_state(run, Status::Running.at(pc + 1) | RECEIVED);
            l.set_time(run.wake, None);
            self.resume(cy, w, depth);
        }
    }

    /// Runs a workflow from its stored pc until it waits or ends.
    /// It stays whole: the workflow interpreter, one arm per instruction, as `eval` is for conditions.
    fn resume(&mut self, cy: &mut Cycle<'_>, w: u16, depth: u32) {
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
                    self.start(cy, *workflow, depth + 1);
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

    /// A short label for a workflow instruction, for output and `in workflow W at step S`.
    pub fn step_label(&self, w: u16, pc: u32) -> String {
        op_label(&self.c, &self.c.workflows[w as usize].ops[pc as usize])
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

    /// The variant of a lead's open run of a workflow: the arm it took at the last split it
    /// passed (`variant::Variants::of_run`).
    pub fn run_variant(&self, lead: u32, w: u16) -> Option<String> {
        let (l, id) = (&self.leads[lead as usize], &self.lead_ids[lead as usize]);
        self.variants.of_run(&self.c, l, id, w).map(str::to_string)
    }

    /// Performs one action instruction.
    fn act(
        &mut self,
        cy: &mut Cycle<'_>,
        op: &WOp,
        source: Source,
        enrolled: Option<i64>,
        salt: u64,
    ) {
        let kind = match op {
            WOp::Send {
                channel, template, ..
            } => {
                let template = self.c.pools.texts.get(*template).to_string();
                match self.blocked(cy.lead, *channel, enrolled) {
                    Some(rule) => {
                        self.stats.suppressed += 1;
                        ActionKind::Suppressed {
                            channel: *channel,
                            template,
                            rule,
                        }
                    }
                    None => {
                        for f in &self.c.policy.frequency {
                            if f.channel == *channel {
                                ring::push(&mut self.leads[cy.lead as usize], f.ring, self.now);
                            }
                        }
                        ActionKind::Send {
                            channel: *channel,
                            template,
                        }
                    }
                }
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
            WOp::Webhook { name, fields, .. } => {
                let mut out = Vec::new();
                for (k, chunk, ty) in fields {
                    let v = self.eval_chunk(cy.lead, chunk, None, enrolled, false);
                    out.push((k.clone(), self.json(cy.lead, v, Some(ty))));
                }
                ActionKind::Webhook {
                    name: self.c.pools.texts.get(*name).to_string(),
                    fields: out,
                }
            }
            WOp::Set { attr, value, .. } => {
                let v = self.eval_chunk(cy.lead, value, None, enrolled, false);
                let v = match v {
                    Val::PropText(_) => Val::Missing,
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
        self.emit(cy, kind, source, salt);
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

    /// Emits an action, its id a hash of the campaign, the lead's own action count, the lead,
    /// the time and what the action is (`salt`: the workflow and step, or the trigger, or the
    /// workflow that converted): a lead's ids depend on its own input only.
    fn emit(&mut self, cy: &mut Cycle<'_>, kind: ActionKind, source: Source, salt: u64) {
        if !kind.is_membership() {
            self.stats.actions += 1;
        }
        let lead = self.lead_ids.compact(cy.lead).clone();
        let at = self.c.layout.sequence;
        let l = &mut self.leads[cy.lead as usize];
        let sequence = l.word(at).wrapping_add(1);
        l.set_word(at, sequence);
        let mut h = Fnv1a::default();
        h.write(&self.campaign_hash.to_le_bytes());
        h.write(&sequence.to_le_bytes());
        h.write(lead.as_bytes());
        h.write(&self.now.to_le_bytes());
        h.write(&salt.to_le_bytes());
        h.write(kind.name().as_bytes());
        if let ActionKind::Entered { list } | ActionKind::Exited { list } = &kind {
            h.write(list.as_bytes());
        }
        cy.sink.action(Action {
            at: self.now,
            lead,
            id: h.finish(),
            kind,
            source,
        });
    }

    /// The rule that blocks a send now, if any: `suppress when`, then frequency caps.
    fn blocked(&mut self, lead: u32, channel: Channel, enrolled: Option<i64>) -> Option<String> {
        for s in &self.c.policy.suppress {
            if self.test(lead, &s.cond, None, enrolled, false) {
                return Some(s.rule.clone());
            }
        }
        let l = &self.leads[lead as usize];
        self.c
            .policy
            .frequency
            .iter()
            .find(|f| {
                f.channel == channel
                    && ring::count(l, f.ring, self.now, Some(f.per), None) >= f.ring.cap
            })
            .map(|f| f.rule.clone())
    }

    /// When quiet hours hold a send now, the time they end.
    fn quiet_until(&mut self, lead: u32) -> Option<i64> {
        let (from, to) = self.c.policy.quiet_hours?;
        let tz = self.zone(lead);
        let local = tz.timestamp_millis_opt(self.now).single()?.naive_local();
        let minute = local.hour() * 60 + local.minute();
        let quiet = if from < to {
            minute >= from && minute < to
        } else {
            minute >= from || minute < to
        };
        quiet.then(|| next_local_time(tz, self.now, to, false))
    }

    fn zone(&mut self, lead: u32) -> Tz {
        let Some(attr) = self.c.timezone_attr else {
            return Tz::UTC;
        };
        let Val::Sym(s) = self.leads[lead as usize].attr(&self.c, attr) else {
            return Tz::UTC;
        };
        if let Some(tz) = self.zones.get(&s) {
            return *tz;
        }
        let tz = self.c.pools.texts.get(s).parse::<Tz>().unwrap_or(Tz::UTC);
        self.zones.insert(s, tz);
        tz
    }

    fn render(&mut self, lead: u32, t: &Template, enrolled: Option<i64>) -> String {
        let mut out = String::new();
        for part in &t.parts {
            match part {
                TemplatePart::Text(s) => out.push_str(s),
                TemplatePart::Value(chunk, ty) => {
                    if matches!(ty.base(), Ty::Number)
                        || chunk
                            .ops
                            .iter()
                            .any(|o| matches!(o, crate::compile::bytecode::Op::Score(_)))
                    {
                        self.compute_scores(lead, self.now);
                    }
                    let v = self.eval_chunk(lead, chunk, None, enrolled, false);
                    out.push_str(&self.text_of(v, ty));
                }
            }
        }
        out
    }

    /// A value as a marketer reads it in a message (`render::text`).
    pub fn text_of(&self, v: Val, ty: &Ty) -> String {
        render::text(&self.c, v, ty)
    }

    /// A value as JSON (`render::json`), the lead's tags for the tags list.
    pub fn json(&self, lead: u32, v: Val, ty: Option<&Ty>) -> serde_json::Value {
        render::json(&self.c, self.leads.tags(lead), self.tags_list, v, ty)
    }

    /// Schedules the next moment the lead's lists may change with no event: a `within`
    /// window closing, or a decaying score crossing what a list compares it with.
    /// The decay crossing is recomputed only when `decay_moved`: something that moves it
    /// changed; otherwise the one computed before still stands.
    ///
    /// The lead's `recheck` word holds the due time of its queued recheck. Windows mostly
    /// move later (each event pushes its window's close back), so a recheck already queued
    /// before the new time stays: when it fires it finds nothing due and moves itself on
    /// (`fire`). The timer heap so holds about one recheck a lead, not one per event.
    fn schedule_recheck(&mut self, lead: u32, decay_moved: bool) {
        if decay_moved && !self.c.reactions.decay_lists.is_empty() {
            let t = self.decay_crossing(lead, true);
            let due_at = self.c.layout.decay_due;
            self.leads[lead as usize].set_time(due_at, t);
        }
        let Some(due) = self.next_recheck(lead, self.now) else {
            return;
        };
        let queued = self.leads[lead as usize].time(self.c.layout.recheck);
        if queued.is_some_and(|q| q > self.now && q <= due) {
            return;
        }
        self.leads[lead as usize].set_time(self.c.layout.recheck, Some(due));
        self.schedule(due, lead, TimerKind::Recheck);
    }

    /// The first moment after `after` at which the lead's lists may change with no event,
    /// from its windows and its last computed decay crossing.
    fn next_recheck(&self, lead: u32, after: i64) -> Option<i64> {
        let l = &self.leads[lead as usize];
        let window = self.windows.next_close(l, after);
        let decay = l.time(self.c.layout.decay_due).filter(|t| *t > after);
        match (window, decay) {
            (Some(w), Some(d)) => Some(w.min(d)),
            (w, d) => w.or(d),
        }
    }

    /// Whether the lead's lists may have changed with no event by `due`: its queued recheck
    /// is due and, as queued rechecks can be early, something is in fact due by then.
    fn recheck_due(&self, lead: u32, due: i64) -> bool {
        self.leads[lead as usize]
            .time(self.c.layout.recheck)
            .is_some_and(|q| q <= due && self.next_recheck(lead, q - 1).is_some_and(|t| t <= due))
    }

    /// The first moment a list's membership flips as scores decay. Decay is monotonic, so
    /// membership flips at most once while no event arrives: the flip is bracketed between
    /// now and the moment the scores have faded out, then found to the millisecond.
    ///
    /// `settled`: the lead's list memberships were just evaluated at the clock (after a
    /// cycle), so they stand for the memberships now.
    fn decay_crossing(&mut self, lead: u32, settled: bool) -> Option<i64> {
        let now = self.now;
        let mut horizon: Option<i64> = None;
        // The decay rate, when every decaying score has the same one.
        let mut rate: Option<Option<(f64, i64)>> = None;
        for s in &self.c.scores {
            if let ScoreKind::Rules {
                decay: Some((keep, every)),
                slot: Some(slot),
                ..
            } = &s.kind
            {
                let acc = self.leads[lead as usize].f64(*slot).abs();
                if acc > 0.005 && *keep < 1.0 {
                    let periods = if *keep <= 0.0 {
                        1.0
                    } else {
                        (0.005 / acc).ln() / keep.ln()
                    };
                    let h = ((periods.max(0.0) * *every as f64).ceil() as i64).saturating_add(1);
                    horizon = Some(horizon.map_or(h, |x: i64| x.max(h)));
                    rate = match rate {
                        None => Some(Some((*keep, *every))),
                        Some(Some(r)) if r == (*keep, *every) => Some(Some(r)),
                        _ => Some(None),
                    };
                }
            }
        }
        let horizon = horizon?;
        let probe = self.c.reactions.decay_probe;
        let probed = |m: &Machine| probe.map(|(s, _)| m.scores[s as usize].get());
        let now_members = if settled {
            let member = self.settled_decay_members(lead);
            debug_assert_eq!(member, self.decay_members(lead, now), "settled memberships");
            member
        } else {
            self.decay_members(lead, now)
        };
        let end = now + horizon.min(366 * 86_400_000);
        let end_members = self.decay_members(lead, end);
        // The score cache is left at `end` or a point between: nothing reads it after this
        // without filling it again for its lead and time.
        if now_members == end_members {
            return None;
        }
        let at_end = probed(self);
        self.compute_scores(lead, now);
        let at_now = probed(self);
        let flipped = |m: &Machine, t: i64| m.decay_members(lead, t) != now_members;
        let (mut lo, mut hi) = (now, end);
        // Where the probed score meets its threshold, if it decays as one rate: usually the
        // flip itself, so two evaluations confirm it where bisection takes twenty-five.
        if let (Some((_, k)), Some(Some((keep, every))), Some(a), Some(b)) =
            (probe, rate, at_now, at_end)
        {
            if let Some(guess) = solve_decay(a, b, end - now, k, keep, every) {
                let g = (now + guess).clamp(lo + 1, (hi - 1).max(lo + 1));
                if g < hi {
                    let mut step = 1;
                    if flipped(self, g) {
                        hi = g;
                        while hi - step > lo && flipped(self, hi - step) {
                            hi -= step;
                            step *= 2;
                        }
                        lo = lo.max(hi - step);
                    } else {
                        lo = g;
                        while lo + step < hi && !flipped(self, lo + step) {
                            lo += step;
                            step *= 2;
                        }
                        hi = hi.min(lo + step);
                    }
                }
            }
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if flipped(self, mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Some(hi)
    }

    /// Membership of the lists that read decaying scores as last evaluated, in the bits of
    /// `decay_members`.
    fn settled_decay_members(&self, lead: u32) -> u64 {
        let l = &self.leads[lead as usize];
        let mut bits = 0u64;
        for (i, &list) in self.c.reactions.decay_lists.iter().take(64).enumerate() {
            if l.in_list(&self.c, list) {
                bits |= 1 << i;
            }
        }
        bits
    }

    /// Membership of the lists that read decaying scores, at time `t`, as bits (the first 64
    /// such lists; campaigns have far fewer).
    fn decay_members(&self, lead: u32, t: i64) -> u64 {
        self.compute_scores(lead, t);
        let mut bits = 0u64;
        for (i, &l) in self.c.reactions.decay_lists.iter().take(64).enumerate() {
            if self
                .value_at(lead, &self.c.lists[l as usize].cond, t)
                .truthy()
            {
                bits |= 1 << i;
            }
        }
        bits
    }

    /// A score's value for a lead now (tests, the REPL); NaN where it is missing.
    pub fn score(&self, lead: u32, score: u16) -> f64 {
        self.compute_scores(lead, self.now);
        self.scores[score as usize].get()
    }

    /// Whether a workflow run is open for a lead, and at which instruction.
    pub fn run_at(&self, lead: u32, w: u16) -> Option<u32> {
        let state = self.leads[lead as usize].run_state(self.c.layout.run(w));
        (Status::of(state) != Status::None).then_some(state & 0xffff)
    }

    /// Whether a lead's run of a workflow is past its last step, watching only its goal: it
    /// is still open, but no longer in the workflow's steps (`expect … in workflow`).
    pub fn watching_goal(&self, lead: u32, w: u16) -> bool {
        let state = self.leads[lead as usize].run_state(self.c.layout.run(w));
        Status::of(state) == Status::WatchingGoal
    }

    /// The step a lead's run of a workflow rests at, as `op_label` names it.
    pub fn run_step(&self, lead: u32, w: u16) -> Option<String> {
        let state = self.leads[lead as usize].run_state(self.c.layout.run(w));
        let pc = state & 0xffff;
        let ops = &self.c.workflows[w as usize].ops;
        let at = match Status::of(state) {
            Status::None => return None,
            // A timed wait stores the instruction after it.
            Status::Waiting => pc.checked_sub(1)?,
            Status::WatchingGoal => return Some("goal".into()),
            _ => pc,
        };
        ops.get(at as usize).map(|op| op_label(&self.c, op))
    }

    /// Evaluates a checked expression for a lead now (tests and the REPL).
    pub fn eval_expr(
        &mut self,
        lead: u32,
        e: &crate::check::program::Expr,
    ) -> Result<Val, crate::compile::expr::CompileError> {
        // A history predicate that nothing in the campaign uses has no aggregate in lead
        // state: say so rather than read past the layout.
        let kept = self.c.pools.history.len();
        let chunk = self.c.pools.compile(e)?;
        if self.c.pools.history.len() > kept {
            self.c.pools.history.truncate(kept);
            self.c.pools.count_bounds.truncate(kept);
            return Err(crate::compile::expr::CompileError::NotCompilable(
                e.span,
                "a history predicate that no part of the campaign keeps",
            ));
        }
        self.compute_scores(lead, self.now);
        Ok(self.eval_chunk(lead, &chunk, None, None, false))
    }

    /// Bytes of lead state, all leads together.
    pub fn state_bytes(&self) -> usize {
        self.leads.bytes()
    }

    /// Moves the clock to `to`, firing every timer due on the way (`--until`, tests).
    pub fn advance_to(&mut self, to: i64, sink: &mut dyn Sink) {
        self.advance(to, sink);
    }

    /// Evaluates a compiled chunk for a lead now, with fresh scores (REPL explanations);
    /// `enrolled` is the run's start as `since enrolled` reads it (`run_since`).
    pub fn eval_compiled(&self, lead: u32, chunk: &Chunk, enrolled: Option<i64>) -> Val {
        self.compute_scores(lead, self.now);
        self.eval_chunk(lead, chunk, None, enrolled, false)
    }

    /// Whether a `where` filter holds for a lead and an event now (the REPL's score ledger).
    pub fn filter_holds(&self, lead: u32, chunk: &Chunk, ev: EventRef<'_>) -> bool {
        self.compute_scores(lead, self.now);
        self.test(lead, chunk, Some(ev), None, false)
    }

    /// The accumulated (`on` rules) part of a score now, decayed; 0 for a derived score.
    pub fn accumulated_now(&self, lead: u32, score: u16) -> f64 {
        match &self.c.scores[score as usize].kind {
            ScoreKind::Rules {
                slot,
                decay,
                updated,
                ..
            } => accumulated(
                &self.leads[lead as usize],
                *slot,
                decay.zip(*updated),
                self.now,
            ),
            ScoreKind::Derived(_) => 0.0,
        }
    }

    /// A lead's run of a workflow: (next wake, enrolled at) while open, and the last enrollment.
    /// The enrollment times are `None` where the workflow keeps none (`RunSlots::enrolled`).
    pub fn run_times(&self, lead: u32, w: u16) -> (Option<i64>, Option<i64>, Option<i64>) {
        let run = self.c.layout.run(w);
        let l = &self.leads[lead as usize];
        let open = Status::of(l.run_state(run)) != Status::None;
        let (wake, enrolled) = match open {
            true => (l.time(run.wake), l.enrolled(run)),
            false => (None, None),
        };
        (wake, enrolled, l.enrolled(run))
    }

    /// The start of a lead's open run of a workflow as `since enrolled` reads it: its time,
    /// and its place among the events of its instant (`compile::layout::key`).
    pub fn run_since(&self, lead: u32, w: u16) -> Option<i64> {
        let run = self.c.layout.run(w);
        let l = &self.leads[lead as usize];
        (Status::of(l.run_state(run)) != Status::None)
            .then(|| l.enrolled_key(run))
            .flatten()
    }

    /// The key of what happens to a lead now (`order::next_key`).
    fn order_key(&self, lead: u32) -> i64 {
        next_key(&self.leads[lead as usize], &self.since_runs, self.now)
    }
}

/// The VM's view of one lead while evaluating a chunk.
struct LeadEnv<'a> {
    m: &'a Machine,
    lead: &'a Lead,
    /// The lead's index (its tags are looked up only when read).
    at: u32,
    ev: Option<EventRef<'a>>,
    /// The run's start as `since enrolled` reads it: a key (`compile::layout::key`).
    enrolled: Option<i64>,
    received: bool,
    now: i64,
}

impl Env for LeadEnv<'_> {
    fn attr(&self, id: u16) -> Val {
        if id == self.m.c.tags_attr {
            // `lead.tags contains "x"` reads the tags through a list value of its own.
            return Val::List(self.m.tags_list);
        }
        self.lead.attr(&self.m.c, id)
    }

    fn tags(&self, list: u32) -> Option<&[u32]> {
        (list == self.m.tags_list).then(|| self.m.leads.tags(self.at))
    }

    fn prop(&self, id: u16) -> Val {
        self.ev
            .and_then(|e| e.props.get(id as usize).copied())
            .unwrap_or(Val::Missing)
    }

    fn score(&self, id: u16) -> f64 {
        self.m.scores[id as usize].get()
    }

    fn in_list(&self, id: u16) -> bool {
        self.lead.in_list(&self.m.c, id)
    }

    fn history(&self, slot: u16) -> Val {
        let c = &self.m.c;
        let pred = &c.pools.history[slot as usize];
        let kept = c.layout.history[slot as usize];
        let now = self.now;
        // History keeps keys: `since enrolled` compares them whole, so an event later in the
        // instant a run began counts and the one that began it does not.
        let since = if pred.since_enrolled {
            self.enrolled
        } else {
            None
        };
        let ok = |k: i64| {
            let t = key_time(k);
            t <= now && pred.within.is_none_or(|w| now - t < w) && since.is_none_or(|s| k > s)
        };
        // The latest match: its own stamp, or the newest of a ring over the same matches.
        let latest = || match kept {
            Kept::Ring(r) => ring::newest(self.lead, r),
            Kept::Last(at) => self.lead.time(at),
            Kept::Counter(_) => None,
        };
        match (pred.kind, kept) {
            (HistoryKind::Count, Kept::Ring(r)) => {
                let window = pred.within.map(key_window);
                Val::Int(ring::count(self.lead, r, key_last(now), window, since) as i64)
            }
            (HistoryKind::Count, Kept::Counter(at)) => Val::Int(self.lead.word(at) as i64),
            (HistoryKind::Count, Kept::Last(_)) => Val::Missing,
            (HistoryKind::Did, _) => Val::Bool(latest().is_some_and(ok)),
            (HistoryKind::Last, _) => latest()
                .filter(|k| ok(*k))
                .map_or(Val::Missing, |k| Val::Time(key_time(k))),
        }
    }

    fn now(&self) -> i64 {
        self.now
    }

    fn received(&self) -> bool {
        self.received
    }

    /// `id` is the text's slot (`Val::PropText`), not the property's place.
    fn prop_text(&self, id: u16) -> &str {
        self.ev
            .and_then(|e| e.texts.get(id as usize))
            .map_or("", |t| t.as_str())
    }
}

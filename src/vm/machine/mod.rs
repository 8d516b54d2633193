//! The VM proper: leads, the timer queue and the event-time cycle of language.md §8–9.
//!
//! For each record: timers due at or before its time fire first, oldest first; then the event
//! updates history, then scores, then list membership, then triggers run in source order, then
//! waiting workflows resume; exit and goal conditions are checked after every event and timer.
//!
//! The machine's work is spread over files of one concern each, every one an `impl Machine`:
//! this one holds the `Machine` itself, its construction and what the front ends read of it;
//! `cycle` an event's or timer's pass through history, scores, lists and triggers;
//! `interpreter` workflow runs, step by step; `policy` what holds or blocks a send; `output`
//! the actions emitted and the texts they carry; `timers` the timer queue; `recheck` when a
//! lead's lists may change with no event; `persist` what `--state` and migration read and
//! write; `lead_env` the evaluator's view of a lead.

mod cycle;
mod interpreter;
mod lead_env;
mod output;
mod persist;
mod policy;
mod recheck;
mod timers;

pub use persist::{Changes, Counters};
pub use timers::TimerRow;

use super::action::Action;
use super::decay::{accumulated, sum_of_scores};
use super::leads::Leads;
use super::order::next_key;
use super::tally::Tallies;
use super::variant::Variants;
use super::windows::Windows;
use crate::compile::bytecode::Chunk;
use crate::compile::layout::TimeSlot;
use crate::compile::program::{op_label, ScoreKind};
use crate::compile::Compiled;
use crate::intern::Interner;
use crate::lang::hash::fnv1a;
use crate::lang::value::Val;
use chrono_tz::Tz;
use dary_heap::QuaternaryHeap;
use interpreter::Status;
use std::cell::{Cell, RefCell};
use std::cmp::Reverse;
use std::collections::HashMap;
use timers::TimerKind;

/// How deep triggers and `set`s may set each other off within one instant.
pub const MAX_CASCADE: u32 = 16;

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

    /// Keeps, from now on, what each `on` rule does for each lead (`vm::tally`), so a score
    /// can be explained rule by rule (the REPL, `--state`).
    pub fn keep_tallies(&mut self) {
        self.tallies.keep();
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

    /// A short label for a workflow instruction, for output and `in workflow W at step S`.
    pub fn step_label(&self, w: u16, pc: u32) -> String {
        op_label(&self.c, &self.c.workflows[w as usize].ops[pc as usize])
    }

    /// The variant of a lead's open run of a workflow: the arm it took at the last split it
    /// passed (`variant::Variants::of_run`).
    pub fn run_variant(&self, lead: u32, w: u16) -> Option<String> {
        let (l, id) = (&self.leads[lead as usize], &self.lead_ids[lead as usize]);
        self.variants.of_run(&self.c, l, id, w).map(str::to_string)
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
            Status::HeldOut => return Some("holdout".into()),
            _ => pc,
        };
        ops.get(at as usize).map(|op| op_label(&self.c, op))
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

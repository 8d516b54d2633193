//! What persistence (`--state`) and migration read and write of the machine: the journal of
//! touched leads, the counters, leads and timers put back, and runs carried to a changed
//! program.

use super::interpreter::Status;
use super::timers::{TimerKind, TimerRow};
use super::{Machine, Stats};
use crate::compile::program::op_label;
use crate::compile::Compiled;
use crate::vm::state::Lead;
use crate::vm::variant;
use std::cmp::Reverse;

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

impl Machine {
    /// Keeps track of what changes from now on, for `take_changes` (`--state`).
    pub fn set_journal(&mut self, on: bool) {
        self.journal = on;
    }

    pub(super) fn touch(&mut self, lead: u32) {
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
        let new_pc = if st == Status::HeldOut {
            // Held out it stays, whatever the workflow's holdout is now: it never ran a step.
            if to.workflows[to_w as usize].goal.is_none() {
                return Err("held out, and the workflow has no goal now".into());
            }
            0
        } else if st == Status::WatchingGoal {
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
}

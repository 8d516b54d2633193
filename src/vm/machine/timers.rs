//! The timer queue: runs' wakes, list rechecks and held sends, scheduled, persisted as rows,
//! and fired in order as the clock moves.

use super::cycle::{Cause, Cycle};
use super::interpreter::Status;
use super::{Machine, Sink};
use crate::compile::program::WOp;
use crate::compile::Compiled;
use crate::vm::action::Source;
use std::cmp::Reverse;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum TimerKind {
    Run(u16),
    Recheck,
    /// A trigger's `send` held by quiet hours, by trigger index.
    HeldSend(u16),
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
    pub(super) fn of(due: i64, seq: u64, lead: u32, kind: TimerKind) -> TimerRow {
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

impl Machine {
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

    pub(super) fn schedule(&mut self, due: i64, lead: u32, kind: TimerKind) {
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
                    Status::WatchingGoal | Status::HeldOut => self.end_run(lead, w),
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
}

//! When a lead's lists may change with no event: a `within` window closing, or a decaying
//! score crossing what a list compares it with; the lead's next recheck is queued for it.

use super::timers::TimerKind;
use super::Machine;
use crate::compile::program::ScoreKind;
use crate::vm::decay::solve_decay;

impl Machine {
    /// Schedules the next moment the lead's lists may change with no event: a `within`
    /// window closing, or a decaying score crossing what a list compares it with.
    /// The decay crossing is recomputed only when `decay_moved`: something that moves it
    /// changed; otherwise the one computed before still stands.
    ///
    /// The lead's `recheck` word holds the due time of its queued recheck. Windows mostly
    /// move later (each event pushes its window's close back), so a recheck already queued
    /// before the new time stays: when it fires it finds nothing due and moves itself on
    /// (`fire`). The timer heap so holds about one recheck a lead, not one per event.
    pub(super) fn schedule_recheck(&mut self, lead: u32, decay_moved: bool) {
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
    pub(super) fn next_recheck(&self, lead: u32, after: i64) -> Option<i64> {
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
    pub(super) fn recheck_due(&self, lead: u32, due: i64) -> bool {
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
    pub(super) fn decay_crossing(&mut self, lead: u32, settled: bool) -> Option<i64> {
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
}

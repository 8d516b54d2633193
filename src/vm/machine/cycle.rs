//! The event cycle: `track` and `identify`, then history, scores, list membership, triggers
//! and waits, repeated while `set`s change the lead.

use super::{EventRef, Machine, Sink, MAX_CASCADE};
use crate::compile::layout::Kept;
use crate::compile::program::{Derived, ScoreKind, TriggerSource};
use crate::lang::ops::EffectKind;
use crate::lang::value::Val;
use crate::vm::action::{ActionKind, Source};
use crate::vm::decay::{accumulated, reads_scores};
use crate::vm::ring;

/// What changed for a lead, so the cycle re-evaluates just the lists that can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cause {
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

/// Per-call context of a lead's cycle.
pub(super) struct Cycle<'s> {
    pub(super) lead: u32,
    pub(super) sink: &'s mut dyn Sink,
    /// Attributes changed by `set` since the last settle.
    pub(super) dirty: bool,
}

impl Machine {
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
    pub(super) fn after(
        &mut self,
        cy: &mut Cycle<'_>,
        ev: Option<EventRef<'_>>,
        cause: Cause,
        moved: bool,
    ) {
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
    pub(super) fn cycle(
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
                    self.run_trigger(cy, t, ev, depth);
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
    pub(super) fn settle(
        &mut self,
        lead: u32,
        cause: Cause,
        attrs: bool,
        changes: &mut Vec<(u16, bool)>,
    ) {
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
    pub(super) fn refresh_when_caches(&mut self, lead: u32) {
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
    pub(super) fn compute_scores(&self, lead: u32, t: i64) {
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
}

//! Evaluating a compiled chunk for a lead: the evaluator's view of the lead (`Env`), its
//! attributes, tags, scores, lists, history, and the event being processed.

use super::{EventRef, Machine};
use crate::compile::bytecode::Chunk;
use crate::compile::layout::{key_last, key_time, key_window, Kept};
use crate::lang::ops::HistoryKind;
use crate::lang::value::Val;
use crate::vm::eval::{eval, first_true, Env};
use crate::vm::ring;
use crate::vm::state::Lead;

impl Machine {
    pub(super) fn value_at(&self, lead: u32, chunk: &Chunk, t: i64) -> Val {
        self.eval_at(lead, chunk, None, None, false, t)
    }

    /// Evaluates a condition for a lead; `enrolled` is the run's start for `since enrolled`.
    pub(super) fn test(
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

    /// The first of `conds` that holds for a lead now (a decision's rows), each read through
    /// one view of the lead and one stack, as one chunk of `or`s would be: a row costs its
    /// instructions and no more.
    pub(super) fn first_holding<'c>(
        &self,
        lead: u32,
        conds: impl Iterator<Item = &'c Chunk>,
    ) -> Option<usize> {
        let env = LeadEnv {
            m: self,
            lead: &self.leads[lead as usize],
            at: lead,
            ev: None,
            enrolled: None,
            received: false,
            now: self.now,
        };
        first_true(conds, &self.c.pools, &env, &mut self.stack.borrow_mut())
    }

    pub(super) fn eval_chunk(
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

    fn kept(&self, k: u16) -> Val {
        self.lead.kept(&self.m.c, k)
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

//! When a lead's `within` windows close: the moments its lists can change with no event (a
//! recheck is due), from the stamps its history keeps. Predicates that read one aggregate
//! share its stamps, so each stamp is read once however many windows close over it.

use super::ring;
use super::state::Lead;
use crate::compile::layout::{key_time, Kept};
use crate::compile::Compiled;
use crate::lang::ops::HistoryKind;

/// The windows of every history predicate that has one, by the aggregate they read.
#[derive(Debug, Default)]
pub struct Windows {
    closing: Vec<Closing>,
}

/// Windows that close over the stamps of one aggregate.
#[derive(Debug)]
struct Closing {
    kept: Kept,
    /// Over every stamp of a ring (a windowed `count`), or only the latest match (`did`,
    /// `last`).
    every: bool,
    /// Their lengths, in milliseconds, shortest first.
    windows: Vec<i64>,
}

impl Windows {
    pub fn new(c: &Compiled) -> Windows {
        let mut closing: Vec<Closing> = Vec::new();
        for (pred, &kept) in c.pools.history.iter().zip(&c.layout.history) {
            let Some(w) = pred.within else { continue };
            let every = pred.kind == HistoryKind::Count && matches!(kept, Kept::Ring(_));
            match closing
                .iter_mut()
                .find(|x| x.kept == kept && x.every == every)
            {
                Some(x) => x.windows.push(w),
                None => closing.push(Closing {
                    kept,
                    every,
                    windows: vec![w],
                }),
            }
        }
        for x in &mut closing {
            x.windows.sort_unstable();
            x.windows.dedup();
        }
        Windows { closing }
    }

    /// The first moment after `after` at which a window closes over one of the lead's stamps.
    pub fn next_close(&self, l: &Lead, after: i64) -> Option<i64> {
        let mut next: Option<i64> = None;
        for x in &self.closing {
            // History keeps keys; a window closes at a time: the first after `after`.
            let mut closes = |k: i64| {
                let t = key_time(k);
                if let Some(at) = x.windows.iter().map(|w| t + w).find(|at| *at > after) {
                    next = Some(next.map_or(at, |n| n.min(at)));
                }
            };
            match x.kept {
                Kept::Ring(r) if x.every => ring::stamps(l, r).for_each(&mut closes),
                Kept::Ring(r) => ring::newest(l, r).into_iter().for_each(&mut closes),
                Kept::Last(at) => l.time(at).into_iter().for_each(&mut closes),
                Kept::Counter(_) => {}
            }
        }
        next
    }
}

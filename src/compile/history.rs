//! History aggregates: the least lead state that answers every history predicate.
//!
//! Each predicate reads one aggregate, and predicates over the same events through the same
//! filter share one: `did order.placed`, `… within 30d` and `… since enrolled` read one
//! "latest match" stamp, windowed counts one ring (as long as the longest needs), and a `did`
//! or `last` reads the newest stamp of a ring over the same events when there is one.

use super::bytecode::{Chunk, Op};
use super::expr::Pools;
use super::layout::{key_window, Aggregate, Kept, Layout, Planner, STAMP_BITS};
use super::program::Dispatch;
use super::DEFAULT_COUNT_WINDOW;
use crate::lang::ops::HistoryKind;

/// What an aggregate keeps, before it has a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Last,
    Counter,
    /// The stamps of the latest N matches.
    Ring(u32),
}

/// An aggregate before it has a place: its events, what it keeps, and the widest window
/// its counts read (`None` once one reads with no window).
struct Planned {
    event: u32,
    filter: Option<Chunk>,
    kind: Kind,
    window: Option<i64>,
}

/// Fills `layout.aggregates`, `layout.history` and every event's `dispatch[e].history` for the
/// predicates in `pools.history`, placing the aggregates with `plan`.
pub fn lay_out(pools: &Pools, layout: &mut Layout, plan: &mut Planner, dispatch: &mut [Dispatch]) {
    // The aggregate each predicate reads, in the order predicates first need them: an event
    // updates its aggregates in this order.
    let mut planned: Vec<Planned> = Vec::new();
    let mut reads = Vec::with_capacity(pools.history.len());
    for (i, h) in pools.history.iter().enumerate() {
        let windowed = h.within.is_some() || h.since_enrolled;
        let kind = match h.kind {
            HistoryKind::Count if windowed => {
                Kind::Ring(pools.count_bounds[i].unwrap_or(DEFAULT_COUNT_WINDOW))
            }
            HistoryKind::Count => Kind::Counter,
            HistoryKind::Did | HistoryKind::Last => Kind::Last,
        };
        let found = planned.iter().position(|a| {
            a.event == h.event && same_filter(&a.filter, &h.filter) && same_kind(a.kind, kind)
        });
        let index = match found {
            Some(a) => {
                // A ring shared by several counts keeps as many stamps as the largest needs,
                // for the widest of their windows.
                if let (Kind::Ring(have), Kind::Ring(need)) = (planned[a].kind, kind) {
                    planned[a].kind = Kind::Ring(have.max(need));
                    planned[a].window = match (planned[a].window, h.within) {
                        (Some(x), Some(y)) => Some(x.max(y)),
                        _ => None,
                    };
                }
                a
            }
            None => {
                planned.push(Planned {
                    event: h.event,
                    filter: h.filter.clone(),
                    kind,
                    window: h.within,
                });
                planned.len() - 1
            }
        };
        reads.push(index);
    }

    // A "latest match" stamp is the newest stamp of a ring over the same matches. Sharing
    // it moves its update to the ring's place in the event's order, which only matters when
    // a filter on that event reads scores (computed between two updates): then both stay.
    let mut kept = vec![true; planned.len()];
    for (a, last) in planned.iter().enumerate() {
        if last.kind != Kind::Last || scores_between_updates(&planned, last.event) {
            continue;
        }
        let ring = planned.iter().position(|r| {
            matches!(r.kind, Kind::Ring(_))
                && r.event == last.event
                && same_filter(&r.filter, &last.filter)
        });
        if let Some(ring) = ring {
            kept[a] = false;
            for x in reads.iter_mut().filter(|x| **x == a) {
                *x = ring;
            }
        }
    }

    let mut index = vec![0; planned.len()];
    for (a, p) in planned.into_iter().enumerate() {
        if !kept[a] {
            continue;
        }
        let kept = match p.kind {
            Kind::Last => Kept::Last(plan.time(STAMP_BITS)),
            Kind::Counter => Kept::Counter(plan.words(1)),
            // History keeps keys: its windows count in their unit.
            Kind::Ring(cap) => Kept::Ring(plan.ring(cap, p.window.map(key_window), STAMP_BITS)),
        };
        index[a] = layout.aggregates.len();
        dispatch[p.event as usize]
            .history
            .push(layout.aggregates.len() as u16);
        layout.aggregates.push(Aggregate {
            event: p.event,
            filter: p.filter,
            kept,
        });
    }
    layout.history = reads
        .iter()
        .map(|&a| layout.aggregates[index[a]].kept)
        .collect();
}

fn same_filter(a: &Option<Chunk>, b: &Option<Chunk>) -> bool {
    a.as_ref().map(|c| &c.ops) == b.as_ref().map(|c| &c.ops)
}

fn same_kind(a: Kind, b: Kind) -> bool {
    matches!(
        (a, b),
        (Kind::Last, Kind::Last) | (Kind::Counter, Kind::Counter) | (Kind::Ring(_), Kind::Ring(_))
    )
}

/// Whether the VM may compute scores between two aggregate updates of this event: it does
/// so before the first filter that reads a score.
fn scores_between_updates(planned: &[Planned], event: u32) -> bool {
    planned.iter().any(|a| {
        a.event == event
            && a.filter
                .as_ref()
                .is_some_and(|f| f.ops.iter().any(|op| matches!(op, Op::Score(_))))
    })
}

//! History aggregates: the least lead state that answers every history predicate.
//!
//! Each predicate reads one aggregate, and predicates over the same events through the same
//! filter share one: `did order.placed`, `… within 30d` and `… since enrolled` read one
//! "latest match" stamp, windowed counts one ring (as long as the longest needs), and a `did`
//! or `last` reads the newest stamp of a ring over the same events when there is one.

use super::bytecode::{Chunk, Op};
use super::expr::Pools;
use super::layout::{Aggregate, AggregateKind, Layout};
use super::program::Dispatch;
use super::DEFAULT_COUNT_WINDOW;
use crate::syntax::ast::HistoryKind;

/// Fills `layout.aggregates`, `layout.history` and every event's `dispatch[e].history` for the
/// predicates in `pools.history`, reserving the aggregates' words.
pub fn lay_out(pools: &Pools, layout: &mut Layout, dispatch: &mut [Dispatch]) {
    // The aggregate each predicate reads, in the order predicates first need them: an event
    // updates its aggregates in this order.
    let mut aggregates: Vec<Aggregate> = Vec::new();
    let mut reads = Vec::with_capacity(pools.history.len());
    for (i, h) in pools.history.iter().enumerate() {
        let windowed = h.within.is_some() || h.since_enrolled;
        let kind = match h.kind {
            HistoryKind::Count if windowed => {
                AggregateKind::Ring(pools.count_bounds[i].unwrap_or(DEFAULT_COUNT_WINDOW))
            }
            HistoryKind::Count => AggregateKind::Counter,
            HistoryKind::Did | HistoryKind::Last => AggregateKind::Last,
        };
        let found = aggregates.iter().position(|a| {
            a.event == h.event && same_filter(&a.filter, &h.filter) && same_kind(a.kind, kind)
        });
        let index = match found {
            Some(a) => {
                // A ring shared by several counts keeps as many stamps as the largest needs.
                if let (AggregateKind::Ring(have), AggregateKind::Ring(need)) =
                    (aggregates[a].kind, kind)
                {
                    aggregates[a].kind = AggregateKind::Ring(have.max(need));
                }
                a
            }
            None => {
                aggregates.push(Aggregate {
                    event: h.event,
                    filter: h.filter.clone(),
                    kind,
                    offset: 0,
                });
                aggregates.len() - 1
            }
        };
        reads.push(index);
    }

    // A "latest match" stamp is the newest stamp of a ring over the same matches. Sharing
    // it moves its update to the ring's place in the event's order, which only matters when
    // a filter on that event reads scores (computed between two updates): then both stay.
    let mut kept = vec![true; aggregates.len()];
    for (a, last) in aggregates.iter().enumerate() {
        if last.kind != AggregateKind::Last || scores_between_updates(&aggregates, last.event) {
            continue;
        }
        let ring = aggregates.iter().position(|r| {
            matches!(r.kind, AggregateKind::Ring(_))
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

    let mut index = vec![0; aggregates.len()];
    for (a, mut agg) in aggregates.into_iter().enumerate() {
        if !kept[a] {
            continue;
        }
        agg.offset = layout.reserve(match agg.kind {
            AggregateKind::Ring(n) => n,
            _ => 1,
        });
        index[a] = layout.aggregates.len();
        dispatch[agg.event as usize]
            .history
            .push(layout.aggregates.len() as u16);
        layout.aggregates.push(agg);
    }
    layout.history = reads
        .iter()
        .map(|&a| {
            let agg = &layout.aggregates[index[a]];
            match agg.kind {
                AggregateKind::Ring(n) => (agg.offset, n),
                _ => (agg.offset, 0),
            }
        })
        .collect();
}

fn same_filter(a: &Option<Chunk>, b: &Option<Chunk>) -> bool {
    a.as_ref().map(|c| &c.ops) == b.as_ref().map(|c| &c.ops)
}

fn same_kind(a: AggregateKind, b: AggregateKind) -> bool {
    matches!(
        (a, b),
        (AggregateKind::Last, AggregateKind::Last)
            | (AggregateKind::Counter, AggregateKind::Counter)
            | (AggregateKind::Ring(_), AggregateKind::Ring(_))
    )
}

/// Whether the VM may compute scores between two aggregate updates of this event: it does
/// so before the first filter that reads a score.
fn scores_between_updates(aggregates: &[Aggregate], event: u32) -> bool {
    aggregates.iter().any(|a| {
        a.event == event
            && a.filter
                .as_ref()
                .is_some_and(|f| f.ops.iter().any(|op| matches!(op, Op::Score(_))))
    })
}

//! Rings of the latest stamps (`compile::layout::Ring`): the newest whole, each other as its
//! distance back from the newest, plus one (0: no stamp), in a few bits.
//!
//! A ring behaves as `cap` whole stamps where a push replaces the oldest (or fills a free
//! place), except that a stamp too far behind the newest for the ring's bits is dropped.
//! That changes no count: a ring is only as narrow as its readers' windows allow, and stamps
//! only come in time order (the engine refuses a late record), so a reader never counts at a
//! time before the newest stamp, when a dropped one, a window or more behind it, could count.
//!
//! A ring knows no unit: it holds what it is given (history's keys, or the milliseconds of
//! caps), and counts in the same unit.

use super::state::{mask, Lead};
use crate::compile::layout::{Ring, TimeSlot};

/// The newest stamp as stored (0: none).
fn newest_raw(lead: &Lead, r: Ring) -> i64 {
    lead.bits(r.newest_field()) as i64
}

fn set_newest(lead: &mut Lead, r: Ring, t: i64) {
    lead.set_time(
        TimeSlot {
            bits: r.newest_field(),
        },
        Some(t),
    );
}

/// Adds a stamp `t`: it replaces the oldest, or takes a free place.
pub fn push(lead: &mut Lead, r: Ring, t: i64) {
    let t = t.clamp(1, mask(r.newest) as i64);
    let newest = match r.cap {
        0 => return,
        _ => newest_raw(lead, r),
    };
    if newest == 0 || r.cap == 1 {
        set_newest(lead, r, t);
        return;
    }
    // The stamp that is not the newest after the push joins the older ones, which move back
    // by as much as the newest moves on.
    let (to, joining) = if t >= newest {
        (t, newest)
    } else {
        (newest, t)
    };
    let (shift, full) = ((to - newest) as u64, mask(r.bits));
    let (mut free, mut oldest) = (None, None::<(u64, u32)>);
    for i in 0..r.cap - 1 {
        let f = r.older_field(i);
        let v = lead.bits(f);
        if v == 0 {
            free = free.or(Some(i));
            continue;
        }
        let d = v - 1 + shift;
        if d >= full {
            lead.set_bits(f, 0);
            free = free.or(Some(i));
            continue;
        }
        lead.set_bits(f, d + 1);
        if oldest.is_none_or(|(far, _)| d > far) {
            oldest = Some((d, i));
        }
    }
    let place = free.or(oldest.map(|(_, i)| i)).unwrap_or(0);
    let d = (to - joining) as u64;
    lead.set_bits(r.older_field(place), if d >= full { 0 } else { d + 1 });
    set_newest(lead, r, to);
}

/// The newest stamp: the latest push.
pub fn newest(lead: &Lead, r: Ring) -> Option<i64> {
    match r.cap {
        0 => None,
        _ => Some(newest_raw(lead, r)).filter(|t| *t != 0),
    }
}

/// Every stamp kept, the newest first.
pub fn stamps(lead: &Lead, r: Ring) -> impl Iterator<Item = i64> + '_ {
    let newest = newest(lead, r);
    let others = newest.map_or(0, |_| r.cap - 1);
    newest.into_iter().chain((0..others).filter_map(move |i| {
        let v = lead.bits(r.older_field(i)) as i64;
        (v != 0).then(|| newest.unwrap_or(0) - (v - 1))
    }))
}

/// The stamps that fall in `(now - window, now]`, and after `since` if given.
pub fn count(lead: &Lead, r: Ring, now: i64, window: Option<i64>, since: Option<i64>) -> u32 {
    stamps(lead, r)
        .filter(|t| *t <= now && window.is_none_or(|w| now - t < w) && since.is_none_or(|s| *t > s))
        .count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::time::{RECORD_TIME_BITS, TIME_BITS};

    /// A ring of whole stamps, as rings were kept before they were packed: a push replaces
    /// the oldest (an empty place, 0, first).
    fn model_push(model: &mut [i64], t: i64) {
        if let Some(oldest) = (0..model.len()).min_by_key(|i| model[*i]) {
            model[oldest] = t;
        }
    }

    #[test]
    fn a_packed_ring_counts_as_a_ring_of_whole_stamps() {
        let mut rng = fastrand::Rng::with_seed(7);
        for round in 0..3000 {
            let cap = rng.u32(0..12);
            let window = [
                1,
                60_000,
                3_600_000,
                86_400_000,
                7 * 86_400_000,
                30 * 86_400_000,
            ][rng.usize(0..6)];
            // Some rings are read with no window: every distance must fit.
            let open = round % 5 == 0;
            // A ring of sends keeps times past the last record's, in two more bits.
            let sends = round % 3 == 0;
            let width = if sends { TIME_BITS } else { RECORD_TIME_BITS };
            let at = rng.u32(0..3);
            let bits = Ring::bits_for((!open).then_some(window), width);
            let end = at + Ring::width(cap, bits, width).div_ceil(32);
            let r = Ring {
                at: at * 32,
                cap,
                bits,
                newest: width,
            };
            let mut slab = vec![0; end as usize + 2];
            let lead = Lead::of_mut(&mut slab);
            let mut model = vec![0i64; cap as usize];
            let mut now = match sends {
                // Crossing 2109, where the 42 bits of a record's time end.
                true => (1 << RECORD_TIME_BITS) - rng.i64(0..window * 20),
                false => 1_700_000_000_000 + rng.i64(0..1_000_000_000),
            };
            for _ in 0..rng.usize(0..40) {
                // Bursts and long gaps, in time order.
                now += [0, 1, rng.i64(0..window * 2), rng.i64(0..window * 40)][rng.usize(0..4)];
                push(lead, r, now);
                model_push(&mut model, now);
                assert_eq!(lead.words()[end as usize], 0, "the ring stays in its words");
                let newest_model = model.iter().max().filter(|t| **t != 0).copied();
                assert_eq!(newest(lead, r), newest_model);
                for _ in 0..4 {
                    let at = now + rng.i64(0..window * 2);
                    let w = if open && rng.bool() {
                        None
                    } else {
                        Some(rng.i64(1..=window))
                    };
                    let since = rng.bool().then(|| now - rng.i64(0..window * 3));
                    let expected = model
                        .iter()
                        .filter(|t| **t != 0)
                        .filter(|t| {
                            **t <= at
                                && w.is_none_or(|w| at - **t < w)
                                && since.is_none_or(|s| **t > s)
                        })
                        .count() as u32;
                    assert_eq!(count(lead, r, at, w, since), expected, "{r:?} {model:?}");
                }
            }
        }
    }
}

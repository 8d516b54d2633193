//! The order of what happens to a lead within one instant (docs/language.md, "since
//! enrolled"): history and enrollments keep keys (`compile::layout::key`), a time and a place
//! in its millisecond, so that `since enrolled` counts an event on a line after the one that
//! started a run, at the same time, and not the one that started it.

use super::state::Lead;
use crate::compile::layout::{key, key_order, key_time, TimeSlot};

/// The key of what happens to `lead` at `now`: after the starts of the runs, kept in
/// `since_runs` (the enrollments of the workflows that read `since enrolled`), that began in
/// this millisecond. An event history records takes it, and so does a run that starts.
pub fn next_key(lead: &Lead, since_runs: &[TimeSlot], now: i64) -> i64 {
    let after = (since_runs.iter())
        .filter_map(|slot| lead.time(*slot))
        .filter(|k| key_time(*k) == now)
        .map(|k| key_order(k) + 1)
        .max();
    key(now, after.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::layout::{Bits, ORDER_BITS};

    #[test]
    fn each_start_in_an_instant_moves_the_next_key_on_until_the_order_bits_run_out() {
        let slot = |at| TimeSlot {
            bits: Bits { at, width: 46 },
        };
        let runs = [slot(0), slot(64)];
        let mut slab = vec![0u32; 4];
        let lead = Lead::of_mut(&mut slab);
        let now = 1_772_442_000_250;
        assert_eq!(next_key(lead, &runs, now), key(now, 0));
        lead.set_time(runs[0], Some(key(now, 0)));
        assert_eq!(next_key(lead, &runs, now), key(now, 1));
        lead.set_time(runs[1], Some(key(now, 1)));
        assert_eq!(next_key(lead, &runs, now), key(now, 2));
        // A start in an earlier millisecond orders nothing now.
        lead.set_time(runs[1], Some(key(now - 1, 3)));
        assert_eq!(next_key(lead, &runs, now), key(now, 1));
        // The order saturates: later places share the last.
        lead.set_time(runs[0], Some(key(now, (1 << ORDER_BITS) - 1)));
        assert_eq!(next_key(lead, &runs, now), key(now, (1 << ORDER_BITS) - 1));
        assert_eq!(key_time(next_key(lead, &runs, now)), now);
    }
}

//! The range of times Nurture works in (language.md §15, "Time").
//!
//! A record's `timestamp` must lie from 1970-01-01 to 2100-01-01 ([`FIRST`] to
//! [`LAST_EVENT`]); the intake rejects any other, and the clock does not move for it. After
//! the input, `--until` may take the clock further, up to 2201-01-01 ([`LAST_CLOCK`]), so that
//! a wait of up to a century (the longest duration, `MAX_DURATION_SECONDS`) set by the last
//! accepted record can fire. Test blocks and the REPL keep to the same ranges.
//!
//! The VM writes the clock into lead state while timers fire, so some stored times may lie
//! past 2106, where `u32` seconds end: those are kept in 34 bits (`compile::layout::TimeSlot`),
//! which hold every time these ranges can reach ([`LAST_STORED`]).

use super::format;

/// Where a test's clock (and the REPL's) starts when it names no time: 2026-01-01T00:00:00Z.
pub const DEFAULT_START: i64 = 1_767_225_600;

/// Durations are capped at about 100 years so that time arithmetic never overflows.
pub const MAX_DURATION_SECONDS: i64 = 100 * 366 * 86_400;

/// 1970-01-01T00:00:00Z, the earliest time a record, a test or `--until` may give.
pub const FIRST: i64 = 0;
/// 2100-01-01T00:00:00Z, the latest `timestamp` a record may carry (and a test's event).
pub const LAST_EVENT: i64 = 4_102_444_800;
/// 2201-01-01T00:00:00Z, the latest time the clock may reach (`--until`, tests, the REPL).
pub const LAST_CLOCK: i64 = 7_289_654_400;
/// The latest time lead state can hold in a `TimeSlot`: 2^34 − 1 seconds (2514-05-30).
pub const LAST_STORED: i64 = (1 << 34) - 1;

// Whatever the VM schedules from a clock in range is due at most the longest duration later,
// plus two weeks for `wait until weekday` and a day for quiet hours: it must fit in a slot.
const _: () = assert!(LAST_CLOCK + MAX_DURATION_SECONDS + 16 * 86_400 <= LAST_STORED);
const _: () = assert!(LAST_EVENT + MAX_DURATION_SECONDS <= LAST_CLOCK);

/// Whether a record may carry this `timestamp`.
pub fn event_in_range(t: i64) -> bool {
    (FIRST..=LAST_EVENT).contains(&t)
}

/// Whether the clock may be moved to this time.
pub fn clock_in_range(t: i64) -> bool {
    (FIRST..=LAST_CLOCK).contains(&t)
}

/// Why a time is refused, in a marketer's words: "`timestamp` 1969-12-31T23:59:59Z is outside
/// the supported range 1970-01-01 to 2100-01-01". `last` is [`LAST_EVENT`] or [`LAST_CLOCK`].
pub fn out_of_range(what: &str, t: i64, last: i64) -> String {
    format!(
        "{what} {} is outside the supported range {} to {}",
        format::instant(t),
        day(FIRST),
        day(last)
    )
}

/// The date of an instant, `YYYY-MM-DD`.
fn day(t: i64) -> String {
    let mut s = format::instant(t);
    s.truncate(10);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::intake::parse_rfc3339;

    #[test]
    fn the_bounds_are_the_dates_they_say() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(FIRST));
        assert_eq!(parse_rfc3339("2100-01-01T00:00:00Z"), Some(LAST_EVENT));
        assert_eq!(parse_rfc3339("2201-01-01T00:00:00Z"), Some(LAST_CLOCK));
        assert_eq!(format::instant(LAST_STORED), "2514-05-30T01:53:03Z");
        assert_eq!(
            out_of_range("`timestamp`", -1, LAST_EVENT),
            "`timestamp` 1969-12-31T23:59:59Z is outside the supported range 1970-01-01 to 2100-01-01"
        );
        assert!(event_in_range(LAST_EVENT) && !event_in_range(LAST_EVENT + 1));
        assert!(clock_in_range(LAST_CLOCK) && !clock_in_range(-1));
    }
}

//! The range of times Nurture works in (language.md §15, "Time"), and their unit.
//!
//! Times are milliseconds since the Unix epoch, and durations milliseconds: a record's
//! `timestamp` keeps its RFC 3339 fraction to the millisecond, and so do the clock, timers
//! and the times actions are written with. The language writes durations in whole seconds
//! and more (`ast::Duration::seconds`), which the checker and the compiler turn into
//! milliseconds ([`from_seconds`]).
//!
//! A record's `timestamp` must lie from 1970-01-01 to 2100-01-01 ([`FIRST`] to
//! [`LAST_EVENT`]); the intake rejects any other, and the clock does not move for it. After
//! the input, `--until` may take the clock further, up to 2201-01-01 ([`LAST_CLOCK`]), so that
//! a wait of up to a century (the longest duration, [`MAX_DURATION`]) set by the last
//! accepted record can fire. Test blocks and the REPL keep to the same ranges.
//!
//! Lead state keeps times in bit fields as wide as what they can reach
//! (`compile::layout::TimeSlot`): [`RECORD_TIME_BITS`] for a record's time,
//! [`TIME_BITS`] for what the clock and the timers can reach ([`LAST_STORED`]).

use super::format;

/// Milliseconds in a second: times and durations are counted in milliseconds.
pub const MS_PER_SECOND: i64 = 1_000;

/// Where a test's clock (and the REPL's) starts when it names no time: 2026-01-01T00:00:00Z.
pub const DEFAULT_START: i64 = 1_767_225_600_000;

/// Durations are capped at about 100 years (of 366 days), in seconds as the language writes
/// them, so that time arithmetic never overflows.
pub const MAX_DURATION_SECONDS: i64 = 100 * 366 * 86_400;
/// The longest duration, in milliseconds.
pub const MAX_DURATION: i64 = MAX_DURATION_SECONDS * MS_PER_SECOND;

/// 1970-01-01T00:00:00Z, the earliest time a record, a test or `--until` may give.
pub const FIRST: i64 = 0;
/// 2100-01-01T00:00:00Z, the latest `timestamp` a record may carry (and a test's event).
pub const LAST_EVENT: i64 = 4_102_444_800_000;
/// 2201-01-01T00:00:00Z, the latest time the clock may reach (`--until`, tests, the REPL).
pub const LAST_CLOCK: i64 = 7_289_654_400_000;

/// Bits that hold every record time in milliseconds (up to 2^42 − 1, in 2109).
pub const RECORD_TIME_BITS: u32 = 42;
/// Bits that hold every time lead state may keep in milliseconds: [`LAST_STORED`].
pub const TIME_BITS: u32 = 44;
/// The latest time lead state can hold: 2^44 − 1 milliseconds (2527-06-23).
pub const LAST_STORED: i64 = (1 << TIME_BITS) - 1;

// Whatever the VM schedules from a clock in range is due at most the longest duration later,
// plus two weeks for `wait until weekday` and a day for quiet hours: it must fit.
const _: () = assert!(LAST_CLOCK + MAX_DURATION + 16 * 86_400_000 <= LAST_STORED);
const _: () = assert!(LAST_EVENT + MAX_DURATION <= LAST_CLOCK);
const _: () = assert!(LAST_EVENT < 1 << RECORD_TIME_BITS);

/// Seconds, as the language writes durations, in milliseconds.
pub const fn from_seconds(seconds: i64) -> i64 {
    seconds.saturating_mul(MS_PER_SECOND)
}

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
        assert_eq!(parse_rfc3339("2026-01-01T00:00:00Z"), Some(DEFAULT_START));
        assert_eq!(format::instant(LAST_STORED), "2527-06-23T06:20:44.415Z");
        assert_eq!(
            format::instant((1 << RECORD_TIME_BITS) - 1),
            "2109-05-15T07:35:11.103Z"
        );
        assert_eq!(
            out_of_range("`timestamp`", -1_000, LAST_EVENT),
            "`timestamp` 1969-12-31T23:59:59Z is outside the supported range 1970-01-01 to 2100-01-01"
        );
        assert!(event_in_range(LAST_EVENT) && !event_in_range(LAST_EVENT + 1));
        assert!(clock_in_range(LAST_CLOCK) && !clock_in_range(-1));
    }
}

//! Local time in a lead's zone: the next moment a `wait until [weekday] HH:MM` or the end of
//! quiet hours falls due, across daylight-saving gaps.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone, Weekday};
use chrono_tz::Tz;

/// The first instant at or after `now` (milliseconds since the Unix epoch) when the local
/// time in `tz` is `minutes` after midnight (on a weekday, if asked). A time in a
/// daylight-saving gap moves forward to the first valid instant.
pub fn next_local_time(tz: Tz, now: i64, minutes: u32, weekday: bool) -> i64 {
    let Some(local_now) = tz
        .timestamp_millis_opt(now)
        .single()
        .map(|t| t.naive_local())
    else {
        return now;
    };
    let mut day: NaiveDate = local_now.date();
    for _ in 0..14 {
        let skip = weekday && matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        if !skip {
            let naive: NaiveDateTime = day
                .and_hms_opt(minutes / 60, minutes % 60, 0)
                .expect("valid time of day");
            if let Some(t) = resolve_local(tz, naive) {
                if t >= now {
                    return t;
                }
            }
        }
        day = day.succ_opt().unwrap_or(day);
    }
    now
}

fn resolve_local(tz: Tz, naive: NaiveDateTime) -> Option<i64> {
    use chrono::LocalResult;
    let mut n = naive;
    // Walk forward minute by minute out of a gap (at most a few hours).
    for _ in 0..(4 * 60) {
        match tz.from_local_datetime(&n) {
            LocalResult::Single(t) => return Some(t.timestamp_millis()),
            LocalResult::Ambiguous(a, _) => return Some(a.timestamp_millis()),
            LocalResult::None => n += chrono::Duration::minutes(1),
        }
    }
    None
}

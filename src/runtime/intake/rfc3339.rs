//! RFC 3339 times, as milliseconds since the Unix epoch: the common shape read directly, the
//! rest through chrono.

/// An RFC 3339 time as milliseconds since the Unix epoch (a fraction finer than the
/// millisecond dropped, as chrono's `timestamp_millis()` does). The common
/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` shape is read directly; everything else goes through chrono.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    fast_rfc3339(s.as_bytes()).or_else(|| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_millis())
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` with every field in range (no leap second), or `None`
/// to leave the string to chrono.
pub(super) fn fast_rfc3339(b: &[u8]) -> Option<i64> {
    let n = b.len();
    if !(20..=30).contains(&n) || b[n - 1] != b'Z' {
        return None;
    }
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if n > 20 && (b[19] != b'.' || n == 21 || !b[20..n - 1].iter().all(u8::is_ascii_digit)) {
        return None;
    }
    let year = two_digits(b, 0)? * 100 + two_digits(b, 2)?;
    let month = two_digits(b, 5)?;
    let day = two_digits(b, 8)?;
    let hour = two_digits(b, 11)?;
    let minute = two_digits(b, 14)?;
    let second = two_digits(b, 17)?;
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    // The fraction's first three digits are the milliseconds; finer ones are dropped.
    let millis = b[20.min(n - 1)..n - 1]
        .iter()
        .chain(b"000")
        .take(3)
        .fold(0, |ms, d| ms * 10 + i64::from(d - b'0'));
    let days = days_from_civil(i64::from(year), month, day);
    let seconds = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some(seconds * 1_000 + millis)
}

#[inline]
pub(super) fn two_digits(b: &[u8], at: usize) -> Option<u32> {
    let (hi, lo) = (*b.get(at)?, *b.get(at + 1)?);
    if hi.is_ascii_digit() && lo.is_ascii_digit() {
        Some(u32::from(hi - b'0') * 10 + u32::from(lo - b'0'))
    } else {
        None
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

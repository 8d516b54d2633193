//! How values are written in actions and messages.

use chrono::{DateTime, SecondsFormat, Utc};

/// An instant as RFC 3339 in UTC, to the second.
pub fn instant(seconds: i64) -> String {
    DateTime::<Utc>::from_timestamp(seconds, 0)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| seconds.to_string())
}

/// A duration in the language's own units: `3d`, `1d12h`, `90s`. Days are the largest unit,
/// as marketers write them (`7d`, `30d`).
pub fn duration(seconds: i64) -> String {
    if seconds == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = seconds.unsigned_abs();
    if seconds < 0 {
        out.push('-');
    }
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// A number with at most two decimals, and none when it is whole.
pub fn number(n: f64) -> String {
    let rounded = (n * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else {
        let s = format!("{rounded:.2}");
        s.trim_end_matches('0').to_string()
    }
}

/// A text from outside (a lead id, a trait) made safe to print on a line of its own: control
/// characters, and others that move or reorder what a terminal shows, are written as Rust-style
/// escapes (`\n`, `\u{1b}`), so an id cannot break a one-id-a-line list or reach the terminal
/// as a command.
pub fn escaped(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || c == '\\'
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// A time of day as `HH:MM`.
pub fn time_of_day(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_act_on() {
        assert_eq!(escaped("ann"), "ann");
        assert_eq!(escaped("ann\nbob"), "ann\\nbob");
        assert_eq!(escaped("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(escaped("a\\b"), "a\\\\b");
        assert_eq!(escaped("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(escaped("Zoë"), "Zoë");
    }

    #[test]
    fn formats() {
        assert_eq!(duration(3 * 86_400), "3d");
        assert_eq!(duration(36 * 3_600), "1d12h");
        assert_eq!(duration(14 * 86_400), "14d");
        assert_eq!(number(30.0), "30");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(1.0 / 3.0), "0.33");
        assert_eq!(instant(1_772_442_000), "2026-03-02T09:00:00Z");
        assert_eq!(time_of_day(600), "10:00");
    }
}

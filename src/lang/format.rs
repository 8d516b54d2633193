//! How values are written in actions and messages.

use chrono::{DateTime, SecondsFormat, Utc};

/// An instant (milliseconds since the Unix epoch) as RFC 3339 in UTC: to the second, with
/// the milliseconds after a `.` only when there are some (`2026-03-02T09:00:00Z`,
/// `2026-03-02T09:00:00.250Z`).
pub fn instant(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
        .unwrap_or_else(|| ms.to_string())
}

/// A duration (milliseconds) in the language's own units: `3d`, `1d12h`, `90s`, with the
/// milliseconds of a duration computed from times as a fraction of its seconds (`1.5s`).
/// Days are the largest unit, as marketers write them (`7d`, `30d`).
pub fn duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    if ms < 0 {
        out.push('-');
    }
    let (mut rest, millis) = (ms.unsigned_abs() / 1_000, ms.unsigned_abs() % 1_000);
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    match (rest, millis) {
        (0, 0) => {}
        (s, 0) => out.push_str(&format!("{s}s")),
        (s, m) => {
            let fraction = format!("{m:03}");
            out.push_str(&format!("{s}.{}s", fraction.trim_end_matches('0')));
        }
    }
    out
}

/// A number with at most two decimals, and none when it is whole; NaN, which a missing
/// score is, as `missing`.
pub fn number(n: f64) -> String {
    if n.is_nan() {
        return "missing".into();
    }
    let rounded = (n * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else {
        let s = format!("{rounded:.2}");
        s.trim_end_matches('0').to_string()
    }
}

/// A text from outside (a lead id, a trait) made safe to print on a line of its own: control
/// characters, others that move or reorder what a terminal shows or print nothing at all
/// (`non_printing`), and the backslash, are written as Rust-style escapes (`\n`, `\u{1b}`,
/// `\\`), so an id cannot break a one-id-a-line list or reach the terminal as a command, and
/// an escape cannot be mistaken for the text.
pub fn escaped(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c == '\\' || non_printing(c);
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

/// Whether a character prints nothing of its own and may change how what follows shows
/// on a terminal: C0 controls (newline and tab included), DEL, C1 controls, the bidirectional
/// marks, embeddings, overrides and isolates, invisible characters (the zero-width space, the
/// soft hyphen, the word joiner), the line and paragraph separators and the byte-order mark.
/// The zero-width joiner and non-joiner print as part of the text around them (an emoji
/// sequence, a Persian word) and are left alone.
pub fn non_printing(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{61c}'
                | '\u{180e}'
                | '\u{200b}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        )
}

/// A value as one line of JSON that is as safe to print as `escaped` text: serde_json
/// escapes only C0 controls, so every other non-printing character (DEL, C1, bidirectional
/// overrides …) is written as a `\u` escape too. The parsed value is the same.
pub fn json_line(value: &serde_json::Value) -> String {
    let compact = value.to_string();
    if !compact.chars().any(non_printing) {
        return compact;
    }
    // Compact JSON has no whitespace of its own: such a character can only be in a string,
    // where a `\u` escape stands for it.
    let mut out = String::with_capacity(compact.len() + 8);
    for c in compact.chars() {
        if non_printing(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

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
        assert_eq!(duration(3 * 86_400_000), "3d");
        assert_eq!(duration(36 * 3_600_000), "1d12h");
        assert_eq!(duration(14 * 86_400_000), "14d");
        assert_eq!(duration(90_000), "1m30s");
        assert_eq!(duration(1_500), "1.5s");
        assert_eq!(duration(-60_250), "-1m0.25s");
        assert_eq!(number(30.0), "30");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(1.0 / 3.0), "0.33");
        assert_eq!(instant(1_772_442_000_000), "2026-03-02T09:00:00Z");
        assert_eq!(instant(1_772_442_000_100), "2026-03-02T09:00:00.100Z");
        assert_eq!(time_of_day(600), "10:00");
    }

    #[test]
    fn escaped_covers_every_non_printing_character() {
        assert!(matches!(escaped("u-1042 Zoë"), Cow::Borrowed(_)));
        assert_eq!(escaped("ann\nbob"), "ann\\nbob");
        assert_eq!(escaped("a\tb\rc"), "a\\tb\\rc");
        assert_eq!(escaped("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(escaped("del\u{7f}"), "del\\u{7f}");
        assert_eq!(escaped("c1\u{9b}2J"), "c1\\u{9b}2J");
        assert_eq!(escaped("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(escaped("x\u{2067}y\u{2069}"), "x\\u{2067}y\\u{2069}");
        assert_eq!(escaped("zero\u{200b}width"), "zero\\u{200b}width");
        assert!(matches!(escaped("👩\u{200d}💻"), Cow::Borrowed(_)));
        // A backslash is doubled: the text `a\n` is not the text with a newline.
        assert_eq!(escaped("a\\n"), "a\\\\n");
        assert_ne!(escaped("a\\n"), escaped("a\n"));
    }

    #[test]
    fn json_lines_escape_what_does_not_print_and_parse_back() {
        let v = serde_json::json!({"id": "ann\nbob\u{1b}[2J\u{9b}\u{202e}\u{7f}", "n": 1});
        let line = json_line(&v);
        assert!(!line.chars().any(non_printing), "{line}");
        assert_eq!(
            line,
            r#"{"id":"ann\nbob\u001b[2J\u009b\u202e\u007f","n":1}"#
        );
        assert_eq!(serde_json::from_str::<serde_json::Value>(&line).unwrap(), v);
        assert_eq!(json_line(&serde_json::json!("plain")), "\"plain\"");
    }
}

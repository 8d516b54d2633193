//! Source text quoted inline, as a marketer wrote it: comments dropped, whitespace squeezed.
//! Diagrams label their steps with it, and the checked program names the rules output
//! records quote (a trigger, a `suppress when`) with it.

/// The source text in `range`, comments dropped and whitespace squeezed to single spaces.
/// A range outside the source, or not on character boundaries, gives `…`.
pub fn source_text(source: &str, range: std::ops::Range<usize>) -> String {
    match source.get(range) {
        Some(text) => squeeze(&strip_comments(text)),
        None => "…".to_string(),
    }
}

/// `text` without its `//` comments. Strings, with `{…}` interpolations that may hold strings
/// of their own, are skipped over.
fn strip_comments(text: &str) -> String {
    // Each level: true inside a string, false in code (the top, or an interpolation).
    let mut stack = vec![false];
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let in_string = *stack.last().unwrap_or(&false);
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => {
                    stack.pop();
                }
                '{' => stack.push(false),
                _ => {}
            }
        } else if c == '/' && chars.peek() == Some(&'/') {
            for c in chars.by_ref() {
                if c == '\n' {
                    out.push('\n');
                    break;
                }
            }
        } else {
            out.push(c);
            match c {
                '"' => stack.push(true),
                '}' if stack.len() > 1 => {
                    stack.pop();
                }
                _ => {}
            }
        }
    }
    out
}

/// Whitespace runs become one space; none at either end.
pub fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_is_squeezed() {
        assert_eq!(squeeze("  a\n   and\tb  "), "a and b");
    }

    #[test]
    fn comments_are_dropped_but_not_inside_strings() {
        let text = "a or // why\n  b == \"http://x\" and \"{c ?? \"//\"}\" // more";
        assert_eq!(
            source_text(text, 0..text.len()),
            "a or b == \"http://x\" and \"{c ?? \"//\"}\""
        );
    }

    #[test]
    fn a_range_off_the_source_is_an_ellipsis() {
        assert_eq!(source_text("abc", 2..10), "…");
        assert_eq!(source_text("é", 1..2), "…");
    }
}

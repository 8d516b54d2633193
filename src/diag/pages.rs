//! `nurture explain CODE`: the section of `docs/diagnostics.md` about one code, as plain text.
//!
//! The page is embedded in the binary, so `explain` works anywhere and always matches the
//! checker it ships with.

use super::{Code, Severity};

/// The diagnostics reference, one `## CODE name` section per code.
pub const DIAGNOSTICS_MD: &str = include_str!("../../docs/diagnostics.md");

/// The explanation of a code, given as a code (`E0101`, any case) or a name
/// (`unknown-name`), as plain text for a terminal. `None` when no such code exists.
pub fn explain(code_or_name: &str) -> Option<String> {
    let code = Code::parse(code_or_name)?;
    let section = section(DIAGNOSTICS_MD, code)?;
    Some(to_plain_text(code, section))
}

/// The Markdown of the section headed `## CODE name`, heading excluded, up to the next
/// heading (`#` or `##`) outside a code block.
fn section(doc: &str, code: Code) -> Option<&str> {
    let heading = format!("## {} {}", code.as_str(), code.name());
    let mut offset = 0;
    let mut start = None;
    let mut in_fence = false;
    for line in doc.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if trimmed.starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence && trimmed.starts_with('#') {
            if let Some(s) = start {
                return Some(&doc[s..offset]);
            }
            if trimmed == heading {
                start = Some(offset + line.len());
            }
        }
        offset += line.len();
    }
    start.map(|s| &doc[s..])
}

/// Markdown to terminal text: code blocks indented instead of fenced, links reduced to their
/// text, emphasis markers dropped. Inline code keeps its backticks, which read well as is.
fn to_plain_text(code: Code, body: &str) -> String {
    let severity = code.severity().as_str();
    let mut out = format!(
        "{} {} ({severity}): {}\n\n",
        code.as_str(),
        code.name(),
        code.summary()
    );
    let mut in_fence = false;
    for line in body.trim().lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            if line.is_empty() {
                out.push('\n');
            } else {
                out.push_str("    ");
                out.push_str(line);
                out.push('\n');
            }
        } else {
            out.push_str(&inline_to_plain(line));
            out.push('\n');
        }
    }
    // W0110 reports a broken silencing comment, so it cannot itself be silenced.
    if code.severity() == Severity::Warning && code != Code::UnknownIgnore {
        out.push_str(&format!(
            "\nTo silence this warning where it does not apply, put\n\
             `// nurture: ignore {0}` on the line or the line before;\n\
             `// nurture: ignore-file {0}` silences it in the whole file.\n",
            code.as_str()
        ));
    }
    out
}

/// `[text](target)` becomes `text`; `**bold**` becomes `bold`. Inside inline code nothing
/// changes.
fn inline_to_plain(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    let mut in_code = false;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            in_code = !in_code;
            out.push(c);
            rest = &rest[1..];
            continue;
        }
        if !in_code {
            if let Some(after) = rest.strip_prefix("**") {
                rest = after;
                continue;
            }
            if c == '[' {
                if let Some((text, after)) = link(rest) {
                    out.push_str(&inline_to_plain(text));
                    rest = after;
                    continue;
                }
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Splits `[text](target)rest` into `text` and `rest`.
fn link(s: &str) -> Option<(&str, &str)> {
    let close = s.find("](")?;
    let text = &s[1..close];
    if text.contains('[') {
        return None;
    }
    let after = &s[close + 2..];
    let end = after.find(')')?;
    Some((text, &after[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_an_explanation() {
        for code in Code::ALL {
            let text = explain(code.as_str()).unwrap_or_else(|| panic!("no section for {code}"));
            assert!(
                text.starts_with(&format!("{} {} (", code.as_str(), code.name())),
                "{code}: {text}"
            );
            assert!(text.contains("Wrong:"), "{code} has no Wrong: example");
            assert!(text.contains("Fixed:"), "{code} has no Fixed: example");
        }
    }

    #[test]
    fn code_is_case_insensitive_and_name_works() {
        let by_code = explain("E0101").unwrap();
        assert_eq!(explain("e0101").unwrap(), by_code);
        assert_eq!(explain("  E0101 ").unwrap(), by_code);
        assert_eq!(explain("unknown-name").unwrap(), by_code);
        assert!(by_code.starts_with("E0101 unknown-name (error): a name that is not declared"));
    }

    #[test]
    fn unknown_codes_have_no_explanation() {
        assert_eq!(explain("E9999"), None);
        assert_eq!(explain("no-such-lint"), None);
        assert_eq!(explain(""), None);
    }

    #[test]
    fn a_section_stops_at_the_next_heading() {
        let text = explain("E0101").unwrap();
        assert!(text.contains("engagment"), "{text}");
        assert!(!text.contains("E0102"), "ran into the next section: {text}");
        // The last section of a group stops at the group heading too.
        let text = explain("E0006").unwrap();
        assert!(!text.contains("# Names"), "{text}");
        assert!(!text.contains("E0101"), "{text}");
    }

    #[test]
    fn code_blocks_are_indented_not_fenced() {
        let text = explain("E0101").unwrap();
        assert!(!text.contains("```"), "{text}");
        assert!(text.contains("\n    score engagement {\n      on email.opened add 2\n    }\n"));
    }

    #[test]
    fn links_and_bold_become_plain_words() {
        assert_eq!(
            inline_to_plain("see [W0110 unknown-ignore](#w0110-unknown-ignore) **now**"),
            "see W0110 unknown-ignore now"
        );
        assert_eq!(
            inline_to_plain("`[a](b)` and `**x**`"),
            "`[a](b)` and `**x**`"
        );
        assert_eq!(inline_to_plain("a [b] c"), "a [b] c");
        assert_eq!(inline_to_plain("Zürich [é](x)"), "Zürich é");
    }

    #[test]
    fn warnings_say_how_to_silence_them_and_errors_do_not() {
        assert!(explain("W0103")
            .unwrap()
            .contains("// nurture: ignore W0103"));
        assert!(!explain("E0103").unwrap().contains("nurture: ignore E0103"));
        assert!(!explain("W0110").unwrap().contains("nurture: ignore W0110"));
    }

    #[test]
    fn section_finds_headings_only_outside_code_blocks() {
        let doc = "## E0101 unknown-name\nx\n```\n## E0102 unknown-event\n```\ny\n## E0102 unknown-event\nz\n";
        assert_eq!(
            section(doc, Code::UnknownName),
            Some("x\n```\n## E0102 unknown-event\n```\ny\n")
        );
        assert_eq!(section(doc, Code::UnknownEvent), Some("z\n"));
        assert_eq!(section(doc, Code::Duplicate), None);
    }
}

//! Quick fixes: the edits a diagnostic already names. The checker words a fix it is sure of
//! in its help and labels ("did you mean `engagement`?", "write `30d`", "write the unit right
//! after the number: `3d` for days, …"); a fix applies only where the text under the
//! diagnostic is one word, so that replacing it cannot swallow anything else.

use crate::diag::Diagnostic;
use crate::lang::span::Span;

/// One edit that fixes a diagnostic.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    pub title: String,
    pub span: Span,
    pub replacement: String,
}

/// The fixes for a diagnostic over `text`.
pub fn fixes(text: &str, d: &Diagnostic) -> Vec<Fix> {
    let Some(under) = text.get(d.span.range()) else {
        return Vec::new();
    };
    let one_word = !under.is_empty()
        && under
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | ':'));
    if !one_word {
        return Vec::new();
    }
    let words = [
        d.help.as_deref(),
        d.label.as_deref(),
        Some(d.message.as_str()),
    ];
    let mut out = Vec::new();
    for said in words.into_iter().flatten() {
        for (lead, title) in [("did you mean `", "Change to"), ("write `", "Write")] {
            for replacement in quoted_after(said, lead) {
                if replacement != under && !out.iter().any(|f: &Fix| f.replacement == replacement) {
                    out.push(Fix {
                        title: format!("{title} `{replacement}`"),
                        span: d.span,
                        replacement,
                    });
                }
            }
        }
        if let Some(list) = said.strip_prefix("write the unit right after the number: ") {
            for replacement in quoted_after(list, "`") {
                if replacement.starts_with(under)
                    && !out.iter().any(|f| f.replacement == replacement)
                {
                    out.push(Fix {
                        title: format!("Write `{replacement}`"),
                        span: d.span,
                        replacement,
                    });
                }
            }
        }
    }
    out
}

/// Each `…` that follows `lead` in `text`.
fn quoted_after(text: &str, lead: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(lead) {
        rest = &rest[at + lead.len()..];
        let Some(end) = rest.find('`') else { break };
        out.push(rest[..end].to_string());
        rest = &rest[end + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ide::Document;

    fn fixes_of(text: &str) -> Vec<(String, String)> {
        let doc = Document::new(text.to_string());
        doc.diagnostics()
            .iter()
            .flat_map(|d| fixes(text, d))
            .map(|f| (text[f.span.range()].to_string(), f.replacement))
            .collect()
    }

    #[test]
    fn fixes_come_from_what_the_checker_says() {
        let base = "lead { email: string }\nscore engagement { on email.opened add 1 }\n";
        assert_eq!(
            fixes_of(&format!("{base}list hot = engagment > 3\n")),
            [("engagment".to_string(), "engagement".to_string())]
        );
        let unit = fixes_of(&format!(
            "{base}workflow w {{\n  wait 3\n  send email \"x\"\n}}\n"
        ));
        assert_eq!(
            unit,
            [("3", "3d"), ("3", "3h"), ("3", "3m")].map(|(a, b)| (a.to_string(), b.to_string()))
        );
        let months = fixes_of(&format!(
            "{base}workflow w {{\n  wait 2mo\n  send email \"x\"\n}}\n"
        ));
        assert_eq!(months, [("2mo".to_string(), "60d".to_string())]);
        let clock = fixes_of(&format!(
            "{base}policy {{\n  quiet hours 9pm to 08:00\n}}\n"
        ));
        assert_eq!(clock, [("9pm".to_string(), "21:00".to_string())]);
    }
}

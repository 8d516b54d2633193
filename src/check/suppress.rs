//! In-file silencing of lints: `// nurture: ignore W0103` (or the lint's name) silences that
//! lint on the same line or the next; `// nurture: ignore-file W0103` silences it everywhere
//! in the file. Errors cannot be silenced.

use super::suggest;
use crate::diag::{Code, Diagnostic, Severity};
use crate::lang::span::{LineIndex, Span};
use crate::syntax::lexer::{tokens, Token};
use std::collections::{HashMap, HashSet};

/// Drops the warnings that `nurture: ignore` comments silence, and reports comments naming
/// no warning. Linear in the source and the diagnostics: lines come from one index, and each
/// warning looks its line up in a map of the comments.
pub fn apply(source: &str, diags: &mut Vec<Diagnostic>) {
    // Built at the first comment that needs it: most files have none.
    let mut lines: Option<LineIndex> = None;
    // Codes silenced on a line (a comment silences its own line and the next), and in the
    // whole file.
    let mut by_line: HashMap<usize, Vec<Code>> = HashMap::new();
    let mut file_wide: HashSet<Code> = HashSet::new();
    let mut any = false;
    let mut budget = suggest::Budget::default();
    for (tok, range) in tokens(source) {
        if tok != Some(Token::Comment) {
            continue;
        }
        let text = source[range.clone()].trim_start_matches('/').trim();
        let Some(rest) = text.strip_prefix("nurture:") else {
            continue;
        };
        let rest = rest.trim();
        let (whole_file, list) = if let Some(l) = rest.strip_prefix("ignore-file") {
            (true, l)
        } else if let Some(l) = rest.strip_prefix("ignore") {
            (false, l)
        } else {
            continue;
        };
        let mut codes = Vec::new();
        let list_start = list.as_ptr() as usize - source.as_ptr() as usize;
        for (offset, word) in words(list) {
            let span = Span::new(list_start + offset, list_start + offset + word.len());
            match Code::parse(word) {
                Some(code) if code.severity() == Severity::Warning => codes.push(code),
                Some(code) if code.severity() == Severity::Note => diags.push(
                    Diagnostic::new(
                        Code::UnknownIgnore,
                        span,
                        format!("{} is a note about the report, not a lint", code.as_str()),
                    )
                    .with_label("a note's code")
                    .with_help("only warnings (codes starting with W) can be ignored"),
                ),
                Some(code) => diags.push(
                    Diagnostic::new(
                        Code::UnknownIgnore,
                        span,
                        format!("{} is an error, and errors cannot be ignored", code.as_str()),
                    )
                    .with_label("an error code")
                    .with_help("fix the error instead; only warnings (codes starting with W) can be ignored"),
                ),
                None => diags.push(
                    Diagnostic::new(
                        Code::UnknownIgnore,
                        span,
                        format!("`{word}` is not a lint that can be ignored"),
                    )
                    .with_label("no such lint")
                    .with_help(match suggest::closest(&mut budget, word, Code::ALL.iter().map(|c| c.name())) {
                        Some(name) => format!("did you mean `{name}`?"),
                        None => "name a warning by its code (`W0103`) or its name (`unused-event`)".to_string(),
                    }),
                ),
            }
        }
        any = true;
        if whole_file {
            file_wide.extend(codes);
        } else {
            let index = lines.get_or_insert_with(|| LineIndex::new(source));
            let line = index.line_col(range.start as u32).0;
            for l in [line, line + 1] {
                by_line.entry(l).or_default().extend(&codes);
            }
        }
    }
    if !any {
        return;
    }
    let lines = lines.unwrap_or_else(|| LineIndex::new(source));
    diags.retain(|d| {
        if d.severity != Severity::Warning || d.code == Code::UnknownIgnore {
            return true;
        }
        if file_wide.contains(&d.code) {
            return false;
        }
        let line = lines.line_col(d.span.start).0;
        !by_line
            .get(&line)
            .is_some_and(|codes| codes.contains(&d.code))
    });
}

/// The words of a comma- or space-separated list, with their byte offsets.
fn words(list: &str) -> impl Iterator<Item = (usize, &str)> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - list.as_ptr() as usize, w))
}

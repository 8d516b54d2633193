//! In-file silencing of lints: `// nurture: ignore W0103` (or the lint's name) silences that
//! lint on the same line or the next; `// nurture: ignore-file W0103` silences it everywhere
//! in the file. Errors cannot be silenced.

use super::suggest;
use crate::diag::{Code, Diagnostic, Severity};
use crate::lang::span::{line_col, Span};
use crate::syntax::lexer::{tokens, Token};

struct Ignore {
    line: usize,
    whole_file: bool,
    codes: Vec<Code>,
}

pub fn apply(source: &str, diags: &mut Vec<Diagnostic>) {
    let mut ignores = Vec::new();
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
                    .with_help(match suggest::closest(word, Code::ALL.iter().map(|c| c.name())) {
                        Some(name) => format!("did you mean `{name}`?"),
                        None => "name a warning by its code (`W0103`) or its name (`unused-event`)".to_string(),
                    }),
                ),
            }
        }
        ignores.push(Ignore {
            line: line_col(source, range.start as u32).0,
            whole_file,
            codes,
        });
    }
    if ignores.is_empty() {
        return;
    }
    diags.retain(|d| {
        if d.severity != Severity::Warning || d.code == Code::UnknownIgnore {
            return true;
        }
        let line = line_col(source, d.span.start).0;
        !ignores.iter().any(|ig| {
            ig.codes.contains(&d.code) && (ig.whole_file || ig.line == line || ig.line + 1 == line)
        })
    });
}

/// The words of a comma- or space-separated list, with their byte offsets.
fn words(list: &str) -> impl Iterator<Item = (usize, &str)> {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - list.as_ptr() as usize, w))
}

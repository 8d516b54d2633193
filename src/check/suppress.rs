//! In-file silencing of lints: `// nurture: ignore W0103` (or the lint's name) silences that
//! lint on the same line or the next; `// nurture: ignore-file W0103` silences it everywhere
//! in the file. Errors cannot be silenced.

use crate::diag::{Code, Diagnostic, Severity};
use crate::syntax::lexer::{tokens, Token};
use crate::syntax::span::{line_col, Span};

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
        for word in list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
        {
            match Code::parse(word) {
                Some(code) if code.severity() == Severity::Warning => codes.push(code),
                _ => diags.push(
                    Diagnostic::new(
                        Code::UnknownIgnore,
                        Span::new(range.start, range.end),
                        format!("`{word}` is not a lint that can be ignored"),
                    )
                    .with_help("name a warning by its code (`W0103`) or its name (`unused-event`); errors cannot be ignored"),
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

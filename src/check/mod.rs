//! Name resolution, types and lints: from a syntax tree to a checked `Program`, or diagnostics.
//!
//! Checking never panics and never stops at the first problem: every declaration is checked,
//! and an expression with an error gets the type `Ty::Error` so one mistake is reported once.

mod assume;
mod checker;
mod cycles;
mod hints;
mod lints;
pub mod program;
pub mod repl;
mod suggest;
mod suppress;
mod trigger_loops;
pub mod visit;

use crate::diag::{Diagnostic, FileReport, SourceFile};
use crate::syntax::{self, limits};
pub use checker::{MAX_OF_A_KIND, REGEX_SIZE_LIMIT};
pub use program::Program;

/// The prelude, written in Nurture, loaded before every campaign.
pub const PRELUDE: &str = include_str!("../../stdlib/prelude.nurture");

/// The outcome of checking one file.
#[derive(Debug)]
pub struct Checked {
    /// The diagnostics, errors and warnings, in source order: at most `diag::MAX_SHOWN`
    /// of them, then an `N0001` note counting the rest.
    pub report: FileReport,
    /// The checked program, when there is no error.
    pub program: Option<Program>,
}

/// Checks one campaign file given as raw bytes (it may not even be UTF-8).
pub fn check_source(name: &str, bytes: &[u8]) -> Checked {
    let text = match limits::decode(bytes) {
        Ok(text) => text,
        Err(mut diag) => {
            // Keep the valid text before a bad byte, so the diagnostic can point at it.
            let at = match std::str::from_utf8(bytes) {
                Err(e) => e.valid_up_to(),
                Ok(_) => 0,
            };
            let shown = &bytes[..bytes.len().min(at + 256)];
            let text = String::from_utf8_lossy(shown).into_owned();
            if diag.code == crate::diag::Code::NotUtf8 {
                let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                diag.span = crate::lang::span::Span::new(at, end);
                diag.label = Some("not UTF-8".into());
            }
            return Checked {
                report: FileReport::new(
                    SourceFile {
                        name: name.to_string(),
                        text,
                    },
                    vec![diag],
                ),
                program: None,
            };
        }
    };
    let (mut diagnostics, program) = check_text(text);
    diagnostics.sort_by_key(|d| (d.span.start, d.severity));
    Checked {
        // At most `diag::MAX_SHOWN` problems, then a note on how many more.
        report: FileReport::new(
            SourceFile {
                name: name.to_string(),
                text: text.to_string(),
            },
            diagnostics,
        ),
        program,
    }
}

/// Parses and checks source text: the diagnostics, and the program when there is no error.
pub fn check_text(text: &str) -> (Vec<Diagnostic>, Option<Program>) {
    // Parsing and checking recurse as deep as the input nests (within the limits of
    // `syntax::limits`).
    crate::lang::stack::on_roomy_stack(|| check_on_this_thread(text))
}

fn check_on_this_thread(text: &str) -> (Vec<Diagnostic>, Option<Program>) {
    let Analysis {
        diagnostics,
        program,
        ..
    } = analyse_on_this_thread(text);
    let ok = !diagnostics.iter().any(|d| d.is_error());
    (diagnostics, program.filter(|_| ok))
}

/// What an editor needs of a file being written: the diagnostics, the parse (what parsed
/// of it, kept so that the next version is parsed from it) and the program checked as far as
/// it goes, even with errors in it.
#[derive(Debug, Default)]
pub struct Analysis {
    pub diagnostics: Vec<Diagnostic>,
    pub parsed: syntax::Parsed,
    /// The program with every declaration the checker met, when the file parsed; with errors,
    /// the expressions that had them are typed `Ty::Error`.
    pub program: Option<Program>,
}

/// Parses and checks source text as `check_text` does, keeping the syntax tree and the
/// program even when there are errors (the language server's view of a file).
pub fn analyse(text: &str) -> Analysis {
    crate::lang::stack::on_roomy_stack(|| analyse_on_this_thread(text))
}

/// The analysis of `text`, the text `old` (of `previous`) edited: the same as `analyse(text)`,
/// parsing again only the declarations around the edit (`syntax::Parsed::edit`, which moves
/// the trees out of `previous` unless the new text has a syntax error).
pub fn reanalyse(previous: &mut Analysis, old: &str, text: &str) -> Analysis {
    let parsed = std::sync::Mutex::new(&mut previous.parsed);
    crate::lang::stack::on_roomy_stack(|| {
        let mut previous = parsed.lock().unwrap_or_else(|e| e.into_inner());
        analyse_parsed(text, previous.edit(old, text))
    })
}

fn analyse_on_this_thread(text: &str) -> Analysis {
    analyse_parsed(text, syntax::Parsed::new(text))
}

fn analyse_parsed(text: &str, parsed: syntax::Parsed) -> Analysis {
    if !parsed.diags.is_empty() {
        return Analysis {
            diagnostics: parsed.diags.clone(),
            parsed,
            program: None,
        };
    }
    if parsed.file.items.is_empty() {
        let diag = Diagnostic::new(
            crate::diag::Code::Syntax,
            crate::lang::span::Span::new(0, text.len().min(1)),
            "this file has no declarations: there is no campaign in it",
        )
        .with_label("empty")
        .with_help("a campaign declares at least a `lead { … }` schema; see docs/language.md");
        return Analysis {
            diagnostics: vec![diag],
            parsed,
            program: None,
        };
    }
    let (mut program, mut diags, uses) = checker::check(prelude_tree(), &parsed.file);
    program.source = text.to_string();
    // Every problem at once: the lints run alongside the errors (holding back only what an
    // error may have set off).
    lints::run(&program, &uses, &mut diags);
    suppress::apply(text, &mut diags);
    Analysis {
        diagnostics: diags,
        parsed,
        program: Some(program),
    }
}

/// The prelude's syntax tree, parsed once.
pub fn prelude_tree() -> &'static syntax::ast::File {
    static PRELUDE_TREE: std::sync::OnceLock<syntax::ast::File> = std::sync::OnceLock::new();
    PRELUDE_TREE.get_or_init(|| {
        let (prelude, diags) = syntax::parse(PRELUDE);
        debug_assert!(diags.is_empty(), "the prelude must parse: {diags:?}");
        prelude
    })
}

#[cfg(test)]
mod tests;

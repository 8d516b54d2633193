//! One `Diagnostic` type for every stage, and the renderers that turn it into output.
//!
//! Stages build `Diagnostic` values; only this module knows how they look on a terminal, in
//! JSON, in SARIF or as GitHub annotations.

pub mod codes;
pub mod github;
pub mod human;
pub mod json;
pub mod pages;
pub mod sarif;

use crate::lang::span::Span;
use serde::Serialize;

pub use codes::Code;

/// How serious a diagnostic is. An error stops the campaign; a warning (a lint) does not; a
/// note is about the report itself (`N0001`: problems not shown) and is never a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Where the problem is; the primary label's text, if any, is `label`.
    pub span: Span,
    pub label: Option<String>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic whose severity is the code's own.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            span,
            label: None,
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn with_label(mut self, text: impl Into<String>) -> Diagnostic {
        self.label = Some(text.into());
        self
    }

    pub fn with_secondary(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: text.into(),
        });
        self
    }

    pub fn with_help(mut self, text: impl Into<String>) -> Diagnostic {
        self.help = Some(text.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A source file as the renderers need it: a display name and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

/// The most diagnostics a file's report shows: beyond them, one `N0001` note says how many
/// more there are. A person fixes the first few and checks again; a file with thousands of
/// problems is seldom a campaign at all, and rendering them all would take long.
pub const MAX_SHOWN: usize = 100;

/// The diagnostics of one file, ready to render.
#[derive(Debug, Clone)]
pub struct FileReport {
    pub file: SourceFile,
    /// What is shown: at most `MAX_SHOWN` problems in source order, then the `N0001` note
    /// when some are not shown.
    pub diagnostics: Vec<Diagnostic>,
    /// The problems not shown, counted (so that tallies and exit codes count them).
    pub hidden: Hidden,
}

/// How many errors and warnings a report does not show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hidden {
    pub errors: usize,
    pub warnings: usize,
}

impl FileReport {
    /// The report of a file's diagnostics, given in source order: all of them when there
    /// are at most `MAX_SHOWN`; otherwise the first `MAX_SHOWN`, errors chosen before
    /// warnings, still in source order, and a final `N0001` note on the first one left out
    /// that says how many are left out.
    pub fn new(file: SourceFile, mut diagnostics: Vec<Diagnostic>) -> FileReport {
        let mut hidden = Hidden::default();
        if diagnostics.len() > MAX_SHOWN {
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            let warnings_shown = MAX_SHOWN.saturating_sub(errors);
            let (mut errors_kept, mut warnings_kept) = (0, 0);
            let mut first_hidden: Option<Span> = None;
            diagnostics.retain(|d| {
                let keep = if d.is_error() {
                    errors_kept += 1;
                    errors_kept <= MAX_SHOWN
                } else {
                    warnings_kept += 1;
                    warnings_kept <= warnings_shown
                };
                if !keep {
                    match d.severity {
                        Severity::Error => hidden.errors += 1,
                        Severity::Warning => hidden.warnings += 1,
                        Severity::Note => {}
                    }
                    first_hidden.get_or_insert(d.span);
                }
                keep
            });
            diagnostics.push(not_shown(hidden, first_hidden.unwrap_or_default()));
        }
        FileReport {
            file,
            diagnostics,
            hidden,
        }
    }

    /// Errors, shown and not.
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count() + self.hidden.errors
    }

    /// Warnings, shown and not.
    pub fn warnings(&self) -> usize {
        let shown = self.diagnostics.iter();
        shown.filter(|d| d.severity == Severity::Warning).count() + self.hidden.warnings
    }
}

/// The `N0001` note for the problems a report leaves out, on the first of them.
fn not_shown(hidden: Hidden, span: Span) -> Diagnostic {
    let plural = |n: usize, word: &str| match n {
        1 => format!("1 {word}"),
        n => format!("{n} {word}s"),
    };
    let what = match (hidden.errors, hidden.warnings) {
        (e, 0) => plural(e, "more error"),
        (0, w) => plural(w, "more warning"),
        (e, w) => format!("{} and {}", plural(e, "more error"), plural(w, "warning")),
    };
    Diagnostic::new(
        Code::TooManyDiagnostics,
        span,
        format!(
            "{what} not shown: Nurture shows at most {MAX_SHOWN} problems per file, errors first"
        ),
    )
    .with_label("the first one not shown")
    .with_help(
        "fix these and check again; a file with this many problems is often not a campaign at all",
    )
}

/// How `check` and friends print diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
}

/// Renders every report in the given format.
pub fn render(reports: &[FileReport], format: Format, color: bool) -> String {
    match format {
        Format::Human => human::render_all(reports, color),
        Format::Json => json::render(reports),
        Format::Sarif => sarif::render(reports),
        Format::Github => github::render(reports),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diags(errors: usize, warnings: usize) -> Vec<Diagnostic> {
        // Interleaved in source order: a warning after each error while both last.
        let mut out = Vec::new();
        for i in 0..errors.max(warnings) {
            if i < errors {
                out.push(Diagnostic::new(
                    Code::UnknownName,
                    Span::new(2 * i, 2 * i + 1),
                    "e",
                ));
            }
            if i < warnings {
                let span = Span::new(2 * i + 1, 2 * i + 2);
                out.push(Diagnostic::new(Code::BareOptional, span, "w"));
            }
        }
        out
    }

    fn report(d: Vec<Diagnostic>) -> FileReport {
        let text = "x".repeat(1000);
        let name = "f.nurture".to_string();
        FileReport::new(SourceFile { name, text }, d)
    }

    #[test]
    fn up_to_the_cap_everything_is_shown() {
        let r = report(diags(60, 40));
        assert_eq!(r.diagnostics.len(), MAX_SHOWN);
        assert_eq!(
            (r.errors(), r.warnings(), r.hidden),
            (60, 40, Hidden::default())
        );
        assert!(r
            .diagnostics
            .iter()
            .all(|d| d.code != Code::TooManyDiagnostics));
    }

    #[test]
    fn beyond_the_cap_errors_come_first_then_one_note() {
        let r = report(diags(80, 50));
        let shown = &r.diagnostics[..MAX_SHOWN];
        assert_eq!(shown.iter().filter(|d| d.is_error()).count(), 80);
        assert!(shown.windows(2).all(|w| w[0].span.start < w[1].span.start));
        let note = &r.diagnostics[MAX_SHOWN];
        assert_eq!(r.diagnostics.len(), MAX_SHOWN + 1);
        assert_eq!(
            (note.code, note.severity),
            (Code::TooManyDiagnostics, Severity::Note)
        );
        assert_eq!(
            note.message,
            "30 more warnings not shown: Nurture shows at most 100 problems per file, errors first"
        );
        // On the first warning left out: the 21st.
        assert_eq!(note.span, Span::new(41, 42));
        // Tallies count what is not shown; the note is neither.
        assert_eq!((r.errors(), r.warnings()), (80, 50));

        let r = report(diags(250, 3));
        assert!(r.diagnostics[..MAX_SHOWN].iter().all(|d| d.is_error()));
        assert_eq!(
            r.hidden,
            Hidden {
                errors: 150,
                warnings: 3
            }
        );
        assert!(r.diagnostics[MAX_SHOWN]
            .message
            .starts_with("150 more errors and 3 warnings not shown"));
        assert_eq!((r.errors(), r.warnings()), (250, 3));
    }

    #[test]
    fn a_note_renders_without_colour_when_asked() {
        let r = report(diags(101, 0));
        let out = human::render_all(std::slice::from_ref(&r), false);
        assert!(!out.contains('\x1b'), "{out}");
        assert!(
            out.contains("[N0001] Note: 1 more error not shown"),
            "{out}"
        );
        assert!(
            out.ends_with("checked 1 file: 101 errors, 0 warnings\n"),
            "{out}"
        );
        let out = human::render_all(std::slice::from_ref(&r), true);
        assert!(out.contains('\x1b'));
    }
}

//! Human output: ariadne reports, in colour on a terminal.

use super::{Diagnostic, FileReport, Severity, SourceFile};
use crate::lang::span::LineIndex;
use ariadne::{Color, Config, Label, Report, ReportKind, Source};

/// Renders one diagnostic against its source.
pub fn render(diag: &Diagnostic, file: &SourceFile, color: bool) -> String {
    let source = Source::from(file.text.as_str());
    render_in(diag, file, &source, &LineIndex::new(&file.text), color)
}

/// Renders one diagnostic against its source, read once for all the file's diagnostics.
fn render_in(
    diag: &Diagnostic,
    file: &SourceFile,
    source: &Source<&str>,
    lines: &LineIndex<'_>,
    color: bool,
) -> String {
    let note = if color {
        Color::Fixed(81)
    } else {
        Color::Primary
    };
    let kind = match diag.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
        Severity::Note => ReportKind::Custom("Note", note),
    };
    let (primary, secondary) = if color {
        (
            match diag.severity {
                Severity::Error => Color::Red,
                Severity::Warning => Color::Yellow,
                Severity::Note => note,
            },
            Color::Cyan,
        )
    } else {
        (Color::Primary, Color::Primary)
    };
    // ariadne counts in characters; our spans are bytes.
    let to_chars = |byte: u32| lines.char_offset(byte as usize);
    let name = file.name.as_str();
    let range = |s: crate::lang::span::Span| {
        (
            name,
            to_chars(s.start)..to_chars(s.end).max(to_chars(s.start)),
        )
    };
    let mut report = Report::build(kind, range(diag.span))
        .with_config(
            Config::default()
                .with_color(color)
                .with_index_type(ariadne::IndexType::Char),
        )
        .with_code(diag.code.as_str())
        .with_message(&diag.message);
    // ariadne underlines only labels with text, so the primary span always gets some.
    let primary_label = Label::new(range(diag.span))
        .with_color(primary)
        .with_order(0)
        .with_message(diag.label.as_deref().unwrap_or("here"));
    report = report.with_label(primary_label);
    for (i, label) in diag.labels.iter().enumerate() {
        report = report.with_label(
            Label::new(range(label.span))
                .with_message(&label.message)
                .with_color(secondary)
                .with_order(i as i32 + 1),
        );
    }
    if let Some(help) = &diag.help {
        report = report.with_help(help);
    }
    let mut out = Vec::new();
    report
        .finish()
        .write((name, source), &mut out)
        .expect("writing to a Vec cannot fail");
    let out = String::from_utf8_lossy(&out).into_owned();
    match diag.severity {
        // ariadne colours a kind of its own ("Note") whatever the configuration says.
        Severity::Note if !color => without_colour(&out),
        _ => out,
    }
}

/// The text without its ANSI colour sequences (`ESC [ … m`).
fn without_colour(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\x1b[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        match after.find('m') {
            Some(end)
                if after[..end]
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b';') =>
            {
                rest = &after[end + 1..];
            }
            _ => {
                out.push('\x1b');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every report in order, then a one-line tally.
pub fn render_all(reports: &[FileReport], color: bool) -> String {
    let mut out = String::new();
    for r in reports {
        let source = Source::from(r.file.text.as_str());
        let lines = LineIndex::new(&r.file.text);
        for d in &r.diagnostics {
            out.push_str(&render_in(d, &r.file, &source, &lines, color));
        }
    }
    let errors: usize = reports.iter().map(|r| r.errors()).sum();
    let warnings: usize = reports.iter().map(|r| r.warnings()).sum();
    out.push_str(&tally(reports.len(), errors, warnings));
    out
}

fn tally(files: usize, errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "checked {}: {}, {}\n",
        plural(files, "file"),
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

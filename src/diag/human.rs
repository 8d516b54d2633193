//! Human output: ariadne reports, in colour on a terminal.

use super::{Diagnostic, FileReport, Severity, SourceFile};
use ariadne::{Color, Config, Label, Report, ReportKind, Source};

/// Renders one diagnostic against its source.
pub fn render(diag: &Diagnostic, file: &SourceFile, color: bool) -> String {
    let kind = match diag.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let (primary, secondary) = if color {
        (
            match diag.severity {
                Severity::Error => Color::Red,
                Severity::Warning => Color::Yellow,
            },
            Color::Cyan,
        )
    } else {
        (Color::Primary, Color::Primary)
    };
    // ariadne counts in characters; our spans are bytes.
    let to_chars = |byte: u32| char_index(&file.text, byte as usize);
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
        .write((name, Source::from(file.text.as_str())), &mut out)
        .expect("writing to a Vec cannot fail");
    String::from_utf8_lossy(&out).into_owned()
}

fn char_index(text: &str, byte: usize) -> usize {
    let byte = byte.min(text.len());
    let mut b = byte;
    while b > 0 && !text.is_char_boundary(b) {
        b -= 1;
    }
    text[..b].chars().count()
}

/// Every report in order, then a one-line tally.
pub fn render_all(reports: &[FileReport], color: bool) -> String {
    let mut out = String::new();
    for r in reports {
        for d in &r.diagnostics {
            out.push_str(&render(d, &r.file, color));
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

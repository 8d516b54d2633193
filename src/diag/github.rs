//! `--format github`: GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`).

use super::{FileReport, Severity};
use crate::lang::span::LineIndex;

pub fn render(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for r in reports {
        let lines = LineIndex::new(&r.file.text);
        for d in &r.diagnostics {
            let (line, col) = lines.line_col(d.span.start);
            let (end_line, end_col) = lines.line_col(d.span.end);
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "notice",
            };
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            out.push_str(&format!(
                "::{level} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}\n",
                escape_property(&r.file.name),
                escape_property(&format!("{} {}", d.code, d.code.name())),
                escape_data(&message)
            ));
        }
    }
    out
}

/// Markdown for `$GITHUB_STEP_SUMMARY`: GitHub shows at most 10 annotations per step.
pub fn summary(reports: &[FileReport]) -> String {
    let mut out =
        String::from("## nurture check\n\n| file | line | code | message |\n|---|---|---|---|\n");
    for r in reports {
        let lines = LineIndex::new(&r.file.text);
        for d in &r.diagnostics {
            let (line, _) = lines.line_col(d.span.start);
            out.push_str(&format!(
                "| {} | {line} | {} | {} |\n",
                r.file.name,
                d.code,
                d.message.replace('|', "\\|")
            ));
        }
    }
    let errors: usize = reports.iter().map(|r| r.errors()).sum();
    let warnings: usize = reports.iter().map(|r| r.warnings()).sum();
    out.push_str(&format!("\n{errors} errors, {warnings} warnings\n"));
    out
}

// The escapes GitHub's toolkit applies to workflow command data and properties.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

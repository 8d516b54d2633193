//! `--format json`: one JSON object per diagnostic, one per line.
//!
//! The shape is frozen: tools parse it. Do not rename or remove fields; only add.

use super::{FileReport, Severity};
use crate::lang::span::LineIndex;
use serde::Serialize;

#[derive(Serialize)]
pub struct JsonDiagnostic<'a> {
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub code: &'a str,
    pub name: &'a str,
    pub severity: Severity,
    pub message: &'a str,
    pub help: Option<&'a str>,
}

pub fn render(reports: &[FileReport]) -> String {
    let mut out = String::new();
    for r in reports {
        let lines = LineIndex::new(&r.file.text);
        for d in &r.diagnostics {
            let (line, column) = lines.line_col(d.span.start);
            let (end_line, end_column) = lines.line_col(d.span.end);
            let j = JsonDiagnostic {
                file: &r.file.name,
                line,
                column,
                end_line,
                end_column,
                code: d.code.as_str(),
                name: d.code.name(),
                severity: d.severity,
                message: &d.message,
                help: d.help.as_deref(),
            };
            out.push_str(&serde_json::to_string(&j).expect("diagnostics serialise"));
            out.push('\n');
        }
    }
    out
}

//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning accepts it.

use super::{Code, FileReport, Severity};
use crate::lang::span::LineIndex;
use serde_json::{json, Value};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn render(reports: &[FileReport]) -> String {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "name": c.name(),
                "shortDescription": { "text": c.summary() },
                "helpUri": format!("https://github.com/nurture-lang/nurture/blob/main/docs/diagnostics.md#{}", c.as_str().to_lowercase()),
                "defaultConfiguration": { "level": level(c.severity()) },
            })
        })
        .collect();
    let mut results = Vec::new();
    for r in reports {
        let lines = LineIndex::new(&r.file.text);
        for d in &r.diagnostics {
            let (start_line, start_column) = lines.line_col(d.span.start);
            let (end_line, end_column) = lines.line_col(d.span.end);
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str(&format!(" (help: {help})"));
            }
            results.push(json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": Code::ALL.iter().position(|c| *c == d.code),
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&r.file.name) },
                        "region": {
                            "startLine": start_line,
                            "startColumn": start_column,
                            "endLine": end_line,
                            "endColumn": end_column.max(if end_line == start_line { start_column + 1 } else { 1 }),
                        }
                    }
                }],
            }));
        }
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "nurture",
                    "informationUri": "https://github.com/nurture-lang/nurture",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
        }]
    });
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF serialises");
    out.push('\n');
    out
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// SARIF wants URIs: relative paths with forward slashes.
fn uri(path: &str) -> String {
    path.trim_start_matches("./").replace('\\', "/")
}

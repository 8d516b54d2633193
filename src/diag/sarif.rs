//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning accepts it.

use super::{Code, FileReport, Severity};
use crate::lang::span::LineIndex;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The diagnostics reference, where each rule's `helpUri` points at its section.
const DOCS: &str = "https://github.com/nurture-lang/nurture/blob/main/docs/diagnostics.md";

/// What a path keeps as it is in a URI: letters, digits, the unreserved `-._~` and the `/`
/// between segments; anything else (a space, `#`, `%`, a non-ASCII letter) is
/// percent-encoded.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// Where a code is explained: its section of docs/diagnostics.md (SARIF's `helpUri`, the
/// language server's `codeDescription`).
pub fn help_uri(c: Code) -> String {
    format!("{DOCS}#{}", c.anchor())
}

pub fn render(reports: &[FileReport]) -> String {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "name": c.name(),
                "shortDescription": { "text": c.summary() },
                "helpUri": help_uri(*c),
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

/// SARIF wants URIs: relative paths with forward slashes, percent-encoded.
fn uri(path: &str) -> String {
    let path = path.trim_start_matches("./").replace('\\', "/");
    utf8_percent_encode(&path, PATH).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The anchor GitHub gives a heading: lower case, spaces as `-`, other punctuation but
    /// `-` and `_` dropped.
    fn github_anchor(heading: &str) -> String {
        heading
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect()
    }

    /// Issue 11, item 20: every rule's `helpUri` points at a heading of the page as GitHub
    /// anchors it (`#e0101-unknown-name`, not `#e0101`).
    #[test]
    fn help_uris_point_at_the_pages_headings() {
        let anchors: Vec<String> = (super::super::pages::DIAGNOSTICS_MD.lines())
            .filter_map(|l| l.strip_prefix("## "))
            .map(github_anchor)
            .collect();
        let log: Value = serde_json::from_str(&render(&[])).unwrap();
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap();
        assert_eq!(rules.len(), Code::ALL.len());
        for rule in rules {
            let uri = rule["helpUri"].as_str().unwrap();
            let (page, anchor) = uri.split_once('#').unwrap();
            assert_eq!(page, DOCS);
            assert!(
                anchors.iter().any(|a| a == anchor),
                "no heading has the anchor of {uri}"
            );
        }
        assert!(rules[0]["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("#e0001-syntax"));
    }

    /// Issue 11, item 20: a path with a space (or another character a URI cannot hold) is
    /// percent-encoded.
    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            uri("campaigns/spring sale.nurture"),
            "campaigns/spring%20sale.nurture"
        );
        assert_eq!(uri("./a\\b#1 100%.nurture"), "a/b%231%20100%25.nurture");
        assert_eq!(uri("zürich.nurture"), "z%C3%BCrich.nurture");
        assert_eq!(
            uri("plain-name_v1.2~x.nurture"),
            "plain-name_v1.2~x.nurture"
        );
    }
}

//! The language reference, `docs/language.md`, is tested. Every block fenced as
//!
//! - ```nurture is a self-contained campaign fragment that checks with no diagnostic at all:
//!   no error, and no warning either, since the reference should show campaigns as they
//!   should be written;
//! - ```nurture,warn shows a lint on purpose: no error, at least one warning;
//! - ```nurture,fail shows a mistake: at least one error.
//!
//! A fragment may rely only on what it declares itself (and the prelude). When a `warn` or
//! `fail` block names codes in its text (`// E0204: …`), each of them must be reported.

use nurture::check::check_source;
use nurture::diag::{human, FileReport};

const DOC: &str = include_str!("../docs/language.md");
const DOC_PATH: &str = "docs/language.md";

#[derive(Debug, PartialEq)]
enum Expect {
    /// No diagnostic at all.
    Checks,
    /// No error, at least one warning.
    Warns,
    /// At least one error.
    Fails,
}

#[derive(Debug)]
struct Block {
    /// The line of the opening fence, 1-based.
    line: usize,
    expect: Expect,
    source: String,
}

/// Where the scan of the page is: outside any fence, inside some other fence, or inside a
/// nurture block (with its first line, its expectation and its text so far).
enum State {
    Outside,
    OtherFence,
    Nurture(usize, Expect, String),
}

/// Every fenced block whose info string starts with `nurture`.
fn nurture_blocks(doc: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut state = State::Outside;
    for (i, line) in doc.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        state = match (state, fence) {
            (State::Outside, None) => State::Outside,
            (State::Outside, Some(info)) => {
                let mut words = info.split(',').map(str::trim);
                if words.next() == Some("nurture") {
                    let mut expect = Expect::Checks;
                    for flag in words {
                        match flag {
                            "fail" => expect = Expect::Fails,
                            "warn" => expect = Expect::Warns,
                            other => panic!(
                                "{DOC_PATH}:{}: unknown flag `{other}` on a nurture block \
                                 (known: `warn`, `fail`)",
                                i + 1
                            ),
                        }
                    }
                    State::Nurture(i + 1, expect, String::new())
                } else {
                    State::OtherFence
                }
            }
            (State::OtherFence, None) => State::OtherFence,
            (State::OtherFence, Some(_)) => State::Outside,
            (State::Nurture(line, expect, source), Some(_)) => {
                blocks.push(Block {
                    line,
                    expect,
                    source,
                });
                State::Outside
            }
            (State::Nurture(start, expect, mut source), None) => {
                source.push_str(line);
                source.push('\n');
                State::Nurture(start, expect, source)
            }
        };
    }
    assert!(
        matches!(state, State::Outside),
        "{DOC_PATH}: a fenced block is never closed"
    );
    blocks
}

/// The diagnostic codes (`E0204`, `W0109`) a block's text names.
fn codes_named(source: &str) -> Vec<String> {
    let bytes = source.as_bytes();
    let mut codes = Vec::new();
    for i in 0..bytes.len().saturating_sub(4) {
        let word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let word_end = bytes.get(i + 5).is_none_or(|b| !b.is_ascii_alphanumeric());
        if word_start
            && word_end
            && matches!(bytes[i], b'E' | b'W')
            && bytes[i + 1..i + 5].iter().all(u8::is_ascii_digit)
        {
            codes.push(source[i..i + 5].to_string());
        }
    }
    codes
}

/// The codes a block names that its report lacks.
fn missing_codes(block: &Block, report: &FileReport) -> Vec<String> {
    codes_named(&block.source)
        .into_iter()
        .filter(|c| !report.diagnostics.iter().any(|d| d.code.as_str() == c))
        .collect()
}

fn check(block: &Block) -> FileReport {
    let name = format!("{DOC_PATH}:{}", block.line);
    check_source(&name, block.source.as_bytes()).report
}

#[test]
fn the_reference_has_examples_of_every_kind() {
    let blocks = nurture_blocks(DOC);
    let fails = blocks.iter().filter(|b| b.expect == Expect::Fails).count();
    assert!(
        blocks.len() >= 10,
        "expected at least 10 nurture blocks in {DOC_PATH}, found {}",
        blocks.len()
    );
    let warns = blocks.iter().filter(|b| b.expect == Expect::Warns).count();
    assert!(fails >= 1, "expected at least one ```nurture,fail block");
    assert!(warns >= 1, "expected at least one ```nurture,warn block");
    assert!(
        blocks.iter().all(|b| !b.source.trim().is_empty()),
        "an empty nurture block"
    );
}

#[test]
fn every_nurture_block_checks_cleanly() {
    let mut failures = Vec::new();
    for block in nurture_blocks(DOC)
        .iter()
        .filter(|b| b.expect == Expect::Checks)
    {
        let report = check(block);
        if !report.diagnostics.is_empty() {
            failures.push(format!(
                "the block at {DOC_PATH}:{} should check with no diagnostic (mark it \
                 ```nurture,warn or ```nurture,fail if that is the point):\n{}",
                block.line,
                human::render_all(&[report], false)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_warn_block_warns_without_errors() {
    let mut failures = Vec::new();
    for block in nurture_blocks(DOC)
        .iter()
        .filter(|b| b.expect == Expect::Warns)
    {
        let report = check(block);
        let missing = missing_codes(block, &report);
        if report.errors() > 0 || report.warnings() == 0 || !missing.is_empty() {
            failures.push(format!(
                "the ```nurture,warn block at {DOC_PATH}:{} should warn without an error \
                 (and report {missing:?}):\n{}",
                block.line,
                human::render_all(&[report], false)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fail_block_is_rejected() {
    let mut failures = Vec::new();
    for block in nurture_blocks(DOC)
        .iter()
        .filter(|b| b.expect == Expect::Fails)
    {
        let report = check(block);
        let missing = missing_codes(block, &report);
        if report.errors() == 0 || !missing.is_empty() {
            failures.push(format!(
                "the ```nurture,fail block at {DOC_PATH}:{} should be rejected (and report \
                 {missing:?}):\n{}\n{}",
                block.line,
                block.source,
                human::render_all(&[report], false)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fences_are_found_with_their_flags() {
    let doc = "text\n```nurture\nlist a = true\n```\n\n```nurture,fail\nlist b = 1 <\n```\n\
               ```text\nnot nurture\n```\n```nurture, warn\nlist c = 1 < 2\n```\n";
    let blocks = nurture_blocks(doc);
    assert_eq!(blocks.len(), 3);
    assert_eq!(blocks[0].line, 2);
    assert_eq!(blocks[0].expect, Expect::Checks);
    assert_eq!(blocks[0].source, "list a = true\n");
    assert_eq!(blocks[1].expect, Expect::Fails);
    assert_eq!(blocks[2].expect, Expect::Warns);
    assert_eq!(blocks[2].source, "list c = 1 < 2\n");
}

#[test]
fn codes_are_found_in_a_block() {
    assert_eq!(
        codes_named("// E0204: no.\nlist a = x // W0109\nE12345 XE0101 E010"),
        vec!["E0204", "W0109"]
    );
}

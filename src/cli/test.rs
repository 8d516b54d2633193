//! `nurture test [FILES...]`: run the `test` blocks of campaign files.

use super::check::{collect, display};
use super::{print_stdout, use_color, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use clap::{Args, ValueEnum};
use nurture::check::check_source;
use nurture::diag::{self, human};
use nurture::lang::span::line_col;
use nurture::testing::{self, TestReport};
use std::path::PathBuf;

/// Run the `test` blocks in campaign files, each on a fresh engine with a virtual clock.
///
/// A failed expectation is shown against its source with what happened instead. Ends with
/// `N passed, N failed`, and `, N not run (N files with errors)` when a file does not check
/// (its errors are shown, and its tests cannot run). Exit code 0 when every test passes, 1
/// when a test fails or a file has errors, 2 for a usage error or a file that cannot be read.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Campaign files, or directories searched for `*.nurture` files. Default: the current
    /// directory.
    #[arg(value_name = "FILES")]
    pub files: Vec<PathBuf>,

    /// `human` (a line per test, failures in detail) or `json` (one object per test).
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub format: TestFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    Human,
    Json,
}

pub fn run(args: &TestArgs) -> u8 {
    let roots = if args.files.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.files.clone()
    };
    let files = match collect(&roots) {
        Ok(files) => files,
        Err(messages) => {
            for m in messages {
                eprintln!("nurture test: {m}");
            }
            return EXIT_USAGE;
        }
    };
    let color = use_color();
    let (mut passed, mut failed) = (0usize, 0usize);
    // Tests in files that do not check, which cannot run, and those files.
    let (mut not_run, mut broken) = (0usize, 0usize);
    let mut out = String::new();
    for path in &files {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("nurture test: cannot read {}: {e}", path.display());
                return EXIT_USAGE;
            }
        };
        let name = display(path);
        let checked = check_source(&name, &bytes);
        let Some(program) = checked.program else {
            // A file that does not check cannot run its tests: say so, and how many.
            broken += 1;
            let tests = testing::test_blocks(&checked.report.file.text);
            not_run += tests;
            match args.format {
                TestFormat::Human => {
                    out.push_str(&format!("{name}\n"));
                    out.push_str(&diag::render(&[checked.report], diag::Format::Human, color));
                    out.push_str(&format!(
                        "  {} not run: {name} has errors\n",
                        count(tests, "test")
                    ));
                }
                TestFormat::Json => out.push_str(&format!(
                    "{}\n",
                    serde_json::json!({ "file": name, "test": null, "passed": false, "not_run": tests, "error": "the file has errors; run `nurture check`" })
                )),
            }
            continue;
        };
        if program.tests.is_empty() {
            continue;
        }
        let reports = match testing::run(&program) {
            Ok(r) => r,
            Err(e) => {
                let report =
                    diag::FileReport::new(checked.report.file.clone(), vec![e.diagnostic()]);
                eprint!("{}", diag::render(&[report], diag::Format::Human, color));
                return EXIT_PROBLEMS;
            }
        };
        let file = checked.report.file;
        if args.format == TestFormat::Human {
            out.push_str(&format!("{name}\n"));
        }
        for r in &reports {
            if r.passed() {
                passed += 1;
            } else {
                failed += 1;
            }
            match args.format {
                TestFormat::Human => out.push_str(&human_report(r, &file, color)),
                TestFormat::Json => out.push_str(&json_report(r, &file)),
            }
        }
    }
    out.push_str(&format!("{passed} passed, {failed} failed"));
    if broken > 0 {
        out.push_str(&format!(
            ", {not_run} not run ({} with errors)",
            count(broken, "file")
        ));
    }
    out.push('\n');
    print_stdout(&out);
    if failed > 0 || broken > 0 {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    }
}

/// `1 test`, `3 tests`.
fn count(n: usize, what: &str) -> String {
    match n {
        1 => format!("1 {what}"),
        n => format!("{n} {what}s"),
    }
}

fn human_report(r: &TestReport, file: &diag::SourceFile, color: bool) -> String {
    let mark = if r.passed() { "ok  " } else { "FAIL" };
    let mut out = format!("  {mark} {}\n", r.name);
    for d in testing::failure_diagnostics(r) {
        out.push_str(&human::render(&d, file, color));
    }
    out
}

fn json_report(r: &TestReport, file: &diag::SourceFile) -> String {
    let failures: Vec<serde_json::Value> = r
        .failures
        .iter()
        .map(|f| {
            let (line, column) = line_col(&file.text, f.span.start);
            serde_json::json!({ "line": line, "column": column, "message": f.message, "happened": f.happened })
        })
        .collect();
    let (line, _) = line_col(&file.text, r.span.start);
    format!(
        "{}\n",
        serde_json::json!({ "file": file.name, "line": line, "test": r.name, "passed": r.passed(), "failures": failures })
    )
}

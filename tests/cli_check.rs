//! `nurture check` as a user runs it: the built binary, real files, exit codes and output.

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../benches/support/campaign.rs"]
mod campaign;

const BIN: &str = env!("CARGO_BIN_EXE_nurture");

/// Longer than any honest run takes, even unoptimised on a slow machine.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Four errors and a warning, each in its own declaration.
const MULTI: &str = r#"// Four mistakes and a questionable habit, for the output snapshots.
campaign "Broken on purpose"

lead {
  email: string
  company_size: int?
  stage: Stage = awareness
}

enum Stage { awareness, customer }

event demo.requested { seats: int }

score fit {
  when lead.company_size >= 50   add 10
  when lead.job_title matches "(?i)vp"  add 20
}

list hot     = fit >= "sixty" and lead.stage != customer
list readers = did ebook.downloaded within 7d

on demo.requested  start follow_up
on enter hot       notify sales "Hot lead {lead.email}"
"#;

/// A valid campaign whose only problem is a warning: an event nothing uses (W0103).
const WARNING_ONLY: &str = "campaign \"Webinars\"\n\nevent webinar.attended { webinar: string }\n";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The stdout of `--format json`, one parsed object per line.
    fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
            .collect()
    }

    fn codes(&self) -> Vec<String> {
        self.json_lines()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect()
    }
}

/// A `nurture` command in `dir`, with no colour hints or GitHub summary from the caller's
/// environment.
fn nurture(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs to completion, failing the test on a hang, a crash or a panic.
fn finish(cmd: &mut Command) -> Run {
    let mut child = cmd.spawn().expect("the nurture binary starts");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        out.read_to_end(&mut s).map(|_| s)
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        err.read_to_end(&mut s).map(|_| s)
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("nurture hung for more than {TIMEOUT:?}: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = String::from_utf8(out_reader.join().unwrap().unwrap()).expect("stdout is UTF-8");
    let stderr = String::from_utf8(err_reader.join().unwrap().unwrap()).expect("stderr is UTF-8");
    assert!(
        !stderr.contains("panicked"),
        "nurture panicked: {cmd:?}\n{stderr}"
    );
    let code = status
        .code()
        .unwrap_or_else(|| panic!("nurture was killed by a signal: {cmd:?}\n{stderr}"));
    Run {
        code,
        stdout,
        stderr,
    }
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    finish(nurture(dir).args(args))
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary directory holding one file, `name`, with `contents`.
fn dir_with(name: &str, contents: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), contents).unwrap();
    dir
}

/// Checks `contents` with `--format json` and asserts exit 1 with a diagnostic among `codes`.
fn assert_rejected(contents: &[u8], codes: &[&str]) -> Run {
    let dir = dir_with("hostile.nurture", contents);
    let run = run_in(
        dir.path(),
        &["check", "--format", "json", "hostile.nurture"],
    );
    assert_eq!(
        run.code, 1,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let found = run.codes();
    assert!(
        found.iter().any(|c| codes.contains(&c.as_str())),
        "expected one of {codes:?}, got {found:?}"
    );
    run
}

// ---- exit codes ---------------------------------------------------------------------------

#[test]
fn the_contract_checks_without_errors() {
    let run = run_in(
        &manifest_dir(),
        &["check", "tests/fixtures/contract.nurture"],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("checked 1 file: 0 errors"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_missing_file_is_an_io_error_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(dir.path(), &["check", "no-such-campaign.nurture"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no-such-campaign.nurture"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

#[test]
fn a_missing_file_fails_even_beside_good_ones() {
    let dir = dir_with("good.nurture", b"campaign \"Fine\"\n");
    let run = run_in(dir.path(), &["check", "good.nurture", "gone.nurture"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("gone.nurture"), "{}", run.stderr);
}

#[test]
fn no_arguments_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&[][..], &["check"][..], &["check", "--format"][..]] {
        let run = run_in(dir.path(), args);
        assert_eq!(run.code, 2, "nurture {args:?}");
        assert!(
            run.stderr.contains("--help"),
            "nurture {args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn an_unknown_format_is_a_usage_error() {
    let dir = dir_with("a.nurture", b"campaign \"A\"\n");
    let run = run_in(dir.path(), &["check", "--format", "xml", "a.nurture"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("xml"), "{}", run.stderr);
}

#[test]
fn help_and_version() {
    let dir = tempfile::tempdir().unwrap();
    let version = run_in(dir.path(), &["--version"]);
    assert_eq!(version.code, 0);
    assert_eq!(
        version.stdout.trim(),
        format!("nurture {}", env!("CARGO_PKG_VERSION"))
    );
    let help = run_in(dir.path(), &["check", "--help"]);
    assert_eq!(help.code, 0);
    for flag in ["--format", "--deny-warnings", "nurture: ignore"] {
        assert!(help.stdout.contains(flag), "`check --help` lacks {flag}");
    }
}

#[test]
fn a_directory_is_walked_for_campaigns_in_sorted_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("campaigns/q2")).unwrap();
    let broken = b"list a = did nothing.here\n";
    std::fs::write(root.join("campaigns/q2/b.nurture"), broken).unwrap();
    std::fs::write(root.join("campaigns/a.nurture"), broken).unwrap();
    std::fs::write(root.join("campaigns/README.md"), b"not a campaign").unwrap();
    let run = run_in(root, &["check", "--format", "json", "campaigns"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let files: Vec<String> = run
        .json_lines()
        .iter()
        .map(|d| d["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(files, ["campaigns/a.nurture", "campaigns/q2/b.nurture"]);
}

#[test]
fn a_directory_without_campaigns_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let run = run_in(dir.path(), &["check", "empty"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no .nurture files in empty"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_exit_code_is_the_same_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("multi.nurture"), MULTI).unwrap();
    std::fs::write(dir.path().join("warn.nurture"), WARNING_ONLY).unwrap();
    for format in ["human", "json", "sarif", "github"] {
        let check = |args: &[&str]| {
            let mut all = vec!["check", "--format", format];
            all.extend_from_slice(args);
            run_in(dir.path(), &all).code
        };
        assert_eq!(check(&["multi.nurture"]), 1, "{format}: errors");
        assert_eq!(check(&["warn.nurture"]), 0, "{format}: warnings only");
        assert_eq!(
            check(&["--deny-warnings", "warn.nurture"]),
            1,
            "{format}: warnings only, --deny-warnings"
        );
    }
}

/// Issue 10, item 9: a file of many problems shows the first 100 (errors first) and one
/// N0001 note, in every format; the exit code and the tally count them all.
#[test]
fn a_file_of_many_problems_shows_a_hundred_and_a_note_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let errors: String = (0..150)
        .map(|i| format!("list l{i} = s{i} > 1\n"))
        .collect();
    std::fs::write(dir.path().join("errors.nurture"), errors).unwrap();
    // 150 unused events: warnings only.
    let warnings: String = (0..150).map(|i| format!("event e{i}.x\n")).collect();
    std::fs::write(dir.path().join("warnings.nurture"), warnings).unwrap();
    // 120 warnings, then one error: the error is shown though it comes last.
    let mixed = String::from("lead { a: int? }\n")
        + &(0..120)
            .map(|i| format!("list l{i} = lead.a > 1\n"))
            .collect::<String>()
        + "list bad = nope\n";
    std::fs::write(dir.path().join("mixed.nurture"), mixed).unwrap();
    let check = |format: &str, args: &[&str]| {
        let mut all = vec!["check", "--format", format];
        all.extend_from_slice(args);
        run_in(dir.path(), &all)
    };

    let json = check("json", &["errors.nurture"]);
    assert_eq!(json.code, 1);
    let lines = json.json_lines();
    assert_eq!(lines.len(), 101);
    let note = &lines[100];
    assert_eq!(note["code"], "N0001");
    assert_eq!(note["name"], "too-many-diagnostics");
    assert_eq!(note["severity"], "note");
    assert_eq!(note["line"], 101);
    assert_eq!(
        note["message"],
        "50 more errors not shown: Nurture shows at most 100 problems per file, errors first"
    );
    let human = check("human", &["errors.nurture"]);
    assert_eq!(human.code, 1);
    assert!(
        human
            .stdout
            .contains("[N0001] Note: 50 more errors not shown"),
        "{}",
        human.stdout
    );
    assert!(human
        .stdout
        .ends_with("checked 1 file: 150 errors, 0 warnings\n"));
    let sarif = check("sarif", &["errors.nurture"]);
    assert_eq!(sarif.code, 1);
    let log: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 101);
    assert_eq!(results[100]["ruleId"], "N0001");
    assert_eq!(results[100]["level"], "note");
    let github = check("github", &["errors.nurture"]);
    assert_eq!(github.code, 1);
    assert_eq!(github.stdout.lines().count(), 101);
    assert!(github
        .stdout
        .lines()
        .last()
        .unwrap()
        .starts_with("::notice file=errors.nurture,line=101,"));

    for format in ["human", "json", "sarif", "github"] {
        assert_eq!(check(format, &["warnings.nurture"]).code, 0, "{format}");
        let strict = check(format, &["--deny-warnings", "warnings.nurture"]);
        assert_eq!(strict.code, 1, "{format}");
        assert_eq!(check(format, &["mixed.nurture"]).code, 1, "{format}");
    }
    let human = check("human", &["warnings.nurture"]);
    assert!(
        human
            .stdout
            .contains("[N0001] Note: 50 more warnings not shown"),
        "{}",
        human.stdout
    );
    assert!(human
        .stdout
        .ends_with("checked 1 file: 0 errors, 150 warnings\n"));
    let mixed = check("json", &["mixed.nurture"]);
    let codes = mixed.codes();
    assert_eq!(codes.len(), 101);
    assert_eq!(codes.iter().filter(|c| *c == "E0101").count(), 1);
    assert_eq!(codes.iter().filter(|c| *c == "W0101").count(), 99);
    assert!(mixed.json_lines()[100]["message"]
        .as_str()
        .unwrap()
        .starts_with("21 more warnings not shown"));
}

// ---- warnings and silencing them ----------------------------------------------------------

#[test]
fn deny_warnings_fails_a_warning_only_file() {
    let dir = dir_with("warn.nurture", WARNING_ONLY.as_bytes());
    let lenient = run_in(dir.path(), &["check", "--format", "json", "warn.nurture"]);
    assert_eq!(lenient.code, 0);
    assert_eq!(lenient.codes(), ["W0103"]);
    let strict = run_in(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "--deny-warnings",
            "warn.nurture",
        ],
    );
    assert_eq!(strict.code, 1);
    assert_eq!(strict.codes(), ["W0103"]);
}

#[test]
fn ignore_comments_silence_a_warning() {
    let line = "campaign \"Webinars\"\n\n// nurture: ignore W0103\nevent webinar.attended { webinar: string }\n";
    let file = "campaign \"Webinars\"\n// nurture: ignore-file unused-event\n\nevent webinar.attended { webinar: string }\n";
    for source in [line, file] {
        let dir = dir_with("quiet.nurture", source.as_bytes());
        let run = run_in(
            dir.path(),
            &[
                "check",
                "--format",
                "json",
                "--deny-warnings",
                "quiet.nurture",
            ],
        );
        assert_eq!(run.code, 0, "{source}\n{}", run.stdout);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
}

// ---- hostile input: a diagnostic and exit 1, never a panic or a hang ---------------------------

#[test]
fn a_file_that_is_not_utf8() {
    let run = assert_rejected(b"campaign \"caf\xe9\"\n\xff\xfe\x00", &["E0002"]);
    assert_eq!(run.json_lines().len(), 1);
}

#[test]
fn an_expression_nested_ten_thousand_levels_deep() {
    let source = format!("list x = {}1{}\n", "(".repeat(10_000), ")".repeat(10_000));
    assert_rejected(source.as_bytes(), &["E0003"]);
}

#[test]
fn fifty_megabytes_of_random_bytes() {
    // A fixed linear congruential generator (Knuth's MMIX constants): the same bytes each run.
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut bytes = Vec::with_capacity(50 << 20);
    while bytes.len() < 50 << 20 {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        bytes.extend_from_slice(&(state >> 32).to_le_bytes()[..4]);
    }
    // Too large, or not UTF-8: either way one clear diagnostic.
    let run = assert_rejected(&bytes, &["E0006", "E0002"]);
    assert_eq!(run.json_lines().len(), 1, "{}", run.stdout);
}

#[test]
fn a_string_that_never_closes() {
    assert_rejected(b"workflow w {\n  send email \"welcome\n}\n", &["E0004"]);
}

#[test]
fn a_regex_that_does_not_compile() {
    assert_rejected(
        b"lead { email: string }\nlist x = lead.email matches \"(unclosed\"\n",
        &["E0301"],
    );
}

#[test]
fn an_empty_file() {
    let dir = dir_with("empty.nurture", b"");
    let run = run_in(dir.path(), &["check", "--format", "json", "empty.nurture"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(!run.json_lines().is_empty());
}

// ---- every problem is reported, not only the first ----------------------------------------

#[test]
fn errors_in_three_declarations_are_all_reported() {
    let source = "campaign \"Three mistakes\"\n\nlead {\n  email: string\n}\n\n\
                  list readers = did ebook.downloaded\n\
                  score total = fitness + 1\n\
                  on email.opened start welcome_series\n";
    let run = assert_rejected(source.as_bytes(), &["E0101", "E0102", "E0103"]);
    let lines: Vec<u64> = run
        .json_lines()
        .iter()
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [7, 8, 9], "{}", run.stdout);
    let mut codes = run.codes();
    codes.sort();
    assert_eq!(codes, ["E0101", "E0102", "E0103"]);
}

#[test]
fn syntax_errors_in_three_declarations_are_all_reported() {
    let source = "list a = did\nscore b { when add 1 }\nworkflow c { send \"x\" }\nlist ok = did email.opened\n";
    let run = assert_rejected(source.as_bytes(), &["E0001"]);
    let lines: Vec<u64> = run
        .json_lines()
        .iter()
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 2, 3], "{}", run.stdout);
}

// ---- output formats -----------------------------------------------------------------------

/// Runs `check --format FORMAT multi.nurture` in a fresh directory, so paths are stable.
fn check_multi(format: &str) -> Run {
    let dir = dir_with("multi.nurture", MULTI.as_bytes());
    let run = run_in(dir.path(), &["check", "--format", format, "multi.nurture"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run
}

#[test]
fn json_lines_carry_every_field() {
    let run = check_multi("json");
    let lines = run.json_lines();
    assert_eq!(lines.len(), 5, "{}", run.stdout);
    for d in &lines {
        assert_eq!(d["file"], "multi.nurture");
        for key in ["line", "column", "end_line", "end_column"] {
            assert!(d[key].as_u64().is_some_and(|n| n >= 1), "{key} in {d}");
        }
        let code = d["code"].as_str().expect("code");
        assert!(
            code.len() == 5
                && (code.starts_with('E') || code.starts_with('W'))
                && code[1..].chars().all(|c| c.is_ascii_digit()),
            "code {code}"
        );
        let severity = d["severity"].as_str().expect("severity");
        assert_eq!(severity == "error", code.starts_with('E'), "{d}");
        assert!(["error", "warning"].contains(&severity));
        assert!(!d["message"].as_str().expect("message").is_empty());
    }
}

#[test]
fn sarif_carries_what_github_code_scanning_requires() {
    let run = check_multi("sarif");
    let log: Value = serde_json::from_str(&run.stdout).expect("SARIF is one JSON document");
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().is_some_and(|s| s.contains("sarif")));
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "nurture");
    let rules = driver["rules"].as_array().expect("rules");
    let rule_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let results = runs[0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 5);
    for r in results {
        let rule_id = r["ruleId"].as_str().expect("ruleId");
        assert!(
            rule_ids.contains(&rule_id),
            "{rule_id} is not among the rules"
        );
        if let Some(index) = r["ruleIndex"].as_u64() {
            assert_eq!(rules[index as usize]["id"], rule_id);
        }
        assert!(["error", "warning", "note", "none"].contains(&r["level"].as_str().unwrap()));
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let locations = r["locations"].as_array().expect("locations");
        assert!(!locations.is_empty());
        for l in locations {
            let p = &l["physicalLocation"];
            assert_eq!(p["artifactLocation"]["uri"], "multi.nurture");
            assert!(p["region"]["startLine"].as_u64().is_some_and(|n| n >= 1));
            assert!(p["region"]["startColumn"].as_u64().is_some_and(|n| n >= 1));
        }
    }
}

#[test]
fn github_format_annotates_every_diagnostic() {
    let run = check_multi("github");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", run.stdout);
    for l in &lines {
        assert!(
            l.starts_with("::error file=multi.nurture,")
                || l.starts_with("::warning file=multi.nurture,"),
            "{l}"
        );
    }
    assert!(lines.iter().any(|l| l.starts_with("::warning ")));
    assert!(lines.iter().any(|l| l.starts_with("::error ")));
}

#[test]
fn github_format_appends_a_step_summary() {
    let dir = dir_with("multi.nurture", MULTI.as_bytes());
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let run = finish(
        nurture(dir.path())
            .env("GITHUB_STEP_SUMMARY", &summary)
            .args(["check", "--format", "github", "multi.nurture"]),
    );
    assert_eq!(run.code, 1);
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("earlier step\n"), "{text}");
    assert!(text.contains("## nurture check"), "{text}");
    assert!(text.contains("E0102"), "{text}");

    // Other formats leave the summary alone.
    std::fs::write(&summary, "").unwrap();
    finish(
        nurture(dir.path())
            .env("GITHUB_STEP_SUMMARY", &summary)
            .args(["check", "--format", "json", "multi.nurture"]),
    );
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), "");
}

#[test]
fn piped_or_no_color_output_has_no_ansi_escapes() {
    let dir = dir_with("multi.nurture", MULTI.as_bytes());
    let piped = run_in(dir.path(), &["check", "multi.nurture"]);
    let no_color = finish(
        nurture(dir.path())
            .env("NO_COLOR", "1")
            .args(["check", "multi.nurture"]),
    );
    for run in [piped, no_color] {
        assert_eq!(run.code, 1);
        assert!(run.stdout.contains("E0102"), "{}", run.stdout);
        assert!(!run.stdout.contains('\u{1b}'), "{}", run.stdout);
    }
}

#[test]
fn json_output_snapshot() {
    insta::assert_snapshot!(check_multi("json").stdout);
}

#[test]
fn sarif_output_snapshot() {
    let mut log: Value = serde_json::from_str(&check_multi("sarif").stdout).unwrap();
    // The version moves with every release, and the rule table grows with every new code
    // (the test above checks it); the snapshot is about this file's results.
    let driver = &mut log["runs"][0]["tool"]["driver"];
    driver["version"] = Value::from("[version]");
    assert!(!driver["rules"].as_array().unwrap().is_empty());
    driver["rules"] = Value::from("[rules]");
    // An index into that table: it shifts when a code is added before this one.
    for r in log["runs"][0]["results"].as_array_mut().unwrap() {
        r["ruleIndex"] = Value::from("[index]");
    }
    insta::assert_json_snapshot!(log);
}

// ---- nurture test on a file that does not check --------------------------------------------

/// Issue 11, item 17: a file with errors reported "0 passed, 1 failed" whatever its tests; it
/// shows the errors, and how many tests did not run.
#[test]
fn a_file_that_does_not_check_says_how_many_tests_did_not_run() {
    let campaign = "lead { email: string }\nlist x = undeclared\n\
        test \"a\" {\n lead ann { email: \"a@b.c\" }\n}\n\
        test \"b\" {\n lead bob { email: \"b@b.c\" }\n}\n";
    let dir = dir_with("broken.nurture", campaign.as_bytes());
    let run = run_in(dir.path(), &["test", "broken.nurture"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("[E0101]"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("\n  2 tests not run: broken.nurture has errors\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("\n0 passed, 0 failed, 2 not run (1 file with errors)\n"),
        "{}",
        run.stdout
    );
    let run = run_in(dir.path(), &["test", "--format", "json", "broken.nurture"]);
    assert_eq!(run.code, 1);
    let first: Value = serde_json::from_str(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["not_run"], 2);
    assert_eq!(first["passed"], false);
}

// ---- explain ------------------------------------------------------------------------------

#[test]
fn explain_prints_a_codes_documentation() {
    let dir = tempfile::tempdir().unwrap();
    for arg in ["E0102", "e0102", "unknown-event"] {
        let run = run_in(dir.path(), &["explain", arg]);
        assert_eq!(run.code, 0, "{arg}: {}", run.stderr);
        assert!(
            run.stdout.starts_with("E0102 unknown-event"),
            "{}",
            run.stdout
        );
    }
}

#[test]
fn explain_refuses_an_unknown_code() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_in(dir.path(), &["explain", "E9999"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("E9999"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

// ---- the benchmark workload ---------------------------------------------------------------

#[test]
fn the_benchmark_campaign_is_large_and_checks_without_errors() {
    let source = campaign::campaign(10_000);
    assert!(
        source.lines().count() >= 10_000,
        "{} lines",
        source.lines().count()
    );
    let checked = nurture::check::check_source("bench.nurture", source.as_bytes());
    assert_eq!(
        checked.report.errors(),
        0,
        "{:#?}",
        &checked.report.diagnostics[..checked.report.diagnostics.len().min(5)]
    );
    assert!(checked.program.is_some());
}

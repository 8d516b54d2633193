//! The example campaigns run over their example events (`examples/<name>.jsonl`) with the
//! built binary, as the README shows: every run is clean, its action trace is snapshotted,
//! and two runs of the same input give the same bytes, ids included.
//!
//! Each snapshot was checked by hand against its campaign: times, templates, policies, the
//! split variant and conversions. A change in one is a change in what gets sent: read it.

use serde_json::Value;
use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_nurture");

/// Each example, and the `--until` time that lets every wait its events start fire.
const EXAMPLES: &[(&str, &str)] = &[
    ("b2b_scoring", "2026-04-30T00:00:00Z"),
    ("cart_recovery", "2026-04-06T00:00:00Z"),
    ("coupon_leadgen", "2026-05-25T00:00:00Z"),
    ("ebook_welcome", "2026-04-01T00:00:00Z"),
    ("fashion_segments", "2026-02-01T00:00:00Z"),
    ("post_purchase", "2026-06-01T00:00:00Z"),
];

/// The example the README's quick start runs.
const README_EXAMPLE: &str = "ebook_welcome";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn until_of(name: &str) -> &'static str {
    EXAMPLES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .unwrap_or_else(|| panic!("{name} is not in EXAMPLES"))
}

fn nurture() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(root())
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

struct Run {
    stdout: String,
    stderr: String,
    rejects: String,
}

/// `nurture run examples/<name>.nurture --events examples/<name>.jsonl --until T
/// --memberships --rejects FILE`, which must exit 0.
fn run_example(name: &str) -> Run {
    let dir = tempfile::tempdir().expect("temporary directory");
    let rejects = dir.path().join("rejects.jsonl");
    let out = nurture()
        .arg("run")
        .arg(format!("examples/{name}.nurture"))
        .arg("--events")
        .arg(format!("examples/{name}.jsonl"))
        .arg("--until")
        .arg(until_of(name))
        .arg("--memberships")
        .arg("--rejects")
        .arg(&rejects)
        .output()
        .expect("nurture runs");
    let run = Run {
        stdout: String::from_utf8(out.stdout).expect("actions are UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        rejects: std::fs::read_to_string(&rejects).expect("the rejects file is written"),
    };
    assert_eq!(
        out.status.code(),
        Some(0),
        "{name} did not run clean:\n{}",
        run.stderr
    );
    run
}

/// What every example run must satisfy, whatever its journeys: no rejects, actions in time
/// order and no later than `--until`, each with the fields of the output contract and an id of
/// its own, and only for leads that the events file names.
fn check_clean(name: &str, run: &Run) -> Vec<Value> {
    assert_eq!(run.rejects, "", "{name}: the example events have rejects");
    assert!(
        !run.stderr.contains("rejected:"),
        "{name}: a line was rejected:\n{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("; 0 rejected\n"),
        "{name}: no summary with 0 rejected:\n{}",
        run.stderr
    );
    let events = std::fs::read_to_string(root().join(format!("examples/{name}.jsonl")))
        .expect("the events file");
    let leads: HashSet<String> = events
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: {e}: {l}"));
            v["userId"].as_str().expect("a string userId").to_string()
        })
        .collect();
    let until = until_of(name);
    let actions: Vec<Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {l}")))
        .collect();
    assert!(!actions.is_empty(), "{name}: no actions");
    let mut ids = HashSet::new();
    let mut last = "";
    for a in &actions {
        let at = a["at"].as_str().expect("`at` is a string");
        assert!(at >= last, "{name}: actions out of time order at {a}");
        assert!(at <= until, "{name}: an action after --until: {a}");
        last = at;
        let lead = a["lead"].as_str().expect("`lead` is a string");
        assert!(leads.contains(lead), "{name}: unknown lead in {a}");
        assert!(a["action"].is_string(), "{name}: no `action` in {a}");
        let id = a["id"].as_str().expect("`id` is a string");
        assert!(
            id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}: id {id:?} is not 16 hex digits"
        );
        assert!(ids.insert(id.to_string()), "{name}: id {id} given twice");
    }
    actions
}

/// Runs an example, checks it and snapshots its action trace.
fn snapshot_example(name: &str) -> (Run, Vec<Value>) {
    let run = run_example(name);
    let actions = check_clean(name, &run);
    insta::assert_snapshot!(name, run.stdout);
    (run, actions)
}

fn count(actions: &[Value], pred: impl Fn(&Value) -> bool) -> usize {
    actions.iter().filter(|a| pred(a)).count()
}

fn is(a: &Value, lead: &str, action: &str) -> bool {
    a["lead"] == lead && a["action"] == action
}

#[test]
fn b2b_scoring() {
    let (_, actions) = snapshot_example("b2b_scoring");
    // The student never reaches sales, however engaged.
    assert_eq!(
        count(&actions, |a| a["lead"] == "stu" && a["action"] == "notify"),
        0
    );
    // The quiet hand-off is recycled; the ones sales took on are not.
    assert_eq!(
        count(&actions, |a| a["workflow"] == "recycle"
            && a["action"] == "send"),
        2
    );
    assert!(actions
        .iter()
        .all(|a| a["workflow"] != "recycle" || a["lead"] == "rae"));
    // A demo request that names its deal size tells sales the size, as data too.
    let deal = actions
        .iter()
        .find(|a| is(a, "dee", "notify") && a["trigger"].is_string())
        .expect("sales hears of Dee's deal");
    assert_eq!(deal["data"]["deal_size"], 48000.0);
    assert_eq!(deal["data"]["company"], "Umbrella");
}

#[test]
fn cart_recovery() {
    let (_, actions) = snapshot_example("cart_recovery");
    // No discount to someone who already paid.
    assert!(!actions.iter().any(|a| a["lead"] == "dan"
        && a["template"]
            .as_str()
            .is_some_and(|t| t.starts_with("cart-discount"))));
    assert_eq!(
        count(&actions, |a| is(a, "gus", "suppressed")
            && a["rule"] == "frequency email at most 4 per 7d"),
        2
    );
    // Each reminder lists the cart that started its run, its items and value: Gus's third
    // cart, not his first.
    let reminders: Vec<&Value> = (actions.iter())
        .filter(|a| is(a, "gus", "send") && a["template"] == "cart-reminder")
        .collect();
    let carts: Vec<&Value> = reminders.iter().map(|a| &a["data"]["cart_id"]).collect();
    assert_eq!(carts, ["c-201", "c-202", "c-203"]);
    assert_eq!(
        reminders[2]["data"]["items"],
        serde_json::json!([
            "Colombia Huila, 250 g",
            "Kenya AA, 250 g",
            "Ethiopia Yirgacheffe, 250 g"
        ])
    );
    assert_eq!(reminders[2]["data"]["value"], 60.0);
    let cleo = (actions.iter())
        .find(|a| is(a, "cleo", "send") && a["template"] == "cart-reminder")
        .expect("Cleo's reminder");
    assert_eq!(
        cleo["data"],
        serde_json::json!({
            "cart_id": "c-101",
            "items": ["Ethiopia Yirgacheffe, 250 g", "Hand grinder C2"],
            "value": 84.5,
            "first_name": "Cleo"
        })
    );
}

#[test]
fn coupon_leadgen() {
    let (_, actions) = snapshot_example("coupon_leadgen");
    // The throwaway address gets nothing but its list membership.
    assert!(actions
        .iter()
        .filter(|a| a["lead"] == "tom")
        .all(|a| a["action"] == "enter"));
    assert_eq!(count(&actions, |a| a["action"] == "converted"), 3);
}

#[test]
fn ebook_welcome() {
    let (run, actions) = snapshot_example("ebook_welcome");
    // The undeclared events are skipped and counted; the page calls are page views.
    assert!(
        run.stderr.contains(
            "32 lines: 23 events, 6 identifies, 6 leads; 31 actions (3 suppressed sends, 2 \
             conversions); 0 rejected\nskipped, not in the campaign: Application Opened (2), \
             Signed Up (1)\n"
        ),
        "{}",
        run.stderr
    );
    // Both variants of the split are used, each by the lead its hash gives.
    assert_eq!(
        count(&actions, |a| is(a, "ann", "send")
            && a["template"] == "trial-offer-30-days"),
        1
    );
    assert_eq!(
        count(&actions, |a| is(a, "bea", "send")
            && a["template"] == "trial-offer-team-of-5"),
        1
    );
    // Without consent, no series.
    assert!(actions
        .iter()
        .filter(|a| a["lead"] == "dev")
        .all(|a| a["action"] == "enter"));
    // `cat` falls in the 10% holdout: enrolled and recorded so, sent nothing, and her trial
    // is a held-out conversion; the treated `ann` converts as treated.
    assert_eq!(
        count(&actions, |a| is(a, "cat", "holdout")
            && a["workflow"] == "welcome_series"),
        1
    );
    assert_eq!(count(&actions, |a| is(a, "cat", "send")), 0);
    assert_eq!(
        count(&actions, |a| is(a, "cat", "converted")
            && a["holdout"] == true),
        1
    );
    assert_eq!(
        count(&actions, |a| is(a, "ann", "converted")
            && a["holdout"] == false),
        1
    );
}

#[test]
fn fashion_segments() {
    let (_, actions) = snapshot_example("fashion_segments");
    // The app user still looking at coats gets the low-stock push two days after the fit
    // guide; nobody else does.
    let pushes: Vec<&Value> = actions.iter().filter(|a| a["channel"] == "push").collect();
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    assert_eq!(pushes[0]["lead"], "zoe");
    assert_eq!(pushes[0]["action"], "send");
}

#[test]
fn post_purchase() {
    let (_, actions) = snapshot_example("post_purchase");
    // A road bike gets no trail routes.
    assert!(!actions
        .iter()
        .any(|a| a["lead"] == "ned" && a["template"] == "routes-near-you"));
    // The rider who let us text gets the service reminder by SMS.
    assert_eq!(
        count(&actions, |a| is(a, "mia", "send") && a["channel"] == "sms"),
        1
    );
}

#[test]
fn every_example_has_events_and_an_until_time() {
    let mut campaigns: Vec<String> = std::fs::read_dir(root().join("examples"))
        .expect("examples/")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "nurture"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    campaigns.sort();
    let table: Vec<String> = EXAMPLES.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(
        campaigns, table,
        "EXAMPLES must list every example campaign"
    );
    for (name, until) in EXAMPLES {
        let events = root().join(format!("examples/{name}.jsonl"));
        assert!(events.is_file(), "{} is missing", events.display());
        // Lines in time order, each a Segment identify or track call.
        let text = std::fs::read_to_string(&events).unwrap();
        let mut last = String::new();
        for (i, line) in text.lines().enumerate() {
            let v: Value = serde_json::from_str(line).unwrap();
            let at = v["timestamp"].as_str().expect("a timestamp").to_string();
            assert!(at >= last, "{name}.jsonl line {}: out of time order", i + 1);
            assert!(
                at.as_str() < *until,
                "{name}.jsonl line {}: after --until",
                i + 1
            );
            last = at;
        }
    }
}

/// Two runs of the same input write the same bytes, ids included.
#[test]
fn runs_are_deterministic() {
    for (name, until) in EXAMPLES {
        let once = || {
            nurture()
                .arg("run")
                .arg(format!("examples/{name}.nurture"))
                .arg("--events")
                .arg(format!("examples/{name}.jsonl"))
                .arg("--until")
                .arg(until)
                .arg("--memberships")
                .output()
                .expect("nurture runs")
        };
        let (a, b) = (once(), once());
        assert_eq!(a.status.code(), Some(0), "{name}");
        assert!(!a.stdout.is_empty(), "{name}: no output");
        assert!(a.stdout == b.stdout, "{name}: two runs differ");
    }
}

/// The language sketch's contract campaign over a few leads: the same bytes twice, whether
/// the events come from a file or standard input and the actions go to standard output or a
/// file.
#[test]
fn the_contract_campaign_runs_deterministically() {
    const EVENTS: &str = r#"{"type":"identify","userId":"ann","traits":{"email":"ann@acme.example","job_title":"VP Marketing","company_size":200,"country":"US"},"timestamp":"2026-03-02T08:00:00Z"}
{"type":"track","userId":"ann","event":"Ebook Downloaded","properties":{"title":"Lead nurturing 101"},"timestamp":"2026-03-02T09:00:00Z"}
{"type":"track","userId":"bob","event":"cart.abandoned","properties":{"cart_value":80.0,"items":2},"timestamp":"2026-03-02T09:30:00Z"}
{"type":"track","userId":"ann","event":"email.opened","properties":{"template":"welcome-brand-values"},"timestamp":"2026-03-02T10:00:00Z"}
{"type":"track","userId":"ann","event":"page.viewed","properties":{"url":"/pricing"},"timestamp":"2026-03-02T10:05:00Z"}
{"type":"track","userId":"ann","event":"email.clicked","properties":{"template":"welcome-brand-values"},"timestamp":"2026-03-02T10:06:00Z"}
{"type":"track","userId":"cy","event":"order.placed","properties":{"order_id":"o-1","total":20.0},"timestamp":"2026-03-02T11:00:00Z"}
{"type":"track","userId":"bob","event":"order.placed","properties":{"order_id":"o-2","total":80.0},"timestamp":"2026-03-03T12:00:00Z"}
"#;
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("contract.jsonl");
    std::fs::write(&events, EVENTS).unwrap();
    let campaign = root().join("tests/fixtures/contract.nurture");
    let until = "2026-04-15T00:00:00Z";
    let from_file = || -> Output {
        nurture()
            .arg("run")
            .arg(&campaign)
            .arg("--events")
            .arg(&events)
            .arg("--until")
            .arg(until)
            .output()
            .unwrap()
    };
    let (a, b) = (from_file(), from_file());
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    let text = String::from_utf8(a.stdout.clone()).unwrap();
    // Each of the journeys did something: the welcome series, the cart recovery, the
    // hand-off of a hot lead and the post-purchase series.
    for needle in [
        "\"template\":\"welcome-brand-values\"",
        "\"template\":\"cart-reminder\"",
        "\"audience\":\"sales\"",
        "\"template\":\"routes-near-you\"",
    ] {
        assert!(text.contains(needle), "no {needle} in\n{text}");
    }
    assert!(a.stdout == b.stdout, "two runs differ");

    // From standard input, to a file.
    let out = dir.path().join("actions.jsonl");
    let mut child = nurture()
        .arg("run")
        .arg(&campaign)
        .arg("--events")
        .arg("-")
        .arg("--until")
        .arg(until)
        .arg("--out")
        .arg(&out)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(EVENTS.as_bytes())
        .unwrap();
    let c = child.wait_with_output().unwrap();
    assert_eq!(c.status.code(), Some(0));
    assert!(c.stdout.is_empty());
    assert!(
        std::fs::read(&out).unwrap() == a.stdout,
        "stdin/--out differs"
    );
}

#[test]
fn the_examples_tests_pass() {
    let out = nurture().args(["test", "examples/"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

/// The README's quick start runs the example it names with the time in `EXAMPLES`, and the
/// output line it shows is one the run writes.
#[test]
fn the_readme_quick_start_matches_the_example() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let command = format!(
        "cargo run --release -- run examples/{0}.nurture --events examples/{0}.jsonl --until {1}",
        README_EXAMPLE,
        until_of(README_EXAMPLE)
    );
    assert!(readme.contains(&command), "README.md lacks `{command}`");
    let run = run_example(README_EXAMPLE);
    let shown: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("{\"at\":"))
        .collect();
    assert!(!shown.is_empty(), "README.md shows no output line");
    for line in shown {
        assert!(
            run.stdout.lines().any(|l| l == line),
            "README.md shows a line the run does not write: {line}"
        );
    }
    // And its summary, line for line: the same lines, the timing line with other figures.
    let printed: Vec<&str> = run.stderr.lines().collect();
    assert!(printed[0].ends_with("; 0 rejected"), "{}", run.stderr);
    let first = readme
        .lines()
        .position(|l| l == printed[0])
        .unwrap_or_else(|| panic!("README.md does not show the summary line {:?}", printed[0]));
    let shown: Vec<&str> = readme
        .lines()
        .skip(first)
        .take_while(|l| !l.starts_with("```"))
        .collect();
    assert_eq!(
        shown.len(),
        printed.len(),
        "README.md shows {shown:#?}, the run prints {printed:#?}"
    );
    let (timing_shown, timing_printed) = (shown[shown.len() - 1], printed[printed.len() - 1]);
    assert_eq!(shown[..shown.len() - 1], printed[..printed.len() - 1]);
    assert_eq!(
        timing_shape(timing_shown),
        timing_shape(timing_printed),
        "README.md shows the timing line {timing_shown:?}, the run prints {timing_printed:?}"
    );
}

/// The timing line of a run summary with its two timings left out:
/// `0.00s, 21777 events/s, 140 bytes of state per lead` is `_s, _ events/s, 140 bytes of
/// state per lead`. Panics on a line of another form.
fn timing_shape(line: &str) -> String {
    let (secs, rest) = line.split_once("s, ").expect("`…s, ` first");
    let (rate, rest) = rest.split_once(" events/s, ").expect("then `… events/s, `");
    assert!(secs.parse::<f64>().is_ok(), "seconds in {line:?}");
    assert!(rate.parse::<u64>().is_ok(), "events/s in {line:?}");
    format!("_s, _ events/s, {rest}")
}

//! `nurture run --state`: a run killed with SIGKILL at random moments and resumed each time
//! emits exactly the actions of an uninterrupted run, none lost and none twice; a run split
//! over several inputs equals one run over all of them; a changed campaign is refused, and
//! `--migrate` carries workflow runs over by workflow name and step label.

use serde_json::Value;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

#[path = "../benches/support/workload.rs"]
#[allow(dead_code)]
mod workload;

const BIN: &str = env!("CARGO_BIN_EXE_nurture");
const CONTRACT: &str = "tests/fixtures/contract.nurture";
/// After the workload's 30 days: every wait has fired by then.
const UNTIL: &str = "2026-06-01T00:00:00Z";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn nurture(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .output()
        .expect("runs nurture")
}

fn ids(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("an action is JSON");
            v["id"].as_str().expect("an action has an id").to_string()
        })
        .collect()
}

fn write_events(dir: &Path, name: &str, lines: &[String]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("writes events");
    path.to_string_lossy().into_owned()
}

#[test]
fn killed_and_resumed_runs_emit_exactly_the_uninterrupted_actions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lines = workload::lines(7, 2_000, 30_000, 30);
    let events = write_events(dir.path(), "events.jsonl", &lines);
    let expected_path = dir.path().join("expected.jsonl");
    let expected_out = expected_path.to_string_lossy().into_owned();

    // The uninterrupted run, in memory.
    let started = Instant::now();
    let r = nurture(&[
        "run",
        CONTRACT,
        "--events",
        &events,
        "--out",
        &expected_out,
        "--until",
        UNTIL,
        "--memberships",
    ]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let full = started.elapsed();
    let expected = std::fs::read_to_string(&expected_path).expect("reads actions");
    let expected_ids = ids(&expected);
    assert!(expected_ids.len() > 1_000, "the workload makes actions");
    assert_eq!(
        expected_ids.iter().collect::<HashSet<_>>().len(),
        expected_ids.len(),
        "no two actions share an id"
    );

    // The same run with a state database, killed at random moments and resumed.
    let db = dir.path().join("state.db").to_string_lossy().into_owned();
    let out_path = dir.path().join("out.jsonl");
    let out = out_path.to_string_lossy().into_owned();
    let args = [
        "run",
        CONTRACT,
        "--state",
        &db,
        "--events",
        &events,
        "--out",
        &out,
        "--until",
        UNTIL,
        "--memberships",
        "--commit-every",
        "2000",
    ];
    let mut rng = fastrand::Rng::with_seed(2026);
    let mut kills = 0;
    let mut resumed_from = Vec::new();
    for _ in 0..40 {
        if kills == 5 {
            break;
        }
        let mut child = Command::new(BIN)
            .args(args)
            .current_dir(root())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts nurture");
        // A state run takes longer than the in-memory one: kill somewhere in it.
        let wait = full.mul_f64(0.2 + rng.f64() * 1.2);
        std::thread::sleep(wait);
        let running = child.try_wait().expect("polls").is_none();
        if running {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaps");
        }
        // A kill that lands after the run wrote all its actions finds it finishing (its
        // last commit may be made): that is no kill mid-way.
        let complete = std::fs::read_to_string(&out_path).is_ok_and(|o| o == expected);
        if running && !complete {
            kills += 1;
            resumed_from.push(std::fs::metadata(&out_path).map_or(0, |m| m.len()));
        } else {
            // It finished before the kill: start over for another try.
            std::fs::remove_file(&db).expect("removes the state");
            let _ = std::fs::remove_file(format!("{db}-wal"));
            let _ = std::fs::remove_file(format!("{db}-shm"));
        }
    }
    assert_eq!(kills, 5, "five runs were killed mid-way");
    let r = nurture(&args);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let got = std::fs::read_to_string(&out_path).expect("reads actions");
    let got_ids = ids(&got);
    let unique: HashSet<&String> = got_ids.iter().collect();
    assert_eq!(unique.len(), got_ids.len(), "no action was emitted twice");
    assert_eq!(got_ids.len(), expected_ids.len(), "no action was lost");
    assert!(
        got == expected,
        "the actions are the uninterrupted run's, in order"
    );
    // Some kill landed after a commit with output, so a resume had something to go on from.
    assert!(
        resumed_from.iter().any(|n| *n > 0),
        "the kills left committed output: {resumed_from:?}"
    );
}

#[test]
fn a_run_split_over_inputs_equals_one_run_and_state_shows_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lines = workload::lines(11, 300, 4_000, 30);
    let all = write_events(dir.path(), "all.jsonl", &lines);
    let first = write_events(dir.path(), "first.jsonl", &lines[..1_500]);
    let second = write_events(dir.path(), "second.jsonl", &lines[1_500..]);
    let r = nurture(&["run", CONTRACT, "--events", &all, "--until", UNTIL]);
    assert_eq!(r.status.code(), Some(0));
    let expected = String::from_utf8(r.stdout).expect("UTF-8");

    let db = dir.path().join("s.db").to_string_lossy().into_owned();
    let a = nurture(&["run", CONTRACT, "--state", &db, "--events", &first]);
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    let b = nurture(&["run", CONTRACT, "--state", &db, "--events", &second]);
    assert_eq!(
        b.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&b.stderr)
    );
    // `--until` alone on a state database fires what is due.
    let c = nurture(&["run", CONTRACT, "--state", &db, "--until", UNTIL]);
    assert_eq!(
        c.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&c.stderr)
    );
    let got = [a.stdout, b.stdout, c.stdout].concat();
    assert_eq!(String::from_utf8(got).expect("UTF-8"), expected);

    let s = nurture(&["state", &db]);
    assert_eq!(
        s.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&s.stderr)
    );
    let text = String::from_utf8(s.stdout).expect("UTF-8");
    assert!(text.contains("leads: 300"), "{text}");
    assert!(text.contains("lists"), "{text}");
    assert!(text.contains("pending timers"), "{text}");

    let lead = lines[0]
        .split("\"userId\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a lead id");
    let s = nurture(&["state", &db, "--lead", lead]);
    assert_eq!(
        s.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&s.stderr)
    );
    let text = String::from_utf8(s.stdout).expect("UTF-8");
    assert!(text.starts_with(lead), "{text}");
    assert!(text.contains("attributes"), "{text}");
    let s = nurture(&["state", &db, "--lead", "nobody-at-all"]);
    assert_eq!(s.status.code(), Some(1));
}

/// A campaign with a two-step workflow: the state keeps leads waiting in it.
const V1: &str = r#"campaign "Migrate"

lead { email: string }

event signed.up as "Signed Up" {}

list members = did signed.up

on signed.up start welcome

workflow welcome {
  send email "hello"
  wait 2d
  send email "tips"
  wait 3d
  send email "offer"
}

workflow dormant {
  send email "ping"
  wait 5d
  send email "pong"
}

on signed.up start dormant
"#;

/// V1 with a step added before the first wait, and `dormant` gone.
const V2: &str = r#"campaign "Migrate"

lead { email: string }

event signed.up as "Signed Up" {}

list members = did signed.up

on signed.up start welcome

workflow welcome {
  send email "hello"
  send email "intro"
  wait 2d
  send email "tips"
  wait 3d
  send email "offer"
}
"#;

fn signed(lead: &str, at: &str) -> String {
    format!(
        r#"{{"type":"track","userId":"{lead}","event":"Signed Up","properties":{{}},"timestamp":"{at}"}}"#
    )
}

#[test]
fn a_changed_campaign_is_refused_and_migrate_carries_runs_over() {
    let dir = tempfile::tempdir().expect("temp dir");
    let v1 = dir.path().join("v1.nurture");
    let v2 = dir.path().join("v2.nurture");
    std::fs::write(&v1, V1).expect("writes");
    std::fs::write(&v2, V2).expect("writes");
    let (v1, v2) = (v1.to_string_lossy(), v2.to_string_lossy());
    let events = write_events(
        dir.path(),
        "e.jsonl",
        &[
            signed("ann", "2026-03-01T09:00:00Z"),
            signed("bob", "2026-03-02T09:00:00Z"),
        ],
    );
    let db = dir.path().join("s.db").to_string_lossy().into_owned();
    let r = nurture(&["run", &v1, "--state", &db, "--events", &events]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    // At 2026-03-04: ann is past her first wait (waiting 3d), bob still in his first.
    let r = nurture(&[
        "run",
        &v1,
        "--state",
        &db,
        "--until",
        "2026-03-03T12:00:00Z",
    ]);
    assert_eq!(r.status.code(), Some(0));
    let tips = String::from_utf8(r.stdout).expect("UTF-8");
    assert_eq!(tips.matches("\"tips\"").count(), 1, "{tips}");

    let r = nurture(&[
        "run",
        &v2,
        "--state",
        &db,
        "--until",
        "2026-03-20T00:00:00Z",
    ]);
    assert_eq!(r.status.code(), Some(2), "a changed campaign is refused");
    let err = String::from_utf8(r.stderr).expect("UTF-8");
    assert!(err.contains("workflow dormant was removed"), "{err}");
    assert!(err.contains("workflow welcome changed its steps"), "{err}");
    assert!(err.contains("added: send email \"intro\""), "{err}");
    assert!(err.contains("--migrate"), "{err}");
    assert!(r.stdout.is_empty(), "nothing ran");

    let r = nurture(&[
        "run",
        &v2,
        "--state",
        &db,
        "--migrate",
        "--until",
        "2026-03-20T00:00:00Z",
    ]);
    let err = String::from_utf8(r.stderr).expect("UTF-8");
    assert_eq!(r.status.code(), Some(0), "{err}");
    assert!(err.contains("2 open runs carried over"), "{err}");
    // Both were waiting in dormant, which is gone: each run is reported.
    for lead in ["ann", "bob"] {
        assert!(
            err.contains(&format!(
                "run not carried over: {lead}: dormant: at step wait 5"
            )),
            "{err}"
        );
    }
    assert!(err.contains("2 not carried over"), "{err}");
    let out = String::from_utf8(r.stdout).expect("UTF-8");
    // bob's welcome resumes after his first wait; ann's after her second: each gets what
    // is left, and no one is sent `hello` again.
    let sent = |lead: &str, t: &str| {
        out.lines()
            .filter(|l| {
                l.contains(&format!("\"lead\":\"{lead}\"")) && l.contains(&format!("\"{t}\""))
            })
            .count()
    };
    assert_eq!(sent("bob", "tips"), 1, "{out}");
    assert_eq!(sent("bob", "offer"), 1, "{out}");
    assert_eq!(sent("ann", "offer"), 1, "{out}");
    assert_eq!(sent("ann", "tips"), 0, "{out}");
    assert_eq!(sent("ann", "hello") + sent("bob", "hello"), 0, "{out}");

    // Now the state is V2's: V2 runs against it without --migrate, and V1 is refused.
    let r = nurture(&[
        "run",
        &v2,
        "--state",
        &db,
        "--until",
        "2026-03-21T00:00:00Z",
    ]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let r = nurture(&[
        "run",
        &v1,
        "--state",
        &db,
        "--until",
        "2026-03-22T00:00:00Z",
    ]);
    assert_eq!(r.status.code(), Some(2));
}

#[test]
fn a_new_comment_is_not_a_change_of_campaign() {
    let dir = tempfile::tempdir().expect("temp dir");
    let v1 = dir.path().join("v1.nurture");
    let commented = dir.path().join("commented.nurture");
    std::fs::write(&v1, V1).expect("writes");
    std::fs::write(
        &commented,
        format!("// A note for the team, and a blank line.\n\n{V1}"),
    )
    .expect("writes");
    let (v1, commented) = (v1.to_string_lossy(), commented.to_string_lossy());
    let events = write_events(
        dir.path(),
        "e.jsonl",
        &[signed("ann", "2026-03-01T09:00:00Z")],
    );
    let db = dir.path().join("s.db").to_string_lossy().into_owned();
    let r = nurture(&["run", &v1, "--state", &db, "--events", &events]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let r = nurture(&[
        "run",
        &commented,
        "--state",
        &db,
        "--until",
        "2026-03-10T00:00:00Z",
    ]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(!String::from_utf8_lossy(&r.stdout).is_empty());
}

/// `nurture run CAMPAIGN --state DB` with more arguments; fails the test unless it exits 0.
fn run_ok(campaign: &str, db: &str, more: &[&str]) -> std::process::Output {
    let mut args = vec!["run", campaign, "--state", db];
    args.extend_from_slice(more);
    let r = nurture(&args);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    r
}

/// `nurture state DB …`: its standard output, which must be the whole of a success.
fn state(args: &[&str]) -> String {
    let mut all = vec!["state"];
    all.extend_from_slice(args);
    let r = nurture(&all);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    String::from_utf8(r.stdout).expect("UTF-8")
}

fn json(text: &str) -> Value {
    serde_json::from_str(text.trim_end()).expect("one JSON value")
}

fn identify(lead: &str, traits: &str, at: &str) -> String {
    let lead = serde_json::to_string(lead).expect("a JSON string");
    format!(r#"{{"type":"identify","userId":{lead},"traits":{traits},"timestamp":"{at}"}}"#)
}

fn track(lead: &str, event: &str, props: &str, at: &str) -> String {
    let lead = serde_json::to_string(lead).expect("a JSON string");
    format!(
        r#"{{"type":"track","userId":{lead},"event":"{event}","properties":{props},"timestamp":"{at}"}}"#
    )
}

#[test]
fn a_changed_step_is_reported_as_removed_and_added() {
    // V1's `wait 2d` becomes a `wait 3d`, a label the workflow already has further down: the
    // report names both, and the plural of what it counts is right.
    let dir = tempfile::tempdir().expect("temp dir");
    let v1 = dir.path().join("v1.nurture");
    let v3 = dir.path().join("v3.nurture");
    std::fs::write(&v1, V1).expect("writes");
    std::fs::write(&v3, V1.replacen("wait 2d", "wait 3d", 1)).expect("writes");
    let (v1, v3) = (v1.to_string_lossy(), v3.to_string_lossy());
    let events = write_events(
        dir.path(),
        "e.jsonl",
        &[signed("ann", "2026-03-01T09:00:00Z")],
    );
    let db = dir.path().join("s.db").to_string_lossy().into_owned();
    run_ok(&v1, &db, &["--events", &events]);
    let r = nurture(&["run", &v3, "--state", &db]);
    assert_eq!(r.status.code(), Some(2), "a changed campaign is refused");
    let err = String::from_utf8(r.stderr).expect("UTF-8");
    assert!(
        err.contains("workflow welcome changed its steps; removed: wait 2d; added: wait 3d\n"),
        "{err}"
    );

    let r = run_ok(&v3, &db, &["--migrate"]);
    let err = String::from_utf8(r.stderr).expect("UTF-8");
    assert!(
        err.contains(
            "run not carried over: ann: welcome: at step wait 2d, which the workflow no longer has"
        ),
        "{err}"
    );
    assert!(
        err.contains("migrated 1 lead: 1 open run carried over, 1 not carried over"),
        "{err}"
    );
}

#[test]
fn migrate_carries_enum_values_by_name() {
    let v1 = r#"campaign "Plans"

lead { email: string?, plan: Plan = free }

enum Plan { free, pro, team }
"#;
    // `free` is gone, `trial` is new, and the others moved.
    let v2 = r#"campaign "Plans"

lead { email: string?, plan: Plan = trial }

enum Plan { trial, team, pro }
"#;
    let dir = tempfile::tempdir().expect("temp dir");
    let (p1, p2) = (dir.path().join("v1.nurture"), dir.path().join("v2.nurture"));
    std::fs::write(&p1, v1).expect("writes");
    std::fs::write(&p2, v2).expect("writes");
    let (p1, p2) = (p1.to_string_lossy(), p2.to_string_lossy());
    let events = write_events(
        dir.path(),
        "e.jsonl",
        &[
            identify("ann", r#"{"plan":"team"}"#, "2026-03-01T09:00:00Z"),
            identify("bob", r#"{"plan":"pro"}"#, "2026-03-01T10:00:00Z"),
            identify("cat", r#"{"plan":"free"}"#, "2026-03-01T11:00:00Z"),
            identify("dan", r#"{"email":"d@x.io"}"#, "2026-03-01T12:00:00Z"),
        ],
    );
    let db = dir.path().join("s.db").to_string_lossy().into_owned();
    run_ok(&p1, &db, &["--events", &events]);
    let r = nurture(&["run", &p2, "--state", &db]);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8(r.stderr).expect("UTF-8");
    assert!(
        err.contains("attribute plan: its enum changed its values; removed: free; added: trial"),
        "{err}"
    );

    let r = run_ok(&p2, &db, &["--migrate"]);
    let err = String::from_utf8(r.stderr).expect("UTF-8");
    assert!(
        err.contains(
            "attribute plan: free is no longer a value of its enum: 2 leads had it and have \
             the default now"
        ),
        "{err}"
    );
    let plan = |lead: &str| {
        json(&state(&[&db, "--lead", lead, "--format", "json"]))["attributes"]["plan"].clone()
    };
    assert_eq!(plan("ann"), "team");
    assert_eq!(plan("bob"), "pro");
    assert_eq!(plan("cat"), "trial");
    assert_eq!(plan("dan"), "trial");
}

#[test]
fn migrate_carries_filtered_history_and_on_rule_caps() {
    let v1 = r#"campaign "Pricing"

lead { email: string? }

score engagement {
  on page.viewed where url starts_with "/pricing" add 10 at most 1 times per 7d
}

list pricing_fans = count page.viewed where url starts_with "/pricing" >= 3
list recently = did page.viewed where url == "/pricing/teams" within 30d
"#;
    // A new list and rule first, so every pool index after them moves; the filters, the
    // cap and the rule stay.
    let v2 = r#"campaign "Pricing"

lead { email: string? }

list docs_readers = did page.viewed where url starts_with "/docs"

score engagement {
  on form.submitted add 5
  on page.viewed where url starts_with "/pricing" add 10 at most 1 times per 7d
}

list pricing_fans = count page.viewed where url starts_with "/pricing" >= 3
list recently = did page.viewed where url == "/pricing/teams" within 30d
"#;
    let dir = tempfile::tempdir().expect("temp dir");
    let (p1, p2) = (dir.path().join("v1.nurture"), dir.path().join("v2.nurture"));
    std::fs::write(&p1, v1).expect("writes");
    std::fs::write(&p2, v2).expect("writes");
    let (p1, p2) = (p1.to_string_lossy(), p2.to_string_lossy());
    let viewed =
        |url: &str, at: &str| track("ann", "page.viewed", &format!(r#"{{"url":"{url}"}}"#), at);
    let before = write_events(
        dir.path(),
        "before.jsonl",
        &[
            viewed("/pricing", "2026-03-01T09:00:00Z"),
            viewed("/pricing/teams", "2026-03-02T09:00:00Z"),
        ],
    );
    let after = write_events(
        dir.path(),
        "after.jsonl",
        &[viewed("/pricing", "2026-03-03T09:00:00Z")],
    );
    let db = dir.path().join("s.db").to_string_lossy().into_owned();
    run_ok(&p1, &db, &["--events", &before]);
    let ann = json(&state(&[&db, "--lead", "ann", "--format", "json"]));
    assert_eq!(
        ann["scores"]["engagement"], 10,
        "the cap held the second view"
    );

    let r = run_ok(&p2, &db, &["--migrate", "--events", &after]);
    let err = String::from_utf8(r.stderr).expect("UTF-8");
    // Only docs_readers' aggregate is new.
    assert!(
        err.contains("note: 1 history aggregate is new (or its filter changed) and starts empty\n"),
        "{err}"
    );
    assert!(!err.contains("on-rule cap"), "{err}");
    let ann = json(&state(&[&db, "--lead", "ann", "--format", "json"]));
    // The count went on from 2 to 3; the view three days after the first is still inside
    // the cap's week; the latest match of the other filter came along.
    assert_eq!(ann["lists"]["pricing_fans"], true, "{ann}");
    assert_eq!(ann["scores"]["engagement"], 10, "{ann}");
    assert_eq!(ann["lists"]["recently"], true, "{ann}");
}

#[test]
fn state_counts_only_the_timers_that_will_fire() {
    let campaign = r#"campaign "Stale"

lead { email: string? }

event signed.up as "Signed Up" {}

on signed.up start welcome

workflow welcome {
  enroll every time
  exit when did email.unsubscribed since enrolled

  send email "hello"
  wait 2d
  send email "tips"
}
"#;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("c.nurture");
    std::fs::write(&path, campaign).expect("writes");
    let path = path.to_string_lossy();
    // ann signs up twice: her run starts over and waits for a later wake. bob unsubscribes:
    // his run ends. Their first timers stay queued, to be skipped when due.
    let events = write_events(
        dir.path(),
        "e.jsonl",
        &[
            signed("ann", "2026-03-01T09:00:00Z"),
            signed("bob", "2026-03-01T09:30:00Z"),
            signed("ann", "2026-03-01T10:00:00Z"),
            track(
                "bob",
                "email.unsubscribed",
                r#"{"template":"hello"}"#,
                "2026-03-01T11:00:00Z",
            ),
        ],
    );
    let db = dir.path().join("s.db").to_string_lossy().into_owned();
    run_ok(&path, &db, &["--events", &events]);
    let text = state(&[&db]);
    assert!(text.contains("welcome: 1 open"), "{text}");
    assert!(
        text.contains(
            "pending timers: 1\n         1  wake of welcome, next 2026-03-03T10:00:00Z\n"
        ),
        "{text}"
    );
    let summary = json(&state(&[&db, "--format", "json"]));
    assert_eq!(summary["pending_timers"]["count"], 1, "{summary}");
    assert_eq!(summary["workflows"]["welcome"]["open"], 1, "{summary}");
    assert_eq!(
        summary["workflows"]["welcome"]["steps"]["wait 2d"], 1,
        "{summary}"
    );

    // When the stale timers come due nothing happens; ann's live one sends her tips.
    let r = run_ok(&path, &db, &["--until", "2026-03-10T00:00:00Z"]);
    let out = String::from_utf8(r.stdout).expect("UTF-8");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("\"tips\"") && out.contains("\"ann\""), "{out}");
    assert!(state(&[&db]).contains("pending timers: 0\n"));
}

#[test]
fn state_escapes_ids_and_texts_or_prints_json() {
    let campaign = r#"campaign "Ids"

lead { email: string? }

list everyone = lead.email is set or not (lead.email is set)
"#;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("c.nurture");
    std::fs::write(&path, campaign).expect("writes");
    let path = path.to_string_lossy();
    // A newline, a terminal escape that clears the screen, a C1 control and a bidi override.
    let odd = "ann\nbob\u{1b}[2J\u{9b}0m\u{202e}";
    let events = write_events(
        dir.path(),
        "e.jsonl",
        &[
            identify(
                odd,
                r#"{"email":"a\tb\u001b]0;title\u0007"}"#,
                "2026-03-01T09:00:00Z",
            ),
            identify(
                "back\\slash",
                r#"{"email":"c@x.io"}"#,
                "2026-03-01T10:00:00Z",
            ),
        ],
    );
    let db = dir.path().join("s.db").to_string_lossy().into_owned();
    run_ok(&path, &db, &["--events", &events]);
    let printable = |s: &str| {
        !s.chars()
            .any(|c| (c.is_control() && c != '\n') || matches!(c, '\u{202a}'..='\u{202e}'))
    };

    let list = state(&[&db, "--list", "everyone"]);
    assert_eq!(
        list, "ann\\nbob\\u{1b}[2J\\u{9b}0m\\u{202e}\nback\\\\slash\n",
        "one escaped id a line"
    );
    let list = state(&[&db, "--list", "everyone", "--format", "json"]);
    let ids: Vec<String> = list
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON string a line"))
        .collect();
    assert_eq!(ids, [odd, "back\\slash"]);
    assert!(printable(&list), "{list:?}");

    let shown = state(&[&db, "--lead", odd]);
    assert!(printable(&shown), "{shown:?}");
    assert!(
        shown.starts_with("ann\\nbob\\u{1b}[2J\\u{9b}0m\\u{202e} at "),
        "{shown}"
    );
    assert!(
        shown.contains("email  \"a\\tb\\u{1b}]0;title\\u{7}\""),
        "{shown}"
    );
    let lead = state(&[&db, "--lead", odd, "--format", "json"]);
    assert!(printable(&lead), "{lead:?}");
    assert_eq!(lead.lines().count(), 1, "{lead}");
    let lead = json(&lead);
    assert_eq!(lead["id"], odd);
    assert_eq!(lead["attributes"]["email"], "a\tb\u{1b}]0;title\u{7}");
    assert_eq!(lead["lists"]["everyone"], true);
    assert_eq!(lead["attributes"]["tags"], serde_json::json!([]));

    let summary = json(&state(&[&db, "--format", "json"]));
    assert_eq!(summary["campaign"], "Ids");
    assert_eq!(summary["leads"], 2);
    assert_eq!(summary["lists"]["everyone"], 2);
    assert_eq!(summary["input"]["finished"], true);
    assert_eq!(summary["processed"]["identifies"], 2);
}

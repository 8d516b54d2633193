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
        let mut child = spawn(&args, Stdio::null());
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
const V1: &str = include_str!("fixtures/migrate_v1.nurture");

/// V1 with a step added before the first wait, and `dormant` gone.
const V2: &str = include_str!("fixtures/migrate_v2.nurture");

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

// ---- the holes of issue 10: what a state database must never lose, duplicate or take over

/// Runs nurture with the output in a file, and returns (exit code, stderr).
fn status(args: &[&str]) -> (Option<i32>, String) {
    let r = nurture(args);
    (
        r.status.code(),
        String::from_utf8_lossy(&r.stderr).into_owned(),
    )
}

/// Starts nurture in the background, its standard error as asked.
fn spawn(args: &[&str], stderr: Stdio) -> std::process::Child {
    Command::new(BIN)
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("starts nurture")
}

/// A workload big enough to kill a run in the middle of, with its uninterrupted actions.
struct Workload {
    dir: tempfile::TempDir,
    events: String,
    expected: String,
}

fn workload(events: u32) -> Workload {
    let dir = tempfile::tempdir().expect("temp dir");
    let lines = workload::lines(5, 2_000, events, 30);
    let events = write_events(dir.path(), "events.jsonl", &lines);
    let expected_path = dir.path().join("expected.jsonl");
    let (code, err) = status(&[
        "run",
        CONTRACT,
        "--events",
        &events,
        "--out",
        &expected_path.to_string_lossy(),
        "--until",
        UNTIL,
    ]);
    assert_eq!(code, Some(0), "{err}");
    let expected = std::fs::read_to_string(&expected_path).expect("reads actions");
    Workload {
        dir,
        events,
        expected,
    }
}

impl Workload {
    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    fn args<'a>(&'a self, db: &'a str, out: &'a str) -> Vec<&'a str> {
        vec![
            "run",
            CONTRACT,
            "--state",
            db,
            "--events",
            &self.events,
            "--out",
            out,
            "--until",
            UNTIL,
            "--commit-every",
            "1000",
        ]
    }

    /// Starts the run and kills it once its output has committed something, before the end.
    fn killed_midway(&self, args: &[&str], out: &str) {
        for _ in 0..20 {
            let mut child = spawn(args, Stdio::null());
            let started = Instant::now();
            while std::fs::metadata(out).map_or(0, |m| m.len()) < 20_000
                && started.elapsed().as_secs() < 20
                && child.try_wait().expect("polls").is_none()
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            let running = child.try_wait().expect("polls").is_none();
            child.kill().ok();
            child.wait().expect("reaps");
            let done = std::fs::read_to_string(out).is_ok_and(|o| o == self.expected);
            if running && !done {
                return;
            }
        }
        panic!("no run could be killed before its end");
    }
}

#[test]
fn a_finished_run_given_again_is_a_no_op_even_when_killed_after_its_last_commit() {
    let w = workload(6_000);
    let (db, out) = (w.path("s.db"), w.path("out.jsonl"));
    let args = w.args(&db, &out);
    // Killed in the window after the final commit: the summary is printed after it.
    let mut child = spawn(&args, Stdio::piped());
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut first).expect("reads the summary");
    child.kill().ok();
    child.wait().expect("reaps");
    assert!(first.contains(" lines: "), "the summary came: {first}");
    assert_eq!(std::fs::read_to_string(&out).expect("reads"), w.expected);

    for _ in 0..2 {
        let (code, err) = status(&args);
        assert_eq!(code, Some(0), "{err}");
        assert!(err.contains("nothing to do"), "{err}");
        assert_eq!(
            std::fs::read_to_string(&out).expect("reads"),
            w.expected,
            "the output is as the finished run left it"
        );
    }
    // The same input under another name is still the input that was read.
    let copy = w.path("copy.jsonl");
    std::fs::copy(&w.events, &copy).expect("copies");
    let mut again = args.clone();
    again[5] = &copy;
    let (code, err) = status(&again);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("nothing to do"), "{err}");
}

#[test]
fn a_second_run_on_the_same_state_is_refused_and_the_first_is_intact() {
    let w = workload(30_000);
    let (db, out) = (w.path("s.db"), w.path("out.jsonl"));
    let args = w.args(&db, &out);
    let mut first = spawn(&args, Stdio::piped());
    // Wait until the first run holds the lock (it names itself in the lock file).
    let lock = format!("{db}-lock");
    let started = Instant::now();
    while std::fs::read_to_string(&lock).map_or(true, |t| t.is_empty()) {
        assert!(started.elapsed().as_secs() < 20, "the first run locked");
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let other = w.path("other.jsonl");
    let mut second_args = args.clone();
    second_args[7] = &other;
    let (code, err) = status(&second_args);
    let first_done = first.wait().expect("waits");
    assert_eq!(first_done.code(), Some(0), "the first run finished");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("is in use by another run") && err.contains("nurture run, pid"),
        "{err}"
    );
    assert!(!Path::new(&other).exists() || std::fs::read(&other).unwrap().is_empty());
    assert_eq!(std::fs::read_to_string(&out).expect("reads"), w.expected);
}

#[test]
fn a_resume_must_name_the_same_output_file_or_reset_it() {
    let w = workload(30_000);
    let (db, out) = (w.path("s.db"), w.path("out.jsonl"));
    let args = w.args(&db, &out);
    w.killed_midway(&args, &out);

    // Another file: refused, naming the file the state expects.
    let other = w.path("other.jsonl");
    let mut to_other = args.clone();
    to_other[7] = &other;
    let (code, err) = status(&to_other);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("out.jsonl") && err.contains("--out-reset"),
        "{err}"
    );

    // The same file by another spelling: accepted, and the output is exact.
    let dotted = format!(
        "{}/./out.jsonl",
        w.dir.path().to_string_lossy().trim_end_matches('/')
    );
    let mut same = args.clone();
    same[7] = &dotted;
    w.killed_midway(&same, &out);
    let (code, err) = status(&same);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(std::fs::read_to_string(&out).expect("reads"), w.expected);
}

#[test]
fn out_reset_goes_on_in_a_new_file_and_nothing_is_emitted_twice() {
    let w = workload(30_000);
    let (db, out) = (w.path("s.db"), w.path("out.jsonl"));
    let args = w.args(&db, &out);
    w.killed_midway(&args, &out);
    let next = w.path("next.jsonl");
    let mut reset = args.clone();
    reset[7] = &next;
    reset.push("--out-reset");
    let (code, err) = status(&reset);
    assert_eq!(code, Some(0), "{err}");
    let first = std::fs::read_to_string(&out).expect("reads");
    let second = std::fs::read_to_string(&next).expect("reads");
    assert!(!first.is_empty() && !second.is_empty());
    assert_eq!(
        first + &second,
        w.expected,
        "cut back, then went on elsewhere"
    );
}

#[test]
fn a_changed_output_file_is_refused() {
    let w = workload(30_000);
    let (db, out) = (w.path("s.db"), w.path("out.jsonl"));
    let args = w.args(&db, &out);
    w.killed_midway(&args, &out);
    // Someone rewrote the end of the committed part of the file (the state keeps its
    // length and a hash of its last 4 KiB).
    let committed: u64 = {
        let c = rusqlite::Connection::open(&db).expect("opens");
        let progress: Vec<u8> = c
            .query_row("SELECT value FROM meta WHERE key = 'progress'", [], |r| {
                r.get(0)
            })
            .expect("a progress record");
        let v: Value = serde_json::from_slice(&progress).expect("JSON");
        v["position"]["out"]["len"].as_u64().expect("a length")
    };
    let mut text = std::fs::read(&out).expect("reads");
    text[committed as usize - 10] ^= 0x20;
    std::fs::write(&out, &text).expect("writes");
    let (code, err) = status(&args);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is not as the state committed it"), "{err}");
    // Cut short: refused too.
    std::fs::write(&out, &text[..committed as usize / 2]).expect("writes");
    let (code, err) = status(&args);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("is not as the state committed it"), "{err}");
}

#[test]
fn a_flipped_bit_in_a_lead_row_is_refused_naming_the_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lines = workload::lines(3, 50, 500, 10);
    let events = write_events(dir.path(), "e.jsonl", &lines);
    let db = dir.path().join("s.db").to_string_lossy().into_owned();
    let (code, err) = status(&["run", CONTRACT, "--state", &db, "--events", &events]);
    assert_eq!(code, Some(0), "{err}");
    let (id, slab): (String, Vec<u8>) = {
        let c = rusqlite::Connection::open(&db).expect("opens");
        c.query_row("SELECT id, slab FROM leads WHERE idx = 7", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("a row")
    };
    let mut flipped = slab.clone();
    flipped[5] ^= 0x04;
    {
        let c = rusqlite::Connection::open(&db).expect("opens");
        c.execute(
            "UPDATE leads SET slab = ?1 WHERE idx = 7",
            rusqlite::params![flipped],
        )
        .expect("flips a bit");
    }
    for args in [
        vec!["run", CONTRACT, "--state", &db, "--until", UNTIL],
        vec!["state", &db],
    ] {
        let (code, err) = status(&args);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("is damaged"), "{err}");
        assert!(err.contains(&format!("lead {id} (row 7)")), "{err}");
    }
}

#[test]
fn another_applications_database_and_an_empty_file_are_refused_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let events = write_events(
        dir.path(),
        "e.jsonl",
        &[signed("ann", "2026-03-01T09:00:00Z")],
    );
    let foreign = dir.path().join("app.db");
    {
        let c = rusqlite::Connection::open(&foreign).expect("creates");
        c.execute_batch(
            "CREATE TABLE leads (name TEXT); INSERT INTO leads VALUES ('keep me');
             CREATE TABLE meta (k TEXT); INSERT INTO meta VALUES ('mine');",
        )
        .expect("fills");
    }
    let before = std::fs::read(&foreign).expect("reads");
    let foreign = foreign.to_string_lossy().into_owned();
    let v1 = dir.path().join("v1.nurture");
    std::fs::write(&v1, V1).expect("writes");
    let v1 = v1.to_string_lossy().into_owned();
    for args in [
        vec!["run", &v1, "--state", &foreign, "--events", &events],
        vec!["state", &foreign],
    ] {
        let (code, err) = status(&args);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("is not a Nurture state database"), "{err}");
        assert_eq!(std::fs::read(&foreign).expect("reads"), before, "untouched");
    }

    let empty = dir.path().join("empty.db").to_string_lossy().into_owned();
    std::fs::write(&empty, b"").expect("writes");
    let run = ["run", &v1, "--state", &empty, "--events", &events];
    let (code, err) = status(&run);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--state-new"), "{err}");
    assert!(std::fs::read(&empty).expect("reads").is_empty());
    let mut new = run.to_vec();
    new.push("--state-new");
    let (code, err) = status(&new);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_device_output_is_accepted_and_old_rejects_do_not_fail_a_clean_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let v1 = dir.path().join("v1.nurture");
    std::fs::write(&v1, V1).expect("writes");
    let v1 = v1.to_string_lossy().into_owned();
    let bad = write_events(
        dir.path(),
        "bad.jsonl",
        &[
            signed("ann", "2026-03-01T09:00:00Z"),
            "{not json".to_string(),
        ],
    );
    let good = write_events(
        dir.path(),
        "good.jsonl",
        &[signed("bob", "2026-03-02T09:00:00Z")],
    );
    let db = dir.path().join("s.db").to_string_lossy().into_owned();
    let (code, err) = status(&[
        "run",
        &v1,
        "--state",
        &db,
        "--events",
        &bad,
        "--out",
        "/dev/null",
    ]);
    assert_eq!(code, Some(1), "one line was rejected: {err}");
    let (code, err) = status(&[
        "run",
        &v1,
        "--state",
        &db,
        "--events",
        &good,
        "--out",
        "/dev/null",
    ]);
    assert_eq!(code, Some(0), "this run rejected nothing: {err}");
}

/// Makes a file read-only even for root (`chattr +i`) for as long as it lives.
struct Frozen(PathBuf);

impl Frozen {
    fn new(path: &Path) -> Option<Frozen> {
        let ok = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Frozen(path.to_path_buf()))
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[test]
fn a_read_only_state_is_refused_before_any_output_is_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let v1 = dir.path().join("v1.nurture");
    std::fs::write(&v1, V1).expect("writes");
    let v1 = v1.to_string_lossy().into_owned();
    let events = write_events(
        dir.path(),
        "e.jsonl",
        &[signed("ann", "2026-03-01T09:00:00Z")],
    );
    let db = dir.path().join("s.db");
    let (code, err) = status(&[
        "run",
        &v1,
        "--state",
        &db.to_string_lossy(),
        "--events",
        &events,
    ]);
    assert_eq!(code, Some(0), "{err}");
    let more = write_events(
        dir.path(),
        "more.jsonl",
        &[signed("bob", "2026-03-02T09:00:00Z")],
    );
    // Root writes through permission bits; the immutable attribute stops it too.
    let mut perms = std::fs::metadata(&db).expect("stat").permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&db, perms).expect("chmod");
    let _frozen = Frozen::new(&db);
    let probe = std::fs::OpenOptions::new().write(true).open(&db);
    if probe.is_ok() {
        eprintln!("cannot make a file read-only here (root, and no chattr): nothing to check");
        return;
    }
    let out = dir.path().join("out.jsonl");
    let (code, err) = status(&[
        "run",
        &v1,
        "--state",
        &db.to_string_lossy(),
        "--events",
        &more,
        "--out",
        &out.to_string_lossy(),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("read-only"), "{err}");
    assert!(!out.exists(), "no output was opened");
}

// ---- the durable run as a library: the same protocol, driven without the binary ---------

mod library {
    use super::{workload, CONTRACT, UNTIL};
    use nurture::runtime::durable::{self, DurableRun, Input, Output, Setup};
    use nurture::runtime::engine::{Engine, Options};
    use nurture::runtime::store::{InputMark, OutMark, Position, Store};
    use std::cell::RefCell;
    use std::io::{BufRead, Cursor, Read};
    use std::rc::Rc;

    /// Output kept in memory, shared with the test, which can "crash" and cut it back.
    #[derive(Clone, Default)]
    struct Memory(Rc<RefCell<Vec<u8>>>);

    impl Output for Memory {
        fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
            self.0.borrow_mut().extend_from_slice(bytes);
            Ok(())
        }

        fn sync(&mut self) -> std::io::Result<Option<OutMark>> {
            Ok(Some(OutMark {
                len: self.0.borrow().len() as u64,
                ..OutMark::default()
            }))
        }
    }

    /// Input from memory; marked by its length so far only (the test does not need more).
    struct Lines(Cursor<Vec<u8>>);

    impl Read for Lines {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0.read(buf)
        }
    }

    impl BufRead for Lines {
        fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
            self.0.fill_buf()
        }

        fn consume(&mut self, n: usize) {
            self.0.consume(n)
        }
    }

    impl Input for Lines {
        fn mark(&mut self, offset: u64) -> std::io::Result<Option<InputMark>> {
            Ok(Some(InputMark {
                head: offset,
                tail: 0,
            }))
        }
    }

    fn program() -> nurture::compile::Compiled {
        let src = std::fs::read(super::root().join(CONTRACT)).expect("reads the campaign");
        let checked = nurture::check::check_source(CONTRACT, &src);
        nurture::compile::compile(&checked.program.expect("checks")).expect("compiles")
    }

    fn setup() -> Setup {
        Setup {
            memberships: false,
            commit_every: 500,
        }
    }

    /// One run over `input` into `out` on the state at `db`; `stop_after` lines, it is dropped
    /// without finishing, as a crash would leave it.
    fn run(db: &std::path::Path, input: &[u8], out: &Memory, stop_after: Option<u64>) {
        let store = Store::open(db, false).expect("opens");
        let opened =
            durable::open_state(store, "s.db", program(), None, &Options::default(), false)
                .expect("opens the state");
        let last = opened.position;
        // A resume cuts the output back to what was committed and reads on from there.
        let position = if last.done {
            Position::default()
        } else {
            out.0
                .borrow_mut()
                .truncate(last.out.as_ref().map_or(0, |m| m.len) as usize);
            last.clone()
        };
        let mut lines = Lines(Cursor::new(input.to_vec()));
        lines.0.set_position(position.offset);
        let mut run = DurableRun::new(
            opened.engine,
            Some(opened.store),
            position,
            Box::new(out.clone()),
            None,
            &setup(),
        );
        match stop_after {
            Some(n) => {
                // Feed only the first n bytes' worth of lines by cutting the input short.
                let end = input
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\n')
                    .nth(n as usize)
                    .map_or(input.len(), |(i, _)| i + 1);
                let mut part = Lines(Cursor::new(input[..end].to_vec()));
                part.0.set_position(lines.0.position().min(end as u64));
                run.read(&mut part, &mut |_| {}, &mut |_| {})
                    .expect("reads");
                drop(run);
            }
            None => {
                run.read(&mut lines, &mut |_| {}, &mut |_| {})
                    .expect("reads");
                run.fire_until(nurture::runtime::intake::parse_rfc3339(UNTIL).unwrap())
                    .expect("fires");
                run.finish().expect("finishes");
            }
        }
    }

    #[test]
    fn a_durable_run_dropped_mid_way_resumes_to_the_uninterrupted_output() {
        let lines = workload::lines(9, 300, 4_000, 30);
        let input = (lines.join("\n") + "\n").into_bytes();
        let dir = tempfile::tempdir().expect("temp dir");

        // Uninterrupted, in memory.
        let whole = Memory::default();
        let engine = Engine::from_compiled(program(), &Options::default());
        let mut run = DurableRun::new(
            engine,
            None,
            Position::default(),
            Box::new(whole.clone()),
            None,
            &setup(),
        );
        run.read(
            &mut Lines(Cursor::new(input.clone())),
            &mut |_| {},
            &mut |_| {},
        )
        .expect("reads");
        run.fire_until(nurture::runtime::intake::parse_rfc3339(UNTIL).unwrap())
            .expect("fires");
        run.finish().expect("finishes");

        // With a state: dropped twice between commits, then finished.
        let db = dir.path().join("s.db");
        Store::create(&db).expect("makes the state");
        let out = Memory::default();
        run_crashing(&db, &input, &out);
        assert!(!whole.0.borrow().is_empty());
        assert_eq!(
            String::from_utf8_lossy(&out.0.borrow()),
            String::from_utf8_lossy(&whole.0.borrow())
        );
    }

    fn run_crashing(db: &std::path::Path, input: &[u8], out: &Memory) {
        // The first run starts a new input; later ones resume what it committed.
        let store = Store::open(db, false).expect("opens");
        let opened =
            durable::open_state(store, "s.db", program(), None, &Options::default(), false)
                .expect("opens the state");
        let mut first = DurableRun::new(
            opened.engine,
            Some(opened.store),
            Position {
                input: "events".into(),
                ..Position::default()
            },
            Box::new(out.clone()),
            None,
            &setup(),
        );
        let end = input
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(1_234)
            .map(|(i, _)| i + 1)
            .expect("enough lines");
        first
            .read(
                &mut Lines(Cursor::new(input[..end].to_vec())),
                &mut |_| {},
                &mut |_| {},
            )
            .expect("reads");
        drop(first);
        run(db, input, out, Some(2_345));
        run(db, input, out, None);
    }
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

/// The campaign V1 and a state one run of it committed, in `dir`: their paths.
fn one_committed_run(dir: &Path) -> (String, String) {
    let v1 = dir.join("v1.nurture");
    std::fs::write(&v1, V1).expect("writes");
    let v1 = v1.to_string_lossy().into_owned();
    let events = write_events(dir, "e.jsonl", &[signed("ann", "2026-03-01T09:00:00Z")]);
    let db = dir.join("s.db").to_string_lossy().into_owned();
    let (code, err) = status(&["run", &v1, "--state", &db, "--events", &events]);
    assert_eq!(code, Some(0), "{err}");
    (v1, db)
}

#[test]
fn a_state_written_by_another_program_format_says_to_finish_with_that_nurture() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (v1, db) = one_committed_run(dir.path());
    // The stored program as an older nurture would have written it (format version 1), with
    // its row's checksum made right, so that only the version differs.
    {
        let c = rusqlite::Connection::open(&db).expect("opens");
        let mut program: Vec<u8> = c
            .query_row("SELECT value FROM meta WHERE key = 'program'", [], |r| {
                r.get(0)
            })
            .expect("a program");
        program[8..12].copy_from_slice(&1u32.to_le_bytes());
        let mut h = nurture::lang::hash::Fnv1a::default();
        for part in [&b"program"[..], &program[..]] {
            h.write(&(part.len() as u64).to_le_bytes());
            h.write(part);
        }
        c.execute(
            "UPDATE meta SET value = ?1, sum = ?2 WHERE key = 'program'",
            rusqlite::params![program, h.finish() as i64],
        )
        .expect("rewrites the program");
    }
    let (code, err) = status(&["run", &v1, "--state", &db, "--until", UNTIL]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("format version 1") && err.contains("finish with that nurture"),
        "{err}"
    );
    assert!(!err.contains("nurture compile"), "{err}");
}

#[test]
fn a_state_of_an_older_table_layout_is_refused_untouched() {
    // Issue 11 item 2: times are milliseconds now; a state whose clock and timers count
    // seconds (layout 3) is refused before anything is read or written, with what to do.
    let dir = tempfile::tempdir().expect("temp dir");
    let (v1, db) = one_committed_run(dir.path());
    rusqlite::Connection::open(&db)
        .expect("opens")
        .pragma_update(None, "user_version", 3)
        .expect("marks the state as layout 3");
    let before = std::fs::read(&db).expect("reads the state");
    let (code, err) = status(&["run", &v1, "--state", &db, "--until", UNTIL]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("table layout 3, and this nurture reads layout 4")
            && err.contains("finish with the nurture that wrote it, or start a new state"),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).expect("reads the state"), before);
}

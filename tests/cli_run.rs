//! `nurture run` as a user runs it: the built binary over real files and standard input, its
//! exit codes, rejects, flags and output; and the engine fed random lines, which must never
//! panic.

use nurture::check::check_text;
use nurture::runtime::engine::{Engine, Options};
use nurture::vm::action::Action;
use proptest::prelude::*;
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_nurture");

/// A small campaign: a cart starts a reminder now and another an hour later; a list of
/// recent abandoners; an order is the goal.
const CAMPAIGN: &str = r#"campaign "Run tests"

lead {
  email: string
  first_name: string?
  consent_email: bool = true
}

event cart.abandoned as "Cart Abandoned" { cart_value: number, items: int }

list abandoners = did cart.abandoned within 1d

on cart.abandoned start recover

workflow recover {
  enroll every time
  exit when did email.unsubscribed
  goal did order.placed within 3d since enrolled

  send email "cart-now"
  wait 1h
  send email "cart-later"
}

policy {
  frequency email at most 5 per 1d
  suppress when not lead.consent_email
}
"#;

/// A campaign with an error: `ebook.downloaded` is not declared.
const BROKEN: &str = r#"campaign "Broken"

lead { email: string }

list readers = did ebook.downloaded
"#;

fn cart(lead: &str, at: &str, value: f64) -> String {
    format!(
        r#"{{"type":"track","userId":"{lead}","event":"Cart Abandoned","properties":{{"cart_value":{value:?},"items":2}},"timestamp":"{at}"}}"#
    )
}

struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    /// A directory holding `campaign.nurture`.
    fn new(campaign: &str) -> Dir {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(dir.path().join("campaign.nurture"), campaign).unwrap();
        Dir { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Writes `lines` to `events.jsonl`, one per line.
    fn events(&self, lines: &[String]) -> PathBuf {
        let mut text = lines.join("\n");
        text.push('\n');
        self.write("events.jsonl", text.as_bytes())
    }

    /// `nurture run campaign.nurture ARGS…` in this directory.
    fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, None)
    }

    fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let mut cmd = Command::new(BIN);
        cmd.current_dir(self.dir.path())
            .arg("run")
            .arg("campaign.nurture")
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("nurture starts");
        if let Some(bytes) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            // run may stop before reading all of stdin (a usage error); a broken pipe is fine.
            if let Err(e) = pipe.write_all(bytes) {
                assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "stdin: {e}");
            }
        }
        let out = child.wait_with_output().expect("nurture runs");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("UTF-8 actions"),
            stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
        }
    }
}

#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn actions(&self) -> Vec<Value> {
        parse_lines(&self.stdout)
    }

    /// `lead:action:template-or-list` for each action, to compare whole traces briefly.
    fn trace(&self) -> Vec<String> {
        self.actions().iter().map(brief).collect()
    }
}

fn brief(a: &Value) -> String {
    let what = a
        .get("template")
        .or_else(|| a.get("list"))
        .or_else(|| a.get("workflow"))
        .and_then(Value::as_str)
        .unwrap_or("");
    format!(
        "{} {} {} {}",
        a["at"].as_str().unwrap(),
        a["lead"].as_str().unwrap(),
        a["action"].as_str().unwrap(),
        what
    )
}

fn parse_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
        .collect()
}

// ---- exit codes ---------------------------------------------------------------------------

#[test]
fn a_clean_run_exits_0_with_actions_and_a_summary() {
    let d = Dir::new(CAMPAIGN);
    d.events(&[cart("ann", "2026-03-02T09:00:00Z", 42.0)]);
    let r = d.run(&["--events", "events.jsonl"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        r.trace(),
        ["2026-03-02T09:00:00Z ann send cart-now"],
        "without --until the wait does not fire"
    );
    let a = &r.actions()[0];
    let keys: Vec<&str> = a.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    assert_eq!(
        keys,
        ["at", "lead", "action", "channel", "template", "workflow", "step", "id"]
    );
    assert!(
        r.stderr.starts_with(
            "1 line: 1 event, 0 identifies, 1 lead; 1 action (0 suppressed sends, 0 conversions); 0 rejected\n"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn a_missing_campaign_file_exits_2() {
    let d = Dir::new(CAMPAIGN);
    d.events(&[cart("ann", "2026-03-02T09:00:00Z", 42.0)]);
    let out = Command::new(BIN)
        .current_dir(d.dir.path())
        .args(["run", "nowhere.nurture", "--events", "events.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot read nowhere.nurture"), "{stderr}");
}

#[test]
fn a_missing_events_file_exits_2() {
    let d = Dir::new(CAMPAIGN);
    let r = d.run(&["--events", "nowhere.jsonl"]);
    assert_eq!(r.code, Some(2));
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains("cannot read nowhere.jsonl"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_bad_until_exits_2() {
    let d = Dir::new(CAMPAIGN);
    d.events(&[cart("ann", "2026-03-02T09:00:00Z", 42.0)]);
    for bad in ["tomorrow", "2026-03-02", "2026-13-02T09:00:00Z", ""] {
        let r = d.run(&["--events", "events.jsonl", "--until", bad]);
        assert_eq!(r.code, Some(2), "--until {bad:?}: {}", r.stderr);
        assert_eq!(r.stdout, "", "--until {bad:?}");
        assert!(
            r.stderr.contains("is not an RFC 3339 time"),
            "--until {bad:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn a_campaign_with_errors_exits_1_with_its_diagnostics() {
    let d = Dir::new(BROKEN);
    d.events(&[cart("ann", "2026-03-02T09:00:00Z", 42.0)]);
    let r = d.run(&["--events", "events.jsonl"]);
    assert_eq!(r.code, Some(1));
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("[E0102] Error"), "{}", r.stderr);
    assert!(r.stderr.contains("ebook.downloaded"), "{}", r.stderr);
}

// ---- rejects ------------------------------------------------------------------------------

#[test]
fn each_reject_reaches_stderr_and_the_rejects_file_and_the_run_goes_on() {
    let d = Dir::new(CAMPAIGN);
    // Line 1 is good; lines 2 to 11 are each rejected for one reason; line 12 is good again.
    let lines: Vec<String> = vec![
        cart("ann", "2026-03-02T09:00:00Z", 42.0),
        r#"this is not JSON"#.into(),
        r#"["an","array"]"#.into(),
        r#"{"type":"track","event":"Cart Abandoned","properties":{"cart_value":1.0,"items":1},"timestamp":"2026-03-02T09:01:00Z"}"#.into(),
        r#"{"type":"track","userId":"bo","event":"Cart Abandoned","properties":{"cart_value":1.0,"items":1}}"#.into(),
        r#"{"type":"track","userId":"bo","event":"Cart Abandoned","properties":{"cart_value":1.0,"items":1},"timestamp":"yesterday"}"#.into(),
        r#"{"type":"track","userId":"bo","properties":{},"timestamp":"2026-03-02T09:01:00Z"}"#.into(),
        r#"{"type":"track","userId":"bo","event":"Cart Abandoned","properties":{"cart_value":"lots","items":1},"timestamp":"2026-03-02T09:01:00Z"}"#.into(),
        r#"{"type":"track","userId":"bo","event":"Cart Abandoned","properties":{"cart_value":1.0},"timestamp":"2026-03-02T09:01:00Z"}"#.into(),
        r#"{"type":"identify","userId":"bo","traits":{"consent_email":"yes"},"timestamp":"2026-03-02T09:01:00Z"}"#.into(),
        cart("bo", "2026-03-02T08:00:00Z", 42.0),
        cart("bo", "2026-03-02T09:30:00Z", 42.0),
    ];
    d.events(&lines);
    let r = d.run(&[
        "--events",
        "events.jsonl",
        "--until",
        "2026-03-02T12:00:00Z",
        "--rejects",
        "rejects.jsonl",
    ]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);

    // The good lines before and after the bad ones did their work, timers included.
    assert_eq!(
        r.trace(),
        [
            "2026-03-02T09:00:00Z ann send cart-now",
            "2026-03-02T09:30:00Z bo send cart-now",
            "2026-03-02T10:00:00Z ann send cart-later",
            "2026-03-02T10:30:00Z bo send cart-later",
        ]
    );

    let expected: &[(u64, &str)] = &[
        (2, "not valid JSON"),
        (3, "not a JSON object"),
        (4, "missing `userId`"),
        (5, "missing `timestamp`"),
        (6, "`timestamp` must be an RFC 3339 time"),
        (7, "track record without `event`"),
        (8, "must be a number"),
        (9, "missing required property `items`"),
        (10, "must be true or false"),
        (11, "time order"),
    ];
    // The kind of each, for machines (`intake::Problem::kind`).
    let kinds = [
        "not-json",
        "not-an-object",
        "missing-user-id",
        "missing-timestamp",
        "bad-timestamp",
        "missing-event",
        "wrong-type",
        "missing-property",
        "wrong-type",
        "out-of-order",
    ];
    let rejects = parse_lines(&std::fs::read_to_string(d.path("rejects.jsonl")).unwrap());
    assert_eq!(rejects.len(), expected.len(), "{rejects:#?}");
    for (((line, reason), rec), kind) in expected.iter().zip(&rejects).zip(kinds) {
        let keys: Vec<&str> = rec
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        assert_eq!(keys, ["line", "reason", "kind", "text"]);
        assert_eq!(rec["line"], *line);
        assert_eq!(rec["kind"], kind, "line {line}");
        let got = rec["reason"].as_str().unwrap();
        assert!(got.contains(reason), "line {line}: {got:?}");
        assert_eq!(rec["text"], lines[*line as usize - 1], "line {line}");
        let shown = format!("line {line}: rejected: {got}\n");
        assert!(r.stderr.contains(&shown), "no {shown:?} in\n{}", r.stderr);
    }
    assert!(r.stderr.contains("; 10 rejected\n"), "{}", r.stderr);
    // Rejected lines do not move the clock: the latest processed is line 1.
    assert!(
        r.stderr.contains(
            "line 11: rejected: timestamp 2026-03-02T08:00:00Z is earlier than 2026-03-02T09:00:00Z already processed"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn rejects_without_a_rejects_file_still_reach_stderr_and_exit_1() {
    let d = Dir::new(CAMPAIGN);
    d.events(&["{".into(), cart("ann", "2026-03-02T09:00:00Z", 42.0)]);
    let r = d.run(&["--events", "events.jsonl"]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.contains("line 1: rejected: not valid JSON"),
        "{}",
        r.stderr
    );
    assert_eq!(r.trace(), ["2026-03-02T09:00:00Z ann send cart-now"]);
}

#[test]
fn a_record_earlier_than_one_processed_is_rejected_for_time_order() {
    let d = Dir::new(CAMPAIGN);
    d.events(&[
        cart("ann", "2026-03-02T09:00:00Z", 42.0),
        // Another lead, but the clock is the stream's: still too late.
        cart("bo", "2026-03-02T08:59:59Z", 42.0),
        // The same instant as the latest is fine.
        cart("cy", "2026-03-02T09:00:00Z", 42.0),
    ]);
    let r = d.run(&["--events", "events.jsonl", "--rejects", "rejects.jsonl"]);
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.contains(
            "line 2: rejected: timestamp 2026-03-02T08:59:59Z is earlier than 2026-03-02T09:00:00Z already processed: the input must be in time order"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.trace(),
        [
            "2026-03-02T09:00:00Z ann send cart-now",
            "2026-03-02T09:00:00Z cy send cart-now",
        ]
    );
    let rejects = parse_lines(&std::fs::read_to_string(d.path("rejects.jsonl")).unwrap());
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["line"], 2);
}

#[test]
fn a_line_that_is_not_utf8_is_rejected_and_the_run_goes_on() {
    let d = Dir::new(CAMPAIGN);
    let mut bytes = Vec::new();
    bytes.extend_from_slice(cart("ann", "2026-03-02T09:00:00Z", 42.0).as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(
        b"{\"type\":\"track\",\"userId\":\"b\xff\xfe\",\"event\":\"Cart Abandoned\"}\n",
    );
    bytes.extend_from_slice(cart("bo", "2026-03-02T09:10:00Z", 42.0).as_bytes());
    bytes.push(b'\n');
    d.write("events.jsonl", &bytes);
    let r = d.run(&["--events", "events.jsonl", "--rejects", "rejects.jsonl"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("line 2: rejected: the line is not UTF-8 text"),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.trace(),
        [
            "2026-03-02T09:00:00Z ann send cart-now",
            "2026-03-02T09:10:00Z bo send cart-now",
        ]
    );
    let rejects = parse_lines(&std::fs::read_to_string(d.path("rejects.jsonl")).unwrap());
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0]["line"], 2);
    assert!(rejects[0]["text"].as_str().unwrap().contains("\u{fffd}"));
    assert!(r.stderr.contains("3 lines:"), "{}", r.stderr);
    assert!(r.stderr.contains("; 1 rejected\n"), "{}", r.stderr);
}

// ---- the range of times ---------------------------------------------------------------------

/// Waits of a decade and of a century (the longest there is) after a ping.
const FAR: &str = r#"campaign "Far"

lead { email: string }

event ping as "Ping"

on ping start decade
on ping start century

workflow decade {
  exit when did email.unsubscribed
  wait 520w
  send email "ten-years-on"
}

workflow century {
  exit when did email.unsubscribed
  wait 36600d
  send email "the-longest-wait"
}

policy { frequency email at most 5 per 1d }
"#;

fn ping(lead: &str, at: &str) -> String {
    format!(r#"{{"type":"track","userId":"{lead}","event":"Ping","timestamp":"{at}"}}"#)
}

/// The last time `--until` may give.
const LAST_CLOCK: &str = "2201-01-01T00:00:00Z";

#[test]
fn a_record_near_2100_sets_waits_that_fire_past_2106_with_until() {
    let d = Dir::new(FAR);
    d.events(&[ping("ann", "2099-12-31T00:00:00Z")]);
    let fired = [
        "2109-12-19T00:00:00Z ann send ten-years-on",
        "2200-03-17T00:00:00Z ann send the-longest-wait",
    ];
    let r = d.run(&["--events", "events.jsonl", "--until", LAST_CLOCK]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.trace(), fired);

    // Kept in a state database, the timers wait for a later `--until`.
    let r = d.run(&["--state", "leads.db", "--events", "events.jsonl"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.trace(), Vec::<String>::new());
    let r = d.run(&["--state", "leads.db", "--until", "2150-01-01T00:00:00Z"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.trace(), fired[..1]);
    let r = d.run(&["--state", "leads.db", "--until", LAST_CLOCK]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.trace(), fired[1..]);
}

#[test]
fn timestamps_outside_1970_to_2100_are_rejected_and_do_not_move_the_clock() {
    let d = Dir::new(FAR);
    let lines = [
        ping("ann", "2026-03-02T09:00:00Z"),
        ping("bob", "1969-12-31T23:59:59Z"),
        ping("cy", "9999-12-31T23:59:59Z"),
        // Judged as if the lines before were not there: in time order after line 1.
        ping("dee", "2026-03-02T10:00:00Z"),
        ping("eve", "2100-01-01T00:00:01Z"),
        ping("fay", "2100-01-01T00:00:00Z"),
    ];
    d.events(&lines);
    let r = d.run(&[
        "--events",
        "events.jsonl",
        "--rejects",
        "rejects.jsonl",
        "--until",
        "2110-01-01T00:00:00Z",
    ]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    // fay's ping at 2100-01-01 itself was taken: its wait fires a decade on.
    assert_eq!(
        r.trace(),
        [
            "2036-02-18T09:00:00Z ann send ten-years-on",
            "2036-02-18T10:00:00Z dee send ten-years-on",
            "2109-12-20T00:00:00Z fay send ten-years-on",
        ]
    );
    let expected = [
        (2, "1969-12-31T23:59:59Z"),
        (3, "9999-12-31T23:59:59Z"),
        (5, "2100-01-01T00:00:01Z"),
    ];
    let rejects = parse_lines(&std::fs::read_to_string(d.path("rejects.jsonl")).unwrap());
    assert_eq!(rejects.len(), expected.len(), "{rejects:#?}");
    for ((line, at), rec) in expected.iter().zip(&rejects) {
        let reason =
            format!("`timestamp` {at} is outside the supported range 1970-01-01 to 2100-01-01");
        assert_eq!(rec["line"], *line);
        assert_eq!(rec["reason"], reason);
        let shown = format!("line {line}: rejected: {reason}\n");
        assert!(r.stderr.contains(&shown), "no {shown:?} in\n{}", r.stderr);
    }
}

#[test]
fn a_rejected_time_does_not_hold_up_later_runs_of_a_state() {
    let d = Dir::new(FAR);
    d.events(&[
        ping("ann", "2026-03-02T09:00:00Z"),
        ping("cy", "9999-12-31T23:59:59Z"),
        ping("dee", "2026-03-02T10:00:00Z"),
    ]);
    let r = d.run(&["--state", "leads.db", "--events", "events.jsonl"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("line 2: rejected: `timestamp` 9999-12-31T23:59:59Z is outside"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("; 1 rejected\n"), "{}", r.stderr);
    // The next run's records come after line 3's, not after the year 9999.
    d.events(&[ping("eve", "2026-03-03T09:00:00Z")]);
    let r = d.run(&[
        "--state",
        "leads.db",
        "--events",
        "events.jsonl",
        "--until",
        "2036-03-01T00:00:00Z",
    ]);
    // (The summary, and so the exit code, counts the state's runs together: line 2's
    // reject is still in it. This run rejected nothing.)
    assert!(r.code.is_some_and(|c| c < 2), "{}", r.stderr);
    assert!(!r.stderr.contains("rejected:"), "{}", r.stderr);
    assert_eq!(
        r.trace(),
        [
            "2036-02-18T09:00:00Z ann send ten-years-on",
            "2036-02-18T10:00:00Z dee send ten-years-on",
            "2036-02-19T09:00:00Z eve send ten-years-on",
        ]
    );
}

#[test]
fn an_until_outside_1970_to_2201_exits_2() {
    let d = Dir::new(FAR);
    d.events(&[ping("ann", "2099-12-31T00:00:00Z")]);
    for bad in [
        "1969-12-31T23:59:59Z",
        "2201-01-01T00:00:01Z",
        "9999-12-31T23:59:59Z",
    ] {
        let r = d.run(&["--events", "events.jsonl", "--until", bad]);
        assert_eq!(r.code, Some(2), "--until {bad}: {}", r.stderr);
        assert_eq!(r.stdout, "", "--until {bad}");
        assert_eq!(
            r.stderr,
            format!(
                "nurture run: --until {bad} is outside the supported range 1970-01-01 to 2201-01-01\n"
            )
        );
        let r = d.run(&["--state", "leads.db", "--until", bad]);
        assert_eq!(r.code, Some(2), "--state --until {bad}: {}", r.stderr);
    }
    assert!(!d.path("leads.db").exists(), "a usage error opens no state");
}

// ---- undeclared events and --strict ---------------------------------------------------------

fn with_undeclared() -> Vec<String> {
    vec![
        r#"{"type":"track","userId":"ann","event":"Page Scrolled","properties":{"depth":50},"timestamp":"2026-03-02T08:00:00Z"}"#.into(),
        cart("ann", "2026-03-02T09:00:00Z", 42.0),
        r#"{"type":"track","userId":"ann","event":"Page Scrolled","properties":{"depth":90},"timestamp":"2026-03-02T09:05:00Z"}"#.into(),
        r#"{"type":"track","userId":"ann","event":"Video Played","timestamp":"2026-03-02T09:06:00Z"}"#.into(),
    ]
}

#[test]
fn undeclared_events_are_skipped_and_counted() {
    let d = Dir::new(CAMPAIGN);
    d.events(&with_undeclared());
    let r = d.run(&["--events", "events.jsonl"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.trace(), ["2026-03-02T09:00:00Z ann send cart-now"]);
    assert!(
        r.stderr
            .contains("skipped, not in the campaign: Page Scrolled (2), Video Played (1)\n"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("4 lines: 1 event,"), "{}", r.stderr);
    assert!(!r.stderr.contains("rejected:"), "{}", r.stderr);
}

#[test]
fn strict_rejects_undeclared_events() {
    let d = Dir::new(CAMPAIGN);
    d.events(&with_undeclared());
    let r = d.run(&["--events", "events.jsonl", "--strict"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_eq!(r.trace(), ["2026-03-02T09:00:00Z ann send cart-now"]);
    for (line, name) in [
        (1, "Page Scrolled"),
        (3, "Page Scrolled"),
        (4, "Video Played"),
    ] {
        let shown =
            format!("line {line}: rejected: event `{name}` is not declared in the campaign\n");
        assert!(r.stderr.contains(&shown), "no {shown:?} in\n{}", r.stderr);
    }
    assert!(r.stderr.contains("; 3 rejected\n"), "{}", r.stderr);
    assert!(!r.stderr.contains("skipped"), "{}", r.stderr);
}

/// Issue 11 item 19: `--strict` let `page` and `group` calls through, skipped, although the
/// README said it rejects them. Now a page call is an event (item 22), strict or not, and the
/// calls the intake does not read (`screen`, `group`, `alias`) are rejected under `--strict`.
#[test]
fn strict_reads_page_calls_and_rejects_group_screen_and_alias() {
    let d = Dir::new(CAMPAIGN);
    d.events(&[
        r#"{"type":"page","userId":"ann","name":"Pricing","properties":{"url":"https://shop.example/pricing"},"timestamp":"2026-03-02T08:00:00Z"}"#.into(),
        r#"{"type":"group","userId":"ann","groupId":"acme","traits":{"name":"Acme"},"timestamp":"2026-03-02T08:01:00Z"}"#.into(),
        r#"{"type":"screen","userId":"ann","name":"Home","timestamp":"2026-03-02T08:02:00Z"}"#.into(),
        r#"{"type":"alias","userId":"ann","previousId":"anon-1","timestamp":"2026-03-02T08:03:00Z"}"#.into(),
        cart("ann", "2026-03-02T09:00:00Z", 42.0),
    ]);
    let r = d.run(&["--events", "events.jsonl"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.starts_with(
            "5 lines: 2 events, 0 identifies, 1 lead; 1 action (0 suppressed sends, 0 conversions); 0 rejected\n\
             skipped, not in the campaign: type:alias (1), type:group (1), type:screen (1)\n"
        ),
        "{}",
        r.stderr
    );
    let r = d.run(&["--events", "events.jsonl", "--strict"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert_eq!(r.trace(), ["2026-03-02T09:00:00Z ann send cart-now"]);
    assert!(
        r.stderr.starts_with(
            "line 2: rejected: a `group` call: only identify, track and page calls are read\n\
             line 3: rejected: a `screen` call: only identify, track and page calls are read\n\
             line 4: rejected: a `alias` call: only identify, track and page calls are read\n\
             5 lines: 2 events, 0 identifies, 1 lead; 1 action (0 suppressed sends, 0 conversions); 3 rejected\n"
        ),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("skipped"), "{}", r.stderr);
}

/// Uses every standard event Segment's Email and E-commerce specs name, and every field of a
/// page view, each once.
const SEGMENT_CAMPAIGN: &str = r#"campaign "Segment names"

lead { email: string }

score page_fields {
  on page.viewed where url starts_with "https://northwind.example/"  add 1
  on page.viewed where (path ?? "") == "/pricing"                     add 2
  on page.viewed where (name ?? "") == "Pricing"                      add 4
  on page.viewed where (referrer ?? "") contains "google"             add 8
  on page.viewed where (title ?? "") == "Pricing | Northwind"         add 16
}

on page.viewed                 notify sales "page view: {page_fields} of 31"
on email.delivered             notify sales "delivered"
on email.opened                notify sales "opened"
on email.clicked               notify sales "clicked"
on email.bounced               notify sales "bounced"
on email.marked_as_spam        notify sales "marked as spam"
on email.unsubscribed          notify sales "unsubscribed"
on order.placed where total > 40 and order_id == "o-7"  notify sales "order completed"
"#;

/// Issue 11 item 22: the prelude's events did not answer to Segment's names (`Email Opened`,
/// `Order Completed`, …) and page calls were skipped: a stream in Segment's specs and the same
/// stream in dotted names now give the same actions, byte for byte.
#[test]
fn a_segment_named_stream_and_a_dotted_one_give_the_same_actions() {
    let d = Dir::new(SEGMENT_CAMPAIGN);
    let at = |minute: u32| format!("2026-03-02T09:{minute:02}:00Z");
    let track = |name: &str, props: &str, minute: u32| {
        format!(
            r#"{{"type":"track","userId":"ann","event":"{name}","properties":{props},"timestamp":"{}"}}"#,
            at(minute)
        )
    };
    let template = r#"{"template":"welcome"}"#;
    let order = r#"{"order_id":"o-7","total":42.5,"products":[{"product_id":"p-1","price":42.5,"quantity":1}]}"#;
    let page_fields = r#""url":"https://northwind.example/pricing?plan=team","path":"/pricing","referrer":"https://www.google.com/","title":"Pricing | Northwind""#;
    let identify = format!(
        r#"{{"type":"identify","userId":"ann","traits":{{"email":"ann@northwind.example"}},"timestamp":"{}"}}"#,
        at(0)
    );
    let stream = |names: [&str; 7], page: String| -> Vec<String> {
        let mut lines = vec![identify.clone(), page];
        for (i, name) in names[..6].iter().enumerate() {
            lines.push(track(name, template, 2 + i as u32));
        }
        lines.push(track(names[6], order, 8));
        lines
    };
    let segment = stream(
        [
            "Email Delivered",
            "Email Opened",
            "Email Link Clicked",
            "Email Bounced",
            "Email Marked as Spam",
            "Unsubscribed",
            "Order Completed",
        ],
        format!(
            r#"{{"type":"page","userId":"ann","name":"Pricing","properties":{{{page_fields}}},"timestamp":"{}"}}"#,
            at(1)
        ),
    );
    let dotted = stream(
        [
            "email.delivered",
            "email.opened",
            "email.clicked",
            "email.bounced",
            "email.marked_as_spam",
            "email.unsubscribed",
            "order.placed",
        ],
        track(
            "page.viewed",
            &format!(r#"{{"name":"Pricing",{page_fields}}}"#),
            1,
        ),
    );
    let mut runs = Vec::new();
    for lines in [segment, dotted] {
        d.events(&lines);
        let r = d.run(&["--events", "events.jsonl", "--strict"]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        runs.push(r);
    }
    let said: Vec<String> = runs[0]
        .actions()
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                a["at"].as_str().unwrap(),
                a["message"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            "2026-03-02T09:01:00Z page view: 31 of 31",
            "2026-03-02T09:02:00Z delivered",
            "2026-03-02T09:03:00Z opened",
            "2026-03-02T09:04:00Z clicked",
            "2026-03-02T09:05:00Z bounced",
            "2026-03-02T09:06:00Z marked as spam",
            "2026-03-02T09:07:00Z unsubscribed",
            "2026-03-02T09:08:00Z order completed",
        ]
    );
    assert_eq!(
        runs[0].stdout, runs[1].stdout,
        "the same actions, ids and all"
    );
    let summary = |r: &Run| r.stderr.lines().next().unwrap_or("").to_string();
    assert_eq!(
        summary(&runs[0]),
        "9 lines: 8 events, 1 identify, 1 lead; 8 actions (0 suppressed sends, 0 conversions); 0 rejected"
    );
    assert_eq!(summary(&runs[0]), summary(&runs[1]));
}

// ---- --memberships, --until, --out, stdin ---------------------------------------------------

#[test]
fn memberships_adds_enter_and_exit_records() {
    let d = Dir::new(CAMPAIGN);
    d.events(&[cart("ann", "2026-03-02T09:00:00Z", 42.0)]);
    let args = [
        "--events",
        "events.jsonl",
        "--until",
        "2026-03-04T00:00:00Z",
    ];
    let without = d.run(&args);
    let mut with_args = args.to_vec();
    with_args.push("--memberships");
    let with = d.run(&with_args);
    assert_eq!(without.code, Some(0));
    assert_eq!(with.code, Some(0));
    assert_eq!(
        without.trace(),
        [
            "2026-03-02T09:00:00Z ann send cart-now",
            "2026-03-02T10:00:00Z ann send cart-later",
        ]
    );
    assert_eq!(
        with.trace(),
        [
            "2026-03-02T09:00:00Z ann enter abandoners",
            "2026-03-02T09:00:00Z ann send cart-now",
            "2026-03-02T10:00:00Z ann send cart-later",
            "2026-03-03T09:00:00Z ann exit abandoners",
        ]
    );
    // The other actions are the same lines, ids included.
    let kept: Vec<&str> = with
        .stdout
        .lines()
        .filter(|l| !l.contains("\"action\":\"enter\"") && !l.contains("\"action\":\"exit\""))
        .collect();
    assert_eq!(kept, without.stdout.lines().collect::<Vec<_>>());
    let enter = &with.actions()[0];
    let keys: Vec<&str> = enter
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(keys, ["at", "lead", "action", "list", "id"]);
}

#[test]
fn until_fires_pending_waits_due_by_then() {
    let d = Dir::new(CAMPAIGN);
    d.events(&[cart("ann", "2026-03-02T09:00:00Z", 42.0)]);
    let trace = |until: Option<&str>| {
        let mut args = vec!["--events", "events.jsonl"];
        if let Some(t) = until {
            args.extend(["--until", t]);
        }
        let r = d.run(&args);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        r.trace()
    };
    let now = ["2026-03-02T09:00:00Z ann send cart-now"];
    let later = [
        "2026-03-02T09:00:00Z ann send cart-now",
        "2026-03-02T10:00:00Z ann send cart-later",
    ];
    assert_eq!(trace(None), now);
    assert_eq!(trace(Some("2026-03-02T09:59:59Z")), now);
    // A timer due exactly at --until fires.
    assert_eq!(trace(Some("2026-03-02T10:00:00Z")), later);
    assert_eq!(trace(Some("2026-03-02T11:00:00+01:00")), later);
    // An --until at the last event's time moves nothing and is fine.
    assert_eq!(trace(Some("2026-03-02T09:00:00Z")), now);
}

/// Issue 11 item 19: an `--until` earlier than the events was accepted silently (exit 0, as
/// if it had not been given).
#[test]
fn an_until_earlier_than_the_events_read_exits_2() {
    let d = Dir::new(CAMPAIGN);
    d.events(&[cart("ann", "2026-03-02T09:00:00Z", 42.0)]);
    let refused = |until: &str| {
        format!(
            "nurture run: --until {until} is earlier than the events already read: the clock \
             is at 2026-03-02T09:00:00Z and never goes back; give an --until from \
             2026-03-02T09:00:00Z on, or leave it out\n"
        )
    };
    let r = d.run(&[
        "--events",
        "events.jsonl",
        "--until",
        "2026-03-02T08:59:59Z",
    ]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(r.stderr, refused("2026-03-02T08:59:59Z"));
    // The events were read and their actions written before the clock was found past it.
    assert_eq!(r.trace(), ["2026-03-02T09:00:00Z ann send cart-now"]);

    // With a state, the clock is known before reading: nothing is read, run or written.
    let r = d.run(&["--state", "leads.db", "--events", "events.jsonl"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = d.run(&["--state", "leads.db", "--until", "2026-03-01T00:00:00Z"]);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(r.stderr, refused("2026-03-01T00:00:00Z"));
    assert_eq!(r.stdout, "");
    let r = d.run(&["--state", "leads.db", "--until", "2026-03-02T10:00:00Z"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.trace(), ["2026-03-02T10:00:00Z ann send cart-later"]);
}

#[test]
fn out_writes_the_actions_to_a_file() {
    let d = Dir::new(CAMPAIGN);
    d.events(&[cart("ann", "2026-03-02T09:00:00Z", 42.0)]);
    let args = [
        "--events",
        "events.jsonl",
        "--until",
        "2026-03-03T00:00:00Z",
    ];
    let to_stdout = d.run(&args);
    let mut out_args = args.to_vec();
    out_args.extend(["--out", "actions.jsonl"]);
    let to_file = d.run(&out_args);
    assert_eq!(to_file.code, Some(0), "{}", to_file.stderr);
    assert_eq!(to_file.stdout, "");
    let written = std::fs::read_to_string(d.path("actions.jsonl")).unwrap();
    assert_eq!(written, to_stdout.stdout);
    assert_eq!(written.lines().count(), 2);
    assert!(written.ends_with('\n'));
    // The summary still goes to stderr.
    assert!(to_file.stderr.contains("2 actions"), "{}", to_file.stderr);
}

#[test]
fn events_can_come_from_standard_input() {
    let d = Dir::new(CAMPAIGN);
    let lines = [
        r#"{"type":"identify","userId":"ann","traits":{"email":"ann@example.com","consent_email":false},"timestamp":"2026-03-02T08:00:00Z"}"#.to_string(),
        cart("ann", "2026-03-02T09:00:00Z", 42.0),
        cart("bo", "2026-03-02T09:30:00Z", 42.0),
    ];
    let path = d.events(&lines);
    let stdin = std::fs::read(path).unwrap();
    let args = ["--until", "2026-03-03T00:00:00Z"];
    let mut file_args = vec!["--events", "events.jsonl"];
    file_args.extend(args);
    let mut stdin_args = vec!["--events", "-"];
    stdin_args.extend(args);
    let from_file = d.run(&file_args);
    let from_stdin = d.run_with_stdin(&stdin_args, Some(&stdin));
    assert_eq!(from_stdin.code, Some(0), "{}", from_stdin.stderr);
    assert_eq!(from_stdin.stdout, from_file.stdout);
    // Without consent the sends are suppressed, and reported.
    assert_eq!(
        from_stdin.trace(),
        [
            "2026-03-02T09:00:00Z ann suppressed cart-now",
            "2026-03-02T09:30:00Z bo send cart-now",
            "2026-03-02T10:00:00Z ann suppressed cart-later",
            "2026-03-02T10:30:00Z bo send cart-later",
        ]
    );
    assert_eq!(
        from_stdin.actions()[0]["rule"],
        "suppress when not lead.consent_email"
    );
    assert!(
        from_stdin
            .stderr
            .contains("(2 suppressed sends, 0 conversions)"),
        "{}",
        from_stdin.stderr
    );
}

#[test]
fn windows_line_endings_and_blank_lines_are_fine() {
    let d = Dir::new(CAMPAIGN);
    let text = format!(
        "{}\r\n\r\n{}\r\n",
        cart("ann", "2026-03-02T09:00:00Z", 42.0),
        cart("bo", "2026-03-02T09:30:00Z", 42.0)
    );
    d.write("events.jsonl", text.as_bytes());
    let r = d.run(&["--events", "events.jsonl"]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        r.trace(),
        [
            "2026-03-02T09:00:00Z ann send cart-now",
            "2026-03-02T09:30:00Z bo send cart-now",
        ]
    );
}

#[test]
fn an_order_counts_a_conversion_in_the_summary() {
    let d = Dir::new(CAMPAIGN);
    d.events(&[
        cart("ann", "2026-03-02T09:00:00Z", 42.0),
        r#"{"type":"track","userId":"ann","event":"order.placed","properties":{"order_id":"o-1","total":42.0},"timestamp":"2026-03-02T09:20:00Z"}"#.into(),
    ]);
    let r = d.run(&[
        "--events",
        "events.jsonl",
        "--until",
        "2026-03-09T00:00:00Z",
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        r.trace(),
        [
            "2026-03-02T09:00:00Z ann send cart-now",
            "2026-03-02T09:20:00Z ann converted recover",
        ]
    );
    assert!(
        r.stderr.contains("(0 suppressed sends, 1 conversion)"),
        "{}",
        r.stderr
    );
}

// ---- the engine, fed anything ---------------------------------------------------------------

const CONTRACT: &str = include_str!("fixtures/contract.nurture");

/// Event names: the contract's Nurture and Segment names, prelude events, undeclared ones and
/// odd strings.
const EVENT_NAMES: &[&str] = &[
    "Ebook Downloaded",
    "ebook.downloaded",
    "cart.abandoned",
    "order.placed",
    "email.opened",
    "email.clicked",
    "email.unsubscribed",
    "page.viewed",
    "form.submitted",
    "lead.identified",
    "chat.started",
    "Signed Up",
    "",
    "order.placed.total",
    "é\u{0}\u{202e}",
];

const PROP_KEYS: &[&str] = &[
    "title",
    "cart_value",
    "items",
    "template",
    "url",
    "order_id",
    "total",
    "form",
    "campaign",
    "referrer",
    "extra",
    "",
];

const TRAIT_KEYS: &[&str] = &[
    "email",
    "first_name",
    "job_title",
    "company_size",
    "country",
    "timezone",
    "consent_email",
    "stage",
    "tags",
    "unknown_trait",
];

fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        (-1e6f64..1e6).prop_map(|n| format!("{n:?}")),
        Just("1e400".to_string()),
        Just("-0.0".to_string()),
        Just("3.0".to_string()),
        prop::sample::select(vec![
            "\"Europe/Paris\"",
            "\"Mars/Olympus\"",
            "\"customer\"",
            "\"decision\"",
            "\"/pricing\"",
            "\"welcome-brand-values\"",
            "\"2026-03-02T09:00:00Z\"",
            "\"\\u00e9\\\"\\\\\"",
            "\"\\ud800\"",
            "\"\"",
        ])
        .prop_map(str::to_string),
        "[a-z0-9 @.]{0,12}".prop_map(|s| json_string(&s)),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-z]{1,5}", inner), 0..3).prop_map(|kv| {
                let fields: Vec<String> = kv
                    .iter()
                    .map(|(k, v)| format!("{}:{v}", json_string(k)))
                    .collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    })
}

fn object(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(keys), json_value()), 0..5).prop_map(|kv| {
        let fields: Vec<String> = kv
            .iter()
            .map(|(k, v)| format!("{}:{v}", json_string(k)))
            .collect();
        format!("{{{}}}", fields.join(","))
    })
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

/// One input line. A `Record` is Segment-shaped: its fields in order, then a timestamp that is
/// the previous record's plus `delta` seconds (mostly forward), written well when `timestamp`
/// is 4 or more and otherwise missing, not a time, with an offset, or a number. A `Raw` line
/// is anything at all.
#[derive(Debug, Clone)]
enum Line {
    Record {
        fields: Vec<(String, String)>,
        delta: i64,
        timestamp: u8,
    },
    Raw(String),
}

/// A record with any mix of right and wrong fields: most are rejected, some skipped.
fn record() -> impl Strategy<Value = Line> {
    let ty = prop_oneof![
        4 => Just(Some("\"track\"".to_string())),
        2 => Just(Some("\"identify\"".to_string())),
        1 => Just(Some("\"page\"".to_string())),
        1 => Just(Some("\"bogus\"".to_string())),
        1 => Just(Some("7".to_string())),
        1 => Just(None),
    ];
    let user = prop_oneof![
        6 => prop::sample::select(vec!["\"ann\"", "\"bob\"", "\"cy\"", "\"d\""]).prop_map(|s| Some(s.to_string())),
        1 => Just(Some("42".to_string())),
        1 => Just(Some("null".to_string())),
        1 => Just(Some("\"\"".to_string())),
        1 => Just(None),
    ];
    let event = prop_oneof![
        8 => prop::sample::select(EVENT_NAMES).prop_map(|s| Some(json_string(s))),
        1 => Just(Some("false".to_string())),
        1 => Just(None),
    ];
    (
        ty,
        user,
        event,
        prop::option::of(object(PROP_KEYS)),
        prop::option::of(object(TRAIT_KEYS)),
        prop_oneof![8 => 0i64..90_000, 1 => -5_000i64..0, 1 => 0i64..40_000_000],
        0u8..10,
    )
        .prop_map(|(ty, user, event, props, traits, delta, timestamp)| {
            let mut fields = Vec::new();
            let mut put = |k: &str, v: Option<String>| {
                if let Some(v) = v {
                    fields.push((k.to_string(), v));
                }
            };
            put("type", ty);
            put("userId", user);
            put("event", event);
            put("properties", props);
            put("traits", traits);
            Line::Record {
                fields,
                delta,
                timestamp,
            }
        })
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        6 => well_formed(),
        3 => record(),
        1 => any::<String>().prop_map(Line::Raw),
        1 => "[{}\\[\\]\":,0-9a-z ]{0,40}".prop_map(Line::Raw),
    ]
}

/// A value that fits a property or trait of the contract, from a small set so that the
/// campaign's conditions sometimes hold.
fn fitting(kind: &'static str) -> BoxedStrategy<String> {
    match kind {
        "number" => (0u32..40_000)
            .prop_map(|n| format!("{:?}", n as f64 / 100.0))
            .boxed(),
        "int" => (0i64..2_000).prop_map(|n| n.to_string()).boxed(),
        "bool" => any::<bool>().prop_map(|b| b.to_string()).boxed(),
        "url" => prop::sample::select(vec!["/pricing", "/", "/blog/x"])
            .prop_map(json_string)
            .boxed(),
        "template" => prop::sample::select(vec![
            "welcome-brand-values",
            "offer-a",
            "offer-b",
            "cart-reminder",
        ])
        .prop_map(json_string)
        .boxed(),
        "email" => prop::sample::select(vec!["a@acme.example", "b@gmail.com"])
            .prop_map(json_string)
            .boxed(),
        "title" => prop::sample::select(vec!["VP Sales", "Director", "Intern"])
            .prop_map(json_string)
            .boxed(),
        "country" => prop::sample::select(vec!["US", "GB", "FR"])
            .prop_map(json_string)
            .boxed(),
        "timezone" => prop::sample::select(vec!["UTC", "Europe/London", "Pacific/Chatham"])
            .prop_map(json_string)
            .boxed(),
        "stage" => prop::sample::select(vec!["awareness", "decision", "customer"])
            .prop_map(json_string)
            .boxed(),
        _ => "[a-z]{0,6}".prop_map(|s| json_string(&s)).boxed(),
    }
}

/// The contract's events with the kinds of their properties.
const TRACKS: &[(&str, &[(&str, &str)])] = &[
    ("Ebook Downloaded", &[("title", "string")]),
    (
        "cart.abandoned",
        &[("cart_value", "number"), ("items", "int")],
    ),
    (
        "order.placed",
        &[("order_id", "string"), ("total", "number")],
    ),
    ("email.opened", &[("template", "template")]),
    ("email.clicked", &[("template", "template")]),
    ("email.unsubscribed", &[("template", "template")]),
    ("page.viewed", &[("url", "url")]),
    ("form.submitted", &[("form", "string")]),
    ("chat.started", &[]),
];

const TRAITS: &[(&str, &str)] = &[
    ("email", "email"),
    ("job_title", "title"),
    ("company_size", "int"),
    ("country", "country"),
    ("timezone", "timezone"),
    ("consent_email", "bool"),
    ("stage", "stage"),
];

fn fields(spec: &'static [(&'static str, &'static str)]) -> BoxedStrategy<String> {
    let parts: Vec<BoxedStrategy<Option<String>>> = spec
        .iter()
        .map(|&(name, kind)| {
            prop_oneof![
                9 => fitting(kind).prop_map(move |v| Some(format!("{}:{v}", json_string(name)))),
                1 => Just(None),
            ]
            .boxed()
        })
        .collect();
    parts
        .prop_map(|p| {
            let present: Vec<String> = p.into_iter().flatten().collect();
            format!("{{{}}}", present.join(","))
        })
        .boxed()
}

/// A record that mostly fits the contract's schema: the kind of line a real stream is made
/// of, so that leads enrol, wait, convert and get sends.
fn well_formed() -> impl Strategy<Value = Line> {
    let user = prop::sample::select(vec!["ann", "bob", "cy", "d"]).prop_map(json_string);
    let track = (prop::sample::select(TRACKS), user.clone()).prop_flat_map(|((name, spec), u)| {
        fields(spec).prop_map(move |props| {
            vec![
                ("type".to_string(), json_string("track")),
                ("userId".to_string(), u.clone()),
                ("event".to_string(), json_string(name)),
                ("properties".to_string(), props),
            ]
        })
    });
    let identify = (fields(TRAITS), user).prop_map(|(traits, u)| {
        vec![
            ("type".to_string(), json_string("identify")),
            ("userId".to_string(), u),
            ("traits".to_string(), traits),
        ]
    });
    (
        prop_oneof![3 => track, 1 => identify],
        prop_oneof![12 => 0i64..20_000, 1 => -3_000i64..0, 1 => 0i64..2_000_000],
    )
        .prop_map(|(fields, delta)| Line::Record {
            fields,
            delta,
            timestamp: 9,
        })
}

/// The base of the generated timestamps: 2026-03-02T09:00:00Z.
const BASE: i64 = 1_772_442_000;

fn render(lines: &[Line]) -> Vec<String> {
    let mut t = BASE;
    lines
        .iter()
        .map(|l| match l {
            Line::Raw(s) => s.clone(),
            Line::Record {
                fields,
                delta,
                timestamp,
            } => {
                t += delta;
                let at = chrono::DateTime::from_timestamp(t, 0).unwrap();
                let stamp = match timestamp {
                    0 => None,
                    1 => Some("\"yesterday\"".to_string()),
                    2 => Some(format!("\"{}\"", at.format("%Y-%m-%dT%H:%M:%S%.3f+02:00"))),
                    3 => Some(t.to_string()),
                    _ => Some(format!("\"{}\"", at.format("%Y-%m-%dT%H:%M:%SZ"))),
                };
                let mut parts: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{}:{v}", json_string(k)))
                    .collect();
                if let Some(s) = stamp {
                    parts.push(format!("\"timestamp\":{s}"));
                }
                format!("{{{}}}", parts.join(","))
            }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn the_engine_never_panics_whatever_it_is_fed(
        lines in prop::collection::vec(line(), 0..50),
        strict in any::<bool>(),
        until in prop::option::of(0i64..60_000_000),
    ) {
        let (diags, program) = check_text(CONTRACT);
        let program = program.unwrap_or_else(|| panic!("{diags:#?}"));
        let mut engine = Engine::new(&program, &Options { strict }).expect("compiles");
        let mut actions: Vec<Action> = Vec::new();
        let text = render(&lines);
        let mut rejected = 0u64;
        for (i, l) in text.iter().enumerate() {
            if let Some(r) = engine.feed(l, i as u64 + 1, &mut actions) {
                prop_assert_eq!(r.line, i as u64 + 1);
                prop_assert!(!r.reason.to_string().is_empty());
                rejected += 1;
            }
        }
        engine.finish(until.map(|u| BASE + u), &mut actions);
        let s = engine.summary();
        prop_assert_eq!(s.lines, text.len() as u64);
        prop_assert_eq!(s.rejected, rejected);
        prop_assert!(s.stats.events + s.stats.identifies + s.rejected <= s.lines);
        let counted = actions.iter().filter(|a| !a.kind.is_membership()).count() as u64;
        prop_assert_eq!(s.stats.actions, counted);
        // Event time never goes back, so neither do the actions.
        for w in actions.windows(2) {
            prop_assert!(w[0].at <= w[1].at, "{:?} before {:?}", w[0], w[1]);
        }
        for a in &actions {
            let line = nurture::runtime::output::line(a);
            prop_assert!(serde_json::from_str::<Value>(&line).is_ok(), "{}", line);
        }
    }
}

#[test]
fn a_compiled_program_runs_like_its_campaign() {
    let d = Dir::new(include_str!("fixtures/contract.nurture"));
    d.write(
        "events.jsonl",
        include_bytes!("../examples/ebook_welcome.jsonl"),
    );
    let compiled = Command::new(BIN)
        .current_dir(d.dir.path())
        .args(["compile", "campaign.nurture", "-o", "campaign.nbc"])
        .output()
        .expect("nurture compiles");
    assert!(compiled.status.success(), "{:?}", compiled);
    let from_source = d.run(&[
        "--events",
        "events.jsonl",
        "--until",
        "2026-04-01T00:00:00Z",
    ]);
    let out = Command::new(BIN)
        .current_dir(d.dir.path())
        .args([
            "run",
            "campaign.nbc",
            "--events",
            "events.jsonl",
            "--until",
            "2026-04-01T00:00:00Z",
        ])
        .output()
        .expect("nurture runs");
    let from_nbc = String::from_utf8(out.stdout).unwrap();
    assert!(!from_source.stdout.is_empty());
    assert_eq!(from_nbc, from_source.stdout);
    assert_eq!(out.status.code(), from_source.code);
}

//! `nurture repl` as a marketer's dry-run script runs it in CI: the built binary reading a
//! journey on standard input, with snapshots of the transcripts; the `:save` file replayed
//! through `nurture run` gives the same actions; `:reload` after an edit shows what changed.

use nurture::repl::helper::open_brackets;
use nurture::repl::{Session, Style};
use nurture::runtime::output;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_nurture");

/// A trial-to-paid campaign with a bit of everything the REPL explains: `when` and `on` rules,
/// decay and a cap, lists with `and` and `not`, triggers on events and on entering lists,
/// waits, a branch, quiet hours and a frequency cap.
const CAMPAIGN: &str = r#"campaign "Trial to paid"

lead {
  email: string
  company_size: int?
  plan: Plan = trial
  timezone: timezone = "UTC"
  consent_email: bool = true
}

enum Plan { trial, paid }

event trial.started as "Trial Started" { source: string }
event feature.used { feature: string }
event upgraded { seats: int }

score fit "Company size and email domain" {
  when lead.company_size >= 50            add 20
  when lead.email ends_with "@gmail.com"  subtract 10
}

score activity {
  decay 50% every 14d
  on feature.used                             add 5  at most 3 times per 7d
  on feature.used where feature == "reports"  add 10
  on email.clicked                            add 3
}

score total = fit + activity

list active = activity >= 15 and lead.plan == trial
list paying = did upgraded
list idle   = did trial.started within 30d and not did feature.used within 3d

on trial.started  start onboarding
on enter active   notify sales "{lead.email} is active: {total} points"
on enter idle     start nudge
on upgraded       set lead.plan = paid

workflow onboarding {
  exit when did email.unsubscribed
  goal did upgraded within 14d
  send email "welcome"
  wait 2d
  if did feature.used since enrolled {
    send email "tips"
  } else {
    send email "getting-started"
  }
  wait until 09:00
  send email "case-study"
}

workflow nudge {
  only if lead.consent_email
  send email "we-miss-you"
}

policy {
  frequency email at most 3 per 7d
  quiet hours 21:00 to 08:00
}
"#;

/// Two leads through a week: events, clock moves, questions, and the journey saved.
const JOURNEY: &str = r#"// A trial from a big company: two features used, then quiet, then an upgrade.
:lead ann { email: "ann@bigco.com", company_size: 200 }
:at 2026-03-02T10:00:00Z
:event ann trial.started { source: "ads" }
:advance 1h
:event ann feature.used { feature: "reports" }
:event ann feature.used { feature: "export" }
total of ann
ann in active
:show ann
:why ann active
:why ann activity
:why ann total
:why ann onboarding
:advance 2d
:advance 3d
:why ann idle
:why ann nudge
:at 2026-03-07T22:00:00Z
:lead bob {
  email: "bob@gmail.com",
  consent_email: false
}
:event bob trial.started { source: "blog" }
:show bob
:why bob nudge
:advance 12h
:event ann upgraded { seats: 5 }
:why ann paying
:leads
fit of bob
total of ann > total of bob
:save journey.jsonl
"#;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn nurture(dir: &Path, args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the nurture binary runs");
    // A repl that fails before reading (an unreadable campaign) closes its stdin: the write
    // then meets a broken pipe, which is the child's choice and not a test failure.
    let written = child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin.as_bytes());
    if let Err(e) = written {
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe,
            "stdin takes the journey: {e}"
        );
    }
    let out = child.wait_with_output().expect("nurture finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("campaign.nurture"), CAMPAIGN).expect("campaign written");
    dir
}

/// The inputs of a script, as `nurture repl` splits them: a line, or several while braces
/// are open. `:save` goes to `dir`.
fn inputs(script: &str, dir: &Path) -> Vec<String> {
    let saved = format!(":save \"{}\"", dir.join("library.jsonl").display());
    let script = script.replace(":save journey.jsonl", &saved);
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in script.lines() {
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(line);
        if open_brackets(&pending) <= 0 {
            out.push(std::mem::take(&mut pending));
        }
    }
    out
}

fn session_in(dir: &Path, style: Style) -> Session {
    let mut s = Session::new(style);
    let reply = s.load(&dir.join("campaign.nurture"));
    assert!(!reply.error, "{}", reply.text);
    s
}

#[test]
fn a_whole_journey_through_standard_input() {
    let dir = workdir();
    let run = nurture(dir.path(), &["repl", "campaign.nurture", "--echo"], JOURNEY);
    assert_eq!(run.stderr, "");
    assert_eq!(run.code, 0);
    assert!(!run.stdout.contains('\x1b'), "no colour without a terminal");
    insta::assert_snapshot!("journey", run.stdout);
}

#[test]
fn the_saved_journey_replays_to_the_same_actions() {
    let dir = workdir();
    let run = nurture(dir.path(), &["repl", "campaign.nurture"], JOURNEY);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let saved = std::fs::read_to_string(dir.path().join("journey.jsonl")).expect(":save wrote");
    assert_eq!(
        saved.lines().count(),
        7,
        "2 identifies and 5 tracks:\n{saved}"
    );
    assert!(
        saved.contains(r#""event":"Trial Started""#),
        "Segment names"
    );

    // The same journey through the library gives the actions, ids and all.
    let mut session = session_in(dir.path(), Style::plain());
    for input in inputs(JOURNEY, dir.path()) {
        let reply = session.run(&input);
        assert!(!reply.error, "{input}: {}", reply.text);
    }
    let library = std::fs::read_to_string(dir.path().join("library.jsonl")).expect("saved");
    assert_eq!(
        library, saved,
        "the binary and the library save the same journey"
    );
    let until = nurture::lang::format::instant(session.clock().expect("the clock started"));
    let expected: String = session.actions().iter().map(output::line).collect();

    let replay = nurture(
        dir.path(),
        &[
            "run",
            "campaign.nurture",
            "--events",
            "journey.jsonl",
            "--until",
            &until,
            "--memberships",
        ],
        "",
    );
    assert_eq!(replay.code, 0, "{}", replay.stderr);
    assert_eq!(replay.stdout, expected);
    for needle in [
        r#""action":"send""#,
        r#""action":"suppressed""#,
        r#""action":"notify""#,
        r#""action":"converted""#,
        r#""template":"welcome","workflow":"onboarding""#,
    ] {
        assert!(
            replay.stdout.contains(needle),
            "{needle} in\n{}",
            replay.stdout
        );
    }

    // And the transcript printed each of them, with its time and lead.
    let printed = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("2026-") && l.split("  ").count() >= 3)
        .count();
    assert_eq!(printed, replay.stdout.lines().count(), "{}", run.stdout);
    assert!(run.stdout.contains(&format!(
        "replay: nurture run campaign.nurture --events journey.jsonl --until {until}"
    )));
}

#[test]
fn mistakes_are_shown_against_the_typed_line_and_the_session_goes_on() {
    let dir = workdir();
    let script = r#":at 2026-03-02T10:00:00Z
:lead ann { email: "ann@bigco.com", company_size: "big" }
:lead ann { email: "ann@bigco.com" }
:event ann trial.strated { source: "ads" }
:event ann trial.started { }
:event ann trial.started { source: "ads" }
total
total of carl
:show carl
:why ann hott
:at yesterday
:at 2025-01-01T00:00:00Z
:advance soon
:shwo ann
total of ann
"#;
    let run = nurture(dir.path(), &["repl", "campaign.nurture", "--echo"], script);
    assert_eq!(run.code, 1, "a failed command fails the script");
    // The good commands ran, between and after the bad ones.
    assert!(
        run.stdout.contains("created ann with email"),
        "{}",
        run.stdout
    );
    assert!(run
        .stdout
        .contains("ann  sent email \"welcome\"  [onboarding: send email \"welcome\"]"));
    assert!(
        run.stdout.ends_with("> total of ann\n0\n"),
        "{}",
        run.stdout
    );
    // Issue 11 item 19: each error names the script's line (it said `input:1:COL` for
    // every one), and `--echo` keeps it in the transcript, after its command (it went to
    // standard error only).
    insta::assert_snapshot!("mistakes", run.stderr);
    for (line, command) in [(2, ":lead ann"), (8, "total of carl"), (14, ":shwo ann")] {
        let at = run
            .stdout
            .find(&format!("> {command}"))
            .unwrap_or_else(|| panic!("{command} is echoed"));
        let error = run.stdout[at..]
            .lines()
            .nth(1)
            .expect("a line after the command");
        assert!(error.starts_with("[E0"), "{command}: {error}");
        let place = run.stdout[at..].lines().nth(2).expect("the error's place");
        assert!(
            place.contains(&format!("─[ <stdin>:{line}:")),
            "{command}: {place}"
        );
    }
    let errors_in_transcript = run.stdout.matches("Error:").count();
    assert_eq!(errors_in_transcript, run.stderr.matches("Error:").count());
    assert_eq!(errors_in_transcript, 11);
}

/// A command over several lines is placed at the line it starts on, and its lines keep their
/// numbers.
#[test]
fn an_error_in_a_command_over_several_lines_names_its_line() {
    let dir = workdir();
    let script = ":at 2026-03-02T10:00:00Z\n\n// a comment\n:lead ann {\n  email: \"ann@bigco.com\",\n  company_size: \"big\"\n}\n";
    let run = nurture(dir.path(), &["repl", "campaign.nurture"], script);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "[E0201] Error: expected an int?, found a string
   ╭─[ <stdin>:6:17 ]
   │
 6 │   company_size: \"big\"
   │                 ──┬──  
   │                   ╰──── this is a string
───╯
"
    );
}

#[test]
fn reload_replays_the_journey_against_the_edited_campaign() {
    let dir = workdir();
    let mut session = session_in(dir.path(), Style::plain());
    for input in inputs(JOURNEY, dir.path()) {
        assert!(!session.run(&input).error, "{input}");
    }
    let before = session.actions().len();
    let edited = CAMPAIGN
        .replace("  wait 2d\n", "  wait 1d\n")
        .replace("send email \"tips\"", "send email \"power-tips\"");
    std::fs::write(dir.path().join("campaign.nurture"), edited).expect("edit");
    let reply = session.run(":reload");
    assert!(!reply.error, "{}", reply.text);
    assert!(reply
        .text
        .contains("- 2026-03-04T10:00:00Z  ann  sent email \"tips\""));
    assert!(reply
        .text
        .contains("+ 2026-03-03T10:00:00Z  ann  sent email \"power-tips\""));
    let shown = reply
        .text
        .replace(&dir.path().display().to_string(), "[DIR]");
    insta::assert_snapshot!("reload", shown);
    // The session goes on with the edited campaign.
    assert_eq!(session.actions().len(), before);
    let show = session.run(":show ann");
    assert!(
        show.text.contains("last enrolled 2026-03-02T10:00:00Z"),
        "{}",
        show.text
    );

    // An edit that does not check leaves the session as it was.
    std::fs::write(
        dir.path().join("campaign.nurture"),
        "lead { email: strin }\n",
    )
    .expect("edit");
    let reply = session.run(":reload");
    assert!(reply.error);
    assert!(
        reply
            .text
            .contains("[E0106] Error: there is no type `strin`"),
        "{}",
        reply.text
    );
    assert!(reply.text.contains("not loaded: fix the errors above"));
    assert_eq!(session.actions().len(), before);
    assert_eq!(session.run("total of ann").text, "34.89\n");
}

#[test]
fn a_journey_replayed_on_another_campaign_through_load() {
    let dir = workdir();
    let variant = CAMPAIGN.replace("quiet hours 21:00 to 08:00", "quiet hours 23:00 to 06:00");
    std::fs::write(dir.path().join("variant.nurture"), variant).expect("variant");
    let script = r#":at 2026-03-07T22:00:00Z
:event bob trial.started { source: "blog" }
:advance 12h
:load variant.nurture
"#;
    let run = nurture(dir.path(), &["repl", "campaign.nurture"], script);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("load_variant", run.stdout);
}

#[test]
fn trace_and_input_across_lines() {
    let dir = workdir();
    let script = r#":trace on
:lead ann {
  email: "ann@bigco.com",
  // a comment inside the braces
  company_size: 200
}
:event ann feature.used {
  feature: "reports"
}
:trace off
:event ann feature.used { feature: "reports" }
"#;
    let run = nurture(dir.path(), &["repl", "campaign.nurture", "--echo"], script);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!("trace", run.stdout);
}

#[test]
fn without_a_campaign_commands_wait_for_load() {
    let dir = workdir();
    let script = ":lead ann { email: \"a@b.c\" }\n:load campaign.nurture\n:lead ann { email: \"a@b.c\" }\n:help show\n";
    let run = nurture(dir.path(), &["repl"], script);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "no campaign loaded: start with `nurture repl CAMPAIGN`, or `:load FILE`\n"
    );
    assert_eq!(
        run.stdout,
        "loaded campaign.nurture (\"Trial to paid\")\ncreated ann with email\n:show ID\n  a lead's attributes, scores rule by rule, lists and workflow runs\n"
    );
}

#[test]
fn a_campaign_with_errors_does_not_start() {
    let dir = workdir();
    std::fs::write(dir.path().join("bad.nurture"), "lead { email: strin }\n").expect("bad");
    let run = nurture(dir.path(), &["repl", "bad.nurture"], ":leads\n");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("there is no type `strin`"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}

/// Issue 11 item 19: an unreadable campaign exited 1 with no `nurture repl:` prefix; it is a
/// usage error (2), as for every other command.
#[test]
fn an_unreadable_campaign_is_a_usage_error() {
    let dir = workdir();
    let run = nurture(dir.path(), &["repl", "missing.nurture"], ":leads\n");
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("nurture repl: cannot read missing.nurture: "),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn quit_stops_reading_and_open_braces_at_the_end_fail() {
    let dir = workdir();
    let run = nurture(dir.path(), &["repl", "campaign.nurture"], ":quit\n:bogus\n");
    assert_eq!(
        (run.code, run.stdout.as_str(), run.stderr.as_str()),
        (0, "", "")
    );
    let run = nurture(dir.path(), &["repl", "campaign.nurture"], ":lead ann {\n");
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("the input ended inside braces"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_clock_starts_at_the_first_at_or_on_new_year_2026() {
    let dir = workdir();
    let mut s = session_in(dir.path(), Style::plain());
    assert_eq!(s.clock(), None);
    assert_eq!(
        s.run(":at 2025-06-01T00:00:00Z").text,
        "clock 2025-06-01T00:00:00Z\n"
    );
    assert_eq!(s.run(":advance 1d12h").text, "clock 2025-06-02T12:00:00Z\n");
    let mut s = session_in(dir.path(), Style::plain());
    assert!(!s.run(":lead ann { email: \"a@b.c\" }").error);
    assert_eq!(
        s.clock().map(nurture::lang::format::instant).as_deref(),
        Some("2026-01-01T00:00:00Z")
    );
    let back = s.run(":at 2025-06-01T00:00:00Z");
    assert!(back.error);
    assert!(back.text.contains("the clock only moves forward"));
}

#[test]
fn the_clock_keeps_to_the_range_of_times() {
    let dir = workdir();
    let mut s = session_in(dir.path(), Style::plain());
    for (cmd, said) in [
        (
            ":at 1969-12-31T23:59:59Z",
            "`:at` 1969-12-31T23:59:59Z is outside the supported range 1970-01-01 to 2201-01-01",
        ),
        (
            ":at 2201-01-01T00:00:01Z",
            "`:at` 2201-01-01T00:00:01Z is outside the supported range 1970-01-01 to 2201-01-01",
        ),
    ] {
        let r = s.run(cmd);
        assert!(r.error && r.text.contains(said), "{cmd}: {}", r.text);
        assert_eq!(s.clock(), None, "{cmd}");
    }
    assert!(!s.run(":at 2099-12-31T00:00:00Z").error);
    assert!(!s.run(":lead ann { email: \"a@b.c\" }").error);
    // Past 2100 no record can come: the clock moves on, leads and events do not happen.
    assert!(!s.run(":advance 2d").error);
    let r = s.run(":event ann trial.started { source: \"ads\" }");
    assert!(
        r.error
            && r.text.contains(
                "the clock at 2100-01-02T00:00:00Z is outside the supported range 1970-01-01 to 2100-01-01"
            ),
        "{}",
        r.text
    );
    let r = s.run(":lead ann { email: \"a@b.c\" }");
    assert!(r.error, "{}", r.text);
    assert!(!s.run(":advance 5200w").error);
    let r = s.run(":advance 520w");
    assert!(
        r.error
            && r.text
                .contains("the clock at 2209-08-19T00:00:00Z is outside"),
        "{}",
        r.text
    );
    assert_eq!(
        s.clock().map(nurture::lang::format::instant).as_deref(),
        Some("2199-08-31T00:00:00Z")
    );
}

#[test]
fn colour_on_a_terminal_only() {
    let dir = workdir();
    let mut s = session_in(dir.path(), Style { color: true });
    s.run(":at 2026-03-02T10:00:00Z");
    let reply = s.run(":event ann trial.started { source: \"ads\" }");
    assert!(
        reply.text.contains("\x1b[1;36mann\x1b[0m"),
        "{:?}",
        reply.text
    );
    assert!(reply.text.contains("\x1b[32msent email \"welcome\"\x1b[0m"));
    let reply = s.run(":why ann nothing");
    assert!(reply.error);
    assert!(reply.text.contains("\x1b["), "ariadne colours errors too");
}

/// Issue 11 item 7: a `set` of an enum attribute names the constant bare, as the campaign
/// writes it (`set lead.plan = paid`), not quoted like a text.
#[test]
fn a_set_of_an_enum_names_the_constant_as_the_campaign_writes_it() {
    let dir = workdir();
    let mut s = session_in(dir.path(), Style::plain());
    s.run(":at 2026-03-02T10:00:00Z");
    s.run(":lead ann { email: \"ann@bigco.com\" }");
    let out = s.run(":event ann upgraded { seats: 5 }");
    assert!(!out.error, "{}", out.text);
    assert_eq!(
        out.text,
        "2026-03-02T10:00:00Z  ann  entered paying\n\
         2026-03-02T10:00:00Z  ann  set lead.plan = paid  [on upgraded, line 38]\n"
    );
}

/// Issue 11 item 9: the REPL prints a split's assignment and the variant of the actions
/// inside its arm, and `:show` and `:why` give an open run's variant.
#[test]
fn the_repl_shows_the_variant_a_run_took() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let campaign = r#"lead { email: string }
event signup
on signup start offer
workflow offer {
  exit when did email.unsubscribed
  split {
    50% "A": { send email "offer-a"  wait 2d }
    50% "B": { send email "offer-b"  wait 2d }
  }
}
policy { frequency email at most 3 per 7d }
"#;
    std::fs::write(dir.path().join("campaign.nurture"), campaign).expect("written");
    let mut s = session_in(dir.path(), Style::plain());
    s.run(":at 2026-03-02T10:00:00Z");
    // `bob` takes arm B: FNV-1a of "offer/bob" is 97 modulo 100.
    assert_eq!(
        nurture::lang::hash::fnv1a(b"offer/bob") % 100,
        97,
        "the arm this test expects"
    );
    let out = s.run(":event bob signup");
    assert_eq!(
        out.text,
        "2026-03-02T10:00:00Z  bob  assigned, variant \"B\"  [offer: split]\n\
         2026-03-02T10:00:00Z  bob  sent email \"offer-b\"  [offer: send email \"offer-b\", variant \"B\"]\n"
    );
    let show = s.run(":show bob").text;
    assert!(
        show.lines()
            .any(|l| l == "  offer  step wait 2d, variant \"B\", enrolled 2026-03-02T10:00:00Z, wakes 2026-03-04T10:00:00Z"),
        "{show}"
    );
    let why = s.run(":why bob offer").text;
    assert!(
        why.starts_with(
            "bob is in offer: step wait 2d, variant \"B\", enrolled 2026-03-02T10:00:00Z, wakes 2026-03-04T10:00:00Z\n"
        ),
        "{why}"
    );
}

/// Issue 11 item 12: `:why` on a score derived from a derived score explains every score
/// down to the rules, each once, and shows the attribute values a formula reads.
#[test]
fn why_follows_derived_scores_down_to_their_rules_and_reads() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let campaign = r#"lead { email: string, company_size: int?, seats: int = 1 }
event feature.used
score fit { when lead.company_size >= 50 add 20 }
score activity { on feature.used add 5 }
score total = fit + activity
score priority = total * 2 + (lead.company_size ?? 0) / 100 + lead.seats + fit
"#;
    std::fs::write(dir.path().join("campaign.nurture"), campaign).expect("written");
    let mut s = session_in(dir.path(), Style::plain());
    s.run(":at 2026-03-02T10:00:00Z");
    s.run(":lead ann { email: \"ann@bigco.com\", company_size: 200 }");
    s.run(":event ann feature.used");
    s.run(":event ann feature.used");
    assert_eq!(
        s.run(":why ann priority").text,
        "priority of ann is 83
  priority  83 = total * 2 + (lead.company_size ?? 0) / 100 + lead.seats + fit  (total 30, fit 20)
             lead.company_size is 200, lead.seats is 1
    total  30 = fit + activity  (fit 20, activity 10)
      fit  20
          +20  when lead.company_size >= 50 add 20  ✓ holds
                 lead.company_size is 200
      activity  10
          +10  on feature.used add 5  counted 2 times, last 2026-03-02T10:00:00Z
"
    );
}

/// Issue 11 item 11: `nurture state DB --lead ID` prints what the REPL's `:show ID` prints for
/// the same journey, rule by rule: `on` rules counted, capped and decayed, from the tallies
/// the state keeps, and nothing left over "from changes no rule accounts for".
#[test]
fn nurture_state_lead_shows_what_show_shows() {
    let dir = workdir();
    let script = r#":lead ann { email: "ann@bigco.com", company_size: 200 }
:at 2026-03-02T10:00:00Z
:event ann trial.started { source: "ads" }
:event ann feature.used { feature: "reports" }
:event ann feature.used { feature: "export" }
:advance 1h
:event ann feature.used { feature: "export" }
:event ann feature.used { feature: "reports" }
:event ann email.clicked { template: "welcome" }
:lead bob { email: "bob@gmail.com" }
:event bob feature.used { feature: "export" }
:advance 5d
:save journey.jsonl
"#;
    let mut session = session_in(dir.path(), Style::plain());
    for input in inputs(script, dir.path()) {
        let reply = session.run(&input);
        assert!(!reply.error, "{input}: {}", reply.text);
    }
    let until = nurture::lang::format::instant(session.clock().expect("the clock started"));
    let run = nurture(
        dir.path(),
        &[
            "run",
            "campaign.nurture",
            "--events",
            "library.jsonl",
            "--until",
            &until,
            "--state",
            "leads.db",
        ],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    for lead in ["ann", "bob"] {
        let shown = session.run(&format!(":show {lead}")).text;
        let state = nurture(dir.path(), &["state", "leads.db", "--lead", lead], "");
        assert_eq!(state.code, 0, "{}", state.stderr);
        assert_eq!(state.stdout, shown);
        assert!(!shown.contains("no rule accounts for"), "{shown}");
    }
    // ann's `on` rules, as both print them: the cap stopped a fourth `feature.used`, and the
    // points have halved every 14 days since (10 + 5 an hour later, times 0.5^(5d/14d), is
    // 11.69).
    let shown = session.run(":show ann").text;
    for line in [
        "  activity  29.63  (decay 50% every 14d)",
        "   +11.69  on feature.used add 5 at most 3 times per 7d  counted 3 times, last 2026-03-02T11:00:00Z, 1 more over its cap",
        "    +15.6  on feature.used where feature == \"reports\" add 10  counted 2 times, last 2026-03-02T11:00:00Z",
        "    +2.34  on email.clicked add 3  counted once, last 2026-03-02T11:00:00Z",
    ] {
        assert!(shown.lines().any(|l| l == line), "{line}\nin\n{shown}");
    }
}

/// The session at the top of docs/repl.md, replayed: each prompt's command gives the output
/// shown under it.
#[test]
fn the_example_in_the_docs_is_what_the_repl_prints() {
    let doc = include_str!("../docs/repl.md");
    let block = doc
        .split("```")
        .nth(1)
        .expect("docs/repl.md opens with an example session");
    let dir = workdir();
    let mut s = session_in(dir.path(), Style::plain());
    let mut expected: Option<(String, String)> = None;
    let mut checked = 0;
    let mut finish = |pending: Option<(String, String)>, s: &mut Session| {
        if let Some((command, output)) = pending {
            assert_eq!(s.run(&command).text, output, "after `{command}`");
            checked += 1;
        }
    };
    for line in block.lines() {
        let prompt = line
            .split_once("> ")
            .filter(|(p, _)| *p == "nurture" || p.ends_with('Z'));
        match prompt {
            Some((_, command)) => {
                finish(expected.take(), &mut s);
                expected = Some((command.to_string(), String::new()));
            }
            None => {
                if let Some((_, out)) = &mut expected {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
    }
    finish(expected.take(), &mut s);
    assert_eq!(checked, 4);
}

/// Issue 16: `:show` and `:why` say a run is held out of its workflow, and the REPL prints the
/// `holdout` record and a held-out conversion.
#[test]
fn the_repl_shows_a_held_out_run() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let campaign = r#"lead { email: string }
event signup
on signup start offer
workflow offer {
  goal did order.placed within 30d since enrolled
  holdout 20%
  send email "offer"
}
policy { frequency email at most 3 per 7d }
"#;
    std::fs::write(dir.path().join("campaign.nurture"), campaign).expect("written");
    // The first lead `lead-N` in the holdout: the high 32 bits of the FNV-1a of
    // "offer/holdout/lead-N", modulo 100, below 20.
    let held = (0..)
        .map(|i| format!("lead-{i}"))
        .find(|l| {
            (nurture::lang::hash::fnv1a(format!("offer/holdout/{l}").as_bytes()) >> 32) % 100 < 20
        })
        .unwrap();
    let mut s = session_in(dir.path(), Style::plain());
    s.run(":at 2026-03-02T10:00:00Z");
    let out = s.run(&format!(":event {held} signup"));
    assert_eq!(
        out.text,
        format!("2026-03-02T10:00:00Z  {held}  held out of offer\n")
    );
    let show = s.run(&format!(":show {held}")).text;
    assert!(
        show.lines().any(|l| l
            == "  offer  held out: takes none of its steps, watching its goal, enrolled 2026-03-02T10:00:00Z, until 2026-04-01T10:00:00Z"),
        "{show}"
    );
    let why = s.run(&format!(":why {held} offer")).text;
    assert!(
        why.starts_with(&format!("{held} is in offer: held out")),
        "{why}"
    );
    s.run(":advance 1d");
    let out = s.run(&format!(
        ":event {held} order.placed {{ order_id: \"o1\", total: 10 }}"
    ));
    assert!(
        out.text.contains("converted in offer, held out"),
        "{}",
        out.text
    );
}

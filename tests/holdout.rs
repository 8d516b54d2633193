//! Holdout groups (`holdout P%`, docs/language.md §11): which leads are held out, what a
//! held-out run does and records, its exit and goal, and its course through `--state` and
//! `--migrate`.

use nurture::check::check_text;
use nurture::diag::Code;
use nurture::lang::hash::fnv1a;
use nurture::runtime::engine::{Engine, Options};
use nurture::runtime::output;
use nurture::vm::action::Action;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const CAMPAIGN: &str = r#"
lead { email: string, consent_email: bool = true }
event signup { plan: string }
on signup start welcome
workflow welcome {
  enroll once
  only if lead.consent_email
  exit when did email.unsubscribed
  goal did order.placed within 30d since enrolled
  holdout HOLDOUT%
  send email "hello"
  wait 1d
  split {
    50% "A": send email "offer-a"
    50% "B": send email "offer-b"
  }
}
policy { frequency email at most 5 per 1d }
"#;

fn campaign(share: u32) -> String {
    CAMPAIGN.replace("HOLDOUT", &share.to_string())
}

fn track(lead: &str, event: &str, props: &str, at: &str) -> String {
    format!(
        r#"{{"type":"track","userId":"{lead}","event":"{event}","properties":{{{props}}},"timestamp":"{at}"}}"#
    )
}

fn signup(lead: &str, at: &str) -> String {
    track(lead, "signup", r#""plan":"x""#, at)
}

fn order(lead: &str, at: &str) -> String {
    track(lead, "Order Completed", r#""order_id":"o1","total":10"#, at)
}

/// Runs a campaign over lines, then to `until`; every action as its JSON record.
fn run(src: &str, lines: &[String], until: Option<&str>) -> Vec<Value> {
    let (diags, program) = check_text(src);
    let program = program.unwrap_or_else(|| panic!("the campaign does not check: {diags:#?}"));
    let mut engine = Engine::new(&program, &Options::default()).expect("compiles");
    let mut actions: Vec<Action> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let reject = engine.feed(l, i as u64 + 1, &mut actions);
        assert!(reject.is_none(), "line {}: {reject:?}", i + 1);
    }
    let until = until.map(|t| {
        chrono::DateTime::parse_from_rfc3339(t)
            .expect("a time")
            .timestamp_millis()
    });
    engine.finish(until, &mut actions);
    actions.iter().map(output::to_json).collect()
}

fn of<'a>(records: &'a [Value], lead: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["lead"] == lead).collect()
}

fn actions(records: &[&Value]) -> Vec<String> {
    (records.iter())
        .map(|r| r["action"].as_str().unwrap().to_string())
        .collect()
}

/// The rule, computed here from its definition rather than through the VM: the high 32 bits
/// of the FNV-1a 64 of `workflow/holdout/lead`, modulo 100, below the share.
fn in_holdout(workflow: &str, lead: &str, share: u64) -> bool {
    (fnv1a(format!("{workflow}/holdout/{lead}").as_bytes()) >> 32) % 100 < share
}

/// The first lead `lead-N` that is (or is not) in the 10% holdout of `welcome`.
fn lead_where(held: bool) -> String {
    (0..)
        .map(|i| format!("lead-{i}"))
        .find(|l| in_holdout("welcome", l, 10) == held)
        .unwrap()
}

/// 10,000 leads signed up one a second from 2026-03-02.
fn many(n: usize) -> (Vec<String>, Vec<String>) {
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-02T00:00:00Z").unwrap();
    let ids: Vec<String> = (0..n).map(|i| format!("u{i:05}")).collect();
    let lines = (ids.iter().enumerate())
        .map(|(i, id)| {
            let at = start + chrono::Duration::seconds(i as i64);
            signup(id, &at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        })
        .collect();
    (ids, lines)
}

fn held_out_leads(records: &[Value]) -> BTreeSet<String> {
    (records.iter())
        .filter(|r| r["action"] == "holdout")
        .map(|r| r["lead"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_share_held_out_of_ten_thousand_leads_is_within_a_tight_binomial_bound() {
    let (ids, lines) = many(10_000);
    for share in [10u32, 30] {
        let records = run(&campaign(share), &lines, None);
        let held = held_out_leads(&records).len() as f64;
        let (n, p) = (ids.len() as f64, share as f64 / 100.0);
        let sd = (n * p * (1.0 - p)).sqrt();
        // Four standard deviations: a fair rule fails this once in about 16,000 draws.
        assert!(
            (held - n * p).abs() <= 4.0 * sd,
            "{share}%: {held} of {n} held out, expected {} ± {:.0}",
            n * p,
            4.0 * sd
        );
        // Every enrolled lead is either held out or treated (it got the first send), never
        // both.
        let sent: BTreeSet<String> = (records.iter())
            .filter(|r| r["action"] == "send" && r["template"] == "hello")
            .map(|r| r["lead"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(sent.len() + held as usize, ids.len());
        assert!(sent.is_disjoint(&held_out_leads(&records)));
    }
}

#[test]
fn the_assignment_is_stable_and_is_the_documented_hash() {
    let (ids, lines) = many(2_000);
    let first = held_out_leads(&run(&campaign(10), &lines, None));
    let again = held_out_leads(&run(&campaign(10), &lines, None));
    assert_eq!(first, again, "the same leads are held out in every run");
    let expected: BTreeSet<String> = (ids.iter())
        .filter(|l| in_holdout("welcome", l, 10))
        .cloned()
        .collect();
    assert_eq!(first, expected);
    // The same lead has the same answer in any order of the input.
    let mut reversed = lines.clone();
    reversed.reverse();
    let at = |l: &String| l.replace("2026-03-02", "2026-03-03");
    let shifted: Vec<String> = reversed.iter().map(at).collect();
    let mut sorted = shifted.clone();
    sorted.sort_by_key(|l| l[l.find("timestamp").unwrap()..].to_string());
    assert_eq!(held_out_leads(&run(&campaign(10), &sorted, None)), expected);
}

#[test]
fn the_holdout_is_independent_of_the_split_arms() {
    let (ids, lines) = many(10_000);
    // Past the 1d wait, every treated run has taken its arm.
    let records = run(&campaign(30), &lines, Some("2026-03-10T00:00:00Z"));
    let held = held_out_leads(&records);
    // The arm a lead would take, by the split's own hash.
    let arm_a = |l: &str| fnv1a(format!("welcome/{l}").as_bytes()) % 100 < 50;
    let held_in_a = held.iter().filter(|l| arm_a(l)).count() as f64;
    let n = held.len() as f64;
    let sd = (n * 0.25).sqrt();
    assert!(
        (held_in_a - n / 2.0).abs() <= 4.0 * sd,
        "{held_in_a} of {n} held-out leads hash to arm A: the two hashes are not independent"
    );
    // Treated leads are assigned by the split as before; held-out leads never are.
    for r in records.iter().filter(|r| r["action"] == "assigned") {
        let lead = r["lead"].as_str().unwrap();
        assert!(!held.contains(lead));
        let want = if arm_a(lead) { "A" } else { "B" };
        assert_eq!(r["variant"], want);
    }
    let assigned = records.iter().filter(|r| r["action"] == "assigned").count();
    assert_eq!(assigned, ids.len() - held.len());
}

/// A held-out and a treated lead sign up, and both order three days later.
fn both_order() -> (String, String, [String; 4]) {
    let (held, treated) = (lead_where(true), lead_where(false));
    let lines = [
        signup(&held, "2026-03-02T09:00:00Z"),
        signup(&treated, "2026-03-02T09:00:01Z"),
        order(&held, "2026-03-05T09:00:00Z"),
        order(&treated, "2026-03-05T09:00:01Z"),
    ];
    (held, treated, lines)
}

#[test]
fn a_held_out_lead_runs_no_step_and_converts_with_holdout_true() {
    let (held, treated, lines) = both_order();
    let records = run(&campaign(10), &lines, Some("2026-04-30T00:00:00Z"));
    let h = of(&records, &held);
    assert_eq!(actions(&h), ["holdout", "converted"], "{h:#?}");
    assert_eq!(h[0]["workflow"], "welcome");
    assert_eq!(h[0]["at"], "2026-03-02T09:00:00Z");
    assert!(h[0]["id"].as_str().is_some_and(|id| id.len() == 16));
    assert!(h[0].get("step").is_none(), "a holdout record names no step");
    assert_eq!(h[1]["holdout"], true);
    assert_eq!(h[1]["workflow"], "welcome");
    let t = of(&records, &treated);
    assert_eq!(
        actions(&t),
        ["send", "assigned", "send", "converted"],
        "{t:#?}"
    );
    assert_eq!(t[3]["holdout"], false);
    // A workflow with no holdout writes no `holdout` field.
    let plain = CAMPAIGN.replace("  holdout HOLDOUT%\n", "");
    let records = run(&plain, &lines, Some("2026-04-30T00:00:00Z"));
    let converted: Vec<&Value> = (records.iter())
        .filter(|r| r["action"] == "converted")
        .collect();
    assert_eq!(converted.len(), 2);
    assert!(converted.iter().all(|r| r.get("holdout").is_none()));
    assert!(held_out_leads(&records).is_empty());
}

#[test]
fn a_held_out_run_watches_its_goal_for_the_window_from_enrollment() {
    let held = lead_where(true);
    let lines = [
        signup(&held, "2026-03-02T09:00:00Z"),
        // 31 days later: past the goal's 30-day window, the run is over.
        order(&held, "2026-04-02T09:00:00Z"),
        // A second signup does not enroll again (`enroll once`).
        signup(&held, "2026-04-03T09:00:00Z"),
    ]
    .map(String::from);
    let records = run(&campaign(10), &lines, Some("2026-06-01T00:00:00Z"));
    assert_eq!(actions(&of(&records, &held)), ["holdout"]);
}

#[test]
fn exit_and_only_if_apply_to_held_out_leads() {
    let held = lead_where(true);
    // Unsubscribed two days in: the run exits, so a later order is no conversion.
    let lines = [
        signup(&held, "2026-03-02T09:00:00Z"),
        track(
            &held,
            "Unsubscribed",
            r#""template":"x""#,
            "2026-03-04T09:00:00Z",
        ),
        order(&held, "2026-03-05T09:00:00Z"),
    ]
    .map(String::from);
    let records = run(&campaign(10), &lines, Some("2026-06-01T00:00:00Z"));
    assert_eq!(actions(&of(&records, &held)), ["holdout"]);

    // `only if` refuses the start: not enrolled, so not held out either.
    let identify = format!(
        r#"{{"type":"identify","userId":"{held}","traits":{{"email":"a@b.c","consent_email":false}},"timestamp":"2026-03-02T08:00:00Z"}}"#
    );
    let lines = [identify, signup(&held, "2026-03-02T09:00:00Z")];
    let records = run(&campaign(10), &lines, Some("2026-06-01T00:00:00Z"));
    assert!(of(&records, &held).is_empty(), "{records:#?}");
}

#[test]
fn a_goal_met_at_enrollment_converts_the_held_out_lead_at_once() {
    let src = campaign(10).replace(
        "goal did order.placed within 30d since enrolled",
        "goal did order.placed within 30d",
    );
    let held = lead_where(true);
    let lines = [
        order(&held, "2026-03-01T09:00:00Z"),
        signup(&held, "2026-03-02T09:00:00Z"),
    ]
    .map(String::from);
    let records = run(&src, &lines, None);
    let h = of(&records, &held);
    assert_eq!(actions(&h), ["holdout", "converted"]);
    assert_eq!(h[1]["at"], "2026-03-02T09:00:00Z");
    assert_eq!(h[1]["holdout"], true);
}

// ---- checking ----------------------------------------------------------------------------

fn codes(src: &str) -> Vec<Code> {
    check_text(src).0.iter().map(|d| d.code).collect()
}

#[test]
fn a_holdout_needs_a_goal_with_a_window() {
    let no_goal = campaign(10).replace("  goal did order.placed within 30d since enrolled\n", "");
    assert!(codes(&no_goal).contains(&Code::HoldoutWithoutGoal));
    let no_window = campaign(10).replace(" within 30d since enrolled", " since enrolled");
    assert!(codes(&no_window).contains(&Code::HoldoutWithoutGoal));
    assert!(!codes(&campaign(10)).contains(&Code::HoldoutWithoutGoal));
    // Without a holdout, a goal needs no window.
    let plain = no_window.replace("  holdout 10%\n", "");
    assert!(!codes(&plain).contains(&Code::HoldoutWithoutGoal));
}

#[test]
fn a_holdout_share_is_a_whole_percent_from_1_to_99() {
    for bad in ["0", "100", "150", "10.5"] {
        let src = CAMPAIGN.replace("HOLDOUT", bad);
        assert!(codes(&src).contains(&Code::BadHoldout), "holdout {bad}%");
    }
    for good in [1u32, 5, 50, 99] {
        assert!(!codes(&campaign(good)).contains(&Code::BadHoldout));
    }
    let twice = campaign(10).replace("holdout 10%", "holdout 10%\n  holdout 20%");
    assert!(codes(&twice).contains(&Code::Misplaced));
}

#[test]
fn a_holdout_under_5_or_over_50_percent_is_linted() {
    let lints = |share| {
        let c = codes(&campaign(share));
        (
            c.contains(&Code::SmallHoldout),
            c.contains(&Code::LargeHoldout),
        )
    };
    assert_eq!(lints(4), (true, false));
    assert_eq!(lints(5), (false, false));
    assert_eq!(lints(50), (false, false));
    assert_eq!(lints(51), (false, true));
    let (diags, program) = check_text(&campaign(60));
    assert!(program.is_some(), "a lint is no error: {diags:#?}");
}

// ---- --state and --migrate ------------------------------------------------------------------

const BIN: &str = env!("CARGO_BIN_EXE_nurture");

fn nurture(args: &[&str], dir: &Path) -> (i32, String, String) {
    let r = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("runs nurture");
    (
        r.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&r.stdout).into_owned(),
        String::from_utf8_lossy(&r.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("writes");
    p
}

fn records(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect()
}

/// Runs `campaign` over `events` against the state `s.db` in `d` (migrating it if asked),
/// expecting success: what it wrote and what it said.
fn resume(d: &Path, campaign: &str, events: &[String], migrate: bool) -> (String, String) {
    let file = format!("e{}.jsonl", fnv1a(events.join("\n").as_bytes()));
    write(d, &file, &(events.join("\n") + "\n"));
    let mut args = vec!["run", campaign, "--state", "s.db", "--events", &file];
    if migrate {
        args.push("--migrate");
    }
    let (code, out, err) = nurture(&args, d);
    assert_eq!(code, 0, "{err}");
    (out, err)
}

#[test]
fn a_held_out_run_survives_resuming_and_migrating_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (held, treated) = (lead_where(true), lead_where(false));
    write(d, "v1.nurture", &campaign(10));
    // v2 changes the steps and the share: runs carry over, the held-out one stays held out.
    let v2 = campaign(20).replace(
        "send email \"hello\"\n",
        "send email \"hello\"\n  send email \"welcome-2\"\n",
    );
    write(d, "v2.nurture", &v2);
    let first = [
        signup(&held, "2026-03-02T09:00:00Z"),
        signup(&treated, "2026-03-02T09:00:01Z"),
    ];
    let (out, _) = resume(d, "v1.nurture", &first, false);
    assert_eq!(actions(&of(&records(&out), &held)), ["holdout"]);
    // `nurture state --lead` says so.
    let (code, shown, err) = nurture(&["state", "s.db", "--lead", &held], d);
    assert_eq!(code, 0, "{err}");
    assert!(shown.contains("welcome  held out"), "{shown}");

    // Resumed: a week later the held-out lead is still held out and converts as one.
    let (out, _) = resume(
        d,
        "v1.nurture",
        &[order(&held, "2026-03-09T09:00:00Z")],
        false,
    );
    let recs = records(&out);
    let h = of(&recs, &held);
    assert_eq!(actions(&h), ["converted"], "{out}");
    assert_eq!(h[0]["holdout"], true);

    // Migrated: the treated lead's run carries over at its wait; it converts as treated.
    let (out, _) = resume(
        d,
        "v2.nurture",
        &[order(&treated, "2026-03-10T09:00:00Z")],
        true,
    );
    let recs = records(&out);
    let t = of(&recs, &treated);
    assert_eq!(actions(&t).last().map(String::as_str), Some("converted"));
    assert_eq!(t.last().unwrap()["holdout"], false);
}

#[test]
fn a_held_out_run_is_carried_over_by_migrate_and_stays_held_out() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let held = lead_where(true);
    write(d, "v1.nurture", &campaign(10));
    // v2 drops the holdout: the run held out before stays held out, and says so.
    let v2 = campaign(10).replace("  holdout 10%\n", "");
    write(d, "v2.nurture", &v2);
    resume(
        d,
        "v1.nurture",
        &[signup(&held, "2026-03-02T09:00:00Z")],
        false,
    );
    let (out, err) = resume(
        d,
        "v2.nurture",
        &[order(&held, "2026-03-09T09:00:00Z")],
        true,
    );
    assert!(err.contains("1 open run carried over"), "{err}");
    assert!(err.contains("holdout 10% before, no holdout now"), "{err}");
    let recs = records(&out);
    let h = of(&recs, &held);
    assert_eq!(actions(&h), ["converted"], "{out}");
    assert_eq!(h[0]["holdout"], true);
    assert!(
        !out.contains("\"send\""),
        "a held-out lead is sent nothing: {out}"
    );
}

// ---- the reference ---------------------------------------------------------------------------

/// The fields the table of output records in docs/language.md documents, and the text of its
/// `action` row.
fn documented_fields() -> (BTreeSet<String>, String) {
    let doc = include_str!("../docs/language.md");
    let table = doc
        .split("**Output records.**")
        .nth(1)
        .expect("docs/language.md has its table of output records");
    let (mut fields, mut actions) = (BTreeSet::new(), String::new());
    for row in table
        .lines()
        .skip(1)
        .take_while(|l| l.is_empty() || l.starts_with('|'))
    {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let Some(first) = cells.get(1) else { continue };
        for name in first.split(',').map(|n| n.trim().trim_matches('`')) {
            fields.insert(name.to_string());
        }
        if *first == "`action`" {
            actions = cells[3].to_string();
        }
    }
    (fields, actions)
}

#[test]
fn the_holdout_records_are_documented() {
    let (fields, actions) = documented_fields();
    let (_, _, lines) = both_order();
    let records = run(&campaign(10), &lines, None);
    let kinds: BTreeSet<&str> = records
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert!(kinds.contains("holdout") && kinds.contains("converted"));
    for r in &records {
        let action = r["action"].as_str().unwrap();
        assert!(
            actions.contains(&format!("`{action}`")),
            "`{action}` is not documented"
        );
        for key in r.as_object().unwrap().keys() {
            assert!(
                fields.contains(key),
                "the field `{key}` of `{action}` is not documented"
            );
        }
    }
}

/// The draw over many kinds of lead id and workflow name: the share held out is near P, and
/// the held-out leads split between a 50/50 split's arms as everyone does. Deterministic (the
/// hash is fixed), so a pass is a pass for good; the bounds are 4.5 standard deviations.
#[test]
fn the_draw_is_fair_and_independent_of_splits_for_many_kinds_of_id() {
    type Scheme = (&'static str, fn(usize) -> String);
    let schemes: [Scheme; 4] = [
        ("u00000", |i| format!("u{i:05}")),
        ("lead-0", |i| format!("lead-{i}")),
        ("email", |i| {
            format!("user{}@example.com", i * 7919 % 1_000_003)
        }),
        ("hex", |i| format!("{:016x}", fnv1a(&i.to_le_bytes()))),
    ];
    for (scheme, id) in schemes {
        let ids: Vec<String> = (0..20_000).map(id).collect();
        for workflow in ["welcome", "welcome_series", "cart_recovery", "w"] {
            for share in [10u8, 30] {
                let held: Vec<&String> = (ids.iter())
                    .filter(|l| nurture::vm::holdout::held_out(share, workflow, l))
                    .collect();
                let (n, p) = (ids.len() as f64, share as f64 / 100.0);
                let k = held.len() as f64;
                let sd = (n * p * (1.0 - p)).sqrt();
                assert!(
                    (k - n * p).abs() <= 4.5 * sd,
                    "{scheme} in {workflow} at {share}%: {k} held out of {n}"
                );
                let arm_a = (held.iter())
                    .filter(|l| fnv1a(format!("{workflow}/{l}").as_bytes()) % 100 < 50)
                    .count() as f64;
                assert!(
                    (arm_a - k / 2.0).abs() <= 4.5 * (k / 4.0).sqrt(),
                    "{scheme} in {workflow} at {share}%: {arm_a} of {k} held out in arm A"
                );
            }
        }
    }
}

#[test]
fn every_enrollment_of_a_held_out_lead_is_recorded() {
    // `enroll every time`: each start is a run, held out again, with its own record.
    let src = campaign(10).replace("enroll once", "enroll every time");
    let held = lead_where(true);
    let lines = [
        signup(&held, "2026-03-02T09:00:00Z"),
        signup(&held, "2026-03-03T09:00:00Z"),
    ];
    let records = run(&src, &lines, None);
    let h = of(&records, &held);
    assert_eq!(actions(&h), ["holdout", "holdout"]);
    assert_ne!(h[0]["id"], h[1]["id"]);
}

#[test]
fn the_compiled_file_keeps_the_holdout_and_its_listing_shows_it() {
    let (diags, program) = check_text(&campaign(10));
    let program = program.unwrap_or_else(|| panic!("{diags:#?}"));
    let c = nurture::compile::compile(&program).expect("compiles");
    let loaded = nurture::compile::Compiled::load(&c.to_bytes()).expect("loads");
    assert_eq!(loaded.workflows[0].holdout, Some(10));
    let listing = nurture::compile::disasm::disasm(&loaded, None);
    assert!(
        listing.contains("  holdout 10% (watched 30d after enrollment)"),
        "{listing}"
    );
    // A changed share is a changed campaign.
    let (_, other) = check_text(&campaign(20));
    let other = nurture::compile::compile(&other.unwrap()).unwrap();
    assert!(!nurture::compile::compare::same_behaviour(&c, &other));
}

#[test]
fn a_holdout_lint_can_be_silenced_on_its_line() {
    let src = campaign(2).replace("holdout 2%", "holdout 2%  // nurture: ignore small-holdout");
    assert!(
        !codes(&src).contains(&Code::SmallHoldout),
        "{:?}",
        codes(&src)
    );
    assert!(codes(&campaign(2)).contains(&Code::SmallHoldout));
}

//! Lead state keeps only what something reads (docs/bytecode.md, "The lead-state slab"), and
//! keeping less changes no action: campaigns whose state is laid out differently give the
//! same actions on the same input.

use nurture::check::check_text;
use nurture::compile::layout::{AttrSlot, Kept};
use nurture::compile::program::ScoreKind;
use nurture::compile::{compile, Compiled};
use nurture::lang::value::Val;
use nurture::runtime::engine::{Engine, Options};
use nurture::vm::action::Action;
use nurture::vm::machine::Machine;

fn compiled(src: &str) -> Compiled {
    let (diags, program) = check_text(src);
    let program = program.unwrap_or_else(|| panic!("the campaign does not check: {diags:#?}"));
    compile(&program).expect("compiles")
}

fn history_slot(c: &Compiled, text: &str) -> Kept {
    let i = (0..c.pools.history.len())
        .find(|i| nurture::compile::disasm::disasm(c, None).contains(&format!("h{i} {text}\n")))
        .unwrap_or_else(|| panic!("no history predicate `{text}`"));
    c.layout.history[i]
}

const KEPT: &str = r#"
campaign "Layout"

lead {
  email: string
  vip: bool = false
  tier: Tier = bronze
}

enum Tier { bronze, silver, gold, platinum, diamond }

score fit {
  when lead.vip add 10
}

score heat {
  on email.clicked add 5
}

score buzz {
  decay 50% every 7d
  on email.opened add 1
}

list opened_a_lot  = count email.opened within 7d >= 3
list opened_lately = did email.opened within 2h
list opened_ever   = did email.opened
list clicked_more  = count email.clicked within 3d > 1
list clicked_few   = count email.clicked within 3d < 4
list hot           = fit + heat + buzz >= 10

workflow relay {
  enroll every time
  wait 1d
  start mailer
}

workflow mailer {
  exit when did order.placed
  send email "hello"
}

workflow watcher {
  enroll every time
  exit when did order.placed since enrolled
  wait 2d
}

on email.clicked start relay
on email.opened start watcher

policy {
  frequency email at most 3 per 7d
}
"#;

#[test]
fn scores_keep_an_accumulator_only_for_on_rules_and_its_time_only_to_decay() {
    let c = compiled(KEPT);
    let slot = |name: &str| match &c.scores.iter().find(|s| s.name == name).unwrap().kind {
        ScoreKind::Rules { slot, .. } => *slot,
        ScoreKind::Derived(_) => unreachable!("rules scores"),
    };
    assert_eq!(slot("fit"), None, "no `on` rules: it reads 0");
    let (heat, buzz) = (slot("heat").unwrap(), slot("buzz").unwrap());
    let text = nurture::compile::disasm::disasm(&c, None);
    assert!(text.contains(&format!(
        "{heat:>5}..{:<5} score heat: value (f64)\n",
        heat + 2
    )));
    assert!(text.contains(&format!(
        "{buzz:>5}..{:<5} score buzz: value (f64)\n",
        buzz + 2
    )));
    assert!(text.contains("score buzz: the time of its last update (it keeps 50% every 7d)\n"));
    assert!(!text.contains("score heat: the time"));
}

#[test]
fn a_workflow_keeps_its_enrollment_only_where_something_reads_it() {
    let c = compiled(KEPT);
    let kept = |name: &str| {
        let w = c.workflows.iter().position(|w| w.name == name).unwrap();
        c.layout.run(w as u16).enrolled.is_some()
    };
    assert!(!kept("relay"), "every time, no `since enrolled`");
    assert!(kept("mailer"), "enroll once reads the last enrollment");
    assert!(kept("watcher"), "`since enrolled`");
}

#[test]
fn a_did_reads_the_newest_stamp_of_a_ring_over_the_same_events() {
    let c = compiled(KEPT);
    let ring = history_slot(&c, "count email.opened within 7d");
    let Kept::Ring(r) = ring else {
        panic!("a windowed count keeps a ring: {ring:?}")
    };
    assert_eq!(history_slot(&c, "did email.opened within 2h"), ring);
    assert_eq!(history_slot(&c, "did email.opened"), ring);
    // `>= 3` needs 3 stamps; a distance under 7 days takes 32 bits: milliseconds, and the
    // two bits that order an instant's events (`compile::layout::key`).
    assert_eq!((r.cap, r.bits), (3, 32));
    // `> 1` and `< 4` over one ring: the larger need, 2 and 4.
    let Kept::Ring(clicks) = history_slot(&c, "count email.clicked within 3d") else {
        panic!("a ring")
    };
    assert_eq!(clicks.cap, 4);
}

#[test]
fn a_did_keeps_its_own_stamp_when_a_filter_on_the_event_reads_scores() {
    let c = compiled(
        r#"
campaign "Layout"
lead { email: string }
score heat { on email.clicked add 5 }
list a = count email.opened within 7d >= 3
list b = did email.opened where heat > 3
list c = did email.opened
"#,
    );
    assert!(matches!(
        history_slot(&c, "did email.opened"),
        Kept::Last(_)
    ));
}

#[test]
fn bools_enums_and_run_states_pack_into_bits_and_read_back() {
    let c = compiled(KEPT);
    let at = |name: &str| c.attrs.iter().position(|a| a.name == name).unwrap() as u16;
    let (vip, tier) = (at("vip"), at("tier"));
    assert!(matches!(c.layout.attrs[vip as usize], AttrSlot::Bits(b) if b.width == 1));
    assert!(matches!(c.layout.attrs[tier as usize], AttrSlot::Bits(b) if b.width == 3));
    let attr = |name: &str| if name == "vip" { vip } else { tier };
    let mut m = Machine::new(c);
    let lead = m.lead("ann");
    let l = &mut m.leads[lead as usize];
    for v in 0..5 {
        l.set_attr(&m.c, attr("tier"), Val::Enum(v));
        l.set_attr(&m.c, attr("vip"), Val::Bool(v % 2 == 0));
        assert_eq!(l.attr(&m.c, attr("tier")), Val::Enum(v));
        assert_eq!(l.attr(&m.c, attr("vip")), Val::Bool(v % 2 == 0));
    }
    l.set_attr(&m.c, attr("vip"), Val::Missing);
    assert_eq!(l.attr(&m.c, attr("vip")), Val::Missing);
    assert_eq!(l.attr(&m.c, attr("tier")), Val::Enum(4));
    for w in 0..m.c.workflows.len() as u16 {
        let run = m.c.layout.run(w);
        let last = m.c.workflows[w as usize].ops.len() as u32;
        for state in [
            0,
            5 << 16 | last,
            2 << 16 | 1 | 1 << 24,
            4 << 16 | last | 1 << 24,
        ] {
            l.set_run_state(run, state);
            assert_eq!(l.run_state(run), state);
        }
    }
}

#[test]
fn the_reference_campaign_keeps_at_most_72_words_a_lead() {
    // 57 words with 32-bit scores and times in seconds; each of its three scores' values
    // takes a word more as a 64-bit float, and the action count one; post_purchase (every
    // time, no `since enrolled`) keeps no enrollment now that ids do not hash it. Times to
    // the millisecond take 16 more: 42 to 46 bits each instead of 32 to 34, and 10 bits more
    // for each distance in a ring; packing the rings with the other bit fields gives 4 back
    // (BENCHMARKS.md).
    let c = compiled(include_str!("../benches/reference.nurture"));
    assert!(c.layout.size <= 72, "{} words", c.layout.size);
}

#[test]
fn a_loaded_program_whose_state_overlaps_is_refused() {
    let mut c = compiled(KEPT);
    let ScoreKind::Rules { slot, .. } = &mut c.scores[1].kind else {
        panic!("heat has rules")
    };
    *slot = Some(0);
    let msg = Compiled::load(&c.to_bytes()).unwrap_err().to_string();
    assert!(msg.contains("overlap in the lead state"), "{msg}");
}

/// The same workload through two campaigns; every action, memberships included, as lines.
fn actions(src: &str, lines: &[String]) -> Vec<String> {
    let (diags, program) = check_text(src);
    let program = program.unwrap_or_else(|| panic!("the campaign does not check: {diags:#?}"));
    let mut engine = Engine::new(&program, &Options::default()).expect("compiles");
    let mut out: Vec<Action> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        assert!(engine.feed(l, i as u64 + 1, &mut out).is_none(), "line {i}");
    }
    engine.machine.advance_to(2_000_000_000, &mut out);
    out.iter().map(nurture::runtime::output::line).collect()
}

fn workload(seed: u64) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut at = 1_767_225_600; // 2026-01-01
    let mut out = Vec::new();
    for _ in 0..3_000 {
        // Bursts, hours and days apart.
        at += [
            0,
            1,
            rng.i64(0..600),
            rng.i64(0..7_200),
            rng.i64(0..3 * 86_400),
        ][rng.usize(0..5)];
        let ts = chrono::DateTime::from_timestamp(at, 0)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%SZ");
        let user = format!("lead-{}", rng.u32(0..8));
        let (event, props) = match rng.u8(0..10) {
            0 => {
                out.push(format!(
                    r#"{{"type":"identify","userId":"{user}","traits":{{"email":"{user}@x.com","vip":{}}},"timestamp":"{ts}"}}"#,
                    rng.bool()
                ));
                continue;
            }
            1..=5 => ("email.opened", r#"{"template":"t"}"#),
            6..=8 => ("email.clicked", r#"{"template":"t"}"#),
            _ => ("order.placed", r#"{"order_id":"o","total":9.5}"#),
        };
        out.push(format!(
            r#"{{"type":"track","userId":"{user}","event":"{event}","properties":{props},"timestamp":"{ts}"}}"#
        ));
    }
    out
}

#[test]
fn shared_and_packed_history_gives_the_actions_of_history_kept_apart_and_whole() {
    // The same campaign, but its `did`s keep stamps of their own (a filter every event
    // passes), and a workflow that never starts counts both rings with no window, so they
    // keep whole distances.
    let apart =
        KEPT.replace(
            "did email.opened within 2h",
            r#"did email.opened where template != "never" within 2h"#,
        )
        .replace(
            "list opened_ever   = did email.opened",
            r#"list opened_ever   = did email.opened where template != "never""#,
        ) + r#"
workflow idle {
  enroll every time
  exit when count email.opened since enrolled >= 3 or count email.clicked since enrolled < 4
  wait 1d
}
"#;
    let (a, b) = (compiled(KEPT), compiled(&apart));
    assert!(a.layout.size < b.layout.size);
    for seed in 1..4 {
        let lines = workload(seed);
        let (x, y) = (actions(KEPT, &lines), actions(&apart, &lines));
        assert!(x.len() > 100, "the workload makes actions");
        assert_eq!(x, y, "seed {seed}");
    }
}

#[test]
fn migration_carries_a_latest_match_stamp_into_a_ring_and_back() {
    let stamp_only = r#"
campaign "Layout"
lead { email: string }
list seen = did email.opened within 30d
"#;
    let with_ring = r#"
campaign "Layout"
lead { email: string }
list seen = did email.opened within 30d
list keen = count email.opened within 7d >= 2
"#;
    let line = |ts: &str| {
        format!(
            r#"{{"type":"track","userId":"ann","event":"email.opened","properties":{{"template":"t"}},"timestamp":"{ts}"}}"#
        )
    };
    let run = |src: &str, lines: &[String]| {
        let (_, program) = check_text(src);
        let mut engine = Engine::new(&program.unwrap(), &Options::default()).unwrap();
        let mut out: Vec<Action> = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            assert!(engine.feed(l, i as u64 + 1, &mut out).is_none());
        }
        engine.machine
    };
    let lines = [line("2026-01-01T00:00:00Z"), line("2026-01-02T00:00:00Z")];
    let count = |m: &Machine, text: &str| {
        let c = &m.c;
        let i = (0..c.pools.history.len())
            .find(|i| nurture::compile::disasm::disasm(c, None).contains(&format!("h{i} {text}\n")))
            .unwrap();
        let Kept::Ring(r) = c.layout.history[i] else {
            panic!("a ring")
        };
        // History keeps keys (`compile::layout::key`): its rings count in their unit.
        let window = nurture::compile::layout::key_window(7 * 86_400_000);
        let now = nurture::compile::layout::key_last(m.now);
        nurture::vm::ring::count(&m.leads[0], r, now, Some(window), None)
    };

    // Into a ring: the stamp is its one stamp, which `did` reads.
    let old = run(stamp_only, &lines);
    let mut new = Machine::new(compiled(with_ring));
    nurture::vm::migrate::migrate(&old, &mut new);
    assert_eq!(count(&new, "count email.opened within 7d"), 1);

    // Out of a ring: the newest stamp.
    let old = run(with_ring, &lines);
    assert_eq!(count(&old, "count email.opened within 7d"), 2);
    let mut new = Machine::new(compiled(stamp_only));
    nurture::vm::migrate::migrate(&old, &mut new);
    let Kept::Last(at) = new.c.layout.history[0] else {
        panic!("a stamp")
    };
    let newest = new.leads[0]
        .time(at)
        .map(nurture::compile::layout::key_time);
    assert_eq!(newest, Some(1_767_312_000_000));
}

#[test]
fn migration_past_2106_carries_times_past_2106() {
    let v1 = r#"
campaign "Layout"
lead { email: string }
score heat { on email.opened add 100 }
on email.opened start decade
workflow decade {
  exit when did email.unsubscribed
  wait 520w
  notify sales "ten years on"
}
"#;
    // `heat` decays from the migration on, and `decade` is as it was.
    let v2 = v1.replace(
        "score heat { on email.opened add 100 }",
        "score heat { decay 50% every 365d  on email.opened add 100 }",
    );
    let (_, program) = check_text(v1);
    let mut engine = Engine::new(&program.unwrap(), &Options::default()).unwrap();
    let mut out: Vec<Action> = Vec::new();
    let line = r#"{"type":"track","userId":"ann","event":"email.opened","properties":{"template":"t"},"timestamp":"2099-12-31T00:00:00Z"}"#;
    assert!(engine.feed(line, 1, &mut out).is_none());
    let mut old = engine.machine;
    // 2108-01-01, past 2106: the wait has not ended yet.
    let (migrated_at, wake) = (4_354_819_200_000, 4_416_854_400_000);
    old.advance_to(migrated_at, &mut out);
    assert!(out.is_empty(), "{out:?}");

    let mut new = Machine::new(compiled(&v2));
    let report = nurture::vm::migrate::migrate(&old, &mut new);
    assert_eq!(report.runs, 1, "{report:?}");
    // The decay starts at the migration, in 2108, not where 32 bits of seconds end.
    assert_eq!(new.score(0, 0), 100.0);
    assert_eq!(new.run_times(0, 0).0, Some(wake));
    assert_eq!(new.next_timer(), Some(wake));
    new.advance_to(migrated_at + 365 * 86_400_000, &mut out);
    assert_eq!(new.score(0, 0), 50.0);
    new.advance_to(wake, &mut out);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].at, wake);
}

//! `nurture report`: the figures of a generated log of known true rates, the intervals'
//! coverage over seeded repetitions, `--actions` against running the campaign, and actions
//! from another campaign refused.

mod report_support;

use nurture::check::check_text;
use nurture::compile::compile;
use nurture::report::collect::{Act, Facts, Shape, What};
use nurture::report::{self, measure, Report};
use report_support::{events, ARMS, CAMPAIGN, HOLDOUT_RATE, TRUE_RATES};
use serde_json::Value;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_nurture");

fn compiled() -> nurture::compile::Compiled {
    let (_, program) = check_text(CAMPAIGN);
    compile(&program.expect("the report fixture checks")).expect("compiles")
}

fn covers(ci: [f64; 2], truth: f64) -> bool {
    ci[0] <= truth && truth <= ci[1]
}

/// The campaign run end to end over 20,000 generated leads: every lead enrolled, held out or
/// split as the campaign draws them; the lift's and the arms' intervals hold their true
/// values; the welcome email's opens and clicks are exactly the generated ones.
#[test]
fn the_real_campaign_end_to_end() {
    let (log, truth) = events(1, 20_000);
    let r = report::run(compiled(), log.as_bytes(), None).expect("a report");
    let w = &r.workflows[0];
    assert_eq!(w.name, "trial_offer");
    assert_eq!(w.enrolled, truth.leads);
    let held = w.holdout.as_ref().expect("a holdout");
    assert_eq!(held.enrolled, truth.held_out);
    assert_eq!(held.converted, truth.converted_held_out);
    assert_eq!(w.treated.enrolled, truth.leads - truth.held_out);
    assert!(covers(held.ci95, HOLDOUT_RATE), "{held:?}");
    let treated_rate = (TRUE_RATES[0] + TRUE_RATES[1]) / 2.0;
    assert!(covers(w.treated.ci95, treated_rate));
    let lift = w.lift.as_ref().expect("a lift");
    assert!(covers(lift.difference.ci95, treated_rate - HOLDOUT_RATE));
    assert!(lift.difference.significant);
    let arms = &w.splits[0].arms;
    for (i, arm) in arms.iter().enumerate() {
        assert_eq!(arm.label, ARMS[i]);
        assert_eq!(arm.group.enrolled, truth.per_arm[i]);
        assert_eq!(arm.group.converted, truth.converted_per_arm[i]);
        assert!(covers(arm.group.ci95, TRUE_RATES[i]), "{arm:?}");
    }
    let versus = arms[1]
        .vs_first
        .as_ref()
        .expect("the second arm against the first");
    assert!(covers(
        versus.difference.ci95,
        TRUE_RATES[1] - TRUE_RATES[0]
    ));
    let welcome = &w.steps[0];
    assert_eq!(welcome.step, "send email \"welcome\"");
    let treated = w.treated.enrolled;
    assert_eq!((welcome.reached, welcome.sent), (treated, treated));
    assert_eq!(welcome.opened, truth.opened_welcome);
    assert_eq!(welcome.clicked, truth.clicked_welcome);
    // Every conversion is of a treated lead, and each is credited in full by every model.
    let a = &r.attribution;
    assert_eq!(a.conversions, w.treated.converted);
    assert_eq!(a.incremental, Some(lift.incremental));
    for credits in [&a.first_touch, &a.last_touch, &a.linear, &a.time_decay] {
        let total: f64 = credits.values().sum();
        assert!((total - (a.conversions - a.untouched) as f64).abs() < 1e-6);
    }
    // Last touch goes to the offers, first touch to the welcome.
    assert_eq!(
        a.first_touch.get("welcome").copied(),
        Some(a.conversions as f64)
    );
    assert_eq!(a.last_touch.get("welcome"), None);
}

/// Facts for `n` leads drawn directly: 20% held out converting at 6%; the treated split
/// evenly between arms converting at 10% and 14% (12% overall).
fn drawn(seed: u64, n: u32) -> Facts {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut f = Facts::default();
    let arms: Vec<u32> = ARMS.iter().map(|l| f.variants.intern(l).0).collect();
    f.workflows.push(Shape {
        name: "w".into(),
        splits: vec![arms.clone()],
        window: Some(30 * 86_400_000),
        has_goal: true,
        ..Shape::default()
    });
    for lead in 0..n {
        let at = lead as i64;
        let push = |f: &mut Facts, what| f.acts.push(Act { lead, at, what });
        let rate = if rng.f64() < 0.2 {
            push(&mut f, What::Holdout { workflow: 0 });
            0.06
        } else {
            let arm = rng.usize(0..2);
            let variant = arms[arm];
            push(
                &mut f,
                What::Assigned {
                    workflow: 0,
                    variant,
                },
            );
            TRUE_RATES[arm]
        };
        if rng.f64() < rate {
            let holdout = rate == 0.06;
            push(
                &mut f,
                What::Converted {
                    workflow: 0,
                    holdout,
                },
            );
        }
    }
    f
}

/// Over 100 seeded repetitions of 20,000 leads, each 95% interval of the report covers its
/// true value at least 90 times: the holdout's and the treated rates, the lift, each arm's
/// rate and the arms' difference.
#[test]
fn intervals_cover_the_truth_in_repetitions() {
    let mut covered = [0u32; 6];
    for seed in 0..100 {
        let r: Report = report::measure_facts(drawn(seed, 20_000), None);
        let w: &measure::Workflow = &r.workflows[0];
        let (h, l) = (w.holdout.as_ref().unwrap(), w.lift.as_ref().unwrap());
        let arms = &w.splits[0].arms;
        let hits = [
            covers(h.ci95, 0.06),
            covers(w.treated.ci95, 0.12),
            covers(l.difference.ci95, 0.06),
            covers(arms[0].group.ci95, 0.10),
            covers(arms[1].group.ci95, 0.14),
            covers(arms[1].vs_first.as_ref().unwrap().difference.ci95, 0.04),
        ];
        for (c, hit) in covered.iter_mut().zip(hits) {
            *c += u32::from(hit);
        }
        // With 16,000 treated and 4,000 held out, a 6-point lift is plain.
        assert!(l.difference.significant && l.difference.p_value < 1e-6);
        assert!((l.incremental - l.difference.absolute * w.treated.enrolled as f64).abs() < 1e-6);
    }
    for (name, c) in [
        "holdout",
        "treated",
        "lift",
        "arm 1",
        "arm 2",
        "arm difference",
    ]
    .iter()
    .zip(covered)
    {
        assert!(c >= 90, "{name}: covered in {c} of 100");
    }
}

/// A temp dir with the campaign (`report.nurture`) and a generated log (`events.jsonl`).
fn files(seed: u64, leads: u64) -> (tempfile::TempDir, report_support::Truth) {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("report.nurture"), CAMPAIGN).unwrap();
    let (log, truth) = events(seed, leads);
    std::fs::write(dir.path().join("events.jsonl"), log).unwrap();
    (dir, truth)
}

fn path(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path().join(name).to_string_lossy().into_owned()
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().expect("runs nurture");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `report --actions` over what `run` wrote gives the report that running the campaign
/// gives; actions of another campaign are refused, naming what does not belong.
#[test]
fn actions_of_a_run_and_of_another_campaign() {
    let (dir, _) = files(3, 2_000);
    let actions = dir.path().join("actions.jsonl");
    let (c, p) = (&path(&dir, "report.nurture"), &path(&dir, "events.jsonl"));
    let (code, _, err) = cli(&["run", c, "--events", p, "--out", actions.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let (code, ran, err) = cli(&["report", c, "--events", p, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let (code, read, err) = cli(&[
        "report",
        c,
        "--events",
        p,
        "--actions",
        actions.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let (ran, read): (Value, Value) = (
        serde_json::from_str(&ran).unwrap(),
        serde_json::from_str(&read).unwrap(),
    );
    assert_eq!(ran, read);
    assert_eq!(ran["workflows"][0]["enrolled"], 2_000);
    assert!(ran["workflows"][0]["holdout"]["enrolled"].as_u64() > Some(300));

    // The ebook example's actions, against this campaign.
    let root = env!("CARGO_MANIFEST_DIR");
    let ebook = format!("{root}/examples/ebook_welcome.nurture");
    let ebook_events = format!("{root}/examples/ebook_welcome.jsonl");
    let foreign = dir.path().join("foreign.jsonl");
    let (code, _, err) = cli(&[
        "run",
        &ebook,
        "--events",
        &ebook_events,
        "--out",
        foreign.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = cli(&[
        "report",
        c,
        "--events",
        p,
        "--actions",
        foreign.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("line 1 of the actions names workflow `welcome_series`, which this campaign does not have")
            && err.contains("another campaign"),
        "{err}"
    );
}

/// The three formats, to standard output and to a file; the JSON has the documented fields.
#[test]
fn formats_and_output() {
    let (dir, truth) = files(5, 500);
    let (c, p) = (&path(&dir, "report.nurture"), &path(&dir, "events.jsonl"));
    let (code, text, err) = cli(&["report", c, "--events", p]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("Workflow trial_offer: 500 leads enrolled"),
        "{text}"
    );
    assert!(
        text.contains("no winner yet") || text.contains("wins"),
        "{text}"
    );
    let (code, json, _) = cli(&["report", c, "--events", p, "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&json).unwrap();
    let w = &v["workflows"][0];
    for key in [
        "name", "enrolled", "treated", "holdout", "lift", "splits", "steps",
    ] {
        assert!(w.get(key).is_some(), "no {key} in {w}");
    }
    assert_eq!(w["splits"][0]["arms"][0]["label"], ARMS[0]);
    assert_eq!(w["steps"][0]["opened"], truth.opened_welcome);
    for key in ["first_touch", "last_touch", "linear", "time_decay"] {
        assert!(v["attribution"][key].is_object(), "no {key}");
    }
    let html = dir.path().join("report.html");
    let (code, out, err) = cli(&[
        "report",
        c,
        "--events",
        p,
        "--format",
        "html",
        "-o",
        html.to_str().unwrap(),
    ]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("http://") && !page.contains("https://") || page.contains("www.w3.org"));
    for id in [
        "funnel-trial-offer",
        "arms-trial-offer-1",
        "attribution-first-touch",
        "attribution-time-decay",
    ] {
        assert!(page.contains(&format!("<svg id=\"{id}\"")), "no chart {id}");
    }
    let (code, _, err) = cli(&[
        "report",
        c,
        "--events",
        p,
        "--until",
        "2020-01-01T00:00:00Z",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("is before the last event"), "{err}");
}

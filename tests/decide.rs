//! Decisions (`decide NAME { when … -> … else -> … }`): rows tried in order and the unreachable
//! one warned of; the REPL's `:decide` and `:why` with the row and the values read; `send email
//! decide(x)` sending the decided template; `nurture decide` on a state database answering as
//! the REPL does for the same journey; an unknown lead getting the decision for a new lead.
//! (The same answer over HTTP is in tests/serve.rs.)

use nurture::check::check_text;
use nurture::compile::compile;
use nurture::repl::{Session, Style};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_nurture");

const CAMPAIGN: &str = r#"campaign "Website CTA"

lead {
  email: string
  plan: Plan = free
  company_size: int = 0
}

enum Plan { free, pro }

event ebook.downloaded { title: string }
event pricing.viewed { section: string }

score intent {
  on pricing.viewed add 10
}

list hot = intent >= 20

decide homepage_cta "What the website's main button offers" {
  when lead.plan == pro                        -> "upgrade-plan"
  when hot and lead.company_size >= 200        -> "talk-to-sales"
  when hot                                     -> "book-a-demo"
  when did ebook.downloaded within 30d         -> "start-trial"
  else                                         -> "read-the-guide"
}

decide offer {
  when intent >= 20 -> { template: "offer-demo", discount: 20 }
  else              -> { template: "offer-guide", discount: 5 }
}

on ebook.downloaded send email decide(homepage_cta)

policy {
  frequency email at most 5 per 1d
}
"#;

const JOURNEY: &str = r#":lead ann { email: "ann@initech.com", company_size: 400 }
:at 2026-03-02T10:00:00Z
:event ann ebook.downloaded { title: "Data mesh" }
:event ann pricing.viewed { section: "teams" }
:event ann pricing.viewed { section: "enterprise" }
:event ann ebook.downloaded { title: "Buyer's guide" }
:lead bob { email: "bob@example.com" }
"#;

fn session(dir: &Path) -> Session {
    std::fs::write(dir.join("c.nurture"), CAMPAIGN).unwrap();
    let mut s = Session::new(Style::plain());
    let reply = s.load(&dir.join("c.nurture"));
    assert!(!reply.error, "{}", reply.text);
    for line in JOURNEY.lines() {
        let reply = s.run(line);
        assert!(!reply.error, "{line}: {}", reply.text);
    }
    s
}

fn run(s: &mut Session, input: &str) -> String {
    let reply = s.run(input);
    assert!(!reply.error, "{input}: {}", reply.text);
    reply.text
}

#[test]
fn rows_are_tried_in_order_and_an_unreachable_row_is_warned() {
    let source = CAMPAIGN.replace(
        "  when did ebook.downloaded within 30d         -> \"start-trial\"\n",
        "  when did ebook.downloaded within 30d         -> \"start-trial\"\n  \
         when hot and did ebook.downloaded            -> \"never\"\n",
    );
    let checked = nurture::check::check_source("c.nurture", source.as_bytes());
    assert!(checked.program.is_some(), "a warning is no error");
    let codes: Vec<&str> = checked
        .report
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(codes, ["W0115"]);
    let shown = nurture::diag::render(&[checked.report], nurture::diag::Format::Human, false);
    insta::assert_snapshot!("unreachable_row", shown);

    // The rows in the order written: the first that holds wins.
    let (_, program) = check_text(CAMPAIGN);
    let program = program.expect("the campaign checks");
    let rows: Vec<&str> = program.decisions[0]
        .rows
        .iter()
        .map(|r| match &r.value {
            nurture::check::program::Outcome::Text(t) => t.as_str(),
            _ => "",
        })
        .collect();
    assert_eq!(
        rows,
        [
            "upgrade-plan",
            "talk-to-sales",
            "book-a-demo",
            "start-trial"
        ]
    );
    let c = compile(&program).unwrap();
    assert_eq!(c.decisions.len(), 2);
    assert_eq!(
        c.decisions[0].rows[1].text,
        "hot and lead.company_size >= 200"
    );
}

#[test]
fn decide_and_why_show_the_row_and_the_values_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    let ann = run(&mut s, ":decide ann homepage_cta");
    assert!(
        ann.starts_with("homepage_cta for ann: \"talk-to-sales\" (row 2: "),
        "{ann}"
    );
    assert!(
        ann.contains("lead.company_size >= 200  (lead.company_size is 400)"),
        "{ann}"
    );
    // `:why` on a decision is the same explanation.
    assert_eq!(run(&mut s, ":why ann homepage_cta"), ann);
    let bob = run(&mut s, ":decide bob homepage_cta");
    assert!(bob.contains("(else)") && bob.contains("✓ else"), "{bob}");
    let all = run(&mut s, ":decide offer");
    insta::assert_snapshot!(
        "repl_decide",
        format!(
            "{ann}---\n{bob}---\n{all}---\n{}",
            run(&mut s, ":decide cy homepage_cta")
        )
    );
}

#[test]
fn an_unknown_lead_gets_the_decision_for_a_new_lead() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    let nobody = run(&mut s, ":decide nobody homepage_cta");
    assert!(
        nobody.starts_with("homepage_cta for nobody (a new lead): \"read-the-guide\" (else)"),
        "{nobody}"
    );
    // Asking made no lead.
    assert!(!run(&mut s, ":leads").contains("nobody"));
    // A new lead with a default that a row reads: the row holds for it.
    let edited = CAMPAIGN.replace("plan: Plan = free", "plan: Plan = pro");
    std::fs::write(dir.path().join("c.nurture"), edited).unwrap();
    run(&mut s, ":reload");
    let pro = run(&mut s, ":decide nobody homepage_cta");
    assert!(pro.contains("\"upgrade-plan\" (row 1"), "{pro}");
}

#[test]
fn a_send_by_decision_sends_the_decided_template() {
    let dir = tempfile::tempdir().unwrap();
    let s = session(dir.path());
    let sent: Vec<String> = s
        .actions()
        .iter()
        .filter_map(|a| match &a.kind {
            nurture::vm::action::ActionKind::Send { template, .. } => Some(template.clone()),
            _ => None,
        })
        .collect();
    // The first download: not hot yet, a download within 30 days. The second: hot at a
    // company of 400.
    assert_eq!(sent, ["start-trial", "talk-to-sales"]);
    // Each names the decision and the row that chose its template.
    let rows: Vec<(String, u32, bool)> = (s.actions().iter())
        .filter_map(|a| a.decision.as_ref())
        .map(|d| (d.name.clone(), d.row, d.otherwise))
        .collect();
    assert_eq!(
        rows,
        [
            ("homepage_cta".to_string(), 4, false),
            ("homepage_cta".to_string(), 2, false)
        ]
    );
    // The REPL says so on the action's line.
    let mut s = s;
    let reply = run(
        &mut s,
        r#":event ann ebook.downloaded { title: "Pricing guide" }"#,
    );
    assert!(
        reply.contains(
            r#"sent email "talk-to-sales" by homepage_cta's row 2  [on ebook.downloaded"#
        ),
        "{reply}"
    );
}

#[test]
fn a_send_by_decision_names_the_decision_and_row_in_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let campaign = r#"campaign "Offers"
lead { email: string, plan: Plan = free }
enum Plan { free, pro }
decide next_offer {
  when lead.plan == pro -> "offer-upgrade"
  else                  -> "offer-guide"
}
on form.submitted send email decide(next_offer)
policy { frequency email at most 1 per 1d }
"#;
    let events = [
        r#"{"type":"identify","userId":"ann","traits":{"email":"ann@example.com","plan":"pro"},"timestamp":"2026-03-02T09:00:00Z"}"#,
        r#"{"type":"track","userId":"ann","event":"form.submitted","properties":{"form":"demo"},"timestamp":"2026-03-02T10:00:00Z"}"#,
        r#"{"type":"track","userId":"bob","event":"form.submitted","properties":{"form":"demo"},"timestamp":"2026-03-02T10:00:00Z"}"#,
        // Capped: the suppressed send names its decision too.
        r#"{"type":"track","userId":"bob","event":"form.submitted","properties":{"form":"demo"},"timestamp":"2026-03-02T11:00:00Z"}"#,
    ];
    std::fs::write(dir.path().join("c.nurture"), campaign).unwrap();
    std::fs::write(dir.path().join("e.jsonl"), events.join("\n") + "\n").unwrap();
    let (code, out, err) = nurture(dir.path(), &["run", "c.nurture", "--events", "e.jsonl"]);
    assert_eq!(code, 0, "{err}");
    let records: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got: Vec<(&str, &str, &serde_json::Value)> = (records.iter())
        .map(|r| {
            let what = r["action"].as_str().unwrap();
            (r["lead"].as_str().unwrap(), what, &r["decision"])
        })
        .collect();
    let row = |row: u32, otherwise: bool| serde_json::json!({ "name": "next_offer", "row": row, "else": otherwise });
    assert_eq!(
        got,
        [
            ("ann", "send", &row(1, false)),
            ("bob", "send", &row(2, true)),
            ("bob", "suppressed", &row(2, true)),
        ]
    );
    assert_eq!(records[1]["template"], "offer-guide");
}

fn nurture(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn nurture_decide_answers_from_a_state_as_the_repl_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(dir.path());
    let saved = dir.path().join("journey.jsonl");
    run(&mut s, &format!(":save \"{}\"", saved.display()));
    let (code, _, err) = nurture(
        dir.path(),
        &[
            "run",
            "c.nurture",
            "--events",
            "journey.jsonl",
            "--state",
            "s.db",
        ],
    );
    assert_eq!(code, 0, "{err}");
    for (lead, name) in [
        ("ann", "homepage_cta"),
        ("bob", "homepage_cta"),
        ("ann", "offer"),
    ] {
        let (code, text, err) = nurture(
            dir.path(),
            &[
                "decide",
                "c.nurture",
                "--state",
                "s.db",
                "--lead",
                lead,
                name,
            ],
        );
        assert_eq!(code, 0, "{err}");
        assert_eq!(text, run(&mut s, &format!(":decide {lead} {name}")));
    }
    let (code, text, _) = nurture(
        dir.path(),
        &[
            "decide",
            "c.nurture",
            "--state",
            "s.db",
            "--lead",
            "ann",
            "offer",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0);
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["row"], 1);
    assert_eq!(
        answer["value"],
        json!({"template": "offer-demo", "discount": 20})
    );
    assert_eq!(answer["why"][0]["read"], json!(["intent is 20"]));
    assert_eq!(answer["new_lead"], false);
    let (_, text, _) = nurture(
        dir.path(),
        &[
            "decide",
            "c.nurture",
            "--state",
            "s.db",
            "--lead",
            "zed",
            "homepage_cta",
            "--format",
            "json",
        ],
    );
    let zed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(zed["new_lead"], true);
    assert_eq!(zed["else"], true);
    assert_eq!(zed["value"], "read-the-guide");
    let (code, _, err) = nurture(
        dir.path(),
        &[
            "decide",
            "c.nurture",
            "--state",
            "s.db",
            "--lead",
            "ann",
            "nope",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("no decision \"nope\"") || err.contains("no decision nope"),
        "{err}"
    );
}

/// The B2B example decides the website's call to action: after its journeys, the leads sales
/// took on get their rep, the recycled and the student the guide, and so does a first visit.
#[test]
fn the_b2b_example_decides_the_website_cta() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let db = dir.path().join("s.db");
    let db = db.to_str().unwrap();
    let campaign = root.join("examples/b2b_scoring.nurture");
    let campaign = campaign.to_str().unwrap();
    let events = root.join("examples/b2b_scoring.jsonl");
    let (code, _, err) = nurture(
        dir.path(),
        &[
            "run",
            campaign,
            "--events",
            events.to_str().unwrap(),
            "--until",
            "2026-04-30T00:00:00Z",
            "--state",
            db,
        ],
    );
    assert_eq!(code, 0, "{err}");
    let mut answers = String::new();
    for lead in ["dee", "rae", "stu", "vic", "first-visit"] {
        let (code, text, err) = nurture(
            dir.path(),
            &[
                "decide",
                campaign,
                "--state",
                db,
                "--lead",
                lead,
                "homepage_cta",
            ],
        );
        assert_eq!(code, 0, "{err}");
        answers.push_str(&text);
    }
    insta::assert_snapshot!("b2b_homepage_cta", answers);
}

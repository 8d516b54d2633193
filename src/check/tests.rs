//! Checker unit tests: each names the codes a small campaign must (or must not) produce.

use super::check_text;
use crate::diag::Code;

fn codes(src: &str) -> Vec<Code> {
    check_text(src).0.into_iter().map(|d| d.code).collect()
}

fn show(src: &str) -> String {
    check_text(src)
        .0
        .iter()
        .map(|d| format!("{} {} {:?}\n", d.code, d.message, d.help))
        .collect()
}

#[test]
fn the_contract_has_no_errors() {
    let (diags, program) = check_text(include_str!("../../tests/fixtures/contract.nurture"));
    let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let program = program.unwrap();
    assert_eq!(program.workflows.len(), 4);
    assert_eq!(program.tests.len(), 2);
    // The sketch compares optional attributes bare: the checker warns there.
    assert!(
        diags.iter().all(|d| d.code == Code::BareOptional),
        "{}",
        show(include_str!("../../tests/fixtures/contract.nurture"))
    );
}

const HEAD: &str = r#"
lead { email: string, company_size: int?, stage: Stage = awareness, timezone: timezone = "UTC" }
enum Stage { awareness, decision, customer }
event demo.requested { size: int }
policy { frequency email at most 3 per 7d }
on demo.requested tag "demo"
"#;

fn with_head(body: &str) -> Vec<Code> {
    codes(&format!("{HEAD}{body}"))
}

#[test]
fn unknown_names_are_reported_with_suggestions() {
    let src = format!("{HEAD}list a = did demo.requestd\nlist b = totl >= 3\nscore total = 1\n");
    let (diags, _) = check_text(&src);
    let c: Vec<_> = diags.iter().map(|d| d.code).collect();
    assert!(
        c.contains(&Code::UnknownEvent) && c.contains(&Code::UnknownName),
        "{}",
        show(&src)
    );
    assert!(diags
        .iter()
        .any(|d| d.help.as_deref() == Some("did you mean `total`?")));
}

#[test]
fn enum_values_resolve_bare_or_qualified() {
    assert!(
        with_head("list a = lead.stage != customer\nlist b = lead.stage == Stage.decision\n")
            .is_empty()
    );
    assert_eq!(
        with_head("list a = lead.stage == Stage.nope\n"),
        vec![Code::UnknownVariant]
    );
}

#[test]
fn bare_optional_is_a_warning_unless_guarded() {
    assert_eq!(
        with_head("list a = lead.company_size >= 50\n"),
        vec![Code::BareOptional]
    );
    assert!(
        with_head("list a = lead.company_size is set and lead.company_size >= 50\n").is_empty()
    );
    assert!(with_head("list a = (lead.company_size ?? 0) >= 50\n").is_empty());
    assert!(with_head("list a = lead.company_size ?? 0 >= 50\n").is_empty());
}

#[test]
fn type_errors() {
    assert_eq!(
        with_head("list a = lead.email > 3\n"),
        vec![Code::BadOperands]
    );
    assert_eq!(
        with_head("list a = lead.email\n"),
        vec![Code::NotACondition]
    );
    assert_eq!(codes("lead { n: int = \"big\" }"), vec![Code::TypeMismatch]);
    assert_eq!(
        codes("lead { tz: timezone = \"Mars/Olympus\" }"),
        vec![Code::BadTimezone]
    );
    assert_eq!(
        with_head("list a = lead.email matches \"(unclosed\"\n"),
        vec![Code::BadRegex]
    );
}

#[test]
fn misplaced_constructs() {
    assert_eq!(
        with_head("list a = did email.opened since enrolled\n"),
        vec![Code::MisplacedSince]
    );
    assert_eq!(
        with_head("list a = did email.opened where did email.clicked\n"),
        vec![Code::HistoryInWhere]
    );
    assert_eq!(
        with_head("list a = total of ann > 1\nscore total = 1\n"),
        vec![Code::TestOnly]
    );
}

#[test]
fn derived_cycles_are_errors() {
    assert_eq!(
        codes("score a = b + 1\nscore b = a + 1\n"),
        vec![Code::ScoreCycle]
    );
    assert_eq!(codes("list a = b\nlist b = a\n"), vec![Code::ScoreCycle]);
}

#[test]
fn workflow_checks() {
    let wf = "on demo.requested start w\nworkflow w {\n exit when did order.placed\n split { 50% \"A\": send email \"a\" 40% \"B\": send email \"b\" }\n}\n";
    assert_eq!(with_head(wf), vec![Code::SplitShares]);
    let wf = "on demo.requested start w\nworkflow w {\n exit when did order.placed\n if received { send email \"a\" }\n}\n";
    assert_eq!(with_head(wf), vec![Code::MisplacedReceived]);
    let wf = "on demo.requested start w\nworkflow w {\n exit when did order.placed\n wait up to 3d for email.clicked\n if received { send email \"a\" }\n}\n";
    assert!(with_head(wf).is_empty(), "{}", show(&format!("{HEAD}{wf}")));
}

#[test]
fn lints() {
    assert_eq!(
        with_head("workflow w { wait 1d }\n"),
        vec![Code::UnstartedWorkflow]
    );
    assert_eq!(codes("event x.y\n"), vec![Code::UnusedEvent]);
    assert_eq!(
        with_head("on demo.requested start w\nworkflow w { send email \"a\" }\n"),
        vec![Code::NoExit]
    );
    assert_eq!(
        with_head(
            "on demo.requested start w\nworkflow w { goal did order.placed send sms \"a\" }\n"
        ),
        vec![Code::NoFrequencyCap]
    );
    assert_eq!(
        with_head("list a = total > 10 and total < 5\nscore total = 1\n"),
        vec![Code::NeverHolds]
    );
    assert_eq!(
        with_head("on demo.requested start w\nworkflow w { goal did order.placed if false { send email \"a\" } }\n"),
        vec![Code::UnreachableStep]
    );
    assert_eq!(
        with_head("list a = did demo.requested and did email.opened or did email.clicked\n"),
        vec![Code::MixedAndOr]
    );
    assert!(
        with_head("list a = (did demo.requested and did email.opened) or did email.clicked\n")
            .is_empty()
    );
}

#[test]
fn a_property_shadowing_a_score_is_a_warning() {
    assert_eq!(
        with_head("score size = 1\nlist a = did demo.requested where size > 3\n"),
        vec![Code::ShadowedName]
    );
}

#[test]
fn lints_can_be_ignored_in_the_file() {
    assert!(codes("// nurture: ignore W0103\nevent x.y\n").is_empty());
    assert!(codes("// nurture: ignore-file unused-event\n\nevent x.y\n").is_empty());
    assert_eq!(
        codes("lead { e: string }\n// nurture: ignore E0101\n"),
        vec![Code::UnknownIgnore]
    );
    assert_eq!(codes("// only a comment\n"), vec![Code::Syntax]);
}

#[test]
fn trigger_loops_are_errors() {
    let src = "lead { stage: Stage = awareness }\nenum Stage { awareness, decision }\n\
        list vip = lead.stage == decision\n\
        on enter vip start demote\non exit vip start promote\n\
        workflow demote { enroll every time set lead.stage = awareness }\n\
        workflow promote { enroll every time set lead.stage = decision }\n";
    assert_eq!(codes(src), vec![Code::TriggerLoop]);
    // A workflow that enrols once runs once in a chain of triggers: the circle ends.
    assert_eq!(codes(&src.replacen("enroll every time ", "", 1)), vec![]);
}

#[test]
fn tests_are_checked() {
    let t = "test \"t\" {\n lead ann { email: \"a@b.c\", stage: decision }\n at 2026-03-02T09:00:00Z ann demo.requested { size: 3 }\n expect total of ann == 1\n expect ann in hot\n expect bob in hot\n}\nscore total = 1\nlist hot = total > 0\n";
    assert_eq!(with_head(t), vec![Code::UnknownName]);
    let t = "test \"t\" {\n lead ann { email: \"a@b.c\" }\n at 2026-03-02T09:00:00Z ann demo.requested\n}\n";
    assert_eq!(with_head(t), vec![Code::TypeMismatch]);
}

/// Issue 11, item 17: an event for a lead the test has not declared creates one; that is
/// usually a misspelt name, so it draws a warning (with the name meant, when one is near).
#[test]
fn an_event_for_an_undeclared_lead_is_a_warning() {
    let t = "test \"t\" {\n lead cat { email: \"c@d.e\" }\n at 2026-03-02T09:00:00Z cat demo.requested { size: 3 }\n after 1h caat demo.requested { size: 4 }\n after 1h caat demo.requested { size: 5 }\n}\n";
    let (diags, program) = check_text(&format!("{HEAD}{t}"));
    let warned: Vec<_> = diags
        .iter()
        .map(|d| (d.code, d.message.as_str(), d.help.as_deref()))
        .collect();
    // Once, at the event that creates the lead.
    assert_eq!(
        warned,
        vec![(
            Code::UndeclaredLead,
            "this test has not declared a lead `caat`: the event creates a new one",
            Some("did you mean `cat`?")
        )]
    );
    assert_eq!(program.unwrap().tests[0].leads, vec!["cat", "caat"]);
}

/// Issue 11, item 17: errors and warnings come in one report, not in two waves; only a
/// warning an error may have caused waits for it.
#[test]
fn warnings_are_reported_with_errors() {
    // An unknown name (E0101) and, elsewhere, a workflow nothing starts (W0102), an unused
    // event (W0103) and a channel with no cap (W0105).
    let src = "event webinar.attended { minutes: int }\nlist hot = engagment >= 10\n\
        workflow onboarding { send email \"welcome\" }\n";
    let mut got = codes(src);
    got.sort();
    assert_eq!(
        got,
        vec![
            Code::UnknownName,
            Code::UnstartedWorkflow,
            Code::UnusedEvent,
            Code::NoExit,
            Code::NoFrequencyCap
        ]
    );
    // A misspelled workflow in a `start`: no workflow is called unstarted meanwhile.
    let src = "on form.submitted start onbording\nworkflow onboarding { tag \"x\" }\n";
    assert_eq!(codes(src), vec![Code::UnknownWorkflow]);
    // A trigger whose action has a mistake still uses its event; a test's event does not.
    let src = "event webinar.attended { minutes: int }\n\
        on webinar.attended send fax \"x\"\n";
    assert_eq!(codes(src), vec![Code::UnknownChannel]);
    let src = "lead { email: string }\nevent webinar.attended { minutes: int }\n\
        test \"t\" {\n lead ann { email: \"a@b.c\" }\n at 2026-03-02T09:00:00Z ann webinar.attended { minutes: 3 }\n}\n\
        list x = undeclared\n";
    let mut got = codes(src);
    got.sort();
    assert_eq!(got, vec![Code::UnknownName, Code::UnusedEvent]);
}

/// Issue 11, item 18: `is set` earlier in the same `and` chain guards an optional event
/// property as it guards a lead attribute, and only in that chain.
#[test]
fn is_set_guards_an_optional_property_like_an_attribute() {
    let head = "lead { email: string, country: string? }\n\
        event cart.abandoned { coupon: string?, value: number? }\n";
    let bare = |body: &str| {
        codes(&format!("{head}{body}"))
            .into_iter()
            .filter(|c| *c == Code::BareOptional)
            .count()
    };
    assert_eq!(
        bare("list a = lead.country is set and lead.country == \"FR\"\n"),
        0
    );
    assert_eq!(
        bare("list b = did cart.abandoned where coupon is set and coupon == \"X\"\n"),
        0
    );
    assert_eq!(
        bare("list c = did cart.abandoned where value is set and coupon is set and value > 3 and coupon starts_with \"X\"\n"),
        0
    );
    // Unguarded, guarded in another chain, or guarding another property: still a warning.
    assert_eq!(
        bare("list d = did cart.abandoned where coupon == \"X\"\n"),
        1
    );
    assert_eq!(
        bare("list e = did cart.abandoned where value is set or coupon == \"X\"\n"),
        1
    );
    assert_eq!(
        bare("list f = did cart.abandoned where value is set and coupon == \"X\"\n"),
        1
    );
    assert_eq!(
        bare("score s { on cart.abandoned where coupon is set and coupon == \"X\" add 1 }\n"),
        0
    );
}

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
    let t = "test \"t\" {\n at 2026-03-02T09:00:00Z ann demo.requested\n}\n";
    assert_eq!(with_head(t), vec![Code::TypeMismatch]);
}

//! The diagnostics reference, `docs/diagnostics.md`, is also the diagnostics test suite.
//!
//! - Every code has a `## CODE name` section with a `Wrong:` and a `Fixed:` example.
//! - Every `Wrong:` campaign (a ```nurture block) reports its code and no other, and the
//!   human rendering of what it reports is an insta snapshot named after the code: the
//!   source, a `---` line, then the rendering.
//! - Every `Fixed:` campaign, and every other ```nurture block on the page, checks with no
//!   diagnostic at all.
//!
//! A new code gets its section in the page and one line in `doc_cases!` below. A further case
//! that does not belong in the page is a name, a code and the source in `extra_cases!`.

use nurture::check::check_source;
use nurture::diag::{human, Code, FileReport};

const DOC: &str = include_str!("../docs/diagnostics.md");
const DOC_PATH: &str = "docs/diagnostics.md";

/// Codes whose `Wrong:` example cannot be shown as a campaign (a file that is not UTF-8, a
/// file of 16 MiB, a line of 257 interpolations, a file of more than 100 problems); they are
/// tested below on their own.
const NOT_SHOWN_AS_CAMPAIGN: &[Code] = &[
    Code::NotUtf8,
    Code::TooLarge,
    Code::TooManyInterpolations,
    Code::TestFailed,
    Code::TooManyDiagnostics,
];

// ---------------------------------------------------------------------------------------------
// The cases

macro_rules! doc_cases {
    ($( $test:ident => $code:ident; )*) => {
        $(
            #[test]
            fn $test() {
                check_wrong_example(Code::$code);
            }
        )*

        /// The codes whose `Wrong:` example is run as a campaign.
        const DOC_CASES: &[Code] = &[ $( Code::$code, )* ];
    };
}

doc_cases! {
    e0001_syntax => Syntax;
    e0003_too_deep => TooDeep;
    e0004_unclosed_string => UnclosedString;
    e0005_bad_literal => BadLiteral;
    e0101_unknown_name => UnknownName;
    e0102_unknown_event => UnknownEvent;
    e0103_unknown_workflow => UnknownWorkflow;
    e0104_unknown_list => UnknownList;
    e0105_duplicate => Duplicate;
    e0106_unknown_type => UnknownType;
    e0107_unknown_attribute => UnknownAttribute;
    e0108_unknown_variant => UnknownVariant;
    e0109_unknown_channel => UnknownChannel;
    e0201_type_mismatch => TypeMismatch;
    e0202_not_a_condition => NotACondition;
    e0203_bad_operands => BadOperands;
    e0204_optional_in_string => OptionalInString;
    e0205_not_comparable => NotComparable;
    e0301_bad_regex => BadRegex;
    e0302_bad_timezone => BadTimezone;
    e0303_score_cycle => ScoreCycle;
    e0304_misplaced_since => MisplacedSince;
    e0305_history_in_where => HistoryInWhere;
    e0306_split_shares => SplitShares;
    e0307_misplaced_received => MisplacedReceived;
    e0308_trigger_loop => TriggerLoop;
    e0309_test_only => TestOnly;
    e0310_bad_percent => BadPercent;
    e0311_bad_assignment => BadAssignment;
    e0312_misplaced => Misplaced;
    e0313_event_not_in_run => EventNotInRun;
    e0317_missing_else => MissingElse;
    e0318_decision_types => DecisionTypes;
    e0319_decision_value => DecisionValue;
    e0320_holdout_without_goal => HoldoutWithoutGoal;
    e0321_bad_holdout => BadHoldout;
    w0101_bare_optional => BareOptional;
    w0102_unstarted_workflow => UnstartedWorkflow;
    w0103_unused_event => UnusedEvent;
    w0104_no_exit => NoExit;
    w0105_no_frequency_cap => NoFrequencyCap;
    w0106_unreachable_step => UnreachableStep;
    w0107_never_holds => NeverHolds;
    w0108_shadowed_name => ShadowedName;
    w0109_mixed_and_or => MixedAndOr;
    w0110_unknown_ignore => UnknownIgnore;
    w0111_possible_loop => PossibleLoop;
    w0112_undeclared_lead => UndeclaredLead;
    w0113_missing_data => MaybeMissingData;
    w0114_unread_list => UnreadList;
    w0115_unreachable_row => UnreachableRow;
    w0116_always_holds_row => AlwaysHoldsRow;
    w0117_small_holdout => SmallHoldout;
    w0118_large_holdout => LargeHoldout;
}

/// Cases beyond the page's examples, each `test_name => Code, "source";`. The snapshot is
/// named after the test. (Braces keep rustfmt from spreading a case over many lines.)
macro_rules! extra_cases {
    ($( $test:ident => $code:ident, $source:expr; )*) => {
        $(
            #[test]
            fn $test() {
                let source: &str = $source.trim_start_matches('\n');
                assert_reports(stringify!($test), Code::$code, source.as_bytes(), source);
            }
        )*
    };
}

extra_cases! {
    e0313_two_starting_events => EventNotInRun, r#"
lead { email: string }
event cart.abandoned { cart_value: number }
event checkout.started { cart_value: number }
on cart.abandoned start follow_up
on checkout.started start follow_up
workflow follow_up {
  exit when did order.placed
  notify sales "Cart of {event.cart_value}"
}
"#;

    e0313_waits_for_different_events => EventNotInRun, r#"
lead { email: string }
event meeting.booked { rep: string }
on order.placed start follow_up
workflow follow_up {
  if event.total > 100 {
    wait up to 3d for meeting.booked
  } else {
    wait up to 3d for email.clicked
  }
  if received {
    notify sales "Booked with {received.rep}"
  }
}
"#;

    e0313_a_list_reads_no_event => EventNotInRun, r#"
list big_orders = order.placed.total > 100
"#;

    w0113_received_may_be_missing => MaybeMissingData, r#"
lead { email: string }
event meeting.booked { rep: string }
on order.placed start follow_up
workflow follow_up {
  wait up to 3d for meeting.booked
  notify sales "Order {event.order_id}" with { rep: received.rep }
}
"#;

    e0005_duration_too_long => BadLiteral, r#"
list ever_opened = did email.opened within 6000w
"#;

    e0005_impossible_date => BadLiteral, r#"
test "leap day" {
  at 2026-02-29T09:00:00Z
}
"#;

    e0005_number_too_large => BadLiteral, r#"
score big {
  on order.placed where total > 99999999999999999999 add 1
}
"#;

    e0105_score_and_list => Duplicate, r#"
score hot {
  on order.placed add 10
}

list hot = did order.placed
"#;

    e0109_unknown_send_channel => UnknownChannel, r#"
on form.submitted start onboarding

workflow onboarding {
  goal did order.placed within 30d
  send fax "welcome"
}
"#;

    e0203_parenthesised_chain => BadOperands, r#"
lead {
  company_size: int = 0
}

list mid_market = (50 <= lead.company_size) < 1000
"#;

    e0311_undeclared_attribute => BadAssignment, r#"
lead {
  email: string
}

on order.placed set lead.customer = true
"#;

    e0312_enroll_twice => Misplaced, r#"
on form.submitted start onboarding

workflow onboarding {
  enroll once
  enroll every time
  tag "onboarded"
}
"#;

    w0106_if_false => UnreachableStep, r#"
on form.submitted start onboarding

workflow onboarding {
  tag "new"
  if false {
    tag "never"
  }
}
"#;

    w0110_error_code_cannot_be_ignored => UnknownIgnore, r#"
score engagement {
  // nurture: ignore E0101
  on email.opened add 2
}
"#;

    // Issue 11, item 14: `=` where a comparison is meant.
    e0001_use_double_equals => Syntax, r#"
event webinar.attended { minutes: int }

list long_watchers = did webinar.attended where minutes = 30
"#;

    // Issue 11, item 15: a misspelled step keyword, at the word, with the nearest valid there.
    e0001_misspelled_wait => Syntax, r#"
on form.submitted start onboarding

workflow onboarding {
  tag "new"
  wiat 2d
  tag "two days in"
}
"#;

    e0001_misspelled_send => Syntax, r#"
on form.submitted start onboarding

workflow onboarding {
  goal did order.placed within 30d
  sned email "welcome"
}
"#;

    // Issue 11, item 15: a missing `}` names the block still open and where it began.
    e0001_unclosed_block => Syntax, r#"
on form.submitted start onboarding

workflow onboarding {
  tag "new"
  if did email.opened {
    tag "opened"
  } else {
    tag "not opened"
}

list openers = did email.opened
"#;

    // Issue 11, item 16: the common slips, each with the fix named.
    e0001_ampersands_for_and => Syntax, r#"
lead {
  vip: bool = false
}

list engaged_vips = lead.vip && did email.opened within 7d
"#;

    e0001_bars_for_or => Syntax, r#"
list engaged = did email.opened within 7d || did email.clicked within 7d
"#;

    e0001_no_months => Syntax, r#"
list recent_openers = did email.opened within 1mo
"#;

    e0001_per_week => Syntax, r#"
policy {
  frequency email at most 3 per week
}
"#;

    e0001_twelve_hour_clock => Syntax, r#"
policy {
  quiet hours 9pm to 08:00
}
"#;

    e0201_number_in_quotes => TypeMismatch, r#"
lead {
  company_size: int = "50"
}
"#;

    e0201_bool_in_quotes => TypeMismatch, r#"
lead {
  vip: bool = false
}

on order.placed set lead.vip = "true"
"#;

    e0203_number_in_quotes_compared => BadOperands, r#"
lead {
  company_size: int = 0
}

list enterprise = lead.company_size >= "1000"
"#;

    e0104_enter_a_score => UnknownList, r#"
score engagement {
  on email.clicked add 5
}

on enter engagement notify sales "An engaged lead"
"#;

    e0102_segment_name_in_quotes => UnknownEvent, r#"
event webinar.attended as "Webinar Attended" { minutes: int }

on "Webinar Attended" tag "attended-webinar"
"#;

    e0102_undeclared_segment_name => UnknownEvent, r#"
on "Demo Booked" tag "booked-demo"
"#;

    e0001_add_outside_a_score => Syntax, r#"
on email.clicked add 5
"#;

    e0001_template_without_quotes => Syntax, r#"
on form.submitted send email welcome

policy {
  frequency email at most 3 per 7d
}
"#;

    e0001_accented_name => Syntax, r#"
list café_visitors = did page.viewed where url starts_with "/cafe"
"#;

    e0102_event_in_another_case => UnknownEvent, r#"
event webinar.attended { minutes: int }

on Webinar.Attended tag "attended-webinar"
"#;
}

#[test]
fn e0002_not_utf8() {
    // "Zürich" saved as Latin-1: the ü is the single byte 0xFC.
    let bytes = b"lead {\n  city: string = \"\"\n}\n\nlist zurich = lead.city == \"Z\xFCrich\"\n";
    let shown = "(bytes, shown with the invalid one escaped)\n".to_string()
        + &String::from_utf8_lossy(bytes).replace('\u{FFFD}', "\\xFC");
    assert_reports("E0002", Code::NotUtf8, bytes, &shown);
}

/// E0401 comes from `nurture test`, not `nurture check`: the page's example is run as a test.
#[test]
fn e0401_test_failed() {
    let source = "lead {\n  email: string\n}\n\nscore fit {\n  when lead.email ends_with \"@gmail.com\" subtract 15\n}\n\n\
                  test \"a gmail address costs fit points\" {\n  lead bob { email: \"bob@gmail.com\" }\n  expect fit of bob == 15\n}\n";
    let checked = check_source("campaign.nurture", source.as_bytes());
    let program = checked.program.expect("the campaign checks");
    let reports = nurture::testing::run(&program).expect("compiles");
    let diags = nurture::testing::failure_diagnostics(&reports[0]);
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, Code::TestFailed);
    assert!(
        diags[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("fit of bob is -15"),
        "{diags:#?}"
    );
    let rendered = human::render(&diags[0], &checked.report.file, false);
    insta::assert_snapshot!("E0401", format!("{source}---\n{rendered}"));
}

#[test]
fn e0006_too_large() {
    let line = "// padding\n";
    let limit = 16 * 1024 * 1024;
    let mut text = line.repeat(limit / line.len() + 1);
    text.push_str("score engagement {\n  on email.opened add 2\n}\n");
    assert!(text.len() > limit);
    let shown = format!(
        "(a file of {} bytes: `{}` repeated, then a score)",
        text.len(),
        line.trim_end()
    );
    assert_reports("E0006", Code::TooLarge, text.as_bytes(), &shown);
}

/// N0001: the page's example, 150 lists each reading an undeclared score. The report shows
/// 100 problems and the note; the snapshot is the note.
#[test]
fn n0001_too_many_diagnostics() {
    let text: String = (0..150)
        .map(|i| format!("list l{i} = s{i} > 10\n"))
        .collect();
    let checked = check_source("campaign.nurture", text.as_bytes());
    let report = &checked.report;
    let codes = codes_of(report);
    assert_eq!(codes.len(), 101, "{}", render(report));
    assert!(codes[..100].iter().all(|c| *c == Code::UnknownName));
    assert_eq!(codes[100], Code::TooManyDiagnostics);
    assert_eq!((report.errors(), report.warnings()), (150, 0));
    assert!(checked.program.is_none());
    let note = human::render(&report.diagnostics[100], &report.file, false);
    let shown = "(150 lists, `list lN = sN > 10` for N from 0 to 149, each reading an \
                 undeclared score: the last of the 101 diagnostics shown)";
    insta::with_settings!({ omit_expression => true }, {
        insta::assert_snapshot!("N0001", format!("{shown}\n---\n{note}"));
    });
}

/// E0007: the page's example, a message of 257 interpolations (and one of 256, which checks).
#[test]
fn e0007_too_many_interpolations() {
    let message = |n: usize| vec!["{lead.email}"; n].join(" ");
    let campaign = |n: usize| {
        format!(
            "lead {{\n  email: string\n}}\n\non form.submitted notify owner \"{}\"\n",
            message(n)
        )
    };
    let at_limit = check_source("campaign.nurture", campaign(256).as_bytes());
    assert!(
        at_limit.report.diagnostics.is_empty(),
        "{}",
        render(&at_limit.report)
    );
    let shown =
        "(a campaign whose notify message is `{lead.email}` 257 times, separated by spaces)";
    assert_reports(
        "E0007",
        Code::TooManyInterpolations,
        campaign(257).as_bytes(),
        shown,
    );
}

#[test]
fn a_file_of_exactly_the_limit_is_read() {
    let limit = 16 * 1024 * 1024;
    let body = "score engagement {\n  on email.opened add 2\n}\n";
    let mut text = "/".repeat(limit - body.len() - 1);
    text.push('\n');
    text.push_str(body);
    assert_eq!(text.len(), limit);
    let checked = check_source("campaign.nurture", text.as_bytes());
    assert!(
        checked
            .report
            .diagnostics
            .iter()
            .all(|d| d.code != Code::TooLarge),
        "{}",
        render(&checked.report)
    );
}

// ---------------------------------------------------------------------------------------------
// The page as a whole

#[test]
fn every_code_has_exactly_one_section() {
    let sections = sections();
    for code in Code::ALL {
        let found: Vec<_> = sections.iter().filter(|s| s.code == Some(*code)).collect();
        assert_eq!(
            found.len(),
            1,
            "{DOC_PATH} needs exactly one section headed `## {} {}`",
            code.as_str(),
            code.name()
        );
        let s = found[0];
        assert_eq!(
            s.heading,
            format!("## {} {}", code.as_str(), code.name()),
            "heading at {DOC_PATH}:{}",
            s.line
        );
        assert!(
            s.prose.split_whitespace().count() >= 10,
            "{code}: say what it means in a sentence or two ({DOC_PATH}:{})",
            s.line
        );
        assert!(
            s.wrong.is_some(),
            "{code} has no `Wrong:` block ({DOC_PATH}:{})",
            s.line
        );
        let fixed = s
            .fixed
            .as_ref()
            .unwrap_or_else(|| panic!("{code} has no `Fixed:` block ({DOC_PATH}:{})", s.line));
        assert_eq!(
            fixed.lang, "nurture",
            "{code}: the `Fixed:` block must be a campaign"
        );
    }
    // And no section for a code that does not exist.
    for s in &sections {
        if looks_like_code(&s.heading) {
            assert!(
                s.code.is_some(),
                "{DOC_PATH}:{}: `{}` is no known code",
                s.line,
                s.heading
            );
        }
    }
}

#[test]
fn every_shown_wrong_example_has_a_test_case() {
    for s in sections() {
        let Some(code) = s.code else { continue };
        let shown = s.wrong.as_ref().is_some_and(|w| w.lang == "nurture");
        if shown {
            assert!(
                DOC_CASES.contains(&code),
                "add `{}` to doc_cases!",
                code.as_str()
            );
            assert!(
                !NOT_SHOWN_AS_CAMPAIGN.contains(&code),
                "{code} is shown after all"
            );
        } else {
            assert!(
                NOT_SHOWN_AS_CAMPAIGN.contains(&code),
                "{code}: the `Wrong:` block must be ```nurture ({DOC_PATH}:{})",
                s.line
            );
            assert!(!DOC_CASES.contains(&code));
        }
    }
}

#[test]
fn the_index_matches_the_code_table() {
    for code in Code::ALL {
        let row = format!("| {} | `{}`", code.as_str(), code.name());
        let line = DOC
            .lines()
            .find(|l| squeeze(l).starts_with(&row))
            .unwrap_or_else(|| panic!("the index in {DOC_PATH} has no row for {code}"));
        let summary = line
            .trim()
            .trim_end_matches('|')
            .rsplit('|')
            .next()
            .unwrap()
            .trim();
        assert_eq!(summary, code.summary(), "index row for {code}");
    }
}

/// Every `Fixed:` campaign, and every campaign on the page outside a `Wrong:` block, checks
/// with no error and no warning. All failures are reported at once.
#[test]
fn every_fixed_example_checks_clean() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for block in nurture_blocks_expected_clean() {
        checked += 1;
        let result = check_source("campaign.nurture", block.text.as_bytes());
        if !result.report.diagnostics.is_empty() {
            failures.push(format!(
                "--- {DOC_PATH}:{} ---\n{}\n{}",
                block.line,
                block.text,
                render(&result.report)
            ));
        }
    }
    assert!(
        checked > Code::ALL.len(),
        "only {checked} clean examples found"
    );
    assert!(
        failures.is_empty(),
        "{} example(s) that should check clean do not:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Harness

/// Checks the section's `Wrong:` campaign and snapshots what it reports.
fn check_wrong_example(code: Code) {
    let section = sections()
        .into_iter()
        .find(|s| s.code == Some(code))
        .unwrap_or_else(|| panic!("{DOC_PATH} has no section for {code}"));
    let wrong = section
        .wrong
        .unwrap_or_else(|| panic!("{code} has no `Wrong:` block"));
    assert_eq!(
        wrong.lang, "nurture",
        "{code}: the `Wrong:` block is not a campaign"
    );
    assert_reports(code.as_str(), code, wrong.text.as_bytes(), &wrong.text);
}

/// Checks `bytes`, asserts that it reports `code` and nothing else, and snapshots `shown` (the
/// source) followed by the human rendering as `snapshot`.
fn assert_reports(snapshot: &str, code: Code, bytes: &[u8], shown: &str) {
    let checked = check_source("campaign.nurture", bytes);
    let rendered = render(&checked.report);
    let codes = codes_of(&checked.report);
    assert!(
        codes.contains(&code),
        "expected {code}, got {codes:?}\n--- source ---\n{shown}\n--- reported ---\n{rendered}"
    );
    assert!(
        codes.iter().all(|c| *c == code),
        "expected only {code}, got {codes:?}\n--- source ---\n{shown}\n--- reported ---\n{rendered}"
    );
    if code.severity() == nurture::diag::Severity::Error {
        assert!(
            checked.program.is_none(),
            "{code} is an error, yet a program came out"
        );
    }
    let body = format!("{}\n---\n{rendered}", shown.trim_end());
    insta::with_settings!({ omit_expression => true }, {
        insta::assert_snapshot!(snapshot, body);
    });
}

fn render(report: &FileReport) -> String {
    human::render_all(std::slice::from_ref(report), false)
}

fn codes_of(report: &FileReport) -> Vec<Code> {
    report.diagnostics.iter().map(|d| d.code).collect()
}

// ---------------------------------------------------------------------------------------------
// Reading the page

#[derive(Debug, Clone)]
struct Block {
    lang: String,
    text: String,
    /// Line of the opening fence, from 1.
    line: usize,
}

#[derive(Debug)]
struct Section {
    heading: String,
    code: Option<Code>,
    line: usize,
    /// The section's text outside code blocks and markers.
    prose: String,
    wrong: Option<Block>,
    fixed: Option<Block>,
}

/// The fenced blocks of the page, each with the marker line (`Wrong:`, `Fixed:`) before it, if
/// any, and the `##` heading it falls under.
fn blocks() -> Vec<(Option<String>, Option<String>, Block)> {
    let lines: Vec<&str> = DOC.lines().collect();
    let mut out = Vec::new();
    let mut heading: Option<String> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with('#') {
            heading = line.starts_with("## ").then(|| line.trim_end().to_string());
        }
        if let Some(lang) = line.strip_prefix("```") {
            let start = i;
            let mut text = String::new();
            i += 1;
            while i < lines.len() && !lines[i].starts_with("```") {
                text.push_str(lines[i]);
                text.push('\n');
                i += 1;
            }
            assert!(
                i < lines.len(),
                "{DOC_PATH}:{}: unclosed code block",
                start + 1
            );
            let marker = lines[..start]
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim())
                .filter(|l| *l == "Wrong:" || *l == "Fixed:")
                .map(str::to_string);
            out.push((
                heading.clone(),
                marker,
                Block {
                    lang: lang.trim().to_string(),
                    text,
                    line: start + 1,
                },
            ));
        }
        i += 1;
    }
    out
}

fn sections() -> Vec<Section> {
    let lines: Vec<&str> = DOC.lines().collect();
    let mut sections: Vec<Section> = Vec::new();
    let mut in_fence = false;
    for (n, line) in lines.iter().enumerate() {
        if line.starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if line.starts_with('#') {
            if line.starts_with("## ") {
                let heading = line.trim_end().to_string();
                let word = heading[3..].split_whitespace().next().unwrap_or("");
                let code = Code::ALL.iter().copied().find(|c| c.as_str() == word);
                sections.push(Section {
                    heading,
                    code,
                    line: n + 1,
                    prose: String::new(),
                    wrong: None,
                    fixed: None,
                });
            } else {
                // A group heading ends the section before it.
                sections.push(Section {
                    heading: line.to_string(),
                    code: None,
                    line: n + 1,
                    prose: String::new(),
                    wrong: None,
                    fixed: None,
                });
            }
        } else if let Some(s) = sections.last_mut() {
            let t = line.trim();
            if t != "Wrong:" && t != "Fixed:" {
                s.prose.push_str(t);
                s.prose.push('\n');
            }
        }
    }
    for (heading, marker, block) in blocks() {
        let Some(heading) = heading else { continue };
        let Some(s) = sections
            .iter_mut()
            .rev()
            .find(|s| s.heading == heading && s.line < block.line)
        else {
            continue;
        };
        let slot = match marker.as_deref() {
            Some("Wrong:") => &mut s.wrong,
            Some("Fixed:") => &mut s.fixed,
            _ => continue,
        };
        assert!(
            slot.is_none(),
            "{DOC_PATH}:{}: a second `{}` block in `{}`",
            block.line,
            marker.unwrap(),
            s.heading
        );
        *slot = Some(block);
    }
    sections
}

/// Every ```nurture block that is not a `Wrong:` example.
fn nurture_blocks_expected_clean() -> Vec<Block> {
    blocks()
        .into_iter()
        .filter(|(_, marker, b)| b.lang == "nurture" && marker.as_deref() != Some("Wrong:"))
        .map(|(_, _, b)| b)
        .collect()
}

fn looks_like_code(heading: &str) -> bool {
    let word = heading
        .trim_start_matches('#')
        .split_whitespace()
        .next()
        .unwrap_or("");
    word.len() == 5
        && (word.starts_with('E') || word.starts_with('W'))
        && word[1..].chars().all(|c| c.is_ascii_digit())
}

/// A table row with runs of spaces squeezed to one, so column padding does not matter.
fn squeeze(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------------
// The harness itself

#[test]
fn the_page_reader_finds_markers_and_blocks() {
    let sections = sections();
    let e0101 = sections
        .iter()
        .find(|s| s.code == Some(Code::UnknownName))
        .unwrap();
    let wrong = e0101.wrong.as_ref().unwrap();
    let fixed = e0101.fixed.as_ref().unwrap();
    assert_eq!(wrong.lang, "nurture");
    assert!(wrong.text.contains("engagment >= 10"), "{}", wrong.text);
    assert!(fixed.text.contains("engagement >= 10"), "{}", fixed.text);
    assert!(!fixed.text.contains("engagment"), "{}", fixed.text);
    assert!(wrong.line < fixed.line);
    let e0002 = sections
        .iter()
        .find(|s| s.code == Some(Code::NotUtf8))
        .unwrap();
    assert_eq!(e0002.wrong.as_ref().unwrap().lang, "text");
    // The silencing example at the top is checked too, though it is in no code's section.
    assert!(nurture_blocks_expected_clean()
        .iter()
        .any(|b| b.text.contains("// nurture: ignore unused-event")));
}

#[test]
fn a_wrong_example_that_reports_nothing_fails() {
    let result = std::panic::catch_unwind(|| {
        assert_reports(
            "never-written",
            Code::UnknownName,
            b"score engagement {\n  on email.opened add 2\n}\n",
            "",
        )
    });
    assert!(
        result.is_err(),
        "a clean campaign passed as a Wrong: example"
    );
}

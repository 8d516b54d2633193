//! The VM's semantics, behaviour by behaviour (language.md §2–§9, docs/language.md).
//!
//! Two kinds of test: in-language `test` blocks run by the test runner where reading the
//! campaign says it best, and tests that drive `Machine` directly and assert the exact
//! actions (time, lead, action, arguments) where the moment matters.

use chrono::DateTime;
use nurture::check::check_text;
use nurture::compile::compile;
use nurture::lang::hash::fnv1a;
use nurture::lang::value::Val;
use nurture::runtime::engine::{Engine, Options};
use nurture::testing;
use nurture::vm::action::{Action, ActionKind, Source};
use nurture::vm::machine::{EventRef, Machine};

// ---- harness -------------------------------------------------------------------------

/// Runs a campaign's `test` blocks and fails with every failed expectation.
fn passes(src: &str) {
    let (diags, program) = check_text(src);
    let program = program.unwrap_or_else(|| panic!("the campaign does not check: {diags:#?}"));
    let reports = testing::run(&program).expect("the campaign compiles");
    assert!(!reports.is_empty(), "the campaign has no tests");
    for r in &reports {
        assert!(r.passed(), "test \"{}\" failed: {:#?}", r.name, r.failures);
    }
}

/// Runs a campaign's `test` blocks and returns the names of those that failed.
fn failing(src: &str) -> Vec<String> {
    let (diags, program) = check_text(src);
    let program = program.unwrap_or_else(|| panic!("the campaign does not check: {diags:#?}"));
    testing::run(&program)
        .expect("the campaign compiles")
        .into_iter()
        .filter(|r| !r.passed())
        .map(|r| r.name)
        .collect()
}

/// A value for an attribute or an event property.
#[derive(Clone, Copy)]
enum V {
    S(&'static str),
    I(i64),
    N(f64),
    B(bool),
    /// An enum variant by index.
    E(u32),
}

/// An RFC 3339 time as the machine counts it: milliseconds since the Unix epoch.
fn t(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("{rfc3339}: {e}"))
        .timestamp_millis()
}

/// A time as actions are written with it (`lang::format::instant`).
fn ts(ms: i64) -> String {
    nurture::lang::format::instant(ms)
}

const SEC: i64 = 1_000;
const HOUR: i64 = 3_600 * SEC;
const DAY: i64 = 86_400 * SEC;

/// A machine over a campaign, and every action it has emitted.
struct Run {
    m: Machine,
    out: Vec<Action>,
}

impl Run {
    fn new(src: &str) -> Run {
        let (diags, program) = check_text(src);
        let program = program.unwrap_or_else(|| panic!("the campaign does not check: {diags:#?}"));
        Run {
            m: Machine::new(compile(&program).expect("the campaign compiles")),
            out: Vec::new(),
        }
    }

    fn vals(values: &[V], texts: &mut Vec<String>) -> Vec<Val> {
        values
            .iter()
            .map(|v| match *v {
                V::S(s) => {
                    texts.push(s.to_string());
                    Val::PropText(texts.len() as u16 - 1)
                }
                V::I(i) => Val::Int(i),
                V::N(n) => Val::Num(n),
                V::B(b) => Val::Bool(b),
                V::E(e) => Val::Enum(e),
            })
            .collect()
    }

    /// An `identify` at `at` setting the named attributes.
    fn identify(&mut self, lead: &str, at: i64, attrs: &[(&str, V)]) {
        let mut texts = Vec::new();
        let vals = Run::vals(
            &attrs.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
            &mut texts,
        );
        let traits: Vec<(u32, Val)> = attrs
            .iter()
            .zip(vals)
            .map(|((name, _), v)| {
                let i = self
                    .m
                    .c
                    .attrs
                    .iter()
                    .position(|a| a.name == *name)
                    .unwrap_or_else(|| panic!("no attribute {name}"));
                (i as u32, v)
            })
            .collect();
        self.m.identify(lead, at, &traits, &texts, &mut self.out);
    }

    /// A `track` at `at`; properties not given are missing.
    fn track(&mut self, lead: &str, at: i64, event: &str, props: &[(&str, V)]) {
        let e = self
            .m
            .c
            .events
            .iter()
            .position(|x| x.name == event)
            .unwrap_or_else(|| panic!("no event {event}"));
        let mut texts = Vec::new();
        let declared = self.m.c.events[e].props.clone();
        let mut vals = vec![Val::Missing; declared.len()];
        for (name, v) in props {
            let p = declared
                .iter()
                .position(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("{event} has no property {name}"));
            vals[p] = Run::vals(&[*v], &mut texts)[0];
        }
        let ev = EventRef {
            event: e as u16,
            props: &vals,
            texts: &texts,
        };
        self.m.track(lead, at, ev, &mut self.out);
    }

    /// The `signup` event most tests start a workflow with.
    fn signup(&mut self, lead: &str, at: i64) {
        self.track(lead, at, "signup", &[("plan", V::S("x"))]);
    }

    fn until(&mut self, at: i64) {
        self.m.advance_to(at, &mut self.out);
    }

    /// Every action so far, one line each: time, lead, what.
    fn lines(&self) -> Vec<String> {
        self.out.iter().map(line).collect()
    }

    /// The actions so far that are not list memberships.
    fn actions(&self) -> Vec<String> {
        self.out
            .iter()
            .filter(|a| !a.kind.is_membership())
            .map(line)
            .collect()
    }

    fn score(&self, lead: &str, score: &str) -> f64 {
        let l = self.m.find_lead(lead).expect("the lead exists");
        let s = self
            .m
            .c
            .scores
            .iter()
            .position(|s| s.name == score)
            .expect("the score exists");
        self.m.score(l, s as u16)
    }

    fn in_list(&self, lead: &str, list: &str) -> bool {
        let l = self.m.find_lead(lead).expect("the lead exists");
        let i = self
            .m
            .c
            .lists
            .iter()
            .position(|x| x.name == list)
            .expect("the list exists");
        self.m.leads[l as usize].in_list(&self.m.c, i as u16)
    }

    fn in_workflow(&self, lead: &str, workflow: &str) -> bool {
        let l = self.m.find_lead(lead).expect("the lead exists");
        let w = self
            .m
            .c
            .workflows
            .iter()
            .position(|x| x.name == workflow)
            .expect("the workflow exists");
        self.m.run_at(l, w as u16).is_some()
    }
}

/// One action as a line: `TIME LEAD WHAT`.
fn line(a: &Action) -> String {
    let what = match &a.kind {
        ActionKind::Send { channel, template } => format!("send {} {template}", channel.name()),
        ActionKind::Suppressed {
            channel,
            template,
            rule,
        } => format!("suppressed {} {template} ({rule})", channel.name()),
        ActionKind::Notify { audience, message } => {
            format!("notify {}: {message}", audience.name())
        }
        ActionKind::Retarget { add, audience } => {
            format!(
                "retarget {} {audience}",
                if *add { "add" } else { "remove" }
            )
        }
        ActionKind::Webhook { name, fields } => {
            let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("webhook {name} {}", fields.join(" "))
        }
        ActionKind::Set { attr, value } => format!("set {attr}={value}"),
        ActionKind::Tag { tag, add: true } => format!("tag {tag}"),
        ActionKind::Tag { tag, add: false } => format!("untag {tag}"),
        ActionKind::Converted { workflow, .. } => format!("converted {workflow}"),
        ActionKind::Assigned => format!("assigned {}", a.source.variant().unwrap_or("-")),
        ActionKind::HeldOut { workflow } => format!("holdout {workflow}"),
        ActionKind::Entered { list } => format!("enter {list}"),
        ActionKind::Exited { list } => format!("exit {list}"),
        ActionKind::CascadeLimit { depth } => format!("error cascade {depth}"),
    };
    format!("{} {} {what}", ts(a.at), a.lead)
}

const SCHEMA: &str = r#"
lead {
  email: string
  job_title: string?
  company_size: int?
  timezone: timezone = "UTC"
  consent_email: bool = true
  stage: Stage = awareness
}
enum Stage { awareness, consideration, decision, customer }
event signup { plan: string }
event ping
"#;

fn campaign(body: &str) -> String {
    format!("{SCHEMA}\n{body}")
}

// ---- scores ----------------------------------------------------------------------------

#[test]
fn decay_halves_a_score_after_its_period() {
    passes(&campaign(
        r#"
score engagement {
  decay 50% every 30d
  on signup add 20
}
test "decay" {
  lead ann { email: "ann@x.com" }
  at 2026-03-02T09:00:00Z ann signup { plan: "free" }
  expect engagement of ann == 20
  after 15d
  expect engagement of ann > 14.13 and engagement of ann < 14.15
  after 15d
  expect engagement of ann == 10
  after 30d
  expect engagement of ann == 5
}
"#,
    ));
}

#[test]
fn decay_is_exact_at_each_period_when_driven_directly() {
    let mut r = Run::new(&campaign(
        "score engagement { decay 50% every 30d  on signup add 20 }",
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.track("ann", t0, "signup", &[("plan", V::S("free"))]);
    assert_eq!(r.score("ann", "engagement"), 20.0);
    r.until(t0 + 30 * DAY);
    assert!((r.score("ann", "engagement") - 10.0).abs() < 1e-9);
    r.until(t0 + 60 * DAY);
    assert!((r.score("ann", "engagement") - 5.0).abs() < 1e-9);
    // A new event adds to the decayed value, and decay goes on from there.
    r.track("ann", t0 + 60 * DAY, "signup", &[("plan", V::S("pro"))]);
    assert!((r.score("ann", "engagement") - 25.0).abs() < 1e-9);
    r.until(t0 + 90 * DAY);
    assert!((r.score("ann", "engagement") - 12.5).abs() < 1e-9);
}

#[test]
fn a_list_on_a_decaying_score_is_left_when_the_score_crosses() {
    let mut r = Run::new(&campaign(
        r#"
score engagement { decay 50% every 30d  on signup add 20 }
list warm = engagement >= 10
on exit warm notify sales "cooled"
"#,
    ));
    let t0 = t("2026-03-02T00:00:00Z");
    r.track("ann", t0, "signup", &[("plan", V::S("free"))]);
    r.until(t0 + 100 * DAY);
    // 20 halves to exactly 10 at 30d: still warm then, gone the millisecond after.
    assert_eq!(
        r.lines(),
        [
            format!("{} ann enter warm", ts(t0)),
            format!("{} ann exit warm", ts(t0 + 30 * DAY + 1)),
            format!("{} ann notify sales: cooled", ts(t0 + 30 * DAY + 1)),
        ]
    );
}

#[test]
fn when_scores_are_recomputed_when_attributes_change() {
    passes(&campaign(
        r#"
score fit {
  when lead.job_title matches "(?i)director|vp"  add 20
  when lead.company_size >= 50                   add 10
  when lead.email ends_with "@gmail.com"         subtract 15
}
test "fit follows the attributes" {
  lead ann { email: "ann@gmail.com" }
  expect fit of ann == -15
  lead ann { job_title: "VP Sales", company_size: 200 }
  expect fit of ann == 15
  lead ann { email: "ann@acme.com", company_size: 10 }
  expect fit of ann == 20
}
"#,
    ));
}

#[test]
fn when_scores_change_list_membership_on_identify() {
    let mut r = Run::new(&campaign(
        r#"
score fit { when lead.company_size >= 50 add 10 }
list big = fit >= 10
on enter big notify sales "big"
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.identify(
        "ann",
        t0,
        &[("email", V::S("a@x.com")), ("company_size", V::I(10))],
    );
    assert_eq!(r.score("ann", "fit"), 0.0);
    r.identify("ann", t0 + 60 * SEC, &[("company_size", V::I(60))]);
    assert_eq!(r.score("ann", "fit"), 10.0);
    r.identify("ann", t0 + 120 * SEC, &[("company_size", V::I(5))]);
    assert_eq!(
        r.lines(),
        [
            format!("{} ann enter big", ts(t0 + 60 * SEC)),
            format!("{} ann notify sales: big", ts(t0 + 60 * SEC)),
            format!("{} ann exit big", ts(t0 + 120 * SEC)),
        ]
    );
}

#[test]
fn on_rules_filter_cap_in_a_sliding_window_and_reset() {
    passes(&campaign(
        r#"
score engagement {
  on page.viewed where url == "/pricing"  add 15
  on email.opened                         add 2  at most 2 times per 10d
  on email.unsubscribed                   set 0
}
test "on rules" {
  lead ann { email: "ann@x.com" }
  at 2026-03-01T00:00:00Z ann page.viewed { url: "/blog" }
  expect engagement of ann == 0
  after 1h ann page.viewed { url: "/pricing" }
  expect engagement of ann == 15
  after 1d ann email.opened { template: "a" }
  after 4d ann email.opened { template: "b" }
  after 1d ann email.opened { template: "c" }
  expect engagement of ann == 19
  // The first counted open is exactly ten days old: it has left the window.
  after 5d ann email.opened { template: "d" }
  expect engagement of ann == 21
  after 1h ann email.opened { template: "e" }
  expect engagement of ann == 21
  after 1h ann email.unsubscribed { template: "e" }
  expect engagement of ann == 0
  after 1h ann page.viewed { url: "/pricing" }
  expect engagement of ann == 15
}
"#,
    ));
}

/// A text property is read from its own text, whatever comes before it: a number property
/// declared first, or properties given in another order than declared (a Segment page call
/// lists `path`, `referrer`, `title` and `url` alphabetically). The machine took the text's
/// slot for a property's place, and read another property's text, or none: these rules never
/// counted (found with issue 11 item 22, whose page calls come in that order).
#[test]
fn a_text_property_is_read_whatever_comes_before_it() {
    let src = campaign(
        r#"
event thing.done { n: int, s: string }
score seen {
  on thing.done where s == "a"                    add 1
  on page.viewed where url == "/pricing"          add 10
  on page.viewed where title ?? "" == "Pricing"   add 100
}
test "a text after a number" {
  at 2026-03-02T09:00:00Z ann thing.done { n: 1, s: "a" }
  expect seen of ann == 1
}
"#,
    );
    passes(&src);
    let mut r = Run::new(&src);
    let props = [("title", V::S("Pricing")), ("url", V::S("/pricing"))];
    r.track("ann", t("2026-03-02T09:00:00Z"), "page.viewed", &props);
    assert_eq!(r.score("ann", "seen"), 110.0);
}

#[test]
fn set_resets_the_accumulated_value_but_not_the_when_rules() {
    passes(&campaign(
        r#"
score s {
  when lead.company_size >= 50  add 10
  on signup                     add 5
  on ping                       set 0
}
test "reset" {
  lead ann { email: "a@x.com", company_size: 100 }
  at 2026-03-01T00:00:00Z ann signup { plan: "x" }
  after 1h ann signup { plan: "x" }
  expect s of ann == 20
  after 1h ann ping
  expect s of ann == 10
}
"#,
    ));
}

#[test]
fn derived_scores_follow_their_parts() {
    passes(&campaign(
        r#"
score fit { when lead.company_size >= 50 add 30 }
score engagement { decay 50% every 10d  on signup add 40 }
score total = fit + engagement
list hot = total >= 60
test "derived" {
  lead ann { email: "a@x.com", company_size: 100 }
  at 2026-03-01T00:00:00Z ann signup { plan: "x" }
  expect total of ann == 70
  expect ann in hot
  after 10d
  expect total of ann == 50
  expect ann not in hot
}
"#,
    ));
}

#[test]
fn a_derived_score_divided_by_zero_is_missing_and_so_are_scores_built_on_it() {
    // Issue 11 item 3: a division by zero is missing, and missing goes through derived
    // scores as through any arithmetic: no comparison on it holds.
    passes(&campaign(
        r#"
score a { on signup add 5 }
score ratio = a / 0
score ratio_plus = ratio + 1
score sum = a + ratio
list l = ratio >= 0
list not_l = ratio < 0
list plus = ratio_plus >= 0
list summed = sum >= 0
list inline = (a / 0) >= 0
test "missing, not 0" {
  lead ann { email: "a@x.com" }
  at 2026-03-01T00:00:00Z ann signup { plan: "x" }
  expect a of ann == 5
  expect ratio of ann is missing
  expect ratio_plus of ann is missing
  expect sum of ann is missing
  expect ann not in l
  expect ann not in not_l
  expect ann not in plus
  expect ann not in summed
  expect ann not in inline
}
"#,
    ));
}

// ---- lists -----------------------------------------------------------------------------

#[test]
fn a_within_list_ends_exactly_when_its_window_runs_out() {
    let mut r = Run::new(&campaign(
        r#"
list recent = did page.viewed where url == "/pricing" within 7d
on exit recent notify sales "{lead.email} went quiet"
"#,
    ));
    let t0 = t("2026-03-02T09:30:00Z");
    r.identify("ann", t0, &[("email", V::S("ann@x.com"))]);
    r.track("ann", t0, "page.viewed", &[("url", V::S("/pricing"))]);
    r.track(
        "ann",
        t0 + 2 * DAY,
        "page.viewed",
        &[("url", V::S("/blog"))],
    );
    assert!(r.in_list("ann", "recent"));
    r.until(t0 + 7 * DAY - 1);
    assert!(r.in_list("ann", "recent"), "still in one second before");
    r.until(t0 + 30 * DAY);
    assert!(!r.in_list("ann", "recent"));
    assert_eq!(
        r.lines(),
        [
            format!("{} ann enter recent", ts(t0)),
            format!("{} ann exit recent", ts(t0 + 7 * DAY)),
            format!(
                "{} ann notify sales: ann@x.com went quiet",
                ts(t0 + 7 * DAY)
            ),
        ]
    );
}

#[test]
fn a_new_matching_event_extends_the_window() {
    let mut r = Run::new(&campaign(
        "list recent = did ping within 7d\non exit recent notify sales \"gone\"",
    ));
    let t0 = t("2026-03-02T00:00:00Z");
    r.track("ann", t0, "ping", &[]);
    r.track("ann", t0 + 3 * DAY, "ping", &[]);
    r.until(t0 + 20 * DAY);
    assert_eq!(
        r.actions(),
        [format!("{} ann notify sales: gone", ts(t0 + 10 * DAY))]
    );
}

#[test]
fn history_predicates_did_count_last_and_now() {
    passes(&campaign(
        r#"
list readers   = did signup
list pro       = did signup where plan == "pro"
list engaged   = count email.opened within 30d >= 3
list lapsed    = now - (last ping ?? now) > 10d
test "history" {
  lead ann { email: "a@x.com" }
  at 2026-03-01T00:00:00Z ann signup { plan: "free" }
  expect ann in readers
  expect ann not in pro
  after 1d ann signup { plan: "pro" }
  expect ann in pro
  after 1d ann email.opened { template: "a" }
  after 1d ann email.opened { template: "b" }
  expect ann not in engaged
  expect (count email.opened within 30d) of ann == 2
  after 1d ann email.opened { template: "c" }
  expect ann in engaged
  after 27d
  expect ann in engaged
  // The first open (3 March) is 30 days old: it has left the window, with no event.
  after 1d
  expect ann not in engaged
  after 1d ann ping
  expect ann not in lapsed
  expect last ping of ann == 2026-04-03T00:00:00Z
  after 11d ann signup { plan: "free" }
  expect ann in lapsed
}
"#,
    ));
}

#[test]
fn enter_and_exit_triggers_run_in_source_order() {
    let mut r = Run::new(&campaign(
        r#"
list a = did ping
list b = did ping
on enter b notify sales "first"
on ping   notify owner "second"
on enter a notify sales "third"
"#,
    ));
    let t0 = t("2026-03-02T00:00:00Z");
    r.track("ann", t0, "ping", &[]);
    assert_eq!(
        r.actions(),
        [
            format!("{} ann notify sales: first", ts(t0)),
            format!("{} ann notify owner: second", ts(t0)),
            format!("{} ann notify sales: third", ts(t0)),
        ]
    );
}

// ---- workflows ---------------------------------------------------------------------------

#[test]
fn exit_when_ends_the_run() {
    passes(&campaign(
        r#"
on signup start w
workflow w {
  exit when did order.placed
  send email "one"
  wait 3d
  send email "two"
}
test "exit" {
  lead ann { email: "a@x.com" }
  at 2026-03-02T09:00:00Z ann signup { plan: "x" }
  expect ann sent email "one"
  after 1d ann order.placed { order_id: "1", total: 10 }
  expect ann not in workflow w
  after 5d
  expect ann not sent email "two"
  expect ann not converted in w
}
"#,
    ));
}

#[test]
fn only_if_filters_entry_and_a_refused_start_is_no_enrolment() {
    passes(&campaign(
        r#"
on signup start w
workflow w {
  only if lead.consent_email
  exit when did email.unsubscribed
  send email "hello"
}
test "only if" {
  lead ann { email: "a@x.com", consent_email: false }
  at 2026-03-02T09:00:00Z ann signup { plan: "x" }
  expect ann not sent email "hello"
  lead ann { consent_email: true }
  after 1d ann signup { plan: "x" }
  expect ann sent email "hello"
}
"#,
    ));
}

#[test]
fn goal_ends_the_run_and_counts_a_conversion() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  goal did order.placed within 30d
  send email "one"
  wait 3d
  send email "two"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    r.track(
        "ann",
        t0 + DAY,
        "order.placed",
        &[("order_id", V::S("1")), ("total", V::N(10.0))],
    );
    r.until(t0 + 10 * DAY);
    assert_eq!(
        r.actions(),
        [
            format!("{} ann send email one", ts(t0)),
            format!("{} ann converted w", ts(t0 + DAY)),
        ]
    );
    assert_eq!(r.m.stats.conversions, 1);
    assert!(!r.in_workflow("ann", "w"));
}

#[test]
fn goal_wins_over_exit_when_both_hold() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did order.placed
  goal did order.placed within 30d
  send email "one"
  wait 3d
  send email "two"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    r.track(
        "ann",
        t0 + DAY,
        "order.placed",
        &[("order_id", V::S("1")), ("total", V::N(10.0))],
    );
    r.until(t0 + 10 * DAY);
    assert_eq!(
        r.actions(),
        [
            format!("{} ann send email one", ts(t0)),
            format!("{} ann converted w", ts(t0 + DAY)),
        ]
    );
    assert_eq!(r.m.stats.conversions, 1);
}

#[test]
fn after_the_last_step_a_run_watches_its_goal_for_the_window() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  goal did order.placed within 10d
  send email "one"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    r.signup("bob", t0);
    // Watching its goal only: an exit condition no longer ends the run.
    r.track(
        "ann",
        t0 + DAY,
        "email.unsubscribed",
        &[("template", V::S("one"))],
    );
    r.track(
        "ann",
        t0 + 5 * DAY,
        "order.placed",
        &[("order_id", V::S("1")), ("total", V::N(10.0))],
    );
    // Bob orders after the window: no conversion.
    r.until(t0 + 10 * DAY);
    assert!(!r.in_workflow("bob", "w"));
    r.track(
        "bob",
        t0 + 11 * DAY,
        "order.placed",
        &[("order_id", V::S("2")), ("total", V::N(10.0))],
    );
    assert_eq!(
        r.actions(),
        [
            format!("{} ann send email one", ts(t0)),
            format!("{} bob send email one", ts(t0)),
            format!("{} ann converted w", ts(t0 + 5 * DAY)),
        ]
    );
}

#[test]
fn a_goal_met_by_the_event_a_wait_waits_for_ends_the_run_before_it_resumes() {
    // Issue 11 item 1: the event a `wait up to … for` waits on meets the goal; the run ends
    // with a conversion and its next step never runs.
    let mut r = Run::new(&campaign(
        r#"
event meeting.booked
on signup start w
workflow w {
  goal did meeting.booked since enrolled
  notify sales "start"
  wait up to 14d for meeting.booked
  notify sales "after wait"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    r.track("ann", t0 + 3 * DAY, "meeting.booked", &[]);
    r.until(t0 + 30 * DAY);
    assert_eq!(
        r.actions(),
        [
            format!("{} ann notify sales: start", ts(t0)),
            format!("{} ann converted w", ts(t0 + 3 * DAY)),
        ]
    );
    assert_eq!(r.m.stats.conversions, 1);
    assert!(!r.in_workflow("ann", "w"));
}

#[test]
fn an_exit_met_by_the_event_a_wait_waits_for_ends_the_run_before_it_resumes() {
    // Issue 11 item 1: a lead who has just unsubscribed does not get the next step.
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  send email "first"
  wait up to 14d for email.unsubscribed
  send email "next"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    r.track(
        "ann",
        t0 + 3 * DAY,
        "email.unsubscribed",
        &[("template", V::S("first"))],
    );
    r.until(t0 + 30 * DAY);
    assert_eq!(r.actions(), [format!("{} ann send email first", ts(t0))]);
    assert!(!r.in_workflow("ann", "w"));
}

#[test]
fn an_exit_that_a_step_makes_hold_ends_the_run_before_the_next_step() {
    // Issue 11 item 1: exit and goal are checked between the steps of one cycle too.
    let mut r = Run::new(&campaign(
        r#"
on signup start w
on signup start v
workflow w {
  exit when lead.stage == customer
  set lead.stage = customer
  notify sales "after the set"
}
workflow v {
  goal lead.stage == decision
  notify sales "v starts"
  start u
  notify sales "after u"
}
workflow u {
  exit when did email.unsubscribed
  set lead.stage = decision
  notify sales "u goes on"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    assert_eq!(
        r.actions(),
        [
            format!("{} ann set stage=\"customer\"", ts(t0)),
            format!("{} ann notify sales: v starts", ts(t0)),
            format!("{} ann set stage=\"decision\"", ts(t0)),
            format!("{} ann notify sales: u goes on", ts(t0)),
            format!("{} ann converted v", ts(t0)),
        ]
    );
    assert!(!r.in_workflow("ann", "w"));
    assert!(!r.in_workflow("ann", "v"));
}

#[test]
fn a_run_watching_its_goal_after_its_last_step_is_not_in_the_workflow() {
    // Issue 11 item 1, the related gap: its steps are done; it only waits to count a
    // conversion.
    passes(&campaign(
        r#"
on signup start w
workflow w {
  goal did email.clicked within 7d since enrolled
  notify sales "hello"
  wait 1d
}
test "watching the goal" {
  lead ann { email: "a@x.com" }
  at 2026-03-02T09:00:00Z ann signup { plan: "x" }
  expect ann in workflow w at step "wait 1d"
  after 1d
  expect ann not in workflow w
  after 1d ann email.clicked { template: "x" }
  expect ann converted in w
}
"#,
    ));
}

#[test]
fn enroll_once_per_period_refuses_day_30_and_accepts_day_91() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  enroll once per 90d
  exit when did email.unsubscribed
  send email "hello"
}
"#,
    ));
    let t0 = t("2026-01-01T09:00:00Z");
    for day in [0, 30, 89, 91, 120] {
        r.signup("ann", t0 + day * DAY);
    }
    assert_eq!(
        r.actions(),
        [
            format!("{} ann send email hello", ts(t0)),
            format!("{} ann send email hello", ts(t0 + 91 * DAY)),
        ]
    );
}

#[test]
fn enroll_once_never_re_enrolls() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  send email "hello"
}
"#,
    ));
    let t0 = t("2026-01-01T09:00:00Z");
    for day in [0, 1, 100, 1000] {
        r.signup("ann", t0 + day * DAY);
    }
    assert_eq!(r.actions(), [format!("{} ann send email hello", ts(t0))]);
}

#[test]
fn enroll_once_ignores_a_start_while_running() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  enroll once per 1d
  exit when did email.unsubscribed
  send email "a"
  wait 3d
  send email "b"
}
"#,
    ));
    let t0 = t("2026-01-01T09:00:00Z");
    r.signup("ann", t0);
    r.signup("ann", t0 + 2 * DAY);
    r.until(t0 + 10 * DAY);
    assert_eq!(
        r.actions(),
        [
            format!("{} ann send email a", ts(t0)),
            format!("{} ann send email b", ts(t0 + 3 * DAY)),
        ]
    );
}

#[test]
fn enroll_every_time_restarts_the_run() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  enroll every time
  exit when did email.unsubscribed
  send email "a"
  wait 3d
  send email "b"
}
"#,
    ));
    let t0 = t("2026-01-01T09:00:00Z");
    r.signup("ann", t0);
    r.signup("ann", t0 + DAY);
    r.until(t0 + 10 * DAY);
    assert_eq!(
        r.actions(),
        [
            format!("{} ann send email a", ts(t0)),
            format!("{} ann send email a", ts(t0 + DAY)),
            format!("{} ann send email b", ts(t0 + 4 * DAY)),
        ]
    );
}

#[test]
fn wait_up_to_resumes_at_the_event_with_received_true() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  send email "offer"
  wait up to 5d for email.clicked where template == "offer"
  if received { send email "thanks" } else { send email "nudge" }
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    r.signup("bob", t0);
    // A click on another template does not count.
    r.track(
        "ann",
        t0 + DAY,
        "email.clicked",
        &[("template", V::S("other"))],
    );
    r.track(
        "ann",
        t0 + 2 * DAY,
        "email.clicked",
        &[("template", V::S("offer"))],
    );
    r.until(t0 + 20 * DAY);
    assert_eq!(
        r.actions(),
        [
            format!("{} ann send email offer", ts(t0)),
            format!("{} bob send email offer", ts(t0)),
            format!("{} ann send email thanks", ts(t0 + 2 * DAY)),
            format!("{} bob send email nudge", ts(t0 + 5 * DAY)),
        ]
    );
}

#[test]
fn the_event_that_starts_a_run_does_not_end_its_wait() {
    let mut r = Run::new(&campaign(
        r#"
on email.clicked start w
workflow w {
  exit when did email.unsubscribed
  wait up to 2d for email.clicked
  if received { send email "clicked-again" } else { send email "timed-out" }
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.track("ann", t0, "email.clicked", &[("template", V::S("x"))]);
    r.until(t0 + 3 * DAY);
    assert_eq!(
        r.actions(),
        [format!("{} ann send email timed-out", ts(t0 + 2 * DAY))]
    );
}

#[test]
fn wait_until_weekday_uses_the_leads_zone() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  wait until weekday 10:00
  send email "morning"
}
"#,
    ));
    // Paris is UTC+1 in March, before its change; New York changes on 8 March.
    let t0 = t("2026-03-01T00:00:00Z");
    r.identify("ann", t0, &[("timezone", V::S("Europe/Paris"))]);
    r.identify("bob", t0, &[("timezone", V::S("Europe/Paris"))]);
    r.identify("cy", t0, &[("timezone", V::S("America/New_York"))]);
    // Exactly 10:00 in Paris on a Monday: goes at once.
    r.signup("ann", t("2026-03-02T09:00:00Z"));
    // A UTC lead on Wednesday 09:59: 10:00 the same day.
    r.signup("dee", t("2026-03-04T09:59:00Z"));
    // Friday 10:01 in New York: Monday 10:00 there.
    r.signup("cy", t("2026-03-06T15:01:00Z"));
    // Saturday 09:00 in Paris: Monday 10:00.
    r.signup("bob", t("2026-03-07T08:00:00Z"));
    r.until(t("2026-03-20T00:00:00Z"));
    assert_eq!(
        r.actions(),
        [
            "2026-03-02T09:00:00Z ann send email morning",
            "2026-03-04T10:00:00Z dee send email morning",
            "2026-03-09T09:00:00Z bob send email morning",
            // New York changed to daylight time on 8 March: 10:00 EDT is 14:00Z.
            "2026-03-09T14:00:00Z cy send email morning",
        ]
    );
}

#[test]
fn wait_until_in_a_daylight_saving_gap_moves_forward() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  wait until 2:30
  send email "night"
}
"#,
    ));
    r.identify(
        "ann",
        t("2026-03-07T00:00:00Z"),
        &[("timezone", V::S("America/New_York"))],
    );
    // 22:00 EST on 7 March; 02:30 on 8 March does not exist, 03:00 EDT = 07:00Z.
    r.signup("ann", t("2026-03-08T03:00:00Z"));
    r.until(t("2026-03-10T00:00:00Z"));
    assert_eq!(r.actions(), ["2026-03-08T07:00:00Z ann send email night"]);
}

#[test]
fn since_enrolled_counts_only_events_in_the_run() {
    passes(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  wait 3d
  if did email.opened since enrolled { send email "opened" } else { send email "not-opened" }
  if did signup since enrolled { send email "signed-up-again" }
}
test "since enrolled" {
  lead ann { email: "a@x.com" }
  at 2026-03-01T00:00:00Z ann email.opened { template: "old" }
  after 1d ann signup { plan: "x" }
  after 3d
  expect ann sent email "not-opened"
  expect ann not sent email "opened"
  expect ann not sent email "signed-up-again"
}
test "an open in the run counts" {
  lead bob { email: "b@x.com" }
  at 2026-03-01T00:00:00Z bob signup { plan: "x" }
  after 1d bob email.opened { template: "new" }
  after 1d bob signup { plan: "x" }
  after 1d
  expect bob sent email "opened"
  expect bob sent email "signed-up-again"
}
"#,
    ));
}

#[test]
fn since_enrolled_counts_what_came_after_the_start_in_the_same_instant() {
    // Issue 11 item 2: within an instant, order is input order. The event that started the
    // run is not "since enrolled"; one on the next line, at the same time, is; one on the
    // line before is not.
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  wait 1d
  if did ping since enrolled { notify sales "pinged" } else { notify sales "not pinged" }
  notify sales "{count signup since enrolled} more signups, {count ping since enrolled} pings"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    // ann: the start, then a ping and a second signup in the same millisecond.
    r.signup("ann", t0);
    r.track("ann", t0, "ping", &[]);
    r.signup("ann", t0);
    // bob: a ping, then the start, in the same millisecond.
    r.track("bob", t0, "ping", &[]);
    r.signup("bob", t0);
    r.until(t0 + 2 * DAY);
    assert_eq!(
        r.actions(),
        [
            format!("{} ann notify sales: pinged", ts(t0 + DAY)),
            format!("{} ann notify sales: 1 more signups, 1 pings", ts(t0 + DAY)),
            format!("{} bob notify sales: not pinged", ts(t0 + DAY)),
            format!("{} bob notify sales: 0 more signups, 0 pings", ts(t0 + DAY)),
        ]
    );
}

#[test]
fn since_enrolled_in_a_test_block_counts_the_next_line_at_the_same_time() {
    // Issue 11 item 2, as a campaign's own test says it.
    passes(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  wait 1d
  if did ping since enrolled { send email "pinged" } else { send email "not-pinged" }
}
test "the line after the start" {
  lead ann { email: "a@x.com" }
  at 2026-03-02T09:00:00Z ann signup { plan: "x" }
  at 2026-03-02T09:00:00Z ann ping
  after 1d
  expect ann sent email "pinged"
}
test "the line before the start" {
  lead bob { email: "b@x.com" }
  at 2026-03-02T09:00:00Z bob ping
  at 2026-03-02T09:00:00Z bob signup { plan: "x" }
  after 1d
  expect bob sent email "not-pinged"
}
"#,
    ));
}

#[test]
fn runs_begun_in_one_instant_each_count_from_their_own_start() {
    // Issue 11 item 2: two starts in one instant, each by its own event: each run counts
    // what came after it, and not what started it.
    let mut r = Run::new(&campaign(
        r#"
on signup start first
on ping start second
workflow first {
  exit when did email.unsubscribed
  wait 1d
  notify sales "first: {count ping since enrolled} pings, {count signup since enrolled} signups"
}
workflow second {
  exit when did email.unsubscribed
  wait 1d
  notify sales "second: {count ping since enrolled} pings, {count signup since enrolled} signups"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    r.track("ann", t0, "ping", &[]);
    r.track("ann", t0, "ping", &[]);
    r.signup("ann", t0);
    r.until(t0 + 2 * DAY);
    assert_eq!(
        r.actions(),
        [
            format!(
                "{} ann notify sales: first: 2 pings, 1 signups",
                ts(t0 + DAY)
            ),
            format!(
                "{} ann notify sales: second: 1 pings, 1 signups",
                ts(t0 + DAY)
            ),
        ]
    );
}

#[test]
fn times_keep_their_milliseconds_from_input_to_output() {
    // Issue 11 item 2: a record's time keeps its fraction to the millisecond: the clock,
    // the timers and the output keep it, whole seconds are still written without one, and
    // a line earlier by a few milliseconds than one already read is late.
    let src = campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  notify sales "start"
  wait 1d
  notify sales "a day on"
}
list fresh = did ping within 1s
on exit fresh notify owner "a second on"
"#,
    );
    let (diags, program) = check_text(&src);
    let program = program.unwrap_or_else(|| panic!("{diags:#?}"));
    let mut engine = Engine::new(&program, &Options::default()).unwrap();
    let mut actions: Vec<Action> = Vec::new();
    let line = |event: &str, props: &str, at: &str| {
        format!(
            r#"{{"type":"track","userId":"ann","event":"{event}","properties":{{{props}}},"timestamp":"{at}"}}"#
        )
    };
    let lines = [
        line("signup", r#""plan":"x""#, "2026-03-02T09:00:00.250Z"),
        line("ping", "", "2026-03-02T09:00:00.900Z"),
        line("ping", "", "2026-03-02T09:00:00.100Z"),
        line("ping", "", "2026-03-02T09:00:00.900Z"),
    ];
    let rejects: Vec<Option<String>> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            engine
                .feed(l, i as u64 + 1, &mut actions)
                .map(|r| r.reason.to_string())
        })
        .collect();
    assert_eq!(
        rejects,
        [
            None,
            None,
            Some(
                "timestamp 2026-03-02T09:00:00.100Z is earlier than 2026-03-02T09:00:00.900Z \
                 already processed: the input must be in time order"
                    .to_string()
            ),
            None,
        ]
    );
    engine
        .machine
        .advance_to(t("2026-03-04T00:00:00Z"), &mut actions);
    let out: Vec<String> = actions
        .iter()
        .filter(|a| !a.kind.is_membership())
        .map(|a| {
            let json = nurture::runtime::output::to_json(a);
            format!("{} {}", json["at"].as_str().unwrap(), line_of(a))
        })
        .collect();
    assert_eq!(
        out,
        [
            "2026-03-02T09:00:00.250Z notify sales: start",
            "2026-03-02T09:00:01.900Z notify owner: a second on",
            "2026-03-03T09:00:00.250Z notify sales: a day on",
        ]
    );
    // Whole seconds are written as before.
    assert_eq!(ts(t("2026-03-02T09:00:00Z")), "2026-03-02T09:00:00Z");
}

/// What an action did, without its time (`line` has it).
fn line_of(a: &Action) -> String {
    line(a)
        .split_once(' ')
        .map(|(_, rest)| rest)
        .unwrap_or("")
        .split_once(' ')
        .map(|(_, what)| what.to_string())
        .unwrap_or_default()
}

#[test]
fn split_gives_each_lead_the_variant_of_its_hash() {
    let src = campaign(
        r#"
on signup start w
workflow w {
  enroll every time
  exit when did email.unsubscribed
  split {
    30% "A": send email "a"
    50% "B": send email "b"
    20% "C": send email "c"
  }
}
"#,
    );
    let mut r = Run::new(&src);
    let t0 = t("2026-03-02T09:00:00Z");
    let leads: Vec<String> = (0..300).map(|i| format!("lead-{i}")).collect();
    for round in 0..2 {
        for l in &leads {
            r.signup(l, t0 + round * DAY);
        }
    }
    let mut expected = Vec::new();
    for round in 0..2 {
        for l in &leads {
            let bucket = fnv1a(format!("w/{l}").as_bytes()) % 100;
            let v = match bucket {
                0..=29 => "A",
                30..=79 => "B",
                _ => "C",
            };
            let at = ts(t0 + round * DAY);
            expected.push(format!("{at} {l} assigned {v}"));
            expected.push(format!("{at} {l} send email {}", v.to_lowercase()));
        }
    }
    assert_eq!(r.actions(), expected);
}

/// The arm a lead takes at a split of `workflow` with these cumulative shares (in percent).
fn arm_of(workflow: &str, lead: &str, cumulative: &[u64]) -> usize {
    let bucket = fnv1a(format!("{workflow}/{lead}").as_bytes()) % 100;
    cumulative.iter().position(|c| bucket < *c).unwrap()
}

/// A lead of each arm: the first `lead-N` the hash sends there.
fn lead_in_arm(workflow: &str, arm: usize, cumulative: &[u64]) -> String {
    (0..)
        .map(|i| format!("lead-{i}"))
        .find(|l| arm_of(workflow, l, cumulative) == arm)
        .unwrap()
}

/// Issue 11 item 9: a run that passes a split is recorded as `assigned` to its arm's variant,
/// an empty (control) arm too; every action of a step inside an arm names the variant, steps
/// after the split do not; a conversion names the variant of the run, if it passed a split.
#[test]
fn a_split_records_each_assignment_and_names_the_variant_on_its_actions() {
    let src = campaign(
        r#"
on signup start w
workflow w {
  goal did ping since enrolled
  send email "before"
  wait 1d
  split {
    40% "A": send email "a"
    40% "B": { send email "b"  notify sales "b too" }
    20% "control": {}
  }
  send email "after"
  wait 1d
}
policy { frequency email at most 9 per 1d }
"#,
    );
    let shares = [40, 80, 100];
    let [a, b, control] = [0, 1, 2].map(|arm| lead_in_arm("w", arm, &shares));
    let mut r = Run::new(&src);
    let t0 = t("2026-03-02T09:00:00Z");
    for l in [&a, &b, &control, &"early".to_string()] {
        r.signup(l, t0);
    }
    // `early` converts before its run reaches the split: its conversion names no variant.
    r.track("early", t0 + 3600, "ping", &[]);
    r.until(t0 + DAY + 3600);
    for l in [&a, &b, &control] {
        r.track(l, t0 + DAY + 3600, "ping", &[]);
    }
    let records: Vec<String> = r
        .out
        .iter()
        .filter(|x| !x.kind.is_membership())
        .map(|x| {
            let j = nurture::runtime::output::to_json(x);
            let field = |k: &str| j[k].as_str().map_or("-".to_string(), str::to_string);
            format!(
                "{} {} {} {} {}",
                field("lead"),
                field("action"),
                field("template"),
                field("step"),
                field("variant")
            )
        })
        .collect();
    let at_split = |l: &str, v: &str| {
        let mut lines = vec![format!("{l} assigned - split {v}")];
        match v {
            "A" => lines.push(format!("{l} send a send email \"a\" A")),
            "B" => lines.extend([
                format!("{l} send b send email \"b\" B"),
                format!("{l} notify - notify sales B"),
            ]),
            _ => {}
        }
        lines.push(format!("{l} send after send email \"after\" -"));
        lines
    };
    let mut expected: Vec<String> = [&a, &b, &control, &"early".to_string()]
        .iter()
        .map(|l| format!("{l} send before send email \"before\" -"))
        .collect();
    expected.push("early converted - - -".into());
    for (l, v) in [(&a, "A"), (&b, "B"), (&control, "control")] {
        expected.extend(at_split(l, v));
    }
    for (l, v) in [(&a, "A"), (&b, "B"), (&control, "control")] {
        expected.push(format!("{l} converted - - {v}"));
    }
    assert_eq!(records, expected);
}

/// Issue 11 item 9: a split label names the variant in output, so it must be fixed text, as
/// a tag must (E0312).
#[test]
fn a_split_label_with_an_interpolation_is_refused() {
    let (diags, program) = check_text(&campaign(
        r#"
on signup start w
workflow w {
  exit when did ping
  split {
    50% "A {lead.email}": send email "a"
    50% "B": send email "b"
  }
}
policy { frequency email at most 3 per 7d }
"#,
    ));
    assert!(program.is_none());
    let found: Vec<(String, String)> = diags
        .iter()
        .map(|d| (d.code.to_string(), d.message.clone()))
        .collect();
    assert_eq!(
        found,
        [(
            "E0312".to_string(),
            "a split label must be fixed text, without `{…}`".to_string()
        )]
    );
}

#[test]
fn split_shares_hold_over_ten_thousand_leads() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  split {
    50% "A": send email "a"
    50% "B": send email "b"
  }
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    for i in 0..10_000 {
        r.signup(&format!("user-{i}"), t0);
    }
    let a = r
        .out
        .iter()
        .filter(|x| matches!(&x.kind, ActionKind::Send { template, .. } if template == "a"))
        .count();
    let b = r
        .out
        .iter()
        .filter(|x| matches!(&x.kind, ActionKind::Send { template, .. } if template == "b"))
        .count();
    assert_eq!(a + b, 10_000);
    assert!((4_700..=5_300).contains(&a), "{a} of 10000 got A");
}

#[test]
fn steps_report_their_workflow_and_step() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  send email "a"
  wait 1d
  notify sales "done"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    r.until(t0 + 2 * DAY);
    let sources: Vec<Source> = r.out.iter().map(|a| a.source.clone()).collect();
    assert_eq!(
        sources,
        [
            Source::Workflow {
                workflow: "w".into(),
                step: "send email \"a\"".into(),
                variant: None,
            },
            Source::Workflow {
                workflow: "w".into(),
                step: "notify sales".into(),
                variant: None,
            },
        ]
    );
}

#[test]
fn a_run_rests_at_its_wait() {
    passes(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  send email "a"
  wait 3d
  send email "b"
}
test "at step" {
  lead ann { email: "a@x.com" }
  at 2026-03-02T09:00:00Z ann signup { plan: "x" }
  expect ann in workflow w at step "wait 3d"
  after 3d
  expect ann sent email "b"
  expect ann not in workflow w
}
"#,
    ));
}

// ---- the policy --------------------------------------------------------------------------

#[test]
fn quiet_hours_hold_a_send_until_morning_in_the_leads_zone() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  send email "first"
  wait 1h
  send email "second"
}
policy { quiet hours 21:00 to 08:00 }
"#,
    ));
    r.identify(
        "ann",
        t("2026-03-01T00:00:00Z"),
        &[("timezone", V::S("America/New_York"))],
    );
    // 22:00 EST on 1 March: held to 08:00 EST = 13:00Z.
    r.signup("ann", t("2026-03-02T03:00:00Z"));
    // A UTC lead at 20:59 goes at once; its next step falls at 21:59, held to 08:00.
    r.signup("bob", t("2026-03-02T20:59:00Z"));
    r.until(t("2026-03-05T00:00:00Z"));
    assert_eq!(
        r.actions(),
        [
            "2026-03-02T13:00:00Z ann send email first",
            "2026-03-02T14:00:00Z ann send email second",
            "2026-03-02T20:59:00Z bob send email first",
            "2026-03-03T08:00:00Z bob send email second",
        ]
    );
}

#[test]
fn quiet_hours_release_at_local_morning_across_a_dst_change() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  send email "first"
  wait 1h
  send email "second"
}
policy { quiet hours 21:00 to 08:00 }
"#,
    ));
    r.identify(
        "ann",
        t("2026-03-01T00:00:00Z"),
        &[("timezone", V::S("America/New_York"))],
    );
    r.identify(
        "bob",
        t("2026-03-01T00:00:00Z"),
        &[("timezone", V::S("America/New_York"))],
    );
    // 23:00 EST on 7 March, the evening before the change: 08:00 on 8 March is EDT, 12:00Z.
    r.signup("bob", t("2026-03-08T04:00:00Z"));
    // 00:30 EST on 8 March, before the 02:00 change: also 12:00Z.
    r.signup("ann", t("2026-03-08T05:30:00Z"));
    r.until(t("2026-03-10T00:00:00Z"));
    assert_eq!(
        r.actions(),
        [
            "2026-03-08T12:00:00Z bob send email first",
            "2026-03-08T12:00:00Z ann send email first",
            "2026-03-08T13:00:00Z bob send email second",
            "2026-03-08T13:00:00Z ann send email second",
        ]
    );
}

#[test]
fn a_held_send_is_at_its_send_step() {
    passes(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  send email "first"
}
policy { quiet hours 21:00 to 08:00 }
test "held" {
  lead ann { email: "a@x.com" }
  at 2026-03-02T22:00:00Z ann signup { plan: "x" }
  expect ann not sent email "first"
  expect ann in workflow w at step "send email \"first\""
  after 10h
  expect ann sent email "first"
}
"#,
    ));
}

#[test]
fn the_frequency_cap_suppresses_the_fourth_email_and_the_workflow_goes_on() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  send email "one"
  wait 1d
  send email "two"
  wait 1d
  send email "three"
  wait 1d
  send email "four"
  wait 1d
  notify sales "after four"
  wait 3d
  send email "five"
}
policy { frequency email at most 3 per 7d }
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    r.until(t0 + 30 * DAY);
    assert_eq!(
        r.actions(),
        [
            format!("{} ann send email one", ts(t0)),
            format!("{} ann send email two", ts(t0 + DAY)),
            format!("{} ann send email three", ts(t0 + 2 * DAY)),
            format!(
                "{} ann suppressed email four (frequency email at most 3 per 7d)",
                ts(t0 + 3 * DAY)
            ),
            format!("{} ann notify sales: after four", ts(t0 + 4 * DAY)),
            // "one" went out 7 days ago: it has left the window.
            format!("{} ann send email five", ts(t0 + 7 * DAY)),
        ]
    );
    assert_eq!(r.m.stats.suppressed, 1);
}

#[test]
fn suppress_when_blocks_every_send() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did order.placed
  send email "one"
  send sms "two"
  notify sales "still told"
}
policy {
  frequency email at most 3 per 7d
  frequency sms at most 3 per 7d
  suppress when not lead.consent_email or did email.unsubscribed
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.identify("ann", t0, &[("consent_email", V::B(false))]);
    r.signup("ann", t0);
    assert_eq!(
        r.actions(),
        [
            format!(
                "{} ann suppressed email one (suppress when not lead.consent_email or did email.unsubscribed)",
                ts(t0)
            ),
            format!(
                "{} ann suppressed sms two (suppress when not lead.consent_email or did email.unsubscribed)",
                ts(t0)
            ),
            format!("{} ann notify sales: still told", ts(t0)),
        ]
    );
}

/// Issue 11 item 8: with several `suppress when` lines, a suppressed send names the one that
/// stopped it, as written (comments dropped, spaces squeezed), as a frequency cap is named.
#[test]
fn a_suppressed_send_names_the_suppress_rule_that_stopped_it() {
    let mut r = Run::new(&campaign(
        r#"
on signup send email "welcome"
policy {
  frequency email at most 3 per 7d
  suppress when not lead.consent_email
  suppress when lead.job_title == "Student"   // no budget
             or did ping within 1d
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.identify("ann", t0, &[("consent_email", V::B(false))]);
    r.signup("ann", t0);
    r.track("bob", t0, "ping", &[]);
    r.signup("bob", t0);
    r.signup("cy", t0);
    assert_eq!(
        r.actions(),
        [
            format!(
                "{} ann suppressed email welcome (suppress when not lead.consent_email)",
                ts(t0)
            ),
            format!(
                "{} bob suppressed email welcome (suppress when lead.job_title == \"Student\" or did ping within 1d)",
                ts(t0)
            ),
            format!("{} cy send email welcome", ts(t0)),
        ]
    );
    let suppressed = r
        .out
        .iter()
        .find(|a| a.lead == "bob" && a.kind.name() == "suppressed")
        .expect("bob's send was suppressed");
    assert_eq!(
        nurture::runtime::output::to_json(suppressed)["rule"],
        "suppress when lead.job_title == \"Student\" or did ping within 1d"
    );
}

#[test]
fn policies_govern_send_only() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did order.placed
  notify sales "n"
  webhook "crm" { plan: "x" }
  retarget add "audience"
  send email "held"
}
policy {
  frequency email at most 1 per 7d
  quiet hours 21:00 to 08:00
  suppress when did ping
}
"#,
    ));
    let t0 = t("2026-03-02T23:00:00Z");
    r.track("ann", t0 - DAY, "ping", &[]);
    r.signup("ann", t0);
    r.until(t0 + 2 * DAY);
    assert_eq!(
        r.actions(),
        [
            format!("{} ann notify sales: n", ts(t0)),
            format!("{} ann webhook crm plan=\"x\"", ts(t0)),
            format!("{} ann retarget add audience", ts(t0)),
            "2026-03-03T08:00:00Z ann suppressed email held (suppress when did ping)".to_string(),
        ]
    );
}

#[test]
fn a_trigger_send_is_held_in_quiet_hours_too() {
    let mut r = Run::new(&campaign(
        r#"
on signup send email "welcome"
policy {
  frequency email at most 3 per 7d
  quiet hours 21:00 to 08:00
}
"#,
    ));
    r.signup("bob", t("2026-03-02T12:00:00Z"));
    r.signup("ann", t("2026-03-02T23:00:00Z"));
    r.until(t("2026-03-04T00:00:00Z"));
    assert_eq!(
        r.actions(),
        [
            "2026-03-02T12:00:00Z bob send email welcome",
            "2026-03-03T08:00:00Z ann send email welcome",
        ]
    );
}

// ---- cascades, sets and tags -------------------------------------------------------------

#[test]
fn a_set_that_changes_a_list_re_runs_the_triggers() {
    let mut r = Run::new(&campaign(
        r#"
list customers = lead.stage == customer
on enter customers notify sales "new customer"
on signup start w
workflow w {
  exit when did email.unsubscribed
  set lead.stage = customer
  notify owner "set"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    assert_eq!(
        r.lines(),
        [
            format!("{} ann set stage=\"customer\"", ts(t0)),
            format!("{} ann notify owner: set", ts(t0)),
            format!("{} ann enter customers", ts(t0)),
            format!("{} ann notify sales: new customer", ts(t0)),
        ]
    );
}

#[test]
fn a_cascade_stops_at_depth_sixteen_with_an_error() {
    // A chain (not a cycle) of 20 attributes, each set when the one before is.
    let n = 20;
    let mut src = String::from("lead {\n  email: string\n");
    for i in 0..n {
        src.push_str(&format!("  a{i}: bool = false\n"));
    }
    src.push_str("}\nevent go\n");
    for i in 0..n {
        src.push_str(&format!("list l{i} = lead.a{i}\n"));
    }
    src.push_str("on go set lead.a0 = true\n");
    for i in 0..n - 1 {
        src.push_str(&format!("on enter l{i} set lead.a{} = true\n", i + 1));
    }
    let mut r = Run::new(&src);
    let t0 = t("2026-03-02T09:00:00Z");
    r.track("ann", t0, "go", &[]);
    let errors: Vec<String> = r
        .out
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::CascadeLimit { .. }))
        .map(line)
        .collect();
    assert_eq!(errors, [format!("{} ann error cascade 16", ts(t0))]);
    assert_eq!(r.m.stats.cascade_errors, 1);
    let sets = r
        .out
        .iter()
        .filter(|a| matches!(a.kind, ActionKind::Set { .. }))
        .count();
    assert_eq!(sets, 16, "{:#?}", r.lines());
}

#[test]
fn a_short_chain_of_sets_completes() {
    let mut r = Run::new(
        "lead { email: string, a: bool = false, b: bool = false }\nevent go\n\
         list la = lead.a\nlist lb = lead.b\n\
         on go set lead.a = true\non enter la set lead.b = true\n\
         on enter lb notify sales \"done\"\n",
    );
    let t0 = t("2026-03-02T09:00:00Z");
    r.track("ann", t0, "go", &[]);
    assert_eq!(
        r.actions(),
        [
            format!("{} ann set a=true", ts(t0)),
            format!("{} ann set b=true", ts(t0)),
            format!("{} ann notify sales: done", ts(t0)),
        ]
    );
}

#[test]
fn tags_are_visible_to_conditions() {
    passes(&campaign(
        r#"
list vips = lead.tags contains "vip"
on signup start w
on ping start u
workflow w {
  exit when did email.unsubscribed
  tag "vip"
  tag "other"
}
workflow u {
  exit when did email.unsubscribed
  untag "vip"
}
test "tags" {
  lead ann { email: "a@x.com" }
  expect ann not in vips
  at 2026-03-02T09:00:00Z ann signup { plan: "x" }
  expect ann in vips
  after 1d ann ping
  expect ann not in vips
}
"#,
    ));
}

#[test]
fn tag_and_untag_write_actions_and_drive_triggers() {
    let mut r = Run::new(&campaign(
        r#"
list vips = lead.tags contains "vip"
on enter vips notify sales "vip"
on exit vips notify sales "no longer vip"
on signup start w
workflow w {
  exit when did email.unsubscribed
  tag "vip"
  tag "vip"
  wait 1d
  if lead.tags contains "vip" { untag "vip" }
  untag "vip"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    r.until(t0 + 2 * DAY);
    assert_eq!(
        r.actions(),
        [
            format!("{} ann tag vip", ts(t0)),
            format!("{} ann notify sales: vip", ts(t0)),
            format!("{} ann untag vip", ts(t0 + DAY)),
            format!("{} ann notify sales: no longer vip", ts(t0 + DAY)),
        ]
    );
}

// ---- the clock and determinism -----------------------------------------------------------

#[test]
fn timers_due_at_an_events_time_fire_before_it() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did order.placed
  send email "one"
  wait 1d
  send email "two"
  wait 1d
  send email "three"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    // Exactly when "two" is due: the timer fires first, then the order ends the run.
    r.track(
        "ann",
        t0 + DAY,
        "order.placed",
        &[("order_id", V::S("1")), ("total", V::N(1.0))],
    );
    r.until(t0 + 5 * DAY);
    assert_eq!(
        r.actions(),
        [
            format!("{} ann send email one", ts(t0)),
            format!("{} ann send email two", ts(t0 + DAY)),
        ]
    );
}

#[test]
fn a_window_closing_at_an_events_time_closes_before_it() {
    let mut r = Run::new(&campaign(
        r#"
list recent = did ping within 1d
on exit recent notify sales "left"
on enter recent notify sales "entered"
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.track("ann", t0, "ping", &[]);
    r.track("ann", t0 + DAY, "ping", &[]);
    assert_eq!(
        r.actions(),
        [
            format!("{} ann notify sales: entered", ts(t0)),
            format!("{} ann notify sales: left", ts(t0 + DAY)),
            format!("{} ann notify sales: entered", ts(t0 + DAY)),
        ]
    );
}

#[test]
fn workflow_conditions_read_the_leads_own_scores_and_lists_when_a_timer_fires() {
    let mut r = Run::new(&campaign(
        r#"
score engagement { on signup add 10  on ping add 50 }
list recent = did ping within 3d
on signup start w
workflow w {
  exit when did email.unsubscribed
  wait 3d
  if engagement > 30 { send email "engaged" } else { send email "quiet" }
  if recent { send email "recent" }
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    r.track("ann", t0, "ping", &[]);
    // Bob's cycle runs last before Ann's timer: his scores must not leak into hers.
    r.signup("bob", t0 + DAY);
    r.track("bob", t0 + DAY, "ping", &[]);
    r.track("bob", t0 + DAY, "ping", &[]);
    r.signup("cy", t0 + 2 * DAY);
    r.until(t0 + 10 * DAY);
    assert_eq!(
        r.actions(),
        [
            // Ann's ping is exactly 3 days old: she has just left `recent`.
            format!("{} ann send email engaged", ts(t0 + 3 * DAY)),
            format!("{} bob send email engaged", ts(t0 + 4 * DAY)),
            format!("{} cy send email quiet", ts(t0 + 5 * DAY)),
        ]
    );
}

/// A campaign whose leads emit every kind of workflow action, with policy, decay and splits.
const IDS_CAMPAIGN: &str = r#"
score engagement { decay 50% every 7d  on signup add 20  on email.opened add 5 }
list warm = engagement >= 10
on enter warm notify sales "warm"
on exit warm notify sales "cold"
on signup start w
workflow w {
  exit when did email.unsubscribed
  goal did order.placed within 10d
  send email "a"
  wait up to 2d for email.opened
  if received { send email "b" } else { send email "c" }
  wait until weekday 10:00
  split {
    50% "A": send email "x"
    50% "B": send email "y"
  }
}
policy { frequency email at most 2 per 7d  quiet hours 21:00 to 08:00 }
"#;

/// Twenty leads through `IDS_CAMPAIGN` over forty days, after the lines of `before` (a lead
/// and its events an hour before the first of them): every action emitted.
fn play_ids(before: &[(&str, &str)]) -> Vec<Action> {
    let mut r = Run::new(&campaign(IDS_CAMPAIGN));
    let t0 = t("2026-03-02T09:00:00Z");
    for (lead, event) in before {
        match *event {
            "signup" => r.signup(lead, t0 - HOUR),
            e => r.track(lead, t0 - HOUR, e, &[("template", V::S("a"))]),
        }
    }
    for i in 0..20 {
        let lead = format!("lead-{i}");
        r.signup(&lead, t0 + i * HOUR);
        if i % 3 == 0 {
            r.track(
                &lead,
                t0 + i * HOUR + 60 * SEC,
                "email.opened",
                &[("template", V::S("a"))],
            );
        }
        if i % 4 == 0 {
            r.track(
                &lead,
                t0 + i * HOUR + 120 * SEC,
                "order.placed",
                &[("order_id", V::S("1")), ("total", V::N(1.0))],
            );
        }
    }
    r.until(t0 + 40 * DAY);
    r.out
}

#[test]
fn the_same_input_gives_the_same_actions_and_ids() {
    let first = play_ids(&[]);
    let second = play_ids(&[]);
    assert!(first.len() > 40, "{}", first.len());
    assert_eq!(first, second);
    let mut ids: Vec<u64> = first.iter().map(|a| a.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), first.len(), "every action has its own id");
}

#[test]
fn another_leads_lines_leave_a_leads_action_ids_as_they_were() {
    // Issue 11 item 5: a lead's ids depend on its own input only, so a log corrected by a
    // line of another lead, run again, repeats every other lead's actions with their ids.
    let alone = play_ids(&[]);
    let after_zed = play_ids(&[("zed", "signup"), ("zed", "email.opened")]);
    assert!(after_zed.iter().any(|a| a.lead == "zed"));
    let others: Vec<&Action> = after_zed.iter().filter(|a| a.lead != "zed").collect();
    assert_eq!(others, alone.iter().collect::<Vec<_>>());
}

#[test]
fn a_message_counts_since_the_run_began() {
    // `since enrolled` in a message reads the run's start, as in a condition or a webhook.
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  enroll every time
  wait 1d
  notify sales "{count email.opened since enrolled} opens in the run"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.track("ann", t0, "email.opened", &[("template", V::S("a"))]);
    r.signup("ann", t0 + 60 * SEC);
    r.track(
        "ann",
        t0 + 120 * SEC,
        "email.opened",
        &[("template", V::S("a"))],
    );
    r.until(t0 + 2 * DAY);
    assert_eq!(
        r.actions(),
        [format!(
            "{} ann notify sales: 1 opens in the run",
            ts(t0 + 60 * SEC + DAY)
        )]
    );
}

#[test]
fn a_campaign_with_a_wrong_expectation_fails_its_test() {
    // The runner's expectations can fail: the tests above are not vacuous.
    let failed = failing(&campaign(
        r#"
score engagement { decay 50% every 30d  on signup add 20 }
test "wrong" {
  lead ann { email: "a@x.com" }
  at 2026-03-02T09:00:00Z ann signup { plan: "x" }
  after 30d
  expect engagement of ann == 20
}
"#,
    ));
    assert_eq!(failed, ["wrong"]);
}

// ---- times past 2106 ----------------------------------------------------------------------
//
// Records end in 2100 (`nurture::time`), but what they set going may come due a century later,
// past 2106, where `u32` seconds end. The clock gets there only through timers (`--until`),
// and everything the VM keeps while it is there must hold.

/// The last record time, 2099-12-31T00:00:00Z.
const LATE: &str = "2099-12-31T00:00:00Z";

#[test]
fn waits_set_near_2100_fire_past_2106_at_their_time() {
    let mut r = Run::new(&campaign(
        r#"
on signup start decade
on signup start century
workflow decade {
  exit when did email.unsubscribed
  wait 520w
  notify sales "ten years on"
  wait until 10:00
  notify sales "and at ten"
}
workflow century {
  exit when did email.unsubscribed
  wait 36600d
  notify sales "the longest wait"
}
"#,
    ));
    let t0 = t(LATE);
    r.signup("ann", t0);
    r.until(nurture::lang::time::LAST_CLOCK);
    assert_eq!(
        r.actions(),
        [
            "2109-12-19T00:00:00Z ann notify sales: ten years on",
            "2109-12-19T10:00:00Z ann notify sales: and at ten",
            "2200-03-17T00:00:00Z ann notify sales: the longest wait",
        ]
    );
    assert!(!r.in_workflow("ann", "decade") && !r.in_workflow("ann", "century"));
}

#[test]
fn the_longest_wait_from_today_fires_past_2106_and_a_longer_one_is_refused() {
    // Issue 11 item 6: the longest duration the checker takes (100 years of 366 days,
    // `36600d`) set going in 2026 fires in 2126, past 2106-02-07 where 32-bit seconds end;
    // a day more is an error (E0005), not a wait that never fires.
    let mut r = Run::new(&campaign(
        r#"
on signup start century
workflow century {
  exit when did email.unsubscribed
  wait 36600d
  notify sales "a century on"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    assert_eq!(r.m.next_timer(), Some(t("2126-05-17T09:00:00Z")));
    r.until(nurture::lang::time::LAST_CLOCK);
    assert_eq!(
        r.actions(),
        ["2126-05-17T09:00:00Z ann notify sales: a century on"]
    );
    let (diags, program) = check_text(&campaign(
        "on signup start w\nworkflow w {\n  exit when did ping\n  wait 36601d\n  notify sales \"x\"\n}\n",
    ));
    assert!(program.is_none());
    let found: Vec<String> = diags
        .iter()
        .map(|d| format!("{}: {}", d.code.as_str(), d.message))
        .collect();
    assert_eq!(found, ["E0005: `36601d` is too long a duration"]);
}

#[test]
fn a_run_waiting_past_2106_shows_its_wake() {
    let mut r = Run::new(&campaign(
        r#"
on signup start decade
workflow decade {
  exit when did email.unsubscribed
  wait 520w
  notify sales "ten years on"
}
"#,
    ));
    r.signup("ann", t(LATE));
    let l = r.m.find_lead("ann").unwrap();
    let (wake, enrolled, _) = r.m.run_times(l, 0);
    assert_eq!(wake, Some(t("2109-12-19T00:00:00Z")));
    assert_eq!(enrolled, Some(t(LATE)));
    assert_eq!(r.m.next_timer(), Some(t("2109-12-19T00:00:00Z")));
}

#[test]
fn caps_and_enrollment_rules_count_what_happens_past_2106() {
    let mut r = Run::new(&campaign(
        r#"
on signup start decade
workflow decade {
  exit when did email.unsubscribed
  wait 520w
  send email "ten-years-on"
  send email "over-the-cap"
  start again
  wait 1d
  start again
  wait 30d
  start again
  wait 8d
  send email "a-week-later"
}
workflow again {
  enroll once per 30d
  notify sales "again"
}
policy { frequency email at most 1 per 7d }
"#,
    ));
    let t0 = t(LATE);
    r.signup("ann", t0);
    r.until(nurture::lang::time::LAST_CLOCK);
    let due = t("2109-12-19T00:00:00Z");
    assert_eq!(
        r.actions(),
        [
            format!("{} ann send email ten-years-on", ts(due)),
            format!(
                "{} ann suppressed email over-the-cap (frequency email at most 1 per 7d)",
                ts(due)
            ),
            format!("{} ann notify sales: again", ts(due)),
            // A day later `once per 30d` refuses; 31 days later it lets the lead in again.
            format!("{} ann notify sales: again", ts(due + 31 * DAY)),
            format!("{} ann send email a-week-later", ts(due + 39 * DAY)),
        ]
    );
}

#[test]
fn a_window_closing_past_2106_is_rechecked_on_time() {
    let mut r = Run::new(&campaign(
        r#"
list active = did ping within 3650d
on exit active notify owner "quiet for ten years"
"#,
    ));
    let t0 = t(LATE);
    r.track("ann", t0, "ping", &[]);
    assert!(r.in_list("ann", "active"));
    r.until(nurture::lang::time::LAST_CLOCK);
    assert!(!r.in_list("ann", "active"));
    assert_eq!(
        r.actions(),
        [format!(
            "{} ann notify owner: quiet for ten years",
            ts(t0 + 3650 * DAY)
        )]
    );
}

#[test]
fn a_test_can_wait_past_2106() {
    passes(&campaign(
        r#"
on signup start decade
workflow decade {
  exit when did email.unsubscribed
  wait 520w
  send email "ten-years-on"
}
policy { frequency email at most 1 per 7d }
test "a decade after the last record" {
  lead ann { email: "ann@x.com" }
  at 2099-12-31T00:00:00Z ann signup { plan: "x" }
  after 519w
  expect ann not sent email "ten-years-on"
  after 1w
  expect ann sent email "ten-years-on"
  expect ann not in workflow decade
}
"#,
    ));
}

#[test]
fn a_test_whose_leads_events_or_clock_leave_the_range_is_an_error() {
    let diags = |body: &str| {
        let (diags, program) = check_text(&campaign(&format!(
            "test \"t\" {{\n  lead ann {{ email: \"a@x.com\" }}\n{body}\n}}\n"
        )));
        assert!(program.is_none(), "{body}");
        // The errors (the schema's unused events are warned about alongside).
        diags
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{}: {}", d.code.as_str(), d.message))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        diags("  at 2100-01-01T00:00:01Z ann signup { plan: \"x\" }"),
        [
            "E0005: a lead at 2100-01-01T00:00:01Z is outside the supported range 1970-01-01 to 2100-01-01",
            "E0005: an event at 2100-01-01T00:00:01Z is outside the supported range 1970-01-01 to 2100-01-01",
        ]
    );
    // The clock starts at the test's first `at`: that is the one error.
    assert_eq!(
        diags("  at 1969-12-31T23:59:59Z"),
        ["E0005: `at` 1969-12-31T23:59:59Z is outside the supported range 1970-01-01 to 2201-01-01"]
    );
    assert_eq!(
        diags("  at 2099-12-31T00:00:00Z\n  after 5200w\n  after 5200w"),
        ["E0005: the clock at 2299-04-27T00:00:00Z is outside the supported range 1970-01-01 to 2201-01-01"]
    );
    // Up to 2100-01-01 itself, and no further.
    assert!(
        !diags("  at 2099-12-31T00:00:00Z\n  after 1d ann ping\n  after 1s ann ping").is_empty()
    );
    let (_, program) = check_text(&campaign(
        "test \"t\" {\n  at 2099-12-31T00:00:00Z\n  after 1d ann ping\n}\n",
    ));
    assert!(program.is_some());
}

// ---- more of the contract ------------------------------------------------------------------

#[test]
fn exit_and_goal_are_checked_when_a_lead_enrolls() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  enroll every time
  exit when did order.placed
  goal did form.submitted within 30d
  send email "hello"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    let order = [("order_id", V::S("1")), ("total", V::N(5.0))];
    r.track("ann", t0, "order.placed", &order);
    r.signup("ann", t0 + DAY);
    r.track("bob", t0, "form.submitted", &[("form", V::S("demo"))]);
    r.signup("bob", t0 + DAY);
    r.signup("cy", t0 + DAY);
    assert_eq!(
        r.actions(),
        [
            format!("{} bob converted w", ts(t0 + DAY)),
            format!("{} cy send email hello", ts(t0 + DAY)),
        ]
    );
    assert_eq!(r.m.stats.conversions, 1);
}

#[test]
fn an_exit_that_comes_to_hold_with_time_ends_the_run_before_its_next_step() {
    let mut r = Run::new(&campaign(
        r#"
score engagement { decay 50% every 10d  on signup add 40 }
on signup start w
workflow w {
  exit when engagement < 10
  send email "now"
  wait 30d
  send email "later"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    r.until(t0 + 40 * DAY);
    // 40 points are 5 after 30 days: the run has ended when its wait is over.
    assert_eq!(r.actions(), [format!("{} ann send email now", ts(t0))]);
    assert!(!r.in_workflow("ann", "w"));
}

#[test]
fn the_frequency_cap_is_checked_when_a_held_send_goes_out() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  send email "evening"
  wait 1h
  send email "held"
}
policy {
  frequency email at most 1 per 12h
  quiet hours 21:00 to 08:00
}
"#,
    ));
    // "evening" at 20:00; "held" is due at 21:00, when the cap would stop it, but goes out
    // at 08:00, exactly 12 hours later, when the first send has left the window.
    r.signup("ann", t("2026-03-02T20:00:00Z"));
    r.until(t("2026-03-04T00:00:00Z"));
    assert_eq!(
        r.actions(),
        [
            "2026-03-02T20:00:00Z ann send email evening",
            "2026-03-03T08:00:00Z ann send email held",
        ]
    );
}

#[test]
fn a_wait_for_an_event_that_comes_exactly_at_the_timeout_times_out_first() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  wait up to 2d for ping
  if received { send email "got" } else { send email "missed" }
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    r.signup("bob", t0);
    r.track("bob", t0 + 2 * DAY - 1, "ping", &[]);
    r.track("ann", t0 + 2 * DAY, "ping", &[]);
    r.until(t0 + 5 * DAY);
    assert_eq!(
        r.actions(),
        [
            format!("{} bob send email got", ts(t0 + 2 * DAY - 1)),
            format!("{} ann send email missed", ts(t0 + 2 * DAY)),
        ]
    );
}

#[test]
fn wait_until_without_weekday_goes_on_any_day() {
    let mut r = Run::new(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  wait until 10:00
  send email "a"
}
"#,
    ));
    // Saturday 11:00 UTC: Sunday 10:00.
    r.signup("ann", t("2026-03-07T11:00:00Z"));
    r.until(t("2026-03-10T00:00:00Z"));
    assert_eq!(r.actions(), ["2026-03-08T10:00:00Z ann send email a"]);
}

#[test]
fn trigger_filters_and_stop() {
    let mut r = Run::new(&campaign(
        r#"
on order.placed where total > 50  start w
on ping                           stop w
workflow w {
  exit when did email.unsubscribed
  send email "thanks"
  wait 1d
  send email "review"
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.track(
        "ann",
        t0,
        "order.placed",
        &[("order_id", V::S("1")), ("total", V::N(20.0))],
    );
    r.track(
        "bob",
        t0,
        "order.placed",
        &[("order_id", V::S("2")), ("total", V::N(80.0))],
    );
    r.track(
        "cy",
        t0,
        "order.placed",
        &[("order_id", V::S("3")), ("total", V::N(90.0))],
    );
    r.track("cy", t0 + HOUR, "ping", &[]);
    r.until(t0 + 3 * DAY);
    assert_eq!(
        r.actions(),
        [
            format!("{} bob send email thanks", ts(t0)),
            format!("{} cy send email thanks", ts(t0)),
            format!("{} bob send email review", ts(t0 + DAY)),
        ]
    );
}

#[test]
fn messages_and_webhooks_carry_values_at_that_moment() {
    let mut r = Run::new(&campaign(
        r#"
score engagement { decay 50% every 30d  on signup add 10 }
on signup start w
workflow w {
  exit when did email.unsubscribed
  wait 15d
  notify sales "{lead.email} has {engagement} points, title {lead.job_title ?? "unknown"}"
  tag "vip"
  webhook "crm" { size: lead.company_size, stage: lead.stage, score: engagement, tags: lead.tags }
}
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.identify(
        "ann",
        t0,
        &[("email", V::S("ann@x.com")), ("stage", V::E(2))],
    );
    r.signup("ann", t0);
    r.until(t0 + 20 * DAY);
    assert_eq!(
        r.actions(),
        [
            format!(
                "{} ann notify sales: ann@x.com has 7.07 points, title unknown",
                ts(t0 + 15 * DAY)
            ),
            format!("{} ann tag vip", ts(t0 + 15 * DAY)),
            format!(
                "{} ann webhook crm size=null stage=\"decision\" score=7.0710678118654755 tags=[\"vip\"]",
                ts(t0 + 15 * DAY)
            ),
        ]
    );
}

/// Issue 11 item 10: an action of a trigger names the trigger, by what sets it off as written
/// (the filter quoted, comments dropped) and by its line, not by a number to count out.
#[test]
fn a_trigger_action_names_its_trigger_and_line() {
    let src = campaign(
        r#"
list pinged = did ping
on signup where plan == "pro"   // the paying plan
  notify sales "pro"
on enter pinged  tag "pinged"
"#,
    );
    let line_of = |start: &str| src.lines().position(|l| l.starts_with(start)).unwrap() + 1;
    let mut r = Run::new(&src);
    let t0 = t("2026-03-02T09:00:00Z");
    r.track("ann", t0, "signup", &[("plan", V::S("pro"))]);
    r.track("ann", t0, "ping", &[]);
    let records: Vec<serde_json::Value> = r
        .out
        .iter()
        .filter(|a| !a.kind.is_membership())
        .map(nurture::runtime::output::to_json)
        .collect();
    let named: Vec<(&str, &str, u64)> = records
        .iter()
        .map(|j| {
            (
                j["action"].as_str().unwrap(),
                j["trigger"].as_str().unwrap(),
                j["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            (
                "notify",
                "on signup where plan == \"pro\"",
                line_of("on signup") as u64
            ),
            ("tag", "on enter pinged", line_of("on enter") as u64),
        ]
    );
}

/// Issue 11 item 7: an enum constant in a webhook field is written by its name, as an
/// enum attribute is, and so are the constants of a list of them; a `set` of an enum in a
/// test's trace names the constant bare, as the language writes it.
#[test]
fn enum_constants_are_written_by_name_in_webhooks_and_traces() {
    let src = campaign(
        r#"
on signup webhook "crm" { stage: decision, stages: [awareness, decision], was: lead.stage }
on signup set lead.stage = customer
test "the trace names the constant" {
  at 2026-03-02T09:00:00Z ann signup { plan: "x" }
  expect lead.stage of ann == awareness
}
"#,
    );
    let mut r = Run::new(&src);
    let t0 = t("2026-03-02T09:00:00Z");
    r.signup("ann", t0);
    assert_eq!(
        r.actions(),
        [
            format!(
                "{} ann webhook crm stage=\"decision\" stages=[\"awareness\",\"decision\"] was=\"awareness\"",
                ts(t0)
            ),
            format!("{} ann set stage=\"customer\"", ts(t0)),
        ]
    );
    let (_, program) = check_text(&src);
    let reports = testing::run(&program.expect("checks")).expect("compiles");
    assert_eq!(
        reports[0].failures[0].happened,
        [
            "lead.stage of ann is customer",
            "2026-03-02T09:00:00Z webhook \"crm\" [on signup, line 15]",
            "2026-03-02T09:00:00Z set lead.stage = customer [on signup, line 16]",
        ]
    );
}

#[test]
fn scores_are_64_bit_numbers() {
    // Issue 11 item 4: a score is a 64-bit float wherever a user sees it, and JSON output
    // prints the shortest text that reads back as the same number.
    let mut r = Run::new(&campaign(
        r#"
score points { on ping add 0.1 }
score big { on signup add 16777217 }
score both { when lead.consent_email add 0.1  when lead.email is set add 0.2 }
on email.clicked webhook "totals" { points: points, big: big, both: both }
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.identify("ann", t0, &[("email", V::S("ann@x.com"))]);
    for i in 0..10 {
        r.track("ann", t0 + i * SEC, "ping", &[]);
    }
    r.signup("ann", t0 + 10 * SEC);
    r.signup("ann", t0 + 11 * SEC);
    r.track(
        "ann",
        t0 + 12 * SEC,
        "email.clicked",
        &[("template", V::S("x"))],
    );
    let sum: f64 = (0..10).fold(0.0, |acc, _| acc + 0.1);
    assert_eq!(sum, 0.9999999999999999);
    assert_eq!(r.score("ann", "points"), sum);
    assert_eq!(r.score("ann", "big"), 33_554_434.0);
    assert_eq!(r.score("ann", "both"), 0.1 + 0.2);
    assert_eq!(
        r.actions(),
        [format!(
            "{} ann webhook totals points=0.9999999999999999 big=33554434.0 both=0.30000000000000004",
            ts(t0 + 12 * SEC)
        )]
    );
}

#[test]
fn exit_triggers_run_in_source_order_with_enter_triggers() {
    let mut r = Run::new(&campaign(
        r#"
list recent = did ping within 1d
list stale = not did ping within 1d
on exit recent  notify sales "1 left recent"
on enter stale  notify sales "2 entered stale"
on exit recent  notify owner "3 left recent"
"#,
    ));
    let t0 = t("2026-03-02T09:00:00Z");
    r.track("ann", t0, "ping", &[]);
    r.until(t0 + 2 * DAY);
    assert_eq!(
        r.lines(),
        [
            format!("{} ann enter recent", ts(t0)),
            format!("{} ann exit recent", ts(t0 + DAY)),
            format!("{} ann enter stale", ts(t0 + DAY)),
            format!("{} ann notify sales: 1 left recent", ts(t0 + DAY)),
            format!("{} ann notify sales: 2 entered stale", ts(t0 + DAY)),
            format!("{} ann notify owner: 3 left recent", ts(t0 + DAY)),
        ]
    );
}

#[test]
fn an_expectation_on_history_the_campaign_does_not_keep_is_an_error_not_a_panic() {
    let (diags, program) = check_text(&campaign(
        r#"
list readers = did signup
test "untracked" {
  lead ann { email: "a@x.com" }
  at 2026-03-02T09:00:00Z ann signup { plan: "x" }
  expect ann in readers
  expect (count ping) of ann == 0
}
"#,
    ));
    let program = program.unwrap_or_else(|| panic!("{diags:#?}"));
    assert!(testing::run(&program).is_err());
}

#[test]
fn identify_and_track_interleave_deterministically() {
    let src = campaign(
        r#"
score fit { when lead.company_size >= 50 add 30 }
score engagement { decay 50% every 5d  on signup add 40  on ping add 5 at most 2 times per 1d }
score total = fit + engagement
list hot = total >= 50
on enter hot start handoff
on exit hot notify sales "cooled"
workflow handoff {
  enroll once per 7d
  exit when did email.unsubscribed
  notify sales "hot: {total}"
  wait until weekday 10:00
  send email "call-us"
}
policy { frequency email at most 3 per 7d  quiet hours 21:00 to 08:00 }
"#,
    );
    let play = || {
        let mut r = Run::new(&src);
        let t0 = t("2026-03-02T00:00:00Z");
        for i in 0..30i64 {
            let lead = format!("l{}", i % 7);
            let at = t0 + i * 7_919 * SEC;
            if i % 5 == 0 {
                r.identify(&lead, at, &[("company_size", V::I(i * 10))]);
            }
            r.signup(&lead, at);
            r.track(&lead, at + 60 * SEC, "ping", &[]);
        }
        r.until(t0 + 30 * DAY);
        (r.out, r.m.stats.clone())
    };
    let (a, sa) = play();
    let (b, sb) = play();
    assert!(a.iter().any(|x| matches!(x.kind, ActionKind::Send { .. })));
    assert!(a
        .iter()
        .any(|x| matches!(x.kind, ActionKind::Exited { .. })));
    assert_eq!(a, b);
    assert_eq!(sa, sb);
}

#[test]
fn a_goal_reads_as_a_conversion_in_tests() {
    passes(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  goal did order.placed since enrolled
  send email "one"
  wait 3d
  send email "two"
}
test "converts" {
  lead ann { email: "a@x.com" }
  at 2026-03-02T09:00:00Z ann order.placed { order_id: "0", total: 1 }
  after 1h ann signup { plan: "x" }
  expect ann sent email "one"
  expect ann not converted in w
  after 1d ann order.placed { order_id: "1", total: 10 }
  expect ann converted in w
  expect ann not in workflow w
  after 3d
  expect ann not sent email "two"
}
"#,
    ));
}

#[test]
fn an_identify_can_end_a_run() {
    passes(&campaign(
        r#"
on signup start w
workflow w {
  exit when lead.stage == customer
  send email "one"
  wait 3d
  send email "two"
}
test "becoming a customer ends the run" {
  lead ann { email: "a@x.com" }
  at 2026-03-02T09:00:00Z ann signup { plan: "x" }
  expect ann in workflow w at step "wait 3d"
  after 1d
  lead ann { stage: customer }
  expect ann not in workflow w
  after 3d
  expect ann not sent email "two"
}
"#,
    ));
}

#[test]
fn count_since_enrolled_counts_the_run_only() {
    passes(&campaign(
        r#"
on signup start w
workflow w {
  exit when did email.unsubscribed
  wait 7d
  if count email.opened since enrolled >= 2 { send email "fan" } else { send email "meh" }
}
test "two opens in the run" {
  lead ann { email: "a@x.com" }
  at 2026-03-01T09:00:00Z ann email.opened { template: "x" }
  after 1h ann email.opened { template: "x" }
  after 1h ann signup { plan: "x" }
  after 1d ann email.opened { template: "x" }
  after 7d
  expect ann sent email "meh"
  expect ann not sent email "fan"
}
test "three opens, two in the run" {
  lead bob { email: "b@x.com" }
  at 2026-03-01T09:00:00Z bob email.opened { template: "x" }
  after 1h bob signup { plan: "x" }
  after 1d bob email.opened { template: "x" }
  after 1d bob email.opened { template: "x" }
  after 7d
  expect bob sent email "fan"
}
"#,
    ));
}

#[test]
fn a_set_is_seen_at_once_by_the_steps_after_it() {
    passes(include_str!("fixtures/set_seen_at_once.nurture"));
}

#[test]
fn a_filter_on_an_on_rule_reads_its_own_leads_score() {
    passes(
        r#"
lead { email: string }
event visit.made as "Visit" { n: int }
score seen { on visit.made add 10 }
score vip { on visit.made where seen >= 20 add 1 }
// Rules apply in source order: by ann's second visit `seen` is 20, so `vip` counts it.
test "another lead's score does not leak into the filter" {
  lead ann { email: "a@b.c" }
  lead bob { email: "b@b.c" }
  at 2026-03-02T09:00:00Z ann visit.made { n: 1 }
  at 2026-03-02T09:01:00Z ann visit.made { n: 1 }
  at 2026-03-02T09:02:00Z ann visit.made { n: 1 }
  at 2026-03-02T09:03:00Z bob visit.made { n: 1 }
  expect vip of ann == 2
  expect vip of bob == 0
}
"#,
    );
}

#[test]
fn no_two_actions_share_an_id() {
    let src = r#"
lead { email: string, spent: number = 0 }
event order.made as "Order" { total: number }
on order.made webhook "crm-order"
"#;
    let (diags, program) = check_text(src);
    let program = program.unwrap_or_else(|| panic!("{diags:#?}"));
    let mut engine = Engine::new(&program, &Options::default()).unwrap();
    let mut actions: Vec<Action> = Vec::new();
    for (i, total) in [1.0, 2.0, 3.0].iter().enumerate() {
        let line = format!(
            r#"{{"type":"track","userId":"ann","event":"Order","properties":{{"total":{total}}},"timestamp":"2026-03-02T09:00:00Z"}}"#
        );
        assert!(engine.feed(&line, i as u64 + 1, &mut actions).is_none());
    }
    let mut ids: Vec<u64> = actions.iter().map(|a| a.id).collect();
    assert_eq!(ids.len(), 3);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 3, "{actions:#?}");
}

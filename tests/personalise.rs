//! Personalisation (issue 15): steps read the event that started their run, or that a wait
//! received (`event.total`, `order.placed.total`, `received.rep`); actions carry typed
//! `with { … }` data; webhook fields take built text; `send chat` obeys the policy. Each
//! behaviour through `nurture run` as a user runs it (output JSON lines), and the checker's
//! refusals by code.

use nurture::check::check_text;
use nurture::diag::Code;
use nurture::testing;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_nurture");

/// Runs `nurture run CAMPAIGN` in `dir` with these arguments; the actions it wrote.
fn run(dir: &Path, args: &[&str]) -> Vec<Value> {
    let out = Command::new(BIN)
        .arg("run")
        .arg("campaign.nurture")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("runs nurture");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "nurture run failed: {stderr}");
    String::from_utf8(out.stdout)
        .expect("output is UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("an action is JSON"))
        .collect()
}

/// `nurture run` over `events.jsonl`, the clock moved on to `until` after it.
fn run_until(dir: &Path, until: &str) -> Vec<Value> {
    run(dir, &["--events", "events.jsonl", "--until", until])
}

/// A directory holding the campaign and its events (`events.jsonl`).
fn setup(campaign: &str, events: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("campaign.nurture"), campaign).expect("writes campaign");
    std::fs::write(dir.path().join("events.jsonl"), events.join("\n") + "\n")
        .expect("writes events");
    dir
}

/// The actions of one kind (`send`, `notify`, `webhook`, …).
fn of<'a>(actions: &'a [Value], kind: &str) -> Vec<&'a Value> {
    actions.iter().filter(|a| a["action"] == kind).collect()
}

const CART: &str = r#"campaign "Carts"

lead {
  email: string
  first_name: string?
  timezone: timezone = "UTC"
}

event cart.abandoned as "Cart Abandoned" { cart_id: string, cart_value: number, items: int, coupon: string? }

on cart.abandoned start recovery

workflow recovery {
  enroll every time
  exit when did order.placed since enrolled

  wait 1h
  send email "cart-reminder" with {
    cart: event.cart_id,
    items: event.items,
    value: cart.abandoned.cart_value,
    coupon: event.coupon ?? "none",
    first_name: lead.first_name ?? "there",
    line: "{event.items} items, {event.cart_value} in all",
    tags: ["cart", "reminder"]
  }
}

policy { frequency email at most 5 per 1d }
"#;

const ANN: &str = r#"{"type":"identify","userId":"ann","traits":{"email":"ann@example.com","first_name":"Ann"},"timestamp":"2026-03-02T09:00:00Z"}"#;

fn cart_event(lead: &str, id: &str, value: f64, items: i64, at: &str) -> String {
    format!(
        r#"{{"type":"track","userId":"{lead}","event":"Cart Abandoned","properties":{{"cart_id":"{id}","cart_value":{value:?},"items":{items}}},"timestamp":"{at}"}}"#
    )
}

#[test]
fn a_cart_reminder_carries_the_items_and_value_of_the_cart_that_started_it() {
    let first = cart_event("ann", "c-1", 84.5, 2, "2026-03-02T10:00:00Z");
    // Bob's later cart must not leak into Ann's reminder, nor hers into his.
    let bob = cart_event("bob", "c-2", 12.0, 1, "2026-03-02T10:30:00Z");
    let dir = setup(CART, &[ANN, &first, &bob]);
    let actions = run_until(dir.path(), "2026-03-03T00:00:00Z");
    let sends = of(&actions, "send");
    assert_eq!(sends.len(), 2, "{actions:#?}");
    assert_eq!(sends[0]["lead"], "ann");
    assert_eq!(
        sends[0]["data"],
        json!({
            "cart": "c-1",
            "items": 2,
            "value": 84.5,
            "coupon": "none",
            "first_name": "Ann",
            "line": "2 items, 84.5 in all",
            "tags": ["cart", "reminder"]
        })
    );
    assert_eq!(sends[1]["lead"], "bob");
    assert_eq!(sends[1]["data"]["cart"], "c-2");
    assert_eq!(sends[1]["data"]["items"], 1, "an int stays a whole number");
    assert_eq!(sends[1]["data"]["first_name"], "there");
}

#[test]
fn a_new_cart_restarting_the_run_replaces_the_event_it_reads() {
    let first = cart_event("ann", "c-1", 84.5, 2, "2026-03-02T10:00:00Z");
    let second = cart_event("ann", "c-9", 30.0, 5, "2026-03-02T10:30:00Z");
    let dir = setup(CART, &[ANN, &first, &second]);
    let actions = run_until(dir.path(), "2026-03-03T00:00:00Z");
    let sends = of(&actions, "send");
    assert_eq!(sends.len(), 1, "the first run was restarted: {actions:#?}");
    assert_eq!(sends[0]["data"]["cart"], "c-9");
    assert_eq!(sends[0]["data"]["value"], 30.0);
}

/// Ann's cart recovery run, waiting its hour, in a state database (`leads.db`).
fn ann_waiting_in_state() -> tempfile::TempDir {
    let first = cart_event("ann", "c-1", 84.5, 2, "2026-03-02T10:00:00Z");
    let dir = setup(CART, &[ANN, &first]);
    let before = run(
        dir.path(),
        &["--state", "leads.db", "--events", "events.jsonl"],
    );
    assert!(of(&before, "send").is_empty(), "{before:#?}");
    dir
}

#[test]
fn a_waiting_run_resumed_from_state_still_reads_its_event() {
    // The first run stops while the run waits its hour; the second only moves the clock.
    let dir = ann_waiting_in_state();
    let after = run(
        dir.path(),
        &["--state", "leads.db", "--until", "2026-03-03T00:00:00Z"],
    );
    let sends = of(&after, "send");
    assert_eq!(sends.len(), 1, "{after:#?}");
    assert_eq!(
        sends[0]["data"]["cart"], "c-1",
        "the text was kept with the lead"
    );
    assert_eq!(sends[0]["data"]["value"], 84.5);
    assert_eq!(sends[0]["data"]["line"], "2 items, 84.5 in all");
}

const MEETING: &str = r#"campaign "Hand-off"

lead { email: string }

event demo.requested { deal_size: number }
event meeting.booked as "Meeting Booked" { rep: string }

on demo.requested start handoff

workflow handoff {
  goal did order.placed
  notify sales "Demo asked, deal of {event.deal_size}" with { deal_size: event.deal_size }
  wait up to 3d for meeting.booked
  if received {
    notify sales "Booked with {received.rep}" with { rep: received.rep, deal_size: demo.requested.deal_size }
  } else {
    notify owner "No meeting booked" with { rep: received.rep }
  }
}
"#;

fn demo(lead: &str, size: f64, at: &str) -> String {
    format!(
        r#"{{"type":"track","userId":"{lead}","event":"demo.requested","properties":{{"deal_size":{size:?}}},"timestamp":"{at}"}}"#
    )
}

#[test]
fn a_notify_after_a_wait_for_a_meeting_carries_the_booked_rep() {
    let booked = r#"{"type":"track","userId":"dee","event":"Meeting Booked","properties":{"rep":"Jo"},"timestamp":"2026-03-03T09:00:00Z"}"#;
    let dir = setup(
        MEETING,
        &[
            &demo("dee", 48000.0, "2026-03-02T09:00:00Z"),
            &demo("max", 9000.0, "2026-03-02T10:00:00Z"),
            booked,
        ],
    );
    let actions = run_until(dir.path(), "2026-03-09T00:00:00Z");
    let notes = of(&actions, "notify");
    let dee: Vec<_> = notes.iter().filter(|a| a["lead"] == "dee").collect();
    assert_eq!(dee.len(), 2, "{actions:#?}");
    assert_eq!(dee[0]["message"], "Demo asked, deal of 48000");
    assert_eq!(dee[0]["data"], json!({"deal_size": 48000.0}));
    assert_eq!(dee[1]["message"], "Booked with Jo");
    assert_eq!(dee[1]["data"], json!({"rep": "Jo", "deal_size": 48000.0}));
    // Max never books: the wait times out and there is no received event.
    let max: Vec<_> = notes.iter().filter(|a| a["lead"] == "max").collect();
    assert_eq!(max.len(), 2, "{actions:#?}");
    assert_eq!(max[1]["audience"], "owner");
    assert_eq!(max[1]["data"], json!({"rep": null}));
}

#[test]
fn a_webhook_takes_built_text_and_a_trigger_reads_its_event() {
    let campaign = r#"campaign "Hooks"
lead { email: string  first_name: string? }
event order.done as "Order Done" { order_id: string, total: number }
on order.done webhook "crm-note" {
  note: "Order {event.order_id} for {order.done.total} by {lead.first_name ?? lead.email}",
  total: event.total,
  first_name: lead.first_name
} with { source: "nurture" }
"#;
    let eve = r#"{"type":"identify","userId":"eve","traits":{"email":"eve@example.com"},"timestamp":"2026-03-02T09:00:00Z"}"#;
    let order = r#"{"type":"track","userId":"eve","event":"Order Done","properties":{"order_id":"o-7","total":120.5},"timestamp":"2026-03-02T10:00:00Z"}"#;
    let dir = setup(campaign, &[eve, order]);
    let actions = run(dir.path(), &["--events", "events.jsonl"]);
    let hooks = of(&actions, "webhook");
    assert_eq!(hooks.len(), 1, "{actions:#?}");
    assert_eq!(
        hooks[0]["payload"],
        json!({"note": "Order o-7 for 120.5 by eve@example.com", "total": 120.5, "first_name": null})
    );
    assert_eq!(hooks[0]["data"], json!({"source": "nurture"}));
}

#[test]
fn a_trigger_send_held_by_quiet_hours_keeps_its_event() {
    let campaign = r#"campaign "Held"
lead { email: string }
event cart.abandoned { cart_value: number }
on cart.abandoned send email "cart" with { value: event.cart_value }
policy {
  frequency email at most 5 per 1d
  quiet hours 21:00 to 08:00
}
"#;
    let late = r#"{"type":"track","userId":"ann","event":"cart.abandoned","properties":{"cart_value":42.0},"timestamp":"2026-03-02T23:00:00Z"}"#;
    let dir = setup(campaign, &[late]);
    let actions = run_until(dir.path(), "2026-03-04T00:00:00Z");
    let sends = of(&actions, "send");
    assert_eq!(sends.len(), 1, "{actions:#?}");
    assert_eq!(sends[0]["at"], "2026-03-03T08:00:00Z");
    assert_eq!(sends[0]["data"], json!({"value": 42.0}));
}

#[test]
fn send_chat_is_capped_by_its_frequency_rule_and_held_by_quiet_hours() {
    let campaign = r#"campaign "Chat"
lead { email: string  consent_chat: bool = true }
event page.visited { path: string }
on page.visited send chat "welcome-back" with { path: event.path }
policy {
  frequency chat at most 1 per 1d
  quiet hours 21:00 to 08:00
  suppress when not lead.consent_chat
}
"#;
    let dir = setup(
        campaign,
        &[
            r#"{"type":"track","userId":"ann","event":"page.visited","properties":{"path":"/pricing"},"timestamp":"2026-03-02T10:00:00Z"}"#,
            r#"{"type":"track","userId":"ann","event":"page.visited","properties":{"path":"/docs"},"timestamp":"2026-03-02T11:00:00Z"}"#,
            r#"{"type":"track","userId":"ann","event":"page.visited","properties":{"path":"/late"},"timestamp":"2026-03-03T22:00:00Z"}"#,
        ],
    );
    let actions = run_until(dir.path(), "2026-03-05T00:00:00Z");
    let sends = of(&actions, "send");
    let suppressed = of(&actions, "suppressed");
    assert_eq!(sends.len(), 2, "{actions:#?}");
    assert_eq!(sends[0]["channel"], "chat");
    assert_eq!(sends[0]["data"], json!({"path": "/pricing"}));
    // The second visit, an hour later, is over the cap.
    assert_eq!(suppressed.len(), 1, "{actions:#?}");
    assert_eq!(suppressed[0]["rule"], "frequency chat at most 1 per 1d");
    // The late one waits for the end of quiet hours, with the page it was about.
    assert_eq!(sends[1]["at"], "2026-03-04T08:00:00Z");
    assert_eq!(sends[1]["data"], json!({"path": "/late"}));
}

#[test]
fn tests_can_expect_a_chat_send() {
    let campaign = r#"campaign "Chat"
lead { email: string }
event page.visited { path: string }
on page.visited where path == "/pricing" send chat "pricing-help"
policy { frequency chat at most 2 per 1d }
test "the pricing page opens a chat" {
  lead ann { email: "ann@example.com" }
  at 2026-03-02T10:00:00Z ann page.visited { path: "/pricing" }
  expect ann sent chat "pricing-help"
  lead bob { email: "bob@example.com" }
  at 2026-03-02T11:00:00Z bob page.visited { path: "/docs" }
  expect bob not sent chat
}
"#;
    let (diags, program) = check_text(campaign);
    let program = program.unwrap_or_else(|| panic!("does not check: {diags:#?}"));
    for r in testing::run(&program).expect("compiles") {
        assert!(r.passed(), "{}: {:#?}", r.name, r.failures);
    }
}

/// The codes `check_text` reports for a campaign, but for events these fragments leave
/// unused.
fn codes(src: &str) -> Vec<Code> {
    (check_text(src).0.iter())
        .map(|d| d.code)
        .filter(|c| *c != Code::UnusedEvent)
        .collect()
}

const HEAD: &str = r#"
lead { email: string  first_name: string? }
event cart.abandoned { cart_value: number }
event meeting.booked { rep: string }
list hot = did cart.abandoned
policy { frequency email at most 3 per 7d }
"#;

/// `workflow w { exit when did order.placed  STEPS }`, started by `on cart.abandoned`.
fn started_by_cart(steps: &str) -> String {
    format!("on cart.abandoned start w\nworkflow w {{ exit when did order.placed\n{steps} }}")
}

#[test]
fn a_read_of_an_event_a_path_cannot_have_is_refused() {
    let read = r#"send email "x" with { v: event.cart_value }"#;
    let cases = [
        // Started by a list change: no event.
        format!("on enter hot start w\nworkflow w {{ exit when did order.placed\n{read} }}"),
        // Started by two different events.
        format!("on meeting.booked start w\n{}", started_by_cart(read)),
        // The event named is not the one that started the run.
        started_by_cart(r#"send email "x" with { v: order.placed.total }"#),
        // A list has no event.
        "list big = event.cart_value > 100".into(),
        // A trigger on a list change has none either.
        r#"on enter hot notify sales "{event.cart_value}""#.into(),
        // Paths that wait for different events.
        started_by_cart(
            r#"if lead.first_name is set { wait up to 1d for meeting.booked } else { wait up to 1d for order.placed }
               notify sales "x" with { r: received.rep ?? "" }"#,
        ),
    ];
    for case in cases {
        assert_eq!(
            codes(&format!("{HEAD}{case}")),
            [Code::EventNotInRun],
            "{case}"
        );
    }
    // `received.PROP` with no wait before it is E0307, as `received` is.
    let no_wait = started_by_cart(r#"notify sales "x" with { r: received.rep ?? "" }"#);
    assert_eq!(
        codes(&format!("{HEAD}{no_wait}")),
        [Code::MisplacedReceived]
    );
    // A property the event does not have.
    let unknown = format!("{HEAD}on cart.abandoned notify sales \"{{event.cart_valu}}\"");
    assert_eq!(codes(&unknown), [Code::UnknownName]);
}

#[test]
fn reads_every_path_can_have_are_accepted() {
    let ok = format!(
        "{HEAD}on cart.abandoned start w\nworkflow w {{ exit when did order.placed\n send email \"x\" with {{ v: event.cart_value, w: cart.abandoned.cart_value, n: lead.first_name ?? \"there\" }}\n wait up to 1d for meeting.booked\n if received {{ notify sales \"{{received.rep}} with {{event.cart_value}}\" }} }}"
    );
    assert_eq!(codes(&ok), []);
}

#[test]
fn a_with_value_that_may_be_missing_asks_for_a_fallback() {
    let src = format!(
        "{HEAD}on cart.abandoned start w\nworkflow w {{ exit when did order.placed\n send email \"x\" with {{ name: lead.first_name }}\n wait up to 1d for meeting.booked\n send email \"y\" with {{ rep: received.rep }} }}"
    );
    assert_eq!(
        codes(&src),
        [Code::MaybeMissingData, Code::MaybeMissingData]
    );
    // Outside `if received`, a received property may be missing, so a message needs `??`.
    let message = format!(
        "{HEAD}on cart.abandoned start w\nworkflow w {{ exit when did order.placed\n wait up to 1d for meeting.booked\n notify sales \"{{received.rep}}\" }}"
    );
    assert_eq!(codes(&message), [Code::OptionalInString]);
}

/// Changes the campaign in `dir` while a run waits (a new list, so the kept properties move
/// in the slab) and runs `--migrate` up to `until`; the actions.
fn migrate_with_a_new_list(dir: &Path, campaign: &str, until: &str) -> Vec<Value> {
    let changed = campaign.replace(
        "on cart.abandoned start recovery",
        "list big_carts = did cart.abandoned where cart_value >= 100\n\non cart.abandoned start recovery",
    );
    std::fs::write(dir.join("campaign.nurture"), changed).expect("writes campaign");
    run(dir, &["--state", "leads.db", "--migrate", "--until", until])
}

#[test]
fn a_run_carried_to_a_changed_campaign_still_reads_its_event() {
    let dir = ann_waiting_in_state();
    let after = migrate_with_a_new_list(dir.path(), CART, "2026-03-03T00:00:00Z");
    let sends = of(&after, "send");
    assert_eq!(sends.len(), 1, "{after:#?}");
    assert_eq!(sends[0]["data"]["cart"], "c-1");
    assert_eq!(sends[0]["data"]["value"], 84.5);
}

#[test]
fn the_repl_shows_an_actions_data() {
    use nurture::repl::{Session, Style};
    let campaign = r#"campaign "Hand-off"
lead { email: string }
event demo.requested { deal_size: number }
on demo.requested notify sales "Demo, deal of {event.deal_size}" with { deal_size: event.deal_size }
"#;
    let dir = setup(campaign, &[]);
    let mut s = Session::new(Style::plain());
    assert!(!s.load(&dir.path().join("campaign.nurture")).error);
    assert!(!s.run(r#":lead dee { email: "dee@example.com" }"#).error);
    assert!(!s.run(":at 2026-03-02T09:00:00Z").error);
    let reply = s.run(":event dee demo.requested { deal_size: 48000 }");
    assert_eq!(
        reply.text,
        "2026-03-02T09:00:00Z  dee  notified sales: \"Demo, deal of 48000\" with { deal_size: 48000.0 }  [on demo.requested, line 4]\n"
    );
}

const CART_LINES: &str = r#"campaign "Cart lines"

lead { email: string }

event cart.abandoned as "Cart Abandoned" { cart_id: string, items: list<string>, prices: list<number>, cart_value: number }

// A `where` filter reads the list of the event being processed.
on cart.abandoned where items contains "Hand grinder C2" notify sales "Grinder cart {event.cart_id}: {event.items}"
on cart.abandoned start recovery

workflow recovery {
  enroll every time
  wait 1h
  send email "cart-reminder" with {
    items: event.items,
    prices: event.prices,
    value: event.cart_value,
    summary: "In your cart: {event.items}"
  }
  // A step's condition reads the list kept with the run.
  if event.items contains "Hand grinder C2" and 49 in event.prices {
    send email "grinder-tips" with { cart: event.cart_id }
  }
}

policy { frequency email at most 5 per 1d }

test "a cart with the grinder gets the grinder tips" {
  lead ann { email: "ann@example.com" }
  at 2026-03-02T10:00:00Z ann cart.abandoned { cart_id: "c-1", items: ["Ethiopia Yirgacheffe, 250 g", "Hand grinder C2"], prices: [12.5, 49], cart_value: 61.5 }
  after 1h
  expect ann sent email "cart-reminder"
  expect ann sent email "grinder-tips"
  lead bob { email: "bob@example.com" }
  at 2026-03-02T11:00:00Z bob cart.abandoned { cart_id: "c-2", items: ["Kenya AA, 250 g"], prices: [14], cart_value: 14 }
  after 1h
  expect bob sent email "cart-reminder"
  expect bob not sent email "grinder-tips"
}
"#;

const ANN_LINES: &str = r#"{"type":"track","userId":"ann","event":"Cart Abandoned","properties":{"cart_id":"c-1","items":["Ethiopia Yirgacheffe, 250 g","Hand grinder C2"],"prices":[12.5,49],"cart_value":61.5},"timestamp":"2026-03-02T10:00:00Z"}"#;

/// Ann's reminder: the cart's items and prices as JSON lists, the items as text too.
fn assert_ann_reminder(send: &Value) {
    assert_eq!(send["template"], "cart-reminder");
    assert_eq!(
        send["data"],
        json!({
            "items": ["Ethiopia Yirgacheffe, 250 g", "Hand grinder C2"],
            "prices": [12.5, 49.0],
            "value": 61.5,
            "summary": "In your cart: Ethiopia Yirgacheffe, 250 g, Hand grinder C2"
        })
    );
}

#[test]
fn a_list_property_is_read_kept_and_sent_as_a_json_list() {
    let bob = r#"{"type":"track","userId":"bob","event":"Cart Abandoned","properties":{"cart_id":"c-2","items":[],"prices":[],"cart_value":0},"timestamp":"2026-03-02T10:30:00Z"}"#;
    let dir = setup(CART_LINES, &[ANN_LINES, bob]);
    let actions = run_until(dir.path(), "2026-03-03T00:00:00Z");
    let notes = of(&actions, "notify");
    assert_eq!(
        notes.len(),
        1,
        "only Ann's cart holds the grinder: {actions:#?}"
    );
    assert_eq!(
        notes[0]["message"],
        "Grinder cart c-1: Ethiopia Yirgacheffe, 250 g, Hand grinder C2"
    );
    let sends = of(&actions, "send");
    let templates: Vec<(&Value, &Value)> =
        sends.iter().map(|s| (&s["lead"], &s["template"])).collect();
    assert_eq!(
        templates,
        [
            (&json!("ann"), &json!("cart-reminder")),
            (&json!("ann"), &json!("grinder-tips")),
            (&json!("bob"), &json!("cart-reminder")),
        ]
    );
    assert_ann_reminder(sends[0]);
    assert_eq!(
        sends[2]["data"]["items"],
        json!([]),
        "an empty cart is an empty list"
    );
}

#[test]
fn a_list_of_the_wrong_items_rejects_the_line_and_loses_nothing_else() {
    let bad = r#"{"type":"track","userId":"cy","event":"Cart Abandoned","properties":{"cart_id":"c-3","items":["beans",7],"prices":[],"cart_value":7},"timestamp":"2026-03-02T10:10:00Z"}"#;
    let dir = setup(CART_LINES, &[bad, ANN_LINES]);
    let out = Command::new(BIN)
        .args(["run", "campaign.nurture", "--events", "events.jsonl"])
        .args([
            "--until",
            "2026-03-03T00:00:00Z",
            "--rejects",
            "rejects.jsonl",
        ])
        .current_dir(dir.path())
        .output()
        .expect("runs nurture");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "a line was rejected: {stderr}");
    let rejects = std::fs::read_to_string(dir.path().join("rejects.jsonl")).expect("rejects");
    assert!(
        rejects.contains("property `items` must be a list of strings, but its item 2 is 7"),
        "{rejects}"
    );
    let sends: Vec<Value> = String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .filter(|a: &Value| a["action"] == "send")
        .collect();
    assert_eq!(
        sends.len(),
        2,
        "Ann's line after the bad one is read: {sends:#?}"
    );
    assert_ann_reminder(&sends[0]);
}

#[test]
fn a_kept_list_survives_state_and_a_changed_campaign() {
    let dir = setup(CART_LINES, &[ANN_LINES]);
    let before = run(
        dir.path(),
        &["--state", "leads.db", "--events", "events.jsonl"],
    );
    assert!(of(&before, "send").is_empty(), "{before:#?}");
    // The campaign changes while the run waits its hour.
    let after = migrate_with_a_new_list(dir.path(), CART_LINES, "2026-03-02T10:30:00Z");
    assert!(of(&after, "send").is_empty(), "{after:#?}");
    // And resumed again, from the migrated state alone.
    let last = run(
        dir.path(),
        &["--state", "leads.db", "--until", "2026-03-03T00:00:00Z"],
    );
    let sends = of(&last, "send");
    assert_eq!(sends.len(), 2, "{last:#?}");
    assert_ann_reminder(sends[0]);
    assert_eq!(sends[1]["template"], "grinder-tips");
}

#[test]
fn tests_and_the_repl_give_list_properties() {
    let (diags, program) = check_text(CART_LINES);
    let program = program.unwrap_or_else(|| panic!("does not check: {diags:#?}"));
    let reports = testing::run(&program).expect("compiles");
    assert_eq!(reports.len(), 1);
    assert!(reports[0].passed(), "{:#?}", reports[0].failures);

    use nurture::repl::{Session, Style};
    let dir = setup(CART_LINES, &[]);
    let mut s = Session::new(Style::plain());
    assert!(!s.load(&dir.path().join("campaign.nurture")).error);
    assert!(!s.run(r#":lead dee { email: "dee@example.com" }"#).error);
    assert!(!s.run(":at 2026-03-02T09:00:00Z").error);
    let reply = s.run(
        r#":event dee cart.abandoned { cart_id: "c-4", items: ["Hand grinder C2"], prices: [49], cart_value: 49 }"#,
    );
    assert!(
        reply
            .text
            .contains("notified sales: \"Grinder cart c-4: Hand grinder C2\""),
        "{}",
        reply.text
    );
    let reply = s.run(":at 2026-03-02T10:00:00Z");
    assert!(
        reply
            .text
            .contains(r#"with { items: ["Hand grinder C2"], prices: [49.0]"#),
        "{}",
        reply.text
    );
}

use super::rfc3339::fast_rfc3339;
use super::*;
use crate::check::check_text;
use proptest::prelude::*;

const CAMPAIGN: &str = r#"campaign "Intake"
lead {
  email: string
  company_size: int?
  score_hint: number?
  timezone: timezone = "UTC"
  consent_email: bool = true
  stage: Stage = awareness
  trial_ends: time?
  cooldown: duration?
  interests: list<string>?
}
enum Stage { awareness, consideration, decision, customer }
enum Plan { free, pro }
event ebook.downloaded as "Ebook Downloaded" { title: string }
event cart.abandoned { cart_value: number, items: int }
event signup { plan: Plan, tz: timezone, trial: duration?, at: time?, vip: bool?, labels: list<string>? }
event basket { items: list<string>, counts: list<int>?, prices: list<number>?, when: list<time>? }
"#;

/// 2026-03-02T09:00:00Z
const T0: i64 = 1_772_442_000_000;

fn program(src: &str) -> Program {
    let (diags, program) = check_text(src);
    program.unwrap_or_else(|| panic!("the test campaign must check: {diags:?}"))
}

struct Harness {
    program: Program,
    reader: Reader,
    texts: Texts,
    out: Record,
    line: u64,
}

impl Harness {
    fn new(strict: bool) -> Harness {
        let program = program(CAMPAIGN);
        let reader = Reader::new(&program, strict);
        Harness {
            program,
            reader,
            texts: Texts::default(),
            out: Record::default(),
            line: 0,
        }
    }

    fn read(&mut self, line: &str) -> record::Intake {
        self.line += 1;
        self.reader
            .read(line, self.line, &mut self.texts, &mut self.out)
    }

    fn event(&self, name: &str) -> EventId {
        self.program.event(name).expect("declared event")
    }

    fn attr(&self, name: &str) -> AttrId {
        self.program.attr(name).expect("declared attribute")
    }

    /// Reads a line that must be a track record; its event and props.
    fn track(&mut self, line: &str) -> (EventId, Vec<Val>) {
        let got = self.read(line);
        assert_eq!(got, record::Intake::Record, "line: {line}");
        match &self.out.kind {
            RecordKind::Track { event, props } => (*event, props.clone()),
            other => panic!("expected a track, got {other:?}"),
        }
    }

    /// Reads a line that must be an identify record; its traits and ignored count.
    fn identify(&mut self, line: &str) -> (Vec<(AttrId, Val)>, u32) {
        let got = self.read(line);
        assert_eq!(got, record::Intake::Record, "line: {line}");
        match &self.out.kind {
            RecordKind::Identify { traits, ignored } => (traits.clone(), *ignored),
            other => panic!("expected an identify, got {other:?}"),
        }
    }

    /// Reads a line that must be rejected; the reason.
    fn reject(&mut self, line: &str) -> String {
        match self.read(line) {
            record::Intake::Rejected(r) => {
                assert_eq!(r.line, self.line);
                r.reason.to_string()
            }
            other => panic!("expected a reject for {line}, got {other:?}"),
        }
    }

    fn text(&self, v: Val) -> &str {
        match v {
            Val::PropText(i) => &self.out.texts[i as usize],
            other => panic!("expected a text, got {other:?}"),
        }
    }

    /// A list property's encoding (`crate::lang::seq`).
    fn seq(&self, v: Val) -> &str {
        match v {
            Val::PropSeq(i) => &self.out.texts[i as usize],
            other => panic!("expected a list, got {other:?}"),
        }
    }

    fn trait_of(traits: &[(AttrId, Val)], id: AttrId) -> Option<Val> {
        traits.iter().find(|(a, _)| *a == id).map(|&(_, v)| v)
    }
}

fn track_line(event: &str, props: &str) -> String {
    format!(
        r#"{{"type":"track","userId":"u1","event":"{event}","properties":{props},"timestamp":"2026-03-02T09:00:00Z"}}"#
    )
}

fn identify_line(traits: &str) -> String {
    format!(
        r#"{{"type":"identify","userId":"u1","traits":{traits},"timestamp":"2026-03-02T09:00:00Z"}}"#
    )
}

// --- tracks and the prelude -----------------------------------------------------------------

#[test]
fn email_opened_from_the_prelude() {
    let mut h = Harness::new(false);
    let (event, props) = h.track(&track_line("email.opened", r#"{"template":"welcome"}"#));
    assert_eq!(event, h.event("email.opened"));
    assert_eq!(props.len(), 1);
    assert_eq!(h.text(props[0]), "welcome");
    assert_eq!(h.out.lead, "u1");
    assert_eq!(h.out.at, T0);
    assert_eq!(h.out.line, 1);
    assert_eq!(h.out.texts, vec!["welcome".to_string()]);
}

#[test]
fn page_viewed_optional_properties() {
    let mut h = Harness::new(false);
    let pv = h.event("page.viewed");
    let (event, props) = h.track(&track_line("page.viewed", r#"{"url":"/pricing"}"#));
    assert_eq!(event, pv);
    assert_eq!(h.text(props[0]), "/pricing");
    assert_eq!(props[1], Val::Missing);
    assert_eq!(props[2], Val::Missing);

    let (_, props) = h.track(&track_line(
        "page.viewed",
        r#"{"url":"/a","title":null,"referrer":"https://x.test/"}"#,
    ));
    assert_eq!(props[1], Val::Missing);
    assert_eq!(h.text(props[2]), "https://x.test/");
    assert_eq!(h.out.texts.len(), 2);

    let reason = h.reject(&track_line("page.viewed", r#"{"title":"Pricing"}"#));
    assert_eq!(
        reason,
        "event `page.viewed`: missing required property `url`"
    );
    let reason = h.reject(&track_line("page.viewed", r#"{"url":null}"#));
    assert_eq!(
        reason,
        "event `page.viewed`: property `url` must be a string, got null"
    );
}

#[test]
fn order_placed_total_is_a_number() {
    let mut h = Harness::new(false);
    let (event, props) = h.track(&track_line(
        "order.placed",
        r#"{"order_id":"o-1","total":42}"#,
    ));
    assert_eq!(event, h.event("order.placed"));
    assert_eq!(h.text(props[0]), "o-1");
    assert_eq!(props[1], Val::Num(42.0));
    let (_, props) = h.track(&track_line(
        "order.placed",
        r#"{"order_id":"o-2","total":19.99,"currency":"EUR"}"#,
    ));
    assert_eq!(props[1], Val::Num(19.99));

    let reason = h.reject(&track_line(
        "order.placed",
        r#"{"order_id":"o-1","total":"42"}"#,
    ));
    assert_eq!(
        reason,
        r#"event `order.placed`: property `total` must be a number, got "42""#
    );
    let reason = h.reject(&track_line("order.placed", r#"{}"#));
    assert_eq!(
        reason,
        "event `order.placed`: missing required properties `order_id`, `total`"
    );
    let reason = h.reject(&track_line("order.placed", r#"{"order_id":7,"total":1}"#));
    assert!(
        reason.contains("property `order_id` must be a string, got 7"),
        "{reason}"
    );
}

#[test]
fn segment_names_and_nurture_names_both_match() {
    let mut h = Harness::new(true);
    let id = h.event("ebook.downloaded");
    let (event, props) = h.track(&track_line("Ebook Downloaded", r#"{"title":"Guide"}"#));
    assert_eq!(event, id);
    assert_eq!(h.text(props[0]), "Guide");
    let (event, _) = h.track(&track_line("ebook.downloaded", r#"{"title":"Guide"}"#));
    assert_eq!(event, id);
    // The message names the event as the stream does.
    let reason = h.reject(&track_line("Ebook Downloaded", r#"{}"#));
    assert_eq!(
        reason,
        "event `Ebook Downloaded`: missing required property `title`"
    );
}

#[test]
fn int_and_number_properties() {
    let mut h = Harness::new(false);
    let (_, props) = h.track(&track_line(
        "cart.abandoned",
        r#"{"cart_value":80,"items":3.0}"#,
    ));
    assert_eq!(props, vec![Val::Num(80.0), Val::Int(3)]);
    let (_, props) = h.track(&track_line(
        "cart.abandoned",
        r#"{"cart_value":-1.5e3,"items":-2}"#,
    ));
    assert_eq!(props, vec![Val::Num(-1500.0), Val::Int(-2)]);
    let reason = h.reject(&track_line(
        "cart.abandoned",
        r#"{"cart_value":80,"items":3.5}"#,
    ));
    assert_eq!(
        reason,
        "event `cart.abandoned`: property `items` must be a whole number, got 3.5"
    );
    let reason = h.reject(&track_line(
        "cart.abandoned",
        r#"{"cart_value":80,"items":18446744073709551615}"#,
    ));
    assert!(reason.contains("must be a whole number"), "{reason}");
    let reason = h.reject(&track_line(
        "cart.abandoned",
        r#"{"cart_value":80,"items":1e19}"#,
    ));
    assert!(reason.contains("must be a whole number"), "{reason}");
    let (_, props) = h.track(&track_line(
        "cart.abandoned",
        r#"{"cart_value":18446744073709551615,"items":9223372036854775807}"#,
    ));
    assert_eq!(
        props,
        vec![Val::Num(18446744073709551615.0), Val::Int(i64::MAX)]
    );
    let reason = h.reject(&track_line(
        "cart.abandoned",
        r#"{"cart_value":true,"items":1}"#,
    ));
    assert!(
        reason.contains("`cart_value` must be a number, got true"),
        "{reason}"
    );
}

#[test]
fn enum_timezone_duration_time_bool_and_list_properties() {
    let mut h = Harness::new(false);
    let (_, props) = h.track(&track_line(
        "signup",
        r#"{"plan":"pro","tz":"Europe/Paris","trial":1209600.9,"at":"2026-03-02T10:00:00+01:00","vip":true,"labels":["a","b"]}"#,
    ));
    assert_eq!(props[0], Val::Enum(1));
    assert_eq!(h.text(props[1]), "Europe/Paris");
    assert_eq!(
        props[2],
        Val::Dur(1_209_600_900),
        "seconds, to the millisecond"
    );
    assert_eq!(props[3], Val::Time(T0));
    assert_eq!(props[4], Val::Bool(true));
    assert_eq!(h.seq(props[5]), "t1:at1:b", "a list of strings, encoded");

    let reason = h.reject(&track_line("signup", r#"{"plan":"gold","tz":"UTC"}"#));
    assert_eq!(
        reason,
        r#"event `signup`: property `plan` must be one of "free", "pro", got "gold""#
    );
    let reason = h.reject(&track_line(
        "signup",
        r#"{"plan":"free","tz":"Mars/Olympus"}"#,
    ));
    assert_eq!(
        reason,
        r#"event `signup`: property `tz` must be an IANA time zone name such as "Europe/Paris", got "Mars/Olympus""#
    );
    let reason = h.reject(&track_line(
        "signup",
        r#"{"plan":"free","tz":"UTC","at":"yesterday"}"#,
    ));
    assert!(
        reason.contains("property `at` must be an RFC 3339 time such as 2026-03-02T09:00:00Z or null, got \"yesterday\""),
        "{reason}"
    );
    let reason = h.reject(&track_line(
        "signup",
        r#"{"plan":"free","tz":"UTC","trial":"3d"}"#,
    ));
    assert!(
        reason.contains("`trial` must be a number of seconds or null"),
        "{reason}"
    );
    let reason = h.reject(&track_line(
        "signup",
        r#"{"plan":"free","tz":"UTC","vip":"yes"}"#,
    ));
    assert!(
        reason.contains("`vip` must be true or false or null"),
        "{reason}"
    );
    let reason = h.reject(&track_line(
        "signup",
        r#"{"plan":"free","tz":"UTC","vip":{"a":1}}"#,
    ));
    assert!(reason.ends_with("got an object"), "{reason}");
}

#[test]
fn list_properties_are_read_item_by_item() {
    use crate::lang::seq::{self, Item};
    let mut h = Harness::new(false);
    let (_, props) = h.track(&track_line(
        "basket",
        r#"{"items":["Ethiopia Yirgacheffe, 250 g","Hand grinder \"C2\""],"counts":[1,2.0],"prices":[12.5,49],"when":["x"]}"#,
    ));
    let items: Vec<Item> = seq::items(h.seq(props[0])).collect();
    assert_eq!(
        items,
        [
            Item::Text("Ethiopia Yirgacheffe, 250 g"),
            Item::Text("Hand grinder \"C2\"")
        ],
        "texts, escapes read"
    );
    let counts: Vec<Item> = seq::items(h.seq(props[1])).collect();
    assert_eq!(
        counts,
        [Item::Int(1), Item::Int(2)],
        "2.0 is a whole number"
    );
    let prices: Vec<Item> = seq::items(h.seq(props[2])).collect();
    assert_eq!(prices, [Item::Num(12.5), Item::Num(49.0)]);
    assert_eq!(props[3], Val::Missing, "lists of other types are not read");

    // Empty, null where optional, and the slots reused by the next record.
    let (_, props) = h.track(&track_line("basket", r#"{"items":[],"counts":null}"#));
    assert_eq!(h.seq(props[0]), "");
    assert_eq!(props[1], Val::Missing);

    // Each wrong shape rejects the line, naming the property and the item.
    let cases = [
        (
            r#"{"items":["beans",3]}"#,
            "event `basket`: property `items` must be a list of strings, but its item 2 is 3",
        ),
        (
            r#"{"items":["beans",["nested"]]}"#,
            "event `basket`: property `items` must be a list of strings, but its item 2 is an array",
        ),
        (
            r#"{"items":"beans"}"#,
            r#"event `basket`: property `items` must be a list of strings, got "beans""#,
        ),
        (
            r#"{"items":null}"#,
            "event `basket`: property `items` must be a list of strings, got null",
        ),
        (
            r#"{"items":[],"counts":[1,2.5]}"#,
            "event `basket`: property `counts` must be a list of whole numbers, but its item 2 is 2.5",
        ),
        (
            r#"{"items":[],"counts":{"a":1}}"#,
            "event `basket`: property `counts` must be a list of whole numbers or null, got an object",
        ),
        (
            r#"{"items":[],"prices":[null]}"#,
            "event `basket`: property `prices` must be a list of numbers, but its item 1 is null",
        ),
        (
            r#"{"counts":[1]}"#,
            "event `basket`: missing required property `items`",
        ),
    ];
    for (props, want) in cases {
        assert_eq!(h.reject(&track_line("basket", props)), want, "{props}");
    }
    // The line after a reject reads whole, keys in any order.
    let line = r#"{"properties":{"items":["a"]},"event":"basket","userId":"u1","timestamp":"2026-03-02T09:00:00Z"}"#;
    let (_, props) = h.track(line);
    assert_eq!(h.seq(props[0]), "t1:a");
}

#[test]
fn extra_properties_are_ignored() {
    let mut h = Harness::new(false);
    let (_, props) = h.track(&track_line(
        "email.opened",
        r#"{"campaign":{"deep":[1,2,{"x":null}]},"template":"t","other":"ignored"}"#,
    ));
    assert_eq!(props.len(), 1);
    assert_eq!(h.text(props[0]), "t");
    assert_eq!(h.out.texts.len(), 1, "extra strings are not kept");
}

#[test]
fn properties_absent_or_not_an_object() {
    let mut h = Harness::new(false);
    let line = r#"{"type":"track","userId":"u","event":"chat.started","timestamp":"2026-03-02T09:00:00Z"}"#;
    let (event, props) = h.track(line);
    assert_eq!(event, h.event("chat.started"));
    assert!(props.is_empty());
    let reason = h.reject(&track_line("email.opened", "null"));
    assert_eq!(
        reason,
        "event `email.opened`: missing required property `template`"
    );
    let reason = h.reject(&track_line("email.opened", "[1]"));
    assert_eq!(
        reason,
        "event `email.opened`: `properties` must be an object, got an array"
    );
    let reason = h.reject(&track_line("email.opened", r#""x""#));
    assert!(
        reason.contains("`properties` must be an object"),
        "{reason}"
    );
}

#[test]
fn key_order_does_not_matter() {
    let mut h = Harness::new(false);
    let lines = [
        r#"{"properties":{"url":"/p","title":"T"},"event":"page.viewed","userId":"u","timestamp":"2026-03-02T09:00:00Z","type":"track"}"#,
        r#"{"timestamp":"2026-03-02T09:00:00Z","properties":{"title":"T","url":"/p"},"userId":"u","event":"page.viewed"}"#,
        r#"{"type":"track","event":"page.viewed","properties":{"url":"/p","title":"T"},"userId":"u","timestamp":"2026-03-02T09:00:00Z"}"#,
    ];
    for line in lines {
        let (event, props) = h.track(line);
        assert_eq!(event, h.event("page.viewed"));
        assert_eq!(h.text(props[0]), "/p", "{line}");
        assert_eq!(h.text(props[1]), "T", "{line}");
        assert_eq!(props[2], Val::Missing);
        assert_eq!(h.out.lead, "u");
        assert_eq!(h.out.at, T0);
    }
    // Raw properties still reject a wrong type.
    let reason = h.reject(
        r#"{"properties":{"url":5},"event":"page.viewed","userId":"u","timestamp":"2026-03-02T09:00:00Z"}"#,
    );
    assert_eq!(
        reason,
        "event `page.viewed`: property `url` must be a string, got 5"
    );
    // Properties read before a late `type` says identify do not matter.
    let (traits, _) = h.identify(
        r#"{"event":"page.viewed","properties":{"url":5},"traits":{"email":"a@b.c"},"type":"identify","userId":"u","timestamp":"2026-03-02T09:00:00Z"}"#,
    );
    assert_eq!(traits.len(), 1);
    // Traits before `type`.
    let (traits, _) = h.identify(
        r#"{"traits":{"company_size":5},"type":"identify","userId":"u","timestamp":"2026-03-02T09:00:00Z"}"#,
    );
    assert_eq!(traits, vec![(h.attr("company_size"), Val::Int(5))]);
    let reason = h.reject(
        r#"{"traits":{"company_size":"big"},"type":"identify","userId":"u","timestamp":"2026-03-02T09:00:00Z"}"#,
    );
    assert_eq!(
        reason,
        r#"trait `company_size` must be a whole number or null, got "big""#
    );
}

#[test]
fn escaped_strings_and_keys() {
    let mut h = Harness::new(false);
    let (_, props) = h.track(&track_line(
        "page.viewed",
        r#"{"\u0075rl":"\/caf\u00e9?q=\"x\"","title":"Line\nTwo"}"#,
    ));
    assert_eq!(h.text(props[0]), "/café?q=\"x\"");
    assert_eq!(h.text(props[1]), "Line\nTwo");
    let (event, _) = h.track(&track_line(r"Ebook\u0020Downloaded", r#"{"title":"x"}"#));
    assert_eq!(event, h.event("ebook.downloaded"));
    let line = r#"{"type":"identify","userId":"\u0041bc","traits":{"stage":"dec\u0069sion"},"timestamp":"2026-03-02T09:00:00\u005a"}"#;
    let (traits, _) = h.identify(line);
    assert_eq!(h.out.lead, "Abc");
    assert_eq!(h.out.at, T0);
    assert_eq!(traits, vec![(h.attr("stage"), Val::Enum(2))]);
}

// --- identify -----------------------------------------------------------------------------

#[test]
fn identify_traits_of_every_type() {
    let mut h = Harness::new(false);
    let (traits, ignored) = h.identify(&identify_line(
        r#"{"email":"ann@example.com","company_size":250.0,"score_hint":7,"timezone":"America/New_York",
            "consent_email":false,"stage":"decision","trial_ends":"2026-03-02T09:00:00.999Z",
            "cooldown":86400,"plan":"pro","tags":["vip"],"interests":["bikes"],"name":"Ann"}"#,
    ));
    let get = |name: &str| Harness::trait_of(&traits, h.attr(name));
    assert_eq!(h.text(get("email").unwrap()), "ann@example.com");
    assert_eq!(get("company_size"), Some(Val::Int(250)));
    assert_eq!(get("score_hint"), Some(Val::Num(7.0)));
    assert_eq!(h.text(get("timezone").unwrap()), "America/New_York");
    assert_eq!(get("consent_email"), Some(Val::Bool(false)));
    assert_eq!(get("stage"), Some(Val::Enum(2)));
    assert_eq!(get("trial_ends"), Some(Val::Time(T0 + 999)));
    assert_eq!(get("cooldown"), Some(Val::Dur(86_400_000)));
    assert_eq!(get("tags"), None, "tags are not settable from traits");
    assert_eq!(get("interests"), None, "lists are not read from traits");
    assert_eq!(traits.len(), 8);
    // plan, name (undeclared), tags, interests (lists).
    assert_eq!(ignored, 4);
}

#[test]
fn identify_nulls_and_wrong_types() {
    let mut h = Harness::new(false);
    let (traits, ignored) = h.identify(&identify_line(r#"{"company_size":null}"#));
    assert_eq!(traits, vec![(h.attr("company_size"), Val::Missing)]);
    assert_eq!(ignored, 0);
    let (traits, _) = h.identify(&identify_line("null"));
    assert!(traits.is_empty());
    let (traits, _) =
        h.identify(r#"{"type":"identify","userId":"u","timestamp":"2026-03-02T09:00:00Z"}"#);
    assert!(traits.is_empty());

    let cases = [
        (r#"{"email":null}"#, "trait `email` must be a string, got null"),
        (r#"{"email":12}"#, "trait `email` must be a string, got 12"),
        (
            r#"{"company_size":3.5}"#,
            "trait `company_size` must be a whole number or null, got 3.5",
        ),
        (
            r#"{"stage":"lost"}"#,
            r#"trait `stage` must be one of "awareness", "consideration", "decision", "customer", got "lost""#,
        ),
        (
            r#"{"timezone":"Nowhere/City"}"#,
            r#"trait `timezone` must be an IANA time zone name such as "Europe/Paris", got "Nowhere/City""#,
        ),
        (
            r#"{"consent_email":"true"}"#,
            r#"trait `consent_email` must be true or false, got "true""#,
        ),
        (
            r#"{"trial_ends":1772442000}"#,
            "trait `trial_ends` must be an RFC 3339 time such as 2026-03-02T09:00:00Z or null, got 1772442000",
        ),
        (
            r#"{"cooldown":[1]}"#,
            "trait `cooldown` must be a number of seconds or null, got an array",
        ),
    ];
    for (traits, want) in cases {
        assert_eq!(h.reject(&identify_line(traits)), want, "{traits}");
    }
    assert_eq!(
        h.reject(&identify_line("[]")),
        "`traits` must be an object, got an array"
    );
    assert_eq!(
        h.reject(&identify_line("3")),
        "`traits` must be an object, got 3"
    );
}

#[test]
fn repeated_traits_and_properties_keep_the_last_value_and_one_text() {
    let mut h = Harness::new(false);
    let (traits, _) = h.identify(&identify_line(
        r#"{"email":"a@x.test","email":"b@x.test","company_size":1,"company_size":2}"#,
    ));
    assert_eq!(traits.len(), 2);
    let email = Harness::trait_of(&traits, h.attr("email")).unwrap();
    assert_eq!(h.text(email), "b@x.test");
    assert_eq!(
        Harness::trait_of(&traits, h.attr("company_size")),
        Some(Val::Int(2))
    );
    assert_eq!(h.out.texts.len(), 1);

    let many = (0..1000)
        .map(|i| format!(r#""template":"t{i}""#))
        .collect::<Vec<_>>()
        .join(",");
    let (_, props) = h.track(&track_line("email.opened", &format!("{{{many}}}")));
    assert_eq!(h.text(props[0]), "t999");
    assert_eq!(h.out.texts.len(), 1);
}

// --- the kind of record ---------------------------------------------------------------------

#[test]
fn type_is_inferred_when_absent() {
    let mut h = Harness::new(false);
    let (event, _) = h.track(
        r#"{"userId":"u","event":"email.opened","properties":{"template":"t"},"timestamp":"2026-03-02T09:00:00Z"}"#,
    );
    assert_eq!(event, h.event("email.opened"));
    let (traits, _) = h.identify(
        r#"{"userId":"u","traits":{"email":"e@x.test"},"timestamp":"2026-03-02T09:00:00Z"}"#,
    );
    assert_eq!(traits.len(), 1);
    // With both, it is a track; the traits are not read.
    let (event, _) = h.track(
        r#"{"userId":"u","traits":{"email":5},"event":"chat.started","timestamp":"2026-03-02T09:00:00Z"}"#,
    );
    assert_eq!(event, h.event("chat.started"));
    let (event, _) = h.track(
        r#"{"type":null,"userId":"u","event":"chat.started","timestamp":"2026-03-02T09:00:00Z"}"#,
    );
    assert_eq!(event, h.event("chat.started"));
    assert_eq!(
        h.reject(r#"{"userId":"u","timestamp":"2026-03-02T09:00:00Z"}"#),
        "no `type`, `event` or `traits`: cannot tell an identify from a track"
    );
}

/// Issue 11 item 19: `screen`, `group` and `alias` calls were skipped even when strict, and
/// `page` calls too (item 22 reads those as `page.viewed`).
#[test]
fn calls_not_read_are_skipped_or_rejected_when_strict() {
    let mut h = Harness::new(false);
    let mut strict = Harness::new(true);
    for ty in ["screen", "group", "alias"] {
        // No userId or timestamp needed: the record is not ours.
        let line = format!(r#"{{"type":"{ty}","anonymousId":"a","name":"Home"}}"#);
        assert_eq!(
            h.read(&line),
            record::Intake::Skipped {
                name: format!("type:{ty}")
            }
        );
        assert_eq!(
            strict.reject(&line),
            format!("a `{ty}` call: only identify, track and page calls are read")
        );
    }
    assert_eq!(
        h.reject(r#"{"type":"purchase","userId":"u","timestamp":"2026-03-02T09:00:00Z"}"#),
        r#"unknown `type` "purchase": expected identify, track, page, screen, group or alias"#
    );
    assert_eq!(
        h.reject(r#"{"type":1,"userId":"u","timestamp":"2026-03-02T09:00:00Z"}"#),
        "`type` must be a string, got 1"
    );
}

/// Issue 11 item 22: a Segment `page` call was skipped; it is a `page.viewed` event, with the
/// call's `name` and its properties' `url`, `path`, `referrer` and `title`, strict or not.
#[test]
fn a_page_call_is_a_page_viewed_event() {
    for strict in [false, true] {
        let mut h = Harness::new(strict);
        let pv = h.event("page.viewed");
        let field = |h: &Harness, name: &str| -> usize {
            let e = &h.program.events[pv as usize];
            e.props.iter().position(|p| p.name == name).expect(name)
        };
        let (url, title, referrer, path, name) = (
            field(&h, "url"),
            field(&h, "title"),
            field(&h, "referrer"),
            field(&h, "path"),
            field(&h, "name"),
        );
        let line = r#"{"type":"page","userId":"ann","name":"Pricing","properties":{"url":"https://northwind.example/pricing?plan=team","path":"/pricing","referrer":"https://www.google.com/","title":"Pricing | Northwind","search":"?plan=team"},"timestamp":"2026-03-02T09:00:00Z"}"#;
        let (event, props) = h.track(line);
        assert_eq!(event, pv);
        assert_eq!(h.out.lead, "ann");
        assert_eq!(h.out.at, T0);
        assert_eq!(
            h.text(props[url]),
            "https://northwind.example/pricing?plan=team"
        );
        assert_eq!(h.text(props[path]), "/pricing");
        assert_eq!(h.text(props[referrer]), "https://www.google.com/");
        assert_eq!(h.text(props[title]), "Pricing | Northwind");
        assert_eq!(h.text(props[name]), "Pricing");

        // Keys in any order; the call's `name` wins over `properties.name`, and stands in
        // for it when the call has none (or a null one).
        let (_, props) = h.track(
            r#"{"properties":{"name":"Inner","url":"/a"},"name":"Outer","timestamp":"2026-03-02T09:00:00Z","userId":"ann","type":"page"}"#,
        );
        assert_eq!(h.text(props[name]), "Outer");
        assert_eq!(h.text(props[url]), "/a");
        assert_eq!(props[path], Val::Missing);
        let (_, props) = h.track(
            r#"{"type":"page","userId":"ann","name":null,"properties":{"name":"Inner","url":"/a"},"timestamp":"2026-03-02T09:00:00Z"}"#,
        );
        assert_eq!(h.text(props[name]), "Inner");
        let (_, props) = h.track(
            r#"{"type":"page","userId":"ann","properties":{"url":"/a"},"timestamp":"2026-03-02T09:00:00Z"}"#,
        );
        assert_eq!(props[name], Val::Missing);

        // What a track of `page.viewed` must have, a page call must have too.
        assert_eq!(
            h.reject(
                r#"{"type":"page","userId":"ann","name":"Home","timestamp":"2026-03-02T09:00:00Z"}"#
            ),
            "event `page.viewed`: missing required property `url`"
        );
        assert_eq!(
            h.reject(
                r#"{"type":"page","anonymousId":"a1","properties":{"url":"/"},"timestamp":"2026-03-02T09:00:00Z"}"#
            ),
            "missing `userId`"
        );
        assert_eq!(
            h.reject(
                r#"{"type":"page","userId":"ann","name":5,"properties":{"url":"/"},"timestamp":"2026-03-02T09:00:00Z"}"#
            ),
            "a `page` call: `name` must be a string or null, got 5"
        );
        assert_eq!(
            h.reject(
                r#"{"event":"Ebook Downloaded","properties":{"title":"x"},"type":"page","userId":"ann","timestamp":"2026-03-02T09:00:00Z"}"#
            ),
            "a `page` call with an `event`: a page call is read as `page.viewed`; send other \
             events as `track` calls"
        );
    }
}

/// Issue 11 item 22: the prelude's events answer to the names of Segment's Email and
/// E-commerce specs, and to their dotted names as before.
#[test]
fn prelude_events_answer_to_segment_names_and_dotted_names() {
    let mut h = Harness::new(true);
    for (segment, dotted) in [
        ("Email Delivered", "email.delivered"),
        ("Email Opened", "email.opened"),
        ("Email Link Clicked", "email.clicked"),
        ("Email Bounced", "email.bounced"),
        ("Email Marked as Spam", "email.marked_as_spam"),
        ("Unsubscribed", "email.unsubscribed"),
    ] {
        let want = h.event(dotted);
        for name in [segment, dotted] {
            let (event, props) = h.track(&track_line(name, r#"{"template":"welcome"}"#));
            assert_eq!(event, want, "{name}");
            assert_eq!(h.text(props[0]), "welcome");
        }
    }
    let want = h.event("order.placed");
    for name in ["Order Completed", "order.placed"] {
        let (event, props) = h.track(&track_line(
            name,
            r#"{"order_id":"o-1","total":42.5,"products":[{"sku":"a","price":42.5}]}"#,
        ));
        assert_eq!(event, want, "{name}");
        assert_eq!(h.text(props[0]), "o-1");
        assert_eq!(props[1], Val::Num(42.5));
    }
}

/// A campaign that declared a Segment name the prelude now gives (`Order Completed`) keeps
/// reading those lines as its own event, as before issue 11 item 22.
#[test]
fn a_campaigns_own_segment_name_wins_over_the_preludes() {
    let program = program(
        r#"event order.done as "Order Completed" { order_id: string, items: int }
list buyers = did order.done or did order.placed
"#,
    );
    let mut reader = Reader::new(&program, true);
    let (mut texts, mut out) = (Texts::default(), Record::default());
    let mut event_of = |line: &str| {
        assert_eq!(
            reader.read(line, 1, &mut texts, &mut out),
            record::Intake::Record
        );
        match &out.kind {
            RecordKind::Track { event, .. } => *event,
            other => panic!("expected a track, got {other:?}"),
        }
    };
    let props = r#"{"order_id":"o-1","items":2,"total":5}"#;
    assert_eq!(
        event_of(&track_line("Order Completed", props)),
        program.event("order.done").unwrap()
    );
    assert_eq!(
        event_of(&track_line("order.placed", props)),
        program.event("order.placed").unwrap()
    );
}

#[test]
fn undeclared_events_are_skipped_or_rejected_when_strict() {
    let mut h = Harness::new(false);
    let line = track_line(
        "Product Viewed",
        r#"{"sku":"x","price":"wrong type is fine"}"#,
    );
    assert_eq!(
        h.read(&line),
        record::Intake::Skipped {
            name: "Product Viewed".into()
        }
    );
    let line = r#"{"properties":{"a":1},"userId":"u","event":"Raw First","timestamp":"2026-03-02T09:00:00Z"}"#;
    assert_eq!(
        h.read(line),
        record::Intake::Skipped {
            name: "Raw First".into()
        }
    );
    let mut strict = Harness::new(true);
    assert_eq!(
        strict.reject(&track_line("Product Viewed", "{}")),
        "event `Product Viewed` is not declared in the campaign"
    );
}

#[test]
fn track_needs_an_event() {
    let mut h = Harness::new(false);
    assert_eq!(
        h.reject(
            r#"{"type":"track","userId":"u","properties":{},"timestamp":"2026-03-02T09:00:00Z"}"#
        ),
        "track record without `event`"
    );
    assert_eq!(
        h.reject(
            r#"{"type":"track","userId":"u","event":null,"timestamp":"2026-03-02T09:00:00Z"}"#
        ),
        "track record without `event`"
    );
    assert_eq!(
        h.reject(
            r#"{"type":"track","userId":"u","event":["x"],"timestamp":"2026-03-02T09:00:00Z"}"#
        ),
        "`event` must be a string, got an array"
    );
    assert_eq!(
        h.reject(r#"{"type":"track","userId":"u","event":"","timestamp":"2026-03-02T09:00:00Z"}"#),
        "`event` is empty"
    );
}

// --- userId and timestamp -------------------------------------------------------------------

#[test]
fn user_id_rules() {
    let mut h = Harness::new(false);
    let base = |user: &str| {
        format!(
            r#"{{"type":"track",{user}"event":"chat.started","timestamp":"2026-03-02T09:00:00Z"}}"#
        )
    };
    h.track(&base(r#""userId":42,"#));
    assert_eq!(h.out.lead, "42");
    h.track(&base(r#""userId":-7,"#));
    assert_eq!(h.out.lead, "-7");
    h.track(&base(r#""userId":18446744073709551615,"#));
    assert_eq!(h.out.lead, "18446744073709551615");
    h.track(&base(r#""userId":" spaced ","#));
    assert_eq!(h.out.lead, " spaced ");
    assert_eq!(h.reject(&base("")), "missing `userId`");
    assert_eq!(
        h.reject(&base(r#""userId":null,"#)),
        "missing `userId` (it is null)"
    );
    assert_eq!(h.reject(&base(r#""userId":"","#)), "`userId` is empty");
    assert_eq!(h.reject(&base(r#""userId":"  ","#)), "`userId` is empty");
    assert_eq!(
        h.reject(&base(r#""userId":true,"#)),
        "`userId` must be a string or a number, got true"
    );
    assert_eq!(
        h.reject(&base(r#""userId":{"id":1},"#)),
        "`userId` must be a string or a number, got an object"
    );
}

#[test]
fn timestamp_rules() {
    let mut h = Harness::new(false);
    let base = |at: &str| format!(r#"{{"type":"track","userId":"u","event":"chat.started"{at}}}"#);
    h.track(&base(r#","timestamp":"2026-03-02T09:00:00.999Z""#));
    assert_eq!(h.out.at, T0 + 999, "fractions are kept to the millisecond");
    h.track(&base(r#","timestamp":"2026-03-02T09:00:00.99999Z""#));
    assert_eq!(h.out.at, T0 + 999, "and finer ones dropped");
    h.track(&base(r#","timestamp":"2026-03-02T10:30:00+01:30""#));
    assert_eq!(h.out.at, T0);
    // From 1970 to 2100, and no further: a time outside is refused with the reason.
    h.track(&base(r#","timestamp":"1970-01-01T00:00:00Z""#));
    assert_eq!(h.out.at, 0);
    h.track(&base(r#","timestamp":"2100-01-01T00:00:00Z""#));
    assert_eq!(h.out.at, 4_102_444_800_000);
    assert_eq!(
        h.reject(&base(r#","timestamp":"1969-12-31T23:59:59.5Z""#)),
        "`timestamp` 1969-12-31T23:59:59.500Z is outside the supported range 1970-01-01 to 2100-01-01"
    );
    assert_eq!(
        h.reject(&base(r#","timestamp":"2100-01-01T00:00:00.001Z""#)),
        "`timestamp` 2100-01-01T00:00:00.001Z is outside the supported range 1970-01-01 to 2100-01-01"
    );
    assert_eq!(
        h.reject(&base(r#","timestamp":"2100-01-01T00:00:01Z""#)),
        "`timestamp` 2100-01-01T00:00:01Z is outside the supported range 1970-01-01 to 2100-01-01"
    );
    assert_eq!(
        h.reject(&base(r#","timestamp":"9999-12-31T23:59:59Z""#)),
        "`timestamp` 9999-12-31T23:59:59Z is outside the supported range 1970-01-01 to 2100-01-01"
    );
    assert_eq!(
        h.reject(&base(r#","timestamp":"1970-01-01T00:30:00+01:00""#)),
        "`timestamp` 1969-12-31T23:30:00Z is outside the supported range 1970-01-01 to 2100-01-01"
    );
    assert_eq!(h.reject(&base("")), "missing `timestamp`");
    assert_eq!(
        h.reject(&base(r#","timestamp":null"#)),
        "missing `timestamp`"
    );
    assert_eq!(
        h.reject(&base(r#","timestamp":"2026-02-30T09:00:00Z""#)),
        r#"`timestamp` must be an RFC 3339 time such as 2026-03-02T09:00:00Z, got "2026-02-30T09:00:00Z""#
    );
    assert_eq!(
        h.reject(&base(r#","timestamp":1772442000"#)),
        "`timestamp` must be an RFC 3339 time such as 2026-03-02T09:00:00Z, got 1772442000"
    );
    assert!(h
        .reject(&base(r#","timestamp":"2026-03-02""#))
        .contains("got \"2026-03-02\""));
}

// --- malformed lines ------------------------------------------------------------------------

#[test]
fn malformed_lines_are_rejected_with_a_reason() {
    let mut h = Harness::new(false);
    let reason = h.reject(r#"{"type":"track","#);
    assert!(reason.starts_with("not valid JSON: "), "{reason}");
    assert!(reason.contains("column"), "{reason}");
    let reason = h.reject("hello");
    assert!(reason.starts_with("not valid JSON: "), "{reason}");
    let reason = h.reject(r#"{"type":"track"} trailing"#);
    assert!(
        reason.starts_with("not valid JSON: trailing characters"),
        "{reason}"
    );
    assert_eq!(h.reject("[1,2]"), "not a JSON object: the line is an array");
    assert_eq!(h.reject("5"), "not a JSON object: the line is a number");
    assert_eq!(
        h.reject(r#""x""#),
        "not a JSON object: the line is a string"
    );
    assert_eq!(h.reject("null"), "not a JSON object: the line is null");
    assert_eq!(h.reject(""), "empty line: expected a JSON object");
    assert_eq!(h.reject("  \t"), "empty line: expected a JSON object");
    assert_eq!(
        h.reject(r#"{"type":"track","type":"track"}"#),
        "`type` is given twice"
    );
    let reason = h.reject(&track_line(
        "order.placed",
        r#"{"order_id":"o","total":1e400}"#,
    ));
    assert!(reason.contains("number out of range"), "{reason}");
    // A byte-order mark is not an error.
    h.track(&format!(
        "\u{feff}{}",
        track_line("email.opened", r#"{"template":"t"}"#)
    ));
    assert_eq!(h.out.line, h.line);
}

#[test]
fn long_lines_are_rejected() {
    let mut h = Harness::new(false);
    let padding = "x".repeat(MAX_LINE);
    let line = track_line("email.opened", &format!(r#"{{"template":"{padding}"}}"#));
    assert_eq!(h.reject(&line), "line is longer than 1 MiB");
    // Just under the limit is read.
    let padding = "x".repeat(MAX_LINE - 200);
    let line = track_line("email.opened", &format!(r#"{{"template":"{padding}"}}"#));
    assert!(line.len() <= MAX_LINE);
    let (_, props) = h.track(&line);
    assert_eq!(h.text(props[0]).len(), MAX_LINE - 200);
}

#[test]
fn deep_nesting_is_a_reject_or_skipped_over_never_a_panic() {
    let mut h = Harness::new(false);
    let depth = 200_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    // Where the value is skipped unread, depth does not matter.
    let line = format!(
        r#"{{"type":"track","userId":"u","event":"chat.started","context":{deep},"timestamp":"2026-03-02T09:00:00Z"}}"#
    );
    h.track(&line);
    let line = track_line("email.opened", &format!(r#"{{"template":"t","x":{deep}}}"#));
    h.track(&line);
    let line = format!(
        r#"{{"properties":{{"template":"t","x":{deep}}},"userId":"u","event":"email.opened","timestamp":"2026-03-02T09:00:00Z"}}"#
    );
    h.track(&line);
    // Where it is a property's value, it is the wrong type.
    let reason = h.reject(&track_line(
        "email.opened",
        &format!(r#"{{"template":{deep}}}"#),
    ));
    assert!(reason.contains("property `template`"), "{reason}");
    // Unbalanced nesting is not JSON.
    let reason = h.reject(&format!("{{\"a\":{}", "[".repeat(depth)));
    assert!(reason.starts_with("not valid JSON"), "{reason}");
    let reason = h.reject(&"[".repeat(depth));
    assert!(reason.starts_with("not valid JSON"), "{reason}");
    let objects = format!(
        "{}1{}",
        r#"{"a":"#.repeat(depth / 10),
        "}".repeat(depth / 10)
    );
    let line = identify_line(&format!(r#"{{"email":"e","extra":{objects}}}"#));
    let (traits, ignored) = h.identify(&line);
    assert_eq!((traits.len(), ignored), (1, 1));
}

// --- buffers ------------------------------------------------------------------------------

#[test]
fn a_second_read_reuses_the_buffers() {
    let mut h = Harness::new(false);
    let line = track_line(
        "page.viewed",
        r#"{"url":"/pricing/enterprise","title":"Enterprise pricing","referrer":"https://search.test/?q=bikes"}"#,
    );
    h.track(&line);
    let texts_cap = h.out.texts.capacity();
    let ptrs: Vec<_> = h
        .out
        .texts
        .iter()
        .map(|s| (s.as_ptr(), s.capacity()))
        .collect();
    let lead_ptr = h.out.lead.as_ptr();
    let props_cap = match &h.out.kind {
        RecordKind::Track { props, .. } => (props.as_ptr(), props.capacity()),
        _ => unreachable!(),
    };

    let line = track_line(
        "page.viewed",
        r#"{"url":"/pricing","title":"Pricing","referrer":"https://x.test/"}"#,
    );
    // An identify and a reject in between change the kind, not the buffers.
    h.identify(&identify_line(r#"{"email":"someone@example.com"}"#));
    h.reject("{");
    h.track(&line);
    assert_eq!(h.out.texts.capacity(), texts_cap);
    let again: Vec<_> = h
        .out
        .texts
        .iter()
        .map(|s| (s.as_ptr(), s.capacity()))
        .collect();
    assert_eq!(again, ptrs, "the same strings, not grown");
    assert_eq!(h.out.lead.as_ptr(), lead_ptr);
    match &h.out.kind {
        RecordKind::Track { props, .. } => {
            assert_eq!((props.as_ptr(), props.capacity()), props_cap)
        }
        _ => unreachable!(),
    }
    assert_eq!(h.out.texts, vec!["/pricing", "Pricing", "https://x.test/"]);
}

#[test]
fn texts_hold_only_the_current_record() {
    let mut h = Harness::new(false);
    h.track(&track_line(
        "page.viewed",
        r#"{"url":"/a","title":"b","referrer":"c"}"#,
    ));
    assert_eq!(h.out.texts.len(), 3);
    h.track(&track_line(
        "cart.abandoned",
        r#"{"cart_value":1,"items":1}"#,
    ));
    assert!(h.out.texts.is_empty());
    h.track(&track_line("email.opened", r#"{"template":"t"}"#));
    assert_eq!(h.out.texts, vec!["t"]);
    assert!(matches!(
        h.read(&track_line("Unknown", "{}")),
        record::Intake::Skipped { .. }
    ));
    assert!(h.out.texts.is_empty());
}

#[test]
fn the_contract_campaign_reads() {
    let program = program(include_str!("../../../tests/fixtures/contract.nurture"));
    let mut reader = Reader::new(&program, true);
    let mut out = Record::default();
    let mut texts = Texts::default();
    let line = r#"{"type":"track","userId":"u","event":"Ebook Downloaded","properties":{"title":"Guide"},"timestamp":"2026-03-02T09:00:00Z"}"#;
    assert_eq!(
        reader.read(line, 1, &mut texts, &mut out),
        record::Intake::Record
    );
    assert_eq!(
        out.kind,
        RecordKind::Track {
            event: program.event("ebook.downloaded").unwrap(),
            props: vec![Val::PropText(0)]
        }
    );
    let line = r#"{"type":"identify","userId":"u","traits":{"stage":"customer","timezone":"Europe/Berlin","tags":["x"]},"timestamp":"2026-03-02T09:00:00Z"}"#;
    assert_eq!(
        reader.read(line, 2, &mut texts, &mut out),
        record::Intake::Record
    );
    assert_eq!(
        out.kind,
        RecordKind::Identify {
            traits: vec![
                (program.attr("stage").unwrap(), Val::Enum(3)),
                (program.attr("timezone").unwrap(), Val::PropText(0)),
            ],
            ignored: 1
        }
    );
    assert_eq!(out.texts, vec!["Europe/Berlin"]);
}

// --- times ----------------------------------------------------------------------------------

fn chrono_rfc3339(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp_millis())
}

#[test]
fn fast_times_agree_with_chrono_on_edge_cases() {
    let cases = [
        "1970-01-01T00:00:00Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
        "2000-02-29T12:00:00Z",
        "1900-02-29T12:00:00Z",
        "2024-02-29T00:00:00.1Z",
        "2023-02-29T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-01-00T00:00:00Z",
        "2026-01-32T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T23:60:00Z",
        "2016-12-31T23:59:60Z",
        "2026-01-01T00:00:00.Z",
        "2026-01-01T00:00:00.1234567891Z",
        "2026-01-01t00:00:00z",
        "2026-01-01 00:00:00Z",
        "2026-01-01T00:00:00+00:00",
        "+2026-01-01T00:00:00Z",
        "2026-1-01T00:00:00Z",
        "1969-12-31T23:59:59.999Z",
    ];
    for s in cases {
        assert_eq!(parse_rfc3339(s), chrono_rfc3339(s), "{s}");
        if let Some(fast) = fast_rfc3339(s.as_bytes()) {
            assert_eq!(Some(fast), chrono_rfc3339(s), "{s}");
        }
    }
    assert!(fast_rfc3339(b"2026-03-02T09:00:00Z").is_some());
    assert!(fast_rfc3339(b"2026-03-02T09:00:00.123Z").is_some());
}

proptest! {
    #[test]
    fn fast_times_agree_with_chrono(
        y in 0u32..10_000, mo in 0u32..14, d in 0u32..33, h in 0u32..25, mi in 0u32..61,
        s in 0u32..61, frac in proptest::option::of("[0-9]{0,10}"),
    ) {
        let mut text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
        if let Some(f) = frac {
            text.push('.');
            text.push_str(&f);
        }
        text.push('Z');
        let want = chrono_rfc3339(&text);
        prop_assert_eq!(parse_rfc3339(&text), want, "{}", text);
        if let Some(fast) = fast_rfc3339(text.as_bytes()) {
            prop_assert_eq!(Some(fast), want, "{}", text);
        } else if want.is_some() && s < 60 && text.len() <= 30 && !text.contains(".Z") {
            prop_assert!(false, "the fast path missed {}", text);
        }
    }

    #[test]
    fn fast_times_round_trip(secs in -62_167_219_200i64..253_402_300_800i64, nanos in 0u32..1_000_000_000) {
        let t = chrono::DateTime::from_timestamp(secs, nanos).unwrap();
        let ms = secs * 1_000 + i64::from(nanos / 1_000_000);
        for (text, want) in [
            (t.format("%Y-%m-%dT%H:%M:%SZ").to_string(), secs * 1_000),
            (t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(), ms),
            (t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string(), ms),
        ] {
            prop_assert_eq!(fast_rfc3339(text.as_bytes()), Some(want), "{}", &text);
        }
    }

    #[test]
    fn read_never_panics_on_arbitrary_text(line in any::<String>()) {
        let mut h = Harness::new(false);
        let got = h.read(&line);
        let has_brace = line.contains('{');
        prop_assert!(!matches!(got, record::Intake::Record) || has_brace, "{:?}", line);
    }

    #[test]
    fn read_never_panics_on_json_ish_lines(parts in proptest::collection::vec(fragment(), 0..40)) {
        let mut h = Harness::new(false);
        let line: String = parts.concat();
        let got = h.read(&line);
        if let record::Intake::Record = got {
            // A record is only ever made with a lead and a consistent set of texts.
            prop_assert!(!h.out.lead.trim().is_empty());
            let texts = h.out.texts.len();
            let vals: Vec<Val> = match &h.out.kind {
                RecordKind::Track { props, .. } => props.clone(),
                RecordKind::Identify { traits, .. } => traits.iter().map(|t| t.1).collect(),
            };
            for v in vals {
                if let Val::PropText(i) = v {
                    prop_assert!((i as usize) < texts);
                }
            }
        }
        // The strict reader never accepts what the lenient one skips.
        let mut strict = Harness::new(true);
        let got_strict = strict.read(&line);
        if let record::Intake::Skipped { name } = h.read(&line) {
            if !name.starts_with("type:") {
                prop_assert!(matches!(got_strict, record::Intake::Rejected(_)));
            }
        }
    }
}

/// Pieces of Segment-like JSON, valid and not, that concatenate into lines worth reading.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just(r#"{"type":"track","userId":"u","timestamp":"2026-03-02T09:00:00Z","#.to_string()),
        Just(r#"{"type":"identify","userId":7,"timestamp":"2026-03-02T09:00:00.5Z","#.to_string()),
        Just(r#""event":"Ebook Downloaded","#.to_string()),
        Just(r#""event":"page.viewed","#.to_string()),
        Just(r#""event":"order.placed","#.to_string()),
        Just(r#""event":"signup","#.to_string()),
        Just(r#""properties":{"url":"/x","title":null,"total":1e308,"#.to_string()),
        Just(r#""properties":"#.to_string()),
        Just(r#""traits":{"email":"a","stage":"decision","tags":[1],"#.to_string()),
        Just(r#""traits":"#.to_string()),
        Just(r#""plan":"pro","tz":"Europe/Paris","at":"2026-03-02T09:00:00+01:00""#.to_string()),
        Just(r#""items":3.0,"cart_value":-0"#.to_string()),
        Just(r#""order_id":"\u00e9\/","total":18446744073709551616"#.to_string()),
        Just(r#""title":"\ud800""#.to_string()),
        Just(r#""x":[[[[{"y":{}}]]]]"#.to_string()),
        Just(r#""timestamp":"2026-02-29T00:00:00Z""#.to_string()),
        Just(r#""userId":"""#.to_string()),
        "[a-z\" :,{}\\[\\]0-9.-]{0,12}",
        any::<String>().prop_map(|s| format!("{s:?}")),
        (-1e20f64..1e20).prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
    ]
}

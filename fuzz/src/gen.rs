//! Random well-typed campaigns and random Segment event streams, built from a byte string.
//!
//! Every choice reads the next byte of the input, and a byte string that runs out reads as
//! zeros, which always pick the smallest option: so any input, however short, makes a campaign,
//! and libFuzzer's mutations of the input move the campaign around in small steps. The same
//! generator serves the `vm` fuzz target and the proptests in `tests/hostile.rs` (which include
//! this file by path).
//!
//! The campaigns are built from templates so that they always check without an error: names are
//! fresh (`a0`, `s1`, `l2`, `w0`, `ev1`), scores and lists only read the ones declared before
//! them (no E0303), `since enrolled` only appears in workflows (E0304), `received` only right
//! after a `wait up to` (E0307), split shares add up to 100% (E0306), interpolations never show
//! a value that may be missing (E0204), and attributes that lists and scores read are only set
//! by event triggers or after a workflow has waited, so triggers cannot set each other off in a
//! circle (E0308). Warnings are allowed.
#![allow(dead_code)]

use std::fmt::Write as _;

/// The input, read one choice at a time.
pub struct Src<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Src<'a> {
    pub fn new(data: &'a [u8]) -> Src<'a> {
        Src { data, pos: 0 }
    }

    pub fn exhausted(&self) -> bool {
        self.pos >= self.data.len()
    }

    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    /// A number in `0..n` (0 when `n` is 0 or 1, and when the input has run out).
    pub fn below(&mut self, n: usize) -> usize {
        match n {
            0 | 1 => 0,
            2..=256 => self.byte() as usize % n,
            _ => u16::from_le_bytes([self.byte(), self.byte()]) as usize % n,
        }
    }

    /// True `percent` times in a hundred, and never once the input has run out.
    pub fn chance(&mut self, percent: usize) -> bool {
        (self.byte() as usize % 100) + percent >= 100
    }

    pub fn pick<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        &items[self.below(items.len())]
    }

    pub fn up_to(&mut self, max: usize) -> usize {
        self.below(max + 1)
    }
}

// ---------------------------------------------------------------------------------------
// The model of a generated campaign: what the event stream needs to know about it.

/// A value type, as far as the generator uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Int,
    Num,
    Str,
    Bool,
    /// An enum, by index in `Campaign::enums`.
    Enum(usize),
    Time,
    Dur,
    Tz,
}

#[derive(Debug, Clone)]
pub struct Attr {
    pub name: String,
    pub ty: Ty,
    pub optional: bool,
    /// Lists and scores may read it; then only event triggers and workflow steps after a
    /// wait may set it.
    pub cond: bool,
}

#[derive(Debug, Clone)]
pub struct Prop {
    pub name: String,
    pub ty: Ty,
    pub optional: bool,
}

#[derive(Debug, Clone)]
pub struct Event {
    /// The Nurture name.
    pub name: String,
    /// The Segment name (`as "…"`), when it has one.
    pub segment: Option<String>,
    pub props: Vec<Prop>,
}

#[derive(Debug, Clone, Default)]
pub struct Campaign {
    pub text: String,
    pub attrs: Vec<Attr>,
    /// The prelude's events, then the campaign's own.
    pub events: Vec<Event>,
    /// Each enum's variants.
    pub enums: Vec<Vec<String>>,
}

/// Reserved words that prelude properties use: such a property is reached as `EVENT.PROP`.
const RESERVED_PROPS: &[&str] = &["campaign"];

fn prop(name: &str, ty: Ty, optional: bool) -> Prop {
    Prop {
        name: name.into(),
        ty,
        optional,
    }
}

/// The prelude's events (stdlib/prelude.nurture).
fn prelude_events() -> Vec<Event> {
    let ev = |name: &str, props: Vec<Prop>| Event {
        name: name.into(),
        segment: None,
        props,
    };
    let template = || vec![prop("template", Ty::Str, false)];
    vec![
        ev("email.sent", template()),
        ev("email.opened", template()),
        ev(
            "email.clicked",
            vec![prop("template", Ty::Str, false), prop("url", Ty::Str, true)],
        ),
        ev("email.bounced", template()),
        ev("email.unsubscribed", template()),
        ev("sms.clicked", template()),
        ev(
            "page.viewed",
            vec![
                prop("url", Ty::Str, false),
                prop("title", Ty::Str, true),
                prop("referrer", Ty::Str, true),
            ],
        ),
        ev("form.submitted", vec![prop("form", Ty::Str, false)]),
        ev(
            "order.placed",
            vec![
                prop("order_id", Ty::Str, false),
                prop("total", Ty::Num, false),
            ],
        ),
        ev("chat.started", vec![]),
        ev("ad.clicked", vec![prop("campaign", Ty::Str, false)]),
        ev("lead.identified", vec![]),
    ]
}

// ---------------------------------------------------------------------------------------
// Literals.

const INTS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "5",
    "10",
    "100",
    "1000",
    "9223372036854775807",
];
const NUMS: &[&str] = &["0.5", "2.5", "50%", "12.75", "0.0", "1000000.125", "100%"];
const DURS: &[&str] = &[
    "1s", "30s", "15m", "1h", "12h", "1d", "3d", "1w", "2w", "1d12h", "30d", "520w",
];
const TIMES: &[&str] = &[
    "2026-03-01T00:00:00Z",
    "2026-03-02T10:00:00+01:00",
    "2000-01-01T00:00:00Z",
    "2030-12-31T23:59:59Z",
];
const TODS: &[&str] = &["0:00", "8:00", "10:30", "21:00", "23:59", "12:00"];
/// Text literals as written in a campaign (already escaped for a Nurture string).
const TEXTS: &[&str] = &[
    "a",
    "",
    "/pricing",
    "vip",
    "{{lead.email}}",
    "\\\"quoted\\\"",
    "line\\nbreak",
    "é ü 日本",
    "x",
    "@gmail.com",
];
const REGEXES: &[&str] = &[
    "^a",
    "(?i)vp|director|head of",
    "\\d{2,}",
    "x$",
    ".*",
    "^[a-z]+@[a-z]+\\.[a-z]+$",
    "(a|b)*c",
];
const ZONES: &[&str] = &[
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
];

fn text_lit(s: &mut Src) -> String {
    format!("\"{}\"", s.pick(TEXTS))
}

/// A text literal fit for the inside of an interpolation.
fn plain_text_lit(s: &mut Src) -> String {
    let t = *s.pick(TEXTS);
    format!("\"{}\"", if t.contains('\\') { "plain" } else { t })
}

// ---------------------------------------------------------------------------------------
// Expressions.

/// What an expression may refer to where it is generated.
#[derive(Clone)]
struct Scope {
    /// Attributes that may be read (by index in `Campaign::attrs`).
    attrs: Vec<usize>,
    scores: Vec<String>,
    lists: Vec<String>,
    /// Inside a `where`: the event whose properties are in scope (history is not allowed).
    event: Option<usize>,
    /// Inside a workflow: `since enrolled` is allowed.
    workflow: bool,
    /// Inside an interpolation: text literals without escaped quotes (bug B4 in
    /// docs/fuzzing.md: the pre-parse scan misreads them there).
    in_text: bool,
}

struct Gen<'s, 'a> {
    s: &'s mut Src<'a>,
    c: Campaign,
    /// Events that history, triggers and waits may name (by index): all of them.
    n_events: usize,
    workflows: Vec<String>,
}

impl Gen<'_, '_> {
    fn attrs_of(&self, sc: &Scope, want: impl Fn(Ty) -> bool) -> Vec<usize> {
        sc.attrs
            .iter()
            .copied()
            .filter(|&i| want(self.c.attrs[i].ty))
            .collect()
    }

    fn props_of(&self, sc: &Scope, want: impl Fn(Ty) -> bool) -> Vec<usize> {
        match sc.event {
            Some(e) => (0..self.c.events[e].props.len())
                .filter(|&p| want(self.c.events[e].props[p].ty))
                .collect(),
            None => Vec::new(),
        }
    }

    /// A property as a name in a `where`: bare, or with the event's name in front.
    fn prop_ref(&mut self, e: usize, p: usize) -> String {
        let ev = &self.c.events[e];
        let name = ev.props[p].name.clone();
        if RESERVED_PROPS.contains(&name.as_str()) || self.s.chance(20) {
            format!("{}.{}", ev.name, name)
        } else {
            name
        }
    }

    /// A reference to attribute `a` that is never missing: `(lead.a ?? fallback)` for an
    /// optional.
    fn attr_value(&mut self, a: usize, fallback: &str) -> String {
        let at = &self.c.attrs[a];
        if at.optional {
            format!("(lead.{} ?? {fallback})", at.name)
        } else {
            format!("lead.{}", at.name)
        }
    }

    fn history_filters(&mut self, sc: &Scope, e: usize) -> String {
        let mut out = String::new();
        if !self.c.events[e].props.is_empty() && self.s.chance(40) {
            let inner = Scope {
                event: Some(e),
                ..sc.clone()
            };
            let cond = self.bool_expr(&inner, 1);
            let _ = write!(out, " where {cond}");
        }
        if self.s.chance(50) {
            let _ = write!(out, " within {}", self.s.pick(DURS));
        }
        if sc.workflow && self.s.chance(30) {
            out.push_str(" since enrolled");
        }
        out
    }

    fn event_name(&mut self) -> (usize, String) {
        let e = self.s.below(self.n_events);
        (e, self.c.events[e].name.clone())
    }

    /// A numeric expression, never missing unless it divides or reads a missing score.
    fn num_expr(&mut self, sc: &Scope, depth: u32) -> String {
        let choice = if depth == 0 {
            self.s.below(6)
        } else {
            self.s.below(9)
        };
        match choice {
            1 => self.s.pick(NUMS).to_string(),
            2 => {
                let attrs = self.attrs_of(sc, |t| matches!(t, Ty::Int | Ty::Num));
                if attrs.is_empty() {
                    return self.s.pick(INTS).to_string();
                }
                let a = *self.s.pick(&attrs);
                let fallback = self.s.pick(INTS).to_string();
                self.attr_value(a, &fallback)
            }
            3 if !sc.scores.is_empty() => self.s.pick(&sc.scores).clone(),
            4 if sc.event.is_none() => {
                let (e, name) = self.event_name();
                let filters = self.history_filters(sc, e);
                format!("(count {name}{filters})")
            }
            5 => {
                let props = self.props_of(sc, |t| matches!(t, Ty::Int | Ty::Num));
                match (sc.event, props.is_empty()) {
                    (Some(e), false) => {
                        let p = *self.s.pick(&props);
                        let r = self.prop_ref(e, p);
                        if self.c.events[e].props[p].optional {
                            format!("({r} ?? 0)")
                        } else {
                            r
                        }
                    }
                    _ => self.s.pick(INTS).to_string(),
                }
            }
            6 | 7 => {
                let op = *self.s.pick(&["+", "-", "*", "/"]);
                let a = self.num_expr(sc, depth - 1);
                let b = self.num_expr(sc, depth - 1);
                format!("({a} {op} {b})")
            }
            8 => format!("-({})", self.num_expr(sc, depth - 1)),
            _ => self.s.pick(INTS).to_string(),
        }
    }

    fn text(&mut self, sc: &Scope) -> String {
        if sc.in_text {
            plain_text_lit(self.s)
        } else {
            text_lit(self.s)
        }
    }

    /// A text expression that is never missing. Never an interpolating string: those compile
    /// only as a whole `notify` message (bug B5 in docs/fuzzing.md).
    fn str_expr(&mut self, sc: &Scope) -> String {
        match self.s.below(4) {
            1 => "lead.email".into(),
            2 => {
                let attrs = self.attrs_of(sc, |t| t == Ty::Str);
                if attrs.is_empty() {
                    return self.text(sc);
                }
                let a = *self.s.pick(&attrs);
                let fallback = self.text(sc);
                self.attr_value(a, &fallback)
            }
            3 => {
                let props = self.props_of(sc, |t| t == Ty::Str);
                match (sc.event, props.is_empty()) {
                    (Some(e), false) => {
                        let p = *self.s.pick(&props);
                        let r = self.prop_ref(e, p);
                        if self.c.events[e].props[p].optional {
                            let fallback = self.text(sc);
                            format!("({r} ?? {fallback})")
                        } else {
                            r
                        }
                    }
                    _ => self.text(sc),
                }
            }
            _ => self.text(sc),
        }
    }

    /// A string with interpolations of values that are never missing.
    fn interpolated(&mut self, sc: &Scope) -> String {
        let sc = &Scope {
            in_text: true,
            ..sc.clone()
        };
        let mut out = String::from("\"");
        for _ in 0..=self.s.below(4) {
            match self.s.below(6) {
                0 => out.push_str(self.s.pick::<&str>(TEXTS)),
                1 => out.push_str("{lead.email}"),
                2 => {
                    let n = self.num_expr(sc, 1);
                    let _ = write!(out, "{{{n}}}");
                }
                3 => {
                    let t = self.str_expr(sc);
                    let _ = write!(out, "{{{t}}}");
                }
                4 => {
                    let b = self.bool_expr(sc, 0);
                    let _ = write!(out, "{{{b}}}");
                }
                _ => {
                    let attrs = self.attrs_of(sc, |t| t != Ty::Tz);
                    if !attrs.is_empty() {
                        let a = *self.s.pick(&attrs);
                        let fallback = self.literal(self.c.attrs[a].ty);
                        let v = self.attr_value(a, &fallback);
                        let _ = write!(out, "{{{v}}}");
                    }
                }
            }
            out.push(' ');
        }
        out.push('"');
        out
    }

    /// A literal of the type (never missing).
    fn literal(&mut self, ty: Ty) -> String {
        match ty {
            Ty::Int => self.s.pick(INTS).to_string(),
            Ty::Num => self.s.pick(NUMS).to_string(),
            Ty::Str => plain_text_lit(self.s),
            Ty::Bool => self.s.pick(&["true", "false"]).to_string(),
            Ty::Enum(k) => {
                let v = self.s.pick(&self.c.enums[k]).clone();
                if self.s.chance(30) {
                    format!("E{k}.{v}")
                } else {
                    v
                }
            }
            Ty::Time => self.s.pick(TIMES).to_string(),
            Ty::Dur => self.s.pick(DURS).to_string(),
            Ty::Tz => format!("\"{}\"", self.s.pick(ZONES)),
        }
    }

    /// A value of the attribute's type for `set lead.a = …`.
    fn value_of(&mut self, sc: &Scope, ty: Ty) -> String {
        match ty {
            Ty::Int if self.s.chance(50) => {
                // `+`, `-` and `*` keep ints ints; `/` would not.
                let ints = self.attrs_of(sc, |t| t == Ty::Int);
                let a = match ints.first() {
                    Some(_) => {
                        let a = *self.s.pick(&ints);
                        let fallback = self.s.pick(INTS).to_string();
                        self.attr_value(a, &fallback)
                    }
                    None => self.s.pick(INTS).to_string(),
                };
                let op = *self.s.pick(&["+", "-", "*"]);
                format!("{a} {op} {}", self.s.pick(INTS))
            }
            Ty::Num if self.s.chance(50) => self.num_expr(sc, 2),
            Ty::Str if self.s.chance(50) => self.str_expr(sc),
            Ty::Bool if self.s.chance(50) => self.bool_expr(sc, 1),
            Ty::Time if self.s.chance(50) => {
                format!("now {} {}", self.s.pick(&["+", "-"]), self.s.pick(DURS))
            }
            _ => self.literal(ty),
        }
    }

    /// A condition.
    fn bool_expr(&mut self, sc: &Scope, depth: u32) -> String {
        let choice = if depth == 0 {
            self.s.below(13)
        } else {
            self.s.below(17)
        };
        let history = sc.event.is_none();
        match choice {
            1 => {
                let attrs = self.attrs_of(sc, |t| t == Ty::Bool);
                if attrs.is_empty() {
                    return "false".into();
                }
                let a = *self.s.pick(&attrs);
                self.attr_value(a, "false")
            }
            2 => {
                let op = *self.s.pick(&["==", "!=", "<", "<=", ">", ">="]);
                let a = self.num_expr(sc, depth.min(1));
                let b = self.num_expr(sc, 0);
                format!("{a} {op} {b}")
            }
            3 => {
                let x = self.str_expr(sc);
                match self.s.below(6) {
                    0 => format!("{x} contains {}", self.text(sc)),
                    1 => format!("{x} starts_with {}", self.text(sc)),
                    2 => format!("{x} ends_with {}", self.text(sc)),
                    3 => format!("{x} matches \"{}\"", self.s.pick(REGEXES)),
                    4 => {
                        let neg = if self.s.chance(50) { "not " } else { "" };
                        format!("{x} {neg}in [{}, {}]", self.text(sc), self.text(sc))
                    }
                    _ => {
                        let op = *self.s.pick(&["==", "!="]);
                        let y = self.str_expr(sc);
                        format!("{x} {op} {y}")
                    }
                }
            }
            4 => {
                let attrs = self.attrs_of(sc, |t| matches!(t, Ty::Enum(_)));
                if attrs.is_empty() {
                    return "true".into();
                }
                let a = *self.s.pick(&attrs);
                let ty = self.c.attrs[a].ty;
                let name = self.c.attrs[a].name.clone();
                let v = self.literal(ty);
                if self.s.chance(50) {
                    let w = self.literal(ty);
                    format!("lead.{name} in [{v}, {w}]")
                } else {
                    format!("lead.{name} == {v}")
                }
            }
            5 => {
                if sc.attrs.is_empty() {
                    return "true".into();
                }
                let a = *self.s.pick(&sc.attrs);
                let name = &self.c.attrs[a].name;
                let what = if self.s.chance(50) { "set" } else { "missing" };
                format!("lead.{name} is {what}")
            }
            6 if !sc.lists.is_empty() => self.s.pick(&sc.lists).clone(),
            7 if history => {
                let (e, name) = self.event_name();
                let filters = self.history_filters(sc, e);
                format!("did {name}{filters}")
            }
            8 if history => {
                let (e, name) = self.event_name();
                let filters = self.history_filters(sc, e);
                let op = *self.s.pick(&[">=", "<", "=="]);
                format!("(count {name}{filters}) {op} {}", self.s.below(4))
            }
            9 if history => {
                let (e, name) = self.event_name();
                let filters = self.history_filters(sc, e);
                format!(
                    "((last {name}{filters}) ?? {}) > now - {}",
                    self.s.pick(TIMES),
                    self.s.pick(DURS)
                )
            }
            10 => format!("lead.tags contains {}", self.text(sc)),
            11 => {
                // Times, durations and the time zone.
                let attrs = self.attrs_of(sc, |t| matches!(t, Ty::Time | Ty::Dur | Ty::Tz));
                if attrs.is_empty() {
                    return format!("now > {}", self.s.pick(TIMES));
                }
                let a = *self.s.pick(&attrs);
                let ty = self.c.attrs[a].ty;
                let fallback = self.literal(ty);
                let v = self.attr_value(a, &fallback);
                match ty {
                    Ty::Time => format!("{v} < now - {}", self.s.pick(DURS)),
                    Ty::Dur => format!("{v} >= {}", self.s.pick(DURS)),
                    _ => format!("{v} == {}", self.literal(ty)),
                }
            }
            12 => {
                // A property of the event in a `where`.
                let Some(e) = sc.event else {
                    return "true".into();
                };
                let props = self.props_of(sc, |t| matches!(t, Ty::Bool | Ty::Time | Ty::Enum(_)));
                if props.is_empty() {
                    return "true".into();
                }
                let p = *self.s.pick(&props);
                let r = self.prop_ref(e, p);
                let pr = self.c.events[e].props[p].clone();
                match pr.ty {
                    Ty::Bool if pr.optional => format!("({r} ?? false)"),
                    Ty::Bool => r,
                    Ty::Time => format!("{r} > {}", self.s.pick(TIMES)),
                    ty => format!("{r} == {}", self.literal(ty)),
                }
            }
            13 => format!("not ({})", self.bool_expr(sc, depth - 1)),
            14 | 15 => {
                let op = *self.s.pick(&["and", "or"]);
                let a = self.bool_expr(sc, depth - 1);
                let b = self.bool_expr(sc, depth - 1);
                format!("({a}) {op} ({b})")
            }
            16 => {
                let a = self.bool_expr(sc, depth - 1);
                let b = self.bool_expr(sc, depth - 1);
                let c = self.bool_expr(sc, depth - 1);
                format!("({a}) and ({b}) and ({c})")
            }
            _ => self.s.pick(&["true", "false"]).to_string(),
        }
    }

    // -----------------------------------------------------------------------------------
    // Steps.

    fn template(&mut self) -> String {
        format!("\"t{}\"", self.s.below(6))
    }

    /// One action step (also a trigger's action). `free_sets`: may set attributes that lists
    /// and scores read.
    fn action(&mut self, sc: &Scope, free_sets: bool) -> String {
        match self.s.below(10) {
            1 => {
                let channel = *self.s.pick(&["email", "sms", "push"]);
                format!("send {channel} {}", self.template())
            }
            2 => {
                let who = *self.s.pick(&["sales", "owner"]);
                format!("notify {who} {}", self.interpolated(sc))
            }
            3 => {
                let how = *self.s.pick(&["add", "remove"]);
                format!("retarget {how} \"aud{}\"", self.s.below(3))
            }
            4 => {
                let mut fields = Vec::new();
                for i in 0..self.s.below(4) {
                    let v = match self.s.below(4) {
                        0 => self.num_expr(sc, 1),
                        1 => self.str_expr(sc),
                        2 => self.bool_expr(sc, 1),
                        _ => {
                            // A value that may be missing is sent as null.
                            let attrs = sc.attrs.clone();
                            match attrs.first() {
                                Some(_) => {
                                    let a = *self.s.pick(&attrs);
                                    format!("lead.{}", self.c.attrs[a].name)
                                }
                                None => "now".into(),
                            }
                        }
                    };
                    fields.push(format!("f{i}: {v}"));
                }
                if fields.is_empty() && self.s.chance(50) {
                    format!("webhook \"hook{}\"", self.s.below(3))
                } else {
                    format!(
                        "webhook \"hook{}\" {{ {} }}",
                        self.s.below(3),
                        fields.join(", ")
                    )
                }
            }
            5 | 6 => {
                let targets: Vec<usize> = (0..self.c.attrs.len())
                    .filter(|&i| {
                        self.c.attrs[i].ty != Ty::Tz && (free_sets || !self.c.attrs[i].cond)
                    })
                    .collect();
                if targets.is_empty() {
                    return format!("tag \"tag{}\"", self.s.below(3));
                }
                let a = *self.s.pick(&targets);
                let (name, ty) = (self.c.attrs[a].name.clone(), self.c.attrs[a].ty);
                let v = self.value_of(sc, ty);
                format!("set lead.{name} = {v}")
            }
            7 => format!("tag \"tag{}\"", self.s.below(3)),
            8 => format!("untag \"tag{}\"", self.s.below(3)),
            9 if !self.workflows.is_empty() => {
                let how = if self.s.chance(70) { "start" } else { "stop" };
                format!("{how} {}", self.s.pick(&self.workflows).clone())
            }
            _ => {
                let channel = *self.s.pick(&["email", "sms"]);
                format!("send {channel} {}", self.template())
            }
        }
    }

    /// Steps of a workflow block; `waited` says whether a wait came before at the top level.
    fn steps(&mut self, sc: &Scope, depth: u32, out: &mut String, indent: &str, waited: &mut bool) {
        let n = 1 + self.s.below(if depth == 0 { 7 } else { 3 });
        for _ in 0..n {
            let choice = if depth >= 2 {
                self.s.below(5)
            } else {
                self.s.below(9)
            };
            match choice {
                0..=2 => {
                    let a = self.action(sc, *waited);
                    let _ = writeln!(out, "{indent}{a}");
                }
                3 => {
                    let _ = writeln!(out, "{indent}wait {}", self.s.pick(DURS));
                    if depth == 0 {
                        *waited = true;
                    }
                }
                4 => {
                    let weekday = if self.s.chance(50) { "weekday " } else { "" };
                    let _ = writeln!(out, "{indent}wait until {weekday}{}", self.s.pick(TODS));
                    if depth == 0 {
                        *waited = true;
                    }
                }
                5 => {
                    let (e, name) = self.event_name();
                    let mut line = format!("{indent}wait up to {} for {name}", self.s.pick(DURS));
                    if !self.c.events[e].props.is_empty() && self.s.chance(40) {
                        let inner = Scope {
                            event: Some(e),
                            ..sc.clone()
                        };
                        let cond = self.bool_expr(&inner, 1);
                        let _ = write!(line, " where {cond}");
                    }
                    let _ = writeln!(out, "{line}");
                    if depth == 0 {
                        *waited = true;
                    }
                    if self.s.chance(60) {
                        let cond = if self.s.chance(50) {
                            "received".to_string()
                        } else {
                            format!("received and ({})", self.bool_expr(sc, 0))
                        };
                        let _ = writeln!(out, "{indent}if {cond} {{");
                        let inner = format!("{indent}  ");
                        let mut w = *waited;
                        self.actions_only(sc, out, &inner, &mut w);
                        let _ = writeln!(out, "{indent}}}");
                    }
                }
                6 | 7 => {
                    let cond = self.bool_expr(sc, 2);
                    let _ = writeln!(out, "{indent}if {cond} {{");
                    let inner = format!("{indent}  ");
                    let mut w = *waited;
                    self.steps(sc, depth + 1, out, &inner, &mut w);
                    if self.s.chance(40) {
                        let cond = self.bool_expr(sc, 1);
                        let _ = writeln!(out, "{indent}}} else if {cond} {{");
                        let mut w = *waited;
                        self.steps(sc, depth + 1, out, &inner, &mut w);
                    }
                    if self.s.chance(50) {
                        let _ = writeln!(out, "{indent}}} else {{");
                        let mut w = *waited;
                        self.steps(sc, depth + 1, out, &inner, &mut w);
                    }
                    let _ = writeln!(out, "{indent}}}");
                }
                _ => {
                    let shares: &[&[u32]] =
                        &[&[50, 50], &[10, 90], &[33, 33, 34], &[100], &[1, 99]];
                    let shares = *self.s.pick(shares);
                    let _ = writeln!(out, "{indent}split {{");
                    let inner = format!("{indent}    ");
                    for (i, p) in shares.iter().enumerate() {
                        let mut w = *waited;
                        if self.s.chance(50) {
                            let a = self.action(sc, w);
                            let _ = writeln!(out, "{indent}  {p}% \"v{i}\": {a}");
                        } else {
                            let _ = writeln!(out, "{indent}  {p}% \"v{i}\": {{");
                            self.steps(sc, depth + 1, out, &inner, &mut w);
                            let _ = writeln!(out, "{indent}  }}");
                        }
                    }
                    let _ = writeln!(out, "{indent}}}");
                }
            }
        }
    }

    /// Action steps only (after `if received`, where another wait would be allowed too, but
    /// keeps `received` simple).
    fn actions_only(&mut self, sc: &Scope, out: &mut String, indent: &str, waited: &mut bool) {
        for _ in 0..=self.s.below(2) {
            let a = self.action(sc, *waited);
            let _ = writeln!(out, "{indent}{a}");
        }
    }
}

/// Generates a campaign. Every campaign it makes checks without an error.
pub fn campaign(s: &mut Src) -> Campaign {
    let mut g = Gen {
        s,
        c: Campaign {
            events: prelude_events(),
            ..Campaign::default()
        },
        n_events: 0,
        workflows: Vec::new(),
    };
    let mut out = String::new();
    if g.s.chance(80) {
        let _ = writeln!(out, "campaign \"Generated {}\"\n", g.s.below(100));
    }

    // Enums.
    for k in 0..g.s.below(3) {
        let variants: Vec<String> = (0..1 + g.s.below(4)).map(|v| format!("e{k}v{v}")).collect();
        let _ = writeln!(out, "enum E{k} {{ {} }}", variants.join(", "));
        g.c.enums.push(variants);
    }

    // The lead schema.
    g.c.attrs.push(Attr {
        name: "email".into(),
        ty: Ty::Str,
        optional: false,
        // Conditions read `lead.email` directly.
        cond: true,
    });
    let mut schema = String::from("lead {\n  email: string\n");
    if g.s.chance(60) {
        let zone = *g.s.pick(ZONES);
        let _ = writeln!(schema, "  timezone: timezone = \"{zone}\"");
        g.c.attrs.push(Attr {
            name: "timezone".into(),
            ty: Ty::Tz,
            optional: false,
            cond: true,
        });
    }
    for i in 0..g.s.below(7) {
        let mut kinds = vec![Ty::Int, Ty::Num, Ty::Str, Ty::Bool, Ty::Time, Ty::Dur];
        kinds.extend((0..g.c.enums.len()).map(Ty::Enum));
        let ty = *g.s.pick(&kinds);
        let type_name = match ty {
            Ty::Int => "int".to_string(),
            Ty::Num => "number".into(),
            Ty::Str => "string".into(),
            Ty::Bool => "bool".into(),
            Ty::Time => "time".into(),
            Ty::Dur => "duration".into(),
            Ty::Enum(k) => format!("E{k}"),
            Ty::Tz => "timezone".into(),
        };
        let name = format!("a{i}");
        match g.s.below(3) {
            0 => {
                let _ = writeln!(schema, "  {name}: {type_name}?");
            }
            1 => {
                let v = g.literal(ty);
                let _ = writeln!(schema, "  {name}: {type_name} = {v}");
            }
            _ => {
                let _ = writeln!(schema, "  {name}: {type_name}");
            }
        }
        let optional = schema.ends_with("?\n");
        let cond = g.s.chance(60);
        g.c.attrs.push(Attr {
            name,
            ty,
            optional,
            cond,
        });
    }
    schema.push_str("}\n\n");
    out.push_str(&schema);

    // The campaign's own events.
    for i in 0..g.s.below(4) {
        let name = if g.s.chance(50) {
            format!("ev{i}.happened")
        } else {
            format!("ev{i}")
        };
        let segment = g.s.chance(50).then(|| format!("Event {i} Happened"));
        let mut props = Vec::new();
        for p in 0..g.s.below(5) {
            let mut kinds = vec![Ty::Int, Ty::Num, Ty::Str, Ty::Bool, Ty::Time, Ty::Dur];
            kinds.extend((0..g.c.enums.len()).map(Ty::Enum));
            let ty = *g.s.pick(&kinds);
            let optional = g.s.chance(25);
            props.push(prop(&format!("p{p}"), ty, optional));
        }
        let _ = write!(out, "event {name}");
        if let Some(seg) = &segment {
            let _ = write!(out, " as \"{seg}\"");
        }
        if !props.is_empty() || g.s.chance(30) {
            let decls: Vec<String> = props
                .iter()
                .map(|p| {
                    let t = match p.ty {
                        Ty::Int => "int".to_string(),
                        Ty::Num => "number".into(),
                        Ty::Str => "string".into(),
                        Ty::Bool => "bool".into(),
                        Ty::Time => "time".into(),
                        Ty::Dur => "duration".into(),
                        Ty::Enum(k) => format!("E{k}"),
                        Ty::Tz => "timezone".into(),
                    };
                    format!("{}: {t}{}", p.name, if p.optional { "?" } else { "" })
                })
                .collect();
            let _ = write!(out, " {{ {} }}", decls.join(", "));
        }
        out.push('\n');
        g.c.events.push(Event {
            name,
            segment,
            props,
        });
    }
    out.push('\n');
    g.n_events = g.c.events.len();

    // Workflow names first: triggers and steps may start any of them.
    let n_workflows = g.s.below(4);
    g.workflows = (0..n_workflows).map(|i| format!("w{i}")).collect();

    // Scores and lists, each reading only those before it.
    let all_attrs: Vec<usize> = (0..g.c.attrs.len()).collect();
    let cond_attrs: Vec<usize> = all_attrs
        .iter()
        .copied()
        .filter(|&a| g.c.attrs[a].cond)
        .collect();
    let mut scores: Vec<String> = Vec::new();
    let mut lists: Vec<String> = Vec::new();
    for i in 0..g.s.below(7) {
        let sc = Scope {
            attrs: cond_attrs.clone(),
            scores: scores.clone(),
            lists: lists.clone(),
            event: None,
            workflow: false,
            in_text: false,
        };
        let desc = if g.s.chance(20) {
            " \"A description {not interpolated}\""
                .replace('{', "{{")
                .replace('}', "}}")
        } else {
            String::new()
        };
        match g.s.below(3) {
            0 => {
                let name = format!("l{i}");
                let cond = g.bool_expr(&sc, 2);
                let _ = writeln!(out, "list {name}{desc} = {cond}");
                lists.push(name);
            }
            1 => {
                let name = format!("s{i}");
                let n = g.num_expr(&sc, 2);
                let _ = writeln!(out, "score {name}{desc} = {n}");
                scores.push(name);
            }
            _ => {
                let name = format!("s{i}");
                let _ = writeln!(out, "score {name}{desc} {{");
                if g.s.chance(40) {
                    let p = *g.s.pick(&["1%", "50%", "99%", "100%", "12.5%"]);
                    let _ = writeln!(out, "  decay {p} every {}", g.s.pick(DURS));
                }
                for _ in 0..g.s.below(5) {
                    let n = *g.s.pick(&["1", "5", "2.5", "-3", "100", "0"]);
                    if g.s.chance(40) {
                        let cond = g.bool_expr(&sc, 1);
                        let how = *g.s.pick(&["add", "subtract"]);
                        let _ = writeln!(out, "  when {cond} {how} {n}");
                    } else {
                        let (e, ev) = g.event_name();
                        let mut line = format!("  on {ev}");
                        if !g.c.events[e].props.is_empty() && g.s.chance(40) {
                            let inner = Scope {
                                event: Some(e),
                                ..sc.clone()
                            };
                            let cond = g.bool_expr(&inner, 1);
                            let _ = write!(line, " where {cond}");
                        }
                        let how = *g.s.pick(&["add", "subtract", "set"]);
                        let _ = write!(line, " {how} {n}");
                        if g.s.chance(30) {
                            let _ = write!(
                                line,
                                " at most {} times per {}",
                                1 + g.s.below(5),
                                g.s.pick(DURS)
                            );
                        }
                        let _ = writeln!(out, "{line}");
                    }
                }
                let _ = writeln!(out, "}}");
                scores.push(name);
            }
        }
    }
    out.push('\n');

    // Triggers.
    let everything = Scope {
        attrs: all_attrs.clone(),
        scores: scores.clone(),
        lists: lists.clone(),
        event: None,
        workflow: false,
        in_text: false,
    };
    for _ in 0..g.s.below(6) {
        let (source, free_sets) = match g.s.below(4) {
            3 if !lists.is_empty() => {
                let how = if g.s.chance(60) { "enter" } else { "exit" };
                (format!("{how} {}", g.s.pick(&lists).clone()), false)
            }
            _ => {
                let (e, ev) = g.event_name();
                let mut src = ev;
                if !g.c.events[e].props.is_empty() && g.s.chance(40) {
                    let inner = Scope {
                        event: Some(e),
                        ..everything.clone()
                    };
                    let cond = g.bool_expr(&inner, 1);
                    let _ = write!(src, " where {cond}");
                }
                (src, true)
            }
        };
        let action = if !g.workflows.is_empty() && g.s.chance(60) {
            format!("start {}", g.s.pick(&g.workflows).clone())
        } else {
            g.action(&everything, free_sets)
        };
        let _ = writeln!(out, "on {source} {action}");
    }
    out.push('\n');

    // Workflows.
    let in_workflow = Scope {
        workflow: true,
        ..everything.clone()
    };
    for w in g.workflows.clone() {
        let desc = if g.s.chance(20) { " \"A journey\"" } else { "" };
        let _ = writeln!(out, "workflow {w}{desc} {{");
        match g.s.below(4) {
            1 => {
                let _ = writeln!(out, "  enroll once");
            }
            2 => {
                let _ = writeln!(out, "  enroll once per {}", g.s.pick(DURS));
            }
            3 => {
                let _ = writeln!(out, "  enroll every time");
            }
            _ => {}
        }
        if g.s.chance(40) {
            let cond = g.bool_expr(&everything, 1);
            let _ = writeln!(out, "  only if {cond}");
        }
        if g.s.chance(50) {
            let cond = g.bool_expr(&in_workflow, 1);
            let _ = writeln!(out, "  exit when {cond}");
        }
        if g.s.chance(40) {
            let cond = g.bool_expr(&in_workflow, 1);
            let _ = writeln!(out, "  goal {cond}");
        }
        let mut waited = false;
        g.steps(&in_workflow, 0, &mut out, "  ", &mut waited);
        let _ = writeln!(out, "}}\n");
    }

    // The policy.
    if g.s.chance(70) {
        let _ = writeln!(out, "policy {{");
        for channel in ["email", "sms", "push"] {
            if g.s.chance(60) {
                let _ = writeln!(
                    out,
                    "  frequency {channel} at most {} per {}",
                    1 + g.s.below(5),
                    g.s.pick(DURS)
                );
            }
        }
        if g.s.chance(40) {
            let from = g.s.below(TODS.len());
            let to = (from + 1 + g.s.below(TODS.len() - 1)) % TODS.len();
            let _ = writeln!(out, "  quiet hours {} to {}", TODS[from], TODS[to]);
        }
        for _ in 0..g.s.below(3) {
            let cond = g.bool_expr(&everything, 1);
            let _ = writeln!(out, "  suppress when {cond}");
        }
        let _ = writeln!(out, "}}");
    }

    g.c.text = out;
    g.c
}

// ---------------------------------------------------------------------------------------
// Event streams.

/// 2026-03-02T08:00:00Z, in milliseconds as the engine counts time.
pub const BASE: i64 = 1_772_438_400_000;

/// A JSON string literal.
pub fn json_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Texts for string values in events: some look like Nurture code, which must stay data.
const VALUES: &[&str] = &[
    "a",
    "",
    "/pricing/team",
    "{lead.email}",
    "{{x}}",
    "\" or true or \"",
    "VP of Sales",
    "é ü 日本 🚀",
    "\u{0}\u{1}",
    "x@gmail.com",
    "director",
    "12",
];

const INSTANTS: &[&str] = &[
    "2026-03-02T09:00:00Z",
    "1970-01-01T00:00:00Z",
    "2026-03-29T01:30:00+01:00",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
];

/// A JSON value for a field of this type: most of the time right, sometimes not.
fn json_value(s: &mut Src, c: &Campaign, ty: Ty) -> String {
    if s.chance(6) {
        return "null".into();
    }
    if s.chance(5) {
        // The wrong type.
        return s
            .pick(&["\"7\"", "true", "[1,2]", "{\"a\":1}", "2.5", "-0", "1e999"])
            .to_string();
    }
    match ty {
        Ty::Int => s
            .pick(&[
                "0",
                "1",
                "-1",
                "42",
                "1000000",
                "3.0",
                "9223372036854775807",
                "-9223372036854775808",
                "4611686018427387904",
            ])
            .to_string(),
        Ty::Num => s
            .pick(&[
                "0",
                "1.5",
                "-2",
                "1e300",
                "-1e300",
                "5e-324",
                "123456789.125",
                "50",
            ])
            .to_string(),
        Ty::Str => json_str(s.pick::<&str>(VALUES)),
        Ty::Bool => s.pick(&["true", "false"]).to_string(),
        Ty::Enum(k) => {
            if s.chance(10) {
                "\"no_such_variant\"".into()
            } else {
                json_str(s.pick(&c.enums[k]).as_str())
            }
        }
        Ty::Time => json_str(s.pick::<&str>(INSTANTS)),
        Ty::Dur => s
            .pick(&["0", "60", "86400", "-3600", "9223372036854775807", "1.5"])
            .to_string(),
        Ty::Tz => json_str(s.pick::<&str>(&[
            "UTC",
            "Europe/Paris",
            "Australia/Lord_Howe",
            "America/St_Johns",
            "Mars/Olympus_Mons",
        ])),
    }
}

/// A stream of Segment lines for the campaign, in time order but for the odd late record,
/// and the `until` to finish with.
pub fn stream(s: &mut Src, c: &Campaign, max_lines: usize) -> (Vec<String>, Option<i64>) {
    let mut lines = Vec::new();
    let mut t = BASE;
    while !s.exhausted() && lines.len() < max_lines {
        // Milliseconds: bursts within a second, seconds, hours, days.
        t += *s.pick(&[
            0i64,
            0,
            1,
            250,
            999,
            59_000,
            60_000,
            3_600_000,
            10_800_000,
            86_400_000,
            172_800_000,
            604_800_000,
            2_678_400_000,
        ]);
        let at = if s.chance(3) { t - 3_600_000 } else { t };
        let stamp = json_str(&nurture::lang::format::instant(at));
        let user = match s.below(12) {
            0 => "42".to_string(),
            1 if s.chance(20) => "\"\"".to_string(),
            n => json_str(&format!("u{}", n % 4)),
        };
        let line = match s.below(20) {
            0..=5 => {
                let mut traits = Vec::new();
                for a in &c.attrs {
                    if s.chance(50) {
                        let v = json_value(s, c, a.ty);
                        traits.push(format!("{}:{v}", json_str(&a.name)));
                    }
                }
                if s.chance(10) {
                    traits.push("\"not_declared\":1".into());
                }
                if s.chance(5) {
                    traits.push("\"tags\":[\"vip\"]".into());
                }
                format!(
                    "{{\"type\":\"identify\",\"userId\":{user},\"traits\":{{{}}},\"timestamp\":{stamp}}}",
                    traits.join(",")
                )
            }
            6..=16 => {
                let e = &c.events[s.below(c.events.len())];
                let name = match &e.segment {
                    Some(seg) if s.chance(80) => seg.clone(),
                    _ => e.name.clone(),
                };
                let mut props = Vec::new();
                for p in &e.props {
                    if !p.optional && s.chance(97) || p.optional && s.chance(60) {
                        let v = json_value(s, c, p.ty);
                        props.push(format!("{}:{v}", json_str(&p.name)));
                    }
                }
                if s.chance(10) {
                    props.push("\"extra\":{\"nested\":[1,2,3]}".into());
                }
                let props = format!("{{{}}}", props.join(","));
                if s.chance(15) {
                    // Properties before the event: the intake's second path.
                    format!(
                        "{{\"properties\":{props},\"timestamp\":{stamp},\"userId\":{user},\"event\":{}}}",
                        json_str(&name)
                    )
                } else {
                    format!(
                        "{{\"type\":\"track\",\"userId\":{user},\"event\":{},\"properties\":{props},\"timestamp\":{stamp}}}",
                        json_str(&name)
                    )
                }
            }
            17 => format!(
                "{{\"type\":\"track\",\"userId\":{user},\"event\":\"Not Declared\",\"properties\":{{}},\"timestamp\":{stamp}}}"
            ),
            18 => format!("{{\"type\":\"page\",\"userId\":{user},\"timestamp\":{stamp}}}"),
            _ => s
                .pick(&["", "{", "null", "[]", "{\"type\":\"identify\"}", "not json"])
                .to_string(),
        };
        lines.push(line);
    }
    let until = match s.below(4) {
        0 => None,
        1 => Some(t),
        2 => Some(t + 30 * 86_400_000),
        _ => Some(t + 400 * 86_400_000),
    };
    (lines, until)
}

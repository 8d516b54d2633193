//! The native baseline: benches/reference.nurture written by hand in plain Rust.
//!
//! Plain structs per lead (attributes reduced to what the rules read, scores as f64 with their
//! last-update time, history as last-seen times and small rings), one timer heap, and each
//! workflow as a `match` over its step. It follows the semantics of language.md §2–§9 and the
//! VM's documented choices (f64 scores, sliding rings for caps, rechecks when a `within` window
//! closes or a decaying score crosses a list's threshold), so that tests/native_baseline.rs
//! can check it gives the VM's actions on the same input. It is only a baseline while it does
//! the same work. Times are milliseconds, as the VM's are; the workloads give a lead's records
//! distinct times (its identify just before its first event), so its `since enrolled` needs
//! no order within an instant.

use chrono::{TimeZone, Timelike};
use chrono_tz::Tz;
use compact_str::CompactString;
use dary_heap::QuaternaryHeap;
use std::cmp::Reverse;
use std::collections::HashMap;

// Times are milliseconds, as the VM counts them.
const H: i64 = 3_600_000;
const D: i64 = 86_400_000;

/// One input record, parsed up front (the baseline times processing, not JSON).
#[derive(Debug, Clone)]
pub struct Input {
    pub lead: String,
    pub at: i64,
    pub kind: In,
}

#[derive(Debug, Clone)]
pub enum In {
    Identify(Box<Traits>),
    PageViewed { url: String },
    EmailOpened { template: String },
    EmailClicked,
    Ebook,
    Cart { value: f64 },
    Order,
    Form { contact: bool },
    Demo,
    Trial { team: bool },
    Webinar { minutes: i64 },
    Unsubscribed,
}

#[derive(Debug, Clone, Default)]
pub struct Traits {
    pub email: Option<String>,
    pub job_title: Option<String>,
    pub company_size: Option<i64>,
    pub country: Option<String>,
    pub industry: Option<String>,
    pub timezone: Option<String>,
    pub consent_email: Option<bool>,
}

/// Parses one Segment line; `None` for what the campaign does not declare (skipped, as the
/// engine skips it: the clock does not move).
pub fn parse(line: &str) -> Option<Input> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let lead = v["userId"].as_str()?.to_string();
    let at = chrono::DateTime::parse_from_rfc3339(v["timestamp"].as_str()?)
        .ok()?
        .timestamp_millis();
    let p = &v["properties"];
    let s = |k: &str| p[k].as_str().unwrap_or("").to_string();
    let kind = match v["type"].as_str()? {
        "identify" => {
            let t = &v["traits"];
            let s = |k: &str| t[k].as_str().map(str::to_string);
            In::Identify(Box::new(Traits {
                email: s("email"),
                job_title: s("job_title"),
                company_size: t["company_size"].as_i64(),
                country: s("country"),
                industry: s("industry"),
                timezone: s("timezone"),
                consent_email: t["consent_email"].as_bool(),
            }))
        }
        "track" => match v["event"].as_str()? {
            "page.viewed" => In::PageViewed { url: s("url") },
            "email.opened" => In::EmailOpened {
                template: s("template"),
            },
            "email.clicked" => In::EmailClicked,
            "Ebook Downloaded" => In::Ebook,
            "Cart Abandoned" => In::Cart {
                value: p["cart_value"].as_f64()?,
            },
            "order.placed" => In::Order,
            "form.submitted" => In::Form {
                contact: s("form") == "contact",
            },
            "Demo Requested" => In::Demo,
            "Trial Started" => In::Trial {
                team: s("plan") == "team",
            },
            "Webinar Attended" => In::Webinar {
                minutes: p["minutes"].as_i64()?,
            },
            "email.unsubscribed" => In::Unsubscribed,
            _ => return None,
        },
        _ => return None,
    };
    Some(Input { lead, at, kind })
}

/// What the baseline emits, comparable with the VM's `Action`.
#[derive(Debug, Clone, PartialEq)]
pub enum Act {
    Send(&'static str, &'static str),
    Suppressed(&'static str, &'static str, &'static str),
    Notify(String),
    SetStage(&'static str),
    Tag(&'static str),
    /// A conversion, with the variant of a run that passed the split.
    Converted(Option<&'static str>),
    /// The split's arm a run took.
    Assigned(&'static str),
    Entered(&'static str),
    Exited(&'static str),
}

/// Where an action came from: a workflow (by index), a trigger (by source index), the engine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Src {
    Workflow(u8),
    Trigger(u8),
    Engine,
}

pub const WORKFLOWS: [&str; 5] = [
    "welcome_series",
    "cart_recovery",
    "sales_handoff",
    "post_purchase",
    "win_back",
];
pub const LISTS: [&str; 10] = [
    "hot",
    "pricing_visitors",
    "ebook_readers",
    "cart_abandoners",
    "engaged",
    "enterprise",
    "active_trials",
    "clickers",
    "gone_quiet",
    "customers",
];
const HOT: u16 = 1;
const ENGAGED: u16 = 1 << 4;
const GONE_QUIET: u16 = 1 << 8;
const CUSTOMERS: u16 = 1 << 9;

pub trait Out {
    fn act(&mut self, at: i64, lead: &str, act: Act, src: Src);
}

impl Out for Vec<(i64, String, Act, Src)> {
    fn act(&mut self, at: i64, lead: &str, act: Act, src: Src) {
        self.push((at, lead.to_string(), act, src));
    }
}

/// Counts actions, dropping them.
#[derive(Default)]
pub struct Count(pub u64);

impl Out for Count {
    fn act(&mut self, _: i64, lead: &str, act: Act, _: Src) {
        std::hint::black_box((lead, act));
        self.0 += 1;
    }
}

const AWARENESS: u8 = 0;
const CONSIDERATION: u8 = 1;
const CUSTOMER: u8 = 3;
const STAGES: [&str; 4] = ["awareness", "consideration", "decision", "customer"];

/// Run status.
const NONE: u8 = 0;
const WAITING: u8 = 1;
const WAITING_FOR_EVENT: u8 = 2;
const HELD: u8 = 3;
const WATCHING_GOAL: u8 = 4;
const RUNNING: u8 = 5;

#[derive(Clone, Copy, Default)]
struct Run {
    status: u8,
    pc: u8,
    received: bool,
    wake: i64,
    enrolled: i64,
    last_enroll: i64,
}

#[derive(Clone)]
struct Lead {
    email: Option<Box<str>>,
    gmail: bool,
    title_fits: bool,
    company_size: Option<i64>,
    country_fits: bool,
    software: bool,
    tz: Tz,
    consent: bool,
    stage: u8,
    nurtured: bool,
    fit: f64,
    eng: f64,
    eng_at: i64,
    intent: f64,
    cap_open: [i64; 5],
    cap_blog: [i64; 10],
    cap_pricing: [i64; 3],
    last_pricing: i64,
    last_ebook: i64,
    last_cart: i64,
    last_order: i64,
    opens: [i64; 3],
    last_trial: i64,
    clicks: [i64; 2],
    last_open: i64,
    last_open_welcome: i64,
    last_unsub: i64,
    last_click: i64,
    lists: u16,
    runs: [Run; 5],
    sent_email: [i64; 3],
    sent_sms: [i64; 1],
    /// The due time of the queued recheck.
    recheck: i64,
    /// When the decaying score next takes the lead out of `hot`, as last computed (0: never).
    hot_due: i64,
}

impl Lead {
    fn new() -> Lead {
        Lead {
            email: None,
            gmail: false,
            title_fits: false,
            company_size: None,
            country_fits: false,
            software: false,
            tz: Tz::UTC,
            consent: true,
            stage: AWARENESS,
            nurtured: false,
            fit: 0.0,
            eng: 0.0,
            eng_at: 0,
            intent: 0.0,
            cap_open: [0; 5],
            cap_blog: [0; 10],
            cap_pricing: [0; 3],
            last_pricing: 0,
            last_ebook: 0,
            last_cart: 0,
            last_order: 0,
            opens: [0; 3],
            last_trial: 0,
            clicks: [0; 2],
            last_open: 0,
            last_open_welcome: 0,
            last_unsub: 0,
            last_click: 0,
            lists: 0,
            runs: [Run::default(); 5],
            sent_email: [0; 3],
            sent_sms: [0; 1],
            recheck: 0,
            hot_due: 0,
        }
    }

    fn engagement(&self, t: i64) -> f64 {
        let acc = self.eng;
        if acc != 0.0 && self.eng_at != 0 && t > self.eng_at {
            acc * 0.5f64.powf((t - self.eng_at) as f64 / (30 * D) as f64)
        } else {
            acc
        }
    }

    fn total(&self, t: i64) -> f64 {
        self.fit + self.engagement(t) + self.intent
    }

    fn hot(&self, t: i64) -> bool {
        self.total(t) >= 80.0 && self.stage != CUSTOMER
    }

    /// The `when` rules of `fit`, recomputed when attributes change.
    fn refit(&mut self) {
        let mut f = 0.0f64;
        if self.title_fits {
            f += 20.0;
        }
        let size = self.company_size.unwrap_or(0);
        if size >= 50 {
            f += 10.0;
        }
        if size >= 1000 {
            f += 10.0;
        }
        if self.gmail {
            f -= 15.0;
        }
        if self.country_fits {
            f += 5.0;
        }
        if self.software {
            f += 5.0;
        }
        self.fit = f;
    }

    /// Every list's membership now, as bits in source order.
    fn lists_at(&self, now: i64) -> u16 {
        let within = |t: i64, w: i64| t != 0 && now - t < w;
        let mut m = 0u16;
        if self.hot(now) {
            m |= HOT;
        }
        if within(self.last_pricing, 7 * D) {
            m |= 1 << 1;
        }
        if self.last_ebook != 0 {
            m |= 1 << 2;
        }
        if within(self.last_cart, D) && !within(self.last_order, D) {
            m |= 1 << 3;
        }
        if ring_count(&self.opens, now, 30 * D) >= 3 {
            m |= ENGAGED;
        }
        if self.company_size.unwrap_or(0) >= 1000 && self.country_fits {
            m |= 1 << 5;
        }
        if within(self.last_trial, 14 * D) && self.last_order == 0 {
            m |= 1 << 6;
        }
        if ring_count(&self.clicks, now, 14 * D) >= 2 {
            m |= 1 << 7;
        }
        if self.last_open != 0 && !within(self.last_open, 21 * D) {
            m |= GONE_QUIET;
        }
        if self.last_order != 0 {
            m |= CUSTOMERS;
        }
        m
    }
}

/// Stamps in a ring within the window ending now.
fn ring_count(ring: &[i64], now: i64, window: i64) -> u32 {
    ring.iter()
        .filter(|&&t| t != 0 && t <= now && now - t < window)
        .count() as u32
}

/// Replaces the oldest stamp (a never-used slot first).
fn ring_push(ring: &mut [i64], t: i64) {
    let mut oldest = 0;
    for i in 1..ring.len() {
        if ring[i] < ring[oldest] {
            oldest = i;
        }
    }
    ring[oldest] = t;
}

/// `at most N times per D` on a score rule: true when the rule counts this time.
fn capped(ring: &mut [i64], now: i64, per: i64) -> bool {
    if ring_count(ring, now, per) as usize >= ring.len() {
        return false;
    }
    ring_push(ring, now);
    true
}

/// Adds to a score's accumulated part, decayed to now first.
fn bump(acc: &mut f64, at: &mut i64, decays: bool, now: i64, amount: f64) {
    let cur = *acc;
    let cur = if decays && cur != 0.0 && *at != 0 && now > *at {
        cur * 0.5f64.powf((now - *at) as f64 / (30 * D) as f64)
    } else {
        cur
    };
    *acc = cur + amount;
    *at = now;
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Run(u8),
    Recheck,
}

pub struct Native {
    leads: Vec<Lead>,
    ids: Vec<CompactString>,
    index: HashMap<CompactString, u32, foldhash::fast::RandomState>,
    timers: QuaternaryHeap<Reverse<(i64, u64, u32, Timer)>>,
    seq: u64,
    pub now: i64,
    title: regex::Regex,
    zones: HashMap<String, Tz>,
}

/// The event being processed, for the parts of a cycle that read it.
#[derive(Clone, Copy, PartialEq)]
enum Ev {
    Ebook,
    Opened,
    Clicked,
    Cart(bool),
    Order,
    Demo,
    Other,
}

impl Default for Native {
    fn default() -> Self {
        Native::new()
    }
}

impl Native {
    pub fn new() -> Native {
        Native {
            leads: Vec::new(),
            ids: Vec::new(),
            index: HashMap::default(),
            timers: QuaternaryHeap::new(),
            seq: 0,
            now: 0,
            title: regex::Regex::new("(?i)director|vp|head|chief").expect("valid"),
            zones: HashMap::new(),
        }
    }

    pub fn leads(&self) -> usize {
        self.leads.len()
    }

    /// Bytes of lead state per lead (the struct, not the ids or the index).
    pub fn lead_bytes() -> usize {
        std::mem::size_of::<Lead>()
    }

    fn lead(&mut self, id: &str) -> u32 {
        if let Some(&i) = self.index.get(id) {
            return i;
        }
        let i = self.leads.len() as u32;
        self.leads.push(Lead::new());
        self.ids.push(id.into());
        self.index.insert(id.into(), i);
        i
    }

    fn schedule(&mut self, due: i64, lead: u32, t: Timer) {
        self.seq += 1;
        self.timers.push(Reverse((due, self.seq, lead, t)));
    }

    pub fn advance(&mut self, to: i64, out: &mut dyn Out) {
        while let Some(&Reverse((due, _, lead, kind))) = self.timers.peek() {
            if due > to {
                break;
            }
            self.timers.pop();
            self.now = self.now.max(due);
            self.fire(lead, kind, due, out);
        }
        self.now = self.now.max(to);
    }

    pub fn feed(&mut self, r: &Input, out: &mut dyn Out) {
        self.advance(r.at, out);
        let now = self.now;
        let li = self.lead(&r.lead);
        let l = &mut self.leads[li as usize];
        let ev = match &r.kind {
            In::Identify(t) => {
                if let Some(e) = &t.email {
                    l.gmail = e.ends_with("@gmail.com");
                    l.email = Some(e.as_str().into());
                }
                if let Some(j) = &t.job_title {
                    l.title_fits = self.title.is_match(j);
                }
                if let Some(s) = t.company_size {
                    l.company_size = Some(s);
                }
                if let Some(c) = &t.country {
                    l.country_fits = matches!(c.as_str(), "US" | "GB" | "DE");
                }
                if let Some(i) = &t.industry {
                    l.software = i == "software";
                }
                if let Some(z) = &t.timezone {
                    l.tz = match self.zones.get(z) {
                        Some(tz) => *tz,
                        None => {
                            let tz = z.parse::<Tz>().unwrap_or(Tz::UTC);
                            self.zones.insert(z.clone(), tz);
                            tz
                        }
                    };
                }
                if let Some(c) = t.consent_email {
                    l.consent = c;
                }
                l.refit();
                self.cycle(li, None, out);
                self.schedule_recheck(li);
                return;
            }
            In::PageViewed { url } => {
                if url == "/pricing" {
                    l.last_pricing = now;
                    bump(&mut l.eng, &mut l.eng_at, true, now, 15.0);
                }
                if url.starts_with("/blog") && capped(&mut l.cap_blog, now, 7 * D) {
                    bump(&mut l.eng, &mut l.eng_at, true, now, 1.0);
                }
                if url.starts_with("/pricing") && capped(&mut l.cap_pricing, now, D) {
                    l.intent += 3.0;
                }
                Ev::Other
            }
            In::EmailOpened { template } => {
                ring_push(&mut l.opens, now);
                l.last_open = now;
                if template == "welcome-brand-values" {
                    l.last_open_welcome = now;
                }
                if capped(&mut l.cap_open, now, 30 * D) {
                    bump(&mut l.eng, &mut l.eng_at, true, now, 2.0);
                }
                Ev::Opened
            }
            In::EmailClicked => {
                ring_push(&mut l.clicks, now);
                l.last_click = now;
                bump(&mut l.eng, &mut l.eng_at, true, now, 5.0);
                Ev::Clicked
            }
            In::Ebook => {
                l.last_ebook = now;
                bump(&mut l.eng, &mut l.eng_at, true, now, 20.0);
                Ev::Ebook
            }
            In::Cart { value } => {
                l.last_cart = now;
                bump(&mut l.eng, &mut l.eng_at, true, now, 30.0);
                Ev::Cart(*value > 50.0)
            }
            In::Order => {
                l.last_order = now;
                l.intent += 50.0;
                Ev::Order
            }
            In::Form { contact } => {
                if *contact {
                    bump(&mut l.eng, &mut l.eng_at, true, now, 10.0);
                }
                Ev::Other
            }
            In::Demo => {
                bump(&mut l.eng, &mut l.eng_at, true, now, 40.0);
                Ev::Demo
            }
            In::Trial { team } => {
                l.last_trial = now;
                l.intent += 30.0;
                if *team {
                    l.intent += 20.0;
                }
                Ev::Other
            }
            In::Webinar { minutes } => {
                if *minutes >= 30 {
                    bump(&mut l.eng, &mut l.eng_at, true, now, 25.0);
                }
                Ev::Other
            }
            In::Unsubscribed => {
                l.last_unsub = now;
                l.eng = 0.0;
                l.eng_at = now;
                Ev::Other
            }
        };
        self.cycle(li, Some(ev), out);
        self.schedule_recheck(li);
    }

    /// After the input: fires every timer due by `until`.
    pub fn finish(&mut self, until: i64, out: &mut dyn Out) {
        self.advance(until, out);
    }

    fn fire(&mut self, li: u32, kind: Timer, due: i64, out: &mut dyn Out) {
        match kind {
            Timer::Recheck => {
                if self.leads[li as usize].recheck != due {
                    return;
                }
                // A recheck queued before its window moved on waits for the new time.
                let next = self.next_recheck(li, due - 1);
                if next != due && next != i64::MAX {
                    self.leads[li as usize].recheck = next;
                    self.schedule(next, li, Timer::Recheck);
                    return;
                }
                self.leads[li as usize].recheck = 0;
                if next != due {
                    return;
                }
            }
            Timer::Run(w) => {
                let wi = w as usize;
                if self.leads[li as usize].runs[wi].wake != due {
                    return;
                }
                self.cycle(li, None, out);
                let r = self.leads[li as usize].runs[wi];
                if r.wake != due {
                    self.schedule_recheck(li);
                    return;
                }
                match r.status {
                    WAITING | HELD => self.resume(li, w, 0, out),
                    WAITING_FOR_EVENT => {
                        let r = &mut self.leads[li as usize].runs[wi];
                        r.pc += 1;
                        r.status = RUNNING;
                        r.received = false;
                        self.resume(li, w, 0, out);
                    }
                    WATCHING_GOAL => self.end_run(li, w),
                    _ => {}
                }
            }
        }
        self.cycle(li, None, out);
        self.schedule_recheck(li);
    }

    /// Lists, triggers, waits, exits and goals; again while a `set` or `tag` changed the lead.
    fn cycle(&mut self, li: u32, ev: Option<Ev>, out: &mut dyn Out) {
        let mut ev = ev;
        let armed_welcome =
            ev == Some(Ev::Clicked) && self.leads[li as usize].runs[0].status == WAITING_FOR_EVENT;
        let armed_winback =
            ev == Some(Ev::Opened) && self.leads[li as usize].runs[4].status == WAITING_FOR_EVENT;
        let mut depth = 0;
        loop {
            let now = self.now;
            let l = &mut self.leads[li as usize];
            let before = l.lists;
            let after = l.lists_at(now);
            l.lists = after;
            let changed = before ^ after;
            let mut dirty = false;
            for (i, name) in LISTS.iter().enumerate() {
                if changed & (1 << i) != 0 {
                    let act = if after & (1 << i) != 0 {
                        Act::Entered(name)
                    } else {
                        Act::Exited(name)
                    };
                    out.act(now, &self.ids[li as usize], act, Src::Engine);
                }
            }
            let entered = changed & after;
            let exited = changed & before;
            // Triggers, in source order.
            match ev {
                Some(Ev::Ebook) => self.start(li, 0, depth, &mut dirty, out),
                Some(Ev::Cart(true)) => self.start(li, 1, depth, &mut dirty, out),
                Some(Ev::Order) => {
                    self.start(li, 3, depth, &mut dirty, out);
                    self.end_run(li, 1);
                }
                Some(Ev::Demo) => {
                    let msg = format!("Demo request from {}", self.email(li));
                    out.act(
                        now,
                        &self.ids[li as usize],
                        Act::Notify(msg),
                        Src::Trigger(4),
                    );
                }
                _ => {}
            }
            if entered & HOT != 0 {
                self.start(li, 2, depth, &mut dirty, out);
            }
            if exited & HOT != 0 {
                self.end_run(li, 2);
            }
            if entered & HOT != 0 {
                let l = &self.leads[li as usize];
                let msg = format!(
                    "Hot lead {} scored {}",
                    self.email(li),
                    number(l.total(now))
                );
                out.act(
                    now,
                    &self.ids[li as usize],
                    Act::Notify(msg),
                    Src::Trigger(7),
                );
            }
            if entered & GONE_QUIET != 0 {
                self.start(li, 4, depth, &mut dirty, out);
            }
            if entered & CUSTOMERS != 0 {
                self.set_stage(li, CUSTOMER, Src::Trigger(9), &mut dirty, out);
            }
            // Waits for this event (only runs that were waiting when it arrived).
            if armed_welcome {
                self.received(li, 0, depth, &mut dirty, out);
            }
            if armed_winback {
                self.received(li, 4, depth, &mut dirty, out);
            }
            self.check_exits(li, out);
            if !dirty {
                break;
            }
            depth += 1;
            if depth >= 16 {
                break;
            }
            ev = None;
        }
    }

    fn received(&mut self, li: u32, w: u8, depth: u32, dirty: &mut bool, out: &mut dyn Out) {
        let r = &mut self.leads[li as usize].runs[w as usize];
        if r.status != WAITING_FOR_EVENT {
            return;
        }
        r.pc += 1;
        r.status = RUNNING;
        r.received = true;
        r.wake = 0;
        self.resume_d(li, w, depth, dirty, out);
    }

    fn email(&self, li: u32) -> &str {
        self.leads[li as usize].email.as_deref().unwrap_or("")
    }

    fn set_stage(&mut self, li: u32, stage: u8, src: Src, dirty: &mut bool, out: &mut dyn Out) {
        let l = &mut self.leads[li as usize];
        if l.stage == stage {
            return;
        }
        l.stage = stage;
        *dirty = true;
        out.act(
            self.now,
            &self.ids[li as usize],
            Act::SetStage(STAGES[stage as usize]),
            src,
        );
    }

    fn start(&mut self, li: u32, w: u8, depth: u32, dirty: &mut bool, out: &mut dyn Out) {
        if depth >= 16 {
            return;
        }
        let now = self.now;
        let l = &mut self.leads[li as usize];
        let r = &mut l.runs[w as usize];
        let active = r.status != NONE;
        let allowed = match w {
            3 => true,
            _ if active => false,
            0 => r.last_enroll == 0 || now - r.last_enroll >= 90 * D,
            4 => r.last_enroll == 0 || now - r.last_enroll >= 60 * D,
            _ => r.last_enroll == 0,
        };
        if !allowed {
            return;
        }
        if (w == 0 || w == 4) && !l.consent {
            return;
        }
        *r = Run {
            status: RUNNING,
            pc: 0,
            received: false,
            wake: 0,
            enrolled: now,
            last_enroll: now,
        };
        if self.exit_or_goal(li, w, out) {
            return;
        }
        self.resume_d(li, w, depth, dirty, out);
    }

    fn end_run(&mut self, li: u32, w: u8) {
        let r = &mut self.leads[li as usize].runs[w as usize];
        r.status = NONE;
        r.wake = 0;
    }

    fn exit_or_goal(&mut self, li: u32, w: u8, out: &mut dyn Out) -> bool {
        let now = self.now;
        let l = &self.leads[li as usize];
        let r = l.runs[w as usize];
        let watching = r.status == WATCHING_GOAL;
        let (goal, exit) = match w {
            0 => (
                l.last_order != 0 && now - l.last_order < 30 * D,
                l.last_order != 0,
            ),
            1 => (
                l.last_order != 0 && now - l.last_order < 7 * D,
                l.last_order != 0,
            ),
            2 => (false, false),
            3 => (false, l.last_unsub != 0),
            _ => (l.last_click > r.enrolled, l.last_unsub != 0),
        };
        if goal {
            // welcome_series passed its split once its pc is past it.
            let variant = (w == 0 && r.pc >= 7).then(|| self.welcome_variant(li));
            out.act(
                now,
                &self.ids[li as usize],
                Act::Converted(variant),
                Src::Workflow(w),
            );
            self.end_run(li, w);
            return true;
        }
        if exit && !watching {
            self.end_run(li, w);
            return true;
        }
        false
    }

    fn check_exits(&mut self, li: u32, out: &mut dyn Out) {
        for w in 0..5u8 {
            if self.leads[li as usize].runs[w as usize].status != NONE {
                self.exit_or_goal(li, w, out);
            }
        }
    }

    /// A timed wake-up: waits, held sends, the goal window.
    /// The arm of welcome_series' split a lead takes: "A" for the first half of the hash.
    fn welcome_variant(&self, li: u32) -> &'static str {
        let mut h = Fnv::default();
        h.write(b"welcome_series/");
        h.write(self.ids[li as usize].as_bytes());
        if h.0 % 100 < 50 {
            "A"
        } else {
            "B"
        }
    }

    fn wait(&mut self, li: u32, w: u8, next_pc: u8, status: u8, due: i64) {
        let r = &mut self.leads[li as usize].runs[w as usize];
        r.pc = next_pc;
        r.status = status;
        r.wake = due;
        self.schedule(due, li, Timer::Run(w));
    }

    fn resume(&mut self, li: u32, w: u8, depth: u32, out: &mut dyn Out) {
        // Timer resumptions mark the lead dirty through `set`/`tag`; the caller's cycle
        // that follows re-settles the lists whatever happened.
        let mut dirty = false;
        self.resume_d(li, w, depth, &mut dirty, out);
    }

    /// When quiet hours hold a send now, the moment they end.
    fn quiet_until(&self, li: u32) -> Option<i64> {
        let tz = self.leads[li as usize].tz;
        let local = tz.timestamp_millis_opt(self.now).single()?.naive_local();
        let minute = local.hour() * 60 + local.minute();
        let quiet = !(8 * 60..21 * 60).contains(&minute);
        quiet.then(|| nurture::vm::local_time::next_local_time(tz, self.now, 8 * 60, false))
    }

    /// A send through the policy: suppression, then the frequency cap.
    fn send(&mut self, li: u32, w: u8, sms: bool, template: &'static str, out: &mut dyn Out) {
        let now = self.now;
        let l = &mut self.leads[li as usize];
        let ch = if sms { "sms" } else { "email" };
        let act = if !l.consent || l.last_unsub != 0 {
            Act::Suppressed(
                ch,
                template,
                "suppress when not lead.consent_email or did email.unsubscribed",
            )
        } else if sms {
            if ring_count(&l.sent_sms, now, D) >= 1 {
                Act::Suppressed(ch, template, "frequency sms at most 1 per 1d")
            } else {
                ring_push(&mut l.sent_sms, now);
                Act::Send(ch, template)
            }
        } else if ring_count(&l.sent_email, now, 7 * D) >= 3 {
            Act::Suppressed(ch, template, "frequency email at most 3 per 7d")
        } else {
            ring_push(&mut l.sent_email, now);
            Act::Send(ch, template)
        };
        out.act(now, &self.ids[li as usize], act, Src::Workflow(w));
    }

    /// Runs a workflow from its step until it waits or ends.
    fn resume_d(&mut self, li: u32, w: u8, _depth: u32, dirty: &mut bool, out: &mut dyn Out) {
        let now = self.now;
        loop {
            let r = self.leads[li as usize].runs[w as usize];
            if r.status == NONE {
                return;
            }
            let pc = r.pc;
            // A send step: held in quiet hours (the workflow waits with it), else sent.
            macro_rules! send {
                ($sms:expr, $t:expr, $next:expr) => {{
                    if let Some(release) = self.quiet_until(li) {
                        self.wait(li, w, pc, HELD, release);
                        return;
                    }
                    self.send(li, w, $sms, $t, out);
                    $next
                }};
            }
            let next: u8 = match (w, pc) {
                // welcome_series
                (0, 0) => send!(false, "welcome-brand-values", 1),
                (0, 1) => {
                    self.wait(li, w, 2, WAITING, now + 3 * D);
                    return;
                }
                (0, 2) => {
                    let l = &self.leads[li as usize];
                    if l.last_open_welcome > r.enrolled {
                        3
                    } else {
                        4
                    }
                }
                (0, 3) => send!(false, "product-offer", 5),
                (0, 4) => send!(false, "welcome-reminder", 5),
                (0, 5) => {
                    let tz = self.leads[li as usize].tz;
                    let due = nurture::vm::local_time::next_local_time(tz, now, 10 * 60, true);
                    if due > now {
                        self.wait(li, w, 6, WAITING, due);
                        return;
                    }
                    6
                }
                (0, 6) => {
                    let variant = self.welcome_variant(li);
                    let id = &self.ids[li as usize];
                    out.act(now, id, Act::Assigned(variant), Src::Workflow(0));
                    if variant == "A" {
                        7
                    } else {
                        8
                    }
                }
                (0, 7) => send!(false, "offer-a", 9),
                (0, 8) => send!(false, "offer-b", 9),
                (0, 9) => {
                    let r = &mut self.leads[li as usize].runs[0];
                    r.status = WAITING_FOR_EVENT;
                    r.wake = now + 5 * D;
                    self.schedule(now + 5 * D, li, Timer::Run(0));
                    return;
                }
                (0, 10) => {
                    self.set_stage(li, CONSIDERATION, Src::Workflow(0), dirty, out);
                    11
                }
                (0, 11) => {
                    let l = &mut self.leads[li as usize];
                    if !l.nurtured {
                        l.nurtured = true;
                        *dirty = true;
                        out.act(
                            now,
                            &self.ids[li as usize],
                            Act::Tag("nurtured"),
                            Src::Workflow(0),
                        );
                    }
                    self.wait(li, w, 12, WATCHING_GOAL, now + 30 * D);
                    return;
                }
                // cart_recovery
                (1, 0) => {
                    self.wait(li, w, 1, WAITING, now + H);
                    return;
                }
                (1, 1) => send!(false, "cart-reminder", 2),
                (1, 2) => {
                    self.wait(li, w, 3, WAITING, now + D);
                    return;
                }
                (1, 3) => {
                    if self.leads[li as usize].lists & ENGAGED != 0 {
                        4
                    } else {
                        5
                    }
                }
                (1, 4) => send!(false, "cart-discount-10", 6),
                (1, 5) => send!(true, "cart-last-chance", 6),
                (1, 6) => {
                    self.wait(li, w, 7, WATCHING_GOAL, now + 7 * D);
                    return;
                }
                // sales_handoff
                (2, 0) => {
                    let l = &self.leads[li as usize];
                    let msg = format!(
                        "Hot lead {}: {} points",
                        self.email(li),
                        number(l.total(now))
                    );
                    out.act(
                        now,
                        &self.ids[li as usize],
                        Act::Notify(msg),
                        Src::Workflow(2),
                    );
                    1
                }
                (2, 1) => {
                    self.wait(li, w, 2, WAITING, now + 14 * D);
                    return;
                }
                (2, 2) => {
                    if self.leads[li as usize].last_order > r.enrolled {
                        self.end_run(li, w);
                        return;
                    }
                    self.set_stage(li, CONSIDERATION, Src::Workflow(2), dirty, out);
                    let msg = format!("{} went back to marketing", self.email(li));
                    out.act(
                        now,
                        &self.ids[li as usize],
                        Act::Notify(msg),
                        Src::Workflow(2),
                    );
                    self.end_run(li, w);
                    return;
                }
                // post_purchase
                (3, 0) => {
                    self.wait(li, w, 1, WAITING, now + 2 * D);
                    return;
                }
                (3, 1) => send!(false, "routes-near-you", 2),
                (3, 2) => {
                    self.wait(li, w, 3, WAITING, now + 30 * D);
                    return;
                }
                (3, 3) => {
                    send!(false, "accessories-offer", 4);
                    self.end_run(li, w);
                    return;
                }
                // win_back
                (4, 0) => send!(false, "we-miss-you", 1),
                (4, 1) => {
                    let r = &mut self.leads[li as usize].runs[4];
                    r.status = WAITING_FOR_EVENT;
                    r.wake = now + 7 * D;
                    self.schedule(now + 7 * D, li, Timer::Run(4));
                    return;
                }
                (4, 2) => {
                    if r.received {
                        3
                    } else {
                        4
                    }
                }
                (4, 3) => {
                    send!(false, "whats-new", 6);
                    self.end_run(li, w);
                    return;
                }
                (4, 4) => {
                    let tz = self.leads[li as usize].tz;
                    let due = nurture::vm::local_time::next_local_time(tz, now, 10 * 60, false);
                    if due > now {
                        self.wait(li, w, 5, WAITING, due);
                        return;
                    }
                    5
                }
                (4, 5) => {
                    send!(false, "last-call", 6);
                    self.end_run(li, w);
                    return;
                }
                _ => {
                    self.end_run(li, w);
                    return;
                }
            };
            let r = &mut self.leads[li as usize].runs[w as usize];
            r.pc = next;
            r.status = RUNNING;
            r.wake = 0;
        }
    }

    /// Queues the next moment a list can change with no event (a `within` window closing, or
    /// the decaying `engagement` taking `total` under `hot`'s threshold), unless a recheck
    /// is already queued before it.
    fn schedule_recheck(&mut self, li: u32) {
        let now = self.now;
        self.leads[li as usize].hot_due = self.hot_crossing(li).unwrap_or(0);
        let next = self.next_recheck(li, now);
        let queued = self.leads[li as usize].recheck;
        if next == i64::MAX || (queued > now && queued <= next) {
            return;
        }
        self.leads[li as usize].recheck = next;
        self.schedule(next, li, Timer::Recheck);
    }

    /// The first moment after `after` at which a list can change with no event.
    fn next_recheck(&self, li: u32, after: i64) -> i64 {
        let l = &self.leads[li as usize];
        let mut next = i64::MAX;
        let mut consider = |t: i64, w: i64| {
            if t != 0 && t + w > after && t + w < next {
                next = t + w;
            }
        };
        consider(l.last_pricing, 7 * D);
        consider(l.last_cart, D);
        consider(l.last_order, D);
        consider(l.last_order, 7 * D);
        consider(l.last_order, 30 * D);
        consider(l.last_trial, 14 * D);
        consider(l.last_open, 21 * D);
        for &t in &l.opens {
            consider(t, 30 * D);
        }
        for &t in &l.clicks {
            consider(t, 14 * D);
        }
        consider(l.hot_due, 0);
        next
    }

    /// The first millisecond at which the decaying score takes the lead out of `hot`, if it does
    /// within the horizon the engagement needs to fade out.
    fn hot_crossing(&self, li: u32) -> Option<i64> {
        let now = self.now;
        let l = &self.leads[li as usize];
        let acc = l.eng.abs();
        if acc <= 0.005 {
            return None;
        }
        let periods = (0.005 / acc).ln() / 0.5f64.ln();
        let horizon = (periods.max(0.0) * (30 * D) as f64).ceil() as i64 + 1;
        let end = now + horizon.min(366 * D);
        let at_now = l.hot(now);
        if at_now == l.hot(end) {
            return None;
        }
        if !at_now {
            // Rising is impossible while the score decays; bisect in any case.
            let (mut lo, mut hi) = (now, end);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if l.hot(mid) == at_now {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            return Some(hi);
        }
        // Solve fit + eng·0.5^((t − since)/30d) + intent = 80, then settle on the exact
        // millisecond with the same arithmetic as the comparison.
        let rest = 80.0 - l.fit - l.intent;
        let base = if l.eng_at != 0 { l.eng_at } else { now };
        let guess = base as f64 + (30 * D) as f64 * (l.eng / rest).log2();
        let mut t = (guess.ceil() as i64).clamp(now + 1, end);
        while t > now + 1 && !l.hot(t - 1) {
            t -= 1;
        }
        while t < end && l.hot(t) {
            t += 1;
        }
        Some(t)
    }
}

/// Numbers in messages: at most two decimals.
fn number(n: f64) -> String {
    let rounded = (n * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else {
        let s = format!("{rounded:.2}");
        s.trim_end_matches('0').to_string()
    }
}

/// FNV-1a, 64 bits: the split's stable hash.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= *b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

//! Peers: the reference campaign's scoring rules and list conditions (not its workflows)
//! evaluated per event by general-purpose expression engines, compiled once up front and fed
//! the same events as the VM. The host keeps each lead's state (attributes, the accumulated
//! scores with their decay and caps, last-seen times and rings), as an application embedding
//! such an engine would; every condition and the derived score are evaluated by the engine.

use crate::native::{In, Input};
use std::collections::HashMap;

const D: i64 = 86_400;

/// An expression engine with its compiled expressions.
pub trait Peer {
    fn name(&self) -> &'static str;
    /// Starts one event's evaluations with these variables.
    fn begin(&mut self, vars: &[(&'static str, Var)]);
    /// Adds or replaces a variable for the evaluations that follow.
    fn set(&mut self, name: &'static str, v: Var);
    fn test(&mut self, expr: usize) -> bool;
    fn number(&mut self, expr: usize) -> f64;
}

#[derive(Clone, Debug)]
pub enum Var {
    Int(i64),
    Num(f64),
    Str(std::rc::Rc<str>),
}

/// The expressions, in one syntax each engine reads (the few differences are spelled twice).
pub struct Exprs {
    pub rhai: Vec<String>,
    pub cel: Vec<String>,
}

// Expression numbers.
const WHEN: usize = 0; // 6 `when` rules of `fit`
const ON_PRICING: usize = 6;
const ON_BLOG: usize = 7;
const ON_WEBINAR: usize = 8;
const ON_FORM: usize = 9;
const ON_TEAM: usize = 10;
const ON_PRICING_INTENT: usize = 11;
const TOTAL: usize = 13;
const LISTS: usize = 14; // 10 lists

pub fn exprs() -> Exprs {
    let both = |s: &str| (s.to_string(), s.to_string());
    let mut v: Vec<(String, String)> = vec![
        (
            r#"job_title.to_lower().contains("director") || job_title.to_lower().contains("vp") || job_title.to_lower().contains("head") || job_title.to_lower().contains("chief")"#.into(),
            r#"job_title.matches("(?i)director|vp|head|chief")"#.into(),
        ),
        both("company_size >= 50"),
        both("company_size >= 1000"),
        (r#"email.ends_with("@gmail.com")"#.into(), r#"email.endsWith("@gmail.com")"#.into()),
        both(r#"country in ["US", "GB", "DE"]"#),
        both(r#"industry == "software""#),
        both(r#"url == "/pricing""#),
        (r#"url.starts_with("/blog")"#.into(), r#"url.startsWith("/blog")"#.into()),
        both("minutes >= 30"),
        both(r#"form == "contact""#),
        both(r#"plan == "team""#),
        (r#"url.starts_with("/pricing")"#.into(), r#"url.startsWith("/pricing")"#.into()),
        both("true"), // (unused: keeps the numbering)
        both("fit + engagement + intent"),
        both(r#"total >= 80.0 && stage != "customer""#),
        both("last_pricing > 0 && now - last_pricing < 604800"),
        both("last_ebook > 0"),
        both("(last_cart > 0 && now - last_cart < 86400) && !(last_order > 0 && now - last_order < 86400)"),
        (
            "(if o1 > 0 && now - o1 < 2592000 {1} else {0}) + (if o2 > 0 && now - o2 < 2592000 {1} else {0}) + (if o3 > 0 && now - o3 < 2592000 {1} else {0}) >= 3".into(),
            "(o1 > 0 && now - o1 < 2592000 ? 1 : 0) + (o2 > 0 && now - o2 < 2592000 ? 1 : 0) + (o3 > 0 && now - o3 < 2592000 ? 1 : 0) >= 3".into(),
        ),
        both(r#"company_size >= 1000 && country in ["US", "GB", "DE"]"#),
        both("last_trial > 0 && now - last_trial < 1209600 && last_order == 0"),
        (
            "(if c1 > 0 && now - c1 < 1209600 {1} else {0}) + (if c2 > 0 && now - c2 < 1209600 {1} else {0}) >= 2".into(),
            "(c1 > 0 && now - c1 < 1209600 ? 1 : 0) + (c2 > 0 && now - c2 < 1209600 ? 1 : 0) >= 2".into(),
        ),
        both("last_open > 0 && !(now - last_open < 1814400)"),
        both("last_order > 0"),
    ];
    let (rhai, cel) = v.drain(..).unzip();
    Exprs { rhai, cel }
}

pub struct Rhai {
    engine: rhai::Engine,
    asts: Vec<rhai::AST>,
    scope: rhai::Scope<'static>,
}

impl Rhai {
    pub fn new() -> Rhai {
        let mut engine = rhai::Engine::new();
        engine.set_optimization_level(rhai::OptimizationLevel::Full);
        let asts = exprs()
            .rhai
            .iter()
            .map(|s| engine.compile_expression(s).expect("rhai compiles"))
            .collect();
        Rhai {
            engine,
            asts,
            scope: rhai::Scope::new(),
        }
    }
}

fn rhai_val(v: Var) -> rhai::Dynamic {
    match v {
        Var::Int(i) => i.into(),
        Var::Num(n) => n.into(),
        Var::Str(s) => rhai::ImmutableString::from(&*s).into(),
    }
}

impl Peer for Rhai {
    fn name(&self) -> &'static str {
        "rhai"
    }
    fn begin(&mut self, vars: &[(&'static str, Var)]) {
        self.scope.clear();
        for (k, v) in vars {
            self.scope.push_dynamic(*k, rhai_val(v.clone()));
        }
    }
    fn set(&mut self, name: &'static str, v: Var) {
        self.scope.set_or_push(name, rhai_val(v));
    }
    fn test(&mut self, expr: usize) -> bool {
        self.engine
            .eval_ast_with_scope::<bool>(&mut self.scope, &self.asts[expr])
            .expect("a condition")
    }
    fn number(&mut self, expr: usize) -> f64 {
        self.engine
            .eval_ast_with_scope::<f64>(&mut self.scope, &self.asts[expr])
            .expect("a number")
    }
}

pub struct Cel {
    root: cel_interpreter::Context<'static>,
    programs: Vec<cel_interpreter::Program>,
    vars: Vec<(&'static str, Var)>,
}

impl Cel {
    pub fn new() -> Cel {
        let programs = exprs()
            .cel
            .iter()
            .map(|s| cel_interpreter::Program::compile(s).expect("CEL compiles"))
            .collect();
        Cel {
            root: cel_interpreter::Context::default(),
            programs,
            vars: Vec::new(),
        }
    }
    fn run(&self, expr: usize) -> cel_interpreter::Value {
        // A child scope of the root (whose functions are registered once) per evaluation.
        let mut ctx = self.root.new_inner_scope();
        for (k, v) in &self.vars {
            let v: cel_interpreter::Value = match v {
                Var::Int(i) => (*i).into(),
                Var::Num(n) => (*n).into(),
                Var::Str(s) => cel_interpreter::Value::String(std::sync::Arc::new(s.to_string())),
            };
            ctx.add_variable_from_value(*k, v);
        }
        self.programs[expr].execute(&ctx).expect("CEL evaluates")
    }
}

impl Peer for Cel {
    fn name(&self) -> &'static str {
        "cel-interpreter"
    }
    fn begin(&mut self, vars: &[(&'static str, Var)]) {
        self.vars.clear();
        self.vars.extend_from_slice(vars);
    }
    fn set(&mut self, name: &'static str, v: Var) {
        match self.vars.iter_mut().find(|(k, _)| *k == name) {
            Some(slot) => slot.1 = v,
            None => self.vars.push((name, v)),
        }
    }
    fn test(&mut self, expr: usize) -> bool {
        matches!(self.run(expr), cel_interpreter::Value::Bool(true))
    }
    fn number(&mut self, expr: usize) -> f64 {
        match self.run(expr) {
            cel_interpreter::Value::Float(f) => f,
            cel_interpreter::Value::Int(i) => i as f64,
            _ => 0.0,
        }
    }
}

#[derive(Default, Clone)]
struct State {
    email: Option<std::rc::Rc<str>>,
    job_title: Option<std::rc::Rc<str>>,
    company_size: i64,
    country: Option<std::rc::Rc<str>>,
    industry: Option<std::rc::Rc<str>>,
    fit: f64,
    eng: f64,
    eng_at: i64,
    intent: f64,
    cap_open: Vec<i64>,
    cap_blog: Vec<i64>,
    cap_pricing: Vec<i64>,
    last: [i64; 7], // pricing, ebook, cart, order, trial, open, unsub
    opens: [i64; 3],
    clicks: [i64; 2],
    lists: u16,
}

fn capped(ring: &mut Vec<i64>, cap: usize, now: i64, per: i64) -> bool {
    let n = ring.iter().filter(|&&t| now - t < per).count();
    if n >= cap {
        return false;
    }
    if ring.len() < cap {
        ring.push(now);
    } else if let Some(i) = (0..ring.len()).min_by_key(|&i| ring[i]) {
        ring[i] = now;
    }
    true
}

fn push(ring: &mut [i64], t: i64) {
    if let Some(i) = (0..ring.len()).min_by_key(|&i| ring[i]) {
        ring[i] = t;
    }
}

/// Runs the scoring rules and list conditions over the events; returns the number of list
/// entries and exits seen (a check that the work was done).
pub fn run(peer: &mut dyn Peer, inputs: &[Input]) -> u64 {
    let mut leads: HashMap<String, State> = HashMap::new();
    let mut changes = 0u64;
    let s = |o: &Option<std::rc::Rc<str>>| Var::Str(o.clone().unwrap_or_else(|| "".into()));
    for r in inputs {
        let now = r.at;
        let st = leads.entry(r.lead.clone()).or_default();
        let decayed = |st: &State| {
            if st.eng != 0.0 && st.eng_at != 0 && now > st.eng_at {
                st.eng * 0.5f64.powf((now - st.eng_at) as f64 / (30 * D) as f64)
            } else {
                st.eng
            }
        };
        let add_eng = |st: &mut State, n: f64| {
            st.eng = decayed(st) + n;
            st.eng_at = now;
        };
        match &r.kind {
            In::Identify(t) => {
                if let Some(e) = &t.email {
                    st.email = Some(e.as_str().into());
                }
                if let Some(j) = &t.job_title {
                    st.job_title = Some(j.as_str().into());
                }
                if let Some(c) = t.company_size {
                    st.company_size = c;
                }
                if let Some(c) = &t.country {
                    st.country = Some(c.as_str().into());
                }
                if let Some(i) = &t.industry {
                    st.industry = Some(i.as_str().into());
                }
                peer.begin(&[
                    ("job_title", s(&st.job_title)),
                    ("company_size", Var::Int(st.company_size)),
                    ("email", s(&st.email)),
                    ("country", s(&st.country)),
                    ("industry", s(&st.industry)),
                ]);
                let amounts = [20.0, 10.0, 10.0, -15.0, 5.0, 5.0];
                let mut fit = 0.0;
                for (i, a) in amounts.iter().enumerate() {
                    if peer.test(WHEN + i) {
                        fit += a;
                    }
                }
                st.fit = fit;
            }
            In::PageViewed { url } => {
                peer.begin(&[("url", Var::Str(url.as_str().into()))]);
                if peer.test(ON_PRICING) {
                    st.last[0] = now;
                    add_eng(st, 15.0);
                }
                if peer.test(ON_BLOG) && capped(&mut st.cap_blog, 10, now, 7 * D) {
                    add_eng(st, 1.0);
                }
                if peer.test(ON_PRICING_INTENT) && capped(&mut st.cap_pricing, 3, now, D) {
                    st.intent += 3.0;
                }
            }
            In::EmailOpened { .. } => {
                peer.begin(&[]);
                st.last[5] = now;
                push(&mut st.opens, now);
                if capped(&mut st.cap_open, 5, now, 30 * D) {
                    add_eng(st, 2.0);
                }
            }
            In::EmailClicked => {
                peer.begin(&[]);
                push(&mut st.clicks, now);
                add_eng(st, 5.0);
            }
            In::Ebook => {
                peer.begin(&[]);
                st.last[1] = now;
                add_eng(st, 20.0);
            }
            In::Cart { .. } => {
                peer.begin(&[]);
                st.last[2] = now;
                add_eng(st, 30.0);
            }
            In::Order => {
                peer.begin(&[]);
                st.last[3] = now;
                st.intent += 50.0;
            }
            In::Form { contact } => {
                let form = if *contact { "contact" } else { "newsletter" };
                peer.begin(&[("form", Var::Str(form.into()))]);
                if peer.test(ON_FORM) {
                    add_eng(st, 10.0);
                }
            }
            In::Demo => {
                peer.begin(&[]);
                add_eng(st, 40.0);
            }
            In::Trial { team } => {
                let plan = if *team { "team" } else { "solo" };
                peer.begin(&[("plan", Var::Str(plan.into()))]);
                st.last[4] = now;
                st.intent += 30.0;
                if peer.test(ON_TEAM) {
                    st.intent += 20.0;
                }
            }
            In::Webinar { minutes } => {
                peer.begin(&[("minutes", Var::Int(*minutes))]);
                if peer.test(ON_WEBINAR) {
                    add_eng(st, 25.0);
                }
            }
            In::Unsubscribed => {
                peer.begin(&[]);
                st.last[6] = now;
                st.eng = 0.0;
                st.eng_at = now;
            }
        }
        // The derived score, then every list.
        peer.set("fit", Var::Num(st.fit));
        peer.set("engagement", Var::Num(decayed(st)));
        peer.set("intent", Var::Num(st.intent));
        let total = peer.number(TOTAL);
        let vars: [(&'static str, Var); 16] = [
            ("total", Var::Num(total)),
            ("stage", Var::Str("awareness".into())),
            ("now", Var::Int(now)),
            ("last_pricing", Var::Int(st.last[0])),
            ("last_ebook", Var::Int(st.last[1])),
            ("last_cart", Var::Int(st.last[2])),
            ("last_order", Var::Int(st.last[3])),
            ("last_trial", Var::Int(st.last[4])),
            ("last_open", Var::Int(st.last[5])),
            ("o1", Var::Int(st.opens[0])),
            ("o2", Var::Int(st.opens[1])),
            ("o3", Var::Int(st.opens[2])),
            ("c1", Var::Int(st.clicks[0])),
            ("c2", Var::Int(st.clicks[1])),
            ("company_size", Var::Int(st.company_size)),
            ("country", s(&st.country)),
        ];
        for (k, v) in vars {
            peer.set(k, v);
        }
        let mut m = 0u16;
        for i in 0..10 {
            if peer.test(LISTS + i) {
                m |= 1 << i;
            }
        }
        changes += (m ^ st.lists).count_ones() as u64;
        st.lists = m;
    }
    changes
}

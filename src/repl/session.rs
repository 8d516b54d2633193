//! A REPL session: the campaign, the virtual clock, and the journey so far.
//!
//! Every lead and event goes into the machine as the Segment JSON line `nurture run` would
//! read, through the same intake, so `:save` writes exactly what the session played and a
//! replay gives the same actions. The journey (leads, events, clock moves) is kept apart from
//! the campaign, so `:reload` can play it again against an edited campaign and show what
//! changed.

use super::commands::{self, Arg, Command, COMMANDS};
use super::print as render;
use super::{eval, sgr, Style};
use crate::check::program::{Program, TestStmt};
use crate::check::repl::check_test_stmts_in;
use crate::compile::compile;
use crate::diag::{self, Code, Diagnostic, Format, SourceFile};
use crate::inspect::Explainer;
use crate::lang::format;
use crate::lang::span::Span;
use crate::lang::types::Value;
use crate::runtime::intake::{parse_rfc3339, Reader};
use crate::runtime::record::{Intake, Record, RecordKind};
use crate::syntax::ast;
use crate::syntax::parser::{parse_expr, parse_test_stmts};
use crate::testing::DEFAULT_START;
use crate::vm::action::Action;
use crate::vm::machine::{EventRef, Machine};
use serde_json::{json, Map, Value as Json};
use std::path::{Path, PathBuf};

/// What a command printed, and whether it failed (a failed command in a script makes
/// `nurture repl` exit with 1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    pub text: String,
    pub error: bool,
}

impl Reply {
    fn ok(text: String) -> Reply {
        Reply { text, error: false }
    }

    fn failed(text: String) -> Reply {
        Reply { text, error: true }
    }
}

/// Where a command was read, as its diagnostics name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place<'a> {
    /// `input` for a command typed at the prompt, `<stdin>` for a script's.
    pub name: &'a str,
    /// The line the command starts on.
    pub line: u32,
}

impl Place<'static> {
    /// A command typed at the prompt: a line of its own.
    pub const TYPED: Place<'static> = Place {
        name: "input",
        line: 1,
    };
}

/// Why a command failed.
pub(crate) enum Problem {
    /// Diagnostics about the typed input, rendered against it.
    Input(Vec<Diagnostic>),
    /// Text ready to print (a campaign's diagnostics, an I/O error).
    Text(String),
}

impl From<Diagnostic> for Problem {
    fn from(d: Diagnostic) -> Problem {
        Problem::Input(vec![d])
    }
}

impl From<Vec<Diagnostic>> for Problem {
    fn from(d: Vec<Diagnostic>) -> Problem {
        Problem::Input(d)
    }
}

/// One step of the journey, independent of the campaign: values are kept as the JSON the
/// intake reads, so the journey can be played against any campaign.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Input {
    Lead {
        id: String,
        at: i64,
        traits: Map<String, Json>,
    },
    Event {
        id: String,
        at: i64,
        /// The Nurture name; the line carries the campaign's Segment name for it.
        event: String,
        props: Map<String, Json>,
    },
    Clock {
        to: i64,
    },
}

impl Input {
    /// The Segment JSON line for a lead or an event; `None` for a clock move.
    fn line(&self, program: &Program) -> Option<String> {
        let v = match self {
            Input::Lead { id, at, traits } => json!({
                "type": "identify",
                "userId": id,
                "traits": traits,
                "timestamp": format::instant(*at),
            }),
            Input::Event {
                id,
                at,
                event,
                props,
            } => {
                let name = program
                    .event(event)
                    .map_or(event.as_str(), |e| &program.events[e as usize].segment_name);
                json!({
                    "type": "track",
                    "userId": id,
                    "event": name,
                    "properties": props,
                    "timestamp": format::instant(*at),
                })
            }
            Input::Clock { .. } => return None,
        };
        Some(v.to_string())
    }

    /// How the step was typed, for notes about a replay.
    fn describe(&self) -> String {
        match self {
            Input::Lead { id, .. } => format!(":lead {id}"),
            Input::Event { id, event, .. } => format!(":event {id} {event}"),
            Input::Clock { to } => format!(":at {}", format::instant(*to)),
        }
    }
}

/// A campaign loaded into the session, with its machine.
pub(crate) struct Campaign {
    pub path: PathBuf,
    pub source: String,
    pub program: Program,
    pub machine: Machine,
    reader: Reader,
}

impl Campaign {
    fn new(path: PathBuf, source: String, program: Program) -> Result<Campaign, Problem> {
        let compiled = compile(&program)
            .map_err(|e| Problem::Text(format!("cannot compile {}: {e:?}\n", path.display())))?;
        let mut machine = Machine::new(compiled);
        // `:show` and `:why` break scores down rule by rule.
        machine.keep_tallies();
        Ok(Campaign {
            reader: Reader::new(&program, false),
            machine,
            path,
            source,
            program,
        })
    }

    /// Plays one step of the journey; a note comes back when the campaign could not use it
    /// (after an edit: an attribute or event it no longer declares, a property's new type).
    fn apply(&mut self, input: &Input, n: u64, out: &mut Vec<Action>) -> Option<String> {
        let line = match input {
            Input::Clock { to } => {
                self.machine.advance_to(*to, out);
                return None;
            }
            _ => input.line(&self.program)?,
        };
        let mut rec = Record::default();
        let m = &mut self.machine;
        match self.reader.read(&line, n, &mut m.c.pools.texts, &mut rec) {
            Intake::Record => {}
            Intake::Skipped { name } => {
                return Some(format!("skipped: the campaign declares no event `{name}`"))
            }
            Intake::Rejected(r) => return Some(format!("rejected: {}", r.reason)),
        }
        match &rec.kind {
            RecordKind::Identify { traits, ignored } => {
                m.identify(&rec.lead, rec.at, traits, &rec.texts, out);
                if *ignored > 0 {
                    return Some(format!(
                        "{ignored} attribute{} the campaign does not declare ignored",
                        if *ignored == 1 { "" } else { "s" }
                    ));
                }
            }
            RecordKind::Track { event, props } => {
                let ev = EventRef {
                    event: *event as u16,
                    props,
                    texts: &rec.texts,
                };
                m.track(&rec.lead, rec.at, ev, out);
            }
        }
        None
    }

    pub fn explainer(&self) -> Explainer<'_> {
        Explainer {
            m: &self.machine,
            program: &self.program,
            source: &self.source,
        }
    }
}

pub struct Session {
    pub(crate) campaign: Option<Campaign>,
    pub(crate) journey: Vec<Input>,
    /// `None` until the first `:at` or the first lead or event (which start it at
    /// 2026-01-01T00:00:00Z).
    pub(crate) clock: Option<i64>,
    /// Every action of the journey so far, for comparing after `:reload`.
    actions: Vec<Action>,
    trace: bool,
    pub(super) style: Style,
    quit: bool,
}

impl Session {
    pub fn new(style: Style) -> Session {
        Session {
            campaign: None,
            journey: Vec::new(),
            clock: None,
            actions: Vec::new(),
            trace: false,
            style,
            quit: false,
        }
    }

    /// Whether `:quit` was typed.
    pub fn finished(&self) -> bool {
        self.quit
    }

    /// The clock, once started.
    pub fn clock(&self) -> Option<i64> {
        self.clock
    }

    /// Every action so far, in order.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// The Segment JSON lines of the journey, as `:save` writes them.
    pub fn journey_lines(&self) -> Vec<String> {
        let Some(c) = &self.campaign else {
            return Vec::new();
        };
        self.journey
            .iter()
            .filter_map(|i| i.line(&c.program))
            .collect()
    }

    /// The names completion offers: see `helper::Vocabulary`.
    pub fn vocabulary(&self) -> super::helper::Vocabulary {
        super::helper::Vocabulary::of(self)
    }

    /// Runs one command or expression and answers with what to print.
    pub fn run(&mut self, input: &str) -> Reply {
        self.run_from(input, &Place::TYPED)
    }

    /// Runs one command read from `place` (a script's line), so that its diagnostics name it.
    pub fn run_from(&mut self, input: &str, place: &Place) -> Reply {
        let result = commands::parse(input)
            .map_err(Problem::from)
            .and_then(|cmd| self.execute(cmd, input));
        self.reply(result, input, place)
    }

    /// Loads a campaign file (`:load`).
    pub fn load(&mut self, path: &Path) -> Reply {
        let result = self.load_campaign(path);
        self.reply(result, "", &Place::TYPED)
    }

    /// Loads a campaign from its text, read from `path` by the caller (the command line's
    /// CAMPAIGN, which the binary reads so that an unreadable file is a usage error).
    pub fn load_source(&mut self, path: &Path, bytes: &[u8]) -> Reply {
        let result = self.load_bytes(path, bytes);
        self.reply(result, "", &Place::TYPED)
    }

    /// What to print: the text, or the problem, with diagnostics rendered against the input
    /// at its place.
    fn reply(&self, result: Result<String, Problem>, input: &str, place: &Place) -> Reply {
        match result {
            Ok(text) => Reply::ok(text),
            Err(Problem::Input(diags)) => {
                // Blank lines before the input put it on its line: ariadne numbers lines from
                // the text's start.
                let before = "\n".repeat(place.line.saturating_sub(1) as usize);
                let file = SourceFile {
                    name: place.name.to_string(),
                    text: format!("{before}{input}"),
                };
                let text = shift(diags, 0, before.len())
                    .iter()
                    .map(|d| diag::human::render(d, &file, self.style.color))
                    .collect();
                Reply::failed(text)
            }
            Err(Problem::Text(text)) => Reply::failed(text),
        }
    }

    fn execute(&mut self, cmd: Command, input: &str) -> Result<String, Problem> {
        match cmd {
            Command::Empty => Ok(String::new()),
            Command::Expr(arg) => {
                let clock = self.now_or_default();
                let leads = self.campaign()?.machine.lead_id_list();
                let c = self.campaign_mut()?;
                eval::evaluate(c, &leads, &arg, clock).map(|t| t + "\n")
            }
            Command::Lead { id, body } => self.lead(&id, body.as_ref(), input),
            Command::Event { id, event, .. } => self.event(&id, &event, input),
            Command::At(arg) => {
                let Some(t) = parse_rfc3339(&arg.text) else {
                    return Err(Diagnostic::new(
                        Code::BadLiteral,
                        arg.span(),
                        format!("`{}` is not an RFC 3339 time", arg.text),
                    )
                    .with_label("not a time")
                    .with_help("write a time such as 2026-03-02T09:00:00Z")
                    .into());
                };
                out_of_range(t, &arg, "`:at`")?;
                match self.clock {
                    None => {
                        self.clock = Some(t);
                        Ok(self.clock_line())
                    }
                    Some(now) if t < now => Err(Diagnostic::new(
                        Code::BadLiteral,
                        arg.span(),
                        format!(
                            "the clock only moves forward: it is {} already",
                            format::instant(now)
                        ),
                    )
                    .with_label("in the past")
                    .with_help("`:reset` starts the journey again")
                    .into()),
                    Some(_) => self.move_clock(t),
                }
            }
            Command::Advance(arg) => {
                let seconds = match parse_expr(&arg.text).map(|e| e.kind) {
                    Ok(ast::ExprKind::Duration(s)) => s,
                    _ => {
                        return Err(Diagnostic::new(
                            Code::BadLiteral,
                            arg.span(),
                            format!("`{}` is not a duration", arg.text),
                        )
                        .with_label("not a duration")
                        .with_help("write a duration such as 30m, 12h, 3d, 2w or 1d12h")
                        .into())
                    }
                };
                let to = self
                    .now()
                    .saturating_add(crate::lang::time::from_seconds(seconds));
                out_of_range(to, &arg, "the clock at")?;
                self.move_clock(to)
            }
            Command::Show(id) => {
                let lead = self.find_lead(&id)?;
                let c = self.campaign()?;
                Ok(render::show(&c.explainer(), lead, &id.text, self.style))
            }
            Command::Why(id, name) => self.why(&id, &name),
            Command::Decide(id, name) => self.decide(id.as_ref(), &name),
            Command::Leads => {
                let c = self.campaign()?;
                Ok(render::leads(&c.explainer(), self.style))
            }
            Command::Load(path) => self.load_campaign(Path::new(&path.text)),
            Command::Reload => {
                let path = self.campaign()?.path.clone();
                self.load_campaign(&path)
            }
            Command::Save(path) => self.save(&path),
            Command::Trace(on) => {
                self.trace = on;
                Ok(format!("trace {}\n", if on { "on" } else { "off" }))
            }
            Command::Reset => {
                self.journey.clear();
                self.actions.clear();
                self.clock = None;
                if let Some(c) = self.campaign.take() {
                    self.campaign = Some(Campaign::new(c.path, c.source, c.program)?);
                }
                Ok("the journey is forgotten: no leads, and the clock starts again\n".into())
            }
            Command::Help(topic) => help(topic.as_ref()),
            Command::Quit => {
                self.quit = true;
                Ok(String::new())
            }
        }
    }

    pub(super) fn campaign(&self) -> Result<&Campaign, Problem> {
        self.campaign.as_ref().ok_or_else(no_campaign)
    }

    pub(super) fn campaign_mut(&mut self) -> Result<&mut Campaign, Problem> {
        self.campaign.as_mut().ok_or_else(no_campaign)
    }

    /// The clock, starting it at 2026-01-01T00:00:00Z if nothing started it yet.
    fn now(&mut self) -> i64 {
        *self.clock.get_or_insert(DEFAULT_START)
    }

    fn now_or_default(&self) -> i64 {
        self.clock.unwrap_or(DEFAULT_START)
    }

    fn clock_line(&self) -> String {
        let t = format::instant(self.now_or_default());
        format!("{}\n", self.style.paint(sgr::DIM, &format!("clock {t}")))
    }

    fn find_lead(&self, id: &Arg) -> Result<u32, Problem> {
        let c = self.campaign()?;
        c.machine.find_lead(&id.text).ok_or_else(|| {
            let ids = &c.machine.lead_ids;
            let close = ids
                .iter()
                .map(|l| (strsim::damerau_levenshtein(&id.text, l), l))
                .filter(|(d, l)| *d <= 2.max(l.len() / 3))
                .min()
                .map(|(_, l)| l.to_string());
            let help = match close {
                Some(l) => format!("did you mean `{l}`?"),
                None if ids.is_empty() => "create one with `:lead ID { … }`".to_string(),
                None => format!("the leads are {}", list_words(&c.machine.lead_id_list())),
            };
            Diagnostic::new(
                Code::UnknownName,
                id.span(),
                format!("there is no lead `{}` in this session", id.text),
            )
            .with_label("unknown lead")
            .with_help(help)
            .into()
        })
    }

    /// `:lead ID { … }`.
    fn lead(&mut self, id: &Arg, body: Option<&Arg>, input: &str) -> Result<String, Problem> {
        let c = self.campaign()?;
        let mut traits = Map::new();
        if let Some(body) = body {
            const PREFIX: &str = "lead l ";
            let src = format!("{PREFIX}{}", &input[body.at..].trim_end());
            let shift = |ds| shift(ds, PREFIX.len(), body.at);
            let stmts = parse_test_stmts(&src).map_err(shift)?;
            let fields: Vec<(String, Span)> = match stmts.first() {
                Some(ast::TestStmt::Lead { fields, .. }) => fields
                    .iter()
                    .map(|f| (f.name.name.clone(), f.name.span.to(f.value.span)))
                    .collect(),
                _ => Vec::new(),
            };
            let test = check_test_stmts_in(&c.program, stmts).map_err(shift)?;
            let Some(TestStmt::Lead { attrs, span, .. }) = test.stmts.first() else {
                return Err(Problem::Text("expected `{ attr: value, … }`\n".into()));
            };
            for (a, v) in attrs {
                let attr = &c.program.attrs[*a as usize];
                let (Some(j), false) = (value_json(&c.program, v), matches!(v, Value::List(_)))
                else {
                    let field = fields.iter().find(|(n, _)| *n == attr.name);
                    let span = shift_span(field.map_or(*span, |f| f.1), PREFIX.len(), body.at);
                    return Err(Diagnostic::new(
                        Code::TypeMismatch,
                        span,
                        format!("`{}` cannot be set from input", attr.name),
                    )
                    .with_label("a list")
                    .with_help("list attributes such as `tags` are written by `tag` steps; Segment traits cannot carry them")
                    .into());
                };
                traits.insert(attr.name.clone(), j);
            }
        }
        let known = c.machine.find_lead(&id.text).is_some();
        let names: Vec<String> = traits.keys().cloned().collect();
        let at = self.now();
        no_record_at(at, id)?;
        let mut out = self.play(Input::Lead {
            id: id.text.clone(),
            at,
            traits,
        })?;
        let what = match (known, names.is_empty()) {
            (false, true) => format!("created {}", id.text),
            (false, false) => format!("created {} with {}", id.text, names.join(", ")),
            (true, true) => format!("{} unchanged", id.text),
            (true, false) => format!("set {} of {}", names.join(", "), id.text),
        };
        out.insert_str(0, &format!("{}\n", self.style.paint(sgr::DIM, &what)));
        Ok(out)
    }

    /// `:event ID EVENT { … }`.
    fn event(&mut self, id: &Arg, event: &Arg, input: &str) -> Result<String, Problem> {
        let c = self.campaign()?;
        const PREFIX: &str = "after 0s l ";
        let src = format!("{PREFIX}{}", &input[event.at..].trim_end());
        let shift = |ds| shift(ds, PREFIX.len(), event.at);
        let stmts = parse_test_stmts(&src).map_err(shift)?;
        let test = check_test_stmts_in(&c.program, stmts).map_err(shift)?;
        let Some(TestStmt::After { event: Some(e), .. }) = test.stmts.first() else {
            return Err(Problem::Text(
                "expected `EVENT { prop: value, … }`\n".into(),
            ));
        };
        let def = &c.program.events[e.event as usize];
        let mut props = Map::new();
        for (p, v) in def.props.iter().zip(&e.props) {
            if *v == Value::Missing {
                continue;
            }
            if let Some(j) = value_json(&c.program, v) {
                props.insert(p.name.clone(), j);
            }
        }
        let name = def.name.clone();
        let at = self.now();
        no_record_at(at, event)?;
        let out = self.play(Input::Event {
            id: id.text.clone(),
            at,
            event: name,
            props,
        })?;
        if out.is_empty() {
            return Ok(format!("{}\n", self.style.paint(sgr::DIM, "no actions")));
        }
        Ok(out)
    }

    fn move_clock(&mut self, to: i64) -> Result<String, Problem> {
        self.clock = Some(to);
        if self.campaign.is_none() {
            return Ok(self.clock_line());
        }
        let mut text = self.play(Input::Clock { to })?;
        text.push_str(&self.clock_line());
        Ok(text)
    }

    /// Adds a step to the journey, plays it and prints what happened.
    fn play(&mut self, input: Input) -> Result<String, Problem> {
        let style = self.style;
        let trace = self.trace;
        let n = self.journey.len() as u64 + 1;
        let c = self.campaign_mut()?;
        let before = trace.then(|| render::snapshot(c));
        let mut out = String::new();
        if trace {
            if let Some(line) = input.line(&c.program) {
                out.push_str(&style.paint(sgr::DIM, &format!("record {line}")));
                out.push('\n');
            }
        }
        let mut actions = Vec::new();
        let note = c.apply(&input, n, &mut actions);
        for a in &actions {
            out.push_str(&render::action_line(a, &c.machine.c, style));
            out.push('\n');
        }
        if let Some(before) = before {
            out.push_str(&render::trace_changes(&before, &render::snapshot(c), style));
        }
        if let Some(note) = note {
            // The checker has vetted the input; the intake refusing it is a bug to report.
            return Err(Problem::Text(format!("{}: {note}\n", input.describe())));
        }
        self.journey.push(input);
        self.actions.extend(actions);
        Ok(out)
    }

    fn why(&mut self, id: &Arg, name: &Arg) -> Result<String, Problem> {
        // A decision answers for any id: an unknown lead gets the decision for a new lead.
        if let Some(d) = self.campaign()?.program.decision(&name.text) {
            return self.decide_for(&id.text, d as u16);
        }
        let lead = self.find_lead(id)?;
        let c = self.campaign()?;
        let p = &c.program;
        let ex = c.explainer();
        let n = name.text.as_str();
        if let Some(s) = p.score(n) {
            return Ok(render::why_score(&ex, lead, &id.text, s as u16, self.style));
        }
        if let Some(l) = p.list(n) {
            return Ok(render::why_list(&ex, lead, &id.text, l as u16, self.style));
        }
        if let Some(w) = p.workflow(n) {
            let events = |event: u32| {
                let ename = &p.events[event as usize].name;
                self.journey
                    .iter()
                    .filter(|i| matches!(i, Input::Event { id: x, event: e, .. } if *x == id.text && e == ename))
                    .count()
            };
            return Ok(render::why_workflow(
                &ex, lead, &id.text, w as u16, &events, self.style,
            ));
        }
        let names = p
            .scores
            .iter()
            .map(|s| &s.name)
            .chain(p.lists.iter().map(|l| &l.name))
            .chain(p.workflows.iter().map(|w| &w.name))
            .chain(p.decisions.iter().map(|d| &d.name));
        let close = names
            .clone()
            .map(|x| (strsim::damerau_levenshtein(n, x), x))
            .filter(|(d, x)| *d <= 2.max(x.len() / 3))
            .min()
            .map(|(_, x)| x.clone());
        let help = match close {
            Some(x) => format!("did you mean `{x}`?"),
            None => format!(
                "`:why` explains a score, a list, a workflow or a decision: {}",
                list_words(&names.cloned().collect::<Vec<_>>())
            ),
        };
        Err(Diagnostic::new(
            Code::UnknownName,
            name.span(),
            format!("the campaign has no score, list, workflow or decision `{n}`"),
        )
        .with_label("unknown name")
        .with_help(help)
        .into())
    }

    /// Loads a campaign and replays the journey against it.
    fn load_campaign(&mut self, path: &Path) -> Result<String, Problem> {
        let bytes = std::fs::read(path)
            .map_err(|e| Problem::Text(format!("cannot read {}: {e}\n", path.display())))?;
        self.load_bytes(path, &bytes)
    }

    fn load_bytes(&mut self, path: &Path, bytes: &[u8]) -> Result<String, Problem> {
        let name = path.to_string_lossy().replace('\\', "/");
        let checked = crate::check::check_source(&name, bytes);
        let Some(program) = checked.program else {
            let text = diag::render(&[checked.report], Format::Human, self.style.color);
            return Err(Problem::Text(format!(
                "{text}{} not loaded: fix the errors above\n",
                path.display()
            )));
        };
        let source = checked.report.file.text;
        let mut c = Campaign::new(path.to_path_buf(), source, program)?;
        let mut actions = Vec::new();
        let mut notes = Vec::new();
        for (i, input) in self.journey.iter().enumerate() {
            if let Some(note) = c.apply(input, i as u64 + 1, &mut actions) {
                notes.push(format!("  {}: {note}\n", input.describe()));
            }
        }
        let replayed = self
            .journey
            .iter()
            .filter(|i| !matches!(i, Input::Clock { .. }))
            .count();
        let title = c.program.campaign.clone();
        let again = self.campaign.as_ref().is_some_and(|old| old.path == path);
        let mut out = format!(
            "{} {}{}",
            if again { "reloaded" } else { "loaded" },
            path.display(),
            title.map_or(String::new(), |t| format!(" (\"{t}\")"))
        );
        if self.journey.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&format!(
                ": replayed {replayed} input{}\n",
                if replayed == 1 { "" } else { "s" }
            ));
            out.extend(notes);
            out.push_str(&render::compare(
                &self.actions,
                &actions,
                &c.machine.c,
                self.style,
            ));
        }
        self.campaign = Some(c);
        self.actions = actions;
        Ok(out)
    }

    fn save(&mut self, path: &Arg) -> Result<String, Problem> {
        let c = self.campaign()?;
        let lines = self.journey_lines();
        let mut text = lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        std::fs::write(&path.text, text)
            .map_err(|e| Problem::Text(format!("cannot write {}: {e}\n", path.text)))?;
        let until = format::instant(self.now_or_default());
        Ok(format!(
            "wrote {} record{} to {}\nreplay: nurture run {} --events {} --until {until}\n",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" },
            path.text,
            c.path.display(),
            path.text,
        ))
    }
}

/// The clock may go where `--until` may take it (`crate::lang::time`).
fn out_of_range(t: i64, arg: &Arg, what: &str) -> Result<(), Problem> {
    if crate::lang::time::clock_in_range(t) {
        return Ok(());
    }
    Err(Diagnostic::new(
        Code::BadLiteral,
        arg.span(),
        crate::lang::time::out_of_range(what, t, crate::lang::time::LAST_CLOCK),
    )
    .with_label("out of range")
    .with_help("the clock goes from 1970-01-01 to 2201-01-01, as `nurture run --until` may take it")
    .into())
}

/// A lead or an event happens at a time a record may carry, up to 2100 (`crate::lang::time`).
fn no_record_at(t: i64, arg: &Arg) -> Result<(), Problem> {
    if crate::lang::time::event_in_range(t) {
        return Ok(());
    }
    Err(Diagnostic::new(
        Code::BadLiteral,
        arg.span(),
        crate::lang::time::out_of_range("the clock at", t, crate::lang::time::LAST_EVENT),
    )
    .with_label("no record can come now")
    .with_help(
        "leads and events happen from 1970-01-01 to 2100-01-01, as input records do; \
         `:reset` starts the journey again",
    )
    .into())
}

fn no_campaign() -> Problem {
    Problem::Text(
        "no campaign loaded: start with `nurture repl CAMPAIGN`, or `:load FILE`\n".into(),
    )
}

/// `a`, `a and b`, `a, b and c`, with each name in backquotes.
pub(super) fn list_words(items: &[String]) -> String {
    let q: Vec<String> = items.iter().map(|s| format!("`{s}`")).collect();
    match q.as_slice() {
        [] => "none".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A value as the intake reads it from JSON (a list as an array: event properties carry
/// them; attributes cannot).
fn value_json(program: &Program, v: &Value) -> Option<Json> {
    Some(match v {
        Value::Missing => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Number(n) => serde_json::Number::from_f64(*n).map_or(Json::Null, Json::Number),
        Value::Str(s) => json!(s),
        // As the intake reads a duration: a number of seconds.
        Value::Duration(d) if d % 1_000 == 0 => json!(d / 1_000),
        Value::Duration(d) => json!(*d as f64 / 1_000.0),
        Value::Time(t) => json!(format::instant(*t)),
        Value::TimeOfDay(m) => json!(format::time_of_day(*m)),
        Value::Enum(e, i) => json!(program.enums[*e as usize].variants[*i as usize]),
        Value::List(items) => Json::Array(
            items
                .iter()
                .map(|i| value_json(program, i))
                .collect::<Option<_>>()?,
        ),
    })
}

fn shift_span(s: Span, prefix: usize, at: usize) -> Span {
    let map = |x: u32| (x as usize).saturating_sub(prefix) + at;
    let start = map(s.start);
    Span::new(start, map(s.end).max(start))
}

/// Moves diagnostics about `PREFIX + input[at..]` onto the input as typed.
fn shift(mut ds: Vec<Diagnostic>, prefix: usize, at: usize) -> Vec<Diagnostic> {
    for d in &mut ds {
        d.span = shift_span(d.span, prefix, at);
        for l in &mut d.labels {
            l.span = shift_span(l.span, prefix, at);
        }
        d.message = d
            .message
            .replace("the end of the file", "the end of the input");
    }
    ds
}

fn help(topic: Option<&Arg>) -> Result<String, Problem> {
    if let Some(t) = topic {
        let name = if t.text.starts_with(':') {
            t.text.clone()
        } else {
            format!(":{}", t.text)
        };
        let Some(c) = commands::info(&name) else {
            return Err(Diagnostic::new(
                Code::UnknownName,
                t.span(),
                format!("there is no command `{name}`"),
            )
            .with_label("unknown command")
            .with_help("`:help` lists every command")
            .into());
        };
        return Ok(format!("{} {}\n  {}\n", c.name, c.args, c.about));
    }
    let mut out = String::from("commands:\n");
    for c in COMMANDS {
        let usage = format!("{} {}", c.name, c.args);
        out.push_str(&format!("  {usage:<34} {}\n", c.about));
    }
    out.push_str(
        "expressions:\n  \
         total of ann, ann in hot, lead.stage of ann, count email.opened within 30d of ann\n\
         Braces may span lines; `//` starts a comment. The clock starts at the first `:at`,\n\
         or at 2026-01-01T00:00:00Z.\n",
    );
    Ok(out)
}

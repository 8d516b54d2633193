//! `nurture state DB`: what a state database written by `nurture run --state` (or
//! `nurture serve`) holds.

use super::{print_stdout, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use clap::{Args, ValueEnum};
use nurture::check::check_source;
use nurture::check::program::Program;
use nurture::compile::file::SourceText;
use nurture::compile::Compiled;
use nurture::inspect::Explainer;
use nurture::inspect::{lead_json, lead_json_explained};
use nurture::lang::format;
use nurture::repl::Style;
use nurture::runtime::store::{Progress, Store};
use nurture::vm::machine::Machine;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Show what a state database holds: leads, list sizes, workflow runs by step, pending
/// timers; or one lead (as the REPL's `:show`), or the members of a list; or, for a state
/// `nurture serve` runs on, its deliveries (`--outbox`, `--redeliver`).
#[derive(Debug, Args)]
pub struct StateArgs {
    /// The database written by `nurture run --state DB` or `nurture serve --state DB`.
    #[arg(value_name = "DB")]
    pub db: PathBuf,

    /// Show this lead: attributes, scores, lists and workflow runs.
    #[arg(long, value_name = "ID", conflicts_with_all = ["list", "outbox", "redeliver"])]
    pub lead: Option<String>,

    /// Print the ids of this list's members, one a line.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["outbox", "redeliver"])]
    pub list: Option<String>,

    /// List the actions `nurture serve` has still to deliver and its dead letters (the
    /// actions a receiver refused or that were given up on).
    #[arg(long, conflicts_with = "redeliver")]
    pub outbox: bool,

    /// Put dead letters back in the delivery queue, with their attempts reset: a running
    /// service delivers them within a second, a stopped one at its next start.
    #[arg(long)]
    pub redeliver: bool,

    /// With --redeliver: only the dead letters of this route (its URL, as --outbox shows it).
    #[arg(long, value_name = "URL", requires = "redeliver")]
    pub route: Option<String>,

    /// `text`: for reading, with control and other non-printing characters in ids and texts
    /// escaped (`\n`, `\u{1b}`, a backslash doubled). `json`: the summary or the lead as one
    /// JSON object, a list as one JSON string a line.
    #[arg(long, value_enum, default_value_t = StateFormat::Text, value_name = "FORMAT")]
    pub format: StateFormat,
}

/// How `nurture state` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateFormat {
    Text,
    Json,
}

pub fn run(args: &StateArgs) -> u8 {
    if args.outbox {
        return super::outbox::show(&args.db, args.format);
    }
    if args.redeliver {
        return super::outbox::redeliver(&args.db, args.route.as_deref());
    }
    let (store, m, progress) = match load(args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("nurture state: {e}");
            return EXIT_USAGE;
        }
    };
    let json = args.format == StateFormat::Json;
    if let Some(id) = &args.lead {
        let Some(lead) = m.find_lead(id) else {
            eprintln!(
                "nurture state: no lead {} in {}",
                format::escaped(id),
                args.db.display()
            );
            return EXIT_PROBLEMS;
        };
        if json {
            let value = match checked_source(&store) {
                Some((program, src)) => {
                    let ex = Explainer {
                        m: &m,
                        program: &program,
                        source: &src.text,
                    };
                    lead_json_explained(&ex, lead, id)
                }
                None => lead_json(&m, lead, id),
            };
            let mut line = format::json_line(&value);
            line.push('\n');
            print_stdout(&line);
        } else {
            print_stdout(&show_lead(&store, &m, lead, id));
        }
        return EXIT_OK;
    }
    if let Some(name) = &args.list {
        let Some(list) = m.c.lists.iter().position(|l| &l.name == name) else {
            let names: Vec<&str> = m.c.lists.iter().map(|l| l.name.as_str()).collect();
            eprintln!(
                "nurture state: the campaign has no list {} (its lists: {})",
                format::escaped(name),
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            );
            return EXIT_PROBLEMS;
        };
        let mut out = String::new();
        for (i, l) in m.leads.iter().enumerate() {
            if l.in_list(&m.c, list as u16) {
                let id = &m.lead_ids[i];
                if json {
                    out.push_str(&format::json_line(&Value::from(id)));
                } else {
                    out.push_str(&format::escaped(id));
                }
                out.push('\n');
            }
        }
        print_stdout(&out);
        return EXIT_OK;
    }
    let summary = Summary::of(&m, &progress);
    if json {
        let mut line = format::json_line(&summary.json());
        line.push('\n');
        print_stdout(&line);
    } else {
        print_stdout(&summary.text());
    }
    EXIT_OK
}

fn load(args: &StateArgs) -> Result<(Store, Machine, Progress), String> {
    let store = Store::open_read_only(&args.db).map_err(|e| e.to_string())?;
    let bytes = store
        .program()
        .map_err(|e| e.to_string())?
        .ok_or("no program recorded")?;
    let program = Compiled::load(&bytes).map_err(|e| e.describe(&args.db.display().to_string()))?;
    let mut m = Machine::new(program);
    let progress = store.load_machine(&mut m).map_err(|e| e.to_string())?;
    Ok((store, m, progress))
}

/// The campaign the state keeps, checked: what explains a lead rule by rule.
fn checked_source(store: &Store) -> Option<(Program, SourceText)> {
    let src = store.source().ok()??;
    let program = check_source(&src.name, src.text.as_bytes()).program?;
    Some((program, src))
}

/// One lead as the REPL's `:show` prints it, when the state keeps the campaign's source;
/// otherwise its lists and runs.
fn show_lead(store: &Store, m: &Machine, lead: u32, id: &str) -> String {
    if let Some((program, src)) = checked_source(store) {
        let ex = Explainer {
            m,
            program: &program,
            source: &src.text,
        };
        return nurture::repl::print::show(&ex, lead, id, Style::plain());
    }
    let mut out = format!("{} at {}\n", format::escaped(id), format::instant(m.now));
    out.push_str("lists\n");
    for (i, l) in m.c.lists.iter().enumerate() {
        let member = m.leads[lead as usize].in_list(&m.c, i as u16);
        let _ = writeln!(
            out,
            "  {}  {}",
            l.name,
            if member { "in" } else { "not in" }
        );
    }
    out.push_str("workflows\n");
    for (w, wf) in m.c.workflows.iter().enumerate() {
        let step = m.run_step(lead, w as u16);
        let _ = writeln!(
            out,
            "  {}  {}",
            wf.name,
            match step.as_deref() {
                None => "not running".to_string(),
                Some("holdout") => "held out, watching its goal".to_string(),
                Some(s) => format!("step {}", format::escaped(s)),
            }
        );
    }
    out
}

/// What `nurture state DB` shows, read once and printed as text or JSON.
struct Summary {
    campaign: Option<String>,
    /// The clock; 0 when no run has moved it.
    clock: i64,
    input: String,
    line: u64,
    finished: bool,
    events: u64,
    identifies: u64,
    actions: u64,
    rejected: u64,
    leads: usize,
    /// Each list and how many leads are in it.
    lists: Vec<(String, usize)>,
    /// Each workflow and its open runs by step.
    runs: Vec<(String, BTreeMap<String, u64>)>,
    /// Timers that will do something when they fire (`Machine::live_timer_rows`).
    timers: usize,
    /// By what they do: how many, and the first due.
    timer_kinds: BTreeMap<String, (u64, i64)>,
}

impl Summary {
    fn of(m: &Machine, p: &Progress) -> Summary {
        let lists =
            m.c.lists
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let n = m
                        .leads
                        .iter()
                        .filter(|lead| lead.in_list(&m.c, i as u16))
                        .count();
                    (l.name.clone(), n)
                })
                .collect();
        let runs =
            m.c.workflows
                .iter()
                .enumerate()
                .map(|(w, wf)| {
                    let mut steps: BTreeMap<String, u64> = BTreeMap::new();
                    for l in 0..m.leads.len() as u32 {
                        if let Some(s) = m.run_step(l, w as u16) {
                            *steps.entry(s).or_default() += 1;
                        }
                    }
                    (wf.name.clone(), steps)
                })
                .collect();
        // A timer whose run ended or moved on, or a superseded recheck, stays queued until it
        // comes due and is skipped then: it is not pending.
        let timers = m.live_timer_rows();
        let mut timer_kinds: BTreeMap<String, (u64, i64)> = BTreeMap::new();
        for t in &timers {
            let e = timer_kinds.entry(t.describe(&m.c)).or_insert((0, i64::MAX));
            e.0 += 1;
            e.1 = e.1.min(t.due);
        }
        Summary {
            campaign: m.c.campaign.clone(),
            clock: m.now,
            input: p.position.input.clone(),
            line: p.position.line,
            finished: p.position.done,
            events: p.machine.stats.events,
            identifies: p.machine.stats.identifies,
            actions: p.machine.stats.actions,
            rejected: p.engine.rejected,
            leads: m.leads.len(),
            lists,
            runs,
            timers: timers.len(),
            timer_kinds,
        }
    }

    fn text(&self) -> String {
        let p = format::escaped;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "campaign: {}",
            self.campaign.as_deref().map_or("(unnamed)".into(), p)
        );
        let _ = writeln!(
            out,
            "clock: {}",
            if self.clock > 0 {
                format::instant(self.clock)
            } else {
                "not started".into()
            }
        );
        let _ = writeln!(
            out,
            "input: {} line {}{}",
            if self.input.is_empty() {
                "(none)".into()
            } else {
                p(&self.input)
            },
            self.line,
            if self.finished {
                ", finished"
            } else {
                ", stopped before its end (run again to finish it)"
            }
        );
        let _ = writeln!(
            out,
            "processed: {} events, {} identifies, {} actions, {} rejected lines",
            self.events, self.identifies, self.actions, self.rejected
        );
        let _ = writeln!(out, "leads: {}", self.leads);
        if !self.lists.is_empty() {
            out.push_str("lists\n");
            let width = self.lists.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
            for (name, n) in &self.lists {
                let _ = writeln!(out, "  {:<width$}  {n}", p(name));
            }
        }
        if !self.runs.is_empty() {
            out.push_str("workflow runs\n");
            for (name, steps) in &self.runs {
                let total: u64 = steps.values().sum();
                let _ = writeln!(out, "  {}: {total} open", p(name));
                for (s, n) in steps {
                    let _ = writeln!(out, "    {n:>8}  {}", p(s));
                }
            }
        }
        let _ = writeln!(out, "pending timers: {}", self.timers);
        for (what, (n, next)) in &self.timer_kinds {
            let _ = writeln!(
                out,
                "  {n:>8}  {}, next {}",
                p(what),
                format::instant(*next)
            );
        }
        out
    }

    fn json(&self) -> Value {
        let lists: Map<String, Value> = self
            .lists
            .iter()
            .map(|(name, n)| (name.clone(), json!(n)))
            .collect();
        let workflows: Map<String, Value> = self
            .runs
            .iter()
            .map(|(name, steps)| {
                let open: u64 = steps.values().sum();
                (name.clone(), json!({ "open": open, "steps": steps }))
            })
            .collect();
        let timers: Map<String, Value> = self
            .timer_kinds
            .iter()
            .map(|(what, (n, next))| {
                (
                    what.clone(),
                    json!({ "count": n, "next": format::instant(*next) }),
                )
            })
            .collect();
        json!({
            "campaign": self.campaign,
            "clock": (self.clock > 0).then(|| format::instant(self.clock)),
            "input": {
                "name": (!self.input.is_empty()).then_some(&self.input),
                "line": self.line,
                "finished": self.finished,
            },
            "processed": {
                "events": self.events,
                "identifies": self.identifies,
                "actions": self.actions,
                "rejected": self.rejected,
            },
            "leads": self.leads,
            "lists": lists,
            "workflows": workflows,
            "pending_timers": { "count": self.timers, "by_kind": timers },
        })
    }
}

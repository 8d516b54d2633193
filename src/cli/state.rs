//! `nurture state DB`: what a state database written by `nurture run --state` holds.

use super::{print_stdout, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use clap::Args;
use nurture::check::check_source;
use nurture::compile::Compiled;
use nurture::repl::Style;
use nurture::runtime::format;
use nurture::runtime::store::{Progress, Store};
use nurture::vm::explain::{Explainer, Ledger};
use nurture::vm::machine::Machine;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Show what a state database holds: leads, list sizes, workflow runs by step, pending
/// timers; or one lead (as the REPL's `:show`), or the members of a list.
#[derive(Debug, Args)]
pub struct StateArgs {
    /// The database written by `nurture run --state DB`.
    #[arg(value_name = "DB")]
    pub db: PathBuf,

    /// Show this lead: attributes, scores, lists and workflow runs.
    #[arg(long, value_name = "ID", conflicts_with = "list")]
    pub lead: Option<String>,

    /// Print the ids of this list's members, one a line.
    #[arg(long, value_name = "NAME")]
    pub list: Option<String>,
}

pub fn run(args: &StateArgs) -> u8 {
    let (store, m, progress) = match load(args) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("nurture state: {e}");
            return EXIT_USAGE;
        }
    };
    if let Some(id) = &args.lead {
        let Some(lead) = m.find_lead(id) else {
            eprintln!("nurture state: no lead {id} in {}", args.db.display());
            return EXIT_PROBLEMS;
        };
        print_stdout(&show_lead(&store, &m, lead, id));
        return EXIT_OK;
    }
    if let Some(name) = &args.list {
        let Some(list) = m.c.lists.iter().position(|l| &l.name == name) else {
            let names: Vec<&str> = m.c.lists.iter().map(|l| l.name.as_str()).collect();
            eprintln!(
                "nurture state: the campaign has no list {name} (its lists: {})",
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
                out.push_str(&m.lead_ids[i]);
                out.push('\n');
            }
        }
        print_stdout(&out);
        return EXIT_OK;
    }
    print_stdout(&summary(&m, &progress));
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

/// One lead as the REPL's `:show` prints it, when the state keeps the campaign's source;
/// otherwise its lists and runs.
fn show_lead(store: &Store, m: &Machine, lead: u32, id: &str) -> String {
    if let Ok(Some(src)) = store.source() {
        let checked = check_source(&src.name, src.text.as_bytes());
        if let Some(program) = checked.program {
            let ledger = Ledger::default();
            let ex = Explainer {
                m,
                program: &program,
                source: &src.text,
                ledger: &ledger,
            };
            return nurture::repl::explain::show(&ex, lead, id, Style::plain());
        }
    }
    let mut out = format!("{id} at {}\n", format::instant(m.now));
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
            step.map_or("not running".to_string(), |s| format!("step {s}"))
        );
    }
    out
}

fn summary(m: &Machine, p: &Progress) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "campaign: {}",
        m.c.campaign.as_deref().unwrap_or("(unnamed)")
    );
    let _ = writeln!(
        out,
        "clock: {}",
        if m.now > 0 {
            format::instant(m.now)
        } else {
            "not started".into()
        }
    );
    let pos = &p.position;
    let _ = writeln!(
        out,
        "input: {} line {}{}",
        if pos.input.is_empty() {
            "(none)"
        } else {
            &pos.input
        },
        pos.line,
        if pos.done {
            ", finished"
        } else {
            ", stopped before its end (run again to finish it)"
        }
    );
    let _ = writeln!(
        out,
        "processed: {} events, {} identifies, {} actions, {} rejected lines",
        p.events, p.identifies, p.actions, p.rejected
    );
    let _ = writeln!(out, "leads: {}", m.leads.len());
    if !m.c.lists.is_empty() {
        out.push_str("lists\n");
        let width = m.c.lists.iter().map(|l| l.name.len()).max().unwrap_or(0);
        for (i, l) in m.c.lists.iter().enumerate() {
            let n = m
                .leads
                .iter()
                .filter(|lead| lead.in_list(&m.c, i as u16))
                .count();
            let _ = writeln!(out, "  {:<width$}  {n}", l.name);
        }
    }
    if !m.c.workflows.is_empty() {
        out.push_str("workflow runs\n");
        for (w, wf) in m.c.workflows.iter().enumerate() {
            let mut steps: BTreeMap<String, u64> = BTreeMap::new();
            for l in 0..m.leads.len() as u32 {
                if let Some(s) = m.run_step(l, w as u16) {
                    *steps.entry(s).or_default() += 1;
                }
            }
            let total: u64 = steps.values().sum();
            let _ = writeln!(out, "  {}: {total} open", wf.name);
            for (s, n) in steps {
                let _ = writeln!(out, "    {n:>8}  {s}");
            }
        }
    }
    let timers = m.timer_rows();
    let _ = writeln!(out, "pending timers: {}", timers.len());
    let mut kinds: BTreeMap<String, (u64, i64)> = BTreeMap::new();
    for t in &timers {
        let e = kinds.entry(t.describe(&m.c)).or_insert((0, i64::MAX));
        e.0 += 1;
        e.1 = e.1.min(t.due);
    }
    for (what, (n, next)) in kinds {
        let _ = writeln!(out, "  {n:>8}  {what}, next {}", format::instant(next));
    }
    out
}

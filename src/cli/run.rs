//! `nurture run CAMPAIGN --events FILE|-`: run a campaign over Segment JSON lines.

use super::files::{self, EventFile, EventStream, OutRules, StateLock};
use super::{use_color, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nurture::check::check_source;
use nurture::compile::file::{self, SourceText};
use nurture::compile::{compile, Compiled};
use nurture::diag::{self, Format};
use nurture::runtime::durable::{self, DurableRun, Input, MigrationReport, Rejected, Setup};
use nurture::runtime::engine::{Engine, Options, Summary};
use nurture::runtime::intake::parse_rfc3339;
use nurture::runtime::store::{self, Position, Store};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Run a campaign over a stream of lead events, in event time, and write the actions to take.
///
/// Input: Segment-spec JSON lines (`identify` with `traits`, `track` with `event` and
/// `properties`, `page` as a `page.viewed` event; `userId` and an RFC 3339 `timestamp` on
/// each), in time order. Output: one
/// JSON line per action (send, suppressed send, notify, retarget, webhook, set, tag, …) with
/// a stable `id`. A summary goes to stderr. Bad lines are rejected with their line number and
/// reason, and the run goes on; the exit code is then 1.
///
/// With `--state DB` all lead state, the timers and the input position are kept in a SQLite
/// database, committed in batches: a later run with the same database goes on where this one
/// stopped, and a run killed at any moment and started again with the same arguments emits
/// exactly the actions an uninterrupted run would (see docs/durability.md).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The campaign file, or a program compiled with `nurture compile` (`.nbc`).
    #[arg(value_name = "CAMPAIGN|FILE.nbc")]
    pub campaign: PathBuf,

    /// The events, as JSON lines; `-` reads standard input. Optional with `--state`, to only
    /// move the clock (`--until`).
    #[arg(long, value_name = "FILE", required_unless_present = "state")]
    pub events: Option<PathBuf>,

    /// After the input ends, move the clock to this RFC 3339 time so that pending waits fire
    /// (from 1970-01-01 to 2201-01-01, and not earlier than the events read).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Write actions to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Also write each rejected line, with its number and reason, to this file (JSON lines).
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,

    /// Reject events the campaign does not declare, and `screen`, `group` and `alias` calls,
    /// instead of skipping and counting them (`page` calls are read either way).
    #[arg(long)]
    pub strict: bool,

    /// Also write a record each time a lead enters or leaves a list (for CRM and ad syncs).
    #[arg(long)]
    pub memberships: bool,

    /// Keep lead state, timers and the input position in this SQLite database, and go on
    /// from what it holds.
    #[arg(long, value_name = "DB")]
    pub state: Option<PathBuf>,

    /// With `--state`, when the campaign changed since the state was written: carry workflow
    /// runs over by workflow name and step label, and report every run that has no place.
    #[arg(long, requires = "state")]
    pub migrate: bool,

    /// With `--state`: an empty file at the state path is made a new state database (an
    /// empty file where a state was expected is otherwise refused, as a damaged state).
    #[arg(long, requires = "state")]
    pub state_new: bool,

    /// With `--state`: write the actions (and rejects) to new files from the state's
    /// position, instead of going on in the files the last run wrote (which are cut back to
    /// what was committed, so nothing is emitted twice).
    #[arg(long, requires = "state")]
    pub out_reset: bool,

    /// With `--state`, commit after this many input lines (and at the end).
    #[arg(long, value_name = "LINES", default_value_t = store::DEFAULT_COMMIT_EVERY)]
    pub commit_every: u64,
}

/// How many rejects are printed on stderr before the rest are only counted.
const SHOWN_REJECTS: u64 = 50;

/// The program a campaign argument names, with its source when known.
/// `command` names the command in messages (`nurture run`).
pub fn load_program(campaign: &Path, command: &str) -> Result<(Compiled, Option<SourceText>), u8> {
    let bytes = match std::fs::read(campaign) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{command}: cannot read {}: {e}", campaign.display());
            return Err(EXIT_USAGE);
        }
    };
    let name = campaign.to_string_lossy().replace('\\', "/");
    let is_nbc = campaign.extension().is_some_and(|e| e == "nbc");
    if file::is_compiled(&bytes) || is_nbc {
        return match file::read(&bytes) {
            Ok(f) => Ok((f.program, f.source)),
            Err(e) => {
                eprintln!("{command}: {}", e.describe(&name));
                Err(EXIT_USAGE)
            }
        };
    }
    let checked = check_source(&name, &bytes);
    let Some(program) = checked.program else {
        eprint!(
            "{}",
            diag::render(&[checked.report], Format::Human, use_color())
        );
        return Err(EXIT_PROBLEMS);
    };
    match compile(&program) {
        Ok(c) => Ok((
            c,
            Some(SourceText {
                name,
                text: String::from_utf8_lossy(&bytes).into_owned(),
            }),
        )),
        Err(e) => {
            let report = diag::FileReport::new(
                diag::SourceFile {
                    name,
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                },
                vec![e.diagnostic()],
            );
            eprint!("{}", diag::render(&[report], Format::Human, use_color()));
            Err(EXIT_PROBLEMS)
        }
    }
}

/// Prints what a migration did.
fn report_migration(args: &RunArgs, report: &MigrationReport) {
    let state = args.state.as_deref().unwrap_or(Path::new(""));
    eprintln!(
        "migrating {} to {}:",
        state.display(),
        args.campaign.display()
    );
    report_migration_lines(report);
}

/// What a migration changed, carried and lost, a line each on standard error.
pub(crate) fn report_migration_lines(report: &MigrationReport) {
    report_migration_changes(report);
    report_migration_carried(report);
}

/// How the campaign changed: the same for every state that ran the same campaign.
pub(crate) fn report_migration_changes(report: &MigrationReport) {
    for d in &report.differences {
        eprintln!("  changed: {d}");
    }
}

/// What this state's migration noted, carried over and lost.
pub(crate) fn report_migration_carried(report: &MigrationReport) {
    let m = &report.migration;
    for n in &m.notes {
        eprintln!("  note: {n}");
    }
    for l in &m.lost {
        eprintln!("  run not carried over: {l}");
    }
    eprintln!(
        "migrated {}: {} carried over, {} not carried over",
        plural(m.leads, "lead"),
        plural(m.runs, "open run"),
        m.lost.len()
    );
}

/// The input of a run, positioned where reading goes on.
enum Events {
    None,
    File(EventFile),
    Stdin(EventStream<std::io::StdinLock<'static>>),
}

/// What to do with the input a run is given, against where the state's last run stood.
enum Plan {
    /// Read it from `position` on (a resumed run, or a finished input that has grown).
    From(Position),
    /// The input was read to its end already and nothing else is asked: nothing to do.
    Nothing,
}

/// Opens the input and decides where to read it from. With a state, a finished input
/// given again (the same bytes, under any name) goes on from where it ended: rerunning a
/// finished command does nothing. A run that stopped before its end must be given its input
/// again.
fn plan_input(
    args: &RunArgs,
    last: &Position,
    stateful: bool,
    clock: i64,
    until: Option<i64>,
) -> Result<(Events, Plan), String> {
    let name = args
        .events
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned());
    let new_input = Position {
        input: name.clone().unwrap_or_default(),
        ..Position::default()
    };
    let state = || args.state.as_deref().unwrap_or(Path::new("")).display();
    let unfinished = || {
        format!(
            "the last run with {} stopped at line {} of {} before it finished: run it again \
             with --events {} to finish it",
            state(),
            last.line,
            last.input,
            last.input
        )
    };
    let Some(path) = &args.events else {
        if stateful && !last.done {
            return Err(unfinished());
        }
        let moves_clock = until.is_some_and(|u| u > clock);
        return Ok((
            Events::None,
            if moves_clock || !stateful {
                Plan::From(last.clone())
            } else {
                Plan::Nothing
            },
        ));
    };
    if path.as_os_str() == "-" {
        let mut stdin = EventStream(std::io::stdin().lock());
        if !stateful || last.done {
            return Ok((Events::Stdin(stdin), Plan::From(new_input)));
        }
        if last.input != "-" {
            return Err(unfinished());
        }
        // Standard input cannot seek or be recognised: skip what the committed lines took.
        let skipped = std::io::copy(&mut (&mut stdin.0).take(last.offset), &mut std::io::sink());
        if skipped.ok() != Some(last.offset) {
            return Err("standard input ends before the committed position".to_string());
        }
        return Ok((Events::Stdin(stdin), Plan::From(last.clone())));
    }
    let describe = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let mut file = EventFile::open(path).map_err(describe)?;
    if !stateful {
        return Ok((Events::File(file), Plan::From(new_input)));
    }
    let len = file.len().map_err(describe)?;
    let known = last.input != "-"
        && last.offset > 0
        && len >= last.offset
        && file.mark(last.offset).map_err(describe)? == Some(last.mark.clone());
    if !last.done && !known {
        return Err(unfinished());
    }
    if !known {
        return Ok((Events::File(file), Plan::From(new_input)));
    }
    if last.done && len == last.offset && until.is_none_or(|u| u <= clock) {
        return Ok((Events::None, Plan::Nothing));
    }
    file.seek_to(last.offset).map_err(describe)?;
    Ok((
        Events::File(file),
        Plan::From(Position {
            done: false,
            ..last.clone()
        }),
    ))
}

pub fn run(args: &RunArgs) -> u8 {
    match run_inner(args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("nurture run: {msg}");
            EXIT_USAGE
        }
    }
}

/// The engine a run starts from: a fresh one, or, with `--state`, the state's (under its lock,
/// which the caller holds for the whole run), with where the last run stood.
fn open_engine(
    args: &RunArgs,
    compiled: Compiled,
    source: Option<SourceText>,
    options: &Options,
) -> Result<Start, String> {
    let Some(path) = &args.state else {
        return Ok(Start {
            _lock: None,
            engine: Engine::from_compiled(compiled, options),
            store: None,
            last: None,
        });
    };
    // The lock first, then the database; the files it says were written come after.
    let lock = StateLock::acquire(path, "nurture run")?;
    let store = files::open_state(path, args.state_new).map_err(|e| e.to_string())?;
    let opened = durable::open_state(
        store,
        &path.display().to_string(),
        compiled,
        source,
        options,
        args.migrate,
    )
    .map_err(|e| e.to_string())?;
    if let Some(report) = &opened.migrated {
        report_migration(args, report);
    }
    Ok(Start {
        _lock: Some(lock),
        engine: opened.engine,
        store: Some(opened.store),
        last: Some(opened.position),
    })
}

/// What a run starts from.
struct Start {
    /// Held until the run ends.
    _lock: Option<StateLock>,
    engine: Engine,
    store: Option<Store>,
    /// Where the last run with the state stood.
    last: Option<Position>,
}

fn run_inner(args: &RunArgs) -> Result<u8, String> {
    let until = parse_until(args.until.as_deref())?;
    let options = Options {
        strict: args.strict,
    };
    let (compiled, source) = match load_program(&args.campaign, "nurture run") {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let Start {
        _lock,
        engine,
        store,
        last,
    } = open_engine(args, compiled, source, &options)?;
    if let Some(until) = until {
        // A state's clock is known before reading: refuse before anything runs.
        durable::until_reachable(until, engine.machine.now).map_err(|e| e.to_string())?;
    }
    let stateful = store.is_some();
    let last = last.unwrap_or(Position {
        done: true,
        ..Position::default()
    });
    let (events, plan) = plan_input(args, &last, stateful, engine.machine.now, until)?;
    let position = match plan {
        Plan::Nothing => {
            eprintln!("{}", nothing_to_do(args, &last, engine.machine.now));
            return Ok(EXIT_OK);
        }
        Plan::From(p) => p,
    };
    let rules = OutRules {
        resuming: stateful && !last.done,
        reset: args.out_reset,
    };
    let out = files::open_output(args.out.as_deref(), last.out.as_ref(), &rules, "--out")?;
    let rejects = match &args.rejects {
        Some(p) => Some(Box::new(files::open_output(
            Some(p),
            last.rejects.as_ref(),
            &rules,
            "--rejects",
        )?) as Box<dyn durable::Output>),
        None => None,
    };
    let setup = Setup {
        memberships: args.memberships,
        commit_every: args.commit_every,
    };
    let run = DurableRun::new(engine, store, position, Box::new(out), rejects, &setup);
    drive(args, run, events, until)
}

/// `--until`, a time the clock can reach, if given.
pub(crate) fn parse_until(until: Option<&str>) -> Result<Option<i64>, String> {
    match until.map(|t| parse_rfc3339(t).ok_or(t)) {
        None => Ok(None),
        Some(Ok(t)) if !nurture::lang::time::clock_in_range(t) => Err(
            nurture::lang::time::out_of_range("--until", t, nurture::lang::time::LAST_CLOCK),
        ),
        Some(Ok(t)) => Ok(Some(t)),
        Some(Err(t)) => Err(format!(
            "--until {t} is not an RFC 3339 time such as 2026-04-01T00:00:00Z"
        )),
    }
}

/// Why a run does nothing: its input was read to the end by the last run with the state, and
/// the clock is not asked to move.
fn nothing_to_do(args: &RunArgs, last: &Position, now: i64) -> String {
    format!(
        "nothing to do: {} was read to its end by the last run with {} (line {}), and the \
         clock is at {}; the outputs are as that run left them",
        if last.input.is_empty() {
            "the input".to_string()
        } else {
            last.input.clone()
        },
        args.state.as_deref().unwrap_or(Path::new("")).display(),
        last.line,
        nurture::lang::format::instant(now),
    )
}

/// Reads the input into the run, showing rejects and progress on stderr, moves the clock to
/// `until`, and finishes with the summary: the exit code is 1 when this run rejected lines.
fn drive(
    args: &RunArgs,
    mut run: DurableRun,
    mut events: Events,
    until: Option<i64>,
) -> Result<u8, String> {
    let started = Instant::now();
    let size = match &events {
        Events::File(f) => f.len().ok(),
        _ => None,
    };
    let progress = Progress::new(size);
    let file_note = if args.rejects.is_some() {
        " and written to the rejects file"
    } else {
        "; use --rejects FILE to keep them"
    };
    let mut on_reject = |r: &Rejected<'_>| {
        if r.count <= SHOWN_REJECTS {
            eprintln!("line {}: rejected: {}", r.line, r.reason);
        } else if r.count == SHOWN_REJECTS + 1 {
            eprintln!("(further rejects are counted in the summary{file_note})");
        }
    };
    let mut on_progress = |read: u64| progress.update(read, started);
    let input: Option<&mut dyn durable::Input> = match events {
        Events::None => None,
        Events::File(ref mut f) => Some(f),
        Events::Stdin(ref mut s) => Some(s),
    };
    if let Some(input) = input {
        let read = run.read(input, &mut on_reject, &mut on_progress);
        progress.finish();
        read.map_err(|e| e.to_string())?;
    }
    if let Some(until) = until {
        run.fire_until(until).map_err(|e| e.to_string())?;
    }
    let rejected_now = run.rejected_now();
    let summary = run.finish().map_err(|e| e.to_string())?;
    eprint!("{}", describe(&summary, started.elapsed()));
    Ok(if rejected_now > 0 {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    })
}

/// The run summary, for stderr.
pub fn describe(s: &Summary, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let mut out = format!(
        "{}: {}, {}, {}; {} ({}, {}); {} rejected\n",
        plural(s.lines, "line"),
        plural(s.stats.events, "event"),
        plural(s.stats.identifies, "identify"),
        plural(s.leads, "lead"),
        plural(s.stats.actions, "action"),
        plural(s.stats.suppressed, "suppressed send"),
        plural(s.stats.conversions, "conversion"),
        s.rejected
    );
    if !s.skipped.is_empty() {
        let names: Vec<String> = s
            .skipped
            .iter()
            .map(|(k, v)| format!("{k} ({v})"))
            .collect();
        out.push_str(&format!(
            "skipped, not in the campaign: {}\n",
            names.join(", ")
        ));
    }
    if s.ignored_traits > 0 {
        out.push_str(&format!(
            "ignored {} identify traits the schema does not declare\n",
            s.ignored_traits
        ));
    }
    if s.stats.cascade_errors > 0 {
        out.push_str(&format!(
            "{} cascades stopped at the depth limit (see the error records)\n",
            s.stats.cascade_errors
        ));
    }
    out.push_str(&format!(
        "{:.2}s, {:.0} events/s, {} bytes of state per lead\n",
        secs,
        (s.stats.events + s.stats.identifies) as f64 / secs,
        s.state_bytes.checked_div(s.leads).unwrap_or(0)
    ));
    out
}

fn plural(n: u64, word: &str) -> String {
    match (n, word) {
        (1, _) => format!("1 {word}"),
        (_, "identify") => format!("{n} identifies"),
        _ => format!("{n} {word}s"),
    }
}

/// A progress bar on a terminal, shown only once a run has taken more than two seconds.
struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(size: Option<u64>) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = match size {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::hidden()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden()),
        };
        let style = match size {
            Some(_) => ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            ),
            None => ProgressStyle::with_template("{spinner} {bytes} read, {bytes_per_sec}"),
        };
        if let Ok(style) = style {
            bar.set_style(style);
        }
        Progress { bar: Some(bar) }
    }

    fn update(&self, read: u64, started: Instant) {
        if let Some(bar) = &self.bar {
            if bar.is_hidden() && started.elapsed() > Duration::from_secs(2) {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
            bar.set_position(read);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

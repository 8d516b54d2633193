//! `nurture run CAMPAIGN --events FILE|-`: run a campaign over Segment JSON lines.

use super::{use_color, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use crate::check::check_source;
use crate::compile::file::{self, SourceText};
use crate::compile::{compile, Compiled};
use crate::diag::{self, Format};
use crate::runtime::engine::{Engine, Options, Summary};
use crate::runtime::intake::parse_rfc3339;
use crate::runtime::output;
use crate::runtime::store::{self, Position, Store};
use crate::vm::action::Action;
use crate::vm::machine::Machine;
use crate::vm::machine::Sink;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Run a campaign over a stream of lead events, in event time, and write the actions to take.
///
/// Input: Segment-spec JSON lines (`identify` with `traits`, `track` with `event` and
/// `properties`; `userId` and an RFC 3339 `timestamp` on each), in time order. Output: one
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

    /// After the input ends, move the clock to this RFC 3339 time so that pending waits fire.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Write actions to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Also write each rejected line, with its number and reason, to this file (JSON lines).
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,

    /// Reject events the campaign does not declare, instead of skipping and counting them.
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

    /// With `--state`, commit after this many input lines (and at the end).
    #[arg(long, value_name = "LINES", default_value_t = store::DEFAULT_COMMIT_EVERY)]
    pub commit_every: u64,
}

/// How many rejects are printed on stderr before the rest are only counted.
const SHOWN_REJECTS: u64 = 50;

struct LineSink<W: Write> {
    out: W,
    memberships: bool,
    error: Option<std::io::Error>,
    /// Bytes written so far.
    written: u64,
}

impl<W: Write> Sink for LineSink<W> {
    fn action(&mut self, action: Action) {
        if action.kind.is_membership() && !self.memberships {
            return;
        }
        if self.error.is_none() {
            let line = output::line(&action);
            match self.out.write_all(line.as_bytes()) {
                Ok(()) => self.written += line.len() as u64,
                Err(e) => self.error = Some(e),
            }
        }
    }
}

/// Where actions go: a file (which a commit syncs to disk first) or standard output.
enum Out {
    File(std::fs::File),
    Stdout(std::io::StdoutLock<'static>),
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Out::File(f) => f.write(buf),
            Out::Stdout(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Out::File(f) => f.flush(),
            Out::Stdout(s) => s.flush(),
        }
    }
}

/// The rejects file, with the bytes written to it.
struct Rejects {
    file: BufWriter<std::fs::File>,
    written: u64,
}

/// Opens a file for writing: with `keep`, cut back to that many bytes and appended to (what
/// was written after the last commit is written again); otherwise created empty.
fn open_output(path: &Path, keep: Option<u64>) -> Result<std::fs::File, String> {
    let describe = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    match keep {
        None => std::fs::File::create(path).map_err(describe),
        Some(len) => {
            let mut f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(describe)?;
            let found = f.metadata().map_err(describe)?.len();
            if found < len {
                return Err(format!(
                    "{} holds {found} bytes, fewer than the {len} the state database says were \
                     written and committed: it was changed since; give the file back or start \
                     a new state",
                    path.display()
                ));
            }
            f.set_len(len).map_err(describe)?;
            f.seek(SeekFrom::Start(len)).map_err(describe)?;
            Ok(f)
        }
    }
}

/// The program a campaign argument names, with its source when known.
fn load_program(args: &RunArgs) -> Result<(Compiled, Option<SourceText>), u8> {
    let bytes = match std::fs::read(&args.campaign) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("nurture run: cannot read {}: {e}", args.campaign.display());
            return Err(EXIT_USAGE);
        }
    };
    let name = args.campaign.to_string_lossy().replace('\\', "/");
    let is_nbc = args.campaign.extension().is_some_and(|e| e == "nbc");
    if file::is_compiled(&bytes) || is_nbc {
        return match file::read(&bytes) {
            Ok(f) => Ok((f.program, f.source)),
            Err(e) => {
                eprintln!("nurture run: {}", e.describe(&name));
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
            eprintln!("nurture run: cannot compile {name}: {e:?}");
            Err(EXIT_PROBLEMS)
        }
    }
}

/// Opens the state database and puts its state into a new engine; returns the engine, the
/// store and where the last run stood.
fn open_state(
    args: &RunArgs,
    path: &Path,
    compiled: Compiled,
    source: Option<SourceText>,
    options: &Options,
) -> Result<(Engine, Store, Position), String> {
    let program = compiled.to_bytes();
    let mut store = Store::open(path).map_err(|e| e.to_string())?;
    let Some(stored) = store.program().map_err(|e| e.to_string())? else {
        let mut engine = Engine::from_compiled(compiled, options);
        let position = Position {
            done: true,
            ..Position::default()
        };
        store
            .init(&program, source.as_ref(), &mut engine, &position)
            .map_err(|e| e.to_string())?;
        return Ok((engine, store, position));
    };
    if stored == program {
        let mut engine = Engine::from_compiled(compiled, options);
        engine.machine.set_journal(true);
        let position = store.load(&mut engine).map_err(|e| e.to_string())?;
        return Ok((engine, store, position));
    }
    let old = Compiled::load(&stored).map_err(|e| e.describe(&path.display().to_string()))?;
    if store::same_behaviour(&old, &compiled) {
        // Only comments or line positions moved: the state carries on under the new source.
        store
            .replace_program(&program, source.as_ref())
            .map_err(|e| e.to_string())?;
        let mut engine = Engine::from_compiled(compiled, options);
        engine.machine.set_journal(true);
        let position = store.load(&mut engine).map_err(|e| e.to_string())?;
        return Ok((engine, store, position));
    }
    let diffs = store::differences(&old, &compiled);
    if !args.migrate {
        let mut msg = format!(
            "{} was written by another version of the campaign, and {} differs from it:\n",
            path.display(),
            args.campaign.display()
        );
        if diffs.is_empty() {
            msg.push_str(
                "  - details inside rules, conditions or amounts, or only the lines things are on\n",
            );
        }
        for d in &diffs {
            msg.push_str(&format!("  - {d}\n"));
        }
        msg.push_str(
            "run with --migrate to carry workflow runs over by workflow name and step label \
             (every run that cannot be placed is reported), or use a new state database",
        );
        return Err(msg);
    }
    let mut old_machine = Machine::new(old);
    let progress = store
        .load_machine(&mut old_machine)
        .map_err(|e| e.to_string())?;
    if !progress.position.done {
        return Err(format!(
            "the last run with {} stopped at line {} of {} before its end: finish it with the \
             campaign it ran, then migrate",
            path.display(),
            progress.position.line,
            progress.position.input
        ));
    }
    let mut engine = Engine::from_compiled(compiled, options);
    engine.machine.set_journal(true);
    let report = store::migrate(&old_machine, &mut engine.machine);
    drop(old_machine);
    engine.restore_counters(progress.engine());
    eprintln!(
        "migrating {} to {}:",
        path.display(),
        args.campaign.display()
    );
    for d in &diffs {
        eprintln!("  changed: {d}");
    }
    for n in &report.notes {
        eprintln!("  note: {n}");
    }
    for l in &report.lost {
        eprintln!("  run not carried over: {l}");
    }
    eprintln!(
        "migrated {}: {} carried over, {} not carried over",
        plural(report.leads, "lead"),
        plural(report.runs, "open run"),
        report.lost.len()
    );
    store
        .rewrite(&program, source.as_ref(), &mut engine, &progress.position)
        .map_err(|e| e.to_string())?;
    Ok((engine, store, progress.position))
}

pub fn run(args: &RunArgs) -> u8 {
    let until = match args.until.as_deref().map(|t| parse_rfc3339(t).ok_or(t)) {
        None => None,
        Some(Ok(t)) if !crate::time::clock_in_range(t) => {
            let why = crate::time::out_of_range("--until", t, crate::time::LAST_CLOCK);
            eprintln!("nurture run: {why}");
            return EXIT_USAGE;
        }
        Some(Ok(t)) => Some(t),
        Some(Err(t)) => {
            eprintln!(
                "nurture run: --until {t} is not an RFC 3339 time such as 2026-04-01T00:00:00Z"
            );
            return EXIT_USAGE;
        }
    };
    let options = Options {
        strict: args.strict,
    };
    let (compiled, source) = match load_program(args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let events_name = args
        .events
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned());
    let (mut engine, mut store, mut position) = match &args.state {
        None => (
            Engine::from_compiled(compiled, &options),
            None,
            Position {
                done: true,
                ..Position::default()
            },
        ),
        Some(path) => match open_state(args, path, compiled, source, &options) {
            Ok((e, s, p)) => (e, Some(s), p),
            Err(msg) => {
                eprintln!("nurture run: {msg}");
                return EXIT_USAGE;
            }
        },
    };
    // A run that stopped before the end of its input goes on from where it committed, with
    // the same input; otherwise this input is read from its start.
    let resuming = !position.done;
    if resuming && events_name.as_deref().unwrap_or("") != position.input {
        eprintln!(
            "nurture run: the last run with {} stopped at line {} of {} before it finished: \
             run it again with --events {} to finish it",
            args.state.as_deref().unwrap_or(Path::new("")).display(),
            position.line,
            position.input,
            position.input
        );
        return EXIT_USAGE;
    }
    if !resuming {
        position = Position {
            input: events_name.clone().unwrap_or_default(),
            ..Position::default()
        };
    }
    let keep_out = |file: &Option<String>, len: u64, given: &Option<PathBuf>| {
        let same = resuming
            && file.is_some()
            && *file == given.as_ref().map(|p| p.to_string_lossy().into_owned());
        same.then_some(len)
    };

    let (input, size): (Option<Box<dyn Read>>, Option<u64>) = match &args.events {
        None => (None, None),
        Some(p) if p.as_os_str() == "-" => {
            let mut stdin = std::io::stdin().lock();
            if position.offset > 0 {
                // Standard input cannot seek: skip what the committed lines took.
                let skipped = std::io::copy(
                    &mut (&mut stdin).take(position.offset),
                    &mut std::io::sink(),
                );
                if skipped.ok() != Some(position.offset) {
                    eprintln!("nurture run: standard input ends before the committed position");
                    return EXIT_USAGE;
                }
            }
            (Some(Box::new(stdin)), None)
        }
        Some(p) => match std::fs::File::open(p) {
            Ok(mut f) => {
                let size = f.metadata().ok().map(|m| m.len());
                if size.is_some_and(|s| s < position.offset) {
                    eprintln!(
                        "nurture run: {} is shorter than the {} bytes the last run committed",
                        p.display(),
                        position.offset
                    );
                    return EXIT_USAGE;
                }
                if let Err(e) = f.seek(SeekFrom::Start(position.offset)) {
                    eprintln!("nurture run: cannot read {}: {e}", p.display());
                    return EXIT_USAGE;
                }
                (Some(Box::new(f)), size)
            }
            Err(e) => {
                eprintln!("nurture run: cannot read {}: {e}", p.display());
                return EXIT_USAGE;
            }
        },
    };
    let out = match &args.out {
        Some(path) => match open_output(path, keep_out(&position.out, position.out_len, &args.out))
        {
            Ok(f) => Out::File(f),
            Err(e) => {
                eprintln!("nurture run: {e}");
                return EXIT_USAGE;
            }
        },
        None => Out::Stdout(std::io::stdout().lock()),
    };
    let mut rejects: Option<Rejects> = match &args.rejects {
        Some(path) => match open_output(
            path,
            keep_out(&position.rejects, position.rejects_len, &args.rejects),
        ) {
            Ok(f) => Some(Rejects {
                file: BufWriter::new(f),
                written: 0,
            }),
            Err(e) => {
                eprintln!("nurture run: {e}");
                return EXIT_USAGE;
            }
        },
        None => None,
    };
    let to_name = |p: &Option<PathBuf>| p.as_ref().map(|p| p.to_string_lossy().into_owned());
    let out_base = keep_out(&position.out, position.out_len, &args.out).unwrap_or(0);
    let rejects_base =
        keep_out(&position.rejects, position.rejects_len, &args.rejects).unwrap_or(0);
    position.out = to_name(&args.out);
    position.rejects = to_name(&args.rejects);
    let mut sink = LineSink {
        out: BufWriter::with_capacity(1 << 16, out),
        memberships: args.memberships,
        error: None,
        written: out_base,
    };
    if let Some(r) = rejects.as_mut() {
        r.written = rejects_base;
    }

    // Makes the output durable, then commits the state that produced it (docs/durability.md).
    let commit = |engine: &mut Engine,
                  store: &mut Option<Store>,
                  sink: &mut LineSink<BufWriter<Out>>,
                  rejects: &mut Option<Rejects>,
                  position: &mut Position|
     -> Result<(), String> {
        let Some(store) = store.as_mut() else {
            return Ok(());
        };
        sink.out
            .flush()
            .map_err(|e| format!("cannot write actions: {e}"))?;
        if let Out::File(f) = sink.out.get_ref() {
            f.sync_data()
                .map_err(|e| format!("cannot write actions: {e}"))?;
        }
        if let Some(r) = rejects.as_mut() {
            r.file
                .flush()
                .and_then(|_| r.file.get_ref().sync_data())
                .map_err(|e| format!("cannot write rejects: {e}"))?;
            position.rejects_len = r.written;
        }
        position.out_len = sink.written;
        store.commit(engine, position).map_err(|e| e.to_string())
    };

    let started = Instant::now();
    let progress = Progress::new(size);
    let mut line_no = position.line;
    let mut read = position.offset;
    let mut since_commit = 0u64;
    if let Some(input) = input {
        let mut reader = BufReader::with_capacity(1 << 16, input);
        let mut buf = Vec::with_capacity(1024);
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(n) => read += n as u64,
                Err(e) => {
                    eprintln!("nurture run: cannot read {}: {e}", position.input);
                    return EXIT_USAGE;
                }
            }
            line_no += 1;
            match std::str::from_utf8(&buf) {
                Ok(t) => {
                    let text = t.trim_end_matches(['\n', '\r']);
                    if let Some(r) = engine.feed(text, line_no, &mut sink) {
                        report_reject(
                            &mut rejects,
                            engine.summary().rejected,
                            r.line,
                            &r.reason,
                            text,
                        );
                    }
                }
                Err(_) => {
                    engine.reject_external();
                    let reason = "the line is not UTF-8 text".to_string();
                    report_reject(
                        &mut rejects,
                        engine.summary().rejected,
                        line_no,
                        &reason,
                        &String::from_utf8_lossy(&buf),
                    );
                }
            }
            if line_no.is_multiple_of(4096) {
                progress.update(read, started);
            }
            if let Some(e) = sink.error.take() {
                eprintln!("nurture run: cannot write actions: {e}");
                return EXIT_USAGE;
            }
            since_commit += 1;
            if store.is_some() && since_commit >= args.commit_every {
                since_commit = 0;
                position.line = line_no;
                position.offset = read;
                if let Err(e) = commit(
                    &mut engine,
                    &mut store,
                    &mut sink,
                    &mut rejects,
                    &mut position,
                ) {
                    eprintln!("nurture run: {e}");
                    return EXIT_USAGE;
                }
            }
        }
    }
    position.line = line_no;
    position.offset = read;
    if let Some(until) = until {
        // Timers fire in batches too, each batch committed.
        let mut fired = 0u64;
        while let Some(due) = engine.machine.next_timer().filter(|d| *d <= until) {
            engine.machine.advance_to(due, &mut sink);
            fired += 1;
            if store.is_some() && fired.is_multiple_of(args.commit_every) {
                if let Err(e) = commit(
                    &mut engine,
                    &mut store,
                    &mut sink,
                    &mut rejects,
                    &mut position,
                ) {
                    eprintln!("nurture run: {e}");
                    return EXIT_USAGE;
                }
            }
        }
    }
    engine.finish(until, &mut sink);
    progress.finish();
    if let Err(e) = sink
        .out
        .flush()
        .map_err(Some)
        .and_then(|_| sink.error.take().map_or(Ok(()), |e| Err(Some(e))))
    {
        eprintln!(
            "nurture run: cannot write actions: {}",
            e.map_or_else(String::new, |e| e.to_string())
        );
        return EXIT_USAGE;
    }
    if let Some(r) = rejects.as_mut() {
        if let Err(e) = r.file.flush() {
            eprintln!("nurture run: cannot write rejects: {e}");
            return EXIT_USAGE;
        }
    }
    position.done = true;
    if let Err(e) = commit(
        &mut engine,
        &mut store,
        &mut sink,
        &mut rejects,
        &mut position,
    ) {
        eprintln!("nurture run: {e}");
        return EXIT_USAGE;
    }
    let summary = engine.summary();
    eprint!("{}", describe(&summary, started.elapsed()));
    if summary.rejected > 0 {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    }
}

fn report_reject(file: &mut Option<Rejects>, count: u64, line: u64, reason: &str, text: &str) {
    if count <= SHOWN_REJECTS {
        eprintln!("line {line}: rejected: {reason}");
    } else if count == SHOWN_REJECTS + 1 {
        eprintln!(
            "(further rejects are counted in the summary{})",
            if file.is_some() {
                " and written to the rejects file"
            } else {
                "; use --rejects FILE to keep them"
            }
        );
    }
    if let Some(f) = file {
        let record = serde_json::json!({ "line": line, "reason": reason, "text": text });
        let line = format!("{record}\n");
        // A failure here surfaces at the final flush.
        if f.file.write_all(line.as_bytes()).is_ok() {
            f.written += line.len() as u64;
        }
    }
}

/// The run summary, for stderr.
pub fn describe(s: &Summary, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let mut out = format!(
        "{}: {}, {}, {}; {} ({}, {}); {} rejected\n",
        plural(s.lines, "line"),
        plural(s.events, "event"),
        plural(s.identifies, "identify"),
        plural(s.leads, "lead"),
        plural(s.actions, "action"),
        plural(s.suppressed, "suppressed send"),
        plural(s.conversions, "conversion"),
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
    if s.cascade_errors > 0 {
        out.push_str(&format!(
            "{} cascades stopped at the depth limit (see the error records)\n",
            s.cascade_errors
        ));
    }
    out.push_str(&format!(
        "{:.2}s, {:.0} events/s, {} bytes of state per lead\n",
        secs,
        (s.events + s.identifies) as f64 / secs,
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

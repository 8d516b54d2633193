//! `nurture run CAMPAIGN --events FILE|-`: run a campaign over Segment JSON lines.

use super::{use_color, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use crate::check::check_source;
use crate::compile::file;
use crate::diag::{self, Format};
use crate::runtime::engine::{Engine, Options, Summary};
use crate::runtime::intake::parse_rfc3339;
use crate::runtime::output;
use crate::vm::action::Action;
use crate::vm::machine::Sink;
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Run a campaign over a stream of lead events, in event time, and write the actions to take.
///
/// Input: Segment-spec JSON lines (`identify` with `traits`, `track` with `event` and
/// `properties`; `userId` and an RFC 3339 `timestamp` on each), in time order. Output: one
/// JSON line per action (send, suppressed send, notify, retarget, webhook, set, tag, …) with
/// a stable `id`. A summary goes to stderr. Bad lines are rejected with their line number and
/// reason, and the run goes on; the exit code is then 1.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The campaign file, or a program compiled with `nurture compile` (`.nbc`).
    #[arg(value_name = "CAMPAIGN|FILE.nbc")]
    pub campaign: PathBuf,

    /// The events, as JSON lines; `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    pub events: PathBuf,

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
}

/// How many rejects are printed on stderr before the rest are only counted.
const SHOWN_REJECTS: u64 = 50;

struct LineSink<W: Write> {
    out: W,
    memberships: bool,
    error: Option<std::io::Error>,
}

impl<W: Write> Sink for LineSink<W> {
    fn action(&mut self, action: Action) {
        if action.kind.is_membership() && !self.memberships {
            return;
        }
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(output::line(&action).as_bytes()) {
                self.error = Some(e);
            }
        }
    }
}

pub fn run(args: &RunArgs) -> u8 {
    let until = match args.until.as_deref().map(|t| parse_rfc3339(t).ok_or(t)) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(t)) => {
            eprintln!(
                "nurture run: --until {t} is not an RFC 3339 time such as 2026-04-01T00:00:00Z"
            );
            return EXIT_USAGE;
        }
    };
    let bytes = match std::fs::read(&args.campaign) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("nurture run: cannot read {}: {e}", args.campaign.display());
            return EXIT_USAGE;
        }
    };
    let name = args.campaign.to_string_lossy().replace('\\', "/");
    let options = Options {
        strict: args.strict,
    };
    let is_nbc = args.campaign.extension().is_some_and(|e| e == "nbc");
    let mut engine = if file::is_compiled(&bytes) || is_nbc {
        match file::read(&bytes) {
            Ok(f) => Engine::from_compiled(f.program, &options),
            Err(e) => {
                eprintln!("nurture run: {}", e.describe(&name));
                return EXIT_USAGE;
            }
        }
    } else {
        let checked = check_source(&name, &bytes);
        let Some(program) = checked.program else {
            eprint!(
                "{}",
                diag::render(&[checked.report], Format::Human, use_color())
            );
            return EXIT_PROBLEMS;
        };
        match Engine::new(&program, &options) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("nurture run: cannot compile {name}: {e:?}");
                return EXIT_PROBLEMS;
            }
        }
    };

    let (input, size): (Box<dyn Read>, Option<u64>) = if args.events.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        match std::fs::File::open(&args.events) {
            Ok(f) => {
                let size = f.metadata().ok().map(|m| m.len());
                (Box::new(f), size)
            }
            Err(e) => {
                eprintln!("nurture run: cannot read {}: {e}", args.events.display());
                return EXIT_USAGE;
            }
        }
    };
    let out: Box<dyn Write> = match &args.out {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("nurture run: cannot write {}: {e}", path.display());
                return EXIT_USAGE;
            }
        },
        None => Box::new(std::io::stdout().lock()),
    };
    let mut rejects: Option<BufWriter<std::fs::File>> = match &args.rejects {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Some(BufWriter::new(f)),
            Err(e) => {
                eprintln!("nurture run: cannot write {}: {e}", path.display());
                return EXIT_USAGE;
            }
        },
        None => None,
    };
    let mut sink = LineSink {
        out: BufWriter::with_capacity(1 << 16, out),
        memberships: args.memberships,
        error: None,
    };

    let started = Instant::now();
    let progress = Progress::new(size);
    let mut reader = BufReader::with_capacity(1 << 16, input);
    let mut buf = Vec::with_capacity(1024);
    let mut line_no = 0u64;
    let mut read = 0u64;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(n) => read += n as u64,
            Err(e) => {
                eprintln!("nurture run: cannot read {}: {e}", args.events.display());
                return EXIT_USAGE;
            }
        }
        line_no += 1;
        let text = match std::str::from_utf8(&buf) {
            Ok(t) => t.trim_end_matches(['\n', '\r']),
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
                continue;
            }
        };
        if let Some(r) = engine.feed(text, line_no, &mut sink) {
            report_reject(
                &mut rejects,
                engine.summary().rejected,
                r.line,
                &r.reason,
                text,
            );
        }
        if line_no.is_multiple_of(4096) {
            progress.update(read, started);
        }
        if let Some(e) = sink.error.take() {
            eprintln!("nurture run: cannot write actions: {e}");
            return EXIT_USAGE;
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
        if let Err(e) = r.flush() {
            eprintln!("nurture run: cannot write rejects: {e}");
            return EXIT_USAGE;
        }
    }
    let summary = engine.summary();
    eprint!("{}", describe(&summary, started.elapsed()));
    if summary.rejected > 0 {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    }
}

fn report_reject(
    file: &mut Option<BufWriter<std::fs::File>>,
    count: u64,
    line: u64,
    reason: &str,
    text: &str,
) {
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
        // A failure here surfaces at the final flush.
        let _ = writeln!(f, "{record}");
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

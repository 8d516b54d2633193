//! `nurture report CAMPAIGN --events FILE [--actions FILE] [--until TIME] [--format
//! text|json|html] [-o FILE]`: what a campaign achieved, with its statistics (docs/report.md).

use super::run::{load_program, parse_until};
use super::{print_stdout, EXIT_OK, EXIT_USAGE};
use clap::{Args, ValueEnum};
use nurture::report::{self, Report};
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

/// Measure a campaign over its event log: lift, splits, steps, attribution
///
/// Runs the campaign over the events (or reads the actions a previous `nurture run` wrote,
/// with --actions) and joins the engagement events of the same log (`email.opened`,
/// `email.clicked`, `email.unsubscribed`, `sms.clicked`, with their `template`). Per
/// workflow: the treated against the holdout (`holdout P%`) with the lift, its 95% interval
/// and p-value; each split's arms with their intervals and whether one wins; each step's
/// funnel. For the campaign: conversions credited to templates and channels by first touch,
/// last touch, linear and time decay, beside the incremental conversions the holdouts
/// measure. docs/report.md explains every figure and the JSON shape.
///
/// Exit code 0 when the report is written, 1 when the campaign has errors, 2 for a usage
/// error, a file that cannot be read or written, or actions from another campaign.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The campaign file, or a program compiled with `nurture compile` (`.nbc`).
    #[arg(value_name = "CAMPAIGN|FILE.nbc")]
    pub campaign: PathBuf,

    /// The event log, as JSON lines: the events the campaign runs on and the engagement
    /// events (opens, clicks, unsubscribes).
    #[arg(long, value_name = "FILE")]
    pub events: PathBuf,

    /// The actions a previous `nurture run` of this campaign wrote over these events: read
    /// instead of running the campaign again. Refused when they name workflows, steps,
    /// triggers or split arms the campaign does not have.
    #[arg(long, value_name = "FILE")]
    pub actions: Option<PathBuf>,

    /// After the events, move the clock to this RFC 3339 time so that goal windows and waits
    /// still open close (as `nurture run --until`).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// `text` for people, `json` for tools (docs/report.md), `html` for one self-contained
    /// page with charts.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text, value_name = "FORMAT")]
    pub format: ReportFormat,

    /// Write the report to this file instead of standard output.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Aligned text.
    Text,
    /// One JSON object.
    Json,
    /// One HTML file, charts inline.
    Html,
}

fn open(path: &PathBuf, what: &str) -> Result<BufReader<File>, String> {
    File::open(path)
        .map(|f| BufReader::with_capacity(1 << 16, f))
        .map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
}

pub fn run(args: &ReportArgs) -> u8 {
    match run_inner(args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("nurture report: {msg}");
            EXIT_USAGE
        }
    }
}

fn run_inner(args: &ReportArgs) -> Result<u8, String> {
    let until = parse_until(args.until.as_deref())?;
    let compiled = match load_program(&args.campaign, "nurture report") {
        Ok((c, _)) => c,
        Err(code) => return Ok(code),
    };
    let events = open(&args.events, "events")?;
    let made: Result<Report, _> = match &args.actions {
        Some(path) => report::from_actions(&compiled, open(path, "actions")?, events, until),
        None => report::run(compiled, events, until),
    };
    let r = made.map_err(|e| e.to_string())?;
    let text = match args.format {
        ReportFormat::Text => report::text::render(&r),
        ReportFormat::Json => {
            let mut s = serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?;
            s.push('\n');
            s
        }
        ReportFormat::Html => report::html::render(&r).map_err(|e| e.to_string())?,
    };
    match &args.out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => print_stdout(&text),
    }
    Ok(EXIT_OK)
}

//! `nurture report`: what a campaign achieved over an event log, with the statistics stated
//! plainly (docs/report.md). Per workflow, the outcome against its holdout, each split's
//! arms, each step's funnel; for the campaign, attribution of conversions to templates and
//! channels by four models beside the incremental conversions the holdouts measure.
//!
//! The figures come from facts (`collect`): the actions of the engine run here, or the lines
//! a previous `run` wrote, and the engagement events of the log. The library reads no file:
//! the binary hands it readers.

pub mod attribution;
pub mod charts;
pub mod collect;
pub mod html;
pub mod measure;
pub mod stats;
pub mod text;
pub mod words;

use crate::compile::Compiled;
use crate::runtime::engine::{Engine, Options};
use crate::runtime::intake::Reader;
use crate::runtime::lines::{Lines, Text};
use crate::runtime::record::{Intake, Record};
use crate::vm::action::Action;
use crate::vm::machine::Sink;
use attribution::Attribution;
use collect::{Collector, Facts};
use serde::Serialize;
use std::fmt;
use std::io::BufRead;

/// A whole report: what `--format json` writes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The campaign's name, if it has one.
    pub campaign: Option<String>,
    /// The first and last moments the report covers (RFC 3339), if anything happened.
    pub from: Option<String>,
    pub until: Option<String>,
    pub workflows: Vec<measure::Workflow>,
    pub attribution: Attribution,
    /// Lines of the events log that could not be used (rejected by the intake).
    pub rejected_lines: u64,
}

/// Why a report cannot be made.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportError {
    /// A line of the actions file names what this campaign does not have.
    ForeignActions { line: u64, what: String },
    /// A line of the actions file is not an action record.
    NotAnAction { line: u64, reason: String },
    /// Reading an input failed.
    Read { input: &'static str, reason: String },
    /// A chart could not be drawn.
    Chart { chart: String, reason: String },
    /// The HTML page could not be rendered.
    Page { reason: String },
    /// `--until` before the last event.
    UntilTooEarly { until: String, clock: String },
}

impl fmt::Display for ReportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportError::ForeignActions { line, what } => write!(
                f,
                "line {line} of the actions names {what}, which this campaign does not have: \
                 the actions come from another campaign (or an older version of this one); \
                 report on them with the campaign that wrote them, or leave out --actions to \
                 run this one over the events"
            ),
            ReportError::NotAnAction { line, reason } => write!(
                f,
                "line {line} of the actions is not an action record written by `nurture run`: \
                 {reason}"
            ),
            ReportError::Chart { chart, reason } => {
                write!(f, "cannot draw the chart {chart}: {reason}")
            }
            ReportError::Page { reason } => write!(f, "cannot write the HTML page: {reason}"),
            ReportError::Read { input, reason } => write!(f, "cannot read the {input}: {reason}"),
            ReportError::UntilTooEarly { until, clock } => write!(
                f,
                "--until {until} is before the last event, at {clock}: give a later time"
            ),
        }
    }
}

impl std::error::Error for ReportError {}

/// Collects what the engine does into the facts.
struct Collecting<'a>(&'a mut Collector);

impl Sink for Collecting<'_> {
    fn action(&mut self, a: Action) {
        self.0.action(&a);
    }
}

/// Each line of a reader as text; lines that are too long or not UTF-8 are `None`.
fn each_line<R: BufRead>(
    reader: R,
    input: &'static str,
    mut each: impl FnMut(Option<&str>, u64) -> Result<(), ReportError>,
) -> Result<(), ReportError> {
    let mut lines = Lines::new(reader);
    loop {
        let line = lines.next_line().map_err(|e| ReportError::Read {
            input,
            reason: e.to_string(),
        })?;
        let Some(line) = line else {
            return Ok(());
        };
        let text = match line.text {
            Text::Bytes(b) => std::str::from_utf8(b).ok(),
            Text::TooLong { .. } => None,
        };
        each(text, line.number)?;
    }
}

/// Runs the campaign over the events, then moves its clock to `until` if given, and reports.
pub fn run<R: BufRead>(
    compiled: Compiled,
    events: R,
    until: Option<i64>,
) -> Result<Report, ReportError> {
    let mut collector = Collector::new(&compiled);
    let mut engine = Engine::from_compiled(compiled, &Options::default());
    let workflows = engine.machine.c.workflows.len() as u16;
    each_line(events, "events", |text, number| {
        let Some(text) = text else {
            engine.reject_external();
            return Ok(());
        };
        engine.feed(text, number, &mut Collecting(&mut collector));
        if let Some(r) = engine.last_record() {
            collector.record(r);
            // A run that has started shows in the lead's state, even before it acts.
            if let Some(lead) = engine.machine.find_lead(&r.lead) {
                for w in 0..workflows {
                    if engine.machine.run_at(lead, w).is_some() {
                        collector.enrolled(&r.lead, r.at, w);
                    }
                }
            }
        }
        Ok(())
    })?;
    if let Some(until) = until {
        let now = engine.machine.now;
        if until < now {
            return Err(ReportError::UntilTooEarly {
                until: crate::lang::format::instant(until),
                clock: crate::lang::format::instant(now),
            });
        }
        engine.finish(Some(until), &mut Collecting(&mut collector));
    }
    let mut facts = collector.facts;
    facts.rejected = engine.summary().rejected;
    Ok(measure_facts(facts, until))
}

/// Reports on the actions a previous `run` wrote, joined with the engagement events of the
/// log; refuses actions that name what the campaign does not have.
pub fn from_actions<A: BufRead, E: BufRead>(
    compiled: &Compiled,
    actions: A,
    events: E,
    until: Option<i64>,
) -> Result<Report, ReportError> {
    let mut collector = Collector::new(compiled);
    each_line(actions, "actions", |text, line| match text {
        Some(text) => collector.action_line(text, line),
        None => Err(ReportError::NotAnAction {
            line,
            reason: "it is not UTF-8 text of at most 1 MiB".into(),
        }),
    })?;
    let mut reader = Reader::from_compiled(compiled, false);
    let mut texts = crate::compile::expr::Texts::default();
    let mut record = Record::default();
    let mut rejected = 0;
    each_line(events, "events", |text, line| {
        match text.map(|t| reader.read(t, line, &mut texts, &mut record)) {
            Some(Intake::Record) => collector.record(&record),
            Some(Intake::Skipped { .. }) => {}
            _ if text.is_some_and(|t| t.trim().is_empty()) => {}
            _ => rejected += 1,
        }
        Ok(())
    })?;
    let mut facts = collector.facts;
    facts.rejected = rejected;
    Ok(measure_facts(facts, until))
}

/// The report of collected facts.
pub fn measure_facts(facts: Facts, until: Option<i64>) -> Report {
    let workflows = measure::workflows(&facts);
    let mut attribution = attribution::attribute(&facts);
    attribution.incremental = workflows
        .iter()
        .filter_map(|w| w.lift.as_ref().map(|l| l.incremental))
        .reduce(|a, b| a + b);
    let times = facts
        .acts
        .iter()
        .map(|a| a.at)
        .chain(facts.engagement.iter().map(|e| e.at));
    let (from, last) = times.fold((None, None), |(lo, hi): (Option<i64>, Option<i64>), t| {
        (
            Some(lo.map_or(t, |l| l.min(t))),
            Some(hi.map_or(t, |h| h.max(t))),
        )
    });
    Report {
        campaign: facts.campaign.clone(),
        from: from.map(crate::lang::format::instant),
        until: until.or(last).map(crate::lang::format::instant),
        workflows,
        attribution,
        rejected_lines: facts.rejected,
    }
}

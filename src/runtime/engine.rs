//! The engine: intake, the VM and the clock together, one input line at a time. It does no
//! I/O: lines come in as text and actions go out through a `Sink`.

use super::intake::{Problem, Reader};
use super::record::{Intake, Record, RecordKind, Reject};
use crate::check::Program;
use crate::compile::expr::CompileError;
use crate::compile::{compile, Compiled};
use crate::vm::machine::{EventRef, Machine, Sink, Stats};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Reject events the campaign does not declare, instead of skipping them.
    pub strict: bool,
}

/// What a run did, for the summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub lines: u64,
    /// What the machine counted: events, identifies, actions, suppressions, conversions,
    /// cascades stopped.
    pub stats: Stats,
    pub leads: u64,
    pub rejected: u64,
    /// Skipped lines by name: undeclared events, and Segment calls other than identify/track.
    pub skipped: BTreeMap<String, u64>,
    /// `identify` traits the schema does not declare.
    pub ignored_traits: u64,
    pub state_bytes: u64,
}

/// The engine's counters, as `--state` keeps them.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Counters {
    pub lines: u64,
    pub rejected: u64,
    pub skipped: BTreeMap<String, u64>,
    pub ignored_traits: u64,
}

/// A line read ahead of applying it ([`Engine::read_ahead`]).
#[derive(Debug, Clone)]
pub enum ReadAhead {
    /// A blank line: counted, nothing else.
    Blank,
    /// A call or event the campaign does not read: counted by name.
    Skipped(String),
    Record(Box<Record>),
}

pub struct Engine {
    pub machine: Machine,
    reader: Reader,
    record: Record,
    /// Whether the last line `feed` read was a record it applied (`Engine::last_record`).
    applied: bool,
    rejected: u64,
    lines: u64,
    skipped: BTreeMap<String, u64>,
    ignored_traits: u64,
}

impl Engine {
    pub fn new(program: &Program, options: &Options) -> Result<Engine, CompileError> {
        Ok(Engine::from_compiled(compile(program)?, options))
    }

    /// An engine for a compiled program, such as one loaded from an `.nbc` file.
    pub fn from_compiled(compiled: Compiled, options: &Options) -> Engine {
        Engine {
            reader: Reader::from_compiled(&compiled, options.strict),
            machine: Machine::new(compiled),
            record: Record::default(),
            applied: false,
            rejected: 0,
            lines: 0,
            skipped: BTreeMap::new(),
            ignored_traits: 0,
        }
    }

    /// Reads a line without applying it or counting it, so that a batch can be checked whole
    /// before any of it is applied ([`Engine::apply_at`]); the reason when it would be
    /// rejected.
    pub fn read_ahead(&mut self, line: &str) -> Result<ReadAhead, Problem> {
        if line.trim().is_empty() {
            return Ok(ReadAhead::Blank);
        }
        let m = &mut self.machine;
        match self
            .reader
            .read(line, 0, &mut m.c.pools.texts, &mut self.record)
        {
            Intake::Rejected(r) => Err(r.reason),
            Intake::Skipped { name } => Ok(ReadAhead::Skipped(name)),
            Intake::Record => Ok(ReadAhead::Record(Box::new(self.record.clone()))),
        }
    }

    /// Applies a line read ahead, as a live service does: at `now`, the service's clock,
    /// whatever its `timestamp` says (a clock that went back is held at the engine's).
    pub fn apply_at(
        &mut self,
        read: ReadAhead,
        line_no: u64,
        now: i64,
        sink: &mut dyn Sink,
    ) -> Option<Reject> {
        self.lines += 1;
        match read {
            ReadAhead::Blank => None,
            ReadAhead::Skipped(name) => {
                *self.skipped.entry(name).or_default() += 1;
                None
            }
            ReadAhead::Record(mut record) => {
                record.line = line_no;
                self.apply(&mut record, line_no, Some(now), sink)
            }
        }
    }

    /// Processes one input line (1-based `line_no`). A line that cannot be used is returned
    /// as a reject; the run goes on.
    pub fn feed(&mut self, line: &str, line_no: u64, sink: &mut dyn Sink) -> Option<Reject> {
        self.lines += 1;
        self.applied = false;
        if line.trim().is_empty() {
            return None;
        }
        let m = &mut self.machine;
        match self
            .reader
            .read(line, line_no, &mut m.c.pools.texts, &mut self.record)
        {
            Intake::Record => {}
            Intake::Skipped { name } => {
                *self.skipped.entry(name).or_default() += 1;
                return None;
            }
            Intake::Rejected(r) => {
                self.rejected += 1;
                return Some(r);
            }
        }
        // The record's buffers are kept for the next line.
        let mut record = std::mem::take(&mut self.record);
        let rejected = self.apply(&mut record, line_no, None, sink);
        self.applied = rejected.is_none();
        self.record = record;
        rejected
    }

    /// The record the last `feed` applied, if it applied one (a report reads the engagement
    /// events and the lead of each).
    pub fn last_record(&self) -> Option<&Record> {
        self.applied.then_some(&self.record)
    }

    /// Applies a record read from line `line_no`: at `now` when the service's clock rules,
    /// otherwise at its own time.
    fn apply(
        &mut self,
        r: &mut Record,
        line_no: u64,
        now: Option<i64>,
        sink: &mut dyn Sink,
    ) -> Option<Reject> {
        let m = &mut self.machine;
        if let Some(now) = now {
            r.at = now.max(m.now);
        }
        // Event time: the clock never goes back. A late record is refused, not reordered.
        if r.at < m.now && m.now > 0 {
            self.rejected += 1;
            return Some(Reject {
                line: line_no,
                reason: Problem::OutOfOrder {
                    at: r.at,
                    clock: m.now,
                },
            });
        }
        match &r.kind {
            RecordKind::Identify { traits, ignored } => {
                self.ignored_traits += *ignored as u64;
                m.identify(&r.lead, r.at, traits, &r.texts, sink);
            }
            RecordKind::Track { event, props } => {
                let ev = EventRef {
                    event: *event as u16,
                    props,
                    texts: &r.texts,
                };
                m.track(&r.lead, r.at, ev, sink);
            }
        }
        None
    }

    /// Counts a line the caller rejected before it reached the intake (not UTF-8 text).
    pub fn reject_external(&mut self) {
        self.lines += 1;
        self.rejected += 1;
    }

    /// After the input: moves the clock to `until`, firing every timer due by then.
    pub fn finish(&mut self, until: Option<i64>, sink: &mut dyn Sink) {
        if let Some(t) = until {
            self.machine.advance_to(t, sink);
        }
    }

    /// The engine's own counters (lines, rejects, skips), persisted with the machine's.
    pub fn counters(&self) -> Counters {
        Counters {
            lines: self.lines,
            rejected: self.rejected,
            skipped: self.skipped.clone(),
            ignored_traits: self.ignored_traits,
        }
    }

    pub fn restore_counters(&mut self, c: Counters) {
        self.lines = c.lines;
        self.rejected = c.rejected;
        self.skipped = c.skipped;
        self.ignored_traits = c.ignored_traits;
    }

    pub fn summary(&self) -> Summary {
        Summary {
            lines: self.lines,
            stats: self.machine.stats.clone(),
            leads: self.machine.leads.len() as u64,
            rejected: self.rejected,
            skipped: self.skipped.clone(),
            ignored_traits: self.ignored_traits,
            state_bytes: self.machine.state_bytes() as u64,
        }
    }
}

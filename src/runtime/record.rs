//! Input records, as the intake hands them to the engine: already checked against the
//! campaign's schema, with every value typed.

use super::intake::Problem;
use crate::check::program::{AttrId, EventId};
use crate::lang::value::Val;

/// One input line that the engine will process.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// 1-based line number in the input.
    pub line: u64,
    /// The lead's id (`userId`).
    pub lead: String,
    /// Milliseconds since the Unix epoch (`timestamp`).
    pub at: i64,
    pub kind: RecordKind,
    /// The texts that `Val::PropText(i)` values in `kind` refer to. Reused between records so
    /// the intake does not allocate per field.
    pub texts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RecordKind {
    /// Sets lead attributes. Traits the schema does not declare are counted, not kept.
    Identify {
        traits: Vec<(AttrId, Val)>,
        ignored: u32,
    },
    /// An event, with one value per declared property (`Val::Missing` where absent).
    Track { event: EventId, props: Vec<Val> },
}

impl Default for RecordKind {
    fn default() -> Self {
        RecordKind::Identify {
            traits: Vec::new(),
            ignored: 0,
        }
    }
}

/// What the intake made of one line.
#[derive(Debug, Clone, PartialEq)]
pub enum Intake {
    /// The record was filled in; process it.
    Record,
    /// A valid line the campaign has no use for: an event it does not declare, or a Segment
    /// call the intake does not read (screen, group, alias). Counted by name in the summary.
    Skipped { name: String },
    /// The line cannot be used; it goes to the rejects with its reason.
    Rejected(Reject),
}

/// A rejected line: its number and why (its `Display` in words a marketer understands).
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub line: u64,
    pub reason: Problem,
}

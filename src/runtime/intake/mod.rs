//! Segment JSON lines to records: the intake checks each input line against the campaign's
//! schema and hands the engine typed values (language.md §8).
//!
//! A line is one Segment call. `identify` sets lead attributes from `traits`; `track` is an
//! event with `properties`. Where `type` is absent, a line with `event` is a track and one
//! with `traits` an identify. A `page` call is read as a `page.viewed` event (see `page`). Other
//! Segment calls (`screen`, `group`, `alias`) are skipped as `type:screen` and so on, without
//! further checks, or rejected when the reader is strict. `userId` (a string, or a number
//! taken as its decimal text) and `timestamp` (RFC 3339; fractions of a second are dropped;
//! from 1970-01-01 to 2100-01-01, `crate::lang::time`) are required.
//!
//! Values are checked against their declared types: `bool` is a JSON boolean, `int` a JSON
//! integer (`3.0` counts, `3.5` does not), `number` any JSON number, `string` a JSON string,
//! an enum a string naming a variant, `timezone` a string naming an IANA zone, `time` an
//! RFC 3339 string, `duration` a number of seconds, and `T?` also takes `null` or absence.
//! An event property of type `list<string>`, `list<int>` or `list<number>` is a JSON array
//! whose every item has that type (`list`); a property of another list type is missing, and
//! an identify trait for a list attribute (such as the built-in `tags`) is ignored.
//! Extra properties are ignored; traits the schema does not declare are counted in
//! `ignored`. Events the campaign does not declare are skipped by name, or rejected when the
//! reader is strict. A line longer than `MAX_LINE` (1 MiB), or whose `properties` or `traits`
//! have more than `MAX_PROPERTIES` (1,000) keys, is rejected.
//!
//! The reader parses each line in one pass where the keys come in the usual order (`type`
//! and `event` before `properties` and `traits`), and otherwise keeps the properties as raw
//! JSON and reads them after. Strings without escapes are read in place; texts go to
//! `Record.texts`, whose strings are reused from one record to the next, so a line in the
//! common case allocates nothing.
//!
//! This file holds the reader and a line's course through it (`read_line`); `schema` is what
//! the campaign declares, `top` the line's object, `body` its `properties` and `traits`,
//! `value` one value and its conversion, `list` a list property, `rfc3339` times, `page`
//! page calls, `problem` why a line is rejected.

use serde::de::DeserializeSeed;

use super::record::{self, Record, RecordKind, Reject};
use crate::check::program::{AttrId, EventId, Program};
use crate::compile::expr::Texts;
use crate::lang::types::Ty;
use crate::lang::value::Val;

mod body;
mod list;
mod page;
mod problem;
mod rfc3339;
mod schema;
mod top;
mod value;

use body::{PropsSeed, TraitsSeed};
pub use problem::{Owner, Problem};
pub use rfc3339::parse_rfc3339;
use schema::{EventSchema, Field, Kind, NameIndex, Schema};
use top::{Body, EventField, TimeField, TopFields, TopSeed, TypeField, UserField};

/// An event's names and typed properties: (name, Segment name, properties).
type EventShape<'a> = (&'a str, &'a str, Vec<(&'a str, &'a Ty)>);

/// The longest line the intake reads, in bytes.
pub const MAX_LINE: usize = 1 << 20;
/// Why a line longer than `MAX_LINE` is rejected, in words: `Problem::TooLong`'s text
/// (`runtime::lines` finds such lines as they stream, for a caller to reject with that
/// problem without reading them whole).
pub const TOO_LONG: &str = "line is longer than 1 MiB";
/// The most keys a record's `properties` or `traits` object may have.
pub const MAX_PROPERTIES: usize = 1000;

/// Reads Segment JSON lines into records for one campaign.
pub struct Reader {
    schema: Schema,
    bufs: Buffers,
}

impl Reader {
    /// Precomputes the lookups the intake needs: event names (an event answers to both its
    /// Nurture name and its Segment name), each event's property names, attribute names.
    /// `strict` rejects events the campaign does not declare instead of skipping them.
    pub fn new(program: &Program, strict: bool) -> Reader {
        let enums: Vec<&[String]> = program
            .enums
            .iter()
            .map(|e| e.variants.as_slice())
            .collect();
        let events: Vec<EventShape<'_>> = program
            .events
            .iter()
            .map(|e| {
                let props = e.props.iter().map(|p| (p.name.as_str(), &p.ty)).collect();
                (e.name.as_str(), e.segment_name.as_str(), props)
            })
            .collect();
        let attrs: Vec<(&str, &Ty)> = program
            .attrs
            .iter()
            .map(|a| (a.name.as_str(), &a.ty))
            .collect();
        Reader::from_parts(strict, &enums, &events, &attrs)
    }

    /// The same reader for a compiled program (an `.nbc` file has no checked `Program`).
    pub fn from_compiled(c: &crate::compile::Compiled, strict: bool) -> Reader {
        let enums: Vec<&[String]> = c.enums.iter().map(|e| e.as_slice()).collect();
        let events: Vec<EventShape<'_>> = c
            .events
            .iter()
            .map(|e| {
                let props = e.props.iter().map(|(n, t)| (n.as_str(), t)).collect();
                (e.name.as_str(), e.segment_name.as_str(), props)
            })
            .collect();
        let attrs: Vec<(&str, &Ty)> = c.attrs.iter().map(|a| (a.name.as_str(), &a.ty)).collect();
        Reader::from_parts(strict, &enums, &events, &attrs)
    }

    fn from_parts(
        strict: bool,
        enum_variants: &[&[String]],
        program_events: &[EventShape<'_>],
        program_attrs: &[(&str, &Ty)],
    ) -> Reader {
        let enums = enum_variants
            .iter()
            .map(|e| e.iter().map(|v| v.as_str().into()).collect())
            .collect();
        // A Segment name wins over a Nurture name when the two collide: it is the name the
        // stream uses. Of two events with one Segment name, the one declared last wins, so a
        // campaign that reads "Order Completed" as its own event keeps it from the prelude's.
        let mut event_names: Vec<(&str, u32)> = Vec::with_capacity(program_events.len() * 2);
        for (i, (_, segment, _)) in program_events.iter().enumerate().rev() {
            event_names.push((segment, i as EventId));
        }
        for (i, (name, _, _)) in program_events.iter().enumerate() {
            event_names.push((name, i as EventId));
        }
        let events: Vec<EventSchema> = program_events
            .iter()
            .map(|(_, _, props)| {
                let fields: Vec<Field> = props.iter().map(|(n, t)| Field::new(n, t)).collect();
                EventSchema {
                    index: NameIndex::new(fields.iter().map(|f| &*f.name)),
                    required: fields
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| !f.optional && f.kind != Kind::Ignored)
                        .map(|(i, _)| i as u32)
                        .collect(),
                    fields,
                }
            })
            .collect();
        let attrs: Vec<Field> = program_attrs
            .iter()
            .map(|(n, t)| Field::attribute(n, t))
            .collect();
        Reader {
            schema: Schema {
                strict,
                event_index: NameIndex::from_pairs(event_names),
                page: page::PageSchema::find(program_events, &events),
                events,
                attr_index: NameIndex::new(attrs.iter().map(|f| &*f.name)),
                attrs,
                enums,
            },
            bufs: Buffers::default(),
        }
    }

    /// Parses one line into `out`, reusing its buffers: the props and traits vectors, the
    /// lead's string and the strings in `out.texts` are kept from one record to the next.
    ///
    /// `out` is fully meaningful only when the answer is [`record::Intake::Record`]; after a
    /// skip or a reject it holds no values. Never panics, whatever the line.
    pub fn read(
        &mut self,
        line: &str,
        line_no: u64,
        _texts: &mut Texts,
        out: &mut Record,
    ) -> record::Intake {
        out.line = line_no;
        let (mut props, mut traits) = match std::mem::take(&mut out.kind) {
            RecordKind::Track { props, .. } => (props, std::mem::take(&mut self.bufs.traits)),
            RecordKind::Identify { traits, .. } => (std::mem::take(&mut self.bufs.props), traits),
        };
        props.clear();
        traits.clear();
        let mut cx = Cx {
            schema: &self.schema,
            scratch: &mut self.bufs.scratch,
            list: &mut self.bufs.list,
            event: &mut self.bufs.event,
            lead: &mut out.lead,
            sink: Sink {
                texts: &mut out.texts,
                spare: &mut self.bufs.texts,
                used: 0,
            },
            props: &mut props,
            traits: &mut traits,
            ignored: 0,
            props_problem: None,
            traits_problem: None,
        };
        let outcome = read_line(&mut cx, line);
        let used = cx.sink.used;
        let ignored = cx.ignored;
        match outcome {
            Ok(Outcome::Track(event, at)) => {
                out.at = at;
                self.bufs.keep_texts(&mut out.texts, used);
                self.bufs.traits = traits;
                out.kind = RecordKind::Track { event, props };
                record::Intake::Record
            }
            Ok(Outcome::Identify(at)) => {
                out.at = at;
                self.bufs.keep_texts(&mut out.texts, used);
                self.bufs.props = props;
                out.kind = RecordKind::Identify { traits, ignored };
                record::Intake::Record
            }
            Ok(Outcome::Skipped(name)) => {
                self.bufs.keep_texts(&mut out.texts, 0);
                self.bufs.props = props;
                traits.clear();
                out.kind = RecordKind::Identify { traits, ignored: 0 };
                record::Intake::Skipped { name }
            }
            Err(reason) => {
                self.bufs.keep_texts(&mut out.texts, 0);
                self.bufs.props = props;
                traits.clear();
                out.kind = RecordKind::Identify { traits, ignored: 0 };
                record::Intake::Rejected(Reject {
                    line: line_no,
                    reason,
                })
            }
        }
    }
}

/// Buffers kept between lines.
#[derive(Default)]
struct Buffers {
    /// Strings not in use by the current record, kept for the next ones.
    texts: Vec<String>,
    /// The props vector while the record is an identify, and the traits vector while it is a
    /// track, so that neither is given up when the kind changes.
    props: Vec<Val>,
    traits: Vec<(AttrId, Val)>,
    /// A string that had escapes, unescaped.
    scratch: String,
    /// A list property's encoding, as its items are read.
    list: String,
    /// The line's `event`.
    event: String,
}

impl Buffers {
    /// Keeps the first `used` texts in the record and moves the rest to the spares, last
    /// first, so that the next records take them back in the same order.
    fn keep_texts(&mut self, texts: &mut Vec<String>, used: usize) {
        if texts.len() > used {
            self.texts.extend(texts.drain(used..).rev());
        }
    }
}

/// Where texts go: slots of `Record.texts`, reusing the strings already there.
struct Sink<'r> {
    texts: &'r mut Vec<String>,
    spare: &'r mut Vec<String>,
    /// Slots in use by the current record.
    used: usize,
}

impl Sink<'_> {
    /// Writes `text` into slot `reuse` (a value given twice keeps its slot) or the next one.
    fn put(&mut self, reuse: Option<u16>, text: &str) -> Result<u16, Bad> {
        if let Some(slot) = reuse.filter(|&s| (s as usize) < self.used) {
            let s = &mut self.texts[slot as usize];
            s.clear();
            s.push_str(text);
            return Ok(slot);
        }
        let slot = u16::try_from(self.used).map_err(|_| Bad::TooManyTexts)?;
        if let Some(s) = self.texts.get_mut(self.used) {
            s.clear();
            s.push_str(text);
        } else {
            let mut s = self.spare.pop().unwrap_or_default();
            s.clear();
            s.push_str(text);
            self.texts.push(s);
        }
        self.used += 1;
        Ok(slot)
    }
}

/// Why a value does not fit its field.
enum Bad {
    WrongType,
    TooManyTexts,
}

/// The state of one `read`.
struct Cx<'r> {
    schema: &'r Schema,
    scratch: &'r mut String,
    list: &'r mut String,
    event: &'r mut String,
    lead: &'r mut String,
    sink: Sink<'r>,
    props: &'r mut Vec<Val>,
    traits: &'r mut Vec<(AttrId, Val)>,
    ignored: u32,
    /// The first property that did not fit, as a reject reason.
    props_problem: Option<Problem>,
    /// The first trait that did not fit, as a reject reason.
    traits_problem: Option<Problem>,
}

enum Outcome {
    Track(EventId, i64),
    Identify(i64),
    Skipped(String),
}

/// The Segment calls the intake reads.
enum Call {
    Track,
    Identify,
    /// Read as a `page.viewed` event.
    Page(page::PageSchema),
}

/// Reads the line, leaving the values in `cx`; `Err` is a reject reason.
/// It stays whole: the per-line hot path: one pass over a line, as the intake benchmark measures it.
fn read_line(cx: &mut Cx, line: &str) -> Result<Outcome, Problem> {
    if line.len() > MAX_LINE {
        return Err(Problem::TooLong);
    }
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    if line.trim_ascii().is_empty() {
        return Err(Problem::Empty);
    }
    let mut de = serde_json::Deserializer::from_str(line);
    let mut top = TopFields {
        ty: TypeField::Absent,
        user: UserField::Absent,
        event: EventField::Absent,
        at: TimeField::Absent,
        properties: Body::Absent,
        traits: Body::Absent,
        name: None,
        duplicate: None,
    };
    let seed = TopSeed {
        cx: &mut *cx,
        top: &mut top,
    };
    let not_object = match seed.deserialize(&mut de) {
        Ok(not_object) => not_object,
        Err(e) => return Err(json_error(&e)),
    };
    if let Err(e) = de.end() {
        return Err(json_error(&e));
    }
    if let Some(got) = not_object {
        return Err(Problem::NotObject { got });
    }
    if let Some(key) = top.duplicate {
        return Err(Problem::Duplicate { key });
    }

    let call = match top.ty {
        TypeField::Track => Call::Track,
        TypeField::Identify => Call::Identify,
        TypeField::Page => match cx.schema.page {
            Some(page) => Call::Page(page),
            None => return page::unread(cx.schema.strict),
        },
        TypeField::Other(name) if cx.schema.strict => {
            return Err(Problem::UnreadCall { call: name })
        }
        TypeField::Other(name) => return Ok(Outcome::Skipped(format!("type:{name}"))),
        TypeField::Unknown(name) => return Err(Problem::UnknownType { got: name }),
        TypeField::Bad(got) => return Err(Problem::BadType { got }),
        TypeField::Absent if !matches!(top.event, EventField::Absent) => Call::Track,
        TypeField::Absent if !matches!(top.traits, Body::Absent) => Call::Identify,
        TypeField::Absent => return Err(Problem::NoCall),
    };

    match top.user {
        UserField::Given => {}
        UserField::Absent => return Err(Problem::MissingUserId { null: false }),
        UserField::Null => return Err(Problem::MissingUserId { null: true }),
        UserField::Empty => return Err(Problem::EmptyUserId),
        UserField::Bad(got) => return Err(Problem::BadUserId { got }),
    }
    let at = match top.at {
        // A time outside the range is refused before the clock sees it (`crate::lang::time`).
        TimeField::Given(at) if !crate::lang::time::event_in_range(at) => {
            return Err(Problem::TimestampOutOfRange { at })
        }
        TimeField::Given(at) => at,
        TimeField::Absent => return Err(Problem::MissingTimestamp),
        TimeField::Bad(got) => return Err(Problem::BadTimestamp { got }),
    };

    match call {
        Call::Track => {
            let event = match top.event {
                EventField::Given(Some(id)) => id,
                EventField::Given(None) if cx.event.is_empty() => return Err(Problem::EmptyEvent),
                EventField::Given(None) if cx.schema.strict => {
                    return Err(Problem::UndeclaredEvent {
                        event: cx.event.clone(),
                    })
                }
                EventField::Given(None) => return Ok(Outcome::Skipped(cx.event.clone())),
                EventField::Absent => return Err(Problem::MissingEvent),
                EventField::Bad(got) => return Err(Problem::BadEvent { got }),
            };
            read_props(cx, top.properties, event)?;
            Ok(Outcome::Track(event, at))
        }
        Call::Page(page) => {
            page::read(cx, &top, page)?;
            Ok(Outcome::Track(page.event, at))
        }
        Call::Identify => {
            match top.traits {
                Body::Read | Body::Absent => {}
                Body::Raw(raw) => {
                    let mut de = serde_json::Deserializer::from_str(raw.get());
                    if let Err(e) = (TraitsSeed { cx: &mut *cx }).deserialize(&mut de) {
                        if cx.traits_problem.is_none() {
                            cx.traits_problem = Some(Problem::UnreadableTraits {
                                error: json_error_text(&e),
                            });
                        }
                    }
                }
            }
            if let Some(problem) = cx.traits_problem.take() {
                return Err(problem);
            }
            Ok(Outcome::Identify(at))
        }
    }
}

/// Reads an event's `properties` (unless read already, as the line was parsed) and checks
/// that every required one is given.
fn read_props(cx: &mut Cx, properties: Body, event: EventId) -> Result<(), Problem> {
    match properties {
        Body::Read => {}
        Body::Absent => start_props(cx, event),
        Body::Raw(raw) => {
            start_props(cx, event);
            let mut de = serde_json::Deserializer::from_str(raw.get());
            if let Err(e) = (PropsSeed {
                cx: &mut *cx,
                event,
            })
            .deserialize(&mut de)
            {
                if cx.props_problem.is_none() {
                    cx.props_problem = Some(Problem::UnreadableProperties {
                        event: cx.event.clone(),
                        error: json_error_text(&e),
                    });
                }
            }
        }
    }
    if let Some(problem) = cx.props_problem.take() {
        return Err(problem);
    }
    let schema = &cx.schema.events[event as usize];
    let mut missing = schema
        .required
        .iter()
        .filter(|&&i| cx.props[i as usize].is_missing())
        .peekable();
    if missing.peek().is_some() {
        return Err(Problem::MissingProperties {
            event: cx.event.clone(),
            names: missing
                .map(|&i| schema.fields[i as usize].name.to_string())
                .collect(),
        });
    }
    Ok(())
}

/// Sizes the props vector for `event`, every value missing.
fn start_props(cx: &mut Cx, event: EventId) {
    let n = cx.schema.events[event as usize].fields.len();
    cx.props.clear();
    cx.props.resize(n, Val::Missing);
}

fn json_error(e: &serde_json::Error) -> Problem {
    Problem::NotJson {
        error: json_error_text(e),
    }
}

fn json_error_text(e: &serde_json::Error) -> String {
    // Errors are on line 1 of a one-line input: the column is what tells.
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) if e.line() == 1 => format!("{} at column {}", &text[..i], e.column()),
        _ => text,
    }
}

#[cfg(test)]
mod tests;

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
//! List-typed values are not read from input: an event property of a list type is missing,
//! and an identify trait for a list attribute (such as the built-in `tags`) is ignored.
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

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::hash::BuildHasherDefault;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::record::{self, Record, RecordKind, Reject};
use crate::check::program::{AttrId, EventId, Program};
use crate::compile::expr::Texts;
use crate::lang::hash::Fnv1a;
use crate::lang::types::Ty;
use crate::lang::value::Val;

mod page;

/// An event's names and typed properties: (name, Segment name, properties).
type EventShape<'a> = (&'a str, &'a str, Vec<(&'a str, &'a Ty)>);

/// The longest line the intake reads, in bytes.
pub const MAX_LINE: usize = 1 << 20;
/// Why a line longer than `MAX_LINE` is rejected (`runtime::lines` finds such lines as they
/// stream, for a caller to reject with this reason without reading them whole).
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
            .map(|(n, t)| Field::new(n, t))
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

/// What the campaign declares, arranged for lookups.
struct Schema {
    strict: bool,
    event_index: NameIndex,
    /// Where `page` calls go: the `page.viewed` event.
    page: Option<page::PageSchema>,
    events: Vec<EventSchema>,
    attr_index: NameIndex,
    attrs: Vec<Field>,
    /// Each enum's variants.
    enums: Vec<Vec<Box<str>>>,
}

struct EventSchema {
    index: NameIndex,
    fields: Vec<Field>,
    /// The properties that must be given.
    required: Vec<u32>,
}

/// A property or attribute: its name and how its values are read.
struct Field {
    name: Box<str>,
    kind: Kind,
    optional: bool,
}

impl Field {
    fn new(name: &str, ty: &Ty) -> Field {
        let kind = match ty.base() {
            Ty::Bool => Kind::Bool,
            Ty::Int => Kind::Int,
            Ty::Number => Kind::Number,
            Ty::Str => Kind::Str,
            Ty::Duration => Kind::Duration,
            Ty::Time => Kind::Time,
            Ty::TimeOfDay => Kind::TimeOfDay,
            Ty::Timezone => Kind::Timezone,
            Ty::Enum(id) => Kind::Enum(*id),
            Ty::List(_) | Ty::Optional(_) | Ty::Error => Kind::Ignored,
        };
        Field {
            name: name.into(),
            kind,
            optional: ty.is_optional(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Number,
    Str,
    Duration,
    Time,
    TimeOfDay,
    Timezone,
    Enum(u32),
    /// Not read from input (lists).
    Ignored,
}

impl Kind {
    /// What a value of this kind looks like in JSON, for reject reasons.
    fn expected(self, enums: &[Vec<Box<str>>]) -> String {
        match self {
            Kind::Bool => "true or false".into(),
            Kind::Int => "a whole number".into(),
            Kind::Number => "a number".into(),
            Kind::Str => "a string".into(),
            Kind::Duration => "a number of seconds".into(),
            Kind::Time => "an RFC 3339 time such as 2026-03-02T09:00:00Z".into(),
            Kind::TimeOfDay => "a time of day such as \"09:30\"".into(),
            Kind::Timezone => "an IANA time zone name such as \"Europe/Paris\"".into(),
            Kind::Enum(id) => match enums.get(id as usize) {
                Some(variants) => {
                    let mut s = String::from("one of ");
                    for (i, v) in variants.iter().enumerate() {
                        if i > 0 {
                            s.push_str(", ");
                        }
                        s.push('"');
                        s.push_str(v);
                        s.push('"');
                    }
                    s
                }
                None => "a variant of an unknown enum".into(),
            },
            Kind::Ignored => "anything".into(),
        }
    }
}

/// Names to indices: a short list is scanned, a long one hashed.
enum NameIndex {
    Few(Vec<(Box<str>, u32)>),
    Many(HashMap<Box<str>, u32, BuildHasherDefault<Fnv1a>>),
}

impl NameIndex {
    const SCAN_UP_TO: usize = 8;

    /// Each name gets its position.
    fn new<'a>(names: impl Iterator<Item = &'a str>) -> NameIndex {
        NameIndex::from_pairs(names.enumerate().map(|(i, n)| (n, i as u32)))
    }

    /// The first pair with a name wins.
    fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, u32)>) -> NameIndex {
        let mut few: Vec<(Box<str>, u32)> = Vec::new();
        for (name, i) in pairs {
            if !few.iter().any(|(n, _)| &**n == name) {
                few.push((name.into(), i));
            }
        }
        if few.len() <= Self::SCAN_UP_TO {
            NameIndex::Few(few)
        } else {
            NameIndex::Many(few.into_iter().collect())
        }
    }

    #[inline]
    fn get(&self, name: &str) -> Option<u32> {
        match self {
            NameIndex::Few(v) => v.iter().find(|(n, _)| &**n == name).map(|&(_, i)| i),
            NameIndex::Many(m) => m.get(name).copied(),
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
    event: &'r mut String,
    lead: &'r mut String,
    sink: Sink<'r>,
    props: &'r mut Vec<Val>,
    traits: &'r mut Vec<(AttrId, Val)>,
    ignored: u32,
    /// The first property that did not fit, as a reject reason.
    props_problem: Option<String>,
    /// The first trait that did not fit, as a reject reason.
    traits_problem: Option<String>,
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
fn read_line(cx: &mut Cx, line: &str) -> Result<Outcome, String> {
    if line.len() > MAX_LINE {
        return Err(TOO_LONG.into());
    }
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    if line.trim_ascii().is_empty() {
        return Err("empty line: expected a JSON object".into());
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
        return Err(format!("not a JSON object: the line is {got}"));
    }
    if let Some(key) = top.duplicate {
        return Err(format!("`{key}` is given twice"));
    }

    let call = match top.ty {
        TypeField::Track => Call::Track,
        TypeField::Identify => Call::Identify,
        TypeField::Page => match cx.schema.page {
            Some(page) => Call::Page(page),
            None => return page::unread(cx.schema.strict),
        },
        TypeField::Other(name) if cx.schema.strict => {
            return Err(format!(
                "a `{name}` call: only identify, track and page calls are read"
            ))
        }
        TypeField::Other(name) => return Ok(Outcome::Skipped(format!("type:{name}"))),
        TypeField::Unknown(name) => {
            return Err(format!(
                "unknown `type` {name}: expected identify, track, page, screen, group or alias"
            ))
        }
        TypeField::Bad(got) => return Err(format!("`type` must be a string, got {got}")),
        TypeField::Absent if !matches!(top.event, EventField::Absent) => Call::Track,
        TypeField::Absent if !matches!(top.traits, Body::Absent) => Call::Identify,
        TypeField::Absent => {
            return Err(
                "no `type`, `event` or `traits`: cannot tell an identify from a track".into(),
            )
        }
    };

    match top.user {
        UserField::Given => {}
        UserField::Absent => return Err("missing `userId`".into()),
        UserField::Null => return Err("missing `userId` (it is null)".into()),
        UserField::Empty => return Err("`userId` is empty".into()),
        UserField::Bad(got) => {
            return Err(format!("`userId` must be a string or a number, got {got}"))
        }
    }
    let at = match top.at {
        // A time outside the range is refused before the clock sees it (`crate::lang::time`).
        TimeField::Given(at) if !crate::lang::time::event_in_range(at) => {
            return Err(crate::lang::time::out_of_range(
                "`timestamp`",
                at,
                crate::lang::time::LAST_EVENT,
            ))
        }
        TimeField::Given(at) => at,
        TimeField::Absent => return Err("missing `timestamp`".into()),
        TimeField::Bad(got) => {
            return Err(format!(
                "`timestamp` must be an RFC 3339 time such as 2026-03-02T09:00:00Z, got {got}"
            ))
        }
    };

    match call {
        Call::Track => {
            let event = match top.event {
                EventField::Given(Some(id)) => id,
                EventField::Given(None) if cx.event.is_empty() => {
                    return Err("`event` is empty".into())
                }
                EventField::Given(None) if cx.schema.strict => {
                    return Err(format!(
                        "event `{}` is not declared in the campaign",
                        cx.event
                    ))
                }
                EventField::Given(None) => return Ok(Outcome::Skipped(cx.event.clone())),
                EventField::Absent => return Err("track record without `event`".into()),
                EventField::Bad(got) => return Err(format!("`event` must be a string, got {got}")),
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
                            cx.traits_problem =
                                Some(format!("cannot read `traits`: {}", json_error_text(&e)));
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
fn read_props(cx: &mut Cx, properties: Body, event: EventId) -> Result<(), String> {
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
                    cx.props_problem = Some(format!(
                        "event `{}`: cannot read `properties`: {}",
                        cx.event,
                        json_error_text(&e)
                    ));
                }
            }
        }
    }
    if let Some(problem) = cx.props_problem.take() {
        return Err(problem);
    }
    let schema = &cx.schema.events[event as usize];
    let missing = schema
        .required
        .iter()
        .filter(|&&i| cx.props[i as usize].is_missing())
        .count();
    if missing > 0 {
        let mut reason = format!("event `{}`: missing required ", cx.event);
        reason.push_str(if missing == 1 {
            "property "
        } else {
            "properties "
        });
        let names = schema
            .required
            .iter()
            .filter(|&&i| cx.props[i as usize].is_missing())
            .map(|&i| &*schema.fields[i as usize].name);
        for (n, name) in names.enumerate() {
            if n > 0 {
                reason.push_str(", ");
            }
            let _ = write!(reason, "`{name}`");
        }
        return Err(reason);
    }
    Ok(())
}

/// Sizes the props vector for `event`, every value missing.
fn start_props(cx: &mut Cx, event: EventId) {
    let n = cx.schema.events[event as usize].fields.len();
    cx.props.clear();
    cx.props.resize(n, Val::Missing);
}

fn json_error(e: &serde_json::Error) -> String {
    format!("not valid JSON: {}", json_error_text(e))
}

fn json_error_text(e: &serde_json::Error) -> String {
    // Errors are on line 1 of a one-line input: the column is what tells.
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) if e.line() == 1 => format!("{} at column {}", &text[..i], e.column()),
        _ => text,
    }
}

// ---------------------------------------------------------------------------------------
// The top-level object.

struct TopFields<'de> {
    ty: TypeField,
    user: UserField,
    event: EventField,
    at: TimeField,
    properties: Body<'de>,
    traits: Body<'de>,
    /// A page call's `name`, read only for a page call.
    name: Option<&'de RawValue>,
    /// A known key given twice.
    duplicate: Option<&'static str>,
}

enum TypeField {
    Absent,
    Identify,
    Track,
    Page,
    /// A Segment call the intake does not read: screen, group, alias.
    Other(&'static str),
    Unknown(String),
    Bad(String),
}

enum UserField {
    Absent,
    Null,
    Empty,
    /// Written to the record's `lead`.
    Given,
    Bad(String),
}

enum EventField {
    Absent,
    /// The name is in `Cx.event`; the id where the campaign declares it.
    Given(Option<EventId>),
    Bad(String),
}

enum TimeField {
    Absent,
    Given(i64),
    Bad(String),
}

/// `properties` or `traits`.
#[derive(Clone, Copy)]
enum Body<'de> {
    Absent,
    /// Read as it came (or skipped: an undeclared event's properties).
    Read,
    /// Came before the keys that say how to read it.
    Raw(&'de RawValue),
}

enum TopKey {
    Type,
    UserId,
    Event,
    Timestamp,
    Properties,
    Traits,
    Name,
    Other,
}

struct TopKeySeed;

impl<'de> DeserializeSeed<'de> for TopKeySeed {
    type Value = TopKey;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<TopKey, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for TopKeySeed {
    type Value = TopKey;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<TopKey, E> {
        Ok(match key {
            "type" => TopKey::Type,
            "userId" => TopKey::UserId,
            "event" => TopKey::Event,
            "timestamp" => TopKey::Timestamp,
            "properties" => TopKey::Properties,
            "traits" => TopKey::Traits,
            "name" => TopKey::Name,
            _ => TopKey::Other,
        })
    }
}

/// Reads the line's object into `top`; its value is what the line is when not an object.
struct TopSeed<'c, 'r, 't, 'de> {
    cx: &'c mut Cx<'r>,
    top: &'t mut TopFields<'de>,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_, '_, 'de> {
    type Value = Option<&'static str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<&'static str>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_, '_, 'de> {
    type Value = Option<&'static str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Segment record (a JSON object)")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Option<&'static str>, E> {
        Ok(Some("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Option<&'static str>, E> {
        Ok(Some("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Option<&'static str>, E> {
        Ok(Some("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Option<&'static str>, E> {
        Ok(Some("a number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Option<&'static str>, E> {
        Ok(Some("a string"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<&'static str>, E> {
        Ok(Some("null"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<&'static str>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Some("an array"))
    }

    /// It stays whole: one pass over a JSON object's keys, on the per-line hot path.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<&'static str>, A::Error> {
        let cx = self.cx;
        let top = self.top;
        let (mut seen_ty, mut seen_user, mut seen_event, mut seen_at) =
            (false, false, false, false);
        let (mut seen_props, mut seen_traits) = (false, false);
        while let Some(key) = map.next_key_seed(TopKeySeed)? {
            let mut dup = |seen: &mut bool, name: &'static str| {
                if std::mem::replace(seen, true) && top.duplicate.is_none() {
                    top.duplicate = Some(name);
                }
            };
            match key {
                TopKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
                TopKey::Name => {
                    // Kept as it came: only a page call reads it, and the type may come later.
                    top.name = Some(map.next_value::<&'de RawValue>()?);
                }
                TopKey::Type => {
                    dup(&mut seen_ty, "type");
                    let v = map.next_value_seed(ScalarSeed {
                        scratch: cx.scratch,
                    })?;
                    top.ty = match v.text(cx.scratch) {
                        Some(t) => match t {
                            "identify" => TypeField::Identify,
                            "track" => TypeField::Track,
                            "page" => TypeField::Page,
                            "screen" => TypeField::Other("screen"),
                            "group" => TypeField::Other("group"),
                            "alias" => TypeField::Other("alias"),
                            _ => TypeField::Unknown(v.describe(cx.scratch)),
                        },
                        None if matches!(v, Scalar::Null) => TypeField::Absent,
                        None => TypeField::Bad(v.describe(cx.scratch)),
                    };
                }
                TopKey::UserId => {
                    dup(&mut seen_user, "userId");
                    let v = map.next_value_seed(ScalarSeed {
                        scratch: cx.scratch,
                    })?;
                    cx.lead.clear();
                    top.user = match v {
                        Scalar::Null => UserField::Null,
                        Scalar::I64(n) => {
                            let _ = write!(cx.lead, "{n}");
                            UserField::Given
                        }
                        Scalar::U64(n) => {
                            let _ = write!(cx.lead, "{n}");
                            UserField::Given
                        }
                        Scalar::F64(n) => {
                            let _ = write!(cx.lead, "{n}");
                            UserField::Given
                        }
                        _ => match v.text(cx.scratch) {
                            Some(t) if t.trim().is_empty() => UserField::Empty,
                            Some(t) => {
                                cx.lead.push_str(t);
                                UserField::Given
                            }
                            None => UserField::Bad(v.describe(cx.scratch)),
                        },
                    };
                }
                TopKey::Event => {
                    dup(&mut seen_event, "event");
                    let v = map.next_value_seed(ScalarSeed {
                        scratch: cx.scratch,
                    })?;
                    top.event = match v.text(cx.scratch) {
                        Some(t) => {
                            cx.event.clear();
                            cx.event.push_str(t);
                            EventField::Given(cx.schema.event_index.get(t))
                        }
                        None if matches!(v, Scalar::Null) => EventField::Absent,
                        None => EventField::Bad(v.describe(cx.scratch)),
                    };
                }
                TopKey::Timestamp => {
                    dup(&mut seen_at, "timestamp");
                    let v = map.next_value_seed(ScalarSeed {
                        scratch: cx.scratch,
                    })?;
                    top.at = match v.text(cx.scratch).and_then(parse_rfc3339) {
                        Some(at) => TimeField::Given(at),
                        None if matches!(v, Scalar::Null) => TimeField::Absent,
                        None => TimeField::Bad(v.describe(cx.scratch)),
                    };
                }
                TopKey::Properties => {
                    dup(&mut seen_props, "properties");
                    let track_so_far = matches!(top.ty, TypeField::Track | TypeField::Absent);
                    top.properties = match top.event {
                        EventField::Given(Some(event)) if track_so_far => {
                            start_props(cx, event);
                            map.next_value_seed(PropsSeed {
                                cx: &mut *cx,
                                event,
                            })?;
                            Body::Read
                        }
                        EventField::Given(None) if track_so_far => {
                            map.next_value::<IgnoredAny>()?;
                            Body::Read
                        }
                        _ => Body::Raw(map.next_value::<&'de RawValue>()?),
                    };
                }
                TopKey::Traits => {
                    dup(&mut seen_traits, "traits");
                    top.traits = if matches!(top.ty, TypeField::Identify) {
                        map.next_value_seed(TraitsSeed { cx: &mut *cx })?;
                        Body::Read
                    } else {
                        let raw = map.next_value::<&'de RawValue>()?;
                        if raw.get() == "null" {
                            Body::Absent
                        } else {
                            Body::Raw(raw)
                        }
                    };
                }
            }
        }
        Ok(None)
    }
}

// ---------------------------------------------------------------------------------------
// One JSON value, read without allocating.

/// A JSON value as far as the intake looks at it: scalars, and the mere fact of an array or
/// an object (whose contents are skipped).
#[derive(Debug, Clone, Copy)]
enum Scalar<'de> {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    /// A string without escapes, in place.
    Str(&'de str),
    /// A string with escapes, unescaped into the scratch buffer.
    Scratch,
    Array,
    Object,
}

impl Scalar<'_> {
    fn text<'a>(&'a self, scratch: &'a str) -> Option<&'a str> {
        match self {
            Scalar::Str(s) => Some(s),
            Scalar::Scratch => Some(scratch),
            _ => None,
        }
    }

    /// The value as a reject reason shows it.
    fn describe(&self, scratch: &str) -> String {
        match self {
            Scalar::Null => "null".into(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::I64(n) => n.to_string(),
            Scalar::U64(n) => n.to_string(),
            Scalar::F64(n) => n.to_string(),
            Scalar::Str(s) => quote(s),
            Scalar::Scratch => quote(scratch),
            Scalar::Array => "an array".into(),
            Scalar::Object => "an object".into(),
        }
    }
}

/// A string quoted for a reject reason, cut at 60 characters.
fn quote(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
        None => format!("{s:?}"),
    }
}

struct ScalarSeed<'s> {
    scratch: &'s mut String,
}

impl<'de> DeserializeSeed<'de> for ScalarSeed<'_> {
    type Value = Scalar<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Scalar<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed<'_> {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::I64(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::U64(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::F64(v))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar<'de>, E> {
        self.scratch.clear();
        self.scratch.push_str(v);
        Ok(Scalar::Scratch)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Object)
    }
}

/// Reads a value of `kind`; strings go to the sink (in slot `reuse` if given).
fn convert(
    kind: Kind,
    optional: bool,
    v: &Scalar,
    scratch: &str,
    enums: &[Vec<Box<str>>],
    sink: &mut Sink,
    reuse: Option<u16>,
) -> Result<Val, Bad> {
    if matches!(v, Scalar::Null) {
        return if optional || kind == Kind::Ignored {
            Ok(Val::Missing)
        } else {
            Err(Bad::WrongType)
        };
    }
    let val = match (kind, v) {
        (Kind::Ignored, _) => Val::Missing,
        (Kind::Bool, Scalar::Bool(b)) => Val::Bool(*b),
        (Kind::Int, Scalar::I64(n)) => Val::Int(*n),
        (Kind::Int, Scalar::U64(n)) => Val::Int(i64::try_from(*n).map_err(|_| Bad::WrongType)?),
        (Kind::Int, Scalar::F64(n)) => Val::Int(whole(*n).ok_or(Bad::WrongType)?),
        (Kind::Number, Scalar::I64(n)) => Val::Num(*n as f64),
        (Kind::Number, Scalar::U64(n)) => Val::Num(*n as f64),
        (Kind::Number, Scalar::F64(n)) => Val::Num(*n),
        // A number of seconds, kept to the millisecond.
        (Kind::Duration, Scalar::I64(n)) => Val::Dur(n.checked_mul(1_000).ok_or(Bad::WrongType)?),
        (Kind::Duration, Scalar::U64(n)) => Val::Dur(
            i64::try_from(*n)
                .ok()
                .and_then(|n| n.checked_mul(1_000))
                .ok_or(Bad::WrongType)?,
        ),
        (Kind::Duration, Scalar::F64(n)) => {
            Val::Dur(whole((n * 1_000.0).trunc()).ok_or(Bad::WrongType)?)
        }
        (Kind::Str, _) => {
            let t = v.text(scratch).ok_or(Bad::WrongType)?;
            Val::PropText(sink.put(reuse, t)?)
        }
        (Kind::Timezone, _) => {
            let t = v.text(scratch).ok_or(Bad::WrongType)?;
            if t.parse::<chrono_tz::Tz>().is_err() {
                return Err(Bad::WrongType);
            }
            Val::PropText(sink.put(reuse, t)?)
        }
        (Kind::Time, _) => {
            let t = v.text(scratch).ok_or(Bad::WrongType)?;
            Val::Time(parse_rfc3339(t).ok_or(Bad::WrongType)?)
        }
        (Kind::TimeOfDay, _) => {
            let t = v.text(scratch).ok_or(Bad::WrongType)?;
            Val::Tod(parse_time_of_day(t).ok_or(Bad::WrongType)?)
        }
        (Kind::Enum(id), _) => {
            let t = v.text(scratch).ok_or(Bad::WrongType)?;
            let variants = enums.get(id as usize).ok_or(Bad::WrongType)?;
            let i = variants
                .iter()
                .position(|n| &**n == t)
                .ok_or(Bad::WrongType)?;
            Val::Enum(i as u32)
        }
        _ => return Err(Bad::WrongType),
    };
    Ok(val)
}

/// A float with no fraction, as an integer, if it is one in range.
fn whole(n: f64) -> Option<i64> {
    // 2^63 is exactly representable; every float below it in magnitude converts exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (n.fract() == 0.0 && (-LIMIT..LIMIT).contains(&n)).then_some(n as i64)
}

/// `HH:MM`, 00:00 to 23:59, as minutes after midnight.
fn parse_time_of_day(t: &str) -> Option<u32> {
    let b = t.as_bytes();
    if b.len() != 5 || b[2] != b':' {
        return None;
    }
    let h = two_digits(b, 0)?;
    let m = two_digits(b, 3)?;
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn problem_text(
    schema: &Schema,
    owner: fmt::Arguments,
    field: &Field,
    bad: Bad,
    v: &Scalar,
    scratch: &str,
) -> String {
    match bad {
        Bad::WrongType => format!(
            "{owner} must be {}{}, got {}",
            field.kind.expected(&schema.enums),
            if field.optional { " or null" } else { "" },
            v.describe(scratch)
        ),
        Bad::TooManyTexts => format!("{owner}: too many text values in one record"),
    }
}

// ---------------------------------------------------------------------------------------
// `properties` and `traits`.

/// Looks a key up in a name index.
struct KeySeed<'a> {
    index: &'a NameIndex,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<u32>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<u32>, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = Option<u32>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<u32>, E> {
        Ok(self.index.get(key))
    }
}

/// Reads an event's `properties` into `Cx.props` (already sized), noting the first problem.
struct PropsSeed<'c, 'r> {
    cx: &'c mut Cx<'r>,
    event: EventId,
}

impl<'de> DeserializeSeed<'de> for PropsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl PropsSeed<'_, '_> {
    fn not_an_object(self, got: &str) {
        if self.cx.props_problem.is_none() {
            self.cx.props_problem = Some(format!(
                "event `{}`: `properties` must be an object, got {got}",
                self.cx.event
            ));
        }
    }
}

/// The arms of a properties or traits visitor for anything but an object: `null` is no
/// properties, any other value is reported through the seed's `not_an_object`.
macro_rules! non_object_arms {
    () => {
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            Ok(())
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
            self.not_an_object(&v.to_string());
            Ok(())
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
            self.not_an_object(&v.to_string());
            Ok(())
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
            self.not_an_object(&v.to_string());
            Ok(())
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
            self.not_an_object(&v.to_string());
            Ok(())
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
            self.not_an_object(&quote(v));
            Ok(())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            self.not_an_object("an array");
            Ok(())
        }
    };
}

impl<'de> Visitor<'de> for PropsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of properties")
    }

    non_object_arms!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let cx = self.cx;
        let schema = &cx.schema.events[self.event as usize];
        let mut keys = 0usize;
        while let Some(key) = map.next_key_seed(KeySeed {
            index: &schema.index,
        })? {
            keys += 1;
            if keys > MAX_PROPERTIES && cx.props_problem.is_none() {
                cx.props_problem = Some(format!(
                    "event `{}`: `properties` has more than {MAX_PROPERTIES} keys",
                    cx.event
                ));
            }
            let Some(i) = key.filter(|_| cx.props_problem.is_none()) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let field = &schema.fields[i as usize];
            let v = map.next_value_seed(ScalarSeed {
                scratch: cx.scratch,
            })?;
            let reuse = match cx.props[i as usize] {
                Val::PropText(slot) => Some(slot),
                _ => None,
            };
            match convert(
                field.kind,
                field.optional,
                &v,
                cx.scratch,
                &cx.schema.enums,
                &mut cx.sink,
                reuse,
            ) {
                Ok(val) => cx.props[i as usize] = val,
                Err(bad) => {
                    cx.props_problem = Some(problem_text(
                        cx.schema,
                        format_args!("event `{}`: property `{}`", cx.event, field.name),
                        field,
                        bad,
                        &v,
                        cx.scratch,
                    ))
                }
            }
        }
        Ok(())
    }
}

/// Reads an identify's `traits` into `Cx.traits`, counting the ignored ones.
struct TraitsSeed<'c, 'r> {
    cx: &'c mut Cx<'r>,
}

impl<'de> DeserializeSeed<'de> for TraitsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl TraitsSeed<'_, '_> {
    fn not_an_object(self, got: &str) {
        if self.cx.traits_problem.is_none() {
            self.cx.traits_problem = Some(format!("`traits` must be an object, got {got}"));
        }
    }
}

impl<'de> Visitor<'de> for TraitsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of traits")
    }

    non_object_arms!();

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let cx = self.cx;
        let schema = cx.schema;
        let mut keys = 0usize;
        while let Some(key) = map.next_key_seed(KeySeed {
            index: &schema.attr_index,
        })? {
            keys += 1;
            if keys > MAX_PROPERTIES && cx.traits_problem.is_none() {
                cx.traits_problem = Some(format!("`traits` has more than {MAX_PROPERTIES} keys"));
            }
            let field = key.map(|id| (id, &schema.attrs[id as usize]));
            let Some((id, field)) = field.filter(|(_, f)| f.kind != Kind::Ignored) else {
                cx.ignored = cx.ignored.saturating_add(1);
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if cx.traits_problem.is_some() {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let v = map.next_value_seed(ScalarSeed {
                scratch: cx.scratch,
            })?;
            let at = cx.traits.iter().position(|&(a, _)| a == id);
            let reuse = match at.map(|i| cx.traits[i].1) {
                Some(Val::PropText(slot)) => Some(slot),
                _ => None,
            };
            match convert(
                field.kind,
                field.optional,
                &v,
                cx.scratch,
                &schema.enums,
                &mut cx.sink,
                reuse,
            ) {
                Ok(val) => match at {
                    Some(i) => cx.traits[i].1 = val,
                    None => cx.traits.push((id, val)),
                },
                Err(bad) => {
                    cx.traits_problem = Some(problem_text(
                        schema,
                        format_args!("trait `{}`", field.name),
                        field,
                        bad,
                        &v,
                        cx.scratch,
                    ))
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Times.

/// An RFC 3339 time as milliseconds since the Unix epoch (a fraction finer than the
/// millisecond dropped, as chrono's `timestamp_millis()` does). The common
/// `YYYY-MM-DDTHH:MM:SS[.fff]Z` shape is read directly; everything else goes through chrono.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    fast_rfc3339(s.as_bytes()).or_else(|| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_millis())
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` with every field in range (no leap second), or `None`
/// to leave the string to chrono.
fn fast_rfc3339(b: &[u8]) -> Option<i64> {
    let n = b.len();
    if !(20..=30).contains(&n) || b[n - 1] != b'Z' {
        return None;
    }
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if n > 20 && (b[19] != b'.' || n == 21 || !b[20..n - 1].iter().all(u8::is_ascii_digit)) {
        return None;
    }
    let year = two_digits(b, 0)? * 100 + two_digits(b, 2)?;
    let month = two_digits(b, 5)?;
    let day = two_digits(b, 8)?;
    let hour = two_digits(b, 11)?;
    let minute = two_digits(b, 14)?;
    let second = two_digits(b, 17)?;
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    // The fraction's first three digits are the milliseconds; finer ones are dropped.
    let millis = b[20.min(n - 1)..n - 1]
        .iter()
        .chain(b"000")
        .take(3)
        .fold(0, |ms, d| ms * 10 + i64::from(d - b'0'));
    let days = days_from_civil(i64::from(year), month, day);
    let seconds = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some(seconds * 1_000 + millis)
}

#[inline]
fn two_digits(b: &[u8], at: usize) -> Option<u32> {
    let (hi, lo) = (*b.get(at)?, *b.get(at + 1)?);
    if hi.is_ascii_digit() && lo.is_ascii_digit() {
        Some(u32::from(hi - b'0') * 10 + u32::from(lo - b'0'))
    } else {
        None
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests;

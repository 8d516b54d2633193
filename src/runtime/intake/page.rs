//! Segment `page` calls, read as the prelude's `page.viewed` event (language.md §15): the
//! call's `properties` are the event's (`url`, `path`, `referrer`, `title`, `name`), and the
//! call's own `name`, Segment's name of the page, fills `name` (over `properties.name`).

use serde::de::DeserializeSeed;

use super::schema::{EventSchema, Kind};
use super::top::{EventField, TopFields};
use super::value::{convert, problem, Scalar, ScalarSeed};
use super::{json_error_text, read_props, Cx, EventShape, Outcome, Owner, Problem};
use crate::check::program::EventId;
use crate::lang::value::Val;

/// The event a page call is read as.
pub(super) const PAGE_EVENT: &str = "page.viewed";

/// Where a page call goes: the `page.viewed` event, and its `name` property.
#[derive(Debug, Clone, Copy)]
pub(super) struct PageSchema {
    pub event: EventId,
    /// The index of the event's `name` property, when it is a text.
    name: Option<usize>,
}

impl PageSchema {
    /// `page.viewed` among the campaign's events (the prelude declares it).
    pub(super) fn find(events: &[EventShape<'_>], schemas: &[EventSchema]) -> Option<PageSchema> {
        let event = events.iter().position(|(name, _, _)| *name == PAGE_EVENT)?;
        let name = schemas[event]
            .fields
            .iter()
            .position(|f| &*f.name == "name" && f.kind == Kind::Str);
        Some(PageSchema {
            event: event as EventId,
            name,
        })
    }
}

/// A page call when the campaign has no `page.viewed` to read it as (a program built without
/// the prelude): skipped like the calls the intake does not read, or rejected when strict.
pub(super) fn unread(strict: bool) -> Result<Outcome, Problem> {
    if strict {
        return Err(Problem::PageUndeclared);
    }
    Ok(Outcome::Skipped("type:page".into()))
}

/// Reads a page call's properties and name into `cx.props`, as `page.viewed`'s; `Err` is a
/// reject reason.
pub(super) fn read(cx: &mut Cx, top: &TopFields, page: PageSchema) -> Result<(), Problem> {
    if !matches!(top.event, EventField::Absent) {
        // Its properties may have been read for that event already: neither reading is sure.
        return Err(Problem::PageWithEvent);
    }
    // Reject reasons name the event the call is read as.
    cx.event.clear();
    cx.event.push_str(PAGE_EVENT);
    read_props(cx, top.properties, page.event)?;
    let (Some(raw), Some(i)) = (top.name, page.name) else {
        return Ok(());
    };
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let v = ScalarSeed {
        scratch: cx.scratch,
    }
    .deserialize(&mut de)
    .map_err(|e| Problem::UnreadablePageName {
        error: json_error_text(&e),
    })?;
    if matches!(v, Scalar::Null) {
        return Ok(());
    }
    let schema = cx.schema;
    let field = &schema.events[page.event as usize].fields[i];
    let reuse = match cx.props[i] {
        Val::PropText(slot) => Some(slot),
        _ => None,
    };
    let scratch = cx.scratch.as_str();
    match convert(
        field.kind,
        field.optional,
        &v,
        scratch,
        &schema.enums,
        &mut cx.sink,
        reuse,
    ) {
        Ok(val) => {
            cx.props[i] = val;
            Ok(())
        }
        Err(bad) => Err(problem(schema, Owner::PageName, field, bad, &v, scratch)),
    }
}

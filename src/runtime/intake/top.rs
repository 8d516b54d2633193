//! The top-level object of a line: its keys read in one pass, `type`, `userId`, `event` and
//! `timestamp` as they come, `properties` and `traits` read in place when the keys before
//! them say how, kept raw otherwise.

use std::fmt::{self, Write as _};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::body::{PropsSeed, TraitsSeed};
use super::rfc3339::parse_rfc3339;
use super::value::{Scalar, ScalarSeed};
use super::{start_props, Cx};
use crate::check::program::EventId;

pub(super) struct TopFields<'de> {
    pub(super) ty: TypeField,
    pub(super) user: UserField,
    pub(super) event: EventField,
    pub(super) at: TimeField,
    pub(super) properties: Body<'de>,
    pub(super) traits: Body<'de>,
    /// A page call's `name`, read only for a page call.
    pub(super) name: Option<&'de RawValue>,
    /// A known key given twice.
    pub(super) duplicate: Option<&'static str>,
}

pub(super) enum TypeField {
    Absent,
    Identify,
    Track,
    Page,
    /// A Segment call the intake does not read: screen, group, alias.
    Other(&'static str),
    Unknown(String),
    Bad(String),
}

pub(super) enum UserField {
    Absent,
    Null,
    Empty,
    /// Written to the record's `lead`.
    Given,
    Bad(String),
}

pub(super) enum EventField {
    Absent,
    /// The name is in `Cx.event`; the id where the campaign declares it.
    Given(Option<EventId>),
    Bad(String),
}

pub(super) enum TimeField {
    Absent,
    Given(i64),
    Bad(String),
}

/// `properties` or `traits`.
#[derive(Clone, Copy)]
pub(super) enum Body<'de> {
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
pub(super) struct TopSeed<'c, 'r, 't, 'de> {
    pub(super) cx: &'c mut Cx<'r>,
    pub(super) top: &'t mut TopFields<'de>,
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

//! One JSON value, read without allocating, and converted to the type of its field: a reject
//! reason when it does not fit.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::rfc3339::{parse_rfc3339, two_digits};
use super::schema::{Field, Kind, Schema};
use super::{Bad, Owner, Problem, Sink};
use crate::lang::value::Val;

/// A JSON value as far as the intake looks at it: scalars, and the mere fact of an array or
/// an object (whose contents are skipped).
#[derive(Debug, Clone, Copy)]
pub(super) enum Scalar<'de> {
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
    pub(super) fn text<'a>(&'a self, scratch: &'a str) -> Option<&'a str> {
        match self {
            Scalar::Str(s) => Some(s),
            Scalar::Scratch => Some(scratch),
            _ => None,
        }
    }

    /// The value as a reject reason shows it.
    pub(super) fn describe(&self, scratch: &str) -> String {
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
pub(super) fn quote(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
        None => format!("{s:?}"),
    }
}

pub(super) struct ScalarSeed<'s> {
    pub(super) scratch: &'s mut String,
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
pub(super) fn convert(
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
pub(super) fn whole(n: f64) -> Option<i64> {
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

/// Why value `v` of `owner`'s `field` does not fit it.
pub(super) fn problem(
    schema: &Schema,
    owner: Owner,
    field: &Field,
    bad: Bad,
    v: &Scalar,
    scratch: &str,
) -> Problem {
    match bad {
        Bad::WrongType => Problem::WrongType {
            owner,
            expected: field.kind.expected(&schema.enums),
            or_null: field.optional,
            got: v.describe(scratch),
        },
        Bad::TooManyTexts => Problem::TooManyTexts { owner },
    }
}

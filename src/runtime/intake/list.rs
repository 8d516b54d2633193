//! A list property (`list<string>`, `list<int>`, `list<number>`): a JSON array read item by
//! item into its encoding (`crate::lang::seq`), each item checked against the list's type,
//! and the whole kept in the record's texts as a `Val::PropSeq`. An item of the wrong type
//! rejects the line, as a property of the wrong type does, naming the item.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::schema::{Field, ItemKind};
use super::value::{quote, whole, Scalar, ScalarSeed};
use super::{Cx, Owner, Problem};
use crate::lang::seq;
use crate::lang::value::Val;

/// What a list property's value turned out to be.
pub(super) enum ListRead {
    /// An array of fitting items, encoded in `Cx.list`.
    List,
    Null,
    /// Not an array: the value as a reject reason shows it.
    NotList(String),
    /// Item `index` (from 0) does not fit: the item as a reject reason shows it.
    BadItem {
        index: usize,
        got: String,
    },
}

/// Reads a list property's value into `out`.
pub(super) struct ListSeed<'s> {
    pub(super) item: ItemKind,
    pub(super) scratch: &'s mut String,
    pub(super) out: &'s mut String,
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    type Value = ListRead;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<ListRead, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = ListRead;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_unit<E: de::Error>(self) -> Result<ListRead, E> {
        Ok(ListRead::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<ListRead, E> {
        Ok(ListRead::Null)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<ListRead, E> {
        Ok(ListRead::NotList(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ListRead, E> {
        Ok(ListRead::NotList(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ListRead, E> {
        Ok(ListRead::NotList(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<ListRead, E> {
        Ok(ListRead::NotList(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ListRead, E> {
        Ok(ListRead::NotList(quote(v)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ListRead, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(ListRead::NotList("an object".into()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ListRead, A::Error> {
        self.out.clear();
        let mut index = 0;
        while let Some(v) = seq.next_element_seed(ScalarSeed {
            scratch: &mut *self.scratch,
        })? {
            if !push_item(self.item, &v, self.scratch, self.out) {
                let got = v.describe(self.scratch);
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                return Ok(ListRead::BadItem { index, got });
            }
            index += 1;
        }
        Ok(ListRead::List)
    }
}

/// Appends item `v` to the encoding `out` if it has the list's item type.
fn push_item(kind: ItemKind, v: &Scalar, scratch: &str, out: &mut String) -> bool {
    match (kind, v) {
        (ItemKind::Str, _) => match v.text(scratch) {
            Some(t) => seq::push_text(out, t),
            None => return false,
        },
        (ItemKind::Int, Scalar::I64(n)) => seq::push_int(out, *n),
        (ItemKind::Int, Scalar::U64(n)) => match i64::try_from(*n) {
            Ok(n) => seq::push_int(out, n),
            Err(_) => return false,
        },
        (ItemKind::Int, Scalar::F64(n)) => match whole(*n) {
            Some(n) => seq::push_int(out, n),
            None => return false,
        },
        (ItemKind::Number, Scalar::I64(n)) => seq::push_num(out, *n as f64),
        (ItemKind::Number, Scalar::U64(n)) => seq::push_num(out, *n as f64),
        (ItemKind::Number, Scalar::F64(n)) => seq::push_num(out, *n),
        _ => return false,
    }
    true
}

/// Keeps what was read of list property `i` (`field`, of `item` kind) as its value, or the
/// line's reject reason.
pub(super) fn keep(cx: &mut Cx, i: usize, field: &Field, read: ListRead) {
    let got = match read {
        ListRead::List => {
            let reuse = match cx.props[i] {
                Val::PropSeq(slot) => Some(slot),
                _ => None,
            };
            match cx.sink.put(reuse, cx.list) {
                Ok(slot) => cx.props[i] = Val::PropSeq(slot),
                Err(_) => {
                    cx.props_problem = Some(Problem::TooManyTexts {
                        owner: Owner::Property {
                            event: cx.event.clone(),
                            name: field.name.to_string(),
                        },
                    })
                }
            }
            return;
        }
        ListRead::Null if field.optional => {
            cx.props[i] = Val::Missing;
            return;
        }
        ListRead::Null => "null".to_string(),
        ListRead::NotList(got) => got,
        ListRead::BadItem { index, got } => {
            cx.props_problem = Some(Problem::BadListItem {
                event: cx.event.clone(),
                property: field.name.to_string(),
                expected: field.kind.expected(&[]),
                item: index + 1,
                got,
            });
            return;
        }
    };
    cx.props_problem = Some(Problem::WrongType {
        owner: Owner::Property {
            event: cx.event.clone(),
            name: field.name.to_string(),
        },
        expected: field.kind.expected(&[]),
        or_null: field.optional,
        got,
    });
}

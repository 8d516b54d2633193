//! `properties` and `traits`: an event's properties into the record's values, an identify's
//! traits into its attribute changes, each value checked against its field and the first
//! problem kept as the line's reject reason.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::list::{self, ListSeed};
use super::schema::{Kind, NameIndex};
use super::value::{convert, problem, quote, ScalarSeed};
use super::{Cx, Owner, Problem, MAX_PROPERTIES};
use crate::check::program::EventId;
use crate::lang::value::Val;

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
pub(super) struct PropsSeed<'c, 'r> {
    pub(super) cx: &'c mut Cx<'r>,
    pub(super) event: EventId,
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
            self.cx.props_problem = Some(Problem::PropertiesNotObject {
                event: self.cx.event.clone(),
                got: got.to_string(),
            });
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
                cx.props_problem = Some(Problem::TooManyProperties {
                    event: cx.event.clone(),
                });
            }
            let Some(i) = key.filter(|_| cx.props_problem.is_none()) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let field = &schema.fields[i as usize];
            if let Kind::List(item) = field.kind {
                let read = map.next_value_seed(ListSeed {
                    item,
                    scratch: cx.scratch,
                    out: cx.list,
                })?;
                list::keep(cx, i as usize, field, read);
                continue;
            }
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
                    cx.props_problem = Some(problem(
                        cx.schema,
                        Owner::Property {
                            event: cx.event.clone(),
                            name: field.name.to_string(),
                        },
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
pub(super) struct TraitsSeed<'c, 'r> {
    pub(super) cx: &'c mut Cx<'r>,
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
            self.cx.traits_problem = Some(Problem::TraitsNotObject {
                got: got.to_string(),
            });
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
                cx.traits_problem = Some(Problem::TooManyTraits);
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
                    cx.traits_problem = Some(problem(
                        schema,
                        Owner::Trait {
                            name: field.name.to_string(),
                        },
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

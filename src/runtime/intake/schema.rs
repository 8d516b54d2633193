//! What the campaign declares, arranged for the intake's lookups: each event's properties and
//! each attribute, as fields that say how their values are read, and names to indices.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::page;
use crate::lang::hash::Fnv1a;
use crate::lang::types::Ty;

/// What the campaign declares, arranged for lookups.
pub(super) struct Schema {
    pub(super) strict: bool,
    pub(super) event_index: NameIndex,
    /// Where `page` calls go: the `page.viewed` event.
    pub(super) page: Option<page::PageSchema>,
    pub(super) events: Vec<EventSchema>,
    pub(super) attr_index: NameIndex,
    pub(super) attrs: Vec<Field>,
    /// Each enum's variants.
    pub(super) enums: Vec<Vec<Box<str>>>,
}

pub(super) struct EventSchema {
    pub(super) index: NameIndex,
    pub(super) fields: Vec<Field>,
    /// The properties that must be given.
    pub(super) required: Vec<u32>,
}

/// A property or attribute: its name and how its values are read.
pub(super) struct Field {
    pub(super) name: Box<str>,
    pub(super) kind: Kind,
    pub(super) optional: bool,
}

impl Field {
    /// An attribute: list attributes are not read from traits (the built-in `tags` is written
    /// by the campaign's own `tag` steps).
    pub(super) fn attribute(name: &str, ty: &Ty) -> Field {
        let mut f = Field::new(name, ty);
        if matches!(f.kind, Kind::List(_)) {
            f.kind = Kind::Ignored;
        }
        f
    }

    /// An event property, or an attribute's type as values are read.
    pub(super) fn new(name: &str, ty: &Ty) -> Field {
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
            Ty::List(item) => match **item {
                Ty::Str => Kind::List(ItemKind::Str),
                Ty::Int => Kind::List(ItemKind::Int),
                Ty::Number => Kind::List(ItemKind::Number),
                _ => Kind::Ignored,
            },
            Ty::Optional(_) | Ty::Error => Kind::Ignored,
        };
        Field {
            name: name.into(),
            kind,
            optional: ty.is_optional(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Bool,
    Int,
    Number,
    Str,
    Duration,
    Time,
    TimeOfDay,
    Timezone,
    Enum(u32),
    /// A JSON array whose items are all of one kind (`list<string>`, `list<int>`,
    /// `list<number>`), kept as its encoding (`crate::lang::seq`).
    List(ItemKind),
    /// Not read from input (lists of other types, list attributes).
    Ignored,
}

/// The items a list property can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ItemKind {
    Str,
    Int,
    Number,
}

impl Kind {
    /// What a value of this kind looks like in JSON, for reject reasons.
    pub(super) fn expected(self, enums: &[Vec<Box<str>>]) -> String {
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
            Kind::List(ItemKind::Str) => "a list of strings".into(),
            Kind::List(ItemKind::Int) => "a list of whole numbers".into(),
            Kind::List(ItemKind::Number) => "a list of numbers".into(),
            Kind::Ignored => "anything".into(),
        }
    }
}

/// Names to indices: a short list is scanned, a long one hashed.
pub(super) enum NameIndex {
    Few(Vec<(Box<str>, u32)>),
    Many(HashMap<Box<str>, u32, BuildHasherDefault<Fnv1a>>),
}

impl NameIndex {
    const SCAN_UP_TO: usize = 8;

    /// Each name gets its position.
    pub(super) fn new<'a>(names: impl Iterator<Item = &'a str>) -> NameIndex {
        NameIndex::from_pairs(names.enumerate().map(|(i, n)| (n, i as u32)))
    }

    /// The first pair with a name wins.
    pub(super) fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, u32)>) -> NameIndex {
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
    pub(super) fn get(&self, name: &str) -> Option<u32> {
        match self {
            NameIndex::Few(v) => v.iter().find(|(n, _)| &**n == name).map(|&(_, i)| i),
            NameIndex::Many(m) => m.get(name).copied(),
        }
    }
}

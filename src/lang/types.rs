//! The types of Nurture values, and constant values.

use serde::{Deserialize, Serialize};

pub type EnumId = u32;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Ty {
    Bool,
    Int,
    Number,
    Str,
    Duration,
    Time,
    TimeOfDay,
    Timezone,
    Enum(EnumId),
    List(Box<Ty>),
    Optional(Box<Ty>),
    /// The type of an expression that already has an error; it fits anywhere, so one mistake
    /// is reported once.
    Error,
}

impl Ty {
    pub fn optional(self) -> Ty {
        match self {
            Ty::Optional(_) | Ty::Error => self,
            t => Ty::Optional(Box::new(t)),
        }
    }

    /// The type without its `?`.
    pub fn base(&self) -> &Ty {
        match self {
            Ty::Optional(t) => t,
            t => t,
        }
    }

    pub fn is_optional(&self) -> bool {
        matches!(self, Ty::Optional(_))
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self.base(), Ty::Int | Ty::Number | Ty::Error)
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Ty::Error)
    }

    /// Whether a value of type `self` may be used where `want` is expected.
    pub fn fits(&self, want: &Ty) -> bool {
        match (self, want) {
            (Ty::Error, _) | (_, Ty::Error) => true,
            (a, b) if a == b => true,
            (Ty::Int, Ty::Number) => true,
            (Ty::Str, Ty::Timezone) => true,
            (a, Ty::Optional(b)) => a.base().fits(b),
            (Ty::List(a), Ty::List(b)) => a.fits(b),
            _ => false,
        }
    }

    /// The name of the type as a marketer writes it; enums need their names from the program.
    pub fn describe(&self, enum_names: &[String]) -> String {
        match self {
            Ty::Bool => "bool".into(),
            Ty::Int => "int".into(),
            Ty::Number => "number".into(),
            Ty::Str => "string".into(),
            Ty::Duration => "duration".into(),
            Ty::Time => "time".into(),
            Ty::TimeOfDay => "time of day".into(),
            Ty::Timezone => "timezone".into(),
            Ty::Enum(id) => enum_names
                .get(*id as usize)
                .cloned()
                .unwrap_or_else(|| "enum".into()),
            Ty::List(t) => format!("list<{}>", t.describe(enum_names)),
            Ty::Optional(t) => format!("{}?", t.describe(enum_names)),
            Ty::Error => "unknown".into(),
        }
    }
}

/// A constant: a literal, a default, an attribute value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Missing,
    Bool(bool),
    Int(i64),
    Number(f64),
    Str(String),
    /// Milliseconds (`crate::lang::time`).
    Duration(i64),
    /// Milliseconds since the Unix epoch.
    Time(i64),
    /// Minutes after midnight.
    TimeOfDay(u32),
    /// An enum variant: (enum, variant index).
    Enum(EnumId, u32),
    List(Vec<Value>),
}

/// Whether an attribute of this type takes two words (64-bit values) rather than one.
pub fn wide(ty: &Ty) -> bool {
    matches!(ty.base(), Ty::Int | Ty::Number | Ty::Time | Ty::Duration)
}

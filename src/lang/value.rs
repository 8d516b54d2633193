//! Runtime values: small and `Copy`, so the evaluator's stack never allocates.

/// A value on the evaluator's stack or in lead state. Texts are never owned here: a `Sym` is
/// an interned text (constants, attribute values), a `PropText` is a text property of the
/// event being processed, read in place; lists an event brings are texts too (`Seq`,
/// `PropSeq`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Val {
    Missing,
    Bool(bool),
    Int(i64),
    Num(f64),
    Sym(u32),
    PropText(u16),
    /// Milliseconds since the Unix epoch (`crate::lang::time`).
    Time(i64),
    /// Milliseconds.
    Dur(i64),
    /// Minutes after midnight.
    Tod(u32),
    /// An enum variant's index; the enum is known statically.
    Enum(u32),
    /// A constant list, by index in the program's list pool.
    List(u32),
    /// A list an event brought, kept in lead state: the symbol of its encoding
    /// (`crate::lang::seq`) among the interned texts.
    Seq(u32),
    /// A list property of the event being processed: its encoding is the event's text in
    /// this slot, as a `PropText`'s text is.
    PropSeq(u16),
}

impl Val {
    /// Missing counts as false: a condition on a missing value does not hold.
    pub fn truthy(self) -> bool {
        matches!(self, Val::Bool(true))
    }

    pub fn is_missing(self) -> bool {
        matches!(self, Val::Missing)
    }

    pub fn as_f64(self) -> Option<f64> {
        match self {
            Val::Int(i) => Some(i as f64),
            Val::Num(n) => Some(n),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_small() {
        assert!(std::mem::size_of::<Val>() <= 16);
    }
}

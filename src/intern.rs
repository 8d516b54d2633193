//! Interning: each distinct string gets a dense number, the next one free. Used for the
//! texts of a program (`compile::expr::Texts`) and for lead ids (`vm::machine`).
//!
//! The table holds only numbers into the list of strings, so each string is kept once, and
//! strings of up to 24 bytes (most ids and texts) are kept inline in that list, so a lookup
//! reads no memory past it. The hasher is seeded per process: the strings come from outside.

use compact_str::CompactString;
use hashbrown::HashTable;
use std::hash::BuildHasher;

#[derive(Clone, Default)]
pub struct Interner {
    strings: Vec<CompactString>,
    table: HashTable<u32>,
    hasher: foldhash::fast::RandomState,
}

impl Interner {
    /// The number of `s`, if it has one.
    pub fn get(&self, s: &str) -> Option<u32> {
        let strings = &self.strings;
        self.table
            .find(self.hasher.hash_one(s), |&i| strings[i as usize] == s)
            .copied()
    }

    /// The number of `s`, given the next one if it has none; and whether it is new.
    pub fn intern(&mut self, s: &str) -> (u32, bool) {
        if let Some(i) = self.get(s) {
            return (i, false);
        }
        let i = self.strings.len() as u32;
        let (strings, hasher) = (&self.strings, &self.hasher);
        self.table.insert_unique(hasher.hash_one(s), i, |&j| {
            hasher.hash_one(strings[j as usize].as_str())
        });
        self.strings.push(s.into());
        (i, true)
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// Every string, in number order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.strings.iter().map(|s| s.as_str())
    }

    /// The string numbered `i`, inline-stored (cheap to clone when short).
    pub fn compact(&self, i: u32) -> &CompactString {
        &self.strings[i as usize]
    }
}

impl std::ops::Index<usize> for Interner {
    type Output = str;

    fn index(&self, i: usize) -> &str {
        &self.strings[i]
    }
}

impl std::fmt::Debug for Interner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_dense_and_stable() {
        let mut n = Interner::default();
        assert_eq!(n.intern("a"), (0, true));
        assert_eq!(
            n.intern("a long string of more than twenty-four bytes"),
            (1, true)
        );
        assert_eq!(n.intern("a"), (0, false));
        assert_eq!(
            n.get("a long string of more than twenty-four bytes"),
            Some(1)
        );
        assert_eq!(n.get("b"), None);
        assert_eq!(&n[1], "a long string of more than twenty-four bytes");
        assert_eq!(n.iter().collect::<Vec<_>>().len(), 2);
    }

    #[test]
    fn survives_growth() {
        let mut n = Interner::default();
        for i in 0..10_000 {
            assert_eq!(n.intern(&format!("lead-{i}")).0, i);
        }
        for i in (0..10_000).step_by(97) {
            assert_eq!(n.get(&format!("lead-{i}")), Some(i));
        }
    }
}

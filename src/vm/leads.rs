//! Every lead's state in one arena: the slabs end to end in a single `Vec<u32>` (lead `i` at
//! `i * size .. (i + 1) * size`), and the tags of the few leads that have any beside them.
//! `leads[i]` is that lead's slab seen as a `Lead`.

use std::collections::HashMap;
use std::ops::{Index, IndexMut};

use super::state::Lead;
use crate::compile::Compiled;

#[derive(Debug, PartialEq)]
pub struct Leads {
    /// Words a lead (the compiler's `layout.size`).
    size: usize,
    /// Leads held (kept apart: a program may lay out no words at all).
    count: usize,
    words: Vec<u32>,
    /// A new lead's slab: the schema's defaults.
    template: Box<[u32]>,
    /// Tags (interned texts) by lead, in the order they were added; only leads with some.
    tags: HashMap<u32, Vec<u32>, foldhash::fast::RandomState>,
}

impl Leads {
    pub fn new(c: &Compiled) -> Leads {
        let template = Lead::blank(c).into_boxed_slice();
        Leads {
            size: template.len(),
            count: 0,
            words: Vec::new(),
            template,
            tags: HashMap::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a lead first seen now (the schema's defaults, no tags).
    pub fn push_new(&mut self) {
        self.words.extend_from_slice(&self.template);
        self.count += 1;
    }

    /// Drops the last lead (a new lead looked at for a moment: `Machine::with_new_lead`).
    pub fn pop_last(&mut self) {
        if self.count == 0 {
            return;
        }
        self.count -= 1;
        self.words.truncate(self.count * self.size);
        self.tags.remove(&(self.count as u32));
    }

    /// Adds a lead with this slab and these tags (persistence, migration).
    pub fn push(&mut self, slab: &[u32], tags: Vec<u32>) {
        assert_eq!(slab.len(), self.size, "a slab laid out for this program");
        let i = self.len() as u32;
        self.words.extend_from_slice(slab);
        self.count += 1;
        if !tags.is_empty() {
            self.tags.insert(i, tags);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Lead> + '_ {
        (0..self.len()).map(|i| &self[i])
    }

    /// The lead's tags, in the order they were added.
    pub fn tags(&self, lead: u32) -> &[u32] {
        self.tags.get(&lead).map_or(&[], |t| t.as_slice())
    }

    /// Adds (`add`) or removes a tag; `false` when the lead already was so.
    pub fn tag(&mut self, lead: u32, tag: u32, add: bool) -> bool {
        let has = self.tags(lead).contains(&tag);
        match (add, has) {
            (true, false) => self.tags.entry(lead).or_default().push(tag),
            (false, true) => {
                let t = self.tags.get_mut(&lead).expect("the lead has tags");
                t.retain(|x| *x != tag);
                if t.is_empty() {
                    self.tags.remove(&lead);
                }
            }
            _ => return false,
        }
        true
    }

    /// Bytes of lead state, all leads together: the slabs, and the tags held (the map's
    /// table and each list's capacity). The arena's spare capacity is not counted (it is
    /// growth room, not any lead's state).
    pub fn bytes(&self) -> usize {
        // The map's table as hashbrown lays it out: a power of two of buckets (one entry and
        // one control byte each, 7/8 of them usable from 8 up) and a group of control bytes.
        let buckets = match self.tags.capacity() {
            0 => 0,
            c if c < 8 => c + 1,
            c => c / 7 * 8,
        };
        let table = match buckets {
            0 => 0,
            b => b * (std::mem::size_of::<(u32, Vec<u32>)>() + 1) + 16,
        };
        self.words.len() * 4 + table + self.tags.values().map(|t| t.capacity() * 4).sum::<usize>()
    }
}

impl Index<usize> for Leads {
    type Output = Lead;

    fn index(&self, i: usize) -> &Lead {
        debug_assert!(i < self.count, "lead {i} of {}", self.count);
        Lead::of(&self.words[i * self.size..(i + 1) * self.size])
    }
}

impl IndexMut<usize> for Leads {
    fn index_mut(&mut self, i: usize) -> &mut Lead {
        debug_assert!(i < self.count, "lead {i} of {}", self.count);
        Lead::of_mut(&mut self.words[i * self.size..(i + 1) * self.size])
    }
}

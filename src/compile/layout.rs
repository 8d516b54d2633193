//! Where each piece of lead state lives in the lead's slab of `u32` words.
//!
//! All lead state is one flat slab: attributes (one word, two for 64-bit values, a few bits
//! for a bool or an enum), the missing-attribute and list membership bits, score
//! accumulators, rate-limit rings, history aggregates, workflow runs and the frequency-cap
//! rings. Times are stored as `u32` seconds since the Unix epoch ("stamps", good until 2106),
//! 0 meaning never. The compiler fixes every offset, so the VM reads state with no lookups
//! and a lead costs one allocation.
//!
//! Small values are bit fields (`Bits`), packed together in words of their own.

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Layout {
    /// Per attribute: where its value lives (the built-in tags live outside the slab).
    pub attrs: Vec<AttrSlot>,
    /// Bit `missing + i` (a bit offset, as in `Bits`) is set while attribute i is missing.
    pub missing: u32,
    /// Bit `lists + i` is set while the lead is in list i.
    pub lists: u32,
    /// Per workflow: where its run lives.
    pub runs: Vec<RunSlots>,
    /// The next time the lead's lists may change with no event (a window closing, a score
    /// decaying past a threshold).
    pub recheck: u32,
    /// When decaying scores next flip a list, as last computed (0: never).
    pub decay_due: u32,
    /// Per history predicate: (offset, ring capacity; 0 for a single word). Predicates
    /// that read the same events alike share storage: `did order.placed`, `… within 30d` and
    /// `… since enrolled` all read one "last seen" stamp.
    pub history: Vec<(u32, u32)>,
    /// The stored aggregates, each updated once per matching event.
    pub aggregates: Vec<Aggregate>,
    pub size: u32,
}

/// Some bits of the slab, counted as one string of bits: bit `at` is bit `at % 32` of word
/// `at / 32`. A field may run on into the next word.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Bits {
    pub at: u32,
    /// 1 to 32.
    pub width: u32,
}

/// Where an attribute's value lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AttrSlot {
    /// At this word: one word, two for a 64-bit value (`vm::state::wide`). The tags take
    /// none.
    Words(u32),
    /// A bool, or an enum's variant index, in a few bits.
    Bits(Bits),
}

/// The bits an attribute of this type packs into, if it packs (`enums`: the variant count of
/// each enum).
pub fn packed_width(ty: &crate::check::types::Ty, enums: &[Vec<String>]) -> Option<u32> {
    use crate::check::types::Ty;
    match ty.base() {
        Ty::Bool => Some(1),
        Ty::Enum(e) => {
            let variants = enums.get(*e as usize).map_or(0, |v| v.len()) as u32;
            Some((u32::BITS - variants.saturating_sub(1).leading_zeros()).max(1))
        }
        _ => None,
    }
}

/// The bits of the state of a run of a workflow of `ops` instructions: its pc, from 0 to
/// `ops` (past the last step), then 3 bits of status and the `received` bit.
pub fn run_state_width(ops: usize) -> u32 {
    u32::BITS - (ops as u32).leading_zeros() + 4
}

/// Where one workflow's run lives in the slab.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunSlots {
    /// The run's state (`vm::state::Lead::run_state`): its pc in as few bits as the
    /// workflow's instructions need, then 3 bits of status and the `received` bit
    /// (`run_state_width`).
    pub state: Bits,
    /// When the run wakes next: a wait's end, a timeout, the end of quiet hours or of the
    /// goal's window.
    pub wake: u32,
    /// When the lead last enrolled, which is also when its open run began (a start writes
    /// both at once). Kept only for a workflow that reads it: `enroll once` / `once per D`,
    /// `since enrolled`, and the ids of the actions its steps emit, which hash it.
    pub enrolled: Option<u32>,
}

/// One piece of stored history: what it counts and where it lives.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Aggregate {
    pub event: u32,
    /// The filter a matching event passes: the chunk of the first predicate that uses it.
    pub filter: Option<super::bytecode::Chunk>,
    pub kind: AggregateKind,
    pub offset: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AggregateKind {
    /// The last matching event's stamp.
    Last,
    /// How many matching events there were.
    Counter,
    /// The stamps of the most recent N matching events.
    Ring(u32),
}

impl Layout {
    /// Reserves `words` words and returns their offset.
    pub fn reserve(&mut self, words: u32) -> u32 {
        let at = self.size;
        self.size += words;
        at
    }

    pub fn run(&self, workflow: u16) -> RunSlots {
        self.runs[workflow as usize]
    }
}

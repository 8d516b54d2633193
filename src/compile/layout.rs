//! Where each piece of lead state lives in the lead's slab of `u32` words.
//!
//! All lead state is one flat slab: attributes (one word, two for 64-bit values, a few bits
//! for a bool or an enum), the missing-attribute and list membership bits, score
//! accumulators, rate-limit rings, history aggregates, workflow runs and the frequency-cap
//! rings. Times are stored as `u32` seconds since the Unix epoch ("stamps", good until 2106),
//! 0 meaning never: a record's time is at most 2100 (`crate::lang::time`). A time the VM may write
//! while timers fire with the clock past 2106, or that lies ahead of the clock (a run's wake
//! and enrollment, the next recheck, the next decay crossing, a decaying score's last update,
//! a channel's latest send), is a `TimeSlot`: its word and two more bits in a bit field.
//! The compiler fixes every offset, so the VM reads state with no lookups and a lead costs
//! one allocation.
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
    pub recheck: TimeSlot,
    /// When decaying scores next flip a list, as last computed (0: never).
    pub decay_due: TimeSlot,
    /// The word counting the lead's actions: each action's id hashes its number, so a lead's
    /// ids depend on its own input only.
    pub sequence: u32,
    /// Per history predicate: the aggregate it reads (`compile::history`).
    pub history: Vec<Kept>,
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

/// The bits of a `TimeSlot` above its word.
pub const TIME_HIGH_BITS: u32 = 2;

/// Where a time that may lie past 2106 is kept: the low 32 bits of its seconds since the Unix
/// epoch in word `at`, the `TIME_HIGH_BITS` above them in the bit field `high`; 0 is never.
/// Up to 2^34 − 1 seconds (2514), past any time the clock can reach (`crate::lang::time`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimeSlot {
    pub at: u32,
    pub high: Bits,
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
pub fn packed_width(ty: &crate::lang::types::Ty, enums: &[Vec<String>]) -> Option<u32> {
    use crate::lang::types::Ty;
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
    pub wake: TimeSlot,
    /// When the lead last enrolled, which is also when its open run began (a start writes
    /// both at once). Kept only for a workflow that reads it: `enroll once` / `once per D`
    /// and `since enrolled`.
    pub enrolled: Option<TimeSlot>,
}

/// One piece of stored history: which events it keeps, how and where.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Aggregate {
    pub event: u32,
    /// The filter a matching event passes: the chunk of the first predicate that uses it.
    pub filter: Option<super::bytecode::Chunk>,
    pub kept: Kept,
}

/// How matching events are kept, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Kept {
    /// The word holding the latest match's stamp (`did`, `last`).
    Last(u32),
    /// The word counting the matches (`count` with no window).
    Counter(u32),
    /// The stamps of the latest matches (`count` within a window or since enrollment; a
    /// `did` or `last` over the same events reads its newest).
    Ring(Ring),
}

/// A ring of the `cap` latest stamps (read and written by `vm::ring`).
/// The newest is whole, in word `at` (and, for a ring of sends, which may be pushed while
/// timers fire past 2106, in `high` too: a `TimeSlot`). Each other is kept as its distance
/// back from the newest, plus one (0: no stamp), in `bits` bits, packed in the words after
/// it. A stamp too far back for `bits` is dropped: a ring is only as narrow as its readers
/// allow, each counting inside a window that a dropped stamp, being at least that far behind
/// the newest, has left for good (`bits_for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ring {
    pub at: u32,
    pub cap: u32,
    /// 1 to 32.
    pub bits: u32,
    /// The bits of the newest stamp above its word, for a ring of sends (a frequency cap);
    /// `None` for a ring of record times (history, `on` rule caps), which end in 2100.
    pub high: Option<Bits>,
}

impl Ring {
    /// The bits of a distance in a ring whose readers all count within `window` seconds at
    /// most (`None`: some reader counts with no window, and every distance must fit): enough
    /// to hold every distance under the window, plus one.
    pub fn bits_for(window: Option<i64>) -> u32 {
        match window {
            Some(w) if (0..u32::MAX as i64).contains(&w) => (64 - w.leading_zeros()).max(1),
            _ => 32,
        }
    }

    /// The words the ring takes: the newest stamp, then the distances of the others.
    pub fn words(cap: u32, bits: u32) -> u32 {
        match cap {
            0 => 0,
            _ => (1 + ((cap as u64 - 1) * bits as u64).div_ceil(32)).min(u32::MAX as u64) as u32,
        }
    }
}

impl Layout {
    /// Reserves `words` words and returns their offset.
    pub fn reserve(&mut self, words: u32) -> u32 {
        let at = self.size;
        self.size += words;
        at
    }

    /// Reserves a ring of `cap` stamps for readers counting within `window` (`Ring`).
    pub fn ring(&mut self, cap: u32, window: Option<i64>) -> Ring {
        let bits = Ring::bits_for(window);
        let at = self.reserve(Ring::words(cap, bits));
        Ring {
            at,
            cap,
            bits,
            high: None,
        }
    }

    pub fn run(&self, workflow: u16) -> RunSlots {
        self.runs[workflow as usize]
    }
}

//! Where each piece of lead state lives in the lead's slab of `u32` words.
//!
//! All lead state is one flat slab: attributes (one word, two for 64-bit values, a few bits
//! for a bool or an enum), score values (`f64`, two words), the missing-attribute and list
//! membership bits, rate-limit rings, history aggregates, workflow runs and the
//! frequency-cap rings. Times are milliseconds since the Unix epoch, 0 meaning never, kept in
//! bit fields as wide as what they can reach (`TimeSlot`): a record's time needs 42 bits (it
//! ends in 2100), what the clock and timers can reach 44 (`crate::lang::time`). The times of
//! history and of enrollments are *keys* (`key`): the time with two bits more below it, that
//! order what happens within one instant, so `since enrolled` tells the events that came
//! after a run began in the same millisecond from the one that began it. The compiler fixes
//! every offset, so the VM reads state with no lookups and a lead costs one allocation.
//!
//! Small values, times and rings are bit fields (`Bits`), packed one after another in the
//! words after every word-sized value (`Planner`).

use crate::lang::time::{RECORD_TIME_BITS, TIME_BITS};

/// Bits below a key's milliseconds: its place among the enrollments of its instant.
pub const ORDER_BITS: u32 = 2;
/// A history stamp: the key of a record's time.
pub const STAMP_BITS: u32 = RECORD_TIME_BITS + ORDER_BITS;
/// An enrollment: the key of the time the run began, which a timer may have started.
pub const ENROLLED_BITS: u32 = TIME_BITS + ORDER_BITS;

/// The key of time `ms` at place `order` in its instant (at most `2^ORDER_BITS - 1`: later
/// places share the last).
pub fn key(ms: i64, order: u32) -> i64 {
    ms << ORDER_BITS | order.min((1 << ORDER_BITS) - 1) as i64
}

/// The time of a key.
pub fn key_time(key: i64) -> i64 {
    key >> ORDER_BITS
}

/// The place of a key in its instant.
pub fn key_order(key: i64) -> u32 {
    (key & ((1 << ORDER_BITS) - 1)) as u32
}

/// The widest key of time `ms`: every key of that millisecond is at most it.
pub fn key_last(ms: i64) -> i64 {
    key(ms, u32::MAX)
}

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
    /// The event properties steps read (`event.total`, `received.rep`), each kept from its
    /// event's arrival for the run or trigger that reads it (`check::program::KeptProp`).
    pub kept: Vec<KeptSlot>,
    pub size: u32,
}

/// Whose event a kept property is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum KeptBy {
    /// The event that started a run of this workflow.
    Start(u16),
    /// The event a `wait up to … for` of this workflow received.
    Received(u16),
    /// The event that set this trigger off.
    Trigger(u16),
}

/// Where one kept event property lives: its value in a word or two (`wide`), and a bit set
/// while it holds one (a slab starts with none).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KeptSlot {
    pub by: KeptBy,
    pub event: u16,
    pub prop: u16,
    pub ty: crate::lang::types::Ty,
    pub at: u32,
    pub present: u32,
}

/// Some bits of the slab, counted as one string of bits: bit `at` is bit `at % 32` of word
/// `at / 32`. A field may run on into the next words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Bits {
    pub at: u32,
    /// 1 to 64.
    pub width: u32,
}

/// Where a time is kept: a bit field of `TIME_BITS` (a time the clock or a timer may reach),
/// `STAMP_BITS` (a history stamp's key) or `ENROLLED_BITS` (an enrollment's key); 0 is
/// never.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimeSlot {
    pub bits: Bits,
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

/// The bits of a run's variant (`RunSlots::variant`) in a workflow of these instructions:
/// enough for the number of the last split passed, from 1 to the workflow's splits; none for
/// a workflow with no split.
pub fn run_variant_width(ops: &[super::program::WOp]) -> u32 {
    let splits = ops
        .iter()
        .filter(|op| matches!(op, super::program::WOp::Split { .. }))
        .count() as u32;
    u32::BITS - splits.leading_zeros()
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
    /// The open run's variant: which of the workflow's splits it passed last, numbered from 1
    /// in instruction order (0: none yet), so its conversion can name the arm it took. Only
    /// for a workflow with a split (`run_variant_width`).
    pub variant: Option<Bits>,
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
    /// The key of the latest match (`did`, `last`): a `STAMP_BITS` field.
    Last(TimeSlot),
    /// The word counting the matches (`count` with no window).
    Counter(u32),
    /// The keys of the latest matches (`count` within a window or since enrollment; a `did`
    /// or `last` over the same events reads its newest).
    Ring(Ring),
}

/// A ring of the `cap` latest stamps (read and written by `vm::ring`), in the bits from bit
/// `at` on: the newest whole, in `newest` bits, then each other as its distance back from
/// the newest, plus one (0: no stamp), in `bits` bits. A ring holds keys (history) or
/// milliseconds (the caps of `on` rules and of sends): it counts in the unit it is given. A
/// stamp too far back for `bits` is dropped: a ring is only as narrow as its readers allow,
/// each counting inside a window that a dropped stamp, being at least that far behind the
/// newest, has left for good (`bits_for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ring {
    pub at: u32,
    pub cap: u32,
    /// 1 to `newest`.
    pub bits: u32,
    /// The width of the newest stamp: `RECORD_TIME_BITS` for the times of records (the caps
    /// of `on` rules), `STAMP_BITS` for history's keys, `TIME_BITS` for sends, which go on
    /// while timers fire after the last record.
    pub newest: u32,
}

impl Ring {
    /// The bits of a distance in a ring whose readers all count within `window` (in the
    /// ring's unit) at most (`None`: some reader counts with no window, and every distance
    /// must fit, as wide as the newest): enough to hold every distance under the window,
    /// plus one.
    pub fn bits_for(window: Option<i64>, newest: u32) -> u32 {
        match window {
            Some(w) if w >= 0 => (64 - w.leading_zeros()).clamp(1, newest),
            _ => newest,
        }
    }

    /// The bits the ring takes: the newest stamp, then the distances of the others.
    pub fn width(cap: u32, bits: u32, newest: u32) -> u32 {
        match cap {
            0 => 0,
            _ => (newest as u64 + (cap as u64 - 1) * bits as u64).min(u32::MAX as u64) as u32,
        }
    }

    /// The newest stamp's field.
    pub fn newest_field(&self) -> Bits {
        Bits {
            at: self.at,
            width: self.newest,
        }
    }

    /// The field of the i-th older stamp's distance.
    pub fn older_field(&self, i: u32) -> Bits {
        Bits {
            at: self.at + self.newest + i * self.bits,
            width: self.bits,
        }
    }
}

/// A window of `ms` milliseconds in the unit of keys: a stamp `ms` or more older than the
/// clock is at least this many keys behind its key's widest (`key_last`).
pub fn key_window(ms: i64) -> i64 {
    ms.saturating_mul(1 << ORDER_BITS)
}

/// Plans a slab: words from its start (attributes, scores' values, counters), and bit fields
/// (small values, times, rings) packed one after another in a region after every word, so
/// that no word is left part empty between them. Bit fields are numbered from the start of
/// their region until the words are all known; `Layout::place_bits` then moves them there.
#[derive(Debug, Default)]
pub struct Planner {
    words: u32,
    bits: u32,
}

impl Planner {
    /// Reserves `words` words and returns their offset.
    pub fn words(&mut self, words: u32) -> u32 {
        self.words += words;
        self.words - words
    }

    /// A bit field `width` bits wide, in the bit region.
    pub fn field(&mut self, width: u32) -> Bits {
        self.bits += width;
        Bits {
            at: self.bits - width,
            width,
        }
    }

    /// A time slot `width` bits wide, in the bit region.
    pub fn time(&mut self, width: u32) -> TimeSlot {
        TimeSlot {
            bits: self.field(width),
        }
    }

    /// A ring of `cap` stamps `newest` bits wide, for readers counting within `window` (in
    /// the ring's unit; `Ring`), in the bit region.
    pub fn ring(&mut self, cap: u32, window: Option<i64>, newest: u32) -> Ring {
        let bits = Ring::bits_for(window, newest);
        let at = self.field(Ring::width(cap, bits, newest)).at;
        Ring {
            at,
            cap,
            bits,
            newest,
        }
    }

    /// The first bit of the bit region: after every word.
    pub fn bit_base(&self) -> u32 {
        self.words * 32
    }

    /// The bit after the bit region.
    pub fn bit_end(&self) -> u32 {
        self.bit_base() + self.bits
    }

    /// The slab's size in words: the words, then the bit region, then the bit region of
    /// `more` (a planner of bit fields only), placed after it.
    pub fn size_with(&self, more: &Planner) -> u32 {
        self.words + (self.bits + more.bits).div_ceil(32)
    }
}

impl Layout {
    /// Moves the bit fields the layout holds from their place in the planner's bit region to
    /// the slab, `base` bits on (`Planner::bit_base`): the attributes that pack, the
    /// missing-attribute and list bits, the runs, the recheck and decay crossing, history.
    pub fn place_bits(&mut self, base: u32) {
        for slot in &mut self.attrs {
            if let AttrSlot::Bits(b) = slot {
                b.at += base;
            }
        }
        self.missing += base;
        self.lists += base;
        for run in &mut self.runs {
            run.state.at += base;
            if let Some(v) = &mut run.variant {
                v.at += base;
            }
            run.wake.bits.at += base;
            if let Some(t) = &mut run.enrolled {
                t.bits.at += base;
            }
        }
        self.recheck.bits.at += base;
        self.decay_due.bits.at += base;
        for k in &mut self.kept {
            k.present += base;
        }
        for kept in self
            .history
            .iter_mut()
            .chain(self.aggregates.iter_mut().map(|a| &mut a.kept))
        {
            match kept {
                Kept::Last(t) => t.bits.at += base,
                Kept::Ring(r) => r.at += base,
                Kept::Counter(_) => {}
            }
        }
    }

    pub fn run(&self, workflow: u16) -> RunSlots {
        self.runs[workflow as usize]
    }
}

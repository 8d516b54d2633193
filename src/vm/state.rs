//! One lead's state: a flat slab of `u32` words laid out by the compiler (`compile::layout`).
//! Its tags are kept beside it (`leads::Leads`).

use crate::compile::layout::{key_time, AttrSlot, Bits, RunSlots, TimeSlot};
use crate::compile::Compiled;
use crate::lang::types::{wide, Ty};
use crate::lang::value::Val;

/// One lead's slab seen as a lead: a view into the arena (`Leads`) or into a slab of its own
/// (`Lead::of_mut` on a `Vec<u32>` from `Lead::blank`). The tags are kept by `Leads`.
#[derive(Debug, PartialEq)]
#[repr(transparent)]
pub struct Lead {
    slab: [u32],
}

impl Lead {
    /// The slab of a lead first seen now: the schema's defaults, every attribute without one
    /// missing.
    pub fn blank(c: &Compiled) -> Vec<u32> {
        let mut slab = vec![0; c.layout.size as usize];
        let lead = Lead::of_mut(&mut slab);
        for (i, a) in c.attrs.iter().enumerate() {
            if i as u16 != c.tags_attr {
                lead.set_attr(c, i as u16, a.default);
            }
        }
        slab
    }

    /// A slab seen as a lead.
    pub fn of(slab: &[u32]) -> &Lead {
        // SAFETY: `Lead` is `repr(transparent)` over `[u32]`, so both references have the
        // same layout and metadata (the length); the lifetime is carried over.
        unsafe { &*(slab as *const [u32] as *const Lead) }
    }

    /// A slab seen as a lead, to change it.
    pub fn of_mut(slab: &mut [u32]) -> &mut Lead {
        // SAFETY: as in `of`; the borrow is exclusive as the slab's was.
        unsafe { &mut *(slab as *mut [u32] as *mut Lead) }
    }

    /// The slab's words.
    pub fn words(&self) -> &[u32] {
        &self.slab
    }

    pub fn word(&self, at: u32) -> u32 {
        self.slab[at as usize]
    }

    pub fn set_word(&mut self, at: u32, v: u32) {
        self.slab[at as usize] = v;
    }

    pub fn u64(&self, at: u32) -> u64 {
        (self.slab[at as usize] as u64) | ((self.slab[at as usize + 1] as u64) << 32)
    }

    pub fn set_u64(&mut self, at: u32, v: u64) {
        self.slab[at as usize] = v as u32;
        self.slab[at as usize + 1] = (v >> 32) as u32;
    }

    /// A score's value (`SCORE_WORDS`): a whole `f64`, as a `number` is everywhere a user
    /// sees it (`add 0.1` ten times is what 64-bit floats make of it, not 32-bit ones).
    pub fn f64(&self, at: u32) -> f64 {
        f64::from_bits(self.u64(at))
    }

    pub fn set_f64(&mut self, at: u32, v: f64) {
        self.set_u64(at, v.to_bits());
    }

    /// The time (or key) kept in a `TimeSlot`, or `None` for never.
    #[inline]
    pub fn time(&self, s: TimeSlot) -> Option<i64> {
        match self.bits(s.bits) {
            0 => None,
            t => Some(t as i64),
        }
    }

    /// Keeps a time (or key) in a `TimeSlot` (`None`: never). Every time the clock can reach
    /// fits its field (`crate::lang::time`); the clamp only keeps a time set by hand past the
    /// range from wrapping.
    #[inline]
    pub fn set_time(&mut self, s: TimeSlot, t: Option<i64>) {
        let v = t.map_or(0, |t| t.clamp(1, mask(s.bits.width) as i64) as u64);
        self.set_bits(s.bits, v);
    }

    pub fn attr(&self, c: &Compiled, id: u16) -> Val {
        let l = &c.layout;
        if id == c.tags_attr {
            return Val::Missing;
        }
        if self.bit(l.missing + id as u32) {
            return Val::Missing;
        }
        let raw = match l.attrs[id as usize] {
            AttrSlot::Bits(f) => self.bits(f),
            AttrSlot::Words(at) if wide(&c.attrs[id as usize].ty) => self.u64(at),
            AttrSlot::Words(at) => self.word(at) as u64,
        };
        decode(&c.attrs[id as usize].ty, raw)
    }

    /// Kept event property `k` (`Layout::kept`), missing while it holds none.
    pub fn kept(&self, c: &Compiled, k: u16) -> Val {
        let slot = &c.layout.kept[k as usize];
        if !self.bit(slot.present) {
            return Val::Missing;
        }
        let raw = match wide(&slot.ty) {
            true => self.u64(slot.at),
            false => self.word(slot.at) as u64,
        };
        decode(&slot.ty, raw)
    }

    /// Keeps an event property's value; texts and lists must already be interned (`Val::Sym`,
    /// `Val::Seq`).
    pub fn set_kept(&mut self, c: &Compiled, k: u16, v: Val) {
        let slot = &c.layout.kept[k as usize];
        let Some(raw) = encode(v) else {
            self.set_bit(slot.present, false);
            return;
        };
        self.set_bit(slot.present, true);
        match wide(&slot.ty) {
            true => self.set_u64(slot.at, raw),
            false => self.set_word(slot.at, raw as u32),
        }
    }

    /// Stores an attribute value; texts must already be interned (`Val::Sym`).
    pub fn set_attr(&mut self, c: &Compiled, id: u16, v: Val) {
        let l = &c.layout;
        let missing = l.missing + id as u32;
        let Some(raw) = encode(v) else {
            self.set_bit(missing, true);
            return;
        };
        self.set_bit(missing, false);
        match l.attrs[id as usize] {
            AttrSlot::Bits(f) => self.set_bits(f, raw),
            AttrSlot::Words(at) if wide(&c.attrs[id as usize].ty) => self.set_u64(at, raw),
            AttrSlot::Words(at) => self.set_word(at, raw as u32),
        }
    }

    /// A workflow run's state as the VM handles it: pc (bits 0–15), status (16–23),
    /// `received` (bit 24). The slab packs it into the run's bit field (`RunSlots::state`).
    pub fn run_state(&self, run: RunSlots) -> u32 {
        let pc_bits = run.state.width.saturating_sub(4);
        let v = self.bits(run.state);
        let (pc, status, received) = (
            v & mask(pc_bits),
            v >> pc_bits & 0b111,
            v >> (pc_bits + 3) & 1,
        );
        (pc | status << 16 | received << 24) as u32
    }

    pub fn set_run_state(&mut self, run: RunSlots, state: u32) {
        let pc_bits = run.state.width.saturating_sub(4);
        let (pc, status, received) = (state & 0xffff, state >> 16 & 0b111, state >> 24 & 1);
        self.set_bits(
            run.state,
            (pc | status << pc_bits | received << (pc_bits + 3)) as u64,
        );
    }

    /// When the lead last enrolled in a workflow (its open run's start), where it is kept.
    pub fn enrolled(&self, run: RunSlots) -> Option<i64> {
        self.enrolled_key(run).map(key_time)
    }

    /// The key of the lead's last enrollment in a workflow: its time, and its place among the
    /// events of its instant (`compile::layout::key`), as `since enrolled` reads it.
    pub fn enrolled_key(&self, run: RunSlots) -> Option<i64> {
        run.enrolled.and_then(|at| self.time(at))
    }

    pub fn in_list(&self, c: &Compiled, list: u16) -> bool {
        self.bit(c.layout.lists + list as u32)
    }

    pub fn set_in_list(&mut self, c: &Compiled, list: u16, member: bool) {
        self.set_bit(c.layout.lists + list as u32, member);
    }

    /// A bit field's value (`Bits`: up to 64 bits, which may run on into the next words).
    // Read on every condition and timer: kept small enough to inline, with no wider type.
    #[inline]
    pub fn bits(&self, f: Bits) -> u64 {
        let (word, shift) = ((f.at / 32) as usize, f.at % 32);
        let end = shift + f.width;
        let mut v = self.slab[word] as u64 >> shift;
        if end > 32 {
            v |= (self.slab[word + 1] as u64) << (32 - shift);
            // A field that runs past 64 bits starts at bit 1 or later of its first word.
            if end > 64 {
                v |= (self.slab[word + 2] as u64) << (64 - shift);
            }
        }
        v & mask(f.width)
    }

    /// Stores a bit field; bits of `v` past its width are dropped.
    #[inline]
    pub fn set_bits(&mut self, f: Bits, v: u64) {
        let (word, shift) = ((f.at / 32) as usize, f.at % 32);
        let end = shift + f.width;
        let (m, v) = (mask(f.width), v & mask(f.width));
        let put = |w: &mut u32, m: u64, v: u64| *w = (*w & !(m as u32)) | v as u32;
        put(&mut self.slab[word], m << shift, v << shift);
        if end > 32 {
            put(
                &mut self.slab[word + 1],
                m >> (32 - shift),
                v >> (32 - shift),
            );
            if end > 64 {
                put(
                    &mut self.slab[word + 2],
                    m >> (64 - shift),
                    v >> (64 - shift),
                );
            }
        }
    }

    pub fn bit(&self, at: u32) -> bool {
        self.bits(Bits { at, width: 1 }) != 0
    }

    pub fn set_bit(&mut self, at: u32, on: bool) {
        self.set_bits(Bits { at, width: 1 }, on as u64);
    }
}

/// The bits a value is kept in; `None` for a value lead state does not hold (missing, a text
/// or list not interned, a constant list).
fn encode(v: Val) -> Option<u64> {
    Some(match v {
        Val::Missing | Val::PropText(_) | Val::PropSeq(_) | Val::List(_) => return None,
        Val::Bool(b) => b as u64,
        Val::Int(i) | Val::Time(i) | Val::Dur(i) => i as u64,
        Val::Num(n) => n.to_bits(),
        Val::Sym(s) | Val::Seq(s) | Val::Tod(s) | Val::Enum(s) => s as u64,
    })
}

/// A value of type `ty` from the bits it is kept in.
fn decode(ty: &Ty, raw: u64) -> Val {
    match ty.base() {
        Ty::Bool => Val::Bool(raw != 0),
        Ty::Int => Val::Int(raw as i64),
        Ty::Number => Val::Num(f64::from_bits(raw)),
        Ty::Str | Ty::Timezone => Val::Sym(raw as u32),
        Ty::Duration => Val::Dur(raw as i64),
        Ty::Time => Val::Time(raw as i64),
        Ty::TimeOfDay => Val::Tod(raw as u32),
        Ty::Enum(_) => Val::Enum(raw as u32),
        // A list an event brought: its encoding's symbol (`crate::lang::seq`).
        Ty::List(_) => Val::Seq(raw as u32),
        Ty::Optional(_) | Ty::Error => Val::Missing,
    }
}

/// The low `width` bits set (`width` up to 64).
#[inline]
pub fn mask(width: u32) -> u64 {
    match width {
        0 => 0,
        w => u64::MAX >> (64 - w.min(64)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_fields_of_every_width_and_place_read_back_and_leave_their_neighbours_alone() {
        let mut rng = fastrand::Rng::with_seed(11);
        for _ in 0..20_000 {
            let width = rng.u32(1..=64);
            let at = rng.u32(0..96);
            let f = Bits { at, width };
            let mut slab: Vec<u32> = (0..6).map(|_| rng.u32(..)).collect();
            let before = slab.clone();
            let v = rng.u64(..);
            Lead::of_mut(&mut slab).set_bits(f, v);
            assert_eq!(Lead::of(&slab).bits(f), v & mask(width), "{f:?}");
            // Every bit outside the field is as it was.
            for b in 0..6 * 32 {
                if b < at || b >= at + width {
                    let bit = |s: &[u32]| s[(b / 32) as usize] >> (b % 32) & 1;
                    assert_eq!(bit(&slab), bit(&before), "bit {b} of {f:?}");
                }
            }
        }
    }
}

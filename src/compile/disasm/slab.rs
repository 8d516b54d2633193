//! The lead state section: the slab, word region by word region in slab order, each bit
//! field listed under the words it shares, and where each piece of state is (`@W.B..E`), as
//! the other sections show it.

use super::Disasm;
use crate::compile::layout::{Ring, TimeSlot};
use crate::compile::regions::{regions, Place};
use std::fmt::Write;

/// A bit field's position: `@W.B`, bit B of word W (where it starts), or `@W.B..E` for
/// several bits (E past 32 when it runs on into the next word).
pub(super) fn bit_pos(at: u32, width: u32) -> String {
    let (word, b) = (at / 32, at % 32);
    match width {
        1 => format!("@{word}.{b}"),
        _ => format!("@{word}.{b}..{}", b + width),
    }
}

/// Where a `TimeSlot` is: its bit field (`@56.0..44`).
pub(super) fn time_pos(t: TimeSlot) -> String {
    bit_pos(t.bits.at, t.bits.width)
}

/// Where a ring is: its bits (`@17.0..104`).
pub(super) fn ring_pos(r: Ring) -> String {
    bit_pos(r.at, Ring::width(r.cap, r.bits, r.newest))
}

/// A piece of lead state in the listing: (first word, words, what) for a region of words,
/// (first bit, width, what) for a bit field.
type Listed = (u32, u32, String);

/// Bit fields as word regions: one per run of words they share, listing each field.
fn bit_regions(mut fields: Vec<Listed>) -> Vec<Listed> {
    fields.retain(|f| f.1 > 0);
    fields.sort_by_key(|f| f.0);
    // (first word, end word, its fields)
    let mut groups: Vec<(u32, u32, Vec<Listed>)> = Vec::new();
    for f in fields {
        let (first, end) = (f.0 / 32, (f.0 + f.1).div_ceil(32));
        match groups.last_mut() {
            Some(g) if first < g.1 => {
                g.1 = g.1.max(end);
                g.2.push(f);
            }
            _ => groups.push((first, end, vec![f])),
        }
    }
    groups
        .into_iter()
        .map(|(first, end, fields)| {
            let mut what = "bit fields:".to_string();
            for (at, width, name) in fields {
                let _ = write!(what, "\n{:15}{:<12} {name}", "", bit_pos(at, width));
            }
            (first, end - first, what)
        })
        .collect()
}

impl Disasm<'_> {
    /// The slab in slab order: every piece of lead state (`regions`), words alone, bit fields
    /// under the words they share, and the words between them unused.
    pub(super) fn layout(&mut self) {
        let c = self.c;
        let l = &c.layout;
        self.section("lead state");
        let _ = writeln!(
            self.out,
            "slab: {} words, {} bytes a lead (tags are kept beside it)",
            l.size,
            l.size as u64 * 4
        );
        let mut listed: Vec<Listed> = Vec::new();
        let mut fields: Vec<Listed> = Vec::new();
        for r in regions(c) {
            let what = r.piece.describe(c);
            match r.place {
                Place::Words { at, words } => listed.push((at, words, what)),
                // Every place but a word region is bits from a `u32` bit, at most `u32` wide.
                place => {
                    let (at, width) = place.bits();
                    fields.push((at as u32, width as u32, what));
                }
            }
        }
        listed.extend(bit_regions(fields));
        listed.retain(|r| r.1 > 0);
        listed.sort_by_key(|r| (r.0, r.1));
        let mut next = 0;
        for (at, words, what) in listed {
            if at > next {
                let _ = writeln!(self.out, "{next:>5}..{at:<5} unused");
            }
            let _ = writeln!(self.out, "{at:>5}..{:<5} {what}", at + words);
            next = next.max(at + words);
        }
        if next < l.size {
            let _ = writeln!(self.out, "{next:>5}..{:<5} unused", l.size);
        }
    }
}

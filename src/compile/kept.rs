//! Where the event properties that steps read are kept (`Layout::kept`): a word or two for
//! each value and a bit saying it holds one, per property and per run or trigger reading it
//! (`check::program::KeptProp`, in the same order, so `Op::Kept(i)` reads the i-th).

use super::layout::{KeptBy, KeptSlot, Layout, Planner};
use crate::check::program::{KeptOwner, Program};
use crate::lang::types::wide;

/// Lays out every kept property of the program: its words from `plan`'s word region, its
/// bit in the bit region (moved with the others by `Layout::place_bits`).
pub(super) fn lay_out(program: &Program, layout: &mut Layout, plan: &mut Planner) {
    layout.kept = program
        .kept
        .iter()
        .map(|k| KeptSlot {
            by: match k.owner {
                KeptOwner::Start(w) => KeptBy::Start(w as u16),
                KeptOwner::Received(w) => KeptBy::Received(w as u16),
                KeptOwner::Trigger(t) => KeptBy::Trigger(t as u16),
            },
            event: k.event as u16,
            prop: k.prop as u16,
            ty: k.ty.clone(),
            at: plan.words(if wide(&k.ty) { 2 } else { 1 }),
            present: plan.field(1).at,
        })
        .collect();
}

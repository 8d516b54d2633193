//! Split variants (docs/language.md §11): the arm a lead takes at a split, the arm each
//! instruction lies in (its actions name that variant), and the variant of an open run, the
//! arm it took at the last split it passed (its conversion names that one). Pure functions of
//! the program, a lead's slab and its id.

use super::state::Lead;
use crate::compile::program::WOp;
use crate::compile::Compiled;
use crate::lang::hash::fnv1a;

/// The arm a lead takes at a split of workflow `workflow`: the FNV-1a 64 of `workflow/lead`,
/// modulo 100, against the arms' cumulative shares (the last arm if rounding leaves a gap).
/// The same for every split of the workflow, and every run.
pub fn arm(arms: &[(f64, u32, String)], workflow: &str, lead: &str) -> Option<usize> {
    let bucket = (fnv1a(format!("{workflow}/{lead}").as_bytes()) % 100) as f64;
    arms.iter()
        .position(|(cumulative, _, _)| bucket < *cumulative)
        .or(arms.len().checked_sub(1))
}

/// Where the splits of each workflow are, derived once from the program.
#[derive(Debug, Default)]
pub struct Variants {
    /// Per workflow: the instruction of each split, in instruction order (a run's variant
    /// field numbers them from 1).
    splits: Vec<Vec<u32>>,
    /// Per workflow, per instruction: the split arm it lies in, the innermost where splits
    /// nest, as (the split's instruction, the arm's index).
    inside: Vec<Vec<Option<(u32, u16)>>>,
}

impl Variants {
    pub fn of(c: &Compiled) -> Variants {
        let mut v = Variants::default();
        for w in &c.workflows {
            let mut splits = Vec::new();
            let mut inside = vec![None; w.ops.len()];
            // In instruction order: a split nested in an arm comes after the outer split, so
            // its arms overwrite the outer arm where they lie.
            for (pc, op) in w.ops.iter().enumerate() {
                let WOp::Split { arms, end, .. } = op else {
                    continue;
                };
                splits.push(pc as u32);
                for (k, (_, first, _)) in arms.iter().enumerate() {
                    let past = arms.get(k + 1).map_or(*end, |next| next.1);
                    let range = *first as usize..(past as usize).min(inside.len());
                    for slot in inside.get_mut(range).into_iter().flatten() {
                        *slot = Some((pc as u32, k as u16));
                    }
                }
            }
            v.splits.push(splits);
            v.inside.push(inside);
        }
        v
    }

    /// The label of the split arm the instruction at `pc` of workflow `w` lies in.
    pub fn at<'c>(&self, c: &'c Compiled, w: u16, pc: u32) -> Option<&'c str> {
        let (split, k) = (*self.inside.get(w as usize)?.get(pc as usize)?)?;
        label(c, w, split, k as usize)
    }

    /// Records in the lead's run of `w` that it passed the split at `pc`.
    pub fn pass(&self, c: &Compiled, lead: &mut Lead, w: u16, pc: u32) {
        let Some(bits) = c.layout.run(w).variant else {
            return;
        };
        let splits = &self.splits[w as usize];
        if let Some(i) = splits.iter().position(|s| *s == pc) {
            lead.set_bits(bits, i as u64 + 1);
        }
    }

    /// The variant of the lead's run of `w`: the label of the arm it took at the last split it
    /// passed, if it passed one.
    pub fn of_run<'c>(&self, c: &'c Compiled, lead: &Lead, id: &str, w: u16) -> Option<&'c str> {
        let bits = c.layout.run(w).variant?;
        let n = lead.bits(bits).checked_sub(1)?;
        let split = *self.splits.get(w as usize)?.get(n as usize)?;
        let WOp::Split { arms, .. } = &c.workflows[w as usize].ops[split as usize] else {
            return None;
        };
        let k = arm(arms, &c.workflows[w as usize].name, id)?;
        label(c, w, split, k)
    }
}

/// Forgets which split a run of `w` passed: a new run has passed none.
pub fn clear(c: &Compiled, lead: &mut Lead, w: u16) {
    if let Some(bits) = c.layout.run(w).variant {
        lead.set_bits(bits, 0);
    }
}

/// Carries a run's variant over to a changed campaign (`Machine::carry_run`): the number of
/// the last split passed, when the new workflow's split of that number has the same arms.
pub fn carry(from: &Compiled, lead: &Lead, w: u16, to: &Compiled, into: &mut Lead, to_w: u16) {
    let (Some(f), Some(t)) = (from.layout.run(w).variant, to.layout.run(to_w).variant) else {
        return;
    };
    let n = lead.bits(f) as u32;
    let shares = |arms: &[(f64, u32, String)]| -> Vec<(f64, String)> {
        arms.iter().map(|a| (a.0, a.2.clone())).collect()
    };
    let old = nth_split(from, w, n).map(shares);
    if old.is_some() && old == nth_split(to, to_w, n).map(shares) {
        into.set_bits(t, n as u64);
    }
}

/// The arms of the `n`-th split of workflow `w`, from 1.
fn nth_split(c: &Compiled, w: u16, n: u32) -> Option<&[(f64, u32, String)]> {
    c.workflows[w as usize]
        .ops
        .iter()
        .filter_map(|op| match op {
            WOp::Split { arms, .. } => Some(arms.as_slice()),
            _ => None,
        })
        .nth(n.checked_sub(1)? as usize)
}

fn label(c: &Compiled, w: u16, split: u32, k: usize) -> Option<&str> {
    match c.workflows[w as usize].ops.get(split as usize)? {
        WOp::Split { arms, .. } => arms.get(k).map(|a| a.2.as_str()),
        _ => None,
    }
}

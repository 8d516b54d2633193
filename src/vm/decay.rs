//! Decay arithmetic: a rules score's accumulated part at a moment, when a decaying score next
//! crosses a threshold, and which chunks are sums of scores or read them. Pure functions of a
//! lead's slab and the program's numbers; the machine calls them.

use super::state::Lead;
use crate::compile::bytecode::Chunk;
use crate::compile::layout::TimeSlot;

/// The terms of a chunk that is `s0 (+|-) s1 (+|-) …` over scores, evaluated left to right.
pub fn sum_of_scores(chunk: &Chunk) -> Option<Vec<(u16, bool)>> {
    use crate::compile::bytecode::Op;
    let Some(Op::Score(first)) = chunk.ops.first() else {
        return None;
    };
    let mut terms = vec![(*first, false)];
    for pair in chunk.ops[1..].chunks(2) {
        match pair {
            [Op::Score(s), Op::Add] => terms.push((*s, false)),
            [Op::Score(s), Op::Sub] => terms.push((*s, true)),
            _ => return None,
        }
    }
    Some(terms)
}

/// Whether a chunk reads a score (so the score cache must be filled for its lead first).
pub fn reads_scores(chunk: &Chunk) -> bool {
    chunk
        .ops
        .iter()
        .any(|o| matches!(o, crate::compile::bytecode::Op::Score(_)))
}

/// Milliseconds from now until a score worth `a` now and `b` after `span` milliseconds, whose
/// decaying part keeps `keep` every `every` milliseconds, reaches `k`: the first whole
/// millisecond at or past it.
pub fn solve_decay(a: f64, b: f64, span: i64, k: f64, keep: f64, every: i64) -> Option<i64> {
    if !(keep > 0.0 && keep < 1.0) {
        return None;
    }
    // What is left of the decaying part after `span`, as a share of it now; the part that
    // does not decay is what `b` would be with none left.
    let left = keep.powf(span as f64 / every as f64);
    let rest = a - (a - b) / (1.0 - left);
    let ratio = (k - rest) / (a - rest);
    if !(ratio > 0.0 && ratio <= 1.0) {
        return None;
    }
    let x = ratio.ln() / keep.ln() * every as f64;
    x.is_finite().then(|| x.ceil().max(1.0) as i64)
}

/// The accumulated part of a rules score at `t`, decayed since its last update (0 for a
/// score with no accumulator). `decay`: the fraction kept every so many milliseconds, and
/// where the time of the last update is.
pub fn accumulated(
    l: &Lead,
    slot: Option<u32>,
    decay: Option<((f64, i64), TimeSlot)>,
    t: i64,
) -> f64 {
    let Some(slot) = slot else { return 0.0 };
    let acc = l.f64(slot);
    let Some(((keep, every), updated)) = decay else {
        return acc;
    };
    match l.time(updated) {
        Some(since) if acc != 0.0 && t > since => {
            acc * keep.powf((t - since) as f64 / every as f64)
        }
        _ => acc,
    }
}

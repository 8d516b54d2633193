//! The instruction set for conditions and values (see docs/bytecode.md).
//!
//! A stack machine: operands are pushed, operators pop them and push the result. Jumps are
//! relative to the instruction after the jump, so a chunk can be moved as a whole.

use crate::lang::span::Span;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// Push a constant from the pool.
    Const(u32),
    Attr(u16),
    Prop(u16),
    Score(u16),
    InList(u16),
    /// Push the value of a history predicate (`did`, `count`, `last`) from the lead's aggregates.
    History(u16),
    Now,
    Received,
    /// Push a kept event property (`Layout::kept`): what started the run, set the trigger
    /// off, or a wait received.
    Kept(u16),
    Not,
    Neg,
    Add,
    Sub,
    Mul,
    Div,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    StartsWith,
    EndsWith,
    /// Pop a text, push whether the regex (by index in the regex pool) matches it.
    Matches(u16),
    /// Pop a list, then a value; push whether the value is in the list.
    In,
    IsSet,
    IsMissing,
    /// `a ?? b`: if the top is set, jump over `b`; else pop it and go on to `b`.
    JumpIfSet(u16),
    /// `a and b`: if the top is not true, leave `false` and jump over `b`; else pop it.
    JumpUnlessTrue(u16),
    /// `a or b`: if the top is true, leave it and jump over `b`; else pop it.
    JumpIfTrue(u16),
}

/// A compiled expression: its instructions, each with the source span it came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    pub ops: Vec<Op>,
    pub spans: Vec<Span>,
}

impl Chunk {
    pub fn push(&mut self, op: Op, span: Span) -> usize {
        self.ops.push(op);
        self.spans.push(span);
        self.ops.len() - 1
    }

    /// Points the jump at `at` to the current end of the chunk.
    pub fn patch_jump(&mut self, at: usize) {
        let distance = (self.ops.len() - at - 1) as u16;
        self.ops[at] = match self.ops[at] {
            Op::JumpIfSet(_) => Op::JumpIfSet(distance),
            Op::JumpUnlessTrue(_) => Op::JumpUnlessTrue(distance),
            Op::JumpIfTrue(_) => Op::JumpIfTrue(distance),
            other => other,
        };
    }
}

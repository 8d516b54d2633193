//! Decision tables, compiled: each row's condition is an ordinary condition chunk (the same
//! expression compiler, the same history aggregates), its value a constant; the VM tries the
//! rows in order (`vm::machine::Machine::decide`).

use super::bytecode::Chunk;
use super::expr::{CompileError, Pools};
use crate::check::program as p;
use crate::lang::span::Span;
use crate::lang::types::Ty;
use crate::lang::value::Val;
use crate::lang::written::source_text;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Decision {
    pub name: String,
    pub rows: Vec<Row>,
    /// What `else` gives.
    pub otherwise: Outcome,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Row {
    pub cond: Chunk,
    /// The condition as written, for explanations of a program loaded without its source.
    pub text: String,
    pub value: Outcome,
    pub span: Span,
}

/// A row's value: a text (a symbol in the text pool) or a record of typed constants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    Text(u32),
    Record(Vec<(String, Val, Ty)>),
}

/// Every decision of the program, in order. Their conditions' history predicates join the
/// pools before the layout is made, so lead state keeps what they read.
pub fn lower(program: &p::Program, pools: &mut Pools) -> Result<Vec<Decision>, CompileError> {
    let mut out = Vec::with_capacity(program.decisions.len());
    for d in &program.decisions {
        let mut rows = Vec::with_capacity(d.rows.len());
        for r in &d.rows {
            rows.push(Row {
                cond: pools.compile(&r.cond)?,
                text: source_text(&program.source, r.cond.span.range()),
                value: outcome(pools, &r.value),
                span: r.span,
            });
        }
        out.push(Decision {
            name: d.name.clone(),
            rows,
            otherwise: outcome(pools, &d.otherwise),
        });
    }
    Ok(out)
}

fn outcome(pools: &mut Pools, o: &p::Outcome) -> Outcome {
    match o {
        p::Outcome::Text(t) => Outcome::Text(pools.texts.intern(t)),
        p::Outcome::Record(fields) => Outcome::Record(
            fields
                .iter()
                .map(|(name, v, ty)| (name.clone(), pools.val(v), ty.clone()))
                .collect(),
        ),
    }
}

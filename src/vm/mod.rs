//! The bytecode interpreter. So far: runtime values and the condition evaluator; lead state,
//! timers and workflow runs follow.

pub mod eval;
pub mod value;

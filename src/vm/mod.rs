//! The bytecode interpreter: runtime values, the condition evaluator, lead state in flat
//! slabs, and the machine that runs workflows and timers in event time.

pub mod action;
pub mod decay;
pub mod eval;
pub mod holdout;
pub mod leads;
pub mod local_time;
pub mod machine;
pub mod migrate;
pub mod order;
pub mod render;
pub mod ring;
pub mod state;
pub mod tally;
pub mod variant;
pub mod windows;

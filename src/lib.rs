//! Nurture: a declarative language for marketing automation.
//!
//! The pipeline runs one way: `syntax` (text to AST) -> `check` (AST to a typed, resolved
//! program, or diagnostics) -> `compile` (bytecode) -> `vm` (running it over events).
//! `diag` renders diagnostics from every stage. The library does no terminal I/O of its own;
//! `cli` and `repl` do.

pub mod check;
pub mod cli;
pub mod compile;
pub mod diag;
pub mod graph;
pub mod intern;
pub mod repl;
pub mod runtime;
pub mod syntax;
pub mod testing;
pub mod time;
pub mod vm;

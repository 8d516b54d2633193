//! Nurture: a declarative language for marketing automation.
//!
//! The pipeline runs one way: `syntax` (text to AST) -> `check` (AST to a typed, resolved
//! program, or diagnostics) -> `compile` (bytecode) -> `vm` (running it over events).
//! `diag` renders diagnostics from every stage. The library does no terminal I/O of its own
//! and has no command-line dependencies: the command line (`src/cli`) is the binary's, and
//! drives the library.

pub mod check;
pub mod compile;
pub mod diag;
pub mod fmt;
pub mod graph;
pub mod ide;
pub mod inspect;
pub mod intern;
pub mod lang;
pub mod repl;
pub mod report;
pub mod runtime;
pub mod syntax;
pub mod testing;
pub mod vm;

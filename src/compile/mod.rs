//! From a checked `Program` to bytecode. So far: conditions and values (`expr`), over the
//! instruction set in `bytecode`. Workflows, dispatch tables and the serialised program file
//! follow with the VM (issue: compiler and VM).

pub mod bytecode;
pub mod expr;

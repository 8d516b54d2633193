//! From source text to a syntax tree: the lexer, the pest parser and the AST.

pub mod ast;
mod errors;
pub mod lexer;
pub mod limits;
pub mod parser;
mod shift;
mod slips;

pub use parser::{parse, Parsed};

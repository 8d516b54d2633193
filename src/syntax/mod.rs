//! From source text to a syntax tree: the lexer, the pest parser and the AST.

pub mod ast;
pub mod lexer;
pub mod limits;
pub mod parser;

pub use parser::parse;

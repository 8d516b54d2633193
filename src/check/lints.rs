//! Lints: warnings about campaigns that are valid but probably wrong.

use super::program::Program;
use crate::diag::Diagnostic;
use crate::syntax::ast;

pub fn run(_file: &ast::File, _program: &Program, _diags: &mut Vec<Diagnostic>) {}

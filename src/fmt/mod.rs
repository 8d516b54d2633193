//! `nurture fmt`: one canonical layout for a campaign file (docs/style-guide.md).
//!
//! The layout is written from the parse tree of `grammar/nurture.pest` with the text between
//! its pairs (the grammar's silent literals and comments) put back (`tree`), walked by the
//! `printer`, with lines broken in `line` and columns aligned in `align`. Only whitespace
//! changes: every token is written as it was, in the same order, so the file means what it
//! meant (tests/fmt.rs compiles both and compares the programs).

mod align;
mod line;
mod printer;
mod tree;

use crate::diag::Diagnostic;
use crate::syntax;

pub use line::WIDTH;

/// Why a file could not be formatted: it does not parse. It is left as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct FormatError {
    /// The syntax errors, as `nurture check` reports them.
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.diagnostics.len() {
            1 => write!(
                f,
                "the file has a syntax error: {}",
                self.diagnostics[0].message
            ),
            n => write!(f, "the file has {n} syntax errors"),
        }
    }
}

impl std::error::Error for FormatError {}

/// The file in the canonical layout, or its syntax errors. Formatting a formatted file
/// changes nothing.
pub fn format(source: &str) -> Result<String, FormatError> {
    // The walk recurses as deep as the file nests, like the parser and the checker.
    crate::lang::stack::on_roomy_stack(|| format_on_this_thread(source))
}

fn format_on_this_thread(source: &str) -> Result<String, FormatError> {
    let (_, diagnostics) = syntax::parse(source);
    if !diagnostics.is_empty() {
        return Err(FormatError { diagnostics });
    }
    let pair = syntax::parser::parse_tree(source).map_err(|d| FormatError {
        diagnostics: vec![d],
    })?;
    let root = tree::build(source, pair);
    let mut p = printer::Printer::default();
    p.statements(&root.elems, printer::Place::Top);
    p.end_statement();
    let mut out = p.out;
    let end = out.trim_end().len();
    out.truncate(end);
    if !out.is_empty() {
        out.push('\n');
    }
    Ok(out)
}

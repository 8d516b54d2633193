//! The disassembler: a compiled program as text a person can read and a diff can compare.
//!
//! Every instruction gets a line with its index, mnemonic and operands resolved to names
//! (`lead.email`, score `fit`, constant values, texts, event names, jump targets), and the
//! source line it came from: `; L24` always, and the trimmed text of that line the first
//! time the chunk reaches it. Sections come in a fixed order and list things by index, so
//! the same campaign always disassembles to the same text.
//!
//! This file holds the listing's frame: the entry points, the order of the sections, and how
//! a line gets its source column. `names` names operands, `code` lists instructions and
//! steps, `slab` the lead state, `sections` the rest.

mod code;
mod decisions;
mod names;
mod sections;
mod slab;

use super::bytecode::Chunk;
use super::file::{SourceText, FORMAT_VERSION};
use super::program::Compiled;
use crate::lang::span::Span;
use crate::lang::types::Ty;
use std::fmt::Write;

/// Where the `; L…` source column starts.
const SOURCE_COLUMN: usize = 60;

/// The disassembly of a program; with its source, each instruction shows its line.
pub fn disasm(c: &Compiled, source: Option<&SourceText>) -> String {
    let mut d = Disasm {
        c,
        source,
        lines: source.map(|s| line_starts(&s.text)).unwrap_or_default(),
        out: String::new(),
        shown: None,
        const_enums: Vec::new(),
        portable: false,
    };
    d.const_enums = d.const_enums();
    d.all();
    d.out
}

/// A chunk's instructions, one line each, with every operand by name or value and no pool
/// index (`c3`, `l0`, `r1`, `h4`) and no source position: two chunks, of the same program or
/// of two programs, compute the same when their listings are equal. A history predicate
/// inside shows its own filter the same way. `event` is the event whose properties the chunk
/// reads (a `where` filter's).
pub fn portable_listing(c: &Compiled, chunk: &Chunk, event: Option<u16>) -> Vec<String> {
    let d = Disasm {
        c,
        source: None,
        lines: Vec::new(),
        out: String::new(),
        shown: None,
        const_enums: Vec::new(),
        portable: true,
    };
    d.portable_ops(chunk, event)
}

struct Disasm<'a> {
    c: &'a Compiled,
    source: Option<&'a SourceText>,
    /// Byte offset where each source line starts.
    lines: Vec<usize>,
    out: String,
    /// The source line whose text was shown last, since the last line without a span: an
    /// instruction repeats only the line number of the text just above it.
    shown: Option<usize>,
    /// Per constant, the enum its variant (or list of variants) belongs to, as seen from
    /// where it is used.
    const_enums: Vec<Option<u32>>,
    /// Operands without pool indices, filters of history predicates as listings
    /// (`portable_listing`).
    portable: bool,
}

/// What a chunk is evaluated against, for naming its operands.
#[derive(Clone, Copy, Default)]
struct Ctx<'t> {
    /// The event whose properties `prop` reads.
    event: Option<u16>,
    /// The type of the chunk's value, when known (a `set` or a template value).
    ty: Option<&'t Ty>,
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

impl<'a> Disasm<'a> {
    fn all(&mut self) {
        let c = self.c;
        let _ = writeln!(
            self.out,
            "; nurture disassembly, file format version {FORMAT_VERSION}"
        );
        if let Some(name) = &c.campaign {
            let _ = writeln!(self.out, "; campaign {name:?}");
        }
        match self.source {
            Some(s) => {
                let _ = writeln!(self.out, "; source {}", s.name);
            }
            None => self
                .out
                .push_str("; no source kept: instructions show byte spans\n"),
        }
        self.layout();
        self.attrs();
        self.events();
        self.pools();
        self.history();
        self.scores();
        self.lists();
        self.derive_order();
        self.triggers();
        self.workflows();
        self.policy();
        self.decisions();
        self.dispatch();
    }

    fn section(&mut self, title: &str) {
        let _ = write!(self.out, "\n== {title} ==\n");
        self.shown = None;
    }

    /// Appends a line with no source of its own.
    fn plain(&mut self, text: &str) {
        self.out.push_str(text.trim_end());
        self.out.push('\n');
        self.shown = None;
    }

    /// Appends a label (`filter:`, `cond:`) that belongs to the line above.
    fn label(&mut self, indent: usize, text: &str) {
        let _ = writeln!(self.out, "{}{text}", " ".repeat(indent));
    }

    /// Appends a line, with the source column for `span` if there is one: the line number,
    /// and the line's text unless it was just shown.
    fn line(&mut self, text: &str, span: Option<Span>) {
        let Some(span) = span else {
            // A jump has no source; the text above still applies.
            self.out.push_str(text.trim_end());
            self.out.push('\n');
            return;
        };
        let mut line = text.trim_end().to_string();
        let n = self.line_no(span);
        let show_text = self.shown != Some(n);
        self.shown = Some(n);
        let width = line.chars().count();
        if width < SOURCE_COLUMN {
            line.push_str(&" ".repeat(SOURCE_COLUMN - width));
        } else {
            line.push_str("  ");
        }
        line.push_str(&self.where_(span, show_text));
        self.out.push_str(line.trim_end());
        self.out.push('\n');
    }

    /// `; L24  the trimmed source line`, or `; @12..34` without source.
    fn where_(&self, span: Span, show_text: bool) -> String {
        match self.source {
            None => format!("; @{}..{}", span.start, span.end),
            Some(_) => {
                let n = self.line_no(span);
                if show_text {
                    format!("; L{n}  {}", self.line_text(n))
                } else {
                    format!("; L{n}")
                }
            }
        }
    }

    /// The 1-based line a span starts on.
    fn line_no(&self, span: Span) -> usize {
        self.lines.partition_point(|&s| s <= span.start as usize)
    }

    fn line_text(&self, n: usize) -> &str {
        let Some(src) = self.source else { return "" };
        let start = self.lines.get(n.wrapping_sub(1)).copied().unwrap_or(0);
        let end = self.lines.get(n).copied().unwrap_or(src.text.len());
        src.text.get(start..end).unwrap_or("").trim()
    }

    /// The source text a span covers, on one line; None without source.
    fn snippet(&self, span: Span) -> Option<String> {
        let text = &self.source?.text;
        let s = text.get(span.start as usize..span.end as usize)?;
        Some(s.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

//! What an editor knows of a campaign as it is written: the checker's diagnostics, every name
//! with its declaration and uses (`symbols`), hover text, completion by position, the outline,
//! semantic tokens and folding ranges, quick fixes and rename edits. Plain functions over a
//! `Document`, in byte offsets; the binary's language server (`src/lsp`) speaks the protocol.

mod complete;
mod fixes;
mod hover;
mod keywords;
mod outline;
pub mod position;
pub mod symbols;
mod tokens;

pub use complete::{complete, Completion, CompletionKind};
pub use fixes::{fixes, Fix};
pub use hover::hover;
pub use outline::{outline, Outline, OutlineKind};
pub use tokens::{folding_ranges, semantic_tokens, TokenKind};

use crate::check::{self, Analysis};
use crate::diag::Diagnostic;
use crate::lang::span::Span;
use position::Lines;
use std::sync::{Arc, OnceLock};
use symbols::{Index, Kind};

/// One open file: its text, what the checker said of it, and its names.
#[derive(Debug)]
pub struct Document {
    pub text: String,
    pub lines: Lines,
    pub analysis: Analysis,
    /// Every name and where it is written: built by the first request that needs it, not at
    /// each keystroke.
    index: OnceLock<Arc<Index>>,
    /// While the text has a syntax error (half a word typed, a brace not yet closed): the
    /// names of the last version that parsed, which completion offers, as what does not
    /// parse is missing from this one.
    parsed_names: Option<Arc<Names>>,
}

/// The names of a version of the file, from its syntax tree, indexed when first asked for.
#[derive(Debug)]
struct Names {
    file: crate::syntax::ast::File,
    index: OnceLock<Arc<Index>>,
}

impl Names {
    fn get(&self) -> Arc<Index> {
        (self.index.get_or_init(|| Arc::new(Index::of(&self.file)))).clone()
    }
}

impl Document {
    /// Parses, checks and indexes a text.
    pub fn new(text: String) -> Document {
        Document {
            analysis: check::analyse(&text),
            lines: Lines::new(&text),
            text,
            index: OnceLock::new(),
            parsed_names: None,
        }
    }

    /// The document's next version: the same as `Document::new(text)`, but parsed again only
    /// around what changed (`check::reanalyse`), and keeping this version's names for
    /// completion while the new one does not parse.
    pub fn edit(&mut self, text: String) {
        let analysis = check::reanalyse(&mut self.analysis, &self.text, &text);
        // A syntax error leaves this version's parse as it was, to name from; a text that
        // parsed (with a bad literal, say) has its own names.
        let intact = !self.analysis.parsed.file.items.is_empty();
        self.parsed_names = match &self.parsed_names {
            _ if analysis.program.is_some() || !intact => None,
            // This version did not parse either: its names are an earlier one's.
            Some(names) if self.analysis.program.is_none() => Some(names.clone()),
            _ => Some(Arc::new(Names {
                file: std::mem::take(&mut self.analysis.parsed.file),
                index: std::mem::take(&mut self.index),
            })),
        };
        self.analysis = analysis;
        self.lines = Lines::new(&text);
        self.text = text;
        self.index = OnceLock::new();
    }

    /// Every name declared or used, and where.
    pub fn index(&self) -> &Arc<Index> {
        self.index
            .get_or_init(|| Arc::new(Index::of(&self.analysis.parsed.file)))
    }

    /// The names completion offers: this text's, or while it has a syntax error those of the
    /// last text that parsed.
    pub fn names(&self) -> Arc<Index> {
        match &self.parsed_names {
            Some(names) if self.analysis.program.is_none() => names.get(),
            _ => self.index().clone(),
        }
    }

    /// The checker's diagnostics, in source order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.analysis.diagnostics
    }

    /// Where the name at `offset` is declared (`None` for the prelude's events: they have no
    /// place in the file).
    pub fn definition(&self, offset: usize) -> Option<Span> {
        let o = self.index().at(offset)?;
        self.index().symbols[o.symbol].def
    }

    /// Every place the name at `offset` is written, its declaration included.
    pub fn references(&self, offset: usize) -> Vec<Span> {
        let Some(o) = self.index().at(offset) else {
            return Vec::new();
        };
        self.index().references(o.symbol).map(|o| o.span).collect()
    }

    /// The edits that rename the name at `offset` everywhere in the file, or why not.
    pub fn rename(
        &self,
        offset: usize,
        new_name: &str,
    ) -> Result<Vec<(Span, String)>, RenameError> {
        let o = self.index().at(offset).ok_or(RenameError::NoName)?;
        let symbol = &self.index().symbols[o.symbol];
        if symbol.builtin {
            return Err(RenameError::Builtin(symbol.name.clone()));
        }
        if !valid_name(symbol.kind, new_name) {
            return Err(RenameError::Invalid(new_name.to_string()));
        }
        Ok(self
            .index()
            .references(o.symbol)
            .map(|o| (o.span, new_name.to_string()))
            .collect())
    }

    /// The span of the name at `offset`, for an editor's "prepare rename".
    pub fn name_at(&self, offset: usize) -> Option<Span> {
        let o = self.index().at(offset)?;
        (!self.index().symbols[o.symbol].builtin).then_some(o.span)
    }
}

/// Why a rename cannot be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenameError {
    NoName,
    Builtin(String),
    Invalid(String),
}

impl std::fmt::Display for RenameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenameError::NoName => f.write_str("there is no name here to rename"),
            RenameError::Builtin(n) => write!(
                f,
                "`{n}` comes from the prelude, which every campaign shares: it cannot be renamed"
            ),
            RenameError::Invalid(n) => write!(
                f,
                "`{n}` cannot be a name here: use letters, digits and `_`, not starting with a \
                 digit, and no reserved word"
            ),
        }
    }
}

impl std::error::Error for RenameError {}

/// Whether `name` may name a symbol of this kind: a template any text without quotes or
/// braces, an event dotted words, anything else one word that is not reserved.
fn valid_name(kind: Kind, name: &str) -> bool {
    let word = |w: &str| {
        let mut chars = w.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !crate::syntax::lexer::is_keyword(w)
    };
    match kind {
        Kind::Template => !name.is_empty() && !name.contains(['"', '{', '}', '\\', '\n']),
        Kind::Event => name.split('.').all(word),
        _ => word(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_a_list_everywhere_and_refuses_bad_names() {
        let text = "lead { email: string }\nlist hot = lead.email is set\nlist warm = hot\non enter hot tag \"x\"\n";
        let doc = Document::new(text.to_string());
        let at = text.find("= hot").unwrap() + 3;
        let edits = doc.rename(at, "keen").unwrap();
        assert_eq!(edits.len(), 3);
        let mut renamed = text.to_string();
        for (span, new) in edits.iter().rev() {
            renamed.replace_range(span.range(), new);
        }
        assert_eq!(renamed.matches("keen").count(), 3);
        assert!(check::check_text(&renamed).1.is_some(), "{renamed}");
        assert_eq!(
            doc.rename(at, "and"),
            Err(RenameError::Invalid("and".into()))
        );
        assert_eq!(doc.definition(at), Some(Span::new(28, 31)));
    }
}

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
use std::sync::Arc;
use symbols::{Index, Kind};

/// One open file: its text, what the checker said of it, and its names.
#[derive(Debug)]
pub struct Document {
    pub text: String,
    pub lines: Lines,
    pub analysis: Analysis,
    pub index: Arc<Index>,
    /// The names completion offers: this text's, or while it has a syntax error (half a
    /// word typed, a brace not yet closed) those of the last text that parsed, as what does
    /// not parse is missing from this one.
    pub names: Arc<Index>,
}

impl Document {
    /// Parses, checks and indexes a text.
    pub fn new(text: String) -> Document {
        Document::after(text, None)
    }

    /// A new version of a document: as `new`, keeping the previous version's names for
    /// completion while the new one does not parse.
    pub fn after(text: String, previous: Option<&Document>) -> Document {
        let analysis = check::analyse(&text);
        let index = Arc::new(Index::of(&analysis.file));
        let names = match previous {
            Some(p) if analysis.program.is_none() => p.names.clone(),
            _ => index.clone(),
        };
        Document {
            lines: Lines::new(&text),
            text,
            analysis,
            index,
            names,
        }
    }

    /// The checker's diagnostics, in source order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.analysis.diagnostics
    }

    /// Where the name at `offset` is declared (`None` for the prelude's events: they have no
    /// place in the file).
    pub fn definition(&self, offset: usize) -> Option<Span> {
        let o = self.index.at(offset)?;
        self.index.symbols[o.symbol].def
    }

    /// Every place the name at `offset` is written, its declaration included.
    pub fn references(&self, offset: usize) -> Vec<Span> {
        let Some(o) = self.index.at(offset) else {
            return Vec::new();
        };
        self.index.references(o.symbol).map(|o| o.span).collect()
    }

    /// The edits that rename the name at `offset` everywhere in the file, or why not.
    pub fn rename(
        &self,
        offset: usize,
        new_name: &str,
    ) -> Result<Vec<(Span, String)>, RenameError> {
        let o = self.index.at(offset).ok_or(RenameError::NoName)?;
        let symbol = &self.index.symbols[o.symbol];
        if symbol.builtin {
            return Err(RenameError::Builtin(symbol.name.clone()));
        }
        if !valid_name(symbol.kind, new_name) {
            return Err(RenameError::Invalid(new_name.to_string()));
        }
        Ok(self
            .index
            .references(o.symbol)
            .map(|o| (o.span, new_name.to_string()))
            .collect())
    }

    /// The span of the name at `offset`, for an editor's "prepare rename".
    pub fn name_at(&self, offset: usize) -> Option<Span> {
        let o = self.index.at(offset)?;
        (!self.index.symbols[o.symbol].builtin).then_some(o.span)
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

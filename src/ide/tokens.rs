//! Semantic tokens (what each word is, from the index where the lexer alone cannot tell) and
//! folding ranges (braced blocks and multi-line declarations).

use super::symbols::Kind;
use super::Document;
use crate::lang::span::Span;
use crate::syntax::lexer::{self, Token};

/// A token's kind; the language server's legend lists them in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Keyword,
    String,
    Number,
    Comment,
    Operator,
    Event,
    Property,
    Variable,
    Function,
    Enum,
    EnumMember,
    Type,
}

impl TokenKind {
    /// The legend, in the order of the variants.
    pub const ALL: [TokenKind; 12] = [
        TokenKind::Keyword,
        TokenKind::String,
        TokenKind::Number,
        TokenKind::Comment,
        TokenKind::Operator,
        TokenKind::Event,
        TokenKind::Property,
        TokenKind::Variable,
        TokenKind::Function,
        TokenKind::Enum,
        TokenKind::EnumMember,
        TokenKind::Type,
    ];
}

/// The type names a schema may use besides its enums.
const TYPES: &[&str] = &[
    "string", "int", "number", "bool", "time", "duration", "timezone", "list",
];

fn of_symbol(kind: Kind) -> TokenKind {
    match kind {
        Kind::Event => TokenKind::Event,
        Kind::Property | Kind::Attribute => TokenKind::Property,
        Kind::Score | Kind::List => TokenKind::Variable,
        Kind::Workflow | Kind::Decision => TokenKind::Function,
        Kind::Template => TokenKind::String,
        Kind::Enum => TokenKind::Enum,
        Kind::Variant => TokenKind::EnumMember,
    }
}

/// Every token worth colouring, in source order, none overlapping.
pub fn semantic_tokens(doc: &Document) -> Vec<(Span, TokenKind)> {
    let mut out = Vec::new();
    let mut names = doc.index().occurrences.iter().peekable();
    let mut skip_to = 0;
    for (tok, range) in lexer::tokens(&doc.text) {
        if range.start < skip_to {
            continue;
        }
        while names
            .peek()
            .is_some_and(|o| (o.span.start as usize) < range.start)
        {
            names.next();
        }
        // A name the index knows covers the words (and dots) it is written with; a template's
        // name stays part of its string.
        let name = names
            .peek()
            .filter(|o| o.span.start as usize == range.start);
        if let (Some(o), Some(Token::Word)) = (name, tok) {
            out.push((o.span, of_symbol(doc.index().symbols[o.symbol].kind)));
            skip_to = o.span.end as usize;
            continue;
        }
        let (start, end) = (range.start, range.end);
        let kind = match tok {
            Some(Token::Word) => {
                let word = &doc.text[start..end];
                if lexer::is_keyword(word) {
                    TokenKind::Keyword
                } else if TYPES.contains(&word) {
                    TokenKind::Type
                } else {
                    continue;
                }
            }
            Some(Token::String(_)) => TokenKind::String,
            Some(
                Token::Number
                | Token::Duration
                | Token::Percent
                | Token::Instant
                | Token::TimeOfDay,
            ) => TokenKind::Number,
            Some(Token::Comment) => TokenKind::Comment,
            Some(Token::Operator) => TokenKind::Operator,
            _ => continue,
        };
        out.push((Span::new(start, end), kind));
    }
    out
}

/// The line ranges (from 0, inclusive) that fold: each braced block and each top-level
/// declaration that spans lines.
pub fn folding_ranges(doc: &Document) -> Vec<(u32, u32)> {
    let line = |offset: usize| doc.lines.position(&doc.text, offset).0;
    let mut out = Vec::new();
    let mut open = Vec::new();
    for (tok, range) in lexer::tokens(&doc.text) {
        match tok {
            Some(Token::LBrace) => open.push(range.start),
            Some(Token::RBrace) => {
                if let Some(start) = open.pop() {
                    out.push((line(start), line(range.start)));
                }
            }
            _ => {}
        }
    }
    for item in super::outline(doc) {
        out.push((line(item.span.start as usize), line(item.span.end as usize)));
    }
    out.retain(|(a, b)| b > a);
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_coloured_by_what_they_are() {
        let text = "lead { n: int }\n// a note\nscore fit { when lead.n > 2 add 5 }\nlist hot =\n  fit > 3\n";
        let doc = Document::new(text.to_string());
        let tokens: Vec<(&str, TokenKind)> = semantic_tokens(&doc)
            .into_iter()
            .map(|(s, k)| (&text[s.range()], k))
            .collect();
        assert!(tokens.contains(&("fit", TokenKind::Variable)));
        assert!(tokens.contains(&("n", TokenKind::Property)));
        assert!(tokens.contains(&("score", TokenKind::Keyword)));
        assert!(tokens.contains(&("int", TokenKind::Type)));
        assert!(tokens.contains(&("// a note", TokenKind::Comment)));
        assert!(tokens.windows(2).all(|w| w[0].0.as_ptr() < w[1].0.as_ptr()));
        assert_eq!(folding_ranges(&doc), [(3, 4)]);
    }
}

//! Limits checked before parsing, so hostile input gets a clear diagnostic instead of a deep
//! recursion or a long wait.

use super::lexer::{tokens, Token};
use super::span::Span;
use crate::diag::{Code, Diagnostic};

/// The largest campaign file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// How deeply brackets and prefix operators (`not`, `-`) may nest.
pub const MAX_NESTING: usize = 64;

/// Checks the raw bytes: size and UTF-8. Returns the text or the one diagnostic that stops.
pub fn decode(bytes: &[u8]) -> Result<&str, Diagnostic> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::new(
            Code::TooLarge,
            Span::new(0, 0),
            format!(
                "this file is {} bytes; Nurture reads campaign files of at most {} bytes",
                bytes.len(),
                MAX_FILE_BYTES
            ),
        )
        .with_help("split the campaign, or check that this is the file you meant"));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        Diagnostic::new(
            Code::NotUtf8,
            Span::new(0, 0),
            format!("this file is not UTF-8 text: the byte at offset {at} is not valid UTF-8"),
        )
        .with_help("save the file as UTF-8; is it a campaign file at all?")
    })
}

/// Finds unclosed strings and nesting beyond `MAX_NESTING`, one diagnostic each.
pub fn scan(source: &str) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut depth = 0usize;
    let mut prefix_run = 0usize;
    let mut reported_depth = false;
    for (tok, range) in tokens(source) {
        let span = Span::new(range.start, range.end);
        match tok {
            Some(Token::Whitespace | Token::Comment) => continue,
            Some(Token::UnclosedString) => diags.push(
                Diagnostic::new(
                    Code::UnclosedString,
                    Span::new(range.start, range.start + 1),
                    "this string never closes",
                )
                .with_label("the string starts here and runs to the end of the line")
                .with_help(
                    "add a closing `\"`; a string cannot span lines (write `\\n` for a line break)",
                ),
            ),
            Some(Token::LParen | Token::LBrace | Token::LBracket) => depth += 1,
            Some(Token::RParen | Token::RBrace | Token::RBracket) => {
                depth = depth.saturating_sub(1)
            }
            _ => {}
        }
        let is_prefix = match tok {
            Some(Token::Word) => &source[range.clone()] == "not",
            Some(Token::Operator) => &source[range.clone()] == "-",
            _ => false,
        };
        prefix_run = if is_prefix { prefix_run + 1 } else { 0 };
        if !reported_depth && (depth > MAX_NESTING || prefix_run > MAX_NESTING) {
            reported_depth = true;
            diags.push(
                Diagnostic::new(
                    Code::TooDeep,
                    span,
                    format!("this is nested more than {MAX_NESTING} levels deep"),
                )
                .with_label("too deep here")
                .with_help("split the condition into named lists or scores"),
            );
        }
    }
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_reported_once() {
        let src = format!("list x = {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let diags = scan(&src);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::TooDeep);
    }

    #[test]
    fn long_not_chains_count_as_nesting() {
        let src = format!("list x = {} true", "not ".repeat(1000));
        assert_eq!(scan(&src)[0].code, Code::TooDeep);
    }

    #[test]
    fn invalid_utf8_is_refused() {
        assert_eq!(decode(&[0x66, 0xff, 0xfe]).unwrap_err().code, Code::NotUtf8);
    }
}

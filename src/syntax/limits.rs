//! Limits checked before parsing, so hostile input gets a clear diagnostic instead of a deep
//! recursion or a long wait.

use super::lexer::{tokens, Token, DECLARATION_WORDS, STATEMENT_KEYWORDS};
use crate::diag::{Code, Diagnostic};
use crate::lang::span::Span;

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

/// How many operators one condition or value may chain (`a and b and …`): a chain nests as
/// deeply as it is long.
pub const MAX_CHAIN: usize = 128;
pub use super::lexer::MAX_INTERPOLATIONS;

/// Finds unclosed strings and nesting beyond the limits, one diagnostic each: brackets and
/// braces (those inside strings too, as interpolations nest), runs of `not` and `-`, chains
/// of binary operators, and `else if` chains.
/// It stays whole: a single-pass scanner: one state machine over the tokens.
pub fn scan(source: &str) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let mut depth = 0usize;
    let mut prefix_run = 0usize;
    let mut chain = 0usize;
    let mut else_ifs = 0usize;
    let mut after_else = false;
    let mut reported_depth = false;
    for (tok, range) in tokens(source) {
        let span = Span::new(range.start, range.end);
        let text = &source[range.clone()];
        // How deep this token reaches: interpolations nest inside strings.
        let mut reach = depth;
        if matches!(tok, Some(Token::Whitespace | Token::Comment)) {
            continue;
        }
        match tok {
            Some(Token::String(read)) => {
                reach = depth + read.deepest;
                if let Some(at) = read.crowded {
                    diags.push(
                        Diagnostic::new(
                            Code::TooManyInterpolations,
                            Span::new(at, at + 1),
                            format!(
                                "this text has more than {MAX_INTERPOLATIONS} interpolations"
                            ),
                        )
                        .with_label("one too many")
                        .with_help("write the text with fewer `{…}`; `{{` and `}}` are braces, not interpolations"),
                    );
                }
                if !read.closed {
                    diags.push(unclosed(range.start))
                }
            }
            Some(Token::LParen | Token::LBrace | Token::LBracket) => depth += 1,
            Some(Token::RParen | Token::RBrace | Token::RBracket) => {
                depth = depth.saturating_sub(1)
            }
            _ => {}
        }
        let is_prefix = match tok {
            Some(Token::Word) => text == "not",
            Some(Token::Operator) => text == "-",
            _ => false,
        };
        prefix_run = if is_prefix { prefix_run + 1 } else { 0 };
        match tok {
            Some(Token::Operator) if text != "=" && text != "?" => chain += 1,
            Some(Token::Word)
                if matches!(
                    text,
                    "and" | "or" | "in" | "contains" | "starts_with" | "ends_with" | "matches"
                ) =>
            {
                chain += 1
            }
            // A reserved word that opens a statement ends the chain.
            Some(Token::Word) if STATEMENT_KEYWORDS.contains(&text) => chain = 0,
            _ => {}
        }
        if tok == Some(Token::Word) {
            if text == "if" && after_else {
                else_ifs += 1;
            }
            if depth == 0 && DECLARATION_WORDS.contains(&text) {
                else_ifs = 0;
            }
            after_else = text == "else";
        } else {
            after_else = false;
        }
        let too_deep =
            depth.max(reach) > MAX_NESTING || prefix_run > MAX_NESTING || else_ifs > MAX_NESTING;
        if !reported_depth && too_deep {
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
        if !reported_depth && chain > MAX_CHAIN {
            reported_depth = true;
            diags.push(
                Diagnostic::new(
                    Code::TooDeep,
                    span,
                    format!("this condition chains more than {MAX_CHAIN} operators"),
                )
                .with_label("too long here")
                .with_help("split the condition into named lists or scores, and combine those"),
            );
        }
    }
    diags
}

/// E0004 for the string opening at `start`.
fn unclosed(start: usize) -> Diagnostic {
    Diagnostic::new(
        Code::UnclosedString,
        Span::new(start, start + 1),
        "this string never closes",
    )
    .with_label("the string starts here and runs to the end of the line")
    .with_help("add a closing `\"`; a string cannot span lines (write `\\n` for a line break)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_read_with_their_interpolations() {
        // B4: an escaped quote in a string inside an interpolation.
        assert!(scan(r#"on form.submitted notify owner "{"\"q\""}""#).is_empty());
        assert!(scan(r#"x "a {lead.email} {{b}} \" \\" y"#).is_empty());
        let unclosed = |src: &str| scan(src).iter().map(|d| d.code).collect::<Vec<_>>();
        assert_eq!(unclosed("x \"abc\ny"), vec![Code::UnclosedString]);
        assert_eq!(unclosed("x \"{\"\ny"), vec![Code::UnclosedString]);
        assert_eq!(unclosed("x \"abc\\\ny \"ok\""), vec![Code::UnclosedString]);
        let deep = format!("x \"{}{}\"", "{\"".repeat(70), "\"}".repeat(70));
        assert_eq!(unclosed(&deep), vec![Code::TooDeep]);
    }

    #[test]
    fn regexes_are_read_as_regexes() {
        // A regex does not interpolate: a brace in it opens nothing.
        assert!(scan(r#"list x = lead.email matches "[{]" and true"#).is_empty());
        assert!(scan("list x = lead.email matches // a comment\n  \"a{\\\"}\"").is_empty());
        assert!(scan(&format!("x matches \"{}\"", "a{2}".repeat(260))).is_empty());
        let codes = |src: &str| scan(src).iter().map(|d| d.code).collect::<Vec<_>>();
        assert_eq!(codes("x matches \"[{]\nx"), vec![Code::UnclosedString]);
        // Only the string right after `matches` is a regex.
        assert_eq!(
            codes("x matches \"a\" == \"{\"\n"),
            vec![Code::UnclosedString]
        );
    }

    #[test]
    fn interpolations_per_text_are_limited() {
        let codes = |src: &str| scan(src).iter().map(|d| d.code).collect::<Vec<_>>();
        let text = |n: usize| format!("on x.y notify owner \"{}\"\n", "{lead.a} ".repeat(n));
        assert!(scan(&text(MAX_INTERPOLATIONS)).is_empty());
        let over = text(MAX_INTERPOLATIONS + 1);
        let diags = scan(&over);
        assert_eq!(codes(&over), vec![Code::TooManyInterpolations]);
        // It points at the one too many.
        assert_eq!(diags[0].span.start as usize, over.rfind('{').unwrap());
        // Escaped braces are text; each nested string is a text of its own.
        assert!(scan(&format!("x \"{}\"", "{{}} ".repeat(300))).is_empty());
        let nested = format!("x \"{}\"", "{\"{lead.a}\"} ".repeat(MAX_INTERPOLATIONS));
        assert!(scan(&nested).is_empty());
        // Many more are one diagnostic; the lexer reads a long text in a loop, not by
        // recursion, so even a debug build's 2 MiB test thread reads it.
        assert_eq!(codes(&text(50_000)), vec![Code::TooManyInterpolations]);
    }

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
    fn long_operator_chains_are_refused() {
        let src = format!("list x = true{}", " and true".repeat(1000));
        assert_eq!(scan(&src)[0].code, Code::TooDeep);
        let ok = format!(
            "list x = true{}\nlist y = true{}",
            " and true".repeat(100),
            " or true".repeat(100)
        );
        assert!(scan(&ok).is_empty());
    }

    #[test]
    fn long_else_if_chains_are_refused() {
        let arm = " else if lead.a { tag \"x\" }";
        let src = format!(
            "workflow w {{ if lead.a {{ tag \"x\" }}{} }}",
            arm.repeat(3000)
        );
        assert_eq!(scan(&src)[0].code, Code::TooDeep);
    }

    #[test]
    fn nested_interpolations_count_as_nesting() {
        let src = format!(
            "on x.y notify owner {}lead.email{}",
            "\"{".repeat(200),
            "}\"".repeat(200)
        );
        assert_eq!(scan(&src)[0].code, Code::TooDeep);
        assert!(scan("on x.y notify owner \"a {lead.email} {{b}}\"").is_empty());
    }

    #[test]
    fn invalid_utf8_is_refused() {
        assert_eq!(decode(&[0x66, 0xff, 0xfe]).unwrap_err().code, Code::NotUtf8);
    }
}

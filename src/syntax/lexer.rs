//! A flat token stream (logos) for tools that must not depend on a file parsing: REPL
//! highlighting and completion, and the pre-parse safety checks (nesting depth, unclosed
//! strings). The grammar in `grammar/nurture.pest` stays the single source of truth for syntax.

use logos::Logos;

#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    #[regex(r"[ \t\r\n\u{FEFF}]+")]
    Whitespace,
    #[regex(r"//[^\n]*")]
    Comment,
    #[regex(r#""([^"\\\n]|\\[^\n])*""#)]
    String,
    /// A quote with no closing quote on its line.
    #[regex(r#""([^"\\\n]|\\[^\n])*"#, priority = 1)]
    UnclosedString,
    #[regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})")]
    Instant,
    #[regex(r"[0-9]{1,2}:[0-9]{2}")]
    TimeOfDay,
    #[regex(r"([0-9]+[smhdw])+")]
    Duration,
    #[regex(r"[0-9]+(\.[0-9]+)?%")]
    Percent,
    #[regex(r"[0-9]+(\.[0-9]+)?")]
    Number,
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Word,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[regex(r"==|!=|>=|<=|>|<|\?\?|\+|-|\*|/|=|\?")]
    Operator,
    #[token(".")]
    Dot,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
}

/// The reserved words of language.md §9 that read a value or continue an expression.
pub const EXPRESSION_KEYWORDS: &[&str] = &[
    "and", "or", "not", "in", "is", "set", "missing", "of", "did", "count", "last", "where",
    "within", "since", "enrolled", "now", "true", "false", "received",
];

/// The other reserved words: each opens a statement or a clause.
pub const STATEMENT_KEYWORDS: &[&str] = &[
    "when",
    "on",
    "add",
    "subtract",
    "at",
    "most",
    "times",
    "per",
    "every",
    "decay",
    "if",
    "else",
    "split",
    "wait",
    "until",
    "up",
    "to",
    "for",
    "start",
    "stop",
    "send",
    "notify",
    "tag",
    "untag",
    "retarget",
    "webhook",
    "exit",
    "goal",
    "enroll",
    "once",
    "only",
    "policy",
    "frequency",
    "quiet",
    "hours",
    "suppress",
    "test",
    "expect",
    "after",
    "lead",
    "event",
    "enum",
    "score",
    "list",
    "workflow",
    "campaign",
    "as",
    "weekday",
];

/// Words that open a top-level declaration: where the parser resumes after a syntax error,
/// and where the pre-parse scan starts counting afresh.
pub const DECLARATION_WORDS: &[&str] = &[
    "campaign", "lead", "enum", "event", "score", "list", "on", "workflow", "policy", "test",
];

/// Every reserved word.
pub fn keywords() -> impl Iterator<Item = &'static str> {
    EXPRESSION_KEYWORDS
        .iter()
        .chain(STATEMENT_KEYWORDS)
        .copied()
}

pub fn is_keyword(word: &str) -> bool {
    EXPRESSION_KEYWORDS.contains(&word) || STATEMENT_KEYWORDS.contains(&word)
}

/// A token and its byte range; `None` for bytes no token matches.
pub fn tokens(source: &str) -> impl Iterator<Item = (Option<Token>, std::ops::Range<usize>)> + '_ {
    Token::lexer(source)
        .spanned()
        .map(|(tok, range)| (tok.ok(), range))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Token> {
        tokens(src)
            .filter_map(|(t, _)| t)
            .filter(|t| *t != Token::Whitespace)
            .collect()
    }

    #[test]
    fn literals_are_told_apart() {
        assert_eq!(
            kinds("3d 50% 10:00 2026-03-02T09:00:00Z 1.5"),
            vec![
                Token::Duration,
                Token::Percent,
                Token::TimeOfDay,
                Token::Instant,
                Token::Number
            ]
        );
    }

    #[test]
    fn an_unclosed_string_stops_at_the_line_end() {
        assert_eq!(kinds("\"abc\nx"), vec![Token::UnclosedString, Token::Word]);
        assert_eq!(kinds(r#""a\"b""#), vec![Token::String]);
    }
}

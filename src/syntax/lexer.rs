//! A flat token stream (logos) for tools that must not depend on a file parsing: REPL
//! highlighting and completion, and the pre-parse safety checks (nesting depth, unclosed
//! strings). The grammar in `grammar/nurture.pest` stays the single source of truth for syntax;
//! this is the one other reader of strings (`read_text`), and a test holds its word lists to
//! the grammar's.

use logos::{Lexer, Logos};

/// How many `{…}` interpolations one text may hold (a string inside an interpolation is a
/// text of its own). A message a person writes has a handful; a generated one of a million
/// would take seconds and gigabytes to parse and check.
pub const MAX_INTERPOLATIONS: usize = 256;

#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
#[logos(extras = After)]
pub enum Token {
    #[regex(r"[ \t\r\n\u{FEFF}]+")]
    Whitespace,
    #[regex(r"//[^\n]*")]
    Comment,
    /// A string, with the strings inside its interpolations; or a regex after `matches`.
    #[token("\"", read_text)]
    String(Text),
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
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*", note_word)]
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
    "holdout",
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

/// What the lexer remembers between tokens: where the last `matches` ended, as the string
/// after it is a regex, which does not interpolate.
#[derive(Default)]
pub struct After {
    matches: Option<usize>,
}

fn note_word(lex: &mut Lexer<Token>) {
    lex.extras.matches = (lex.slice() == "matches").then_some(lex.span().end);
}

/// A string token as the grammar reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    /// Whether it closes on its line; an unclosed one runs to the end of the line.
    pub closed: bool,
    /// A regex (the string right after `matches`): no interpolations.
    pub regex: bool,
    /// How deeply its interpolations nest.
    pub deepest: usize,
    /// Where the first interpolation past `MAX_INTERPOLATIONS` in one text opens, if any.
    pub crowded: Option<usize>,
}

/// Reads the string whose opening quote was just lexed, and moves the lexer past it.
fn read_text(lex: &mut Lexer<Token>) -> Text {
    let start = lex.span().start;
    let source = lex.source();
    let regex = lex
        .extras
        .matches
        .is_some_and(|end| only_trivia(&source[end..start]));
    let (end, text) = if regex {
        read_regex(source, start)
    } else {
        read_interpolated(source, start)
    };
    lex.bump(end - lex.span().end);
    text
}

/// Whether a gap between tokens holds only whitespace and comments (a comment runs to its
/// line's end, so each line of the gap is blank or a comment).
fn only_trivia(gap: &str) -> bool {
    gap.split('\n').all(|line| {
        let line = line.trim_matches([' ', '\t', '\r', '\u{FEFF}']);
        line.is_empty() || line.starts_with("//")
    })
}

/// A regex: `\x` escapes, no interpolations; a line break ends it unclosed.
fn read_regex(source: &str, start: usize) -> (usize, Text) {
    let bytes = source.as_bytes();
    let mut i = start + 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\n' => break,
            b'\\' if bytes.get(i + 1).is_some_and(|&n| n != b'\n') => i += 1,
            b'"' => return (i + 1, text(true, true, 0, None)),
            _ => {}
        }
        i += 1;
    }
    (i.min(source.len()), text(false, true, 0, None))
}

fn text(closed: bool, regex: bool, deepest: usize, crowded: Option<usize>) -> Text {
    Text {
        closed,
        regex,
        deepest,
        crowded,
    }
}

/// A text: `\x` escapes, `{{` and `}}` are text, `{` opens an interpolation (an expression,
/// whose strings nest) that `}` closes; a line break ends it unclosed.
fn read_interpolated(source: &str, start: usize) -> (usize, Text) {
    let bytes = source.as_bytes();
    // Per level: inside a string's text (with the interpolations it has opened so far), or
    // inside an interpolation.
    let mut levels = vec![Some(0usize)];
    let (mut i, mut deepest, mut crowded) = (start + 1, 0, None);
    while let Some(&b) = bytes.get(i) {
        if b == b'\n' {
            break;
        }
        let level = levels.last_mut().expect("a level while reading");
        let next = bytes.get(i + 1).copied();
        match (level, b) {
            (Some(_), b'\\') if next != Some(b'\n') => i += 1,
            (Some(_), b'{' | b'}') if next == Some(b) => i += 1,
            (Some(_), b'"') => {
                levels.pop();
                if levels.is_empty() {
                    return (i + 1, text(true, false, deepest, crowded));
                }
            }
            (Some(opened), b'{') => {
                *opened += 1;
                if *opened > MAX_INTERPOLATIONS {
                    crowded.get_or_insert(i);
                }
                levels.push(None);
                deepest = deepest.max(levels.len() / 2);
            }
            (None, b'"') => levels.push(Some(0)),
            (None, b'}') => {
                levels.pop();
            }
            _ => {}
        }
        i += 1;
    }
    (i.min(source.len()), text(false, false, deepest, crowded))
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
            // Only whether a string closes and is a regex: the rest is tested below.
            .map(|t| match t {
                Token::String(t) => string(t.closed, t.regex),
                t => t,
            })
            .collect()
    }

    fn string(closed: bool, regex: bool) -> Token {
        Token::String(text(closed, regex, 0, None))
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
        assert_eq!(kinds("\"abc\nx"), vec![string(false, false), Token::Word]);
        assert_eq!(kinds(r#""a\"b""#), vec![string(true, false)]);
    }

    #[test]
    fn a_string_holds_the_strings_of_its_interpolations() {
        let src = r#""a {"b" + "{"c"}"} d" x"#;
        let toks: Vec<_> = tokens(src).collect();
        assert_eq!(toks[0].1, 0..src.len() - 2);
        assert!(matches!(toks[0].0, Some(Token::String(t)) if t.closed && t.deepest == 2));
    }

    #[test]
    fn the_string_after_matches_is_a_regex() {
        assert_eq!(
            kinds("matches // why\n \"[{]\" \"{\""),
            vec![
                Token::Word,
                Token::Comment,
                string(true, true),
                string(false, false)
            ]
        );
        // Only right after it: a number between ends the regex position.
        assert_eq!(
            kinds("matches 1 \"[{]\""),
            vec![Token::Word, Token::Number, string(false, false)]
        );
    }
}

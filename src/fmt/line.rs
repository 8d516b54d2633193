//! One logical line (a statement, or the part of one before a block) laid out: the spacing
//! between its tokens, and where it breaks when it is too long.

use std::borrow::Cow;

/// The widest a line may be before a condition in it is broken at `or`, then at `and`.
pub const WIDTH: usize = 100;
/// Spaces per level of indentation.
pub const INDENT: usize = 2;
/// How much further a continued line is indented than the line it continues.
pub const CONTINUATION: usize = 4;

/// Breaks, loosest first: before the value after a statement's `=`, before each `or` of
/// its condition, before each `and`.
pub(super) const ASSIGN: u8 = 1;
pub(super) const OR: u8 = 2;
pub(super) const AND: u8 = 3;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Class {
    /// A word, a literal, an operator: spaced from its neighbours.
    Word,
    /// Punctuation the grammar matches silently (`{`, `,`, `(`…).
    Punct,
    /// A unary minus: nothing between it and its operand.
    Prefix,
    /// A `//` comment: it ends its line.
    Comment,
    /// A line break the source had before an own-line comment.
    Break,
}

#[derive(Clone, Debug)]
pub(super) struct Tok<'a> {
    pub text: Cow<'a, str>,
    pub class: Class,
    /// Where the line may break before this token: `ASSIGN`, `OR`, `AND`, or 0 nowhere.
    pub brk: u8,
}

/// Whether a space goes between two tokens on one line.
fn space_between(a: &Tok<'_>, b: &Tok<'_>) -> bool {
    if a.class == Class::Prefix {
        return false;
    }
    if b.class == Class::Punct {
        match b.text.as_ref() {
            "," | ":" | ")" | "]" | "." | "?" | "<" | ">" => return false,
            "}" => return !(a.class == Class::Punct && a.text == "{"),
            _ => {}
        }
    }
    if b.text == "(" && a.text == "decide" {
        // `send email decide(next_offer)`: a call.
        return false;
    }
    if b.class == Class::Word && b.text == "?" {
        // `string?`: the optional mark is a rule of its own.
        return false;
    }
    if a.class == Class::Punct {
        return !matches!(a.text.as_ref(), "(" | "[" | "." | "<");
    }
    true
}

/// The tokens on one line with their spaces.
pub(super) fn join(toks: &[Tok<'_>]) -> String {
    let mut out = String::new();
    for (i, t) in toks.iter().enumerate() {
        if i > 0 && space_between(&toks[i - 1], t) {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    out
}

/// The physical lines of a logical line written at `indent` spaces: one per comment's end and
/// recorded break, and, where a part is wider than `WIDTH`, one per `or` of its condition
/// and then, if still too wide, one per `and`; each with its indentation (continued lines
/// `CONTINUATION` further).
///
/// `whole`: break no condition (the line a `// nurture: ignore` comment silences stays the
/// line it silences).
pub(super) fn lay_out(
    toks: &[Tok<'_>],
    indent: usize,
    continued: bool,
    whole: bool,
) -> Vec<String> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    let mut part: Vec<Tok<'_>> = Vec::new();
    let mut first = !continued;
    let flush = |part: &mut Vec<Tok<'_>>, lines: &mut Vec<(usize, String)>, first: &mut bool| {
        if part.is_empty() {
            return;
        }
        let at = if *first {
            indent
        } else {
            indent + CONTINUATION
        };
        let silencing = part
            .iter()
            .any(|t| t.class == Class::Comment && is_directive(&t.text));
        let level = if whole || silencing { AND + 1 } else { ASSIGN };
        for (n, l) in broken(part, at, indent + CONTINUATION, level)
            .into_iter()
            .enumerate()
        {
            let pad = if n == 0 { at } else { indent + CONTINUATION };
            lines.push((pad, l));
        }
        *first = false;
        part.clear();
    };
    for t in toks {
        match t.class {
            Class::Break => flush(&mut part, &mut lines, &mut first),
            Class::Comment => {
                part.push(t.clone());
                flush(&mut part, &mut lines, &mut first);
            }
            _ => part.push(t.clone()),
        }
    }
    flush(&mut part, &mut lines, &mut first);
    lines
        .into_iter()
        .map(|(pad, l)| format!("{}{l}", " ".repeat(pad)))
        .collect()
}

/// Whether a comment is a `// nurture: …` directive, such as `ignore`.
pub(super) fn is_directive(comment: &str) -> bool {
    comment
        .trim_start_matches('/')
        .trim_start()
        .starts_with("nurture:")
}

/// A part of a line that is too wide broken at its loosest breaks first: after an `=`, then
/// at the `or`s of its condition, then at the `and`s; each piece still too wide at the next.
/// The first piece starts at `at`, the others at `cont`.
fn broken(part: &[Tok<'_>], at: usize, cont: usize, level: u8) -> Vec<String> {
    let one = join(part);
    if at + one.chars().count() <= WIDTH || level > AND {
        return vec![one];
    }
    let pieces = split_at_level(part, level);
    let mut out = Vec::new();
    for (n, piece) in pieces.into_iter().enumerate() {
        let here = if n == 0 { at } else { cont };
        out.extend(broken(piece, here, cont, level + 1));
    }
    out
}

fn split_at_level<'t, 'a>(toks: &'t [Tok<'a>], level: u8) -> Vec<&'t [Tok<'a>]> {
    let mut pieces = Vec::new();
    let mut from = 0;
    for (i, t) in toks.iter().enumerate() {
        if i > from && t.brk == level {
            pieces.push(&toks[from..i]);
            from = i;
        }
    }
    pieces.push(&toks[from..]);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(text: &'static str, class: Class, brk: u8) -> Tok<'static> {
        Tok {
            text: Cow::Borrowed(text),
            class,
            brk,
        }
    }

    #[test]
    fn punctuation_hugs_its_neighbours() {
        let toks = [
            tok("tags", Class::Word, 0),
            tok(":", Class::Punct, 0),
            tok("list", Class::Word, 0),
            tok("<", Class::Punct, 0),
            tok("string", Class::Word, 0),
            tok(">", Class::Punct, 0),
            tok("?", Class::Word, 0),
            tok(",", Class::Punct, 0),
            tok("{", Class::Punct, 0),
            tok("}", Class::Punct, 0),
            tok("-", Class::Prefix, 0),
            tok("1", Class::Word, 0),
        ];
        assert_eq!(join(&toks), "tags: list<string>?, {} -1");
    }

    #[test]
    fn a_long_condition_breaks_at_or_before_and() {
        let long = "x".repeat(60);
        let long: &'static str = Box::leak(long.into_boxed_str());
        let toks = [
            tok("goal", Class::Word, 0),
            tok(long, Class::Word, 0),
            tok("and", Class::Word, AND),
            tok("b", Class::Word, 0),
            tok("or", Class::Word, OR),
            tok(long, Class::Word, 0),
        ];
        let lines = lay_out(&toks, 2, false, false);
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(lines[1].starts_with("      or "), "{lines:#?}");
    }
}

//! The pest tree with the text between its pairs put back: each node's children in order,
//! interleaved with the grammar's silent literals (`{`, `,`, `=`…) and the comments, each
//! knowing how many line breaks came before it.
//!
//! Pest may end a rule's span after whitespace and comments that follow its last token (an
//! optional part that did not match leaves them inside). Those comments are handed up to the
//! parent here, so a node ends at its last token and a comment on the next line belongs to the
//! block around it, not to the statement above it.

use crate::syntax::parser::Rule;
use pest::iterators::Pair;

/// A node of the tree: a leaf printed as written, or its elements.
pub(super) struct Node<'a> {
    pub rule: Rule,
    /// The text of a leaf, as written (its end trimmed).
    pub text: &'a str,
    pub leaf: bool,
    pub elems: Vec<Elem<'a>>,
}

/// A child node, a literal of the grammar, or a comment; with the line breaks before it.
pub(super) struct Elem<'a> {
    pub newlines: usize,
    pub kind: Kind<'a>,
}

pub(super) enum Kind<'a> {
    Node(Node<'a>),
    /// A literal the grammar matches silently: punctuation, or a word written into a rule.
    Token(&'a str),
    /// A `//` comment, without its line break and trailing spaces.
    Comment(&'a str),
}

/// Rules printed as written even though pest gives them inner pairs: the text is one token
/// (a string keeps its spacing, a name its dots).
const VERBATIM: &[Rule] = &[
    Rule::string,
    Rule::regex,
    Rule::quoted_event,
    Rule::event_name,
    Rule::lead_attr,
    Rule::path,
    Rule::instant,
    Rule::time_of_day,
    Rule::duration,
    Rule::percent,
    Rule::number,
    Rule::integer,
    Rule::signed_number,
    Rule::word,
    Rule::ident,
    Rule::compare_op,
];

/// Literals of more than one character that the grammar may hold (today `??`; the others
/// are read whole so that a rule added later keeps them).
const LONG_TOKENS: &[&str] = &["??", "->", "=>", "==", "!=", ">=", "<=", ".."];

/// The tree of a parsed file, its root the `file` pair.
pub(super) fn build<'a>(source: &'a str, file: Pair<'a, Rule>) -> Node<'a> {
    let mut b = Builder {
        source,
        newlines: 0,
    };
    let (mut root, trailing) = b.node(file);
    root.elems.extend(trailing);
    root
}

struct Builder<'a> {
    source: &'a str,
    /// Line breaks seen since the last element.
    newlines: usize,
}

impl<'a> Builder<'a> {
    /// A node and the comments at its end that belong to its parent.
    fn node(&mut self, pair: Pair<'a, Rule>) -> (Node<'a>, Vec<Elem<'a>>) {
        let rule = pair.as_rule();
        let span = pair.as_span();
        let (start, end) = (span.start(), span.end());
        let mut inner = pair.into_inner().peekable();
        if inner.peek().is_none() || VERBATIM.contains(&rule) {
            let text = self.source[start..end].trim_end();
            let mut trailing = Vec::new();
            self.gap(start + text.len(), end, &mut trailing);
            let node = Node {
                rule,
                text,
                leaf: true,
                elems: Vec::new(),
            };
            return (node, trailing);
        }
        let mut elems = Vec::new();
        let mut at = start;
        for child in inner {
            if child.as_rule() == Rule::EOI {
                continue;
            }
            let (child_start, child_end) = (child.as_span().start(), child.as_span().end());
            self.gap(at, child_start, &mut elems);
            let newlines = std::mem::take(&mut self.newlines);
            let (node, trailing) = self.node(child);
            elems.push(Elem {
                newlines,
                kind: Kind::Node(node),
            });
            elems.extend(trailing);
            at = child_end;
        }
        self.gap(at, end, &mut elems);
        // The comments after the last token are the parent's.
        let keep = elems
            .iter()
            .rposition(|e| !matches!(e.kind, Kind::Comment(_)))
            .map_or(0, |i| i + 1);
        let trailing = elems.split_off(keep);
        let node = Node {
            rule,
            text: self.source[start..end].trim_end(),
            leaf: false,
            elems,
        };
        (node, trailing)
    }

    /// The literals and comments in `source[from..to]`, text no pair covers.
    fn gap(&mut self, from: usize, to: usize, out: &mut Vec<Elem<'a>>) {
        let text = &self.source[from..to.max(from)];
        let mut i = 0;
        while i < text.len() {
            let rest = &text[i..];
            let c = rest.chars().next().expect("inside the text");
            if c == '\n' {
                self.newlines += 1;
                i += 1;
            } else if c.is_whitespace() || c == '\u{FEFF}' {
                i += c.len_utf8();
            } else if rest.starts_with("//") {
                let len = rest.find('\n').unwrap_or(rest.len());
                self.push(out, Kind::Comment(rest[..len].trim_end()));
                i += len;
            } else {
                let len = token_len(rest);
                self.push(out, Kind::Token(&rest[..len]));
                i += len;
            }
        }
    }

    fn push(&mut self, out: &mut Vec<Elem<'a>>, kind: Kind<'a>) {
        let newlines = std::mem::take(&mut self.newlines);
        out.push(Elem { newlines, kind });
    }
}

/// The length of the literal at the start of `rest`: a word, a known long operator, or one
/// character.
fn token_len(rest: &str) -> usize {
    let word = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    if word > 0 {
        return word;
    }
    if let Some(t) = LONG_TOKENS.iter().find(|t| rest.starts_with(**t)) {
        return t.len();
    }
    rest.chars().next().map_or(1, char::len_utf8)
}

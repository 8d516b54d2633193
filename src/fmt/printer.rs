//! The walk over the tree that writes the canonical layout: blocks one statement a line,
//! declarations apart, comments and paragraphs where they were, columns aligned.
//!
//! Rules it knows nothing special about (syntax added later) are printed token by token with
//! the usual spacing, and a `{ … }` of theirs that spanned lines stays a block, so a new
//! construct comes out readable and, above all, with its meaning unchanged.

use super::align;
use super::line::{
    is_directive, join, lay_out, Class, Tok, AND, ASSIGN, CONTINUATION, INDENT, OR, WIDTH,
};
use super::tree::{Elem, Kind, Node};
use crate::syntax::parser::Rule;
use std::borrow::Cow;

/// Rules whose `{ … }` always holds one statement a line.
const BLOCKS: &[Rule] = &[
    Rule::lead_decl,
    Rule::score_block,
    Rule::workflow,
    Rule::block,
    Rule::split_step,
    Rule::policy,
    Rule::test_decl,
    Rule::decide_decl,
];

/// Rules whose `{ … }` stays on its line as written unless the line would pass `WIDTH`: an
/// enum's values, an event's properties, an object.
const INLINE_BRACES: &[Rule] = &[Rule::enum_decl, Rule::prop_block, Rule::object];

/// Where a run of statements stands: each kind lays out blank lines and columns its way.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// The file: declarations, one blank line around each that holds a block.
    Top,
    /// A score's rules: their `add N` and `at most` columns aligned.
    Score,
    /// A decision's rows: their `->` column aligned.
    Decide,
    /// Any other block.
    Block,
}

#[derive(Default)]
pub(super) struct Printer<'a> {
    pub out: String,
    /// Levels of indentation.
    indent: usize,
    /// The tokens of the line being built.
    line: Vec<Tok<'a>>,
    /// Whether the statement being written has already written a line (what comes now is a
    /// continuation, indented further).
    continued: bool,
    /// How many `expr` nodes the walk is inside: a statement's own condition is at depth 1,
    /// and only it breaks at `or` and `and`.
    expr_depth: usize,
    /// Whether the last token was a statement's `=`.
    after_assign: bool,
    /// Whether the statement being written follows a `// nurture: ignore` line: it is not
    /// broken, so the comment still covers the line after it.
    whole: bool,
    /// Whether every `{ … }` is laid out on the line (the one-line form of `with { … }` data).
    flat: bool,
    /// How many `{ … }` written on one line were put across lines for their width
    /// (`too_wide`).
    wide_breaks: usize,
}

impl<'a> Printer<'a> {
    fn push(&mut self, text: impl Into<Cow<'a, str>>, class: Class, brk: u8) {
        let text = text.into();
        // The value after a statement's own `=` may go to the next line.
        let brk = match self.after_assign {
            true if class != Class::Comment && brk == 0 => ASSIGN,
            _ => brk,
        };
        self.after_assign = class == Class::Punct && text == "=" && self.expr_depth == 0;
        self.line.push(Tok { text, class, brk });
    }

    /// Writes the line being built.
    fn flush(&mut self) {
        if self.line.is_empty() {
            return;
        }
        for l in lay_out(&self.line, self.indent * INDENT, self.continued, self.whole) {
            self.out.push_str(l.trim_end());
            self.out.push('\n');
        }
        self.line.clear();
        self.continued = true;
    }

    pub(super) fn end_statement(&mut self) {
        self.flush();
        self.continued = false;
    }

    fn blank_line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn node(&mut self, n: &'a Node<'a>) {
        if n.leaf {
            let class = if n.rule == Rule::neg_op {
                Class::Prefix
            } else {
                Class::Word
            };
            self.push(n.text, class, 0);
            return;
        }
        match n.rule {
            Rule::score_block => self.block(n, Place::Score),
            Rule::decide_decl => self.block(n, Place::Decide),
            Rule::with_data if !self.flat => self.with_data(n),
            r if INLINE_BRACES.contains(&r) && self.too_wide(n) => {
                self.wide_breaks += 1;
                self.block(n, Place::Block)
            }
            r if BLOCKS.contains(&r) || (!self.flat && multiline_braces(n)) => {
                self.block(n, Place::Block)
            }
            Rule::expr => {
                self.expr_depth += 1;
                self.elems(&n.elems);
                self.expr_depth -= 1;
            }
            Rule::or_expr | Rule::and_expr if self.expr_depth == 1 => {
                for e in &n.elems {
                    match &e.kind {
                        Kind::Node(k) if k.rule == Rule::kw_or => {
                            self.push(k.text, Class::Word, OR)
                        }
                        Kind::Node(k) if k.rule == Rule::kw_and => {
                            self.push(k.text, Class::Word, AND)
                        }
                        _ => self.elem(e),
                    }
                }
            }
            _ => self.elems(&n.elems),
        }
    }

    fn elems(&mut self, elems: &'a [Elem<'a>]) {
        for e in elems {
            self.elem(e);
        }
    }

    /// One element inside a statement.
    fn elem(&mut self, e: &'a Elem<'a>) {
        match &e.kind {
            Kind::Node(n) => self.node(n),
            Kind::Token(t) => self.push(*t, token_class(t), 0),
            Kind::Comment(c) => {
                if e.newlines > 0 && !self.line.is_empty() {
                    self.push("", Class::Break, 0);
                }
                self.push(*c, Class::Comment, 0);
            }
        }
    }

    /// A node with a `{ … }` of statements: what comes before the brace on the line, each
    /// statement inside on its own line one level in, and the closing brace back out.
    fn block(&mut self, n: &'a Node<'a>, place: Place) {
        self.block_shifted(n, place, 0);
    }

    /// `block`, its statements `shift` levels further in and its `}` on a continued line when
    /// `shift` is not 0 (the fields of `with { … }` data under a continued `with`).
    fn block_shifted(&mut self, n: &'a Node<'a>, place: Place, shift: usize) {
        let Some((open, close)) = braces(n) else {
            self.elems(&n.elems);
            return;
        };
        self.elems(&n.elems[..open]);
        self.push("{", Class::Punct, 0);
        let mut inner = &n.elems[open + 1..close];
        if !inner.is_empty() {
            // A comment on the brace's line stays there.
            if let Some(Elem {
                newlines: 0,
                kind: Kind::Comment(c),
            }) = inner.first()
            {
                self.push(*c, Class::Comment, 0);
                inner = &inner[1..];
            }
            self.end_statement();
            self.indent += 1 + shift;
            let depth = std::mem::take(&mut self.expr_depth);
            self.statements(inner, place);
            self.expr_depth = depth;
            self.end_statement();
            self.whole = false;
            self.indent -= 1 + shift;
            self.continued = shift > 0;
        }
        self.push("}", Class::Punct, 0);
        self.elems(&n.elems[close + 1..]);
    }

    /// A run of statements (or declarations), one a line: blank lines where the source had
    /// them (one at most) and, at the top, between declarations but for a run of one-line
    /// declarations of a kind, and around each that holds a block; a comment on a
    /// statement's line stays on it.
    pub(super) fn statements(&mut self, elems: &'a [Elem<'a>], place: Place) {
        let rows = align::rows(elems, place, self.indent * INDENT);
        // The last statement or comment: a declaration's kind, and whether it holds a block.
        let mut prev: Option<Option<(Rule, bool)>> = None;
        // Whether the last line held a `// nurture: ignore` comment.
        let mut directive = false;
        for (i, e) in elems.iter().enumerate() {
            match &e.kind {
                Kind::Comment(c) if e.newlines == 0 && prev.is_some() => {
                    self.push(*c, Class::Comment, 0);
                    self.flush();
                    // It silences the next line too.
                    directive = is_directive(c);
                }
                Kind::Comment(c) => {
                    self.end_statement();
                    let forced = place == Place::Top && matches!(prev, Some(Some((_, true))));
                    if prev.is_some() && (e.newlines >= 2 || forced) {
                        self.blank_line();
                    }
                    self.whole = false;
                    self.push(*c, Class::Comment, 0);
                    self.end_statement();
                    directive = is_directive(c);
                    prev = Some(None);
                }
                Kind::Node(n) => {
                    self.end_statement();
                    self.whole = std::mem::take(&mut directive);
                    let mut block = holds_block(n);
                    // Declarations stand apart, but for a run of one-line ones of a kind.
                    let forced = place == Place::Top
                        && matches!(prev, Some(Some((rule, was_block)))
                            if was_block || block || rule != n.rule);
                    if prev.is_some() && (e.newlines >= 2 || forced) {
                        self.blank_line();
                    }
                    let start = self.out.len();
                    let wide_before = self.wide_breaks;
                    match &rows[i] {
                        Some(row) => self.push(row.clone(), Class::Word, 0),
                        None => self.node(n),
                    }
                    if place == Place::Top && self.wide_breaks > wide_before && !block {
                        // A brace just put across lines for its width makes this a block, as
                        // the next formatting will see it: apart from the declaration before.
                        block = true;
                        let before = &self.out[..start];
                        if matches!(prev, Some(Some(_))) && !before.ends_with("\n\n") {
                            self.out.insert(start, '\n');
                        }
                    }
                    prev = Some(Some((n.rule, block)));
                }
                Kind::Token(t) => self.push(*t, token_class(t), 0),
            }
        }
    }

    /// `with { … }` data: on the statement's line if the line then fits (or may not be
    /// broken), else on a continued line of its own, else one field a line under `with {`.
    /// Only the width decides, not how the source was laid out, so the result is a fixed point.
    fn with_data(&mut self, n: &'a Node<'a>) {
        let all: Vec<&'a Elem<'a>> = n.elems.iter().collect();
        if let Some(flat) = Printer::inline(&all, true) {
            let width = flat.chars().count();
            if self.whole || self.column() + 1 + width <= WIDTH {
                self.push(flat, Class::Word, 0);
                return;
            }
            if self.indent * INDENT + CONTINUATION + width <= WIDTH {
                self.flush();
                self.push(flat, Class::Word, 0);
                return;
            }
        }
        self.flush();
        let object = n
            .elems
            .iter()
            .position(|e| matches!(&e.kind, Kind::Node(o) if o.rule == Rule::object));
        let Some(object) = object else {
            self.elems(&n.elems);
            return;
        };
        self.elems(&n.elems[..object]);
        if let Kind::Node(o) = &n.elems[object].kind {
            self.block_shifted(o, Place::Block, 2);
        }
        self.elems(&n.elems[object + 1..]);
    }

    /// Whether a `{ … }` written on one line would take the line being built past `WIDTH`
    /// (it is then put one item a line, and stays so: the source then has it across lines).
    /// Never on a line a `// nurture: ignore` silences, nor when everything is on one line.
    fn too_wide(&self, n: &'a Node<'a>) -> bool {
        if self.flat || self.whole || multiline_braces(n) || braces(n).is_none() {
            return false;
        }
        let elems: Vec<&'a Elem<'a>> = n.elems.iter().collect();
        let Some(flat) = Printer::inline(&elems, false) else {
            return false;
        };
        let space = usize::from(!self.line.is_empty());
        self.column() + space + flat.chars().count() > WIDTH
    }

    /// The column the line being built would end at, written on one line.
    fn column(&self) -> usize {
        let cut = self
            .line
            .iter()
            .rposition(|t| matches!(t.class, Class::Comment | Class::Break));
        let (start, toks) = match cut {
            Some(i) => (CONTINUATION, &self.line[i + 1..]),
            None if self.continued => (CONTINUATION, &self.line[..]),
            None => (0, &self.line[..]),
        };
        self.indent * INDENT + start + join(toks).chars().count()
    }

    /// Elements laid out on one line, or `None` when they hold a block or a comment; `flat`:
    /// every `{ … }` on the line, however the source had it.
    pub(super) fn inline(elems: &[&'a Elem<'a>], flat: bool) -> Option<String> {
        let mut p = Printer {
            flat,
            ..Printer::default()
        };
        for e in elems {
            p.elem(e);
        }
        let plain = p
            .line
            .iter()
            .all(|t| !matches!(t.class, Class::Comment | Class::Break));
        (p.out.is_empty() && plain).then(|| join(&p.line))
    }
}

fn token_class(t: &str) -> Class {
    if t.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        Class::Word
    } else {
        Class::Punct
    }
}

/// The node's own `{` and its last `}`.
fn braces(n: &Node<'_>) -> Option<(usize, usize)> {
    let is = |e: &Elem<'_>, s: &str| matches!(e.kind, Kind::Token(t) if t == s);
    let open = n.elems.iter().position(|e| is(e, "{"))?;
    let close = n.elems.iter().rposition(|e| is(e, "}"))?;
    (open < close).then_some((open, close))
}

/// Whether a node's own `{ … }` spanned lines in the source: such a brace of a rule with no
/// layout of its own (an enum, an object, syntax added later) stays a block.
fn multiline_braces(n: &Node<'_>) -> bool {
    braces(n).is_some_and(|(open, close)| n.elems[open + 1..=close].iter().any(|e| e.newlines > 0))
}

/// Whether a declaration holds a block (it is kept apart from its neighbours by blank lines).
fn holds_block(n: &Node<'_>) -> bool {
    let is_block = |n: &Node<'_>| {
        BLOCKS.contains(&n.rule) || n.rule == Rule::score_block || multiline_braces(n)
    };
    is_block(n)
        || n.elems
            .iter()
            .any(|e| matches!(&e.kind, Kind::Node(c) if is_block(c)))
}

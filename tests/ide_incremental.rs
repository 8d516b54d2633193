//! The language server's incremental re-check (`ide::Document::edit`, which parses again only
//! the declarations around an edit): after any sequence of edits, the document edited version
//! by version says what a document read afresh from the same text says: the same
//! diagnostics, the same syntax tree, the same names and places.

use nurture::ide::{outline, Document};
use proptest::prelude::*;

#[path = "../benches/support/campaign.rs"]
mod campaign;

/// What is edited: every example, the contract, and a generated campaign.
fn sources() -> Vec<String> {
    let mut out: Vec<String> = [
        include_str!("../examples/b2b_scoring.nurture"),
        include_str!("../examples/cart_recovery.nurture"),
        include_str!("../examples/coupon_leadgen.nurture"),
        include_str!("../examples/ebook_welcome.nurture"),
        include_str!("../examples/fashion_segments.nurture"),
        include_str!("../examples/post_purchase.nurture"),
        include_str!("fixtures/contract.nurture"),
    ]
    .map(str::to_string)
    .to_vec();
    out.push(campaign::campaign(1));
    out
}

/// What may be typed: characters that open and close things, words that continue a
/// declaration or start one, a quote, a comment, a bad literal.
const TYPED: &[&str] = &[
    " ",
    "x",
    "\n",
    "\n\n",
    "{",
    "}",
    "\"",
    "// ",
    "1",
    "d",
    ".",
    "= ",
    "and ",
    " or lead.email is set",
    "list",
    "list extra = true\n",
    "event typed.in { n: int }\n",
    "on typed.in start nowhere\n",
    "workflow half {\n",
    "policy { quiet hours 25:00 to 08:00 }\n",
    "score s { on email.opened add 1 }\n",
    "é",
];

#[derive(Debug, Clone)]
enum Edit {
    /// Text typed at a place.
    Type { at: u32, what: usize },
    /// Text typed at the start of a line (between declarations, often).
    TypeLine { line: u32, what: usize },
    /// Some text deleted.
    Delete { at: u32, len: u8 },
    /// A whole line deleted (a rule of a score, a step, often).
    DeleteLine { line: u32 },
    /// Lines of the text copied to the start of another (a declaration copied, say).
    Paste { from: u32, lines: u8, to: u32 },
}

fn edit() -> impl Strategy<Value = Edit> {
    let typed = 0..TYPED.len();
    prop_oneof![
        3 => (any::<u32>(), typed.clone()).prop_map(|(at, what)| Edit::Type { at, what }),
        3 => (any::<u32>(), typed).prop_map(|(line, what)| Edit::TypeLine { line, what }),
        2 => (any::<u32>(), any::<u8>()).prop_map(|(at, len)| Edit::Delete { at, len }),
        2 => any::<u32>().prop_map(|line| Edit::DeleteLine { line }),
        1 => (any::<u32>(), 1..12u8, any::<u32>())
            .prop_map(|(from, lines, to)| Edit::Paste { from, lines, to }),
    ]
}

/// A character boundary of `text` chosen by `seed`.
fn place(text: &str, seed: u32) -> usize {
    let mut at = seed as usize % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The start of a line of `text` chosen by `seed` (the end of the text counts as one).
fn line_start(text: &str, seed: u32) -> usize {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    starts[seed as usize % starts.len()]
}

fn apply(text: &str, e: &Edit) -> String {
    let mut out = text.to_string();
    let line_end = |from: usize| text[from..].find('\n').map_or(text.len(), |i| from + i + 1);
    match *e {
        Edit::Type { at, what } => out.insert_str(place(text, at), TYPED[what]),
        Edit::TypeLine { line, what } => out.insert_str(line_start(text, line), TYPED[what]),
        Edit::Delete { at, len } => {
            let from = place(text, at);
            let to = place(text, (from + len as usize) as u32).max(from);
            out.replace_range(from..to, "");
        }
        Edit::DeleteLine { line } => {
            let from = line_start(text, line);
            out.replace_range(from..line_end(from), "");
        }
        Edit::Paste { from, lines, to } => {
            let from = line_start(text, from);
            let mut end = from;
            for _ in 0..lines {
                end = line_end(end);
            }
            out.insert_str(line_start(text, to), &text[from..end]);
        }
    }
    out
}

/// The edited document says what a fresh one says.
fn same(edited: &Document, fresh: &Document) {
    let text = &fresh.text;
    assert_eq!(edited.text, *text);
    assert_eq!(
        edited.diagnostics(),
        fresh.diagnostics(),
        "diagnostics differ for:\n{text}"
    );
    assert_eq!(
        edited.analysis.parsed.file, fresh.analysis.parsed.file,
        "syntax trees differ for:\n{text}"
    );
    assert_eq!(
        edited.analysis.program.is_some(),
        fresh.analysis.program.is_some()
    );
    let (a, b) = (edited.index(), fresh.index());
    assert_eq!(a.symbols, b.symbols, "symbols differ for:\n{text}");
    assert_eq!(a.occurrences, b.occurrences, "places differ for:\n{text}");
    assert_eq!(
        outline(edited),
        outline(fresh),
        "outlines differ for:\n{text}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn any_edits_leave_the_document_as_a_fresh_reading_would(
        source in 0..8usize,
        edits in proptest::collection::vec(edit(), 1..24),
    ) {
        let mut text = sources().swap_remove(source);
        let mut doc = Document::new(text.clone());
        for e in &edits {
            text = apply(&text, e);
            doc.edit(text.clone());
            same(&doc, &Document::new(text.clone()));
        }
    }
}

#[test]
fn typing_a_declaration_letter_by_letter_matches_at_every_keystroke() {
    let base = campaign::campaign(1);
    let at = base.find("\nlist ").expect("a list") + 1;
    // Typed on a line of its own, made empty first.
    let typed = "list keen = did product1.viewed within 7d and lead.email is set";
    let mut doc = Document::new(base.clone());
    for n in 1..=typed.len() {
        let text = format!("{}{}\n{}", &base[..at], &typed[..n], &base[at..]);
        doc.edit(text.clone());
        same(&doc, &Document::new(text));
    }
    // And deleted again, letter by letter from the end.
    for n in (0..typed.len()).rev() {
        let text = format!("{}{}\n{}", &base[..at], &typed[..n], &base[at..]);
        doc.edit(text.clone());
        same(&doc, &Document::new(text));
    }
}

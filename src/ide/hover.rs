//! Hover: what a name is (its kind and type, a score's rules, a list's definition, an event's
//! schema) or what a reserved word does.

use super::symbols::{Kind, Symbol};
use super::Document;
use crate::lang::span::Span;

/// The longest declaration quoted whole; a longer one is cut, saying how many lines are left.
const MAX_QUOTED_LINES: usize = 24;

/// The hover text (Markdown) for the word at `offset`, and the span it is about.
pub fn hover(doc: &Document, offset: usize) -> Option<(Span, String)> {
    if let Some(o) = doc.index().at(offset) {
        let symbol = &doc.index().symbols[o.symbol];
        return Some((o.span, describe(doc, symbol)));
    }
    let (start, end) = word_around(&doc.text, offset);
    let word = &doc.text[start..end];
    let text = super::keywords::doc(word)?;
    Some((
        Span::new(start, end),
        format!("**{word}** (reserved word)\n\n{text}"),
    ))
}

/// The word (letters, digits, `_`) around a byte offset.
pub(super) fn word_around(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is_word(*c))
        .map_or(text.len(), |(i, _)| offset + i);
    (start, end)
}

fn describe(doc: &Document, s: &Symbol) -> String {
    let source = if s.builtin {
        crate::check::PRELUDE
    } else {
        doc.text.as_str()
    };
    let quoted = s
        .decl
        .map(|d| quote(&source[d.range()]))
        .unwrap_or_default();
    let from = if s.builtin { " (from the prelude)" } else { "" };
    match s.kind {
        Kind::Score => format!("**score `{}`**: a number per lead\n\n{quoted}", s.name),
        Kind::List => format!(
            "**list `{}`**: a lead is in it while its condition holds (`true`/`false` in a condition)\n\n{quoted}",
            s.name
        ),
        Kind::Event => format!("**event `{}`**{from}\n\n{quoted}", s.name),
        Kind::Property => {
            let ty = s
                .decl
                .and_then(|d| source[d.range()].split_once(':'))
                .map_or("", |(_, ty)| ty.trim());
            format!(
                "**property `{}`** of event `{}`{from}: `{ty}`",
                s.name,
                s.container.as_deref().unwrap_or("")
            )
        }
        Kind::Attribute => match s.decl {
            Some(d) => format!("**lead attribute** `lead.{}`\n\n{}", s.name, quote(&source[d.range()])),
            None => format!(
                "**lead attribute** `lead.{}`: `list<string>`, built in: the tags `tag` and `untag` set",
                s.name
            ),
        },
        Kind::Workflow => format!("**workflow `{}`**\n\n{quoted}", s.name),
        Kind::Decision => format!(
            "**decision `{}`**: its rows are tried top to bottom for a lead, the first that holds gives the value\n\n{quoted}",
            s.name
        ),
        Kind::Enum => format!("**enum `{}`**\n\n{quoted}", s.name),
        Kind::Variant => format!(
            "**`{}`**, a value of enum `{}`\n\n{quoted}",
            s.name,
            s.container.as_deref().unwrap_or("")
        ),
        Kind::Template => {
            let uses = (doc.index().find(Kind::Template, &s.name))
                .map_or(0, |id| doc.index().references(id).count());
            format!("**template `\"{}\"`**, named {uses} times in this file", s.name)
        }
    }
}

/// A declaration as a Nurture code block, cut after `MAX_QUOTED_LINES` lines.
fn quote(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let shown = lines.len().min(MAX_QUOTED_LINES);
    let mut out = format!("```nurture\n{}\n```", lines[..shown].join("\n"));
    if lines.len() > shown {
        out.push_str(&format!("\n\n… {} more lines", lines.len() - shown));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hover_shows_a_scores_rules_a_types_and_a_keywords_doc() {
        let text =
            "lead { size: int? }\nscore fit { when lead.size is set add 5 }\nlist big = fit > 3\n";
        let doc = Document::new(text.to_string());
        let (span, fit) = hover(&doc, text.find("fit >").unwrap() + 1).unwrap();
        assert_eq!(&text[span.range()], "fit");
        assert!(
            fit.contains("score `fit`") && fit.contains("when lead.size is set add 5"),
            "{fit}"
        );
        let (_, size) = hover(&doc, text.find("size is").unwrap()).unwrap();
        assert!(size.contains("size: int?"), "{size}");
        let (_, when) = hover(&doc, text.find("when").unwrap()).unwrap();
        assert!(when.contains("holds while its condition does"), "{when}");
        assert!(hover(&doc, text.find("3").unwrap()).is_none());
    }
}

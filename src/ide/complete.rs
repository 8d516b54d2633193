//! Completion by position: what may be written where the cursor is, read from the words
//! before it on its line and the declaration it stands in.

use super::symbols::{Kind, Symbol};
use super::Document;
use crate::lang::modes::Channel;
use crate::lang::span::Span;
use crate::syntax::lexer::{self, Token, DECLARATION_WORDS, EXPRESSION_KEYWORDS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    Event,
    Property,
    Attribute,
    Score,
    List,
    Workflow,
    Template,
    Value,
    Keyword,
    Snippet,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
    /// What to insert, when not the label: a snippet with `${1:…}` stops.
    pub snippet: Option<String>,
}

impl Completion {
    fn new(label: impl Into<String>, kind: CompletionKind) -> Completion {
        Completion {
            label: label.into(),
            kind,
            detail: None,
            snippet: None,
        }
    }

    fn detail(mut self, detail: impl Into<String>) -> Completion {
        self.detail = Some(detail.into());
        self
    }
}

const SNIPPETS: &[(&str, &str, &str)] = &[
    (
        "workflow",
        "a workflow: settings, then steps",
        "workflow ${1:name} \"${2:What it does}\" {\n  enroll once\n  only if ${3:lead.email is set}\n\n  send email \"${4:template}\"\n  wait ${5:2d}\n  $0\n}",
    ),
    (
        "score",
        "a score from rules, fading with time",
        "score ${1:name} \"${2:What it measures}\" {\n  decay ${3:50}% every ${4:14d}\n  on ${5:event} add ${6:10}\n  $0\n}",
    ),
    (
        "list",
        "a smart list",
        "list ${1:name} \"${2:Who is in it}\" =\n  ${0:condition}",
    ),
];

/// What a line inside each kind of declaration may start with.
fn statement_words(decl: &str) -> &'static [&'static str] {
    match decl {
        "score" => &["when", "on", "decay"],
        "workflow" => &[
            "enroll",
            "only if",
            "exit when",
            "goal",
            "send",
            "notify",
            "wait",
            "if",
            "split",
            "start",
            "stop",
            "set",
            "tag",
            "untag",
            "retarget",
            "webhook",
        ],
        "policy" => &["frequency", "quiet hours", "suppress when"],
        "test" => &["lead", "at", "after", "expect"],
        _ => &[],
    }
}

/// The span the completion replaces (the word being typed, dots included) and the
/// candidates for it.
pub fn complete(doc: &Document, offset: usize) -> (Span, Vec<Completion>) {
    let text = doc.text.as_str();
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let prefix = &text[line_start..offset];
    let typed_at = prefix
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
        .last()
        .map_or(prefix.len(), |(i, _)| i);
    let replace = Span::new(line_start + typed_at, offset);
    let typed = &prefix[typed_at..];
    let words: Vec<&str> = prefix[..typed_at]
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | ','))
        .filter(|w| !w.is_empty())
        .collect();
    let (decl, depth) = enclosing(text, line_start, offset);
    let names = doc.names();
    let ix = &*names;
    let names = |kind: Kind, ck: CompletionKind| -> Vec<Completion> {
        ix.of_kind(kind).map(|s| item(s, ck)).collect()
    };
    let prev = words.last().copied().unwrap_or("");
    let mut out = Vec::new();
    if typed.starts_with("lead.") {
        out = ix
            .of_kind(Kind::Attribute)
            .map(|s| Completion::new(format!("lead.{}", s.name), CompletionKind::Attribute))
            .collect();
    } else if words.is_empty() {
        if depth == 0 {
            out.extend(DECLARATION_WORDS.iter().map(|w| keyword(w)));
            out.extend(SNIPPETS.iter().map(|(label, detail, body)| Completion {
                snippet: Some(body.to_string()),
                ..Completion::new(*label, CompletionKind::Snippet).detail(*detail)
            }));
        } else {
            out.extend(
                statement_words(decl.unwrap_or(""))
                    .iter()
                    .map(|w| keyword(w)),
            );
        }
    } else if prev == "on" && words.len() == 1 && depth == 0 {
        out = names(Kind::Event, CompletionKind::Event);
        out.extend(["enter", "exit"].map(keyword));
    } else if matches!(prev, "on" | "did" | "count" | "last" | "for") {
        out = names(Kind::Event, CompletionKind::Event);
    } else if matches!(prev, "enter" | "exit") && words.first() == Some(&"on") {
        out = names(Kind::List, CompletionKind::List);
    } else if matches!(prev, "start" | "stop") {
        out = names(Kind::Workflow, CompletionKind::Workflow);
    } else if prev == "send" {
        out = Channel::ALL
            .iter()
            .map(|c| Completion::new(c.name(), CompletionKind::Value))
            .collect();
    } else if words.len() >= 2 && words[words.len() - 2] == "send" {
        out = ix
            .of_kind(Kind::Template)
            .map(|s| Completion::new(format!("\"{}\"", s.name), CompletionKind::Template))
            .collect();
    } else if let Some(event) = filtered_event(&words) {
        out = ix
            .properties(event)
            .map(|s| item(s, CompletionKind::Property))
            .collect();
        out.push(keyword("lead."));
        out.extend(EXPRESSION_KEYWORDS.iter().map(|w| keyword(w)));
    } else {
        out = names(Kind::Score, CompletionKind::Score);
        out.extend(names(Kind::List, CompletionKind::List));
        out.extend(
            ix.of_kind(Kind::Variant)
                .map(|s| item(s, CompletionKind::Value)),
        );
        out.push(keyword("lead."));
        out.extend(EXPRESSION_KEYWORDS.iter().map(|w| keyword(w)));
    }
    (replace, out)
}

fn keyword(word: &str) -> Completion {
    Completion::new(word, CompletionKind::Keyword)
}

fn item(s: &Symbol, kind: CompletionKind) -> Completion {
    let c = Completion::new(s.name.clone(), kind);
    match (&s.container, s.builtin) {
        (Some(of), _) => c.detail(format!("{} of {of}", s.kind.describe())),
        (None, true) => c.detail(format!("{} (prelude)", s.kind.describe())),
        (None, false) => c.detail(s.kind.describe()),
    }
}

/// The event whose `where` filter the cursor is in: `on E where …`, `did E where …`.
fn filtered_event<'w>(words: &[&'w str]) -> Option<&'w str> {
    let at = words.iter().rposition(|w| *w == "where")?;
    let event = words[..at]
        .windows(2)
        .rev()
        .find(|w| matches!(w[0], "on" | "did" | "count" | "last" | "for"))?[1];
    Some(event)
}

/// The declaration word of the top-level item the offset is in, and how many braces are
/// open at the offset within it.
fn enclosing(text: &str, line_start: usize, offset: usize) -> (Option<&'static str>, i32) {
    let mut start = line_start;
    let decl = loop {
        let line = &text[start..];
        let word: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        if let Some(d) = DECLARATION_WORDS.iter().find(|d| **d == word) {
            break Some(*d);
        }
        if start == 0 {
            break None;
        }
        start = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
    };
    let depth = lexer::tokens(&text[start..offset])
        .map(|(t, _)| match t {
            Some(Token::LBrace) => 1,
            Some(Token::RBrace) => -1,
            _ => 0,
        })
        .sum::<i32>();
    (
        decl.filter(|_| depth > 0 || start != line_start),
        depth.max(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "lead { email: string }\nevent demo.requested { source: string }\nscore fit {\n  on demo.requested where source == \"x\" add 5\n}\nlist hot = fit > 3\nworkflow w {\n  send email \"hello\"\n}\n";

    fn labels(text: &str, at: usize) -> Vec<String> {
        let mut doc = Document::new(TEXT.to_string());
        doc.edit(text.to_string());
        complete(&doc, at).1.into_iter().map(|c| c.label).collect()
    }

    fn insert(at: &str, what: &str) -> (String, usize) {
        let i = TEXT.find(at).unwrap() + at.len();
        (
            format!("{}{what}{}", &TEXT[..i], &TEXT[i..]),
            i + what.len(),
        )
    }

    #[test]
    fn completes_by_position() {
        let (t, at) = insert("list hot = fit > 3\n", "on ");
        let l = labels(&t, at);
        assert!(
            l.contains(&"demo.requested".into()) && l.contains(&"email.opened".into()),
            "{l:?}"
        );
        assert!(l.contains(&"enter".into()));
        let (t, at) = insert("list hot = ", "lead.");
        assert_eq!(labels(&t, at), ["lead.email", "lead.tags"]);
        let (t, at) = insert("where ", "s");
        let l = labels(&t, at);
        assert!(
            l.contains(&"source".into()) && !l.contains(&"fit".into()),
            "{l:?}"
        );
        let (t, at) = insert("list hot = ", "h");
        let l = labels(&t, at);
        assert!(
            l.contains(&"fit".into()) && l.contains(&"hot".into()),
            "{l:?}"
        );
        let (t, at) = insert("workflow w {\n", "  ");
        let l = labels(&t, at);
        assert!(
            l.contains(&"send".into()) && !l.contains(&"decay".into()),
            "{l:?}"
        );
        let (t, at) = insert("score fit {\n", "  ");
        assert_eq!(labels(&t, at), ["when", "on", "decay"]);
        let l = labels(TEXT, TEXT.len());
        assert!(
            l.contains(&"workflow".into()) && l.contains(&"score".into()),
            "{l:?}"
        );
        let (t, at) = insert("send email \"hello\"\n", "  start ");
        assert_eq!(labels(&t, at), ["w"]);
    }
}

//! The document's outline: each declaration, with the attributes, properties and values
//! inside it.

use super::Document;
use crate::lang::span::Span;
use crate::syntax::ast::{Item, TriggerSource};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutlineKind {
    Campaign,
    Schema,
    Field,
    Enum,
    EnumMember,
    Event,
    Score,
    List,
    Trigger,
    Workflow,
    Decision,
    Policy,
    Test,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    pub name: String,
    pub detail: Option<String>,
    pub kind: OutlineKind,
    /// The whole declaration.
    pub span: Span,
    /// Its name, or the declaration when it has none.
    pub selection: Span,
    pub children: Vec<Outline>,
}

fn entry(name: impl Into<String>, kind: OutlineKind, span: Span, selection: Span) -> Outline {
    Outline {
        name: name.into(),
        detail: None,
        kind,
        span,
        selection,
        children: Vec::new(),
    }
}

/// The top-level declarations, in source order.
pub fn outline(doc: &Document) -> Vec<Outline> {
    let text = doc.text.as_str();
    let mut out = Vec::new();
    for item in &doc.analysis.parsed.file.items {
        let o = match item {
            Item::Campaign(c) => entry(c.display(), OutlineKind::Campaign, c.span, c.span),
            Item::Lead(l) => Outline {
                children: (l.attrs.iter())
                    .map(|a| Outline {
                        detail: Some(text[a.ty.span.range()].to_string()),
                        ..entry(&a.name.name, OutlineKind::Field, a.span, a.name.span)
                    })
                    .collect(),
                ..entry("lead", OutlineKind::Schema, l.span, l.span)
            },
            Item::Enum(e) => Outline {
                children: (e.variants.iter())
                    .map(|v| entry(&v.name, OutlineKind::EnumMember, v.span, v.span))
                    .collect(),
                ..entry(&e.name.name, OutlineKind::Enum, e.span, e.name.span)
            },
            Item::Event(e) => Outline {
                children: (e.props.iter())
                    .map(|p| Outline {
                        detail: Some(text[p.ty.span.range()].to_string()),
                        ..entry(&p.name.name, OutlineKind::Field, p.span, p.name.span)
                    })
                    .collect(),
                ..entry(&e.name.name, OutlineKind::Event, e.span, e.name.span)
            },
            Item::Score(s) => Outline {
                detail: s.description.as_ref().map(|d| d.display()),
                ..entry(&s.name.name, OutlineKind::Score, s.span, s.name.span)
            },
            Item::List(l) => Outline {
                detail: l.description.as_ref().map(|d| d.display()),
                ..entry(&l.name.name, OutlineKind::List, l.span, l.name.span)
            },
            Item::Workflow(w) => Outline {
                detail: w.description.as_ref().map(|d| d.display()),
                ..entry(&w.name.name, OutlineKind::Workflow, w.span, w.name.span)
            },
            Item::Trigger(t) => {
                let name = match &t.source {
                    TriggerSource::Event { event, .. } => format!("on {}", event.name),
                    TriggerSource::Enter(l) => format!("on enter {}", l.name),
                    TriggerSource::Exit(l) => format!("on exit {}", l.name),
                };
                entry(name, OutlineKind::Trigger, t.span, t.span)
            }
            Item::Decide(d) => Outline {
                detail: d.description.as_ref().map(|d| d.display()),
                ..entry(&d.name.name, OutlineKind::Decision, d.span, d.name.span)
            },
            Item::Policy(p) => entry("policy", OutlineKind::Policy, p.span, p.span),
            Item::Test(t) => entry(
                format!("test \"{}\"", t.name.display()),
                OutlineKind::Test,
                t.span,
                t.name.span,
            ),
        };
        out.push(o);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outline_lists_declarations_with_their_parts() {
        let doc = Document::new(
            "lead { email: string }\nevent a.b { x: int }\nlist l \"L\" = lead.email is set\non enter l tag \"t\"\n"
                .to_string(),
        );
        let o = outline(&doc);
        let names: Vec<&str> = o.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["lead", "a.b", "l", "on enter l"]);
        assert_eq!(o[0].children[0].name, "email");
        assert_eq!(o[1].children[0].detail.as_deref(), Some("int"));
        assert_eq!(o[2].detail.as_deref(), Some("L"));
    }
}

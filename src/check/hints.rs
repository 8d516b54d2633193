//! What to write instead, for the names and values people get wrong most: an event written as
//! it arrives from Segment (`on "Webinar Attended"`) or in the wrong case, a score or a
//! workflow where a list belongs (`on enter engagement`), and a number or `true` in quotes.

use super::program::*;
use crate::diag::{Code, Diagnostic};
use crate::lang::span::Span;
use crate::lang::types::{Ty, Value};

/// E0102 for an event written in quotes, as it arrives from Segment: the event that arrives so,
/// or how to declare one. `None` when `name` is not in quotes.
pub fn quoted_event(program: &Program, name: &str, span: Span) -> Option<Diagnostic> {
    let text = name.strip_prefix('"')?.strip_suffix('"')?;
    let declared = (program.events.iter()).find(|e| e.segment_name == text || e.name == text);
    Some(match declared {
        Some(e) => Diagnostic::new(
            Code::UnknownEvent,
            span,
            format!(
                "\"{text}\" is what the event is called in Segment; here it is `{}`",
                e.name
            ),
        )
        .with_label(format!("write `{}`", e.name))
        .with_help(format!(
            "a campaign names events by their Nurture name, without quotes: `{}`",
            e.name
        )),
        None => {
            let suggested = event_name_for(text);
            Diagnostic::new(
                Code::UnknownEvent,
                span,
                format!("no event is declared as \"{text}\""),
            )
            .with_label("not declared")
            .with_help(format!(
                "declare it with the name it has in Segment, then use its Nurture name: \
                 `event {suggested} as \"{text}\"`, and `{suggested}` here"
            ))
        }
    })
}

/// A Nurture name for an event called `text` in Segment: `Webinar Attended` as
/// `webinar.attended`.
fn event_name_for(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    match words.first() {
        Some(first) if first.starts_with(|c: char| c.is_ascii_alphabetic()) => {
            let name = words.join(".");
            if words.len() == 1 {
                format!("{name}.happened")
            } else {
                name
            }
        }
        _ => "my.event".to_string(),
    }
}

/// The help for an undeclared event that differs from a declared one only in case.
pub fn event_case(program: &Program, name: &str) -> Option<String> {
    let e = (program.events.iter()).find(|e| e.name.eq_ignore_ascii_case(name))?;
    Some(format!(
        "did you mean `{}`? Event names are case-sensitive",
        e.name
    ))
}

/// E0104 for `on enter NAME` where `NAME` is a score, a workflow, an event or an attribute,
/// not a list: what it is, and the list to write. `None` when it is none of these.
pub fn not_a_list(program: &Program, name: &str, span: Span) -> Option<Diagnostic> {
    let (what, help) = if program.score(name).is_some() {
        (
            "a score",
            format!(
                "`on enter` and `on exit` react to a list: declare a list of the leads you \
                 mean, as in `list {name}_high = {name} >= 50`, and write `on enter {name}_high`"
            ),
        )
    } else if program.workflow(name).is_some() {
        (
            "a workflow",
            format!(
                "`on enter` reacts to a list; to run the workflow, a trigger starts it: \
                 `on EVENT start {name}`"
            ),
        )
    } else if program.event(name).is_some() {
        (
            "an event",
            format!("to react to the event, write `on {name}` without `enter`"),
        )
    } else if program.attr(name).is_some() {
        (
            "a lead attribute",
            format!(
                "`on enter` reacts to a list: declare one over the attribute, as in \
                 `list with_{name} = lead.{name} is set`"
            ),
        )
    } else {
        return None;
    };
    Some(
        Diagnostic::new(
            Code::UnknownList,
            span,
            format!("`{name}` is {what}, not a list"),
        )
        .with_label(what)
        .with_help(help),
    )
}

/// The help for text given where a number or a condition is wanted, when the text is one:
/// `"50"` for `50`, `"true"` for `true`.
pub fn unquote(want: &Ty, got: &Expr) -> Option<String> {
    let ExprKind::Const(Value::Str(text)) = &got.kind else {
        return None;
    };
    let t = text.trim();
    let fits = match want.base() {
        Ty::Int => t.parse::<i64>().is_ok(),
        Ty::Number => t.parse::<f64>().is_ok_and(f64::is_finite),
        Ty::Bool => t == "true" || t == "false",
        _ => false,
    };
    let what = match want.base() {
        Ty::Bool => "`true` and `false`",
        _ => "numbers",
    };
    fits.then(|| format!("\"{text}\" in quotes is text; {what} go without quotes: `{t}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_name_becomes_a_nurture_name() {
        assert_eq!(event_name_for("Webinar Attended"), "webinar.attended");
        assert_eq!(event_name_for("Order Completed!"), "order.completed");
        assert_eq!(event_name_for("Signup"), "signup.happened");
        assert_eq!(event_name_for("2FA Enabled"), "my.event");
    }
}

//! How the REPL prints: actions as they happen, `:show`, `:why`, `:leads`, the trace, and the
//! comparison after `:reload`. The numbers come from `inspect`; this module lays them out.

use super::session::Campaign;
use super::{sgr, Style};
use crate::compile::Compiled;
use crate::inspect::{Cond, Explainer, Join, Parts, RuleKind, RunView, ScoreView, StartSource};
use crate::lang::format;
use crate::vm::action::{converted_text, variant_note, Action, ActionKind};
use crate::vm::render;
use std::fmt::Write as _;

/// One action: time, lead, what was done, and the workflow and step (or trigger) it came from.
/// `c` is the program that emitted it: a `set` of an enum attribute names the constant bare,
/// as the language writes it.
pub fn action_line(a: &Action, c: &Compiled, style: Style) -> String {
    let (what, color) = match &a.kind {
        ActionKind::Send { channel, template } => (
            format!("sent {} \"{template}\"", channel.name()),
            sgr::GREEN,
        ),
        ActionKind::Suppressed {
            channel,
            template,
            rule,
        } => (
            format!("suppressed {} \"{template}\" by {rule}", channel.name()),
            sgr::YELLOW,
        ),
        ActionKind::Notify { audience, message } => (
            format!("notified {}: \"{message}\"", audience.name()),
            sgr::BLUE,
        ),
        ActionKind::Retarget { add, audience } => (
            format!(
                "retarget {} \"{audience}\"",
                if *add { "add" } else { "remove" }
            ),
            sgr::BLUE,
        ),
        ActionKind::Webhook { name, fields } => {
            (format!("webhook \"{name}\" {}", braced(fields)), sgr::BLUE)
        }
        ActionKind::Set { attr, value } => (
            format!("set lead.{attr} = {}", render::set_value(c, attr, value)),
            sgr::BLUE,
        ),
        ActionKind::Tag { tag, add } => (
            format!("{} \"{tag}\"", if *add { "tagged" } else { "untagged" }),
            sgr::BLUE,
        ),
        ActionKind::Converted {
            workflow,
            variant,
            holdout,
        } => (
            converted_text(workflow, variant.as_deref(), *holdout),
            sgr::BOLD_GREEN,
        ),
        ActionKind::HeldOut { workflow } => (format!("held out of {workflow}"), sgr::BLUE),
        ActionKind::Assigned => (
            format!("assigned{}", variant_note(a.source.variant())),
            sgr::BLUE,
        ),
        ActionKind::Entered { list } => (format!("entered {list}"), sgr::MAGENTA),
        ActionKind::Exited { list } => (format!("left {list}"), sgr::MAGENTA),
        ActionKind::CascadeLimit { depth } => (
            format!("stopped a cascade of triggers and sets at depth {depth}"),
            sgr::RED,
        ),
    };
    let what = match &a.decision {
        Some(d) if d.otherwise => format!("{what} by {}'s else", d.name),
        Some(d) => format!("{what} by {}'s row {}", d.name, d.row),
        None => what,
    };
    let what = match a.data.as_slice() {
        [] => what,
        data => format!("{what} with {}", braced(data)),
    };
    let from = a.origin().map_or(String::new(), |o| format!("  {o}"));
    format!(
        "{}  {}  {}{}",
        style.paint(sgr::DIM, &format::instant(a.at)),
        style.paint(sgr::BOLD_CYAN, &a.lead),
        style.paint(color, &what),
        style.paint(sgr::DIM, &from)
    )
}

/// `{ items: 2, value: 84.5 }`: fields as JSON values.
fn braced(fields: &[(String, serde_json::Value)]) -> String {
    let fields: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{{ {} }}", fields.join(", "))
}

/// `+20`, `-15`, `0`, `+18.61`.
fn points(p: f64) -> String {
    let n = format::number(p);
    if n == "0" || n == "-0" {
        "0".into()
    } else if p > 0.0 {
        format!("+{n}")
    } else {
        n
    }
}

fn mark(holds: Option<bool>, style: Style) -> String {
    match holds {
        Some(true) => style.paint(sgr::GREEN, "✓"),
        Some(false) => style.paint(sgr::RED, "✗"),
        None => "?".into(),
    }
}

fn heading(text: &str, style: Style) -> String {
    format!("{}\n", style.paint(sgr::BOLD, text))
}

/// `:show ID`.
pub fn show(ex: &Explainer<'_>, lead: u32, id: &str, style: Style) -> String {
    let mut out = format!(
        "{} at {}\n",
        style.paint(sgr::BOLD_CYAN, &format::escaped(id)),
        format::instant(ex.m.now)
    );
    out.push_str(&heading("attributes", style));
    let attrs = ex.attributes(lead);
    let width = attrs.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, value) in attrs {
        let _ = writeln!(out, "  {name:<width$}  {value}");
    }
    let scores = ex.scores(lead);
    if !scores.is_empty() {
        out.push_str(&heading("scores", style));
        for s in &scores {
            score_lines(s, false, "  ", style, &mut out);
        }
    }
    let lists = ex.lists(lead);
    if !lists.is_empty() {
        out.push_str(&heading("lists", style));
        let width = lists.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, member) in lists {
            let _ = writeln!(
                out,
                "  {name:<width$}  {}",
                if member {
                    style.paint(sgr::GREEN, "in")
                } else {
                    style.paint(sgr::DIM, "not in")
                }
            );
        }
    }
    let runs = ex.runs(lead);
    if !runs.is_empty() {
        out.push_str(&heading("workflows", style));
        let width = runs.iter().map(|r| r.workflow.len()).max().unwrap_or(0);
        for r in runs {
            let _ = writeln!(out, "  {:<width$}  {}", r.workflow, run_text(&r, style));
        }
    }
    out
}

/// Where a run stands, in one line.
fn run_text(r: &RunView, style: Style) -> String {
    let Some(step) = &r.step else {
        return match r.last_enrolled {
            _ if !r.enrollment_kept => style.paint(sgr::DIM, "not running"),
            Some(t) => style.paint(
                sgr::DIM,
                &format!("not running; last enrolled {}", format::instant(t)),
            ),
            None => style.paint(sgr::DIM, "never enrolled"),
        };
    };
    let wake = r.wake.map(format::instant);
    let mut s = if step == "goal" {
        style.paint(sgr::GREEN, "past its last step, watching its goal")
    } else if step == "holdout" {
        style.paint(
            sgr::GREEN,
            "held out: takes none of its steps, watching its goal",
        )
    } else {
        format!("step {}", style.paint(sgr::GREEN, &format::escaped(step)))
    };
    s.push_str(&variant_note(r.variant.as_deref()));
    if let Some(t) = r.enrolled {
        let _ = write!(s, ", enrolled {}", format::instant(t));
    }
    if let Some(wake) = wake {
        let what = if step == "goal" || step == "holdout" {
            "until"
        } else if step.starts_with("wait up to") {
            "times out"
        } else if step.starts_with("send ") {
            "held by quiet hours until"
        } else {
            "wakes"
        };
        let _ = write!(s, ", {what} {wake}");
    }
    s
}

/// A score and its rules, indented by `indent`; `detail` adds what each `when` condition read.
fn score_lines(s: &ScoreView, detail: bool, indent: &str, style: Style, out: &mut String) {
    let value = style.paint(sgr::BOLD, &format::number(s.value));
    match &s.parts {
        Parts::Derived {
            formula,
            inputs,
            facts,
        } => {
            let parts: Vec<String> = inputs
                .iter()
                .map(|(n, v)| format!("{n} {}", format::number(*v)))
                .collect();
            let _ = writeln!(
                out,
                "{indent}{}  {value} = {formula}{}",
                s.name,
                if parts.is_empty() {
                    String::new()
                } else {
                    style.paint(sgr::DIM, &format!("  ({})", parts.join(", ")))
                }
            );
            if detail && !facts.is_empty() {
                let facts = style.paint(sgr::DIM, &facts.join(", "));
                let _ = writeln!(out, "{indent}           {facts}");
            }
        }
        Parts::Rules {
            decay,
            rules,
            other,
        } => {
            let mut head = format!("{indent}{}  {value}", s.name);
            if let Some(d) = &s.description {
                let _ = write!(head, "  {}", style.paint(sgr::DIM, d));
            }
            if let Some(d) = decay {
                let _ = write!(head, "  {}", style.paint(sgr::DIM, &format!("({d})")));
            }
            out.push_str(&head);
            out.push('\n');
            for r in rules {
                let p = format!("{:>7}", points(r.points));
                let p = if r.points == 0.0 {
                    style.paint(sgr::DIM, &p)
                } else {
                    style.paint(sgr::BOLD, &p)
                };
                let status = match &r.kind {
                    RuleKind::When { holds, .. } => {
                        if *holds {
                            format!("{} holds", mark(Some(true), style))
                        } else {
                            format!("{} does not hold", mark(Some(false), style))
                        }
                    }
                    RuleKind::On {
                        counted,
                        capped,
                        last,
                    } => {
                        let mut s = match counted {
                            0 => "never counted".to_string(),
                            1 => "counted once".to_string(),
                            n => format!("counted {n} times"),
                        };
                        if let Some(t) = last {
                            let _ = write!(s, ", last {}", format::instant(*t));
                        }
                        if *capped > 0 {
                            let _ = write!(s, ", {capped} more over its cap");
                        }
                        style.paint(sgr::DIM, &s)
                    }
                };
                let _ = writeln!(out, "{indent}{p}  {}  {status}", r.text);
                if detail {
                    if let RuleKind::When { cond, .. } = &r.kind {
                        cond_lines(cond, &format!("{indent}           "), style, out, true);
                    }
                }
            }
            if *other != 0.0 {
                let _ = writeln!(
                    out,
                    "{indent}{:>7}  {}",
                    points(*other),
                    style.paint(sgr::DIM, "from changes no rule accounts for")
                );
            }
        }
    }
}

/// A condition as a tree: each part with ✓ or ✗ and the values it read.
pub(super) fn cond_lines(c: &Cond, indent: &str, style: Style, out: &mut String, top: bool) {
    match c.join {
        Join::Leaf => {
            let facts = if c.facts.is_empty() {
                String::new()
            } else {
                style.paint(sgr::DIM, &format!("  ({})", c.facts.join(", ")))
            };
            // A rule's own condition is already quoted on the rule's line: only its values.
            if top {
                if !c.facts.is_empty() {
                    let _ = writeln!(
                        out,
                        "{indent}{}",
                        style.paint(sgr::DIM, &c.facts.join(", "))
                    );
                }
                return;
            }
            let _ = writeln!(out, "{indent}{} {}{facts}", mark(c.holds, style), c.text);
        }
        Join::All | Join::Any | Join::Not => {
            let word = match c.join {
                Join::All => "all of",
                Join::Any => "any of",
                _ => "not",
            };
            let _ = writeln!(out, "{indent}{} {word}:", mark(c.holds, style));
            for p in &c.parts {
                cond_lines(p, &format!("{indent}  "), style, out, false);
            }
        }
    }
}

/// `:why ID SCORE`.
pub fn why_score(ex: &Explainer<'_>, lead: u32, id: &str, s: u16, style: Style) -> String {
    let view = ex.score(lead, s);
    let mut out = format!(
        "{} of {} is {}\n",
        view.name,
        style.paint(sgr::BOLD_CYAN, id),
        style.paint(sgr::BOLD, &format::number(view.value))
    );
    let mut seen = vec![view.name.clone()];
    why_parts(ex, lead, &view, "  ", style, &mut seen, &mut out);
    out
}

/// A score rule by rule and, for a derived score, each score it reads, down to the rules
/// scores: each explained once, where it is first read (`seen`).
fn why_parts(
    ex: &Explainer<'_>,
    lead: u32,
    view: &ScoreView,
    indent: &str,
    style: Style,
    seen: &mut Vec<String>,
    out: &mut String,
) {
    score_lines(view, true, indent, style, out);
    let Parts::Derived { inputs, .. } = &view.parts else {
        return;
    };
    for (name, _) in inputs {
        if seen.contains(name) {
            continue;
        }
        seen.push(name.clone());
        if let Some(i) = ex.program.score(name) {
            let inner = format!("{indent}  ");
            why_parts(
                ex,
                lead,
                &ex.score(lead, i as u16),
                &inner,
                style,
                seen,
                out,
            );
        }
    }
}

/// `:why ID LIST`.
pub fn why_list(ex: &Explainer<'_>, lead: u32, id: &str, l: u16, style: Style) -> String {
    let (member, cond) = ex.list(lead, l);
    let name = &ex.program.lists[l as usize].name;
    let mut out = format!(
        "{} is {}{name}\n  {name} = {}\n",
        style.paint(sgr::BOLD_CYAN, id),
        if member { "in " } else { "not in " },
        cond.text
    );
    match cond.join {
        Join::Leaf => {
            let facts = if cond.facts.is_empty() {
                String::new()
            } else {
                style.paint(sgr::DIM, &format!("  ({})", cond.facts.join(", ")))
            };
            let _ = writeln!(
                out,
                "  {} {}{facts}",
                mark(cond.holds, style),
                if cond.holds == Some(true) {
                    "holds"
                } else {
                    "does not hold"
                }
            );
        }
        _ => cond_lines(&cond, "  ", style, &mut out, false),
    }
    if cond.holds.is_some_and(|h| h != member) {
        out.push_str(&style.paint(
            sgr::DIM,
            "  (the condition has changed since membership was last settled: it settles at the next event or timer)\n",
        ));
    }
    out
}

/// `:why ID WORKFLOW`. `events(e)` counts the lead's events of type `e` in this session.
pub fn why_workflow(
    ex: &Explainer<'_>,
    lead: u32,
    id: &str,
    w: u16,
    events: &dyn Fn(u32) -> usize,
    style: Style,
) -> String {
    let why = ex.workflow(lead, w);
    let who = style.paint(sgr::BOLD_CYAN, id);
    let name = &why.run.workflow;
    let mut out = match (&why.run.step, why.run.last_enrolled) {
        (Some(_), _) => format!("{who} is in {name}: {}\n", run_text(&why.run, style)),
        (None, _) if !why.run.enrollment_kept => format!("{who} is not in {name} now\n"),
        (None, Some(t)) => format!(
            "{who} is not in {name} now; last enrolled {}\n",
            format::instant(t)
        ),
        (None, None) => format!("{who} has never been in {name}\n"),
    };
    let _ = writeln!(
        out,
        "  {}: {}",
        why.enroll,
        if why.may_enroll {
            format!("a start now would enroll {id}")
        } else if why.run.step.is_some() {
            format!("a start now would not restart {id}'s run")
        } else {
            format!("a start now would not enroll {id} again")
        }
    );
    if why.starts.is_empty() {
        out.push_str("  nothing starts it\n");
    } else {
        out.push_str("  started by:\n");
        for s in &why.starts {
            let note = match &s.source {
                StartSource::Event(e) => {
                    let n = events(*e);
                    let ename = &ex.program.events[*e as usize].name;
                    match n {
                        0 => format!("{id} had no {ename} in this session"),
                        1 => format!("{id} had 1 {ename} in this session"),
                        n => format!("{id} had {n} {ename} in this session"),
                    }
                }
                StartSource::Membership {
                    enter,
                    list,
                    member,
                } => format!(
                    "{id} is {}in {list} now{}",
                    if *member { "" } else { "not " },
                    if *enter && !*member {
                        format!(" (`:why {id} {list}`)")
                    } else {
                        String::new()
                    }
                ),
                StartSource::Workflow(other) => format!("when a run of {other} reaches the step"),
            };
            let _ = writeln!(out, "    {}  {}", s.text, style.paint(sgr::DIM, &note));
        }
    }
    for (word, cond, meaning) in [
        ("only if", &why.only_if, "a start now"),
        ("exit when", &why.exit_when, "ends the run"),
        ("goal", &why.goal, "ends the run with a conversion"),
    ] {
        let Some(c) = cond else { continue };
        let verdict = match (word, c.holds) {
            ("only if", Some(true)) => "holds now".to_string(),
            ("only if", Some(false)) => {
                format!("does not hold now: {meaning} would not enroll {id}")
            }
            (_, Some(true)) => format!("holds: {meaning}"),
            (_, Some(false)) => "does not hold".to_string(),
            (_, None) => "cannot be evaluated here".to_string(),
        };
        let _ = writeln!(
            out,
            "  {word} {}\n    {} {verdict}",
            c.text,
            mark(c.holds, style)
        );
        match c.join {
            Join::Leaf if !c.facts.is_empty() => {
                let _ = writeln!(out, "      {}", style.paint(sgr::DIM, &c.facts.join(", ")));
            }
            Join::Leaf => {}
            _ => {
                for p in &c.parts {
                    cond_lines(p, "      ", style, &mut out, false);
                }
            }
        }
    }
    out
}

/// `:leads`.
pub fn leads(ex: &Explainer<'_>, style: Style) -> String {
    let ids = &ex.m.lead_ids;
    if ids.is_empty() {
        return "no leads yet: `:lead ID { … }` creates one\n".into();
    }
    let width = ids.iter().map(|i| i.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (i, id) in ids.iter().enumerate() {
        let lists: Vec<String> = ex
            .lists(i as u32)
            .into_iter()
            .filter(|(_, m)| *m)
            .map(|(n, _)| n)
            .collect();
        let _ = writeln!(
            out,
            "{}  {}",
            style.paint(sgr::BOLD_CYAN, &format!("{id:<width$}")),
            if lists.is_empty() {
                style.paint(sgr::DIM, "in no list")
            } else {
                format!("in {}", lists.join(", "))
            }
        );
    }
    out
}

const NOT_RUNNING: &str = "not running";

/// What the trace compares before and after each command: every lead's scores and runs.
pub(crate) struct Snapshot(Vec<(String, Vec<(String, String)>)>);

pub(crate) fn snapshot(c: &Campaign) -> Snapshot {
    let ex = c.explainer();
    let m = &c.machine;
    Snapshot(
        m.lead_ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let mut values = Vec::new();
                for (s, score) in m.c.scores.iter().enumerate() {
                    values.push((
                        score.name.clone(),
                        format::number(m.score(i as u32, s as u16)),
                    ));
                }
                for r in ex.runs(i as u32) {
                    let at = r.step.map_or(NOT_RUNNING.into(), |s| format!("at \"{s}\""));
                    values.push((r.workflow, at));
                }
                (id.to_string(), values)
            })
            .collect(),
    )
}

/// The trace: scores and workflow steps that changed.
pub(crate) fn trace_changes(before: &Snapshot, after: &Snapshot, style: Style) -> String {
    let mut out = String::new();
    for (id, values) in &after.0 {
        let old = before.0.iter().find(|(x, _)| x == id).map(|(_, v)| v);
        for (i, (name, value)) in values.iter().enumerate() {
            let was = old.and_then(|v| v.get(i)).map(|(_, v)| v.as_str());
            // A new lead starts at zero and in no workflow: only what differs is news.
            let unchanged = match was {
                Some(was) => was == value,
                None => value == "0" || value == NOT_RUNNING,
            };
            if unchanged {
                continue;
            }
            let line = match was {
                Some(was) => format!("trace {id}: {name} {was} → {value}"),
                None => format!("trace {id}: {name} {value}"),
            };
            out.push_str(&style.paint(sgr::DIM, &line));
            out.push('\n');
        }
    }
    out
}

/// After `:reload`: the actions that differ from the run before, as a diff.
pub fn compare(old: &[Action], new: &[Action], c: &Compiled, style: Style) -> String {
    let plain = Style::plain();
    let a: Vec<String> = old.iter().map(|x| action_line(x, c, plain)).collect();
    let b: Vec<String> = new.iter().map(|x| action_line(x, c, plain)).collect();
    if a == b {
        return format!(
            "same {} action{} as before\n",
            b.len(),
            if b.len() == 1 { "" } else { "s" }
        );
    }
    let mut out = String::new();
    let (mut removed, mut added) = (0, 0);
    for (sign, line) in diff(&a, &b) {
        match sign {
            '-' => {
                removed += 1;
                out.push_str(&style.paint(sgr::RED, &format!("- {line}")));
                out.push('\n');
            }
            '+' => {
                added += 1;
                out.push_str(&style.paint(sgr::GREEN, &format!("+ {line}")));
                out.push('\n');
            }
            _ => {}
        }
    }
    let _ = writeln!(
        out,
        "{} actions before, {} now: {removed} gone, {added} new",
        a.len(),
        b.len()
    );
    out
}

/// A line diff (longest common subsequence): `-` for lines only in `a`, `+` only in `b`,
/// `=` for both. Long inputs fall back to everything removed and added.
fn diff<'a>(a: &'a [String], b: &'a [String]) -> Vec<(char, &'a str)> {
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        return a
            .iter()
            .map(|l| ('-', l.as_str()))
            .chain(b.iter().map(|l| ('+', l.as_str())))
            .collect();
    }
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(('=', a[i].as_str()));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(('-', a[i].as_str()));
            i += 1;
        } else {
            out.push(('+', b[j].as_str()));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_diff_keeps_common_lines_and_marks_the_rest() {
        let a: Vec<String> = ["x", "y", "z"].iter().map(|s| s.to_string()).collect();
        let b: Vec<String> = ["x", "w", "z"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            diff(&a, &b),
            vec![('=', "x"), ('-', "y"), ('+', "w"), ('=', "z")]
        );
    }

    #[test]
    fn points_carry_their_sign() {
        assert_eq!(points(20.0), "+20");
        assert_eq!(points(-15.0), "-15");
        assert_eq!(points(0.0), "0");
        assert_eq!(points(18.614), "+18.61");
    }
}

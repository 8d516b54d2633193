//! Workflows as diagrams: a small graph model built from a checked `Program`, and renderers
//! for Mermaid (`mermaid.rs`, renders in Markdown on GitHub) and Graphviz DOT (`dot.rs`).
//!
//! One `WorkflowGraph` per workflow:
//!
//! - entry nodes for what starts it (`on EVENT where …`, `on enter LIST`, `on exit LIST`, a
//!   `start` step in another workflow), with a `start` edge into the workflow node, and the
//!   same for what stops it, with a dashed `stop` edge;
//! - the workflow node (name, enrollment, `only if`), with dashed `any time` edges to an
//!   `exit when` node and a `goal` node, since both are checked after every event and timer;
//! - with `holdout P%`, a dashed `P% held out` edge to a holdout node (no steps, the goal
//!   watched for its window) and on to the end, and the first step's edge labelled with the
//!   share treated;
//! - one node per step in source order: actions, waits (`wait 3d`, `wait until weekday
//!   10:00`, `wait up to 5d for email.clicked`), decisions for `if` (edges `yes` / `no`) and
//!   splits (one edge per arm, `50% "A"`); a `wait up to` followed at once by `if received`
//!   becomes one node with `received` / `timed out` edges;
//! - an end node that every path reaches.
//!
//! Node ids are deterministic: `w{workflow index}_{part}`, with parts `t0`, `t1`… for entry
//! nodes, `start`, `exit`, `goal`, `holdout`, `end`, and `s0`, `s1`… for steps in the order they are
//! drawn. The index is the workflow's position in the program, so selecting one workflow
//! keeps its ids. Conditions are shown as their source text (comments dropped, whitespace
//! squeezed), wrapped at `WIDTH` characters on at most `MAX_LINES` lines and cut with `…`
//! past that; the renderers escape it.

pub mod dot;
pub mod mermaid;

use crate::check::program::{
    Expr, ExprKind, Program, Step, StepKind, Template, Trigger, TriggerSource, Workflow, WorkflowId,
};
use crate::lang::format;
use crate::lang::modes::Enroll;
use crate::lang::time::from_seconds;
use crate::lang::written::source_text;

/// The longest a line of a label gets, in characters, `…` included (a workflow's name may be
/// longer: it is never cut).
pub const WIDTH: usize = 40;

/// The most lines one part of a label (a condition, an action) is wrapped onto.
pub const MAX_LINES: usize = 2;

/// The width and most lines of a decision's condition: narrower, since a diamond grows with
/// the square of its widest line.
pub const DECISION_WIDTH: usize = 30;
pub const DECISION_LINES: usize = 3;

/// Every workflow of a campaign, as diagrams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    pub workflows: Vec<WorkflowGraph>,
}

/// One workflow's diagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowGraph {
    /// The workflow's position in the program; its node ids start with `w{index}_`.
    pub index: usize,
    pub name: String,
    /// In the order they were made: entry nodes, the workflow node, exit and goal, the
    /// holdout, the steps in source order, the end node.
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
    /// The label, one line each, plain text: the renderers escape it.
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// What starts or stops the workflow: a trigger, or another workflow.
    Entry,
    /// The workflow itself: its name, enrollment and `only if`.
    Workflow,
    /// `send`, `notify`, `retarget`, `webhook`, `set`, `tag`, `untag`, `start`, `stop`.
    Action,
    Wait,
    /// An `if`: edges `yes` and `no`.
    Decision,
    /// A `split`: one edge per arm.
    Split,
    /// `exit when`.
    Exit,
    /// `goal`.
    Goal,
    /// `holdout P%`: the leads held out, who take no step.
    Holdout,
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: Option<String>,
    /// Not a step of the run: what starts or stops it from outside, and `exit when` / `goal`.
    pub dashed: bool,
}

impl Graph {
    /// The diagram of the workflow called `name`.
    pub fn workflow(&self, name: &str) -> Option<&WorkflowGraph> {
        self.workflows.iter().find(|w| w.name == name)
    }
}

impl WorkflowGraph {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

/// Every workflow of `program`, whose campaign source is `source` (the spans point into it).
pub fn build(program: &Program, source: &str) -> Graph {
    Graph {
        workflows: (0..program.workflows.len())
            .map(|i| build_workflow(program, source, i as WorkflowId))
            .collect(),
    }
}

/// The diagram of one workflow.
pub fn build_workflow(program: &Program, source: &str, id: WorkflowId) -> WorkflowGraph {
    let wf = &program.workflows[id as usize];
    let mut b = Builder {
        program,
        source,
        prefix: format!("w{id}"),
        nodes: Vec::new(),
        edges: Vec::new(),
        steps: 0,
    };

    let start = b.id("start");
    // What starts and stops it: triggers, then other workflows' `start` and `stop` steps.
    let mut entries = 0;
    for trigger in &program.triggers {
        let starts = match trigger.action.kind {
            StepKind::Start(w) if w == id => true,
            StepKind::Stop(w) if w == id => false,
            _ => continue,
        };
        let entry = b.id(&format!("t{entries}"));
        entries += 1;
        let lines = b.trigger_lines(trigger);
        b.node(entry.clone(), NodeKind::Entry, lines);
        b.entry_edge(entry, &start, starts);
    }
    for (other_id, other) in program.workflows.iter().enumerate() {
        let (mut starts, mut stops) = (false, false);
        crate::check::visit::each_step(&other.steps, &mut |s| match s.kind {
            StepKind::Start(w) if w == id => starts = true,
            StepKind::Stop(w) if w == id => stops = true,
            _ => {}
        });
        if !(starts || stops) {
            continue;
        }
        let who = if other_id == id as usize {
            "this workflow".to_string()
        } else {
            format!("workflow {}", other.name)
        };
        let entry = b.id(&format!("t{entries}"));
        entries += 1;
        b.node(entry.clone(), NodeKind::Entry, wrap(&who));
        for (does, is_start) in [(starts, true), (stops, false)] {
            if does {
                b.entry_edge(entry.clone(), &start, is_start);
            }
        }
    }

    let mut header = vec![format!("workflow {}", wf.name)];
    header.push(match wf.enroll {
        Enroll::Once => "enroll once".to_string(),
        Enroll::OncePer(d) => format!("enroll once per {}", format::duration(from_seconds(d))),
        Enroll::EveryTime => "enroll every time".to_string(),
    });
    if let Some(c) = &wf.only_if {
        header.extend(wrap(&format!("only if {}", b.text(c))));
    }
    b.node(start.clone(), NodeKind::Workflow, header);

    for (part, kind, keyword, cond) in [
        ("exit", NodeKind::Exit, "exit when", &wf.exit_when),
        ("goal", NodeKind::Goal, "goal", &wf.goal),
    ] {
        if let Some(c) = cond {
            let node = b.id(part);
            let mut lines = vec![keyword.to_string()];
            lines.extend(wrap(&b.text(c)));
            b.node(node.clone(), kind, lines);
            b.edge(&start, &node, Some("any time"), true);
        }
    }

    let held = b.holdout(wf, &start);
    let first = held.as_ref().map(|(_, treated)| treated.clone());
    let exits = b.steps(&wf.steps, vec![(start, first)]);
    let end = b.id("end");
    b.node(end.clone(), NodeKind::End, vec!["end".to_string()]);
    if let Some((node, _)) = held {
        b.edge(&node, &end, None, true);
    }
    b.connect(exits, &end);

    WorkflowGraph {
        index: id as usize,
        name: wf.name.clone(),
        nodes: b.nodes,
        edges: b.edges,
    }
}

/// A loose end: a node whose next edge is not drawn yet, and that edge's label.
type Pending = (String, Option<String>);

struct Builder<'a> {
    program: &'a Program,
    source: &'a str,
    prefix: String,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    /// Step nodes made so far.
    steps: usize,
}

impl Builder<'_> {
    /// A holdout branches off before the first step: a dashed edge with the share held out to
    /// its node; the node, and the label of the treated share for the first step's edge.
    fn holdout(&mut self, wf: &Workflow, start: &str) -> Option<(String, String)> {
        let (share, _) = wf.holdout?;
        let node = self.id("holdout");
        let mut lines = vec!["held out: no steps".to_string()];
        if let Some(d) = wf.goal_window() {
            lines.push(format!(
                "goal watched {}",
                format::duration(from_seconds(d))
            ));
        }
        self.node(node.clone(), NodeKind::Holdout, lines);
        self.edge(start, &node, Some(&format!("{share}% held out")), true);
        Some((node, format!("{}% treated", 100 - share)))
    }

    fn id(&self, part: &str) -> String {
        format!("{}_{part}", self.prefix)
    }

    fn step_id(&mut self) -> String {
        let id = self.id(&format!("s{}", self.steps));
        self.steps += 1;
        id
    }

    fn node(&mut self, id: String, kind: NodeKind, lines: Vec<String>) {
        self.nodes.push(Node { id, kind, lines });
    }

    fn edge(&mut self, from: &str, to: &str, label: Option<&str>, dashed: bool) {
        self.edges.push(Edge {
            from: from.to_string(),
            to: to.to_string(),
            label: label.map(str::to_string),
            dashed,
        });
    }

    fn entry_edge(&mut self, entry: String, start: &str, starts: bool) {
        let label = if starts { "start" } else { "stop" };
        self.edge(&entry, start, Some(label), !starts);
    }

    /// Draws the loose ends into `to`.
    fn connect(&mut self, pending: Vec<Pending>, to: &str) {
        for (from, label) in pending {
            self.edge(&from, to, label.as_deref(), false);
        }
    }

    /// Draws `steps` after the loose ends `pending`; returns the loose ends after them.
    fn steps(&mut self, steps: &[Step], mut pending: Vec<Pending>) -> Vec<Pending> {
        let mut i = 0;
        while i < steps.len() {
            let step = &steps[i];
            i += 1;
            let id = self.step_id();
            match &step.kind {
                StepKind::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    let lines = wrap_to(&self.text(cond), DECISION_WIDTH, DECISION_LINES);
                    self.node(id.clone(), NodeKind::Decision, lines);
                    self.connect(pending, &id);
                    let mut ends = self.steps(then, vec![(id.clone(), Some("yes".into()))]);
                    ends.extend(self.steps(otherwise, vec![(id, Some("no".into()))]));
                    pending = ends;
                }
                StepKind::Split { arms } => {
                    self.node(id.clone(), NodeKind::Split, vec!["split".to_string()]);
                    self.connect(pending, &id);
                    let mut ends = Vec::new();
                    for arm in arms {
                        let label = cut(&format!(
                            "{}% {}",
                            format::number(arm.share),
                            quoted(&arm.label)
                        ));
                        ends.extend(self.steps(&arm.steps, vec![(id.clone(), Some(label))]));
                    }
                    pending = ends;
                }
                StepKind::WaitUpTo {
                    timeout,
                    event,
                    filter,
                } => {
                    let mut lines = wrap(&format!(
                        "wait up to {} for {}",
                        format::duration(from_seconds(*timeout)),
                        self.event(*event)
                    ));
                    if let Some(f) = filter {
                        lines.extend(wrap(&format!("where {}", self.text(f))));
                    }
                    self.node(id.clone(), NodeKind::Wait, lines);
                    self.connect(pending, &id);
                    // `if received` (or `if not received`) right after: the wait's own edges.
                    let next = steps.get(i).and_then(|s| match &s.kind {
                        StepKind::If {
                            cond,
                            then,
                            otherwise,
                        } => received_test(cond).map(|arrived| (arrived, then, otherwise)),
                        _ => None,
                    });
                    pending = match next {
                        Some((arrived, then, otherwise)) => {
                            i += 1;
                            let (on_received, on_timeout) = if arrived {
                                (then, otherwise)
                            } else {
                                (otherwise, then)
                            };
                            let received = vec![(id.clone(), Some("received".into()))];
                            let mut ends = self.steps(on_received, received);
                            let timed_out = vec![(id, Some("timed out".into()))];
                            ends.extend(self.steps(on_timeout, timed_out));
                            ends
                        }
                        None => vec![(id, None)],
                    };
                }
                kind => {
                    let (node_kind, line) = self.simple(kind);
                    self.node(id.clone(), node_kind, wrap(&line));
                    self.connect(pending, &id);
                    pending = vec![(id, None)];
                }
            }
        }
        pending
    }

    /// The label of a step that is one node with one way out.
    fn simple(&self, kind: &StepKind) -> (NodeKind, String) {
        let action = |s: String| (NodeKind::Action, s);
        match kind {
            StepKind::Send { channel, template } => action(format!(
                "send {} {}",
                channel.name(),
                self.template(template)
            )),
            StepKind::Notify { audience, message } => action(format!(
                "notify {} {}",
                audience.name(),
                self.template(message)
            )),
            StepKind::Retarget { add, audience } => action(format!(
                "retarget {} {}",
                if *add { "add" } else { "remove" },
                self.template(audience)
            )),
            StepKind::Webhook { name, fields } => {
                let mut s = format!("webhook {}", self.template(name));
                if !fields.is_empty() {
                    let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
                    s.push_str(&format!(" {{ {} }}", keys.join(", ")));
                }
                action(s)
            }
            StepKind::Set { attr, value } => action(format!(
                "set lead.{} = {}",
                self.program.attrs[*attr as usize].name,
                self.text(value)
            )),
            StepKind::Tag(t) => action(format!("tag {}", self.template(t))),
            StepKind::Untag(t) => action(format!("untag {}", self.template(t))),
            StepKind::Start(w) => action(format!("start {}", self.workflow(*w))),
            StepKind::Stop(w) => action(format!("stop {}", self.workflow(*w))),
            StepKind::WaitFor(d) => (
                NodeKind::Wait,
                format!("wait {}", format::duration(from_seconds(*d))),
            ),
            StepKind::WaitUntil { weekday, minutes } => (
                NodeKind::Wait,
                format!(
                    "wait until {}{}",
                    if *weekday { "weekday " } else { "" },
                    format::time_of_day(*minutes)
                ),
            ),
            // Drawn by `steps` with more than one node or edge.
            StepKind::WaitUpTo { .. } | StepKind::If { .. } | StepKind::Split { .. } => {
                (NodeKind::Action, String::new())
            }
        }
    }

    fn trigger_lines(&self, trigger: &Trigger) -> Vec<String> {
        match &trigger.source {
            TriggerSource::Event { event, filter } => {
                let mut lines = wrap(&format!("on {}", self.event(*event)));
                if let Some(f) = filter {
                    lines.extend(wrap(&format!("where {}", self.text(f))));
                }
                lines
            }
            TriggerSource::Enter(l) => wrap(&format!("on enter {}", self.list(*l))),
            TriggerSource::Exit(l) => wrap(&format!("on exit {}", self.list(*l))),
        }
    }

    fn event(&self, id: u32) -> &str {
        self.program
            .events
            .get(id as usize)
            .map_or("?", |e| e.name.as_str())
    }

    fn list(&self, id: u32) -> &str {
        self.program
            .lists
            .get(id as usize)
            .map_or("?", |l| l.name.as_str())
    }

    fn workflow(&self, id: WorkflowId) -> &str {
        self.program
            .workflows
            .get(id as usize)
            .map_or("?", |w| w.name.as_str())
    }

    /// An expression as it is written.
    fn text(&self, e: &Expr) -> String {
        source_text(self.source, e.span.range())
    }

    /// A string as it is written, quotes and `{…}` included.
    fn template(&self, t: &Template) -> String {
        let written = source_text(self.source, t.span.range());
        if written.starts_with('"') {
            written
        } else {
            // Not from this source (it cannot happen for a checked campaign): the plain text.
            quoted(t.as_plain().unwrap_or("…"))
        }
    }
}

/// Whether `cond` is exactly `received` (Some(true)) or `not received` (Some(false)).
fn received_test(cond: &Expr) -> Option<bool> {
    match &cond.kind {
        ExprKind::Received => Some(true),
        ExprKind::Not(inner) => match inner.kind {
            ExprKind::Received => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A label for a diagram format: each character the format gives an escape is replaced by
/// it, and control characters (a newline in a condition) by a space.
fn escape_with(text: &str, escape: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match escape(c) {
            Some(e) => out.push_str(e),
            None if c.is_control() => out.push(' '),
            None => out.push(c),
        }
    }
    out
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `text` cut to `WIDTH` characters, ending in `…` when it was longer.
pub fn cut(text: &str) -> String {
    truncate(text, WIDTH)
}

/// `text` wrapped at spaces onto lines of at most `WIDTH` characters, at most `MAX_LINES` of
/// them, the last ending in `…` when there was more. A word longer than a line is split.
pub fn wrap(text: &str) -> Vec<String> {
    wrap_to(text, WIDTH, MAX_LINES)
}

/// `text` wrapped at spaces onto lines of at most `width` characters, at most `max_lines` of
/// them, the last ending in `…` when there was more. A word longer than a line is split. Two
/// lines break where they come out most even.
pub fn wrap_to(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let (width, max_lines) = (width.max(1), max_lines.max(1));
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word = word;
        loop {
            let (len, wlen) = (line.chars().count(), word.chars().count());
            if len > 0 && len + 1 + wlen <= width {
                line.push(' ');
                line.push_str(word);
                break;
            }
            if len == 0 && wlen <= width {
                line.push_str(word);
                break;
            }
            if len > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word longer than a line: as much as fits, the rest on the next line.
            let at = word
                .char_indices()
                .nth(width)
                .map_or(word.len(), |(i, _)| i);
            lines.push(word[..at].to_string());
            word = &word[at..];
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    if lines.len() == 2 && max_lines >= 2 {
        // Two lines: break where they come out most even, rather than leave a last word alone.
        let best = text
            .match_indices(' ')
            .map(|(i, _)| (text[..i].trim(), text[i..].trim()))
            .filter(|(a, b)| a.chars().count() <= width && b.chars().count() <= width)
            .min_by_key(|(a, b)| a.chars().count().max(b.chars().count()));
        if let Some((a, b)) = best {
            return vec![a.to_string(), b.to_string()];
        }
    }
    if lines.len() > max_lines {
        let rest = lines.split_off(max_lines);
        let last = lines.pop().unwrap_or_default();
        // Longer than a line, so it is cut with `…`.
        lines.push(truncate(&format!("{last} {}", rest.join(" ")), width));
    }
    lines
}

/// `text` cut to `max` characters, ending in `…` when it was longer.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        assert_eq!(truncate("abcdef", 6), "abcdef");
        assert_eq!(truncate("abcdefg", 6), "abcde…");
        assert_eq!(truncate("abc defg", 5), "abc…");
        assert_eq!(truncate("ééééééé", 4), "ééé…");
        assert_eq!(cut(&"x".repeat(100)).chars().count(), WIDTH);
    }

    #[test]
    fn text_is_wrapped_at_spaces_and_cut_after_the_last_line() {
        assert_eq!(wrap("did order.placed"), ["did order.placed"]);
        assert_eq!(wrap(""), [""]);
        let long = "did email.opened where template == \"ebook-delivery\" since enrolled";
        assert_eq!(
            wrap(long),
            [
                "did email.opened where template",
                "== \"ebook-delivery\" since enrolled"
            ]
        );
        assert_eq!(
            wrap("did trial.started within 30d since enrolled"),
            ["did trial.started within", "30d since enrolled"]
        );
        let longer = format!("{long} and lead.stage in [subscriber, nurtured]");
        let lines = wrap(&longer);
        assert_eq!(lines.len(), MAX_LINES);
        assert_eq!(lines[1], "\"ebook-delivery\" since enrolled and lea…");
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH));
        let word = "x".repeat(WIDTH + 5);
        assert_eq!(wrap(&word), ["x".repeat(WIDTH), "x".repeat(5)]);
        assert_eq!(wrap(&"y".repeat(5 * WIDTH))[1].chars().count(), WIDTH);
    }

    #[test]
    fn decisions_wrap_narrower_on_more_lines() {
        let cond = "did cart.abandoned where cart_value >= 100 within 4d";
        assert_eq!(
            wrap_to(cond, DECISION_WIDTH, DECISION_LINES),
            ["did cart.abandoned where", "cart_value >= 100 within 4d"]
        );
        let cond = "did email.opened where template == \"ebook-delivery\" since enrolled";
        assert_eq!(
            wrap_to(cond, DECISION_WIDTH, DECISION_LINES),
            [
                "did email.opened where",
                "template == \"ebook-delivery\"",
                "since enrolled"
            ]
        );
        assert_eq!(wrap_to("a b c", 3, 1), ["a…"]);
        assert_eq!(wrap_to("abc", 0, 0), ["…"]);
    }
}

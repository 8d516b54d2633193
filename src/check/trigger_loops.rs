//! Triggers whose immediate `set` steps set each other off in a circle: for sure (E0308, an
//! error), or depending on the lead (W0111, a warning).
//!
//! One graph holds what connects the triggers on lists (`on enter L`, `on exit L`). Its nodes
//! are those triggers, the workflows, each `set` step that runs at once (before any wait) in a
//! trigger's action or a workflow, "a lead can enter L" and "a lead can leave L" for each list,
//! and "S can change" for each score. Its edges:
//!
//! - a trigger or a workflow to the `set` steps it runs at once, and to the workflows it starts
//!   at once, except those that enrol once (`enroll once`, `enroll once per D`): such a
//!   workflow runs at most once in one chain of triggers, so no circle through it goes on;
//! - a `set` to the lists and scores that read its attribute, in the directions the value it
//!   writes allows: `set lead.stage = sql` cannot put a lead in `lead.stage == mql`, nor take
//!   it out of `lead.stage == sql`;
//! - a list's or a score's change to the lists and scores that read it (under `not`, a list
//!   moves the other way);
//! - entering or leaving a list to its triggers.
//!
//! An edge is definite when it surely happens: a trigger runs its action, a workflow its
//! steps, and a constant written makes a list's condition true (or false) whatever else holds.
//! Triggers in one strongly connected component of the definite edges set each other off
//! forever (E0308). Failing that, triggers in one component of all the edges may do so,
//! depending on the lead (W0111). A trigger alone cannot: its lead would have to leave the list
//! first. The circle reported goes through the component's first trigger.

use super::assume::{Assumption, Budget, Truth};
use super::cycles::{components, shortest_path, Deps, Graph};
use super::program::*;
use crate::diag::{Code, Diagnostic};
use crate::lang::format;
use crate::lang::modes::Enroll;
use crate::lang::ops::BinOp;
use crate::lang::types::Value;

/// Reports the first circle of triggers, if any. Returns the number of edges followed.
pub(super) fn check(program: &Program, deps: &Deps, diags: &mut Vec<Diagnostic>) -> usize {
    let net = Net::new(program, deps);
    if net.triggers.len() < 2 {
        return 0;
    }
    let all = Graph::from_edges(net.len, &[&net.definite[..], &net.possible[..]].concat());
    let (component, mut work) = components(&all);
    if first_looping(&net, &component).is_none() {
        return work;
    }
    let definite = Graph::from_edges(net.len, &net.definite);
    let (sure, more) = components(&definite);
    work += more;
    let (graph, component, code) = match first_looping(&net, &sure) {
        Some(_) => (&definite, sure, Code::TriggerLoop),
        None => (&all, component, Code::PossibleLoop),
    };
    let first = first_looping(&net, &component).expect("a looping component");
    let walk = circle(&net, graph, &component, first, &mut work);
    diags.push(net.diagnostic(code, &walk));
    work
}

/// The graph's nodes and edges, and what each node stands for.
struct Net<'p> {
    program: &'p Program,
    /// The list triggers: (index in `program.triggers`, the list, whether it fires on entering).
    triggers: Vec<(usize, ListId, bool)>,
    /// The `set` steps that run at once, each a node.
    sets: Vec<&'p Step>,
    workflow_base: usize,
    set_base: usize,
    list_base: usize,
    score_base: usize,
    attr_base: usize,
    len: usize,
    definite: Vec<(u32, u32)>,
    /// The edges that may or may not happen, depending on the lead.
    possible: Vec<(u32, u32)>,
}

/// What a node of the graph stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Trigger(usize),
    Workflow(WorkflowId),
    Set(usize),
    Enter(ListId),
    Leave(ListId),
    Score(ScoreId),
    /// "Attribute `a` changed, to any value": to every list and score that reads it.
    Changed(AttrId),
    /// "Attribute `a` changed": to the scores that read it.
    ScoresOf(AttrId),
}

impl<'p> Net<'p> {
    fn new(program: &'p Program, deps: &Deps) -> Net<'p> {
        let triggers: Vec<(usize, ListId, bool)> = (program.triggers.iter().enumerate())
            .filter_map(|(i, t)| match t.source {
                TriggerSource::Enter(l) => Some((i, l, true)),
                TriggerSource::Exit(l) => Some((i, l, false)),
                TriggerSource::Event { .. } => None,
            })
            .collect();
        let workflow_base = triggers.len();
        let set_base = workflow_base + program.workflows.len();
        let mut net = Net {
            program,
            triggers,
            sets: Vec::new(),
            workflow_base,
            set_base,
            list_base: 0,
            score_base: 0,
            attr_base: 0,
            len: 0,
            definite: Vec::new(),
            possible: Vec::new(),
        };
        if net.triggers.len() < 2 {
            return net;
        }
        net.actions();
        net.list_base = net.set_base + net.sets.len();
        net.score_base = net.list_base + 2 * program.lists.len();
        net.attr_base = net.score_base + program.scores.len();
        net.len = net.attr_base + 2 * program.attrs.len();
        net.writes(deps);
        net.reads(deps);
        for (k, &(_, list, entering)) in net.triggers.iter().enumerate() {
            let from = if entering {
                Node::Enter(list)
            } else {
                Node::Leave(list)
            };
            net.definite.push((net.id(from), k as u32));
        }
        net
    }

    fn id(&self, node: Node) -> u32 {
        (match node {
            Node::Trigger(k) => k,
            Node::Workflow(w) => self.workflow_base + w as usize,
            Node::Set(s) => self.set_base + s,
            Node::Enter(l) => self.list_base + 2 * l as usize,
            Node::Leave(l) => self.list_base + 2 * l as usize + 1,
            Node::Score(s) => self.score_base + s as usize,
            Node::Changed(a) => self.attr_base + 2 * a as usize,
            Node::ScoresOf(a) => self.attr_base + 2 * a as usize + 1,
        }) as u32
    }

    fn node(&self, id: usize) -> Node {
        if id < self.workflow_base {
            Node::Trigger(id)
        } else if id < self.set_base {
            Node::Workflow((id - self.workflow_base) as WorkflowId)
        } else if id < self.list_base {
            Node::Set(id - self.set_base)
        } else if id < self.score_base {
            let l = ((id - self.list_base) / 2) as ListId;
            match (id - self.list_base) % 2 {
                0 => Node::Enter(l),
                _ => Node::Leave(l),
            }
        } else if id < self.attr_base {
            Node::Score((id - self.score_base) as ScoreId)
        } else {
            let a = ((id - self.attr_base) / 2) as AttrId;
            match (id - self.attr_base) % 2 {
                0 => Node::Changed(a),
                _ => Node::ScoresOf(a),
            }
        }
    }

    /// Each trigger's action and each workflow's steps, as far as they run at once: edges to
    /// the `set` steps (numbered here) and to the workflows started that may run again.
    fn actions(&mut self) {
        let program = self.program;
        let mut owners: Vec<(Node, &'p [Step])> = Vec::new();
        for (k, &(i, _, _)) in self.triggers.iter().enumerate() {
            owners.push((
                Node::Trigger(k),
                std::slice::from_ref(&program.triggers[i].action),
            ));
        }
        for (w, wf) in program.workflows.iter().enumerate() {
            owners.push((Node::Workflow(w as WorkflowId), &wf.steps));
        }
        let (mut sets, mut starts) = (Vec::new(), Vec::new());
        for (owner, steps) in owners {
            sets.clear();
            starts.clear();
            immediate(steps, &mut sets, &mut starts);
            for &s in &sets {
                let edge = (self.id(owner), self.id(Node::Set(self.sets.len())));
                self.definite.push(edge);
                self.sets.push(s);
            }
            for &w in &starts {
                if runs_again(program.workflows[w as usize].enroll) {
                    let edge = (self.id(owner), self.id(Node::Workflow(w)));
                    self.definite.push(edge);
                }
            }
        }
    }

    /// Each `set` to the lists and scores that read its attribute directly, in the directions
    /// its value allows. A constant is tried on each list that reads the attribute, while the
    /// budget of `assume` lasts; any other value, or any `set` past the budget, goes through
    /// the attribute's `Changed` node to every reader, both ways, so that the edges stay as
    /// many as the sets and the readers, not their product.
    fn writes(&mut self, deps: &Deps) {
        let program = self.program;
        let mut lists: Vec<Vec<ListId>> = vec![Vec::new(); program.attrs.len()];
        let mut scores: Vec<Vec<ScoreId>> = vec![Vec::new(); program.attrs.len()];
        for d in 0..deps.len() {
            for &a in deps.attrs.next(d) {
                match d.checked_sub(deps.scores) {
                    None => push_new(&mut scores[a as usize], d as ScoreId),
                    Some(l) => push_new(&mut lists[a as usize], l as ListId),
                }
            }
        }
        for a in 0..program.attrs.len() as AttrId {
            let (changed, scores_of) = (self.id(Node::Changed(a)), self.id(Node::ScoresOf(a)));
            for &l in &lists[a as usize] {
                let (enter, leave) = (self.id(Node::Enter(l)), self.id(Node::Leave(l)));
                self.possible.extend([(changed, enter), (changed, leave)]);
            }
            for &s in &scores[a as usize] {
                let score = self.id(Node::Score(s));
                self.possible.extend([(changed, score), (scores_of, score)]);
            }
        }
        let mut budget = Budget::default();
        for (s, step) in self.sets.clone().into_iter().enumerate() {
            let StepKind::Set { attr, value } = &step.kind else {
                continue;
            };
            let from = self.id(Node::Set(s));
            let value = match &value.kind {
                ExprKind::Const(v) if *v != Value::Missing && budget.0 > 0 => v,
                _ => {
                    self.possible.push((from, self.id(Node::Changed(*attr))));
                    continue;
                }
            };
            self.possible.push((from, self.id(Node::ScoresOf(*attr))));
            let assume = Assumption {
                program,
                attr: *attr,
                value,
            };
            for &l in &lists[*attr as usize] {
                if budget.0 == 0 {
                    self.possible.push((from, self.id(Node::Changed(*attr))));
                    break;
                }
                let (enter, leave) = (self.id(Node::Enter(l)), self.id(Node::Leave(l)));
                match assume.truth(&program.lists[l as usize].cond, &mut budget) {
                    Truth::True => self.definite.push((from, enter)),
                    Truth::False => self.definite.push((from, leave)),
                    Truth::Unknown => self.possible.extend([(from, enter), (from, leave)]),
                }
            }
        }
    }

    /// Each list's and score's change to those that read it.
    fn reads(&mut self, deps: &Deps) {
        let program = self.program;
        for (l, list) in program.lists.iter().enumerate() {
            let (enter, leave) = (
                self.id(Node::Enter(l as ListId)),
                self.id(Node::Leave(l as ListId)),
            );
            let mut edges: Vec<(Node, u32)> = Vec::new();
            polarities(&list.cond, Polarity::Same, &mut |read, polarity| {
                let (up, down) = match read {
                    Read::List(m) => (Node::Enter(m), Node::Leave(m)),
                    Read::Score(s) => (Node::Score(s), Node::Score(s)),
                };
                match polarity {
                    Polarity::Same => edges.extend([(up, enter), (down, leave)]),
                    Polarity::Opposite => edges.extend([(up, leave), (down, enter)]),
                    Polarity::Both => {
                        edges.extend([(up, enter), (up, leave), (down, enter), (down, leave)])
                    }
                }
            });
            edges.dedup();
            let edges = edges.into_iter().map(|(n, to)| (self.id(n), to));
            self.possible.extend(edges.collect::<Vec<_>>());
        }
        for s in 0..program.scores.len() {
            let to = self.id(Node::Score(s as ScoreId));
            for &m in deps.reads.next(s) {
                let froms = match (m as usize).checked_sub(deps.scores) {
                    None => vec![Node::Score(m)],
                    Some(l) => vec![Node::Enter(l as ListId), Node::Leave(l as ListId)],
                };
                let edges: Vec<(u32, u32)> = froms.into_iter().map(|n| (self.id(n), to)).collect();
                self.possible.extend(edges);
            }
        }
    }

    /// The diagnostic for a circle: the `set` steps named in the message, each labelled with
    /// what it does to the next list, and the triggers labelled with what sets them off.
    fn diagnostic(&self, code: Code, walk: &[usize]) -> Diagnostic {
        let program = self.program;
        let sure = code == Code::TriggerLoop;
        let mut sets: Vec<usize> = Vec::new();
        let mut workflows: Vec<&str> = Vec::new();
        let mut labels = Vec::new();
        for (i, &id) in walk.iter().enumerate() {
            match self.node(id) {
                Node::Trigger(k) => {
                    let (index, list, entering) = self.triggers[k];
                    let how = if entering { "entering" } else { "leaving" };
                    let name = &program.lists[list as usize].name;
                    let span = program.triggers[index].span;
                    labels.push((span, format!("a lead {how} `{name}` sets off this trigger")));
                }
                Node::Workflow(w) => {
                    push_new(&mut workflows, program.workflows[w as usize].name.as_str())
                }
                Node::Set(s) if !sets.contains(&s) => {
                    sets.push(s);
                    let next = walk[(i + 1) % walk.len()];
                    let edge = (id as u32, next as u32);
                    // Through an attribute's node, the effect is on the reader after it.
                    let reader = (1..walk.len())
                        .map(|k| self.node(walk[(i + k) % walk.len()]))
                        .find(|n| !matches!(n, Node::Changed(_) | Node::ScoresOf(_)))
                        .unwrap_or(Node::Set(s));
                    let text = effect(program, reader, self.definite.contains(&edge));
                    labels.push((self.sets[s].span, text));
                }
                _ => {}
            }
        }
        let named: Vec<String> = sets
            .iter()
            .map(|&s| describe_set(program, self.sets[s]))
            .collect();
        let named = join_and(&named);
        let (message, outcome) = if sure {
            (format!("{named} set off each other's triggers forever"), "")
        } else {
            (
                format!("{named} may set off each other's triggers in a circle"),
                "; the engine stops such a chain at depth 16 with an error record",
            )
        };
        let mut fixes = vec![match workflows.as_slice() {
            [] => "move one of these `set` steps into a workflow that enrols once or waits first"
                .to_string(),
            names => format!(
                "make {} enrol once (`enroll once` or `enroll once per 30d`)",
                join_or(&names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>())
            ),
        }];
        if !workflows.is_empty() {
            fixes.push("add a `wait` before one of these `set` steps".to_string());
        }
        let help = if sure {
            fixes.push("set values that do not bring the lead back".to_string());
            format!("break the circle: {}", join_or(&fixes))
        } else {
            format!(
                "if a lead can go round this circle, {}{outcome}",
                join_or(&fixes)
            )
        };
        // The error points at the first trigger, the warning at the first `set`: that is the
        // line a `// nurture: ignore W0111` goes on.
        let first = if sure {
            0
        } else {
            labels
                .iter()
                .position(|(span, _)| sets.first().is_some_and(|&s| self.sets[s].span == *span))
                .unwrap_or(0)
        };
        let (span, label) = labels.remove(first);
        let mut d = Diagnostic::new(code, span, message).with_label(label);
        for (span, text) in labels {
            d = d.with_secondary(span, text);
        }
        d.with_help(help)
    }
}

/// Whether a workflow started again in the same chain of triggers runs again: only one that
/// enrols every time (a period of zero bounds nothing either).
fn runs_again(enroll: Enroll) -> bool {
    matches!(enroll, Enroll::EveryTime | Enroll::OncePer(0))
}

/// What a `set` does to the node after it on the circle.
fn effect(program: &Program, next: Node, definite: bool) -> String {
    let (put, take, change) = match definite {
        true => ("puts", "takes", "changes"),
        false => ("may put", "may take", "may change"),
    };
    match next {
        Node::Enter(l) => format!(
            "this {put} the lead in `{}`",
            program.lists[l as usize].name
        ),
        Node::Leave(l) => format!(
            "this {take} the lead out of `{}`",
            program.lists[l as usize].name
        ),
        Node::Score(s) => format!("this {change} `{}`", program.scores[s as usize].name),
        _ => format!("this {change} what another trigger reacts to"),
    }
}

/// `` `set lead.stage = sql` ``, the value shown when it is a constant.
fn describe_set(program: &Program, step: &Step) -> String {
    let StepKind::Set { attr, value } = &step.kind else {
        return "a step".to_string();
    };
    let name = &program.attrs[*attr as usize].name;
    let shown = match &value.kind {
        ExprKind::Const(Value::Enum(e, v)) => {
            program.enums[*e as usize].variants[*v as usize].clone()
        }
        ExprKind::Const(Value::Bool(b)) => b.to_string(),
        ExprKind::Const(Value::Int(i)) => i.to_string(),
        ExprKind::Const(Value::Number(n)) => format::number(*n),
        ExprKind::Const(Value::Str(s)) => format!("\"{s}\""),
        _ => "…".to_string(),
    };
    format!("`set lead.{name} = {shown}`")
}

fn join_and(items: &[String]) -> String {
    join(items, "and")
}

fn join_or(items: &[String]) -> String {
    join(items, "or")
}

fn join(items: &[String], word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {word} {last}", init.join(", ")),
    }
}

fn push_new<T: PartialEq>(items: &mut Vec<T>, item: T) {
    if !items.contains(&item) {
        items.push(item);
    }
}

/// The first trigger whose component holds another trigger.
fn first_looping(net: &Net<'_>, component: &[u32]) -> Option<usize> {
    let t = net.triggers.len();
    let mut triggers_in = std::collections::HashMap::new();
    for c in &component[..t] {
        *triggers_in.entry(*c).or_insert(0usize) += 1;
    }
    (0..t).find(|&k| triggers_in[&component[k]] >= 2)
}

/// A circle through `first` and the nearest other trigger, and back: its nodes in order, the
/// last leading to the first. (Both ways exist inside the component; should they not, the
/// first trigger is reported alone rather than not at all.)
fn circle(
    net: &Net<'_>,
    graph: &Graph,
    component: &[u32],
    first: usize,
    work: &mut usize,
) -> Vec<usize> {
    let t = net.triggers.len();
    let inside = |m: usize| component[m] == component[first];
    let other = |m: usize| m < t && m != first;
    shortest_path(graph, first, other, &inside, work)
        .and_then(|there| {
            let to = *there.last()?;
            let back = shortest_path(graph, to, |m| m == first, &inside, work)?;
            let mut walk: Vec<usize> = there.into_iter().chain(back.into_iter().skip(1)).collect();
            // The walk ends where it began.
            walk.pop();
            Some(walk)
        })
        .unwrap_or_else(|| vec![first])
}

/// What a sequence of steps does at once, before any wait: the `set` steps it runs and the
/// workflows it starts (whose own first steps run at once too). Returns whether every path
/// through the steps reaches a wait.
fn immediate<'p>(
    steps: &'p [Step],
    sets: &mut Vec<&'p Step>,
    starts: &mut Vec<WorkflowId>,
) -> bool {
    for s in steps {
        match &s.kind {
            StepKind::Set { .. } => sets.push(s),
            StepKind::Start(w) => starts.push(*w),
            StepKind::WaitFor(_) | StepKind::WaitUntil { .. } | StepKind::WaitUpTo { .. } => {
                return true
            }
            StepKind::If {
                then, otherwise, ..
            } => {
                let a = immediate(then, sets, starts);
                let b = immediate(otherwise, sets, starts);
                if a && b {
                    return true;
                }
            }
            StepKind::Split { arms } => {
                let mut all_wait = !arms.is_empty();
                for arm in arms {
                    all_wait &= immediate(&arm.steps, sets, starts);
                }
                if all_wait {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// How a list's membership follows a list it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Polarity {
    /// Read under `and`, `or` only: entering the one can only put the lead in the other.
    Same,
    /// Read under one `not`: it moves the other way.
    Opposite,
    /// Read inside anything else (a comparison): either way.
    Both,
}

#[derive(Debug, Clone, Copy)]
enum Read {
    List(ListId),
    Score(ScoreId),
}

/// Calls `f` with every list and score a condition reads, and how the condition follows it.
fn polarities(e: &Expr, polarity: Polarity, f: &mut dyn FnMut(Read, Polarity)) {
    let flip = match polarity {
        Polarity::Same => Polarity::Opposite,
        Polarity::Opposite => Polarity::Same,
        Polarity::Both => Polarity::Both,
    };
    match &e.kind {
        ExprKind::InList(l) => f(Read::List(*l), polarity),
        ExprKind::Score(s) => f(Read::Score(*s), polarity),
        ExprKind::Not(x) => polarities(x, flip, f),
        ExprKind::Binary {
            op: BinOp::And | BinOp::Or,
            lhs,
            rhs,
        } => {
            polarities(lhs, polarity, f);
            polarities(rhs, polarity, f);
        }
        _ => super::visit::each_subexpr(e, &mut |x| match x.kind {
            ExprKind::InList(l) => f(Read::List(l), Polarity::Both),
            ExprKind::Score(s) => f(Read::Score(s), Polarity::Both),
            _ => {}
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check_text;
    use crate::lang::span::line_col;

    fn loops(src: &str) -> Vec<Diagnostic> {
        let (diags, _) = check_text(src);
        diags
            .into_iter()
            .filter(|d| matches!(d.code, Code::TriggerLoop | Code::PossibleLoop))
            .collect()
    }

    /// The lines a diagnostic points at, its primary span first.
    fn lines(src: &str, d: &Diagnostic) -> Vec<usize> {
        std::iter::once(d.span)
            .chain(d.labels.iter().map(|l| l.span))
            .map(|s| line_col(src, s.start).0)
            .collect()
    }

    const STAGES: &str = "lead { email: string\n stage: Stage = subscriber\n size: int = 0 }\n\
        enum Stage { subscriber, mql, sql, recycled }\n\
        list hot = lead.stage == mql\nlist cold = lead.stage == sql\n\
        on enter hot start handoff\non enter cold start recycle\n";

    /// Issue 11, item 13: the sales hand-off and recycle of the report.
    #[test]
    fn a_sales_handoff_and_recycle_is_no_loop() {
        for enroll in ["once", "every time"] {
            let src = format!(
                "{STAGES}workflow handoff {{ enroll {enroll}\n notify sales \"{{lead.email}} is ready\"\n set lead.stage = sql }}\n\
                 workflow recycle {{ enroll {enroll}\n set lead.stage = recycled }}\n"
            );
            let (diags, program) = check_text(&src);
            assert!(diags.is_empty(), "{enroll}: {diags:#?}");
            assert!(program.is_some());
        }
    }

    #[test]
    fn a_value_that_puts_the_lead_back_is_a_loop_unless_a_workflow_enrols_once() {
        let src = |enroll: &str| {
            format!(
                "{STAGES}workflow handoff {{ enroll every time\n set lead.stage = sql }}\n\
                 workflow recycle {{ enroll {enroll}\n set lead.stage = mql }}\n"
            )
        };
        let d = loops(&src("every time"));
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].code, Code::TriggerLoop);
        assert_eq!(
            d[0].message,
            "`set lead.stage = sql` and `set lead.stage = mql` set off each other's triggers forever"
        );
        // The first trigger, the set it runs, the other trigger, the set that brings it back.
        assert_eq!(lines(&src("every time"), &d[0]), vec![7, 10, 8, 12]);
        assert_eq!(d[0].labels[0].message, "this puts the lead in `cold`");
        assert!(d[0]
            .help
            .as_deref()
            .unwrap()
            .contains("`handoff` or `recycle`"));
        for enroll in ["once", "once per 30d"] {
            assert!(loops(&src(enroll)).is_empty(), "{enroll}");
        }
    }

    #[test]
    fn a_loop_that_depends_on_the_lead_is_a_warning_naming_the_sets() {
        let src = STAGES.replace("lead.stage == mql", "lead.stage == mql and lead.size >= 50")
            + "workflow handoff { enroll every time\n set lead.stage = sql }\n\
               workflow recycle { enroll every time\n set lead.stage = mql }\n";
        let d = loops(&src);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].code, Code::PossibleLoop);
        assert_eq!(
            d[0].message,
            "`set lead.stage = sql` and `set lead.stage = mql` may set off each other's triggers in a circle"
        );
        // The warning sits on the first `set`.
        assert_eq!(lines(&src, &d[0]), vec![10, 7, 8, 12]);
        assert_eq!(d[0].label.as_deref(), Some("this puts the lead in `cold`"));
        assert_eq!(d[0].labels[2].message, "this may put the lead in `hot`");
        // A value that is not a constant may do anything.
        let src = STAGES.to_string()
            + "workflow handoff { enroll every time\n set lead.stage = sql }\n\
               workflow recycle { enroll every time\n set lead.stage = lead.stage }\n";
        let d = loops(&src);
        assert_eq!(
            d.iter().map(|d| d.code).collect::<Vec<_>>(),
            vec![Code::PossibleLoop]
        );
    }

    #[test]
    fn lists_read_by_lists_and_scores_carry_a_change_on() {
        // `ready` follows `qualified`; `cold_ready` reads `ready` under `not`.
        let src = "lead { a: bool = false\n b: bool = false }\n\
            list qualified = lead.a\nlist ready = qualified\nlist waiting = not ready\n\
            score fit { when lead.b add 10 }\nlist fits = fit >= 10\n\
            on enter ready set lead.b = true\non enter fits set lead.a = false\n\
            on enter waiting set lead.a = true\n";
        let d = loops(src);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].code, Code::PossibleLoop);
        assert_eq!(lines(src, &d[0]), vec![8, 8, 9, 9, 10, 10]);
    }

    /// Many `set` steps writing one attribute that many lists read: the edges stay about as
    /// many as the sets and the lists, past the budget of `assume`, not their product.
    #[test]
    fn many_sets_of_one_attribute_stay_linear() {
        let n = 3_000;
        let mut src = String::from("lead { a: int = 0 }\n");
        for i in 0..n {
            src.push_str(&format!(
                "list l{i} = lead.a == {i}\non enter l{i} start w{i}\n\
                 workflow w{i} {{ enroll every time set lead.a = {} }}\n",
                i + 1
            ));
        }
        let (file, diags) = crate::syntax::parse(&src);
        assert!(diags.is_empty());
        let (prelude, _) = crate::syntax::parse(crate::check::PRELUDE);
        let (program, _, _) = crate::check::checker::check(&prelude, &file);
        let deps = Deps::new(&program);
        let mut diags = Vec::new();
        let work = check(&program, &deps, &mut diags);
        // n² = 9,000,000 pairs; the budget is 200,000.
        assert!(
            work < 3 * super::super::assume::BUDGET + 40 * n,
            "{work} edges followed"
        );
        // The chain l0 → l1 → … is no circle; past the budget the analysis cannot tell, and
        // at most warns.
        assert!(
            diags.iter().all(|d| d.code == Code::PossibleLoop),
            "{diags:#?}"
        );
    }

    #[test]
    fn trigger_loops_name_a_circle_of_distinct_triggers() {
        let src = "lead { a: bool = false\n b: bool = false\n c: bool = false }\n\
            list la = lead.a\nlist lb = lead.b\nlist lc = lead.c\n\
            on enter la set lead.b = true\n\
            on enter lb start w\n\
            workflow w { enroll every time set lead.c = true }\n\
            on enter lc set lead.a = true\n\
            on enter la set lead.a = false\n";
        let d = loops(src);
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].code, Code::TriggerLoop);
        // The three triggers and their sets, in the order they set each other off; not the
        // fourth trigger, which is not on the shortest way round.
        assert_eq!(lines(src, &d[0]), vec![7, 7, 8, 9, 10, 10]);
        assert!(d[0]
            .help
            .as_deref()
            .unwrap()
            .contains("make `w` enrol once"));
        // A workflow that enrols once runs once in a chain: no loop.
        assert!(loops(&src.replace("enroll every time ", "")).is_empty());
        // A trigger that only re-fires its own list is no loop.
        let src = "lead { a: bool = false }\nlist la = lead.a\non enter la set lead.a = false\non exit la tag \"x\"\n";
        assert!(loops(src).is_empty());
        // A wait before the set breaks the circle.
        let src = "lead { a: bool = false }\nlist la = lead.a\n\
             on enter la start w1\non exit la start w2\n\
             workflow w1 { enroll every time wait 1d set lead.a = false }\n\
             workflow w2 { enroll every time set lead.a = true }\n";
        assert!(loops(src).is_empty());
        // Without it, the two set each other off forever.
        let d = loops(&src.replace("wait 1d ", ""));
        assert_eq!(
            d.iter().map(|d| d.code).collect::<Vec<_>>(),
            vec![Code::TriggerLoop]
        );
    }
}

//! Cycles the checker rejects: scores and lists that depend on themselves (E0303), and
//! triggers whose immediate `set` steps could re-trigger each other forever (E0308).

use super::program::*;
use super::visit::each_subexpr;
use crate::diag::{Code, Diagnostic};

/// A score or a list: the values derived from lead state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Score(ScoreId),
    List(ListId),
}

pub fn check(program: &Program, diags: &mut Vec<Diagnostic>) {
    derived_cycles(program, diags);
    trigger_loops(program, diags);
}

fn name(program: &Program, n: Node) -> String {
    match n {
        Node::Score(s) => program.scores[s as usize].name.clone(),
        Node::List(l) => program.lists[l as usize].name.clone(),
    }
}

/// What a score or list reads directly: scores and lists, and attributes.
fn reads(program: &Program, n: Node) -> (Vec<Node>, Vec<AttrId>) {
    let mut nodes = Vec::new();
    let mut attrs = Vec::new();
    let mut visit = |e: &Expr| {
        each_subexpr(e, &mut |x| match x.kind {
            ExprKind::Score(s) => nodes.push(Node::Score(s)),
            ExprKind::InList(l) => nodes.push(Node::List(l)),
            ExprKind::Attr(a) => attrs.push(a),
            _ => {}
        })
    };
    match n {
        Node::Score(s) => match &program.scores[s as usize].kind {
            ScoreKind::Derived(e) => visit(e),
            // `on` rules count at event time with the values of the moment: no cycle there.
            ScoreKind::Rules { when, .. } => when.iter().for_each(|w| visit(&w.cond)),
        },
        Node::List(l) => visit(&program.lists[l as usize].cond),
    }
    (nodes, attrs)
}

fn derived_cycles(program: &Program, diags: &mut Vec<Diagnostic>) {
    let nodes: Vec<Node> = (0..program.scores.len() as u32)
        .map(Node::Score)
        .chain((0..program.lists.len() as u32).map(Node::List))
        .collect();
    let index = |n: Node| match n {
        Node::Score(s) => s as usize,
        Node::List(l) => program.scores.len() + l as usize,
    };
    let edges: Vec<Vec<Node>> = nodes.iter().map(|n| reads(program, *n).0).collect();
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; nodes.len()];
    let mut reported = vec![false; nodes.len()];
    for start in &nodes {
        let mut path = Vec::new();
        visit(
            *start,
            &edges,
            &index,
            &mut state,
            &mut path,
            &mut |cycle: &[Node]| {
                let first = cycle[0];
                if cycle.iter().any(|n| reported[index(*n)]) {
                    return;
                }
                for n in cycle {
                    reported[index(*n)] = true;
                }
                let mut names: Vec<String> = cycle
                    .iter()
                    .map(|n| format!("`{}`", name(program, *n)))
                    .collect();
                names.push(names[0].clone());
                let span = match first {
                    Node::Score(s) => program.scores[s as usize].span,
                    Node::List(l) => program.lists[l as usize].span,
                };
                diags.push(
                    Diagnostic::new(
                        Code::ScoreCycle,
                        span,
                        format!(
                            "`{}` depends on itself: {}",
                            name(program, first),
                            names.join(" → ")
                        ),
                    )
                    .with_label("defined in terms of itself")
                    .with_help("break the circle: one of these must be defined without the others"),
                );
            },
        );
    }
}

fn visit(
    n: Node,
    edges: &[Vec<Node>],
    index: &dyn Fn(Node) -> usize,
    state: &mut [u8],
    path: &mut Vec<Node>,
    on_cycle: &mut dyn FnMut(&[Node]),
) {
    let i = index(n);
    match state[i] {
        2 => return,
        1 => {
            let from = path.iter().position(|p| *p == n).unwrap_or(0);
            on_cycle(&path[from..]);
            return;
        }
        _ => {}
    }
    state[i] = 1;
    path.push(n);
    for m in &edges[i] {
        visit(*m, edges, index, state, path, on_cycle);
    }
    path.pop();
    state[i] = 2;
}

/// The attributes a score or list depends on, through other scores and lists.
fn attrs_behind(program: &Program, n: Node, seen: &mut Vec<(u8, u32)>, out: &mut Vec<AttrId>) {
    let key = match n {
        Node::Score(s) => (0, s),
        Node::List(l) => (1, l),
    };
    if seen.contains(&key) {
        return;
    }
    seen.push(key);
    let (nodes, attrs) = reads(program, n);
    out.extend(attrs);
    for m in nodes {
        attrs_behind(program, m, seen, out);
    }
}

/// What a trigger's action does at once, before any wait: the attributes it sets.
fn immediate_sets(
    program: &Program,
    steps: &[Step],
    seen: &mut Vec<WorkflowId>,
    out: &mut Vec<AttrId>,
) -> bool {
    for s in steps {
        match &s.kind {
            StepKind::Set { attr, .. } => out.push(*attr),
            StepKind::Start(w) if !seen.contains(w) => {
                seen.push(*w);
                immediate_sets(program, &program.workflows[*w as usize].steps, seen, out);
            }
            StepKind::WaitFor(_) | StepKind::WaitUntil { .. } | StepKind::WaitUpTo { .. } => {
                return true
            }
            StepKind::If {
                then, otherwise, ..
            } => {
                let a = immediate_sets(program, then, seen, out);
                let b = immediate_sets(program, otherwise, seen, out);
                if a && b {
                    return true;
                }
            }
            StepKind::Split { arms } => {
                let mut all_wait = !arms.is_empty();
                for arm in arms {
                    all_wait &= immediate_sets(program, &arm.steps, seen, out);
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

/// E0308: `on enter/exit LIST` triggers whose immediate `set`s change lists that fire other
/// such triggers, round in a circle. A trigger re-firing its own list alone cannot loop: the
/// lead would have to leave the list first.
fn trigger_loops(program: &Program, diags: &mut Vec<Diagnostic>) {
    let list_triggers: Vec<(usize, ListId)> = program
        .triggers
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t.source {
            TriggerSource::Enter(l) | TriggerSource::Exit(l) => Some((i, l)),
            TriggerSource::Event { .. } => None,
        })
        .collect();
    let lists_reading: Vec<Vec<AttrId>> = (0..program.lists.len() as u32)
        .map(|l| {
            let mut out = Vec::new();
            attrs_behind(program, Node::List(l), &mut Vec::new(), &mut out);
            out
        })
        .collect();
    // Trigger i may fire trigger j when i's immediate sets touch an attribute j's list reads.
    let edges: Vec<Vec<usize>> = list_triggers
        .iter()
        .map(|(i, _)| {
            let mut sets = Vec::new();
            immediate_sets(
                program,
                std::slice::from_ref(&program.triggers[*i].action),
                &mut Vec::new(),
                &mut sets,
            );
            list_triggers
                .iter()
                .enumerate()
                .filter(|(_, (j, l))| {
                    j != i && sets.iter().any(|a| lists_reading[*l as usize].contains(a))
                })
                .map(|(k, _)| k)
                .collect()
        })
        .collect();
    let mut state = vec![0u8; list_triggers.len()];
    let mut reported = false;
    for start in 0..list_triggers.len() {
        if reported {
            break;
        }
        let mut path = Vec::new();
        let mut found: Option<Vec<usize>> = None;
        walk(start, &edges, &mut state, &mut path, &mut found);
        if let Some(cycle) = found {
            reported = true;
            let t = &program.triggers[list_triggers[cycle[0]].0];
            let mut d = Diagnostic::new(
                Code::TriggerLoop,
                t.span,
                "these triggers could set each other off forever",
            )
            .with_label("this trigger changes what another one reacts to");
            for k in &cycle[1..] {
                d = d.with_secondary(
                    program.triggers[list_triggers[*k].0].span,
                    "which changes what this one reacts to",
                );
            }
            diags.push(d.with_help("add a `wait` before the `set`, or make the conditions exclusive so the circle ends"));
        }
    }
}

fn walk(
    n: usize,
    edges: &[Vec<usize>],
    state: &mut [u8],
    path: &mut Vec<usize>,
    found: &mut Option<Vec<usize>>,
) {
    if found.is_some() || state[n] == 2 {
        return;
    }
    if state[n] == 1 {
        let from = path.iter().position(|p| *p == n).unwrap_or(0);
        *found = Some(path[from..].to_vec());
        return;
    }
    state[n] = 1;
    path.push(n);
    for m in &edges[n] {
        walk(*m, edges, state, path, found);
    }
    path.pop();
    state[n] = 2;
}

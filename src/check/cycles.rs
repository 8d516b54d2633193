//! Cycles the checker rejects: scores and lists that depend on themselves (E0303), and
//! triggers whose immediate `set` steps could re-trigger each other forever (E0308).
//!
//! Both analyses are linear in the program: each builds its graph once (adjacency in flat
//! arrays) and walks it with an explicit stack, so a generated file of hundreds of thousands
//! of lists, each reading the one before, neither takes quadratic time nor overflows the stack.

use super::program::*;
use super::visit::each_subexpr;
use crate::diag::{Code, Diagnostic};

pub fn check(program: &Program, diags: &mut Vec<Diagnostic>) {
    analyse(program, diags);
}

/// Runs both analyses; returns how many edges they followed in all (for the tests that keep
/// them linear).
fn analyse(program: &Program, diags: &mut Vec<Diagnostic>) -> usize {
    let deps = Deps::new(program);
    let mut work = derived_cycles(program, &deps, diags);
    work += trigger_loops(program, &deps, diags);
    work
}

/// A directed graph over dense indices, its adjacency in one flat array.
#[derive(Default)]
struct Graph {
    /// The successors of node `i` are `targets[start[i]..start[i + 1]]`.
    start: Vec<u32>,
    targets: Vec<u32>,
}

impl Graph {
    /// A graph of `n` nodes from its edges, each node's successors in the order given.
    fn from_edges(n: usize, edges: &[(u32, u32)]) -> Graph {
        let mut start = vec![0u32; n + 1];
        for &(from, _) in edges {
            start[from as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut targets = vec![0u32; edges.len()];
        for &(from, to) in edges {
            targets[fill[from as usize] as usize] = to;
            fill[from as usize] += 1;
        }
        Graph { start, targets }
    }

    fn len(&self) -> usize {
        self.start.len().saturating_sub(1)
    }

    fn next(&self, i: usize) -> &[u32] {
        &self.targets[self.start[i] as usize..self.start[i + 1] as usize]
    }
}

/// The derived values (scores, then lists, as one index space) and what each reads directly.
struct Deps {
    scores: usize,
    /// Node → the scores and lists it reads, in the order they appear.
    reads: Graph,
    /// Node → the attributes it reads directly.
    attrs: Graph,
}

impl Deps {
    fn new(program: &Program) -> Deps {
        let scores = program.scores.len();
        let n = scores + program.lists.len();
        let mut reads = Vec::new();
        let mut attrs = Vec::new();
        for i in 0..n {
            let mut visit = |e: &Expr| {
                each_subexpr(e, &mut |x| match x.kind {
                    ExprKind::Score(s) => reads.push((i as u32, s)),
                    ExprKind::InList(l) => reads.push((i as u32, scores as u32 + l)),
                    ExprKind::Attr(a) => attrs.push((i as u32, a)),
                    _ => {}
                })
            };
            if i < scores {
                match &program.scores[i].kind {
                    ScoreKind::Derived(e) => visit(e),
                    // `on` rules count at event time with the values of the moment: no cycle
                    // there.
                    ScoreKind::Rules { when, .. } => when.iter().for_each(|w| visit(&w.cond)),
                }
            } else {
                visit(&program.lists[i - scores].cond)
            }
        }
        Deps {
            scores,
            reads: Graph::from_edges(n, &reads),
            attrs: Graph::from_edges(n, &attrs),
        }
    }

    fn len(&self) -> usize {
        self.reads.len()
    }

    fn name<'p>(&self, program: &'p Program, i: usize) -> &'p str {
        match i.checked_sub(self.scores) {
            None => &program.scores[i].name,
            Some(l) => &program.lists[l].name,
        }
    }

    fn span(&self, program: &Program, i: usize) -> crate::lang::span::Span {
        match i.checked_sub(self.scores) {
            None => program.scores[i].span,
            Some(l) => program.lists[l].span,
        }
    }
}

/// E0303: a depth-first walk from every score, then every list, in declaration order; each
/// edge back onto the walk's path closes a cycle, reported unless it shares a node with one
/// reported before. Returns the number of edges followed.
fn derived_cycles(program: &Program, deps: &Deps, diags: &mut Vec<Diagnostic>) -> usize {
    const UNSEEN: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let n = deps.len();
    let mut state = vec![UNSEEN; n];
    let mut reported = vec![false; n];
    // Where each node on the path sits in it.
    let mut position = vec![0u32; n];
    // The path, with the next edge to follow from each node on it, and how many of the nodes
    // up to and including each are reported (so "does this cycle hold a reported node" is a
    // subtraction).
    let mut path: Vec<(u32, u32)> = Vec::new();
    let mut reported_up_to: Vec<u32> = Vec::new();
    let mut work = 0;
    for root in 0..n {
        if state[root] != UNSEEN {
            continue;
        }
        let mut next = Some(root);
        loop {
            if let Some(m) = next.take() {
                state[m] = ON_PATH;
                position[m] = path.len() as u32;
                path.push((m as u32, 0));
                let before = reported_up_to.last().copied().unwrap_or(0);
                reported_up_to.push(before + reported[m] as u32);
            }
            let Some(&mut (node, ref mut edge)) = path.last_mut() else {
                break;
            };
            let node = node as usize;
            let Some(&m) = deps.reads.next(node).get(*edge as usize) else {
                path.pop();
                reported_up_to.pop();
                state[node] = DONE;
                continue;
            };
            *edge += 1;
            work += 1;
            let m = m as usize;
            match state[m] {
                UNSEEN => next = Some(m),
                ON_PATH => {
                    let from = position[m] as usize;
                    let top = path.len() - 1;
                    let before = match from {
                        0 => 0,
                        _ => reported_up_to[from - 1],
                    };
                    if reported_up_to[top] > before {
                        continue;
                    }
                    for k in from..=top {
                        reported[path[k].0 as usize] = true;
                        reported_up_to[k] = before + (k - from + 1) as u32;
                    }
                    let cycle: Vec<usize> = path[from..].iter().map(|&(c, _)| c as usize).collect();
                    diags.push(cycle_diagnostic(program, deps, &cycle));
                }
                _ => {}
            }
        }
    }
    work
}

fn cycle_diagnostic(program: &Program, deps: &Deps, cycle: &[usize]) -> Diagnostic {
    let first = cycle[0];
    let mut names: Vec<String> = cycle
        .iter()
        .map(|&n| format!("`{}`", deps.name(program, n)))
        .collect();
    names.push(names[0].clone());
    Diagnostic::new(
        Code::ScoreCycle,
        deps.span(program, first),
        format!(
            "`{}` depends on itself: {}",
            deps.name(program, first),
            names.join(" → ")
        ),
    )
    .with_label("defined in terms of itself")
    .with_help("break the circle: one of these must be defined without the others")
}

/// What a sequence of steps does at once, before any wait: the attributes it sets and the
/// workflows it starts (whose own first steps run at once too). Returns whether every path
/// through the steps reaches a wait.
fn immediate(steps: &[Step], sets: &mut Vec<AttrId>, starts: &mut Vec<WorkflowId>) -> bool {
    for s in steps {
        match &s.kind {
            StepKind::Set { attr, .. } => sets.push(*attr),
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

/// E0308: `on enter/exit LIST` triggers whose immediate `set`s change lists that fire other
/// such triggers, round in a circle. A trigger re-firing its own list alone cannot loop: the
/// lead would have to leave the list first.
///
/// One graph holds what connects triggers: a trigger to the attributes its action sets at
/// once and the workflows it starts at once; a workflow likewise; an attribute to the scores
/// and lists that read it; a score or list to those that read it; a list to its triggers.
/// Trigger `i` may fire trigger `j` (`j ≠ i`) exactly when a path leads from `i` to `j`, so
/// the triggers can loop exactly when a strongly connected component of that graph holds two
/// triggers or more. The first such component (by its first trigger) is reported, with a
/// circle of triggers through it. Returns the number of edges followed.
fn trigger_loops(program: &Program, deps: &Deps, diags: &mut Vec<Diagnostic>) -> usize {
    let list_triggers: Vec<(usize, ListId)> = program
        .triggers
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t.source {
            TriggerSource::Enter(l) | TriggerSource::Exit(l) => Some((i, l)),
            TriggerSource::Event { .. } => None,
        })
        .collect();
    if list_triggers.len() < 2 {
        return 0;
    }
    // Node numbering: list triggers, workflows, attributes, then scores and lists.
    let t = list_triggers.len();
    let workflow = |w: WorkflowId| (t + w as usize) as u32;
    let attr = |a: AttrId| (t + program.workflows.len() + a as usize) as u32;
    let derived_base = t + program.workflows.len() + program.attrs.len();
    let derived = |d: usize| (derived_base + d) as u32;
    let n = derived_base + deps.len();
    let mut edges: Vec<(u32, u32)> = Vec::new();
    let (mut sets, mut starts) = (Vec::new(), Vec::new());
    let mut acts = |from: u32, steps: &[Step], edges: &mut Vec<(u32, u32)>| {
        sets.clear();
        starts.clear();
        immediate(steps, &mut sets, &mut starts);
        edges.extend(sets.iter().map(|a| (from, attr(*a))));
        edges.extend(starts.iter().map(|w| (from, workflow(*w))));
    };
    for (k, (i, _)) in list_triggers.iter().enumerate() {
        let action = std::slice::from_ref(&program.triggers[*i].action);
        acts(k as u32, action, &mut edges);
    }
    for (w, wf) in program.workflows.iter().enumerate() {
        acts(workflow(w as WorkflowId), &wf.steps, &mut edges);
    }
    for d in 0..deps.len() {
        edges.extend(deps.attrs.next(d).iter().map(|a| (attr(*a), derived(d))));
        edges.extend(
            deps.reads
                .next(d)
                .iter()
                .map(|m| (derived(*m as usize), derived(d))),
        );
    }
    for (k, (_, l)) in list_triggers.iter().enumerate() {
        edges.push((derived(deps.scores + *l as usize), k as u32));
    }
    let graph = Graph::from_edges(n, &edges);
    drop(edges);
    let (component, mut work) = components(&graph);
    // The first trigger whose component holds another trigger.
    let mut triggers_in = vec![0u32; n];
    for c in &component[..t] {
        triggers_in[*c as usize] += 1;
    }
    let Some(first) = (0..t).find(|&k| triggers_in[component[k] as usize] >= 2) else {
        return work;
    };
    let inside = |m: usize| component[m] == component[first];
    // The nearest other trigger, then the way back: a circle of distinct triggers. (Both
    // paths exist inside the component; should they not, the first trigger is reported
    // alone rather than not at all.)
    let other = |m: usize| m < t && m != first;
    let circle: Vec<usize> = shortest_path(&graph, first, other, &inside, &mut work)
        .and_then(|there| {
            let to = *there.last()?;
            let back = shortest_path(&graph, to, |m| m == first, &inside, &mut work)?;
            Some(
                there
                    .into_iter()
                    .chain(back.into_iter().skip(1))
                    .collect::<Vec<_>>(),
            )
        })
        .map(|walk| {
            // The walk ends where it began: drop the end, keep the triggers.
            let mut walk = walk;
            walk.pop();
            walk.into_iter().filter(|&m| m < t).collect()
        })
        .unwrap_or_else(|| vec![first]);
    let mut d = Diagnostic::new(
        Code::TriggerLoop,
        program.triggers[list_triggers[circle[0]].0].span,
        "these triggers could set each other off forever",
    )
    .with_label("this trigger changes what another one reacts to");
    for k in &circle[1..] {
        d = d.with_secondary(
            program.triggers[list_triggers[*k].0].span,
            "which changes what this one reacts to",
        );
    }
    diags.push(d.with_help(
        "add a `wait` before the `set`, or make the conditions exclusive so the circle ends",
    ));
    work
}

/// Tarjan's strongly connected components, with an explicit stack: each node's component
/// number, and the number of edges followed.
fn components(graph: &Graph) -> (Vec<u32>, usize) {
    const NONE: u32 = u32::MAX;
    let n = graph.len();
    let mut index = vec![NONE; n];
    let mut low = vec![0u32; n];
    let mut component = vec![NONE; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut walk: Vec<(u32, u32)> = Vec::new();
    let (mut next_index, mut next_component, mut work) = (0u32, 0u32, 0usize);
    for root in 0..n {
        if index[root] != NONE {
            continue;
        }
        walk.push((root as u32, 0));
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root as u32);
        on_stack[root] = true;
        while let Some(&(v, edge)) = walk.last() {
            let v = v as usize;
            if let Some(&m) = graph.next(v).get(edge as usize) {
                walk.last_mut().expect("the walk is not empty").1 += 1;
                work += 1;
                let m = m as usize;
                if index[m] == NONE {
                    index[m] = next_index;
                    low[m] = next_index;
                    next_index += 1;
                    stack.push(m as u32);
                    on_stack[m] = true;
                    walk.push((m as u32, 0));
                } else if on_stack[m] {
                    low[v] = low[v].min(index[m]);
                }
                continue;
            }
            walk.pop();
            if let Some(&(parent, _)) = walk.last() {
                let parent = parent as usize;
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                loop {
                    let m = stack.pop().expect("v is on the stack") as usize;
                    on_stack[m] = false;
                    component[m] = next_component;
                    if m == v {
                        break;
                    }
                }
                next_component += 1;
            }
        }
    }
    (component, work)
}

/// A shortest path from `from` to the nearest node (other than `from`) that is a `goal`,
/// through nodes that are `inside`: the nodes from `from` to the goal, both included, and the
/// number of edges followed (`None` if there is no such path).
fn shortest_path(
    graph: &Graph,
    from: usize,
    goal: impl Fn(usize) -> bool,
    inside: &impl Fn(usize) -> bool,
    work: &mut usize,
) -> Option<Vec<usize>> {
    const NONE: u32 = u32::MAX;
    let mut parent = vec![NONE; graph.len()];
    parent[from] = from as u32;
    let mut queue = std::collections::VecDeque::from([from]);
    while let Some(v) = queue.pop_front() {
        for &m in graph.next(v) {
            *work += 1;
            let m = m as usize;
            if parent[m] != NONE || !inside(m) {
                continue;
            }
            parent[m] = v as u32;
            if goal(m) {
                let mut path = vec![m];
                let mut at = m;
                while at != from {
                    at = parent[at] as usize;
                    path.push(at);
                }
                path.reverse();
                return Some(path);
            }
            queue.push_back(m);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::check_text;

    /// The checked program of a source (with no error, or with only cycle errors).
    fn program(src: &str) -> Program {
        let (file, diags) = crate::syntax::parse(src);
        assert!(diags.is_empty(), "{diags:?}");
        let (prelude, _) = crate::syntax::parse(crate::check::PRELUDE);
        let (program, _) = super::super::checker::check(&prelude, &file);
        program
    }

    fn work(src: &str) -> (usize, Vec<Code>) {
        let mut diags = Vec::new();
        let w = analyse(&program(src), &mut diags);
        (w, diags.iter().map(|d| d.code).collect())
    }

    #[test]
    fn a_chain_of_lists_is_walked_in_linear_work() {
        // Each list reads the one before; every enter trigger sets what the first list reads,
        // so each list's trigger set reaches all of them.
        let chain = |n: usize| {
            let mut src = String::from("lead { vip: bool = false }\nlist l0 = lead.vip\n");
            for i in 1..n {
                src.push_str(&format!("list l{i} = l{}\n", i - 1));
            }
            for i in 0..n {
                src.push_str(&format!("on enter l{i} tag \"x\"\n"));
            }
            src
        };
        let (small, codes) = work(&chain(1_000));
        assert!(codes.is_empty(), "{codes:?}");
        let (large, _) = work(&chain(8_000));
        // Linear: eight times the lists, about eight times the edges (never 64 times).
        assert!(
            large <= 9 * small,
            "{small} edges for 1,000 lists, {large} for 8,000"
        );
        assert!(large <= 10 * 8_000, "{large} edges for 8,000 lists");
    }

    #[test]
    fn a_long_chain_needs_no_stack() {
        // A million lists, each reading the next, and the last the one before it: the walk
        // goes a million deep at once, here on a test thread's small stack, and still finds
        // the cycle at the far end.
        let n = 1_000_000u32;
        let list = |i: u32, reads: u32| List {
            name: format!("l{i}"),
            description: None,
            cond: Expr {
                kind: ExprKind::InList(reads),
                ty: crate::lang::types::Ty::Bool,
                span: Default::default(),
            },
            span: Default::default(),
        };
        let program = Program {
            lists: (0..n - 1)
                .map(|i| list(i, i + 1))
                .chain([list(n - 1, n - 2)])
                .collect(),
            ..Program::default()
        };
        let mut diags = Vec::new();
        let w = analyse(&program, &mut diags);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::ScoreCycle);
        assert!(diags[0].message.starts_with("`l999998` depends on itself"));
        assert_eq!(w, n as usize);
    }

    #[test]
    fn cycles_are_reported_once_each() {
        let (_, codes) = work("list a = b\nlist b = a\nlist c = d and a\nlist d = c\n");
        assert_eq!(codes, vec![Code::ScoreCycle, Code::ScoreCycle]);
        // A second circle through nodes already reported is not reported again.
        let (_, codes) = work("list a = b\nlist b = a or c\nlist c = a\n");
        assert_eq!(codes, vec![Code::ScoreCycle]);
        let (diags, _) = check_text("list a = a\n");
        assert!(diags[0].message.contains("`a` → `a`"), "{:?}", diags[0]);
    }

    #[test]
    fn trigger_loops_name_a_circle_of_distinct_triggers() {
        let src = "lead { a: bool = false\n b: bool = false\n c: bool = false }\n\
            list la = lead.a\nlist lb = lead.b\nlist lc = lead.c\n\
            on enter la set lead.b = true\n\
            on enter lb start w\n\
            workflow w { set lead.c = true }\n\
            on enter lc set lead.a = true\n\
            on enter la set lead.a = false\n";
        let (diags, _) = check_text(src);
        let d: Vec<_> = diags
            .iter()
            .filter(|d| d.code == Code::TriggerLoop)
            .collect();
        assert_eq!(d.len(), 1, "{diags:?}");
        // The three triggers, in the order they set each other off; not the fourth, which
        // is not on the shortest way round.
        let lines: Vec<usize> = std::iter::once(d[0].span)
            .chain(d[0].labels.iter().map(|l| l.span))
            .map(|s| crate::lang::span::line_col(src, s.start).0)
            .collect();
        assert_eq!(lines, vec![7, 8, 10]);
        // A trigger that only re-fires its own list is no loop.
        let (diags, _) =
            check_text("lead { a: bool = false }\nlist la = lead.a\non enter la set lead.a = false\non exit la tag \"x\"\n");
        assert!(
            diags.iter().all(|d| d.code != Code::TriggerLoop),
            "{diags:?}"
        );
        // A wait before the set breaks the circle.
        let (diags, _) = check_text(
            "lead { a: bool = false }\nlist la = lead.a\n\
             on enter la start w1\non exit la start w2\n\
             workflow w1 { wait 1d set lead.a = false }\nworkflow w2 { set lead.a = true }\n",
        );
        assert!(
            diags.iter().all(|d| d.code != Code::TriggerLoop),
            "{diags:?}"
        );
    }
}

//! Cycles the checker rejects: scores and lists that depend on themselves (E0303), and, with
//! `trigger_loops`, triggers whose immediate `set` steps set each other off (E0308, W0111).
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
    work += super::trigger_loops::check(program, &deps, diags);
    work
}

/// A directed graph over dense indices, its adjacency in one flat array.
#[derive(Default)]
pub(super) struct Graph {
    /// The successors of node `i` are `targets[start[i]..start[i + 1]]`.
    start: Vec<u32>,
    targets: Vec<u32>,
}

impl Graph {
    /// A graph of `n` nodes from its edges, each node's successors in the order given.
    pub(super) fn from_edges(n: usize, edges: &[(u32, u32)]) -> Graph {
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

    pub(super) fn len(&self) -> usize {
        self.start.len().saturating_sub(1)
    }

    pub(super) fn next(&self, i: usize) -> &[u32] {
        &self.targets[self.start[i] as usize..self.start[i + 1] as usize]
    }
}

/// The derived values (scores, then lists, as one index space) and what each reads directly.
pub(super) struct Deps {
    pub(super) scores: usize,
    /// Node → the scores and lists it reads, in the order they appear.
    pub(super) reads: Graph,
    /// Node → the attributes it reads directly.
    pub(super) attrs: Graph,
}

impl Deps {
    pub(super) fn new(program: &Program) -> Deps {
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

    pub(super) fn len(&self) -> usize {
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

/// Tarjan's strongly connected components, with an explicit stack: each node's component
/// number, and the number of edges followed.
pub(super) fn components(graph: &Graph) -> (Vec<u32>, usize) {
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
pub(super) fn shortest_path(
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
        let (program, _, _) = super::super::checker::check(&prelude, &file);
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
}

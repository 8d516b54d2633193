//! Comparing two compiled programs: whether they behave the same (a moved line or a new
//! comment is no change), and what changed, in words, for a state written by one of them.

use super::program::{op_label, AttrInfo, WOp, Workflow};
use super::Compiled;

/// The values of the enum an attribute of this type holds (through `?`).
pub fn enum_values<'c>(c: &'c Compiled, ty: &crate::lang::types::Ty) -> Option<&'c [String]> {
    match ty.base() {
        crate::lang::types::Ty::Enum(e) => c.enums.get(*e as usize).map(|v| v.as_slice()),
        _ => None,
    }
}

/// Whether two programs do the same: their listings agree once source positions are left out,
/// so a new comment or a moved line is not a change.
pub fn same_behaviour(a: &Compiled, b: &Compiled) -> bool {
    let listing = |c: &Compiled| -> Vec<String> {
        crate::compile::disasm::disasm(c, None)
            .lines()
            .map(|l| l.split(';').next().unwrap_or("").trim_end().to_string())
            .collect()
    };
    listing(a) == listing(b)
}

/// What changed between the program that wrote a state and the one now given, in words; empty
/// when nothing a marketer named changed (only source positions or details inside rules).
pub fn differences(old: &Compiled, new: &Compiled) -> Vec<String> {
    let mut out = Vec::new();
    names_changed(old, new, &mut out);
    for a in &old.attrs {
        if let Some(b) = new.attrs.iter().find(|b| b.name == a.name) {
            out.extend(attr_change(old, new, a, b));
        }
    }
    for w in &old.workflows {
        if let Some(v) = new.workflows.iter().find(|v| v.name == w.name) {
            out.extend(steps_change(old, new, w, v));
            if w.holdout != v.holdout {
                let share =
                    |h: Option<u8>| h.map_or("no holdout".into(), |p| format!("holdout {p}%"));
                out.push(format!(
                    "workflow {}: {} before, {} now (held-out runs stay held out)",
                    w.name,
                    share(w.holdout),
                    share(v.holdout)
                ));
            }
        }
    }
    if old.triggers.len() != new.triggers.len() {
        out.push(format!(
            "triggers: {} before, {} now",
            old.triggers.len(),
            new.triggers.len()
        ));
    }
    if old.layout.size != new.layout.size {
        out.push(format!(
            "lead state: {} words a lead before, {} now",
            old.layout.size, new.layout.size
        ));
    }
    out
}

/// The attributes, events, scores, lists and workflows removed, then those added, kind by
/// kind.
fn names_changed(old: &Compiled, new: &Compiled, out: &mut Vec<String>) {
    let mut names = |what: &str, a: Vec<String>, b: Vec<String>| {
        for n in &a {
            if !b.contains(n) {
                out.push(format!("{what} {n} was removed"));
            }
        }
        for n in &b {
            if !a.contains(n) {
                out.push(format!("{what} {n} was added"));
            }
        }
    };
    names(
        "attribute",
        old.attrs.iter().map(|a| a.name.clone()).collect(),
        new.attrs.iter().map(|a| a.name.clone()).collect(),
    );
    names(
        "event",
        old.events.iter().map(|e| e.name.clone()).collect(),
        new.events.iter().map(|e| e.name.clone()).collect(),
    );
    names(
        "score",
        old.scores.iter().map(|s| s.name.clone()).collect(),
        new.scores.iter().map(|s| s.name.clone()).collect(),
    );
    names(
        "list",
        old.lists.iter().map(|s| s.name.clone()).collect(),
        new.lists.iter().map(|s| s.name.clone()).collect(),
    );
    names(
        "workflow",
        old.workflows.iter().map(|s| s.name.clone()).collect(),
        new.workflows.iter().map(|s| s.name.clone()).collect(),
    );
}

/// How an attribute kept under its name changed: its type, or its enum's values.
fn attr_change(old: &Compiled, new: &Compiled, a: &AttrInfo, b: &AttrInfo) -> Option<String> {
    match (enum_values(old, &a.ty), enum_values(new, &b.ty)) {
        // The same values under another enum number: no change.
        (Some(x), Some(y)) if a.ty.is_optional() == b.ty.is_optional() => {
            // Values are names, each once: a set, and an order that matters to no one but
            // the slab (a migration carries values by name).
            let gone: Vec<&str> = x
                .iter()
                .filter(|v| !y.contains(v))
                .map(|v| v.as_str())
                .collect();
            let added: Vec<&str> = y
                .iter()
                .filter(|v| !x.contains(v))
                .map(|v| v.as_str())
                .collect();
            if !gone.is_empty() || !added.is_empty() {
                let mut what = format!("attribute {}: its enum changed its values", a.name);
                push_changes(&mut what, &gone, &added);
                Some(what)
            } else if x != y {
                Some(format!(
                    "attribute {}: its enum has its values in another order",
                    a.name
                ))
            } else {
                None
            }
        }
        _ if a.ty != b.ty => Some(format!("attribute {} changed type", a.name)),
        _ => None,
    }
}

/// How a workflow kept under its name changed its steps (its jumps aside).
fn steps_change(old: &Compiled, new: &Compiled, w: &Workflow, v: &Workflow) -> Option<String> {
    let steps = |c: &Compiled, w: &Workflow| -> Vec<String> {
        w.ops
            .iter()
            .filter(|o| !matches!(o, WOp::Jump { .. }))
            .map(|o| op_label(c, o))
            .collect()
    };
    let (a, b) = (steps(old, w), steps(new, v));
    if a == b {
        return None;
    }
    // In sequence, not as sets: `wait 2d` changed to a `wait 3d` that the workflow already
    // had elsewhere is a step removed and a step added.
    let (gone, added) = sequence_changes(&a, &b);
    let mut what = format!("workflow {} changed its steps", w.name);
    push_changes(&mut what, &gone, &added);
    Some(what)
}

/// `; removed: a, b; added: c` for what is only in the old sequence and only in the new.
fn push_changes(what: &mut String, gone: &[&str], added: &[&str]) {
    if !gone.is_empty() {
        what.push_str(&format!("; removed: {}", gone.join(", ")));
    }
    if !added.is_empty() {
        what.push_str(&format!("; added: {}", added.join(", ")));
    }
}

/// What is only in `a` and what is only in `b`, each in its order, apart from a longest
/// sequence the two have in common (as a line diff shows it): an item changed in place, moved
/// (removed here, added there) or added beside an equal one all show, with repeats counted.
/// Past a few million cells the table gives way to counting items.
fn sequence_changes<'s>(a: &'s [String], b: &'s [String]) -> (Vec<&'s str>, Vec<&'s str>) {
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[head..a.len() - tail], &b[head..b.len() - tail]);
    let (n, m) = (a.len(), b.len());
    if n.saturating_mul(m) > 1 << 22 {
        let mut rest: Vec<&String> = b.iter().collect();
        let mut gone = Vec::new();
        for x in a {
            match rest.iter().position(|y| *y == x) {
                Some(i) => {
                    rest.remove(i);
                }
                None => gone.push(x.as_str()),
            }
        }
        return (gone, rest.into_iter().map(|y| y.as_str()).collect());
    }
    // common[i][j]: the longest common sequence of a[i..] and b[j..].
    let mut common = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[at(i, j)] = if a[i] == b[j] {
                common[at(i + 1, j + 1)] + 1
            } else {
                common[at(i + 1, j)].max(common[at(i, j + 1)])
            };
        }
    }
    let (mut gone, mut added) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        if a[i] == b[j] {
            i += 1;
            j += 1;
        } else if common[at(i + 1, j)] >= common[at(i, j + 1)] {
            gone.push(a[i].as_str());
            i += 1;
        } else {
            added.push(b[j].as_str());
            j += 1;
        }
    }
    gone.extend(a[i..].iter().map(|s| s.as_str()));
    added.extend(b[j..].iter().map(|s| s.as_str()));
    (gone, added)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn sequence_changes_keep_repeats_and_moves() {
        let a = strings(&["send a", "wait 2d", "send b", "wait 3d", "send c"]);
        // A label changed to one the sequence already has: as sets, nothing was added.
        let b = strings(&["send a", "wait 3d", "send b", "wait 3d", "send c"]);
        assert_eq!(sequence_changes(&a, &b), (vec!["wait 2d"], vec!["wait 3d"]));
        // A step added beside an equal one.
        let b = strings(&["send a", "send a", "wait 2d", "send b", "wait 3d", "send c"]);
        assert_eq!(sequence_changes(&a, &b), (vec![], vec!["send a"]));
        // A step moved: removed where it was, added where it is.
        let b = strings(&["send a", "send b", "wait 2d", "wait 3d", "send c"]);
        let (gone, added) = sequence_changes(&a, &b);
        assert_eq!((gone.len(), added.len()), (1, 1));
        assert_eq!(gone, added);
        assert_eq!(sequence_changes(&a, &a), (vec![], vec![]));
        assert_eq!(sequence_changes(&a, &[]).0.len(), 5);
    }
}

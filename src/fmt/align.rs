//! Columns: a score's rules with their `add N` and `at most` parts aligned, a decision's rows
//! with their `->` aligned, and runs of
//! one-line declarations of a kind (events, lists, triggers) with their parts aligned.
//!
//! A row is cut into slots (for an `on` rule: the rule, its effect, its cap), each laid out on
//! one line, and every slot padded to the widest of its column. A row that would pass the
//! width, or holds a comment or a block, is left out and printed on its own.

use super::line::WIDTH;
use super::printer::{Place, Printer};
use super::tree::{Elem, Kind, Node};
use crate::syntax::parser::Rule;

/// Spaces between two columns: a score's rules stand further from their effects than a
/// declaration from its parts.
fn gutter(place: Place) -> usize {
    if matches!(place, Place::Score | Place::Decide) {
        2
    } else {
        1
    }
}

/// Declarations aligned with their neighbours when they follow one another line by line.
const TOP_ROWS: &[Rule] = &[Rule::event_decl, Rule::list_decl, Rule::trigger];

/// For each element of a run of statements, the row it is printed as, when it is aligned.
pub(super) fn rows<'a>(elems: &'a [Elem<'a>], place: Place, indent: usize) -> Vec<Option<String>> {
    let mut out = vec![None; elems.len()];
    match place {
        Place::Block => {}
        Place::Score | Place::Decide => {
            let kinds: &[Rule] = match place {
                Place::Score => &[Rule::on_rule, Rule::when_rule],
                _ => &[Rule::decide_row, Rule::decide_else],
            };
            let group: Vec<usize> = (0..elems.len())
                .filter(|&i| matches!(&elems[i].kind, Kind::Node(n) if kinds.contains(&n.rule)))
                .collect();
            fill(elems, &group, (indent, gutter(place)), &mut out);
        }
        Place::Top => {
            for group in top_groups(elems) {
                fill(elems, &group, (indent, gutter(place)), &mut out);
            }
        }
    }
    out
}

/// Runs of declarations of one kind on consecutive lines, with nothing but comments at the
/// ends of their lines between them.
fn top_groups(elems: &[Elem<'_>]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    let mut rule = None;
    for (i, e) in elems.iter().enumerate() {
        match &e.kind {
            Kind::Comment(_) if e.newlines == 0 => continue,
            Kind::Node(n) if TOP_ROWS.contains(&n.rule) => {
                if rule != Some(n.rule) || e.newlines > 1 {
                    groups.push(std::mem::take(&mut current));
                }
                rule = Some(n.rule);
                current.push(i);
            }
            _ => {
                groups.push(std::mem::take(&mut current));
                rule = None;
            }
        }
    }
    groups.push(current);
    groups.retain(|g| g.len() > 1);
    groups
}

/// `at`: the rows' indentation, and the spaces between their columns.
fn fill(elems: &[Elem<'_>], group: &[usize], at: (usize, usize), out: &mut [Option<String>]) {
    let slots: Vec<Option<Vec<Option<String>>>> = group
        .iter()
        .map(|&i| match &elems[i].kind {
            Kind::Node(n) => slots(n),
            _ => None,
        })
        .collect();
    for (k, row) in align(&slots, at).into_iter().enumerate() {
        out[group[k]] = row;
    }
}

/// A row's slots, each on one line; `None` when it cannot be a row.
fn slots<'a>(n: &'a Node<'a>) -> Option<Vec<Option<String>>> {
    let mut parts: Vec<Vec<&'a Elem<'a>>> = vec![Vec::new()];
    let mut nodes = 0;
    for e in &n.elems {
        let starts = match (&e.kind, n.rule) {
            (Kind::Node(c), Rule::on_rule) => match c.rule {
                Rule::effect => Some(1),
                Rule::cap => Some(2),
                _ => None,
            },
            (Kind::Node(c), Rule::when_rule) => (c.rule == Rule::effect).then_some(1),
            (Kind::Node(c), Rule::event_decl) => match c.rule {
                Rule::kw_as => Some(1),
                Rule::prop_block => Some(2),
                _ => None,
            },
            (Kind::Node(_), Rule::trigger) => {
                nodes += 1;
                (nodes == 3).then_some(1)
            }
            (Kind::Token("="), Rule::list_decl) => Some(1),
            (Kind::Token("->"), Rule::decide_row | Rule::decide_else) => Some(1),
            _ => None,
        };
        if let Some(k) = starts {
            parts.resize_with(k + 1, Vec::new);
        }
        parts.last_mut().expect("one part at least").push(e);
    }
    if parts.len() < 2 {
        return None;
    }
    let mut row = Vec::with_capacity(parts.len());
    for p in parts {
        row.push(if p.is_empty() {
            None
        } else {
            Some(Printer::inline(&p, false)?)
        });
    }
    Some(row)
}

/// The rows laid out in columns: each slot but a row's last padded to its column's width.
/// Rows too wide for that are dropped one by one (any too wide even unpadded, then the one
/// with the widest first slot) until the rest fit; fewer than two rows align nothing.
fn align(rows: &[Option<Vec<Option<String>>>], at: (usize, usize)) -> Vec<Option<String>> {
    let (indent, gutter) = at;
    let mut active: Vec<bool> = rows.iter().map(Option::is_some).collect();
    for (i, r) in rows.iter().enumerate() {
        if let Some(r) = r {
            let natural = padded(r, &column_widths(&[r]), gutter).chars().count();
            if indent + natural > WIDTH {
                active[i] = false;
            }
        }
    }
    let mut tries = 0;
    loop {
        let live: Vec<&Vec<Option<String>>> = rows
            .iter()
            .zip(&active)
            .filter_map(|(r, a)| r.as_ref().filter(|_| *a))
            .collect();
        if live.len() < 2 {
            return vec![None; rows.len()];
        }
        let widths = column_widths(&live);
        let laid: Vec<Option<String>> = rows
            .iter()
            .zip(&active)
            .map(|(r, a)| {
                r.as_ref()
                    .filter(|_| *a)
                    .map(|r| padded(r, &widths, gutter))
            })
            .collect();
        let too_wide = laid.iter().any(|l| {
            l.as_ref()
                .is_some_and(|l| indent + l.chars().count() > WIDTH)
        });
        if !too_wide {
            return laid;
        }
        // Leave out the row whose absence narrows the widest line most (one too wide, or one
        // holding a column's width); give up after a few, so a long run of misfits costs no more than linear time.
        tries += 1;
        if tries > MAX_DROPS {
            return vec![None; rows.len()];
        }
        let candidates: Vec<usize> = (0..rows.len())
            .filter(|&i| active[i])
            .filter(|&i| {
                let too_wide = laid[i]
                    .as_ref()
                    .is_some_and(|l| indent + l.chars().count() > WIDTH);
                too_wide || holds_a_width(rows[i].as_ref(), &widths)
            })
            .collect();
        let drop = candidates
            .into_iter()
            .min_by_key(|&i| {
                let mut without = active.clone();
                without[i] = false;
                widest(rows, &without, at)
            })
            .expect("a row holds each width");
        active[drop] = false;
    }
}

/// How many rows may be left out of a group before it is not aligned at all.
const MAX_DROPS: usize = 16;

fn holds_a_width(row: Option<&Vec<Option<String>>>, widths: &[usize]) -> bool {
    row.is_some_and(|r| {
        r[..r.len() - 1]
            .iter()
            .enumerate()
            .any(|(k, s)| s.as_ref().map_or(0, |s| s.chars().count()) == widths[k])
    })
}

/// The widest line the active rows would make aligned.
fn widest(rows: &[Option<Vec<Option<String>>>], active: &[bool], at: (usize, usize)) -> usize {
    let (indent, gutter) = at;
    let live: Vec<&Vec<Option<String>>> = rows
        .iter()
        .zip(active)
        .filter_map(|(r, a)| r.as_ref().filter(|_| *a))
        .collect();
    let widths = column_widths(&live);
    live.iter()
        .map(|r| indent + padded(r, &widths, gutter).chars().count())
        .max()
        .unwrap_or(0)
}

fn column_widths(live: &[&Vec<Option<String>>]) -> Vec<usize> {
    let columns = live.iter().map(|r| r.len()).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for r in live {
        for (k, s) in r[..r.len() - 1].iter().enumerate() {
            widths[k] = widths[k].max(s.as_ref().map_or(0, |s| s.chars().count()));
        }
    }
    widths
}

fn padded(row: &[Option<String>], widths: &[usize], gutter: usize) -> String {
    let mut out = String::new();
    for (k, s) in row.iter().enumerate() {
        if widths.get(k) == Some(&0) && s.is_none() {
            // A column no row of the group fills.
            continue;
        }
        let s = s.as_deref().unwrap_or("");
        out.push_str(s);
        if k + 1 < row.len() {
            let pad = widths[k] - s.chars().count() + gutter;
            out.push_str(&" ".repeat(pad));
        }
    }
    out
}

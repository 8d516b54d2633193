//! What must be recomputed when something changes: for each event type, the lists that can
//! change with it; the lists that read attributes, the clock or a decaying score; the
//! triggers waiting on each list. Derived at compile time so an event touches nothing else.

use super::bytecode::{Chunk, Op};
use super::program::{Compiled, Derived, ScoreKind, TriggerSource};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reactions {
    /// Per event type: the lists to re-evaluate after it, in evaluation order.
    pub event_lists: Vec<Vec<u16>>,
    /// Lists that read attributes, directly or through scores and lists.
    pub attr_lists: Vec<u16>,
    /// Lists that read the clock (`now`): re-evaluated whenever the lead is looked at.
    pub clock_lists: Vec<u16>,
    /// Lists that read a decaying score: their membership can flip with no event.
    pub decay_lists: Vec<u16>,
    /// Every list, in evaluation order.
    pub all_lists: Vec<u16>,
    /// The lists that can change with time alone (a `within` window, a decaying score, the
    /// clock), in evaluation order: what a recheck evaluates.
    pub timed_lists: Vec<u16>,
    /// Per list: its position in evaluation order.
    pub list_rank: Vec<u16>,
    /// Per list: the triggers on entering it, and on leaving it, in source order.
    pub enter_triggers: Vec<Vec<u16>>,
    pub exit_triggers: Vec<Vec<u16>>,
    /// Per event type: whether it can move the moment a decaying score flips a list (it
    /// changes a decaying score, or another input of such a list).
    pub event_decays: Vec<bool>,
    /// Per event type: whether a list that reads a decaying score also reads the event's
    /// history, so that merely recording the event moves the crossing (otherwise only a
    /// score rule that applies does).
    pub event_history_decays: Vec<bool>,
    /// Whether a list that reads a decaying score reads history at all (so a window closing
    /// can move its decay crossing).
    pub decay_reads_history: bool,
    /// For the first decay list that compares a score with a number (`total >= 80`): that
    /// score and number. The VM solves the decay for where the score meets the number to
    /// guess where the list flips, and checks the guess.
    pub decay_probe: Option<(u16, f64)>,
}

/// The first comparison of a score with a numeric constant in a chunk.
fn score_threshold(c: &Compiled, chunk: &Chunk) -> Option<(u16, f64)> {
    let number = |i: u32| c.pools.consts.get(i as usize)?.as_f64();
    let compares = |op: &Op| matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge);
    chunk.ops.windows(3).find_map(|w| match w {
        [Op::Score(s), Op::Const(k), op] | [Op::Const(k), Op::Score(s), op] if compares(op) => {
            Some((*s, number(*k)?))
        }
        _ => None,
    })
}

/// What a node (score or list) depends on, transitively.
#[derive(Clone, Default)]
struct Reads {
    attrs: bool,
    clock: bool,
    decays: bool,
    events: Vec<u16>,
    /// The events read through history predicates (a subset of `events`).
    history: Vec<u16>,
    /// Whether a history predicate with a `within` window is read.
    windows: bool,
}

fn direct(c: &Compiled, chunk: &Chunk, r: &mut Reads, deps: &mut Vec<Derived>) {
    for op in &chunk.ops {
        match op {
            Op::Attr(_) => r.attrs = true,
            Op::Now => r.clock = true,
            // A `within` window closes with time; the lead's recheck timer covers that.
            Op::History(slot) => {
                let pred = &c.pools.history[*slot as usize];
                r.events.push(pred.event as u16);
                r.history.push(pred.event as u16);
                r.windows |= pred.within.is_some();
            }
            Op::Score(s) => deps.push(Derived::Score(*s)),
            Op::InList(l) => deps.push(Derived::List(*l)),
            _ => {}
        }
    }
}

/// What reacts to what, for a program whose scores, lists, triggers and derive order are
/// set.
pub fn derive(c: &Compiled) -> Reactions {
    let reads = closure(c);
    // What each list reads, by list.
    let list_reads = &reads[c.scores.len()..];
    let lists: Vec<u16> = c
        .derive_order
        .iter()
        .filter_map(|d| match d {
            Derived::List(l) => Some(*l),
            Derived::Score(_) => None,
        })
        .collect();
    let of = |pred: &dyn Fn(&Reads) -> bool| -> Vec<u16> {
        lists
            .iter()
            .copied()
            .filter(|l| pred(&list_reads[*l as usize]))
            .collect()
    };
    let decay_lists = of(&|r: &Reads| r.decays);
    let (event_lists, event_decays) = by_event(c, &lists, list_reads);
    let mut event_history_decays = vec![false; c.events.len()];
    for &l in &decay_lists {
        for &e in &list_reads[l as usize].history {
            event_history_decays[e as usize] = true;
        }
    }
    let decay_probe = decay_lists
        .iter()
        .find_map(|&l| score_threshold(c, &c.lists[l as usize].cond));
    let (enter_triggers, exit_triggers) = list_triggers(c);
    Reactions {
        event_lists,
        attr_lists: of(&|r: &Reads| r.attrs),
        clock_lists: of(&|r: &Reads| r.clock),
        decay_lists,
        list_rank: {
            let mut rank = vec![0u16; c.lists.len()];
            for (i, l) in lists.iter().enumerate() {
                rank[*l as usize] = i as u16;
            }
            rank
        },
        timed_lists: of(&|r: &Reads| r.windows || r.decays || r.clock),
        all_lists: lists.clone(),
        enter_triggers,
        exit_triggers,
        event_decays,
        decay_reads_history: event_history_decays.iter().any(|&b| b),
        event_history_decays,
        decay_probe,
    }
}

/// What each score and list reads, transitively: scores first, then lists, by index.
fn closure(c: &Compiled) -> Vec<Reads> {
    let n_scores = c.scores.len();
    let idx = |d: Derived| match d {
        Derived::Score(s) => s as usize,
        Derived::List(l) => n_scores + l as usize,
    };
    let mut reads: Vec<Reads> = vec![Reads::default(); n_scores + c.lists.len()];
    // `derive_order` puts every node after what it reads, so one pass settles the closure.
    for &d in &c.derive_order {
        let mut r = Reads::default();
        let mut deps = Vec::new();
        match d {
            Derived::Score(s) => match &c.scores[s as usize].kind {
                ScoreKind::Derived(chunk) => direct(c, chunk, &mut r, &mut deps),
                ScoreKind::Rules {
                    decay, when, on, ..
                } => {
                    r.decays = decay.is_some();
                    for w in when {
                        direct(c, &w.cond, &mut r, &mut deps);
                    }
                    r.events.extend(on.iter().map(|o| o.event));
                }
            },
            Derived::List(l) => direct(c, &c.lists[l as usize].cond, &mut r, &mut deps),
        }
        for dep in deps {
            let other = &reads[idx(dep)];
            r.attrs |= other.attrs;
            r.clock |= other.clock;
            r.decays |= other.decays;
            r.windows |= other.windows;
            r.events.extend(&other.events);
            r.history.extend(&other.history);
        }
        r.events.sort_unstable();
        r.events.dedup();
        r.history.sort_unstable();
        r.history.dedup();
        reads[idx(d)] = r;
    }
    reads
}

/// Per event: the lists it can change (`lists` in evaluation order, `list_reads` what each
/// reads), and whether it can move a decay crossing (it changes a decaying score, or another
/// input of a list that reads one).
fn by_event(c: &Compiled, lists: &[u16], list_reads: &[Reads]) -> (Vec<Vec<u16>>, Vec<bool>) {
    let mut event_decays = vec![false; c.events.len()];
    for s in &c.scores {
        if let ScoreKind::Rules {
            decay: Some(_), on, ..
        } = &s.kind
        {
            for o in on {
                event_decays[o.event as usize] = true;
            }
        }
    }
    // Each list under each event it reads, in evaluation order: as long as the tables.
    let mut event_lists: Vec<Vec<u16>> = vec![Vec::new(); c.events.len()];
    for &l in lists {
        let r = &list_reads[l as usize];
        for &e in &r.events {
            event_lists[e as usize].push(l);
        }
        // An event that changes a decay list's other inputs moves its crossing too.
        if r.decays {
            for &e in &r.events {
                event_decays[e as usize] = true;
            }
        }
    }
    (event_lists, event_decays)
}

/// Per list: the triggers on entering it, and on leaving it, in source order.
fn list_triggers(c: &Compiled) -> (Vec<Vec<u16>>, Vec<Vec<u16>>) {
    let mut enter_triggers = vec![Vec::new(); c.lists.len()];
    let mut exit_triggers = vec![Vec::new(); c.lists.len()];
    for (i, t) in c.triggers.iter().enumerate() {
        match t.source {
            TriggerSource::Enter(l) => enter_triggers[l as usize].push(i as u16),
            TriggerSource::Exit(l) => exit_triggers[l as usize].push(i as u16),
            TriggerSource::Event { .. } => {}
        }
    }
    (enter_triggers, exit_triggers)
}

//! Every piece of lead state a compiled program lays out in the slab, walked in one place:
//! the listing shows each (`disasm`, "lead state"), and loading checks that each lies inside
//! the slab, is as wide as what it holds needs, and overlaps no other (`file::validate`).

use super::layout::{AttrSlot, Bits, Kept, Ring, TimeSlot, ENROLLED_BITS, STAMP_BITS};
use super::program::{Compiled, ScoreKind, SCORE_WORDS};
use crate::lang::format;
use crate::lang::time::{RECORD_TIME_BITS, TIME_BITS};

/// One piece of lead state: what it is and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub piece: Piece,
    pub place: Place,
}

/// Where a piece of lead state lies, and what its field must be to hold what it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// `words` whole words from word `at`.
    Words { at: u32, words: u32 },
    /// A bit field of 1 to 64 bits: a packed attribute, a run's state or variant.
    Field(Bits),
    /// One bit each, from bit `at` on: the missing-attribute bits, the list bits (none when
    /// there is nothing to flag).
    Flags { at: u32, n: u32 },
    /// A time, in a field that must be `width` bits wide: what its times can reach.
    Time { slot: TimeSlot, width: u32 },
    /// A ring, whose newest stamp must be `newest` bits wide: what its times can reach.
    Ring { ring: Ring, newest: u32 },
}

impl Place {
    /// The bits it takes: its first bit and how many (a word region's first bit saturates,
    /// so that a damaged word offset still lies outside the slab).
    pub fn bits(self) -> (u64, u64) {
        match self {
            Place::Words { at, words } => (at.saturating_mul(32) as u64, words as u64 * 32),
            Place::Field(f) => (f.at as u64, f.width as u64),
            Place::Flags { at, n } => (at as u64, n as u64),
            Place::Time { slot, .. } => (slot.bits.at as u64, slot.bits.width as u64),
            Place::Ring { ring, .. } => (
                ring.at as u64,
                Ring::width(ring.cap, ring.bits, ring.newest) as u64,
            ),
        }
    }
}

/// What a piece of lead state is, by the index of what it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// Attribute i's value.
    Attr(usize),
    /// History aggregate i (`Layout::aggregates`).
    Aggregate(usize),
    /// The missing-attribute bits, the i-th for attribute i.
    Missing,
    /// A part of score i's accumulator.
    Score(usize, ScorePart),
    /// The list membership bits, the i-th for list i.
    Lists,
    /// A part of the run of workflow i.
    Run(usize, RunPart),
    /// When the lead's lists may next change with no event.
    Recheck,
    /// When decaying scores next flip a list, as last computed.
    DecayDue,
    /// The lead's action count.
    Sequence,
    /// The ring of frequency rule i (`Policy::frequency`).
    Frequency(usize),
    /// Kept event property i's value (`Layout::kept`).
    Kept(usize),
    /// The bit saying kept event property i holds a value.
    KeptPresent(usize),
}

/// The parts of a score with rules that take lead state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScorePart {
    /// Its value, an `f64`.
    Value,
    /// The time of its last update, for a decaying score.
    Updated,
    /// The cached total of its `when` rules, an `f64`.
    WhenTotal,
    /// The cap ring of its `on` rule i.
    Cap(usize),
}

/// The parts of a workflow's run (`RunSlots`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunPart {
    State,
    Wake,
    Enrolled,
    Variant,
}

/// Every piece of lead state the program lays out, as the loader checks them: attributes,
/// history aggregates, the missing-attribute bits, scores, the list bits, workflow runs, the
/// recheck and decay crossing times, the action count, the frequency rings. The built-in tags
/// live beside the slab and take none. Pieces come from what the program has, so the indices
/// of each `Piece` are in range for `c`.
pub fn regions(c: &Compiled) -> Vec<Region> {
    let l = &c.layout;
    let mut out = Vec::new();
    attrs(c, &mut out);
    for (i, a) in l.aggregates.iter().enumerate() {
        // History keeps keys of record times.
        let place = match a.kept {
            Kept::Last(slot) => time(slot, STAMP_BITS),
            Kept::Counter(at) => Place::Words { at, words: 1 },
            Kept::Ring(ring) => Place::Ring {
                ring,
                newest: STAMP_BITS,
            },
        };
        out.push(Region::new(Piece::Aggregate(i), place));
    }
    let n = c.attrs.len() as u32;
    out.push(Region::new(
        Piece::Missing,
        Place::Flags { at: l.missing, n },
    ));
    for (i, s) in c.scores.iter().enumerate() {
        score(i, &s.kind, &mut out);
    }
    let n = c.lists.len() as u32;
    out.push(Region::new(Piece::Lists, Place::Flags { at: l.lists, n }));
    for (w, (_, run)) in c.workflows.iter().zip(&l.runs).enumerate() {
        let mut push = |part, place| out.push(Region::new(Piece::Run(w, part), place));
        push(RunPart::State, Place::Field(run.state));
        push(RunPart::Wake, time(run.wake, TIME_BITS));
        if let Some(t) = run.enrolled {
            push(RunPart::Enrolled, time(t, ENROLLED_BITS));
        }
        if let Some(v) = run.variant {
            push(RunPart::Variant, Place::Field(v));
        }
    }
    out.push(Region::new(Piece::Recheck, time(l.recheck, TIME_BITS)));
    out.push(Region::new(Piece::DecayDue, time(l.decay_due, TIME_BITS)));
    let sequence = Place::Words {
        at: l.sequence,
        words: 1,
    };
    out.push(Region::new(Piece::Sequence, sequence));
    for (i, f) in c.policy.frequency.iter().enumerate() {
        // Sends go on while timers fire after the last record.
        let place = Place::Ring {
            ring: f.ring,
            newest: TIME_BITS,
        };
        out.push(Region::new(Piece::Frequency(i), place));
    }
    for (i, k) in l.kept.iter().enumerate() {
        let words = if crate::lang::types::wide(&k.ty) {
            2
        } else {
            1
        };
        let place = Place::Words { at: k.at, words };
        out.push(Region::new(Piece::Kept(i), place));
        let bit = Place::Flags {
            at: k.present,
            n: 1,
        };
        out.push(Region::new(Piece::KeptPresent(i), bit));
    }
    out
}

impl Region {
    fn new(piece: Piece, place: Place) -> Region {
        Region { piece, place }
    }
}

/// A time slot that must be `width` bits wide.
fn time(slot: TimeSlot, width: u32) -> Place {
    Place::Time { slot, width }
}

/// The attributes' values: a word or two each, or a few bits; none for the tags.
fn attrs(c: &Compiled, out: &mut Vec<Region>) {
    for (i, (a, slot)) in c.attrs.iter().zip(&c.layout.attrs).enumerate() {
        let place = match *slot {
            _ if i as u16 == c.tags_attr => continue,
            AttrSlot::Words(at) => {
                let words = if crate::lang::types::wide(&a.ty) {
                    2
                } else {
                    1
                };
                Place::Words { at, words }
            }
            AttrSlot::Bits(f) => Place::Field(f),
        };
        out.push(Region::new(Piece::Attr(i), place));
    }
}

/// Score i's accumulator, when it has rules: its value, the time of its last update when it
/// decays, its `when` total when cached, its `on` rules' cap rings.
fn score(i: usize, kind: &ScoreKind, out: &mut Vec<Region>) {
    let ScoreKind::Rules {
        decay,
        on,
        slot,
        when_cache,
        updated,
        ..
    } = kind
    else {
        return;
    };
    let mut push = |part, place| out.push(Region::new(Piece::Score(i, part), place));
    if let Some(at) = *slot {
        let words = SCORE_WORDS;
        push(ScorePart::Value, Place::Words { at, words });
    }
    // A decaying accumulator keeps the time of its last update.
    if let (Some(t), Some(_)) = (*updated, decay) {
        push(ScorePart::Updated, time(t, TIME_BITS));
    }
    if let Some(at) = *when_cache {
        let words = SCORE_WORDS;
        push(ScorePart::WhenTotal, Place::Words { at, words });
    }
    for (r, rule) in on.iter().enumerate() {
        // An `on` rule counts at the times of records.
        if let Some((_, ring)) = rule.cap {
            let newest = RECORD_TIME_BITS;
            push(ScorePart::Cap(r), Place::Ring { ring, newest });
        }
    }
}

impl Piece {
    /// What the piece belongs to, as a load error names it: `attribute plan`, `score fit`,
    /// `the run of workflow welcome`.
    pub fn owner(self, c: &Compiled) -> String {
        match self {
            Piece::Attr(i) => format!("attribute {}", c.attrs[i].name),
            Piece::Aggregate(i) => format!("history aggregate {i}"),
            Piece::Missing => "the missing-attribute bits".into(),
            Piece::Score(i, _) => format!("score {}", c.scores[i].name),
            Piece::Lists => "the list bits".into(),
            Piece::Run(w, _) => format!("the run of workflow {}", c.workflows[w].name),
            Piece::Recheck => "the recheck time".into(),
            Piece::DecayDue => "the decay crossing time".into(),
            Piece::Sequence => "the action count".into(),
            Piece::Frequency(i) => c.policy.frequency[i].rule.clone(),
            Piece::Kept(i) | Piece::KeptPresent(i) => kept_name(c, i),
        }
    }

    /// The piece as the listing of the slab describes it: what it is and what it keeps.
    pub fn describe(self, c: &Compiled) -> String {
        let l = &c.layout;
        match self {
            Piece::Attr(i) => format!("a{i} {}", c.attrs[i].name),
            Piece::Aggregate(i) => {
                let a = &l.aggregates[i];
                let event = &c.events[a.event as usize].name;
                let users: Vec<String> = l
                    .history
                    .iter()
                    .enumerate()
                    .filter(|(_, k)| **k == a.kept)
                    .map(|(h, _)| format!("h{h}"))
                    .collect();
                let users = users.join(" ");
                match a.kept {
                    Kept::Counter(_) => format!("{event}: counter ({users})"),
                    Kept::Last(_) => format!("{event}: key of the latest match ({users})"),
                    Kept::Ring(r) => format!("{event}: {} ({users})", ring_desc(r)),
                }
            }
            Piece::Missing => "missing-attribute bits, the i-th for attribute a<i>".into(),
            Piece::Score(i, part) => score_part(c, i, part),
            Piece::Lists => "list membership, the i-th for list i".into(),
            Piece::Run(w, part) => {
                let name = &c.workflows[w].name;
                match part {
                    RunPart::State => format!("workflow {name} run state: pc, status, `received`"),
                    RunPart::Variant => {
                        format!("workflow {name} run variant: the last split passed")
                    }
                    RunPart::Wake => format!("workflow {name} run: wake"),
                    RunPart::Enrolled => {
                        format!("workflow {name} run: key of the enrollment (also the last)")
                    }
                }
            }
            Piece::Recheck => "recheck: when lists may next change with no event".into(),
            Piece::DecayDue => "when decaying scores next flip a list, as last computed".into(),
            Piece::Sequence => {
                "the lead's action count (each action's id hashes its number)".into()
            }
            Piece::Frequency(i) => {
                let f = &c.policy.frequency[i];
                format!("{}: {}", f.rule, ring_desc(f.ring))
            }
            Piece::Kept(i) => format!("{}: its value", kept_name(c, i)),
            Piece::KeptPresent(i) => format!("{}: set while it holds one", kept_name(c, i)),
        }
    }
}

/// A kept event property (`Layout::kept`): `workflow cart_recovery's event.cart_value`.
fn kept_name(c: &Compiled, i: usize) -> String {
    use super::layout::KeptBy;
    let k = &c.layout.kept[i];
    let (owner, how) = match k.by {
        KeptBy::Start(w) => (
            format!("workflow {}", c.workflows[w as usize].name),
            "event",
        ),
        KeptBy::Received(w) => (
            format!("workflow {}", c.workflows[w as usize].name),
            "received",
        ),
        KeptBy::Trigger(t) => (format!("trigger {}", c.triggers[t as usize].name), "event"),
    };
    let event = &c.events[k.event as usize];
    let prop = event
        .props
        .get(k.prop as usize)
        .map_or("?", |p| p.0.as_str());
    format!("{owner}'s {how}.{prop} ({})", event.name)
}

/// A part of a score's accumulator, as the listing of the slab describes it.
fn score_part(c: &Compiled, i: usize, part: ScorePart) -> String {
    let s = &c.scores[i];
    let ScoreKind::Rules { decay, on, .. } = &s.kind else {
        return format!("score {}", s.name);
    };
    match part {
        ScorePart::Value => format!("score {}: value (f64)", s.name),
        ScorePart::Updated => match decay {
            Some((keep, every)) => format!(
                "score {}: the time of its last update (it keeps {}% every {})",
                s.name,
                format::number(keep * 100.0),
                format::duration(*every)
            ),
            None => format!("score {}: the time of its last update", s.name),
        },
        ScorePart::WhenTotal => format!("score {}: `when` total (f64)", s.name),
        ScorePart::Cap(r) => match on[r].cap {
            Some((per, ring)) => format!(
                "score {} on[{r}] cap (at most {} per {}): {}",
                s.name,
                ring.cap,
                format::duration(per),
                ring_desc(ring)
            ),
            None => format!("score {} on[{r}] cap", s.name),
        },
    }
}

/// `1 stamp`, `4 stamps`.
pub fn stamps(n: u32) -> String {
    if n == 1 {
        "1 stamp".into()
    } else {
        format!("{n} stamps")
    }
}

/// How a ring keeps its stamps (`Ring`).
pub fn ring_desc(r: Ring) -> String {
    match r.cap {
        0 | 1 => format!("{} of {} bits", stamps(r.cap), r.newest),
        n => format!(
            "{}, the newest whole in {} bits, the others as {}-bit distances back from it",
            stamps(n),
            r.newest,
            r.bits
        ),
    }
}

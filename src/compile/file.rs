//! The compiled-program file (`.nbc`): a fixed header, then the program serialised with
//! postcard (see docs/bytecode.md, "The file format").
//!
//! ```text
//! offset  size  what
//!      0     8  magic: the bytes `NURTURE\0`
//!      8     4  format version, u32 little-endian (FORMAT_VERSION)
//!     12     8  body length in bytes, u64 little-endian
//!     20     8  FNV-1a 64 of the body, u64 little-endian
//!     28     …  body: postcard of { source: Option<SourceText>, program: Compiled }
//! ```
//!
//! The magic and the version word stay where they are in every future version, so any
//! nurture can tell which version wrote a file. Loading never panics: a file that is not
//! one of ours, was written by another format version, is truncated, damaged, or holds a
//! program whose indices do not fit together is a `LoadError` that says which.

use super::bytecode::{Chunk, Op};
use super::expr::Texts;
use super::layout::KeptBy;
use super::layout::{Bits, Kept};
use super::program::{Compiled, Derived, ScoreKind, TemplatePart, TriggerSource, WOp};
use super::regions::{regions, Piece, Place, RunPart};
use crate::lang::hash::fnv1a;
use crate::lang::ops::HistoryKind;
use crate::lang::types::Ty;
use crate::lang::value::Val;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The first eight bytes of every compiled-program file.
pub const MAGIC: [u8; 8] = *b"NURTURE\0";

/// The version of the file format this nurture writes and reads. Bump it whenever the body's
/// shape changes (any type under `Compiled`): postcard has no field names, so an old file
/// read as a new shape would be garbage, and the version check turns that into a clear error.
/// Version 4: times the VM may write past 2106 are `TimeSlot`s, with two more bits each.
/// Version 5: webhook fields carry their type; `suppress when` rules and triggers their text
/// (and triggers their line); a split its end, and a run of a workflow with splits its
/// variant; a word for each lead's action count, which action ids hash.
pub const FORMAT_VERSION: u32 = 6;

/// Bytes before the body: magic, version, body length, checksum.
pub const HEADER_LEN: usize = 28;

/// The most lead-state words a loaded program may ask for (4 MiB a lead). A real campaign
/// needs a few hundred bytes; this only stops a damaged file from allocating without bound.
pub const MAX_SLAB_WORDS: u32 = 1 << 20;

/// The campaign source a program was compiled from, kept in the file so a disassembly of the
/// file can show the line each instruction came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceText {
    /// The file name as it was given to `nurture compile`.
    pub name: String,
    pub text: String,
}

/// A loaded file: the program and, when it was written with one, its source.
#[derive(Debug)]
pub struct CompiledFile {
    pub source: Option<SourceText>,
    pub program: Compiled,
}

/// Why a file could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadError {
    /// The file does not start with `MAGIC`.
    NotCompiled,
    /// Written by another format version.
    Version { found: u32 },
    /// The file ends early: `found` bytes where `expected` were needed.
    Truncated { expected: u64, found: u64 },
    /// The bytes are there but are not a well-formed program: the detail says what is wrong.
    Corrupt(String),
}

impl LoadError {
    /// The message, naming the file.
    pub fn describe(&self, file: &str) -> String {
        match self {
            LoadError::NotCompiled => format!(
                "{file} is not a compiled Nurture program: it does not start with the NURTURE \
                 magic bytes (make one with `nurture compile CAMPAIGN -o FILE.nbc`)"
            ),
            LoadError::Version { found } => format!(
                "{file} was written by format version {found}; this nurture reads version \
                 {FORMAT_VERSION}: recompile it with `nurture compile`"
            ),
            LoadError::Truncated { expected, found } if *expected == HEADER_LEN as u64 => {
                format!(
                    "{file} is truncated: it is {found} bytes long, shorter than the \
                     {HEADER_LEN}-byte header; recompile it with `nurture compile`"
                )
            }
            LoadError::Truncated { expected, found } => format!(
                "{file} is truncated: its header promises {expected} bytes but the file has \
                 {found}; recompile it with `nurture compile`"
            ),
            LoadError::Corrupt(detail) => {
                format!("{file} is damaged: {detail}; recompile it with `nurture compile`")
            }
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe("the file"))
    }
}

impl std::error::Error for LoadError {}

/// Whether the bytes start like a compiled-program file (whatever its version).
pub fn is_compiled(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

#[derive(Serialize)]
struct BodyRef<'a> {
    source: Option<&'a SourceText>,
    program: &'a Compiled,
}

#[derive(Deserialize)]
struct Body {
    source: Option<SourceText>,
    program: Compiled,
}

/// Writes a program, and the source it came from if given, as the bytes of an `.nbc` file.
pub fn write(program: &Compiled, source: Option<&SourceText>) -> Vec<u8> {
    let body = postcard::to_allocvec(&BodyRef { source, program })
        .expect("every type in a compiled program serialises: none fails or has unknown length");
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&fnv1a(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// Reads an `.nbc` file: the program, checked to hang together, and its source if it has one.
pub fn read(bytes: &[u8]) -> Result<CompiledFile, LoadError> {
    let found = bytes.len() as u64;
    if bytes.len() < MAGIC.len() {
        // Too short for a magic: it is ours only if what is there is a prefix of the magic.
        return Err(if MAGIC.starts_with(bytes) && !bytes.is_empty() {
            LoadError::Truncated {
                expected: HEADER_LEN as u64,
                found,
            }
        } else {
            LoadError::NotCompiled
        });
    }
    if !is_compiled(bytes) {
        return Err(LoadError::NotCompiled);
    }
    let word = |at: usize| -> Option<[u8; 8]> { bytes.get(at..at + 8)?.try_into().ok() };
    let Some(version) = bytes.get(8..12) else {
        return Err(LoadError::Truncated {
            expected: HEADER_LEN as u64,
            found,
        });
    };
    let version = u32::from_le_bytes(version.try_into().expect("four bytes"));
    if version != FORMAT_VERSION {
        return Err(LoadError::Version { found: version });
    }
    let (Some(len), Some(sum)) = (word(12), word(20)) else {
        return Err(LoadError::Truncated {
            expected: HEADER_LEN as u64,
            found,
        });
    };
    let (len, sum) = (u64::from_le_bytes(len), u64::from_le_bytes(sum));
    let body = &bytes[HEADER_LEN..];
    let expected = (HEADER_LEN as u64).saturating_add(len);
    if (body.len() as u64) < len {
        return Err(LoadError::Truncated { expected, found });
    }
    if body.len() as u64 > len {
        return Err(LoadError::Corrupt(format!(
            "{} unexpected bytes follow the program",
            body.len() as u64 - len
        )));
    }
    if fnv1a(body) != sum {
        return Err(LoadError::Corrupt(
            "its checksum does not match: the file was changed or damaged after it was written"
                .into(),
        ));
    }
    DECODE_ERROR.with(|d| d.borrow_mut().take());
    let mut body: Body = postcard::from_bytes(body).map_err(|e| {
        // postcard keeps only the kind of a custom error; ours left its message aside.
        let detail = DECODE_ERROR
            .with(|d| d.borrow_mut().take())
            .unwrap_or_else(|| e.to_string());
        LoadError::Corrupt(format!("the program in it cannot be read ({detail})"))
    })?;
    validate(&body.program).map_err(|e| {
        LoadError::Corrupt(format!("the program in it does not hang together: {e}"))
    })?;
    // What reacts to what is derived from the program, not stored.
    body.program.reactions = super::reactions::derive(&body.program);
    Ok(CompiledFile {
        source: body.source,
        program: body.program,
    })
}

impl Compiled {
    /// The bytes of an `.nbc` file holding this program (without its source; see
    /// `file::write` to keep the source too).
    pub fn to_bytes(&self) -> Vec<u8> {
        write(self, None)
    }

    /// Loads a program from the bytes of an `.nbc` file.
    pub fn load(bytes: &[u8]) -> Result<Compiled, LoadError> {
        read(bytes).map(|f| f.program)
    }
}

thread_local! {
    /// The message of the last custom decoding error on this thread, which postcard's own
    /// error does not carry.
    static DECODE_ERROR: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// A custom decoding error whose message `read` can report.
fn decode_error<E: serde::de::Error>(message: String) -> E {
    let error = E::custom(&message);
    DECODE_ERROR.with(|d| *d.borrow_mut() = Some(message));
    error
}

/// Checks that every index in the program points at something that is there, every jump
/// lands inside its code, and then that every piece of lead state (`regions`) fits in the
/// slab and overlaps no other, so that neither the VM nor the disassembler can index out of
/// bounds on a loaded program.
pub fn validate(c: &Compiled) -> Result<(), String> {
    let v = V { c };
    v.program()?;
    disjoint(v.regions()?)
}

struct V<'a> {
    c: &'a Compiled,
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

/// A piece of lead state is as wide as what it keeps needs: a bit field 1 to 64 bits, a time
/// as wide as its times can reach, a ring's newest stamp too and its distances no wider.
fn fits(place: Place, what: &str) -> Result<(), String> {
    let field = |f: Bits| {
        check((1..=64).contains(&f.width), || {
            format!("{what} is a bit field {} bits wide", f.width)
        })
    };
    match place {
        Place::Words { .. } | Place::Flags { .. } => Ok(()),
        Place::Field(f) => field(f),
        Place::Time { slot, width } => {
            check(slot.bits.width == width, || {
                format!("{what} keeps a time in {} bits", slot.bits.width)
            })?;
            field(slot.bits)
        }
        Place::Ring { ring, newest } => {
            check(ring.newest == newest, || {
                format!("{what} keeps its newest stamp in {} bits", ring.newest)
            })?;
            check((1..=newest).contains(&ring.bits), || {
                format!("{what} keeps its stamps in {} bits", ring.bits)
            })
        }
    }
}

/// No two claimed pieces of lead state overlap, or a value would be read as another.
fn disjoint(mut claims: Vec<(u64, u64, String)>) -> Result<(), String> {
    claims.sort_unstable();
    for pair in claims.windows(2) {
        check(pair[1].0 >= pair[0].1, || {
            format!("{} and {} overlap in the lead state", pair[0].2, pair[1].2)
        })?;
    }
    Ok(())
}

impl V<'_> {
    /// Every part in turn, before its lead state (`regions`), which names the parts.
    fn program(&self) -> Result<(), String> {
        let l = &self.c.layout;
        check(l.size <= MAX_SLAB_WORDS, || {
            format!("its lead state of {} words is too large", l.size)
        })?;
        self.pools()?;
        self.attrs()?;
        self.aggregates()?;
        self.events()?;
        self.scores()?;
        self.lists()?;
        self.triggers()?;
        self.workflows()?;
        for chunk in self.c.policy.suppress.iter().map(|s| &s.cond) {
            self.chunk(chunk, "the suppress rules")?;
        }
        self.kept()?;
        self.decisions()
    }

    /// Each kept event property belongs to a workflow or trigger that is there, and is a
    /// property of an event that is there, of the type it is kept as.
    fn kept(&self) -> Result<(), String> {
        let c = self.c;
        for (i, k) in c.layout.kept.iter().enumerate() {
            let what = || format!("kept event property {i}");
            let (n, len) = match k.by {
                KeptBy::Start(w) | KeptBy::Received(w) => (w as usize, c.workflows.len()),
                KeptBy::Trigger(t) => (t as usize, c.triggers.len()),
            };
            check(n < len, || format!("{} belongs to nothing there", what()))?;
            self.event(k.event as usize, what)?;
            let props = &c.events[k.event as usize].props;
            check(
                props
                    .get(k.prop as usize)
                    .is_some_and(|(_, ty)| *ty == k.ty),
                || format!("{} is no property of its event", what()),
            )?;
        }
        Ok(())
    }

    /// Each decision's row conditions and the texts and types of their values.
    fn decisions(&self) -> Result<(), String> {
        use crate::compile::decisions::Outcome;
        for d in &self.c.decisions {
            let what = format!("the decision {}", d.name);
            let values = d.rows.iter().map(|r| &r.value).chain([&d.otherwise]);
            for r in &d.rows {
                self.chunk(&r.cond, &what)?;
            }
            for v in values {
                match v {
                    Outcome::Text(sym) => self.text(*sym, &what)?,
                    Outcome::Record(fields) => {
                        for (_, val, ty) in fields {
                            self.val(*val, self.c.pools.lists.len(), || what.clone())?;
                            self.ty(ty, &what)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The constants, constant lists and history predicates.
    fn pools(&self) -> Result<(), String> {
        let p = &self.c.pools;
        let l = &self.c.layout;
        for (i, v) in p.consts.iter().enumerate() {
            self.val(*v, p.lists.len(), || format!("constant {i}"))?;
        }
        for (i, items) in p.lists.iter().enumerate() {
            // A list may only hold lists made before it, so lists never contain themselves.
            for v in items {
                self.val(*v, i, || format!("constant list {i}"))?;
            }
        }
        check(
            p.count_bounds.len() == p.history.len() && l.history.len() == p.history.len(),
            || "the history predicates and their slots do not match up".into(),
        )?;
        for (i, h) in p.history.iter().enumerate() {
            self.event(h.event as usize, || format!("history predicate {i}"))?;
            if let Some(f) = &h.filter {
                self.chunk(f, &format!("the filter of history predicate {i}"))?;
            }
            // A predicate reads one of the aggregates, whose regions are checked with the
            // others, and one that keeps what it asks: a count, or the latest match.
            let kept = l.history[i];
            let fits = match kept {
                Kept::Ring(_) => true,
                Kept::Counter(_) => h.kind == HistoryKind::Count,
                Kept::Last(_) => h.kind != HistoryKind::Count,
            };
            check(fits && l.aggregates.iter().any(|a| a.kept == kept), || {
                format!("history predicate {i} reads no aggregate that keeps what it asks")
            })?;
        }
        Ok(())
    }

    /// The attributes: the tags and time zone among them, types, defaults, one slot each.
    fn attrs(&self) -> Result<(), String> {
        let c = self.c;
        check(!c.attrs.is_empty(), || "it has no attributes".into())?;
        check((c.tags_attr as usize) < c.attrs.len(), || {
            "its tags attribute is not there".into()
        })?;
        if let Some(tz) = c.timezone_attr {
            check((tz as usize) < c.attrs.len(), || {
                "its time zone attribute is not there".into()
            })?;
        }
        for (i, a) in c.attrs.iter().enumerate() {
            self.ty(&a.ty, &format!("attribute {}", a.name))?;
            self.val(a.default, c.pools.lists.len(), || {
                format!("the default of attribute {i}")
            })?;
        }
        check(c.layout.attrs.len() == c.attrs.len(), || {
            "its attribute slots do not match its attributes".into()
        })
    }

    /// The stored history aggregates: the events they keep and their filters.
    fn aggregates(&self) -> Result<(), String> {
        for (i, a) in self.c.layout.aggregates.iter().enumerate() {
            let what = format!("history aggregate {i}");
            self.event(a.event as usize, || what.clone())?;
            if let Some(f) = &a.filter {
                self.chunk(f, &what)?;
            }
        }
        Ok(())
    }

    /// The events' property types, and the dispatch table: an entry per event, each naming
    /// aggregates, `on` rules, triggers and waiting workflows that are there.
    fn events(&self) -> Result<(), String> {
        let c = self.c;
        for e in &c.events {
            for (name, ty) in &e.props {
                self.ty(ty, &format!("property {}.{name}", e.name))?;
            }
        }
        check(c.dispatch.len() == c.events.len(), || {
            "its dispatch table does not cover every event".into()
        })?;
        for (e, d) in c.dispatch.iter().enumerate() {
            let what = || format!("the dispatch entry of event {e}");
            for h in &d.history {
                check((*h as usize) < c.layout.aggregates.len(), what)?;
            }
            for (s, r) in &d.on_rules {
                let ok = match c.scores.get(*s as usize).map(|s| &s.kind) {
                    Some(ScoreKind::Rules { on, .. }) => (*r as usize) < on.len(),
                    _ => false,
                };
                check(ok, what)?;
            }
            for t in &d.triggers {
                check((*t as usize) < c.triggers.len(), what)?;
            }
            for w in &d.waits {
                check((*w as usize) < c.workflows.len(), what)?;
            }
        }
        Ok(())
    }

    /// The scores: their code, and an accumulator (and a time, when it decays) exactly where
    /// their rules need one.
    fn scores(&self) -> Result<(), String> {
        for s in &self.c.scores {
            let what = format!("score {}", s.name);
            match &s.kind {
                ScoreKind::Derived(chunk) => self.chunk(chunk, &what)?,
                ScoreKind::Rules {
                    decay,
                    when,
                    on,
                    slot,
                    updated,
                    ..
                } => {
                    if slot.is_none() {
                        check(on.is_empty(), || {
                            format!("{what} has `on` rules and no accumulator")
                        })?;
                    }
                    // A decaying accumulator keeps the time of its last update.
                    match (decay, slot, updated) {
                        (Some(_), Some(_), Some(_)) => {}
                        (Some(_), Some(_), None) => {
                            return Err(format!("{what} decays and keeps no time"))
                        }
                        (_, _, Some(_)) => {
                            return Err(format!("{what} keeps a time it does not use"))
                        }
                        _ => {}
                    }
                    for w in when {
                        self.chunk(&w.cond, &what)?;
                    }
                    for r in on {
                        self.event(r.event as usize, || what.clone())?;
                        if let Some(f) = &r.filter {
                            self.chunk(f, &what)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The lists' conditions, and the derive order.
    fn lists(&self) -> Result<(), String> {
        let c = self.c;
        for list in &c.lists {
            self.chunk(&list.cond, &format!("list {}", list.name))?;
        }
        for d in &c.derive_order {
            let ok = match d {
                Derived::Score(s) => (*s as usize) < c.scores.len(),
                Derived::List(l) => (*l as usize) < c.lists.len(),
            };
            check(ok, || {
                "its derive order names a missing score or list".into()
            })?;
        }
        Ok(())
    }

    fn triggers(&self) -> Result<(), String> {
        let c = self.c;
        for (i, t) in c.triggers.iter().enumerate() {
            let what = format!("trigger {i}");
            match &t.source {
                TriggerSource::Event { event, filter } => {
                    self.event(*event as usize, || what.clone())?;
                    if let Some(f) = filter {
                        self.chunk(f, &what)?;
                    }
                }
                TriggerSource::Enter(list) | TriggerSource::Exit(list) => {
                    check((*list as usize) < c.lists.len(), || what.clone())?;
                }
            }
            self.ops(&t.action, &what)?;
        }
        Ok(())
    }

    /// The workflows' code, and a run for each, with a variant exactly when it has a split.
    fn workflows(&self) -> Result<(), String> {
        let c = self.c;
        for w in &c.workflows {
            let what = format!("workflow {}", w.name);
            for chunk in [&w.only_if, &w.exit_when, &w.goal].into_iter().flatten() {
                self.chunk(chunk, &what)?;
            }
            check(w.holdout.is_none_or(|p| (1..=99).contains(&p)), || {
                format!("{what} holds out a share outside 1% to 99%")
            })?;
            self.ops(&w.ops, &what)?;
        }
        check(c.layout.runs.len() == c.workflows.len(), || {
            "its workflow runs do not match its workflows".into()
        })?;
        for (w, r) in c.workflows.iter().zip(&c.layout.runs) {
            // Its variant numbers the workflow's splits, and there is one exactly when it has
            // a split.
            let width = super::layout::run_variant_width(&w.ops);
            check(r.variant.map_or(0, |v| v.width) == width, || {
                format!(
                    "the run of workflow {} keeps its variant in the wrong bits",
                    w.name
                )
            })?;
        }
        Ok(())
    }

    /// Every piece of lead state (`regions`) is as wide as what it keeps needs and lies
    /// inside the slab: the bits each claims, as (first bit, end, what), for `disjoint`.
    fn regions(&self) -> Result<Vec<(u64, u64, String)>, String> {
        let c = self.c;
        let mut claims = Vec::new();
        for r in regions(c) {
            let what = r.piece.owner(c);
            fits(r.place, &what)?;
            let (at, n) = r.place.bits();
            check(at + n <= c.layout.size as u64 * 32, || {
                format!("{what} lies outside the lead state")
            })?;
            if n > 0 {
                claims.push((at, at + n, what.clone()));
            }
            if let Piece::Run(w, RunPart::State) = r.piece {
                // Its state holds every pc from 0 to one past the last instruction, and no
                // more than the VM's 16 bits of pc.
                let (ops, width) = (c.workflows[w].ops.len(), c.layout.runs[w].state.width);
                check((4..=20).contains(&width) && ops < 1 << (width - 4), || {
                    format!("{what} has a state {width} bits wide")
                })?;
            }
        }
        Ok(claims)
    }

    fn event(&self, e: usize, what: impl FnOnce() -> String) -> Result<(), String> {
        check(e < self.c.events.len(), || {
            format!("{} names event {e}, which is not there", what())
        })
    }

    fn text(&self, sym: u32, what: &str) -> Result<(), String> {
        check((sym as usize) < self.c.pools.texts.len(), || {
            format!("{what} names text {sym}, which is not there")
        })
    }

    fn ty(&self, ty: &Ty, what: &str) -> Result<(), String> {
        match ty {
            Ty::Enum(e) => check((*e as usize) < self.c.enums.len(), || {
                format!("{what} has an enum type that is not there")
            }),
            Ty::List(t) | Ty::Optional(t) => self.ty(t, what),
            _ => Ok(()),
        }
    }

    /// A value refers only to texts that are interned and lists before `lists`.
    fn val(&self, v: Val, lists: usize, what: impl FnOnce() -> String) -> Result<(), String> {
        match v {
            Val::Sym(s) | Val::Seq(s) => self.text(s, &what()),
            Val::List(i) => check((i as usize) < lists, || {
                format!("{} names constant list {i}, which is not there", what())
            }),
            _ => Ok(()),
        }
    }

    fn chunk(&self, chunk: &Chunk, what: &str) -> Result<(), String> {
        let c = self.c;
        let p = &c.pools;
        let n = chunk.ops.len();
        check(chunk.spans.len() == n, || {
            format!("{what} has code without source spans")
        })?;
        for (i, op) in chunk.ops.iter().enumerate() {
            let (index, len) = match *op {
                Op::Const(k) => (k as usize, p.consts.len()),
                Op::Attr(a) => (a as usize, c.attrs.len()),
                Op::Score(s) => (s as usize, c.scores.len()),
                Op::InList(l) => (l as usize, c.lists.len()),
                Op::History(h) => (h as usize, p.history.len()),
                Op::Kept(k) => (k as usize, c.layout.kept.len()),
                Op::Matches(r) => (r as usize, p.regexes.len()),
                Op::JumpIfSet(d) | Op::JumpUnlessTrue(d) | Op::JumpIfTrue(d) => (i + d as usize, n),
                _ => (0, 1),
            };
            check(index < len, || {
                format!("instruction {i} of {what} ({op:?}) points past what is there")
            })?;
        }
        Ok(())
    }

    fn ops(&self, ops: &[WOp], what: &str) -> Result<(), String> {
        let c = self.c;
        let target = |t: u32| {
            check(t as usize <= ops.len(), || {
                format!("{what} jumps to {t}, past its end")
            })
        };
        let workflow = |w: u16| {
            check((w as usize) < c.workflows.len(), || {
                format!("{what} names workflow {w}, which is not there")
            })
        };
        for op in ops {
            for (name, d) in op.data_fields() {
                for (_, chunk, ty) in d.labelled(name) {
                    self.chunk(chunk, what)?;
                    self.ty(ty, what)?;
                }
            }
            match op {
                WOp::Send {
                    template, decision, ..
                } => {
                    self.text(*template, what)?;
                    if let Some(d) = decision {
                        check((*d as usize) < c.decisions.len(), || {
                            format!("{what} sends by decision {d}, which is not there")
                        })?;
                    }
                }
                WOp::Notify { message, .. } => {
                    for part in &message.parts {
                        if let TemplatePart::Value(chunk, ty) = part {
                            self.chunk(chunk, what)?;
                            self.ty(ty, what)?;
                        }
                    }
                }
                WOp::Retarget { audience, .. } => self.text(*audience, what)?,
                WOp::Webhook { name, .. } => self.text(*name, what)?,
                WOp::Set { attr, value, .. } => {
                    check((*attr as usize) < c.attrs.len(), || {
                        format!("{what} sets attribute {attr}, which is not there")
                    })?;
                    self.chunk(value, what)?;
                }
                WOp::Tag { tag, .. } => self.text(*tag, what)?,
                WOp::Start { workflow: w, .. } | WOp::Stop { workflow: w, .. } => workflow(*w)?,
                WOp::WaitFor { .. } | WOp::WaitUntil { .. } => {}
                WOp::WaitUpTo { event, filter, .. } => {
                    self.event(*event as usize, || what.to_string())?;
                    if let Some(f) = filter {
                        self.chunk(f, what)?;
                    }
                }
                WOp::JumpUnless {
                    cond, target: t, ..
                } => {
                    self.chunk(cond, what)?;
                    target(*t)?;
                }
                WOp::Jump { target: t } => target(*t)?,
                WOp::Split { arms, end, .. } => {
                    for (_, t, _) in arms {
                        target(*t)?;
                        check(t <= end, || format!("{what} has a split arm past its end"))?;
                    }
                    target(*end)?;
                }
            }
        }
        Ok(())
    }
}

impl Serialize for Texts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Texts {
    /// Interns the texts again in order, which rebuilds the index; a text that appears twice
    /// would shift every symbol after it, so it is an error.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Texts, D::Error> {
        let all = Vec::<String>::deserialize(d)?;
        let mut texts = Texts::default();
        for (i, t) in all.iter().enumerate() {
            if texts.intern(t) != i as u32 {
                return Err(decode_error(format!(
                    "text {i} appears twice in the text pool"
                )));
            }
        }
        Ok(texts)
    }
}

/// Serde for what does not serialise itself: compiled regexes are stored as their patterns
/// and compiled again, within the checker's size limit, when loaded.
#[doc(hidden)]
pub mod remote {
    use serde::{Deserialize, Deserializer, Serializer};

    pub mod regexes {
        use super::*;

        pub fn serialize<S: Serializer>(v: &[regex::Regex], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(|r| r.as_str()))
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<regex::Regex>, D::Error> {
            let patterns = Vec::<String>::deserialize(d)?;
            patterns
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    regex::RegexBuilder::new(p)
                        .size_limit(crate::check::REGEX_SIZE_LIMIT)
                        .build()
                        .map_err(|e| {
                            crate::compile::file::decode_error(format!(
                                "regex {i} does not compile: {e}"
                            ))
                        })
                })
                .collect()
        }
    }
}

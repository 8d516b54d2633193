//! `--state DB`: lead state kept in an embedded SQLite database, committed in batches, so a
//! run can stop and a later one go on where it stopped (docs/durability.md).
//!
//! The tables:
//!
//! ```text
//! meta    (key TEXT PRIMARY KEY, value BLOB)      program, source, progress
//! texts   (sym INTEGER PRIMARY KEY, text TEXT)     the interned texts, append-only
//! leads   (idx INTEGER PRIMARY KEY, id TEXT,       one row a lead: its slab as little-endian
//!          slab BLOB, tags BLOB, timers BLOB)      u32 words, its tags as u32 text symbols,
//!                                                  its pending timers (20 bytes each: due
//!                                                  i64, sequence u64, kind u16, arg u16)
//! ```
//!
//! A lead's timers live in its row because a timer is only scheduled or fired while its lead
//! is processed: a commit rewrites the rows of the leads touched since the last, and nothing
//! else.
//!
//! `meta.program` holds the compiled program (`Compiled::to_bytes`) the state was written
//! by: slabs only mean something under its layout. `meta.progress` (JSON) holds the clock,
//! the counters, and where the input and the output files stood at the commit.

use crate::compile::file::SourceText;
use crate::compile::layout::Kept;
use crate::compile::Compiled;
use crate::runtime::engine::{self, Engine};
use crate::vm::machine::{Counters, Machine, Stats, TimerRow};
use crate::vm::ring;
use crate::vm::state::{to_stamp, Lead};
use crate::vm::value::Val;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Input lines between two commits unless `--commit-every` says otherwise. A commit rewrites
/// the database pages of every lead touched since the last, and with leads spread over the
/// table that is most pages whatever the batch: fewer, larger batches cost far less (the
/// README's Performance section), and a crash only makes the resumed run redo more.
pub const DEFAULT_COMMIT_EVERY: u64 = 100_000;

/// The layout of the tables; bumped when it changes.
pub const SCHEMA_VERSION: u32 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS texts (sym INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leads (idx INTEGER PRIMARY KEY, id TEXT NOT NULL,
    slab BLOB NOT NULL, tags BLOB, timers BLOB);
";

/// Why the state database could not be used.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError(format!("state database: {e}"))
    }
}

/// Where the input and the output files stood at a commit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// The input as it was named (`-` for standard input).
    pub input: String,
    /// Lines of that input consumed.
    pub line: u64,
    /// Byte offset of the next unread line.
    pub offset: u64,
    /// Whether the input was read to its end: a later run reads a new input from its start.
    pub done: bool,
    /// The action file and its length in bytes at the commit; `None` for standard output.
    pub out: Option<String>,
    pub out_len: u64,
    /// The rejects file and its length at the commit.
    pub rejects: Option<String>,
    pub rejects_len: u64,
}

/// Everything in `meta.progress`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub now: i64,
    pub timer_seq: u64,
    pub emitted: u64,
    pub events: u64,
    pub identifies: u64,
    pub actions: u64,
    pub suppressed: u64,
    pub conversions: u64,
    pub cascade_errors: u64,
    pub lines: u64,
    pub rejected: u64,
    pub skipped: BTreeMap<String, u64>,
    pub ignored_traits: u64,
    pub position: Position,
}

impl Progress {
    fn of(engine: &Engine, position: &Position) -> Progress {
        let m = engine.machine.counters();
        let e = engine.counters();
        Progress {
            now: m.now,
            timer_seq: m.timer_seq,
            emitted: m.emitted,
            events: m.stats.events,
            identifies: m.stats.identifies,
            actions: m.stats.actions,
            suppressed: m.stats.suppressed,
            conversions: m.stats.conversions,
            cascade_errors: m.stats.cascade_errors,
            lines: e.lines,
            rejected: e.rejected,
            skipped: e.skipped,
            ignored_traits: e.ignored_traits,
            position: position.clone(),
        }
    }

    fn machine(&self) -> Counters {
        Counters {
            now: self.now,
            timer_seq: self.timer_seq,
            emitted: self.emitted,
            stats: Stats {
                events: self.events,
                identifies: self.identifies,
                actions: self.actions,
                suppressed: self.suppressed,
                conversions: self.conversions,
                cascade_errors: self.cascade_errors,
            },
        }
    }

    /// The engine's counters in this record.
    pub fn engine(&self) -> engine::Counters {
        engine::Counters {
            lines: self.lines,
            rejected: self.rejected,
            skipped: self.skipped.clone(),
            ignored_traits: self.ignored_traits,
        }
    }
}

/// An open state database.
pub struct Store {
    conn: Connection,
    /// Texts already in the `texts` table.
    texts_saved: usize,
    /// Rows in the `leads` table.
    leads_saved: usize,
}

impl Store {
    /// Opens the database, creating it (and its tables) when it does not exist.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path).map_err(|e| {
            StoreError(format!(
                "cannot open the state database {}: {e}",
                path.display()
            ))
        })?;
        Store::setup(conn)
    }

    /// Opens a database that must already exist (`nurture state`).
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError(format!(
                "{} does not exist (it is made by `nurture run --state {}`)",
                path.display(),
                path.display()
            )));
        }
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(|e| {
                StoreError(format!(
                    "cannot open the state database {}: {e}",
                    path.display()
                ))
            })?;
        let store = Store::setup(conn)?;
        if store.program()?.is_none() {
            return Err(StoreError(format!(
                "{} holds no state: no run has committed to it yet",
                path.display()
            )));
        }
        Ok(store)
    }

    fn setup(conn: Connection) -> Result<Store, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError(format!(
                "state database: cannot use write-ahead logging (journal mode {mode})"
            )));
        }
        // In WAL mode NORMAL keeps every commit atomic across a crash of the process; a
        // power loss may lose the last commits, which the resume regenerates (see
        // docs/durability.md).
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA).map_err(|e| {
            StoreError(format!(
                "state database: cannot create its tables ({e}): is it a Nurture state database?"
            ))
        })?;
        // Lead rows are read and rewritten all the time: keep the pages in memory.
        conn.pragma_update(None, "cache_size", -262_144)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Checkpoint every 64 MiB of log rather than 4: a page rewritten by several commits
        // is copied back once.
        conn.pragma_update(None, "wal_autocheckpoint", 16_384)?;
        let mut store = Store {
            conn,
            texts_saved: 0,
            leads_saved: 0,
        };
        match store.meta("schema")? {
            None => {}
            Some(v) if v == SCHEMA_VERSION.to_string().as_bytes() => {}
            Some(v) => {
                return Err(StoreError(format!(
                    "the state database has table layout {}; this nurture uses {SCHEMA_VERSION}",
                    String::from_utf8_lossy(&v)
                )))
            }
        }
        store.texts_saved = store
            .conn
            .query_row("SELECT COUNT(*) FROM texts", [], |r| r.get::<_, i64>(0))?
            as usize;
        store.leads_saved = store
            .conn
            .query_row("SELECT COUNT(*) FROM leads", [], |r| r.get::<_, i64>(0))?
            as usize;
        Ok(store)
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// The compiled program that wrote the state, if any run has committed.
    pub fn program(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.meta("program")
    }

    /// The campaign source the program came from, when it was known.
    pub fn source(&self) -> Result<Option<SourceText>, StoreError> {
        let (Some(name), Some(text)) = (self.meta("source_name")?, self.meta("source")?) else {
            return Ok(None);
        };
        Ok(Some(SourceText {
            name: String::from_utf8_lossy(&name).into_owned(),
            text: String::from_utf8_lossy(&text).into_owned(),
        }))
    }

    pub fn progress(&self) -> Result<Option<Progress>, StoreError> {
        match self.meta("progress")? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v)
                .map(Some)
                .map_err(|e| StoreError(format!("state database: damaged progress record: {e}"))),
        }
    }

    /// Puts a machine's state back: texts, leads, timers, counters. The machine must be fresh
    /// and run the program the state was written by. Returns the progress record.
    pub fn load_machine(&self, m: &mut Machine) -> Result<Progress, StoreError> {
        let damaged = |what: String| StoreError(format!("state database is damaged: {what}"));
        let base = m.c.pools.texts.len();
        let mut q = self
            .conn
            .prepare("SELECT sym, text FROM texts ORDER BY sym")?;
        let mut rows = q.query([])?;
        let mut n = 0usize;
        while let Some(r) = rows.next()? {
            let (sym, text): (i64, String) = (r.get(0)?, r.get(1)?);
            if sym != n as i64 {
                return Err(damaged(format!("text {n} is missing")));
            }
            if n < base {
                if m.c.pools.texts.get(n as u32) != text {
                    return Err(damaged(format!("text {n} is not the program's")));
                }
            } else if m.c.pools.texts.intern(&text) != n as u32 {
                return Err(damaged(format!("text {n} appears twice")));
            }
            n += 1;
        }
        let size = m.c.layout.size as usize;
        let mut q = self
            .conn
            .prepare("SELECT idx, id, slab, tags, timers FROM leads ORDER BY idx")?;
        let mut rows = q.query([])?;
        let texts = m.c.pools.texts.len() as u32;
        let mut timers = Vec::new();
        let mut slab_words = Vec::with_capacity(size);
        while let Some(r) = rows.next()? {
            let (idx, id): (i64, String) = (r.get(0)?, r.get(1)?);
            let slab: Vec<u8> = r.get(2)?;
            let tags: Option<Vec<u8>> = r.get(3)?;
            if idx != m.leads.len() as i64 {
                return Err(damaged(format!("lead {} is missing", m.leads.len())));
            }
            if slab.len() != size * 4 {
                return Err(damaged(format!(
                    "lead {id} has {} bytes of state where the program lays out {}",
                    slab.len(),
                    size * 4
                )));
            }
            slab_words.clear();
            slab_words.extend(words(&slab));
            let tags: Vec<u32> = words(tags.as_deref().unwrap_or(&[])).collect();
            if let Some(t) = tags.iter().find(|t| **t >= texts) {
                return Err(damaged(format!("lead {id} has an unknown tag {t}")));
            }
            let lead = m.restore_lead(&id, &slab_words, tags);
            let blob: Option<Vec<u8>> = r.get(4)?;
            for t in blob.as_deref().unwrap_or(&[]).chunks_exact(TIMER_BYTES) {
                timers.push(timer_from(lead, t));
            }
        }
        for t in timers {
            m.restore_timer(t).map_err(damaged)?;
        }
        let progress = self.progress()?.unwrap_or_default();
        m.restore_counters(progress.machine());
        self.check_texts(n)?;
        Ok(progress)
    }

    fn check_texts(&self, n: usize) -> Result<(), StoreError> {
        if n != self.texts_saved {
            return Err(StoreError(format!(
                "state database is damaged: {n} texts read of {}",
                self.texts_saved
            )));
        }
        Ok(())
    }

    /// Puts an engine's state back; returns where the input and output stood.
    pub fn load(&self, engine: &mut Engine) -> Result<Position, StoreError> {
        let progress = self.load_machine(&mut engine.machine)?;
        engine.restore_counters(progress.engine());
        Ok(progress.position)
    }

    /// Records a program that differs from the stored one only in where things stand in the
    /// source (comments, blank lines): the state carries on unchanged under it.
    pub fn replace_program(
        &mut self,
        program: &[u8],
        source: Option<&SourceText>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        put_meta(&tx, "program", program)?;
        if let Some(s) = source {
            put_meta(&tx, "source_name", s.name.as_bytes())?;
            put_meta(&tx, "source", s.text.as_bytes())?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Starts a state: records the program (and its source) that will write it.
    pub fn init(
        &mut self,
        program: &[u8],
        source: Option<&SourceText>,
        engine: &mut Engine,
        position: &Position,
    ) -> Result<(), StoreError> {
        engine.machine.set_journal(true);
        let tx = self.conn.transaction()?;
        for t in ["meta", "texts", "leads"] {
            tx.execute(&format!("DELETE FROM {t}"), [])?;
        }
        put_meta(&tx, "schema", SCHEMA_VERSION.to_string().as_bytes())?;
        put_meta(&tx, "program", program)?;
        if let Some(s) = source {
            put_meta(&tx, "source_name", s.name.as_bytes())?;
            put_meta(&tx, "source", s.text.as_bytes())?;
        }
        tx.commit()?;
        self.texts_saved = 0;
        self.leads_saved = 0;
        self.commit(engine, position)
    }

    /// Writes everything that changed since the last commit, in one transaction: new texts,
    /// the leads touched, the timers scheduled and fired, the counters and `position`.
    pub fn commit(&mut self, engine: &mut Engine, position: &Position) -> Result<(), StoreError> {
        let changes = engine.machine.take_changes();
        let m = &engine.machine;
        let progress = serde_json::to_vec(&Progress::of(engine, position))
            .expect("the progress record serialises");
        let tx = self.conn.transaction()?;
        {
            let mut put = tx.prepare_cached("INSERT INTO texts (sym, text) VALUES (?1, ?2)")?;
            for (i, t) in m.c.pools.texts.iter().enumerate().skip(self.texts_saved) {
                put.execute(params![i as i64, t])?;
            }
            let mut insert = tx.prepare_cached(
                "INSERT INTO leads (idx, id, slab, tags, timers) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE leads SET slab = ?2, tags = ?3, timers = ?4 WHERE idx = ?1",
            )?;
            let mut row = Row::default();
            let mut timers = changes.timers.iter().peekable();
            for &l in &changes.leads {
                row.fill(m, l);
                while let Some(t) = timers.next_if(|t| t.lead == l) {
                    row.timer(t);
                }
                if (l as usize) < self.leads_saved {
                    update.execute(params![l as i64, &row.slab[..], row.tags(), row.timers()])?;
                } else {
                    insert.execute(params![
                        l as i64,
                        &m.lead_ids[l as usize],
                        &row.slab[..],
                        row.tags(),
                        row.timers()
                    ])?;
                }
            }
        }
        put_meta(&tx, "progress", &progress)?;
        tx.commit()?;
        self.texts_saved = m.c.pools.texts.len();
        self.leads_saved = m.leads.len();
        Ok(())
    }

    /// Replaces the whole state (after a migration): the program, its source, every text
    /// and lead with its timers. The machine's journal must have been on while its leads were
    /// made, so that every lead is in the commit.
    pub fn rewrite(
        &mut self,
        program: &[u8],
        source: Option<&SourceText>,
        engine: &mut Engine,
        position: &Position,
    ) -> Result<(), StoreError> {
        self.init(program, source, engine, position)
    }
}

/// One lead row's blobs, reused from lead to lead.
#[derive(Default)]
struct Row {
    slab: Vec<u8>,
    tags: Vec<u8>,
    timers: Vec<u8>,
}

/// Bytes of one timer in a lead's row.
const TIMER_BYTES: usize = 20;

impl Row {
    fn fill(&mut self, m: &Machine, l: u32) {
        let lead = &m.leads[l as usize];
        self.slab.clear();
        self.slab
            .extend(lead.words().iter().flat_map(|w| w.to_le_bytes()));
        self.tags.clear();
        self.tags
            .extend(m.leads.tags(l).iter().flat_map(|w| w.to_le_bytes()));
        self.timers.clear();
    }

    fn timer(&mut self, t: &TimerRow) {
        self.timers.extend_from_slice(&t.due.to_le_bytes());
        self.timers.extend_from_slice(&t.seq.to_le_bytes());
        self.timers
            .extend_from_slice(&(t.kind as u16).to_le_bytes());
        self.timers.extend_from_slice(&t.arg.to_le_bytes());
    }

    fn tags(&self) -> Option<&[u8]> {
        (!self.tags.is_empty()).then_some(&self.tags[..])
    }

    fn timers(&self) -> Option<&[u8]> {
        (!self.timers.is_empty()).then_some(&self.timers[..])
    }
}

fn timer_from(lead: u32, b: &[u8]) -> TimerRow {
    let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
    TimerRow {
        due: u64_at(0) as i64,
        seq: u64_at(8),
        lead,
        kind: u16::from_le_bytes([b[16], b[17]]) as u8,
        arg: u16::from_le_bytes([b[18], b[19]]),
    }
}

fn put_meta(tx: &rusqlite::Transaction<'_>, key: &str, value: &[u8]) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)")?
        .execute(params![key, value])?;
    Ok(())
}

/// Little-endian `u32` words of a blob (a trailing partial word is dropped).
fn words(b: &[u8]) -> impl Iterator<Item = u32> + '_ {
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
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
    for a in &old.attrs {
        if let Some(b) = new.attrs.iter().find(|b| b.name == a.name) {
            if a.ty != b.ty {
                out.push(format!("attribute {} changed type", a.name));
            }
        }
    }
    let steps = |c: &Compiled, w: &crate::compile::program::Workflow| -> Vec<String> {
        w.ops
            .iter()
            .filter(|o| !matches!(o, crate::compile::program::WOp::Jump { .. }))
            .map(|o| crate::vm::machine::op_label(c, o))
            .collect()
    };
    for w in &old.workflows {
        if let Some(v) = new.workflows.iter().find(|v| v.name == w.name) {
            let (a, b) = (steps(old, w), steps(new, v));
            if a != b {
                let gone: Vec<&String> = a.iter().filter(|s| !b.contains(s)).collect();
                let added: Vec<&String> = b.iter().filter(|s| !a.contains(s)).collect();
                let mut what = format!("workflow {} changed its steps", w.name);
                if !gone.is_empty() {
                    what.push_str(&format!(
                        "; removed: {}",
                        gone.iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                if !added.is_empty() {
                    what.push_str(&format!(
                        "; added: {}",
                        added
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                out.push(what);
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

/// Carries one piece of history from `from` to `into`: a counter as it is, stamps newest
/// first as many as the new place keeps (a latest-match stamp takes the newest).
fn carry_history(from: &Lead, kept: Kept, into: &mut Lead, to: Kept) {
    let mut stamps: Vec<i64> = match (kept, to) {
        (Kept::Counter(f), Kept::Counter(t)) => {
            into.set_word(t, from.word(f));
            return;
        }
        (Kept::Counter(_), _) | (_, Kept::Counter(_)) => return,
        (Kept::Ring(r), _) => ring::stamps(from, r).collect(),
        (Kept::Last(at), _) => from.stamp(at).into_iter().collect(),
    };
    stamps.sort_unstable_by(|a, b| b.cmp(a));
    match to {
        // Oldest first: the ring takes them in time order.
        Kept::Ring(r) => {
            for t in stamps.iter().take(r.cap as usize).rev() {
                ring::push(into, r, *t);
            }
        }
        Kept::Last(at) => into.set_word(at, stamps.first().map_or(0, |t| to_stamp(*t))),
        Kept::Counter(_) => {}
    }
}

/// What a migration did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Migration {
    pub leads: u64,
    /// Open runs carried over.
    pub runs: u64,
    /// Runs that could not be placed: `lead: workflow: why`.
    pub lost: Vec<String>,
    /// Anything else that did not come along (held sends, history kept differently).
    pub notes: Vec<String>,
}

/// Carries the state of `old` (a machine loaded from the database under the program that
/// wrote it) into `new`, a fresh machine on the changed program: attributes, tags and
/// scores' accumulated points by name, list memberships by name, unfiltered history by event
/// and kind, frequency-cap history by rule, and open workflow runs by workflow name and step
/// label. Timers are scheduled again from the carried state.
pub fn migrate(old: &Machine, new: &mut Machine) -> Migration {
    use crate::compile::program::ScoreKind;
    let mut report = Migration::default();
    let (oc, counters) = (&old.c, old.counters());
    let mut attrs = Vec::new();
    for (j, a) in new.c.attrs.iter().enumerate() {
        if j as u16 == new.c.tags_attr {
            continue;
        }
        match oc.attrs.iter().position(|b| b.name == a.name) {
            Some(i) if oc.attrs[i].ty == a.ty && i as u16 != oc.tags_attr => {
                attrs.push((i as u16, j as u16))
            }
            Some(_) => report.notes.push(format!(
                "attribute {} changed type: every lead has its default",
                a.name
            )),
            None => {}
        }
    }
    // Accumulated points by score name: (from, to, and for a score that decays now, where
    // the time of the last update was kept, if it was, and where it goes). A score that
    // decays only from now on keeps no such time before: its decay starts at the migration.
    let mut scores = Vec::new();
    for s in &new.c.scores {
        let ScoreKind::Rules {
            slot: Some(to),
            updated,
            ..
        } = s.kind
        else {
            continue;
        };
        if let Some(ScoreKind::Rules {
            slot: Some(from),
            updated: was,
            ..
        }) = oc.scores.iter().find(|o| o.name == s.name).map(|o| &o.kind)
        {
            if updated.is_some() && was.is_none() {
                report.notes.push(format!(
                    "score {} decays from the migration on: its points kept no time before",
                    s.name
                ));
            }
            scores.push((*from, to, updated.map(|u| (*was, u))));
        }
    }
    let mut lists = Vec::new();
    for (j, l) in new.c.lists.iter().enumerate() {
        if let Some(i) = oc.lists.iter().position(|o| o.name == l.name) {
            lists.push((i as u16, j as u16));
        }
    }
    // Unfiltered history aggregates, by event name and kind. A latest-match stamp and a ring
    // over the same events stand in for each other (one program may keep the stamp as the
    // ring's newest, the other its own).
    let mut history = Vec::new();
    let mut reset = 0;
    for a in &new.c.layout.aggregates {
        let name = &new.c.events[a.event as usize].name;
        let of_kind = |same: fn(&Kept, &Kept) -> bool| {
            oc.layout.aggregates.iter().find(|o| {
                a.filter.is_none()
                    && o.filter.is_none()
                    && oc.events[o.event as usize].name == *name
                    && same(&o.kept, &a.kept)
            })
        };
        let found =
            of_kind(|o, a| std::mem::discriminant(o) == std::mem::discriminant(a)).or_else(|| {
                of_kind(|o, a| {
                    matches!(
                        (o, a),
                        (Kept::Last(_), Kept::Ring(_)) | (Kept::Ring(_), Kept::Last(_))
                    )
                })
            });
        match found {
            Some(o) => history.push((o.kept, a.kept)),
            None => reset += 1,
        }
    }
    if reset > 0 {
        report.notes.push(format!(
            "{reset} history aggregates are new or filtered and start empty"
        ));
    }
    let mut caps = Vec::new();
    for f in &new.c.policy.frequency {
        if let Some(o) = oc
            .policy
            .frequency
            .iter()
            .find(|o| o.channel == f.channel && o.ring.cap == f.ring.cap && o.per == f.per)
        {
            caps.push((Kept::Ring(o.ring), Kept::Ring(f.ring)));
        }
    }
    let mut flows = Vec::new();
    for (i, w) in oc.workflows.iter().enumerate() {
        let to = new.c.workflows.iter().position(|v| v.name == w.name);
        flows.push((i as u16, to.map(|t| t as u16)));
    }
    let held = old.timer_rows().iter().filter(|t| t.kind == 2).count();
    if held > 0 {
        report.notes.push(format!(
            "{held} sends held by quiet hours for triggers were dropped"
        ));
    }

    for (l, id) in old.lead_ids.iter().enumerate() {
        let from = &old.leads[l];
        let mut slab = Lead::blank(&new.c);
        let lead = Lead::of_mut(&mut slab);
        for &(i, j) in &attrs {
            let v = match from.attr(oc, i) {
                Val::Sym(s) => Val::Sym(new.c.pools.texts.intern(oc.pools.texts.get(s))),
                v => v,
            };
            lead.set_attr(&new.c, j, v);
        }
        let mut tags = Vec::new();
        for t in old.leads.tags(l as u32) {
            let t = new.c.pools.texts.intern(oc.pools.texts.get(*t));
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        for &(f, t, timed) in &scores {
            lead.set_word(t, from.word(f));
            match timed {
                Some((Some(was), updated)) => lead.set_time(updated, from.time(was)),
                Some((None, updated)) => lead.set_time(updated, Some(counters.now)),
                None => {}
            }
        }
        for &(i, j) in &lists {
            lead.set_in_list(&new.c, j, from.in_list(oc, i));
        }
        for &(kept, to) in history.iter().chain(&caps) {
            carry_history(from, kept, lead, to);
        }
        for &(w, to) in &flows {
            let open = old.run_step(l as u32, w);
            match to {
                Some(to) => match old.carry_run(l as u32, w, &new.c, to, lead) {
                    Ok(true) => report.runs += 1,
                    Ok(false) => {}
                    Err(why) => report
                        .lost
                        .push(format!("{id}: {}: {why}", oc.workflows[w as usize].name)),
                },
                None => {
                    if let Some(step) = open {
                        report.lost.push(format!(
                            "{id}: {}: at step {step}, and the workflow is gone",
                            oc.workflows[w as usize].name
                        ));
                    }
                }
            }
        }
        new.restore_lead(id, &slab, tags);
        report.leads += 1;
    }
    let mut c = counters;
    c.timer_seq = c.timer_seq.max(1);
    new.restore_counters(c);
    let now = new.now;
    for l in 0..new.leads.len() as u32 {
        new.rearm(l);
        debug_assert_eq!(new.now, now);
    }
    report
}

//! `--state DB`: lead state kept in an embedded SQLite database, committed in batches, so a
//! run can stop and a later one go on where it stopped (docs/durability.md).
//!
//! The tables (every row carries `sum`, an FNV-1a 64 checksum of its other columns, so a
//! damaged row is found and named instead of trusted):
//!
//! ```text
//! meta    (key TEXT PRIMARY KEY, value BLOB, sum)   program, source, progress
//! texts   (sym INTEGER PRIMARY KEY, text TEXT, sum)  the interned texts, append-only
//! leads   (idx INTEGER PRIMARY KEY, id TEXT,         one row a lead: its slab as little-endian
//!          slab BLOB, tags BLOB, timers BLOB, sum)   u32 words, its tags as u32 text symbols,
//!                                                    its pending timers (20 bytes each: due
//!                                                    i64, sequence u64, kind u16, arg u16)
//! ```
//!
//! A Nurture database is marked with SQLite's `application_id` ([`APPLICATION_ID`]) and
//! `user_version` ([`SCHEMA_VERSION`]): any other existing file is refused before anything is
//! written to it.
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
use crate::lang::hash::Fnv1a;
use crate::lang::value::Val;
use crate::runtime::engine::{self, Engine};
use crate::vm::machine::{Counters, Machine, TimerRow};
use crate::vm::ring;
use crate::vm::state::{to_stamp, Lead};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Input lines between two commits unless `--commit-every` says otherwise. A commit rewrites
/// the database pages of every lead touched since the last, and with leads spread over the
/// table that is most pages whatever the batch: fewer, larger batches cost far less (the
/// README's Performance section), and a crash only makes the resumed run redo more.
pub const DEFAULT_COMMIT_EVERY: u64 = 100_000;

/// SQLite's `application_id` of a Nurture state database: "Nurt".
pub const APPLICATION_ID: i32 = 0x4e75_7274;

/// The layout of the tables, kept as SQLite's `user_version`; bumped when it changes.
pub const SCHEMA_VERSION: i32 = 3;

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL, sum INTEGER NOT NULL);
CREATE TABLE texts (sym INTEGER PRIMARY KEY, text TEXT NOT NULL, sum INTEGER NOT NULL);
CREATE TABLE leads (idx INTEGER PRIMARY KEY, id TEXT NOT NULL,
    slab BLOB NOT NULL, tags BLOB, timers BLOB, sum INTEGER NOT NULL);
";

/// How many damaged rows an error names before it only counts them.
const NAMED_DAMAGE: usize = 5;

/// Why the state database could not be used.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreError {
    /// SQLite could not open or read or write the file.
    Sqlite { path: PathBuf, error: String },
    /// The path does not exist, where a state was expected.
    Missing { path: PathBuf },
    /// The file exists and is not a Nurture state database: nothing was written to it.
    Foreign { path: PathBuf, what: String },
    /// A Nurture database with another table layout.
    Layout { path: PathBuf, found: i32 },
    /// An empty file where a state was expected.
    Empty { path: PathBuf },
    /// The file or its folder cannot be written.
    ReadOnly { path: PathBuf },
    /// No run has committed to the database yet.
    NoState { path: PathBuf },
    /// Rows that fail their checksum, or contradict each other.
    Damaged {
        path: PathBuf,
        /// What is damaged, the first few named.
        rows: Vec<String>,
        /// How many in all.
        count: usize,
    },
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Sqlite { path, error } => {
                write!(f, "state database {}: {error}", path.display())
            }
            StoreError::Missing { path } => write!(
                f,
                "{} does not exist (it is made by `nurture run --state {}`)",
                path.display(),
                path.display()
            ),
            StoreError::Foreign { path, what } => write!(
                f,
                "{} is not a Nurture state database ({what}); it was left untouched: give \
                 --state a new file name",
                path.display()
            ),
            StoreError::Layout { path, found } => write!(
                f,
                "{} is a Nurture state database with table layout {found}, and this nurture \
                 reads layout {SCHEMA_VERSION}: finish with the nurture that wrote it, or \
                 start a new state",
                path.display()
            ),
            StoreError::Empty { path } => write!(
                f,
                "{} is an empty file where a state database was expected (was it truncated?); \
                 add --state-new to start a new state in it",
                path.display()
            ),
            StoreError::ReadOnly { path } => write!(
                f,
                "cannot write the state database {}: the file or its folder is read-only",
                path.display()
            ),
            StoreError::NoState { path } => write!(
                f,
                "{} holds no state: no run has committed to it yet",
                path.display()
            ),
            StoreError::Damaged { path, rows, count } => {
                write!(
                    f,
                    "the state database {} is damaged: {} ",
                    path.display(),
                    if *count == 1 {
                        "1 row fails its check:".to_string()
                    } else {
                        format!("{count} rows fail their checks:")
                    }
                )?;
                f.write_str(&rows.join(", "))?;
                if *count > rows.len() {
                    write!(f, " and {} more", count - rows.len())?;
                }
                f.write_str(
                    "; restore it from a backup, or start a new state with another --state file",
                )
            }
        }
    }
}

impl std::error::Error for StoreError {}

/// What a finished input was, so that the same input given again is known (docs/durability.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputMark {
    /// FNV-1a 64 of the first [`HEAD_BYTES`] bytes read (fewer when the input was shorter).
    pub head: u64,
    /// FNV-1a 64 of the last [`TAIL_BYTES`] bytes read (fewer when the input was shorter).
    pub tail: u64,
}

/// Bytes at the start of an input that its mark hashes.
pub const HEAD_BYTES: u64 = 64 * 1024;
/// Bytes before an input's position, or an output's committed length, that a mark hashes.
pub const TAIL_BYTES: u64 = 4096;

/// An output file as the state knows it: which file, and how much of it is committed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OutMark {
    /// The canonical path of the file.
    pub path: String,
    /// Its device and inode: the same file under another name is still known.
    pub dev: u64,
    pub ino: u64,
    /// Its length at the commit.
    pub len: u64,
    /// FNV-1a 64 of the last [`TAIL_BYTES`] bytes before `len`.
    pub tail: u64,
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
    /// What the bytes read so far were, to know the same input again.
    #[serde(default)]
    pub mark: InputMark,
    /// The action file at the commit; `None` for standard output or a device.
    pub out: Option<OutMark>,
    /// The rejects file at the commit.
    pub rejects: Option<OutMark>,
}

/// Everything in `meta.progress`: the machine's and the engine's counters as they keep them,
/// and where the input and outputs stood.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub machine: Counters,
    pub engine: engine::Counters,
    pub position: Position,
}

impl Progress {
    fn of(engine: &Engine, position: &Position) -> Progress {
        Progress {
            machine: engine.machine.counters(),
            engine: engine.counters(),
            position: position.clone(),
        }
    }
}

/// The checksum of a row: FNV-1a 64 over its columns, each preceded by its length.
fn row_sum(columns: &[&[u8]]) -> i64 {
    let mut h = Fnv1a::default();
    for c in columns {
        h.write(&(c.len() as u64).to_le_bytes());
        h.write(c);
    }
    h.finish() as i64
}

/// What an existing file at a state path is.
enum Found {
    /// An empty file.
    Empty,
    /// A Nurture database of this table layout.
    Ours,
}

/// An open state database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Texts already in the `texts` table.
    texts_saved: usize,
    /// Rows in the `leads` table.
    leads_saved: usize,
}

impl Store {
    /// Makes a new state database at `path`, which must not exist yet: Nurture's mark and
    /// its tables, in one transaction, without write-ahead logging (so that, once closed, the
    /// file alone is the database and can be renamed into place).
    pub fn create(path: &Path) -> Result<(), StoreError> {
        let sqlite = |e: rusqlite::Error| StoreError::Sqlite {
            path: path.to_path_buf(),
            error: e.to_string(),
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE;
        let mut conn = Connection::open_with_flags(path, flags).map_err(sqlite)?;
        Store::lay_out(&mut conn).map_err(sqlite)?;
        conn.close().map_err(|(_, e)| sqlite(e))
    }

    fn lay_out(conn: &mut Connection) -> rusqlite::Result<()> {
        let tx = conn.transaction()?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.execute_batch(SCHEMA)?;
        tx.commit()
    }

    /// Looks at an existing file without writing to it: refuses anything that is not a
    /// Nurture database of this layout (or an empty file).
    fn inspect(path: &Path) -> Result<Found, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        let foreign = |what: String| StoreError::Foreign {
            path: path.to_path_buf(),
            what,
        };
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| foreign(e.to_string()))?;
        let pages: i64 = conn
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .map_err(|e| foreign(format!("SQLite cannot read it: {e}")))?;
        if pages == 0 {
            return Ok(Found::Empty);
        }
        let app: i32 = conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| foreign(format!("SQLite cannot read it: {e}")))?;
        if app != APPLICATION_ID {
            return Err(foreign(if app == 0 {
                "an SQLite database of another application".to_string()
            } else {
                format!("an SQLite database with application id {app:#x}")
            }));
        }
        let version: i32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| foreign(format!("SQLite cannot read it: {e}")))?;
        if version != SCHEMA_VERSION {
            return Err(StoreError::Layout {
                path: path.to_path_buf(),
                found: version,
            });
        }
        Ok(Found::Ours)
    }

    /// Opens an existing state database to run on. An empty file is refused unless
    /// `start_empty`, which makes it a new state database.
    pub fn open(path: &Path, start_empty: bool) -> Result<Store, StoreError> {
        let found = Store::inspect(path)?;
        if matches!(found, Found::Empty) && !start_empty {
            return Err(StoreError::Empty {
                path: path.to_path_buf(),
            });
        }
        let sqlite = |e: rusqlite::Error| StoreError::Sqlite {
            path: path.to_path_buf(),
            error: e.to_string(),
        };
        let mut conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(sqlite)?;
        if conn
            .is_readonly(rusqlite::DatabaseName::Main)
            .map_err(sqlite)?
        {
            return Err(StoreError::ReadOnly {
                path: path.to_path_buf(),
            });
        }
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sqlite)?;
        if matches!(found, Found::Empty) {
            Store::lay_out(&mut conn).map_err(sqlite)?;
        }
        // A write now, before any input is read: a database (or folder, for the log) that
        // cannot be written is found here rather than at the first commit.
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen) => {
                    StoreError::ReadOnly {
                        path: path.to_path_buf(),
                    }
                }
                _ => sqlite(e),
            })?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(sqlite(rusqlite::Error::InvalidParameterName(format!(
                "cannot use write-ahead logging (journal mode {mode})"
            ))));
        }
        conn.execute_batch("BEGIN IMMEDIATE; COMMIT;")
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::ReadOnly) => StoreError::ReadOnly {
                    path: path.to_path_buf(),
                },
                _ => sqlite(e),
            })?;
        // In WAL mode NORMAL keeps every commit atomic across a crash of the process; a
        // power loss may lose the last commits, which the resume regenerates (see
        // docs/durability.md).
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(sqlite)?;
        // Lead rows are read and rewritten all the time: keep the pages in memory.
        conn.pragma_update(None, "cache_size", -262_144)
            .map_err(sqlite)?;
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(sqlite)?;
        // Checkpoint every 64 MiB of log rather than 4: a page rewritten by several commits
        // is copied back once.
        conn.pragma_update(None, "wal_autocheckpoint", 16_384)
            .map_err(sqlite)?;
        Store::counted(conn, path)
    }

    /// Opens a state database to read it (`nurture state`): never writes to it, and never
    /// waits for or blocks a run that is writing it.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if matches!(Store::inspect(path)?, Found::Empty) {
            return Err(StoreError::Empty {
                path: path.to_path_buf(),
            });
        }
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| {
                StoreError::Sqlite {
                    path: path.to_path_buf(),
                    error: e.to_string(),
                }
            })?;
        let store = Store::counted(conn, path)?;
        if store.program()?.is_none() {
            return Err(StoreError::NoState {
                path: path.to_path_buf(),
            });
        }
        Ok(store)
    }

    fn counted(conn: Connection, path: &Path) -> Result<Store, StoreError> {
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            texts_saved: 0,
            leads_saved: 0,
        };
        let count = |table: &str| -> Result<usize, StoreError> {
            Ok(store
                .conn
                .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| {
                    r.get::<_, i64>(0)
                })
                .map_err(|e| store.sqlite(e))? as usize)
        };
        let (texts, leads) = (count("texts")?, count("leads")?);
        store.texts_saved = texts;
        store.leads_saved = leads;
        Ok(store)
    }

    fn sqlite(&self, e: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            error: e.to_string(),
        }
    }

    fn damaged(&self, rows: Vec<String>) -> StoreError {
        let count = rows.len();
        StoreError::Damaged {
            path: self.path.clone(),
            rows: rows.into_iter().take(NAMED_DAMAGE).collect(),
            count,
        }
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let row: Option<(Vec<u8>, i64)> = self
            .conn
            .query_row("SELECT value, sum FROM meta WHERE key = ?1", [key], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(|e| self.sqlite(e))?;
        match row {
            Some((value, sum)) if sum != row_sum(&[key.as_bytes(), &value]) => {
                Err(self.damaged(vec![format!("the {key} record")]))
            }
            row => Ok(row.map(|(value, _)| value)),
        }
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
                .map_err(|e| self.damaged(vec![format!("the progress record ({e})")])),
        }
    }

    /// Puts a machine's state back: texts, leads, timers, counters. The machine must be fresh
    /// and run the program the state was written by. Returns the progress record. Every row
    /// is checked against its checksum; the damaged ones are named.
    pub fn load_machine(&self, m: &mut Machine) -> Result<Progress, StoreError> {
        let mut damage = Vec::new();
        let base = m.c.pools.texts.len();
        let mut q = self
            .conn
            .prepare("SELECT sym, text, sum FROM texts ORDER BY sym")
            .map_err(|e| self.sqlite(e))?;
        let mut rows = q.query([]).map_err(|e| self.sqlite(e))?;
        let mut n = 0usize;
        while let Some(r) = rows.next().map_err(|e| self.sqlite(e))? {
            let (sym, text, sum): (i64, String, i64) = (|| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))()
                .map_err(|e: rusqlite::Error| self.sqlite(e))?;
            if sum != row_sum(&[&sym.to_le_bytes(), text.as_bytes()]) {
                damage.push(format!("text {sym}"));
            } else if sym != n as i64 {
                damage.push(format!("text {n} (missing)"));
            } else if n < base {
                if m.c.pools.texts.get(n as u32) != text {
                    damage.push(format!("text {n} (not the program's)"));
                }
            } else if m.c.pools.texts.intern(&text) != n as u32 {
                damage.push(format!("text {n} (twice)"));
            }
            n += 1;
        }
        if !damage.is_empty() {
            return Err(self.damaged(damage));
        }
        let size = m.c.layout.size as usize;
        let mut q = self
            .conn
            .prepare("SELECT idx, id, slab, tags, timers, sum FROM leads ORDER BY idx")
            .map_err(|e| self.sqlite(e))?;
        let mut rows = q.query([]).map_err(|e| self.sqlite(e))?;
        let texts = m.c.pools.texts.len() as u32;
        let mut timers = Vec::new();
        let mut slab_words = Vec::with_capacity(size);
        let mut next = 0i64;
        while let Some(r) = rows.next().map_err(|e| self.sqlite(e))? {
            let row: LeadRow = (|| {
                Ok(LeadRow {
                    idx: r.get(0)?,
                    id: r.get(1)?,
                    slab: r.get(2)?,
                    tags: r.get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default(),
                    timers: r.get::<_, Option<Vec<u8>>>(4)?.unwrap_or_default(),
                    sum: r.get(5)?,
                })
            })()
            .map_err(|e: rusqlite::Error| self.sqlite(e))?;
            let name = format!(
                "lead {} (row {})",
                crate::lang::format::escaped(&row.id),
                row.idx
            );
            next += 1;
            if row.sum != row.expected_sum() {
                damage.push(name);
                continue;
            }
            if row.idx != next - 1 {
                damage.push(format!("lead row {} (missing)", next - 1));
                next = row.idx + 1;
                continue;
            }
            if row.slab.len() != size * 4 {
                damage.push(format!(
                    "{name} (has {} bytes of state where the program lays out {})",
                    row.slab.len(),
                    size * 4
                ));
                continue;
            }
            if !row.timers.len().is_multiple_of(TIMER_BYTES) {
                damage.push(format!("{name} (a timer is cut short)"));
                continue;
            }
            let tags: Vec<u32> = words(&row.tags).collect();
            if let Some(t) = tags.iter().find(|t| **t >= texts) {
                damage.push(format!("{name} (an unknown tag {t})"));
                continue;
            }
            if !damage.is_empty() {
                // Keep reading to name every damaged row; nothing more is restored.
                continue;
            }
            slab_words.clear();
            slab_words.extend(words(&row.slab));
            let lead = m.restore_lead(&row.id, &slab_words, tags);
            for t in row.timers.chunks_exact(TIMER_BYTES) {
                timers.push(timer_from(lead, t));
            }
        }
        if !damage.is_empty() {
            return Err(self.damaged(damage));
        }
        for t in timers {
            m.restore_timer(t).map_err(|why| self.damaged(vec![why]))?;
        }
        let progress = self.progress()?.unwrap_or_default();
        m.restore_counters(progress.machine.clone());
        if n != self.texts_saved {
            return Err(self.damaged(vec![format!("texts ({n} read of {})", self.texts_saved)]));
        }
        Ok(progress)
    }

    /// Puts an engine's state back; returns where the input and output stood.
    pub fn load(&self, engine: &mut Engine) -> Result<Position, StoreError> {
        let progress = self.load_machine(&mut engine.machine)?;
        engine.restore_counters(progress.engine.clone());
        Ok(progress.position)
    }

    /// Records a program that differs from the stored one only in where things stand in the
    /// source (comments, blank lines): the state carries on unchanged under it.
    pub fn replace_program(
        &mut self,
        program: &[u8],
        source: Option<&SourceText>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sqlite = |e: rusqlite::Error| StoreError::Sqlite {
            path: path.clone(),
            error: e.to_string(),
        };
        let tx = self.conn.transaction().map_err(sqlite)?;
        put_program(&tx, program, source).map_err(sqlite)?;
        tx.commit().map_err(sqlite)
    }

    /// Starts a state: records the program (and its source) that will write it, and the
    /// engine's state, in one transaction.
    pub fn init(
        &mut self,
        program: &[u8],
        source: Option<&SourceText>,
        engine: &mut Engine,
        position: &Position,
    ) -> Result<(), StoreError> {
        engine.machine.set_journal(true);
        self.texts_saved = 0;
        self.leads_saved = 0;
        self.write(engine, position, Some((program, source)))
    }

    /// Writes everything that changed since the last commit, in one transaction: new texts,
    /// the leads touched, the timers scheduled and fired, the counters and `position`.
    pub fn commit(&mut self, engine: &mut Engine, position: &Position) -> Result<(), StoreError> {
        self.write(engine, position, None)
    }

    /// One commit; with a program, the state is replaced whole by the engine's.
    fn write(
        &mut self,
        engine: &mut Engine,
        position: &Position,
        program: Option<(&[u8], Option<&SourceText>)>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let sqlite = |e: rusqlite::Error| StoreError::Sqlite {
            path: path.clone(),
            error: e.to_string(),
        };
        let changes = engine.machine.take_changes();
        let m = &engine.machine;
        let progress = serde_json::to_vec(&Progress::of(engine, position))
            .expect("the progress record serialises");
        let tx = self.conn.transaction().map_err(sqlite)?;
        (|| {
            if let Some((program, source)) = program {
                for t in ["meta", "texts", "leads"] {
                    tx.execute(&format!("DELETE FROM {t}"), [])?;
                }
                put_program(&tx, program, source)?;
            }
            let mut put =
                tx.prepare_cached("INSERT INTO texts (sym, text, sum) VALUES (?1, ?2, ?3)")?;
            for (i, t) in m.c.pools.texts.iter().enumerate().skip(self.texts_saved) {
                let sym = i as i64;
                put.execute(params![
                    sym,
                    t,
                    row_sum(&[&sym.to_le_bytes(), t.as_bytes()])
                ])?;
            }
            let mut insert = tx.prepare_cached(
                "INSERT INTO leads (idx, id, slab, tags, timers, sum) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE leads SET slab = ?2, tags = ?3, timers = ?4, sum = ?5 WHERE idx = ?1",
            )?;
            let mut row = Row::default();
            let mut timers = changes.timers.iter().peekable();
            for &l in &changes.leads {
                row.fill(m, l);
                while let Some(t) = timers.next_if(|t| t.lead == l) {
                    row.timer(t);
                }
                let id = &m.lead_ids[l as usize];
                let sum = row.sum(l as i64, id);
                if (l as usize) < self.leads_saved {
                    update.execute(params![
                        l as i64,
                        &row.slab[..],
                        row.tags(),
                        row.timers(),
                        sum
                    ])?;
                } else {
                    insert.execute(params![
                        l as i64,
                        id,
                        &row.slab[..],
                        row.tags(),
                        row.timers(),
                        sum
                    ])?;
                }
            }
            put_meta(&tx, "progress", &progress)
        })()
        .map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
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

/// A lead row as read back.
struct LeadRow {
    idx: i64,
    id: String,
    slab: Vec<u8>,
    tags: Vec<u8>,
    timers: Vec<u8>,
    sum: i64,
}

impl LeadRow {
    fn expected_sum(&self) -> i64 {
        lead_sum(self.idx, &self.id, &self.slab, &self.tags, &self.timers)
    }
}

fn lead_sum(idx: i64, id: &str, slab: &[u8], tags: &[u8], timers: &[u8]) -> i64 {
    row_sum(&[&idx.to_le_bytes(), id.as_bytes(), slab, tags, timers])
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

    fn sum(&self, idx: i64, id: &str) -> i64 {
        lead_sum(idx, id, &self.slab, &self.tags, &self.timers)
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

fn put_program(
    tx: &rusqlite::Transaction<'_>,
    program: &[u8],
    source: Option<&SourceText>,
) -> rusqlite::Result<()> {
    put_meta(tx, "program", program)?;
    if let Some(s) = source {
        put_meta(tx, "source_name", s.name.as_bytes())?;
        put_meta(tx, "source", s.text.as_bytes())?;
    }
    Ok(())
}

fn put_meta(tx: &rusqlite::Transaction<'_>, key: &str, value: &[u8]) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT OR REPLACE INTO meta (key, value, sum) VALUES (?1, ?2, ?3)")?
        .execute(params![key, value, row_sum(&[key.as_bytes(), value])])?;
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
        let Some(b) = new.attrs.iter().find(|b| b.name == a.name) else {
            continue;
        };
        match (enum_values(old, &a.ty), enum_values(new, &b.ty)) {
            // The same values under another enum number: no change.
            (Some(x), Some(y)) if a.ty.is_optional() == b.ty.is_optional() => {
                // Values are names, each once: a set, and an order that matters to no one
                // but the slab (a migration carries values by name).
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
                    out.push(what);
                } else if x != y {
                    out.push(format!(
                        "attribute {}: its enum has its values in another order",
                        a.name
                    ));
                }
            }
            _ if a.ty != b.ty => out.push(format!("attribute {} changed type", a.name)),
            _ => {}
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
                // In sequence, not as sets: `wait 2d` changed to a `wait 3d` that the
                // workflow already had elsewhere is a step removed and a step added.
                let (gone, added) = sequence_changes(&a, &b);
                let mut what = format!("workflow {} changed its steps", w.name);
                push_changes(&mut what, &gone, &added);
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

/// The values of the enum an attribute of this type holds (through `?`).
fn enum_values<'c>(c: &'c Compiled, ty: &crate::lang::types::Ty) -> Option<&'c [String]> {
    match ty.base() {
        crate::lang::types::Ty::Enum(e) => c.enums.get(*e as usize).map(|v| v.as_slice()),
        _ => None,
    }
}

/// `1 lead`, `2 leads`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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

/// Per value of an old enum, by index: the index of the value of the same name in the new
/// enum, if it still has one.
type ByName = Vec<Option<u32>>;

/// What a migration did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Migration {
    pub leads: u64,
    /// Open runs carried over.
    pub runs: u64,
    /// Runs that could not be placed: `lead: workflow: why`.
    pub lost: Vec<String>,
    /// Anything else that did not come along whole (held sends, history and caps that start
    /// empty, enum values that are gone).
    pub notes: Vec<String>,
}

/// Carries the state of `old` (a machine loaded from the database under the program that
/// wrote it) into `new`, a fresh machine on the changed program: attributes and tags by name
/// (an enum's values by variant name), scores' accumulated points by name, list memberships
/// by name, history by event, filter and kind, the caps of `on` rules by score and rule,
/// frequency-cap history by rule, and open workflow runs by workflow name and step label.
/// Timers are scheduled again from the carried state.
pub fn migrate(old: &Machine, new: &mut Machine) -> Migration {
    use crate::compile::disasm::portable_listing;
    use crate::compile::program::ScoreKind;
    use crate::lang::format;
    let mut report = Migration::default();
    let (oc, counters) = (&old.c, old.counters());
    // (old attribute, new attribute, for an enum: the new index of each old value by name).
    let mut attrs: Vec<(u16, u16, Option<ByName>)> = Vec::new();
    for (j, a) in new.c.attrs.iter().enumerate() {
        if j as u16 == new.c.tags_attr {
            continue;
        }
        let Some(i) = oc.attrs.iter().position(|b| b.name == a.name) else {
            continue;
        };
        let was = &oc.attrs[i].ty;
        let values = (enum_values(oc, was), enum_values(&new.c, &a.ty));
        match values {
            _ if i as u16 == oc.tags_attr => {}
            (Some(x), Some(y)) if was.is_optional() == a.ty.is_optional() => {
                let by_name = x
                    .iter()
                    .map(|v| y.iter().position(|w| w == v).map(|k| k as u32))
                    .collect();
                attrs.push((i as u16, j as u16, Some(by_name)));
            }
            _ if *was == a.ty => attrs.push((i as u16, j as u16, None)),
            _ => report.notes.push(format!(
                "attribute {} changed type: every lead has its default",
                a.name
            )),
        }
    }
    // Per attribute above, per old enum value: the leads that held a value the enum lost.
    let mut dropped: Vec<Vec<u64>> = attrs
        .iter()
        .map(|(_, _, by_name)| vec![0; by_name.as_ref().map_or(0, |v| v.len())])
        .collect();
    // Accumulated points by score name: (from, to, and for a score that decays now, where
    // the time of the last update was kept, if it was, and where it goes). A score that
    // decays only from now on keeps no such time before: its decay starts at the migration.
    let mut scores = Vec::new();
    // The rings of `on` rules' caps (`at most N per D`), by score name and rule: the rule on
    // the same event through the same filter (the n-th such of the score, if several are).
    let mut rule_caps = Vec::new();
    let mut new_caps = 0u64;
    for s in &new.c.scores {
        let ScoreKind::Rules {
            slot, updated, on, ..
        } = &s.kind
        else {
            continue;
        };
        let before = oc.scores.iter().find(|o| o.name == s.name).map(|o| &o.kind);
        let Some(ScoreKind::Rules {
            slot: was_slot,
            updated: was,
            on: was_on,
            ..
        }) = before
        else {
            new_caps += on.iter().filter(|r| r.cap.is_some()).count() as u64;
            continue;
        };
        if let (Some(to), Some(from)) = (slot, was_slot) {
            if updated.is_some() && was.is_none() {
                report.notes.push(format!(
                    "score {} decays from the migration on: its points kept no time before",
                    s.name
                ));
            }
            scores.push((*from, *to, updated.map(|u| (*was, u))));
        }
        let rule = |c: &Compiled, r: &crate::compile::program::OnRule| {
            (
                c.events[r.event as usize].name.clone(),
                r.filter
                    .as_ref()
                    .map(|f| portable_listing(c, f, Some(r.event))),
            )
        };
        let was_rules: Vec<_> = was_on.iter().map(|r| rule(oc, r)).collect();
        let rules: Vec<_> = on.iter().map(|r| rule(&new.c, r)).collect();
        for (k, r) in on.iter().enumerate() {
            let Some((_, to)) = r.cap else { continue };
            let nth = rules[..k].iter().filter(|x| **x == rules[k]).count();
            let from = was_rules
                .iter()
                .enumerate()
                .filter(|(_, x)| **x == rules[k])
                .nth(nth)
                .and_then(|(o, _)| was_on[o].cap);
            match from {
                Some((_, from)) => rule_caps.push((Kept::Ring(from), Kept::Ring(to))),
                None => new_caps += 1,
            }
        }
    }
    if new_caps > 0 {
        report.notes.push(format!(
            "{} new and {} empty",
            count(new_caps, "on-rule cap is", "on-rule caps are"),
            if new_caps == 1 { "starts" } else { "start" }
        ));
    }
    let mut lists = Vec::new();
    for (j, l) in new.c.lists.iter().enumerate() {
        if let Some(i) = oc.lists.iter().position(|o| o.name == l.name) {
            lists.push((i as u16, j as u16));
        }
    }
    // History aggregates, by event name, filter and kind: filters are the same when their
    // listings are (`portable_listing`: names and values, no pool indices). A latest-match
    // stamp and a ring over the same events stand in for each other (one program may keep
    // the stamp as the ring's newest, the other its own).
    let filter = |c: &Compiled, a: &crate::compile::layout::Aggregate| {
        a.filter
            .as_ref()
            .map(|f| portable_listing(c, f, Some(a.event as u16)))
    };
    let old_filters: Vec<_> = oc.layout.aggregates.iter().map(|o| filter(oc, o)).collect();
    let mut history = Vec::new();
    let mut reset = 0u64;
    for a in &new.c.layout.aggregates {
        let name = &new.c.events[a.event as usize].name;
        let listing = filter(&new.c, a);
        let of_kind = |same: fn(&Kept, &Kept) -> bool| {
            oc.layout
                .aggregates
                .iter()
                .zip(&old_filters)
                .find(|(o, f)| {
                    oc.events[o.event as usize].name == *name
                        && **f == listing
                        && same(&o.kept, &a.kept)
                })
                .map(|(o, _)| o)
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
            "{} new (or {} filter changed) and {} empty",
            count(reset, "history aggregate is", "history aggregates are"),
            if reset == 1 { "its" } else { "their" },
            if reset == 1 { "starts" } else { "start" }
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
    let held = old.timer_rows().iter().filter(|t| t.kind == 2).count() as u64;
    if held > 0 {
        report.notes.push(format!(
            "{} by quiet hours for triggers {} dropped",
            count(held, "send held", "sends held"),
            if held == 1 { "was" } else { "were" }
        ));
    }

    for (l, id) in old.lead_ids.iter().enumerate() {
        let from = &old.leads[l];
        let mut slab = Lead::blank(&new.c);
        let lead = Lead::of_mut(&mut slab);
        for (k, (i, j, by_name)) in attrs.iter().enumerate() {
            let v = match (from.attr(oc, *i), by_name) {
                (Val::Sym(s), _) => Val::Sym(new.c.pools.texts.intern(oc.pools.texts.get(s))),
                (Val::Enum(e), Some(by_name)) => match by_name.get(e as usize) {
                    Some(Some(to)) => Val::Enum(*to),
                    // Gone from the enum: the lead keeps the new default (`Lead::blank`).
                    _ => {
                        if let Some(n) = dropped[k].get_mut(e as usize) {
                            *n += 1;
                        }
                        continue;
                    }
                },
                (v, _) => v,
            };
            lead.set_attr(&new.c, *j, v);
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
        for &(kept, to) in history.iter().chain(&rule_caps).chain(&caps) {
            carry_history(from, kept, lead, to);
        }
        for &(w, to) in &flows {
            let open = old.run_step(l as u32, w);
            match to {
                Some(to) => match old.carry_run(l as u32, w, &new.c, to, lead) {
                    Ok(true) => report.runs += 1,
                    Ok(false) => {}
                    Err(why) => report.lost.push(format!(
                        "{}: {}: {why}",
                        format::escaped(id),
                        oc.workflows[w as usize].name
                    )),
                },
                None => {
                    if let Some(step) = open {
                        report.lost.push(format!(
                            "{}: {}: at step {step}, and the workflow is gone",
                            format::escaped(id),
                            oc.workflows[w as usize].name
                        ));
                    }
                }
            }
        }
        new.restore_lead(id, &slab, tags);
        report.leads += 1;
    }
    for ((i, j, _), dropped) in attrs.iter().zip(&dropped) {
        for (e, n) in dropped.iter().enumerate().filter(|(_, n)| **n > 0) {
            let value = enum_values(oc, &oc.attrs[*i as usize].ty)
                .and_then(|v| v.get(e))
                .map_or("?", |v| v.as_str());
            report.notes.push(format!(
                "attribute {}: {value} is no longer a value of its enum: {} it and {} the \
                 default now",
                new.c.attrs[*j as usize].name,
                count(*n, "lead had", "leads had"),
                if *n == 1 { "has" } else { "have" }
            ));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    fn compiled(text: &str) -> Compiled {
        let (diags, program) = crate::check::check_text(text);
        let program = program.unwrap_or_else(|| panic!("{diags:?}"));
        crate::compile::compile(&program).expect("compiles")
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

    #[test]
    fn filters_compare_by_listing_across_programs() {
        let one = compiled(
            "lead { email: string? }\n\
             list a = did page.viewed where url starts_with \"/pricing\"\n",
        );
        // Another constant first: the filter's constant has another pool index.
        let two = compiled(
            "lead { email: string? }\n\
             list d = did page.viewed where url starts_with \"/docs\"\n\
             list a = did page.viewed where url starts_with \"/pricing\"\n",
        );
        let listing = |c: &Compiled, name: &str| {
            let a = c
                .layout
                .aggregates
                .iter()
                .find(|a| {
                    a.filter.as_ref().is_some_and(|f| {
                        crate::compile::disasm::portable_listing(c, f, Some(a.event as u16))
                            .join(" ")
                            .contains(name)
                    })
                })
                .expect("the aggregate");
            let f = a.filter.as_ref().expect("a filter");
            (
                crate::compile::disasm::portable_listing(c, f, Some(a.event as u16)),
                f.ops.clone(),
            )
        };
        let ((x, x_ops), (y, y_ops)) = (listing(&one, "/pricing"), listing(&two, "/pricing"));
        assert_ne!(x_ops, y_ops, "the bytecode differs in its constant's index");
        assert_eq!(x, y);
        assert_eq!(x, ["prop url", "const \"/pricing\"", "starts_with"]);
        assert_ne!(listing(&two, "/docs").0, y);
    }
}

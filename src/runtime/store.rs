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
//!          slab BLOB, tags BLOB, timers BLOB,        u32 words, its tags as u32 text symbols,
//!          tallies BLOB, sum)                        its pending timers (20 bytes each: due
//!                                                    i64, sequence u64, kind u16, arg u16),
//!                                                    what each `on` rule did for it
//!                                                    (`vm::tally`, 26 bytes a rule)
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
use crate::lang::hash::Fnv1a;
use crate::runtime::engine::{self, Engine};
use crate::vm::machine::{Counters, Machine, TimerRow};
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

/// The layout of the tables, kept as SQLite's `user_version`; bumped when it changes, or
/// what its columns mean does. 4: times in milliseconds (the clock, timers' due times), and
/// each lead row keeps its rules' tallies.
pub const SCHEMA_VERSION: i32 = 4;

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL, sum INTEGER NOT NULL);
CREATE TABLE texts (sym INTEGER PRIMARY KEY, text TEXT NOT NULL, sum INTEGER NOT NULL);
CREATE TABLE leads (idx INTEGER PRIMARY KEY, id TEXT NOT NULL,
    slab BLOB NOT NULL, tags BLOB, timers BLOB, tallies BLOB, sum INTEGER NOT NULL);
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

    /// Puts a machine's state back: texts, leads with their rules' tallies, timers, counters.
    /// The machine must be fresh and run the program the state was written by. Returns the
    /// progress record. Every row is checked against its checksum; the damaged ones are named.
    pub fn load_machine(&self, m: &mut Machine) -> Result<Progress, StoreError> {
        // A state keeps what each `on` rule did, from its first lead on.
        m.keep_tallies();
        let n = self.load_texts(m)?;
        let timers = self.load_leads(m)?;
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

    /// Reads the texts back into the machine's pool: the program's own must be the same, the
    /// rest are interned after them in order. Returns how many were read.
    fn load_texts(&self, m: &mut Machine) -> Result<usize, StoreError> {
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
        Ok(n)
    }

    /// Reads the lead rows back into the machine, in index order, with their rules' tallies.
    /// Returns their timers, put back once every lead is in. Once a row is damaged the rest
    /// are still read, to name every damaged one, but no more is restored.
    fn load_leads(&self, m: &mut Machine) -> Result<Vec<TimerRow>, StoreError> {
        let mut damage = Vec::new();
        let size = m.c.layout.size as usize;
        let mut q = self
            .conn
            .prepare("SELECT idx, id, slab, tags, timers, tallies, sum FROM leads ORDER BY idx")
            .map_err(|e| self.sqlite(e))?;
        let mut rows = q.query([]).map_err(|e| self.sqlite(e))?;
        let texts = m.c.pools.texts.len() as u32;
        let mut timers = Vec::new();
        let mut slab_words = Vec::with_capacity(size);
        let mut next = 0i64;
        while let Some(r) = rows.next().map_err(|e| self.sqlite(e))? {
            let row = LeadRow::read(r).map_err(|e| self.sqlite(e))?;
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
            let tags = match row.checked_tags(&name, size, texts) {
                Ok(tags) => tags,
                Err(why) => {
                    damage.push(why);
                    continue;
                }
            };
            if !damage.is_empty() {
                // Keep reading to name every damaged row; nothing more is restored.
                continue;
            }
            slab_words.clear();
            slab_words.extend(words(&row.slab));
            let lead = m.restore_lead(&row.id, &slab_words, tags);
            if let Err(why) = m.tallies.restore(lead, &row.tallies) {
                damage.push(format!("{name} ({why})"));
                continue;
            }
            for t in row.timers.chunks_exact(TIMER_BYTES) {
                timers.push(timer_from(lead, t));
            }
        }
        if !damage.is_empty() {
            return Err(self.damaged(damage));
        }
        Ok(timers)
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
        engine.machine.keep_tallies();
        self.texts_saved = 0;
        self.leads_saved = 0;
        self.write(engine, position, Some((program, source)), &mut |_| Ok(()))
    }

    /// Writes everything that changed since the last commit, in one transaction: new texts,
    /// the leads touched, the timers scheduled and fired, the counters and `position`.
    pub fn commit(&mut self, engine: &mut Engine, position: &Position) -> Result<(), StoreError> {
        self.write(engine, position, None, &mut |_| Ok(()))
    }

    /// A commit that also writes `extra`'s rows in the same transaction (the live service's
    /// outbox and message ids).
    pub fn commit_with(
        &mut self,
        engine: &mut Engine,
        position: &Position,
        extra: &mut dyn FnMut(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>,
    ) -> Result<(), StoreError> {
        self.write(engine, position, None, extra)
    }

    /// Where the database is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The database, for the tables a front end keeps beside the state (`runtime::outbox`).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Says what went wrong with the database, as every other store error does.
    pub fn error(&self, e: rusqlite::Error) -> StoreError {
        self.sqlite(e)
    }

    /// One commit; with a program, the state is replaced whole by the engine's.
    fn write(
        &mut self,
        engine: &mut Engine,
        position: &Position,
        program: Option<(&[u8], Option<&SourceText>)>,
        extra: &mut dyn FnMut(&rusqlite::Transaction<'_>) -> rusqlite::Result<()>,
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
                "INSERT INTO leads (idx, id, slab, tags, timers, tallies, sum) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let mut update = tx.prepare_cached(
                "UPDATE leads SET slab = ?2, tags = ?3, timers = ?4, tallies = ?5, sum = ?6 \
                 WHERE idx = ?1",
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
                        row.tallies(),
                        sum
                    ])?;
                } else {
                    insert.execute(params![
                        l as i64,
                        id,
                        &row.slab[..],
                        row.tags(),
                        row.timers(),
                        row.tallies(),
                        sum
                    ])?;
                }
            }
            extra(&tx)?;
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
    tallies: Vec<u8>,
    sum: i64,
}

impl LeadRow {
    /// A row of `SELECT idx, id, slab, tags, timers, tallies, sum FROM leads`.
    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<LeadRow> {
        Ok(LeadRow {
            idx: r.get(0)?,
            id: r.get(1)?,
            slab: r.get(2)?,
            tags: r.get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default(),
            timers: r.get::<_, Option<Vec<u8>>>(4)?.unwrap_or_default(),
            tallies: r.get::<_, Option<Vec<u8>>>(5)?.unwrap_or_default(),
            sum: r.get(6)?,
        })
    }

    /// The row's tags, once its slab is the program's size (`size` words), its timers whole
    /// and its tags known texts (below `texts`); else what is wrong, the row `name`d.
    fn checked_tags(&self, name: &str, size: usize, texts: u32) -> Result<Vec<u32>, String> {
        if self.slab.len() != size * 4 {
            return Err(format!(
                "{name} (has {} bytes of state where the program lays out {})",
                self.slab.len(),
                size * 4
            ));
        }
        if !self.timers.len().is_multiple_of(TIMER_BYTES) {
            return Err(format!("{name} (a timer is cut short)"));
        }
        let tags: Vec<u32> = words(&self.tags).collect();
        if let Some(t) = tags.iter().find(|t| **t >= texts) {
            return Err(format!("{name} (an unknown tag {t})"));
        }
        Ok(tags)
    }

    fn expected_sum(&self) -> i64 {
        let blobs = [&self.slab[..], &self.tags, &self.timers, &self.tallies];
        lead_sum(self.idx, &self.id, blobs)
    }
}

/// A lead row's checksum: its index, id, and its blobs (slab, tags, timers, tallies).
fn lead_sum(idx: i64, id: &str, [slab, tags, timers, tallies]: [&[u8]; 4]) -> i64 {
    row_sum(&[
        &idx.to_le_bytes(),
        id.as_bytes(),
        slab,
        tags,
        timers,
        tallies,
    ])
}

/// One lead row's blobs, reused from lead to lead.
#[derive(Default)]
struct Row {
    slab: Vec<u8>,
    tags: Vec<u8>,
    timers: Vec<u8>,
    tallies: Vec<u8>,
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
        m.tallies.stored(l, &mut self.tallies);
    }

    fn timer(&mut self, t: &TimerRow) {
        self.timers.extend_from_slice(&t.due.to_le_bytes());
        self.timers.extend_from_slice(&t.seq.to_le_bytes());
        self.timers
            .extend_from_slice(&(t.kind as u16).to_le_bytes());
        self.timers.extend_from_slice(&t.arg.to_le_bytes());
    }

    fn sum(&self, idx: i64, id: &str) -> i64 {
        lead_sum(
            idx,
            id,
            [&self.slab, &self.tags, &self.timers, &self.tallies],
        )
    }

    fn tags(&self) -> Option<&[u8]> {
        (!self.tags.is_empty()).then_some(&self.tags[..])
    }

    fn timers(&self) -> Option<&[u8]> {
        (!self.timers.is_empty()).then_some(&self.timers[..])
    }

    fn tallies(&self) -> Option<&[u8]> {
        (!self.tallies.is_empty()).then_some(&self.tallies[..])
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

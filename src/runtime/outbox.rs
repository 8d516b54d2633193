//! The live service's tables in the state database: the transactional outbox (actions
//! waiting for delivery, and dead letters) and the message ids already accepted. Rows are
//! written in the same transaction as the lead state that produced them (`Store::commit_with`),
//! so a crash between a commit and a delivery loses nothing.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// Made on first use; a state database that never served has neither table.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL, created INTEGER NOT NULL, dead INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0, route TEXT, status INTEGER, error TEXT,
    revived INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS message_ids (id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS message_ids_at ON message_ids (at);
";

/// An action waiting in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its place in the outbox: deliveries of one lead go out in this order.
    pub seq: i64,
    /// The action's id: the `Idempotency-Key` of every delivery of it.
    pub id: String,
    /// The action record, as JSON.
    pub record: String,
    /// When it was committed (the service's clock).
    pub created: i64,
    /// Delivery attempts so far.
    pub attempts: u32,
}

/// A dead letter: an action that will not be retried until it is put back.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub entry: Entry,
    pub route: String,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    pub error: String,
}

/// What became of a delivery, to be written with the next commit.
#[derive(Debug, Clone, PartialEq)]
pub enum Settled {
    /// A 2xx answer: the row goes.
    Delivered { seq: i64 },
    /// No route takes this action: the row goes.
    Unrouted { seq: i64 },
    /// Tried and failed; it will be tried again.
    Retried { seq: i64, attempts: u32 },
    /// Given up on: kept as a dead letter.
    Dead {
        seq: i64,
        attempts: u32,
        route: String,
        status: Option<u16>,
        error: String,
    },
}

pub fn ensure(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)
}

/// Adds actions to the outbox; returns them with their places.
pub fn insert(
    tx: &Transaction<'_>,
    actions: &[(String, String)],
    created: i64,
) -> rusqlite::Result<Vec<Entry>> {
    let mut put = tx.prepare_cached(
        "INSERT INTO outbox (id, record, created) VALUES (?1, ?2, ?3) \
         ON CONFLICT (id) DO NOTHING",
    )?;
    let mut entries = Vec::with_capacity(actions.len());
    for (id, record) in actions {
        // An id already in the outbox is the same action again: it is not queued twice.
        if put.execute(params![id, record, created])? == 1 {
            entries.push(Entry {
                seq: tx.last_insert_rowid(),
                id: id.clone(),
                record: record.clone(),
                created,
                attempts: 0,
            });
        }
    }
    Ok(entries)
}

/// Records what became of deliveries.
pub fn settle(tx: &Transaction<'_>, settled: &[Settled]) -> rusqlite::Result<()> {
    let mut delete = tx.prepare_cached("DELETE FROM outbox WHERE seq = ?1")?;
    let mut retried = tx.prepare_cached("UPDATE outbox SET attempts = ?2 WHERE seq = ?1")?;
    let mut dead = tx.prepare_cached(
        "UPDATE outbox SET dead = 1, attempts = ?2, route = ?3, status = ?4, error = ?5 \
         WHERE seq = ?1",
    )?;
    for s in settled {
        match s {
            Settled::Delivered { seq } | Settled::Unrouted { seq } => {
                delete.execute([seq])?;
            }
            Settled::Retried { seq, attempts } => {
                retried.execute(params![seq, attempts])?;
            }
            Settled::Dead {
                seq,
                attempts,
                route,
                status,
                error,
            } => {
                dead.execute(params![seq, attempts, route, status, error])?;
            }
        }
    }
    Ok(())
}

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        seq: r.get(0)?,
        id: r.get(1)?,
        record: r.get(2)?,
        created: r.get(3)?,
        attempts: r.get(4)?,
    })
}

/// Everything still to deliver, in outbox order.
pub fn pending(conn: &Connection) -> rusqlite::Result<Vec<Entry>> {
    let mut q = conn.prepare(
        "SELECT seq, id, record, created, attempts FROM outbox WHERE dead = 0 ORDER BY seq",
    )?;
    let rows = q.query_map([], entry)?;
    rows.collect()
}

/// The dead letters, in outbox order.
pub fn dead_letters(conn: &Connection) -> rusqlite::Result<Vec<DeadLetter>> {
    let mut q = conn.prepare(
        "SELECT seq, id, record, created, attempts, route, status, error FROM outbox \
         WHERE dead = 1 ORDER BY seq",
    )?;
    let rows = q.query_map([], |r| {
        Ok(DeadLetter {
            entry: entry(r)?,
            route: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            status: r.get(6)?,
            error: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
        })
    })?;
    rows.collect()
}

/// Puts dead letters (of one route, or all) back in the queue, with their attempts reset;
/// says how many. They are marked revived, so that a running service takes them up
/// (`take_revived`).
pub fn redeliver(conn: &Connection, route: Option<&str>) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE outbox SET dead = 0, attempts = 0, status = NULL, error = NULL, revived = 1 \
         WHERE dead = 1 AND (?1 IS NULL OR route = ?1)",
        [route],
    )
}

/// The dead letters put back in the queue since the last call, in outbox order, now no
/// longer marked: a running service delivers them as it does new actions.
pub fn take_revived(conn: &Connection) -> rusqlite::Result<Vec<Entry>> {
    let tx = conn.unchecked_transaction()?;
    let taken = {
        let mut q = tx.prepare(
            "SELECT seq, id, record, created, attempts FROM outbox \
             WHERE revived = 1 AND dead = 0 ORDER BY seq",
        )?;
        let rows = q.query_map([], entry)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    tx.execute("UPDATE outbox SET revived = 0 WHERE revived = 1", [])?;
    tx.commit()?;
    Ok(taken)
}

/// Whether the database has an outbox: only one that `nurture serve` ran on does.
pub fn exists(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'",
        [],
        |_| Ok(()),
    )
    .optional()
    .map(|r| r.is_some())
}

/// Whether a message id was accepted (and not yet forgotten).
pub fn seen(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    conn.query_row("SELECT 1 FROM message_ids WHERE id = ?1", [id], |_| Ok(()))
        .optional()
        .map(|r| r.is_some())
}

/// Message ids accepted since `since`, oldest first: what a restarted service remembers.
pub fn recent_ids(conn: &Connection, since: i64) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut q = conn.prepare("SELECT id, at FROM message_ids WHERE at >= ?1 ORDER BY at")?;
    let rows = q.query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Records accepted message ids, and forgets those accepted before `forget_before`.
pub fn remember(
    tx: &Transaction<'_>,
    ids: &[(String, i64)],
    forget_before: i64,
) -> rusqlite::Result<()> {
    let mut put =
        tx.prepare_cached("INSERT OR REPLACE INTO message_ids (id, at) VALUES (?1, ?2)")?;
    for (id, at) in ids {
        put.execute(params![id, at])?;
    }
    tx.prepare_cached("DELETE FROM message_ids WHERE at < ?1")?
        .execute([forget_before])?;
    Ok(())
}

/// How many actions wait, and how many are dead letters.
pub fn depth(conn: &Connection) -> rusqlite::Result<(u64, u64)> {
    conn.query_row(
        "SELECT COALESCE(SUM(dead = 0), 0), COALESCE(SUM(dead = 1), 0) FROM outbox",
        [],
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
    )
}

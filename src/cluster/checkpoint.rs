//! Checkpoints: a partition's state is a `--state` database (the same slabs, timers, texts
//! and counters), whose position records the stream sequence of the last event applied. A
//! worker keeps it on its disk while it owns the partition, commits it, and puts a copy of
//! the whole file in the object store; the next owner starts from that copy.

use super::error::ClusterError;
use super::nats::Cluster;
use super::partition as part;
use nurture::runtime::store::{Position, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tokio::io::AsyncReadExt;

/// What `cluster status` shows of a partition's last checkpoint (kept in the meta bucket).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Info {
    /// The stream sequence of the last event covered.
    pub seq: u64,
    /// The partition's clock, milliseconds.
    pub clock: i64,
    pub leads: u64,
    pub bytes: u64,
    /// When it was written (the worker's wall clock, milliseconds).
    pub written: i64,
    pub worker: String,
}

/// The input name a checkpoint's position records.
pub fn input_name(p: u32) -> String {
    format!("nats:{}", part::event_subject(p))
}

/// Where the partition stands in a checkpoint: the stream sequence of the last event applied.
pub fn applied(position: &Position) -> u64 {
    position.offset
}

pub fn position_at(p: u32, seq: u64, events: u64) -> Position {
    Position {
        input: input_name(p),
        line: events,
        offset: seq,
        done: true,
        ..Position::default()
    }
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> ClusterError {
    move |error| ClusterError::Io { what, error }
}

/// Removes a database file and its write-ahead log.
pub fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// Puts partition `p`'s last checkpoint at `path` (nothing there yet), or an empty state
/// database when it has none. Whether there was one.
pub async fn download(cluster: &Cluster, p: u32, path: &Path) -> Result<bool, ClusterError> {
    remove_db(path);
    let name = part::checkpoint_object(p);
    let found = match cluster.objects.get(&name).await {
        Ok(mut object) => {
            let mut bytes = Vec::new();
            object
                .read_to_end(&mut bytes)
                .await
                .map_err(|e| ClusterError::nats(format!("read the checkpoint {name}"), e))?;
            std::fs::write(path, &bytes).map_err(io(format!("write {}", path.display())))?;
            true
        }
        Err(e) if e.kind() == async_nats::jetstream::object_store::GetErrorKind::NotFound => {
            Store::create(path).map_err(|error| ClusterError::Store {
                partition: p,
                error,
            })?;
            false
        }
        Err(e) => return Err(ClusterError::nats(format!("read the checkpoint {name}"), e)),
    };
    Ok(found)
}

/// Opens partition `p`'s checkpoint, put at `path` by `download`. One written by a nurture
/// with another table layout is refused for the partition, not for the worker's own copy.
pub fn open(path: &Path, p: u32) -> Result<Store, ClusterError> {
    Store::open(path, false).map_err(|error| match error {
        StoreError::Layout { found, .. } => ClusterError::CheckpointLayout {
            partition: p,
            found,
        },
        error => ClusterError::Store {
            partition: p,
            error,
        },
    })
}

/// A consistent copy of a committed state database, as one file's bytes.
pub fn snapshot(store: &Store, p: u32) -> Result<Vec<u8>, ClusterError> {
    let copy = snapshot_file(store, p)?;
    let bytes = read(&copy)?;
    let _ = std::fs::remove_file(&copy);
    Ok(bytes)
}

/// A consistent copy of a committed state database, as a file beside it (`.snapshot`).
pub fn snapshot_file(store: &Store, p: u32) -> Result<PathBuf, ClusterError> {
    let copy = store.path().with_extension("snapshot");
    let _ = std::fs::remove_file(&copy);
    store
        .connection()
        .execute("VACUUM INTO ?1", [copy.to_string_lossy()])
        .map_err(|e| ClusterError::Store {
            partition: p,
            error: store.error(e),
        })?;
    Ok(copy)
}

/// A snapshot's bytes.
pub fn read(copy: &Path) -> Result<Vec<u8>, ClusterError> {
    std::fs::read(copy).map_err(io(format!("read {}", copy.display())))
}

/// A snapshot's size in bytes.
pub fn size(copy: &Path) -> Result<u64, ClusterError> {
    let metadata = std::fs::metadata(copy).map_err(io(format!("read {}", copy.display())))?;
    Ok(metadata.len())
}

/// Puts a checkpoint in the object store, then its summary in the meta bucket.
pub async fn upload(
    cluster: &Cluster,
    p: u32,
    bytes: &[u8],
    info: &Info,
) -> Result<(), ClusterError> {
    let name = part::checkpoint_object(p);
    let mut reader = bytes;
    cluster
        .objects
        .put(name.as_str(), &mut reader)
        .await
        .map_err(|e| ClusterError::nats(format!("write the checkpoint {name}"), e))?;
    let summary = serde_json::to_vec(info).expect("a checkpoint summary serialises");
    cluster
        .meta
        .put(part::checkpoint_key(p), summary.into())
        .await
        .map_err(|e| ClusterError::nats("record the checkpoint", e))?;
    Ok(())
}

/// Partition `p`'s last checkpoint summary, if any.
pub async fn info(cluster: &Cluster, p: u32) -> Result<Option<Info>, ClusterError> {
    let value = cluster
        .meta
        .get(part::checkpoint_key(p))
        .await
        .map_err(|e| ClusterError::nats("read a checkpoint summary", e))?;
    Ok(value.and_then(|v| serde_json::from_slice(&v).ok()))
}

/// The wall clock in milliseconds, for summaries and leases.
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

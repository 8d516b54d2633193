//! `cluster migrate CAMPAIGN`: `run --migrate`'s rules applied to every partition's
//! checkpoint, then the new program recorded. Workers must be stopped: a running one would
//! go on writing checkpoints under the old layout. So must every partition's actions be
//! covered by its checkpoint: the new campaign, replaying events whose actions the old one
//! published, would skip its own actions by the old one's count. Every checkpoint is
//! migrated before any is written back, so a refusal leaves the cluster as it was.

use super::batch;
use super::checkpoint::{self, Info};
use super::error::ClusterError;
use super::lease;
use super::nats::Cluster;
use super::program;
use nurture::compile::{compare, Compiled};
use nurture::runtime::durable::{self, MigrationReport};
use nurture::runtime::engine::Options;
use std::path::{Path, PathBuf};

/// What happened to each partition.
pub enum Outcome {
    /// The recorded program already behaves as the campaign: nothing to do.
    Same,
    /// Each migrated partition and its report.
    Migrated(Vec<(u32, MigrationReport)>),
}

pub async fn migrate(cluster: &Cluster, compiled: Compiled) -> Result<Outcome, ClusterError> {
    let holders = lease::holders(cluster).await?;
    let mut owners: Vec<String> = holders.owners.into_iter().flatten().collect();
    owners.extend(holders.workers);
    if !owners.is_empty() {
        owners.sort();
        owners.dedup();
        return Err(ClusterError::Busy { owners });
    }
    let mut ahead = Vec::new();
    for p in 0..cluster.partitions {
        let (_, through) = batch::last_batch(cluster, p).await?;
        let covered = checkpoint::info(cluster, p).await?.map_or(0, |i| i.seq);
        if through.seq > covered {
            ahead.push(p);
        }
    }
    if !ahead.is_empty() {
        return Err(ClusterError::AheadOfCheckpoint { partitions: ahead });
    }
    let program = compiled.to_bytes();
    let old = match program::recorded(cluster).await? {
        None => {
            program::record(cluster, &program).await?;
            return Ok(Outcome::Same);
        }
        Some(old) => program::load(&old)?,
    };
    if compare::same_behaviour(&old, &compiled) {
        program::record(cluster, &program).await?;
        return Ok(Outcome::Same);
    }
    let dir = tempfile::tempdir().map_err(|error| ClusterError::Io {
        what: "make a temporary directory".into(),
        error,
    })?;
    // Every checkpoint is migrated before any is written back: one the new campaign cannot
    // take (another table layout, a refused change) leaves the cluster as it was.
    let mut migrated = Vec::new();
    for p in 0..cluster.partitions {
        let path = dir.path().join(format!("partition-{p}.db"));
        if checkpoint::download(cluster, p, &path).await? {
            migrated.push(migrate_one(cluster, p, &path, &program).await?);
        }
    }
    let mut reports = Vec::new();
    for m in migrated {
        let bytes = checkpoint::read(&m.snapshot)?;
        checkpoint::upload(cluster, m.partition, &bytes, &m.info).await?;
        reports.extend(m.report.map(|r| (m.partition, r)));
    }
    program::record(cluster, &program).await?;
    Ok(Outcome::Migrated(reports))
}

/// A partition's checkpoint migrated, not yet written back: kept as a file, not in memory,
/// since every partition's is kept until all are migrated.
struct Migrated {
    partition: u32,
    snapshot: PathBuf,
    info: Info,
    report: Option<MigrationReport>,
}

/// Partition `p`'s checkpoint at `path`, migrated to `program`.
async fn migrate_one(
    cluster: &Cluster,
    p: u32,
    path: &Path,
    program: &[u8],
) -> Result<Migrated, ClusterError> {
    let store = checkpoint::open(path, p)?;
    let fresh =
        Compiled::load(program).map_err(|e| ClusterError::Program(e.describe("the campaign")))?;
    let opened = durable::open_state(
        store,
        &format!("partition {p}'s checkpoint"),
        fresh,
        None,
        &Options::default(),
        true,
    )
    .map_err(|error| ClusterError::Run {
        partition: p,
        error,
    })?;
    let snapshot = checkpoint::snapshot_file(&opened.store, p)?;
    let bytes = checkpoint::size(&snapshot)?;
    let before = checkpoint::info(cluster, p).await?.unwrap_or_default();
    let info = Info {
        seq: checkpoint::applied(&opened.position),
        clock: opened.engine.machine.now,
        leads: opened.engine.machine.leads.len() as u64,
        bytes,
        written: checkpoint::wall_ms(),
        worker: format!("migrated from {}", before.worker),
    };
    Ok(Migrated {
        partition: p,
        snapshot,
        info,
        report: opened.migrated,
    })
}

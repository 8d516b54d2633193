//! The compiled program recorded with the partitions: checkpoints' slabs only mean something
//! under its layout, so workers refuse a campaign that behaves differently (as `run --state`
//! does), and `cluster migrate` records the new one.

use super::error::ClusterError;
use super::nats::Cluster;
use super::partition::{PROGRAM_KEY, PROGRAM_OBJECT};
use nurture::compile::{compare, Compiled};
use nurture::lang::hash::fnv1a;
use tokio::io::AsyncReadExt;

fn hash_of(program: &[u8]) -> String {
    format!("{:016x}", fnv1a(program))
}

/// The recorded program's bytes, if a worker has started.
pub async fn recorded(cluster: &Cluster) -> Result<Option<Vec<u8>>, ClusterError> {
    let hash = cluster
        .meta
        .get(PROGRAM_KEY)
        .await
        .map_err(|e| ClusterError::nats("read the recorded program", e))?;
    if hash.is_none() {
        return Ok(None);
    }
    let mut object = cluster
        .objects
        .get(PROGRAM_OBJECT)
        .await
        .map_err(|e| ClusterError::nats("read the recorded program", e))?;
    let mut bytes = Vec::new();
    object
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| ClusterError::nats("read the recorded program", e))?;
    Ok(Some(bytes))
}

/// Records `program` (the object first, then its hash, which says it is there).
pub async fn record(cluster: &Cluster, program: &[u8]) -> Result<(), ClusterError> {
    let mut reader = program;
    cluster
        .objects
        .put(PROGRAM_OBJECT, &mut reader)
        .await
        .map_err(|e| ClusterError::nats("record the program", e))?;
    cluster
        .meta
        .put(PROGRAM_KEY, hash_of(program).into_bytes().into())
        .await
        .map_err(|e| ClusterError::nats("record the program", e))?;
    Ok(())
}

/// Loads a recorded program.
pub fn load(bytes: &[u8]) -> Result<Compiled, ClusterError> {
    Compiled::load(bytes).map_err(|e| ClusterError::Program(e.describe("the recorded program")))
}

/// A worker's check: the first records its program; later ones must behave the same.
pub async fn check_or_record(cluster: &Cluster, compiled: &Compiled) -> Result<(), ClusterError> {
    let program = compiled.to_bytes();
    match recorded(cluster).await? {
        None => record(cluster, &program).await,
        Some(old) if old == program => Ok(()),
        Some(old) => {
            let old = load(&old)?;
            if compare::same_behaviour(&old, compiled) {
                Ok(())
            } else {
                Err(ClusterError::Changed {
                    differences: compare::differences(&old, compiled),
                })
            }
        }
    }
}

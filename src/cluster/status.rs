//! `cluster status`: each partition's owner, lag (events not yet covered by a checkpoint),
//! clock and last checkpoint; and the live workers.

use super::checkpoint::{self, Info};
use super::error::ClusterError;
use super::lease;
use super::nats::{self, Cluster};
use super::partition as part;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct PartitionStatus {
    pub partition: u32,
    pub owner: Option<String>,
    /// Events in the partition not yet covered by a checkpoint (what a new owner would
    /// replay); `None` when its stream could not be read.
    pub lag: Option<u64>,
    /// The stream sequence of its last event (0: none yet).
    pub last_event: u64,
    pub checkpoint: Option<Info>,
}

#[derive(Debug, Serialize)]
pub struct Status {
    pub workers: Vec<String>,
    pub partitions: Vec<PartitionStatus>,
}

pub async fn status(cluster: &Cluster) -> Result<Status, ClusterError> {
    let holders = lease::holders(cluster).await?;
    let mut partitions = Vec::new();
    for p in 0..cluster.partitions {
        let checkpoint = checkpoint::info(cluster, p).await?;
        // The partition's stream numbers its events 1, 2, 3…: the lag is the count after the
        // checkpoint's. It is left unknown ("-") when the stream cannot be read (a server too
        // busy to answer in time): the rest of the status stands.
        let last_event = match nats::get_stream(&cluster.js, &part::events_stream(p)).await {
            Ok(stream) => Some(stream.cached_info().state.last_sequence),
            Err(ClusterError::NotInitialised) => return Err(ClusterError::NotInitialised),
            Err(e) => {
                tracing::warn!(partition = p, "the lag is unknown: {e}");
                None
            }
        };
        let covered = checkpoint.as_ref().map_or(0, |c| c.seq);
        partitions.push(PartitionStatus {
            partition: p,
            owner: holders.owners[p as usize].clone(),
            lag: last_event.map(|last| last.saturating_sub(covered)),
            last_event: last_event.unwrap_or(0),
            checkpoint,
        });
    }
    Ok(Status {
        workers: holders.workers,
        partitions,
    })
}

/// The status as a table for a person.
pub fn render(status: &Status) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} worker(s): {}",
        status.workers.len(),
        status.workers.join(", ")
    );
    let _ = writeln!(
        out,
        "{:>9}  {:<24} {:>9} {:>10}  {:<24} {:>10}",
        "partition", "owner", "lag", "checkpoint", "clock", "leads"
    );
    for s in &status.partitions {
        let (seq, clock, leads) = match &s.checkpoint {
            Some(c) => (
                c.seq.to_string(),
                nurture::lang::format::instant(c.clock),
                c.leads.to_string(),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        let _ = writeln!(
            out,
            "{:>9}  {:<24} {:>9} {:>10}  {:<24} {:>10}",
            s.partition,
            s.owner.as_deref().unwrap_or("(none)"),
            s.lag.map_or("-".to_string(), |l| l.to_string()),
            seq,
            clock,
            leads
        );
    }
    out
}

//! `cluster status`: each partition's owner, lag (events not yet covered by a checkpoint),
//! clock and last checkpoint; and the live workers.

use super::checkpoint::{self, Info};
use super::error::ClusterError;
use super::lease;
use super::nats::{self, Cluster};
use super::partition::{self as part, EVENTS};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct PartitionStatus {
    pub partition: u32,
    pub owner: Option<String>,
    /// Events in the partition not yet covered by a checkpoint; `None` before a worker has
    /// first owned the partition, and while a new owner makes its consumer.
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
    let events = nats::get_stream(&cluster.js, EVENTS).await?;
    // The newest consumer of a partition is its owner's; earlier owners' go when it is made.
    // The lags are left unknown ("-") when the list cannot be had (a server too busy to
    // answer in time, consumers removed while it is made): the rest of the status stands.
    let consumers = match nats::consumers(&events, cluster.partitions).await {
        Ok(consumers) => consumers,
        Err(e) => {
            tracing::warn!("the lags are unknown: {e}");
            vec![Vec::new(); cluster.partitions as usize]
        }
    };
    let mut partitions = Vec::new();
    for p in 0..cluster.partitions {
        let subject = part::event_subject(p);
        let last_event = match events.get_last_raw_message_by_subject(&subject).await {
            Ok(m) => m.sequence,
            Err(_) => 0,
        };
        let lag = consumers[p as usize]
            .last()
            .map(|info| info.num_pending + info.num_ack_pending as u64);
        partitions.push(PartitionStatus {
            partition: p,
            owner: holders.owners[p as usize].clone(),
            lag,
            last_event,
            checkpoint: checkpoint::info(cluster, p).await?,
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

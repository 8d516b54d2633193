//! `cluster publish` and `cluster tick`: Segment lines and tick records into the events
//! stream, one subject a partition, each with a `Nats-Msg-Id` so that a publish retried (by
//! this command after a failure, or by running it again) is stored once.

use super::error::ClusterError;
use super::nats::Cluster;
use super::partition::{self as part, TICK_HEADER};
use async_nats::jetstream::context::PublishAckFuture;
use async_nats::HeaderMap;
use bytes::Bytes;
use std::collections::VecDeque;
use std::io::BufRead;
use std::time::Duration;

/// Publishes awaited at most this far behind.
const IN_FLIGHT: usize = 4096;
/// A publish that fails is tried again this many times, a second apart (NATS restarting).
const RETRIES: u32 = 60;

/// What was published.
#[derive(Debug, Default)]
pub struct Published {
    pub stored: u64,
    /// Already in the stream (same message id within the duplicate window).
    pub duplicates: u64,
}

struct Pending {
    subject: String,
    msg_id: String,
    tick: Option<i64>,
    payload: Bytes,
    ack: PublishAckFuture,
}

struct Publisher<'a> {
    cluster: &'a Cluster,
    window: VecDeque<Pending>,
    done: Published,
}

impl Publisher<'_> {
    async fn send(
        &self,
        subject: &str,
        msg_id: &str,
        tick: Option<i64>,
        payload: &Bytes,
    ) -> Result<PublishAckFuture, async_nats::jetstream::context::PublishError> {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", msg_id);
        if let Some(t) = tick {
            headers.insert(TICK_HEADER, t.to_string().as_str());
        }
        self.cluster
            .js
            .publish_with_headers(subject.to_string(), headers, payload.clone())
            .await
    }

    /// Sends a message, trying again a second apart while NATS is away.
    async fn send_retrying(
        &self,
        subject: &str,
        msg_id: &str,
        tick: Option<i64>,
        payload: &Bytes,
    ) -> Result<PublishAckFuture, ClusterError> {
        let mut tries = 0;
        loop {
            match self.send(subject, msg_id, tick, payload).await {
                Ok(ack) => return Ok(ack),
                Err(e) if tries < RETRIES => {
                    tries += 1;
                    tracing::warn!("publish failed, trying again: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => return Err(ClusterError::nats("publish", e)),
            }
        }
    }

    async fn publish(
        &mut self,
        subject: String,
        msg_id: String,
        tick: Option<i64>,
        payload: Bytes,
    ) -> Result<(), ClusterError> {
        let ack = self
            .send_retrying(&subject, &msg_id, tick, &payload)
            .await?;
        self.window.push_back(Pending {
            subject,
            msg_id,
            tick,
            payload,
            ack,
        });
        if self.window.len() > IN_FLIGHT {
            self.settle_one().await?;
        }
        Ok(())
    }

    /// Awaits the oldest publish; one that was not acknowledged is sent again (with the
    /// same id, so it is stored once).
    async fn settle_one(&mut self) -> Result<(), ClusterError> {
        let Some(mut pending) = self.window.pop_front() else {
            return Ok(());
        };
        let mut tries = 0;
        loop {
            match pending.ack.await {
                Ok(ack) => {
                    if ack.duplicate {
                        self.done.duplicates += 1;
                    } else {
                        self.done.stored += 1;
                    }
                    return Ok(());
                }
                Err(e) if tries < RETRIES => {
                    tries += 1;
                    tracing::warn!("publish not acknowledged, trying again: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    pending.ack = self
                        .send_retrying(
                            &pending.subject,
                            &pending.msg_id,
                            pending.tick,
                            &pending.payload,
                        )
                        .await?;
                }
                Err(e) => return Err(ClusterError::nats("publish", e)),
            }
        }
    }

    async fn finish(mut self) -> Result<Published, ClusterError> {
        while !self.window.is_empty() {
            self.settle_one().await?;
        }
        Ok(self.done)
    }
}

/// Publishes every line of `input` (blank lines are left out) to its lead's partition.
pub async fn events(cluster: &Cluster, input: &mut dyn BufRead) -> Result<Published, ClusterError> {
    let mut publisher = Publisher {
        cluster,
        window: VecDeque::new(),
        done: Published::default(),
    };
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        let n = input
            .read_until(b'\n', &mut line)
            .map_err(|error| ClusterError::Io {
                what: "read the events".into(),
                error,
            })?;
        if n == 0 {
            break;
        }
        number += 1;
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let route = part::route(&line, number, cluster.partitions);
        publisher
            .publish(
                part::event_subject(route.partition),
                route.msg_id,
                None,
                Bytes::copy_from_slice(&line),
            )
            .await?;
    }
    publisher.finish().await
}

/// Publishes a tick record to every partition: each moves its clock to `until` when it
/// reaches the record, firing what is due, as `run --until` does at the end of its input.
pub async fn tick(cluster: &Cluster, until: i64) -> Result<Published, ClusterError> {
    let mut publisher = Publisher {
        cluster,
        window: VecDeque::new(),
        done: Published::default(),
    };
    for p in 0..cluster.partitions {
        publisher
            .publish(
                part::event_subject(p),
                format!("tick-{p}-{until}"),
                Some(until),
                Bytes::new(),
            )
            .await?;
    }
    publisher.finish().await
}

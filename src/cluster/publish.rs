//! `cluster publish` and `cluster tick`: Segment lines and tick records into the events
//! stream, one subject a partition, each with a `Nats-Msg-Id` so that a publish retried (by
//! this command after a failure, or by running it again) is stored once. With `--pack N`,
//! up to N lines of one partition share a message, whose id comes from theirs.

use super::error::ClusterError;
use super::nats::Cluster;
use super::partition::{self as part, PACK_HEADER, TICK_HEADER};
use async_nats::jetstream::context::PublishAckFuture;
use async_nats::HeaderMap;
use bytes::Bytes;
use nurture::lang::hash::Fnv1a;
use std::collections::VecDeque;
use std::io::BufRead;
use std::time::Duration;

/// Publishes awaited at most this far behind.
const IN_FLIGHT: usize = 4096;
/// A publish that fails is tried again this many times, a second apart (NATS restarting).
const RETRIES: u32 = 60;

/// A pack of lines goes out at this size at the latest.
const PACK_BYTES: usize = 256 * 1024;

/// What was published, in lines (or tick records).
#[derive(Debug, Default)]
pub struct Published {
    pub stored: u64,
    /// Already in the stream (same message id within the duplicate window).
    pub duplicates: u64,
}

/// A message to publish.
struct Outgoing {
    subject: String,
    msg_id: String,
    tick: Option<i64>,
    payload: Bytes,
    /// The lines it holds (a tick record counts one).
    lines: u64,
    /// A pack of lines (`PACK_HEADER`), not one line.
    packed: bool,
}

impl Outgoing {
    fn line(subject: String, msg_id: String, payload: Bytes) -> Outgoing {
        Outgoing {
            subject,
            msg_id,
            tick: None,
            payload,
            lines: 1,
            packed: false,
        }
    }
}

/// A message sent, until the stream acknowledges it.
struct Pending {
    message: Outgoing,
    ack: PublishAckFuture,
}

/// Lines of one partition waiting to share a message.
#[derive(Default)]
struct Pack {
    payload: Vec<u8>,
    lines: u64,
    /// Its first and last lines' message ids, and a hash of all of them: its own id.
    first: String,
    last: String,
    ids: Fnv1a,
}

impl Pack {
    fn add(&mut self, line: &[u8], msg_id: String) {
        self.payload.extend_from_slice(line);
        self.payload.push(b'\n');
        self.ids.write(msg_id.as_bytes());
        self.ids.write(b"\n");
        if self.lines == 0 {
            self.first.clone_from(&msg_id);
        }
        self.last = msg_id;
        self.lines += 1;
    }

    /// Its message id: its first line's, its last line's, how many lines, and a hash of all
    /// their ids. The same lines packed the same way (the same file published again) get
    /// the same id.
    fn msg_id(&self) -> String {
        let (n, first, last) = (self.lines, &self.first, &self.last);
        format!("pack-{n}-{first}-{last}-{:016x}", self.ids.finish())
    }
}

struct Publisher<'a> {
    cluster: &'a Cluster,
    window: VecDeque<Pending>,
    done: Published,
}

impl Publisher<'_> {
    async fn send(
        &self,
        m: &Outgoing,
    ) -> Result<PublishAckFuture, async_nats::jetstream::context::PublishError> {
        let mut headers = HeaderMap::new();
        headers.insert("Nats-Msg-Id", m.msg_id.as_str());
        if let Some(t) = m.tick {
            headers.insert(TICK_HEADER, t.to_string().as_str());
        }
        if m.packed {
            headers.insert(PACK_HEADER, m.lines.to_string().as_str());
        }
        self.cluster
            .js
            .publish_with_headers(m.subject.clone(), headers, m.payload.clone())
            .await
    }

    /// Sends a message, trying again a second apart while NATS is away.
    async fn send_retrying(&self, m: &Outgoing) -> Result<PublishAckFuture, ClusterError> {
        let mut tries = 0;
        loop {
            match self.send(m).await {
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

    async fn publish(&mut self, message: Outgoing) -> Result<(), ClusterError> {
        let ack = self.send_retrying(&message).await?;
        self.window.push_back(Pending { message, ack });
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
                        self.done.duplicates += pending.message.lines;
                    } else {
                        self.done.stored += pending.message.lines;
                    }
                    return Ok(());
                }
                Err(e) if tries < RETRIES => {
                    tries += 1;
                    tracing::warn!("publish not acknowledged, trying again: {e}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    pending.ack = self.send_retrying(&pending.message).await?;
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

/// Publishes every line of `input` (blank lines are left out) to its lead's partition: each
/// line a message of its own when `pack` is 1, else up to `pack` lines of a partition, in
/// order, a message.
pub async fn events(
    cluster: &Cluster,
    input: &mut dyn BufRead,
    pack: usize,
) -> Result<Published, ClusterError> {
    let mut publisher = Publisher {
        cluster,
        window: VecDeque::new(),
        done: Published::default(),
    };
    let mut packs: Vec<Pack> = (0..cluster.partitions).map(|_| Pack::default()).collect();
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
        if pack <= 1 {
            let subject = part::event_subject(route.partition);
            let payload = Bytes::copy_from_slice(&line);
            publisher
                .publish(Outgoing::line(subject, route.msg_id, payload))
                .await?;
            continue;
        }
        let p = route.partition;
        let gathered = &mut packs[p as usize];
        gathered.add(&line, route.msg_id);
        if gathered.lines as usize >= pack || gathered.payload.len() >= PACK_BYTES {
            let full = std::mem::take(gathered);
            publisher.publish_pack(p, full).await?;
        }
    }
    for (p, rest) in packs.into_iter().enumerate() {
        if rest.lines > 0 {
            publisher.publish_pack(p as u32, rest).await?;
        }
    }
    publisher.finish().await
}

impl Publisher<'_> {
    async fn publish_pack(&mut self, p: u32, pack: Pack) -> Result<(), ClusterError> {
        self.publish(Outgoing {
            subject: part::event_subject(p),
            msg_id: pack.msg_id(),
            tick: None,
            payload: pack.payload.into(),
            lines: pack.lines,
            packed: true,
        })
        .await
    }
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
            .publish(Outgoing {
                subject: part::event_subject(p),
                msg_id: format!("tick-{p}-{until}"),
                tick: Some(until),
                payload: Bytes::new(),
                lines: 1,
                packed: false,
            })
            .await?;
    }
    publisher.finish().await
}

#[cfg(test)]
mod tests {
    use super::Pack;

    fn pack(ids: &[&str]) -> Pack {
        let mut p = Pack::default();
        for id in ids {
            p.add(b"{}", id.to_string());
        }
        p
    }

    #[test]
    fn a_packs_id_comes_from_its_lines_ids() {
        let id = pack(&["m-1", "m-2", "m-3"]).msg_id();
        assert!(id.starts_with("pack-3-m-1-m-3-"), "{id}");
        assert_eq!(id, pack(&["m-1", "m-2", "m-3"]).msg_id());
        assert_ne!(id, pack(&["m-1", "m-9", "m-3"]).msg_id());
        assert_ne!(id, pack(&["m-1", "m-3"]).msg_id());
    }
}

//! A partition's actions go out in batches: one message on `nurture.actions.<P>` holds the
//! JSON lines of many actions, in order. Its `Nurture-Through` header says where it ends in
//! the partition's events, which is how a new owner knows which actions are out already.
//! Each batch is published expecting the partition's last batch to be the one this owner
//! knows (`Nats-Expected-Last-Subject-Sequence`): a worker that has lost its lease without
//! noticing, publishing at the same time as the new owner, is refused instead of sending
//! actions twice (docs/cluster.md, "Exactly-once actions").

use super::error::ClusterError;
use super::nats::{self, Cluster};
use super::partition::{self as part, ACTIONS};
use async_nats::jetstream::context::{PublishAckFuture, PublishErrorKind};
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::stream::LastRawMessageErrorKind;
use nurture::runtime::output;
use nurture::vm::action::Action;
use std::time::{Duration, Instant};

/// The header of a batch that says where it ends (`Through`, as `SEQ.N`).
pub const THROUGH_HEADER: &str = "Nurture-Through";

/// A gathered batch goes out at the latest this long after its first action, even while
/// the partition still has a backlog to read.
const FLUSH_AFTER: Duration = Duration::from_millis(200);

/// A batch's payload at most (and within the server's `max_payload`): big enough that the
/// per-message costs vanish, small enough to be stored and delivered in one piece quickly.
const MOST_BYTES: usize = 256 * 1024;

/// A place in a partition's actions: every action of the events before stream sequence
/// `seq`, and the first `n` of event `seq`'s (counting list entries and exits, published or
/// not, so that the place does not depend on `--memberships`). Ordered as the actions are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Through {
    pub seq: u64,
    pub n: u64,
}

impl Through {
    fn header(self) -> String {
        format!("{}.{}", self.seq, self.n)
    }

    fn parse(text: &str) -> Option<Through> {
        let (seq, n) = text.split_once('.')?;
        Some(Through {
            seq: seq.parse().ok()?,
            n: n.parse().ok()?,
        })
    }
}

/// A partition's actions on their way out.
pub struct Batches {
    p: u32,
    subject: String,
    /// The actions stream's sequence of the partition's last batch (0: none yet).
    last: u64,
    /// Where the actions published end: what comes before is not published again.
    published: Through,
    /// The lines of the batch being gathered, each ending in a newline.
    lines: Vec<u8>,
    /// Where the batch being gathered ends.
    end: Through,
    /// When the batch being gathered got its first line.
    started: Option<Instant>,
    /// The last batch published, until the stream has stored it.
    in_flight: Option<PublishAckFuture>,
    most_bytes: usize,
}

impl Batches {
    /// Reads where partition `p`'s published actions end, from its last batch.
    pub async fn open(cluster: &Cluster, p: u32) -> Result<Batches, ClusterError> {
        let subject = part::action_subject(p);
        let (last, published) = last_batch(cluster, p).await?;
        let max_payload = cluster.js.client().server_info().max_payload;
        Ok(Batches {
            p,
            subject,
            last,
            published,
            lines: Vec::new(),
            end: published,
            started: None,
            in_flight: None,
            // Room for the headers.
            most_bytes: MOST_BYTES.min(max_payload.saturating_sub(4096)).max(1024),
        })
    }

    /// Gathers the actions event `seq` gave (draining `actions`), but those published
    /// already (a replay after a takeover recomputes them). A batch that would grow past
    /// its size goes out first.
    pub async fn gather(
        &mut self,
        cluster: &Cluster,
        seq: u64,
        actions: &mut Vec<Action>,
        memberships: bool,
    ) -> Result<(), ClusterError> {
        for (n, action) in actions.drain(..).enumerate() {
            let at = Through { seq, n: n as u64 };
            if at < self.published {
                continue;
            }
            if !action.kind.is_membership() || memberships {
                let line = output::line(&action);
                if !self.lines.is_empty() && self.lines.len() + line.len() > self.most_bytes {
                    self.flush(cluster).await?;
                }
                self.lines.extend_from_slice(line.as_bytes());
                self.started.get_or_insert_with(Instant::now);
            }
            self.end = Through { seq, n: at.n + 1 };
        }
        Ok(())
    }

    /// Whether the batch gathered has waited long enough.
    pub fn due(&self) -> bool {
        self.started.is_some_and(|t| t.elapsed() >= FLUSH_AFTER)
    }

    /// Publishes the batch gathered, if any, once the one before it is stored.
    pub async fn flush(&mut self, cluster: &Cluster) -> Result<(), ClusterError> {
        if self.lines.is_empty() {
            return Ok(());
        }
        self.settle().await?;
        let through = self.end.header();
        let payload = std::mem::replace(&mut self.lines, Vec::with_capacity(self.most_bytes));
        let publish = PublishMessage::build()
            .payload(payload.into())
            // A publish retried after a lost acknowledgement is stored once.
            .message_id(format!("{}:{through}", self.p))
            .header(THROUGH_HEADER, through.as_str())
            .expected_last_subject_sequence(self.last);
        let ack = cluster
            .js
            .send_publish(self.subject.clone(), publish)
            .await
            .map_err(|e| self.failed(e))?;
        self.in_flight = Some(ack);
        self.published = self.end;
        self.started = None;
        Ok(())
    }

    /// Waits until the stream has stored the last batch published.
    pub async fn settle(&mut self) -> Result<(), ClusterError> {
        if let Some(ack) = self.in_flight.take() {
            let ack = ack.await.map_err(|e| self.failed(e))?;
            self.last = ack.sequence;
        }
        Ok(())
    }

    fn failed(&self, e: async_nats::jetstream::context::PublishError) -> ClusterError {
        if e.kind() == PublishErrorKind::WrongLastSequence {
            ClusterError::ActionsRaced { partition: self.p }
        } else {
            ClusterError::nats(format!("publish partition {}'s actions", self.p), e)
        }
    }
}

/// Partition `p`'s last batch: its sequence in the actions stream (0: none yet) and where it
/// ends.
pub async fn last_batch(cluster: &Cluster, p: u32) -> Result<(u64, Through), ClusterError> {
    let stream = nats::get_stream(&cluster.js, ACTIONS).await?;
    match stream
        .get_last_raw_message_by_subject(&part::action_subject(p))
        .await
    {
        Ok(message) => {
            let through = message
                .headers
                .get(THROUGH_HEADER)
                .and_then(|v| Through::parse(v.as_str()))
                .ok_or(ClusterError::ActionsUnreadable {
                    partition: p,
                    sequence: message.sequence,
                })?;
            Ok((message.sequence, through))
        }
        Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => {
            Ok((0, Through::default()))
        }
        Err(e) => Err(ClusterError::nats(
            format!("read where partition {p}'s actions end"),
            e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::Through;

    #[test]
    fn places_order_as_the_actions_do() {
        let t = |seq, n| Through { seq, n };
        assert!(t(3, 5) < t(4, 0));
        assert!(t(4, 0) < t(4, 1));
        assert_eq!(Through::parse(&t(12, 3).header()), Some(t(12, 3)));
        assert_eq!(Through::parse("12"), None);
        assert_eq!(Through::parse("x.1"), None);
    }
}

//! One partition a worker owns: its engine (the VM as `run` drives it), fed the partition's
//! events in stream order from its checkpoint on; its actions published in batches
//! (`batch`); checkpoints every K events or T seconds. The checkpoint's stream sequence is
//! the partition's position: events are not acknowledged (docs/cluster.md).

use super::batch::Batches;
use super::checkpoint::{self, Info};
use super::error::ClusterError;
use super::nats::{self, Cluster};
use super::partition::{PACK_HEADER, TICK_HEADER};
use async_nats::HeaderName;
use futures_util::StreamExt;
use nurture::compile::Compiled;
use nurture::runtime::durable;
use nurture::runtime::engine::{Engine, Options};
use nurture::runtime::intake::Problem;
use nurture::runtime::store::Store;
use nurture::vm::action::Action;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// What every owned partition of a worker shares.
pub struct Shared {
    pub cluster: Cluster,
    /// The compiled campaign (`Compiled::to_bytes`): each partition loads its own machine.
    pub program: Vec<u8>,
    pub options: Options,
    /// Where the partitions' state databases are kept while owned.
    pub dir: PathBuf,
    pub worker: String,
    pub checkpoint_every: u64,
    pub checkpoint_interval: Duration,
    /// Also publish list entries and exits.
    pub memberships: bool,
}

/// What the worker asks of a partition's task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Keep going.
    Run,
    /// Checkpoint, then end: the lease is about to be given back.
    Release,
    /// End at once, writing nothing: the lease was lost to another worker.
    Abandon,
}

/// How long loading a checkpoint and making the consumer may take.
const OPEN_WITHIN: Duration = Duration::from_secs(60);

struct Partition {
    p: u32,
    engine: Engine,
    store: Store,
    /// Stream sequence of the last event applied.
    seq: u64,
    /// Events applied in all (the checkpoint's `line`).
    events: u64,
    /// Events applied since the last checkpoint.
    since: u64,
    batches: Batches,
    actions: Vec<Action>,
}

/// Runs partition `p` until asked to stop. An error ends the task; the worker starts it
/// again from the last checkpoint while it holds the lease.
pub async fn run(
    shared: Arc<Shared>,
    p: u32,
    mut stop: watch::Receiver<Stop>,
) -> Result<(), ClusterError> {
    // Taking the partition over must not hang on a server that stopped answering: the
    // worker tries again at its next round.
    let opening = async {
        let part = Partition::open(&shared, p).await?;
        let messages = nats::read_events(&shared.cluster.js, p, part.seq).await?;
        Ok::<_, ClusterError>((part, messages))
    };
    let (mut part, mut messages) = tokio::time::timeout(OPEN_WITHIN, opening)
        .await
        .map_err(|_| ClusterError::nats(format!("take partition {p} over"), "timed out"))??;
    // The interval counts from the last checkpoint, whatever made it.
    let mut ticker = tokio::time::interval(shared.checkpoint_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            changed = stop.changed() => {
                let asked = if changed.is_err() { Stop::Abandon } else { *stop.borrow() };
                match asked {
                    Stop::Run => {}
                    Stop::Release => return part.checkpoint(&shared).await,
                    Stop::Abandon => return Ok(()),
                }
            }
            _ = ticker.tick() => {
                if part.since > 0 {
                    part.checkpoint(&shared).await?;
                }
            }
            message = messages.next() => {
                let message = match message {
                    Some(Ok(m)) => m,
                    Some(Err(e)) => return Err(ClusterError::nats(format!("read partition {p}'s events"), e)),
                    None => return Err(ClusterError::nats(format!("read partition {p}'s events"), "the consumer ended")),
                };
                let caught_up = part.apply(&shared, message).await?;
                // A backlog just drained is covered at once (a takeover then does not
                // replay it); a trickle of events waits for the interval.
                if part.since >= shared.checkpoint_every
                    || (caught_up && part.since >= catch_up_after(shared.checkpoint_every))
                {
                    part.checkpoint(&shared).await?;
                    ticker.reset();
                }
            }
        }
    }
}

/// Events applied since the last checkpoint that make a partition which has caught up with
/// its stream checkpoint at once: a tenth of `--checkpoint-every`.
fn catch_up_after(checkpoint_every: u64) -> u64 {
    (checkpoint_every / 10).max(1)
}

impl Partition {
    /// Loads the partition's last checkpoint (or a new state) for the worker's program: a
    /// checkpoint written by a program that behaves differently is refused.
    async fn open(shared: &Shared, p: u32) -> Result<Partition, ClusterError> {
        let path = shared.dir.join(format!("partition-{p}.db"));
        checkpoint::download(&shared.cluster, p, &path).await?;
        let store = checkpoint::open(&path, p)?;
        let compiled = Compiled::load(&shared.program)
            .map_err(|e| ClusterError::Program(e.describe("the campaign")))?;
        let opened = durable::open_state(
            store,
            &format!("partition {p}'s checkpoint"),
            compiled,
            None,
            &shared.options,
            false,
        )
        .map_err(|error| ClusterError::Run {
            partition: p,
            error,
        })?;
        let seq = checkpoint::applied(&opened.position);
        tracing::info!(partition = p, from = seq, "partition taken");
        Ok(Partition {
            p,
            engine: opened.engine,
            store: opened.store,
            seq,
            events: opened.position.line,
            since: 0,
            // Read after the checkpoint, so that what a stale owner published meanwhile is
            // known; what it publishes later still makes this owner's first batch refused.
            batches: Batches::open(&shared.cluster, p).await?,
            actions: Vec::new(),
        })
    }

    /// Applies one event or tick record, and gathers the actions it gave; they go out when
    /// the partition has caught up with its stream (nothing more was pending when the event
    /// came), when their batch is full or has waited long enough, and at a checkpoint.
    /// Whether the partition has caught up.
    async fn apply(
        &mut self,
        shared: &Shared,
        message: async_nats::jetstream::Message,
    ) -> Result<bool, ClusterError> {
        let info = message
            .info()
            .map_err(|e| ClusterError::nats("read an event's sequence", e))?;
        let (seq, caught_up) = (info.stream_sequence, info.pending == 0);
        if seq <= self.seq {
            // Already applied: the client makes an ordered consumer again from the start
            // when it loses one before its first event.
            return Ok(false);
        }
        // Names made from static strings: a `&str` name is copied at every lookup, and every
        // event message has headers (its `Nats-Msg-Id`).
        let headers = message.headers.as_ref();
        let tick = headers
            .and_then(|h| h.get(HeaderName::from_static(TICK_HEADER)))
            .and_then(|v| v.as_str().parse::<i64>().ok());
        let packed = headers.is_some_and(|h| h.get(HeaderName::from_static(PACK_HEADER)).is_some());
        // What `--checkpoint-every` counts: the lines of a pack, else one.
        let lines = if let Some(until) = tick {
            // A clock that has passed `until` stays where it is: time never goes back.
            // Firing every wait due in the partition can take a while: the thread is handed
            // over meanwhile, so that the worker's lease renewals are not held up.
            if until > self.engine.machine.now {
                let (engine, actions) = (&mut self.engine, &mut self.actions);
                tokio::task::block_in_place(|| engine.finish(Some(until), actions));
            }
            1
        } else if packed {
            let mut lines = 0;
            for line in message.payload.split(|&b| b == b'\n') {
                if !line.is_empty() {
                    self.feed(line, seq);
                    lines += 1;
                }
            }
            lines
        } else {
            self.feed(&message.payload, seq);
            1
        };
        let cluster = &shared.cluster;
        self.batches
            .gather(cluster, seq, &mut self.actions, shared.memberships)
            .await?;
        if caught_up || self.batches.due() {
            self.batches.flush(cluster).await?;
        }
        self.seq = seq;
        self.events += lines;
        self.since += lines;
        Ok(caught_up)
    }

    /// Feeds one event line to the engine; a line it cannot use is logged and left out, as
    /// `run` leaves it out.
    fn feed(&mut self, line: &[u8], seq: u64) {
        let rejected = match std::str::from_utf8(line) {
            Ok(text) => self
                .engine
                .feed(text, seq, &mut self.actions)
                .map(|r| r.reason),
            Err(_) => {
                self.engine.reject_external();
                Some(Problem::NotUtf8)
            }
        };
        if let Some(reason) = rejected {
            tracing::warn!(partition = self.p, seq, kind = reason.kind(), %reason, "event rejected");
        }
    }

    /// Makes the actions so far durable in their stream, commits the state and puts its copy
    /// in the object store.
    async fn checkpoint(&mut self, shared: &Shared) -> Result<(), ClusterError> {
        self.batches.flush(&shared.cluster).await?;
        self.batches.settle().await?;
        let p = self.p;
        let position = checkpoint::position_at(p, self.seq, self.events);
        let (store, engine) = (&mut self.store, &mut self.engine);
        tokio::task::block_in_place(|| store.commit(engine, &position)).map_err(|error| {
            ClusterError::Store {
                partition: p,
                error,
            }
        })?;
        if !super::lease::holds(&shared.cluster, p, &shared.worker).await? {
            return Err(ClusterError::LeaseLost { partition: p });
        }
        let bytes = tokio::task::block_in_place(|| checkpoint::snapshot(&self.store, p))?;
        let info = Info {
            seq: self.seq,
            clock: self.engine.machine.now,
            leads: self.engine.machine.leads.len() as u64,
            bytes: bytes.len() as u64,
            written: checkpoint::wall_ms(),
            worker: shared.worker.clone(),
        };
        checkpoint::upload(&shared.cluster, p, &bytes, &info).await?;
        self.since = 0;
        tracing::debug!(partition = p, seq = self.seq, "checkpoint");
        Ok(())
    }
}

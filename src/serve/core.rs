//! The core: one thread that owns the engine and the state database. It takes batches from
//! the HTTP handlers, fires timers on the wall clock, and commits: requests that arrived
//! while a commit was being written are applied together and share the next one (group
//! commit), and each is answered only once its events are committed.

use super::metrics::Metrics;
use nurture::runtime::durable::RunError;
use nurture::runtime::live::{BadEvent, Event, Live};
use nurture::runtime::outbox::{self, Entry, Settled};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Notify};

/// The most requests one commit takes; more wait for the next.
const REQUESTS_PER_COMMIT: usize = 4096;
/// How long the core sleeps with nothing due: it wakes to fire timers within this.
const IDLE_WAKE: Duration = Duration::from_millis(250);

/// The service's clock: milliseconds since the Unix epoch, UTC (the engine's unit of time).
pub fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// One event of a request, as a line the engine reads.
pub struct Item {
    pub line: String,
    pub message_id: Option<String>,
}

/// The answer to a request.
pub enum Reply {
    /// Its events are committed.
    Committed,
    /// Nothing of it was applied: these events are bad.
    Bad(Vec<BadEvent>),
    /// The state could not be committed; the service stops.
    Failed(String),
}

enum Msg {
    Batch {
        items: Vec<Item>,
        reply: oneshot::Sender<Reply>,
    },
    Settled(Settled),
    /// Work on the state (a read for `GET /v1/leads/…`, a reload), run on the core between
    /// commits.
    With(Box<dyn FnOnce(&mut Live) + Send>),
    Stop,
}

/// What the other parts hold to talk to the core.
#[derive(Clone)]
pub struct Handle {
    tx: mpsc::Sender<Msg>,
    stop_deliveries: Arc<Notify>,
}

impl Handle {
    /// Hands a request's events to the core; the answer comes once they are committed.
    pub fn submit(&self, items: Vec<Item>) -> oneshot::Receiver<Reply> {
        let (reply, answer) = oneshot::channel();
        if self.tx.send(Msg::Batch { items, reply }).is_err() {
            // The core has stopped: the dropped sender answers the request with an error.
        }
        answer
    }

    /// Runs `work` on the state, between commits; `None` when the core has stopped.
    pub async fn with<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Live) -> T + Send + 'static,
    ) -> Option<T> {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(move |live: &mut Live| {
            let _ = reply.send(work(live));
        });
        self.tx.send(Msg::With(job)).ok()?;
        answer.await.ok()
    }

    /// Tells the core what became of a delivery.
    pub fn settle(&self, settled: Settled) {
        let _ = self.tx.send(Msg::Settled(settled));
    }

    /// Asks the deliveries to finish what is in flight and take nothing new.
    pub fn stop_deliveries(&self) {
        self.stop_deliveries.notify_one();
    }

    /// Resolves when the service asks the deliveries to stop.
    pub async fn deliveries_stopped(&self) {
        self.stop_deliveries.notified().await
    }
}

/// The running core.
pub struct Core {
    handle: Handle,
    thread: std::thread::JoinHandle<Result<(), RunError>>,
}

impl Core {
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Commits what is left and ends the thread.
    pub fn stop(self) -> Result<(), RunError> {
        let _ = self.handle.tx.send(Msg::Stop);
        self.thread.join().unwrap_or(Ok(()))
    }
}

/// Starts the core thread. The outbox entries the last run left are sent for delivery
/// first, then every new one as it is committed.
pub fn start(
    live: Live,
    deliveries: tokio::sync::mpsc::UnboundedSender<Entry>,
    metrics: Arc<Metrics>,
) -> std::io::Result<Core> {
    let (tx, rx) = mpsc::channel();
    let handle = Handle {
        tx,
        stop_deliveries: Arc::new(Notify::new()),
    };
    let thread = std::thread::Builder::new()
        .name("nurture-core".into())
        .spawn(move || {
            let result = run(live, rx, deliveries, metrics);
            if let Err(e) = &result {
                // Nothing uncommitted was acknowledged: a restart resumes from the last commit.
                tracing::error!(error = %e, "the state could not be committed; stopping");
                std::process::exit(1);
            }
            result
        })?;
    Ok(Core { handle, thread })
}

fn run(
    mut live: Live,
    rx: mpsc::Receiver<Msg>,
    deliveries: tokio::sync::mpsc::UnboundedSender<Entry>,
    metrics: Arc<Metrics>,
) -> Result<(), RunError> {
    for entry in live.pending()? {
        let _ = deliveries.send(entry);
    }
    let store = live.store();
    let (_, dead) = outbox::depth(store.connection()).map_err(|e| store.error(e))?;
    metrics.dead_at_start(dead as i64);
    // Whatever fell due while the service was down fires now, once, in due order.
    live.fire(wall_clock());
    let mut last_gauges = Instant::now() - Duration::from_secs(60);
    loop {
        let now = wall_clock();
        let wait = match live.next_due() {
            Some(due) if due <= now => Duration::ZERO,
            _ => IDLE_WAKE,
        };
        let mut waiting = Vec::new();
        let mut stop = false;
        let first = match rx.recv_timeout(wait) {
            Ok(msg) => Some(msg),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Msg::Stop),
        };
        let mut taken = 0;
        let mut next = first;
        while let Some(msg) = next {
            let now = wall_clock();
            match msg {
                Msg::Batch { items, reply } => {
                    let events: Vec<Event<'_>> = items
                        .iter()
                        .map(|i| Event {
                            line: &i.line,
                            message_id: i.message_id.as_deref(),
                        })
                        .collect();
                    match live.accept(&events, now) {
                        Ok(accepted) => {
                            metrics.accepted(&accepted);
                            waiting.push(reply);
                        }
                        Err(bad) => {
                            metrics.rejected(bad.len());
                            let _ = reply.send(Reply::Bad(bad));
                        }
                    }
                }
                Msg::Settled(s) => live.settle(s),
                Msg::With(work) => work(&mut live),
                Msg::Stop => stop = true,
            }
            taken += 1;
            next = if stop || taken >= REQUESTS_PER_COMMIT {
                None
            } else {
                rx.try_recv().ok()
            };
        }
        let now = wall_clock();
        live.fire(now);
        if live.dirty() {
            let started = Instant::now();
            match live.commit(now) {
                Ok(committed) => {
                    metrics.committed(started.elapsed(), &committed.actions_by_kind);
                    for entry in committed.entries {
                        let _ = deliveries.send(entry);
                    }
                }
                Err(e) => {
                    for reply in waiting {
                        let _ = reply.send(Reply::Failed(e.to_string()));
                    }
                    return Err(e);
                }
            }
        }
        for reply in waiting {
            let _ = reply.send(Reply::Committed);
        }
        if last_gauges.elapsed() >= Duration::from_secs(1) || stop {
            last_gauges = Instant::now();
            metrics.state(&live);
            // Between commits, so no transaction of ours is open.
            let revived = live.revived()?;
            metrics.revived(revived.len());
            for entry in revived {
                let _ = deliveries.send(entry);
            }
        }
        if stop {
            return Ok(());
        }
    }
}

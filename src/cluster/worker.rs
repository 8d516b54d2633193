//! `nurture worker`: claims about N / workers partitions, runs each (`owned`), renews its
//! leases, takes over what dead workers leave, hands partitions to newcomers, and on SIGTERM
//! checkpoints and releases everything at once.

use super::error::ClusterError;
use super::lease::{self, Lease};
use super::nats::{self, Cluster, NatsArgs};
use super::owned::{self, Shared, Stop};
use super::program;
use clap::Args;
use nurture::compile::Compiled;
use nurture::runtime::engine::Options;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Run a campaign as one of a cluster's workers, until SIGTERM.
///
/// Claims partitions (about N / workers of them) with leases in the cluster's key-value
/// bucket, applies their events in order, publishes actions to the actions stream, and
/// checkpoints each partition's state to the object store. Partitions of a worker that dies
/// are taken over within the lease TTL; on SIGTERM or Ctrl-C the worker checkpoints and
/// releases its partitions at once. See docs/cluster.md.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The campaign file, or a program compiled with `nurture compile` (`.nbc`).
    #[arg(value_name = "CAMPAIGN|FILE.nbc")]
    pub campaign: PathBuf,

    #[command(flatten)]
    pub nats: NatsArgs,

    /// This worker's name, unique in the cluster (default: host name and process id).
    #[arg(long)]
    pub name: Option<String>,

    /// Where owned partitions' state databases are kept (default: a temporary directory).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Checkpoint a partition after this many events...
    #[arg(long, value_name = "N", default_value_t = 50_000)]
    pub checkpoint_every: u64,

    /// ...or after this long, whichever comes first (while it has events not checkpointed).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = humantime::parse_duration)]
    pub checkpoint_interval: Duration,

    /// Reject events the campaign does not declare, instead of skipping them.
    #[arg(long)]
    pub strict: bool,

    /// Also publish each time a lead enters or leaves a list.
    #[arg(long)]
    pub memberships: bool,
}

/// A partition this worker holds: its lease, and its task.
struct Held {
    lease: Lease,
    stop: watch::Sender<Stop>,
    task: JoinHandle<Result<(), ClusterError>>,
    /// Asked to checkpoint and end: the lease is renewed until it has, then given back.
    releasing: bool,
}

struct Worker {
    shared: Arc<Shared>,
    name: String,
    held: BTreeMap<u32, Held>,
}

pub async fn work(args: &WorkerArgs, compiled: Compiled) -> Result<(), ClusterError> {
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("{}-{}", host_name(), std::process::id()));
    let js = nats::connect(&args.nats, &format!("nurture worker {name}")).await?;
    let cluster = nats::open(&js).await?;
    program::check_or_record(&cluster, &compiled).await?;
    let (dir, _temp) = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|error| ClusterError::Io {
                what: format!("make {}", d.display()),
                error,
            })?;
            (d.clone(), None)
        }
        None => {
            let t = tempfile::tempdir().map_err(|error| ClusterError::Io {
                what: "make a temporary directory".into(),
                error,
            })?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    // Rounds well inside the TTL (renewals), and at least every second, so that released
    // partitions are taken soon after they are given back.
    let round = (cluster.lease_ttl / 4).clamp(Duration::from_millis(100), Duration::from_secs(1));
    let mut worker = Worker {
        shared: Arc::new(Shared {
            cluster,
            program: compiled.to_bytes(),
            options: Options {
                strict: args.strict,
            },
            dir,
            worker: name.clone(),
            checkpoint_every: args.checkpoint_every.max(1),
            checkpoint_interval: args.checkpoint_interval.max(Duration::from_millis(10)),
            memberships: args.memberships,
        }),
        name,
        held: BTreeMap::new(),
    };
    tracing::info!(worker = %worker.name, "worker started");
    let mut ticks = tokio::time::interval(round);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|error| ClusterError::Io {
            what: "listen for SIGTERM".into(),
            error,
        })?;
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
            _ = ticks.tick() => {
                if let Err(e) = worker.round().await {
                    tracing::warn!("{e}");
                }
            }
        }
    }
    tracing::info!(worker = %worker.name, "stopping: checkpointing and releasing partitions");
    worker.release_all().await;
    let _ = lease::leave(&worker.shared.cluster, &worker.name).await;
    Ok(())
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "worker".into())
}

impl Worker {
    fn cluster(&self) -> &Cluster {
        &self.shared.cluster
    }

    /// One round: heartbeat, renew, restart failed partitions, then balance.
    async fn round(&mut self) -> Result<(), ClusterError> {
        let (shared, name) = (self.shared.clone(), self.name.clone());
        let (beat, renewed) = tokio::join!(lease::heartbeat(&shared.cluster, &name), self.renew());
        beat?;
        renewed?;
        self.restart_failed().await;
        let holders = lease::holders(self.cluster()).await?;
        let mut workers = holders.workers.len();
        if !holders.workers.contains(&self.name) {
            workers += 1;
        }
        let share = lease::fair_share(self.cluster().partitions, workers);
        let mut keeping: Vec<u32> = self
            .held
            .iter()
            .filter(|(_, h)| !h.releasing)
            .map(|(p, _)| *p)
            .collect();
        // Partitions above the share are handed over without waiting here: their
        // checkpoints must not hold up the renewals of the others.
        while keeping.len() > share {
            let p = keeping.pop().expect("a partition held");
            let held = self.held.get_mut(&p).expect("held");
            held.releasing = true;
            let _ = held.stop.send(Stop::Release);
        }
        if self.held.len() < share {
            self.claim(&holders.owners, share).await;
        }
        Ok(())
    }

    /// Renews every lease at once (one slow reply must not let the others expire).
    async fn renew(&mut self) -> Result<(), ClusterError> {
        let cluster = self.shared.cluster.clone();
        let leases: Vec<Lease> = self.held.values().map(|h| h.lease).collect();
        let renewals = leases
            .iter()
            .map(|lease| lease::renew(&cluster, *lease, &self.name));
        let outcomes = futures_util::future::join_all(renewals).await;
        // Every outcome is taken, an error or not: a renewal made but not recorded would fail
        // at the next round (its revision moved on) and drop a partition still held.
        let mut failed = Ok(());
        for (lease, outcome) in leases.into_iter().zip(outcomes) {
            let p = lease.partition;
            let renewed = match outcome {
                Ok(renewed) => renewed,
                Err(e) => {
                    failed = Err(e);
                    continue;
                }
            };
            match renewed {
                Some(renewed) => self.held.get_mut(&p).expect("held").lease = renewed,
                None => {
                    tracing::warn!(
                        partition = p,
                        "lease lost: the partition's state is dropped"
                    );
                    let held = self.held.remove(&p).expect("held");
                    let _ = held.stop.send(Stop::Abandon);
                    let _ = held.task.await;
                }
            }
        }
        failed
    }

    /// A partition whose task ended with an error starts again from its last checkpoint;
    /// one released has its lease given back once its task has checkpointed.
    async fn restart_failed(&mut self) {
        let released: Vec<u32> = self
            .held
            .iter()
            .filter(|(_, h)| h.releasing && h.task.is_finished())
            .map(|(p, _)| *p)
            .collect();
        for p in released {
            self.release(p).await;
        }
        // A partition being released whose task ends only now is given back next round, not
        // run again: started again, it would be held for good with no one asking it to stop.
        let ended: Vec<u32> = self
            .held
            .iter()
            .filter(|(_, h)| !h.releasing && h.task.is_finished())
            .map(|(p, _)| *p)
            .collect();
        for p in ended {
            let held = self.held.get_mut(&p).expect("held");
            match (&mut held.task).await {
                // Another worker owns it now (this one's renewals had not told it yet): it
                // is dropped, not started again to compete with the owner.
                Ok(Err(e @ ClusterError::LeaseLost { .. })) => {
                    tracing::warn!("{e}");
                    self.held.remove(&p);
                    continue;
                }
                Ok(Err(e)) => tracing::warn!("{e}; starting again from the last checkpoint"),
                Ok(Ok(())) => {}
                Err(e) => tracing::warn!(
                    partition = p,
                    "the partition's task failed: {e}; starting again from the last checkpoint"
                ),
            }
            let (stop, stopped) = watch::channel(Stop::Run);
            held.task = tokio::spawn(owned::run(self.shared.clone(), p, stopped));
            held.stop = stop;
        }
    }

    /// Claims free partitions up to `share`, starting from a place of this worker's own so
    /// that workers starting together try different ones first.
    async fn claim(&mut self, owners: &[Option<String>], share: usize) {
        let n = owners.len() as u32;
        let start = (nurture::lang::hash::fnv1a(self.name.as_bytes()) % n.max(1) as u64) as u32;
        for i in 0..n {
            if self.held.len() >= share {
                break;
            }
            let p = (start + i) % n;
            if owners[p as usize].is_some() || self.held.contains_key(&p) {
                continue;
            }
            // One claim failing (a race, a slow reply) does not stop the others.
            match lease::claim(self.cluster(), p, &self.name).await {
                Ok(Some(lease)) => {
                    let (stop, stopped) = watch::channel(Stop::Run);
                    let task = tokio::spawn(owned::run(self.shared.clone(), p, stopped));
                    let releasing = false;
                    self.held.insert(
                        p,
                        Held {
                            lease,
                            stop,
                            task,
                            releasing,
                        },
                    );
                }
                Ok(None) => {}
                Err(e) => tracing::warn!("{e}"),
            }
        }
    }

    /// Checkpoints partition `p` and gives its lease back.
    async fn release(&mut self, p: u32) {
        let Some(held) = self.held.remove(&p) else {
            return;
        };
        let _ = held.stop.send(Stop::Release);
        match held.task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("{e}: the next owner replays from the checkpoint before"),
            Err(e) => tracing::warn!(partition = p, "the partition's task failed: {e}"),
        }
        if let Err(e) = lease::release(self.cluster(), held.lease).await {
            tracing::warn!("{e}");
        }
        tracing::info!(partition = p, "partition released");
    }

    async fn release_all(&mut self) {
        for held in self.held.values() {
            let _ = held.stop.send(Stop::Release);
        }
        let ps: Vec<u32> = self.held.keys().copied().collect();
        for p in ps {
            self.release(p).await;
        }
    }
}

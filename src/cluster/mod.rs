//! `nurture cluster` and `nurture worker`: a campaign run by several worker processes over
//! NATS JetStream, partitioned by lead, with exactly-once actions and failover
//! (docs/cluster.md).
//!
//! One concept a file: `partition` (where a lead's events go, and every name), `nats`
//! (connecting; the streams and buckets; reading a partition's events), `access` (the
//! credentials a connection presents, and why it was refused), `lease` (who owns a partition),
//! `checkpoint` (a partition's state in the object store), `program` (the campaign recorded
//! with the partitions), `owned` (one partition run by a worker), `worker` (the worker's
//! loop), `publish` (events and ticks in), `actions` (actions out), `status`, `migrate`,
//! `error`.

mod access;
mod actions;
mod batch;
mod checkpoint;
mod error;
mod lease;
mod migrate;
mod nats;
mod owned;
mod partition;
mod program;
mod publish;
mod status;
mod worker;

pub use worker::WorkerArgs;

use crate::cli::run::{load_program, parse_until};
use crate::cli::{EXIT_OK, EXIT_USAGE};
use clap::{Args, Subcommand};
use error::ClusterError;
use nats::NatsArgs;
use std::path::PathBuf;
use std::time::Duration;

/// Set up and watch a cluster of workers over NATS JetStream: publish events, move the
/// clock, read actions, see who owns what.
///
/// See docs/cluster.md for the design, the guarantees and how to size a cluster.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    #[command(subcommand)]
    pub command: ClusterCommand,
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    Init(InitArgs),
    Publish(PublishArgs),
    Tick(TickArgs),
    Actions(ActionsArgs),
    Status(StatusArgs),
    Migrate(MigrateArgs),
}

/// Create (or check) the streams and buckets of a cluster; safe to run again.
///
/// Each partition's events have a stream of their own. No consumer is made here: each owner
/// of a partition reads through one of its own (docs/cluster.md).
#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub nats: NatsArgs,

    /// How many partitions leads are spread over; fixed once recorded.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub partitions: u32,

    /// A lease not renewed for this long expires, and another worker takes the partition.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = humantime::parse_duration)]
    pub lease_ttl: Duration,

    /// How long the streams remember message ids to drop duplicates: must cover the longest
    /// a publisher may retry a message (docs/cluster.md, "Sizing").
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = humantime::parse_duration)]
    pub duplicate_window: Duration,

    /// Copies of each stream and bucket (3 on a three-node NATS cluster).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub replicas: usize,
}

/// Publish Segment JSON lines to the events stream, each to its lead's partition.
#[derive(Debug, Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub nats: NatsArgs,

    /// The events, one JSON object a line; `-` for standard input.
    #[arg(long, value_name = "FILE|-")]
    pub events: PathBuf,

    /// Put up to N lines of a partition in one message, for a bulk load: a worker reads
    /// them about twice as fast. A pack goes out when full or at the end of the input (so
    /// not for a live stream on `-`). A line is then deduplicated only with the same lines
    /// packed the same way, as when the same file is published again, not on its own by its
    /// `messageId` (docs/cluster.md, "Packed events").
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub pack: u64,
}

/// Move every partition's clock to TIME, firing what is due, as `run --until` does.
#[derive(Debug, Args)]
pub struct TickArgs {
    #[command(flatten)]
    pub nats: NatsArgs,

    /// An RFC 3339 time such as 2026-04-01T00:00:00Z.
    #[arg(long, value_name = "TIME")]
    pub until: String,
}

/// Write the actions stream as JSON lines, the records `nurture run` writes.
#[derive(Debug, Args)]
pub struct ActionsArgs {
    #[command(flatten)]
    pub nats: NatsArgs,

    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Keep writing new actions as they come, instead of stopping once caught up; SIGTERM
    /// or Ctrl-C stops it (with success, everything written flushed).
    #[arg(long)]
    pub follow: bool,
}

/// Show each partition's owner, lag, clock and last checkpoint, and the live workers.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub nats: NatsArgs,

    /// One JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Carry every partition's checkpoint over to a changed campaign, as `run --migrate` does;
/// stop the workers first.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The campaign file, or a program compiled with `nurture compile` (`.nbc`).
    #[arg(value_name = "CAMPAIGN|FILE.nbc")]
    pub campaign: PathBuf,

    #[command(flatten)]
    pub nats: NatsArgs,
}

/// Runs `future` on a new runtime.
fn block_on<T>(
    future: impl std::future::Future<Output = Result<T, ClusterError>>,
) -> Result<T, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(future).map_err(|e| e.to_string())
}

fn finish(command: &str, outcome: Result<(), String>) -> u8 {
    match outcome {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("nurture {command}: {e}");
            EXIT_USAGE
        }
    }
}

async fn open(args: &NatsArgs, command: &str) -> Result<nats::Cluster, ClusterError> {
    let js = nats::connect(args, &format!("nurture {command}")).await?;
    nats::open(&js).await
}

pub fn run(args: &ClusterArgs) -> u8 {
    // The client's "connected" lines are no news to someone running one command.
    crate::cli::logs::init_logs(crate::cli::logs::LogFormat::Human, "warn");
    match &args.command {
        ClusterCommand::Init(a) => finish("cluster init", init(a)),
        ClusterCommand::Publish(a) => finish("cluster publish", publish(a)),
        ClusterCommand::Tick(a) => finish("cluster tick", tick(a)),
        ClusterCommand::Actions(a) => finish("cluster actions", actions(a)),
        ClusterCommand::Status(a) => finish("cluster status", status(a)),
        ClusterCommand::Migrate(a) => match load_program(&a.campaign, "nurture cluster migrate") {
            Ok((compiled, _)) => finish("cluster migrate", migrate(a, compiled)),
            Err(code) => code,
        },
    }
}

fn init(args: &InitArgs) -> Result<(), String> {
    let layout = nats::Layout {
        partitions: args.partitions,
        lease_ttl: args.lease_ttl,
        duplicate_window: args.duplicate_window,
        replicas: args.replicas.max(1),
    };
    let cluster = block_on(async {
        let js = nats::connect(&args.nats, "nurture cluster init").await?;
        nats::init(&js, &layout).await
    })?;
    eprintln!(
        "cluster ready: {} partitions, leases of {}, duplicate window {}",
        cluster.partitions,
        humantime::format_duration(cluster.lease_ttl),
        humantime::format_duration(args.duplicate_window)
    );
    Ok(())
}

fn publish(args: &PublishArgs) -> Result<(), String> {
    let mut input: Box<dyn std::io::BufRead> = if args.events.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(&args.events)
            .map_err(|e| format!("cannot read {}: {e}", args.events.display()))?;
        Box::new(std::io::BufReader::with_capacity(1 << 16, file))
    };
    let done = block_on(async {
        let cluster = open(&args.nats, "cluster publish").await?;
        publish::events(&cluster, &mut *input, args.pack as usize).await
    })?;
    eprintln!(
        "published {} events ({} already in the stream)",
        done.stored, done.duplicates
    );
    Ok(())
}

fn tick(args: &TickArgs) -> Result<(), String> {
    let until = parse_until(Some(&args.until))?.expect("--until is given");
    let done = block_on(async {
        let cluster = open(&args.nats, "cluster tick").await?;
        publish::tick(&cluster, until).await
    })?;
    eprintln!(
        "tick to {} published to {} partitions",
        args.until,
        done.stored + done.duplicates
    );
    Ok(())
}

fn actions(args: &ActionsArgs) -> Result<(), String> {
    let mut out: Box<dyn std::io::Write> = match &args.out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    block_on(async {
        let cluster = open(&args.nats, "cluster actions").await?;
        actions::read(&cluster, &mut *out, args.follow).await
    })?;
    Ok(())
}

fn status(args: &StatusArgs) -> Result<(), String> {
    let status = block_on(async {
        let cluster = open(&args.nats, "cluster status").await?;
        status::status(&cluster).await
    })?;
    let text = if args.json {
        format!(
            "{}\n",
            serde_json::to_string(&status).expect("a status serialises")
        )
    } else {
        status::render(&status)
    };
    crate::cli::print_stdout(&text);
    Ok(())
}

fn migrate(args: &MigrateArgs, compiled: nurture::compile::Compiled) -> Result<(), String> {
    let outcome = block_on(async {
        let cluster = open(&args.nats, "cluster migrate").await?;
        migrate::migrate(&cluster, compiled).await
    })?;
    match outcome {
        migrate::Outcome::Same => {
            eprintln!("the recorded campaign behaves as this one: nothing to migrate")
        }
        migrate::Outcome::Migrated(reports) => {
            use crate::cli::run::{report_migration_carried, report_migration_changes};
            // Checkpoints written by one campaign differ from the new one in the same ways:
            // said once, not once a partition.
            let one_campaign = reports
                .windows(2)
                .all(|w| w[0].1.differences == w[1].1.differences);
            if let (true, Some((_, first))) = (one_campaign, reports.first()) {
                eprintln!("every partition:");
                report_migration_changes(first);
            }
            for (p, report) in &reports {
                eprintln!("partition {p}:");
                if !one_campaign {
                    report_migration_changes(report);
                }
                report_migration_carried(report);
            }
            eprintln!(
                "migrated {} checkpoint(s) to {}",
                reports.len(),
                args.campaign.display()
            );
        }
    }
    Ok(())
}

/// `nurture worker`.
pub fn worker(args: &WorkerArgs) -> u8 {
    crate::cli::logs::init_logs(crate::cli::logs::LogFormat::Human, "info");
    let (compiled, _) = match load_program(&args.campaign, "nurture worker") {
        Ok(p) => p,
        Err(code) => return code,
    };
    finish("worker", block_on(worker::work(args, compiled)))
}
